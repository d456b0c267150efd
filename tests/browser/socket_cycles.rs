//! 1,000 connect/close cycles in one page: neither wasm memory nor live listeners grow.

use crate::socket_support::options_for;
use universal_socket::core::TransportKind;
use universal_socket::web::listener::live_listeners;
use universal_socket::web::socket::Socket;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;

fn wasm_memory_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}

async fn cycle(url: &str, options: &universal_socket::web::options::SocketOptions) {
    let socket = Socket::new(url, options.clone()).unwrap();
    socket.connect().await.unwrap();
    socket.close(1000, "").await.unwrap();
}

#[wasm_bindgen_test]
async fn a_thousand_connect_close_cycles_do_not_leak() {
    let _server = crate::support::exclusive().await;
    let (url, mut options) = options_for("echo", &[TransportKind::WebSocket]).await;
    options.connection.heartbeat = None;
    let listeners_before = live_listeners();
    // Warm up: allocator pools and JS-side caches reach their steady size first.
    for _ in 0..100 {
        cycle(&url, &options).await;
    }
    gloo_timers::future::TimeoutFuture::new(100).await;
    let memory_warm = wasm_memory_bytes();
    let listeners_warm = live_listeners();
    for _ in 0..900 {
        cycle(&url, &options).await;
    }
    gloo_timers::future::TimeoutFuture::new(100).await;
    let memory_after = wasm_memory_bytes();
    assert_eq!(
        listeners_warm, listeners_before,
        "listeners after 100 cycles"
    );
    assert_eq!(
        live_listeners(),
        listeners_before,
        "listeners after 1000 cycles"
    );
    // Wasm memory grows in 64 KiB pages and never shrinks: a leak of even 100 bytes a cycle
    // would add more than one page over 900 cycles.
    assert!(
        memory_after <= memory_warm + 65536.0,
        "wasm memory grew from {memory_warm} to {memory_after} bytes over 900 cycles"
    );
}
