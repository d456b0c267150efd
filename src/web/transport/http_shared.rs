//! The HTTP plumbing the SSE and long-polling adapters share: the ordered upstream queue (one
//! POST in flight, so the server sees messages in order, each POST packing everything queued
//! meanwhile), the global `fetch` with an AbortController, the close request, and size-checked
//! reads of what the server sends (base64 decoded by the browser). The pure rules of the wire
//! format (batch frames, base64 size bound, close codes) are `core::http_wire`, tested natively.
//!
//! Nothing a send accepted is lost silently: when the connection ends, the messages of a POST
//! whose answer never came are reported as [`super::TransportEvent::Unconfirmed`] and those
//! never posted as [`super::TransportEvent::Unsent`], before the terminal event. The events go
//! through the [`Reporter`] every adapter shares (`event_rules.rs`).

use super::event_rules::{Phase, Reporter, TOO_BIG};
use super::stream_support::{text_within, ReadLoop};
use super::websocket::describe;
use super::{Lost, OpenRequest, SendError};
use crate::core::close_code::{ABNORMAL, MESSAGE_TOO_BIG, PROTOCOL_ERROR};
use crate::core::fifo::Fifo;
use crate::core::frame::HEADER_LEN;
use crate::core::http_wire::{append_frame, base64_may_fit, server_close_code};
use crate::core::text::{concat as cat, decimal, push_decimal};
use crate::core::Payload;
use crate::endpoints::{cap_reason, is_session_id, request_url, without_query};
use crate::prelude::*;
use crate::web::bindings::message::array_to_vec;
#[cfg(feature = "sse")]
use crate::web::bindings::message::close_when_settled;
use crate::web::bindings::promise::{next_microtask, settle_quietly, when_settled};
use crate::web::bindings::property::{set_property, string_property};
use core::cell::{Cell, RefCell};
use js_sys::{JsString, Promise, Reflect, Uint8Array};
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, AbortSignal, EventSource, Headers, Request, RequestInit, Response};

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`: `web_sys::window()` is `None` in a worker, but `fetch` exists on every
    /// global scope, so binding the global works in both.
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_with_request(input: &Request) -> Promise;

    /// `JSON.parse` on a JS string as it is: `js_sys::JSON::parse` takes a `&str`, which would
    /// copy a server's (possibly huge) text into wasm memory and back first.
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &JsValue) -> Result<JsValue, JsValue>;

    /// `Uint8Array.fromBase64` (Firefox 133, Chromium 140): base64 straight to bytes in JS.
    #[wasm_bindgen(js_namespace = Uint8Array, js_name = fromBase64, catch)]
    fn uint8_array_from_base64(text: &JsValue) -> Result<Uint8Array, JsValue>;

    /// `AbortSignal.timeout(ms)` (Firefox 100, Chromium 103, Safari 16): an `Err` where it is
    /// missing, rather than a TypeError thrown through wasm.
    #[wasm_bindgen(js_namespace = AbortSignal, js_name = timeout, catch)]
    fn abort_signal_timeout(ms: f64) -> Result<AbortSignal, JsValue>;

    /// `atob`, where `Uint8Array.fromBase64` is missing: base64 to a binary string.
    #[wasm_bindgen(js_name = atob, catch)]
    fn atob(text: &JsValue) -> Result<JsValue, JsValue>;
}

/// Content type of an upstream POST packing several messages (PROTOCOL.md §4.2): a sequence of
/// §2 stream frames, `0x00` text or `0x01` binary.
pub(super) const BATCH_CONTENT_TYPE: &str = "application/vnd.universal-socket.batch";

/// How many body bytes one upstream POST packs (a single larger message goes alone). The
/// server accepts batch bodies up to `max(maxPayload + 5, 1 MiB)`.
const POST_BUDGET_BYTES: usize = 1 << 20;

/// How long the request that tells the server a link was abandoned
/// ([`HttpShared::abandon_server_session`]) may wait for its answer before it is aborted: as
/// long as the core waits for any close (`ConnectionConfig::close_timeout_ms`' default). A
/// browser opens at most six HTTP/1.1 connections to a server, so a server that never answered
/// six of these would otherwise stall every later request of the page to it, a new socket's
/// included.
const ABANDON_ANSWER_MS: u32 = 3_000;

/// What draining POSTs next.
enum Step {
    /// A batch of the queued messages (now in `in_flight`).
    Messages,
    /// The client close, after every message.
    Close,
}

/// How an upstream POST failed.
enum PostError {
    /// `404`: the session is gone, so the server did not take the body.
    Gone(String),
    /// Any other failure (network, abort, other status): the server may have taken it.
    Other(String),
}

/// The state of one SSE or long-polling connection, shared (by `Weak`) with its listeners and
/// promise reactions so that dropping the adapter — the only strong owner — ends all of them.
///
/// Its phase is the reporter's: opening until the server names the session, then open; closing
/// once `close()` was called (the close POST goes out after the messages sent before it).
pub(super) struct HttpShared {
    pub(super) report: Reporter,
    pub(super) max_message_bytes: usize,
    /// The transport endpoint as given, e.g. `http://host/sse/echo?token=…`; every request URL
    /// is derived from it with [`request_url`], so its query (the token) is kept.
    pub(super) url: String,
    /// The session id, once the server has named a valid one.
    session: RefCell<Option<String>>,
    /// Messages accepted by `send` and not yet handed to `fetch`.
    queue: RefCell<Fifo<Payload>>,
    /// The messages of the POST in flight: confirmed by its `2xx`, unconfirmed if it fails.
    in_flight: RefCell<Vec<Payload>>,
    /// Whether draining is under way: upstream requests must stay strictly ordered, so only one
    /// is ever in flight.
    draining: Cell<bool>,
    /// Message bytes queued or in flight (what `buffered_amount` reports). It falls only when
    /// the server confirmed a POST or when the messages are handed back to the core.
    buffered: Cell<usize>,
    /// Aborts every fetch of this connection at teardown.
    abort: AbortController,
    /// The SSE stream; `None` for long polling.
    event_source: Option<EventSource>,
    /// Long polling: the read loop of the answer being read, owned here so that dropping the
    /// adapter cancels it (the abort also errors its stream).
    pub(super) body_read: Cell<Option<ReadLoop>>,
    /// Whether the close POST was started (it goes once, after every queued message).
    close_sent: Cell<bool>,
    /// Whether the server answered the close POST: from then on the end of the downstream (SSE
    /// `close` event, stream end, poll 404) is the clean end of this close.
    close_acked: Cell<bool>,
    /// SSE: the EventSource is closed when the server has had the close POST of
    /// [`HttpShared::abandon_server_session`], not at teardown.
    stream_closes_later: Cell<bool>,
}

