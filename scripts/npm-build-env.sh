# Sourced (not run) by scripts/build-pkg.sh and bench/named-wasm.sh, each a script of its own
# (source it only from such a script: the settings below stay in the shell that sources it, and
# would break a host `cargo test` run there). How the npm package's two wasm builds are compiled,
# beyond their cargo features and the wasm-opt flags in wasm/Cargo.toml.
#
# Why: the npm builds are `no_std` and their panics already stop without a message
# (src/no_std_support.rs), but the precompiled `core` and `alloc` still build one at every panic
# site the crate inlines (bounds checks, `RefCell` borrows, slice copies, allocation failure):
# the message texts, file names and `core::fmt` itself stayed in the wasm, unreachable. Rebuilding
# `core` and `alloc` (`-Zbuild-std`) with panics that abort at once, no panic locations and no
# `Debug` output removes them: 3.2 KB gzipped less for the WebSocket-only build and 3.3 KB for
# the full one (measured 2026-11-27, rustc 1.95.0, the crate built as its own cdylib); since the
# npm builds are the crate `wasm/` (fifteenth session), whose LTO removes most of that anyway,
# 0.15 / 0.3 KB. A panic is what it was: the wasm traps with
# `unreachable`.
#
# `{:?}` prints nothing in these builds. No message the SDK produces uses it (its texts are built
# by hand, src/core/text.rs); scripts/check-no-debug-format.mjs, run by `npm test`, keeps it so.
#
# These are unstable compiler options: `-Cpanic=immediate-abort` needs rustc 1.92 or later (built
# and measured with 1.95.0; no toolchain file pins it; an older one gets the build below). `RUSTC_BOOTSTRAP=1` lets a stable toolchain take them. Cargo passes
# it to build scripts and proc macros as well, so proc-macro2 (under wasm-bindgen's macros)
# turns on a nightly API of its own in these builds; their output is the same. A toolchain that
# renames an option fails this build with rustc's error; one that ignored them would ship the
# larger wasm, which scripts/build-pkg.sh refuses (it checks that no panic location is left).
# scripts/bootstrap.sh installs `rust-src`, the source `-Zbuild-std` compiles; without it, see below.
npm_build_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# A target directory of their own (under the caller's, if one is set), so that these flags do not
# rebuild what `cargo test`, clippy and the browser tests build in target/, nor the other way round.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$npm_build_root/target}/npm"
# Which `core` the builds link, "rebuilt" or "precompiled"; scripts/build-pkg.sh writes it to
# $CARGO_TARGET_DIR/core-build for scripts/check-size-budget.mjs, which holds each kind to its own
# budget. Without `rust-src` (a toolchain that rustup cannot add it to, a machine that cannot
# reach rustup's server) or with a rustc older than 1.92, the package is still built, with the
# precompiled `core`: about 0.3 KB larger, and said so. UNIVERSAL_SOCKET_PRECOMPILED_CORE=1 asks for that build (to measure its budget).
npm_build_rustc_minor=$(rustc --version | sed -n 's/^rustc 1\.\([0-9]*\)\..*/\1/p')
if [ -z "${UNIVERSAL_SOCKET_PRECOMPILED_CORE:-}" ] && [ "${npm_build_rustc_minor:-0}" -ge 92 ] \
  && [ -d "$(rustc --print sysroot)/lib/rustlib/src/rust/library/core" ]; then
  export NPM_BUILD_CORE=rebuilt
  export RUSTC_BOOTSTRAP=1
  # Added to the caller's RUSTFLAGS. (Cargo then ignores `rustflags` from `.cargo/config.toml`,
  # and an encoded CARGO_ENCODED_RUSTFLAGS would win over RUSTFLAGS: it is dropped.)
  export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none"
  unset CARGO_ENCODED_RUSTFLAGS
  # `-Zbuild-std=core,alloc` in cargo's environment form, which reaches cargo from wasm-pack
  # (build-pkg.sh) and from a plain `cargo build` (named-wasm.sh) alike.
  export CARGO_UNSTABLE_BUILD_STD=core,alloc
else
  export NPM_BUILD_CORE=precompiled
  if [ -z "${UNIVERSAL_SOCKET_PRECOMPILED_CORE:-}" ]; then
    echo "[build] core and alloc are not rebuilt (this needs rustc 1.92 or later and its rust-src" \
      "component), so the wasm keeps their panic messages: about 0.3 KB gzipped more" >&2
  fi
fi
