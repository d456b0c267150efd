//! v2 resumable sessions (PROTOCOL.md §7): negotiation, sequencing and acknowledgement, the
//! resend buffer, detach / grace period / resume, and the registry shared by every transport.
//!
//! A link whose opening URL has `v=2` in its query is a v2 link. Its first message is a
//! `hello` (binary, not sequenced); every application message then travels as a `0x10` data
//! frame (see `session_frame`). The server side of a session is a [`Conn`] whose
//! [`SessionState`] numbers what it sends, keeps it until the client acknowledges it, and
//! checks the numbers of what it receives (each client message reaches the service once, in
//! order). When its link is lost the session is *detached*: the services keep it (a chat
//! client stays online and in its room; what it is sent waits in the resend buffer) until a
//! resume attaches a new link, of any transport, or the grace period ends it.
//!
//! Choices where PROTOCOL.md §7 leaves room:
//! * Session-layer errors (a sequence gap, a malformed session frame, a text data frame that is
//!   not UTF-8, text other than `ping`, a `hello` from the client) close the *link* (1002 /
//!   1007) and leave the session detached, since §7.1 says the resume heals a gap and words
//!   the other errors alike. Transport-level errors (a message over `maxPayload`, an unknown
//!   §2 stream frame kind) are server closes and end the session, as a resume would only
//!   repeat them.
//! * A resume of a session that *ended* (client close 1000, 1001, 3000–3999, 4100–4999, or a
//!   server close) gets status 2 (unknown): only sessions that expired (grace period over,
//!   resend buffer overflow, `/control/sessions/expire`, `/control/reset`) are remembered for
//!   status 3.
//! * What still arrives on a link after it was detached or taken over is discarded, as lost
//!   with that link (the client resends everything unacknowledged on the new link); an HTTP
//!   upstream POST to such a link is `404`.
//! * `/control/blackhole` acts on links, as a network would: frames produced meanwhile are
//!   numbered and buffered but not delivered, incoming ones are discarded (the next one is then
//!   a gap: 1002, and the resume heals it).
//! * `/control/close` closes sessions attached to a link; detached sessions, which cannot be
//!   told, keep their grace period.
//!
//! Why the server answers a refused resume with a new session (status 2–4) rather than an
//! error: the client then continues at once, and reports the old session as lost.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::Query;
use axum::http::Uri;
use serde_json::json;

use crate::hub::{lock, CloseKind, Conn, ConnRx, ConnState, Hub, Msg, Service, Transport};
use crate::services;
use crate::session_frame::{self, HelloStatus, SessionFrame};

/// Resend buffer bound, in frames: past it the session can no longer be resumed.
pub const MAX_BUFFERED_FRAMES: usize = 10_000;
/// Resend buffer bound, in bytes of buffered messages (frame headers not counted, so that one
/// message of the default `maxPayload`, 16 MiB, always fits).
pub const MAX_BUFFERED_BYTES: usize = 16 << 20;
/// How long a detached session waits for a resume (`--session-grace-ms`).
pub const DEFAULT_GRACE: Duration = Duration::from_secs(120);
/// How many ids of expired sessions are remembered (so that a resume gets status 3 rather
/// than 2); the oldest are forgotten first, so the set cannot grow without bound.
pub const EXPIRED_IDS_KEPT: usize = 10_000;

// ---------------------------------------------------------------- negotiation

/// What the opening URL of a v2 link asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRequest {
    /// `resume=<id>.<last>`; `None` for a new session.
    pub resume: Option<Resume>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    /// Resume session `id`; the client received our frames up to `last`, in order.
    Session { id: String, last: u64 },
    /// A `resume` value that is not `<32 lowercase hex>.<u64>`: answered as an unknown
    /// session (status 2), since nothing of it can name a session.
    Malformed,
}

impl LinkRequest {
    /// The v2 request of a link's opening URL: `None` (v1) unless the query has `v=2`. Other
    /// parameters are ignored, and of a repeated one the first counts. A query that does not
    /// parse is v1.
    pub fn from_uri(uri: &Uri) -> Option<LinkRequest> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri).ok()?;
        let first = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        if first("v").map(String::as_str) != Some("2") {
            return None;
        }
        Some(LinkRequest {
            resume: first("resume").map(|v| Resume::parse(v)),
        })
    }
}

