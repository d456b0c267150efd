//! Choosing the transport to try next (guide §8.4 `UniversalSocket`, made resilient).
//!
//! The guide picks the first transport the browser supports and stops there. We also fall back
//! when a supported transport *fails* (a proxy that blocks WebSocket, a network that drops UDP
//! for WebTransport), which needs a plan:
//!
//! * A **round** is one pass over every supported transport, each tried at most once. The
//!   first candidate of a round is chosen as below; the rest follow in configured order.
//!   [`FallbackPlan::next_after_failure`] returns `None` when the round is exhausted.
//! * A round starts with the transport that **last worked** (or, when the link is lost while an
//!   upgrade probe is being opened, with that probe: [`FallbackPlan::start_round_at`]) (a reconnect should not waste
//!   seconds re-discovering that WebTransport is blocked on this network), or with the best
//!   supported transport when nothing has worked yet.
//! * **Upgrade policy** ("retry a better transport from time to time"): when the last working
//!   transport is not the best one, a round starts from the top again if at least
//!   `upgrade_after_ms` have passed since a better transport last failed. So after falling back
//!   to long polling, reconnects within that window go straight to long polling, and the first
//!   reconnect after it tries WebTransport again (falling back again within the same round if
//!   it still fails, which restarts the window). `None` disables upgrades. The plan never tears
//!   down a working connection to upgrade: it only chooses where a reconnect starts.

use super::transport_kind::{TransportKind, TransportSet};
use crate::prelude::*;

/// Default window before a better transport is retried: one minute.
pub const DEFAULT_UPGRADE_AFTER_MS: u64 = 60_000;

/// The fallback planner.
#[derive(Debug, Clone)]
pub struct FallbackPlan {
    /// Configured order restricted to supported transports, without duplicates.
    order: Vec<TransportKind>,
    upgrade_after_ms: Option<u64>,
    last_working: Option<TransportKind>,
    /// When a transport better than `last_working` last failed.
    better_failed_at: Option<u64>,
    /// Transports already tried in the current round.
    tried: TransportSet,
    /// The first candidate of the current round.
    round_start: Option<TransportKind>,
}

impl FallbackPlan {
    /// A plan over `order` (preference order; duplicates ignored) restricted to `supported`.
    pub fn new(
        order: &[TransportKind],
        supported: TransportSet,
        upgrade_after_ms: Option<u64>,
    ) -> Self {
        let mut seen = TransportSet::empty();
        let mut list = Vec::new();
        for &k in order {
            if supported.contains(k) && !seen.contains(k) {
                seen.insert(k);
                list.push(k);
            }
        }
        Self {
            order: list,
            upgrade_after_ms,
            last_working: None,
            better_failed_at: None,
            tried: TransportSet::empty(),
            round_start: None,
        }
    }

    /// The usable transports, best first.
    pub fn order(&self) -> &[TransportKind] {
        &self.order
    }

    /// The transport that last opened successfully.
    pub fn last_working(&self) -> Option<TransportKind> {
        self.last_working
    }

    fn rank(&self, kind: TransportKind) -> usize {
        self.order
            .iter()
            .position(|&k| k == kind)
            .unwrap_or(usize::MAX)
    }

    /// Starts a new round at time `now` and returns its first transport (`None` when no
    /// transport is supported at all).
    pub fn start_round(&mut self, now: u64) -> Option<TransportKind> {
        let best = self.order.first().copied()?;
        let first = match self.last_working {
            None => best,
            Some(lw) if lw == best => best,
            Some(lw) => {
                let upgrade = match (self.upgrade_after_ms, self.better_failed_at) {
                    (None, _) => false,
                    (Some(_), None) => true,
                    (Some(window), Some(t)) => now.saturating_sub(t) >= window,
                };
                if upgrade {
                    best
                } else {
                    lw
                }
            }
        };
        self.tried = TransportSet::empty();
        self.tried.insert(first);
        self.round_start = Some(first);
        Some(first)
    }

