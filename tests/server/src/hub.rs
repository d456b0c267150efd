//! Shared state of the reference server: connections of every transport, the fault injection
//! switches, statistics, and the per-link outbound queue (which applies the injected latency
//! and blackhole).
//!
//! A [`Conn`] is what the services see (one chat client, one set of metric subscriptions). Its
//! messages travel over a *link*: one transport connection, whose outbound queue the transport
//! drains through [`ConnRx`]. A v1 connection has one link for its whole life. A v2 session
//! (PROTOCOL.md §7, see `resumable`) swaps links: it survives a lost link (detached) and is
//! resumed on a new one, of any transport. Transports name their link in [`Hub::inbound`] and
//! [`Hub::close`], so that what an old link reports after a takeover changes nothing.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::watch;
use tokio::time::Instant;

pub(crate) use crate::link::Link;
pub use crate::link::{ConnRx, Next};
use crate::resumable::{Registry, SessionState, DEFAULT_GRACE};
use crate::services::{self, ChatState, MetricsState};
use crate::session_frame::{self, HelloStatus};
use crate::soak::SoakState;

/// One application message: text or binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Text(String),
    Binary(Bytes),
}

/// What a connection's outbound queue carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    Msg(Msg),
    /// Close the connection with this code and reason.
    Close(u16, String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Transport {
    #[serde(rename = "websocket")]
    WebSocket,
    #[serde(rename = "sse")]
    Sse,
    #[serde(rename = "long-polling")]
    LongPolling,
    #[serde(rename = "webtransport")]
    WebTransport,
}

impl Transport {
    pub const ALL: [Transport; 4] = [
        Transport::WebTransport,
        Transport::WebSocket,
        Transport::Sse,
        Transport::LongPolling,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Transport::WebSocket => "websocket",
            Transport::Sse => "sse",
            Transport::LongPolling => "long-polling",
            Transport::WebTransport => "webtransport",
        }
    }

    pub fn from_name(s: &str) -> Option<Transport> {
        Transport::ALL.into_iter().find(|t| t.name() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Echo,
    Chat,
    Metrics,
    /// Soak-test counters and paced streams (PROTOCOL.md §7.4).
    Soak,
}

impl Service {
    pub const ALL: [Service; 4] = [
        Service::Echo,
        Service::Chat,
        Service::Metrics,
        Service::Soak,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Service::Echo => "echo",
            Service::Chat => "chat",
            Service::Metrics => "metrics",
            Service::Soak => "soak",
        }
    }

    pub fn from_name(s: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|t| t.name() == s)
    }
}

/// Why a link ended (see [`Hub::close`]).
#[derive(Debug, Clone)]
pub enum CloseKind {
    /// The client closed with this code and reason (recorded in the stats).
    Client(u16, String),
    /// The server closes with this code and reason (a close is sent to the client); ends a
    /// v2 session too.
    Server(u16, String),
    /// The server closes this *link* with this code and reason for a session-layer protocol
    /// error (PROTOCOL.md §7.1: a sequence gap, a malformed session frame): a v2 session
    /// survives it, detached, since the resume that follows heals it. (Only v2 links see it.)
    Link(u16, String),
    /// The connection went away without a close handshake (or `/control/drop`, or an idle
    /// long-polling v2 link).
    Abrupt,
}

impl CloseKind {
    /// Whether a v2 session survives this end of its link (PROTOCOL.md §7.3): a link lost
    /// without a close, closed by the client with 4000–4099 (the SDK's transport-level codes),
    /// or closed by the server for a session-layer error.
    pub fn keeps_session(&self) -> bool {
        match self {
            CloseKind::Abrupt | CloseKind::Link(..) => true,
            CloseKind::Client(code, _) => (4000..=4099).contains(code),
            CloseKind::Server(..) => false,
        }
    }
}

#[derive(Default)]
pub struct FaultState {
    pub refuse_until: Option<Instant>,
    pub blackhole_until: Option<Instant>,
    pub ignore_close_until: Option<Instant>,
    /// Until when an upstream POST is answered `200` with a slow body
    /// (`/control/slow-post-answers`).
    pub slow_post_answers_until: Option<Instant>,
    pub latency: Duration,
    pub disabled: HashSet<Transport>,
}

#[derive(Default)]
pub struct Faults {
    state: Mutex<FaultState>,
    /// Wakes the HTTP client closes held by `/control/ignore-close` when `/control/reset` ends
    /// the fault, so a test's held requests do not outlive it.
    reset: tokio::sync::Notify,
}

