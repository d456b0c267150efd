//! The Rust API: the same socket as the JS class, for Rust wasm apps (Leptos, Yew, Dioxus).
//!
//! ```ignore
//! use futures::StreamExt;
//! use universal_socket::core::Payload;
//! use universal_socket::web::{options::SocketOptions, socket::{Socket, SocketEvent}};
//!
//! let socket = Socket::new("http://127.0.0.1:8080/chat", SocketOptions::default())?;
//! let mut events = socket.events();
//! socket.connect().await?;
//! socket.send(Payload::Text("hello".into())).await?;
//! while let Some(event) = events.next().await {
//!     match event {
//!         SocketEvent::Message(Payload::Text(text)) => { /* … */ }
//!         // A socket that gave up by itself keeps its streams (for a later `connect()`);
//!         // after `socket.close(…)` every stream ends on its own.
//!         SocketEvent::Close(_) => break,
//!         _ => {}
//!     }
//! }
//! ```

pub use super::driver::{CloseInfo, SocketError, SocketEvent};
use super::driver::{Driver, EventHook};
use super::options::SocketOptions;
use super::waiter::Waiter;
use crate::core::{Payload, PeerProtocol, State, Stats, TransportKind};
use crate::prelude::*;
#[cfg(feature = "std")]
use futures_channel::{mpsc::UnboundedReceiver, oneshot};
use std::rc::{Rc, Weak};

/// `send` waits while more than this many bytes are buffered (backpressure for Rust callers).
#[cfg(feature = "std")]
const HIGH_WATER_BYTES: u64 = 1 << 20;

/// The future of [`Socket::send`] and [`Socket::send_json`]: the message was taken (or
/// refused: the `Err`) when the method was called; this waits for the backpressure. A named,
/// `'static` type, so it can be stored or moved into a spawned task whatever the value sent
/// borrowed.
#[cfg(feature = "std")]
#[must_use = "the message was taken at the call; this future holds why it was refused, if it was"]
pub struct Sending(core::pin::Pin<Box<dyn core::future::Future<Output = Result<(), SocketError>>>>);

#[cfg(feature = "std")]
impl core::future::Future for Sending {
    type Output = Result<(), SocketError>;

    fn poll(
        mut self: core::pin::Pin<&mut Self>,
        cx: &mut core::task::Context<'_>,
    ) -> core::task::Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}

/// A universal socket. Cloning gives another handle to the same connection; the connection is
/// torn down (listeners removed, transports closed) when the last handle is dropped.
///
/// The JS class `UniversalSocket` is built on this same type (nothing reaches past it into the
/// driver), so both APIs behave alike.
#[derive(Clone)]
pub struct Socket {
    driver: Rc<Driver>,
}

/// A handle that does not keep the connection alive (for callbacks that outlive a call, such as
/// a Blob's read).
pub(crate) struct WeakSocket(Weak<Driver>);

impl WeakSocket {
    /// The socket, if a strong handle still exists.
    pub(crate) fn upgrade(&self) -> Option<Socket> {
        self.0.upgrade().map(|driver| Socket { driver })
    }
}

impl Socket {
    /// Validates the URL and options; nothing is opened until [`Socket::connect`].
    pub fn new(url: &str, options: SocketOptions) -> Result<Socket, SocketError> {
        // Options built in Rust get the JS constructor's checks (`options_check.rs`); the JS
        // class's were checked as they were read.
        #[cfg(feature = "std")]
        options.check().map_err(SocketError::Options)?;
        Ok(Socket {
            driver: Driver::new(url, options)?,
        })
    }

    /// A stream of every event from now on (several streams may be taken). Every stream ends
    /// after the `Close` of [`Socket::close`] (a socket that closed by itself, retries used
    /// up, keeps its streams open for a later [`Socket::connect`]); one taken after that, for a
    /// socket connected again, ends at the next `close()`.
    #[cfg(feature = "std")]
    pub fn events(&self) -> UnboundedReceiver<SocketEvent> {
        self.driver.subscribe()
    }

    /// Connects; resolves on the first open, or fails listing every transport tried. Called
    /// again while connecting or reconnecting, it joins (resolves on the next open); on an open
    /// socket it resolves at once.
    ///
    /// Connecting starts when this is called, not when the future is first polled, so
    /// `connect()` followed by `close()` in the same turn (React StrictMode's mount, unmount)
    /// closes the attempt instead of connecting after the close.
    #[cfg(feature = "std")]
    pub fn connect(&self) -> impl core::future::Future<Output = Result<(), SocketError>> {
        let (sender, receiver) = oneshot::channel();
        self.start_connect(Waiter::new(Box::new(move |outcome| {
            let _ = sender.send(outcome);
        })));
        async move {
            receiver
                .await
                .ok()
                .flatten()
                .unwrap_or(Err(SocketError::Closed))
        }
    }

