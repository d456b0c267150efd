//! The driver: runs the sans-IO [`Connection`] in the browser.
//!
//! It feeds the core with transport events (every adapter reports into one [`EventSink`], which
//! hands the event to the driver at once, in the adapter's own callback: no task, promise or
//! channel hop per message), the
//! clock (`performance.now()`, monotonic, so a wall-clock step neither stalls nor fires every
//! deadline; batch timestamps get `Date.now()` through an offset) and timer expiries, and
//! carries out the core's actions by opening, writing to and closing adapters. Events go to Rust
//! subscribers (the `Stream` of the Rust API) and to one JS dispatcher (the `UniversalSocket`
//! class).
//!
//! Ownership: [`Driver`] holds everything in one `Rc`. The sink, the timer and token lookups
//! hold only a `Weak`, so dropping the last handle drops the adapters (which detach their
//! listeners). Borrows of the `RefCell`s are never held while JS runs: events are taken out of
//! the core first, then dispatched.
//!
//! Re-entrancy: an adapter may report while the driver is calling it (a `send` refused, a close
//! confirmed at once) or while a listener runs inside [`Driver::pump`]. Reports always go into
//! the inbox; they are handled right away only when the driver is idle, otherwise by the pump
//! loop that is already running (the `busy` flag), in order.

pub use super::events::{CloseInfo, SocketError, SocketEvent};
use super::options::{SocketOptions, TokenSource};
use super::token::call_get_token;
use super::transport::{self, EventSink, OpenRequest, Transport, TransportEvent};
use super::waiter::Waiter;
use crate::core::fifo::Fifo;
use crate::core::text::{concat, decimal, quoted};
use crate::core::{Action, Connection, Event, Payload, TimerChange, TransportKind, TransportSet};
use crate::endpoints::{with_token, Endpoints};
use crate::prelude::*;
use crate::redact::redact;
use crate::web::bindings::promise::next_microtask;
use crate::web::bindings::timer::Timeout;
use core::cell::{Cell, RefCell};
#[cfg(feature = "std")]
use futures_channel::mpsc;
use std::rc::Rc;
use wasm_bindgen::JsValue;

/// Receives every event, synchronously, after Rust subscribers; used by the JS class.
pub type EventHook = Box<dyn Fn(&SocketEvent)>;

/// One Rust subscriber: forwards an event, `false` once its receiver is gone. Not the
/// `UnboundedSender` itself: behind a `dyn`, the channel's code (futures' mpsc, about 1–2 KB of
/// wasm) and the event's `Clone` are linked only through [`Driver::subscribe`], which the JS
/// class never calls. A subscriber runs while `emit` borrows the list: it must only queue the
/// event (as the channel does), never run user code or call back into the driver.
/// Only [`Driver::subscribe`] adds one, and it needs `std`: the npm builds have no list at all
/// (no `retain` over an always-empty list in their wasm, issue 9: size).
#[cfg(feature = "std")]
type Subscriber = Box<dyn Fn(&SocketEvent) -> bool>;

struct LiveTransport {
    conn_id: u64,
    transport: Box<dyn Transport>,
    /// The subprotocol and extensions it opened with, kept until the core makes it the current
    /// link (`Event::Open`): a v2 link, a probe above all, opens before it counts as open.
    opened_with: (String, String),
}

