//! The long-polling adapter: plain `fetch` requests, for networks where nothing else gets through.
//!
//! Wire format (PROTOCOL.md §4.3, the reference server's `http.rs`): `POST {url}` answers
//! `{"session":"<id>"}`; then `GET {url}/{session}?wait=25000` answers a JSON array of `{"text"}`,
//! `{"binary"}` (base64) and `{"close":{"code","reason"}}` entries (empty when the wait ran out),
//! 404 once the session is gone. Every request keeps `{url}`'s query (the token). Upstream
//! messages and the client close are the same batched POSTs as SSE's, so the queueing is shared
//! with the SSE adapter (`HttpShared`).
//!
//! A poll answer is bounded before it is read: the server may send everything it has queued at
//! once, but a body over `max_poll_body` ends the connection (1009) instead of being copied.

use super::event_rules::Phase;
use super::http_shared::{
    build_request, fetch, parse_close, parse_json, property, session_from, HttpShared,
};
use super::stream_support::{byte_length_of, read_end, ReadEnd, ReadLoop};
use super::{Lost, OpenRequest, SendError, Transport};
use crate::core::close_code::{ABNORMAL, MESSAGE_TOO_BIG, PROTOCOL_ERROR};
use crate::core::text::{concat, decimal, push_decimal};
use crate::core::{Payload, TransportKind};
use crate::endpoints::without_query;
use js_sys::Array;
use std::cell::Cell;
use std::rc::{Rc, Weak};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// How long the server may hold a poll open, in ms (below common proxy idle timeouts), as the
/// `wait` query parameter spells it.
const POLL_WAIT_MS: &str = "25000";

/// One long-polling connection. Dropping it aborts the pending poll and any upstream POST, ends
/// the poll loop, and tells the server the session is abandoned.
pub struct LongPollingConnection {
    shared: Rc<HttpShared>,
}

impl LongPollingConnection {
    /// Starts the poll loop; `Opened` or `Failed` follows on the sink. Fails synchronously only
    /// where the browser has no `AbortController` (a poll could then never be cancelled).
    pub fn open(request: OpenRequest) -> Result<Self, String> {
        let shared = HttpShared::new(&request, None)?;
        crate::web::spawn(Box::pin(run(Rc::downgrade(&shared))));
        Ok(LongPollingConnection { shared })
    }
}

/// The largest poll answer read, in bytes: every item is at most one message, JSON-escaped
/// (control characters take 6 bytes each) or base64-encoded, and a server adds items to an
/// answer only while it is under 1 MiB (PROTOCOL.md §4.3), so a conforming answer fits.
fn max_poll_body(max_message_bytes: usize) -> usize {
    max_message_bytes.saturating_mul(6).saturating_add(2 << 20)
}

/// The largest open answer read (`{"session":"<32 hex>"}` is 45 bytes).
const MAX_OPEN_BODY: usize = 4096;

/// Why a poll ends the loop.
enum Poll {
    /// 404: the session is unknown to the server.
    Gone,
    /// Anything else: the code and reason of the (unclean) close to report.
    End(u16, String),
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
        shared.opened(session);
    }
    loop {
        let (request, limit) = {
            let Some(shared) = weak.upgrade() else { return };
            if shared.is_done() {
                return;
            }
            let Some(url) = shared.session_request_url(&[], &[("wait", POLL_WAIT_MS)]) else {
                return;
            };
            (
                build_request(&url, "GET", None, Some(&shared.abort_signal())),
                max_poll_body(shared.max_message_bytes),
            )
        };
        let outcome = match request {
            Ok(request) => poll_once(&request, limit).await,
            Err(e) => Err(Poll::End(ABNORMAL, e)),
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
            Err(Poll::Gone) => {
                // While closing, the session disappearing (404) is the server completing the
                // close: a poll started after the close POST finds no session.
                if !shared.end_client_close(true) {
                    let reason = "session expired or dropped by the server";
                    shared.closed(ABNORMAL, reason.into(), false);
                }
                return;
            }
            Err(Poll::End(code, reason)) => {
                shared.closed(code, reason, false);
                return;
            }
        }
    }
}

