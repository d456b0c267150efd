#!/usr/bin/env bash
# `npm start`: builds the package, serves www/ from the reference server, prints the page's URL.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/build-pkg.sh
# shellcheck source=scripts/start-server.sh
source scripts/start-server.sh --http-port "${PORT:-8080}" --wt-port "${WT_PORT:-8443}" --static-dir www
trap stop_server EXIT INT TERM
echo "$SERVER_HTTP/"
wait "$SERVER_PID"