impl Resume {
    fn parse(value: &str) -> Resume {
        let Some((id, last)) = value.split_once('.') else {
            return Resume::Malformed;
        };
        let digits = !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit());
        match (
            session_frame::is_session_id(id),
            digits,
            last.parse::<u64>(),
        ) {
            (true, true, Ok(last)) => Resume::Session {
                id: id.to_owned(),
                last,
            },
            _ => Resume::Malformed,
        }
    }
}

// ---------------------------------------------------------------- sequencing

/// What to do with an incoming data frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataVerdict {
    /// `seq = last + 1`: hand the message to the service.
    Deliver,
    /// `seq ≤ last`: already handled (a resend after a resume); drop it, acknowledge again.
    Duplicate,
    /// `seq > last + 1`: a conforming client never does this; close the link with 1002.
    Gap,
}

/// Sequencing state of one session, both directions (pure; the hub applies it under the
/// connection's lock).
#[derive(Debug)]
pub struct SessionState {
    /// `seq` of the next data frame to the client (from 1).
    next_seq: u64,
    /// Data frames sent (or waiting for a link) and not acknowledged, in `seq` order.
    buffer: VecDeque<(u64, Msg)>,
    buffer_bytes: usize,
    /// The buffer went past its bounds once: it was emptied and is no longer kept, and the
    /// session can never be resumed (sticky, since frames are missing from then on).
    overflowed: bool,
    /// Highest `seq` received from the client in order (our `ack`).
    received: u64,
    /// Data arrived (or a duplicate did, which is acknowledged again) since the last frame
    /// that carried our `ack`.
    ack_owed: bool,
}

impl Default for SessionState {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionState {
    pub fn new() -> SessionState {
        SessionState {
            next_seq: 1,
            buffer: VecDeque::new(),
            buffer_bytes: 0,
            overflowed: false,
            received: 0,
            ack_owed: false,
        }
    }

    /// Numbers an outgoing message and keeps it for resending; returns its `seq`. Past the
    /// buffer's bounds the session is marked overflowed and the buffer dropped.
    pub fn push(&mut self, msg: &Msg) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        if !self.overflowed {
            let size = msg_len(msg);
            if self.buffer.len() >= MAX_BUFFERED_FRAMES
                || self.buffer_bytes.saturating_add(size) > MAX_BUFFERED_BYTES
            {
                self.overflowed = true;
                self.buffer = VecDeque::new();
                self.buffer_bytes = 0;
            } else {
                self.buffer.push_back((seq, msg.clone()));
                self.buffer_bytes += size;
            }
        }
        seq
    }

    /// Highest `seq` sent so far (0: none).
    pub fn last_sent(&self) -> u64 {
        self.next_seq - 1
    }

    /// A cumulative ack from the client: frames with `seq ≤ ack` are dropped. An ack above the
    /// highest `seq` sent is ignored (§7.1).
    pub fn on_ack(&mut self, ack: u64) {
        if ack > self.last_sent() {
            return;
        }
        while let Some((seq, msg)) = self.buffer.front() {
            if *seq > ack {
                break;
            }
            self.buffer_bytes -= msg_len(msg);
            self.buffer.pop_front();
        }
    }

    /// An incoming data frame's `seq` (§7.1 receiving rules).
    pub fn on_data(&mut self, seq: u64) -> DataVerdict {
        if seq == self.received.wrapping_add(1) && seq != 0 {
            self.received = seq;
            self.ack_owed = true;
            DataVerdict::Deliver
        } else if seq <= self.received {
            self.ack_owed = true;
            DataVerdict::Duplicate
        } else {
            DataVerdict::Gap
        }
    }

    /// Our `ack`: the highest `seq` received in order.
    pub fn received(&self) -> u64 {
        self.received
    }

    pub fn ack_owed(&self) -> bool {
        self.ack_owed
    }

    /// A frame carrying our current `ack` was sent (data, ack or hello).
    pub fn ack_carried(&mut self) {
        self.ack_owed = false;
    }

    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// The unacknowledged frames, in order.
    pub fn buffered(&self) -> impl Iterator<Item = &(u64, Msg)> {
        self.buffer.iter()
    }
}

fn msg_len(msg: &Msg) -> usize {
    match msg {
        Msg::Text(t) => t.len(),
        Msg::Binary(b) => b.len(),
    }
}

// ---------------------------------------------------------------- registry

/// Every v2 session not ended, by id, shared by all transports (a session opened on WebSocket
/// can be resumed over long polling), plus the grace period and the counters of
/// `/control/stats`.
pub struct Registry(Mutex<RegistryState>);

