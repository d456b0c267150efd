//! Message batching (guide §7.2 `MessageBatcher`).
//!
//! Items are JSON texts. A batch is flushed when `max_messages` items are queued or
//! `flush_interval_ms` after the *first* item of the batch was queued, whichever comes first
//! (the guide arms its timer on the first item and never re-arms it for later ones). The output
//! is exactly what the guide's `JSON.stringify(batch)` produces for already-serialised items:
//!
//! ```text
//! {"type":"batch","messages":[<item>,<item>],"timestamp":<ms>}
//! ```
//!
//! built by concatenation (no JSON library). Unlike the guide, a batch also respects `max_bytes`
//! so that it never exceeds the transport's maximum message size: an item that would push the
//! batch over the limit flushes the current batch first, and an item that cannot fit even alone
//! is refused with an error (never silently dropped); the connection sends such an item as a
//! message of its own instead (see [`Batcher::fits`]).

use crate::prelude::*;
use std::fmt;

#[cfg(feature = "std")]
use super::json_check::{validate_json, JsonError};
use super::text::{concat, decimal};

const PREFIX: &str = "{\"type\":\"batch\",\"messages\":[";
const MIDDLE: &str = "],\"timestamp\":";
const SUFFIX: &str = "}";
/// Digits of `u64::MAX`: sizes are computed for the widest possible timestamp so that the check
/// made when an item is accepted still holds whenever the batch is emitted.
const MAX_TIMESTAMP_DIGITS: usize = 20;
/// Envelope bytes around the items, with the widest timestamp.
pub const ENVELOPE_OVERHEAD: usize =
    PREFIX.len() + MIDDLE.len() + MAX_TIMESTAMP_DIGITS + SUFFIX.len();

/// Batching configuration; defaults are the guide's (`batchSize` 10, `flushInterval` 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchConfig {
    /// Flush as soon as this many items are queued (0 is treated as 1; `Socket::new` refuses 0,
    /// as the JS option does).
    pub max_messages: usize,
    /// Flush this long after the first item of a batch was queued, ms.
    pub flush_interval_ms: u64,
    /// Largest emitted batch in bytes. The connection lowers it to its maximum message size.
    pub max_bytes: usize,
}

impl Default for BatchConfig {
    fn default() -> Self {
        Self {
            max_messages: 10,
            flush_interval_ms: 100,
            max_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Why an item was refused. The item is not queued; everything queued before is untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchError {
    /// The item alone, wrapped in a batch envelope, exceeds `max_bytes`.
    ItemTooLarge {
        /// Item size in bytes.
        size: usize,
        /// Largest item that fits in a batch.
        max: usize,
    },
    /// The item is not valid JSON and would corrupt the batch.
    #[cfg(feature = "std")]
    InvalidJson(JsonError),
}

impl BatchError {
    /// The text for humans, built by hand so the JS build links no `core::fmt` (issue 9: size);
    /// `Display` writes the same text.
    pub fn message(&self) -> String {
        match self {
            BatchError::ItemTooLarge { size, max } => concat(&[
                "batch item of ",
                &decimal(*size as u64),
                " bytes cannot fit in a batch (at most ",
                &decimal(*max as u64),
                " bytes per item)",
            ]),
            #[cfg(feature = "std")]
            BatchError::InvalidJson(e) => concat(&["batch item is not valid JSON: ", &e.message()]),
        }
    }
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl core::error::Error for BatchError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            #[cfg(feature = "std")]
            BatchError::InvalidJson(e) => Some(e),
            BatchError::ItemTooLarge { .. } => None,
        }
    }
}

/// The batcher: `push` items, drive with `handle_timeout`, take output with `poll_batch`.
#[derive(Debug)]
pub struct Batcher {
    config: BatchConfig,
    items: Vec<String>,
    items_bytes: usize,
    deadline: Option<u64>,
    /// Finished batches, oldest first, read from `ready_read` on. A `Vec`, not a `VecDeque`: a
    /// `VecDeque<String>` would link its own `grow`, `pop_front` and `Drop`.
    ready: Vec<String>,
    /// How many of `ready` were polled (taken, left empty); reset when all were.
    ready_read: usize,
    /// Added to the (monotonic) `now` to give the batch's epoch-millisecond `timestamp`.
    timestamp_offset: i64,
}

impl Batcher {
    /// A batcher with `config`.
    pub fn new(config: BatchConfig) -> Self {
        Self {
            config,
            items: Vec::new(),
            items_bytes: 0,
            deadline: None,
            ready: Vec::new(),
            ready_read: 0,
            timestamp_offset: 0,
        }
    }

    /// Times passed in are from a monotonic clock (deadlines must not jump with the wall clock);
    /// batch timestamps are wall-clock epoch ms, `now + offset`.
    pub fn set_timestamp_offset(&mut self, offset: i64) {
        self.timestamp_offset = offset;
    }

    /// The configuration in use.
    pub fn config(&self) -> &BatchConfig {
        &self.config
    }

