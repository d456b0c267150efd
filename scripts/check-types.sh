#!/usr/bin/env bash
# Type-checks typed usage against the built package's declarations (pkg/, made by
# scripts/build-pkg.sh): tests/types/usage.ts with the settings bundlers use, and
# tests/types/subpath/usage.ts under the older `"moduleResolution": "node"`, which finds a package
# by name in node_modules (here a link to pkg/ in target/types-check) and ignores `exports`.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tests/types/tsconfig.json
dir=target/types-check
rm -rf "$dir"
mkdir -p "$dir/node_modules"
ln -s "$PWD/pkg" "$dir/node_modules/universal-socket"
cp tests/types/subpath/usage.ts tests/types/subpath/tsconfig.json "$dir/"
npx tsc -p "$dir/tsconfig.json"
echo "TypeScript usage compiles against pkg/universal_socket.d.ts and, by name, universal-socket/websocket"