impl Faults {
    pub fn lock(&self) -> std::sync::MutexGuard<'_, FaultState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Clears every fault (`/control/reset`) and wakes what [`Faults::hold_close`] holds.
    pub fn reset(&self) {
        *self.lock() = FaultState::default();
        self.reset.notify_waiters();
    }

    /// While `/control/ignore-close` lasts, holds an HTTP client close for what it has left, or
    /// until the faults are reset. The reset's notification is taken before the fault is read,
    /// so a reset between the two is not missed (tokio's `Notified` hears `notify_waiters` from
    /// its creation on).
    pub async fn hold_close(&self) {
        let reset = self.reset.notified();
        let Some(left) = self.close_ignored_for() else {
            return;
        };
        tokio::select! {
            _ = tokio::time::sleep(left) => {}
            _ = reset => {}
        }
    }

    pub fn blackholed(&self) -> bool {
        matches!(self.lock().blackhole_until, Some(t) if Instant::now() < t)
    }

    /// While `/control/ignore-close` lasts, how much of it is left: a client close that arrives
    /// then is not answered. WebSocket and WebTransport stop serving the connection for that
    /// long (no close frame back) and then drop it; an SSE or long-polling close POST is held
    /// for that long, then handled as usual.
    pub fn close_ignored_for(&self) -> Option<Duration> {
        let until = self.lock().ignore_close_until?;
        until.checked_duration_since(Instant::now())
    }

    /// Whether `/control/slow-post-answers` lasts: an upstream POST, once its messages are taken,
    /// is answered `200` with a body that streams slowly (`slow_body`, fixture `slow-post-answer`).
    pub fn slow_post_answers(&self) -> bool {
        matches!(self.lock().slow_post_answers_until, Some(t) if Instant::now() < t)
    }

