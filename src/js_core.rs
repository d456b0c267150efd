//! The wasm half of the class written in JS (`bench/shell-probe/shell.js`, `full.js`): the
//! sans-IO core (`src/core`), URL derivation (`src/endpoints.rs`), token redaction and the binary
//! codec behind one class with a few exports. Everything else (the WebSocket, timers, listeners,
//! event objects, options) is JS. Built with the `js-core` feature, without `std` (as the npm
//! package's build): today by bench/shell-probe.sh; the npm package's entry once it moves to
//! this design (issue 9).
//!
//! The core is driven exactly as `src/web/driver.rs` drives it: every input is a `handle_*`
//! call with the time, then the actions and events it produced are handed to the shell, through
//! one imported method (`shell.o(kind, id, a, b)`), and the next deadline with them. The shell
//! carries out actions at once and queues events, which it dispatches after the call returns, so
//! that a listener may call back into the core; a report that arrives during a call (an adapter
//! that calls back synchronously) waits in the shell until the call returns.

use crate::core::connection::{Action, Event};
#[cfg(feature = "webtransport")]
use crate::core::frame::{Frame, FrameDecoder};
use crate::core::sent_tail::SentTail;
use crate::core::{
    BackoffConfig, BatchConfig, Connection, ConnectionConfig, HeartbeatConfig, OverflowPolicy,
    Payload, QueueConfig, SessionConfig, TimerChange, TransportKind,
};
use crate::endpoints::{self, with_token, Endpoints};
use crate::prelude::*;
use crate::redact;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The JS shell: `o(kind, id, a, b)` takes every action and event (kinds below).
    pub type Shell;
    #[wasm_bindgen(method, js_name = o)]
    fn out(this: &Shell, kind: u32, id: f64, a: &JsValue, b: &JsValue);
    #[wasm_bindgen(method, js_name = o)]
    fn out_text(this: &Shell, kind: u32, id: f64, a: &str, b: &JsValue);
    #[wasm_bindgen(method, js_name = o)]
    fn out_bytes(this: &Shell, kind: u32, id: f64, a: &[u8], b: &JsValue);
    /// A send: the shell answers −1 when the link cannot take it (not open), else, when `ask`
    /// is true, the link's `bufferedAmount` (0 otherwise).
    #[wasm_bindgen(method, js_name = o)]
    fn send_text(this: &Shell, kind: u32, id: f64, a: &str, ask: bool) -> f64;
    #[wasm_bindgen(method, js_name = o)]
    fn send_bytes(this: &Shell, kind: u32, id: f64, a: &[u8], ask: bool) -> f64;
}

// What `o` is told: actions (the shell does them now) and events (it queues them).
const OPEN: u32 = 0; // id, a: url, b: transport name
const SEND_TEXT: u32 = 1; // id, a: text
const SEND_BYTES: u32 = 2; // id, a: bytes (a view: the shell sends or copies it at once)
                           // (Both sends answer −1 when the link cannot take the message, else its buffered bytes when
                           // asked: see `SentTail`.)
const CLOSE: u32 = 3; // id: a code, b: reason
const ABANDON: u32 = 4; // id
const TIMER: u32 = 5; // id: deadline, or -1
const SEND_DATAGRAM: u32 = 7; // id, a: bytes (a view)
const REFUSE: u32 = 8; // id: a code, b: reason (the link ends at once; see `Core::refuse`)
const E_OPEN: u32 = 10; // a: transport
const E_TEXT: u32 = 11; // a: text
const E_BYTES: u32 = 12; // a: bytes (a view)
const E_DISCONNECT: u32 = 13; // id: code, a: reason, b: wasClean
const E_RECONNECTING: u32 = 14; // id: attempt, a: delay
const E_RECONNECTED: u32 = 15; // a: transport
const E_FALLBACK: u32 = 16; // a: "from to", b: reason
const E_UPGRADE: u32 = 17; // a: "from to"
const E_MAX: u32 = 18;
const E_SESSION_LOST: u32 = 19; // a: reason
const E_OVERFLOW: u32 = 20; // id: dropped
const E_UNDELIVERED_TEXT: u32 = 21; // a: text (one event per message; the shell gathers them)
const E_UNDELIVERED_BYTES: u32 = 22;
const E_UNDELIVERED_END: u32 = 23;
const E_CLOSE: u32 = 24; // id: code, a: reason, b: wasClean
const E_CONNECT_FAILED: u32 = 25; // a: why
const E_SAME: u32 = 26; // the text the shell handed in with this call

