#!/usr/bin/env bash
# `npm run test:matrix`: the transport × behaviour matrix alone (tests/page/matrix*.test.mjs).
# Builds the package (skip with MATRIX_NO_BUILD=1 when pkg/ is fresh), starts the reference server
# on ephemeral loopback ports (or uses UNIVERSAL_SOCKET_TEST_SERVER when it is set), runs the
# matrix files one after the other (they inject server-wide faults), and stops the server.
# Arguments, if any, replace the list of test files; extra node flags go in MATRIX_NODE_FLAGS
# (e.g. MATRIX_NODE_FLAGS='--test-name-pattern=sse').
set -euo pipefail
cd "$(dirname "$0")/../../.."
export PATH="$HOME/.cargo/bin:$PATH"
if [ "${MATRIX_NO_BUILD:-0}" != 1 ]; then
  echo "==> building the package (scripts/build-pkg.sh)" >&2
  bash scripts/build-pkg.sh
fi
if [ -z "${UNIVERSAL_SOCKET_TEST_SERVER:-}" ]; then
  # shellcheck source=scripts/start-server.sh
  source scripts/start-server.sh --static-dir www
  trap stop_server EXIT
  export UNIVERSAL_SOCKET_TEST_SERVER="$SERVER_HTTP"
  echo "server: $SERVER_HTTP (log: $SERVER_LOG)" >&2
fi
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(tests/page/matrix*.test.mjs)
# shellcheck disable=SC2086
node --test --test-concurrency=1 ${MATRIX_NODE_FLAGS:-} "${files[@]}"
