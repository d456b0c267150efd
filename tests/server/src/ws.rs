//! WebSocket transport: `GET /ws/{service}`. With `v=2` in the query the socket is a v2 link
//! (PROTOCOL.md §7): the first message is the binary `hello`, the rest session frames.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::hub::{CloseKind, Hub, Msg, Next, Out, Service, Transport};
use crate::resumable::LinkRequest;
use crate::App;

/// Subprotocols the server knows, any of which it selects if the client offers it.
pub const SUBPROTOCOLS: [&str; 3] = ["chat", "json", "binary"];

/// The first protocol in the client's `Sec-WebSocket-Protocol` list (in the client's order)
/// that the server supports; `None` if there is none.
pub fn choose_subprotocol(headers: &HeaderMap) -> Option<&'static str> {
    headers
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .find_map(|p| SUBPROTOCOLS.into_iter().find(|s| *s == p))
}

/// The `token` query parameter of a connection URL, percent-decoded (PROTOCOL.md §3.1); `None`
/// when absent or when the query does not parse. Shared with WebTransport, whose session
/// request carries the same query.
pub fn token_of(uri: &Uri) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct TokenQuery {
        token: Option<String>,
    }
    Query::<TokenQuery>::try_from_uri(uri)
        .ok()
        .and_then(|Query(q)| q.token)
}

/// `/ws/hostile-stall`: the upgrade request is held for [`STALL`] without an answer (the
/// client's handshake stays `CONNECTING`), then refused.
const STALLED: &str = "hostile-stall";
const STALL: std::time::Duration = std::time::Duration::from_secs(20);

pub async fn handler(
    State(app): State<App>,
    Path(service): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if service == STALLED {
        // A server that takes the connection and never answers the upgrade (bounded here, so
        // that a test cannot leave it hanging for good).
        tokio::time::sleep(STALL).await;
        return (StatusCode::SERVICE_UNAVAILABLE, "stalled").into_response();
    }
    let Some(service) = Service::from_name(&service) else {
        return (StatusCode::NOT_FOUND, "unknown service").into_response();
    };
    if let Err(r) = app.hub.admit(Transport::WebSocket) {
        return crate::refused(r);
    }
    let v2 = LinkRequest::from_uri(&uri);
    let max = app.hub.message_limit(v2.is_some());
    let mut ws = ws.max_message_size(max).max_frame_size(max);
    if let Some(p) = choose_subprotocol(&headers) {
        ws = ws.protocols([p]);
    }
    let hub = app.hub.clone();
    // Recorded at acceptance, so tests can check that auth reached the server on this transport.
    hub.record_token(Transport::WebSocket, token_of(&uri).as_deref());
    ws.on_upgrade(move |socket| run(hub, service, v2, socket))
        .into_response()
}

fn is_too_big(e: &axum::Error) -> bool {
    let s = e.to_string().to_ascii_lowercase();
    s.contains("too long") || s.contains("too big") || s.contains("space limit")
}

async fn run(hub: Arc<Hub>, service: Service, v2: Option<LinkRequest>, mut socket: WebSocket) {
    let (conn, mut rx) = hub.open_link(Transport::WebSocket, service, v2.as_ref());
    let link = rx.link();
    loop {
        tokio::select! {
            // Outbound first: what was queued for the client (the echo of an earlier message)
            // goes out before the next incoming frame is read, so a client close or an
            // oversized message never overtakes, and discards, a reply already produced.
            biased;
            next = rx.next() => match next {
                Next::Out(Out::Msg(Msg::Text(t))) => {
                    if socket.send(Message::Text(t.into())).await.is_err() {
                        hub.close(&conn, link, CloseKind::Abrupt);
                        return;
                    }
                }
                Next::Out(Out::Msg(Msg::Binary(b))) => {
                    if socket.send(Message::Binary(b)).await.is_err() {
                        hub.close(&conn, link, CloseKind::Abrupt);
                        return;
                    }
                }
                Next::Out(Out::Close(code, reason)) => {
                    // Server-initiated close (or the echo of a client close, already handled).
                    let frame = CloseFrame { code, reason: reason.into() };
                    let _ = socket.send(Message::Close(Some(frame))).await;
                    drain(&mut socket).await;
                    return;
                }
                Next::Killed => {
                    // `/control/drop`: abort without a close frame.
                    hub.close(&conn, link, CloseKind::Abrupt);
                    return;
                }
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(t))) => hub.inbound(&conn, link, Msg::Text(t.to_string())),
                Some(Ok(Message::Binary(b))) => hub.inbound(&conn, link, Msg::Binary(b)),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(frame))) => {
                    if let Some(left) = hub.faults.close_ignored_for() {
                        // No reply: tungstenite answers a close only when the socket is polled.
                        tokio::time::sleep(left).await;
                        hub.close(&conn, link, CloseKind::Abrupt);
                        return;
                    }
                    let (code, reason) = frame
                        .map(|f| (f.code, f.reason.to_string()))
                        .unwrap_or((1005, String::new()));
                    hub.close(&conn, link, CloseKind::Client(code, reason));
                    // tungstenite queues the close reply; keep polling so it is flushed.
                    drain(&mut socket).await;
                    return;
                }
                Some(Err(e)) => {
                    if is_too_big(&e) {
                        let reason = "message too big".to_string();
                        hub.close(&conn, link, CloseKind::Server(1009, reason.clone()));
                        let frame = CloseFrame { code: 1009, reason: reason.into() };
                        let _ = socket.send(Message::Close(Some(frame))).await;
                        drain(&mut socket).await;
                    } else {
                        eprintln!("[ws] {}: {e}", conn.id);
                        hub.close(&conn, link, CloseKind::Abrupt);
                    }
                    return;
                }
                None => {
                    hub.close(&conn, link, CloseKind::Abrupt);
                    return;
                }
            }
        }
    }
}

/// After a close was sent or received, poll until the peer finishes (bounded).
async fn drain(socket: &mut WebSocket) {
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(Ok(_)) = socket.recv().await {}
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_read_from_the_query_and_percent_decoded() {
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        assert_eq!(
            token_of(&uri("/ws/echo?token=p%20t&x=1")).as_deref(),
            Some("p t")
        );
        assert_eq!(
            token_of(&uri("/wt/echo?a=b&token=abc")).as_deref(),
            Some("abc")
        );
        assert_eq!(token_of(&uri("/ws/echo")), None);
        assert_eq!(token_of(&uri("/ws/echo?other=1")), None);
    }
}
