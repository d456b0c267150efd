//! UniversalSocket over each transport alone: connect; echo text, JSON, binary and codec
//! messages (empty and 1 MiB included), in order; close with a code and reason the server sees.

use crate::socket_support::{options_for, server_closes, wait_for};
use universal_socket::core::{decode_message, encode_message, CodecLimits, Payload, TransportKind};
use universal_socket::web::options::SocketOptions;
use universal_socket::web::socket::{Socket, SocketEvent};
use wasm_bindgen_test::wasm_bindgen_test;

async fn echo_everything(kind: TransportKind) {
    echo_everything_with(kind, |_| {}).await;
}

async fn echo_everything_with(kind: TransportKind, configure: impl FnOnce(&mut SocketOptions)) {
    let (url, mut options) = options_for("echo", &[kind]).await;
    options.connection.heartbeat = None;
    configure(&mut options);
    let socket = Socket::new(&url, options).expect("valid options");
    let mut events = socket.events();
    socket
        .connect()
        .await
        .unwrap_or_else(|e| panic!("{kind}: connect failed: {e}"));
    assert_eq!(socket.transport(), Some(kind));
    assert_eq!(socket.ready_state(), 1);

    let big_text = "x".repeat(1 << 20);
    let big_binary: Vec<u8> = (0..(1u32 << 20)).map(|i| (i % 251) as u8).collect();
    let codec = encode_message("chat", r#"{"text":"Hello Binary!","n":1}"#).unwrap();
    let sent = vec![
        Payload::Text("hello".into()),
        Payload::Text(String::new()),
        Payload::Text("ünïcødé ✓ 🚀".into()),
        Payload::Text(r#"{"type":"chat","text":"json"}"#.into()),
        Payload::Binary(vec![0, 1, 2, 255]),
        Payload::Binary(Vec::new()),
        Payload::Binary(codec.clone()),
        Payload::Text(big_text),
        Payload::Binary(big_binary),
    ];
    for payload in &sent {
        socket.send(payload.clone()).await.unwrap();
    }
    for (i, expected) in sent.iter().enumerate() {
        let got = wait_for(
            &mut events,
            &format!("{kind}: echo #{i}"),
            10_000,
            |e| match e {
                SocketEvent::Message(p) => Some(p.clone()),
                _ => None,
            },
        )
        .await;
        assert!(
            &got == expected,
            "{kind}: echo #{i} differs (got {} bytes, expected {})",
            got.len(),
            expected.len()
        );
        if let Payload::Binary(bytes) = &got {
            if bytes == &codec {
                let decoded = decode_message(bytes, &CodecLimits::default()).unwrap();
                assert_eq!(decoded.type_name, "chat");
            }
        }
    }

    let reason = format!("bye from {kind}");
    let info = socket.close(4001, &reason).await.unwrap();
    assert_eq!((info.code, info.reason.as_str()), (4001, reason.as_str()));
    assert!(info.was_clean, "{kind}: the close handshake completed");
    assert_eq!(socket.ready_state(), 3);
    // The server saw the code and the reason.
    let mut seen = Vec::new();
    for _ in 0..20 {
        seen = server_closes().await;
        if seen
            .iter()
            .any(|(t, c, r)| t == kind.as_str() && *c == 4001 && r == &reason)
        {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    panic!("{kind}: the server never saw close 4001 {reason:?}; it saw {seen:?}");
}

#[wasm_bindgen_test]
async fn socket_over_websocket_echoes_and_closes() {
    let _server = crate::support::exclusive().await;
    echo_everything(TransportKind::WebSocket).await;
}

#[wasm_bindgen_test]
async fn socket_over_webtransport_echoes_and_closes() {
    let _server = crate::support::exclusive().await;
    echo_everything(TransportKind::WebTransport).await;
}

#[wasm_bindgen_test]
async fn socket_over_sse_echoes_and_closes() {
    let _server = crate::support::exclusive().await;
    echo_everything(TransportKind::Sse).await;
}

#[wasm_bindgen_test]
async fn socket_over_long_polling_echoes_and_closes() {
    let _server = crate::support::exclusive().await;
    echo_everything(TransportKind::LongPolling).await;
}

/// `websocket` means the classic WebSocket by default; `webSocketStream: true` uses
/// WebSocketStream where the browser has it (Chromium) and the classic WebSocket elsewhere.
#[wasm_bindgen_test]
async fn socket_over_websocket_stream_when_asked_echoes_and_closes() {
    let _server = crate::support::exclusive().await;
    echo_everything_with(TransportKind::WebSocket, |o| o.web_socket_stream = true).await;
}
