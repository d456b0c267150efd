//! The HTTP plumbing the SSE and long-polling adapters share: the ordered upstream queue (one
//! POST in flight, so the server sees messages in order), the global `fetch` with an
//! AbortController, the close request, and a small base64 decoder (no crate, for wasm size).

use super::websocket::describe;
use super::{EventSink, OpenRequest, SendError, TransportEvent};
use crate::core::Payload;
use js_sys::{Promise, Reflect, Uint8Array, JSON};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{AbortController, EventSource, Headers, Request, RequestInit, Response};

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`: `web_sys::window()` is `None` in a worker, but `fetch` exists on every
    /// global scope, so binding the global works in both.
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_with_request(input: &Request) -> Promise;
}

/// Where an HTTP-transport connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Waiting for the server to name the session.
    Connecting,
    /// Session known; messages flow both ways.
    Open,
    /// `close()` was called; the close POST is queued behind the messages sent before it.
    Closing,
    /// A terminal event was sent (or the adapter was dropped); nothing more is reported.
    Done,
}

/// One upstream request, in the order `send`/`close` were called.
enum Outgoing {
    Message(Payload),
    Close(u16, String),
}

/// The state of one SSE or long-polling connection, shared (by `Weak`) with its listeners and
/// async tasks so that dropping the adapter — the only strong owner — ends all of them.
pub(super) struct HttpShared {
    id: u64,
    sink: EventSink,
    max_message_bytes: usize,
    /// The transport endpoint, e.g. `http://host/sse/echo`.
    pub(super) url: String,
    /// `{url}/{session}` once the server has named the session.
    session_url: RefCell<Option<String>>,
    pub(super) phase: Cell<Phase>,
    /// Upstream requests not yet handed to `fetch`.
    queue: RefCell<VecDeque<Outgoing>>,
    /// Whether a drain task is running: upstream requests must stay strictly ordered, so only one
    /// is ever in flight.
    draining: Cell<bool>,
    /// Message bytes queued or in flight (what `buffered_amount` reports).
    buffered: Cell<usize>,
    /// Aborts every fetch of this connection at teardown.
    abort: AbortController,
    /// The SSE stream; `None` for long polling.
    event_source: Option<EventSource>,
    /// The code and reason of `close()`, once called.
    close_request: RefCell<Option<(u16, String)>>,
    /// Whether the server answered the close POST: from then on the end of the downstream (SSE
    /// `close` event, stream end, poll 404) is the clean end of this close.
    close_acked: Cell<bool>,
}

impl HttpShared {
    pub(super) fn new(
        request: &OpenRequest,
        event_source: Option<EventSource>,
    ) -> Result<Rc<Self>, String> {
        let abort = AbortController::new()
            .map_err(|e| format!("AbortController unavailable: {}", describe(&e)))?;
        Ok(Rc::new(HttpShared {
            id: request.conn_id,
            sink: request.sink.clone(),
            max_message_bytes: request.max_message_bytes,
            url: request.url.trim_end_matches('/').to_owned(),
            session_url: RefCell::new(None),
            phase: Cell::new(Phase::Connecting),
            queue: RefCell::new(VecDeque::new()),
            draining: Cell::new(false),
            buffered: Cell::new(0),
            abort,
            event_source,
            close_request: RefCell::new(None),
            close_acked: Cell::new(false),
        }))
    }

    fn emit(&self, event: TransportEvent) {
        let _ = self.sink.unbounded_send((self.id, event));
    }

    pub(super) fn is_done(&self) -> bool {
        self.phase.get() == Phase::Done
    }

    /// Aborts this connection's fetches when the connection is torn down.
    pub(super) fn abort_signal(&self) -> web_sys::AbortSignal {
        self.abort.signal()
    }

    pub(super) fn session_url(&self) -> Option<String> {
        self.session_url.borrow().clone()
    }

    /// The server named the session: the connection is open, and anything sent meanwhile goes out.
    pub(super) fn opened(self: &Rc<Self>, session: &str) {
        if self.phase.get() != Phase::Connecting {
            return;
        }
        *self.session_url.borrow_mut() = Some(format!("{}/{}", self.url, session));
        self.phase.set(Phase::Open);
        self.emit(TransportEvent::Opened {
            protocol: String::new(),
            extensions: String::new(),
        });
        self.kick();
    }

    /// Reports the terminal event (once) and releases the JS side: the EventSource is closed and
    /// every fetch aborted, so nothing calls back afterwards.
    pub(super) fn finish(&self, event: TransportEvent) {
        if self.is_done() {
            return;
        }
        self.phase.set(Phase::Done);
        self.teardown();
        self.emit(event);
    }

    pub(super) fn teardown(&self) {
        if let Some(source) = &self.event_source {
            source.close();
        }
        self.abort.abort();
        self.queue.borrow_mut().clear();
        self.buffered.set(0);
    }

