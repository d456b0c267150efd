#!/usr/bin/env bash
# Builds target/profile/named.wasm and named-websocket.wasm: the npm builds' wasm (pkg/ and
# pkg/websocket/, with the features and wasm-opt flags scripts/build-pkg.sh and wasm/Cargo.toml give
# them) with their name section kept, so that bench/profile.mjs can name the wasm frames of a CPU
# profile and bench/size-profile.mjs can say where the bytes are (both check that the code is the
# package's, byte for byte). Run it on the tree pkg/ was built from.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
# The npm builds' compiler settings (sets CARGO_TARGET_DIR to target/npm).
source scripts/npm-build-env.sh
# wasm-bindgen-cli must be the version Cargo.lock pins (scripts/bootstrap.sh installs it): another
# one writes other code, which the profiles would then refuse as not the package's.
pinned=$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"$/\1/p;}' Cargo.lock)
have=$(wasm-bindgen --version | awk '{print $2}')
[ "$pinned" = "$have" ] || { echo "named-wasm.sh: wasm-bindgen $have on PATH, Cargo.lock pins $pinned" >&2; exit 1; }
# The flags of [package.metadata.wasm-pack.profile.release] in wasm/Cargo.toml, plus -g (keep names).
mapfile -t flags < <(node -e '
  const toml = require("fs").readFileSync("wasm/Cargo.toml", "utf8");
  const list = /\[package\.metadata\.wasm-pack\.profile\.release\][^[]*?wasm-opt = \[([^\]]*)\]/s.exec(toml)[1];
  for (const m of list.matchAll(/"([^"]+)"/g)) console.log(m[1]);')
# The two builds' features, in build-pkg.sh's order: the full build (pkg/), then the WebSocket-only
# one (pkg/websocket/).
mapfile -t builds < <(sed -n 's/.*--features \(npm-package[^ ]*\).*/\1/p' scripts/build-pkg.sh)
[ "${#builds[@]}" = 2 ] || { echo "named-wasm.sh: expected two --features lines in scripts/build-pkg.sh" >&2; exit 1; }
rm -rf target/profile
for i in 0 1; do
  name=$([ "$i" = 0 ] && echo named || echo named-websocket)
  cargo build --quiet --release --target wasm32-unknown-unknown -p universal-socket-wasm --no-default-features --features "${builds[$i]}"
  wasm-bindgen --target web --out-dir "target/profile/$name" --out-name universal_socket "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/universal_socket_wasm.wasm"
  wasm-opt "${flags[@]}" -g "target/profile/$name/universal_socket_bg.wasm" -o "target/profile/$name.wasm"
  echo "target/profile/$name.wasm"
done
