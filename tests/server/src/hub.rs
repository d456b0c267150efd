//! Shared state of the reference server: live connections of every transport, the fault
//! injection switches, statistics, and the per-connection outbound queue (which applies the
//! injected latency and blackhole).

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::services::{self, ChatState, MetricsState};

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
}

impl Service {
    pub const ALL: [Service; 3] = [Service::Echo, Service::Chat, Service::Metrics];

    pub fn name(self) -> &'static str {
        match self {
            Service::Echo => "echo",
            Service::Chat => "chat",
            Service::Metrics => "metrics",
        }
    }

    pub fn from_name(s: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|t| t.name() == s)
    }
}

/// Why a connection ended.
#[derive(Debug, Clone)]
pub enum CloseKind {
    /// The client closed with this code and reason (recorded in the stats).
    Client(u16, String),
    /// The server closes with this code and reason (a close is sent to the client).
    Server(u16, String),
    /// The connection went away without a close handshake (or `/control/drop`).
    Abrupt,
}

#[derive(Default)]
pub struct FaultState {
    pub refuse_until: Option<Instant>,
    pub blackhole_until: Option<Instant>,
    pub latency: Duration,
    pub disabled: HashSet<Transport>,
}

#[derive(Default)]
pub struct Faults(Mutex<FaultState>);

impl Faults {
    pub fn lock(&self) -> std::sync::MutexGuard<'_, FaultState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn blackholed(&self) -> bool {
        matches!(self.lock().blackhole_until, Some(t) if Instant::now() < t)
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

/// One logical connection of one service over one transport.
pub struct Conn {
    /// Server-assigned id (the chat `clientId`).
    pub id: String,
    pub key: u64,
    pub transport: Transport,
    pub service: Service,
    faults: Arc<Faults>,
    tx: mpsc::UnboundedSender<(Instant, Out)>,
    kill: watch::Sender<bool>,
    closed: AtomicBool,
}

impl Conn {
    /// Queue a message to the client, subject to the blackhole and latency faults.
    pub fn send(&self, msg: Msg) {
        if self.faults.blackholed() {
            return;
        }
        let at = Instant::now() + self.faults.latency();
        let _ = self.tx.send((at, Out::Msg(msg)));
    }

    pub fn send_text(&self, text: impl Into<String>) {
        self.send(Msg::Text(text.into()));
    }

