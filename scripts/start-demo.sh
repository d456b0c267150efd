#!/usr/bin/env bash
# `npm start`: builds the package, serves www/ from the reference server, prints the page's URL.
# Ports: PORT (HTTP, default 8787) and WT_PORT (WebTransport over UDP, default 8788). Not 8080 nor
# 3000: the guide's own Node server used by `npm test` (tests/page/guide-server.test.mjs)
# hard-codes 8080 and its page origin http://localhost:3000, and every other test uses ephemeral
# ports, so a running demo never breaks `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/build-pkg.sh
# shellcheck source=scripts/start-server.sh
source scripts/start-server.sh --http-port "${PORT:-8787}" --wt-port "${WT_PORT:-8788}" --static-dir www
trap stop_server EXIT INT TERM
echo "$SERVER_HTTP/"
wait "$SERVER_PID"