/// Shared state of one socket. Crate-internal: Rust users go through [`super::socket::Socket`].
pub(crate) struct Driver {
    conn: RefCell<Connection>,
    pub(crate) options: SocketOptions,
    pub(crate) url: String,
    endpoints: Endpoints,
    use_stream: bool,
    transports: RefCell<Vec<LiveTransport>>,
    sink: EventSink,
    timer: RefCell<Option<(u64, Timeout)>>,
    #[cfg(feature = "std")]
    subscribers: RefCell<Vec<Subscriber>>,
    /// Set by the application's `close()`: the Rust API's event streams end after its final
    /// `Close` (as the JS class releases its listeners then), so a `while let Some(event)` loop
    /// ends too. A new `connect()` clears it; a stream taken in between (to connect again)
    /// lives until the next `close()`.
    #[cfg(feature = "std")]
    closed_by_app: Cell<bool>,
    hook: RefCell<Option<Rc<EventHook>>>,
    connect_waiters: RefCell<Vec<Waiter<Result<(), SocketError>>>>,
    close_waiters: RefCell<Vec<Waiter<CloseInfo>>>,
    last_close: RefCell<Option<CloseInfo>>,
    protocol: RefCell<String>,
    extensions: RefCell<String>,
    /// Transport reports not handled yet (see the module docs on re-entrancy).
    inbox: RefCell<Fifo<(u64, TransportEvent)>>,
    /// Set while the pump runs or the driver calls into an adapter outside it: reports wait in
    /// the inbox for the pump.
    busy: Cell<bool>,
    /// The latest tokens presented (raw and as sent in the URL), for [`redact`].
    secrets: RefCell<Vec<String>>,
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// `performance.now()` of the global scope (window or worker alike).
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Current time for the core: monotonic milliseconds (`performance.now()`).
pub fn now() -> u64 {
    performance_now() as u64
}

/// How many of the latest tokens are remembered for redaction (a `getToken` may return a new
/// one on every connect; messages about older attempts may still be on their way).
const SECRETS_KEPT: usize = 4;

impl Driver {
    /// Validates `url` and options and creates an idle socket (`connect` starts it).
    pub fn new(url: &str, options: SocketOptions) -> Result<Rc<Driver>, SocketError> {
        let endpoints = Endpoints::derive(url, &options.endpoints).map_err(SocketError::Url)?;
        let features = super::features::features();
        let mut supported = TransportSet::empty();
        for (kind, has) in [
            (TransportKind::WebTransport, features.web_transport),
            (
                TransportKind::WebSocket,
                features.web_socket || features.web_socket_stream,
            ),
            (TransportKind::Sse, features.event_source && features.fetch),
            (TransportKind::LongPolling, features.fetch),
        ] {
            if has && super::transport::built_in(kind) {
                supported.insert(kind);
            }
        }
        let mut config = options.connection.clone();
        config.supported = supported;
        // The seed is the only randomness the core sees (jitter).
        let seed = (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64;
        let driver = Rc::new_cyclic(|weak: &std::rc::Weak<Driver>| {
            let weak = weak.clone();
            let sink = EventSink::new(move |conn_id, event| {
                if let Some(driver) = weak.upgrade() {
                    driver.on_report(conn_id, event);
                }
            });
            Driver {
                conn: RefCell::new(Connection::new(config, seed)),
                url: url.to_owned(),
                endpoints,
                use_stream: cfg!(feature = "websocket-stream")
                    && features.web_socket_stream
                    && options.web_socket_stream,
                options,
                transports: RefCell::new(Vec::new()),
                sink,
                timer: RefCell::new(None),
                #[cfg(feature = "std")]
                subscribers: RefCell::new(Vec::new()),
                #[cfg(feature = "std")]
                closed_by_app: Cell::new(false),
                hook: RefCell::new(None),
                connect_waiters: RefCell::new(Vec::new()),
                close_waiters: RefCell::new(Vec::new()),
                last_close: RefCell::new(None),
                protocol: RefCell::new(String::new()),
                extensions: RefCell::new(String::new()),
                inbox: RefCell::new(Fifo::new()),
                busy: Cell::new(false),
                secrets: RefCell::new(Vec::new()),
            }
        });
        if let TokenSource::Fixed(token) = &driver.options.token {
            driver.remember_secret(token);
        }
        Ok(driver)
    }

    /// Installs the [`EventHook`], replacing any earlier one. The JS class dispatches through it
    /// so that JS listeners run synchronously, in the same turn as the event, as they would on a
    /// `WebSocket`.
    pub fn set_hook(&self, hook: EventHook) {
        *self.hook.borrow_mut() = Some(Rc::new(hook));
    }

    /// A new stream of every later event (it ends after the `Close` of the next `close()`:
    /// see `closed_by_app`).
    #[cfg(feature = "std")]
    pub fn subscribe(&self) -> mpsc::UnboundedReceiver<SocketEvent> {
        let (sender, receiver) = mpsc::unbounded();
        self.subscribers
            .borrow_mut()
            .push(Box::new(move |event: &SocketEvent| {
                sender.unbounded_send(event.clone()).is_ok()
            }));
        receiver
    }

    /// Runs `f` with a shared borrow of the sans-IO core, to read its state or stats. The borrow
    /// ends when this returns, so it can never be held while JS runs.
    #[inline]
    pub fn connection<R>(&self, f: impl FnOnce(&Connection) -> R) -> R {
        f(&self.borrow_connection())
    }

    /// The borrow (and its panic path) in one function rather than in every instance of
    /// [`Self::connection`], one per caller's closure.
    #[inline(never)]
    fn borrow_connection(&self) -> core::cell::Ref<'_, Connection> {
        self.conn.borrow()
    }