impl HttpShared {
    pub(super) fn new(
        request: &OpenRequest,
        event_source: Option<EventSource>,
    ) -> Result<Rc<Self>, String> {
        let abort = AbortController::new()
            .map_err(|e| cat(&["AbortController unavailable: ", &describe(&e)]))?;
        let name = if event_source.is_some() {
            "SSE EventSource to "
        } else {
            "long polling to "
        };
        Ok(Rc::new(HttpShared {
            report: Reporter::new(
                request.conn_id,
                request.sink.clone(),
                cat(&[name, without_query(&request.url)]),
            ),
            max_message_bytes: request.max_message_bytes,
            url: request.url.clone(),
            session: RefCell::new(None),
            queue: RefCell::new(Fifo::new()),
            in_flight: RefCell::new(Vec::new()),
            draining: Cell::new(false),
            buffered: Cell::new(0),
            abort,
            event_source,
            body_read: Cell::new(None),
            close_sent: Cell::new(false),
            close_acked: Cell::new(false),
            stream_closes_later: Cell::new(false),
        }))
    }

    /// The state behind `weak`, unless the adapter was dropped or the connection has ended:
    /// where every step of a request chain starts.
    pub(super) fn live(weak: &Weak<Self>) -> Option<Rc<Self>> {
        weak.upgrade().filter(|shared| !shared.is_done())
    }

    pub(super) fn is_done(&self) -> bool {
        self.report.is_ended()
    }

    /// Aborts this connection's fetches when the connection is torn down.
    pub(super) fn abort_signal(&self) -> web_sys::AbortSignal {
        self.abort.signal()
    }

    /// The endpoint without its query, for human-readable reasons (the query holds the token).
    pub(super) fn endpoint_for_humans(&self) -> &str {
        without_query(&self.url)
    }

