//! Browser tests: run by `wasm-pack test --headless --firefox|--chrome -- --test browser` against
//! the reference server that `scripts/test-all.sh` starts on loopback (its URL is baked in at
//! compile time as `UNIVERSAL_SOCKET_TEST_SERVER`).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test_configure;
wasm_bindgen_test_configure!(run_in_browser);

mod event_source;
mod features;
mod long_polling_unread_bodies;
mod slow_bodies;
mod socket_fallback;
mod socket_reconnect;
mod socket_rust_api;
mod socket_support;
mod socket_transports;
mod support;
mod transport_base64;
mod transport_long_polling;
mod transport_sse;
mod transport_support;
mod transport_websocket;
mod transport_websocket_stream;
mod transport_webtransport;
mod websocket_echo;
mod webtransport;
