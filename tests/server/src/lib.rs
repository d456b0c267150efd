//! Reference server for the universal-socket wire protocol (see `PROTOCOL.md` at the repo root).
//!
//! One process serves the `echo`, `chat`, `metrics` and `soak` services over WebSocket,
//! Server-Sent Events, long polling (HTTP/1.1 on one TCP port) and WebTransport (HTTP/3 on one
//! UDP port), with a control endpoint for fault injection. A link opened with `v=2` in its
//! query speaks protocol v2: a resumable session that survives lost links and can be resumed
//! on any transport (PROTOCOL.md §7; `resumable`, `session_frame`).

pub mod http;
pub mod hub;
pub mod link;
pub mod resumable;
pub mod services;
pub mod session_frame;
pub mod slow_body;
pub mod soak;
pub mod ws;
pub mod wt;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderName, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::time::Instant;
use tower_http::cors::{Any, CorsLayer};

use crate::hub::{Hub, Refusal, Service, Transport};

pub const DEFAULT_MAX_PAYLOAD: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Options {
    pub host: String,
    pub http_port: u16,
    pub wt_port: u16,
    pub static_dir: Option<PathBuf>,
    pub max_payload: usize,
    /// Long-polling sessions expire after this long without a poll (default 30 s).
    pub session_idle: Duration,
    /// A v2 session whose link was lost waits this long for a resume (default 120 s;
    /// `/control/session-grace` changes it at run time, `/control/reset` restores this).
    pub session_grace: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            host: "127.0.0.1".into(),
            http_port: 0,
            wt_port: 0,
            static_dir: None,
            max_payload: DEFAULT_MAX_PAYLOAD,
            session_idle: http::SESSION_IDLE,
            session_grace: resumable::DEFAULT_GRACE,
        }
    }
}

/// Shared state of the HTTP handlers.
#[derive(Clone)]
pub struct App {
    pub hub: Arc<Hub>,
    pub sessions: Arc<http::Sessions>,
    pub config: Arc<Value>,
}

/// A running server.
pub struct Server {
    /// The JSON served at `GET /config` (and printed at start by the binary).
    pub config: Value,
    pub http_addr: SocketAddr,
    pub wt_addr: SocketAddr,
    pub certificate_sha256: String,
    pub hub: Arc<Hub>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Server {
    /// Stop accepting and abort the server's tasks (every link dropped, every v2 session
    /// ended).
    pub fn shutdown(self) {
        self.hub.drop_all();
        self.hub.expire_detached_sessions();
        for t in self.tasks {
            t.abort();
        }
    }
}

fn url_host(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

/// Build the `/config` document.
pub fn config_json(
    host: &str,
    http_port: u16,
    wt_port: u16,
    cert: &str,
    max_payload: usize,
) -> Value {
    let h = url_host(host);
    let http = format!("http://{h}:{http_port}");
    let ws = format!("ws://{h}:{http_port}");
    let wt = format!("https://{h}:{wt_port}");
    let per = |base: &str, prefix: &str| -> Value {
        let mut m = serde_json::Map::new();
        for s in Service::ALL {
            m.insert(
                s.name().into(),
                format!("{base}/{prefix}/{}", s.name()).into(),
            );
        }
        Value::Object(m)
    };
    json!({
        "http": http,
        "control": format!("{http}/control"),
        "ws": per(&ws, "ws"),
        "sse": per(&http, "sse"),
        "poll": per(&http, "poll"),
        "webtransport": per(&wt, "wt"),
        "certificateSha256": cert,
        "maxPayload": max_payload,
    })
}

/// Start the server: bind the TCP and UDP ports and spawn its tasks.
pub async fn start(opts: Options) -> std::io::Result<Server> {
    let hub = Hub::new(opts.max_payload);
    hub.resumable.set_default_grace(opts.session_grace);
    let sessions = Arc::new(http::Sessions::new(opts.session_idle));

    // WebTransport: a self-signed certificate valid for 13 days (serverCertificateHashes
    // requires at most 14).
    let mut sans = vec!["localhost".to_string(), "127.0.0.1".into(), "::1".into()];
    if !sans.contains(&opts.host) {
        sans.push(opts.host.clone());
    }
    let identity = wtransport::Identity::self_signed_builder()
        .subject_alt_names(&sans)
        .from_now_utc()
        .validity_days(13)
        .build()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let cert_hash = identity.certificate_chain().as_slice()[0].hash();
    let certificate_sha256: String = cert_hash
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let wt_bind: SocketAddr = format!("{}:{}", url_host(&opts.host), opts.wt_port)
        .parse()
        .map_err(|e| std::io::Error::other(format!("bad --host: {e}")))?;
    let wt_config = wtransport::ServerConfig::builder()
        .with_bind_address(wt_bind)
        .with_identity(identity)
        .keep_alive_interval(Some(Duration::from_secs(3)))
        .max_idle_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| std::io::Error::other(e.to_string()))?
        .build();
    let endpoint = wtransport::Endpoint::server(wt_config)?;
    let wt_addr = endpoint.local_addr()?;

    let listener = tokio::net::TcpListener::bind((opts.host.as_str(), opts.http_port)).await?;
    let http_addr = listener.local_addr()?;

    let config = config_json(
        &opts.host,
        http_addr.port(),
        wt_addr.port(),
        &certificate_sha256,
        opts.max_payload,
    );
    let app = App {
        hub: hub.clone(),
        sessions: sessions.clone(),
        config: Arc::new(config.clone()),
    };
    let router = router(app, opts.static_dir.clone());

    let mut tasks = Vec::new();
    tasks.push(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            eprintln!("[http] server error: {e}");
        }
    }));
    tasks.push(tokio::spawn(wt::serve(hub.clone(), endpoint)));
    {
        let hub = hub.clone();
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            loop {
                tick.tick().await;
                sessions.sweep(&hub);
            }
        }));
    }
    Ok(Server {
        config,
        http_addr,
        wt_addr,
        certificate_sha256,
        hub,
        tasks,
    })
}