/// One socket's core, its endpoints and the tokens to keep out of its texts.
#[wasm_bindgen]
pub struct Core {
    conn: Connection,
    shell: Shell,
    endpoints: Endpoints,
    token: Option<String>,
    secrets: Vec<String>,
    armed: f64,
    /// Where the text the shell just handed in (`text`) lives while that call runs: a message
    /// of that very `String` (moved through the core, not copied) is told to the shell as "the
    /// same text" (`E_SAME`), and the shell delivers its own JS string (as the package's
    /// `handoff.rs` does); reset when the call's pump ends, so no later `String` can match.
    handed: (usize, usize),
    /// What each link sent that the browser may not have written yet, by link.
    tails: Vec<(u64, SentTail)>,
    /// The WebTransport streams' frame decoders (PROTOCOL.md §2), by link: made when the link
    /// is opened, gone once a close frame or a bad frame ended the stream, or the link ended
    /// (later bytes are not read).
    #[cfg(feature = "webtransport")]
    decoders: Vec<(u64, FrameDecoder)>,
}

fn millis(n: f64) -> u64 {
    if n > 0.0 {
        n as u64
    } else {
        0
    }
}

#[wasm_bindgen]
impl Core {
    /// The shell read and checked the options (`options.js`); `n` holds every number by its
    /// slot, the third column of `options.js`'s tables (−1: the option is off, or "forever"; a
    /// section's on/off flag is 1 or −1; `DEFAULTS` there for what is not given).
    #[wasm_bindgen(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        shell: Shell,
        url: &str,
        explicit: Vec<JsValue>,
        transports: &str,
        supported: &str,
        n: &[f64],
        ping: String,
        pong: String,
    ) -> Result<Core, JsValue> {
        let mut given: [Option<String>; 4] = Default::default();
        for (slot, value) in given.iter_mut().zip(explicit) {
            *slot = value.as_string();
        }
        let endpoints = Endpoints::derive(url, &given).map_err(|e| JsValue::from_str(&e.0))?;
        let kinds = |list: &str| {
            let mut kinds = Vec::new();
            for name in list.split(',') {
                if let Some(kind) = TransportKind::parse(name) {
                    kinds.push(kind);
                }
            }
            kinds
        };
        let at = |i: usize| n.get(i).copied().unwrap_or(-1.0);
        let ms = |i: usize| millis(at(i));
        // Counts and sizes of 2^32 and more mean no practical limit: clamped (`as usize` would
        // wrap 2^32 to 0 on wasm32).
        let size = |i: usize| usize::try_from(ms(i)).unwrap_or(usize::MAX);
        let on = |i: usize| at(i) >= 0.0;
        let mut config = ConnectionConfig {
            transports: kinds(transports),
            connect_timeout_ms: ms(5).max(1),
            session: SessionConfig {
                enabled: on(6),
                ack_delay_ms: ms(7),
                hello_timeout_ms: ms(8).max(1),
                max_messages: size(9),
                max_bytes: size(10),
                ..SessionConfig::default()
            },
            heartbeat: on(11).then(|| HeartbeatConfig {
                interval_ms: ms(12),
                timeout_ms: ms(13),
                ping,
                pong,
            }),
            batch: on(14).then(|| BatchConfig {
                max_messages: size(15),
                flush_interval_ms: ms(16),
                max_bytes: size(17),
            }),
            queue: QueueConfig {
                max_messages: size(18),
                max_bytes: size(19),
                overflow: if at(20) > 0.0 {
                    OverflowPolicy::DropOldest
                } else {
                    OverflowPolicy::Reject
                },
            },
            max_message_size: size(21),
            upgrade_after_ms: on(23).then_some(ms(23)),
            ..ConnectionConfig::default()
        };
        config.backoff = BackoffConfig {
            initial_ms: ms(0),
            factor: at(1),
            max_ms: ms(2),
            // `reconnect: false` (flag 24): no attempt at all.
            max_attempts: if on(24) {
                on(3).then_some(u32::try_from(ms(3)).unwrap_or(u32::MAX))
            } else {
                Some(0)
            },
            jitter: at(4).max(0.0),
        };
        config.supported = crate::core::TransportSet::empty();
        for kind in kinds(supported) {
            config.supported.insert(kind);
        }
        Ok(Core {
            conn: Connection::new(config, ms(22)),
            shell,
            endpoints,
            token: None,
            secrets: Vec::new(),
            armed: -1.0,
            handed: (0, 0),
            tails: Vec::new(),
            #[cfg(feature = "webtransport")]
            decoders: Vec::new(),
        })
    }

    /// The fixed `auth.token`: added to every open's URL (`?token=`) and kept out of every
    /// text the core produces.
    #[wasm_bindgen(js_name = setToken)]
    pub fn set_token(&mut self, token: String) {
        self.remember(token.clone());
        self.token = Some(token);
    }

    /// The wall clock's offset from `performance.now()` (`Date.now() - performance.now()`), for
    /// batch timestamps (epoch milliseconds); the shell refreshes it with each batched send.
    pub fn wall(&mut self, offset: f64) {
        self.conn.set_wall_clock_offset(offset as i64);
    }

    /// A token `getToken()` gave (the shell adds it to that link's URL): kept out of texts, as
    /// given and percent-encoded; the last 16 such forms are kept (8 tokens).
    pub fn remember(&mut self, token: String) {
        for form in [endpoints::percent_encode(&token), token] {
            if !form.is_empty() && !self.secrets.contains(&form) {
                self.secrets.push(form);
            }
        }
        while self.secrets.len() > 16 {
            self.secrets.remove(0);
        }
    }

    /// What `connect()` does: 1 on an open socket (resolved at once); 0 when it waits for the
    /// next open (joining a connect or reconnect under way, or starting one now). A connect that
    /// cannot start (closing) throws.
    pub fn connect(&mut self, now: f64) -> Result<u8, JsValue> {
        if let Some(open) = self.conn.connect_joins() {
            return Ok(open.into());
        }
        let r = self.conn.handle_connect(now as u64);
        self.pump();
        r.map(|()| 0).map_err(|e| JsValue::from_str(&e.message()))
    }

    /// WebTransport link `id`'s stream ended. Without a close frame on it, the link has ended
    /// with this outcome but is still finishing (the session's `closed` says how it ended):
    /// answers true. After a close frame (or a frame the decoder refused), whose outcome the core
    /// has, answers false: the shell ends the link now.
    #[cfg(feature = "webtransport")]
    pub fn ending(&mut self, now: f64, id: f64, code: u16, reason: String) -> bool {
        if !self.decoders.iter().any(|(c, _)| *c == id as u64) {
            return false;
        }
        self.conn
            .handle_transport_ending(now as u64, id as u64, code, reason, false);
        self.pump();
        true
    }

    pub fn opened(&mut self, now: f64, id: f64) {
        self.conn.handle_transport_opened(now as u64, id as u64);
        self.pump();
    }

    pub fn failed(&mut self, now: f64, id: f64, reason: String) {
        self.take_tail(id as u64, 0);
        #[cfg(feature = "webtransport")]
        self.decoders.retain(|(c, _)| *c != id as u64);
        self.conn
            .handle_transport_failed(now as u64, id as u64, reason);
        self.pump();
    }

    /// Link `id` closed with `buffered` bytes the browser never wrote (a WebSocket's
    /// `bufferedAmount` then): the messages they belong to go back to the core first.
    pub fn closed(
        &mut self,
        now: f64,
        id: f64,
        code: u16,
        reason: String,
        clean: bool,
        buffered: f64,
    ) {
        let unsent = self.take_tail(id as u64, buffered as usize);
        #[cfg(feature = "webtransport")]
        self.decoders.retain(|(c, _)| *c != id as u64);
        if !unsent.is_empty() {
            self.conn.handle_unsent(now as u64, id as u64, unsent);
        }
        self.conn
            .handle_transport_closed(now as u64, id as u64, code, reason, clean);
        self.pump();
    }

    /// The shell dropped link `id`, as the core asked, with `buffered` bytes unwritten (the
    /// browser may still write them: unconfirmed, not unsent).
    pub fn abandoned(&mut self, now: f64, id: f64, buffered: f64) {
        let held = self.take_tail(id as u64, buffered as usize);
        if !held.is_empty() {
            self.conn.handle_unconfirmed(now as u64, id as u64, held);
        }
        self.conn.handle_transport_abandoned(now as u64, id as u64);
        self.pump();
    }

    pub fn text(&mut self, now: f64, id: f64, text: String) {
        if self.refused_for_size(now, id, text.len()) {
            return;
        }
        self.handed = (text.as_ptr() as usize, text.len());
        self.conn
            .handle_incoming(now as u64, id as u64, Payload::Text(text));
        self.pump();
    }

    pub fn bytes(&mut self, now: f64, id: f64, bytes: Vec<u8>) {
        if self.refused_for_size(now, id, bytes.len()) {
            return;
        }
        self.conn
            .handle_incoming(now as u64, id as u64, Payload::Binary(bytes));
        self.pump();
    }

    pub fn timeout(&mut self, now: f64) {
        self.armed = -1.0;
        self.conn.handle_timeout(now as u64);
        self.pump();
    }

    /// Sends text; an error's message when the core refuses it.
    pub fn send(&mut self, now: f64, text: String, batchable: bool) -> Option<String> {
        let r = if batchable {
            self.conn.send_serialized(now as u64, text)
        } else {
            self.conn.send(now as u64, Payload::Text(text))
        };
        self.pump();
        r.err().map(|e| e.message())
    }

    #[wasm_bindgen(js_name = sendBytes)]
    pub fn send_bytes(&mut self, now: f64, bytes: Vec<u8>) -> Option<String> {
        let r = self.conn.send(now as u64, Payload::Binary(bytes));
        self.pump();
        r.err().map(|e| e.message())
    }

    pub fn close(&mut self, now: f64, code: u16, reason: &str) -> Option<String> {
        let r = self.conn.close(now as u64, code, reason);
        self.pump();
        r.err().map(|e| e.message())
    }

    /// At the final close, what classic WebSocket link `id` sent that the browser has not
    /// written (its last `buffered` bytes) goes back to the core: the application gets it,
    /// unless a session reports what the server has not acknowledged itself.
    #[wasm_bindgen(js_name = handTail)]
    pub fn hand_tail(&mut self, now: f64, id: f64, buffered: f64) {
        let held = self.take_tail(id as u64, buffered as usize);
        if !held.is_empty() {
            self.conn.handle_unconfirmed(now as u64, id as u64, held);
        }
        self.pump();
    }

    /// A message link `id` sent that the server may not have had (an HTTP upstream POST or a
    /// stream write that failed): text, or bytes when `text` is undefined. `sent`: it may have arrived.
    pub fn lost(&mut self, now: f64, id: f64, text: Option<String>, bytes: Vec<u8>, sent: bool) {
        let payload = match text {
            Some(text) => Payload::Text(text),
            None => Payload::Binary(bytes),
        };
        if sent {
            self.conn
                .handle_unconfirmed(now as u64, id as u64, vec![payload]);
        } else {
            self.conn
                .handle_unsent(now as u64, id as u64, vec![payload]);
        }
        self.pump();
    }

    /// Whether link `id` is still wanted (the shell opens a link a microtask after the core asked,
    /// as the package's driver does: a `close()` in the same turn means nothing is opened).
    pub fn wants(&self, id: f64) -> bool {
        self.conn.wants_transport(id as u64)
    }

    /// `readyState`, `bufferedAmount`, `rttMs` (−1: none), reconnect attempt, `state` (the
    /// index of the core's `State`: connecting, open, reconnecting, closing, closed), the peer's
    /// protocol (0: not known yet, 1, 2).
    pub fn state(&self) -> Vec<f64> {
        vec![
            self.conn.ready_state() as f64,
            self.conn.queued_bytes() as f64,
            self.conn.rtt_ms().map_or(-1.0, |r| r as f64),
            self.conn.reconnect_attempt() as f64,
            self.conn.state() as u8 as f64,
            match self.conn.peer_protocol() {
                crate::core::PeerProtocol::Unknown => 0.0,
                crate::core::PeerProtocol::V1 => 1.0,
                crate::core::PeerProtocol::V2 => 2.0,
            },
        ]
    }

    /// `stats()`'s numbers, in `Stats`' order.
    pub fn stats(&self, now: f64) -> Vec<f64> {
        let s = self.conn.stats(now as u64);
        let mut v = vec![
            s.messages_sent as f64,
            s.bytes_sent as f64,
            s.messages_received as f64,
            s.bytes_received as f64,
            s.reconnects as f64,
            s.reconnect_attempts as f64,
        ];
        for t in s.time_on_transport_ms {
            v.push(t as f64);
        }
        let (unacked_messages, unacked_bytes) = self.conn.resend_buffer();
        for n in [
            unacked_messages as u64,
            unacked_bytes as u64,
            s.resent,
            s.deduplicated,
            s.acknowledged,
            s.sessions_resumed,
            s.sessions_lost,
        ] {
            v.push(n as f64);
        }
        v
    }

    fn redacted(&self, text: String) -> JsValue {
        JsValue::from_str(&redact::redact(&self.secrets, text))
    }

    /// A `disconnect` or `close` event: its code, its reason without tokens, `wasClean`.
    fn ended(&self, kind: u32, code: u16, reason: String, was_clean: bool) {
        let reason = self.redacted(reason);
        self.shell
            .out(kind, code as f64, &reason, &was_clean.into());
    }

    /// A server's message over the largest this socket accepts: the link is refused with 1009
    /// (the shell checks a text's length before copying it here; this counts its bytes).
    fn refused_for_size(&mut self, now: f64, id: f64, len: usize) -> bool {
        if len <= self.conn.max_transport_message() {
            return false;
        }
        // The package's reason for every such close (src/web/transport/event_rules.rs).
        self.refuse(now, id, 1009, "message too big".into());
        true
    }

    /// Link `id` handed in a message this client cannot take (too big: 1009; a type it cannot
    /// read, such as a wrapped WebSocket's Blob: 1003): the link closes, and the core reports
    /// its close as this refusal, whatever the browser says of it (a script's WebSocket can
    /// only send 1000).
    /// A link already closing (the application's close sent, or its end announced) is left to
    /// that close, and the core reports the application's code: a second close would tell the
    /// server the refusal's code instead.
    pub fn refuse(&mut self, now: f64, id: f64, code: u16, reason: String) {
        self.refuse_link(now as u64, id as u64, code, reason);
        self.pump();
    }

    /// [`Core::refuse`] without the pump (the stream decoder's refusals pump once at the end).
    fn refuse_link(&mut self, now: u64, id: u64, code: u16, reason: String) {
        let closing = self.conn.is_closing(id);
        self.conn
            .handle_transport_refused(now, id, code, reason.clone());
        if !closing {
            self.shell
                .out(REFUSE, id as f64, &code.into(), &reason.as_str().into());
        }
    }

    /// A text longer than [`Self::max`] in UTF-16 units, refused before it is copied: at least
    /// as many bytes in UTF-8.
    #[wasm_bindgen(js_name = tooBig)]
    pub fn too_big(&mut self, now: f64, id: f64, units: f64) {
        self.refused_for_size(now, id, units as usize);
    }

    /// The largest message a link may hand in (the shell refuses a longer text before copying).
    #[wasm_bindgen(getter)]
    pub fn max(&self) -> f64 {
        self.conn.max_transport_message() as f64
    }

    /// Link `id`'s sent tail, if it is a WebSocket link.
    fn tail(&mut self, id: u64) -> Option<&mut SentTail> {
        self.tails
            .iter_mut()
            .find(|(link, _)| *link == id)
            .map(|(_, tail)| tail)
    }

    /// Link `id`'s tail is done with: what the last `buffered` bytes hold (nothing when 0).
    fn take_tail(&mut self, id: u64, buffered: usize) -> Vec<Payload> {
        match self.tails.iter().position(|(link, _)| *link == id) {
            Some(at) => self.tails.swap_remove(at).1.take_unsent(buffered),
            None => Vec::new(),
        }
    }

    /// Whether `text` is the `String` the shell handed in for this call (see `handed`).
    fn is_handed(&self, text: &str) -> bool {
        self.handed == (text.as_ptr() as usize, text.len()) && !text.is_empty()
    }

    fn pump(&mut self) {
        let none = JsValue::UNDEFINED;
        loop {
            if let Some(action) = self.conn.poll_action() {
                match action {
                    Action::OpenTransport { conn_id, kind } => {
                        // Only a WebSocket link keeps a sent tail (its `bufferedAmount` says
                        // what it wrote); the other transports hand back what they hold.
                        if kind == TransportKind::WebSocket {
                            self.tails.push((conn_id, SentTail::default()));
                        }
                        #[cfg(feature = "webtransport")]
                        if kind == TransportKind::WebTransport {
                            let max = self.conn.max_transport_message();
                            self.decoders.push((conn_id, FrameDecoder::new(max)));
                        }
                        let mut url = self.endpoints.get(kind).to_owned();
                        if let Some(token) = &self.token {
                            url = with_token(&url, token);
                        }
                        let url = endpoints::with_session_query(url, &self.conn.session_query());
                        self.shell.out(
                            OPEN,
                            conn_id as f64,
                            &url.as_str().into(),
                            &kind.as_str().into(),
                        );
                    }
                    Action::Send { conn_id, payload } => {
                        let ask = self
                            .tail(conn_id)
                            .is_some_and(|t| t.would_trim(payload.len()));
                        let id = conn_id as f64;
                        let buffered = match &payload {
                            Payload::Text(text) => self.shell.send_text(SEND_TEXT, id, text, ask),
                            Payload::Binary(b) => self.shell.send_bytes(SEND_BYTES, id, b, ask),
                        };
                        if buffered < 0.0 {
                            // Not open: the core gets it back, as the package's driver does
                            // (`handle_unsent` does not read the time).
                            self.conn.handle_unsent(0, conn_id, vec![payload]);
                        } else if let Some(tail) = self.tail(conn_id) {
                            tail.push(payload);
                            if ask {
                                tail.trim(buffered as usize);
                            }
                        }
                    }
                    Action::CloseTransport {
                        conn_id,
                        code,
                        reason,
                    } => {
                        self.shell
                            .out(CLOSE, conn_id as f64, &code.into(), &reason.as_str().into())
                    }
                    Action::AbandonTransport { conn_id } => {
                        #[cfg(feature = "webtransport")]
                        self.decoders.retain(|(c, _)| *c != conn_id);
                        self.shell.out(ABANDON, conn_id as f64, &none, &none)
                    }
                    Action::SendDatagram { conn_id, bytes } => {
                        self.shell
                            .out_bytes(SEND_DATAGRAM, conn_id as f64, &bytes, &none)
                    }
                }
                continue;
            }
            let Some(event) = self.conn.poll_event() else {
                break;
            };
            let s = |t: &str| JsValue::from_str(t);
            let pair = |a: TransportKind, b: TransportKind| {
                let mut t = a.as_str().to_owned();
                t.push(' ');
                t.push_str(b.as_str());
                JsValue::from(t)
            };
            match event {
                // The link now in use (its id): the shell takes its protocol and extensions.
                Event::Open { kind } => {
                    let id = self.conn.conn_id() as f64;
                    self.shell.out(E_OPEN, id, &s(kind.as_str()), &none)
                }
                Event::Message(Payload::Text(text)) if self.is_handed(&text) => {
                    self.shell.out(E_SAME, 0.0, &none, &none)
                }
                Event::Message(Payload::Text(text)) => {
                    self.shell.out_text(E_TEXT, 0.0, &text, &none)
                }
                Event::Message(Payload::Binary(bytes)) => {
                    self.shell.out_bytes(E_BYTES, 0.0, &bytes, &none)
                }
                Event::Disconnected {
                    code,
                    reason,
                    was_clean,
                } => self.ended(E_DISCONNECT, code, reason, was_clean),
                Event::Reconnecting { attempt, delay_ms } => self.shell.out(
                    E_RECONNECTING,
                    attempt as f64,
                    &(delay_ms as f64).into(),
                    &none,
                ),
                Event::Reconnected { kind } => {
                    let id = self.conn.conn_id() as f64;
                    self.shell.out(E_RECONNECTED, id, &s(kind.as_str()), &none)
                }
                Event::Fallback { from, to, reason } => {
                    let reason = self.redacted(reason);
                    self.shell.out(E_FALLBACK, 0.0, &pair(from, to), &reason)
                }
                Event::Upgraded { from, to } => {
                    let id = self.conn.conn_id() as f64;
                    self.shell.out(E_UPGRADE, id, &pair(from, to), &none)
                }
                Event::MaxReconnectAttemptsReached => self.shell.out(E_MAX, 0.0, &none, &none),
                Event::SessionLost { reason } => {
                    self.shell.out(E_SESSION_LOST, 0.0, &s(&reason), &none)
                }
                Event::QueueOverflow { dropped } => {
                    self.shell.out(E_OVERFLOW, dropped as f64, &none, &none)
                }
                Event::ConnectFailed { tried } => {
                    // The package's words (src/web/driver.rs).
                    let mut why = String::from(if tried.is_empty() {
                        "connect failed: no configured transport is supported by this browser and build"
                    } else {
                        "connect failed, every transport tried: "
                    });
                    for (i, (kind, reason)) in tried.iter().enumerate() {
                        if i > 0 {
                            why.push_str("; ");
                        }
                        why.push_str(kind.as_str());
                        why.push_str(": ");
                        why.push_str(reason);
                    }
                    let why = self.redacted(why);
                    self.shell.out(E_CONNECT_FAILED, 0.0, &why, &none)
                }
                Event::Undelivered(payloads) => {
                    for payload in &payloads {
                        match payload {
                            Payload::Text(t) => {
                                self.shell.out_text(E_UNDELIVERED_TEXT, 0.0, t, &none)
                            }
                            Payload::Binary(b) => {
                                self.shell.out_bytes(E_UNDELIVERED_BYTES, 0.0, b, &none)
                            }
                        }
                    }
                    self.shell.out(E_UNDELIVERED_END, 0.0, &none, &none)
                }
                Event::Close {
                    code,
                    reason,
                    was_clean,
                } => self.ended(E_CLOSE, code, reason, was_clean),
            }
        }
        self.handed = (0, 0);
        let armed = (self.armed >= 0.0).then_some(self.armed as u64);
        match self.conn.poll_timer(armed) {
            TimerChange::Keep => {}
            TimerChange::Arm(deadline) => {
                self.armed = deadline as f64;
                self.shell.out(TIMER, self.armed, &none, &none);
            }
            TimerChange::Cancel => {
                self.armed = -1.0;
                self.shell.out(TIMER, -1.0, &none, &none);
            }
        }
    }
}

