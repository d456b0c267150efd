#!/usr/bin/env bash
# The size floor of this design, measured by ablation (issue 9: 45 KB full / 30 KB WebSocket-only).
# An earlier study estimated the floor ("about 50–55 KB gz for all five transports, 37–40 KB for
# WebSocket only"); this measures it. In a temporary git worktree of 02a3b3a (its own target dir,
# node_modules linked to this checkout's) it builds the npm package as scripts/build-pkg.sh does
# (that very script: cargo features, -Zbuild-std, wasm-opt with Cargo.toml's flags, short names,
# keep-export-names + esbuild --minify), once as it is and once after each cut of bench/size-floor/
# applied cumulatively, and prints each build's size as scripts/check-size-budget.mjs counts it
# (gzip -9 of the wasm + gzip -9 of the JS glue). The last line is the measured floor of "this
# design minus all of these".
#
# The cuts are measurements, never shipped: each patch removes a feature at source level (its
# code, its option, its call sites) so that the npm builds compile; the builds are not tested and
# would not all work (cut 7 leaves every error message empty). The Rust API's `std` build is not
# kept compiling. Patches are against 02a3b3a and apply in order; cut 7 was made with
# bench/size-floor/empty-texts.py (run on the tree after cut 6), which --alone reuses. For
# --alone, bench/size-floor/alone/ holds the cuts whose patch needs the earlier ones, redone
# against 02a3b3a itself (the same removal; only the surrounding code differs).
#
# Usage: bash bench/size-floor.sh [--alone] [--profile]
#   --alone    also measure each cut applied alone on the base (alone/NN-*.patch where the
#              cumulative patch needs the earlier ones)
#   --profile  also run bench/named-wasm.sh + bench/size-profile.mjs on the final build
# Environment: SIZE_FLOOR_WORKTREE (default /tmp/size-floor-wt), SIZE_FLOOR_TARGET (cargo target
# dir, kept between runs so rebuilds are incremental; default /tmp/size-floor-target),
# SIZE_FLOOR_BASE (default 02a3b3a, the patches' commit). Builds run under `nice -n 10`. Run time
# on 2 cores: about 2 minutes for the nine builds with a warm target dir; 7 minutes with
# --alone --profile from an empty one (which rebuilds core/alloc and every dependency first).
set -euo pipefail
main="$(cd "$(dirname "$0")/.." && pwd)"
patches="$main/bench/size-floor"
wt="${SIZE_FLOOR_WORKTREE:-/tmp/size-floor-wt}"
# The commit the patches were made against: the measurement is of that tree, whatever main has
# become since (a later tree needs the patches made again; SIZE_FLOOR_BASE tries another).
base="${SIZE_FLOOR_BASE:-02a3b3a}"
export CARGO_TARGET_DIR="${SIZE_FLOOR_TARGET:-/tmp/size-floor-target}"
alone=0
profile=0
for arg in "$@"; do
  case "$arg" in
    --alone) alone=1 ;;
    --profile) profile=1 ;;
    *) echo "usage: bash bench/size-floor.sh [--alone] [--profile]" >&2; exit 2 ;;
  esac
done

# The cuts, in order: "patch name|label". Above each, what it removes and why a user might not
# need it.
cuts=(
  # The binary codec (encodeMessage/decodeMessage, sendBinary, decodeBinary, core/codec.rs): apps that send JSON or their own bytes.
  "01-binary-codec|1 binary codec"
  # Batching (core/batch.rs, the `batch` option; objects still go as JSON text): off by default, apps with few messages never turn it on.
  "02-batching|2 batching"
  # The heartbeat (ping/pong, its timers, rttMs, the `heartbeat` option): servers that ping, or apps that accept the browser's own slow detection of a dead link.
  "03-heartbeat|3 heartbeat"
  # Resumable sessions (core/session.rs, seq/ack/resend, hello, sessionLost, stats, the `resume` option): apps against a v1 server, or that resynchronise themselves.
  "04-resumable-sessions|4 resumable sessions"
  # WebSocketStream in the WebSocket-only build (features npm-package,small-allocator; the full build keeps it): off by default, worth it only for backpressure on huge sends. Beyond the issue, whose 30 KB build is WebSocket + WebSocketStream: from here on the WebSocket-only column is a classic-WebSocket-only build.
  "05-websocket-stream-in-ws-build|5 WebSocketStream (ws build)"
  # Fallback and upgrade (core/fallback.rs, upgrade.rs, fallback/upgrade events) in the WebSocket-only build: one transport has nothing to fall back or upgrade to. The full build cannot lose them (they are what it is for): it keeps them (its size moves by a few bytes, as the code around the new cfgs compiles a little differently).
  "06-fallback-upgrade-in-ws-build|6 fallback + upgrade (ws build)"
  # Every message text of the Rust source (string literals with a space and no braces; the inline JS's few texts and the glue's stay) replaced by "": what the texts cost; ruled out for the product ("a size cut must not turn a helpful Error into a code").
  "07-error-texts|7 error-message texts"
  # Option validation (unknown keys, types, ranges, their messages): options read as given, defaults for what is absent; for apps whose options are right.
  "08-option-validation|8 option validation"
)

log="$(mktemp -t size-floor-build.XXXXXX)"
cleanup() {
  cd "$main"
  git worktree remove --force "$wt" >/dev/null 2>&1 || rm -rf "$wt"
  git worktree prune
  rm -f "$log"
}
git -C "$main" worktree prune
if [ -e "$wt" ]; then
  echo "size-floor.sh: $wt exists (an earlier run's worktree?); remove it (git worktree remove --force $wt) or set SIZE_FLOOR_WORKTREE" >&2
  exit 1
