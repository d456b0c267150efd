# Sourced (not run) by scripts/build-pkg.sh and bench/named-wasm.sh: how the npm package's two
# wasm builds are compiled, beyond their cargo features and the wasm-opt flags in Cargo.toml.
#
# Why: the npm builds are `no_std` and their panics already stop without a message
# (src/no_std_support.rs), but the precompiled `core` and `alloc` still format one at every
# panic site they inline (bounds checks, `RefCell` borrows, allocation failure): the message
# texts, file names and `core::fmt` itself stayed in the wasm, unreachable. Rebuilding `core` and
# `alloc` with panics that abort at once, no panic locations and no `Debug` output removes them:
# 3.2 KB gzipped less for the WebSocket-only build and 3.4 KB for the full one (measured
# 2026-11-27, rustc 1.95.0). A panic is what it was: the wasm traps with `unreachable`.
# (`{:?}` prints nothing in these builds: no message the SDK produces uses it, and the SDK's own
# texts are built by hand, src/core/text.rs.)
#
# These are unstable compiler options. `RUSTC_BOOTSTRAP=1` lets the pinned stable toolchain take
# them for these two builds only (no Rust app, test or lint build uses this file), and
# scripts/bootstrap.sh installs `rust-src`, the source `-Zbuild-std` compiles. A toolchain that
# changes them fails this build loudly rather than shipping a larger wasm; the size budget in
# `npm test` would catch one that silently ignored them.
#
# Its own target directory, so that these flags do not rebuild what `cargo test`, clippy and the
# browser tests build in target/, nor the other way round.
export RUSTC_BOOTSTRAP=1
export RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none"
export CARGO_TARGET_DIR="$PWD/target/npm"
# `-Zbuild-std=core,alloc`, as cargo's environment form (wasm-pack passes no `-Z` on to cargo).
export CARGO_UNSTABLE_BUILD_STD=core,alloc
