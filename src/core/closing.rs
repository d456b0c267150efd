//! Transports that are closing, each with the time by which it must report its end.
//!
//! One rule for every transport and every reason a connection ends: the core asked it to close
//! (the application's `close()`, a heartbeat or connect timeout, a replaced link, a broken
//! session), or the adapter said it is ending (`Connection::handle_transport_ending`: the server
//! closed and the adapter is still delivering what came before, or finding out why). A transport
//! that has not reported its end (`Closed` or `Failed`) within
//! [`ConnectionConfig::close_timeout_ms`](super::ConnectionConfig::close_timeout_ms) is given up
//! on: the core tells the adapter layer to drop it
//! ([`Action::AbandonTransport`](super::Action::AbandonTransport)), which hands back what it still
//! held, and an ending transport then ends with the outcome it announced. A server or browser
//! that never finishes a close therefore costs the same bounded wait on every transport, and no
//! adapter keeps a timer of its own.
use crate::prelude::*;

/// How a transport that announced its end will have ended if it never says more:
/// `(code, reason, was_clean)`.
pub(crate) type Outcome = (u16, String, bool);

/// One transport being waited for.
#[derive(Debug)]
struct Wait {
    conn_id: u64,
    give_up_at: u64,
    outcome: Option<Outcome>,
    /// The outcome is final (`settled` in [`ClosingTransports::ending`]): what the transport reports of its
    /// end later does not replace it.
    settled: bool,
}

/// The transports being waited for, and the outcomes of those just given up on. A handful at
/// most: one entry per transport the driver still holds (the current one, a replaced one, a
/// probe).
#[derive(Debug, Default)]
pub(crate) struct ClosingTransports {
    waits: Vec<Wait>,
    given_up: Vec<(u64, Outcome)>,
}

impl ClosingTransports {
    /// Transport `conn_id` was asked to close; it is given up on at `give_up_at`. A transport
    /// already waited for keeps its first deadline: the wait is bounded from the first request.
    pub(crate) fn asked(&mut self, conn_id: u64, give_up_at: u64) {
        let _ = self.wait(conn_id, give_up_at);
    }

    /// Transport `conn_id` announced that it is ending with `outcome`; it is given up on at
    /// `give_up_at` (or at its earlier deadline, if it was already asked to close).
    /// `settled`: the outcome is final (the server's close frame, or this client's refusal of a
    /// message). Nothing replaces a settled outcome, not even a later settled one.
    pub(crate) fn ending(
        &mut self,
        conn_id: u64,
        give_up_at: u64,
        outcome: Outcome,
        settled: bool,
    ) {
        if let Some(wait) = self.wait(conn_id, give_up_at).filter(|w| !w.settled) {
            wait.outcome = Some(outcome);
            wait.settled = settled;
        }
    }

    fn wait(&mut self, conn_id: u64, give_up_at: u64) -> Option<&mut Wait> {
        if !self.waits.iter().any(|w| w.conn_id == conn_id) {
            self.waits.push(Wait {
                conn_id,
                give_up_at,
                outcome: None,
                settled: false,
            });
        }
        self.waits.iter_mut().find(|w| w.conn_id == conn_id)
    }

    /// The outcome transport `conn_id` announced, while it is still waited for.
    pub(crate) fn announced(&self, conn_id: u64) -> Option<&Outcome> {
        self.waits
            .iter()
            .find(|w| w.conn_id == conn_id)
            .and_then(|w| w.outcome.as_ref())
    }

    /// Whether transport `conn_id` is waited for (asked to close, or ending).
    pub(crate) fn is_waiting(&self, conn_id: u64) -> bool {
        self.waits.iter().any(|w| w.conn_id == conn_id)
    }

    /// The final outcome transport `conn_id` settled on ([`ClosingTransports::ending`]), while
    /// it is still waited for.
    pub(crate) fn settled(&self, conn_id: u64) -> Option<&Outcome> {
        self.waits
            .iter()
            .find(|w| w.conn_id == conn_id && w.settled)
            .and_then(|w| w.outcome.as_ref())
    }

    /// Transport `conn_id` reported its end (or was dropped): nothing more to wait for.
    pub(crate) fn ended(&mut self, conn_id: u64) {
        // Each id is in each list once at most (`wait` never adds a second entry, `take_due`
        // moves one): removing the first match is enough, and `retain` would cost two generic
        // instances in the wasm.
        if let Some(i) = self.waits.iter().position(|w| w.conn_id == conn_id) {
            self.waits.swap_remove(i);
        }
        let _ = self.take_outcome(conn_id);
    }

