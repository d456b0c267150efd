#!/usr/bin/env bash
# Builds target/profile/named.wasm: the full npm build's wasm (the features and wasm-opt flags
# scripts/build-pkg.sh and Cargo.toml give it) with its name section kept, so that
# bench/profile.mjs can name the wasm frames of a CPU profile of pkg/ (it checks that the code is
# the package's, byte for byte). Run it on the tree pkg/ was built from.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
features=$(sed -n 's/.*--features \(npm-package,webtransport[^ ]*\).*/\1/p' scripts/build-pkg.sh | head -n 1)
cargo build --quiet --release --target wasm32-unknown-unknown --no-default-features --features "$features"
rm -rf target/profile
wasm-bindgen --keep-debug --target web --out-dir target/profile target/wasm32-unknown-unknown/release/universal_socket.wasm
# The flags of [package.metadata.wasm-pack.profile.release] in Cargo.toml, plus -g (keep names).
mapfile -t flags < <(node -e '
  const toml = require("fs").readFileSync("Cargo.toml", "utf8");
  const list = /\[package\.metadata\.wasm-pack\.profile\.release\][^[]*?wasm-opt = \[([^\]]*)\]/s.exec(toml)[1];
  for (const m of list.matchAll(/"([^"]+)"/g)) console.log(m[1]);')
wasm-opt "${flags[@]}" -g target/profile/universal_socket_bg.wasm -o target/profile/named.wasm
echo target/profile/named.wasm
