//! 1,000 connect/close cycles in one page, spread over every transport, each socket built from a
//! JS options object as a user writes it: afterwards the server counts no live connection, no
//! adapter listener is left, and wasm memory has not grown.

use crate::socket_support::close_js;
use crate::support::{get_str, server_config};
use crate::transport_support::wait_live_on_server;
use universal_socket::web::js_socket::UniversalSocket;
use universal_socket::web::listener::live_listeners;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

/// The JS options of a socket that may only use `transport`, against the echo service.
async fn options_json(transport: &str) -> String {
    let config = server_config().await;
    format!(
        r#"{{"transports":["{transport}"],"heartbeat":false,"connectTimeoutMs":5000,
            "endpoints":{{"webtransport":"{}","websocket":"{}","sse":"{}","long-polling":"{}"}},
            "webtransport":{{"serverCertificateHashes":["{}"]}}}}"#,
        get_str(&config, "webtransport.echo"),
        get_str(&config, "ws.echo"),
        get_str(&config, "sse.echo"),
        get_str(&config, "poll.echo"),
        get_str(&config, "certificateSha256"),
    )
}

/// One socket: connect, one echo-free close, then `free()` as a careful user would.
async fn cycle(options: &str) {
    let options = js_sys::JSON::parse(options).unwrap();
    let socket = UniversalSocket::new("http://127.0.0.1/echo", options)
        .map_err(JsValue::from)
        .unwrap();
    JsFuture::from(socket.connect()).await.unwrap();
    close_js(&socket).await;
}

#[wasm_bindgen_test]
async fn a_thousand_connect_close_cycles_over_every_transport_do_not_leak() {
    let _server = crate::support::exclusive().await;
    // Classic WebSocket cycles are cheap, the others cost a handshake or an HTTP session each:
    // 1,000 cycles in all, every transport included.
    let plan = [
        ("websocket", 400),
        ("webtransport", 200),
        ("sse", 200),
        ("long-polling", 200),
    ];
    let listeners_before = live_listeners();
    for (transport, cycles) in plan {
        let options = options_json(transport).await;
        // Warm up: allocator pools and JS-side caches reach their steady size first.
        for _ in 0..20 {
            cycle(&options).await;
        }
        gloo_timers::future::TimeoutFuture::new(100).await;
        let memory_warm = crate::support::wasm_memory_bytes() as f64;
        for _ in 20..cycles {
            cycle(&options).await;
        }
        wait_live_on_server(transport, 0.0).await;
        assert_eq!(
            live_listeners(),
            listeners_before,
            "adapter listeners left after {cycles} {transport} cycles"
        );
        // Wasm memory grows in 64 KiB pages and never shrinks: a leak of a few hundred bytes a
        // cycle would add more than one page.
        let memory_after = crate::support::wasm_memory_bytes() as f64;
        assert!(
            memory_after <= memory_warm + 65536.0,
            "wasm memory grew from {memory_warm} to {memory_after} bytes over {cycles} {transport} cycles"
        );
    }
}
