//! The harness of the adapter tests (`transport_*.rs`): an event sink with deadlines, an
//! `OpenRequest` builder, the server's control endpoint and stats, and the echo-in-order scenario
//! that every streams-based adapter must pass.

use crate::support::{get_str, server_config};
use futures::channel::mpsc;
use futures::{FutureExt, StreamExt};
use js_sys::{Array, Reflect};
use universal_socket::core::Payload;
use universal_socket::web::transport::{
    live_read_loops, EventSink, OpenRequest, Transport, TransportEvent,
};
use wasm_bindgen::{JsCast, JsValue};

pub const MIB: usize = 1024 * 1024;

/// The receiving end of an adapter's sink, with bounded waits. `Ending` (the announcement
/// before the terminal event, which only the core's close wait acts on) is checked (at most one
/// per connection) and skipped, so tests read the events an adapter reports as they were before.
pub struct TestSink {
    id: u64,
    receiver: mpsc::UnboundedReceiver<(u64, TransportEvent)>,
    /// The `Ending` this connection announced, if any.
    pub ending: Option<TransportEvent>,
    /// The code of the `Refused` the connection reported (this client refused a message of the
    /// server's), which makes the core end the socket for good, with that code whatever the
    /// `Closed` that follows says; at most once, and before `Ending`/`Closed`.
    pub refused: Option<u16>,
}

impl TestSink {
    /// The next event, or a panic naming `what` after `ms` milliseconds.
    pub async fn next(&mut self, what: &str, ms: u32) -> TransportEvent {
        match self.try_next(ms).await {
            Some(Some(event)) => event,
            Some(None) => panic!("the sink closed while waiting for {what}"),
            None => panic!("timed out after {ms} ms waiting for {what}"),
        }
    }

    /// `None` on timeout, `Some(None)` once every sender is gone.
    pub async fn try_next(&mut self, ms: u32) -> Option<Option<TransportEvent>> {
        let timeout = gloo_timers::future::TimeoutFuture::new(ms).fuse();
        let next = self.receiver.next().fuse();
        futures::pin_mut!(timeout, next);
        let item = futures::select! {
            item = next => item,
            _ = timeout => return None,
        };
        match item {
            Some((id, event)) => {
                assert_eq!(id, self.id, "event tagged with the wrong conn_id");
                if let TransportEvent::Refused { code, .. } = event {
                    assert!(self.refused.is_none(), "a second Refused");
                    assert!(self.ending.is_none(), "Refused after Ending");
                    self.refused = Some(code);
                    return Box::pin(self.try_next(ms)).await;
                }
                if matches!(event, TransportEvent::Ending { .. }) {
                    assert!(self.ending.is_none(), "a second {}", short(&event));
                    self.ending = Some(event);
                    return Box::pin(self.try_next(ms)).await;
                }
                Some(Some(event))
            }
            None => Some(None),
        }
    }

    /// The code and `was_clean` of the `Ending` this connection announced, if any.
    pub fn announced(&self) -> Option<(u16, bool)> {
        match &self.ending {
            Some(TransportEvent::Ending {
                code, was_clean, ..
            }) => Some((*code, *was_clean)),
            _ => None,
        }
    }

    /// Waits for `Opened` and returns its protocol and extensions.
    pub async fn opened(&mut self) -> (String, String) {
        match self.next("Opened", 10_000).await {
            TransportEvent::Opened {
                protocol,
                extensions,
            } => (protocol, extensions),
            other => panic!("expected Opened, got {}", short(&other)),
        }
    }

    /// Waits for the next message.
    pub async fn message(&mut self, what: &str) -> Payload {
        match self.next(what, 10_000).await {
            TransportEvent::Message(payload) => payload,
            other => panic!("expected a message ({what}), got {}", short(&other)),
        }
    }

    /// Waits for `Closed` (skipping messages still in flight) and returns it.
    pub async fn closed(&mut self, what: &str) -> (u16, String, bool) {
        loop {
            match self.next(what, 10_000).await {
                TransportEvent::Closed {
                    code,
                    reason,
                    was_clean,
                } => return (code, reason, was_clean),
                TransportEvent::Message(_) => continue,
                other => panic!("expected Closed ({what}), got {}", short(&other)),
            }
        }
    }
}

/// An event for assertion messages, without dumping megabytes of payload.
pub fn short(event: &TransportEvent) -> String {
    match event {
        TransportEvent::Message(p) => format!("Message({} bytes, text: {})", p.len(), p.is_text()),
        other => format!("{other:?}"),
    }
}

impl TestSink {
    /// Asserts that every sender is gone and nothing else is queued: the adapter was dropped
    /// (or ended) and none of its tasks still holds the sink.
    pub async fn assert_ended(&mut self, what: &str) {
        match self.try_next(1_000).await {
            Some(None) => {}
            Some(Some(event)) => panic!("{what}: unexpected {}", short(&event)),
            None => panic!("{what}: the sink is still open after 1 s"),
        }
    }
}