/// `POST {url}` → the session id; on failure reports `Failed` and answers `None`.
async fn open_session(weak: &Weak<HttpShared>) -> Option<String> {
    let (request, path) = {
        let shared = weak.upgrade()?;
        (
            build_request(&shared.url, "POST", None, Some(&shared.abort_signal())),
            shared.endpoint_for_humans().to_owned(),
        )
    };
    let result = match request {
        Ok(request) => open_request(&request, &path).await,
        Err(e) => Err(e),
    };
    let shared = weak.upgrade()?;
    if shared.is_done() {
        return None;
    }
    match result {
        Ok(session) => Some(session),
        Err(why) => {
            shared.failed(why);
            None
        }
    }
}

/// The open request; errors name `path` (the URL without its query, which holds the token).
async fn open_request(request: &web_sys::Request, path: &str) -> Result<String, String> {
    let response = fetch(request)
        .await
        .map_err(|e| concat(&["long-polling open: ", &e]))?;
    if !response.ok() {
        // The body says why (e.g. "transport disabled"); only its start is read, to explain.
        let why = match body_text(&response, MAX_OPEN_BODY).await {
            Ok(text) => text
                .dyn_ref::<js_sys::JsString>()
                .map(|t| t.slice(0, 200.min(t.length())))
                .and_then(|t| t.as_string()),
            Err(_) => None,
        };
        let mut reason = concat(&["long-polling open: POST ", path, " answered HTTP "]);
        push_decimal(&mut reason, u64::from(response.status()));
        if let Some(why) = why {
            reason.push_str(" (");
            reason.push_str(&why);
            reason.push(')');
        }
        return Err(reason);
    }
    let text = body_text(&response, MAX_OPEN_BODY)
        .await
        .map_err(|e| concat(&["long-polling open: ", &e.into_reason()]))?;
    let body = parse_json(&text).ok_or_else(|| {
        concat(&[
            "long-polling open: POST ",
            path,
            " answered something not JSON",
        ])
    })?;
    session_from(&body).map_err(|why| concat(&["long-polling open: POST ", path, ": ", &why]))
}

/// One poll: the array of entries, or the event that ends the connection.
async fn poll_once(request: &web_sys::Request, limit: usize) -> Result<Array, Poll> {
    let end = |reason| Poll::End(ABNORMAL, reason);
    let response = fetch(request).await.map_err(end)?;
    if response.status() == 404 {
        return Err(Poll::Gone);
    }
    if !response.ok() {
        let mut why = concat(&["GET ", without_query(&request.url()), " answered HTTP "]);
        push_decimal(&mut why, u64::from(response.status()));
        return Err(end(why));
    }
    let text = match body_text(&response, limit).await {
        Ok(text) => text,
        Err(BodyError::TooLong) => {
            return Err(Poll::End(
                MESSAGE_TOO_BIG,
                concat(&[
                    "a poll answer was larger than ",
                    &decimal(limit as u64),
                    " bytes",
                ]),
            ))
        }
        Err(BodyError::Read(why)) => return Err(end(why)),
    };
    match parse_json(&text) {
        Some(body) if Array::is_array(&body) => Ok(Array::from(&body)),
        _ => Err(Poll::End(
            PROTOCOL_ERROR,
            "a poll answered something other than a JSON array".into(),
        )),
    }
}

/// What a response body's read loop fills in.
#[derive(Default)]
struct Body {
    chunks: Array,
    /// Why it stopped before the body's end, if it did.
    failure: Cell<Option<BodyError>>,
}

/// Why a response body was not read.
enum BodyError {
    /// Larger than allowed (by its Content-Length or its text).
    TooLong,
    /// The read failed.
    Read(String),
}