    pub fn latency(&self) -> Duration {
        self.lock().latency
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CloseRecord {
    pub transport: Transport,
    pub service: &'static str,
    pub code: u16,
    pub reason: String,
    /// Milliseconds since the Unix epoch.
    pub timestamp: u64,
}

#[derive(Default)]
struct Stats {
    live: HashMap<Transport, usize>,
    opened: HashMap<Transport, u64>,
    closes: VecDeque<CloseRecord>,
    tokens: VecDeque<TokenRecord>,
}

/// The `token` query parameter one connection presented (tests check that auth reaches the
/// server on every transport); `None` when it had none.
#[derive(Debug, Clone, Serialize)]
pub struct TokenRecord {
    pub transport: Transport,
    pub token: Option<String>,
    pub timestamp: u64,
}

/// How many close and token records `/control/stats` keeps (oldest dropped first).
const RECORDS_KEPT: usize = 100;

/// The mutable part of a [`Conn`], behind one lock: every data frame is numbered, buffered and
/// queued on the link under it, so that a resume (which swaps the link and resends the
/// buffer under the same lock) can never be overtaken by a new frame.
pub(crate) struct ConnState {
    /// The attached link; `None` while a v2 session is detached (and once a connection ended).
    pub(crate) link: Option<Link>,
    /// Transport of the current or last link (logs and close records).
    pub(crate) transport: Transport,
    /// v2 only: sequencing, acknowledgement and resend buffer.
    pub(crate) session: Option<SessionState>,
    /// Bumped at every detach and attach, so that a grace timer only ends the detachment it
    /// was started for.
    pub(crate) detach_epoch: u64,
    /// v2: the grace timer of a detached session.
    pub(crate) grace_task: Option<tokio::task::JoinHandle<()>>,
}

/// One logical connection of one service: what the services see (the chat `clientId`, metric
/// subscriptions, soak counters). In v1 it lives and dies with its transport connection; in v2
/// it is a resumable session that outlives its links (PROTOCOL.md §7).
pub struct Conn {
    /// Server-assigned id (the chat `clientId`).
    pub id: String,
    pub key: u64,
    pub service: Service,
    /// v2: the resumable session id (32 lowercase hex); `None` for a v1 connection.
    pub session_id: Option<String>,
    faults: Arc<Faults>,
    pub(crate) state: Mutex<ConnState>,
    closed: AtomicBool,
    /// Serialises the handling of incoming messages, so that a message delivered by the
    /// sequencing of one link reaches the service before one accepted on the next link.
    pub(crate) inbound_order: Mutex<()>,
    /// v2: wakes the grace timer at once when the resend buffer overflows while detached (the
    /// session can no longer be resumed, so it ends now).
    pub(crate) end_now: tokio::sync::Notify,
}

impl Conn {
    /// Sends an application message to the client. v1: queued on the link. v2: numbered and
    /// kept in the resend buffer, then sent as a data frame if a link is attached (while
    /// detached it waits in the buffer for a resume). Nothing once the connection ended.
    pub fn send(&self, msg: Msg) {
        let mut st = lock(&self.state);
        if self.is_closed() {
            return;
        }
        let st = &mut *st;
        let Some(session) = st.session.as_mut() else {
            if let Some(link) = &st.link {
                link.send(&self.faults, msg);
            }
            return;
        };
        let seq = session.push(&msg);
        match &st.link {
            Some(link) => {
                let frame = session_frame::encode_data(seq, session.received(), &msg);
                link.send(&self.faults, Msg::Binary(frame));
                session.ack_carried();
            }
            None if session.overflowed() => self.end_now.notify_one(),
            None => {}
        }
    }

    pub fn send_text(&self, text: impl Into<String>) {
        self.send(Msg::Text(text.into()));
    }

    pub fn send_json(&self, value: &serde_json::Value) {
        self.send(Msg::Text(value.to_string()));
    }

    /// Sends a message outside the session layer (pong, ack, hello), on the attached link and
    /// only if it is `link`.
    pub(crate) fn send_raw(&self, link: u64, msg: Msg) {
        let st = lock(&self.state);
        if let Some(l) = st.link.as_ref().filter(|l| l.id == link) {
            l.send(&self.faults, msg);
        }
    }

    /// v2: sends an `ack` frame if data arrived that the client has not been acknowledged yet
    /// (a data frame sent meanwhile carried the ack already). Called after each incoming
    /// transport message or upstream POST.
    pub(crate) fn flush_ack(&self) {
        let mut st = lock(&self.state);
        let st = &mut *st;
        let (Some(session), Some(link)) = (st.session.as_mut(), &st.link) else {
            return;
        };
        if session.ack_owed() {
            link.send(
                &self.faults,
                Msg::Binary(session_frame::encode_ack(session.received())),
            );
            session.ack_carried();
        }
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Whether `link` is the attached link (the connection not ended).
    pub fn has_link(&self, link: u64) -> bool {
        lock(&self.state)
            .link
            .as_ref()
            .is_some_and(|l| l.id == link)
    }

    /// The attached link's id; `None` while detached or after the end.
    pub fn link_id(&self) -> Option<u64> {
        lock(&self.state).link.as_ref().map(|l| l.id)
    }

    /// Transport of the current (or last) link.
    pub fn transport(&self) -> Transport {
        lock(&self.state).transport
    }
}

pub struct Hub {
    pub max_payload: usize,
    pub faults: Arc<Faults>,
    /// Every connection (v1) and session (v2) that has not ended, attached or not.
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    stats: Mutex<Stats>,
    next_key: AtomicU64,
    pub chat: Mutex<ChatState>,
    pub metrics: MetricsState,
    pub soak: SoakState,
    /// v2 sessions by id, expired ids, grace period and counters.
    pub resumable: Registry,
    /// Bumped by `/control/drop`; transports without a `Conn` (WebTransport sessions) watch it.
    pub drop_gen: watch::Sender<u64>,
    /// Bumped by `/control/wt-end-streams`: WebTransport sessions finish their stream and stay.
    pub end_streams_gen: watch::Sender<u64>,
    pub started: std::time::Instant,
    /// How the `/poll/hostile-slow-*` answers' bodies ended (`GET /control/bodies`).
    pub bodies: Arc<crate::slow_body::Records>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Refused,
    Disabled,
}

impl Hub {
    /// The largest transport message a link accepts: `max_payload` bounds the application's
    /// message, and a v2 link carries it inside a data frame whose header adds
    /// [`DATA_HEADER`](crate::session_frame::DATA_HEADER) bytes (PROTOCOL.md §6.4).
    pub fn message_limit(&self, v2: bool) -> usize {
        if v2 {
            self.max_payload
                .saturating_add(crate::session_frame::DATA_HEADER)
        } else {
            self.max_payload
        }
    }

    pub fn new(max_payload: usize) -> Arc<Hub> {
        Arc::new(Hub {
            max_payload,
            faults: Arc::new(Faults::default()),
            conns: Mutex::new(HashMap::new()),
            stats: Mutex::new(Stats::default()),
            next_key: AtomicU64::new(1),
            chat: Mutex::new(ChatState::default()),
            metrics: MetricsState::default(),
            soak: SoakState::default(),
            resumable: Registry::new(DEFAULT_GRACE),
            drop_gen: watch::channel(0).0,
            end_streams_gen: watch::channel(0).0,
            started: std::time::Instant::now(),
            bodies: Arc::default(),
        })
    }

    /// May a new connection of this transport be opened now?
    pub fn admit(&self, transport: Transport) -> Result<(), Refusal> {
        let f = self.faults.lock();
        if f.disabled.contains(&transport) {
            return Err(Refusal::Disabled);
        }
        if matches!(f.refuse_until, Some(t) if Instant::now() < t) {
            return Err(Refusal::Refused);
        }
        Ok(())
    }

    /// Opens a v1 connection (see [`Hub::open_link`] for v2).
    pub fn open(self: &Arc<Self>, transport: Transport, service: Service) -> (Arc<Conn>, ConnRx) {
        self.create(transport, service, None)
    }

    pub(crate) fn next_id(&self) -> u64 {
        self.next_key.fetch_add(1, Ordering::SeqCst)
    }

    /// A new link of `transport` (not yet attached to a connection).
    pub(crate) fn new_link(&self, transport: Transport) -> (Link, ConnRx) {
        Link::new(self.next_id(), transport)
    }

    /// Registers a new connection with its first link and runs the service's on-open hook
    /// (chat `welcome`). With `hello` it is a new v2 session: the hello frame is queued first,
    /// before anything the service sends.
    pub(crate) fn create(
        self: &Arc<Self>,
        transport: Transport,
        service: Service,
        hello: Option<HelloStatus>,
    ) -> (Arc<Conn>, ConnRx) {
        let key = self.next_id();
        let (link, rx) = self.new_link(transport);
        let id = match service {
            Service::Chat => format!(
                "client_{}_{}",
                now_ms(),
                base36(random_u64() % 36u64.pow(9))
            ),
            _ => format!("conn_{key}"),
        };
        let session_id = hello.map(|_| session_id());
        if let (Some(status), Some(sid)) = (hello, &session_id) {
            let frame = session_frame::encode_hello(status, 0, sid);
            link.send(&self.faults, Msg::Binary(frame));
        }
        let conn = Arc::new(Conn {
            id,
            key,
            service,
            session_id,
            faults: self.faults.clone(),
            state: Mutex::new(ConnState {
                link: Some(link),
                transport,
                session: hello.map(|_| SessionState::new()),
                detach_epoch: 0,
                grace_task: None,
            }),
            closed: AtomicBool::new(false),
            inbound_order: Mutex::new(()),
            end_now: tokio::sync::Notify::new(),
        });
        lock(&self.conns).insert(key, conn.clone());
        if let Some(sid) = &conn.session_id {
            self.resumable.insert(sid, conn.clone());
        }
        self.link_opened(transport);
        eprintln!(
            "[open] {} {} {}{}",
            transport.name(),
            service.name(),
            conn.id,
            match (&conn.session_id, hello) {
                (Some(sid), Some(st)) => format!(" v2 session {sid} (hello {})", st as u8),
                _ => String::new(),
            }
        );
        services::on_open(self, &conn);
        (conn, rx)
    }

    /// A link was attached: counted as a live (and opened) connection of its transport.
    pub(crate) fn link_opened(&self, transport: Transport) {
        let mut s = lock(&self.stats);
        *s.live.entry(transport).or_default() += 1;
        *s.opened.entry(transport).or_default() += 1;
    }

    /// A link was let go (closed, lost, detached, taken over).
    pub(crate) fn link_gone(&self, transport: Transport) {
        let mut s = lock(&self.stats);
        if let Some(n) = s.live.get_mut(&transport) {
            *n = n.saturating_sub(1);
        }
    }

    /// A message from the client on `link`; see [`Hub::inbound_many`].
    pub fn inbound(self: &Arc<Self>, conn: &Arc<Conn>, link: u64, msg: Msg) {
        self.inbound_many(conn, link, [msg]);
    }

    /// The messages of one incoming transport message or upstream POST, in order. Discarded
    /// while blackholed, or when `link` is not the attached link (an old link after a
    /// takeover: the link was aborted, what it still carries counts as lost, and the client
    /// resends it). v1: `ping` → `pong`, the rest to the service. v2: session frames (see
    /// `resumable`), then an `ack` frame if one is owed. Stops at a message that closed the
    /// link.
    pub fn inbound_many(
        self: &Arc<Self>,
        conn: &Arc<Conn>,
        link: u64,
        msgs: impl IntoIterator<Item = Msg>,
    ) {
        if self.faults.blackholed() {
            return;
        }
        let _order = lock(&conn.inbound_order);
        for msg in msgs {
            if conn.is_closed() || !conn.has_link(link) {
                break;
            }
            if conn.session_id.is_some() {
                if !self.inbound_v2(conn, link, msg) {
                    break;
                }
                continue;
            }
            if let Msg::Text(t) = &msg {
                if t == "ping" {
                    conn.send_raw(link, Msg::Text("pong".into()));
                    continue;
                }
            }
            services::on_message(self, conn, msg);
        }
        conn.flush_ack();
    }

    /// A transport reports the end of its `link` (idempotent). A close from a link that is not
    /// attached (an old link after a takeover, or after the end) changes nothing. Client closes
    /// are recorded; closes with a code are queued to the client (the echo of a client close,
    /// or the server's close); abrupt ends kill the transport.
    ///
    /// v1, or a v2 close that ends the session (client 1000, 1001, 3000–3999, 4100–4999 and
    /// any other code; a server close): the connection ends (service disconnect, chat
    /// `user_disconnected`). v2 link lost (abrupt, long-polling expiry, client 4000–4099) or a
    /// session-layer error ([`CloseKind::Link`]): the session is detached and resumable during
    /// the grace period, unless its resend buffer overflowed — then it ends now and a later
    /// resume gets status 3.
    pub fn close(self: &Arc<Self>, conn: &Arc<Conn>, link: u64, kind: CloseKind) {
        let mut st = lock(&conn.state);
        if conn.is_closed() {
            return;
        }
        let Some(l) = st.link.take_if(|l| l.id == link) else {
            return;
        };
        self.link_gone(l.transport);
        if let CloseKind::Client(code, reason) = &kind {
            self.record_close(l.transport, conn.service, *code, reason);
        }
        match &kind {
            CloseKind::Client(code, reason)
            | CloseKind::Server(code, reason)
            | CloseKind::Link(code, reason) => l.close(*code, reason),
            CloseKind::Abrupt => l.abort(),
        }
        eprintln!(
            "[close] {} {} {} {:?}",
            l.transport.name(),
            conn.service.name(),
            conn.id,
            kind
        );
        drop(l);
        let keeps = conn.session_id.is_some() && kind.keeps_session();
        let resumable = st.session.as_ref().is_some_and(|s| !s.overflowed());
        if keeps && resumable {
            self.detach_locked(conn, &mut st);
            return;
        }
        // A session whose buffer overflowed cannot be resumed: it ends at link loss and is
        // remembered as expired (a later resume gets status 3).
        self.end_locked(conn, st, None, keeps);
    }

    /// Ends a connection or session now, whatever its link (server side: `/control/close`,
    /// expiry, reset). `close` is sent on the attached link; without it the link is aborted.
    /// `expired`: remember the session id, so that a resume gets status 3 (not 2), and count
    /// it in `sessions.expired`. Runs the service's disconnect.
    pub(crate) fn end_locked(
        self: &Arc<Self>,
        conn: &Arc<Conn>,
        mut st: MutexGuard<'_, ConnState>,
        close: Option<(u16, &str)>,
        expired: bool,
    ) {
        if conn.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Some(l) = st.link.take() {
            self.link_gone(l.transport);
            match close {
                Some((code, reason)) => l.close(code, reason),
                None => l.abort(),
            }
        }
        if let Some(t) = st.grace_task.take() {
            t.abort();
        }
        let transport = st.transport;
        drop(st);
        lock(&self.conns).remove(&conn.key);
        if let Some(sid) = &conn.session_id {
            self.resumable.remove(sid, expired);
        }
        eprintln!(
            "[end] {} {} {}{}",
            transport.name(),
            conn.service.name(),
            conn.id,
            if expired { " (expired)" } else { "" }
        );
        services::on_close(self, conn);
    }

    pub(crate) fn record_close(
        &self,
        transport: Transport,
        service: Service,
        code: u16,
        reason: &str,
    ) {
        let mut s = lock(&self.stats);
        s.closes.push_back(CloseRecord {
            transport,
            service: service.name(),
            code,
            reason: reason.to_owned(),
            timestamp: now_ms(),
        });
        while s.closes.len() > RECORDS_KEPT {
            s.closes.pop_front();
        }
    }

    /// Connections (v1) and sessions (v2) not ended, attached or not.
    pub(crate) fn all_conns(&self) -> Vec<Arc<Conn>> {
        lock(&self.conns).values().cloned().collect()
    }

    /// `/control/close`: close every live connection cleanly with `code` and `reason` (a close
    /// frame, SSE `close` event, poll `close` item or WebTransport close frame), as a server
    /// ending sessions on purpose does. v2 sessions attached to a link end too; detached ones
    /// have no link to be told on and are left to their grace period (see
    /// `/control/sessions/expire`).
    pub fn close_all(self: &Arc<Self>, code: u16, reason: &str) -> usize {
        let mut n = 0;
        for c in self.all_conns() {
            if let Some(link) = c.link_id() {
                self.close(&c, link, CloseKind::Server(code, reason.to_owned()));
                n += 1;
            }
        }
        n
    }

    /// `/control/drop`: abort every live link on every transport. v1 connections end; v2
    /// sessions are detached (resumable).
    pub fn drop_all(self: &Arc<Self>) -> usize {
        let mut n = 0;
        for c in self.all_conns() {
            if let Some(link) = c.link_id() {
                self.close(&c, link, CloseKind::Abrupt);
                n += 1;
            }
        }
        self.drop_gen.send_modify(|g| *g += 1);
        n
    }

    /// Records the token a new connection of `transport` presented (its `token` query parameter).
    pub fn record_token(&self, transport: Transport, token: Option<&str>) {
        let mut s = lock(&self.stats);
        s.tokens.push_back(TokenRecord {
            transport,
            token: token.map(str::to_owned),
            timestamp: now_ms(),
        });
        while s.tokens.len() > RECORDS_KEPT {
            s.tokens.pop_front();
        }
    }

    /// `/control/reset`: forgets recorded closes, tokens and slow bodies, so that a test never
    /// passes on an earlier test's record. Live counts stay (they describe connections that still
    /// exist).
    pub fn clear_records(&self) {
        self.bodies.clear();
        let mut s = lock(&self.stats);
        s.closes.clear();
        s.tokens.clear();
    }

    /// Live connections: attached links, all transports (detached v2 sessions excluded).
    pub fn live_count(&self) -> usize {
        self.all_conns()
            .iter()
            .filter(|c| c.link_id().is_some())
            .count()
    }

    pub fn stats_json(&self) -> serde_json::Value {
        let sessions = self.resumable.stats_json();
        let s = lock(&self.stats);
        let mut connections = serde_json::Map::new();
        let mut opened = serde_json::Map::new();
        for t in Transport::ALL {
            connections.insert(
                t.name().into(),
                (*s.live.get(&t).unwrap_or(&0) as u64).into(),
            );
            opened.insert(t.name().into(), (*s.opened.get(&t).unwrap_or(&0)).into());
        }
        serde_json::json!({
            "connections": connections,
            "opened": opened,
            "closes": s.closes.iter().collect::<Vec<_>>(),
            "tokens": s.tokens.iter().collect::<Vec<_>>(),
            "sessions": sessions,
        })
    }
}

pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A random u64 (std's randomly keyed SipHash of a counter; good enough for ids).
pub fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

/// A random session id: 32 lowercase hex characters.
pub fn session_id() -> String {
    format!("{:016x}{:016x}", random_u64(), random_u64())
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ascii")
}

/// ISO 8601 UTC timestamp with milliseconds, like JavaScript's `Date.prototype.toISOString`.
pub fn iso_now() -> String {
    iso_from_ms(now_ms())
}

pub fn iso_from_ms(ms: u64) -> String {
    let secs = ms / 1000;
    let millis = ms % 1000;
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if mo <= 2 { y + 1 } else { y };
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}.{millis:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso_from_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_from_ms(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(iso_from_ms(1_700_000_000_000), "2023-11-14T22:13:20.000Z");
    }

    #[test]
    fn base36_digits() {
        assert_eq!(base36(0), "0");
        assert_eq!(base36(35), "z");
        assert_eq!(base36(36), "10");
    }
}
