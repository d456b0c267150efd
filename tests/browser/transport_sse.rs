//! The SSE adapter against the reference server. The scenarios are written once, generic over the
//! HTTP transports, and `transport_long_polling` runs them for long polling.

use crate::support::{get_str, server_config};
use crate::transport_support::{pattern, post_control, recorded_closes, stats};
use futures::channel::mpsc;
use futures::{FutureExt, StreamExt};
use js_sys::{Array, Reflect};
use universal_socket::core::{Payload, TransportKind};
use universal_socket::web::listener::live_listeners;
use universal_socket::web::transport::{self, OpenRequest, Transport, TransportEvent};
use wasm_bindgen::{JsCast, JsValue};
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

/// The endpoint of `service` on this transport, from `/config`.
pub async fn endpoint(kind: Kind, service: &str) -> String {
    get_str(
        &server_config().await,
        &format!("{}.{service}", kind.config),
    )
}

/// Opens an adapter on `service` with a sink the test reads.
pub async fn open(kind: Kind, service: &str, max: usize) -> (Box<dyn Transport>, Receiver) {
    open_url(kind.kind, endpoint(kind, service).await, max)
}

/// Opens an adapter of `kind` on `url` with a sink the test reads.
pub fn open_url(kind: TransportKind, url: String, max: usize) -> (Box<dyn Transport>, Receiver) {
    let (sink, events) = crate::transport_support::channel_sink();
    let request = OpenRequest {
        conn_id: CONN_ID,
        url,
        protocols: vec![],
        certificate_hashes: vec![],
        max_message_bytes: max,
        max_datagram_bytes: max,
        sink,
    };
    let adapter = transport::open(kind, request, false).expect("open");
    (adapter, events)
}

/// The next event other than `Buffered` (reported after every POST, checked on its own in
/// [`buffered_is_reported`]) and `Ending`, or `None` after `ms` (`Some(None)` when every sender
/// is gone).
pub async fn try_next(events: &mut Receiver, ms: u32) -> Option<Option<TransportEvent>> {
    loop {
        match try_next_any(events, ms).await {
            // `Ending` (a close the server acknowledged, announced before the downstream ends
            // it) only matters to the core's close wait; `Closed` follows.
            Some(Some(TransportEvent::Buffered(_) | TransportEvent::Ending { .. })) => continue,
            other => return other,
        }
    }
}