    /// Largest single item accepted.
    pub fn max_item_bytes(&self) -> usize {
        self.config.max_bytes.saturating_sub(ENVELOPE_OVERHEAD)
    }

    fn batch_size(n: usize, items_bytes: usize) -> usize {
        ENVELOPE_OVERHEAD
            .saturating_add(items_bytes)
            .saturating_add(n.saturating_sub(1))
    }

    /// Queues one JSON item at time `now`. May make batches ready (check
    /// [`poll_batch`](Self::poll_batch)). The item is checked to be JSON: one that is not would
    /// make the whole batch unreadable for the server.
    #[cfg(feature = "std")]
    pub fn push(&mut self, now: u64, item: String) -> Result<(), BatchError> {
        validate_json(&item).map_err(BatchError::InvalidJson)?;
        self.check_size(&item)?;
        self.push_fitting(now, item);
        Ok(())
    }

    /// [`push`](Self::push) for an item a JSON serializer just produced (`JSON.stringify`,
    /// serde_json), which is not scanned again (the JS build's objects take this path, so
    /// batching costs no second pass over each item), and which [`fits`](Self::fits): the
    /// connection checks that first and sends an item that does not as a message of its own,
    /// so this never refuses (and the JS build links no batch error).
    pub(crate) fn push_fitting(&mut self, now: u64, item: String) {
        let n = self.items.len().saturating_add(1);
        if !self.items.is_empty()
            && Self::batch_size(n, self.items_bytes.saturating_add(item.len()))
                > self.config.max_bytes
        {
            self.emit(now);
        }
        if self.items.is_empty() {
            self.deadline = Some(now.saturating_add(self.config.flush_interval_ms));
        }
        self.items_bytes = self.items_bytes.saturating_add(item.len());
        self.items.push(item);
        if self.items.len() >= self.config.max_messages.max(1) {
            self.emit(now);
        }
    }

    /// Whether `item` fits in a batch alone (one that does not is refused by
    /// [`push`](Self::push); the connection sends it as a message of its own instead).
    pub fn fits(&self, item: &str) -> bool {
        Self::batch_size(1, item.len()) <= self.config.max_bytes
    }

    /// Refuses an item that cannot fit in a batch even alone.
    #[cfg(feature = "std")]
    fn check_size(&self, item: &str) -> Result<(), BatchError> {
        if !self.fits(item) {
            return Err(BatchError::ItemTooLarge {
                size: item.len(),
                max: self.max_item_bytes(),
            });
        }
        Ok(())
    }

    /// Flushes the pending batch if its deadline has passed.
    pub fn handle_timeout(&mut self, now: u64) {
        if self.deadline.is_some_and(|d| d <= now) {
            self.emit(now);
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.deadline
    }

    /// The next finished batch text.
    pub fn poll_batch(&mut self) -> Option<String> {
        // A read cursor, not `remove(0)` (quadratic for a caller that polls many batches late)
        // nor a VecDeque (more code in the wasm); the Vec empties once everything was read.
        let next = self.ready.get_mut(self.ready_read).map(core::mem::take);
        if next.is_some() {
            self.ready_read += 1;
        }
        if self.ready_read >= self.ready.len() {
            self.ready.clear();
            self.ready_read = 0;
        }
        next
    }

    /// Emits the pending items now (used before a close, and before an unbatched message so that
    /// order is kept). Nothing queued is dropped.
    pub fn flush(&mut self, now: u64) {
        self.emit(now);
    }

    /// Items waiting in the current (unfinished) batch.
    pub fn pending_items(&self) -> usize {
        self.items.len()
    }

    /// True when nothing is pending and no batch is waiting to be polled.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.ready.is_empty()
    }

    fn emit(&mut self, now: u64) {
        self.deadline = None;
        if self.items.is_empty() {
            return;
        }
        let mut out = String::with_capacity(Self::batch_size(self.items.len(), self.items_bytes));
        out.push_str(PREFIX);
        // Taken, not `drain(..)`ed: `Drain` is code of its own per element type (issue 9: size).
        for (i, item) in core::mem::take(&mut self.items).iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(item);
        }
        out.push_str(MIDDLE);
        let timestamp = (now as i64).saturating_add(self.timestamp_offset).max(0);
        out.push_str(&decimal(u64::try_from(timestamp).unwrap_or(0)));
        out.push_str(SUFFIX);
        self.items_bytes = 0;
        self.ready.push(out);
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn flushes_at_max_messages() {
        let mut b = Batcher::new(BatchConfig {
            max_messages: 3,
            ..BatchConfig::default()
        });
        b.push(0, "1".into()).unwrap();
        b.push(1, "{\"a\":2}".into()).unwrap();
        assert_eq!(b.poll_batch(), None);
        b.push(2, "\"x\"".into()).unwrap();
        assert_eq!(
            b.poll_batch().unwrap(),
            "{\"type\":\"batch\",\"messages\":[1,{\"a\":2},\"x\"],\"timestamp\":2}"
        );
        assert_eq!(b.poll_timeout(), None);
    }