    /// `{endpoint}/{session}/{more…}?{endpoint's query}&{params}`, once the session is known.
    pub(super) fn session_request_url(
        &self,
        more: &[&str],
        params: &[(&str, &str)],
    ) -> Option<String> {
        let session = self.session.borrow();
        let session = session.as_deref()?;
        let mut segments = vec![session];
        segments.extend_from_slice(more);
        Some(request_url(&self.url, &segments, params))
    }

    /// The server named the session: the connection is open, and anything sent meanwhile goes
    /// out. An id that is not 32 lowercase hex characters would be spliced into request URLs,
    /// so it fails the connection instead.
    pub(super) fn opened(self: &Rc<Self>, session: String) {
        if self.report.phase() != Phase::Opening {
            return;
        }
        if !is_session_id(&session) {
            self.failed(cat(&[
                self.endpoint_for_humans(),
                " named an invalid session id (",
                &decimal(session.len() as u64),
                " bytes); expected 32 lowercase hex characters",
            ]));
            return;
        }
        *self.session.borrow_mut() = Some(session);
        self.report.opened(String::new(), String::new());
        // The core holds messages back while this is over its mark, so report it from the start.
        self.report.buffered(self.buffered.get());
        self.kick();
    }

    /// The connection could not be opened: everything is released (see [`Self::closed`]),
    /// then what it held and `Failed` are reported.
    pub(super) fn failed(&self, reason: String) {
        if !self.is_done() {
            let lost = self.take_held();
            self.teardown();
            self.report.failed(reason, lost);
        }
    }

    /// The connection ended: the JS side is released (the EventSource closed, every fetch
    /// aborted, so nothing calls back afterwards), then every message not confirmed is handed
    /// back and the terminal event reported (`Failed` if it never opened, see
    /// [`Reporter::closed`]).
    pub(super) fn closed(&self, code: u16, reason: String, was_clean: bool) {
        if !self.is_done() {
            let lost = self.take_held();
            self.teardown();
            self.report.closed(code, reason, was_clean, lost);
        }
    }

    /// The adapter is being dropped: whatever it still holds goes back to the core (the driver
    /// drops an adapter after its terminal event, when nothing is left, or when the core gave up
    /// waiting for its close, when something may be), then everything is released.
    pub(super) fn release(&self) {
        self.report.end_handing_back(self.take_held());
        self.teardown();
    }

    /// Takes out every message not confirmed: the POST in flight is `unconfirmed` (the server
    /// may have taken it), everything queued `unsent` (it certainly never left). Only then does
    /// `buffered_amount` fall: the bytes are the core's again.
    pub(super) fn take_held(&self) -> Lost {
        self.buffered.set(0);
        Lost {
            unconfirmed: core::mem::take(&mut *self.in_flight.borrow_mut()),
            unsent: self.queue.borrow_mut().take_all(),
        }
    }

    fn teardown(&self) {
        if let Some(source) = &self.event_source {
            if !self.stream_closes_later.get() {
                source.close();
            }
        }
        self.abort.abort();
    }

    /// Tells the server the session is abandoned (best effort; nobody awaits the answer), since
    /// nothing else would end it before it expires. `close` is the code and reason to record
    /// (`POST …/close`, as a WebSocket's close frame would); without one it is `DELETE`
    /// (recorded as 1000). The request is aborted if unanswered after [`ABANDON_ANSWER_MS`]. On
    /// SSE the EventSource stays open (its events no longer reported) until the request has
    /// settled, as long at most (`closeWhenSettled` has its own timer too, for a browser
    /// without `AbortSignal.timeout` or a page whose `fetch` wrapper drops the signal): closed
    /// first, the stream's end would reach the server before the POST and leave a resumable
    /// session detached, kept for its grace period, and the POST would find no link to close.
    pub(super) fn abandon_server_session(&self, close: Option<(u16, &str)>) {
        // Deliberately not tied to `abort`: it must outlive the teardown that aborts everything
        // else. Its own signal bounds it instead (unbounded where the browser lacks one).
        let answer_within = abort_signal_timeout(f64::from(ABANDON_ANSWER_MS)).ok();
        let request = match close {
            Some((code, reason)) => {
                let Some(url) = self.session_request_url(&["close"], &[]) else {
                    return;
                };
                let body = JsValue::from_str(&close_body(code, reason));
                build_request(
                    &url,
                    "POST",
                    Some((&body, "application/json")),
                    answer_within.as_ref(),
                )
            }
            None => {
                let Some(url) = self.session_request_url(&[], &[]) else {
                    return;
                };
                build_request(&url, "DELETE", None, answer_within.as_ref())
            }
        };
        let Ok(request) = request else {
            return;
        };
        let answered = fetch_with_request(&request);
        #[cfg(feature = "sse")]
        if let Some(source) = &self.event_source {
            self.stream_closes_later.set(true);
            close_when_settled(&answered, source, f64::from(ABANDON_ANSWER_MS));
            return;
        }
        settle_quietly(&answered);
    }

