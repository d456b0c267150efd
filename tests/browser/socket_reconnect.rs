//! Reconnection against the reference server's fault injection.

use crate::socket_support::{control, options_for, wait_for, ResetFaults};
use universal_socket::core::{Payload, TransportKind};
use universal_socket::web::options::TokenSource;
use universal_socket::web::socket::{Socket, SocketEvent};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

fn text(s: &str) -> Payload {
    Payload::Text(s.to_owned())
}

/// A socket to the echo service on the classic WebSocket from the Rust API, heartbeat off, with
/// `configure` applied, connected; and a stream of its events.
pub(crate) async fn open_websocket(
    configure: impl FnOnce(&mut universal_socket::web::options::SocketOptions),
) -> (
    Socket,
    futures::channel::mpsc::UnboundedReceiver<SocketEvent>,
) {
    let (url, mut options) = options_for("echo", &[TransportKind::WebSocket]).await;
    options.connection.heartbeat = None;
    configure(&mut options);
    let socket = Socket::new(&url, options).unwrap();
    let events = socket.events();
    socket.connect().await.unwrap();
    (socket, events)
}

#[wasm_bindgen_test]
async fn drop_reconnects_on_schedule_and_delivers_queued_messages_once_in_order() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    let (socket, mut events) = open_websocket(|o| {
        o.connection.backoff.initial_ms = 100;
        o.connection.backoff.factor = 2.0;
        o.connection.backoff.max_ms = 1000;
        o.connection.backoff.max_attempts = Some(10);
    })
    .await;
    // Refuse new connections for a while, so the first attempts fail and the schedule shows.
    control("refuse?ms=600").await;
    control("drop").await;
    wait_for(&mut events, "disconnect", 5000, |e| {
        matches!(e, SocketEvent::Disconnect { .. }).then_some(())
    })
    .await;
    for i in 0..5 {
        socket.send_now(text(&format!("queued {i}"))).unwrap();
    }
    let mut delays = Vec::new();
    loop {
        let event = wait_for(
            &mut events,
            "reconnecting or reconnected",
            10_000,
            |e| match e {
                SocketEvent::Reconnecting { .. } | SocketEvent::Reconnected { .. } => {
                    Some(e.clone())
                }
                _ => None,
            },
        )
        .await;
        match event {
            SocketEvent::Reconnecting { attempt, delay_ms } => {
                assert_eq!(attempt as usize, delays.len() + 1);
                delays.push(delay_ms);
            }
            _ => break,
        }
    }
    let expected: Vec<u64> = [100, 200, 400, 800, 1000, 1000]
        .into_iter()
        .take(delays.len())
        .collect();
    assert_eq!(delays, expected, "backoff schedule");
    assert!(
        delays.len() >= 2,
        "the refusal made at least one attempt fail: {delays:?}"
    );
    for i in 0..5 {
        let want = format!("queued {i}");
        let got = wait_for(&mut events, &want, 5000, |e| match e {
            SocketEvent::Message(Payload::Text(t)) => Some(t.clone()),
            _ => None,
        })
        .await;
        assert_eq!(got, want);
    }
    // Nothing arrives twice.
    socket.send_now(text("sentinel")).unwrap();
    let next = wait_for(&mut events, "sentinel", 5000, |e| match e {
        SocketEvent::Message(Payload::Text(t)) => Some(t.clone()),
        _ => None,
    })
    .await;
    assert_eq!(next, "sentinel");
    socket.close(1000, "").await.unwrap();
}

#[wasm_bindgen_test]
async fn black_hole_is_noticed_by_the_heartbeat_and_replaced() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    let (url, mut options) = options_for("echo", &[TransportKind::WebSocket]).await;
    options.connection.heartbeat = Some(universal_socket::core::HeartbeatConfig {
        interval_ms: 200,
        timeout_ms: 300,
        ..Default::default()
    });
    options.connection.backoff.max_attempts = Some(20);
    let socket = Socket::new(&url, options).unwrap();
    let mut events = socket.events();
    socket.connect().await.unwrap();
    // A heartbeat round trip is measured while the link is healthy.
    gloo_timers::future::TimeoutFuture::new(500).await;
    assert!(
        socket.rtt_ms().is_some(),
        "a heartbeat round trip was measured"
    );
    control("blackhole?ms=1200").await;
    let code = wait_for(&mut events, "heartbeat disconnect", 5000, |e| match e {
        SocketEvent::Disconnect { code, .. } => Some(*code),
        _ => None,
    })
    .await;
    assert_eq!(code, 4000, "heartbeat timeout closes with 4000");
    wait_for(&mut events, "reconnected", 10_000, |e| {
        matches!(e, SocketEvent::Reconnected { .. }).then_some(())
    })
    .await;
    socket.close(1000, "").await.unwrap();
}

#[wasm_bindgen_test]
async fn close_while_reconnecting_stops_every_retry() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    let (socket, mut events) =
        open_websocket(|o| o.connection.backoff.max_attempts = Some(50)).await;
    control("refuse?ms=3000").await;
    control("drop").await;
    wait_for(&mut events, "reconnecting", 5000, |e| {
        matches!(e, SocketEvent::Reconnecting { .. }).then_some(())
    })
    .await;
    let info = socket.close(1000, "stop").await.unwrap();
    assert_eq!(info.code, 1000);
    assert_eq!(socket.ready_state(), 3);
    // For a while after, nothing more happens.
    gloo_timers::future::TimeoutFuture::new(1000).await;
    let mut later = Vec::new();
    while let Ok(event) = events.try_recv() {
        later.push(event);
    }
    assert!(
        later.iter().all(|e| !matches!(
            e,
            SocketEvent::Reconnecting { .. } | SocketEvent::Open { .. }
        )),
        "no retry after close(): {later:?}"
    );
    control("reset").await;
}

#[wasm_bindgen_test]
async fn exhausted_attempts_report_and_close() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    let (socket, mut events) = open_websocket(|o| {
        o.connection.backoff.initial_ms = 50;
        o.connection.backoff.max_attempts = Some(2);
    })
    .await;
    control("refuse?ms=4000").await;
    control("drop").await;
    wait_for(&mut events, "maxReconnectAttemptsReached", 8000, |e| {
        matches!(e, SocketEvent::MaxReconnectAttemptsReached).then_some(())
    })
    .await;
    wait_for(&mut events, "close", 3000, |e| {
        matches!(e, SocketEvent::Close(_)).then_some(())
    })
    .await;
    assert_eq!(socket.ready_state(), 3);
    control("reset").await;
}

#[wasm_bindgen_test]
async fn get_token_is_called_before_every_connect() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    let counter = js_sys::Function::new_no_args(
        "globalThis.__tokenCalls = (globalThis.__tokenCalls || 0) + 1;
         return Promise.resolve('token-' + globalThis.__tokenCalls);",
    );
    js_sys::Reflect::set(&js_sys::global(), &"__tokenCalls".into(), &JsValue::from(0)).unwrap();
    let (socket, mut events) = open_websocket(|o| o.token = TokenSource::Js(counter)).await;
    let calls = || {
        js_sys::Reflect::get(&js_sys::global(), &"__tokenCalls".into())
            .unwrap()
            .as_f64()
            .unwrap()
    };
    assert_eq!(calls(), 1.0);
    control("drop").await;
    wait_for(&mut events, "reconnected", 8000, |e| {
        matches!(e, SocketEvent::Reconnected { .. }).then_some(())
    })
    .await;
    assert_eq!(calls(), 2.0, "getToken() runs again on reconnect");
    socket.close(1000, "").await.unwrap();
}
