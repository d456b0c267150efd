#!/usr/bin/env bash
# Runs the package's page tests against the shell probe (bench/shell-probe.sh) instead of the
# package: the probe's full bundle and its wasm served as www/pkg/universal_socket.js from a copy
# of www/ (target/shell-probe/www), by a reference server of its own on loopback.
#
# Usage: bash bench/shell-probe-page-tests.sh [page test files...]
#   (default: tests/page/js-*.test.mjs and tests/page/matrix-*.test.mjs; the package's own
#   files, package.test.mjs, and the Rust example's, rust-example.test.mjs, do not apply)
# Needs node_modules and the browsers (`npm test` installs them). The probe is rebuilt first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash bench/shell-probe.sh >/dev/null
www=target/shell-probe/www
rm -rf "$www" && mkdir -p "$www" && cp -r www/. "$www/" && rm -rf "$www/pkg" && mkdir -p "$www/pkg"
cp target/shell-probe/pkg/bundle.js "$www/pkg/universal_socket.js"
cp target/shell-probe/pkg/universal_socket_bg.wasm "$www/pkg/"
# shellcheck source=scripts/start-server.sh
source scripts/start-server.sh --static-dir "$www"
trap stop_server EXIT
if [ $# -eq 0 ]; then set -- tests/page/js-*.test.mjs tests/page/matrix-*.test.mjs; fi
UNIVERSAL_SOCKET_TEST_SERVER="$SERVER_HTTP" node --test --test-concurrency=1 "$@"