    #[test]
    fn timer_starts_at_first_item() {
        let mut b = Batcher::new(BatchConfig::default());
        b.push(1000, "1".into()).unwrap();
        b.push(1090, "2".into()).unwrap();
        assert_eq!(b.poll_timeout(), Some(1100));
        b.handle_timeout(1099);
        assert_eq!(b.poll_batch(), None);
        b.handle_timeout(1100);
        assert_eq!(
            b.poll_batch().unwrap(),
            "{\"type\":\"batch\",\"messages\":[1,2],\"timestamp\":1100}"
        );
        assert!(b.is_empty());
    }

    #[test]
    fn respects_max_bytes() {
        let max = ENVELOPE_OVERHEAD + 7;
        let mut b = Batcher::new(BatchConfig {
            max_bytes: max,
            ..BatchConfig::default()
        });
        b.push(0, "123".into()).unwrap();
        b.push(0, "456".into()).unwrap(); // 3 + 1 + 3 = 7: fits
        b.push(0, "7".into()).unwrap(); // would be 9: flush first
        let first = b.poll_batch().unwrap();
        assert!(first.len() <= max);
        assert!(first.contains("[123,456]"));
        assert_eq!(
            b.push(0, "12345678".into()),
            Err(BatchError::ItemTooLarge { size: 8, max: 7 })
        );
        b.flush(5);
        assert!(b.poll_batch().unwrap().contains("[7]"));
    }

    /// Batches polled late, many at once, come out oldest first, and the batcher is empty after.
    #[test]
    fn many_ready_batches_poll_in_order() {
        let mut b = Batcher::new(BatchConfig {
            max_messages: 1,
            ..BatchConfig::default()
        });
        for i in 0..5 {
            b.push(0, i.to_string()).unwrap();
        }
        assert!(b.poll_batch().unwrap().contains("[0]"));
        b.push(0, "5".into()).unwrap();
        for i in 1..6 {
            assert!(
                b.poll_batch().unwrap().contains(&format!("[{i}]")),
                "batch {i}"
            );
        }
        assert_eq!(b.poll_batch(), None);
        assert!(b.is_empty());
    }

    #[test]
    fn invalid_json_refused() {
        let mut b = Batcher::new(BatchConfig::default());
        assert!(matches!(
            b.push(0, "{".into()),
            Err(BatchError::InvalidJson(_))
        ));
        assert!(b.is_empty());
    }

    #[test]
    fn serialized_items_skip_only_the_json_check() {
        let mut b = Batcher::new(BatchConfig {
            max_bytes: ENVELOPE_OVERHEAD + 3,
            ..BatchConfig::default()
        });
        assert_eq!(
            b.push(0, "1234".into()),
            Err(BatchError::ItemTooLarge { size: 4, max: 3 })
        );
        assert!(!b.fits("1234"));
        assert!(b.fits("[1]"));
        // Not JSON, not checked: the serializer's output is trusted.
        b.push_fitting(0, "[1".into());
        b.flush(5);
        assert!(b.poll_batch().unwrap().contains("[[1]"));
        b.push_fitting(0, "[1]".into());
        b.flush(5);
        assert!(b.poll_batch().unwrap().contains("[[1]]"));
    }

    /// `message()` reads exactly as the `format!` it replaced.
    #[test]
    fn message_matches_the_former_format() {
        use crate::core::json_check::JsonErrorKind;
        let json = JsonError {
            position: 3,
            kind: JsonErrorKind::TrailingCharacters,
        };
        let cases = [
            (
                BatchError::ItemTooLarge { size: 0, max: 0 },
                format!(
                    "batch item of {} bytes cannot fit in a batch (at most {} bytes per item)",
                    0, 0
                ),
            ),
            (
                BatchError::ItemTooLarge {
                    size: 16_777_190,
                    max: usize::MAX,
                },
                format!(
                    "batch item of {} bytes cannot fit in a batch (at most {} bytes per item)",
                    16_777_190,
                    usize::MAX
                ),
            ),
            (
                BatchError::InvalidJson(json),
                format!(
                    "batch item is not valid JSON: unexpected data after the JSON value at byte {}",
                    3
                ),
            ),
        ];
        for (error, want) in cases {
            assert_eq!(error.message(), want);
            assert_eq!(error.to_string(), want);
        }
    }

    #[test]
    fn timestamp_is_written_in_decimal() {
        for (offset, want) in [
            (0, 1234u64),
            (1_700_000_000_000, 1_700_000_001_234),
            (-5000, 0),
        ] {
            let mut b = Batcher::new(BatchConfig::default());
            b.set_timestamp_offset(offset);
            b.push(1234, "1".into()).unwrap();
            b.flush(1234);
            let batch = b.poll_batch().unwrap();
            assert!(
                batch.ends_with(&format!("\"timestamp\":{want}}}")),
                "{batch}"
            );
        }
    }
}