    /// The WebSocket subprotocol the server chose for the current connection ("" on other
    /// transports, or when none was offered).
    pub fn protocol(&self) -> String {
        self.protocol.borrow().clone()
    }

    /// The WebSocket extensions the server accepted for the current connection ("" on other
    /// transports).
    pub fn extensions(&self) -> String {
        self.extensions.borrow().clone()
    }

    /// Bytes queued in the core plus bytes the live transport has not yet written.
    pub fn buffered_amount(&self) -> u64 {
        let queued = self.conn.borrow().queued_bytes() as u64;
        // Every live transport: one replaced by an upgrade may still be writing.
        let in_transports: u64 = self
            .transports
            .borrow()
            .iter()
            .map(|t| u64::from(t.transport.buffered_amount()))
            .sum();
        queued + in_transports
    }

    /// Starts connecting; `waiter` hears of the first open, or why connecting failed (also
    /// when it could not start). A connect while one is under way, or while the socket
    /// reconnects by itself, joins it (`waiter` hears of the next open, or of the final close);
    /// on an open socket it is done at once. Only a closing socket refuses it.
    pub(crate) fn connect(self: &Rc<Self>, waiter: Waiter<Result<(), SocketError>>) {
        // Read first: a waiter is told with nothing borrowed.
        let joins = self.conn.borrow().connect_joins();
        match joins {
            Some(true) => return waiter.tell(Ok(())),
            Some(false) => return self.connect_waiters.borrow_mut().push(waiter),
            None => {}
        }
        let at = self.tick();
        let started = self.conn.borrow_mut().handle_connect(at);
        if let Err(error) = started {
            return waiter.tell(Err(error.into()));
        }
        #[cfg(feature = "std")]
        self.closed_by_app.set(false);
        self.connect_waiters.borrow_mut().push(waiter);
        self.log(&["connecting"]);
        self.pump();
    }

    /// Sends (or queues) one message.
    pub fn send(self: &Rc<Self>, payload: Payload) -> Result<(), SocketError> {
        let at = self.tick();
        self.conn.borrow_mut().send(at, payload)?;
        self.pump();
        Ok(())
    }

    /// Sends the JSON text `JSON.stringify` made of an object, through the batcher when
    /// batching is on (not scanned again: see `Connection::send_serialized`).
    pub fn send_json(self: &Rc<Self>, json: String) -> Result<(), SocketError> {
        let at = self.tick();
        self.conn.borrow_mut().send_serialized(at, json)?;
        self.pump();
        Ok(())
    }

    /// Sends an unreliable datagram on WebTransport; elsewhere, an ordinary binary message (the
    /// core decides: [`crate::core::Connection::send_datagram`]).
    pub fn send_datagram(self: &Rc<Self>, bytes: Vec<u8>) -> Result<(), SocketError> {
        let at = self.tick();
        self.conn.borrow_mut().send_datagram(at, bytes)?;
        self.pump();
        Ok(())
    }

    /// Closes for good (stops every retry); `waiter` hears how the close went. A close that
    /// cannot start (a bad code or reason) is the `Err`, and `waiter` is dismissed unheard.
    pub(crate) fn close(
        self: &Rc<Self>,
        code: u16,
        reason: &str,
        waiter: Waiter<CloseInfo>,
    ) -> Result<(), SocketError> {
        let already_closed = self.conn.borrow().state() == crate::core::State::Closed;
        let started = if already_closed {
            // Validate anyway so a bad code is reported the same way in every state.
            crate::core::close_code::validate_close(code, reason)
        } else {
            let at = self.tick();
            self.conn.borrow_mut().close(at, code, reason)
        };
        if let Err(error) = started {
            waiter.dismiss();
            return Err(error.into());
        }
        #[cfg(feature = "std")]
        self.closed_by_app.set(true);
        if already_closed {
            #[cfg(feature = "std")]
            {
                let ended = core::mem::take(&mut *self.subscribers.borrow_mut());
                drop(ended);
            }
            let info = self.last_close.borrow().clone().unwrap_or(CloseInfo {
                code,
                reason: reason.to_owned(),
                was_clean: true,
            });
            waiter.tell(info);
            return Ok(());
        }
        self.close_waiters.borrow_mut().push(waiter);
        self.log(&["closing with ", &decimal(code.into()), " ", &quoted(reason)]);
        self.pump();
        Ok(())
    }

