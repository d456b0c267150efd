//! A plain web-sys WebSocket against the reference server's echo endpoint.

use crate::support::{get_str, server_config, Events};
use js_sys::{ArrayBuffer, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

#[wasm_bindgen_test]
async fn websocket_echoes_text_and_binary() {
    let _server = crate::support::exclusive().await;
    let config = server_config().await;
    let socket = WebSocket::new(&get_str(&config, "ws.echo")).expect("valid URL");
    socket.set_binary_type(BinaryType::Arraybuffer);
    let mut events = Events::new(&socket, &["open", "message", "error", "close"]);

    let opened = events.next("open", 5000).await;
    assert_eq!(opened.type_(), "open");

    socket.send_with_str("hello, echo").unwrap();
    let echoed: MessageEvent = events.next("text echo", 5000).await.dyn_into().unwrap();
    assert_eq!(echoed.data().as_string().as_deref(), Some("hello, echo"));

    let bytes = [0u8, 1, 2, 254, 255];
    socket.send_with_u8_array(&bytes).unwrap();
    let echoed: MessageEvent = events.next("binary echo", 5000).await.dyn_into().unwrap();
    let buffer: ArrayBuffer = echoed
        .data()
        .dyn_into()
        .expect("binary arrives as ArrayBuffer");
    assert_eq!(Uint8Array::new(&buffer).to_vec(), bytes);

    socket.close_with_code_and_reason(1000, "done").unwrap();
    let closed: CloseEvent = events.next("close", 5000).await.dyn_into().unwrap();
    assert_eq!(closed.code(), 1000);
}

#[wasm_bindgen_test]
async fn websocket_heartbeat_ping_gets_pong() {
    let _server = crate::support::exclusive().await;
    let config = server_config().await;
    let socket = WebSocket::new(&get_str(&config, "ws.chat")).expect("valid URL");
    let mut events = Events::new(&socket, &["open", "message"]);
    events.next("open", 5000).await;
    // The chat service greets first; then the text heartbeat is answered before any JSON parsing.
    let welcome: MessageEvent = events.next("welcome", 5000).await.dyn_into().unwrap();
    assert!(welcome.data().as_string().unwrap().contains("\"welcome\""));
    socket.send_with_str("ping").unwrap();
    let pong: MessageEvent = events.next("pong", 5000).await.dyn_into().unwrap();
    assert_eq!(pong.data().as_string().as_deref(), Some("pong"));
    socket.close().unwrap();
}