struct RegistryState {
    live: HashMap<String, Arc<Conn>>,
    /// Ids of sessions that expired, oldest first, at most [`EXPIRED_IDS_KEPT`].
    expired_order: VecDeque<String>,
    expired_ids: HashSet<String>,
    grace: Duration,
    default_grace: Duration,
    resumed: u64,
    expired: u64,
}

/// What a resume's session id names.
enum Lookup {
    Live(Arc<Conn>),
    Expired,
    Unknown,
}

impl Registry {
    pub fn new(default_grace: Duration) -> Registry {
        Registry(Mutex::new(RegistryState {
            live: HashMap::new(),
            expired_order: VecDeque::new(),
            expired_ids: HashSet::new(),
            grace: default_grace,
            default_grace,
            resumed: 0,
            expired: 0,
        }))
    }

    fn lock(&self) -> MutexGuard<'_, RegistryState> {
        lock(&self.0)
    }

    pub(crate) fn insert(&self, id: &str, conn: Arc<Conn>) {
        self.lock().live.insert(id.to_owned(), conn);
    }

    /// Forgets an ended session; `expired`: remember its id for status 3 and count it.
    pub(crate) fn remove(&self, id: &str, expired: bool) {
        let mut r = self.lock();
        r.live.remove(id);
        if expired {
            r.expired += 1;
            if r.expired_ids.insert(id.to_owned()) {
                r.expired_order.push_back(id.to_owned());
            }
            while r.expired_order.len() > EXPIRED_IDS_KEPT {
                if let Some(old) = r.expired_order.pop_front() {
                    r.expired_ids.remove(&old);
                }
            }
        }
    }

    fn lookup(&self, id: &str) -> Lookup {
        let r = self.lock();
        match r.live.get(id) {
            Some(c) => Lookup::Live(c.clone()),
            None if r.expired_ids.contains(id) => Lookup::Expired,
            None => Lookup::Unknown,
        }
    }

    fn sessions(&self) -> Vec<Arc<Conn>> {
        self.lock().live.values().cloned().collect()
    }

    /// The grace period given to links lost from now on.
    pub fn grace(&self) -> Duration {
        self.lock().grace
    }

    /// `/control/session-grace?ms=N` (`None`: back to the default).
    pub fn set_grace(&self, grace: Option<Duration>) {
        let mut r = self.lock();
        r.grace = grace.unwrap_or(r.default_grace);
    }

    /// The server's configured grace period (`--session-grace-ms`), current and default.
    pub fn set_default_grace(&self, grace: Duration) {
        let mut r = self.lock();
        r.default_grace = grace;
        r.grace = grace;
    }

    /// `/control/stats` `sessions`: v2 sessions attached to a link and detached now;
    /// `resumed` (successful resumes) and `expired` (sessions ended by their grace period, a
    /// resend buffer overflow, `/control/sessions/expire` or `/control/reset`) count since the
    /// server started or since the last `/control/reset`, whichever is later.
    pub fn stats_json(&self) -> serde_json::Value {
        let (sessions, resumed, expired) = {
            let r = self.lock();
            let all: Vec<Arc<Conn>> = r.live.values().cloned().collect();
            (all, r.resumed, r.expired)
        };
        let attached = sessions.iter().filter(|c| c.link_id().is_some()).count();
        json!({
            "attached": attached,
            "detached": sessions.len() - attached,
            "resumed": resumed,
            "expired": expired,
        })
    }
}

// ---------------------------------------------------------------- lifecycle

impl Hub {
    /// Opens a link. `request` `None` (no `v=2`): a v1 connection. Otherwise a v2 link whose
    /// first queued message is the `hello`: a new session (status 0), the resumed session
    /// (status 1, then its unacknowledged frames), or a new session after a refused resume
    /// (2 unknown, 3 expired or overflowed, 4 other service).
    pub fn open_link(
        self: &Arc<Self>,
        transport: Transport,
        service: Service,
        request: Option<&LinkRequest>,
    ) -> (Arc<Conn>, ConnRx) {
        let Some(request) = request else {
            return self.create(transport, service, None);
        };
        let status = match &request.resume {
            None => HelloStatus::New,
            Some(Resume::Malformed) => HelloStatus::Unknown,
            Some(Resume::Session { id, last }) => {
                match self.resume(transport, service, id, *last) {
                    Ok(opened) => return opened,
                    Err(status) => status,
                }
            }
        };
        self.create(transport, service, Some(status))
    }

