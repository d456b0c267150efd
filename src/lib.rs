//! universal-socket: one real-time client over WebTransport, WebSocket, SSE and long polling.
//!
//! The crate is split in two: [`core`] is sans-IO plain Rust (no web imports, time and randomness
//! passed in) and is tested natively; [`web`] holds the thin browser adapters and the JS-facing API.

pub mod core;
pub mod endpoints;
pub mod redact;
#[cfg(target_arch = "wasm32")]
pub mod web;