/// What only WebTransport's adapter reports and takes: its stream's bytes and datagrams.
#[cfg(feature = "webtransport")]
#[wasm_bindgen]
impl Core {
    /// Bytes of link `id`'s WebTransport stream: its §2 frames, decoded here with the size
    /// limit checked before a frame is buffered; a bad frame closes the link with its code.
    pub fn chunk(&mut self, now: f64, id: f64, bytes: &[u8]) {
        let conn_id = id as u64;
        let Some(at) = self.decoders.iter().position(|(c, _)| *c == conn_id) else {
            return;
        };
        self.decoders[at].1.push(bytes);
        while let Some(frame) = self.decoders[at].1.next_frame() {
            let now = now as u64;
            match frame {
                Ok(Frame::Text(text)) => {
                    self.conn.handle_incoming(now, conn_id, Payload::Text(text))
                }
                Ok(Frame::Binary(bytes)) => {
                    self.conn
                        .handle_incoming(now, conn_id, Payload::Binary(bytes))
                }
                Ok(Frame::Close { code, reason }) => {
                    // The link's outcome, whatever the session's `closed` says after; nothing
                    // after the close frame is read.
                    self.conn.handle_close_frame(now, conn_id, code, reason);
                    self.decoders.swap_remove(at);
                    break;
                }
                Err(e) => {
                    // A frame over the limit is refused in the package's words for every
                    // transport (its limit here includes the session header, not the option's).
                    let code = e.close_code();
                    let reason = if code == 1009 {
                        "message too big".into()
                    } else {
                        e.message()
                    };
                    self.refuse_link(now, conn_id, code, reason);
                    self.decoders.swap_remove(at);
                    break;
                }
            }
        }
        self.pump();
    }

