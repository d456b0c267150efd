//! Browser transport adapters: one per transport, all behind [`Transport`].
//!
//! An adapter only moves messages: it opens the underlying JS object, reports what happens as
//! [`TransportEvent`]s to an [`EventSink`] tagged with its `conn_id`, and sends what it is told. Every
//! decision (timeouts, fallback, reconnection, heartbeat) belongs to the sans-IO core. Dropping an
//! adapter detaches every listener, aborts pending fetches and cancels stream readers, so a replaced
//! connection can neither leak closures nor call back. What an adapter may report, and in which
//! order, is kept by one `Reporter` (`event_rules.rs`) that every adapter reports through.
// A build without some adapters (cargo features) leaves some shared rules and helpers
// (`event_rules`, `stream_support`) unused; the linker drops them.
#![cfg_attr(
    not(all(
        feature = "webtransport",
        feature = "websocket-stream",
        feature = "sse",
        feature = "long-polling"
    )),
    allow(dead_code)
)]

mod event_rules;
#[cfg(any(feature = "sse", feature = "long-polling"))]
mod http_shared;
#[cfg(feature = "long-polling")]
pub mod long_polling;
#[cfg(feature = "sse")]
pub mod sse;
mod stream_support;
pub mod websocket;
#[cfg(feature = "websocket-stream")]
pub mod websocket_stream;
#[cfg(feature = "webtransport")]
pub mod webtransport;

pub use stream_support::live_read_loops;

use crate::core::text::concat;
use crate::core::{Payload, TransportKind};
use crate::prelude::*;
use std::rc::Rc;

/// What an adapter reports about its connection.
#[derive(Debug, Clone, PartialEq)]
pub enum TransportEvent {
    /// The connection is open. `protocol` and `extensions` are the negotiated WebSocket values
    /// (empty elsewhere).
    Opened {
        /// The subprotocol the WebSocket server chose ("" if none, and on other transports).
        protocol: String,
        /// The WebSocket extensions the server accepted ("" on other transports).
        extensions: String,
    },
    /// One whole message from the server.
    Message(Payload),
    /// One WebTransport datagram from the server (outside any session: see
    /// `Connection::handle_datagram`).
    #[cfg(feature = "webtransport")]
    Datagram(Vec<u8>),
    /// The connection could not be opened; the reason is for humans (it ends up in `fallback` events
    /// and in the error `connect()` rejects with).
    Failed(String),
    /// This client refused a message of the server's (over `max_message_bytes`, or of a type it
    /// cannot read) and is ending the connection for it: `Ending` or `Closed` follows, with the
    /// refusal's code, not clean. The core then ends the socket for good, with this outcome if
    /// the end does not come (`Connection::handle_transport_refused`). At most once, only while
    /// open (a message too big during the client's own close is dropped instead).
    Refused {
        /// 1009 (over the maximum) or 1003 (a type this client cannot read).
        code: u16,
        /// Why, for humans.
        reason: String,
    },
    /// The open connection ended (cleanly or not). Sent at most once, and never after `Failed`.
    Closed {
        /// The close code (1006 when the connection died without a close handshake).
        code: u16,
        /// The close reason, or what went wrong, for humans.
        reason: String,
        /// Whether the close handshake completed.
        was_clean: bool,
    },
    /// The open connection has ended with this outcome, but the adapter is still finishing:
    /// delivering what the server sent before its close (`Message`s may follow), finding out
    /// why it ended, or letting a close frame leave. `Closed` follows; the core gives up waiting
    /// for it after its close wait (`core::closing`) and then takes this outcome. So an adapter
    /// never needs a timer of its own for a browser promise that may not settle.
    Ending {
        /// The close code to report if nothing better is learned.
        code: u16,
        /// The close reason, for humans.
        reason: String,
        /// Whether the close handshake completed.
        was_clean: bool,
    },
    /// Messages accepted by `send` that certainly never reached the server (still queued in the
    /// adapter or the browser when the connection died). The core queues them again, in order,
    /// for the next connection. Sent before the terminal `Closed`/`Failed`, which must follow:
    /// the core holds every later send until then (as it does after a refused `send`).
    Unsent(Vec<Payload>),
    /// Messages accepted by `send` that may or may not have reached the server (an upstream POST
    /// whose answer never came, a write whose promise rejected). Resending could duplicate them,
    /// so the application gets them in an `undelivered` event. Sent before the terminal event.
    Unconfirmed(Vec<Payload>),
    /// The adapter's upstream buffer now holds this many bytes. Adapters that buffer by themselves
    /// (SSE, long polling) report it at open and whenever it falls, so the core can hold messages
    /// in its bounded queue (with its overflow policy) instead of growing the adapter's buffer.
    /// Adapters that never send it are never held back.
    Buffered(usize),
}

/// Messages accepted by `send` that did not (or may not) reach the server, in send order.
#[derive(Debug, Default, PartialEq)]
pub struct Lost {
    /// May or may not have reached the server: the application decides (`undelivered`).
    pub unconfirmed: Vec<Payload>,
    /// Certainly never reached the server: the core sends them again.
    pub unsent: Vec<Payload>,
}

impl Lost {
    /// True when nothing was lost, so there is nothing to report or to queue again.
    pub fn is_empty(&self) -> bool {
        self.unconfirmed.is_empty() && self.unsent.is_empty()
    }
}

/// Where adapters report their events, tagged with their `conn_id`. The driver handles a report
/// synchronously, in the adapter's callback (no channel or task hop per message), so an adapter
/// must not hold a borrow of its own state while it reports: the driver may call back into it
/// (a listener that sends or closes). And after any report the adapter may already be dropped
/// (a `Closed` drops it at once): do the remaining work first (e.g. WebTransport answers a close
/// frame before reporting `Closed`), and only read state through a `Weak` after a report.
#[derive(Clone)]
pub struct EventSink(Rc<dyn Fn(u64, TransportEvent)>);

