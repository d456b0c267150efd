//! The send queue (guide §7.1 `messageQueue`): messages sent while not open wait here and are
//! flushed in order on open.
//!
//! Unlike the guide's unbounded array, the queue is bounded (a client offline for an hour must not
//! eat the tab's memory), and overflow is never silent: either the new message is refused with
//! an error ([`OverflowPolicy::Reject`]) or the oldest messages make room and the caller is told
//! how many were dropped ([`OverflowPolicy::DropOldest`]).

use crate::core::fifo::Fifo;
use crate::prelude::*;
use std::fmt;

use super::payload::Payload;
use super::text::{concat, decimal};

/// What to do when a message does not fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OverflowPolicy {
    /// Refuse the new message; the queue is unchanged.
    #[default]
    Reject,
    /// Drop the oldest messages until the new one fits, and report how many.
    DropOldest,
}

/// Queue bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueConfig {
    /// Most messages held (default 1000).
    pub max_messages: usize,
    /// Most payload bytes held (default 16 MiB).
    pub max_bytes: usize,
    /// Overflow behaviour (default [`OverflowPolicy::Reject`]).
    pub overflow: OverflowPolicy,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            max_messages: 1000,
            max_bytes: 16 * 1024 * 1024,
            overflow: OverflowPolicy::Reject,
        }
    }
}

/// Why a message was not queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueError {
    /// The queue is full ([`OverflowPolicy::Reject`]).
    Full {
        /// Messages queued.
        messages: usize,
        /// Bytes queued.
        bytes: usize,
    },
    /// `max_messages` is 0: the queue holds nothing, so nothing is sent while not open.
    NoMessages,
    /// The message alone is larger than `max_bytes`: it can never fit.
    TooLarge {
        /// Message size.
        size: usize,
        /// Queue byte limit.
        max_bytes: usize,
    },
}

impl QueueError {
    /// The text for humans, built by hand so the JS build links no `core::fmt` (issue 9: size);
    /// `Display` writes the same text.
    pub fn message(&self) -> String {
        match self {
            QueueError::Full { messages, bytes } => concat(&[
                "send queue is full (",
                &decimal(*messages as u64),
                " messages, ",
                &decimal(*bytes as u64),
                " bytes); message not queued",
            ]),
            QueueError::TooLarge { size, max_bytes } => concat(&[
                "message of ",
                &decimal(*size as u64),
                " bytes can never fit the send queue limit of ",
                &decimal(*max_bytes as u64),
                " bytes",
            ]),
            QueueError::NoMessages => {
                "the send queue holds no messages (its limit is 0), so nothing can wait to be sent"
                    .to_owned()
            }
        }
    }
}

impl fmt::Display for QueueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl core::error::Error for QueueError {}

/// A bounded FIFO of payloads.
#[derive(Debug, Default)]
pub struct SendQueue {
    config: QueueConfig,
    items: Fifo<Payload>,
    bytes: usize,
}

impl SendQueue {
    /// An empty queue with `config`.
    pub fn new(config: QueueConfig) -> Self {
        Self {
            config,
            items: Fifo::new(),
            bytes: 0,
        }
    }

    /// Appends `payload`. Returns how many old messages were dropped to make room (always 0 with
    /// [`OverflowPolicy::Reject`]).
    pub fn push(&mut self, payload: Payload) -> Result<usize, QueueError> {
        let size = payload.len();
        if self.config.max_messages == 0 {
            return Err(QueueError::NoMessages);
        }
        if size > self.config.max_bytes {
            return Err(QueueError::TooLarge {
                size,
                max_bytes: self.config.max_bytes,
            });
        }
        let fits = |q: &Self| {
            q.items.len() < q.config.max_messages
                && q.bytes.saturating_add(size) <= q.config.max_bytes
        };
        let mut dropped = 0;
        if !fits(self) {
            match self.config.overflow {
                OverflowPolicy::Reject => {
                    return Err(QueueError::Full {
                        messages: self.items.len(),
                        bytes: self.bytes,
                    })
                }
                OverflowPolicy::DropOldest => {
                    while !fits(self) {
                        let Some(old) = self.items.pop_front() else {
                            break;
                        };
                        self.bytes = self.bytes.saturating_sub(old.len());
                        dropped += 1;
                    }
                }
            }
        }
        self.push_unbounded(payload);
        Ok(dropped)
    }

    /// Appends ignoring the bounds. Only for data the connection had already accepted and must
    /// not lose (a half-built batch when the link drops); the bounds catch up on the next push.
    pub fn push_unbounded(&mut self, payload: Payload) {
        self.bytes = self.bytes.saturating_add(payload.len());
        self.items.push_back(payload);
    }

    /// Puts messages back at the front, in their order, ignoring the bounds: they were sent
    /// before everything queued now (a transport handed them back unsent), and were already
    /// accepted, so they must not be lost.
    pub fn push_front_unbounded(&mut self, payloads: Vec<Payload>) {
        for payload in payloads.into_iter().rev() {
            self.bytes = self.bytes.saturating_add(payload.len());
            self.items.push_front(payload);
        }
    }

    /// Removes and returns the oldest message.
    pub fn pop(&mut self) -> Option<Payload> {
        let p = self.items.pop_front()?;
        self.bytes = self.bytes.saturating_sub(p.len());
        Some(p)
    }

    /// Removes everything, oldest first.
    pub fn drain_all(&mut self) -> Vec<Payload> {
        self.bytes = 0;
        self.items.take_all()
    }

    /// Messages queued.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Payload bytes queued.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn t(s: &str) -> Payload {
        Payload::Text(s.into())
    }

    #[test]
    fn reject_keeps_everything() {
        let mut q = SendQueue::new(QueueConfig {
            max_messages: 2,
            max_bytes: 100,
            overflow: OverflowPolicy::Reject,
        });
        assert_eq!(q.push(t("a")), Ok(0));
        assert_eq!(q.push(t("b")), Ok(0));
        assert_eq!(
            q.push(t("c")),
            Err(QueueError::Full {
                messages: 2,
                bytes: 2
            })
        );
        assert_eq!(q.drain_all(), vec![t("a"), t("b")]);
    }

    #[test]
    fn drop_oldest_reports() {
        let mut q = SendQueue::new(QueueConfig {
            max_messages: 10,
            max_bytes: 5,
            overflow: OverflowPolicy::DropOldest,
        });
        q.push(t("aa")).unwrap();
        q.push(Payload::Binary(vec![1, 2])).unwrap();
        assert_eq!(q.push(t("cccc")), Ok(2));
        assert_eq!(q.bytes(), 4);
        assert_eq!(q.pop(), Some(t("cccc")));
        assert_eq!(
            q.push(t("123456")),
            Err(QueueError::TooLarge {
                size: 6,
                max_bytes: 5
            })
        );
        assert!(q.is_empty());
    }

    /// `message()` reads exactly as the `format!` it replaced.
    #[test]
    fn message_matches_the_former_format() {
        for (a, b) in [
            (0, 0),
            (1, 9),
            (1000, 1 << 20),
            (usize::MAX, usize::MAX - 1),
        ] {
            let full = QueueError::Full {
                messages: a,
                bytes: b,
            };
            let want = format!("send queue is full ({a} messages, {b} bytes); message not queued");
            assert_eq!(full.message(), want);
            assert_eq!(full.to_string(), want);
            let too_large = QueueError::TooLarge {
                size: a,
                max_bytes: b,
            };
            let want =
                format!("message of {a} bytes can never fit the send queue limit of {b} bytes");
            assert_eq!(too_large.message(), want);
            assert_eq!(too_large.to_string(), want);
        }
    }
}
