//! What a WebSocket link sent that the browser may not have written yet.
//!
//! A browser's WebSocket takes a message in `send` and writes it later; `bufferedAmount` counts
//! the bytes not yet written and does not fall once the connection has closed. A link keeps a
//! tail of its recently sent messages that covers `bufferedAmount`, trimmed to the shortest such
//! tail whenever it holds more than [`TRIM_MESSAGES`] messages or [`TRIM_BYTES`] bytes (so its
//! memory is bounded by what the browser buffers plus that much, and the link reads
//! `bufferedAmount` only then, not for every message). When the connection ends, the tail trimmed
//! with the final amount is what was never (wholly) written: a server never completes a partial
//! frame, so a partly written message was not delivered either.
//!
//! Pure bookkeeping, here so that every WebSocket adapter (the package's Rust adapter and a JS one
//! over this core) keeps the same rule and it is tested natively.
use crate::core::fifo::Fifo;
use crate::core::Payload;
use crate::prelude::*;

/// A tail longer than this many messages is trimmed on the next send.
pub const TRIM_MESSAGES: usize = 16;
/// A tail holding more than this many bytes is trimmed on the next send.
pub const TRIM_BYTES: usize = 64 * 1024;

/// A suffix of the sent messages whose bytes cover `bufferedAmount`: what the browser may not have
/// written yet, and (until the next trim) a few messages it has written.
#[derive(Default)]
pub struct SentTail {
    messages: Fifo<Payload>,
    bytes: usize,
}

impl SentTail {
    /// Whether pushing a message of `len` bytes makes the tail due for a trim: a link that must
    /// ask the browser for `bufferedAmount` in the same call as the send asks then.
    pub fn would_trim(&self, len: usize) -> bool {
        self.messages.len() + 1 > TRIM_MESSAGES || self.bytes.saturating_add(len) > TRIM_BYTES
    }

    /// Adds a sent message; `true` when the tail should now be trimmed (as
    /// [`SentTail::would_trim`] said before the push).
    pub fn push(&mut self, payload: Payload) -> bool {
        self.bytes = self.bytes.saturating_add(payload.len());
        self.messages.push_back(payload);
        self.messages.len() > TRIM_MESSAGES || self.bytes > TRIM_BYTES
    }

    /// Forgets the oldest messages that lie wholly before the last `buffered` bytes: the browser
    /// has written them. While anything is buffered, an empty message at the front is kept, as
    /// its frame may still be queued behind the buffered bytes' start.
    pub fn trim(&mut self, buffered: usize) {
        while let Some(front) = self.messages.front() {
            let rest = self.bytes - front.len();
            if rest < buffered || (front.is_empty() && buffered > 0 && rest == buffered) {
                break;
            }
            self.bytes = rest;
            self.messages.pop_front();
        }
    }

    /// What was never (wholly) written when the connection ended with `buffered` bytes unsent;
    /// the tail is empty afterwards.
    pub fn take_unsent(&mut self, buffered: usize) -> Vec<Payload> {
        self.trim(buffered);
        self.bytes = 0;
        if buffered == 0 {
            self.messages = Fifo::new();
            return Vec::new();
        }
        self.messages.take_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Payload {
        Payload::Text(s.to_owned())
    }

    #[test]
    fn nothing_buffered_means_nothing_unsent() {
        let mut tail = SentTail::default();
        tail.push(text("a"));
        tail.push(text("bb"));
        assert!(tail.take_unsent(0).is_empty());
        assert!(tail.take_unsent(5).is_empty(), "the tail was emptied");
    }

    #[test]
    fn the_messages_the_buffered_bytes_belong_to_are_unsent() {
        let mut tail = SentTail::default();
        for s in ["aaaa", "bb", "ccc"] {
            tail.push(text(s));
        }
        // 4 bytes buffered: all of "ccc" and the last byte of "bb" (partly written: not delivered).
        assert_eq!(tail.take_unsent(4), vec![text("bb"), text("ccc")]);
    }

    #[test]
    fn an_empty_message_at_the_buffered_start_is_kept() {
        let mut tail = SentTail::default();
        for s in ["aa", "", "bb"] {
            tail.push(text(s));
        }
        // Its frame may be queued behind the buffered bytes' start.
        assert_eq!(tail.take_unsent(2), vec![text(""), text("bb")]);
    }

    #[test]
    fn push_says_when_to_trim_as_would_trim_said() {
        let mut tail = SentTail::default();
        for i in 0..TRIM_MESSAGES {
            assert!(!tail.would_trim(1), "message {i}");
            assert!(!tail.push(text("x")));
        }
        assert!(tail.would_trim(1));
        assert!(tail.push(text("x")));
        tail.trim(0);
        assert!(!tail.would_trim(TRIM_BYTES));
        assert!(tail.would_trim(TRIM_BYTES + 1));
        assert!(tail.push(Payload::Binary(vec![0; TRIM_BYTES + 1])));
    }

    #[test]
    fn a_trim_keeps_what_covers_the_buffered_bytes() {
        let mut tail = SentTail::default();
        for _ in 0..20 {
            tail.push(text("12345"));
        }
        tail.trim(7);
        // Two messages (10 bytes) cover 7 buffered bytes; one (5) does not.
        assert_eq!(tail.take_unsent(7).len(), 2);
    }
}
