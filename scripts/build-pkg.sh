#!/usr/bin/env bash
# Builds the npm package (pkg/) with wasm-pack, and copies it under www/ for the demo page.
set -euo pipefail
cd "$(dirname "$0")/.."
wasm-pack --quiet build --release --target web --out-dir pkg --out-name universal_socket >&2
rm -rf www/pkg && cp -r pkg www/pkg