    fn on_transport_event(self: &Rc<Self>, conn_id: u64, event: TransportEvent) {
        let at = self.tick();
        match event {
            TransportEvent::Opened {
                protocol,
                extensions,
            } => {
                if let Some(t) = self
                    .transports
                    .borrow_mut()
                    .iter_mut()
                    .find(|t| t.conn_id == conn_id)
                {
                    t.opened_with = (protocol, extensions);
                }
                self.conn.borrow_mut().handle_transport_opened(at, conn_id);
            }
            TransportEvent::Message(payload) => {
                self.conn.borrow_mut().handle_incoming(at, conn_id, payload);
            }
            #[cfg(feature = "webtransport")]
            TransportEvent::Datagram(bytes) => {
                self.conn.borrow_mut().handle_datagram(conn_id, bytes);
            }
            TransportEvent::Failed(reason) => {
                self.drop_transport(conn_id);
                self.conn
                    .borrow_mut()
                    .handle_transport_failed(at, conn_id, reason);
            }
            TransportEvent::Refused { code, reason } => self
                .conn
                .borrow_mut()
                .handle_transport_refused(at, conn_id, code, reason),
            TransportEvent::Ending {
                code,
                reason,
                was_clean,
            } => {
                self.conn
                    .borrow_mut()
                    .handle_transport_ending(at, conn_id, code, reason, was_clean);
            }
            TransportEvent::Closed {
                code,
                reason,
                was_clean,
            } => {
                self.drop_transport(conn_id);
                self.conn
                    .borrow_mut()
                    .handle_transport_closed(at, conn_id, code, reason, was_clean);
            }
            TransportEvent::Unsent(payloads) => {
                self.conn.borrow_mut().handle_unsent(at, conn_id, payloads);
            }
            TransportEvent::Unconfirmed(payloads) => {
                self.conn
                    .borrow_mut()
                    .handle_unconfirmed(at, conn_id, payloads);
            }
            TransportEvent::Buffered(reported) => {
                // The event may be stale (the core has sent more since): ask the adapter now.
                let bytes = self
                    .transports
                    .borrow()
                    .iter()
                    .find(|t| t.conn_id == conn_id)
                    .map_or(reported as u64, |t| {
                        u64::from(t.transport.buffered_amount())
                    });
                self.conn
                    .borrow_mut()
                    .handle_transport_buffered(at, conn_id, bytes);
            }
        }
    }

    /// An adapter's report: handled now when the driver is idle (the common case: a message
    /// event straight from the browser), or by the pump loop already running.
    fn on_report(self: &Rc<Self>, conn_id: u64, event: TransportEvent) {
        self.inbox.borrow_mut().push_back((conn_id, event));
        if !self.busy.get() {
            self.pump();
        }
    }

    /// Runs `f`, which calls into adapters outside the pump, with reports held in the inbox;
    /// then pumps, which handles them.
    fn guarded<R>(self: &Rc<Self>, f: impl FnOnce() -> R) -> R {
        let was_busy = self.busy.replace(true);
        let result = f();
        self.busy.set(was_busy);
        if !was_busy {
            self.pump();
        }
        result
    }

    /// The monotonic time for the core; with batching on, the wall-clock offset of its
    /// timestamps is refreshed too (one clock read per input otherwise: this runs per message).
    fn tick(&self) -> u64 {
        let now = performance_now();
        let mut conn = self.conn.borrow_mut();
        if conn.config().batch.is_some() {
            conn.set_wall_clock_offset((js_sys::Date::now() - now) as i64);
        }
        now as u64
    }