pub fn router(app: App, static_dir: Option<PathBuf>) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
        .expose_headers([
            header::CONTENT_TYPE,
            HeaderName::from_static("x-session-id"),
        ])
        .max_age(Duration::from_secs(600));
    let mut r = Router::new()
        .route("/config", get(get_config))
        .route("/ws/{service}", get(ws::handler))
        .route("/sse/{service}", get(http::sse_open))
        .route(
            "/sse/{service}/{session}",
            post(http::sse_send).delete(http::sse_delete),
        )
        .route("/sse/{service}/{session}/close", post(http::sse_close))
        .route("/poll/{service}", post(http::poll_open))
        .route(
            "/poll/{service}/{session}",
            get(http::poll_get)
                .post(http::poll_send)
                .delete(http::poll_delete),
        )
        .route("/poll/{service}/{session}/close", post(http::poll_close))
        .route("/control/drop", post(control_drop))
        .route("/control/close", post(control_close))
        .route("/control/wt-end-streams", post(control_wt_end_streams))
        .route("/control/refuse", post(control_refuse))
        .route("/control/blackhole", post(control_blackhole))
        .route("/control/ignore-close", post(control_ignore_close))
        .route(
            "/control/slow-post-answers",
            post(control_slow_post_answers),
        )
        .route("/control/latency", post(control_latency))
        .route("/control/reset", post(control_reset))
        .route("/control/session-grace", post(control_session_grace))
        .route("/control/sessions/expire", post(control_sessions_expire))
        .route("/control/stats", get(control_stats))
        .route("/control/bodies", get(control_bodies))
        .route(
            "/control/transport/{name}/{action}",
            post(control_transport),
        )
        .with_state(app);
    if let Some(dir) = static_dir {
        let serve = tower_http::services::ServeDir::new(dir).append_index_html_on_directories(true);
        r = r.fallback_service(serve);
    }
    r.layer(axum::extract::DefaultBodyLimit::disable())
        .layer(cors)
}

/// 503 for a refused or disabled transport.
pub fn refused(r: Refusal) -> Response {
    let why = match r {
        Refusal::Refused => "refusing connections (/control/refuse)",
        Refusal::Disabled => "transport disabled (/control/transport/.../disable)",
    };
    (StatusCode::SERVICE_UNAVAILABLE, why).into_response()
}

async fn get_config(State(app): State<App>) -> Json<Value> {
    Json((*app.config).clone())
}

#[derive(Deserialize)]
struct MsQuery {
    ms: Option<u64>,
}

fn until(ms: u64) -> Option<Instant> {
    (ms > 0).then(|| Instant::now() + Duration::from_millis(ms))
}

/// `/control/drop`: every link aborted. v1 connections end; v2 sessions are detached, and can
/// be resumed during their grace period.
async fn control_drop(State(app): State<App>) -> Json<Value> {
    let n = app.hub.drop_all();
    app.sessions.clear();
    eprintln!("[control] drop: {n} connections");
    Json(json!({"ok": true, "dropped": n}))
}

/// `/control/wt-end-streams`: every WebTransport session finishes its bidirectional stream
/// (FIN, no close frame) and stays open, so the browser sees the stream end while the session's
/// `closed` is still pending; the session's own close, when the client sends it, is recorded.
async fn control_wt_end_streams(State(app): State<App>) -> Json<Value> {
    app.hub.end_streams_gen.send_modify(|g| *g += 1);
    eprintln!("[control] wt-end-streams");
    Json(json!({"ok": true}))
}

#[derive(Deserialize)]
struct CloseQuery {
    code: Option<u16>,
    reason: Option<String>,
}

/// `POST /control/close?code=N&reason=R`: every live connection is closed cleanly with that
/// code (default 1000) and reason (at most 123 bytes, cut on a character boundary).
async fn control_close(State(app): State<App>, Query(q): Query<CloseQuery>) -> Json<Value> {
    let code = q.code.unwrap_or(1000);
    let mut reason = q.reason.unwrap_or_default();
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason.truncate(end);
    let closed = app.hub.close_all(code, &reason);
    eprintln!("[control] close {code} {reason:?}: {closed}");
    Json(json!({"ok": true, "closed": closed}))
}

