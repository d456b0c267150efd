//! The long-polling adapter: plain `fetch` requests, for networks where nothing else gets through.
//!
//! Wire format (see the reference server's `http.rs`): `POST {url}` answers `{"session":"<id>"}`;
//! then `GET {url}/{session}?wait=25000` answers a JSON array of `{"text"}`, `{"binary"}` (base64)
//! and `{"close":{"code","reason"}}` entries (empty when the wait ran out), 404 once the session is
//! gone. Upstream messages and the client close are the same POSTs as SSE's, so the queueing is
//! shared with the SSE adapter ([`super::sse::HttpShared`]).

use super::http_shared::{build_request, fetch, get_string, parse_close, HttpShared, Phase};
use super::{OpenRequest, SendError, Transport, TransportEvent};
use crate::core::{Payload, TransportKind};
use js_sys::{Array, Reflect, JSON};
use std::rc::{Rc, Weak};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{spawn_local, JsFuture};

/// How long the server may hold a poll open, in ms (below common proxy idle timeouts).
const POLL_WAIT_MS: u32 = 25_000;

/// One long-polling connection. Dropping it aborts the pending poll and any upstream POST, ends
/// the poll loop, and tells the server the session is abandoned.
pub struct LongPollingConnection {
    shared: Rc<HttpShared>,
}

impl LongPollingConnection {
    pub fn open(request: OpenRequest) -> Result<Self, String> {
        let shared = HttpShared::new(&request, None)?;
        spawn_local(run(Rc::downgrade(&shared)));
        Ok(LongPollingConnection { shared })
    }
}

/// Why a poll ends the loop.
enum Poll {
    /// 404: the session is unknown to the server.
    Gone,
    /// Anything else, as the event to report.
    End(TransportEvent),
}

fn gone() -> TransportEvent {
    TransportEvent::Closed {
        code: 1006,
        reason: "session expired or dropped by the server".into(),
        was_clean: false,
    }
}

/// Opens the session, then polls until the connection ends. Holds the state only by `Weak`, and
/// never as a strong reference across an await, so dropping the adapter ends it at the next step
/// (the abort makes that step come at once).
async fn run(weak: Weak<HttpShared>) {
    let Some(session) = open_session(&weak).await else {
        return;
    };
    {
        let Some(shared) = weak.upgrade() else { return };
        shared.opened(&session);
    }
    loop {
        let (request, url) = {
            let Some(shared) = weak.upgrade() else { return };
            if shared.is_done() {
                return;
            }
            let Some(base) = shared.session_url() else {
                return;
            };
            let url = format!("{base}?wait={POLL_WAIT_MS}");
            (
                build_request(&url, "GET", None, Some(&shared.abort_signal())),
                url,
            )
        };
        let outcome = match request {
            Ok(request) => poll_once(&request, &url).await,
            Err(e) => Err(Poll::End(closed_1006(e))),
        };
        let Some(shared) = weak.upgrade() else { return };
        if shared.is_done() {
            return;
        }
        match outcome {
            Ok(items) => {
                for item in items.iter() {
                    handle_item(&shared, &item);
                    if shared.is_done() {
                        return;
                    }
                }
            }
            Err(event) => {
                // While closing, the session disappearing (404) is the server completing the
                // close: a poll started after the close POST finds no session.
                let closing = shared.phase.get() == Phase::Closing;
                let event = match event {
                    Poll::Gone if closing => shared.client_close_event(true).unwrap_or(gone()),
                    Poll::Gone => gone(),
                    Poll::End(event) => event,
                };
                shared.finish(event);
                return;
            }
        }
    }
}

/// `POST {url}` → the session id; on failure reports `Failed` and answers `None`.
async fn open_session(weak: &Weak<HttpShared>) -> Option<String> {
    let (request, url) = {
        let shared = weak.upgrade()?;
        (
            build_request(&shared.url, "POST", None, Some(&shared.abort_signal())),
            shared.url.clone(),
        )
    };
    let result = match request {
        Ok(request) => open_request(&request, &url).await,
        Err(e) => Err(e),
    };
    let shared = weak.upgrade()?;
    if shared.is_done() {
        return None;
    }
    match result {
        Ok(session) => Some(session),
        Err(why) => {
            shared.finish(TransportEvent::Failed(why));
            None
        }
    }
}