    pub fn send_json(&self, value: &serde_json::Value) {
        self.send(Msg::Text(value.to_string()));
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}

/// The receiving side of a connection's outbound queue, owned by the transport.
pub struct ConnRx {
    rx: mpsc::UnboundedReceiver<(Instant, Out)>,
    kill: watch::Receiver<bool>,
    pending: Option<(Instant, Out)>,
}

/// What a transport should do next.
#[derive(Debug)]
pub enum Next {
    Out(Out),
    /// Abort the connection abruptly (no close handshake).
    Killed,
}

impl ConnRx {
    /// Next outbound item, once its delivery time has come. Cancel-safe.
    pub async fn next(&mut self) -> Next {
        loop {
            if *self.kill.borrow() {
                return Next::Killed;
            }
            if let Some((at, _)) = &self.pending {
                let at = *at;
                // Without a latency fault the item is due already: deliver it now. A timer would
                // round up to the next millisecond and add ~1 ms to every message.
                if at <= tokio::time::Instant::now() {
                    if let Some((_, out)) = self.pending.take() {
                        return Next::Out(out);
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep_until(at) => {
                        let (_, out) = self.pending.take().expect("pending");
                        return Next::Out(out);
                    }
                    r = self.kill.changed() => {
                        if r.is_err() {
                            return Next::Killed;
                        }
                        continue;
                    }
                }
            }
            tokio::select! {
                item = self.rx.recv() => match item {
                    Some(item) => self.pending = Some(item),
                    None => return Next::Killed,
                },
                r = self.kill.changed() => {
                    if r.is_err() {
                        return Next::Killed;
                    }
                }
            }
        }
    }

    /// An item that is due now, without waiting.
    pub fn try_next(&mut self) -> Option<Next> {
        if *self.kill.borrow() {
            return Some(Next::Killed);
        }
        if self.pending.is_none() {
            self.pending = self.rx.try_recv().ok();
        }
        match &self.pending {
            Some((at, _)) if *at <= Instant::now() => {
                Some(Next::Out(self.pending.take().expect("pending").1))
            }
            _ => None,
        }
    }
}

pub struct Hub {
    pub max_payload: usize,
    pub faults: Arc<Faults>,
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    stats: Mutex<Stats>,
    next_key: AtomicU64,
    pub chat: Mutex<ChatState>,
    pub metrics: MetricsState,
    /// Bumped by `/control/drop`; transports without a `Conn` (WebTransport sessions) watch it.
    pub drop_gen: watch::Sender<u64>,
    pub started: std::time::Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Refused,
    Disabled,
}

impl Hub {
    pub fn new(max_payload: usize) -> Arc<Hub> {
        Arc::new(Hub {
            max_payload,
            faults: Arc::new(Faults::default()),
            conns: Mutex::new(HashMap::new()),
            stats: Mutex::new(Stats::default()),
            next_key: AtomicU64::new(1),
            chat: Mutex::new(ChatState::default()),
            metrics: MetricsState::default(),
            drop_gen: watch::channel(0).0,
            started: std::time::Instant::now(),
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

    /// Register a new connection and run the service's on-open hook (chat `welcome`).
    pub fn open(self: &Arc<Self>, transport: Transport, service: Service) -> (Arc<Conn>, ConnRx) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (kill, kill_rx) = watch::channel(false);
        let key = self.next_key.fetch_add(1, Ordering::SeqCst);
        let id = match service {
            Service::Chat => format!(
                "client_{}_{}",
                now_ms(),
                base36(random_u64() % 36u64.pow(9))
            ),
            _ => format!("conn_{key}"),
        };
        let conn = Arc::new(Conn {
            id,
            key,
            transport,
            service,
            faults: self.faults.clone(),
            tx,
            kill,
            closed: AtomicBool::new(false),
        });
        lock(&self.conns).insert(key, conn.clone());
        {
            let mut s = lock(&self.stats);
            *s.live.entry(transport).or_default() += 1;
            *s.opened.entry(transport).or_default() += 1;
        }
        eprintln!("[open] {} {} {}", transport.name(), service.name(), conn.id);
        services::on_open(self, &conn);
        (
            conn,
            ConnRx {
                rx,
                kill: kill_rx,
                pending: None,
            },
        )
    }

    /// A message from the client. Discarded while blackholed; `ping` → `pong`.
    pub fn inbound(self: &Arc<Self>, conn: &Arc<Conn>, msg: Msg) {
        if conn.is_closed() || self.faults.blackholed() {
            return;
        }
        if let Msg::Text(t) = &msg {
            if t == "ping" {
                conn.send_text("pong");
                return;
            }
        }
        services::on_message(self, conn, msg);
    }

    /// End a connection (idempotent). Client closes are recorded; server closes queue a close
    /// to the client; abrupt ends kill the transport.
    pub fn close(self: &Arc<Self>, conn: &Arc<Conn>, kind: CloseKind) {
        if conn.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        lock(&self.conns).remove(&conn.key);
        {
            let mut s = lock(&self.stats);
            if let Some(n) = s.live.get_mut(&conn.transport) {
                *n = n.saturating_sub(1);
            }
            if let CloseKind::Client(code, reason) = &kind {
                s.closes.push_back(CloseRecord {
                    transport: conn.transport,
                    service: conn.service.name(),
                    code: *code,
                    reason: reason.clone(),
                    timestamp: now_ms(),
                });
                while s.closes.len() > RECORDS_KEPT {
                    s.closes.pop_front();
                }
            }
        }
        eprintln!(
            "[close] {} {} {} {:?}",
            conn.transport.name(),
            conn.service.name(),
            conn.id,
            kind
        );
        match kind {
            CloseKind::Client(code, reason) | CloseKind::Server(code, reason) => {
                let _ = conn.tx.send((Instant::now(), Out::Close(code, reason)));
            }
            CloseKind::Abrupt => {
                let _ = conn.kill.send(true);
            }
        }
        services::on_close(self, conn);
    }

    /// `/control/close`: close every live connection cleanly with `code` and `reason` (a close
    /// frame, SSE `close` event, poll `close` item or WebTransport close frame), as a server
    /// ending sessions on purpose does.
    pub fn close_all(self: &Arc<Self>, code: u16, reason: &str) -> usize {
        let all: Vec<Arc<Conn>> = lock(&self.conns).values().cloned().collect();
        for c in &all {
            self.close(c, CloseKind::Server(code, reason.to_owned()));
        }
        all.len()
    }

    /// `/control/drop`: abort every live connection on every transport.
    pub fn drop_all(self: &Arc<Self>) -> usize {
        let all: Vec<Arc<Conn>> = lock(&self.conns).values().cloned().collect();
        for c in &all {
            self.close(c, CloseKind::Abrupt);
        }
        self.drop_gen.send_modify(|g| *g += 1);
        all.len()
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

    /// `/control/reset`: forgets recorded closes and tokens, so that a test never passes on an
    /// earlier test's record. Live counts stay (they describe connections that still exist).
    pub fn clear_records(&self) {
        let mut s = lock(&self.stats);
        s.closes.clear();
        s.tokens.clear();
    }

    pub fn live_count(&self) -> usize {
        lock(&self.conns).len()
    }

    pub fn stats_json(&self) -> serde_json::Value {
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
