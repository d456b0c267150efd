//! What the `no_std` build (the npm package's: feature `npm-package`, `std` off) needs from the
//! crate itself.
//!
//! Why `no_std` there: std's panic handler formats every panic message (`core::fmt`, the
//! messages, file names and line numbers of every bounds check and `RefCell` borrow) and writes
//! it to stderr, which on wasm32-unknown-unknown goes nowhere: the JS build paid several KB
//! gzipped for output nobody could see. A panic stays what it was (the wasm traps with
//! `unreachable`); only the invisible message is gone. Rust apps keep std (the default) and
//! their own panic hook.
//!
//! The npm builds go one step further (scripts/npm-build-env.sh): they compile this crate, its
//! dependencies and a rebuilt `core` and `alloc` with `-Cpanic=immediate-abort`, so every panic
//! site traps at once instead of building a message this handler would ignore (the texts, file
//! names and `core::fmt` stayed in the wasm otherwise); this handler is then never reached. It
//! stays for the `npm-package` builds without those settings (`npm test`'s clippy runs, a plain
//! `cargo build --features npm-package`), where a `no_std` crate needs one.

#[cfg(all(
    target_arch = "wasm32",
    any(feature = "npm-package", feature = "js-core")
))]
#[panic_handler]
fn stop(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

// The one-thread statics (`OneThread` in src/web) and the small allocator assume no threads.
#[cfg(target_feature = "atomics")]
compile_error!("the npm package's no_std build assumes single-threaded wasm");

// `no_std` has no default allocator: the npm builds use the crate's own.
#[cfg(all(
    target_arch = "wasm32",
    any(feature = "npm-package", feature = "js-core"),
    not(feature = "small-allocator")
))]
compile_error!(
    "`npm-package` and `js-core` need `small-allocator` (a no_std wasm build needs a global allocator)"
);
