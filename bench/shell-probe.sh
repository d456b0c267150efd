#!/usr/bin/env bash
# Measures the design issue 9's README names for a 30 KB WebSocket build but had not measured: a
# class written in JS (bench/shell-probe/shell.js) over the SDK's own core in wasm with a few
# exports (bench/shell-probe/src/lib.rs compiles src/core, src/endpoints.rs and src/redact.rs
# as they are). It builds the probe with the npm package's settings (scripts/npm-build-env.sh,
# the same wasm-opt flags, scripts/short-wasm-names.mjs, esbuild --minify) and prints its gzipped
# bytes next to the package's WebSocket-only build (pkg/websocket, from scripts/build-pkg.sh),
# counted the same way as scripts/check-size-budget.mjs counts (node's zlib, level 9).
#
# Usage: bash bench/shell-probe.sh [out dir]   (default target/shell-probe/pkg; about 1 minute
# warm). Never shipped: the probe is a measurement (bench/README.md, "The shell probe").
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out="${1:-$root/target/shell-probe/pkg}"
export PATH="$root/node_modules/.bin:$PATH"
export CARGO_TARGET_DIR="$root/target/shell-probe"
source scripts/npm-build-env.sh
cargo build --quiet --release --target wasm32-unknown-unknown --manifest-path bench/shell-probe/Cargo.toml
rm -rf "$out" && mkdir -p "$out"
wasm-bindgen --target web --out-dir "$out" --out-name universal_socket \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/shell_probe.wasm"
# wasm-opt with the package's flags, read from Cargo.toml (wasm-pack passes them there).
mapfile -t flags < <(node -e '
  const toml = require("fs").readFileSync("Cargo.toml", "utf8");
  const list = toml.split("[package.metadata.wasm-pack.profile.release]")[1].match(/wasm-opt = \[([^\]]*)\]/)[1];
  for (const flag of list.match(/"[^"]*"/g)) console.log(JSON.parse(flag));')
wasm-opt "${flags[@]}" "$out/universal_socket_bg.wasm" -o "$out/universal_socket_bg.wasm"
node scripts/short-wasm-names.mjs "$out"
rm -rf "$out/snippets"
cp bench/shell-probe/shell.js "$out/shell.js"
esbuild "$out/universal_socket.js" --minify --format=esm --outfile="$out/glue.min.js" --log-level=warning
esbuild "$out/shell.js" --bundle --minify --format=esm --outfile="$out/shell.min.js" --log-level=warning \
  --external:./universal_socket.js
# What a package of this design would ship: the class and the glue in one module.
esbuild "$out/shell.js" --bundle --minify --format=esm --outfile="$out/bundle.js" --log-level=warning
node --input-type=module - "$out" "$root/pkg/websocket" "$NPM_BUILD_CORE" <<'JS'
import { gzipSync } from "node:zlib";
import { readFileSync, existsSync } from "node:fs";
const [out, pkg, core] = process.argv.slice(2);
const gz = (path) => gzipSync(readFileSync(path), { level: 9 }).length;
const raw = (path) => readFileSync(path).length;
const row = (name, path) => console.log(`| ${name} | ${gz(path).toLocaleString("en")} B | ${raw(path).toLocaleString("en")} B |`);
console.log(`core and alloc: ${core}`);
console.log("| file | gzipped | raw |\n| --- | --- | --- |");
row("probe: wasm (core, endpoints, redaction, codec; exports)", `${out}/universal_socket_bg.wasm`);
row("probe: wasm-bindgen's glue, minified", `${out}/glue.min.js`);
row("probe: the JS class (shell.js), minified", `${out}/shell.min.js`);
row("probe: class and glue bundled, minified", `${out}/bundle.js`);
const probe = gz(`${out}/universal_socket_bg.wasm`) + gz(`${out}/bundle.js`);
console.log(`probe total (wasm + bundle): ${probe.toLocaleString("en")} B`);
if (existsSync(`${pkg}/universal_socket_bg.wasm`)) {
  const today = gz(`${pkg}/universal_socket_bg.wasm`) + gz(`${pkg}/universal_socket.js`);
  console.log(`the package's WebSocket-only build (${pkg}): ${today.toLocaleString("en")} B`);
}
JS
