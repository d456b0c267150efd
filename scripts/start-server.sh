#!/usr/bin/env bash
# Starts the reference server in the background and waits for its one JSON config line.
# Usage: source scripts/start-server.sh [server flags...]
# Sets SERVER_PID, SERVER_CONFIG (the JSON) and SERVER_HTTP (its base URL). The caller stops it
# with `stop_server` (install it in a trap so it runs even when a step fails).
SERVER_LOG=$(mktemp -t reference-server.XXXXXX)
SERVER_OUT=$(mktemp -t reference-server-config.XXXXXX)
cargo build -q -p reference-server --release >&2
"${CARGO_TARGET_DIR:-target}/release/reference-server" "$@" >"$SERVER_OUT" 2>"$SERVER_LOG" &
SERVER_PID=$!
stop_server() {
  if [ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
for _ in $(seq 1 100); do
  [ -s "$SERVER_OUT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SERVER_LOG" >&2; echo "reference server exited at start" >&2; return 1; }
  sleep 0.1
done
SERVER_CONFIG=$(head -n1 "$SERVER_OUT")
SERVER_HTTP=$(node -e 'console.log(JSON.parse(process.argv[1]).http)' "$SERVER_CONFIG") \
  || { echo "reference server printed no JSON config: $SERVER_CONFIG" >&2; return 1; }
export SERVER_PID SERVER_CONFIG SERVER_HTTP SERVER_LOG