    /// Sends a message (queued while not open). The message is taken when this is called, not
    /// when the future is polled (a future dropped unpolled still sends, as `connect` and
    /// `close` start at the call too); the future then waits while more than 1 MiB is buffered
    /// on an open socket, so a fast producer cannot outrun the network. While connecting or
    /// reconnecting, messages wait in the send queue (`ConnectionConfig::queue`, 1000 messages
    /// / 16 MiB by default) and the future resolves at once; one over its limits is refused with
    /// `CoreError::Queue` (or, with `drop-oldest`, an older one goes, in a `QueueOverflow`
    /// event). A message the socket refuses is the future's `Err`.
    #[cfg(feature = "std")]
    pub fn send(&self, payload: Payload) -> Sending {
        let sent = self.driver.send(payload);
        self.drained(sent)
    }

    /// `sent`, once the buffers are below the high-water mark (or the socket is not open, or
    /// gone: the future holds only a `Weak`, so a stored one does not keep the socket alive).
    #[cfg(feature = "std")]
    fn drained(&self, sent: Result<(), SocketError>) -> Sending {
        let driver = Rc::downgrade(&self.driver);
        Sending(Box::pin(async move {
            sent?;
            loop {
                let Some(driver) = driver.upgrade() else {
                    return Ok(());
                };
                if driver.buffered_amount() <= HIGH_WATER_BYTES
                    || driver.connection(|c| c.state()) != State::Open
                {
                    return Ok(());
                }
                drop(driver);
                gloo_timers::future::TimeoutFuture::new(5).await;
            }
        }))
    }

    /// Sends `value` as one JSON text message (with the `serde` feature), the way gloo-net's
    /// `Message` does; the receiver decodes it with [`Payload::json`]. Taken at the call and
    /// waits like [`Socket::send`]; with batching on (`ConnectionConfig::batch`) it goes into
    /// a `{"type":"batch"}` message, as the JS class's objects do. A value serde_json cannot
    /// serialise (a map with non-string keys, a failing `Serialize` impl) is
    /// [`SocketError::Invalid`], and nothing is sent.
    ///
    /// ```ignore
    /// #[derive(serde::Serialize)]
    /// struct Chat<'a> { text: &'a str }
    /// socket.send_json(&Chat { text: "hello" }).await?;
    /// ```
    #[cfg(all(feature = "serde", feature = "std"))]
    pub fn send_json<T: serde::Serialize + ?Sized>(&self, value: &T) -> Sending {
        // serde_json's text is valid JSON: the batcher takes it without scanning it again.
        let sent = serde_json::to_string(value)
            .map_err(|e| SocketError::Invalid(format!("cannot send as JSON: {e}")))
            .and_then(|text| self.driver.send_json(text));
        self.drained(sent)
    }

    /// Sends without waiting for buffers to drain.
    pub fn send_now(&self, payload: Payload) -> Result<(), SocketError> {
        self.driver.send(payload)
    }

    /// Closes for good (no more reconnects); resolves with how the close went, at the latest
    /// after `ConnectionConfig::close_timeout_ms` (3 s) if the server never answers (on every
    /// transport: then not clean, with this code and reason). The close starts when this is
    /// called (a future dropped unpolled, as in a component's cleanup, still closes), and every
    /// [`Socket::events`] stream ends after its `Close` event.
    #[cfg(feature = "std")]
    pub fn close(
        &self,
        code: u16,
        reason: &str,
    ) -> impl core::future::Future<Output = Result<CloseInfo, SocketError>> {
        let (sender, receiver) = oneshot::channel();
        let started = self.start_close(
            code,
            reason,
            Waiter::new(Box::new(move |info| {
                let _ = sender.send(info);
            })),
        );
        async move {
            started?;
            receiver.await.ok().flatten().ok_or(SocketError::Closed)
        }
    }

    /// Where the connection is in its life (connecting, open, reconnecting, closing, closed);
    /// read it to render status without keeping your own copy from the events.
    pub fn state(&self) -> State {
        self.driver.connection(|c| c.state())
    }