    /// Tells a long-polling server the session is abandoned (best effort; nobody awaits the
    /// answer), since nothing else would end it before it expires. `close` is the code and
    /// reason to record (`POST …/close`, as a WebSocket's close frame would); without one it is
    /// `DELETE` (recorded as 1000). SSE needs nothing: closing the EventSource ends the session
    /// on the server, and it cannot wait for a close POST first because the stream must stop now.
    pub(super) fn abandon_server_session(&self, close: Option<(u16, &str)>) {
        if self.event_source.is_some() {
            return;
        }
        let Some(url) = self.session_url() else {
            return;
        };
        // Deliberately not tied to `abort`: it must outlive the teardown that aborts everything else.
        let request = match close {
            Some((code, reason)) => build_request(
                &format!("{url}/close"),
                "POST",
                Some((
                    &JsValue::from_str(&close_body(code, reason)),
                    "application/json",
                )),
                None,
            ),
            None => build_request(&url, "DELETE", None, None),
        };
        let Ok(request) = request else {
            return;
        };
        spawn_local(async move {
            let _ = JsFuture::from(fetch_with_request(&request)).await;
        });
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
        self.emit(TransportEvent::Message(payload));
    }

    /// A base64 binary message; its size is checked before decoding so a huge one is never
    /// allocated twice.
    pub(super) fn deliver_base64(&self, data: &str) {
        if self.is_done() {
            return;
        }
        if data.len() / 4 * 3 > self.max_message_bytes.saturating_add(2) {
            self.too_big();
            return;
        }
        match decode_base64(data) {
            Some(bytes) => self.deliver(Payload::Binary(bytes)),
            None => self.finish(TransportEvent::Closed {
                code: 1002,
                reason: "binary message is not valid base64".into(),
                was_clean: false,
            }),
        }
    }

    fn too_big(&self) {
        self.abandon_server_session(Some((1009, "message too big")));
        self.finish(TransportEvent::Closed {
            code: 1009,
            reason: "message too big".into(),
            was_clean: false,
        });
    }

    pub(super) fn send(self: &Rc<Self>, payload: Payload) -> Result<(), SendError> {
        match self.phase.get() {
            Phase::Connecting | Phase::Open => {
                self.buffered.set(self.buffered.get() + payload.len());
                self.queue
                    .borrow_mut()
                    .push_back(Outgoing::Message(payload));
                self.kick();
                Ok(())
            }
            Phase::Closing => Err(SendError::new("the connection is closing", payload)),
            Phase::Done => Err(SendError::new("the connection is closed", payload)),
        }
    }

    pub(super) fn close(self: &Rc<Self>, code: u16, reason: &str) {
        match self.phase.get() {
            // No session yet, so nothing to tell the server; like a WebSocket closed while
            // connecting, this is a failure to open.
            Phase::Connecting => self.finish(TransportEvent::Failed(
                "closed by the client before the connection opened".into(),
            )),
            Phase::Open => {
                self.phase.set(Phase::Closing);
                *self.close_request.borrow_mut() = Some((code, reason.to_owned()));
                self.queue
                    .borrow_mut()
                    .push_back(Outgoing::Close(code, reason.to_owned()));
                self.kick();
            }
            Phase::Closing | Phase::Done => {}
        }
    }

    /// The client close as a clean `Closed`, if the downstream may now end: after the server
    /// acknowledged the close POST or, with `even_unacked`, as soon as it was requested.
    pub(super) fn client_close_event(&self, even_unacked: bool) -> Option<TransportEvent> {
        if !(self.close_acked.get() || even_unacked) {
            return None;
        }
        let (code, reason) = self.close_request.borrow().clone()?;
        Some(TransportEvent::Closed {
            code,
            reason,
            was_clean: true,
        })
    }

    pub(super) fn buffered_amount(&self) -> u32 {
        u32::try_from(self.buffered.get()).unwrap_or(u32::MAX)
    }

    /// Starts the drain task unless one is already running or there is no session to POST to.
    fn kick(self: &Rc<Self>) {
        let ready = matches!(self.phase.get(), Phase::Open | Phase::Closing);
        if ready && !self.draining.get() && !self.queue.borrow().is_empty() {
            self.draining.set(true);
            spawn_local(drain(Rc::downgrade(self)));
        }
    }
}