fi
if ! git -C "$main" cat-file -e "$base^{commit}" 2>/dev/null; then
  echo "size-floor.sh: commit $base is not in this clone (a shallow clone? git fetch --unshallow)" >&2
  exit 1
fi
if [ ! -x "$main/node_modules/.bin/wasm-opt" ] || [ ! -x "$main/node_modules/.bin/esbuild" ]; then
  echo "size-floor.sh: node_modules has no wasm-opt or esbuild: run bash scripts/bootstrap.sh (or npm test) first" >&2
  exit 1
fi
trap cleanup EXIT
git -C "$main" worktree add --quiet --detach "$wt" "$base"
ln -s "$main/node_modules" "$wt/node_modules"
start=$(date +%s)

# Both npm builds, exactly as the package is built (in the worktree; its pkg/ and www/pkg are its own).
build() {
  if ! (cd "$wt" && nice -n 10 bash scripts/build-pkg.sh) >"$log" 2>&1; then
    echo "size-floor.sh: the build failed after: $1" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
}
# "full ws": gzip -9 of the wasm + gzip -9 of the glue of each build (scripts/check-size-budget.mjs).
measure() {
  node -e '
    const { readFileSync } = require("fs"), { gzipSync } = require("zlib");
    const gz = (f) => gzipSync(readFileSync(f), { level: 9 }).length;
    const size = (d) => gz(`${d}/universal_socket_bg.wasm`) + gz(`${d}/universal_socket.js`);
    console.log(size(process.argv[1] + "/pkg"), size(process.argv[1] + "/pkg/websocket"));
  ' "$wt"
}
# Applies cut $1 to the worktree; false if it does not apply there.
apply_cut() {
  if [ "$1" = 07-error-texts ] && [ "$2" = alone ]; then
    (cd "$wt" && python3 "$patches/empty-texts.py" $(find src -name '*.rs' ! -name typescript.rs | sort))
    return 0
  fi
  local patch="$patches/$1.patch"
  if [ "$2" = alone ] && [ -e "$patches/alone/$1.patch" ]; then
    patch="$patches/alone/$1.patch"
  fi
  git -C "$wt" apply "$patch"
}
# Sets `full` and `ws` to the build's sizes, or stops saying which build could not be measured.
measure_into() {
  local sizes
  sizes=$(measure) || { echo "size-floor.sh: could not measure the build after: $1" >&2; exit 1; }
  read -r full ws <<<"$sizes"
}
row() { printf '%-32s %10s %10s %12s %12s\n' "$@"; }
signed() { local d=$(($1 - $2)); [ "$d" -le 0 ] && echo "$d" || echo "+$d"; }

echo "rustc: $(rustc --version)"
echo "wasm-bindgen: $(wasm-bindgen --version)"
echo "wasm-opt: $("$main/node_modules/.bin/wasm-opt" --version)"
echo "base: $(git -C "$wt" rev-parse --short HEAD); target dir: $CARGO_TARGET_DIR"
echo

build "nothing (the package as it is)"
measure_into "nothing"
base_full=$full
base_ws=$ws
echo "Cumulative (each cut on top of the ones above; bytes, gzip -9 wasm + gzip -9 glue):"
row "cut" "full gz" "ws-only gz" "full saved" "ws saved"
row "none ($base)" "$base_full" "$base_ws" "" ""
prev_full=$base_full
prev_ws=$base_ws
for cut in "${cuts[@]}"; do
  name=${cut%%|*}
  label=${cut#*|}
  apply_cut "$name" cumulative || { echo "size-floor.sh: $name.patch does not apply" >&2; exit 1; }
  build "$name"
  measure_into "$name"
  row "$label" "$full" "$ws" "$(signed "$full" "$prev_full")" "$(signed "$ws" "$prev_ws")"
  prev_full=$full
  prev_ws=$ws
done
row "floor - $base" "" "" "$(signed "$prev_full" "$base_full")" "$(signed "$prev_ws" "$base_ws")"
echo
for pair in "full:$prev_full:45000" "WebSocket-only:$prev_ws:30000"; do
  IFS=: read -r what bytes goal <<<"$pair"
  if [ "$bytes" -le "$goal" ]; then
    echo "floor, $what: $bytes B, $((goal - bytes)) B under the goal of $goal B"
  else
    echo "floor, $what: $bytes B, $((bytes - goal)) B over the goal of $goal B"
  fi
done

echo "(cumulative builds: $(( $(date +%s) - start )) s)"

if [ "$profile" = 1 ]; then
  echo
  echo "Where the floor's bytes are (bench/size-profile.mjs on the final build):"
  if (cd "$wt" && nice -n 10 bash bench/named-wasm.sh) >"$log" 2>&1; then
    (cd "$wt" && node bench/size-profile.mjs)
  else
    echo "(bench/named-wasm.sh failed:)"
    tail -n 20 "$log"
  fi
fi

if [ "$alone" = 1 ]; then
  echo
  echo "Alone (each cut applied on $base without the others):"
  row "cut" "full gz" "ws-only gz" "full saved" "ws saved"
  for cut in "${cuts[@]}"; do
    name=${cut%%|*}
    label=${cut#*|}
    git -C "$wt" reset --quiet --hard
    if ! apply_cut "$name" alone; then
      row "$label" "-" "-" "(does not apply on $base)" ""
      continue
    fi
    build "$name (alone)"
    measure_into "$name (alone)"
    row "$label" "$full" "$ws" "$(signed "$full" "$base_full")" "$(signed "$ws" "$base_ws")"
  done
fi

echo
echo "run time: $(( $(date +%s) - start )) s"
