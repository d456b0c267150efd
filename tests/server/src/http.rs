//! HTTP transports: Server-Sent Events (`/sse/...`) and long polling (`/poll/...`).
//!
//! An [`HttpSession`] is one HTTP-transport connection (its id goes into the upstream and poll
//! URLs): a *link*, in the terms of `hub`. It is unrelated to a v2 resumable session (see
//! `resumable`), which an SSE stream or polling session opened with `v=2` carries: a new one
//! each time the session is resumed over HTTP.
#![allow(clippy::result_large_err)] // axum handlers return `Response` as their error type

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;
use tokio::time::Instant;

use crate::hub::{
    lock, session_id, CloseKind, Conn, ConnRx, Hub, Msg, Next, Out, Service, Transport,
};
use crate::resumable::LinkRequest;
use crate::App;

/// Default idle time after which a long-polling session expires.
pub const SESSION_IDLE: Duration = Duration::from_secs(30);
/// Default and maximum `wait` of a poll.
pub const DEFAULT_WAIT_MS: u64 = 25_000;
pub const MAX_WAIT_MS: u64 = 120_000;
/// A poll answer takes further queued items only while it is smaller than this (it always has
/// the first one), so a client can bound what it reads (PROTOCOL.md §4.3).
pub const POLL_ANSWER_SOFT_LIMIT: usize = 1 << 20;
/// SSE comment sent when the stream has been quiet this long.
pub const SSE_KEEPALIVE: Duration = Duration::from_secs(15);

/// One SSE stream or long-polling session: one link of `conn`.
pub struct HttpSession {
    pub conn: Arc<Conn>,
    /// The link this HTTP session is; once it is no longer attached (closed, detached, taken
    /// over by a resume) the HTTP session is unknown (`404`).
    pub link: u64,
    pub transport: Transport,
    /// Long polling: the outbound queue, taken by one poll at a time.
    rx: tokio::sync::Mutex<Option<ConnRx>>,
    /// Serialises upstream messages of one session.
    order: tokio::sync::Mutex<()>,
    last_seen: Mutex<Instant>,
    polling: std::sync::atomic::AtomicUsize,
}

pub struct Sessions(Mutex<HashMap<String, Arc<HttpSession>>>, Duration);

impl Sessions {
    /// Polling sessions expire after `idle` without a poll.
    pub fn new(idle: Duration) -> Sessions {
        Sessions(Mutex::new(HashMap::new()), idle)
    }

    fn get(&self, id: &str, transport: Transport, service: Service) -> Option<Arc<HttpSession>> {
        let s = lock(&self.0).get(id).cloned()?;
        (s.transport == transport && s.conn.service == service && s.conn.has_link(s.link))
            .then_some(s)
    }

    fn insert(&self, id: String, s: Arc<HttpSession>) {
        lock(&self.0).insert(id, s);
    }

    fn remove(&self, id: &str) {
        lock(&self.0).remove(id);
    }

    /// Forget sessions whose link is no longer attached; expire idle polling sessions. An
    /// expired v1 polling session is a disconnect (1001); an expired v2 polling link is a lost
    /// link: its resumable session is detached (PROTOCOL.md §7.3).
    pub fn sweep(&self, hub: &Arc<Hub>) {
        let mut expired = Vec::new();
        lock(&self.0).retain(|_, s| {
            if !s.conn.has_link(s.link) {
                return false;
            }
            let idle = lock(&s.last_seen).elapsed();
            let polling = s.polling.load(std::sync::atomic::Ordering::SeqCst) > 0;
            if s.transport == Transport::LongPolling && !polling && idle > self.1 {
                expired.push((s.conn.clone(), s.link));
                return false;
            }
            true
        });
        for (c, link) in expired {
            let kind = if c.session_id.is_some() {
                CloseKind::Abrupt
            } else {
                CloseKind::Server(1001, "session expired".into())
            };
            hub.close(&c, link, kind);
        }
    }

    /// `/control/drop`: forget every session.
    pub fn clear(&self) {
        lock(&self.0).clear();
    }
}