    fn remember_secret(&self, token: &str) {
        let mut secrets = self.secrets.borrow_mut();
        for form in [token.to_owned(), crate::endpoints::percent_encode(token)] {
            if !form.is_empty() && !secrets.contains(&form) {
                secrets.push(form);
            }
        }
        // Removed one by one, not `drain(..excess)`: `Vec::drain`'s range check would link
        // integer formatting for its panic message.
        while secrets.len() > SECRETS_KEPT * 2 {
            secrets.remove(0);
        }
    }

    /// `text` without any token this socket presented (see [`redact`]).
    pub(crate) fn redact(&self, text: String) -> String {
        redact(&self.secrets.borrow(), text)
    }

    /// Drops transport `conn_id`, first taking out what it still holds unconfirmed (normally
    /// nothing: an adapter reports its losses before its terminal event) and giving that to the
    /// core, so that dropping never loses a message silently.
    fn drop_transport(&self, conn_id: u64) {
        // Take it out first: its Drop runs JS (removing listeners) with no borrow held.
        let removed = {
            let mut transports = self.transports.borrow_mut();
            transports
                .iter()
                .position(|t| t.conn_id == conn_id)
                .map(|i| transports.remove(i))
        };
        let Some(live) = removed else { return };
        let lost = live.transport.abandon();
        drop(live);
        if !lost.is_empty() {
            let at = self.tick();
            let mut conn = self.conn.borrow_mut();
            conn.handle_unconfirmed(at, conn_id, lost.unconfirmed);
            conn.handle_unsent(at, conn_id, lost.unsent);
        }
    }

    /// At the final close: whatever transports still closing hold goes into the last
    /// `undelivered` event, before `close` (after it, nobody may be listening any more).
    fn abandon_all(&self) -> Vec<Payload> {
        let transports = core::mem::take(&mut *self.transports.borrow_mut());
        // In a v2 session what the transports hold are session frames (and acks, pings) of
        // messages the core still has unacknowledged: it reports those itself, so these go.
        let v2 = self.conn.borrow().peer_protocol() == crate::core::PeerProtocol::V2;
        let mut held = Vec::new();
        for live in &transports {
            let mut lost = live.transport.abandon();
            if !v2 {
                // `append`, not `extend`: no `SpecExtend` instance (issue 9: size).
                held.append(&mut lost.unconfirmed);
                held.append(&mut lost.unsent);
            }
        }
        drop(transports);
        held
    }

    /// Runs the core until it has nothing more to say, then re-arms the timer. Re-entrant calls
    /// (a listener calling `send`) return at once; the outer loop picks up their work, so every
    /// listener sees events in order.
    ///
    /// Order: the core's pending actions (decided earlier), then its events, then adapter
    /// reports that arrived meanwhile (which may produce more of both).
    fn pump(self: &Rc<Self>) {
        if self.busy.replace(true) {
            return;
        }
        loop {
            let action = self.conn.borrow_mut().poll_action();
            if let Some(action) = action {
                self.execute(action);
                continue;
            }
            let event = self.conn.borrow_mut().poll_event();
            if let Some(event) = event {
                self.dispatch(event);
                continue;
            }
            let report = self.inbox.borrow_mut().pop_front();
            if let Some((conn_id, event)) = report {
                self.on_transport_event(conn_id, event);
                continue;
            }
            break;
        }
        self.busy.set(false);
        self.arm_timer();
    }

    /// Arms, keeps or cancels the one timer as the core says (`Connection::poll_timer`: only an
    /// earlier deadline re-arms it).
    fn arm_timer(self: &Rc<Self>) {
        let armed = self.timer.borrow().as_ref().map(|(at, _)| *at);
        let deadline = match self.conn.borrow().poll_timer(armed) {
            TimerChange::Keep => return,
            TimerChange::Cancel => {
                self.timer.borrow_mut().take();
                return;
            }
            TimerChange::Arm(deadline) => deadline,
        };
        // setTimeout treats delays over 2^31-1 ms as 0; a farther deadline is re-armed when it fires.
        let delay = deadline.saturating_sub(now()).min(i32::MAX as u64) as u32;
        let weak = Rc::downgrade(self);
        let timeout = Timeout::new(delay, move || {
            if let Some(driver) = weak.upgrade() {
                driver.timer.borrow_mut().take();
                let at = driver.tick();
                driver.conn.borrow_mut().handle_timeout(at);
                driver.pump();
            }
        });
        // Replacing the old Timeout cancels it (it clears the JS timer on drop).
        let old = self.timer.borrow_mut().replace((deadline, timeout));
        drop(old);
    }