/// A sink whose reports the test reads, in order, from a channel. (The driver handles reports
/// synchronously; a test awaits them instead.)
pub fn channel_sink() -> (EventSink, mpsc::UnboundedReceiver<(u64, TransportEvent)>) {
    let (sender, receiver) = mpsc::unbounded();
    let sink = EventSink::new(move |conn_id, event| {
        let _ = sender.unbounded_send((conn_id, event));
    });
    (sink, receiver)
}

static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// An `OpenRequest` for `url` and the sink it reports into.
pub fn request(
    url: String,
    certificate_hashes: Vec<Vec<u8>>,
    max: usize,
) -> (OpenRequest, TestSink) {
    let (sink, receiver) = channel_sink();
    let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let request = OpenRequest {
        conn_id: id,
        url,
        protocols: Vec::new(),
        certificate_hashes,
        max_message_bytes: max,
        max_datagram_bytes: max,
        sink,
    };
    (
        request,
        TestSink {
            id,
            receiver,
            ending: None,
            refused: None,
        },
    )
}

pub fn hex_to_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

/// A recognisable binary payload.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

async fn fetch_json(url: &str, method: &str) -> JsValue {
    let window = web_sys::window().expect("a window");
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let response: web_sys::Response =
        crate::support::await_promise(window.fetch_with_str_and_init(url, &init), url, 5_000)
            .await
            .expect("fetch")
            .dyn_into()
            .expect("a Response");
    assert!(
        response.ok(),
        "{method} {url} answered {}",
        response.status()
    );
    crate::support::await_promise(response.json().expect("json()"), url, 5_000)
        .await
        .expect("JSON body")
}

/// `POST {control}/{action}`.
pub async fn post_control(action: &str) {
    let config = server_config().await;
    fetch_json(&format!("{}/{action}", get_str(&config, "control")), "POST").await;
}

/// `GET {control}/stats`.
pub async fn stats() -> JsValue {
    let config = server_config().await;
    fetch_json(&format!("{}/stats", get_str(&config, "control")), "GET").await
}

/// How many closes the server recorded for `transport` with this code and reason.
pub async fn recorded_closes(transport: &str, code: u16, reason: &str) -> usize {
    let closes: Array = Reflect::get(&stats().await, &"closes".into())
        .expect("closes")
        .dyn_into()
        .expect("closes is an array");
    closes
        .iter()
        .filter(|c| {
            let field = |k: &str| Reflect::get(c, &k.into()).unwrap_or(JsValue::UNDEFINED);
            field("transport").as_string().as_deref() == Some(transport)
                && field("code").as_f64() == Some(f64::from(code))
                && field("reason").as_string().as_deref() == Some(reason)
        })
        .count()
}

/// Live connections of `transport` on the server.
pub async fn live_on_server(transport: &str) -> f64 {
    let stats = stats().await;
    let connections = Reflect::get(&stats, &"connections".into()).expect("connections");
    Reflect::get(&connections, &transport.into())
        .expect("count")
        .as_f64()
        .expect("a number")
}

