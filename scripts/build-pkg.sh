#!/usr/bin/env bash
# Builds the npm package (pkg/) with wasm-pack, completes its package.json (scripts/finish-pkg.mjs),
# and copies it under www/ for the demo page. `npm run build` runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
# A current wasm-opt from the npm package `binaryen` (see wasm/Cargo.toml), ahead of Debian's old one.
export PATH="$PWD/node_modules/.bin:$PATH"
# The compiler settings of both builds (core and alloc rebuilt without panic messages).
source scripts/npm-build-env.sh
# The crate `wasm/`: universal-socket as a cdylib of its own (why: wasm/Cargo.toml).
wasm-pack --quiet build wasm --release --target web --out-dir ../pkg --out-name universal_socket \
  --no-default-features --features npm-package,webtransport,websocket-stream,sse,long-polling,small-allocator >&2
# The WebSocket-only build (classic WebSocket + WebSocketStream; cargo features, see Cargo.toml),
# shipped in the same package as the subpath `universal-socket/websocket`.
rm -rf target/pkg-websocket
wasm-pack --quiet build wasm --release --target web --out-dir ../target/pkg-websocket --out-name universal_socket \
  --no-default-features --features npm-package,websocket-stream,small-allocator >&2
rm -rf pkg/websocket && mkdir -p pkg/websocket
cp target/pkg-websocket/universal_socket.js target/pkg-websocket/universal_socket_bg.wasm \
  target/pkg-websocket/universal_socket.d.ts pkg/websocket/
# wasm-bindgen writes the crate's inline JS helpers (src/web/bindings) to snippets/;
# scripts/short-wasm-names.mjs puts them into each glue, so the package ships no snippet file and
# the size budget, which counts the wasm and the glue, counts them.
[ -d target/pkg-websocket/snippets ] && cp -r target/pkg-websocket/snippets pkg/websocket/
# The compiler settings took: a panic location (a source path such as src/core/text.rs or
# library/core/src/cell.rs) left in a wasm means core and alloc were not rebuilt as
# scripts/npm-build-env.sh asks (an inherited setting overrode it, or a toolchain ignored it).
if [ "$NPM_BUILD_CORE" = rebuilt ]; then
  for wasm in pkg/universal_socket_bg.wasm pkg/websocket/universal_socket_bg.wasm; do
    if grep -aqE '(src|library)/[a-z0-9_/]+\.rs' "$wasm"; then
      echo "build-pkg.sh: $wasm still holds panic locations; see scripts/npm-build-env.sh" >&2
      exit 1
    fi
  done
fi
# Which core these builds link, for the size budget (scripts/check-size-budget.mjs).
echo "$NPM_BUILD_CORE" > "$CARGO_TARGET_DIR/core-build"
# Short names for the wasm's imports and the exports only the glue reads, in the wasm, the glue
# and the declarations of both builds (wasm-bindgen's are hashed: about 2 KB gzipped on each side).
node scripts/short-wasm-names.mjs pkg pkg/websocket
rm -rf pkg/snippets pkg/websocket/snippets
# Minify both JS glues (the declarations keep the docs).
# The exports' names are kept (scripts/keep-export-names.mjs), so `socket.constructor.name` is
# still "UniversalSocket"; esbuild leaves property names and strings (`import.meta.url`, the wasm
# import and export names) as they are.
for glue in pkg/universal_socket.js pkg/websocket/universal_socket.js; do
  node scripts/keep-export-names.mjs "$glue"
  esbuild "$glue" --minify --format=esm --outfile="$glue" --allow-overwrite --log-level=warning
done
# The minified glue, loaded in Node, defines every import of its wasm (and nothing else).
node scripts/check-wasm-imports.mjs pkg pkg/websocket
node scripts/finish-pkg.mjs
rm -rf www/pkg && cp -r pkg www/pkg
