//! The SSE adapter against the reference server. The scenarios are written once, generic over the
//! HTTP transports, and `transport_long_polling` runs them for long polling.

use crate::support::{get_str, server_config};
use crate::transport_support::{pattern, post_control, recorded_closes};
use futures::channel::mpsc;
use futures::{FutureExt, StreamExt};
use universal_socket::core::{Payload, TransportKind};
use universal_socket::web::listener::live_listeners;
use universal_socket::web::transport::{self, OpenRequest, Transport, TransportEvent};
use wasm_bindgen_test::wasm_bindgen_test;

pub type Receiver = mpsc::UnboundedReceiver<(u64, TransportEvent)>;

const CONN_ID: u64 = 7;
const MIB: usize = 1024 * 1024;

/// Config keys and server names of one HTTP transport.
#[derive(Clone, Copy)]
pub struct Kind {
    pub kind: TransportKind,
    /// Key prefix in `/config` (`sse`, `poll`).
    pub config: &'static str,
    /// Name in `/control/transport/...` and in `/control/stats` (`sse`, `long-polling`).
    pub server_name: &'static str,
}

pub const SSE: Kind = Kind {
    kind: TransportKind::Sse,
    config: "sse",
    server_name: "sse",
};

/// Opens an adapter on `service` with a sink the test reads.
pub async fn open(kind: Kind, service: &str, max: usize) -> (Box<dyn Transport>, Receiver) {
    let config = server_config().await;
    let (sink, events) = mpsc::unbounded();
    let request = OpenRequest {
        conn_id: CONN_ID,
        url: get_str(&config, &format!("{}.{service}", kind.config)),
        protocols: vec![],
        certificate_hashes: vec![],
        max_message_bytes: max,
        sink,
    };
    let adapter = transport::open(kind.kind, request, false).expect("open");
    (adapter, events)
}

/// The next event, or `None` after `ms` (or when every sender is gone: `Some(None)`).
pub async fn try_next(events: &mut Receiver, ms: u32) -> Option<Option<TransportEvent>> {
    let timeout = gloo_timers::future::TimeoutFuture::new(ms).fuse();
    let next = events.next().fuse();
    futures::pin_mut!(timeout, next);
    futures::select! {
        event = next => Some(event.map(|(id, event)| {
            assert_eq!(id, CONN_ID, "event tagged with the connection's id");
            event
        })),
        _ = timeout => None,
    }
}

/// The next event, or a panic naming `what`.
pub async fn next(events: &mut Receiver, what: &str, ms: u32) -> TransportEvent {
    match try_next(events, ms).await {
        Some(Some(event)) => event,
        Some(None) => panic!("event stream ended while waiting for {what}"),
        None => panic!("timed out after {ms} ms waiting for {what}"),
    }
}

pub async fn expect_opened(events: &mut Receiver) {
    assert_eq!(
        next(events, "Opened", 5000).await,
        TransportEvent::Opened {
            protocol: String::new(),
            extensions: String::new()
        }
    );
}

/// Whether `/control/stats` lists a client close of this transport with `code` and `reason`.
pub async fn recorded(kind: Kind, code: u16, reason: &str) -> bool {
    recorded_closes(kind.server_name, code, reason).await > 0
}