/// The next event, `Buffered` included.
pub async fn try_next_any(events: &mut Receiver, ms: u32) -> Option<Option<TransportEvent>> {
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

/// Waits for `Opened` and the `Buffered` report that must follow it at once; answers the
/// bytes it reports (what was sent while connecting).
pub async fn expect_opened(events: &mut Receiver) -> usize {
    assert_eq!(
        next(events, "Opened", 5000).await,
        TransportEvent::Opened {
            protocol: String::new(),
            extensions: String::new()
        }
    );
    match try_next_any(events, 100).await {
        Some(Some(TransportEvent::Buffered(bytes))) => bytes,
        other => panic!("expected Buffered right after Opened, got {other:?}"),
    }
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
    let refused = adapter.send(Payload::Text("after close".into()));
    assert_eq!(
        refused.map_err(|e| e.payload),
        Err(Payload::Text("after close".into())),
        "a send while closing comes back"
    );
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
    let sent = Payload::Text("more than ten bytes".into());
    adapter.send(sent.clone()).unwrap();
    // Said to be the client's refusal first (the core then ends the socket for good).
    assert!(matches!(
        next(&mut events, "Refused", 5000).await,
        TransportEvent::Refused { code: 1009, .. }
    ));
    let mut event = next(&mut events, "Closed 1009", 5000).await;
    if event == TransportEvent::Unconfirmed(vec![sent]) {
        // The echo can arrive before the POST's answer: the message is then unconfirmed.
        event = next(&mut events, "Closed 1009", 5000).await;
    }
    assert_eq!(
        event,
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
/// releases everything holding the sink, so no callback can outlive it. A message it still
/// held is handed back (`Unsent`), not lost.
pub async fn drop_releases_everything(kind: Kind) {
    let before = live_listeners();
    let (adapter, mut events) = open(kind, "echo", 16 * MIB).await;
    expect_opened(&mut events).await;
    adapter.send(Payload::Text("queued".into())).unwrap();
    drop(adapter);
    assert_eq!(live_listeners(), before, "listeners left after drop");
    assert_eq!(
        next(&mut events, "the queued message handed back", 2000).await,
        TransportEvent::Unsent(vec![Payload::Text("queued".into())])
    );
    match try_next(&mut events, 2000).await {
        Some(None) => {}
        Some(Some(event)) => panic!("event after drop: {event:?}"),
        None => panic!("something still holds the event sink 2 s after drop"),
    }
}

/// The auth token goes in the endpoint's query (`?token=…`): the session POSTs, the poll and
/// the close must splice their path before it and keep it (issue 7.1: the server answered 405).
pub async fn token_query_is_kept(kind: Kind) {
    post_control("reset").await;
    let url = format!("{}?token=t%2F0%20k", endpoint(kind, "echo").await);
    let (adapter, mut events) = open_url(kind.kind, url, 16 * MIB);
    expect_opened(&mut events).await;
    let sent = [
        Payload::Text("with a token".into()),
        Payload::Binary(vec![1, 2]),
    ];
    for message in &sent {
        adapter.send(message.clone()).expect("send");
    }
    for message in &sent {
        assert_eq!(
            next(&mut events, "echo", 5000).await,
            TransportEvent::Message(message.clone())
        );
    }
    adapter.close(4003, "token");
    assert_eq!(
        next(&mut events, "Closed", 5000).await,
        TransportEvent::Closed {
            code: 4003,
            reason: "token".into(),
            was_clean: true
        }
    );
    assert!(
        recorded(kind, 4003, "token").await,
        "the close was recorded"
    );
    let tokens: Array = Reflect::get(&stats().await, &"tokens".into())
        .expect("tokens")
        .dyn_into()
        .expect("an array");
    let presented = tokens.iter().any(|t| {
        let field = |k: &str| Reflect::get(&t, &k.into()).unwrap_or(JsValue::UNDEFINED);
        field("transport").as_string().as_deref() == Some(kind.server_name)
            && field("token").as_string().as_deref() == Some("t/0 k")
    });
    assert!(presented, "the server saw the token");
}

/// No reason the adapter gives names the token of its URL's query: neither a failure to open
/// (the transport is disabled) nor the end of a connection whose upstream POST fails.
pub async fn reasons_carry_no_token(kind: Kind) {
    const TOKEN: &str = "s3cret";
    let url = format!("{}?token={TOKEN}", endpoint(kind, "echo").await);
    let name = kind.server_name;
    post_control(&format!("transport/{name}/disable")).await;
    let (_refused, mut events) = open_url(kind.kind, url.clone(), MIB);
    let event = next(&mut events, "Failed", 5000).await;
    post_control(&format!("transport/{name}/enable")).await;
    match event {
        TransportEvent::Failed(reason) => assert!(!reason.contains(TOKEN), "{reason}"),
        other => panic!("expected Failed, got {other:?}"),
    }
    let (adapter, mut events) = open_url(kind.kind, url, MIB);
    expect_opened(&mut events).await;
    post_control("drop").await;
    // Long polling: this POST finds the session gone (404) unless the poll noticed first.
    let _ = adapter.send(Payload::Text("after the drop".into()));
    loop {
        match next(&mut events, "Closed", 5000).await {
            TransportEvent::Closed { reason, .. } => {
                assert!(!reason.contains(TOKEN), "{reason}");
                break;
            }
            TransportEvent::Unsent(_) | TransportEvent::Unconfirmed(_) => {}
            other => panic!("expected Closed, got {other:?}"),
        }
    }
}

/// `Buffered` follows `Opened` at once, and falls back to 0 once the server confirmed the POSTs.
pub async fn buffered_is_reported(kind: Kind) {
    let (adapter, mut events) = open(kind, "echo", 16 * MIB).await;
    // Sent while connecting: reported as buffered at open.
    adapter.send(Payload::Binary(pattern(1000))).unwrap();
    let at_open = expect_opened(&mut events).await;
    assert!(at_open <= 1000, "{at_open}");
    let mut echoed = false;
    let mut last = None;
    while !(echoed && last == Some(0)) {
        match try_next_any(&mut events, 5000).await {
            Some(Some(TransportEvent::Buffered(bytes))) => last = Some(bytes),
            Some(Some(TransportEvent::Message(_))) => echoed = true,
            other => panic!("expected the echo and Buffered(0), got {other:?}"),
        }
    }
    assert_eq!(adapter.buffered_amount(), 0);
}

/// A connection cut with a backlog loses nothing silently: every message sent is confirmed by
/// the server (the `Buffered` reports count down by exactly those bytes), or handed back as
/// `Unconfirmed` (its POST got no answer) or `Unsent` (never posted), in order, before the
/// terminal `Closed`; and a send after the end comes back in the error.
pub async fn nothing_vanishes_when_cut(kind: Kind) {
    const SIZE: usize = 4096;
    let (adapter, mut events) = open(kind, "echo", 16 * MIB).await;
    expect_opened(&mut events).await;
    // 3 MiB in 4 KiB messages: several POSTs, so some are still queued when the cut comes.
    let count = 768u32;
    for i in 0..count {
        let mut bytes = pattern(SIZE);
        bytes[..4].copy_from_slice(&i.to_be_bytes());
        adapter.send(Payload::Binary(bytes)).expect("send");
    }
    post_control("drop").await;
    let id = |p: &Payload| match p {
        Payload::Binary(b) => u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        Payload::Text(t) => panic!("unexpected text {t:?}"),
    };
    let (mut echoed, mut handed_back) = (Vec::new(), Vec::new());
    let (mut unconfirmed, mut unsent) = (0, 0);
    // What the adapter still holds: only confirmed POSTs make it fall.
    let mut buffered = count as usize * SIZE;
    loop {
        match try_next_any(&mut events, 15_000).await {
            Some(Some(TransportEvent::Buffered(bytes))) if handed_back.is_empty() => {
                buffered = bytes
            }
            Some(Some(TransportEvent::Message(p))) => echoed.push(id(&p)),
            Some(Some(TransportEvent::Unconfirmed(ps))) if unsent == 0 => {
                unconfirmed += ps.len();
                handed_back.extend(ps.iter().map(id));
            }
            Some(Some(TransportEvent::Unsent(ps))) => {
                unsent += ps.len();
                handed_back.extend(ps.iter().map(id));
            }
            Some(Some(TransportEvent::Closed {
                code: 1006,
                was_clean: false,
                ..
            })) => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    let confirmed = count - (buffered / SIZE) as u32;
    assert!(
        !handed_back.is_empty(),
        "the cut came after every POST ({confirmed} confirmed): nothing was tested"
    );
    // The server confirmed a prefix; everything after it came back, once and in order
    // (unconfirmed first, then unsent).
    assert_eq!(
        handed_back,
        (confirmed..count).collect::<Vec<_>>(),
        "{confirmed} confirmed, {unconfirmed} unconfirmed, {unsent} unsent"
    );
    assert!(
        echoed.windows(2).all(|w| w[0] < w[1]),
        "echoes out of order"
    );
    let first_unsent = count - unsent as u32;
    assert!(
        echoed.iter().all(|&i| i < first_unsent),
        "an unsent message was echoed"
    );
    assert_eq!(adapter.buffered_amount(), 0, "everything was handed back");
    match adapter.send(Payload::Text("late".into())) {
        Err(e) => assert_eq!(e.payload, Payload::Text("late".into())),
        Ok(()) => panic!("a send after the end was taken"),
    }
    assert!(matches!(
        try_next(&mut events, 300).await,
        None | Some(None)
    ));
}

/// The endpoint of a hostile fixture of the reference server (PROTOCOL.md §8).
async fn hostile(kind: Kind, case: &str) -> String {
    endpoint(kind, "echo")
        .await
        .replace("/echo", &format!("/hostile-{case}"))
}

/// A session id that is not 32 lowercase hex characters (here a path with a query) is never
/// spliced into a URL: the connection fails, saying why.
pub async fn hostile_session_id_fails(kind: Kind) {
    let (_adapter, mut events) = open_url(kind.kind, hostile(kind, "session").await, MIB);
    match next(&mut events, "Failed", 5000).await {
        TransportEvent::Failed(reason) => assert!(
            reason.contains("32 lowercase hex") && !reason.contains("control"),
            "{reason}"
        ),
        other => panic!("expected Failed, got {other:?}"),
    }
}

/// A 4 MiB message (SSE: an event; long polling: a poll answer) against a 1000-byte maximum
/// closes with 1009, without a trap.
pub async fn hostile_big_message_closes_1009(kind: Kind) {
    let (_adapter, mut events) = open_url(kind.kind, hostile(kind, "big").await, 1000);
    expect_opened(&mut events).await;
    assert!(matches!(
        next(&mut events, "Refused", 10_000).await,
        TransportEvent::Refused { code: 1009, .. }
    ));
    match next(&mut events, "Closed 1009", 10_000).await {
        TransportEvent::Closed {
            code: 1009,
            was_clean: false,
            ..
        } => {}
        other => panic!(
            "expected Closed 1009, got {}",
            crate::transport_support::short(&other)
        ),
    }
}

/// The `endless` fixture: a streamed answer that never ends closes the connection with 1009
/// well before the fixture's 20 s, so the size was counted while reading.
pub async fn hostile_endless_answer_closes_1009(kind: Kind) {
    let (_adapter, mut events) = open_url(kind.kind, hostile(kind, "endless").await, 1000);
    expect_opened(&mut events).await;
    assert!(matches!(
        next(&mut events, "Refused", 8_000).await,
        TransportEvent::Refused { code: 1009, .. }
    ));
    match next(&mut events, "Closed 1009 while the answer streams", 8_000).await {
        TransportEvent::Closed { code: 1009, .. } => {}
        other => panic!(
            "expected Closed 1009, got {}",
            crate::transport_support::short(&other)
        ),
    }
}

/// A server close reason of 600 bytes is cut to 123 bytes at most, on a character boundary.
pub async fn hostile_close_reason_is_capped(kind: Kind) {
    let (_adapter, mut events) = open_url(kind.kind, hostile(kind, "reason").await, MIB);
    expect_opened(&mut events).await;
    assert_eq!(
        next(&mut events, "Closed 4000", 5000).await,
        TransportEvent::Closed {
            code: 4000,
            reason: "é".repeat(61),
            was_clean: true
        }
    );
}

/// A server close with a code no server may send (0) is a protocol error, as a browser's
/// WebSocket makes it: 1002, not clean, saying why; not a close "with code 0".
pub async fn hostile_invalid_close_code_is_a_protocol_error(kind: Kind) {
    let (_adapter, mut events) = open_url(kind.kind, hostile(kind, "bad-code").await, MIB);
    expect_opened(&mut events).await;
    assert_eq!(
        next(&mut events, "Closed 1002", 5000).await,
        TransportEvent::Closed {
            code: 1002,
            reason: "the server closed with a code no server may send (0)".into(),
            was_clean: false
        }
    );
}

/// Sends `count` 64-byte text messages at once on `adapter` (an echo connection) and answers
/// the messages per second until the last echo is back, checking order.
async fn echo_rate(adapter: &dyn Transport, events: &mut Receiver, count: usize) -> f64 {
    let now = js_sys::Date::now;
    let message = |i: usize| Payload::Text(format!("{i:064}"));
    // One deadline for the whole run: a timer per message would cost more than a message.
    let deadline = gloo_timers::future::TimeoutFuture::new(30_000).fuse();
    futures::pin_mut!(deadline);
    let start = now();
    for i in 0..count {
        adapter.send(message(i)).expect("send");
    }
    let mut received = 0;
    while received < count {
        let event = futures::select! {
            event = events.next() => event,
            _ = deadline => panic!("only {received} of {count} echoes within 30 s"),
        };
        match event.map(|(_, event)| event) {
            Some(TransportEvent::Message(payload)) => {
                assert_eq!(payload, message(received), "echo {received}");
                received += 1;
            }
            Some(TransportEvent::Buffered(_)) => {}
            other => panic!("expected echo {received}, got {other:?}"),
        }
    }
    count as f64 / ((now() - start).max(1.0) / 1000.0)
}

/// Upstream throughput (issue 7.12): one POST at a time, one message each, managed 70–370
/// messages/s; batched POSTs must keep within 2× of WebSocket for 64-byte messages. Both are
/// measured here on the same server and printed.
pub async fn keeps_up_with_websocket(kind: Kind) {
    const COUNT: usize = 5000;
    let (adapter, mut events) = open(kind, "echo", MIB).await;
    expect_opened(&mut events).await;
    let http_rate = echo_rate(adapter.as_ref(), &mut events, COUNT).await;
    adapter.close(1000, "");
    let ws_url = get_str(&server_config().await, "ws.echo");
    let (ws, mut ws_events) = open_url(TransportKind::WebSocket, ws_url, MIB);
    assert!(matches!(
        next(&mut ws_events, "WebSocket Opened", 5000).await,
        TransportEvent::Opened { .. }
    ));
    let ws_rate = echo_rate(ws.as_ref(), &mut ws_events, COUNT).await;
    wasm_bindgen_test::console_log!(
        "{COUNT} × 64-byte echoes: {} {http_rate:.0} msg/s, websocket {ws_rate:.0} msg/s \
         (ratio {:.2})",
        kind.server_name,
        ws_rate / http_rate
    );
    assert!(
        http_rate * 2.0 >= ws_rate,
        "{}: {http_rate:.0} msg/s, less than half of WebSocket's {ws_rate:.0}",
        kind.server_name
    );
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

#[wasm_bindgen_test]
async fn transport_sse_token_query_is_kept() {
    let _server = crate::support::exclusive().await;
    token_query_is_kept(SSE).await;
}

#[wasm_bindgen_test]
async fn transport_sse_buffered_is_reported() {
    let _server = crate::support::exclusive().await;
    buffered_is_reported(SSE).await;
}

#[wasm_bindgen_test]
async fn transport_sse_nothing_vanishes_when_cut() {
    let _server = crate::support::exclusive().await;
    nothing_vanishes_when_cut(SSE).await;
}

#[wasm_bindgen_test]
async fn transport_sse_hostile_session_id_fails() {
    hostile_session_id_fails(SSE).await;
}

/// A server that breaks the protocol after the open (a second `session` event that is not
/// JSON) ends the connection like a drop: `Closed` 1006, so the core reconnects. (The failure
/// was once swallowed after open: no event, a dead connection.)
#[wasm_bindgen_test]
async fn transport_sse_hostile_second_session_event_closes_1006() {
    let (_adapter, mut events) = open_url(SSE.kind, hostile(SSE, "session-twice").await, MIB);
    expect_opened(&mut events).await;
    match next(&mut events, "Closed 1006", 5000).await {
        TransportEvent::Closed {
            code: 1006,
            reason,
            was_clean: false,
        } => assert!(reason.contains("not JSON"), "{reason}"),
        other => panic!(
            "expected Closed 1006, got {}",
            crate::transport_support::short(&other)
        ),
    }
}

/// A server's own event named `error` (EventSource dispatches it to the `error` listeners, as a
/// MessageEvent) is not the stream failing: it is ignored like any event name the protocol does
/// not use, and the message after it is delivered. Before, it ended the connection ("the SSE
/// event stream ended without a close event") and the message was lost.
#[wasm_bindgen_test]
async fn transport_sse_a_server_event_named_error_is_not_a_failure() {
    let (_adapter, mut events) = open_url(SSE.kind, hostile(SSE, "error-event").await, MIB);
    expect_opened(&mut events).await;
    assert_eq!(
        next(&mut events, "the message after the error event", 5000).await,
        TransportEvent::Message(Payload::Text("after the error event".into()))
    );
    // The fixture's stream then ends: that is the drop.
    assert!(matches!(
        next(&mut events, "Closed 1006", 5000).await,
        TransportEvent::Closed { code: 1006, .. }
    ));
}

#[wasm_bindgen_test]
async fn transport_sse_hostile_big_message_closes_1009() {
    hostile_big_message_closes_1009(SSE).await;
}

#[wasm_bindgen_test]
async fn transport_sse_hostile_close_reason_is_capped() {
    hostile_close_reason_is_capped(SSE).await;
}

#[wasm_bindgen_test]
async fn transport_sse_hostile_invalid_close_code_is_a_protocol_error() {
    hostile_invalid_close_code_is_a_protocol_error(SSE).await;
}

#[wasm_bindgen_test]
async fn transport_sse_keeps_up_with_websocket() {
    let _server = crate::support::exclusive().await;
    keeps_up_with_websocket(SSE).await;
}

#[wasm_bindgen_test]
async fn transport_sse_reasons_carry_no_token() {
    let _server = crate::support::exclusive().await;
    reasons_carry_no_token(SSE).await;
}

/// A text of 8 Mi "€" (24 MiB of UTF-8) against the default 16 MiB maximum: its UTF-16 length
/// is under the maximum, its UTF-8 over it. It closes with 1009 without being copied into wasm
/// (whose memory grows by much less than the text): it is measured in JS, as the WebSocket
/// adapters do. Before, it was copied (24 MiB: up to 3 × the maximum) and refused after; wasm
/// memory grew by that much (shown by this test run alone), unless an earlier test in the same
/// instance had left that much free, which a text this large makes unlikely.
pub async fn non_ascii_text_over_the_maximum_is_not_copied(kind: Kind) {
    let before = crate::support::wasm_memory_bytes();
    let (_adapter, mut events) = open_url(kind.kind, hostile(kind, "big-accented").await, 16 * MIB);
    expect_opened(&mut events).await;
    assert!(matches!(
        next(&mut events, "Refused", 10_000).await,
        TransportEvent::Refused { code: 1009, .. }
    ));
    let grown = crate::support::wasm_memory_bytes() - before;
    assert!(
        grown < 2 * MIB,
        "wasm memory grew by {grown} bytes: the text was copied before its size was checked"
    );
}

#[wasm_bindgen_test]
async fn transport_sse_non_ascii_text_over_the_maximum_is_not_copied() {
    non_ascii_text_over_the_maximum_is_not_copied(SSE).await;
}
