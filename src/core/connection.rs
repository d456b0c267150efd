//! The connection state machine: reconnects, transport fallback, heartbeat, batching and the
//! send queue in one sans-IO object (guide §7.1 `RobustWebSocketManager`, §7.2 `MessageBatcher`,
//! §8.1 `HeartbeatWebSocket`, §8.4 `UniversalSocket`).
//!
//! # Driving it
//!
//! The adapter feeds inputs through `handle_*` (and [`Connection::send`], [`Connection::close`]),
//! then drains [`Connection::poll_action`] (things the adapter must do to transports) and
//! [`Connection::poll_event`] (things to tell the application), and arms one timer for
//! [`Connection::poll_timeout`], calling [`Connection::handle_timeout`] when it fires. Do this after
//! *every* input. All times are `u64` milliseconds from one **monotonic** clock (the browser's
//! `performance.now()`), so a wall-clock step cannot stall or fire deadlines; batch timestamps get
//! the wall clock through [`Connection::set_wall_clock_offset`]. Every transport the core asks for
//! gets a fresh `conn_id`; the adapter reports back with that id, and reports about any id other
//! than the current one are ignored (a replaced transport's late `onclose` cannot disturb the new
//! one), except messages from a transport an upgrade replaced, which still reach the application.
//!
//! # Lifecycle
//!
//! * [`Connection::new`] starts in [`State::Connecting`] without doing anything; messages sent now
//!   are queued. [`Connection::handle_connect`] starts the **initial connect**: one round through
//!   every supported transport (see [`FallbackPlan`]). A transport that fails, closes before
//!   opening, or does not open within `connect_timeout_ms` is abandoned and the next one is tried
//!   ([`Event::Fallback`]). If the whole round fails, [`Event::ConnectFailed`] lists every
//!   transport and its reason and the machine goes to [`State::Closed`] (no backoff: the
//!   application decides whether to call `handle_connect` again).
//! * Once open, a drop that the application did not ask for (the peer closed, the network
//!   failed, the heartbeat saw no pong) emits [`Event::Disconnected`] and schedules a reconnect
//!   with backoff ([`Event::Reconnecting`]). Each reconnect attempt is one round, starting with
//!   the transport that last worked — unless an upgrade probe is being opened at that moment:
//!   it becomes the first attempt at once (`delay_ms` 0), and the round goes on from it. A failed round schedules the next attempt; when
//!   `max_attempts` is exhausted, [`Event::MaxReconnectAttemptsReached`] and then
//!   [`Event::Close`]. A successful reconnect resets the attempt counter and emits
//!   [`Event::Open`] followed by [`Event::Reconnected`]. Two losses are final instead: a server's
//!   clean 1000, and a link on which this client refused a message of the server's (over the
//!   maximum, or of a type it cannot read: [`Connection::handle_transport_refused`]), which a
//!   resume would replay and a server that greets every link with it would send again. A close
//!   code alone never says it: a server may close with 1009 itself, and that loss reconnects.
//! * [`Connection::close`] while the current link has announced its end
//!   ([`Connection::handle_transport_ending`]) still asks the transport to close with the
//!   application's code (a WebTransport session may outlive its stream), and the close ends with
//!   whatever the transport then reports, or with the announced outcome at the close wait.
//! * [`Connection::close`] is final: it stops every retry in every state.
//! * [`Event::Close`] is emitted exactly once per `handle_connect`, when the machine reaches
//!   [`State::Closed`]. If messages were still queued then, [`Event::Undelivered`] hands them back
//!   just before it, so no message is ever lost silently. The adapter layer drops every
//!   transport it still holds at that point (what they held goes into that last
//!   `Undelivered`); the core waits for none of them any more.
//!
//! # Closing transports
//!
//! Every [`Action::CloseTransport`] starts one bounded wait (`closing.rs`): the transport has
//! `close_timeout_ms` to report `Closed`/`Failed`. An adapter that learned its connection ended
//! but is still finishing (draining a reader, awaiting a browser promise) says so with
//! [`Connection::handle_transport_ending`] and the outcome; the same wait then applies. When it
//! runs out, [`Action::AbandonTransport`] asks the adapter layer to drop the transport, hand
//! back what it held, and call [`Connection::handle_transport_abandoned`], which ends an
//! announced link with its outcome. An application close ends at the same deadline (with the
//! announced outcome if there is one, else its own code, not clean). No adapter needs a timer.
//!
//! # Messages a transport could not deliver
//!
//! An adapter hands back what it accepted but could not deliver: **unsent** messages (certainly
//! never reached the server) are queued again, ahead of everything sent later, and go out on the
//! next connection ([`Connection::handle_unsent`]); **unconfirmed** ones (may have reached it) go
//! to the application in [`Event::Undelivered`] at once, since resending could duplicate them
//! ([`Connection::handle_unconfirmed`]). While open, the queue holds every new message as long as
//! it holds handed-back ones, or while a transport that reports its upstream buffer
//! ([`Connection::handle_transport_buffered`]: SSE, long polling) is over
//! [`ConnectionConfig::upstream_high_water_bytes`]; the queue's bounds and overflow policy then
//! apply, so a fast sender cannot grow memory without limit.

use crate::core::fifo::Fifo;
use crate::prelude::*;

use super::backoff::BackoffConfig;
use super::batch::{BatchConfig, Batcher};
use super::close_code::{self, validate_close};
use super::closing::{ClosingTransports, Outcome};
use super::error::CoreError;
use super::fallback::{FallbackPlan, DEFAULT_UPGRADE_AFTER_MS};
#[cfg(feature = "std")]
use super::json_check::validate_json;
use super::payload::Payload;
use super::queue::{QueueConfig, SendQueue};
use super::rng::SplitMix64;
use super::session::{
    decode_session_frame, HelloStatus, PeerProtocol, Received, Session, SessionConfig,
    SessionFrame, SessionQuery,
};
use super::text::{concat, decimal};
use super::transport_kind::{TransportKind, TransportSet};
use super::upgrade::UpgradeProbe;

/// Application-level heartbeat (guide §8.1), needed because browsers expose no WebSocket ping
/// and SSE / long polling have none at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatConfig {
    /// Time between pings while open, ms (default 30000, the guide's).
    pub interval_ms: u64,
    /// How long to wait for the pong before declaring the link dead, ms (default: the
    /// interval, which is what the guide's `setInterval` check amounts to).
    pub timeout_ms: u64,
    /// Ping message text (PROTOCOL.md §1: `ping`).
    pub ping: String,
    /// Pong message text (`pong`). Incoming pongs are consumed, never delivered.
    pub pong: String,
}

impl Default for HeartbeatConfig {
    fn default() -> Self {
        Self {
            interval_ms: 30_000,
            timeout_ms: 30_000,
            ping: "ping".to_owned(),
            pong: "pong".to_owned(),
        }
    }
}

/// Everything configurable, with the guide's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionConfig {
    /// Reconnect delays and attempt limit.
    pub backoff: BackoffConfig,
    /// How long one transport may take to open before it is abandoned, ms (default 2000, the
    /// guide's `timeoutInterval`).
    pub connect_timeout_ms: u64,
    /// How long a transport asked to close (for any reason) may take to confirm before it is
    /// abandoned, and so how long an application close waits for a silent server before it
    /// completes anyway (not clean), ms (default 3000). One bound for every transport: the
    /// adapters keep no close timers of their own (see `closing.rs`).
    pub close_timeout_ms: u64,
    /// Heartbeat, or `None` to disable.
    pub heartbeat: Option<HeartbeatConfig>,
    /// Batching for [`Connection::send_batchable`], or `None` to send those items one by one.
    pub batch: Option<BatchConfig>,
    /// Send queue used while not open.
    pub queue: QueueConfig,
    /// Preference order of transports (default: WebTransport, WebSocket, SSE, long polling).
    pub transports: Vec<TransportKind>,
    /// Transports this browser supports (feature detection is the adapter's job).
    pub supported: TransportSet,
    /// Largest message accepted by `send`, bytes (default 16 MiB, the reference server's).
    pub max_message_size: usize,
    /// Upgrade window of the fallback policy (see [`FallbackPlan`]); `None` never upgrades.
    pub upgrade_after_ms: Option<u64>,
    /// While a transport that reports its upstream buffer ([`Connection::handle_transport_buffered`]:
    /// SSE and long polling) holds more than this many bytes, new messages wait in the send
    /// queue, whose bounds and overflow policy then apply (default 1 MiB).
    pub upstream_high_water_bytes: u64,
    /// Resumable sessions (PROTOCOL.md §7). Off in `ConnectionConfig::default()`, which speaks
    /// v1 so that the core's own tests need no server `hello`; the SDK's options turn it on.
    pub session: SessionConfig,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        Self {
            backoff: BackoffConfig::default(),
            connect_timeout_ms: 2000,
            close_timeout_ms: 3000,
            heartbeat: Some(HeartbeatConfig::default()),
            batch: Some(BatchConfig::default()),
            queue: QueueConfig::default(),
            transports: TransportKind::ALL.to_vec(),
            supported: TransportSet::all(),
            max_message_size: 16 * 1024 * 1024,
            upgrade_after_ms: Some(DEFAULT_UPGRADE_AFTER_MS),
            upstream_high_water_bytes: 1 << 20,
            session: SessionConfig {
                enabled: false,
                ..SessionConfig::default()
            },
        }
    }
}

/// Connection states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Initial connect (or not started yet).
    Connecting,
    /// A transport is open.
    Open,
    /// Waiting for a reconnect delay, or trying transports after a drop.
    Reconnecting,
    /// The application asked to close; waiting for the transport to confirm.
    Closing,
    /// Final (until `handle_connect` is called again).
    Closed,
}

impl State {
    /// The `WebSocket.readyState` equivalent: Connecting and Reconnecting → 0, Open → 1,
    /// Closing → 2, Closed → 3.
    pub fn ready_state(self) -> u16 {
        match self {
            State::Connecting | State::Reconnecting => 0,
            State::Open => 1,
            State::Closing => 2,
            State::Closed => 3,
        }
    }
}