    /// Attaches a new link to session `id`, all under the session's lock so that no new data
    /// frame can come between the hello and the resent frames: a link still attached is
    /// aborted first (takeover), frames the client has (`seq ≤ last`) are dropped, then
    /// `hello` (status 1, our ack) and every remaining frame, in order, with our current ack.
    fn resume(
        self: &Arc<Self>,
        transport: Transport,
        service: Service,
        id: &str,
        last: u64,
    ) -> Result<(Arc<Conn>, ConnRx), HelloStatus> {
        let conn = match self.resumable.lookup(id) {
            Lookup::Live(c) => c,
            Lookup::Expired => return Err(HelloStatus::Expired),
            Lookup::Unknown => return Err(HelloStatus::Unknown),
        };
        if conn.service != service {
            return Err(HelloStatus::OtherService);
        }
        let mut st = lock(&conn.state);
        if conn.is_closed() {
            // Ended between the lookup and now.
            return Err(HelloStatus::Unknown);
        }
        if st.session.as_ref().is_none_or(|s| s.overflowed()) {
            // Frames are missing from its buffer: it can never be resumed. End it now.
            self.end_locked(&conn, st, None, true);
            return Err(HelloStatus::Expired);
        }
        let (link, rx) = self.new_link(transport);
        if let Some(old) = st.link.take() {
            eprintln!(
                "[takeover] session {id}: {} link replaced by {}",
                old.transport.name(),
                transport.name()
            );
            self.link_gone(old.transport);
            retire_taken_over(old);
        }
        if let Some(t) = st.grace_task.take() {
            t.abort();
        }
        st.detach_epoch += 1;
        let st_ref = &mut *st;
        let session = st_ref.session.as_mut().expect("v2 session");
        session.on_ack(last);
        let ack = session.received();
        let hello = session_frame::encode_hello(HelloStatus::Resumed, ack, id);
        link.send(&self.faults, Msg::Binary(hello));
        let mut resent = 0usize;
        for (seq, msg) in session.buffered() {
            let frame = session_frame::encode_data(*seq, ack, msg);
            link.send(&self.faults, Msg::Binary(frame));
            resent += 1;
        }
        session.ack_carried();
        st_ref.link = Some(link);
        st_ref.transport = transport;
        self.link_opened(transport);
        self.resumable.lock().resumed += 1;
        drop(st);
        eprintln!(
            "[resume] {} {} {} session {id}: client has {last}, {resent} frames resent",
            transport.name(),
            service.name(),
            conn.id
        );
        Ok((conn, rx))
    }