    /// Starts a new round whose first transport is `kind`, one already being opened (an
    /// upgrade probe that becomes the reconnect attempt). Probes go best first, so every
    /// transport better than `kind` has just failed as a probe: the round counts them as tried,
    /// and if `kind` fails it goes on with the worse ones, in configured order.
    pub fn start_round_at(&mut self, kind: TransportKind) {
        self.tried = TransportSet::empty();
        for &k in self.order.iter().take_while(|&&k| k != kind) {
            self.tried.insert(k);
        }
        self.tried.insert(kind);
        self.round_start = Some(kind);
    }

    /// Records that `failed` did not open at time `now` and returns the next transport of the
    /// round, or `None` when every supported transport has been tried in this round.
    pub fn next_after_failure(&mut self, now: u64, failed: TransportKind) -> Option<TransportKind> {
        let better_than_working = self
            .last_working
            .is_none_or(|lw| self.rank(failed) < self.rank(lw));
        if better_than_working {
            self.better_failed_at = Some(now);
        }
        self.tried.insert(failed);
        let next = self
            .order
            .iter()
            .copied()
            .find(|&k| !self.tried.contains(k))?;
        self.tried.insert(next);
        Some(next)
    }

    /// Records that `kind` opened.
    pub fn mark_working(&mut self, kind: TransportKind) {
        self.last_working = Some(kind);
        if self.order.first() == Some(&kind) {
            self.better_failed_at = None;
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use TransportKind::*;

    #[test]
    fn full_round_then_exhausted() {
        let mut p = FallbackPlan::new(&TransportKind::ALL, TransportSet::all(), Some(1000));
        assert_eq!(p.start_round(0), Some(WebTransport));
        assert_eq!(p.next_after_failure(1, WebTransport), Some(WebSocket));
        assert_eq!(p.next_after_failure(2, WebSocket), Some(Sse));
        assert_eq!(p.next_after_failure(3, Sse), Some(LongPolling));
        assert_eq!(p.next_after_failure(4, LongPolling), None);
    }

    #[test]
    fn unsupported_and_duplicates_skipped() {
        let supported: TransportSet = [WebSocket, LongPolling].into_iter().collect();
        let mut p = FallbackPlan::new(&[LongPolling, WebSocket, LongPolling, Sse], supported, None);
        assert_eq!(p.order(), &[LongPolling, WebSocket]);
        assert_eq!(p.start_round(0), Some(LongPolling));
        assert_eq!(p.next_after_failure(0, LongPolling), Some(WebSocket));
        assert_eq!(p.next_after_failure(0, WebSocket), None);
        let mut none = FallbackPlan::new(&TransportKind::ALL, TransportSet::empty(), None);
        assert_eq!(none.start_round(0), None);
    }

    #[test]
    fn starts_from_last_working_until_upgrade_window() {
        let mut p = FallbackPlan::new(&TransportKind::ALL, TransportSet::all(), Some(60_000));
        p.start_round(0);
        p.next_after_failure(100, WebTransport);
        p.mark_working(WebSocket);
        // Within the window: start from the last working transport, then the others in order.
        assert_eq!(p.start_round(30_000), Some(WebSocket));
        assert_eq!(p.next_after_failure(30_001, WebSocket), Some(WebTransport));
        assert_eq!(p.next_after_failure(30_002, WebTransport), Some(Sse));
        // WebTransport failed again at 30_002: window restarts from there.
        p.mark_working(Sse);
        assert_eq!(p.start_round(90_001), Some(Sse));
        assert_eq!(p.start_round(90_002), Some(WebTransport));
        p.mark_working(WebTransport);
        assert_eq!(p.start_round(90_003), Some(WebTransport));
    }

    #[test]
    fn upgrades_disabled() {
        let mut p = FallbackPlan::new(&TransportKind::ALL, TransportSet::all(), None);
        p.start_round(0);
        p.next_after_failure(0, WebTransport);
        p.mark_working(WebSocket);
        assert_eq!(p.start_round(u64::MAX), Some(WebSocket));
    }
}
