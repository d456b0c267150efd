//! Resumable sessions (PROTOCOL.md §7): sequence numbers, acknowledgements, the resend buffer
//! and duplicate detection, so that a session outlives its transport.
//!
//! Why here and not in the adapters: the same rules must hold on five transports, across a change
//! of transport, and they need time (the ack delay). In the core they are written once and tested
//! on a simulated clock; adapters only carry the binary frames this module produces.
//!
//! The [`Session`] is owned by [`Connection`](super::Connection), which decides *when* a link is
//! usable; this module decides *what* goes on it: every application message becomes one `data`
//! frame with the next sequence number and the current cumulative ack, and stays in the resend
//! buffer until the peer acknowledges it.

use crate::core::fifo::Fifo;
use crate::prelude::*;

use super::payload::Payload;
use super::text::{concat, decimal};

/// Kind byte of a `data` session frame.
pub const DATA: u8 = 0x10;
/// Kind byte of an `ack` session frame.
pub const ACK: u8 = 0x11;
/// Kind byte of the server's `hello` session frame.
pub const HELLO: u8 = 0x12;
/// Bytes a `data` frame adds to the message it carries (kind, seq, ack, inner kind).
pub const DATA_OVERHEAD: usize = 18;
/// Length of a session id (lowercase hex).
pub const SESSION_ID_LEN: usize = 32;
const HELLO_LEN: usize = 1 + 1 + 8 + SESSION_ID_LEN;

/// Resumable-session settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// Ask the server for a v2 session (`v=2`); `false` keeps the v1 protocol.
    pub enabled: bool,
    /// How long received data may stay unacknowledged when there is nothing to send that would
    /// carry the ack, ms (default 100).
    pub ack_delay_ms: u64,
    /// Acknowledge at once after this many unacknowledged frames (default 128), so that a fast
    /// one-way stream does not fill the peer's resend buffer.
    pub ack_every: u64,
    /// How long a new link may take to send `hello` before the peer is taken for a v1 server, ms
    /// (default 1000).
    pub hello_timeout_ms: u64,
    /// Most messages kept unacknowledged (default 10,000: a burst sent in one loop is
    /// unacknowledged until the loop yields, and the send queue's 1,000 come on top); while full,
    /// new messages wait in the send queue.
    pub max_messages: usize,
    /// Most payload bytes kept unacknowledged (default 16 MiB, the send queue's bound).
    pub max_bytes: usize,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            ack_delay_ms: 100,
            ack_every: 128,
            hello_timeout_ms: 1000,
            max_messages: 10_000,
            max_bytes: 16 << 20,
        }
    }
}

/// What the server said in `hello`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelloStatus {
    /// A new session (none was asked for).
    New,
    /// The session asked for was resumed.
    Resumed,
    /// Resume refused: the server does not know the session.
    Unknown,
    /// Resume refused: the session expired.
    Expired,
    /// Resume refused: the session belongs to another service.
    OtherService,
}

impl HelloStatus {
    fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            0 => Self::New,
            1 => Self::Resumed,
            2 => Self::Unknown,
            3 => Self::Expired,
            4 => Self::OtherService,
            _ => return None,
        })
    }

    fn to_byte(self) -> u8 {
        match self {
            Self::New => 0,
            Self::Resumed => 1,
            Self::Unknown => 2,
            Self::Expired => 3,
            Self::OtherService => 4,
        }
    }

    /// Why a resume was refused, for the `sessionLost` event (`None` when it was not).
    pub fn refusal(self) -> Option<&'static str> {
        match self {
            Self::New | Self::Resumed => None,
            Self::Unknown => Some("unknown session"),
            Self::Expired => Some("session expired"),
            Self::OtherService => Some("session belongs to another service"),
        }
    }
}

/// A decoded session frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionFrame {
    /// An application message with its sequence number and the sender's cumulative ack.
    Data {
        /// Sequence number, from 1.
        seq: u64,
        /// Highest sequence the sender received in order.
        ack: u64,
        /// The message.
        payload: Payload,
    },
    /// A cumulative ack alone.
    Ack(u64),
    /// The server's first message on a v2 link.
    Hello {
        /// New, resumed or refused.
        status: HelloStatus,
        /// Highest sequence the server received in order (resumed sessions).
        ack: u64,
        /// The session (the new one when a resume was refused).
        id: String,
    },
}