    /// A message from the server: delivered, or the connection closes with 1009 if too big.
    pub(super) fn deliver(&self, payload: Payload) {
        if self.is_done() {
            return;
        }
        if payload.len() > self.max_message_bytes {
            self.too_big();
            return;
        }
        self.report.message(payload);
    }

    /// A text message still in JS. Its UTF-8 size is checked before it is copied into wasm
    /// memory ([`bounded_string`]).
    pub(super) fn deliver_text(&self, value: &JsValue) {
        if self.is_done() {
            return;
        }
        match bounded_string(value, self.max_message_bytes) {
            Ok(Some(text)) => self.deliver(Payload::Text(text)),
            Ok(None) => self.protocol_error("a text message is not a string"),
            Err(TooLong) => self.too_big(),
        }
    }

    /// A base64 binary message still in JS; its size is checked before it is copied or decoded,
    /// so a huge one is never allocated at all.
    pub(super) fn deliver_base64(&self, value: &JsValue) {
        if self.is_done() {
            return;
        }
        let Some(units) = value.dyn_ref::<JsString>().map(|s| s.length() as usize) else {
            self.protocol_error("a binary message is not a base64 string");
            return;
        };
        if !base64_may_fit(units, self.max_message_bytes) {
            self.too_big();
            return;
        }
        match decode_base64(value, self.max_message_bytes) {
            Base64::Bytes(bytes) => self.deliver(Payload::Binary(bytes)),
            Base64::TooBig => self.too_big(),
            Base64::Invalid => self.protocol_error("a binary message is not valid base64"),
        }
    }

    fn protocol_error(&self, reason: &str) {
        self.closed(PROTOCOL_ERROR, reason.into(), false);
    }

    /// A refusal (see `Reporter::refusing`) with no close handshake: the server is told why
    /// (long polling), and the connection ends. During the client's own close the message is
    /// dropped instead, as the other transports do, so that the close keeps the application's
    /// code.
    fn too_big(&self) {
        if self.report.client_close().is_some() {
            return;
        }
        self.report.refusing(MESSAGE_TOO_BIG, TOO_BIG);
        self.abandon_server_session(Some((MESSAGE_TOO_BIG, TOO_BIG)));
        self.closed(MESSAGE_TOO_BIG, TOO_BIG.into(), false);
    }

    pub(super) fn send(self: &Rc<Self>, payload: Payload) -> Result<(), SendError> {
        match self.report.phase() {
            Phase::Opening | Phase::Open => {
                self.buffered.set(self.buffered.get() + payload.len());
                self.queue.borrow_mut().push_back(payload);
                self.kick();
                Ok(())
            }
            Phase::Closing => Err(SendError::new("the connection is closing", payload)),
            Phase::Ended => Err(SendError::new("the connection is closed", payload)),
        }
    }

    /// Before open there is no session to tell, so the connection just fails to open; after, the
    /// close POST goes out behind every queued message.
    pub(super) fn close(self: &Rc<Self>, code: u16, reason: &str) {
        if self.report.abort_opening(|| self.take_held()) {
            self.teardown();
        } else if self.report.begin_close(code, reason) {
            self.kick();
        }
    }

    /// Reports the client close as a clean `Closed` if the downstream may now end: after the
    /// server acknowledged the close POST or, with `even_unacked`, as soon as it was requested.
    /// False when no client close is in progress (or not yet acknowledged).
    pub(super) fn end_client_close(&self, even_unacked: bool) -> bool {
        if !(self.close_acked.get() || even_unacked) {
            return false;
        }
        let Some((code, reason)) = self.report.client_close() else {
            return false;
        };
        self.closed(code, reason, true);
        true
    }