    /// Hands `item` to link `conn_id` with `write`; what the link did not take comes back with
    /// why (also when the link is gone), for the core to decide on. The borrow of `transports`
    /// ends before the caller reports to the core.
    fn write_to<T>(
        &self,
        conn_id: u64,
        item: T,
        write: impl FnOnce(&dyn Transport, T) -> Result<(), (String, T)>,
    ) -> Option<(String, T)> {
        let transports = self.transports.borrow();
        match transports.iter().find(|t| t.conn_id == conn_id) {
            Some(live) => write(live.transport.as_ref(), item).err(),
            None => Some(("the transport is gone".to_owned(), item)),
        }
    }

    fn execute(self: &Rc<Self>, action: Action) {
        match action {
            Action::OpenTransport { conn_id, kind } => self.open_transport(conn_id, kind),
            Action::SendDatagram { conn_id, bytes } => {
                let refused = self.write_to(conn_id, bytes, |link, bytes| {
                    link.send_datagram(&bytes).map_err(|e| (e.reason, bytes))
                });
                if let Some((reason, bytes)) = refused {
                    self.log(&["datagram handed back to be sent as a message: ", &reason]);
                    let at = self.tick();
                    self.conn.borrow_mut().handle_datagram_unsent(at, bytes);
                }
            }
            Action::Send { conn_id, payload } => {
                let refused = self.write_to(conn_id, payload, |link, payload| {
                    link.send(payload).map_err(|e| (e.reason, e.payload))
                });
                // Not taken: it goes back to the queue (or to `undelivered`), never lost.
                if let Some((reason, payload)) = refused {
                    self.log(&["send handed back: ", &reason]);
                    let at = self.tick();
                    self.conn
                        .borrow_mut()
                        .handle_unsent(at, conn_id, vec![payload]);
                }
            }
            Action::CloseTransport {
                conn_id,
                code,
                reason,
            } => {
                let transports = self.transports.borrow();
                if let Some(live) = transports.iter().find(|t| t.conn_id == conn_id) {
                    live.transport.close(code, &reason);
                }
            }
            // The core stopped waiting for this transport's end (`core::closing`): what it held
            // goes back to the core first, then the core ends it.
            Action::AbandonTransport { conn_id } => {
                self.drop_transport(conn_id);
                let at = self.tick();
                self.conn
                    .borrow_mut()
                    .handle_transport_abandoned(at, conn_id);
            }
        }
    }

    /// Opens transport `conn_id` one microtask later, and only if the core still wants it then:
    /// `connect(); close();` in one turn (React StrictMode) opens nothing, and a token that
    /// arrives after the attempt timed out or the socket closed opens nothing either.
    fn open_transport(self: &Rc<Self>, conn_id: u64, kind: TransportKind) {
        let weak = Rc::downgrade(self);
        next_microtask(Box::new(move || {
            let Some(driver) = weak.upgrade() else { return };
            if !driver.conn.borrow().wants_transport(conn_id) {
                return;
            }
            let url = driver.endpoints.get(kind).to_owned();
            driver.log(&["opening ", kind.as_str(), " to ", &url]);
            let token = match &driver.options.token {
                TokenSource::None => Ok(None),
                TokenSource::Fixed(token) => Ok(Some(token.clone())),
                TokenSource::Js(get_token) => {
                    let get_token = get_token.clone();
                    drop(driver);
                    return call_get_token(
                        &get_token,
                        Box::new(move |token| {
                            let Some(driver) = weak.upgrade() else { return };
                            // The attempt may have timed out, or the socket closed, while the
                            // token was on its way: opening now would leave a connection nobody
                            // closes.
                            if driver.conn.borrow().wants_transport(conn_id) {
                                driver.open_with_token(conn_id, kind, url, token);
                            }
                        }),
                    );
                }
            };
            driver.open_with_token(conn_id, kind, url, token);
        }));
    }