/// What [`Connection::poll_timer`] asks of the adapter layer's one timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerChange {
    /// Leave it as it is (armed or not).
    Keep,
    /// Arm it (replacing any armed one) to call [`Connection::handle_timeout`] at this time.
    Arm(u64),
    /// Cancel it: the socket has closed.
    Cancel,
}

/// Work for the adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Create a transport of `kind` and report back with `conn_id`.
    OpenTransport {
        /// Id for all reports about this transport.
        conn_id: u64,
        /// Which transport.
        kind: TransportKind,
    },
    /// Send an unreliable datagram on transport `conn_id` (WebTransport). One the transport
    /// cannot send goes to [`Connection::handle_datagram_unsent`].
    SendDatagram {
        /// Transport id.
        conn_id: u64,
        /// The datagram's bytes.
        bytes: Vec<u8>,
    },
    /// Send a message on transport `conn_id`.
    Send {
        /// Transport id.
        conn_id: u64,
        /// The message.
        payload: Payload,
    },
    /// Close (or abandon, if still opening) transport `conn_id`. It has
    /// [`ConnectionConfig::close_timeout_ms`] to report its end; then
    /// [`Action::AbandonTransport`] follows.
    CloseTransport {
        /// Transport id.
        conn_id: u64,
        /// Close code to send where the transport has one.
        code: u16,
        /// Close reason.
        reason: String,
    },
    /// Transport `conn_id` did not report its end in time (asked to close, or announced by
    /// [`Connection::handle_transport_ending`]): drop it now, reporting what it still held
    /// ([`Connection::handle_unconfirmed`] / [`Connection::handle_unsent`]), then call
    /// [`Connection::handle_transport_abandoned`].
    AbandonTransport {
        /// Transport id.
        conn_id: u64,
    },
}

/// The most a late `hello` raises a socket's hello wait to (see `Connection::late_hello`): a
/// `hello` delayed by minutes must not make every later silent link hang for longer.
const MAX_RAISED_HELLO_TIMEOUT_MS: u64 = 30_000;

/// Notifications for the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A transport opened (every time, including after a reconnect).
    Open {
        /// The transport in use.
        kind: TransportKind,
    },
    /// A message arrived (heartbeat pongs are not delivered).
    Message(Payload),
    /// An open transport was lost without the application asking; a reconnect follows (or
    /// [`Event::MaxReconnectAttemptsReached`]; or, when the application closes meanwhile,
    /// [`Event::Close`]).
    Disconnected {
        /// Close code reported by the transport (1006 if it just failed).
        code: u16,
        /// Close reason.
        reason: String,
        /// Whether the transport closed cleanly.
        was_clean: bool,
    },
    /// A reconnect attempt is scheduled in `delay_ms` (0 when an upgrade probe that was being
    /// opened goes on as the attempt).
    Reconnecting {
        /// Attempt number, from 1.
        attempt: u32,
        /// Delay before the attempt, ms.
        delay_ms: u64,
    },
    /// A reconnect succeeded (follows [`Event::Open`]).
    Reconnected {
        /// The transport in use.
        kind: TransportKind,
    },
    /// While open on a worse transport, a better one opened in the background and the
    /// connection switched to it (the old one is closed gracefully). [`Event::Open`] follows:
    /// the server sees a new connection.
    Upgraded {
        /// The transport left.
        from: TransportKind,
        /// The transport now in use.
        to: TransportKind,
    },
    /// A transport failed to open; the next one is being tried.
    Fallback {
        /// The transport that failed.
        from: TransportKind,
        /// The transport tried next.
        to: TransportKind,
        /// Why `from` failed.
        reason: String,
    },
    /// Reconnect attempts are exhausted; [`Event::Close`] follows.
    MaxReconnectAttemptsReached,
    /// The server no longer had the session this socket tried to resume (PROTOCOL.md §7.2), so
    /// the socket continues in a new one: server-side state (a chat client id, its room) is
    /// gone and the application should resynchronise. What was still unacknowledged follows in
    /// [`Event::Undelivered`]. Comes after [`Event::Open`] of the new link.
    SessionLost {
        /// Why: `unknown session`, `session expired` or `session belongs to another service`.
        reason: String,
    },
    /// Oldest queued messages were dropped to make room ([`OverflowPolicy::DropOldest`](super::OverflowPolicy::DropOldest)).
    QueueOverflow {
        /// How many.
        dropped: usize,
    },
    /// The initial connect tried every supported transport and none opened; [`Event::Close`]
    /// follows.
    ConnectFailed {
        /// Each transport tried, with its failure reason, in order.
        tried: Vec<(TransportKind, String)>,
    },
    /// Messages handed back to the application, oldest first: still queued when the connection
    /// closed for good (just before [`Event::Close`]), sent on a transport that could not
    /// confirm them (at any time; resending could duplicate them), or handed back unsent by a
    /// replaced link after later messages went out (resending would reorder them).
    Undelivered(Vec<Payload>),
    /// The connection is closed for good.
    Close {
        /// Close code.
        code: u16,
        /// Close reason.
        reason: String,
        /// Whether the close completed cleanly.
        was_clean: bool,
    },
}

/// Counters; computed from the times passed in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Application messages handed to transports (a batch counts once; pings do not count).
    pub messages_sent: u64,
    /// Bytes of those messages.
    pub bytes_sent: u64,
    /// Application messages received (pongs do not count).
    pub messages_received: u64,
    /// Bytes of those messages.
    pub bytes_received: u64,
    /// Successful reconnects.
    pub reconnects: u64,
    /// Reconnect attempts scheduled.
    pub reconnect_attempts: u64,
    /// Milliseconds spent open on each transport, indexed by [`TransportKind::index`].
    pub time_on_transport_ms: [u64; 4],
    /// Messages sent again after a session resumed (v2).
    pub resent: u64,
    /// Received messages dropped as duplicates of ones already delivered (v2).
    pub deduplicated: u64,
    /// Sent messages the server acknowledged (v2).
    pub acknowledged: u64,
    /// Sessions resumed after a drop or a change of transport (v2).
    pub sessions_resumed: u64,
    /// Sessions the server no longer had ([`Event::SessionLost`]).
    pub sessions_lost: u64,
}

impl Stats {
    /// Milliseconds spent open on `kind`.
    pub fn time_on(&self, kind: TransportKind) -> u64 {
        self.time_on_transport_ms
            .get(kind.index())
            .copied()
            .unwrap_or(0)
    }
}

#[derive(Debug, Default)]
struct Heartbeat {
    next_ping_at: Option<u64>,
    pong_deadline: Option<u64>,
    ping_sent_at: Option<u64>,
    rtt: Option<u64>,
}

/// The state machine. See the module documentation.
#[derive(Debug)]
pub struct Connection {
    config: ConnectionConfig,
    state: State,
    started: bool,
    conn_id: u64,
    /// The last conn id handed out (the current transport, a probe and a retiring one each
    /// have their own).
    last_id: u64,
    /// Background attempts at a better transport while open on a worse one.
    probe: UpgradeProbe,
    /// The transport an upgrade replaced, still closing: messages it delivers meanwhile were
    /// sent by the server before it saw the close, and still reach the application.
    retiring: Option<u64>,
    /// The link on which this client refused a message of the server's and is ending it
    /// ([`Connection::handle_transport_refused`]): its loss ends the socket for good. Conn ids
    /// are never reused, so a stale value matches no later link.
    refused_link: Option<u64>,
    /// The link whose adapter refused a message after the application's `close()` (a v2 close
    /// waiting for acks has not reached the adapter, which still refuses where it would drop the
    /// message once told): the close keeps the application's code ([`Connection::close`]).
    refused_in_close: Option<u64>,
    /// An upgrade probe that refused a message: it is never promoted (see `link_lost`).
    refused_probe: Option<u64>,
    /// The first link, taken for v1 when its `hello` did not come in time, until its first
    /// message: a `hello` then means a v2 server on a slow link (see `late_hello`).
    taken_for_v1: Option<u64>,
    /// How long a link waits for `hello`: the configured time, raised (at most to
    /// [`MAX_RAISED_HELLO_TIMEOUT_MS`]) by a `hello` that came late, so that the next links wait
    /// long enough; back to the configured time at each `connect()`.
    hello_timeout_ms: u64,
    /// The link `late_hello` switched to v2 after it had carried v1 messages: what it hands back
    /// is still v1's (not in the session's resend buffer), handled as v1 hand-backs are.
    switched_from_v1: Option<u64>,
    /// Transport of `conn_id` while it is being opened or is open; `None` once abandoned.
    kind: Option<TransportKind>,
    transport_open: bool,
    connect_deadline: Option<u64>,
    reconnect_at: Option<u64>,
    close_deadline: Option<u64>,
    /// Transports asked to close that have not reported their end yet.
    closing: ClosingTransports,
    pending_close: Option<(u16, String)>,
    attempt: u32,
    /// The current round belongs to a reconnect (not to the initial connect).
    reconnecting: bool,
    round_failures: Vec<(TransportKind, String)>,
    opened_at: Option<u64>,
    /// Transports with a heartbeat ping not answered yet (one entry per ping, a few at most): a
    /// transport that hands its messages back may hand back our ping too, which is not the
    /// application's to see or to resend. A `Vec`, not a `VecDeque`: for at most 9 entries its
    /// `remove(0)` costs nothing measurable, and a `VecDeque<u64>` linked its own `grow`,
    /// `pop_front`, `remove` and `wrap_copy` (about 0.1 KB gzipped).
    pings_out: Vec<u64>,
    /// Upstream bytes the open transport holds, for transports that report it; `None` for
    /// transports that buffer on their own (they are never held back).
    backlog: Option<u64>,
    /// The link the newest message was handed to (0: none, or every message handed to it came
    /// back unsent; ids only grow): messages a replaced link hands back can still go out first
    /// only while nothing went out on a later link after them.
    last_sent_on: u64,
    /// Messages handed to `last_sent_on` and not handed back unsent.
    sent_on_last: usize,
    hb: Heartbeat,
    /// Sequencing, acks and resends of the resumable session (v2).
    session: Session,
    /// A link that opened and waits for the server's `hello` (its conn id, and when to give up
    /// and take the server for v1).
    hello_wait: Option<(u64, u64)>,
    /// `close()` while sent messages were unacknowledged: the code and reason to close with
    /// once they are (or at the close timeout).
    close_after_acks: Option<(u16, String)>,
    batcher: Option<Batcher>,
    queue: SendQueue,
    plan: FallbackPlan,
    rng: SplitMix64,
    actions: Fifo<Action>,
    events: Fifo<Event>,
    stats: Stats,
}