impl BodyError {
    fn into_reason(self) -> String {
        match self {
            BodyError::TooLong => "the response is too large".to_owned(),
            BodyError::Read(why) => why,
        }
    }
}

/// The body as a JS string of at most `limit` bytes. It is refused by its Content-Length before
/// it is read when that already says too much, and otherwise counted while it streams in, so an
/// answer without Content-Length (chunked) is given up at the limit instead of being read whole.
/// It stays in JS: `JSON.parse` reads it there, so only the items' own strings are ever copied
/// (each size-checked) into wasm.
async fn body_text(response: &web_sys::Response, limit: usize) -> Result<JsValue, BodyError> {
    let declared = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(BodyError::TooLong);
    }
    let read_error = |e: JsValue| {
        BodyError::Read(concat(&[
            "reading the response failed: ",
            &super::websocket::describe(&e),
        ]))
    };
    let Some(body) = response.body() else {
        return Ok(JsValue::from_str(""));
    };
    let reader = web_sys::ReadableStreamDefaultReader::new(&body).map_err(read_error)?;
    // Read by a callback loop (no task or future per chunk) into `body`, which it holds by
    // `Weak`, with why it stopped early, if it did.
    let body = Rc::new(Body::default());
    let mut total = 0usize;
    let (reading, ended) = ReadLoop::start(reader, Rc::downgrade(&body), move |body, result| {
        let chunk = result.get_value();
        let failure = match byte_length_of(&chunk) {
            // Dropping the loop then cancels the reader: the rest is not downloaded.
            Some(len) if total.saturating_add(len) > limit => BodyError::TooLong,
            Some(len) => {
                total += len;
                body.chunks.push(&chunk);
                return true;
            }
            None => match read_end(result) {
                ReadEnd::No => {
                    body.chunks.push(&chunk);
                    return true;
                }
                ReadEnd::Done => return false,
                ReadEnd::Failed => read_error(result.into()),
            },
        };
        body.failure.set(Some(failure));
        false
    });
    // Held until it has ended; dropping it then cancels a reader it stopped early (an answer too
    // long: that stops its download).
    let _ = ended.await;
    drop(reading);
    if let Some(failure) = body.failure.take() {
        return Err(failure);
    }
    let blob = web_sys::Blob::new_with_u8_array_sequence(&body.chunks).map_err(read_error)?;
    JsFuture::from(blob.text()).await.map_err(read_error)
}

/// One `{"text"}`, `{"binary"}` or `{"close"}` entry of a poll answer; the strings stay in JS
/// until their size is checked.
fn handle_item(shared: &HttpShared, item: &JsValue) {
    let text = property(item, "text");
    if text.is_string() {
        shared.deliver_text(&text);
        return;
    }
    let binary = property(item, "binary");
    if binary.is_string() {
        shared.deliver_base64(&binary);
        return;
    }
    let close = property(item, "close");
    if close.is_object() {
        let (code, reason) = parse_close(&close);
        shared.closed(code, reason, true);
    }
    // Unknown entries are skipped, so a server may add kinds (e.g. resumable sessions) later.
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

    fn abandon(&self) -> Lost {
        self.shared.take_held()
    }

    fn buffered_amount(&self) -> u32 {
        self.shared.buffered_amount()
    }
}

impl Drop for LongPollingConnection {
    fn drop(&mut self) {
        // Without a stream the server cannot notice the client left; say so rather than leave the
        // session to expire on its own 30 s later. A client close the server never answered goes
        // again with its own code (4000–4099 keep a v2 session for its resume; `DELETE` would
        // end it as a 1000).
        if matches!(self.shared.report.phase(), Phase::Open | Phase::Closing) {
            let close = self.shared.report.client_close();
            let close = close
                .as_ref()
                .map(|(code, reason)| (*code, reason.as_str()));
            self.shared.abandon_server_session(close);
        }
        self.shared.release();
    }
}
