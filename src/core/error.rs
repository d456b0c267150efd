//! The error returned by the [`Connection`](super::Connection) API.

use crate::prelude::*;
use std::fmt;

#[cfg(feature = "std")]
use super::json_check::JsonError;
use super::queue::QueueError;
use super::text::{concat, decimal};

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
    #[cfg(feature = "std")]
    InvalidJson(JsonError),
    /// The send queue refused the message (only with [`OverflowPolicy::Reject`](super::OverflowPolicy::Reject)).
    Queue(QueueError),
}

impl CoreError {
    /// The text for humans, built by hand so the JS build links no `core::fmt` (issue 9: size);
    /// `Display` writes the same text.
    pub fn message(&self) -> String {
        match self {
            CoreError::MessageTooLarge { size, max } => concat(&[
                "message of ",
                &decimal(*size as u64),
                " bytes exceeds the maximum message size of ",
                &decimal(*max as u64),
                " bytes",
            ]),
            CoreError::InvalidCloseCode(c) => concat(&[
                "invalid close code ",
                &decimal(u64::from(*c)),
                ": use 1000 or an application code in 3000-4999",
            ]),
            CoreError::CloseReasonTooLong { len } => concat(&[
                "close reason is ",
                &decimal(*len as u64),
                " UTF-8 bytes; at most 123 are allowed",
            ]),
            CoreError::Closed => "the connection is closing or closed".to_owned(),
            CoreError::InvalidState(what) => concat(&["invalid state: ", what]),
            #[cfg(feature = "std")]
            CoreError::InvalidJson(e) => {
                concat(&["batched message is not valid JSON: ", &e.message()])
            }
            CoreError::Queue(e) => e.message(),
        }
    }
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl core::error::Error for CoreError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            #[cfg(feature = "std")]
            CoreError::InvalidJson(e) => Some(e),
            CoreError::Queue(e) => Some(e),
            _ => None,
        }
    }
}

impl From<QueueError> for CoreError {
    fn from(e: QueueError) -> Self {
        CoreError::Queue(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json_check::JsonErrorKind;

    /// `message()` reads exactly as the `format!` it replaced.
    #[test]
    fn message_matches_the_former_format() {
        let json = JsonError {
            position: 7,
            kind: JsonErrorKind::UnexpectedByte(b'\n'),
        };
        let cases = [
            (
                CoreError::MessageTooLarge { size: 0, max: 1 },
                "message of 0 bytes exceeds the maximum message size of 1 bytes".to_owned(),
            ),
            (
                CoreError::MessageTooLarge {
                    size: 16_777_217,
                    max: usize::MAX,
                },
                format!(
                    "message of {} bytes exceeds the maximum message size of {} bytes",
                    16_777_217,
                    usize::MAX
                ),
            ),
            (
                CoreError::InvalidCloseCode(1001),
                format!(
                    "invalid close code {}: use 1000 or an application code in 3000-4999",
                    1001
                ),
            ),
            (
                CoreError::InvalidCloseCode(u16::MAX),
                format!(
                    "invalid close code {}: use 1000 or an application code in 3000-4999",
                    u16::MAX
                ),
            ),
            (
                CoreError::CloseReasonTooLong { len: 124 },
                format!("close reason is {} UTF-8 bytes; at most 123 are allowed", 124),
            ),
            (
                CoreError::Closed,
                "the connection is closing or closed".to_owned(),
            ),
            (
                CoreError::InvalidState("already connecting"),
                format!("invalid state: {}", "already connecting"),
            ),
            (
                CoreError::InvalidJson(json),
                format!(
                    "batched message is not valid JSON: unexpected byte 0x{:02x} in JSON at byte {}",
                    b'\n', 7
                ),
            ),
            (
                CoreError::Queue(QueueError::Full {
                    messages: 3,
                    bytes: 40,
                }),
                format!(
                    "send queue is full ({} messages, {} bytes); message not queued",
                    3, 40
                ),
            ),
        ];
        for (error, want) in cases {
            assert_eq!(error.message(), want);
            assert_eq!(error.to_string(), want);
        }
    }
}