    /// The link was lost (state locked, link already taken): the session stays with the
    /// services, detached, until a resume or the end of the grace period.
    pub(crate) fn detach_locked(self: &Arc<Self>, conn: &Arc<Conn>, st: &mut ConnState) {
        st.detach_epoch += 1;
        let epoch = st.detach_epoch;
        let grace = self.resumable.grace();
        eprintln!(
            "[detach] {} {} session {} (grace {} ms)",
            conn.service.name(),
            conn.id,
            conn.session_id.as_deref().unwrap_or("?"),
            grace.as_millis()
        );
        if let Some(old) = st.grace_task.take() {
            old.abort();
        }
        // Without a runtime (never in the server) the session waits for an explicit expiry.
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        // A weak hub: a timer never keeps a shut-down server alive.
        let hub = Arc::downgrade(self);
        let conn = conn.clone();
        st.grace_task = Some(rt.spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(grace) => {}
                _ = conn.end_now.notified() => {}
            }
            if let Some(hub) = hub.upgrade() {
                hub.expire_detached(&conn, Some(epoch));
            }
        }));
    }

    /// Ends `conn` as expired if it is (still) a detached session; with `epoch`, only if it is
    /// still the detachment that epoch names (a timer that lost a race with a resume does
    /// nothing). Answers whether it ended it.
    fn expire_detached(self: &Arc<Self>, conn: &Arc<Conn>, epoch: Option<u64>) -> bool {
        let mut st = lock(&conn.state);
        if conn.is_closed()
            || conn.session_id.is_none()
            || st.link.is_some()
            || epoch.is_some_and(|e| e != st.detach_epoch)
        {
            return false;
        }
        if epoch.is_some() {
            // Called by the timer itself: let go of its handle rather than abort it.
            st.grace_task = None;
        }
        self.end_locked(conn, st, None, true);
        true
    }

    /// `/control/sessions/expire` (and `/control/reset`, shutdown): ends every detached
    /// session now, as if its grace period were over. Answers how many.
    pub fn expire_detached_sessions(self: &Arc<Self>) -> usize {
        self.resumable
            .sessions()
            .iter()
            .filter(|c| self.expire_detached(c, None))
            .count()
    }

    /// `/control/reset`: ends every detached session, restores the default grace period and
    /// zeroes the `resumed` / `expired` counters (expired ids stay remembered).
    pub fn reset_sessions(self: &Arc<Self>) {
        self.expire_detached_sessions();
        let mut r = self.resumable.lock();
        r.grace = r.default_grace;
        r.resumed = 0;
        r.expired = 0;
    }

    /// One incoming transport message on an attached v2 `link` (§7.1). Text: only the
    /// heartbeat `ping` (answered with a raw `pong`). Binary: a session frame from the client.
    /// Answers whether the link is still open (false: it was closed for an error).
    ///
    /// Session-layer errors close the link (1002; 1007 for a text data frame that is not
    /// UTF-8) but keep the session for a resume ([`CloseKind::Link`]), as §7.1 says of a gap.
    pub(crate) fn inbound_v2(self: &Arc<Self>, conn: &Arc<Conn>, link: u64, msg: Msg) -> bool {
        let error = |code: u16, reason: &str| {
            eprintln!("[v2] {}: {reason} ({code})", conn.id);
            self.close(conn, link, CloseKind::Link(code, reason.to_owned()));
            false
        };
        let bytes = match msg {
            Msg::Text(t) if t == "ping" => {
                conn.send_raw(link, Msg::Text("pong".into()));
                return true;
            }
            Msg::Text(_) => return error(1002, "text message on a v2 link (only ping)"),
            Msg::Binary(b) => b,
        };
        let frame = match session_frame::decode(&bytes) {
            Ok(f) => f,
            Err(e) => return error(e.close_code(), e.reason()),
        };
        let (seq, ack, inner) = match frame {
            SessionFrame::Hello { .. } => return error(1002, "hello from the client"),
            SessionFrame::Ack(ack) => {
                if let Some(s) = lock(&conn.state).session.as_mut() {
                    s.on_ack(ack);
                }
                return true;
            }
            SessionFrame::Data { seq, ack, msg } => (seq, ack, msg),
        };
        let verdict = {
            let mut st = lock(&conn.state);
            let Some(s) = st.session.as_mut() else {
                return false;
            };
            s.on_ack(ack);
            s.on_data(seq)
        };
        match verdict {
            DataVerdict::Deliver => {
                services::on_message(self, conn, inner);
                true
            }
            DataVerdict::Duplicate => true,
            DataVerdict::Gap => error(1002, "sequence gap"),
        }
    }
}

/// How long a link replaced by a takeover stays open (with nothing more sent on it) before the
/// server aborts it.
const TAKEN_OVER_LINGER: Duration = Duration::from_secs(2);

