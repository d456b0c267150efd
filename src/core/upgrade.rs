//! Climbing back to a better transport while a worse one works.
//!
//! After a fallback (say to SSE because WebSocket was blocked for a while), a reconnect would
//! start from the top again only after the upgrade window; a socket that never drops would stay
//! on the worse transport for good. So while open on a transport that is not the best, the
//! connection **probes** in the background: every `window_ms` it opens the best transport above
//! the current one *next to* the working one. If the probe opens, the connection switches to it
//! and closes the old one gracefully; if it fails, the next better transport is probed at once,
//! and when every better one has failed the round waits another window. The working connection
//! is never torn down for a probe.
//!
//! If the working transport is lost while a probe is being opened, the probe becomes the
//! reconnect attempt ([`UpgradeProbe::take_in_flight`]) rather than being abandoned: a v2
//! server moves the session to a link when its handshake arrives, which is how the working link
//! can be lost at that moment (an HTTP transport's next request answered 404).
//!
//! This type only keeps the probe's timing and bookkeeping; [`super::Connection`] opens, switches
//! and closes transports.

use super::transport_kind::{TransportKind, TransportSet};

/// The shortest time between probe rounds: a window of 0 would open a connection per better
/// transport in a tight loop against a server that refuses at once.
pub const MIN_WINDOW_MS: u64 = 1000;

/// The background probe of one connection.
#[derive(Debug, Clone)]
pub struct UpgradeProbe {
    /// Time between probe rounds; `None` never probes.
    window_ms: Option<u64>,
    /// When the next probe starts.
    due_at: Option<u64>,
    /// The probe being opened: conn id, transport, connect deadline.
    in_flight: Option<(u64, TransportKind, u64)>,
    /// Better transports that already failed in this round.
    tried: TransportSet,
}

/// The transports ranked above `current` in `order`, best first.
fn better_than(order: &[TransportKind], current: TransportKind) -> &[TransportKind] {
    let rank = order
        .iter()
        .position(|&k| k == current)
        .unwrap_or(order.len());
    order.get(..rank).unwrap_or_default()
}

impl UpgradeProbe {
    /// A probe that runs every `window_ms` (`None`: never), at least every
    /// [`MIN_WINDOW_MS`].
    pub fn new(window_ms: Option<u64>) -> Self {
        Self {
            window_ms: window_ms.map(|w| w.max(MIN_WINDOW_MS)),
            due_at: None,
            in_flight: None,
            tried: TransportSet::empty(),
        }
    }

    /// A transport opened at `now` (first open, reconnect or upgrade): plan the first probe one
    /// window later, if anything in `order` is better than `current`.
    pub fn schedule(&mut self, now: u64, current: TransportKind, order: &[TransportKind]) {
        self.tried = TransportSet::empty();
        self.due_at = match self.window_ms {
            Some(w) if !better_than(order, current).is_empty() => Some(now.saturating_add(w)),
            _ => None,
        };
    }

    /// The earliest time [`Self::take_due`] or [`Self::timed_out`] has work.
    pub fn poll_timeout(&self) -> Option<u64> {
        match (self.due_at, self.in_flight) {
            (Some(a), Some((_, _, b))) => Some(a.min(b)),
            (a, b) => a.or(b.map(|(_, _, d)| d)),
        }
    }

    /// The conn id of the probe being opened, if any.
    pub fn in_flight_id(&self) -> Option<u64> {
        self.in_flight.map(|(id, _, _)| id)
    }

    /// Whether `conn_id` is the probe being opened.
    pub fn is_probe(&self, conn_id: u64) -> bool {
        self.in_flight.is_some_and(|(id, _, _)| id == conn_id)
    }

    /// If a probe is due at `now` and none is in flight, the transport to probe (the best
    /// untried one above `current`). When every better one was tried, the round ends and the
    /// next starts a window later.
    pub fn take_due(
        &mut self,
        now: u64,
        current: TransportKind,
        order: &[TransportKind],
    ) -> Option<TransportKind> {
        if self.in_flight.is_some() || self.due_at.is_none_or(|d| d > now) {
            return None;
        }
        self.due_at = None;
        let next = better_than(order, current)
            .iter()
            .copied()
            .find(|&k| !self.tried.contains(k));
        if next.is_none() {
            self.tried = TransportSet::empty();
            self.due_at = self.window_ms.map(|w| now.saturating_add(w));
        }
        next
    }