    /// A datagram of link `id`.
    pub fn datagram(&mut self, id: f64, bytes: Vec<u8>) {
        self.conn.handle_datagram(id as u64, bytes);
        self.pump();
    }

    #[wasm_bindgen(js_name = sendDatagram)]
    pub fn send_datagram(&mut self, now: f64, bytes: Vec<u8>) -> Option<String> {
        let r = self.conn.send_datagram(now as u64, bytes);
        self.pump();
        r.err().map(|e| e.message())
    }

    /// A datagram the link could not send (too large, or no writer).
    #[wasm_bindgen(js_name = datagramUnsent)]
    pub fn datagram_unsent(&mut self, now: f64, bytes: Vec<u8>) {
        self.conn.handle_datagram_unsent(now as u64, bytes);
        self.pump();
    }
}

/// What only SSE's and long polling's adapters report: the upstream's backlog and the server's
/// closes.
#[cfg(any(feature = "sse", feature = "long-polling"))]
#[wasm_bindgen]
impl Core {
    /// An HTTP link's upstream holds `bytes` not yet accepted by the server.
    pub fn buffered(&mut self, now: f64, id: f64, bytes: f64) {
        self.conn
            .handle_transport_buffered(now as u64, id as u64, bytes as u64);
        self.pump();
    }