    fn open_with_token(
        self: &Rc<Self>,
        conn_id: u64,
        kind: TransportKind,
        url: String,
        token: Result<Option<String>, String>,
    ) {
        self.guarded(|| match token {
            Ok(Some(token)) => {
                self.remember_secret(&token);
                self.open_with_url(conn_id, kind, with_token(&url, &token))
            }
            Ok(None) => self.open_with_url(conn_id, kind, url),
            Err(reason) => {
                let at = self.tick();
                self.conn
                    .borrow_mut()
                    .handle_transport_failed(at, conn_id, reason);
            }
        });
    }

    fn open_with_url(self: &Rc<Self>, conn_id: u64, kind: TransportKind, url: String) {
        // The session's query is computed now, so the resume point is the latest; a v2 data frame
        // adds its header to the largest message.
        let (url, max_message_bytes, max_datagram_bytes) = {
            let conn = self.conn.borrow();
            (
                crate::endpoints::with_session_query(url, &conn.session_query()),
                conn.max_transport_message(),
                conn.config().max_message_size,
            )
        };
        let request = OpenRequest {
            conn_id,
            url,
            protocols: self.options.protocols.clone(),
            // Only WebTransport reads them: a build without it clones nothing (issue 9: size).
            certificate_hashes: if cfg!(feature = "webtransport") {
                self.options.certificate_hashes.clone()
            } else {
                Vec::new()
            },
            max_message_bytes,
            max_datagram_bytes,
            sink: self.sink.clone(),
        };
        match transport::open(kind, request, self.use_stream) {
            Ok(transport) => self.transports.borrow_mut().push(LiveTransport {
                conn_id,
                transport,
                opened_with: (String::new(), String::new()),
            }),
            Err(reason) => {
                let at = self.tick();
                self.conn
                    .borrow_mut()
                    .handle_transport_failed(at, conn_id, reason)
            }
        }
    }

    fn dispatch(self: &Rc<Self>, event: Event) {
        let event = self.redact_event(event);
        let event = match event {
            Event::Open { kind } => {
                // The link the core now calls current: an upgrade probe, or a v2 link whose
                // `hello` came, opened earlier than this.
                let current = self.conn.borrow().conn_id();
                if let Some(t) = self
                    .transports
                    .borrow()
                    .iter()
                    .find(|t| t.conn_id == current)
                {
                    *self.protocol.borrow_mut() = t.opened_with.0.clone();
                    *self.extensions.borrow_mut() = t.opened_with.1.clone();
                }
                self.log(&["open on ", kind.as_str()]);
                for waiter in self.connect_waiters.take() {
                    waiter.tell(Ok(()));
                }
                SocketEvent::Open { transport: kind }
            }
            Event::Message(payload) => SocketEvent::Message(payload),
            Event::Disconnected {
                code,
                reason,
                was_clean,
            } => SocketEvent::Disconnect {
                code,
                reason,
                was_clean,
            },
            Event::Reconnecting { attempt, delay_ms } => {
                self.log(&[
                    "reconnect attempt ",
                    &decimal(attempt.into()),
                    " in ",
                    &decimal(delay_ms),
                    " ms",
                ]);
                SocketEvent::Reconnecting { attempt, delay_ms }
            }
            Event::Reconnected { kind } => SocketEvent::Reconnected { transport: kind },
            Event::Upgraded { from, to } => {
                self.log(&["upgraded from ", from.as_str(), " to ", to.as_str()]);
                SocketEvent::Upgrade { from, to }
            }
            Event::Fallback { from, to, reason } => {
                self.log(&[
                    "fallback from ",
                    from.as_str(),
                    " to ",
                    to.as_str(),
                    ": ",
                    &reason,
                ]);
                SocketEvent::Fallback { from, to, reason }
            }
            Event::MaxReconnectAttemptsReached => SocketEvent::MaxReconnectAttemptsReached,
            Event::QueueOverflow { dropped } => SocketEvent::QueueOverflow { dropped },
            Event::SessionLost { reason } => {
                self.log(&["session lost: ", &reason]);
                SocketEvent::SessionLost { reason }
            }
            Event::ConnectFailed { tried } => {
                // Built in place: no `Vec<String>` and `join` (see `text::join`).
                let mut list = String::new();
                for (i, (kind, why)) in tried.iter().enumerate() {
                    if i > 0 {
                        list.push_str("; ");
                    }
                    list.push_str(kind.as_str());
                    list.push_str(": ");
                    list.push_str(why);
                }
                let message = if tried.is_empty() {
                    "connect failed: no configured transport is supported by this browser and build"
                        .to_owned()
                } else {
                    concat(&["connect failed, every transport tried: ", &list])
                };
                for waiter in self.connect_waiters.take() {
                    waiter.tell(Err(SocketError::ConnectFailed(message.clone())));
                }
                SocketEvent::Error(message)
            }
            Event::Undelivered(mut payloads) => {
                // At the final close, what transports still hold was sent before what the
                // core still queues: one event, oldest first.
                let closed = self.conn.borrow().state() == crate::core::State::Closed;
                let mut all = if closed {
                    self.abandon_all()
                } else {
                    Vec::new()
                };
                all.append(&mut payloads);
                SocketEvent::Undelivered(all)
            }
            Event::Close {
                code,
                reason,
                was_clean,
            } => {
                let info = CloseInfo {
                    code,
                    reason,
                    was_clean,
                };
                let held = self.abandon_all();
                if !held.is_empty() {
                    self.emit(SocketEvent::Undelivered(held));
                }
                self.log(&[
                    "closed: ",
                    &decimal(info.code.into()),
                    " ",
                    &quoted(&info.reason),
                ]);
                *self.last_close.borrow_mut() = Some(info.clone());
                for waiter in self.connect_waiters.take() {
                    waiter.tell(Err(SocketError::Closed));
                }
                for waiter in self.close_waiters.take() {
                    waiter.tell(info.clone());
                }
                SocketEvent::Close(info)
            }
        };
        #[cfg(feature = "std")]
        let ends_streams = matches!(event, SocketEvent::Close(_)) && self.closed_by_app.get();
        self.emit(event);
        // Dropping the senders ends each stream once its receiver has taken what it holds.
        #[cfg(feature = "std")]
        if ends_streams {
            // Taken out, then dropped with nothing borrowed.
            let ended = core::mem::take(&mut *self.subscribers.borrow_mut());
            drop(ended);
        }
    }

