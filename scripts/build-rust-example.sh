#!/usr/bin/env bash
# Builds examples/rust-chat (a page driven by the Rust API alone, with the `serde` feature) with
# wasm-pack, and copies the page and its pkg/ to www/rust-chat/ (git-ignored), where the
# reference server's `--static-dir www` serves it at /rust-chat/. A dev build: it only has to
# prove that the example compiles and runs, and skipping LTO and wasm-opt keeps `npm test` fast.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
wasm-pack --quiet build examples/rust-chat --dev --target web >&2
rm -rf www/rust-chat
mkdir -p www/rust-chat
cp examples/rust-chat/index.html www/rust-chat/
cp -r examples/rust-chat/pkg www/rust-chat/pkg