/// A session frame that does not decode. The client closes the link with 4003 (a session error:
/// the server keeps the session, and the resume repairs it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionFrameError {
    /// Shorter than its kind requires.
    Truncated,
    /// Not a session frame kind.
    UnknownKind(u8),
    /// A data frame's inner kind is neither text nor binary.
    UnknownInnerKind(u8),
    /// A `hello` with an unknown status or a session id that is not 32 lowercase hex digits.
    BadHello,
    /// A text data frame that is not UTF-8.
    InvalidUtf8,
    /// An `ack` frame longer than its 9 bytes.
    TrailingBytes,
}

impl SessionFrameError {
    /// The text for humans (a fixed text, so no allocation and no `core::fmt` on the JS build,
    /// issue 9: size); `Display` writes the same text.
    pub fn message(&self) -> &'static str {
        match self {
            Self::Truncated => "truncated session frame",
            Self::UnknownKind(_) => "unknown session frame kind",
            Self::UnknownInnerKind(_) => "unknown data frame message kind",
            Self::BadHello => "malformed hello",
            Self::InvalidUtf8 => "text message is not UTF-8",
            Self::TrailingBytes => "ack frame with trailing bytes",
        }
    }
}

impl std::fmt::Display for SessionFrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

fn read_u64(bytes: &[u8], at: usize) -> Result<u64, SessionFrameError> {
    let end = at.checked_add(8).ok_or(SessionFrameError::Truncated)?;
    let slice = bytes.get(at..end).ok_or(SessionFrameError::Truncated)?;
    let mut b = [0u8; 8];
    b.copy_from_slice(slice);
    Ok(u64::from_be_bytes(b))
}

/// Whether `id` is a session id: 32 lowercase hex digits.
pub fn is_session_id(id: &[u8]) -> bool {
    id.len() == SESSION_ID_LEN && id.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// Decodes one session frame (the whole content of one binary transport message).
pub fn decode_session_frame(bytes: &[u8]) -> Result<SessionFrame, SessionFrameError> {
    let (&kind, _) = bytes.split_first().ok_or(SessionFrameError::Truncated)?;
    match kind {
        DATA => {
            let seq = read_u64(bytes, 1)?;
            let ack = read_u64(bytes, 9)?;
            let inner = *bytes.get(17).ok_or(SessionFrameError::Truncated)?;
            let body = bytes.get(DATA_OVERHEAD..).unwrap_or_default();
            let payload = match inner {
                0 => Payload::Text(
                    std::str::from_utf8(body)
                        .map_err(|_| SessionFrameError::InvalidUtf8)?
                        .to_owned(),
                ),
                1 => Payload::Binary(body.to_vec()),
                other => return Err(SessionFrameError::UnknownInnerKind(other)),
            };
            Ok(SessionFrame::Data { seq, ack, payload })
        }
        ACK if bytes.len() > 9 => Err(SessionFrameError::TrailingBytes),
        ACK => Ok(SessionFrame::Ack(read_u64(bytes, 1)?)),
        HELLO => {
            if bytes.len() != HELLO_LEN {
                return Err(SessionFrameError::BadHello);
            }
            let status = bytes
                .get(1)
                .copied()
                .and_then(HelloStatus::from_byte)
                .ok_or(SessionFrameError::BadHello)?;
            let ack = read_u64(bytes, 2)?;
            let id = bytes.get(10..).unwrap_or_default();
            if !is_session_id(id) {
                return Err(SessionFrameError::BadHello);
            }
            // Lower-case hex digits (checked above), so valid UTF-8: `from_utf8` cannot fail
            // here. Not `String::from_utf8_lossy`, whose replacement machinery (`Utf8Chunks`)
            // would cost 0.5 KB of wasm for text that cannot need it, nor a `char` collect,
            // which links `String`'s `FromIterator<char>` (issue 9: size).
            let id = String::from_utf8(id.to_vec()).unwrap_or_default();
            Ok(SessionFrame::Hello { status, ack, id })
        }
        other => Err(SessionFrameError::UnknownKind(other)),
    }
}

/// Encodes a `data` frame carrying `payload`.
pub fn encode_data(seq: u64, ack: u64, payload: &Payload) -> Vec<u8> {
    let (inner, body): (u8, &[u8]) = match payload {
        Payload::Text(t) => (0, t.as_bytes()),
        Payload::Binary(b) => (1, b),
    };
    let mut out = Vec::with_capacity(DATA_OVERHEAD + body.len());
    out.push(DATA);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&ack.to_be_bytes());
    out.push(inner);
    out.extend_from_slice(body);
    out
}