async fn control_refuse(State(app): State<App>, Query(q): Query<MsQuery>) -> Json<Value> {
    let ms = q.ms.unwrap_or(0);
    app.hub.faults.lock().refuse_until = until(ms);
    eprintln!("[control] refuse {ms} ms");
    Json(json!({"ok": true, "refuseMs": ms}))
}

async fn control_blackhole(State(app): State<App>, Query(q): Query<MsQuery>) -> Json<Value> {
    let ms = q.ms.unwrap_or(0);
    app.hub.faults.lock().blackhole_until = until(ms);
    eprintln!("[control] blackhole {ms} ms");
    Json(json!({"ok": true, "blackholeMs": ms}))
}

/// `/control/ignore-close?ms=N`: for N ms a client close gets no answer (see
/// [`crate::hub::Faults::close_ignored_for`]), so tests can see how long a client waits for one.
async fn control_ignore_close(State(app): State<App>, Query(q): Query<MsQuery>) -> Json<Value> {
    let ms = q.ms.unwrap_or(0);
    app.hub.faults.lock().ignore_close_until = until(ms);
    eprintln!("[control] ignore-close {ms} ms");
    Json(json!({"ok": true, "ignoreCloseMs": ms}))
}

/// `/control/slow-post-answers?ms=N`: for N ms an SSE or long-polling upstream POST is
/// answered `200` with a slow body (see [`crate::hub::Faults::slow_post_answers`]), so tests can
/// see whether a client that does not need that body lets its download hold a connection.
async fn control_slow_post_answers(
    State(app): State<App>,
    Query(q): Query<MsQuery>,
) -> Json<Value> {
    let ms = q.ms.unwrap_or(0);
    app.hub.faults.lock().slow_post_answers_until = until(ms);
    eprintln!("[control] slow-post-answers {ms} ms");
    Json(json!({"ok": true, "slowPostAnswersMs": ms}))
}

async fn control_latency(State(app): State<App>, Query(q): Query<MsQuery>) -> Json<Value> {
    let ms = q.ms.unwrap_or(0);
    app.hub.faults.lock().latency = Duration::from_millis(ms);
    eprintln!("[control] latency {ms} ms");
    Json(json!({"ok": true, "latencyMs": ms}))
}

/// `/control/reset`: faults cleared, records forgotten, every detached v2 session ended, the
/// default grace period restored and the `sessions` counters zeroed.
async fn control_reset(State(app): State<App>) -> Json<Value> {
    app.hub.faults.reset();
    app.hub.clear_records();
    app.hub.reset_sessions();
    eprintln!("[control] reset");
    Json(json!({"ok": true}))
}

/// `POST /control/session-grace?ms=N`: the grace period of v2 links lost from now on (without
/// `ms`: the default, `--session-grace-ms`). Sessions detached already keep theirs.
async fn control_session_grace(State(app): State<App>, Query(q): Query<MsQuery>) -> Json<Value> {
    app.hub.resumable.set_grace(q.ms.map(Duration::from_millis));
    let ms = app.hub.resumable.grace().as_millis() as u64;
    eprintln!("[control] session grace {ms} ms");
    Json(json!({"ok": true, "graceMs": ms}))
}

/// `POST /control/sessions/expire`: every detached v2 session ends now (a later resume gets
/// status 3).
async fn control_sessions_expire(State(app): State<App>) -> Json<Value> {
    let n = app.hub.expire_detached_sessions();
    eprintln!("[control] sessions expire: {n}");
    Json(json!({"ok": true, "expired": n}))
}

async fn control_stats(State(app): State<App>) -> Json<Value> {
    Json(app.hub.stats_json())
}

/// `GET /control/bodies`: how the `/poll/hostile-slow-*` answers' bodies ended.
async fn control_bodies(State(app): State<App>) -> Json<Value> {
    Json(app.hub.bodies.json())
}

async fn control_transport(
    State(app): State<App>,
    Path((name, action)): Path<(String, String)>,
) -> Response {
    let Some(t) = Transport::from_name(&name) else {
        return (StatusCode::NOT_FOUND, "unknown transport").into_response();
    };
    let mut f = app.hub.faults.lock();
    match action.as_str() {
        "disable" => {
            f.disabled.insert(t);
        }
        "enable" => {
            f.disabled.remove(&t);
        }
        _ => return (StatusCode::NOT_FOUND, "unknown action").into_response(),
    }
    let disabled: Vec<&str> = Transport::ALL
        .into_iter()
        .filter(|t| f.disabled.contains(t))
        .map(Transport::name)
        .collect();
    eprintln!("[control] transport {name} {action}");
    Json(json!({"ok": true, "disabled": disabled})).into_response()
}