fn parse_service(name: &str) -> Result<Service, Response> {
    Service::from_name(name)
        .ok_or_else(|| (StatusCode::NOT_FOUND, "unknown service").into_response())
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "unknown session").into_response()
}

/// Content type of an upstream body packing several messages (PROTOCOL.md §4.2): a sequence of
/// §2 frames, each `0x00` text or `0x01` binary.
pub const BATCH_CONTENT_TYPE: &str = "application/vnd.universal-socket.batch";

/// The largest batch body a client may send: one message of `max_payload` with its frame
/// header, or 1 MiB of smaller ones (the client's per-POST budget), whichever is larger.
pub fn max_batch_body(max_payload: usize) -> usize {
    max_payload.saturating_add(FRAME_HEADER).max(1 << 20)
}

/// Size of a §2 frame header: kind byte and u32 BE length.
const FRAME_HEADER: usize = 5;

/// Why a batch body is refused; nothing of a refused batch is delivered.
#[derive(Debug, PartialEq, Eq)]
pub enum BatchError {
    /// A frame announces more than `maxPayload` bytes (413).
    TooBig,
    /// Not a sequence of whole text/binary frames, or text that is not UTF-8 (400).
    Malformed(&'static str),
}

/// Splits a batch body into its messages. The whole body is checked before any message is
/// handed on, so a batch is delivered entirely or not at all and a client may resend it.
pub fn parse_batch(body: &Bytes, max_payload: usize) -> Result<Vec<Msg>, BatchError> {
    let mut messages = Vec::new();
    let mut rest = body.clone();
    while !rest.is_empty() {
        if rest.len() < FRAME_HEADER {
            return Err(BatchError::Malformed("truncated frame header"));
        }
        let kind = rest[0];
        let len = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        if len > max_payload {
            return Err(BatchError::TooBig);
        }
        if rest.len() - FRAME_HEADER < len {
            return Err(BatchError::Malformed("truncated frame payload"));
        }
        let payload = rest.slice(FRAME_HEADER..FRAME_HEADER + len);
        rest = rest.slice(FRAME_HEADER + len..);
        messages.push(match kind {
            0x00 => Msg::Text(
                String::from_utf8(payload.to_vec())
                    .map_err(|_| BatchError::Malformed("text frame is not UTF-8"))?,
            ),
            0x01 => Msg::Binary(payload),
            _ => {
                return Err(BatchError::Malformed(
                    "frame kind is not text (0) or binary (1)",
                ))
            }
        });
    }
    Ok(messages)
}

/// The media type of a Content-Type header, lower case, without parameters.
fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Reads an upstream body: a batch (several messages), `application/octet-stream` (one binary
/// message) or anything else (one UTF-8 text message, the v1 single-message form).
async fn read_messages(
    max_payload: usize,
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<Msg>, Response> {
    let too_big = || (StatusCode::PAYLOAD_TOO_LARGE, "message too big").into_response();
    let media = media_type(headers);
    let batch = media == BATCH_CONTENT_TYPE;
    let limit = if batch {
        max_batch_body(max_payload)
    } else {
        max_payload
    };
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > limit as u64 {
            return Err(too_big());
        }
    }
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_big())?;
    if batch {
        return parse_batch(&bytes, max_payload).map_err(|e| match e {
            BatchError::TooBig => too_big(),
            BatchError::Malformed(why) => (StatusCode::BAD_REQUEST, why).into_response(),
        });
    }
    if media == "application/octet-stream" {
        Ok(vec![Msg::Binary(bytes)])
    } else {
        String::from_utf8(bytes.to_vec())
            .map(|t| vec![Msg::Text(t)])
            .map_err(|_| (StatusCode::BAD_REQUEST, "text message is not UTF-8").into_response())
    }
}

async fn upstream(
    app: &App,
    transport: Transport,
    service: &str,
    session: &str,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let service = match parse_service(service) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(s) = app.sessions.get(session, transport, service) else {
        return not_found();
    };
    *lock(&s.last_seen) = Instant::now();
    let limit = app.hub.message_limit(s.conn.session_id.is_some());
    let messages = match read_messages(limit, &headers, body).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let _order = s.order.lock().await;
    if !s.conn.has_link(s.link) {
        return not_found();
    }
    // One upstream POST is one incoming transport message for the v2 ack rule.
    app.hub.inbound_many(&s.conn, s.link, messages);
    if app.hub.faults.slow_post_answers() {
        if let Some(slow) = crate::slow_body::answer(&app.hub.bodies, "post-answer") {
            return slow;
        }
    }
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize, Default)]
struct CloseBody {
    code: Option<u16>,
    reason: Option<String>,
}

