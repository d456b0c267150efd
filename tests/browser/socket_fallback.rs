//! Fallback across transports when the server refuses them, each step announced by a
//! `fallback` event with its reason and taken within the connect timeout.

use crate::socket_support::{control, options_for, wait_for, ResetFaults};
use universal_socket::core::TransportKind::{self, *};
use universal_socket::web::socket::{Socket, SocketEvent};
use wasm_bindgen_test::wasm_bindgen_test;

async fn connect_with_disabled(disabled: &[TransportKind], expected: TransportKind) {
    let _reset = ResetFaults;
    control("reset").await;
    for kind in disabled {
        control(&format!("transport/{}/disable", kind.as_str())).await;
    }
    let (url, mut options) = options_for("echo", &TransportKind::ALL).await;
    options.connection.heartbeat = None;
    let timeout = options.connection.connect_timeout_ms;
    let socket = Socket::new(&url, options).unwrap();
    let mut events = socket.events();
    let started = js_sys::Date::now();
    socket
        .connect()
        .await
        .unwrap_or_else(|e| panic!("connect with {disabled:?} disabled: {e}"));
    let elapsed = js_sys::Date::now() - started;
    assert_eq!(socket.transport(), Some(expected));
    // Every skipped transport produced a fallback event naming it and the next one, with a reason.
    for (i, from) in disabled.iter().enumerate() {
        let to = disabled.get(i + 1).copied().unwrap_or(expected);
        let (got_from, got_to, reason) = wait_for(&mut events, "fallback", 1000, |e| match e {
            SocketEvent::Fallback { from, to, reason } => Some((*from, *to, reason.clone())),
            _ => None,
        })
        .await;
        assert_eq!((got_from, got_to), (*from, to));
        assert!(!reason.is_empty(), "a fallback carries its reason");
    }
    let budget = timeout as f64 * disabled.len() as f64 + 1500.0;
    assert!(elapsed < budget, "took {elapsed} ms, budget {budget} ms");
    // Messages flow on the transport we ended up on.
    socket
        .send(universal_socket::core::Payload::Text(
            "after fallback".into(),
        ))
        .await
        .unwrap();
    wait_for(&mut events, "echo after fallback", 5000, |e| {
        matches!(e, SocketEvent::Message(universal_socket::core::Payload::Text(t)) if t == "after fallback").then_some(())
    })
    .await;
    socket.close(1000, "").await.unwrap();
    control("reset").await;
}

#[wasm_bindgen_test]
async fn webtransport_disabled_falls_back_to_websocket() {
    let _server = crate::support::exclusive().await;
    connect_with_disabled(&[WebTransport], WebSocket).await;
}

#[wasm_bindgen_test]
async fn websocket_refused_as_well_falls_back_to_sse() {
    let _server = crate::support::exclusive().await;
    connect_with_disabled(&[WebTransport, WebSocket], Sse).await;
}

#[wasm_bindgen_test]
async fn sse_disabled_as_well_falls_back_to_long_polling() {
    let _server = crate::support::exclusive().await;
    connect_with_disabled(&[WebTransport, WebSocket, Sse], LongPolling).await;
}

#[wasm_bindgen_test]
async fn nothing_works_rejects_listing_every_transport() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    control("reset").await;
    for kind in TransportKind::ALL {
        control(&format!("transport/{}/disable", kind.as_str())).await;
    }
    let (url, options) = options_for("echo", &TransportKind::ALL).await;
    let socket = Socket::new(&url, options).unwrap();
    let error = socket
        .connect()
        .await
        .expect_err("every transport is disabled")
        .to_string();
    for kind in TransportKind::ALL {
        assert!(error.contains(kind.as_str()), "{error:?} names {kind}");
    }
    assert_eq!(socket.ready_state(), 3);
    control("reset").await;
}
