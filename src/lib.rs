//! universal-socket: one real-time client over WebTransport, WebSocket, SSE and long polling.
//!
//! Give it one URL; it picks the best transport the browser and the network allow, falls back
//! when one is blocked, reconnects with backoff, queues while offline, and (against a server that
//! speaks PROTOCOL.md v2) resumes the session so that nothing is lost or duplicated. It compiles to
//! wasm and serves two audiences: the npm package (the `UniversalSocket` JS class, built by
//! wasm-pack) and Rust wasm apps (Leptos, Yew, Dioxus, …), which use `web::socket::Socket`
//! directly, with no JS in between.
//!
//! # Quick start (Rust, wasm32)
//!
//! Depend on `universal-socket` and `futures` (for `StreamExt`), build for
//! `wasm32-unknown-unknown` (wasm-pack, trunk, or your framework's tooling), and inside any async
//! context (`wasm_bindgen_futures::spawn_local`):
//!
//! ```ignore
//! use futures::StreamExt;
//! use universal_socket::web::{options::SocketOptions, socket::{Socket, SocketEvent}};
//!
//! let socket = Socket::new("https://example.com/echo", SocketOptions::default())?;
//! let mut events = socket.events(); // a Stream of every event from now on
//! socket.connect().await?; // resolves on the first open, whichever transport it was
//! socket.send("hello".into()).await?;
//! while let Some(event) = events.next().await {
//!     if let SocketEvent::Message(payload) = event {
//!         web_sys::console::log_1(&format!("got {payload:?}").into()); // Text("hello")
//!         break;
//!     }
//! }
//! socket.close(1000, "bye").await?;
//! ```
//!
//! Errors are typed enums that implement `std::error::Error`: `web::socket::SocketError` from
//! the socket, wrapping [`core::CoreError`] when the connection refuses a call (message too
//! large, queue full, closed). `examples/rust-chat` in the repository is a whole page driven by
//! this API.
//!
//! # Layout
//!
//! - [`core`]: sans-IO plain Rust (no web imports; time and randomness passed in): the
//!   connection state machine, codecs, queue, backoff. Tested natively on a simulated clock, and
//!   usable to drive the protocol from any runtime.
//! - `web` (wasm32 only): the browser adapters for each transport, the `Socket` Rust API, and
//!   the JS-facing `UniversalSocket` class.
//! - [`endpoints`] and [`redact`]: deriving each transport's URL from the one given, and keeping
//!   tokens out of messages. [`option_rules`]: the JS options object's keys, checks and messages.
//!
//! # Feature flags
//!
//! - `std` (on by default, and required in a Rust app; keep it when leaving transports out:
//!   `default-features = false, features = ["std", "websocket-stream"]`): the Rust API's futures
//!   and streams (`Socket::connect`, `close`, `send`, `events`). Only the npm builds go without
//!   it (features `npm-package` and `js-core`: `no_std`, with a panic handler of their own).
//! - `serde` (off by default): typed JSON messages, as in gloo-net.
//!   `Socket::send_json(&value)` sends any `T: Serialize` as a text message, and
//!   `Payload::json::<T>()` decodes a received message into any `T: DeserializeOwned`. The npm
//!   package is built without it, so it adds nothing to the JS build.
//!
//! The `web` module exists only on `wasm32`; on other targets the crate is `core`, `endpoints`,
//! `redact` and `option_rules` (pure Rust, for tests and for driving the protocol elsewhere).

#![deny(missing_docs)]
// Without the `std` feature (the npm package's builds) the crate is `no_std`: see
// src/no_std_support.rs for why and what that takes.
#![cfg_attr(not(feature = "std"), no_std)]

// `std::` paths name `alloc`'s modules (rc, string, vec, boxed, collections, …) in the `no_std`
// build, so one source serves both; what only `core` has (cell, mem, sync::atomic, error, …) is
// written `core::`.
#[cfg(not(feature = "std"))]
extern crate alloc as std;

#[cfg(not(feature = "std"))]
mod no_std_support;

#[cfg(all(
    not(feature = "std"),
    not(feature = "npm-package"),
    not(feature = "js-core")
))]
compile_error!(
    "universal-socket needs its `std` feature in a Rust app: to leave transports out, write \
     `default-features = false, features = [\"std\", \"websocket-stream\"]` (only the npm \
     builds, features `npm-package` and `js-core`, go without it; the crate `wasm/` needs one \
     of them)"
);
#[cfg(all(feature = "std", feature = "npm-package"))]
compile_error!(
    "`npm-package` is the npm package's no_std build: build it with --no-default-features \
     (without `std`)"
);
#[cfg(all(feature = "js-core", any(feature = "std", feature = "npm-package")))]
compile_error!(
    "`js-core` is the no_std build of the class written in JS: build it with \
     --no-default-features, without `std` or `npm-package`"
);

/// What std's prelude has and `core`'s lacks, for the `no_std` build (src/prelude.rs).
mod prelude;

// The npm package's global allocator, smaller than std's dlmalloc (src/allocator). Behind a
// feature that only scripts/build-pkg.sh (and the browser tests) turn on: a global allocator in a
// library would be forced on every Rust app that depends on it, and clash with its own.
#[cfg(all(target_arch = "wasm32", feature = "small-allocator"))]
mod allocator;
pub mod core;
pub mod endpoints;
pub mod option_rules;
pub mod redact;
#[cfg(all(target_arch = "wasm32", not(feature = "js-core")))]
pub mod web;
/// The class written in JS has its own adapters and listeners: of `web`, its build needs only
/// the binding `endpoints` reads browser URLs with.
#[cfg(all(target_arch = "wasm32", feature = "js-core"))]
mod web {
    pub mod bindings {
        // `set_property` is the JS class's in Rust, unused here.
        #[allow(dead_code)]
        pub mod property;
    }
}
/// The wasm exports of the class written in JS (`bench/shell-probe/`): the core behind one class.
#[cfg(all(target_arch = "wasm32", feature = "js-core"))]
mod js_core;