/// POSTs queued requests one at a time, in order. Holds only a `Weak` (never across an await as a
/// strong reference), so it ends as soon as the adapter is dropped.
async fn drain(weak: Weak<HttpShared>) {
    loop {
        let (request, size, close) = {
            let Some(shared) = weak.upgrade() else { return };
            if shared.is_done() {
                return;
            }
            let Some(item) = shared.queue.borrow_mut().pop_front() else {
                shared.draining.set(false);
                return;
            };
            let Some(base) = shared.session_url() else {
                return;
            };
            let signal = shared.abort_signal();
            match item {
                Outgoing::Message(payload) => {
                    let size = payload.len();
                    let request = match &payload {
                        Payload::Text(text) => build_request(
                            &base,
                            "POST",
                            Some((&JsValue::from_str(text), "text/plain;charset=utf-8")),
                            Some(&signal),
                        ),
                        Payload::Binary(bytes) => build_request(
                            &base,
                            "POST",
                            Some((
                                &Uint8Array::from(bytes.as_slice()).into(),
                                "application/octet-stream",
                            )),
                            Some(&signal),
                        ),
                    };
                    (request, size, None)
                }
                Outgoing::Close(code, reason) => {
                    let body = close_body(code, &reason);
                    let request = build_request(
                        &format!("{base}/close"),
                        "POST",
                        Some((&JsValue::from_str(&body), "application/json")),
                        Some(&signal),
                    );
                    (request, 0, Some((code, reason)))
                }
            }
        };
        let result = match request {
            Ok(request) => fetch_ok(&request).await.map(|_| ()),
            Err(e) => Err(e),
        };
        let Some(shared) = weak.upgrade() else { return };
        if shared.is_done() {
            return;
        }
        shared
            .buffered
            .set(shared.buffered.get().saturating_sub(size));
        match (result, close) {
            (Ok(()), None) => {}
            (Ok(()), Some(_)) => {
                shared.close_acked.set(true);
                drop(shared);
                close_grace(weak).await;
                return;
            }
            (Err(why), _) => {
                shared.finish(TransportEvent::Closed {
                    code: 1006,
                    reason: format!("upstream request failed: {why}"),
                    was_clean: false,
                });
                return;
            }
        }
    }
}

/// How long after the server acknowledged a client close the adapter waits for the downstream to
/// deliver what the server sent before it (SSE: the `close` event; long polling: the `close`
/// item) before reporting the close anyway.
const CLOSE_GRACE_MS: u32 = 2_000;

/// Waits out [`CLOSE_GRACE_MS`], then reports the acknowledged client close unless the
/// downstream already ended the connection. The acknowledgement alone is not reported at once:
/// echoes the server sent before the close may still be on their way down and would be lost.
async fn close_grace(weak: Weak<HttpShared>) {
    gloo_timers::future::TimeoutFuture::new(CLOSE_GRACE_MS).await;
    let Some(shared) = weak.upgrade() else { return };
    if let Some(event) = shared.client_close_event(false) {
        shared.finish(event);
    }
}

/// `{"code":N,"reason":"..."}`, escaped by the browser's JSON rather than by hand.
fn close_body(code: u16, reason: &str) -> String {
    let body = js_sys::Object::new();
    let _ = Reflect::set(&body, &"code".into(), &JsValue::from(code));
    let _ = Reflect::set(&body, &"reason".into(), &JsValue::from_str(reason));
    JSON::stringify(&body)
        .map(String::from)
        .unwrap_or_else(|_| format!("{{\"code\":{code}}}"))
}

/// Builds a request; `body` is the value and its Content-Type.
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
        .map_err(|e| format!("{method} {url}: {}", describe(&e)))
}

/// Fetches `request`; a network error or a non-2xx status is an error naming the request.
pub(super) async fn fetch_ok(request: &Request) -> Result<Response, String> {
    let response = fetch(request).await?;
    if response.ok() {
        Ok(response)
    } else {
        Err(format!(
            "{} {} answered HTTP {}",
            request.method(),
            request.url(),
            response.status()
        ))
    }
}

/// Fetches `request` with the global `fetch`; only network errors (and aborts) are errors.
pub(super) async fn fetch(request: &Request) -> Result<Response, String> {
    JsFuture::from(fetch_with_request(request))
        .await
        .map_err(|e| {
            format!(
                "{} {} failed: {}",
                request.method(),
                request.url(),
                describe(&e)
            )
        })?
        .dyn_into::<Response>()
        .map_err(|_| {
            format!(
                "{} {}: fetch did not return a Response",
                request.method(),
                request.url()
            )
        })
}

/// A string property of a parsed JSON value.
pub(super) fn get_string(value: &JsValue, key: &str) -> Option<String> {
    Reflect::get(value, &JsValue::from_str(key))
        .ok()?
        .as_string()
}

/// `{"code":N,"reason":"..."}` → (code, reason); a missing code is 1005 (no status received).
pub(super) fn parse_close(value: &JsValue) -> (u16, String) {
    let code = Reflect::get(value, &"code".into())
        .ok()
        .and_then(|c| c.as_f64())
        .filter(|c| (0.0..=65535.0).contains(c))
        .map_or(1005, |c| c as u16);
    (code, get_string(value, "reason").unwrap_or_default())
}

/// Decodes standard base64 (padding optional). A dozen lines here instead of a base64 crate or a
/// round trip through `atob`'s binary string keeps the wasm small and copies the bytes once.
pub(super) fn decode_base64(input: &str) -> Option<Vec<u8>> {
    let digits = input.trim_end_matches('=').as_bytes();
    if digits.len() % 4 == 1 || input.len() - digits.len() > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(digits.len() / 4 * 3 + 2);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in digits {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}