async fn open_request(request: &web_sys::Request, url: &str) -> Result<String, String> {
    let response = fetch(request)
        .await
        .map_err(|e| format!("long-polling open: {e}"))?;
    if !response.ok() {
        // The body says why (e.g. "transport disabled"); it is short, and only read to explain.
        let why = match response.text() {
            Ok(promise) => JsFuture::from(promise)
                .await
                .ok()
                .and_then(|t| t.as_string()),
            Err(_) => None,
        };
        return Err(format!(
            "long-polling open: POST {url} answered HTTP {}{}",
            response.status(),
            why.map(|w| format!(" ({w})")).unwrap_or_default()
        ));
    }
    let body = json_body(&response)
        .await
        .map_err(|e| format!("long-polling open: {e}"))?;
    get_string(&body, "session")
        .ok_or_else(|| format!("long-polling open: POST {url} answered no session id"))
}

/// One poll: the array of entries, or the event that ends the connection.
async fn poll_once(request: &web_sys::Request, url: &str) -> Result<Array, Poll> {
    let end = |reason| Poll::End(closed_1006(reason));
    let response = fetch(request).await.map_err(end)?;
    if response.status() == 404 {
        return Err(Poll::Gone);
    }
    if !response.ok() {
        return Err(end(format!(
            "GET {url} answered HTTP {}",
            response.status()
        )));
    }
    let body = json_body(&response).await.map_err(end)?;
    if !Array::is_array(&body) {
        return Err(Poll::End(TransportEvent::Closed {
            code: 1002,
            reason: "a poll answered something other than a JSON array".into(),
            was_clean: false,
        }));
    }
    Ok(Array::from(&body))
}

/// Reads the body and parses it with the browser's `JSON.parse` (no serde_json in the wasm).
async fn json_body(response: &web_sys::Response) -> Result<JsValue, String> {
    let promise = response
        .text()
        .map_err(|e| super::websocket::describe(&e))?;
    let text = JsFuture::from(promise)
        .await
        .map_err(|e| {
            format!(
                "reading the response failed: {}",
                super::websocket::describe(&e)
            )
        })?
        .as_string()
        .unwrap_or_default();
    JSON::parse(&text).map_err(|_| format!("the response is not JSON: {text:.80}"))
}

/// One `{"text"}`, `{"binary"}` or `{"close"}` entry of a poll answer.
fn handle_item(shared: &HttpShared, item: &JsValue) {
    if let Some(text) = get_string(item, "text") {
        shared.deliver(Payload::Text(text));
    } else if let Some(data) = get_string(item, "binary") {
        shared.deliver_base64(&data);
    } else if let Some(close) = Reflect::get(item, &"close".into())
        .ok()
        .filter(|c| c.is_object())
    {
        let (code, reason) = parse_close(&close);
        shared.finish(TransportEvent::Closed {
            code,
            reason,
            was_clean: true,
        });
    }
    // Unknown entries are skipped, so a server may add kinds (e.g. resumable sessions) later.
}

fn closed_1006(reason: String) -> TransportEvent {
    TransportEvent::Closed {
        code: 1006,
        reason,
        was_clean: false,
    }
}

impl Transport for LongPollingConnection {
    fn kind(&self) -> TransportKind {
        TransportKind::LongPolling
    }

    fn send(&self, payload: Payload) -> Result<(), SendError> {
        self.shared.send(payload)
    }

    fn close(&self, code: u16, reason: &str) {
        self.shared.close(code, reason);
    }

    fn buffered_amount(&self) -> u32 {
        self.shared.buffered_amount()
    }
}

impl Drop for LongPollingConnection {
    fn drop(&mut self) {
        // Without a stream the server cannot notice the client left; say so rather than leave the
        // session to expire on its own 30 s later.
        if matches!(self.shared.phase.get(), Phase::Open | Phase::Closing) {
            self.shared.abandon_server_session(None);
        }
        self.shared.phase.set(Phase::Done);
        self.shared.teardown();
    }
}