    /// The earliest give-up time, if any transport is closing.
    pub(crate) fn poll_timeout(&self) -> Option<u64> {
        self.waits.iter().map(|w| w.give_up_at).min()
    }

    /// One transport whose wait is over at `now`, no longer waited for. Its announced outcome,
    /// if any, is kept for [`ClosingTransports::take_outcome`] once it has been dropped.
    pub(crate) fn take_due(&mut self, now: u64) -> Option<u64> {
        let i = self.waits.iter().position(|w| w.give_up_at <= now)?;
        let wait = self.waits.swap_remove(i);
        if let Some(outcome) = wait.outcome {
            self.given_up.push((wait.conn_id, outcome));
        }
        Some(wait.conn_id)
    }

    /// The outcome transport `conn_id` announced before it was given up on, once.
    pub(crate) fn take_outcome(&mut self, conn_id: u64) -> Option<Outcome> {
        let i = self.given_up.iter().position(|&(id, _)| id == conn_id)?;
        Some(self.given_up.swap_remove(i).1)
    }

    /// The socket closed for good: the adapter layer drops every transport at once.
    pub(crate) fn clear(&mut self) {
        self.waits.clear();
        self.given_up.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transport_is_given_up_on_at_its_deadline_unless_it_ended() {
        let mut closing = ClosingTransports::default();
        closing.asked(1, 3_000);
        closing.asked(2, 3_500);
        closing.asked(1, 9_000); // asked again: the first deadline holds
        assert_eq!(closing.poll_timeout(), Some(3_000));
        assert_eq!(closing.take_due(2_999), None);
        assert_eq!(closing.take_due(3_000), Some(1));
        assert_eq!(closing.take_due(3_000), None);
        assert_eq!(
            closing.take_outcome(1),
            None,
            "asked to close: no outcome of its own"
        );
        assert_eq!(closing.poll_timeout(), Some(3_500));
        closing.ended(2);
        assert_eq!(closing.poll_timeout(), None);
        assert_eq!(closing.take_due(10_000), None);
    }

    #[test]
    fn an_ending_transport_given_up_on_keeps_its_outcome_once() {
        let mut closing = ClosingTransports::default();
        closing.asked(4, 1_000);
        closing.ending(4, 5_000, (4001, "bye".into(), true), false);
        assert_eq!(
            closing.poll_timeout(),
            Some(1_000),
            "the earlier deadline holds"
        );
        closing.ending(5, 2_000, (1006, "gone".into(), false), false);
        assert_eq!(closing.take_due(1_000), Some(4));
        assert_eq!(closing.take_due(2_000), Some(5));
        assert_eq!(closing.take_outcome(5), Some((1006, "gone".into(), false)));
        assert_eq!(closing.take_outcome(5), None);
        closing.ended(4);
        assert_eq!(
            closing.take_outcome(4),
            None,
            "it reported its end after all"
        );
    }

    #[test]
    fn a_settled_outcome_is_not_replaced() {
        let mut closing = ClosingTransports::default();
        closing.ending(3, 1_000, (1006, "stream ended".into(), false), false);
        assert_eq!(
            closing.settled(3),
            None,
            "an announced outcome is not final"
        );
        closing.ending(3, 1_000, (1009, "message too big".into(), false), true);
        closing.ending(3, 1_000, (4321, "a later close frame".into(), true), true);
        closing.ending(3, 1_000, (1006, "the stream ended".into(), false), false);
        let refusal = Some((1009, "message too big".into(), false));
        assert_eq!(closing.settled(3), refusal.as_ref());
        assert_eq!(closing.announced(3), refusal.as_ref());
        closing.ended(3);
        assert_eq!(closing.settled(3), None);
    }

    #[test]
    fn clear_forgets_every_wait() {
        let mut closing = ClosingTransports::default();
        closing.asked(7, 100);
        closing.ending(8, 100, (1000, String::new(), true), false);
        assert_eq!(closing.take_due(100), Some(7));
        closing.clear();
        assert_eq!(closing.take_due(1_000), None);
        assert_eq!(closing.take_outcome(8), None);
    }
}