/// Encodes an `ack` frame.
pub fn encode_ack(ack: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(9);
    out.push(ACK);
    out.extend_from_slice(&ack.to_be_bytes());
    out
}

/// Encodes a `hello` frame (the server's; used by tests and by servers written in Rust).
pub fn encode_hello(status: HelloStatus, ack: u64, id: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(HELLO_LEN);
    out.push(HELLO);
    out.push(status.to_byte());
    out.extend_from_slice(&ack.to_be_bytes());
    out.extend_from_slice(id.as_bytes());
    out
}

/// Which protocol the server speaks, as far as this socket knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerProtocol {
    /// Not known yet (no link has opened), or v2 not asked for.
    Unknown,
    /// A v1 (or plain) server: no `hello` came. Best effort, as in v1.
    V1,
    /// A v2 server: the session is resumable.
    V2,
}

/// What the query of a new link's URL must ask for (PROTOCOL.md §7.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionQuery {
    /// Nothing: v1.
    Off,
    /// `v=2`: a new session.
    New,
    /// `v=2&resume=<id>.<last>`.
    Resume {
        /// Session id.
        id: String,
        /// Highest sequence received in order.
        last: u64,
    },
}

impl SessionQuery {
    /// The query parameters, in order.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::Off => Vec::new(),
            Self::New => vec![("v", "2".to_owned())],
            Self::Resume { id, last } => {
                vec![
                    ("v", "2".to_owned()),
                    ("resume", concat(&[id, ".", &decimal(*last)])),
                ]
            }
        }
    }
}

/// What a received data frame means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// The next in order: deliver it.
    Deliver,
    /// Already received (a resend): drop it.
    Duplicate,
    /// Frames are missing before it: the link is broken (close it; the resume heals the gap).
    Gap,
}

/// Counters for `stats()`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionStats {
    /// Data frames sent again after a resume.
    pub resent: u64,
    /// Received data frames dropped as duplicates.
    pub deduplicated: u64,
    /// Sent messages the peer acknowledged.
    pub acknowledged: u64,
    /// Sessions resumed.
    pub resumed: u64,
    /// Sessions the server no longer had.
    pub lost: u64,
}

/// Sequencing state of one session. See the module documentation.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    peer: PeerProtocol,
    id: Option<String>,
    /// Last sequence number assigned to an outgoing message.
    sent_seq: u64,
    /// Sent and not yet acknowledged, oldest first.
    unacked: Fifo<(u64, Payload)>,
    unacked_bytes: usize,
    /// Highest sequence received in order.
    received: u64,
    /// The ack the peer last got from us.
    ack_sent: u64,
    ack_due: Option<u64>,
    stats: SessionStats,
}

impl Session {
    /// A session that has not negotiated yet.
    pub fn new(config: SessionConfig) -> Self {
        Self {
            config,
            peer: PeerProtocol::Unknown,
            id: None,
            sent_seq: 0,
            unacked: Fifo::new(),
            unacked_bytes: 0,
            received: 0,
            ack_sent: 0,
            ack_due: None,
            stats: SessionStats::default(),
        }
    }

    /// The settings.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// What the server speaks.
    pub fn peer(&self) -> PeerProtocol {
        self.peer
    }

    /// True once a v2 server answered: every message is a session frame.
    pub fn is_v2(&self) -> bool {
        self.peer == PeerProtocol::V2
    }

    /// The session id, once the server gave one.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Counters.
    pub fn stats(&self) -> SessionStats {
        self.stats
    }

    /// Messages sent and not acknowledged yet.
    pub fn unacked_messages(&self) -> usize {
        self.unacked.len()
    }

    /// Payload bytes of those messages.
    pub fn unacked_bytes(&self) -> usize {
        self.unacked_bytes
    }

    /// Whether a new link must wait for `hello` before it counts as open.
    pub fn awaits_hello(&self) -> bool {
        self.config.enabled && self.peer != PeerProtocol::V1
    }

    /// What the URL of a new link asks for.
    pub fn query(&self) -> SessionQuery {
        if !self.config.enabled || self.peer == PeerProtocol::V1 {
            return SessionQuery::Off;
        }
        match &self.id {
            Some(id) => SessionQuery::Resume {
                id: id.clone(),
                last: self.received,
            },
            None => SessionQuery::New,
        }
    }