    pub(super) fn buffered_amount(&self) -> u32 {
        u32::try_from(self.buffered.get()).unwrap_or(u32::MAX)
    }

    /// Starts draining (a microtask later, so that every message sent in this turn goes in the
    /// first POST) unless it is already under way or there is no session to POST to.
    fn kick(self: &Rc<Self>) {
        let phase = self.report.phase();
        let ready = matches!(phase, Phase::Open | Phase::Closing);
        let work =
            !self.queue.borrow().is_empty() || (phase == Phase::Closing && !self.close_sent.get());
        if ready && work && !self.draining.get() {
            self.draining.set(true);
            let weak = Rc::downgrade(self);
            next_microtask(Box::new(move || drain(weak)));
        }
    }

    /// Moves the oldest queued messages into `in_flight` and encodes them as one batch body:
    /// up to [`POST_BUDGET_BYTES`] of frames, and always at least one message.
    fn take_batch(&self) -> Vec<u8> {
        let mut queue = self.queue.borrow_mut();
        let mut in_flight = self.in_flight.borrow_mut();
        let mut body = Vec::new();
        while let Some(next) = queue.front() {
            let framed = HEADER_LEN + next.len();
            if !body.is_empty() && body.len() + framed > POST_BUDGET_BYTES {
                break;
            }
            let Some(payload) = queue.pop_front() else {
                break;
            };
            append_frame(&mut body, &payload);
            in_flight.push(payload);
        }
        body
    }

    /// The next upstream request: a batch of queued messages, else the close once everything
    /// before it went out, else nothing — and then draining stops, so the next `send` or
    /// `close` starts it again.
    fn next_request(&self) -> Option<(Result<Request, String>, Step)> {
        let next = self.build_next_request();
        if next.is_none() {
            self.draining.set(false);
        }
        next
    }

    fn build_next_request(&self) -> Option<(Result<Request, String>, Step)> {
        if self.is_done() {
            return None;
        }
        let signal = self.abort_signal();
        if !self.queue.borrow().is_empty() {
            let url = self.session_request_url(&[], &[])?;
            let body = Uint8Array::from(self.take_batch().as_slice());
            let request = build_request(
                &url,
                "POST",
                Some((&body.into(), BATCH_CONTENT_TYPE)),
                Some(&signal),
            );
            return Some((request, Step::Messages));
        }
        if !self.close_sent.get() {
            // Only while closing is there a client close to send.
            let (code, reason) = self.report.client_close()?;
            let url = self.session_request_url(&["close"], &[])?;
            self.close_sent.set(true);
            let body = JsValue::from_str(&close_body(code, &reason));
            let request = build_request(
                &url,
                "POST",
                Some((&body, "application/json")),
                Some(&signal),
            );
            return Some((request, Step::Close));
        }
        None
    }

    /// The server confirmed the POST in flight: its bytes leave the buffer, and the core hears
    /// that there is room again.
    fn confirmed(&self) {
        // Taken, not `drain(..)`ed: `Drain` is code of its own per element type (issue 9: size).
        let in_flight = core::mem::take(&mut *self.in_flight.borrow_mut());
        let sent: usize = in_flight.iter().map(|p| p.len()).sum();
        self.buffered.set(self.buffered.get().saturating_sub(sent));
        self.report.buffered(self.buffered.get());
    }

    /// A batch POST failed. After a `404` the server took nothing, so its messages go back in
    /// front of the queue (and are reported `Unsent`); otherwise they are `Unconfirmed`.
    fn post_failed(&self, error: PostError) {
        let why = match error {
            PostError::Gone(why) => {
                let mut queue = self.queue.borrow_mut();
                let mut in_flight = core::mem::take(&mut *self.in_flight.borrow_mut());
                while let Some(payload) = in_flight.pop() {
                    queue.push_front(payload);
                }
                why
            }
            PostError::Other(why) => why,
        };
        self.closed(ABNORMAL, cat(&["upstream request failed: ", &why]), false);
    }
}