/// A link a takeover replaced. It is not aborted at once: when a client climbs back to a better
/// transport (PROTOCOL.md §6.5) it switches only when the new link's `hello` arrives, and an abort
/// of the old link that reached it first would look like a drop (a needless `disconnect` and
/// resume). Nothing more is sent on it; the client closes it, or it is aborted after
/// [`TAKEN_OVER_LINGER`].
fn retire_taken_over(old: crate::link::Link) {
    match tokio::runtime::Handle::try_current() {
        Ok(rt) => {
            rt.spawn(async move {
                tokio::time::sleep(TAKEN_OVER_LINGER).await;
                old.abort();
            });
        }
        Err(_) => old.abort(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Msg {
        Msg::Text(s.into())
    }

    #[test]
    fn link_requests_from_the_query() {
        let req = |q: &str| LinkRequest::from_uri(&q.parse::<Uri>().unwrap());
        assert_eq!(req("/ws/echo"), None);
        assert_eq!(req("/ws/echo?v=1&token=x"), None);
        assert_eq!(req("/ws/echo?v=2"), Some(LinkRequest { resume: None }));
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            req(&format!("/sse/chat?token=t&v=2&resume={id}.42")),
            Some(LinkRequest {
                resume: Some(Resume::Session {
                    id: id.into(),
                    last: 42
                })
            })
        );
        // Percent-encoded, as a client's URL builder may write the dot.
        assert_eq!(
            req(&format!("/ws/echo?v=2&resume={id}%2E0"))
                .unwrap()
                .resume,
            Some(Resume::Session {
                id: id.into(),
                last: 0
            })
        );
        for bad in [
            id.to_string(),
            format!("{id}."),
            format!("{id}.-1"),
            format!("{id}.+1"),
            format!("{id}.18446744073709551616"),
            format!("{}.1", id.to_uppercase()),
            format!("../{id}.1"),
            String::new(),
        ] {
            assert_eq!(
                req(&format!("/ws/echo?v=2&resume={bad}")).unwrap().resume,
                Some(Resume::Malformed),
                "{bad}"
            );
        }
        // The first of repeated parameters counts.
        assert_eq!(req("/ws/echo?v=2&v=1"), Some(LinkRequest { resume: None }));
        assert_eq!(req("/ws/echo?v=1&v=2"), None);
    }

    #[test]
    fn outgoing_frames_are_numbered_buffered_and_acknowledged() {
        let mut s = SessionState::new();
        assert_eq!(s.last_sent(), 0);
        assert_eq!(s.push(&text("a")), 1);
        assert_eq!(s.push(&text("bb")), 2);
        assert_eq!(s.push(&text("ccc")), 3);
        assert_eq!(s.buffer_bytes, 6);
        // An ack above what was sent is ignored.
        s.on_ack(4);
        assert_eq!(s.buffered().count(), 3);
        s.on_ack(2);
        let left: Vec<u64> = s.buffered().map(|(seq, _)| *seq).collect();
        assert_eq!(left, vec![3]);
        assert_eq!(s.buffer_bytes, 3);
        // Acks are cumulative and may repeat or go back.
        s.on_ack(1);
        assert_eq!(s.buffered().count(), 1);
        s.on_ack(3);
        assert_eq!(s.buffered().count(), 0);
        assert_eq!(s.buffer_bytes, 0);
        assert_eq!(s.push(&text("d")), 4);
    }

    #[test]
    fn incoming_data_is_delivered_once_in_order() {
        let mut s = SessionState::new();
        assert!(!s.ack_owed());
        assert_eq!(s.on_data(0), DataVerdict::Duplicate);
        s.ack_carried();
        assert_eq!(s.on_data(1), DataVerdict::Deliver);
        assert_eq!(s.on_data(2), DataVerdict::Deliver);
        assert!(s.ack_owed());
        s.ack_carried();
        assert_eq!(s.on_data(2), DataVerdict::Duplicate);
        assert!(s.ack_owed(), "a duplicate is acknowledged again");
        s.ack_carried();
        assert_eq!(s.on_data(4), DataVerdict::Gap);
        assert!(!s.ack_owed());
        assert_eq!(s.received(), 2);
        assert_eq!(s.on_data(u64::MAX), DataVerdict::Gap);
        assert_eq!(s.on_data(3), DataVerdict::Deliver);
        assert_eq!(s.received(), 3);
    }

    #[test]
    fn the_buffer_overflows_past_its_bounds_and_stays_overflowed() {
        let mut s = SessionState::new();
        for _ in 0..MAX_BUFFERED_FRAMES {
            s.push(&text("x"));
        }
        assert!(!s.overflowed());
        s.push(&text("x"));
        assert!(s.overflowed());
        assert_eq!(s.buffered().count(), 0);
        s.on_ack(s.last_sent());
        s.push(&text("y"));
        assert!(s.overflowed(), "sticky: frames are missing");
        assert_eq!(s.buffered().count(), 0);

        // Bytes: one message of 16 MiB fits, one more byte does not.
        let mut s = SessionState::new();
        s.push(&Msg::Binary(vec![0u8; MAX_BUFFERED_BYTES].into()));
        assert!(!s.overflowed());
        s.push(&Msg::Binary(vec![0u8; 1].into()));
        assert!(s.overflowed());
    }

    #[test]
    fn expired_ids_are_bounded() {
        let r = Registry::new(DEFAULT_GRACE);
        for i in 0..EXPIRED_IDS_KEPT + 5 {
            r.remove(&format!("{i:032x}"), true);
        }
        let st = r.lock();
        assert_eq!(st.expired_ids.len(), EXPIRED_IDS_KEPT);
        assert_eq!(st.expired_order.len(), EXPIRED_IDS_KEPT);
        assert!(!st.expired_ids.contains(&format!("{:032x}", 0)));
        assert!(st
            .expired_ids
            .contains(&format!("{:032x}", EXPIRED_IDS_KEPT + 4)));
        assert_eq!(st.expired, (EXPIRED_IDS_KEPT + 5) as u64);
    }
}