    /// No `hello` came: the server speaks v1, until the socket is closed and connected again.
    pub fn peer_is_v1(&mut self) {
        self.peer = PeerProtocol::V1;
    }

    /// A new `connect()` after a final close: negotiate again.
    pub fn forget_peer(&mut self) {
        self.peer = PeerProtocol::Unknown;
    }

    /// The resend buffer is full: new messages must wait in the send queue.
    pub fn is_full(&self) -> bool {
        self.is_v2()
            && (self.unacked.len() >= self.config.max_messages
                || self.unacked_bytes >= self.config.max_bytes)
    }

    /// The server's `hello`. Returns the messages that were unacknowledged when the server
    /// refused to resume (they go to the application as undelivered), empty otherwise; after a
    /// successful resume, [`resend`](Self::resend) gives the frames to send again.
    pub fn on_hello(&mut self, status: HelloStatus, ack: u64, id: String) -> Vec<Payload> {
        self.peer = PeerProtocol::V2;
        let resumed = status == HelloStatus::Resumed && self.id.as_deref() == Some(id.as_str());
        let mut lost = Vec::new();
        if resumed {
            self.stats.resumed = self.stats.resumed.saturating_add(1);
            self.on_ack(ack);
        } else {
            if self.id.is_some() {
                self.stats.lost = self.stats.lost.saturating_add(1);
                lost = self.take_unacked();
            }
            self.unacked_bytes = 0;
            self.sent_seq = 0;
            self.received = 0;
            self.ack_sent = 0;
            self.ack_due = None;
        }
        self.id = Some(id);
        lost
    }

    /// Every unacknowledged message as a data frame again, oldest first, with the current ack.
    pub fn resend(&mut self) -> Vec<Vec<u8>> {
        let ack = self.received;
        // Pushed, not `map(..).collect()`: no `FromIterator` instance (issue 9: size).
        let mut frames = Vec::with_capacity(self.unacked.len());
        for (seq, p) in self.unacked.iter() {
            frames.push(encode_data(*seq, ack, p));
        }
        self.stats.resent = self.stats.resent.saturating_add(frames.len() as u64);
        if !frames.is_empty() {
            self.acked(ack);
        }
        frames
    }

    /// Numbers `payload`, keeps it until acknowledged, and returns its data frame (which carries
    /// the current ack, so no separate ack is due).
    pub fn push(&mut self, payload: Payload) -> Vec<u8> {
        self.sent_seq = self.sent_seq.saturating_add(1);
        let frame = encode_data(self.sent_seq, self.received, &payload);
        self.unacked_bytes = self.unacked_bytes.saturating_add(payload.len());
        self.unacked.push_back((self.sent_seq, payload));
        self.acked(self.received);
        frame
    }

    /// The peer acknowledged everything up to `ack`: returns how many messages that freed. An
    /// ack above the highest sequence sent is ignored (PROTOCOL.md §7.1): a broken or hostile
    /// server must not make unacknowledged messages vanish.
    pub fn on_ack(&mut self, ack: u64) -> usize {
        if ack > self.sent_seq {
            return 0;
        }
        let mut freed = 0;
        while let Some((seq, p)) = self.unacked.front() {
            if *seq > ack {
                break;
            }
            self.unacked_bytes = self.unacked_bytes.saturating_sub(p.len());
            self.unacked.pop_front();
            freed += 1;
        }
        self.stats.acknowledged = self.stats.acknowledged.saturating_add(freed as u64);
        freed
    }

    /// A data frame numbered `seq` arrived at `now`.
    pub fn on_data(&mut self, now: u64, seq: u64) -> Received {
        if seq <= self.received {
            self.stats.deduplicated = self.stats.deduplicated.saturating_add(1);
            // The peer resent what we have: it did not get our ack. Acknowledge again soon.
            self.schedule_ack(now, true);
            return Received::Duplicate;
        }
        if seq != self.received.saturating_add(1) {
            return Received::Gap;
        }
        self.received = seq;
        self.schedule_ack(now, false);
        Received::Deliver
    }