async fn client_close(
    app: &App,
    transport: Transport,
    service: &str,
    session: &str,
    body: Bytes,
) -> Response {
    let service = match parse_service(service) {
        Ok(s) => s,
        Err(r) => return r,
    };
    // The close goes unanswered while `/control/ignore-close` lasts (or until a reset); the
    // client may have given up since.
    app.hub.faults.hold_close().await;
    let Some(s) = app.sessions.get(session, transport, service) else {
        return not_found();
    };
    let cb: CloseBody = serde_json::from_slice(&body).unwrap_or_default();
    let code = cb.code.unwrap_or(1000);
    let reason = cb.reason.unwrap_or_default();
    let _order = s.order.lock().await;
    app.hub
        .close(&s.conn, s.link, CloseKind::Client(code, reason));
    if transport == Transport::LongPolling {
        // A poll in flight returns the close entry; later polls get 404.
        app.sessions.remove(session);
    }
    StatusCode::NO_CONTENT.into_response()
}

// ---------------------------------------------------------------- SSE

/// Format one SSE event. `data` is split into lines (CR LF, CR and LF all end a line).
pub fn sse_event(event: Option<&str>, data: &str) -> String {
    let mut out = String::with_capacity(data.len() + 16);
    if let Some(e) = event {
        out.push_str("event: ");
        out.push_str(e);
        out.push('\n');
    }
    for line in data.replace("\r\n", "\n").replace('\r', "\n").split('\n') {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    out
}

/// Ends the link when the SSE response body is dropped (client went away).
struct SseGuard {
    hub: Arc<Hub>,
    conn: Arc<Conn>,
    link: u64,
}

impl Drop for SseGuard {
    fn drop(&mut self) {
        self.hub.close(&self.conn, self.link, CloseKind::Abrupt);
    }
}

struct SseState {
    rx: ConnRx,
    guard: SseGuard,
    first: Option<String>,
    done: bool,
}

/// The query parameters of an SSE stream or long-polling open: the auth token (§3.1). The v2
/// parameters (`v`, `resume`) are read from the URI by `LinkRequest::from_uri`.
#[derive(Deserialize)]
pub struct OpenQuery {
    token: Option<String>,
}

pub async fn sse_open(
    State(app): State<App>,
    Path(service): Path<String>,
    Query(q): Query<OpenQuery>,
    uri: Uri,
) -> Response {
    if let Some(case) = service.strip_prefix(HOSTILE) {
        return hostile_sse(case);
    }
    let service = match parse_service(&service) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = app.hub.admit(Transport::Sse) {
        return crate::refused(r);
    }
    app.hub.record_token(Transport::Sse, q.token.as_deref());
    let v2 = LinkRequest::from_uri(&uri);
    let (conn, rx) = app.hub.open_link(Transport::Sse, service, v2.as_ref());
    let link = rx.link();
    let id = session_id();
    app.sessions.insert(
        id.clone(),
        Arc::new(HttpSession {
            conn: conn.clone(),
            link,
            transport: Transport::Sse,
            rx: tokio::sync::Mutex::new(None),
            order: tokio::sync::Mutex::new(()),
            last_seen: Mutex::new(Instant::now()),
            polling: 0.into(),
        }),
    );
    let state = SseState {
        rx,
        guard: SseGuard {
            hub: app.hub.clone(),
            conn,
            link,
        },
        first: Some(sse_event(
            Some("session"),
            &json!({"session": id}).to_string(),
        )),
        done: false,
    };
    let stream = futures_util::stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        if let Some(first) = st.first.take() {
            return Some((Ok::<_, Infallible>(first), st));
        }
        let chunk = match tokio::time::timeout(SSE_KEEPALIVE, st.rx.next()).await {
            Err(_) => ": keepalive\n\n".to_string(),
            Ok(Next::Out(Out::Msg(Msg::Text(t)))) => sse_event(None, &t),
            Ok(Next::Out(Out::Msg(Msg::Binary(b)))) => sse_event(
                Some("binary"),
                &base64::engine::general_purpose::STANDARD.encode(&b),
            ),
            Ok(Next::Out(Out::Close(code, reason))) => {
                st.done = true;
                st.guard
                    .hub
                    .close(&st.guard.conn, st.guard.link, CloseKind::Abrupt);
                sse_event(
                    Some("close"),
                    &json!({"code": code, "reason": reason}).to_string(),
                )
            }
            Ok(Next::Killed) => return None,
        };
        Some((Ok(chunk), st))
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-cache, no-transform")
        .header("x-accel-buffering", "no")
        .body(Body::from_stream(stream))
        .expect("response")
}

pub async fn sse_send(
    State(app): State<App>,
    Path((service, session)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    upstream(&app, Transport::Sse, &service, &session, headers, body).await
}

pub async fn sse_close(
    State(app): State<App>,
    Path((service, session)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    client_close(&app, Transport::Sse, &service, &session, body).await
}

// ---------------------------------------------------------------- long polling

pub async fn poll_open(
    State(app): State<App>,
    Path(service): Path<String>,
    Query(q): Query<OpenQuery>,
    uri: Uri,
) -> Response {
    if let Some(case) = service.strip_prefix(HOSTILE) {
        if case == "slow-open-too-long" {
            return crate::slow_body::answer(&app.hub.bodies, "open-too-long")
                .unwrap_or_else(not_found);
        }
        return hostile_poll_open(case);
    }
    let service = match parse_service(&service) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = app.hub.admit(Transport::LongPolling) {
        return crate::refused(r);
    }
    app.hub
        .record_token(Transport::LongPolling, q.token.as_deref());
    let v2 = LinkRequest::from_uri(&uri);
    let (conn, rx) = app
        .hub
        .open_link(Transport::LongPolling, service, v2.as_ref());
    let link = rx.link();
    let id = session_id();
    app.sessions.insert(
        id.clone(),
        Arc::new(HttpSession {
            conn,
            link,
            transport: Transport::LongPolling,
            rx: tokio::sync::Mutex::new(Some(rx)),
            order: tokio::sync::Mutex::new(()),
            last_seen: Mutex::new(Instant::now()),
            polling: 0.into(),
        }),
    );
    axum::Json(json!({"session": id})).into_response()
}

#[derive(Deserialize)]
pub struct PollQuery {
    wait: Option<u64>,
}

fn out_json(out: Out) -> serde_json::Value {
    match out {
        Out::Msg(Msg::Text(t)) => json!({"text": t}),
        Out::Msg(Msg::Binary(b)) => {
            json!({"binary": base64::engine::general_purpose::STANDARD.encode(&b)})
        }
        Out::Close(code, reason) => json!({"close": {"code": code, "reason": reason}}),
    }
}

struct PollingGuard<'a>(&'a HttpSession);

impl<'a> PollingGuard<'a> {
    fn new(s: &'a HttpSession) -> Self {
        s.polling.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        *lock(&s.last_seen) = Instant::now();
        PollingGuard(s)
    }
}

impl Drop for PollingGuard<'_> {
    fn drop(&mut self) {
        *lock(&self.0.last_seen) = Instant::now();
        self.0
            .polling
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

pub async fn poll_get(
    State(app): State<App>,
    Path((service, session)): Path<(String, String)>,
    Query(q): Query<PollQuery>,
) -> Response {
    if let Some(case) = service.strip_prefix(HOSTILE) {
        return hostile_poll(&app, case);
    }
    let service = match parse_service(&service) {
        Ok(s) => s,
        Err(r) => return r,
    };
    // A session closed by the client is still found here while its close is undelivered.
    let Some(s) = lock(&app.sessions.0).get(&session).cloned() else {
        return not_found();
    };
    if s.transport != Transport::LongPolling || s.conn.service != service {
        return not_found();
    }
    let _polling = PollingGuard::new(&s);
    let wait = Duration::from_millis(q.wait.unwrap_or(DEFAULT_WAIT_MS).min(MAX_WAIT_MS));
    let deadline = Instant::now() + wait;
    let mut guard = match tokio::time::timeout_at(deadline, s.rx.lock()).await {
        Ok(g) => g,
        Err(_) => return axum::Json(json!([])).into_response(),
    };
    let Some(rx) = guard.as_mut() else {
        return not_found();
    };
    // Items serialised one by one, so the answer's size is known as it grows.
    let mut items: Vec<String> = Vec::new();
    let mut size = 0;
    let mut ended = false;
    let mut killed = false;
    // Appends one item; answers whether it was the close (always the last).
    let take = |out: Out, items: &mut Vec<String>, size: &mut usize| {
        let ended = matches!(out, Out::Close(..));
        let item = out_json(out).to_string();
        *size += item.len() + 1;
        items.push(item);
        ended
    };
    match tokio::time::timeout_at(deadline, rx.next()).await {
        Err(_) => {}
        Ok(Next::Killed) => killed = true,
        Ok(Next::Out(out)) => {
            ended = take(out, &mut items, &mut size);
            while !ended && size < POLL_ANSWER_SOFT_LIMIT {
                match rx.try_next() {
                    Some(Next::Out(out)) => ended = take(out, &mut items, &mut size),
                    Some(Next::Killed) => {
                        killed = true;
                        break;
                    }
                    None => break,
                }
            }
        }
    }
    if killed || ended {
        *guard = None;
        app.sessions.remove(&session);
    }
    if killed {
        return not_found();
    }
    (
        [(header::CONTENT_TYPE, "application/json")],
        format!("[{}]", items.join(",")),
    )
        .into_response()
}

pub async fn poll_send(
    State(app): State<App>,
    Path((service, session)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    upstream(
        &app,
        Transport::LongPolling,
        &service,
        &session,
        headers,
        body,
    )
    .await
}

pub async fn poll_close(
    State(app): State<App>,
    Path((service, session)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    client_close(&app, Transport::LongPolling, &service, &session, body).await
}

pub async fn poll_delete(
    State(app): State<App>,
    Path((service, session)): Path<(String, String)>,
) -> Response {
    client_close(
        &app,
        Transport::LongPolling,
        &service,
        &session,
        Bytes::new(),
    )
    .await
}

pub async fn sse_delete(
    State(app): State<App>,
    Path((service, session)): Path<(String, String)>,
) -> Response {
    client_close(&app, Transport::Sse, &service, &session, Bytes::new()).await
}

// ---------------------------------------------------------------- hostile fixtures

/// Service-name prefix of the hostile fixtures (PROTOCOL.md §8): misbehaving SSE and
/// long-polling servers, so the client's defences can be tested against real HTTP.
pub const HOSTILE: &str = "hostile-";

/// A valid session id for fixtures that must get past the open.
const FIXTURE_SESSION: &str = "0123456789abcdef0123456789abcdef";

/// Bytes of the oversized payloads the fixtures send (over any test client's maximum).
const FIXTURE_BIG: usize = 4 << 20;

/// 8 Mi "€": 8 Mi UTF-16 units and 24 MiB of UTF-8, so a client maximum between the two (the
/// default 16 MiB) is met by the text's length and exceeded by its UTF-8.
fn fixture_big_accented() -> String {
    "€".repeat(8 << 20)
}

/// A close reason far over 123 bytes, multi-byte so that cutting it must respect characters.
fn fixture_reason() -> String {
    "é".repeat(300)
}

/// `/sse/hostile-{case}`: `session` names a session id that is a path, not 32 hex characters;
/// `big` sends a 4 MiB text message; `big-accented` one of 8 Mi "€" (24 MiB of UTF-8); `reason`
/// closes with a 600-byte reason; `bad-code` closes
/// with code 0, which no server may send; `session-twice` opens, then sends a second `session`
/// event that is not JSON; `error-event` sends an event named `error`, then a message. The stream ends after these
/// events.
fn hostile_sse(case: &str) -> Response {
    let open = |id: &str| sse_event(Some("session"), &json!({ "session": id }).to_string());
    let body = match case {
        "session" => open("../../control/drop?0123456789abcdef"),
        "big" => open(FIXTURE_SESSION) + &sse_event(None, &"x".repeat(FIXTURE_BIG)),
        "big-accented" => open(FIXTURE_SESSION) + &sse_event(None, &fixture_big_accented()),
        "reason" => {
            let close = json!({"code": 4000, "reason": fixture_reason()}).to_string();
            open(FIXTURE_SESSION) + &sse_event(Some("close"), &close)
        }
        "session-twice" => open(FIXTURE_SESSION) + &sse_event(Some("session"), "x"),
        "error-event" => {
            open(FIXTURE_SESSION)
                + &sse_event(Some("error"), "an application's own event name")
                + &sse_event(None, "after the error event")
        }
        "bad-code" => {
            let close = json!({"code": 0, "reason": "zero"}).to_string();
            open(FIXTURE_SESSION) + &sse_event(Some("close"), &close)
        }
        _ => return (StatusCode::NOT_FOUND, "unknown hostile fixture").into_response(),
    };
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .body(Body::from(body))
        .expect("response")
}

/// `POST /poll/hostile-{case}`: `session` names an id that is a path; the others a valid one.
fn hostile_poll_open(case: &str) -> Response {
    let id = if case == "session" {
        "../../control/drop?0123456789abcdef"
    } else {
        FIXTURE_SESSION
    };
    axum::Json(json!({ "session": id })).into_response()
}

/// `GET /poll/hostile-{case}/...`: `big` answers a 4 MiB text item, `big-accented` one of 8 Mi
/// "€"; `reason` a close item with
/// a 600-byte reason; `bad-code` a close item with code 0; `endless` streams an answer without Content-Length that does not end
/// (see [`endless_answer`]); `slow-*` answers whose slow body records how it ended
/// ([`crate::slow_body`]).
fn hostile_poll(app: &App, case: &str) -> Response {
    if let Some(slow) = case.strip_prefix("slow-") {
        return crate::slow_body::answer(&app.hub.bodies, slow).unwrap_or_else(not_found);
    }
    let items = match case {
        "endless" => return endless_answer(),
        "big" => json!([{ "text": "x".repeat(FIXTURE_BIG) }]),
        "big-accented" => json!([{ "text": fixture_big_accented() }]),
        "reason" => json!([{"close": {"code": 4000, "reason": fixture_reason()}}]),
        "bad-code" => json!([{"close": {"code": 0, "reason": "zero"}}]),
        _ => return not_found(),
    };
    axum::Json(items).into_response()
}

/// A poll answer streamed without `Content-Length` (chunked) that never completes a JSON value:
/// 64 KiB every 20 ms. A client that reads the whole body before checking its size waits for it
/// to end (and holds it all); one that counts while reading gives up at its limit. Bounded at
/// 64 MiB (about 20 s), so the fixture stops by itself.
fn endless_answer() -> Response {
    use futures_util::StreamExt;
    const CHUNK: usize = 64 << 10;
    const CHUNKS: usize = 1024;
    let first = Bytes::from_static(b"[{\"text\":\"");
    let filler = Bytes::from(vec![b'x'; CHUNK]);
    let chunks = std::iter::once(first).chain(std::iter::repeat_n(filler, CHUNKS));
    let stream = futures_util::stream::iter(chunks).then(|chunk| async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Ok::<_, Infallible>(chunk)
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stream))
        .expect("response")
}
