//! The four transports and sets of them.

use std::fmt;

/// One of the transports the client can speak (guide §8.4), best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransportKind {
    /// WebTransport over HTTP/3 (framed per PROTOCOL.md §2 on a bidirectional stream).
    WebTransport,
    /// WebSocket.
    WebSocket,
    /// Server-sent events down, HTTP POST up.
    Sse,
    /// HTTP long polling.
    LongPolling,
}

impl TransportKind {
    /// All kinds in the default preference order (guide §8.4: WebTransport, WebSocket,
    /// EventSource, long polling).
    pub const ALL: [TransportKind; 4] = [
        TransportKind::WebTransport,
        TransportKind::WebSocket,
        TransportKind::Sse,
        TransportKind::LongPolling,
    ];

    /// The stable lowercase name used in configuration and in JS.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::WebTransport => "webtransport",
            TransportKind::WebSocket => "websocket",
            TransportKind::Sse => "sse",
            TransportKind::LongPolling => "long-polling",
        }
    }

    /// Parses a name produced by [`TransportKind::as_str`]. Exact, case-sensitive match so that a
    /// typo in configuration is noticed instead of silently mapping to something.
    pub fn parse(name: &str) -> Option<TransportKind> {
        TransportKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Position in [`TransportKind::ALL`]; used as an array index for per-transport statistics.
    pub fn index(self) -> usize {
        match self {
            TransportKind::WebTransport => 0,
            TransportKind::WebSocket => 1,
            TransportKind::Sse => 2,
            TransportKind::LongPolling => 3,
        }
    }

    fn bit(self) -> u8 {
        1 << self.index()
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of transports (which ones this browser supports). A bit set because there are four and
/// copying it around should cost nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TransportSet(u8);

impl TransportSet {
    /// The empty set.
    pub const fn empty() -> Self {
        TransportSet(0)
    }

    /// Every transport.
    pub const fn all() -> Self {
        TransportSet(0b1111)
    }

    /// Adds `kind`.
    pub fn insert(&mut self, kind: TransportKind) {
        self.0 |= kind.bit();
    }

    /// Removes `kind`.
    pub fn remove(&mut self, kind: TransportKind) {
        self.0 &= !kind.bit();
    }

    /// Whether `kind` is in the set.
    pub fn contains(self, kind: TransportKind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl FromIterator<TransportKind> for TransportSet {
    fn from_iter<I: IntoIterator<Item = TransportKind>>(iter: I) -> Self {
        let mut s = TransportSet::empty();
        for k in iter {
            s.insert(k);
        }
        s
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in TransportKind::ALL {
            assert_eq!(TransportKind::parse(k.as_str()), Some(k));
            assert_eq!(k.to_string(), k.as_str());
        }
        assert_eq!(
            TransportKind::parse("long-polling"),
            Some(TransportKind::LongPolling)
        );
        assert_eq!(TransportKind::parse("WebSocket"), None);
        assert_eq!(TransportKind::parse(""), None);
    }

    #[test]
    fn set_operations() {
        let mut s: TransportSet = [TransportKind::Sse].into_iter().collect();
        assert!(s.contains(TransportKind::Sse));
        assert!(!s.contains(TransportKind::WebSocket));
        s.insert(TransportKind::WebSocket);
        s.remove(TransportKind::Sse);
        assert!(s.contains(TransportKind::WebSocket) && !s.contains(TransportKind::Sse));
        assert!(TransportSet::empty().is_empty());
        assert!(TransportKind::ALL
            .iter()
            .all(|k| TransportSet::all().contains(*k)));
    }
}