impl Connection {
    /// A machine with `config`; `seed` seeds the jitter PRNG (any value; pass real entropy in the
    /// browser so clients do not jitter in lockstep). The batch size limit is lowered to
    /// `max_message_size` so a batch is always sendable.
    pub fn new(config: ConnectionConfig, seed: u64) -> Self {
        let batcher = config.batch.map(|mut b| {
            b.max_bytes = b.max_bytes.min(config.max_message_size);
            Batcher::new(b)
        });
        let probe = UpgradeProbe::new(config.upgrade_after_ms);
        let hello_timeout_ms = config.session.hello_timeout_ms;
        let session = Session::new(config.session.clone());
        let plan = FallbackPlan::new(
            &config.transports,
            config.supported,
            config.upgrade_after_ms,
        );
        Self {
            queue: SendQueue::new(config.queue),
            batcher,
            plan,
            config,
            state: State::Connecting,
            started: false,
            conn_id: 0,
            last_id: 0,
            probe,
            retiring: None,
            refused_link: None,
            refused_in_close: None,
            refused_probe: None,
            taken_for_v1: None,
            switched_from_v1: None,
            hello_timeout_ms,
            kind: None,
            transport_open: false,
            connect_deadline: None,
            reconnect_at: None,
            close_deadline: None,
            closing: ClosingTransports::default(),
            pending_close: None,
            attempt: 0,
            reconnecting: false,
            round_failures: Vec::new(),
            opened_at: None,
            backlog: None,
            last_sent_on: 0,
            sent_on_last: 0,
            pings_out: Vec::new(),
            hb: Heartbeat::default(),
            session,
            hello_wait: None,
            close_after_acks: None,
            rng: SplitMix64::new(seed),
            actions: Fifo::new(),
            events: Fifo::new(),
            stats: Stats::default(),
        }
    }

    // ----- queries -------------------------------------------------------------------------

    /// Current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// `WebSocket.readyState` equivalent (see [`State::ready_state`]).
    pub fn ready_state(&self) -> u16 {
        self.state.ready_state()
    }

    /// The open transport, if any.
    pub fn transport(&self) -> Option<TransportKind> {
        if self.transport_open {
            self.kind
        } else {
            None
        }
    }

    /// Id of the most recent transport.
    pub fn conn_id(&self) -> u64 {
        self.conn_id
    }

    /// Round-trip time of the last answered heartbeat ping, ms.
    pub fn rtt_ms(&self) -> Option<u64> {
        self.hb.rtt
    }

    /// Messages waiting in the send queue.
    pub fn queued_messages(&self) -> usize {
        self.queue.len()
    }

    /// Payload bytes waiting in the send queue (part of `bufferedAmount`).
    pub fn queued_bytes(&self) -> usize {
        self.queue.bytes()
    }

    /// Reconnect attempts made since the connection was last open.
    pub fn reconnect_attempt(&self) -> u32 {
        self.attempt
    }

    /// The configuration in use.
    pub fn config(&self) -> &ConnectionConfig {
        &self.config
    }

    /// Which protocol the server speaks, as far as this socket knows (v2: resumable).
    pub fn peer_protocol(&self) -> PeerProtocol {
        self.session.peer()
    }

    /// The resumable session's id, once a v2 server gave one.
    pub fn session_id(&self) -> Option<&str> {
        self.session.id()
    }

    /// Messages sent and not acknowledged yet (v2), and their payload bytes.
    pub fn resend_buffer(&self) -> (usize, usize) {
        (
            self.session.unacked_messages(),
            self.session.unacked_bytes(),
        )
    }

    /// The largest message a transport must accept: the application's limit, plus the data
    /// frame's header when sessions may be in use (PROTOCOL.md §6.4).
    pub fn max_transport_message(&self) -> usize {
        let header = if self.config.session.enabled {
            super::session::DATA_OVERHEAD
        } else {
            0
        };
        self.config.max_message_size.saturating_add(header)
    }

    /// What the URL of a link opened now must ask for (`v=2`, `resume=…`): the adapter adds
    /// these query parameters when it opens the transport.
    pub fn session_query(&self) -> SessionQuery {
        self.session.query()
    }

    /// Statistics as of `now` (includes the time of the currently open transport).
    pub fn stats(&self, now: u64) -> Stats {
        let mut s = self.stats.clone();
        let st = self.session.stats();
        s.resent = st.resent;
        s.deduplicated = st.deduplicated;
        s.acknowledged = st.acknowledged;
        s.sessions_resumed = st.resumed;
        s.sessions_lost = st.lost;
        if let (Some(at), Some(kind), true) = (self.opened_at, self.kind, self.transport_open) {
            if let Some(t) = s.time_on_transport_ms.get_mut(kind.index()) {
                *t = t.saturating_add(now.saturating_sub(at));
            }
        }
        s
    }

    // ----- outputs -------------------------------------------------------------------------

    /// Next thing the adapter must do.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// Next notification for the application.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// What the adapter layer's one timer should do now, given the deadline it is armed for
    /// (`armed`): arm it for an earlier deadline than that (or when none is armed), and otherwise
    /// leave it. A timer that fires before the core's next deadline finds nothing due and is
    /// armed again; deadlines that move later with every message (the session's delayed ack)
    /// then cost no timer per message. Cancelled once the socket has closed, so nothing is left
    /// to fire.
    pub fn poll_timer(&self, armed: Option<u64>) -> TimerChange {
        match (self.poll_timeout(), armed) {
            (None, Some(_)) if self.state == State::Closed => TimerChange::Cancel,
            (Some(deadline), armed) if armed.is_none_or(|at| deadline < at) => {
                TimerChange::Arm(deadline)
            }
            _ => TimerChange::Keep,
        }
    }

