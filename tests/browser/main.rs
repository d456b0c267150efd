//! Browser tests: run by `wasm-pack test --headless --firefox|--chrome -- --test browser` against
//! the reference server that `scripts/test-all.sh` starts on loopback (its URL is baked in at
//! compile time as `UNIVERSAL_SOCKET_TEST_SERVER`).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test_configure;
wasm_bindgen_test_configure!(run_in_browser);

mod event_source;
mod features;
mod long_polling_partial_body;
mod long_polling_unread_bodies;
mod options;
mod slow_bodies;
mod socket_api;
mod socket_batching;
mod socket_clock;
mod socket_close_from_listener;
mod socket_close_while_ending;
mod socket_connect_twice;
mod socket_cycles;
mod socket_errors;
mod socket_fallback;
mod socket_heartbeat;
mod socket_http_connections;
mod socket_paths;
mod socket_reconnect;
mod socket_refusals;
mod socket_rust_api;
mod socket_slow_hello;
mod socket_support;
mod socket_transports;
mod socket_urls;
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
mod webtransport_bad_close_code;
mod webtransport_datagram_limit;
mod webtransport_datagram_session;