/// Text (multi-line, unicode, empty) and binary (empty, every byte, 1 MiB) echo back in order.
pub async fn echoes_in_order(kind: Kind) {
    let (adapter, mut events) = open(kind, "echo", 16 * MIB).await;
    expect_opened(&mut events).await;
    let mut messages = vec![
        Payload::Text("hello".into()),
        Payload::Binary((0..=255).collect()),
        Payload::Text("line one\nline two\n\nline four\n".into()),
        Payload::Binary(vec![]),
        Payload::Text("héllo wörld ✓ 🦀 日本語".into()),
        Payload::Text(String::new()),
        Payload::Binary(pattern(MIB)),
        Payload::Text(" leading space, data: and event: inside".into()),
    ];
    if kind.kind != TransportKind::Sse {
        // Firefox's EventSource drops U+0000, so SSE cannot carry it (like CR, see PROTOCOL.md).
        messages.push(Payload::Text("nul \u{0} inside".into()));
    }
    for message in &messages {
        adapter.send(message.clone()).expect("send");
    }
    assert!(
        adapter.buffered_amount() as usize >= MIB,
        "the queued MiB counts in buffered_amount ({})",
        adapter.buffered_amount()
    );
    for (i, message) in messages.iter().enumerate() {
        match next(&mut events, &format!("echo #{i}"), 15_000).await {
            TransportEvent::Message(echoed) => assert!(
                echoed == *message,
                "echo #{i} differs: sent {} bytes ({}), got {} bytes ({})",
                message.len(),
                if message.is_text() { "text" } else { "binary" },
                echoed.len(),
                if echoed.is_text() { "text" } else { "binary" },
            ),
            other => panic!("expected echo #{i}, got {other:?}"),
        }
    }
    // The last POST's answer may come after its echo, so `buffered_amount` may lag a little.
    for _ in 0..20 {
        if adapter.buffered_amount() == 0 {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    assert_eq!(
        adapter.buffered_amount(),
        0,
        "nothing queued once every POST answered"
    );
    adapter.close(1000, "done");
    assert!(matches!(
        next(&mut events, "Closed", 5000).await,
        TransportEvent::Closed { code: 1000, .. }
    ));
}

/// A client close reaches the server with its code and reason.
pub async fn client_close_is_recorded(kind: Kind) {
    let (adapter, mut events) = open(kind, "echo", 16 * MIB).await;
    expect_opened(&mut events).await;
    adapter.send(Payload::Text("before close".into())).unwrap();
    adapter.close(4001, "bye");
    assert!(adapter.send(Payload::Text("after close".into())).is_err());
    assert_eq!(
        next(&mut events, "the echo sent before close", 5000).await,
        TransportEvent::Message(Payload::Text("before close".into()))
    );
    assert_eq!(
        next(&mut events, "Closed", 5000).await,
        TransportEvent::Closed {
            code: 4001,
            reason: "bye".into(),
            was_clean: true
        }
    );
    assert!(
        recorded(kind, 4001, "bye").await,
        "the server recorded the {} close 4001 bye",
        kind.server_name
    );
    // Nothing more after Closed.
    assert!(matches!(
        try_next(&mut events, 300).await,
        None | Some(None)
    ));
}

/// `/control/drop` cuts the connection: Closed 1006 (never Failed), promptly.
pub async fn server_drop_is_closed(kind: Kind) {
    let (adapter, mut events) = open(kind, "echo", 16 * MIB).await;
    expect_opened(&mut events).await;
    post_control("drop").await;
    match next(&mut events, "Closed after /control/drop", 5000).await {
        TransportEvent::Closed {
            code: 1006,
            was_clean: false,
            ..
        } => {}
        other => panic!("expected Closed 1006, got {other:?}"),
    }
    assert!(adapter.send(Payload::Text("late".into())).is_err());
}

/// A disabled transport fails to open (Failed, not Closed).
pub async fn disabled_transport_fails(kind: Kind) {
    let name = kind.server_name;
    post_control(&format!("transport/{name}/disable")).await;
    let (adapter, mut events) = open(kind, "echo", 16 * MIB).await;
    let event = try_next(&mut events, 5000).await;
    // Undo before asserting, so a failure here cannot leave the transport disabled for other
    // tests; re-enabling only this transport leaves faults set by concurrent tests alone.
    post_control(&format!("transport/{name}/enable")).await;
    match event {
        Some(Some(TransportEvent::Failed(reason))) => {
            // fetch sees the status; EventSource does not expose it.
            if kind.kind == TransportKind::LongPolling {
                assert!(
                    reason.contains("HTTP 503"),
                    "reason names the status: {reason}"
                );
            }
        }
        other => panic!("expected Failed while {name} is disabled, got {other:?}"),
    }
    drop(adapter);
}

/// A message larger than `max_message_bytes` closes with 1009.
pub async fn too_big_closes_1009(kind: Kind) {
    let (adapter, mut events) = open(kind, "echo", 10).await;
    expect_opened(&mut events).await;
    adapter
        .send(Payload::Text("more than ten bytes".into()))
        .unwrap();
    assert_eq!(
        next(&mut events, "Closed 1009", 5000).await,
        TransportEvent::Closed {
            code: 1009,
            reason: "message too big".into(),
            was_clean: false
        }
    );
    if kind.kind == TransportKind::Sse {
        // SSE ends the session by closing the EventSource (the server sees an abrupt end).
        return;
    }
    // Long polling tells the server why (best effort, not awaited by the adapter), as a
    // WebSocket would.
    let mut told = false;
    for _ in 0..20 {
        if recorded(kind, 1009, "message too big").await {
            told = true;
            break;
        }
        gloo_timers::future::TimeoutFuture::new(100).await;
    }
    assert!(told, "the server recorded the 1009 close");
    drop(adapter);
}

/// Dropping an open adapter (long polling: with a poll pending) detaches its listeners and
/// releases everything holding the sink, so no callback can outlive it.
pub async fn drop_releases_everything(kind: Kind) {
    let before = live_listeners();
    let (adapter, mut events) = open(kind, "echo", 16 * MIB).await;
    expect_opened(&mut events).await;
    adapter.send(Payload::Text("in flight".into())).unwrap();
    drop(adapter);
    assert_eq!(live_listeners(), before, "listeners left after drop");
    match try_next(&mut events, 2000).await {
        Some(None) => {}
        Some(Some(event)) => panic!("event after drop: {event:?}"),
        None => panic!("something still holds the event sink 2 s after drop"),
    }
}

#[wasm_bindgen_test]
async fn transport_sse_echoes_in_order() {
    let _server = crate::support::exclusive().await;
    echoes_in_order(SSE).await;
}

#[wasm_bindgen_test]
async fn transport_sse_client_close_is_recorded() {
    let _server = crate::support::exclusive().await;
    client_close_is_recorded(SSE).await;
}

#[wasm_bindgen_test]
async fn transport_sse_server_drop_is_closed() {
    let _server = crate::support::exclusive().await;
    server_drop_is_closed(SSE).await;
}

#[wasm_bindgen_test]
async fn transport_sse_disabled_fails() {
    let _server = crate::support::exclusive().await;
    disabled_transport_fails(SSE).await;
}

#[wasm_bindgen_test]
async fn transport_sse_too_big_closes_1009() {
    let _server = crate::support::exclusive().await;
    too_big_closes_1009(SSE).await;
}

#[wasm_bindgen_test]
async fn transport_sse_drop_releases_everything() {
    let _server = crate::support::exclusive().await;
    drop_releases_everything(SSE).await;
}
