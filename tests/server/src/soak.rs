//! The `soak` service (PROTOCOL.md §7.4), for soak tests of delivery guarantees: the server
//! streams numbered messages at a paced rate, and counts the numbered messages the client sends
//! (received, duplicates, out of order), so a test can check that nothing was lost, duplicated
//! or reordered across drops and resumes.
//!
//! Client → server (text JSON; binary JSON is accepted too):
//! * `{"type":"start","count":N,"intervalMs":I,"burst":B}`: send `{"type":"n","n":k}` for
//!   k = 1…N, B messages every I ms (defaults 10 000, 1, 1; N clamped to ≤ 1 000 000, I to
//!   1…3 600 000, B to ≥ 1). A new `start` replaces a running stream (k starts at 1 again;
//!   `sent` keeps counting).
//! * `{"type":"n","n":k}`: counted.
//! * `{"type":"report"}`: answers `{"type":"report","received":R,"next":X,"duplicates":D,
//!   "outOfOrder":O,"sent":S}`.
//!
//! The counters belong to the [`Conn`]: to the connection in v1, to the session in v2 (they
//! survive resumes; messages produced while detached wait in the resend buffer).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::hub::{iso_now, lock, Conn, Hub, Msg};

pub const DEFAULT_COUNT: u64 = 10_000;
pub const MAX_COUNT: u64 = 1_000_000;
const MAX_INTERVAL_MS: u64 = 3_600_000;

/// Per-connection soak counters and streams, by `Conn::key`.
#[derive(Default)]
pub struct SoakState(Mutex<HashMap<u64, Counters>>);

/// What one connection's client sent, and what the server produced for it.
#[derive(Debug)]
pub struct Counters {
    received: u64,
    /// The next `n` expected from the client.
    next: u64,
    duplicates: u64,
    out_of_order: u64,
    /// Server messages produced so far (written by the stream task).
    sent: Arc<AtomicU64>,
    stream: Option<JoinHandle<()>>,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            received: 0,
            next: 1,
            duplicates: 0,
            out_of_order: 0,
            sent: Arc::new(AtomicU64::new(0)),
            stream: None,
        }
    }
}

impl Counters {
    /// Counts the client's message `n`. One below the expected is a duplicate; one above is out
    /// of order, and the expectation moves past it (a message lost once is counted once, not
    /// once per later message).
    pub fn count(&mut self, n: u64) {
        self.received += 1;
        if n == self.next {
            self.next += 1;
        } else if n < self.next {
            self.duplicates += 1;
        } else {
            self.out_of_order += 1;
            self.next = n.saturating_add(1);
        }
    }

    fn report(&self) -> Value {
        json!({
            "type": "report",
            "received": self.received,
            "next": self.next,
            "duplicates": self.duplicates,
            "outOfOrder": self.out_of_order,
            "sent": self.sent.load(Ordering::SeqCst),
        })
    }
}

fn send_error(conn: &Conn, code: &str) {
    conn.send_json(&json!({"type": "error", "code": code, "timestamp": iso_now()}));
}

pub fn on_message(hub: &Arc<Hub>, conn: &Arc<Conn>, msg: Msg) {
    let value = match &msg {
        Msg::Text(t) => serde_json::from_str::<Value>(t).ok(),
        Msg::Binary(b) => serde_json::from_slice::<Value>(b).ok(),
    };
    let Some(v) = value else {
        return send_error(conn, "INVALID_MESSAGE_FORMAT");
    };
    let kind = v.get("type").and_then(Value::as_str).unwrap_or("");
    let num = |key: &str, default: u64| v.get(key).and_then(Value::as_u64).unwrap_or(default);
    let answer = {
        let mut all = lock(&hub.soak.0);
        // Checked under the soak lock: `on_close` (which runs after the connection is marked
        // closed) then cannot miss an entry made here.
        if conn.is_closed() {
            return;
        }
        let counters = all.entry(conn.key).or_default();
        match kind {
            "start" => {
                let count = num("count", DEFAULT_COUNT).min(MAX_COUNT);
                let interval = num("intervalMs", 1).clamp(1, MAX_INTERVAL_MS);
                let burst = num("burst", 1).max(1);
                if let Some(old) = counters.stream.take() {
                    old.abort();
                }
                counters.stream = Some(tokio::spawn(stream(
                    conn.clone(),
                    counters.sent.clone(),
                    count,
                    Duration::from_millis(interval),
                    burst,
                )));
                None
            }
            "n" => match v.get("n").and_then(Value::as_u64) {
                Some(n) => {
                    counters.count(n);
                    None
                }
                None => Some("INVALID_MESSAGE_FORMAT"),
            },
            "report" => {
                let report = counters.report();
                conn.send_json(&report);
                None
            }
            _ => Some("UNKNOWN_MESSAGE_TYPE"),
        }
    };
    if let Some(code) = answer {
        send_error(conn, code);
    }
}

/// The connection ended: its stream stops and its counters go.
pub fn on_close(hub: &Hub, conn: &Conn) {
    if let Some(c) = lock(&hub.soak.0).remove(&conn.key) {
        if let Some(t) = c.stream {
            t.abort();
        }
    }
}

/// Sends `{"type":"n","n":k}` for k = 1…count, `burst` at a time every `interval`, until done
/// or the connection ends. In v2 a detached session keeps producing into its resend buffer.
async fn stream(conn: Arc<Conn>, sent: Arc<AtomicU64>, count: u64, interval: Duration, burst: u64) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut k = 1;
    while k <= count {
        tick.tick().await;
        if conn.is_closed() {
            return;
        }
        for _ in 0..burst {
            if k > count {
                break;
            }
            conn.send_text(format!("{{\"type\":\"n\",\"n\":{k}}}"));
            sent.fetch_add(1, Ordering::SeqCst);
            k += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting() {
        let mut c = Counters::default();
        for n in [1, 2, 3, 3, 5, 4, 6] {
            c.count(n);
        }
        let r = c.report();
        assert_eq!(r["received"], 7);
        assert_eq!(r["duplicates"], 2); // the second 3, and 4 (after 5 moved past it)
        assert_eq!(r["outOfOrder"], 1); // 5
        assert_eq!(r["next"], 7);
        assert_eq!(r["sent"], 0);
        c.count(u64::MAX);
        assert_eq!(c.next, u64::MAX);
    }
}
