#!/usr/bin/env bash
# `npm run bench`: installs what is missing (scripts/bootstrap.sh: wasm-pack, the browsers, the
# npm dev-dependencies such as `ws`), builds the npm package (pkg/), starts the reference server
# on ephemeral loopback ports, and runs bench/run.mjs (memory, codec, latency and throughput in headless
# Firefox and Chromium, and the sizes; see bench/README.md). Measurements, not assertions: exits
# non-zero only when something breaks. BENCH_NO_BUILD=1 skips the build (pkg/ is already fresh).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

cleanup() {
  if declare -F stop_server >/dev/null; then stop_server; fi
}
trap cleanup EXIT

echo "==> installing what is missing (scripts/bootstrap.sh)" >&2
bash scripts/bootstrap.sh

if [ -n "${BENCH_NO_BUILD:-}" ]; then
  echo "==> BENCH_NO_BUILD is set: using pkg/ as it is" >&2
else
  echo "==> building the package (scripts/build-pkg.sh)" >&2
  bash scripts/build-pkg.sh
fi

echo "==> starting the reference server" >&2
# The page itself is served by bench/run.mjs (with COOP/COEP headers, for a fine
# performance.now()); this server only provides the echo service.
# shellcheck source=scripts/start-server.sh
source scripts/start-server.sh
echo "server: $SERVER_HTTP" >&2

BENCH_SERVER="$SERVER_HTTP" node bench/run.mjs