    /// The probe `conn_id` of `kind` was asked to open; it must open by `deadline`.
    pub fn started(&mut self, conn_id: u64, kind: TransportKind, deadline: u64) {
        self.in_flight = Some((conn_id, kind, deadline));
    }

    /// The probe in flight whose connect deadline has passed at `now`, if any.
    pub fn timed_out(&self, now: u64) -> Option<u64> {
        self.in_flight
            .filter(|&(_, _, d)| d <= now)
            .map(|(id, _, _)| id)
    }

    /// The probe failed at `now`: the next better transport is tried at once.
    pub fn failed(&mut self, now: u64) {
        if let Some((_, kind, _)) = self.in_flight.take() {
            self.tried.insert(kind);
        }
        self.due_at = Some(now);
    }

    /// The probe opened: its conn id and transport (the caller switches to it).
    pub fn succeeded(&mut self) -> Option<(u64, TransportKind)> {
        self.in_flight.take().map(|(id, kind, _)| (id, kind))
    }

    /// Stops probing (the connection is closing for good, or lost with a probe that cannot
    /// become the reconnect attempt); returns the probe in flight, which the caller must close.
    pub fn cancel(&mut self) -> Option<u64> {
        self.take_in_flight().map(|(id, _, _)| id)
    }

    /// Stops probing and hands over the probe in flight (conn id, transport, connect deadline),
    /// which the caller goes on opening as its reconnect attempt.
    pub fn take_in_flight(&mut self) -> Option<(u64, TransportKind, u64)> {
        self.due_at = None;
        self.tried = TransportSet::empty();
        self.in_flight.take()
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use TransportKind::*;

    #[test]
    fn probes_each_better_transport_then_waits_a_window() {
        let order = TransportKind::ALL;
        let mut p = UpgradeProbe::new(Some(1000));
        p.schedule(0, Sse, &order);
        assert_eq!(p.poll_timeout(), Some(1000));
        assert_eq!(p.take_due(999, Sse, &order), None);
        assert_eq!(p.take_due(1000, Sse, &order), Some(WebTransport));
        p.started(7, WebTransport, 3000);
        assert!(p.is_probe(7));
        assert_eq!(p.timed_out(2999), None);
        assert_eq!(p.timed_out(3000), Some(7));
        p.failed(3000);
        assert_eq!(p.take_due(3000, Sse, &order), Some(WebSocket));
        p.started(8, WebSocket, 5000);
        p.failed(4000);
        // Every better transport failed: the next round starts a window later.
        assert_eq!(p.take_due(4000, Sse, &order), None);
        assert_eq!(p.poll_timeout(), Some(5000));
        assert_eq!(p.take_due(5000, Sse, &order), Some(WebTransport));
        p.started(9, WebTransport, 7000);
        assert_eq!(p.succeeded(), Some((9, WebTransport)));
    }

    #[test]
    fn nothing_to_probe_on_the_best_transport_or_when_disabled() {
        let order = TransportKind::ALL;
        let mut p = UpgradeProbe::new(Some(1000));
        p.schedule(0, WebTransport, &order);
        assert_eq!(p.poll_timeout(), None);
        let mut off = UpgradeProbe::new(None);
        off.schedule(0, LongPolling, &order);
        assert_eq!(off.poll_timeout(), None);
    }

    #[test]
    fn cancel_returns_the_probe_in_flight() {
        let order = TransportKind::ALL;
        // A window of 0 is raised to the minimum: no tight loop of connection attempts.
        let mut p = UpgradeProbe::new(Some(0));
        p.schedule(0, LongPolling, &order);
        assert_eq!(p.take_due(MIN_WINDOW_MS - 1, LongPolling, &order), None);
        assert_eq!(
            p.take_due(MIN_WINDOW_MS, LongPolling, &order),
            Some(WebTransport)
        );
        p.started(3, WebTransport, 100);
        assert_eq!(p.cancel(), Some(3));
        assert_eq!(p.poll_timeout(), None);
    }
}