impl EventSink {
    /// A sink that hands every report to `handle`.
    pub fn new(handle: impl Fn(u64, TransportEvent) + 'static) -> Self {
        EventSink(Rc::new(handle))
    }

    /// Reports `event` of connection `conn_id`.
    pub fn report(&self, conn_id: u64, event: TransportEvent) {
        (self.0)(conn_id, event)
    }
}

impl std::fmt::Debug for EventSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventSink")
    }
}

/// Everything an adapter needs to open one connection.
#[derive(Debug, Clone)]
pub struct OpenRequest {
    /// Identifies this connection in the events it sends; the core ignores stale ids.
    pub conn_id: u64,
    /// The endpoint URL for this transport (ws(s):// for WebSocket, https:// for WebTransport,
    /// http(s):// for SSE and long polling).
    pub url: String,
    /// WebSocket subprotocols to offer.
    pub protocols: Vec<String>,
    /// SHA-256 hashes for WebTransport `serverCertificateHashes`.
    pub certificate_hashes: Vec<Vec<u8>>,
    /// Largest message accepted from the server; larger frames close the connection with 1009.
    pub max_message_bytes: usize,
    /// The largest datagram to deliver (WebTransport): the application's limit, without the
    /// session header `max_message_bytes` allows for (datagrams are outside the session). A
    /// larger one is dropped before it is copied into wasm.
    pub max_datagram_bytes: usize,
    /// Receives this connection's events.
    pub sink: EventSink,
}

/// An error from an adapter's `send`: the message was not handed to the transport, and comes
/// back with the reason so that the core can queue it again (nothing is dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// Why, for humans (debug log).
    pub reason: String,
    /// The message that was not taken.
    pub payload: Payload,
}

impl SendError {
    /// The error for `payload`, which goes back to the caller with `reason`.
    pub fn new(reason: impl Into<String>, payload: Payload) -> Self {
        SendError {
            reason: reason.into(),
            payload,
        }
    }
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// One open (or opening) connection. Dropping it releases every JS resource it holds.
pub trait Transport {
    /// Which transport this is.
    fn kind(&self) -> TransportKind;
    /// Sends one message, in order after every earlier `send`. A message the adapter cannot take
    /// (not open, closing, gone) comes back in the error; it must never be dropped silently.
    fn send(&self, payload: Payload) -> Result<(), SendError>;
    /// Starts a close with a code and reason the server sees; a `Closed` event follows.
    fn close(&self, code: u16, reason: &str);
    /// Bytes accepted by `send` whose delivery is not yet confirmed (queued or in flight).
    fn buffered_amount(&self) -> u32;
    /// Takes out every message the adapter still holds unconfirmed, so that each is reported
    /// exactly once: the driver calls it just before dropping the adapter (after its terminal
    /// event, when it is normally empty; or when the core gave up waiting for its close, see
    /// `core::closing`, when it may not be) and
    /// at the socket's final close. A connection that may still write counts its messages as
    /// `unconfirmed`; only what can no longer leave is `unsent`.
    fn abandon(&self) -> Lost {
        Lost::default()
    }
    /// Sends an unreliable datagram; only WebTransport has them (others answer an error, and
    /// the socket documents that `sendDatagram` falls back to an ordinary message there).
    fn send_datagram(&self, bytes: &[u8]) -> Result<(), SendError> {
        Err(SendError::new(
            concat(&[self.kind().as_str(), " has no datagrams"]),
            Payload::Binary(bytes.to_vec()),
        ))
    }
}

/// Opens a connection of `kind`; `use_stream` picks WebSocketStream over WebSocket where the
/// browser has it. Errors are synchronous failures (bad URL); later ones arrive as `Failed`.
pub fn open(
    kind: TransportKind,
    request: OpenRequest,
    use_stream: bool,
) -> Result<Box<dyn Transport>, String> {
    match kind {
        #[cfg(feature = "webtransport")]
        TransportKind::WebTransport => webtransport::WebTransportConnection::open(request)
            .map(|t| Box::new(t) as Box<dyn Transport>),
        #[cfg(feature = "websocket-stream")]
        TransportKind::WebSocket if use_stream => {
            websocket_stream::WebSocketStreamConnection::open(request)
                .map(|t| Box::new(t) as Box<dyn Transport>)
        }
        TransportKind::WebSocket => {
            let _ = use_stream;
            websocket::WebSocketConnection::open(request).map(|t| Box::new(t) as Box<dyn Transport>)
        }
        #[cfg(feature = "sse")]
        TransportKind::Sse => {
            sse::SseConnection::open(request).map(|t| Box::new(t) as Box<dyn Transport>)
        }
        #[cfg(feature = "long-polling")]
        TransportKind::LongPolling => long_polling::LongPollingConnection::open(request)
            .map(|t| Box::new(t) as Box<dyn Transport>),
        #[allow(unreachable_patterns)]
        other => Err(concat(&[other.as_str(), " is not in this build"])),
    }
}

/// Whether this build includes the adapter for `kind` (cargo features; the classic WebSocket is
/// always there). A transport left out counts as one the browser lacks.
pub fn built_in(kind: TransportKind) -> bool {
    match kind {
        TransportKind::WebTransport => cfg!(feature = "webtransport"),
        TransportKind::WebSocket => true,
        TransportKind::Sse => cfg!(feature = "sse"),
        TransportKind::LongPolling => cfg!(feature = "long-polling"),
    }
}
