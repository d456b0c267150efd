//! The error returned by the [`Connection`](super::Connection) API.

use std::fmt;

use super::batch::BatchError;
use super::json_check::JsonError;
use super::queue::QueueError;

/// Errors from calls on a [`Connection`](super::Connection). Every rejected call leaves the
/// machine unchanged and nothing that was previously accepted is lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoreError {
    /// The payload is larger than the configured maximum message size; nothing was queued.
    MessageTooLarge {
        /// Payload size in bytes.
        size: usize,
        /// Configured maximum.
        max: usize,
    },
    /// `close` was given a code other than 1000 or 3000–4999.
    InvalidCloseCode(u16),
    /// `close` was given a reason longer than 123 UTF-8 bytes.
    CloseReasonTooLong {
        /// Reason length in bytes.
        len: usize,
    },
    /// The connection is closing or closed; it accepts no more messages.
    Closed,
    /// The call is not valid in the current state (e.g. connecting twice).
    InvalidState(&'static str),
    /// A batchable item was not valid JSON (it would corrupt the batch).
    InvalidJson(JsonError),
    /// The send queue refused the message (only with [`OverflowPolicy::Reject`](super::OverflowPolicy::Reject)).
    Queue(QueueError),
    /// The batcher refused the item.
    Batch(BatchError),
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoreError::MessageTooLarge { size, max } => write!(
                f,
                "message of {size} bytes exceeds the maximum message size of {max} bytes"
            ),
            CoreError::InvalidCloseCode(c) => write!(
                f,
                "invalid close code {c}: use 1000 or an application code in 3000-4999"
            ),
            CoreError::CloseReasonTooLong { len } => write!(
                f,
                "close reason is {len} UTF-8 bytes; at most 123 are allowed"
            ),
            CoreError::Closed => f.write_str("the connection is closing or closed"),
            CoreError::InvalidState(what) => write!(f, "invalid state: {what}"),
            CoreError::InvalidJson(e) => write!(f, "batched message is not valid JSON: {e}"),
            CoreError::Queue(e) => write!(f, "{e}"),
            CoreError::Batch(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for CoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CoreError::InvalidJson(e) => Some(e),
            CoreError::Queue(e) => Some(e),
            CoreError::Batch(e) => Some(e),
            _ => None,
        }
    }
}

impl From<QueueError> for CoreError {
    fn from(e: QueueError) -> Self {
        CoreError::Queue(e)
    }
}

impl From<BatchError> for CoreError {
    fn from(e: BatchError) -> Self {
        CoreError::Batch(e)
    }
}
