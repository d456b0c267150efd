#!/usr/bin/env bash
# Installs everything `npm start` and `npm test` need on a fresh Debian machine, idempotently:
# each tool is checked first and installed only when missing or at the wrong version.
# Why a script and not docs: CI runs on a clean machine, and nothing may be installed by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf '[bootstrap] ERROR: %s\n' "$*" >&2; exit 1; }

export PATH="$HOME/.cargo/bin:$PATH"

# The wasm-bindgen CLI must match the crate's exactly pinned wasm-bindgen, or the generated glue breaks.
WBG_VERSION=$(sed -n 's/^wasm-bindgen = .*"=\([0-9.]*\)".*/\1/p' Cargo.toml)
[ -n "$WBG_VERSION" ] || die "could not read the pinned wasm-bindgen version from Cargo.toml"

command -v cargo >/dev/null || die "cargo is not on PATH: install Rust with rustup first"
command -v npm >/dev/null || die "npm is not on PATH: install Node.js first"

# --- Debian packages: browsers, their drivers, wasm-opt --------------------------------------
need_apt=()
command -v firefox-esr >/dev/null || need_apt+=(firefox-esr)
command -v chromium >/dev/null || need_apt+=(chromium)
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
command -v wasm-opt >/dev/null || need_apt+=(binaryen)
if [ ${#need_apt[@]} -gt 0 ]; then
  say "installing Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null \
    || die "could not install Debian packages: ${need_apt[*]}"
fi

# --- Rust target and cargo-installed tools ------------------------------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding rustup target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown || die "could not add the wasm32-unknown-unknown target"
fi
# The standard library's source: the npm builds rebuild `core` and `alloc` (scripts/npm-build-env.sh).
# Looked for where cargo looks (a toolchain not managed by rustup may have it already).
# Without it (or with a rustc older than 1.92) the package is still built, 0.3 KB larger, and
# scripts/npm-build-env.sh says so at each build.
if [ ! -d "$(rustc --print sysroot)/lib/rustlib/src/rust/library/core" ]; then
  say "adding rustup component rust-src"
  rustup component add rust-src \
    || say "WARNING: could not add the rust-src component; the npm builds will link the precompiled core (about 0.3 KB gzipped larger)"
fi

# cargo_tool NAME VERSION-CHECK-COMMAND WANTED-VERSION [CRATE-VERSION]
# Installs with --locked first; if the crate's lockfile names a version the registry no longer serves,
# retries without --locked so the install still succeeds.
cargo_tool() {
  local crate=$1 bin=$2 want=$3 have=""
  if command -v "$bin" >/dev/null; then have=$("$bin" --version 2>/dev/null | head -n1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1 || true); fi
  if [ -n "$have" ] && { [ -z "$want" ] || [ "$have" = "$want" ]; }; then return 0; fi
  local vflag=(); [ -n "$want" ] && vflag=(--version "$want")
  say "installing $crate ${want:-latest} with cargo (have: ${have:-none}; this takes a few minutes)"
  cargo install --locked "$crate" "${vflag[@]}" >/dev/null 2>&1 \
    || cargo install "$crate" "${vflag[@]}" \
    || die "could not install $crate ${want}"
}
cargo_tool wasm-bindgen-cli wasm-bindgen "$WBG_VERSION"
cargo_tool wasm-pack wasm-pack ""
cargo_tool geckodriver geckodriver ""

# --- npm packages (puppeteer-core for page tests; never downloads a browser) -------------------
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund >/dev/null || die "npm ci failed"
fi

say "ready: wasm-bindgen $(wasm-bindgen --version | cut -d' ' -f2), $(wasm-pack --version), $(geckodriver --version | head -n1), $(firefox-esr --version 2>/dev/null), $(chromium --version 2>/dev/null | head -n1)"
