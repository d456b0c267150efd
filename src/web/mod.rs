//! Browser adapters and the JS-facing API. Everything here owns JS objects; the protocol logic
//! lives in [`crate::core`].

pub mod bindings;
pub mod driver;
pub mod events;
pub mod features;
pub mod js_events;
pub mod js_socket;
pub mod listener;
pub mod options;
pub mod socket;
mod token;
pub mod transport;
pub mod typescript;
mod waiter;

/// `spawn_local` for every task the crate starts, all through one boxed future type: each
/// distinct future type links its own copy of wasm-bindgen-futures' task code (about 0.2 KB
/// of wasm each). The box is one more allocation per task (wasm-bindgen-futures boxes the
/// future again), on the streams adapters' per-write tasks too.
pub(crate) fn spawn(future: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) {
    wasm_bindgen_futures::spawn_local(future)
}