    /// Earliest time at which [`handle_timeout`](Self::handle_timeout) must be called
    /// (connect timeout, reconnect delay, close timeout, heartbeat or batch flush).
    pub fn poll_timeout(&self) -> Option<u64> {
        let mut t = [
            self.connect_deadline,
            self.reconnect_at,
            self.close_deadline,
            self.hello_wait.map(|(_, d)| d),
            self.closing.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        if self.state == State::Open {
            let more = [
                self.hb.next_ping_at,
                self.hb.pong_deadline,
                self.batcher.as_ref().and_then(Batcher::poll_timeout),
                self.probe.poll_timeout(),
                self.session.poll_timeout(),
            ];
            for d in more.into_iter().flatten() {
                t = Some(t.map_or(d, |x| x.min(d)));
            }
        }
        t
    }

    // ----- inputs --------------------------------------------------------------------------

    /// What an application's `connect()` does now, without starting anything: `Some(true)` on
    /// an open link (done at once), `Some(false)` while connecting or reconnecting (it joins:
    /// it is told at the next open, or at the final close), `None` when it must start with
    /// [`Self::handle_connect`] (which refuses it while closing).
    pub fn connect_joins(&self) -> Option<bool> {
        match self.state {
            State::Open => Some(true),
            State::Reconnecting => Some(false),
            State::Connecting if self.started => Some(false),
            _ => None,
        }
    }

    /// Starts connecting (the initial round). Valid before the first connect and after
    /// [`State::Closed`] (which starts over with a fresh attempt count).
    pub fn handle_connect(&mut self, now: u64) -> Result<(), CoreError> {
        let can_start = match self.state {
            State::Connecting => !self.started,
            State::Closed => true,
            _ => false,
        };
        if !can_start {
            return Err(CoreError::InvalidState(
                "connect while already connecting, open or closing",
            ));
        }
        self.started = true;
        self.state = State::Connecting;
        // A new connect negotiates again: the server may have changed since.
        self.session.forget_peer();
        self.reconnecting = false;
        self.attempt = 0;
        self.pending_close = None;
        self.hello_timeout_ms = self.session.config().hello_timeout_ms;
        self.begin_round(now);
        Ok(())
    }

    /// Transport `conn_id` opened. With resumable sessions on, it counts as open only once the
    /// server's `hello` arrived (or the hello timeout says the server speaks v1).
    pub fn handle_transport_opened(&mut self, now: u64, conn_id: u64) {
        let probe = self.probe.is_probe(conn_id);
        if !probe && !self.is_pending_attempt(conn_id) {
            return;
        }
        if self.session.awaits_hello() {
            if !probe {
                self.connect_deadline = None;
            }
            self.hello_wait = Some((conn_id, now.saturating_add(self.hello_timeout_ms)));
            return;
        }
        self.link_ready(now, conn_id);
    }

    /// Link `conn_id` is usable: the attempt opens, or the probe replaces the current link.
    fn link_ready(&mut self, now: u64, conn_id: u64) {
        if !self.session.config().enabled {
            // Sessions off: the socket speaks v1 (as `stats()` then says).
            self.session.peer_is_v1();
        }
        if self.probe.is_probe(conn_id) {
            self.probe_opened(now);
            return;
        }
        if !self.is_pending_attempt(conn_id) {
            return;
        }
        let Some(kind) = self.kind else { return };
        self.transport_open = true;
        self.connect_deadline = None;
        self.state = State::Open;
        self.opened_at = Some(now);
        self.plan.mark_working(kind);
        self.events.push_back(Event::Open { kind });
        if self.reconnecting {
            self.stats.reconnects = self.stats.reconnects.saturating_add(1);
            self.events.push_back(Event::Reconnected { kind });
        }
        self.reconnecting = false;
        self.attempt = 0;
        self.round_failures.clear();
        self.backlog = None;
        self.resend_unacked();
        self.flush_queue();
        self.restart_heartbeat(now);
        self.probe.schedule(now, kind, self.plan.order());
    }

    fn restart_heartbeat(&mut self, now: u64) {
        if let Some(hb) = &self.config.heartbeat {
            self.hb.next_ping_at = Some(now.saturating_add(hb.interval_ms));
            self.hb.pong_deadline = None;
            self.hb.ping_sent_at = None;
        }
    }

    /// The background probe opened a better transport: switch to it, and close the old one
    /// gracefully (what it still delivers meanwhile reaches the application).
    fn probe_opened(&mut self, now: u64) {
        let Some((id, to)) = self.probe.succeeded() else {
            return;
        };
        // Not while the current link is ending for a refusal: the socket ends with it.
        let refused = self.refused_link == Some(self.conn_id);
        let Some(from) = self.kind.filter(|_| self.state == State::Open && !refused) else {
            self.close_transport(now, id, close_code::TRANSPORT_REPLACED, "upgrade abandoned");
            return;
        };
        self.account_open_time(now);
        let old = self.conn_id;
        self.close_transport(
            now,
            old,
            close_code::NORMAL,
            &concat(&["upgrading to ", to.as_str()]),
        );
        // An older retiring transport still closing after a whole probe window is forgotten:
        // the core has given up on it by then (`close_timeout_ms`). In a v2 session the server
        // took the session over to the new link and resends there whatever the old one had not
        // delivered, so the old one is not listened to at all.
        self.retiring = (!self.session.is_v2()).then_some(old);
        self.conn_id = id;
        self.kind = Some(to);
        self.opened_at = Some(now);
        self.backlog = None;
        self.plan.mark_working(to);
        self.events.push_back(Event::Upgraded { from, to });
        self.events.push_back(Event::Open { kind: to });
        // A ping outstanding on the old transport is still answered there: keep it, so that its
        // pong is consumed rather than delivered, but stop waiting for it.
        let outstanding = self.hb.ping_sent_at;
        self.restart_heartbeat(now);
        self.hb.ping_sent_at = outstanding;
        self.probe.schedule(now, to, self.plan.order());
        self.resend_unacked();
        self.flush_queue();
    }

    /// After a resume, every message the server has not acknowledged goes out again, in order,
    /// before anything queued since (the server drops what it already had).
    fn resend_unacked(&mut self) {
        if !self.session.is_v2() {
            return;
        }
        for frame in self.session.resend() {
            self.actions.push_back(Action::Send {
                conn_id: self.conn_id,
                payload: Payload::Binary(frame),
            });
        }
    }

    /// Asks transport `conn_id` to close; it is abandoned if it has not ended within
    /// [`ConnectionConfig::close_timeout_ms`]. Every `CloseTransport` goes through here.
    fn close_transport(&mut self, now: u64, conn_id: u64, code: u16, reason: &str) {
        let give_up_at = now.saturating_add(self.config.close_timeout_ms);
        self.closing.asked(conn_id, give_up_at);
        self.actions.push_back(Action::CloseTransport {
            conn_id,
            code,
            reason: reason.to_owned(),
        });
    }

    /// Starts the due probe, or fails the one whose connect deadline passed.
    fn run_probe(&mut self, now: u64) {
        if let Some(id) = self.probe.timed_out(now) {
            self.clear_hello_wait(id);
            self.close_transport(now, id, close_code::CONNECT_TIMEOUT, "connect timeout");
            self.probe.failed(now);
        }
        let Some(current) = self.kind else { return };
        if let Some(kind) = self.probe.take_due(now, current, self.plan.order()) {
            let id = self.fresh_id();
            let deadline = now.saturating_add(self.config.connect_timeout_ms);
            self.probe.started(id, kind, deadline);
            self.actions
                .push_back(Action::OpenTransport { conn_id: id, kind });
        }
    }

    fn fresh_id(&mut self) -> u64 {
        self.last_id = self.last_id.saturating_add(1);
        self.last_id
    }

    /// Transport `conn_id` reported an error. Before open this is a failed attempt (fall back to
    /// the next transport); after open it is treated as an abnormal close (1006).
    pub fn handle_transport_failed(&mut self, now: u64, conn_id: u64, reason: String) {
        let settled = self.closing.settled(conn_id).is_some();
        if (self.transport_open || settled) && conn_id == self.conn_id && self.kind.is_some() {
            // After open a failure is a loss (1006); a link that settled its outcome (a refusal
            // while waiting for `hello`, a close frame) ends with that outcome, open or not.
            return self.handle_transport_closed(now, conn_id, close_code::ABNORMAL, reason, false);
        }
        self.closing.ended(conn_id);
        if self.forget_side_transport(now, conn_id) {
            return;
        }
        if conn_id != self.conn_id || self.kind.is_none() {
            return;
        }
        if self.is_pending_attempt(conn_id) {
            self.attempt_failed(now, reason);
        }
    }

    /// Transport `conn_id` refused a message of the server's (over
    /// [`ConnectionConfig::max_message_size`], or of a type this client cannot read) and is
    /// ending the connection for it; its `Closed` follows with the refusal's `code` and `reason`.
    /// When that link is lost the socket ends for good, with or without a session: a resume would
    /// have the server replay the very message, and a server that greets every link with it would
    /// have the socket reconnect without end (each open resets the attempts). The end is awaited
    /// like an announced one ([`Connection::handle_transport_ending`]): no heartbeat times the link
    /// out meanwhile, and if `Closed` does not come within the close wait the link ends with this
    /// outcome, not clean. On an upgrade probe the refusal only fails the probe, as any close
    /// before it took over does (and a probe never takes over from a refused link). On a link
    /// still waiting for `hello`, the wait ends: the link never opens, and its end is final too
    /// (`connect()` fails naming the refusal). During the application's close (waiting for acks)
    /// the close keeps the application's code instead.
    pub fn handle_transport_refused(&mut self, now: u64, conn_id: u64, code: u16, reason: String) {
        if self.closing.settled(conn_id).is_some() {
            // The server's close frame came first: the link ends with it, as the server closed.
            return;
        }
        match self.state {
            State::Closed => return,
            State::Closing => self.refused_in_close = Some(conn_id),
            // A probe's refusal only fails the probe: it must not hide the current link's.
            _ if self.probe.is_probe(conn_id) => self.refused_probe = Some(conn_id),
            _ => self.refused_link = Some(conn_id),
        }
        // The link will not open now: its `hello` is no longer awaited (a hello timeout would
        // open a first link as v1, or fail a later one as a fallback, forgetting the refusal).
        self.clear_hello_wait(conn_id);
        self.announce(now, conn_id, (code, reason, false), true);
    }

    /// Whether transport `conn_id` is closing: asked to close, or announced its end. A caller
    /// that refuses a message on a link that is already closing lets that close finish (a second
    /// close would tell the server the refusal's code instead of the application's).
    pub fn is_closing(&self, conn_id: u64) -> bool {
        self.closing.is_waiting(conn_id)
    }

    /// The server's close frame arrived on transport `conn_id` (a WebTransport stream's §2 close
    /// frame, decoded by the caller; PROTOCOL.md §2): the link ends with the server's `code` and
    /// `reason`, clean, whatever its adapter reports of the end that follows (the stream's end,
    /// the session's `closed`). Messages before it are delivered while the link finishes, as
    /// for [`Connection::handle_transport_ending`]; a refusal this client settled on first stays.
    pub fn handle_close_frame(&mut self, now: u64, conn_id: u64, code: u16, reason: String) {
        // The link will not open now: a hello timeout must not open it as v1 meanwhile.
        self.clear_hello_wait(conn_id);
        self.announce(now, conn_id, (code, reason, true), true);
    }

    /// Transport `conn_id` has ended with this outcome but is still finishing: delivering what
    /// the server sent before its close, finding out why the connection ended, or letting a
    /// close frame leave. Messages it delivers meanwhile are handled as usual; its `Closed` (or
    /// `Failed`) should follow. If that does not come within
    /// [`ConnectionConfig::close_timeout_ms`], the core gives up on it
    /// ([`Action::AbandonTransport`]) and it ends with this outcome.
    pub fn handle_transport_ending(
        &mut self,
        now: u64,
        conn_id: u64,
        code: u16,
        reason: String,
        was_clean: bool,
    ) {
        self.announce(now, conn_id, (code, reason, was_clean), false);
    }

    /// Transport `conn_id` is ending with `outcome`, final when `settled` (a close frame, a
    /// refusal: see [`ClosingTransports::ending`]) or until its adapter reports its end.
    fn announce(&mut self, now: u64, conn_id: u64, outcome: Outcome, settled: bool) {
        if self.state == State::Closed {
            // Every transport was dropped at the final close; a late report changes nothing.
            return;
        }
        let give_up_at = now.saturating_add(self.config.close_timeout_ms);
        self.closing.ending(conn_id, give_up_at, outcome, settled);
        if conn_id == self.conn_id {
            // The link is going: no heartbeat may time it out meanwhile (its outcome, perhaps
            // a server's goodbye, must not become a 4000), and new messages wait in the queue.
            self.stop_heartbeat();
        }
    }

    /// The adapter layer dropped transport `conn_id`, as [`Action::AbandonTransport`] asked,
    /// after reporting what it held. A transport that had announced its end (see
    /// [`handle_transport_ending`](Self::handle_transport_ending)) ends now with that outcome;
    /// one the core had asked to close was already forgotten.
    pub fn handle_transport_abandoned(&mut self, now: u64, conn_id: u64) {
        match self.closing.take_outcome(conn_id) {
            Some((code, reason, was_clean)) => {
                self.handle_transport_closed(now, conn_id, code, reason, was_clean)
            }
            None => {
                if self.retiring == Some(conn_id) {
                    self.retiring = None;
                }
            }
        }
    }

    /// Transport `conn_id` closed.
    pub fn handle_transport_closed(
        &mut self,
        now: u64,
        conn_id: u64,
        code: u16,
        reason: String,
        was_clean: bool,
    ) {
        // A link that settled its outcome ends with it, whatever its adapter reports: a refused
        // message's (a script's WebSocket may only close with 1000 or 3000–4999, so the browser
        // reports the 1000 that went on the wire, not the 1009), or the server's close frame's
        // (a WebTransport session's `closed` may say less once the stream has ended).
        let (code, reason, was_clean) = match self.closing.settled(conn_id) {
            Some(outcome) => outcome.clone(),
            None => (code, reason, was_clean),
        };
        self.closing.ended(conn_id);
        if self.forget_side_transport(now, conn_id) {
            return;
        }
        if conn_id != self.conn_id || self.kind.is_none() {
            return;
        }
        match self.state {
            State::Closing => match self.refused_close(conn_id) {
                Some((code, reason)) => self.finish_closed(now, code, reason, false),
                None => self.finish_closed(now, code, reason, was_clean),
            },
            State::Open => self.link_lost(now, code, reason, was_clean),
            // A message refused before the link counted as open (the first one, while waiting
            // for `hello`): final, as on an open link (see `handle_transport_refused`), not a
            // failed attempt that other transports would repeat.
            State::Connecting | State::Reconnecting if self.refused_link == Some(conn_id) => {
                if self.state == State::Connecting {
                    // connect() rejects listing what was tried, this link's refusal last.
                    let mut tried = core::mem::take(&mut self.round_failures);
                    if let Some(kind) = self.kind {
                        tried.push((
                            kind,
                            concat(&["refused the server's first message: ", &reason]),
                        ));
                    }
                    self.events.push_back(Event::ConnectFailed { tried });
                }
                self.finish_closed(now, code, reason, false)
            }
            State::Connecting | State::Reconnecting if !self.transport_open => {
                let code = decimal(u64::from(code));
                let reason = if reason.is_empty() {
                    concat(&["closed before open (code ", &code, ")"])
                } else {
                    concat(&["closed before open (code ", &code, ": ", &reason, ")"])
                };
                self.attempt_failed(now, reason);
            }
            _ => {}
        }
    }

    /// The application's close, when link `conn_id` ended because its adapter refused a message
    /// while that close was under way (see `refused_in_close`): the close keeps the
    /// application's code and reason, not clean, on every transport.
    fn refused_close(&self, conn_id: u64) -> Option<(u16, String)> {
        if self.refused_in_close != Some(conn_id) {
            return None;
        }
        self.pending_close.clone()
    }

    /// A probe or a retiring transport ended (failed or closed): true if `conn_id` was one.
    fn forget_side_transport(&mut self, now: u64, conn_id: u64) -> bool {
        if self.probe.is_probe(conn_id) {
            self.clear_hello_wait(conn_id);
            self.probe.failed(now);
            self.run_probe(now);
            return true;
        }
        if self.retiring == Some(conn_id) {
            self.retiring = None;
            return true;
        }
        false
    }

    /// A message arrived on transport `conn_id`. Heartbeat pongs are consumed here, and in a v2
    /// session every binary message is a session frame.
    pub fn handle_incoming(&mut self, now: u64, conn_id: u64, payload: Payload) {
        if self.hello_wait.is_some_and(|(id, _)| id == conn_id) {
            self.hello_wait = None;
            let hello = match &payload {
                Payload::Binary(bytes) => decode_session_frame(bytes).ok(),
                Payload::Text(_) => None,
            };
            if let Some(SessionFrame::Hello { status, ack, id }) = hello {
                self.session_hello(now, conn_id, status, ack, id);
                return;
            }
            if self.session.is_v2() {
                self.link_without_hello(now, conn_id, "first message is not a session hello");
                return;
            }
            // Anything else first: the server does not speak v2. The message is its first one.
            self.session.peer_is_v1();
            self.link_ready(now, conn_id);
        }
        if !self.is_live_link(conn_id) {
            return;
        }
        if self.taken_for_v1 == Some(conn_id) {
            self.taken_for_v1 = None;
            if let Payload::Binary(bytes) = &payload {
                if let Ok(SessionFrame::Hello { status, ack, id }) = decode_session_frame(bytes) {
                    // Only the link in use, open, switches; on one being replaced or closed
                    // the late `hello` is only consumed.
                    if conn_id == self.conn_id && self.state == State::Open {
                        self.late_hello(now, conn_id, status, ack, id);
                    }
                    return;
                }
            }
        }
        self.link_proved_alive(now);
        if let Some(hb) = &self.config.heartbeat {
            // Only a pong answering our ping is consumed; the same text at any other time is
            // an application message.
            let is_pong = matches!(&payload, Payload::Text(t) if *t == hb.pong);
            if is_pong {
                if let Some(sent) = self.hb.ping_sent_at.take() {
                    self.pings_out.clear();
                    self.hb.rtt = Some(now.saturating_sub(sent));
                    self.hb.pong_deadline = None;
                    // Not on a link that is ending (its pong may come after the end began).
                    if self.state == State::Open && !self.link_ending() {
                        let next = sent.saturating_add(hb.interval_ms).max(now);
                        self.hb.next_ping_at = Some(next);
                    }
                    return;
                }
            }
        }
        if self.session.is_v2() {
            if let Payload::Binary(bytes) = &payload {
                self.incoming_frame(now, conn_id, bytes);
                return;
            }
        }
        self.deliver(payload);
    }

    /// A WebTransport datagram on link `conn_id`: delivered as a binary message as it came,
    /// outside any session (datagrams are neither numbered nor acknowledged: PROTOCOL.md §7;
    /// the server echoes them as they are). Not proof that the link is alive: the heartbeat
    /// watches the reliable stream, which may stall while datagrams still flow. One that arrives
    /// while a new link still waits for the server's `hello` is dropped, as the network may drop
    /// any datagram: nothing is delivered before the link is ready. The adapter drops a datagram
    /// over `max_message_size` before copying it (it is given that limit, not
    /// [`Self::max_transport_message`]: a datagram has no session header).
    pub fn handle_datagram(&mut self, conn_id: u64, bytes: Vec<u8>) {
        if self.hello_wait.is_some_and(|(id, _)| id == conn_id) || !self.is_live_link(conn_id) {
            return;
        }
        self.deliver(Payload::Binary(bytes));
    }

    /// Whether what arrives on link `conn_id` counts: the open link, or the one being replaced
    /// while it finishes.
    fn is_live_link(&self, conn_id: u64) -> bool {
        (conn_id == self.conn_id && self.transport_open) || self.retiring == Some(conn_id)
    }

    /// Anything from the server proves the link alive (PROTOCOL.md §6.1): a pong queued behind a
    /// busy downstream must not get the link closed.
    fn link_proved_alive(&mut self, now: u64) {
        if let (Some(hb), Some(_)) = (&self.config.heartbeat, self.hb.pong_deadline) {
            self.hb.pong_deadline = Some(now.saturating_add(hb.timeout_ms));
        }
    }

    /// The server's `hello` on link `conn_id`: the session is new, resumed or lost, and the link
    /// opens (a lost session is reported after `Open`, with what was unacknowledged).
    fn session_hello(&mut self, now: u64, conn_id: u64, status: HelloStatus, ack: u64, id: String) {
        let asked = self.session.id().map(str::to_owned);
        let resumed = status == HelloStatus::Resumed && asked.as_deref() == Some(&id);
        let lost = self.session.on_hello(status, ack, id);
        self.link_ready(now, conn_id);
        if asked.is_some() && !resumed {
            let reason = status.refusal().unwrap_or("session not resumed");
            self.events.push_back(Event::SessionLost {
                reason: reason.to_owned(),
            });
        }
        if !lost.is_empty() {
            self.events.push_back(Event::Undelivered(lost));
        }
    }

    /// A `hello` as the first message of the first link, after the hello timeout had taken the
    /// server for v1: a v2 server on a link slower than the timeout. Its session frames would
    /// otherwise reach the application as binary messages, and the server would close the link
    /// at the client's first text. The socket speaks v2 from now on, and this socket's links
    /// wait for `hello` twice as long as this one took. If nothing was sent on the link while
    /// it was taken for v1, it goes on in the session; otherwise the server has had (or will
    /// have) v1 text it refuses on a v2 link, so the link is closed as broken and the session
    /// resumed on the next one (what was sent as v1 meanwhile is v1's best effort).
    fn late_hello(&mut self, now: u64, conn_id: u64, status: HelloStatus, ack: u64, id: String) {
        let waited = self
            .hello_timeout_ms
            .saturating_add(now.saturating_sub(self.opened_at.unwrap_or(now)));
        let raised = waited.saturating_mul(2).min(MAX_RAISED_HELLO_TIMEOUT_MS);
        self.hello_timeout_ms = self.hello_timeout_ms.max(raised);
        let lost = self.session.on_hello(status, ack, id);
        if !lost.is_empty() {
            self.events.push_back(Event::Undelivered(lost));
        }
        if self.last_sent_on == conn_id {
            self.switched_from_v1 = Some(conn_id);
            self.broken_link(now, conn_id, "late session hello");
        }
    }

    fn deliver(&mut self, payload: Payload) {
        self.stats.messages_received = self.stats.messages_received.saturating_add(1);
        self.stats.bytes_received = self
            .stats
            .bytes_received
            .saturating_add(payload.len() as u64);
        self.events.push_back(Event::Message(payload));
    }

    /// A session frame on the current link: acks free the resend buffer, data is delivered
    /// once and in order, anything malformed or out of order breaks the link (the resume that
    /// follows repairs it).
    fn incoming_frame(&mut self, now: u64, conn_id: u64, bytes: &[u8]) {
        match decode_session_frame(bytes) {
            Ok(SessionFrame::Data { seq, ack, payload }) => {
                self.peer_acked(now, ack);
                match self.session.on_data(now, seq) {
                    Received::Deliver => self.deliver(payload),
                    Received::Duplicate => {}
                    Received::Gap => self.broken_link(now, conn_id, "sequence gap"),
                }
            }
            Ok(SessionFrame::Ack(ack)) => self.peer_acked(now, ack),
            Ok(SessionFrame::Hello { .. }) => self.broken_link(now, conn_id, "unexpected hello"),
            Err(e) => self.broken_link(now, conn_id, e.message()),
        }
    }

    /// The server acknowledged up to `ack`: room in the resend buffer lets held messages go,
    /// and a close waiting for acks proceeds.
    fn peer_acked(&mut self, now: u64, ack: u64) {
        if self.session.on_ack(ack) == 0 {
            return;
        }
        match self.state {
            State::Open => self.flush_queue(),
            State::Closing if self.close_after_acks.is_some() => {
                // Messages held while the resend buffer was full go out before the close.
                self.flush_queue();
                self.close_when_flushed(now);
            }
            _ => {}
        }
    }

    /// The peer broke the session protocol on link `conn_id`: close it with
    /// [`close_code::SESSION_ERROR`] and treat it as lost. A transport-level code, so the server
    /// keeps the session and the resume that follows repairs what went wrong (1002 would end the
    /// session, and browsers refuse `WebSocket.close(1002)` anyway).
    fn broken_link(&mut self, now: u64, conn_id: u64, reason: &str) {
        let code = close_code::SESSION_ERROR;
        self.close_transport(now, conn_id, code, reason);
        if conn_id != self.conn_id {
            return;
        }
        match self.state {
            State::Open => self.link_lost(now, code, reason.to_owned(), false),
            State::Closing => self.finish_closed(now, code, reason.to_owned(), false),
            _ => {}
        }
    }

    /// A new link to a server known to speak v2 came without `hello`: it failed (the attempt
    /// falls back or the probe waits for its next window). Closed with a transport-level code so
    /// that a server that did attach the session keeps it (PROTOCOL.md §7.3).
    fn link_without_hello(&mut self, now: u64, conn_id: u64, reason: &str) {
        self.close_transport(now, conn_id, close_code::SESSION_ERROR, reason);
        if self.probe.is_probe(conn_id) {
            self.probe.failed(now);
        } else if self.is_pending_attempt(conn_id) {
            self.attempt_failed(now, reason.to_owned());
        }
    }

    fn clear_hello_wait(&mut self, conn_id: u64) {
        if self.hello_wait.is_some_and(|(id, _)| id == conn_id) {
            self.hello_wait = None;
        }
    }

    /// Transport `conn_id` handed back messages that never reached the server. They go out
    /// again, in order, before anything sent later: while that transport is still current and
    /// open they queue behind nothing (the queue is empty while open unless held) and hold every
    /// later send; once it is gone they go to the front of the queue. After the final close, or
    /// when later messages already went out on another link (a replaced HTTP link hands its
    /// queue back only when dropped), they are reported in [`Event::Undelivered`] instead:
    /// resent, they would arrive after messages sent after them.
    ///
    /// In a v2 session both kinds are ignored: what they carried is still in the resend buffer
    /// and goes out again after the resume.
    pub fn handle_unsent(&mut self, _now: u64, conn_id: u64, payloads: Vec<Payload>) {
        if self.session.is_v2() && self.switched_from_v1 != Some(conn_id) {
            return;
        }
        let mut payloads = self.strip_pings(conn_id, payloads);
        if self.state == State::Open && conn_id == self.conn_id {
            // Sends still waiting in `actions` for this dying transport are newer than what it
            // handed back: they follow it, in order, and never reach the transport (handing
            // them back one by one would put each in front of the last: reversed).
            let mut kept = Fifo::new();
            while let Some(action) = self.actions.pop_front() {
                match action {
                    Action::Send {
                        conn_id: id,
                        payload,
                    } if id == conn_id => payloads.push(payload),
                    other => kept.push_back(other),
                }
            }
            self.actions = kept;
            payloads = self.strip_pings(conn_id, payloads);
        }
        if payloads.is_empty() {
            return;
        }
        // Everything the newest link was given came back: nothing went out after these.
        if conn_id == self.last_sent_on {
            self.sent_on_last = self.sent_on_last.saturating_sub(payloads.len());
            if self.sent_on_last == 0 {
                self.last_sent_on = 0;
            }
        }
        for p in &payloads {
            self.stats.messages_sent = self.stats.messages_sent.saturating_sub(1);
            self.stats.bytes_sent = self.stats.bytes_sent.saturating_sub(p.len() as u64);
        }
        match self.state {
            State::Closed => self.events.push_back(Event::Undelivered(payloads)),
            // The transport in use is dying (its `Closed` follows: adapters hand back only then,
            // or refuse a send once they are done). The messages predate everything queued
            // since, and the queue now holds every later send until the reconnect (or, closing,
            // until the final close hands them back). Never flushed to it again: a transport
            // that refuses would hand them straight back, and the pump would never end.
            State::Open | State::Closing if conn_id == self.conn_id => {
                self.queue.push_front_unbounded(payloads)
            }
            // From a transport already gone (or replaced by an upgrade), after later messages
            // went out on another link: resending them would put them after those, so they
            // come back to the application instead (they never reached the server).
            _ if self.last_sent_on > conn_id => self.events.push_back(Event::Undelivered(payloads)),
            // From a transport already gone, with nothing sent since: they were sent before
            // everything queued now, and go out first.
            _ => {
                self.queue.push_front_unbounded(payloads);
                self.flush_queue();
            }
        }
    }

    /// Transport `conn_id` cannot say whether these messages reached the server: resending
    /// could duplicate them, so the application gets them ([`Event::Undelivered`]).
    pub fn handle_unconfirmed(&mut self, _now: u64, conn_id: u64, payloads: Vec<Payload>) {
        if self.session.is_v2() && self.switched_from_v1 != Some(conn_id) {
            return;
        }
        let payloads = self.strip_pings(conn_id, payloads);
        if !payloads.is_empty() {
            self.events.push_back(Event::Undelivered(payloads));
        }
    }

    /// `payloads` without the heartbeat pings this machine sent on `conn_id` and that were not
    /// answered: a handed-back ping is neither resent (its pong would reach the application)
    /// nor reported as undelivered (the application never sent it).
    fn strip_pings(&mut self, conn_id: u64, payloads: Vec<Payload>) -> Vec<Payload> {
        let Some(ping) = self.config.heartbeat.as_ref().map(|hb| hb.ping.as_str()) else {
            return payloads;
        };
        let mut out = Vec::with_capacity(payloads.len());
        for p in payloads {
            let is_ping = matches!(&p, Payload::Text(t) if t == ping);
            let ours = self.pings_out.iter().position(|&id| id == conn_id);
            match ours {
                Some(i) if is_ping => {
                    self.pings_out.remove(i);
                }
                _ => out.push(p),
            }
        }
        out
    }

    /// Transport `conn_id` now holds `bytes` of upstream data. Messages held in the queue
    /// because it was over [`ConnectionConfig::upstream_high_water_bytes`] go out while it is
    /// below.
    pub fn handle_transport_buffered(&mut self, now: u64, conn_id: u64, bytes: u64) {
        let flushing = self.state == State::Open
            || (self.state == State::Closing && self.close_after_acks.is_some());
        if conn_id != self.conn_id || !self.transport_open || !flushing {
            return;
        }
        self.backlog = Some(bytes);
        self.flush_queue();
        self.close_when_flushed(now);
    }

    /// Times passed to this machine are from a monotonic clock (`performance.now()` in the
    /// browser), so a wall-clock step cannot stall or fire deadlines. Batch timestamps are
    /// wall-clock epoch ms: `now + offset` (the adapter passes `Date.now() - performance.now()`).
    pub fn set_wall_clock_offset(&mut self, offset_ms: i64) {
        if let Some(b) = self.batcher.as_mut() {
            b.set_timestamp_offset(offset_ms);
        }
    }

    /// Whether `conn_id` is the transport currently being opened (a token lookup that resolves
    /// later must not open a transport for an attempt that was given up).
    pub fn is_pending_attempt(&self, conn_id: u64) -> bool {
        conn_id == self.conn_id
            && self.kind.is_some()
            && !self.transport_open
            && matches!(self.state, State::Connecting | State::Reconnecting)
    }

    /// Whether the adapter should (still) open transport `conn_id`: the attempt being made, or
    /// the background upgrade probe. Opening is asynchronous (a token lookup, a microtask), and
    /// by then the attempt may have been given up.
    pub fn wants_transport(&self, conn_id: u64) -> bool {
        self.is_pending_attempt(conn_id) || self.probe.is_probe(conn_id)
    }

    /// Runs every deadline that is due at `now`. Handling one deadline can arm another that is
    /// also due (a zero connect timeout, say); those run too, up to a fixed bound so that
    /// degenerate zero-length settings cannot spin forever. If [`poll_timeout`](Self::poll_timeout)
    /// is still `<= now` afterwards, simply call again on the next timer tick.
    pub fn handle_timeout(&mut self, now: u64) {
        for _ in 0..16 {
            if self.poll_timeout().is_none_or(|d| d > now) {
                break;
            }
            self.handle_due(now);
        }
    }

    /// Handles the most urgent due deadline (and, while open, all heartbeat/batch work due).
    fn handle_due(&mut self, now: u64) {
        if let Some((id, deadline)) = self.hello_wait {
            if deadline <= now {
                self.hello_wait = None;
                if self.session.is_v2() {
                    // The server spoke v2 before: a link without `hello` is a failed one, not a
                    // reason to drop to v1 (a slow link, a black hole).
                    self.link_without_hello(now, id, "no session hello in time");
                } else {
                    // No `hello` on the first link: a v1 (or plain) server. It works as in v1.
                    self.session.peer_is_v1();
                    self.taken_for_v1 = Some(id);
                    self.link_ready(now, id);
                }
                return;
            }
        }
        if self.state == State::Closing && self.close_deadline.is_some_and(|d| d <= now) {
            if let Some((code, reason)) = self.close_after_acks.take() {
                // Acks did not come in time: close anyway; what is unacknowledged is handed back.
                let id = self.conn_id;
                self.close_transport(now, id, code, &reason);
            }
            let (code, reason) = self
                .pending_close
                .take()
                .unwrap_or((close_code::NORMAL, String::new()));
            // The transport never confirmed the close we already asked for: give up waiting,
            // with the outcome it announced if it did (a close the server answered, a reader
            // still draining), else the application's code, not clean.
            let refused = self.refused_in_close == Some(self.conn_id);
            let (code, reason, was_clean) = match self.closing.announced(self.conn_id) {
                Some((code, reason, clean)) if !refused => (*code, reason.clone(), *clean),
                _ => (code, reason, false),
            };
            self.finish_closed(now, code, reason, was_clean);
            return;
        }
        if let Some(id) = self.closing.take_due(now) {
            // Closing for `close_timeout_ms` and still not ended (an application close waiting
            // for this transport has just ended above, at the same deadline): the adapter layer
            // drops it, handing back what it held, then calls `handle_transport_abandoned`.
            self.actions
                .push_back(Action::AbandonTransport { conn_id: id });
            return;
        }
        if self.connect_deadline.is_some_and(|d| d <= now) {
            self.connect_deadline = None;
            let id = self.conn_id;
            self.close_transport(now, id, close_code::CONNECT_TIMEOUT, "connect timeout");
            let reason = concat(&[
                "connect timeout after ",
                &decimal(self.config.connect_timeout_ms),
                " ms",
            ]);
            self.attempt_failed(now, reason);
            return;
        }
        if self.state == State::Reconnecting && self.reconnect_at.is_some_and(|d| d <= now) {
            self.reconnect_at = None;
            self.begin_round(now);
            return;
        }
        if self.state != State::Open {
            return;
        }
        if self.hb.pong_deadline.is_some_and(|d| d <= now) {
            let reason = "heartbeat timeout".to_owned();
            let id = self.conn_id;
            self.close_transport(now, id, close_code::HEARTBEAT_TIMEOUT, &reason);
            self.link_lost(now, close_code::HEARTBEAT_TIMEOUT, reason, false);
            return;
        }
        self.run_probe(now);
        if self.hb.next_ping_at.is_some_and(|d| d <= now) {
            if let Some(hb) = &self.config.heartbeat {
                self.actions.push_back(Action::Send {
                    conn_id: self.conn_id,
                    payload: Payload::Text(hb.ping.clone()),
                });
                self.pings_out.push(self.conn_id);
                if self.pings_out.len() > 8 {
                    self.pings_out.remove(0);
                }
                self.hb.ping_sent_at = Some(now);
                self.hb.pong_deadline = Some(now.saturating_add(hb.timeout_ms));
            }
            self.hb.next_ping_at = None;
        }
        if let Some(b) = self.batcher.as_mut() {
            b.handle_timeout(now);
        }
        self.drain_batches();
        if let Some(frame) = self.session.take_due_ack(now) {
            self.actions.push_back(Action::Send {
                conn_id: self.conn_id,
                payload: Payload::Binary(frame),
            });
        }
    }

    /// Sends `bytes` as an unreliable datagram where the link has them: WebTransport, open (with
    /// a session, `Open` comes with the `hello`: a datagram never overtakes the session it
    /// belongs to), not ending. Anywhere else it is an ordinary binary message ([`Self::send`]:
    /// queued, resent, or handed back like any other), so a call is never lost for want of
    /// datagrams. The limit is the application message's, as for every send.
    pub fn send_datagram(&mut self, now: u64, bytes: Vec<u8>) -> Result<(), CoreError> {
        let datagram_link = self.state == State::Open
            && self.transport() == Some(TransportKind::WebTransport)
            && !self.link_ending();
        if !datagram_link {
            return self.send(now, Payload::Binary(bytes));
        }
        self.check_can_send(bytes.len())?;
        self.actions.push_back(Action::SendDatagram {
            conn_id: self.conn_id,
            bytes,
        });
        Ok(())
    }

    /// The link could not send a datagram of an [`Action::SendDatagram`] (the browser exposes
    /// no datagram writer, the datagram is over the connection's `maxDatagramSize`, which the
    /// browser would drop silently, or the link ended before the action ran): it goes as an ordinary
    /// binary message on whatever link is current, as on a transport without datagrams; if even
    /// that is refused (closed, queue full), it is handed back in [`Event::Undelivered`] rather
    /// than lost.
    pub fn handle_datagram_unsent(&mut self, now: u64, bytes: Vec<u8>) {
        // A rare path (no datagram writer): the copy keeps `send`'s signature for everyone else.
        if self.send(now, Payload::Binary(bytes.clone())).is_err() {
            self.events
                .push_back(Event::Undelivered(vec![Payload::Binary(bytes)]));
        }
    }

    /// Sends a message now if open, otherwise queues it (flushed in order on open). A pending
    /// batch is flushed first so messages keep the order in which they were sent.
    pub fn send(&mut self, now: u64, payload: Payload) -> Result<(), CoreError> {
        self.check_can_send(payload.len())?;
        if self.state == State::Open {
            self.flush_batch(now);
            if !self.holding() {
                self.send_now(payload);
                return Ok(());
            }
        }
        self.enqueue(payload)
    }

    /// Sends one JSON item through the batcher (guide §7.2). While open, items are collected
    /// into `{"type":"batch",...}` messages; while not open they are queued one by one as plain
    /// text messages, so that the queue limits apply immediately and a rejected item is reported
    /// to this call rather than lost later. Without a batch config this is `send(Text(json))`
    /// after the JSON check.
    #[cfg(feature = "std")]
    pub fn send_batchable(&mut self, now: u64, json: String) -> Result<(), CoreError> {
        validate_json(&json).map_err(CoreError::InvalidJson)?;
        self.send_serialized(now, json)
    }

    /// [`send_batchable`](Self::send_batchable) for JSON a serializer just produced
    /// (`JSON.stringify`, serde_json): not scanned again, so the JS build, whose objects all come
    /// from `JSON.stringify`, neither links the JSON validator nor pays a second pass per item.
    pub(crate) fn send_serialized(&mut self, now: u64, json: String) -> Result<(), CoreError> {
        if matches!(self.state, State::Closing | State::Closed) {
            return Err(CoreError::Closed);
        }
        // While holding, items wait in the (bounded) queue one by one, like while not open.
        if self.state == State::Open && !self.holding() {
            if let Some(b) = self.batcher.as_mut() {
                // An item too big for a batch envelope goes as a message of its own (below,
                // after the batch so far): batching only groups, it never refuses what the
                // message size allows, and what `send` accepts does not depend on the state.
                if b.fits(&json) {
                    b.push_fitting(now, json);
                    self.drain_batches();
                    return Ok(());
                }
            }
        }
        self.send(now, Payload::Text(json))
    }

    /// Closes for good (guide `close()`: sets "intentionally closed", so no retry follows, in
    /// any state). Validates `code` (1000 or 3000–4999) and `reason` (≤ 123 UTF-8 bytes) first.
    /// When open, a pending batch is sent before the close. Closing an already closing or closed
    /// connection does nothing. Events still queued that announce a next try (`Reconnecting`,
    /// `Fallback`: a close from a listener runs while they wait) are dropped.
    pub fn close(&mut self, now: u64, code: u16, reason: &str) -> Result<(), CoreError> {
        validate_close(code, reason)?;
        if !matches!(self.state, State::Closing | State::Closed) {
            self.drop_cancelled_events();
        }
        match self.state {
            State::Closing | State::Closed => Ok(()),
            State::Open => {
                self.flush_batch(now);
                self.cancel_probe(now, code, reason);
                let waiting = self.session.unacked_messages() > 0 || !self.queue.is_empty();
                // A link announcing its end will take nothing more: close it now.
                if waiting && !self.link_ending() {
                    // v2: close once the server has acknowledged everything sent, so a
                    // `send(); close()` hands nothing back needlessly.
                    self.close_after_acks = Some((code, reason.to_owned()));
                } else {
                    let id = self.conn_id;
                    self.close_transport(now, id, code, reason);
                }
                self.state = State::Closing;
                self.close_deadline = Some(now.saturating_add(self.config.close_timeout_ms));
                self.pending_close = Some((code, reason.to_owned()));
                self.stop_heartbeat();
                Ok(())
            }
            State::Connecting | State::Reconnecting => {
                if self.kind.is_some() {
                    let id = self.conn_id;
                    self.close_transport(now, id, code, reason);
                }
                self.finish_closed(now, code, reason.to_owned(), true);
                Ok(())
            }
        }
    }

    // ----- internals -----------------------------------------------------------------------

    fn check_can_send(&self, size: usize) -> Result<(), CoreError> {
        if matches!(self.state, State::Closing | State::Closed) {
            return Err(CoreError::Closed);
        }
        // The limit is the application message's; a v2 data frame adds its header on the wire,
        // which both ends allow for (PROTOCOL.md §6.4).
        let max = self.config.max_message_size;
        if size > max {
            return Err(CoreError::MessageTooLarge { size, max });
        }
        Ok(())
    }

    fn enqueue(&mut self, payload: Payload) -> Result<(), CoreError> {
        let dropped = self.queue.push(payload)?;
        if dropped > 0 {
            self.events.push_back(Event::QueueOverflow { dropped });
        }
        Ok(())
    }

    /// While open, whether new messages must wait in the queue: earlier ones are still queued
    /// (handed back unsent, or held), or the transport's upstream buffer is over the mark.
    fn holding(&self) -> bool {
        self.link_ending()
            || !self.queue.is_empty()
            || self.session.is_full()
            || self
                .backlog
                .is_some_and(|b| b > self.config.upstream_high_water_bytes)
    }

    /// A close waiting for the queue to drain (and, in a v2 session, for the server's acks)
    /// goes ahead once nothing is left.
    fn close_when_flushed(&mut self, now: u64) {
        if self.state == State::Closing
            && self.session.unacked_messages() == 0
            && self.queue.is_empty()
        {
            if let Some((code, reason)) = self.close_after_acks.take() {
                let id = self.conn_id;
                self.close_transport(now, id, code, &reason);
            }
        }
    }

    /// Sends queued messages, oldest first, while open and the transport has room.
    fn flush_queue(&mut self) {
        let may_send = |c: &Self| {
            c.state == State::Open || (c.state == State::Closing && c.close_after_acks.is_some())
        };
        while may_send(self)
            && !self.link_ending()
            && !self.session.is_full()
            && self
                .backlog
                .is_none_or(|b| b <= self.config.upstream_high_water_bytes)
        {
            let Some(p) = self.queue.pop() else { break };
            self.send_now(p);
        }
    }

    /// The current transport announced its end (`handle_transport_ending`): new messages wait
    /// in the queue for the next link instead of being refused by this one.
    fn link_ending(&self) -> bool {
        self.closing.announced(self.conn_id).is_some()
    }

    fn send_now(&mut self, payload: Payload) {
        self.stats.messages_sent = self.stats.messages_sent.saturating_add(1);
        self.stats.bytes_sent = self.stats.bytes_sent.saturating_add(payload.len() as u64);
        let payload = if self.session.is_v2() {
            Payload::Binary(self.session.push(payload))
        } else {
            payload
        };
        if let Some(b) = self.backlog.as_mut() {
            *b = b.saturating_add(payload.len() as u64);
        }
        if self.last_sent_on != self.conn_id {
            self.last_sent_on = self.conn_id;
            self.sent_on_last = 0;
        }
        self.sent_on_last = self.sent_on_last.saturating_add(1);
        self.actions.push_back(Action::Send {
            conn_id: self.conn_id,
            payload,
        });
    }

    fn flush_batch(&mut self, now: u64) {
        if let Some(b) = self.batcher.as_mut() {
            b.flush(now);
        }
        self.drain_batches();
    }

    /// Moves finished batches to the transport when open, otherwise into the queue. The queue
    /// push ignores the bounds: these items were already accepted and must not be lost.
    fn drain_batches(&mut self) {
        while let Some(text) = self.batcher.as_mut().and_then(Batcher::poll_batch) {
            if self.state == State::Open && !self.holding() {
                self.send_now(Payload::Text(text));
            } else {
                self.queue.push_unbounded(Payload::Text(text));
            }
        }
    }

    fn begin_round(&mut self, now: u64) {
        self.round_failures.clear();
        match self.plan.start_round(now) {
            Some(kind) => self.open_transport(now, kind),
            None => {
                self.events
                    .push_back(Event::ConnectFailed { tried: Vec::new() });
                self.finish_closed(
                    now,
                    close_code::ABNORMAL,
                    "no supported transport".to_owned(),
                    false,
                );
            }
        }
    }

    fn open_transport(&mut self, now: u64, kind: TransportKind) {
        self.conn_id = self.fresh_id();
        self.kind = Some(kind);
        self.transport_open = false;
        self.connect_deadline = Some(now.saturating_add(self.config.connect_timeout_ms));
        self.actions.push_back(Action::OpenTransport {
            conn_id: self.conn_id,
            kind,
        });
    }

    fn attempt_failed(&mut self, now: u64, reason: String) {
        self.connect_deadline = None;
        let id = self.conn_id;
        self.clear_hello_wait(id);
        let Some(failed) = self.kind.take() else {
            return;
        };
        self.round_failures.push((failed, reason.clone()));
        match self.plan.next_after_failure(now, failed) {
            Some(next) => {
                self.events.push_back(Event::Fallback {
                    from: failed,
                    to: next,
                    reason,
                });
                self.open_transport(now, next);
            }
            None if self.reconnecting => self.schedule_reconnect(now),
            None => {
                let tried = core::mem::take(&mut self.round_failures);
                self.events.push_back(Event::ConnectFailed { tried });
                self.finish_closed(
                    now,
                    close_code::ABNORMAL,
                    "all transports failed".to_owned(),
                    false,
                );
            }
        }
    }

    /// Adds the time spent open on the current transport to the stats.
    fn account_open_time(&mut self, now: u64) {
        if let (Some(at), Some(kind), true) = (self.opened_at, self.kind, self.transport_open) {
            if let Some(t) = self.stats.time_on_transport_ms.get_mut(kind.index()) {
                *t = t.saturating_add(now.saturating_sub(at));
            }
        }
    }

    /// Stops a background attempt at a better transport: with the transport-level code 4002
    /// when the socket goes on (a v2 server keeps the session it may have attached; a link lost
    /// with a probe in flight promotes the probe instead, see `link_lost`), with the
    /// application's own code when the socket is closing for good.
    fn cancel_probe(&mut self, now: u64, code: u16, reason: &str) {
        if let Some(id) = self.probe.cancel() {
            self.clear_hello_wait(id);
            self.close_transport(now, id, code, reason);
        }
    }

    /// Events still queued when the application calls `close()` (from a listener: the driver
    /// dispatches one event at a time) that announce a next try the close cancels: a reconnect
    /// scheduled, the next transport being tried. Dropped, so that nothing after `close()`
    /// tells the application a retry is coming. What already happened keeps its place: a link
    /// lost (with why), opened, reconnected or switched to (the driver takes a link's
    /// subprotocol from its `Open`), messages, hand-backs.
    fn drop_cancelled_events(&mut self) {
        for event in self.events.take_all() {
            if !matches!(event, Event::Reconnecting { .. } | Event::Fallback { .. }) {
                self.events.push_back(event);
            }
        }
    }

    /// No more pings and no pong deadline on a link that is ending (a `close()`, a server's
    /// goodbye), but a ping already out stays known: the server may still answer it before the
    /// link closes, and its pong is the heartbeat's, consumed rather than delivered as a
    /// `"pong"` message (as across an upgrade, see `probe_opened`).
    fn stop_heartbeat(&mut self) {
        self.hb = Heartbeat {
            rtt: self.hb.rtt,
            ping_sent_at: self.hb.ping_sent_at,
            ..Heartbeat::default()
        };
    }

    fn end_session(&mut self, now: u64) {
        self.account_open_time(now);
        self.cancel_probe(now, close_code::TRANSPORT_REPLACED, "upgrade abandoned");
        self.hello_wait = None;
        self.retiring = None;
        self.opened_at = None;
        self.backlog = None;
        self.transport_open = false;
        self.kind = None;
        self.hb = Heartbeat {
            rtt: self.hb.rtt,
            ..Heartbeat::default()
        };
    }

    fn link_lost(&mut self, now: u64, code: u16, reason: String, was_clean: bool) {
        // The server ending the session with a clean 1000 said goodbye on purpose: retrying
        // would reopen what it closed. With reconnection off there is nothing to retry. Either
        // way the final close carries what the server sent. (1001 "going away", a server
        // restart, and every other code are retried.)
        let goodbye = was_clean && code == close_code::NORMAL;
        // This client refused a message of the server's (over `max_message_size`, or of a type
        // it cannot read): the socket ends now, with the refusal's code and reason, and what is
        // unacknowledged is handed back. In a session the resume would have the server replay
        // that very message; without one, a server that greets every link with such a message
        // would have the socket reconnect without end, since every open resets the attempts.
        let refused = self.refused_link == Some(self.conn_id);
        if goodbye || refused || self.config.backoff.max_attempts == Some(0) {
            self.finish_closed(now, code, reason, was_clean);
            return;
        }
        // An upgrade probe being opened becomes the reconnect attempt rather than being
        // abandoned: a v2 server takes the session over when the probe's handshake arrives,
        // which is how the current link can have just been lost (an HTTP link's next request
        // answered 404), and abandoning the probe would only have the reconnect take it back.
        // Not a probe whose end is already on its way (a refusal, an announced close).
        let promotable = self.config.backoff.allows(self.attempt)
            && self.probe.in_flight_id().is_some_and(|id| {
                self.refused_probe != Some(id) && self.closing.announced(id).is_none()
            });
        let probe = if promotable {
            self.probe.take_in_flight()
        } else {
            None
        };
        let probe_hello = self
            .hello_wait
            .filter(|(id, _)| probe.is_some_and(|(p, _, _)| p == *id));
        self.end_session(now);
        // Items still in the batcher were accepted; they go out first after the reconnect.
        self.state = State::Reconnecting;
        if let Some(b) = self.batcher.as_mut() {
            b.flush(now);
        }
        self.drain_batches();
        self.events.push_back(Event::Disconnected {
            code,
            reason,
            was_clean,
        });
        self.reconnecting = true;
        match probe {
            Some((id, kind, deadline)) => self.promote_probe(id, kind, deadline, probe_hello),
            None => self.schedule_reconnect(now),
        }
    }

    /// Goes on opening the upgrade probe `id` (of `kind`, due open by `deadline`) as the first
    /// transport of a reconnect round, with no backoff delay: it is already on its way. A
    /// probe that had opened and waits for the session's `hello` keeps that wait.
    fn promote_probe(
        &mut self,
        id: u64,
        kind: TransportKind,
        deadline: u64,
        hello: Option<(u64, u64)>,
    ) {
        self.attempt = self.attempt.saturating_add(1);
        self.stats.reconnect_attempts = self.stats.reconnect_attempts.saturating_add(1);
        self.events.push_back(Event::Reconnecting {
            attempt: self.attempt,
            delay_ms: 0,
        });
        self.round_failures.clear();
        self.plan.start_round_at(kind);
        self.conn_id = id;
        self.kind = Some(kind);
        self.transport_open = false;
        self.connect_deadline = Some(deadline);
        if hello.is_some() {
            self.hello_wait = hello;
            self.connect_deadline = None;
        }
    }

    fn schedule_reconnect(&mut self, now: u64) {
        if !self.config.backoff.allows(self.attempt) {
            self.events.push_back(Event::MaxReconnectAttemptsReached);
            self.finish_closed(
                now,
                close_code::ABNORMAL,
                "max reconnect attempts reached".to_owned(),
                false,
            );
            return;
        }
        self.attempt = self.attempt.saturating_add(1);
        self.stats.reconnect_attempts = self.stats.reconnect_attempts.saturating_add(1);
        let r = self.rng.next_f64();
        let delay_ms = self.config.backoff.delay_ms(self.attempt, r);
        self.reconnect_at = Some(now.saturating_add(delay_ms));
        self.state = State::Reconnecting;
        self.events.push_back(Event::Reconnecting {
            attempt: self.attempt,
            delay_ms,
        });
    }

    fn finish_closed(&mut self, now: u64, code: u16, reason: String, was_clean: bool) {
        // The socket is done: a probe still opening is closed as a goodbye, not with 4002,
        // which would have a v2 server that moved the session to it keep that session for its
        // grace period. (The application's `close()` already closed it with its own code.)
        self.cancel_probe(now, close_code::NORMAL, "closed");
        self.end_session(now);
        self.state = State::Closed;
        self.connect_deadline = None;
        self.reconnect_at = None;
        self.close_deadline = None;
        // The adapter layer drops every transport at the final close: none is waited for.
        self.closing.clear();
        self.pending_close = None;
        self.reconnecting = false;
        if let Some(b) = self.batcher.as_mut() {
            b.flush(now);
        }
        self.drain_batches();
        self.close_after_acks = None;
        // Unacknowledged messages were sent before anything still queued.
        let mut left = self.session.end();
        left.append(&mut self.queue.drain_all());
        if !left.is_empty() {
            self.events.push_back(Event::Undelivered(left));
        }
        self.events.push_back(Event::Close {
            code,
            reason,
            was_clean,
        });
    }
}