/// POSTs queued requests one at a time, in order, each packing every message queued meanwhile:
/// starts the next one, and [`posted`] starts the one after when it is answered. Holds only a
/// `Weak` while a request is out, so dropping the adapter ends it.
fn drain(weak: Weak<HttpShared>) {
    let Some(shared) = weak.upgrade() else { return };
    let Some((request, step)) = shared.next_request() else {
        return;
    };
    drop(shared);
    match request {
        Ok(request) => post(&request, Box::new(move |result| posted(weak, step, result))),
        Err(e) => posted(weak, step, Err(PostError::Other(e))),
    }
}

/// A request of [`drain`]'s was answered (or failed): the next one goes, or draining ends.
fn posted(weak: Weak<HttpShared>, step: Step, result: Result<(), PostError>) {
    let Some(shared) = HttpShared::live(&weak) else {
        return;
    };
    match (step, result) {
        (Step::Messages, Ok(())) => {
            shared.confirmed();
            drop(shared);
            drain(weak);
        }
        (Step::Messages, Err(error)) => shared.post_failed(error),
        // The server took the close: that is the handshake, so the close is clean. The
        // downstream still delivers what the server sent before it, then ends the connection;
        // one that never does is the core's to give up on (`core::closing`), with this outcome.
        (Step::Close, Ok(())) => {
            shared.close_acked.set(true);
            if let Some((code, reason)) = shared.report.client_close() {
                shared.report.ending(code, reason, true);
            }
        }
        (Step::Close, Err(PostError::Gone(why) | PostError::Other(why))) => {
            shared.closed(ABNORMAL, cat(&["the close request failed: ", &why]), false);
        }
    }
}

/// One upstream POST; `2xx` is success. Only the status is read: the answer's body (a
/// `204` has none) is cancelled at once, since its download would keep one of the browser's six
/// connections to the server busy until it ended (`/control/slow-post-answers`).
fn post(request: &Request, then: Box<dyn FnOnce(Result<(), PostError>)>) {
    // The same JS object, its URL read only to explain a refusal.
    let sent = Clone::clone(request);
    fetch_then(
        request,
        Box::new(move |response| {
            if let Some(body) = response.as_ref().ok().and_then(Response::body) {
                settle_quietly(&body.cancel());
            }
            then(match response {
                Err(why) => Err(PostError::Other(why)),
                Ok(response) if response.ok() => Ok(()),
                Ok(response) => {
                    let url = string_property(&sent, "url");
                    let mut why = cat(&["POST ", without_query(&url), " answered HTTP "]);
                    push_decimal(&mut why, u64::from(response.status()));
                    Err(if response.status() == 404 {
                        PostError::Gone(why)
                    } else {
                        PostError::Other(why)
                    })
                }
            })
        }),
    );
}

/// `{"code":N,"reason":"..."}`, escaped by the browser's JSON rather than by hand.
fn close_body(code: u16, reason: &str) -> String {
    let body = js_sys::Object::new();
    set_property(&body, "code", &JsValue::from(code));
    set_property(&body, "reason", &JsValue::from_str(reason));
    js_sys::JSON::stringify(&body)
        .map(String::from)
        .unwrap_or_else(|_| {
            let mut body = "{\"code\":".to_owned();
            push_decimal(&mut body, u64::from(code));
            body.push('}');
            body
        })
}

