//! What a socket reports to Rust users ([`SocketEvent`], [`CloseInfo`]) and the errors of its API
//! ([`SocketError`]). The JS class turns the events into JS event objects (`js_events`).

use crate::core::{CoreError, Payload, TransportKind};
use crate::prelude::*;

/// What the socket reports, for Rust users (the JS class turns these into JS events).
#[derive(Debug, Clone, PartialEq)]
pub enum SocketEvent {
    /// Opened on `transport` (first connect and every reconnect).
    Open {
        /// The transport now carrying messages; it may differ from the last one after a
        /// fallback or an upgrade.
        transport: TransportKind,
    },
    /// A message from the server.
    Message(Payload),
    /// The open transport was lost; a reconnect follows unless attempts are exhausted.
    Disconnect {
        /// Close code reported by the transport (1006 when it just failed, as in WebSocket).
        code: u16,
        /// Close reason from the server, or why the transport was lost ("" if none was given).
        reason: String,
        /// Whether a close handshake completed; false when the connection simply dropped.
        was_clean: bool,
    },
    /// Reconnect attempt `attempt` starts in `delay_ms`.
    Reconnecting {
        /// Attempt number since the connection was lost, from 1 (compare it with the
        /// configured maximum to show "retrying 3/10").
        attempt: u32,
        /// Backoff delay before the attempt, in ms, jitter included (for a countdown in the UI).
        delay_ms: u64,
    },
    /// A reconnect succeeded.
    Reconnected {
        /// The transport the new connection uses; it may differ from the one that was lost.
        transport: TransportKind,
    },
    /// A better transport opened in the background and replaced `from`; `Open` follows.
    Upgrade {
        /// The transport left (closed gracefully once the new one is in use).
        from: TransportKind,
        /// The better transport now in use.
        to: TransportKind,
    },
    /// `from` failed to open; `to` is tried next.
    Fallback {
        /// The transport that failed to open.
        from: TransportKind,
        /// The transport tried next.
        to: TransportKind,
        /// Why `from` failed, for humans (a blocked port, a proxy, a missing endpoint…).
        reason: String,
    },
    /// Reconnect attempts are exhausted; `Close` follows.
    MaxReconnectAttemptsReached,
    /// The send queue dropped its `dropped` oldest messages (overflow "drop-oldest").
    QueueOverflow {
        /// How many messages were dropped this time; they are gone and not reported again.
        dropped: usize,
    },
    /// The server no longer had the session: the socket continues in a new one.
    SessionLost {
        /// Why: `unknown session`, `session expired` or `session belongs to another service`.
        reason: String,
    },
    /// Something went wrong that does not close the socket by itself (or explains a close).
    Error(String),
    /// Messages handed back, never silently lost: still queued (or held by a transport) when
    /// the socket closed for good, or sent on a transport that could not confirm them.
    Undelivered(Vec<Payload>),
    /// Closed for good.
    Close(CloseInfo),
}

/// How the socket closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseInfo {
    /// The close code: the one passed to `close`, the server's, or 1006 when the connection
    /// failed without a close handshake.
    pub code: u16,
    /// The close reason that goes with `code` ("" if none was given).
    pub reason: String,
    /// Whether the close completed cleanly (the peer confirmed it).
    pub was_clean: bool,
}

/// Errors of the socket API.
#[derive(Debug, Clone, PartialEq)]
pub enum SocketError {
    /// An option was rejected by `Socket::new` (or the JS constructor); the message names it.
    Options(super::options::OptionsError),
    /// The URL cannot be turned into transport endpoints (wrong scheme, no host, …).
    Url(crate::endpoints::UrlError),
    /// The connection refused the call: message too large, bad close code, queue full, or
    /// already closed. Match on the [`CoreError`] to tell them apart.
    Core(CoreError),
    /// `connect()` failed: every transport tried, with its reason.
    ConnectFailed(String),
    /// The socket was closed before the operation completed.
    Closed,
    /// Bad input at the API boundary (wrong data type, malformed frame, …).
    Invalid(String),
}

impl SocketError {
    /// Whether the call failed because the socket is closing or closed for good: the socket's
    /// own [`SocketError::Closed`] (an operation the close cut short) or the core's
    /// [`CoreError::Closed`] (a send on a closing or closed socket), which a caller would
    /// otherwise have to match separately.
    pub fn is_closed(&self) -> bool {
        matches!(
            self,
            SocketError::Closed | SocketError::Core(CoreError::Closed)
        )
    }

    /// The error's text, as `Display` shows it (built without `core::fmt`: the JS build shows
    /// it in every thrown `Error`).
    pub fn message(&self) -> String {
        match self {
            SocketError::Options(e) => e.message(),
            SocketError::Url(e) => e.0.clone(),
            SocketError::Core(e) => e.message(),
            SocketError::ConnectFailed(e) | SocketError::Invalid(e) => e.clone(),
            SocketError::Closed => "the socket closed before the operation completed".to_owned(),
        }
    }
}

impl std::fmt::Display for SocketError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

/// Errors that the JS boundary turns into a thrown `Error` by their [`message`]
/// (`ErrorMessage::message`), not through `Display`.
pub(crate) trait ErrorMessage {
    /// The text of the JS `Error`.
    fn message(&self) -> String;
}

impl ErrorMessage for SocketError {
    fn message(&self) -> String {
        SocketError::message(self)
    }
}

impl ErrorMessage for super::options::OptionsError {
    fn message(&self) -> String {
        super::options::OptionsError::message(self)
    }
}

impl ErrorMessage for crate::core::CodecError {
    fn message(&self) -> String {
        crate::core::CodecError::message(self)
    }
}

/// Transparent, as thiserror's `#[error(transparent)]`: `Display` is the wrapped error's own
/// text, so it is not also the `source` (an error chain would print it twice).
impl core::error::Error for SocketError {}

impl From<CoreError> for SocketError {
    fn from(e: CoreError) -> Self {
        SocketError::Core(e)
    }
}
