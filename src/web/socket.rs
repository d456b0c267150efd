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
//!     if let SocketEvent::Message(Payload::Text(text)) = event { /* … */ }
//! }
//! socket.close(1000, "bye").await?;
//! ```

use super::driver::Driver;
pub use super::driver::{CloseInfo, SocketError, SocketEvent};
use super::options::SocketOptions;
use crate::core::{Payload, State, Stats, TransportKind};
use futures_channel::mpsc::UnboundedReceiver;
use std::rc::Rc;

/// `send` waits while more than this many bytes are buffered (backpressure for Rust callers).
const HIGH_WATER_BYTES: u64 = 1 << 20;

/// A universal socket. Cloning gives another handle to the same connection; the connection is
/// torn down (listeners removed, transports closed) when the last handle is dropped.
#[derive(Clone)]
pub struct Socket {
    pub(crate) driver: Rc<Driver>,
}

impl Socket {
    /// Validates the URL and options; nothing is opened until [`Socket::connect`].
    pub fn new(url: &str, options: SocketOptions) -> Result<Socket, SocketError> {
        Ok(Socket {
            driver: Driver::new(url, options)?,
        })
    }

    /// A stream of every event from now on (several streams may be taken).
    pub fn events(&self) -> UnboundedReceiver<SocketEvent> {
        self.driver.subscribe()
    }

    /// Connects; resolves on the first open, or fails listing every transport tried.
    ///
    /// Connecting starts when this is called, not when the future is first polled, so
    /// `connect()` followed by `close()` in the same turn (React StrictMode's mount, unmount)
    /// closes the attempt instead of connecting after the close.
    pub fn connect(&self) -> impl std::future::Future<Output = Result<(), SocketError>> {
        let waiter = self.driver.connect();
        async move { waiter?.await.unwrap_or(Err(SocketError::Closed)) }
    }

    /// Sends a message (queued while not open). Waits while more than 1 MiB is buffered, so a
    /// fast producer cannot outrun the network.
    pub async fn send(&self, payload: Payload) -> Result<(), SocketError> {
        self.driver.send(payload)?;
        while self.driver.buffered_amount() > HIGH_WATER_BYTES && self.state() == State::Open {
            gloo_timers::future::TimeoutFuture::new(5).await;
        }
        Ok(())
    }

    /// Sends `value` as one JSON text message (with the `serde` feature), the way gloo-net's
    /// `Message` does; the receiver decodes it with [`Payload::json`]. Waits like
    /// [`Socket::send`]. A value serde_json cannot serialise (a map with non-string keys, a
    /// failing `Serialize` impl) is [`SocketError::Invalid`], and nothing is sent.
    ///
    /// ```ignore
    /// #[derive(serde::Serialize)]
    /// struct Chat<'a> { text: &'a str }
    /// socket.send_json(&Chat { text: "hello" }).await?;
    /// ```
    #[cfg(feature = "serde")]
    pub async fn send_json<T: serde::Serialize + ?Sized>(
        &self,
        value: &T,
    ) -> Result<(), SocketError> {
        let text = serde_json::to_string(value)
            .map_err(|e| SocketError::Invalid(format!("cannot send as JSON: {e}")))?;
        self.send(Payload::Text(text)).await
    }

    /// Sends without waiting for buffers to drain.
    pub fn send_now(&self, payload: Payload) -> Result<(), SocketError> {
        self.driver.send(payload)
    }

    /// Closes for good (no more reconnects); resolves with how the close went.
    pub async fn close(&self, code: u16, reason: &str) -> Result<CloseInfo, SocketError> {
        let waiter = self.driver.close(code, reason)?;
        waiter.await.map_err(|_| SocketError::Closed)
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
}