/// Builds a request; `body` is the value and its Content-Type. Errors name the path, never the
/// query (it may hold the token).
pub(super) fn build_request(
    url: &str,
    method: &str,
    body: Option<(&JsValue, &str)>,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<Request, String> {
    let init = RequestInit::new();
    init.set_method(method);
    if let Some((body, content_type)) = body {
        let headers = Headers::new().map_err(|e| describe(&e))?;
        headers
            .set("Content-Type", content_type)
            .map_err(|e| describe(&e))?;
        init.set_headers(&headers);
        init.set_body(body);
    }
    init.set_signal(signal);
    Request::new_with_str_and_init(url, &init)
        .map_err(|e| cat(&[method, " ", without_query(url), ": ", &describe(&e)]))
}

/// Fetches `request` with the global `fetch` and hands `then` the Response; only network errors
/// (and aborts) are errors.
pub(super) fn fetch_then(request: &Request, then: Box<dyn FnOnce(Result<Response, String>)>) {
    // The same JS object (`Request::clone` would be the JS `clone()`, a copy).
    let request_again = Clone::clone(request);
    when_settled(
        &fetch_with_request(request),
        Box::new(move |outcome| then(fetched(&request_again, outcome))),
    );
}

/// A settled `fetch`: its Response, or why there is none (naming the path, never the query).
fn fetched(request: &Request, outcome: Result<JsValue, JsValue>) -> Result<Response, String> {
    let what = || {
        let url = string_property(request, "url");
        cat(&[
            &string_property(request, "method"),
            " ",
            without_query(&url),
        ])
    };
    outcome
        .map_err(|e| cat(&[&what(), " failed: ", &describe(&e)]))?
        .dyn_into::<Response>()
        .map_err(|_| cat(&[&what(), ": fetch did not return a Response"]))
}

/// A string longer than allowed.
pub(super) struct TooLong;

/// The string in `value`, copied into wasm memory only if its UTF-8 has at most `max` bytes
/// (measured in JS first when its UTF-16 length alone cannot tell, as the WebSocket adapters do:
/// [`text_within`]), so a hostile server never makes wasm hold more than `max` bytes of it;
/// `Ok(None)` if it is not a string.
pub(super) fn bounded_string(value: &JsValue, max: usize) -> Result<Option<String>, TooLong> {
    let Some(text) = value.dyn_ref::<JsString>() else {
        return Ok(None);
    };
    text_within(text, text.length() as usize, max)
        .map(Some)
        .ok_or(TooLong)
}

/// A property of a JS object (undefined when absent).
pub(super) fn property(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Parses JSON text that is still a JS string (see [`json_parse`]).
pub(super) fn parse_json(text: &JsValue) -> Option<JsValue> {
    json_parse(text).ok()
}

/// The session id in a parsed `{"session":"<id>"}`, or why it is unusable (a reason without
/// the server's text, which may be huge).
pub(super) fn session_from(value: &JsValue) -> Result<String, String> {
    match bounded_string(&property(value, "session"), 32) {
        Ok(Some(id)) if is_session_id(&id) => Ok(id),
        Ok(None) => Err("the server named no session".into()),
        _ => Err("the server's session id is not 32 lowercase hex characters".into()),
    }
}

/// `{"code":N,"reason":"..."}` → (code, reason, was_clean); a missing code is 1005 (no status
/// received), a code no server may send a protocol error (1002, not clean: see
/// `http_wire::server_close_code`). The reason is capped at 123 bytes (on a character boundary),
/// and only its first 123 UTF-16 units are ever copied out of JS.
pub(super) fn parse_close(value: &JsValue) -> (u16, String, bool) {
    let code = match server_close_code(property(value, "code").as_f64()) {
        Ok(code) => code,
        Err(reason) => return (crate::core::close_code::PROTOCOL_ERROR, reason, false),
    };
    let reason = property(value, "reason")
        .dyn_ref::<JsString>()
        .and_then(|r| {
            let max = crate::core::close_code::MAX_REASON_BYTES as u32;
            r.slice(0, max.min(r.length())).as_string()
        })
        .map(|r| cap_reason(&r).to_owned())
        .unwrap_or_default();
    (code, reason, true)
}

/// What base64 text decoded to.
enum Base64 {
    Bytes(Vec<u8>),
    /// More than the maximum once decoded: not copied into wasm.
    TooBig,
    Invalid,
}

/// Decodes base64 text still in JS with the browser: `Uint8Array.fromBase64` where present,
/// else `atob`. The decoded length is checked while the bytes are still in JS, and only then are
/// they copied into wasm, once (`atob`'s binary string is turned into bytes in place).
fn decode_base64(text: &JsValue, max: usize) -> Base64 {
    match uint8_array_from_base64(text) {
        Ok(bytes) if bytes.length() as usize > max => Base64::TooBig,
        Ok(bytes) => Base64::Bytes(array_to_vec(&bytes)),
        // Bad base64 is a `SyntaxError`; a `TypeError` (called on a string) means the method is
        // missing. Asking each time, rather than once, costs nothing on the path that has it.
        Err(error) if error.is_instance_of::<js_sys::TypeError>() => {
            let Some(binary) = atob(text).ok().and_then(|b| b.dyn_into::<JsString>().ok()) else {
                return Base64::Invalid;
            };
            if binary.length() as usize > max {
                return Base64::TooBig;
            }
            crate::core::text::binary_string_bytes(String::from(binary))
                .map_or(Base64::Invalid, Base64::Bytes)
        }
        Err(_) => Base64::Invalid,
    }
}