    /// The core's event with every human-readable string passed through [`Self::redact`].
    fn redact_event(&self, event: Event) -> Event {
        match event {
            Event::Disconnected {
                code,
                reason,
                was_clean,
            } => Event::Disconnected {
                code,
                reason: self.redact(reason),
                was_clean,
            },
            Event::Fallback { from, to, reason } => Event::Fallback {
                from,
                to,
                reason: self.redact(reason),
            },
            // In place, not `into_iter().map(..).collect()`: the in-place collect links its
            // own fold and drop code (issue 9: size).
            Event::ConnectFailed { mut tried } => {
                for (_, why) in &mut tried {
                    *why = self.redact(core::mem::take(why));
                }
                Event::ConnectFailed { tried }
            }
            Event::Close {
                code,
                reason,
                was_clean,
            } => Event::Close {
                code,
                reason: self.redact(reason),
                was_clean,
            },
            other => other,
        }
    }

    /// Reports a problem to listeners as an `error` event.
    pub fn report_error(&self, message: String) {
        let message = self.redact(message);
        self.emit(SocketEvent::Error(message));
    }

    /// Hands `payloads` back to the application in an `undelivered` event: messages the JS class
    /// held behind a Blob that the socket ended before they could go.
    pub(crate) fn hand_back(&self, payloads: Vec<Payload>) {
        if !payloads.is_empty() {
            self.emit(SocketEvent::Undelivered(payloads));
        }
    }

    fn emit(&self, event: SocketEvent) {
        #[cfg(feature = "std")]
        self.subscribers
            .borrow_mut()
            .retain(|subscriber| subscriber(&event));
        let hook = self.hook.borrow().clone();
        if let Some(hook) = hook {
            hook(&event);
        }
    }

    /// With `debug` on, logs the parts (joined only then) to the console, tokens redacted.
    fn log(&self, parts: &[&str]) {
        if self.options.debug {
            let mut message = String::from("[universal-socket] ");
            for part in parts {
                message.push_str(part);
            }
            let message = self.redact(message);
            web_sys::console::debug_1(&JsValue::from_str(&message));
        }
    }
}