/// Polls until the server counts `expected` live connections of `transport` (bounded).
pub async fn wait_live_on_server(transport: &str, expected: f64) {
    for _ in 0..50 {
        if live_on_server(transport).await == expected {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(100).await;
    }
    panic!(
        "the server still counts {} live {transport} connections, expected {expected}",
        live_on_server(transport).await
    );
}

/// Sends text (unicode, empty), binary (empty, small, 1 MiB) and 20 more messages back to back to
/// an echo service, and checks every echo arrives whole and in order, and that
/// `buffered_amount()` counts the megabyte until it is written.
pub async fn echo_in_order(connection: &dyn Transport, sink: &mut TestSink) {
    let sent = vec![
        Payload::Text("héllo wörld — 日本語 🎉".into()),
        Payload::Text(String::new()),
        Payload::Binary(Vec::new()),
        Payload::Binary(vec![0, 1, 2, 255]),
        Payload::Binary(pattern(MIB)),
        Payload::Text("after the big one".into()),
    ];
    for payload in &sent {
        connection.send(payload.clone()).expect("send");
    }
    // Nothing can have been written yet: every byte just sent is still buffered.
    assert!(
        connection.buffered_amount() as usize >= MIB,
        "buffered_amount() = {} right after sending 1 MiB",
        connection.buffered_amount()
    );
    for i in 0..20 {
        connection
            .send(Payload::Text(format!("#{i}")))
            .expect("send");
    }
    for (i, expected) in sent.iter().enumerate() {
        let got = sink.message(&format!("echo #{i}")).await;
        // A 1 MiB message arrives whole although a stream delivers it in many chunks.
        assert!(
            got == *expected,
            "echo #{i} differs (len {} vs {})",
            got.len(),
            expected.len()
        );
    }
    for i in 0..20 {
        assert_eq!(
            sink.message("ordered echo").await,
            Payload::Text(format!("#{i}"))
        );
    }
    assert_eq!(connection.buffered_amount(), 0, "every write has completed");
}

/// The client closes with 4001 "bye": the adapter reports a clean `Closed` with that code and
/// reason, refuses later sends, and the server records exactly that close for `transport`.
pub async fn close_is_recorded(transport: &str, connection: &dyn Transport, sink: &mut TestSink) {
    let before = recorded_closes(transport, 4001, "bye").await;
    connection.close(4001, "bye");
    assert_eq!(
        sink.closed("Closed after close(4001)").await,
        (4001, "bye".into(), true)
    );
    assert!(
        connection.send(Payload::Text("late".into())).is_err(),
        "send after close"
    );
    assert_eq!(recorded_closes(transport, 4001, "bye").await, before + 1);
}

/// A WebSocket closed before it opened (an upgrade probe abandoned because the working link
/// dropped, a connect timeout, the application's `close()` while connecting) may already have
/// been accepted by the server, which then sees that close. It must see the code and reason the
/// client closed with: Chromium turns `close()` on a `CONNECTING` WebSocket into 1001 "going
/// away" once the handshake is through, and 1001 ends a resumable session (PROTOCOL.md §7), so an
/// abandoned probe that had already taken the session over ended it; Firefox drops the TCP
/// connection, and the server saw no code at all. The adapter reports the failure to open at
/// once and is dropped, as the driver does.
pub async fn close_before_open_is_recorded<C: Transport>(open: impl FnOnce(OpenRequest) -> C) {
    post_control("reset").await;
    let config = server_config().await;
    let (request, mut sink) = request(get_str(&config, "ws.echo"), Vec::new(), MIB);
    let connection = open(request);
    // In the same task as the constructor: the browser cannot have opened it yet.
    connection.close(4002, "upgrade abandoned");
    match sink.next("the failure to open", 5_000).await {
        TransportEvent::Failed(_) => {}
        other => panic!("close before open reported {}", short(&other)),
    }
    drop(connection);
    let mut recorded = 0;
    for _ in 0..30 {
        recorded = recorded_closes("websocket", 4002, "upgrade abandoned").await;
        if recorded > 0 {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(100).await;
    }
    let closes = Reflect::get(&stats().await, &"closes".into()).expect("closes");
    assert_eq!(
        recorded,
        1,
        "the server saw {}",
        js_sys::JSON::stringify(&closes)
            .map(String::from)
            .unwrap_or_default()
    );
}

/// `/control/drop` ends the connection without a close: an abnormal (1006) `Closed`, not `Failed`
/// (PROTOCOL.md §4.4).
pub async fn server_drop_reports_closed(sink: &mut TestSink) {
    post_control("drop").await;
    let (code, reason, clean) = sink.closed("Closed after /control/drop").await;
    assert_eq!((code, clean), (1006, false), "reason: {reason}");
}

/// Read loops alive once the previous test's dropped loops have settled (a dropped loop frees
/// its closures when its reader's cancellation settles).
pub async fn settled_read_loops() -> usize {
    gloo_timers::future::TimeoutFuture::new(200).await;
    live_read_loops()
}

/// Waits up to 3 s until exactly `n` read loops have live closures.
pub async fn wait_read_loops(n: usize, what: &str) {
    for _ in 0..30 {
        if live_read_loops() == n {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(100).await;
    }
    panic!(
        "{what}: {} read loops live, expected {n}",
        live_read_loops()
    );
}

/// A connection the server dropped frees its read loops' closures (and their handlers) when
/// the loops end, while the application still holds the connection; `loops` is how many it has
/// (checked, so that the counter is seen to count them).
pub async fn ended_loops_free_their_closures<C, F>(loops: usize, open: impl FnOnce() -> F)
where
    C: Transport,
    F: std::future::Future<Output = (C, TestSink)>,
{
    let before = settled_read_loops().await;
    let (connection, mut sink) = open().await;
    assert_eq!(live_read_loops(), before + loops, "read loops while open");
    server_drop_reports_closed(&mut sink).await;
    wait_read_loops(
        before,
        "after the server dropped the connection, still held",
    )
    .await;
    drop(connection);
    wait_read_loops(before, "after the connection was dropped").await;
}

/// Dropping an open connection with a write in flight and a read pending reports nothing more,
/// leaves no listener or read loop behind, and closes it on the server.
pub async fn drop_releases_everything<C, F>(transport: &str, open: impl FnOnce() -> F)
where
    C: Transport,
    F: std::future::Future<Output = (C, TestSink)>,
{
    let listeners = universal_socket::web::listener::live_listeners();
    let loops = settled_read_loops().await;
    let live = live_on_server(transport).await;
    let (connection, mut sink) = open().await;
    connection
        .send(Payload::Text("first".into()))
        .expect("send");
    assert_eq!(
        sink.message("the first echo").await,
        Payload::Text("first".into())
    );
    wait_live_on_server(transport, live + 1.0).await;
    connection
        .send(Payload::Binary(pattern(64 * 1024)))
        .expect("send");
    drop(connection);
    // The state holding the sink went with the connection, and no task kept a clone of it.
    sink.assert_ended("after drop").await;
    assert_eq!(universal_socket::web::listener::live_listeners(), listeners);
    wait_read_loops(loops, "after drop").await;
    // The connection was closed, so the server forgets it.
    wait_live_on_server(transport, live).await;
}
