//! The WebSocketStream adapter against the reference server.
//!
//! Chromium has `WebSocketStream`; Firefox does not. Every test first checks
//! `features().web_socket_stream`: in Firefox it asserts the feature is really absent (and that
//! opening fails synchronously instead of hanging) and returns early; in Chromium the tests run
//! in full.

use crate::support::{get_str, is_firefox, server_config};
use crate::transport_support::{request, short, TestSink, MIB};
use crate::transport_websocket::{
    an_oversized_message_is_refused_before_it_is_copied, long_ascii, long_non_ascii,
};
use universal_socket::core::{Payload, TransportKind};
use universal_socket::web::features::features;
use universal_socket::web::transport::websocket_stream::WebSocketStreamConnection;
use universal_socket::web::transport::{Transport, TransportEvent};
use wasm_bindgen_test::wasm_bindgen_test;

/// True where `WebSocketStream` exists. In Firefox it must not, and the adapter must refuse to
/// open synchronously; the caller then returns early.
fn supported() -> bool {
    let present = features().web_socket_stream;
    if is_firefox() {
        assert!(
            !present,
            "Firefox unexpectedly has WebSocketStream: enable these tests there"
        );
    }
    if !present {
        let (request, _sink) = request("ws://127.0.0.1:9/".into(), Vec::new(), MIB);
        assert!(WebSocketStreamConnection::open(request).is_err());
    }
    present
}

async fn open_echo_with_max(max: usize) -> (WebSocketStreamConnection, TestSink) {
    open_service("echo", max).await
}

async fn open_service(service: &str, max: usize) -> (WebSocketStreamConnection, TestSink) {
    let config = server_config().await;
    let url = get_str(&config, &format!("ws.{service}"));
    let (request, mut sink) = request(url, Vec::new(), max);
    let connection = WebSocketStreamConnection::open(request).expect("valid URL");
    sink.opened().await;
    (connection, sink)
}

async fn open_echo() -> (WebSocketStreamConnection, TestSink) {
    open_echo_with_max(16 * MIB).await
}

#[wasm_bindgen_test]
async fn transport_websocket_stream_echoes_text_and_binary_in_order() {
    if !supported() {
        return;
    }
    let _server = crate::support::exclusive().await;
    let (connection, mut sink) = open_echo().await;
    assert_eq!(connection.kind(), TransportKind::WebSocket);
    crate::transport_support::echo_in_order(&connection, &mut sink).await;
}

#[wasm_bindgen_test]
async fn transport_websocket_stream_close_is_recorded_by_the_server() {
    if !supported() {
        return;
    }
    let _server = crate::support::exclusive().await;
    let (connection, mut sink) = open_echo().await;
    crate::transport_support::close_is_recorded("websocket", &connection, &mut sink).await;
}

#[wasm_bindgen_test]
async fn transport_websocket_stream_server_drop_reports_closed() {
    if !supported() {
        return;
    }
    let _server = crate::support::exclusive().await;
    let (_connection, mut sink) = open_echo().await;
    crate::transport_support::server_drop_reports_closed(&mut sink).await;
    // The end was announced (the core bounds the reader's drain from there).
    assert_eq!(sink.announced(), Some((1006, false)));
}

#[wasm_bindgen_test]
async fn transport_websocket_stream_ended_read_loop_frees_its_closures() {
    if !supported() {
        return;
    }
    let _server = crate::support::exclusive().await;
    crate::transport_support::ended_loops_free_their_closures(1, open_echo).await;
}

#[wasm_bindgen_test]
async fn transport_websocket_stream_oversized_message_closes_with_1009() {
    if !supported() {
        return;
    }
    let _server = crate::support::exclusive().await;
    let (connection, mut sink) = open_echo_with_max(1000).await;
    connection
        .send(Payload::Text("small".into()))
        .expect("send");
    connection
        .send(Payload::Text("x".repeat(2000)))
        .expect("send");
    assert_eq!(
        sink.message("the small echo").await,
        Payload::Text("small".into())
    );
    let (code, _, _) = sink.closed("Closed after an oversized message").await;
    assert_eq!(code, 1009);
    // Announced while the reader drained, with the 1009 rule (never clean) already applied.
    assert_eq!(sink.announced(), Some((1009, false)));
}

#[wasm_bindgen_test]
async fn transport_websocket_stream_unreachable_fails() {
    if !supported() {
        return;
    }
    let _server = crate::support::exclusive().await;
    let (request, mut sink) = request("ws://127.0.0.1:9/".into(), Vec::new(), MIB);
    let _connection = WebSocketStreamConnection::open(request).expect("valid URL");
    match sink.next("Failed", 10_000).await {
        TransportEvent::Failed(reason) => assert!(!reason.is_empty()),
        other => panic!("expected Failed, got {}", short(&other)),
    }
}

#[wasm_bindgen_test]
async fn transport_websocket_stream_drop_releases_everything() {
    if !supported() {
        return;
    }
    let _server = crate::support::exclusive().await;
    crate::transport_support::drop_releases_everything("websocket", open_echo).await;
}

// Not tested here, because it crashes Chromium's tab (the bug behind the classic WebSocket
// being the default): a write pending when the connection ends, whether through `/control/drop`,
// a client close, or the server closing the TCP connection after an oversized message. The
// WebTransport and WebSocket adapters have those checks
// (`buffered_sends_come_back_when_the_server_drops`). Nor are echoes during a client close:
// Chromium stops delivering messages once `close()` is called.

#[wasm_bindgen_test]
async fn transport_websocket_stream_an_oversized_message_is_refused_before_it_is_copied() {
    if !supported() {
        return;
    }
    let _server = crate::support::exclusive().await;
    let (_connection, mut sink) = open_service("chat", 64 * 1024).await;
    an_oversized_message_is_refused_before_it_is_copied(&mut sink, &long_ascii(), 1009).await;
}

#[wasm_bindgen_test]
async fn transport_websocket_stream_oversized_non_ascii_text_is_refused_before_it_is_copied() {
    if !supported() {
        return;
    }
    let _server = crate::support::exclusive().await;
    let (_connection, mut sink) = open_service("chat", 4 * MIB).await;
    an_oversized_message_is_refused_before_it_is_copied(&mut sink, &long_non_ascii(), 1009).await;
}

#[wasm_bindgen_test]
async fn transport_websocket_stream_failure_reasons_carry_no_token() {
    if !supported() {
        return;
    }
    let url = "ws://127.0.0.1:9/ws/echo?token=s3cret".to_owned();
    let (request, mut sink) = request(url, Vec::new(), MIB);
    let _connection = WebSocketStreamConnection::open(request).expect("valid URL");
    match sink.next("Failed", 10_000).await {
        TransportEvent::Failed(reason) => assert!(!reason.contains("s3cret"), "{reason}"),
        other => panic!("expected Failed, got {}", short(&other)),
    }
}

#[wasm_bindgen_test]
async fn transport_websocket_stream_closed_before_open_tells_the_server_its_code() {
    if !supported() {
        return;
    }
    let _server = crate::support::exclusive().await;
    crate::transport_support::close_before_open_is_recorded(|request| {
        WebSocketStreamConnection::open(request).expect("valid URL")
    })
    .await;
}
