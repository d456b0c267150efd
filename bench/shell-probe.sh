#!/usr/bin/env bash
# Measures the design issue 9's README names for a 30 KB WebSocket build but had not measured: a
# class written in JS (bench/shell-probe/shell.js) over the SDK's own core in wasm with a few
# exports (src/js_core.rs: the crate built with its `js-core` feature). It builds the probe with the npm package's settings (scripts/npm-build-env.sh,
# the same wasm-opt flags, scripts/short-wasm-names.mjs, esbuild --minify) and prints its gzipped
# bytes next to the package's WebSocket-only build (pkg/websocket, from scripts/build-pkg.sh),
# counted the same way as scripts/check-size-budget.mjs counts (node's zlib, level 9).
#
# Usage: bash bench/shell-probe.sh [out dir]   (default target/shell-probe/pkg; about 1 minute
# warm). Each build's directory keeps the intermediate files (the glue, shell.js, full.js, the
# minified pieces measured apart) next to bundle.js and the wasm. Never shipped: the probe is a
# measurement (bench/README.md, "Profiles: where the time and the bytes go").
set -euo pipefail
# The out dir is read from the caller's directory, and emptied only if it is missing, empty or a
# probe build (its marker file): `bash bench/shell-probe.sh pkg` must not delete the package.
out="$(realpath -m "${1:-$(dirname "$0")/../target/shell-probe/pkg}")"
if [ -d "$out" ] && [ -n "$(ls -A "$out")" ] && [ ! -e "$out/.shell-probe" ]; then
  echo "shell-probe.sh: $out is not empty and holds no earlier probe build: give another directory" >&2
  exit 1
fi
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$root/node_modules/.bin:$PATH"
export CARGO_TARGET_DIR="$root/target/shell-probe"
source scripts/npm-build-env.sh
# wasm-opt with the package's flags, read from wasm/Cargo.toml (wasm-pack passes them there).
mapfile -t flags < <(node -e '
  const toml = require("fs").readFileSync("wasm/Cargo.toml", "utf8");
  const list = toml.split("[package.metadata.wasm-pack.profile.release]")[1].match(/wasm-opt = \[([^\]]*)\]/)[1];
  for (const flag of list.match(/"[^"]*"/g)) console.log(JSON.parse(flag));')
# One wasm per build, as the package has (cargo features): `dir` gets the wasm, the glue and
# the shell's modules; `entry` (shell.js or full.js) bundled with the glue is bundle.js.
build() {
  local dir=$1 features=$2 entry=$3
  # A `cdylib` alone (`cargo rustc`): built as the crate's `cdylib` + `rlib` the wasm keeps the
  # rlib's public functions, about 4 KB gzipped more (wasm/Cargo.toml).
  cargo rustc --quiet --release --target wasm32-unknown-unknown -p universal-socket --lib --crate-type cdylib \
    --no-default-features --features "js-core,small-allocator$features"
  rm -rf "$dir" && mkdir -p "$dir" && touch "$dir/.shell-probe"
  wasm-bindgen --target web --out-dir "$dir" --out-name universal_socket \
    "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/universal_socket.wasm"
  wasm-opt "${flags[@]}" "$dir/universal_socket_bg.wasm" -o "$dir/universal_socket_bg.wasm"
  node scripts/short-wasm-names.mjs "$dir" >/dev/null
  rm -rf "$dir/snippets"
  cp bench/shell-probe/*.js "$dir/"
  esbuild "$dir/universal_socket.js" --minify --format=esm --outfile="$dir/glue.min.js" --log-level=warning
  esbuild "$dir/shell.js" --bundle --minify --format=esm --outfile="$dir/shell.min.js" --log-level=warning \
    --external:./universal_socket.js
  esbuild "$dir/$entry" --bundle --minify --format=esm --outfile="$dir/bundle.js" --log-level=warning
}
build "$out" ",webtransport,sse,long-polling" full.js
build "$out/websocket" "" shell.js
node --input-type=module - "$out" "$root/pkg" "$NPM_BUILD_CORE" <<'JS'
import { gzipSync } from "node:zlib";
import { readFileSync, existsSync } from "node:fs";
const [out, pkg, core] = process.argv.slice(2);
const gz = (path) => gzipSync(readFileSync(path), { level: 9 }).length;
const raw = (path) => readFileSync(path).length;
const row = (name, path) => console.log(`| ${name} | ${gz(path).toLocaleString("en")} B | ${raw(path).toLocaleString("en")} B |`);
console.log(`core and alloc: ${core}`);
console.log("| file | gzipped | raw |\n| --- | --- | --- |");
for (const [name, dir, goal] of [["WebSocket build", `${out}/websocket`, 30_000], ["full build", out, 45_000]]) {
  row(`${name}: wasm (core, endpoints, redaction, codec; exports)`, `${dir}/universal_socket_bg.wasm`);
  row(`${name}: wasm-bindgen's glue, minified`, `${dir}/glue.min.js`);
  row(`${name}: the JS class (shell.js), minified`, `${dir}/shell.min.js`);
  row(`${name}: ${name === "full build" ? "full.js, shell.js" : "shell.js"} and the glue bundled, minified`, `${dir}/bundle.js`);
  const total = gz(`${dir}/universal_socket_bg.wasm`) + gz(`${dir}/bundle.js`);
  console.log(`| **probe, ${name}: wasm + bundle** | **${total.toLocaleString("en")} B** (goal ${goal.toLocaleString("en")} B) | |`);
}
for (const [name, dir] of [["full", pkg], ["WebSocket-only", `${pkg}/websocket`]]) {
  if (!existsSync(`${dir}/universal_socket_bg.wasm`)) continue;
  const today = gz(`${dir}/universal_socket_bg.wasm`) + gz(`${dir}/universal_socket.js`);
  console.log(`the package's ${name} build (${dir}), as npm test counts it: ${today.toLocaleString("en")} B`);
}
JS