    /// An HTTP link's server close (`{code, reason}` of an SSE `close` event or a long-polling
    /// `close` item), checked as a browser checks a WebSocket close frame.
    #[wasm_bindgen(js_name = serverClose)]
    pub fn server_close(&mut self, now: f64, id: f64, code: Option<f64>, reason: String) {
        let (now, conn_id) = (now as u64, id as u64);
        match crate::core::http_wire::server_close_code(code) {
            Ok(code) => self
                .conn
                .handle_transport_closed(now, conn_id, code, reason, true),
            Err(why) => self
                .conn
                .handle_transport_closed(now, conn_id, 1002, why, false),
        }
        self.pump();
    }
}

/// `url` with a `getToken()` token added as the package adds it (`endpoints::with_token`: a
/// fragment stays last).
#[wasm_bindgen(js_name = withToken)]
pub fn token_url(url: &str, token: &str) -> String {
    with_token(url, token)
}

/// The guide's binary frame of `type` and `json` (`JSON.stringify`'s output: not checked
/// again), or the error's message (shell.js's `encodeMessage` wraps it).
#[wasm_bindgen]
pub fn encode(type_name: &str, json: &str) -> Result<Vec<u8>, JsValue> {
    crate::core::codec::encode_serialized(type_name, json, &Default::default())
        .map_err(|e| JsValue::from_str(&e.message()))
}

/// One binary frame as `[type, dataJson]`, or the error's message (shell.js's `decodeMessage`
/// parses the JSON).
#[wasm_bindgen]
pub fn decode(bytes: &[u8]) -> Result<js_sys::Array, JsValue> {
    let d = crate::core::codec::decode_unparsed(bytes, &Default::default())
        .map_err(|e| JsValue::from_str(&e.message()))?;
    Ok(js_sys::Array::of2(&d.type_name.into(), &d.data_json.into()))
}
