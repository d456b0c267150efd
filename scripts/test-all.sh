#!/usr/bin/env bash
# Every test, stopping at the first failure: formatting, lints (host and wasm32), host tests,
# then the browser tests in headless Firefox and Chromium against the reference server on
# ephemeral loopback ports, the npm package and the Rust example page (examples/rust-chat), then
# the page tests (the demo, the Rust example, the guide's server, and the transport ×
# behaviour matrix of tests/README.md; alone: `npm run test:matrix`). No fixed port but the
# guide's own 8080/3000 (`npm start` uses 8787). The server is stopped even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "no Debug formatting outside tests (empty in the npm builds: scripts/npm-build-env.sh)"
node scripts/check-no-debug-format.mjs

step "cargo clippy (host)"
cargo clippy --workspace --all-targets -q -- -D warnings

step "cargo clippy (wasm32-unknown-unknown)"
cargo clippy -p universal-socket --all-targets --target wasm32-unknown-unknown -q -- -D warnings
# The npm package's two builds, without `std` (no_std): the full one and the WebSocket-only one
# (universal-socket/websocket).
cargo clippy -p universal-socket --lib --target wasm32-unknown-unknown --no-default-features --features npm-package,webtransport,websocket-stream,sse,long-polling,small-allocator -q -- -D warnings
cargo clippy -p universal-socket --lib --target wasm32-unknown-unknown --no-default-features --features npm-package,websocket-stream,small-allocator -q -- -D warnings
# The wasm of issue 9's redesign, the class written in JS (src/js_core.rs, feature `js-core`;
# bench/shell-probe.sh builds it): full and WebSocket-only.
cargo clippy -p universal-socket --lib --target wasm32-unknown-unknown --no-default-features --features js-core,small-allocator,webtransport,sse,long-polling -q -- -D warnings
cargo clippy -p universal-socket --lib --target wasm32-unknown-unknown --no-default-features --features js-core,small-allocator -q -- -D warnings
# With the Rust example, which turns on the `serde` feature (send_json, Payload::json).
cargo clippy -p universal-socket -p rust-chat --all-targets --target wasm32-unknown-unknown -q -- -D warnings

step "cargo test --workspace (host)"
cargo test --workspace

step "starting the reference server"
# shellcheck source=scripts/start-server.sh
source scripts/start-server.sh --static-dir www
trap stop_server EXIT
echo "server: $SERVER_HTTP"
export UNIVERSAL_SOCKET_TEST_SERVER="$SERVER_HTTP"

for browser in firefox chrome; do
  step "browser tests in headless $browser"
  WASM_BINDGEN_TEST_TIMEOUT=300 wasm-pack test --headless "--$browser" -- --test browser --features small-allocator,serde
done

step "building the npm package; its size budget (scripts/size-budget.json); type-checking its TypeScript declarations"
bash scripts/build-pkg.sh
node scripts/check-size-budget.mjs
bash scripts/check-types.sh

step "building examples/rust-chat (the Rust API alone, serde feature); served at /rust-chat/"
bash scripts/build-rust-example.sh

step "page tests (puppeteer, Firefox and Chromium): the demo, the guide's server, the JS API (tests/page/js-*), the transport × behaviour matrix"
# One file at a time: the matrix injects server-wide faults (drop, black hole, disabled transports).
UNIVERSAL_SOCKET_TEST_SERVER="$SERVER_HTTP" node --test --test-concurrency=1 tests/page/*.test.mjs

stop_server
echo
echo "all tests passed"
