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
    build_request, fetch_then, parse_close, parse_json, property, session_from, HttpShared,
};
use super::stream_support::{byte_length_of, read_end, ReadEnd, ReadLoop};
use super::{Lost, OpenRequest, SendError, Transport};
use crate::core::close_code::{ABNORMAL, MESSAGE_TOO_BIG, PROTOCOL_ERROR};
use crate::core::text::{concat, decimal, parse_decimal, push_decimal};
use crate::core::{Payload, TransportKind};
use crate::endpoints::without_query;
use crate::prelude::*;
use crate::web::bindings::promise::{next_microtask, when_settled};
use crate::web::bindings::property::string_property;
use core::cell::Cell;
use js_sys::Array;
use std::rc::{Rc, Weak};
use wasm_bindgen::{JsCast, JsValue};

/// How long the server may hold a poll open, in ms (below common proxy idle timeouts), as the
/// `wait` query parameter spells it.
const POLL_WAIT_MS: &str = "25000";

/// One long-polling connection. Dropping it aborts the pending poll and any upstream POST, ends
/// the poll loop, and tells the server the session is abandoned.
pub struct LongPollingConnection {
    shared: Rc<HttpShared>,
}

impl LongPollingConnection {
    /// Starts opening the session (a microtask later); `Opened` or `Failed` follows on the sink.
    /// Fails synchronously only where the browser has no `AbortController` (a poll could then
    /// never be cancelled).
    pub fn open(request: OpenRequest) -> Result<Self, String> {
        let shared = HttpShared::new(&request, None)?;
        let weak = Rc::downgrade(&shared);
        next_microtask(Box::new(move || open_session(weak)));
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

/// Why a poll ends the connection.
enum Poll {
    /// 404: the session is unknown to the server.
    Gone,
    /// The answer was longer than the poll limit: this client refuses it (see
    /// `Reporter::refusing`), tells the server, and ends with 1009 and this reason.
    TooBig(String),
    /// Anything else: the code and reason of the (unclean) close to report.
    End(u16, String),
}

// The connection's life is a chain of requests, each step a callback on the previous one's
// answer: `open_session` → `session_opened` → `poll` → `polled` → `poll` … Every step holds
// the state only by `Weak`, so dropping the adapter (which aborts the request in flight) ends
// the chain at the next step.

/// `POST {url}`: asks for a session.
fn open_session(weak: Weak<HttpShared>) {
    let Some(shared) = weak.upgrade() else { return };
    let request = build_request(&shared.url, "POST", None, Some(&shared.abort_signal()));
    let path = shared.endpoint_for_humans().to_owned();
    let opened = move |result| session_opened(weak, result);
    match request {
        Ok(request) => open_request(&shared, &request, path, Box::new(opened)),
        Err(e) => opened(Err(e)),
    }
}

/// The session was named (the polls start), or opening failed (`Failed`).
fn session_opened(weak: Weak<HttpShared>, result: Result<String, String>) {
    let Some(shared) = HttpShared::live(&weak) else {
        return;
    };
    match result {
        Ok(session) => {
            shared.opened(session);
            drop(shared);
            poll(weak);
        }
        Err(why) => shared.failed(why),
    }
}

/// `GET {url}/{session}?wait=…`: the next poll, unless the connection has ended.
fn poll(weak: Weak<HttpShared>) {
    let Some(shared) = HttpShared::live(&weak) else {
        return;
    };
    let Some(url) = shared.session_request_url(&[], &[("wait", POLL_WAIT_MS)]) else {
        return;
    };
    let request = build_request(&url, "GET", None, Some(&shared.abort_signal()));
    let limit = max_poll_body(shared.max_message_bytes);
    let answered = move |outcome| polled(weak, outcome);
    match request {
        Ok(request) => poll_once(&shared, &request, limit, Box::new(answered)),
        Err(e) => answered(Err(Poll::End(ABNORMAL, e))),
    }
}

/// A poll's answer: its entries are handled in order and the next poll goes out, or the
/// connection ends.
fn polled(weak: Weak<HttpShared>, outcome: Result<Array, Poll>) {
    let Some(shared) = HttpShared::live(&weak) else {
        return;
    };
    match outcome {
        Ok(items) => {
            for item in items.iter() {
                handle_item(&shared, &item);
                if shared.is_done() {
                    return;
                }
            }
            drop(shared);
            poll(weak);
        }
        Err(Poll::Gone) => {
            // While closing, the session disappearing (404) is the server completing the
            // close: a poll started after the close POST finds no session.
            if !shared.end_client_close(true) {
                let reason = "session expired or dropped by the server";
                shared.closed(ABNORMAL, reason.into(), false);
            }
        }
        Err(Poll::TooBig(reason)) => match shared.report.client_close() {
            // The client's own close is under way: it ends with the application's code (not
            // clean: the answer that may have acknowledged it could not be read).
            Some((code, why)) => shared.closed(code, why, false),
            // Refused, and the server is told (PROTOCOL §7.3: the client's 1009 ends the
            // session), as for a single message too big.
            None => {
                shared.report.refusing(MESSAGE_TOO_BIG, &reason);
                shared.abandon_server_session(Some((MESSAGE_TOO_BIG, &reason)));
                shared.closed(MESSAGE_TOO_BIG, reason, false);
            }
        },
        Err(Poll::End(code, reason)) => shared.closed(code, reason, false),
    }
}

/// The open request's answer: the session id, or why there is none (naming `path`, the URL
/// without its query, which holds the token). A refused answer's body is read too: it says why
/// (e.g. "transport disabled").
fn open_request(
    shared: &Rc<HttpShared>,
    request: &web_sys::Request,
    path: String,
    then: Box<dyn FnOnce(Result<String, String>)>,
) {
    fetch_answer(
        shared,
        request,
        MAX_OPEN_BODY,
        Refusals::Read,
        Box::new(move |answer| {
            then(match answer {
                Err(e) => Err(concat(&["long-polling open: ", &e])),
                Ok((status, text)) if is_success(status) => session_of(text, &path),
                Ok((status, text)) => Err(refused(text, &path, status)),
            })
        }),
    );
}

/// The session id in an open answer's body.
fn session_of(text: Result<JsValue, BodyError>, path: &str) -> Result<String, String> {
    let text = text.map_err(|e| concat(&["long-polling open: ", &e.into_reason()]))?;
    let body = parse_json(&text).ok_or_else(|| {
        concat(&[
            "long-polling open: POST ",
            path,
            " answered something not JSON",
        ])
    })?;
    session_from(&body).map_err(|why| concat(&["long-polling open: POST ", path, ": ", &why]))
}

/// Why an open answer that is not `2xx` was refused: its status, and the start of its body,
/// which says why (e.g. "transport disabled").
fn refused(text: Result<JsValue, BodyError>, path: &str, status: u16) -> String {
    let why = text.ok().and_then(|text| {
        text.dyn_ref::<js_sys::JsString>()
            .map(|t| t.slice(0, 200.min(t.length())))
            .and_then(|t| t.as_string())
    });
    let mut reason = concat(&["long-polling open: POST ", path, " answered HTTP "]);
    push_decimal(&mut reason, u64::from(status));
    if let Some(why) = why {
        reason.push_str(" (");
        reason.push_str(&why);
        reason.push(')');
    }
    reason
}

/// One poll: the array of entries, or what ends the connection.
fn poll_once(
    shared: &Rc<HttpShared>,
    request: &web_sys::Request,
    limit: usize,
    then: Box<dyn FnOnce(Result<Array, Poll>)>,
) {
    let url = string_property(request, "url");
    fetch_answer(
        shared,
        request,
        limit,
        Refusals::LeftUnread,
        Box::new(move |answer| {
            let end = |reason| Poll::End(ABNORMAL, reason);
            then(match answer {
                Err(why) => Err(end(why)),
                Ok((404, _)) => Err(Poll::Gone),
                Ok((status, _)) if !is_success(status) => {
                    let mut why = concat(&["GET ", without_query(&url), " answered HTTP "]);
                    push_decimal(&mut why, u64::from(status));
                    Err(end(why))
                }
                Ok((_, text)) => entries(text, limit),
            })
        }),
    );
}

/// A fetch's status and its body: a JS string of at most the limit, or why it was not read.
type Answer = (u16, Result<JsValue, BodyError>);

/// What [`fetch_answer`] does with the body of an answer that is not `2xx`.
#[derive(Clone, Copy, PartialEq)]
enum Refusals {
    /// Read it (up to the limit): an open's refusal says why in its body ("transport
    /// disabled"), which goes into the reason the socket reports.
    Read,
    /// Leave it unread ([`BodyError::Unread`]): a poll's refusal ends the connection whatever
    /// its body says.
    LeftUnread,
}

/// One fetch and its body, the step an open and a poll share: `then` gets the answer, or why
/// there is none (the fetch failed). The body is read when the status is `2xx` or `refusals`
/// is [`Refusals::Read`]; otherwise it is left unread ([`BodyError::Unread`]). A body left
/// unread (refused, or too long by its Content-Length) always ends the connection, and the
/// adapter's end aborts every fetch it started, which cancels the body's download
/// (`HttpShared::teardown`; tests/browser/long_polling_unread_bodies.rs). Once the adapter is
/// gone no body is read and `then` is not called.
fn fetch_answer(
    shared: &Rc<HttpShared>,
    request: &web_sys::Request,
    limit: usize,
    refusals: Refusals,
    then: Box<dyn FnOnce(Result<Answer, String>)>,
) {
    let weak = Rc::downgrade(shared);
    fetch_then(
        request,
        Box::new(move |response| {
            let response = match response {
                Ok(response) => response,
                Err(why) => return then(Err(why)),
            };
            let status = response.status();
            if !is_success(status) && refusals == Refusals::LeftUnread {
                return then(Ok((status, Err(BodyError::Unread))));
            }
            let Some(shared) = weak.upgrade() else { return };
            read_body(
                &shared,
                &response,
                limit,
                Box::new(move |text| then(Ok((status, text)))),
            );
        }),
    );
}

/// `Response.ok`: a `2xx` status.
fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// A poll answer's entries.
fn entries(text: Result<JsValue, BodyError>, limit: usize) -> Result<Array, Poll> {
    let text = match text {
        Ok(text) => text,
        Err(BodyError::TooLong) => {
            return Err(Poll::TooBig(concat(&[
                "a poll answer was larger than ",
                &decimal(limit as u64),
                " bytes",
            ])))
        }
        Err(other) => return Err(Poll::End(ABNORMAL, other.into_reason())),
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
    /// Not read: the status refused the answer.
    Unread,
}

impl BodyError {
    fn into_reason(self) -> String {
        match self {
            BodyError::TooLong => "the response is too large".to_owned(),
            BodyError::Read(why) => why,
            BodyError::Unread => "the response was refused".to_owned(),
        }
    }
}

fn read_error(e: JsValue) -> BodyError {
    BodyError::Read(concat(&[
        "reading the response failed: ",
        &super::websocket::describe(&e),
    ]))
}

/// Hands `then` the body as a JS string of at most `limit` bytes. It is refused by its
/// Content-Length before it is read when that already says too much, and otherwise counted while
/// it streams in, so an answer without Content-Length (chunked) is given up at the limit instead
/// of being read whole. It stays in JS: `JSON.parse` reads it there, so only the items' own
/// strings are ever copied (each size-checked) into wasm. The read loop is the adapter's
/// (`HttpShared::body_read`): dropping the adapter cancels it.
fn read_body(
    shared: &Rc<HttpShared>,
    response: &web_sys::Response,
    limit: usize,
    then: Box<dyn FnOnce(Result<JsValue, BodyError>)>,
) {
    let declared = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        // HTTP's optional whitespace is spaces and tabs: `trim_ascii`, not `trim`, whose Unicode
        // whitespace test the wasm would carry for this one read (see `text::parse_decimal`).
        .and_then(|v| parse_decimal(v.trim_ascii()));
    if declared.is_some_and(|len| len > limit as u64) {
        return then(Err(BodyError::TooLong));
    }
    let Some(stream) = response.body() else {
        return then(Ok(JsValue::from_str("")));
    };
    let reader = match web_sys::ReadableStreamDefaultReader::new(&stream) {
        Ok(reader) => reader,
        Err(e) => return then(Err(read_error(e))),
    };
    // Read by a callback loop (no task or future per chunk) into `body`, which it holds by
    // `Weak`, with why it stopped early, if it did; the end hands over what it read.
    let body = Rc::new(Body::default());
    let mut total = 0usize;
    let handle = move |body: &Body, result: &web_sys::ReadableStreamReadResult| {
        let chunk = result.get_value();
        let failure = match byte_length_of(&chunk) {
            // The loop's owner then cancels the reader: the rest is not downloaded.
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
    };
    let weak = Rc::downgrade(shared);
    let read = body.clone();
    let ended = Box::new(move || {
        // The adapter is gone (which cancelled the read): nothing is waiting for the body.
        let Some(shared) = weak.upgrade() else { return };
        // A loop stopped early (too long) is cancelled here, when it is dropped.
        drop(shared.body_read.take());
        drop(shared);
        if let Some(failure) = read.failure.take() {
            return then(Err(failure));
        }
        match web_sys::Blob::new_with_u8_array_sequence(&read.chunks) {
            Ok(blob) => when_settled(
                &blob.text(),
                Box::new(move |text| then(text.map_err(read_error))),
            ),
            Err(e) => then(Err(read_error(e))),
        }
    });
    let reading = ReadLoop::start(reader, Rc::downgrade(&body), handle, Some(ended));
    // One answer is read at a time: the chain reads the next only after this one's `ended`.
    let earlier = shared.body_read.replace(Some(reading));
    debug_assert!(
        earlier.is_none(),
        "a second body read while one is in progress"
    );
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
        let (code, reason, was_clean) = parse_close(&close);
        shared.closed(code, reason, was_clean);
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