    /// The state as a `WebSocket.readyState` number (0 connecting, also while reconnecting;
    /// 1 open; 2 closing; 3 closed), for code written against `WebSocket`.
    pub fn ready_state(&self) -> u16 {
        self.driver.connection(|c| c.ready_state())
    }

    /// The transport in use while open.
    pub fn transport(&self) -> Option<TransportKind> {
        self.driver.connection(|c| c.transport())
    }

    /// Counters (messages and bytes each way, reconnects, time on each transport, session
    /// resumes, …) as of now, for diagnostics and dashboards.
    pub fn stats(&self) -> Stats {
        self.driver.connection(|c| c.stats(super::driver::now()))
    }

    /// The largest message `send` takes (`maxMessageBytes`), so that the JS class can refuse a
    /// larger buffer before copying it into wasm.
    pub(crate) fn max_message_size(&self) -> usize {
        self.driver.connection(|c| c.config().max_message_size)
    }

    /// The round-trip time of the last heartbeat ping, in ms; `None` before the first pong
    /// (or with heartbeats off).
    pub fn rtt_ms(&self) -> Option<u64> {
        self.driver.connection(|c| c.rtt_ms())
    }

    /// Bytes accepted by `send` that are not yet on the network (queued in the core or in the
    /// transport), like `WebSocket.bufferedAmount`; [`Socket::send`] waits on it.
    pub fn buffered_amount(&self) -> u64 {
        self.driver.buffered_amount()
    }

    /// Sends an unreliable datagram while open on WebTransport; on every other transport, while
    /// not open (or waiting for the session's `hello`) and where the browser has no datagram
    /// writer it is sent as an ordinary, reliable binary message
    /// ([`crate::core::Connection::send_datagram`]).
    pub fn send_datagram(&self, bytes: Vec<u8>) -> Result<(), SocketError> {
        self.driver.send_datagram(bytes)
    }

    /// The URL given to [`Socket::new`], as given.
    pub fn url(&self) -> String {
        self.driver.url.clone()
    }

    /// The WebSocket subprotocol the server chose ("" on other transports or when none).
    pub fn protocol(&self) -> String {
        self.driver.protocol()
    }

    /// The WebSocket extensions the server accepted ("" on other transports).
    pub fn extensions(&self) -> String {
        self.driver.extensions()
    }

    /// The session protocol the server speaks: v2 (resumable sessions), v1, or not known yet.
    pub fn peer_protocol(&self) -> PeerProtocol {
        self.driver.connection(|c| c.peer_protocol())
    }

    /// Messages and bytes sent but not yet acknowledged by the server (resumable sessions; 0
    /// otherwise): what a resume would send again.
    pub fn unacknowledged(&self) -> (usize, usize) {
        self.driver.connection(|c| c.resend_buffer())
    }

    /// Reconnect attempts since the connection was last open.
    pub fn reconnect_attempts(&self) -> u32 {
        self.driver.connection(|c| c.reconnect_attempt())
    }

    /// Starts connecting; `waiter` hears of the first open or why connecting failed. The JS
    /// class settles its Promise from it (no channel or future in the JS build).
    pub(crate) fn start_connect(&self, waiter: Waiter<Result<(), SocketError>>) {
        self.driver.connect(waiter)
    }

    /// Starts a close; `waiter` hears how it went. A close that cannot start is the `Err` (and
    /// `waiter` hears nothing).
    pub(crate) fn start_close(
        &self,
        code: u16,
        reason: &str,
        waiter: Waiter<CloseInfo>,
    ) -> Result<(), SocketError> {
        self.driver.close(code, reason, waiter)
    }

    /// Sends a JSON text that is known to be valid (from `JSON.stringify`), through the batcher
    /// when batching is on.
    pub(crate) fn send_json_text(&self, json: String) -> Result<(), SocketError> {
        self.driver.send_json(json)
    }

    /// Installs the one synchronous event hook (the JS class's dispatcher).
    pub(crate) fn set_hook(&self, hook: EventHook) {
        self.driver.set_hook(hook)
    }

    /// Reports a problem to listeners as an `error` event (tokens redacted).
    pub(crate) fn report_error(&self, message: String) {
        self.driver.report_error(message)
    }

    /// Hands messages the JS class held back to the application (`undelivered`).
    pub(crate) fn hand_back(&self, payloads: Vec<Payload>) {
        self.driver.hand_back(payloads)
    }

    /// A handle that does not keep the connection alive.
    pub(crate) fn downgrade(&self) -> WeakSocket {
        WeakSocket(Rc::downgrade(&self.driver))
    }
}