    fn schedule_ack(&mut self, now: u64, again: bool) {
        let pending = self.received.saturating_sub(self.ack_sent);
        if pending >= self.config.ack_every {
            self.ack_due = Some(now);
        } else if (pending > 0 || again) && self.ack_due.is_none() {
            self.ack_due = Some(now.saturating_add(self.config.ack_delay_ms));
        }
    }

    fn acked(&mut self, ack: u64) {
        self.ack_sent = ack;
        self.ack_due = None;
    }

    /// When an ack frame is due, if one is.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.ack_due
    }

    /// The ack frame due at `now`, if any.
    pub fn take_due_ack(&mut self, now: u64) -> Option<Vec<u8>> {
        if self.ack_due.is_none_or(|d| d > now) {
            return None;
        }
        let ack = self.received;
        self.acked(ack);
        Some(encode_ack(ack))
    }

    /// Takes every unacknowledged payload, oldest first: popped one by one (a
    /// `map(..).collect()` over the `(seq, payload)` pairs would be iterator code of its own),
    /// then the queue replaced, which frees its memory.
    fn take_unacked(&mut self) -> Vec<Payload> {
        let mut taken = Vec::with_capacity(self.unacked.len());
        while let Some((_, payload)) = self.unacked.pop_front() {
            taken.push(payload);
        }
        self.unacked = Fifo::new();
        taken
    }

    /// Everything unacknowledged, oldest first, and a fresh start: the socket closed for good
    /// (its next connect starts a new session; the peer's protocol stays known).
    pub fn end(&mut self) -> Vec<Payload> {
        let left = self.take_unacked();
        self.unacked_bytes = 0;
        self.id = None;
        self.sent_seq = 0;
        self.received = 0;
        self.ack_sent = 0;
        self.ack_due = None;
        left
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn frames_round_trip() {
        let d = encode_data(7, 3, &Payload::Text("hé".into()));
        assert_eq!(d.len(), DATA_OVERHEAD + 3);
        assert_eq!(
            decode_session_frame(&d),
            Ok(SessionFrame::Data {
                seq: 7,
                ack: 3,
                payload: Payload::Text("hé".into())
            })
        );
        let b = encode_data(1, 0, &Payload::Binary(vec![]));
        assert!(matches!(
            decode_session_frame(&b),
            Ok(SessionFrame::Data { payload: Payload::Binary(ref v), .. }) if v.is_empty()
        ));
        assert_eq!(
            decode_session_frame(&encode_ack(9)),
            Ok(SessionFrame::Ack(9))
        );
        let h = encode_hello(HelloStatus::Expired, 0, ID);
        assert_eq!(
            decode_session_frame(&h),
            Ok(SessionFrame::Hello {
                status: HelloStatus::Expired,
                ack: 0,
                id: ID.into()
            })
        );
    }

    #[test]
    fn malformed_frames_are_errors() {
        use SessionFrameError::*;
        assert_eq!(decode_session_frame(&[]), Err(Truncated));
        assert_eq!(decode_session_frame(&[DATA, 0, 0]), Err(Truncated));
        assert_eq!(decode_session_frame(&[ACK, 1]), Err(Truncated));
        assert_eq!(decode_session_frame(&[0x13]), Err(UnknownKind(0x13)));
        let mut d = encode_data(1, 0, &Payload::Text("x".into()));
        d[17] = 9;
        assert_eq!(decode_session_frame(&d), Err(UnknownInnerKind(9)));
        let mut d = encode_data(1, 0, &Payload::Binary(vec![0xff]));
        d[17] = 0;
        assert_eq!(decode_session_frame(&d), Err(InvalidUtf8));
        let mut h = encode_hello(HelloStatus::New, 0, ID);
        h[1] = 9;
        assert_eq!(decode_session_frame(&h), Err(BadHello));
        let h = encode_hello(HelloStatus::New, 0, "0123456789ABCDEF0123456789abcdef");
        assert_eq!(decode_session_frame(&h), Err(BadHello));
        assert_eq!(decode_session_frame(b"\x12short"), Err(BadHello));
    }

    /// The resume parameter reads exactly as the `format!("{id}.{last}")` it replaced.
    #[test]
    fn resume_query_matches_the_former_format() {
        for last in [0, 7, 1 << 40, u64::MAX] {
            let query = SessionQuery::Resume {
                id: ID.into(),
                last,
            };
            assert_eq!(
                query.params(),
                vec![("v", "2".to_owned()), ("resume", format!("{ID}.{last}"))]
            );
        }
    }
}
