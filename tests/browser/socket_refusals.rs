//! A message the socket itself refuses (over `maxMessageBytes`) while a resumable session is on
//! ends the socket for good: the resume would replay that message, and before this rule the
//! socket reconnected, was sent it again and refused it again until `maxAttempts` ran out. Each
//! test builds the socket from a JS options object, as an application does.

use crate::socket_api::listen;
use crate::socket_support::{with_timeout, ResetFaults};
use crate::support::{get_str, server_config};
use futures::StreamExt;
use js_sys::{Array, Reflect};
use universal_socket::web::js_socket::UniversalSocket;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

const TOKEN: &str = "refusal-token-7f3a";

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// Every string in `value` (an event object, its arrays), for the token check.
fn strings(value: &JsValue, out: &mut Vec<String>) {
    if let Some(s) = value.as_string() {
        out.push(s);
    } else if Array::is_array(value) {
        for item in Array::from(value).iter() {
            strings(&item, out);
        }
    } else if value.is_object() {
        for key in js_sys::Object::keys(value.unchecked_ref::<js_sys::Object>()).iter() {
            strings(&get(value, &key.as_string().unwrap_or_default()), out);
        }
    }
}

/// The chat service greets every link with a `welcome` of about 100 bytes, over a 40-byte
/// `maxMessageBytes`; the session's `hello` (42 bytes) is under the limit plus the data frame's
/// header, so the link opens first. A message queued before `connect()` goes out on open and is
/// still unacknowledged when the welcome is refused.
async fn refusal_ends_the_socket(transport: &str, endpoint_key: &str, extra: &str) {
    refusal_ends(transport, endpoint_key, extra, Session::On).await;
}

/// Whether the socket has a resumable session (the default) or not (`resume: false`).
#[derive(Clone, Copy, PartialEq)]
enum Session {
    On,
    Off,
}

/// As [`refusal_ends_the_socket`]; with [`Session::Off`] `extra` must turn sessions off, and
/// the message sent before `connect()` was written to the network in v1's best effort, so
/// nothing comes back in `undelivered`.
async fn refusal_ends(transport: &str, endpoint_key: &str, extra: &str, session: Session) {
    let config = server_config().await;
    let endpoint = get_str(&config, &format!("{endpoint_key}.chat"));
    let hash = get_str(&config, "certificateSha256");
    let json = format!(
        r#"{{"transports":["{transport}"],"endpoints":{{"{transport}":"{endpoint}"}},
            "webtransport":{{"serverCertificateHashes":["{hash}"]}},
            "maxMessageBytes":40,"heartbeat":false,"auth":{{"token":"{TOKEN}"}},
            "reconnect":{{"initialDelayMs":50,"maxDelayMs":100,"maxAttempts":3}}{extra}}}"#
    );
    let socket = UniversalSocket::new("http://127.0.0.1/chat", js_sys::JSON::parse(&json).unwrap())
        .map_err(JsValue::from)
        .unwrap();
    let (mut events, _listener) = listen(
        &socket,
        &[
            "open",
            "close",
            "disconnect",
            "reconnecting",
            "undelivered",
            "sessionLost",
            "maxReconnectAttemptsReached",
            "error",
        ],
    );
    socket.send(JsValue::from_str("sent before open")).unwrap();
    let connected = JsFuture::from(socket.connect()).await;
    assert!(connected.is_ok(), "{transport}: connect() resolves on open");
    let mut seen = Vec::new();
    let close = with_timeout(8_000, async {
        while let Some(event) = events.next().await {
            let name = get(&event, "type").as_string().unwrap_or_default();
            seen.push((name.clone(), event.clone()));
            if name == "close" {
                return event;
            }
        }
        panic!("the event stream ended")
    })
    .await;
    let names: Vec<&str> = seen.iter().map(|(n, _)| n.as_str()).collect();
    let Some(close) = close else {
        panic!("{transport}: no close within 8 s; events: {names:?}")
    };
    assert_eq!(
        get(&close, "code").as_f64(),
        Some(1009.0),
        "{transport}: close {:?} {:?}; events: {names:?}",
        get(&close, "code"),
        get(&close, "reason")
    );
    // The same words on every transport (WebTransport's frame decoder would name its own limit,
    // which includes the session header, not `maxMessageBytes`).
    let reason = get(&close, "reason").as_string().unwrap_or_default();
    assert_eq!(reason, "message too big", "{transport}");
    assert_eq!(get(&close, "wasClean").as_bool(), Some(false));
    assert!(
        !names.iter().any(|n| matches!(
            *n,
            "reconnecting" | "disconnect" | "maxReconnectAttemptsReached"
        )),
        "{transport}: ended at once, no reconnect: {names:?}"
    );
    assert_eq!(
        names.iter().filter(|n| **n == "open").count(),
        1,
        "{names:?}"
    );
    assert_eq!(socket.state(), "closed");
    let undelivered: Vec<String> = seen
        .iter()
        .filter(|(n, _)| n == "undelivered")
        .flat_map(|(_, e)| Array::from(&get(e, "messages")).iter().collect::<Vec<_>>())
        .filter_map(|m| m.as_string())
        .collect();
    let expected: &[&str] = match session {
        Session::On => &["sent before open"],
        Session::Off => &[],
    };
    assert_eq!(
        undelivered, expected,
        "{transport}: the unacknowledged message is handed back; events: {names:?}"
    );
    // WebTransport is left out: the session is closed with the refusal's code, but Chromium
    // sometimes tears the connection down before the close reaches the server (the server then
    // sees it lost, and keeps the session for its grace period; seen 1 run in 3), as Firefox
    // does with an application's close (`socket_close_while_ending.rs`).
    if session == Session::On && transport != "webtransport" {
        // The server is told the session is over, so that it does not keep it (and what it
        // holds for it) for a grace period waiting for a resume that will never come. Before,
        // SSE only closed its EventSource, which left the session detached.
        let mut left = (0.0, 0.0);
        for _ in 0..30 {
            let sessions = get(&crate::transport_support::stats().await, "sessions");
            left = (
                get(&sessions, "attached").as_f64().unwrap_or(-1.0),
                get(&sessions, "detached").as_f64().unwrap_or(-1.0),
            );
            if left == (0.0, 0.0) {
                break;
            }
            gloo_timers::future::TimeoutFuture::new(100).await;
        }
        assert_eq!(
            left,
            (0.0, 0.0),
            "{transport}: sessions (attached, detached) the server still keeps after the refusal"
        );
    }
    let mut all = Vec::new();
    for (_, event) in &seen {
        strings(event, &mut all);
    }
    assert!(
        all.iter().all(|s| !s.contains(TOKEN)),
        "{transport}: a string carries the token: {all:?}"
    );
}

#[wasm_bindgen_test]
async fn a_refused_message_in_a_session_ends_the_socket_on_websocket() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    refusal_ends_the_socket("websocket", "ws", "").await;
}

#[wasm_bindgen_test]
async fn a_refused_message_in_a_session_ends_the_socket_on_sse() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    refusal_ends_the_socket("sse", "sse", "").await;
}

#[wasm_bindgen_test]
async fn a_refused_message_in_a_session_ends_the_socket_on_long_polling() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    refusal_ends_the_socket("long-polling", "poll", "").await;
}

/// WebSocketStream where the browser has it (Chromium; elsewhere the classic WebSocket again).
#[wasm_bindgen_test]
async fn a_refused_message_in_a_session_ends_the_socket_on_websocket_stream() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    refusal_ends_the_socket("websocket", "ws", r#","webSocketStream":true"#).await;
}

/// WebTransport: the frame decoder refuses the welcome's frame by its announced length.
#[wasm_bindgen_test]
async fn a_refused_message_in_a_session_ends_the_socket_on_webtransport() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    refusal_ends_the_socket("webtransport", "webtransport", "").await;
}

/// Without a session the refusal is final too: the chat service greets every link with the
/// same too-big `welcome`, and before, the socket reconnected without end (70 opens in 4 s in
/// Firefox; every open reset the attempts, so `maxAttempts` never ran out).
#[wasm_bindgen_test]
async fn a_refused_message_without_a_session_ends_the_socket_on_websocket() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    refusal_ends("websocket", "ws", r#","resume":false"#, Session::Off).await;
}

#[wasm_bindgen_test]
async fn a_refused_message_without_a_session_ends_the_socket_on_webtransport() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    refusal_ends(
        "webtransport",
        "webtransport",
        r#","resume":false"#,
        Session::Off,
    )
    .await;
}

/// A message over `maxMessageBytes` that arrives while the application's own `close(4100,
/// "bye")` is under way (the server ignores the close for 1.5 s, `/control/ignore-close`) is
/// dropped, and the close ends with the application's code — on SSE and long polling as on the
/// other transports (the review's probe before: `close()` resolved `{1009, "message too big"}`
/// there, both browsers).
#[wasm_bindgen_test]
async fn a_message_too_big_during_the_apps_close_keeps_its_code_on_sse_and_long_polling() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    let config = server_config().await;
    for (transport, key) in [("sse", "sse"), ("long-polling", "poll")] {
        let endpoint = get_str(&config, &format!("{key}.chat"));
        let json = format!(
            r#"{{"transports":["{transport}"],"endpoints":{{"{transport}":"{endpoint}"}},
                "maxMessageBytes":400,"heartbeat":false}}"#
        );
        let socket =
            UniversalSocket::new("http://127.0.0.1/chat", js_sys::JSON::parse(&json).unwrap())
                .map_err(JsValue::from)
                .unwrap();
        JsFuture::from(socket.connect())
            .await
            .unwrap_or_else(|e| panic!("{transport}: connect() failed: {e:?}"));
        crate::socket_support::control("ignore-close?ms=1500").await;
        let closing = socket.close(JsValue::from(4100), JsValue::from_str("bye"));
        // Another chat client says something long: the server broadcasts it to the closing
        // socket, whose close it is ignoring.
        let sender = web_sys::WebSocket::new(&get_str(&config, "ws.chat")).unwrap();
        let mut opened = crate::support::Events::new(&sender, &["open"]);
        opened.next("the sender's open", 5_000).await;
        let long = "x".repeat(2_000);
        sender
            .send_with_str(&format!(r#"{{"type":"chat","text":"{long}"}}"#))
            .unwrap();
        let result = JsFuture::from(closing)
            .await
            .unwrap_or_else(|e| panic!("{transport}: close() rejected: {e:?}"));
        let _ = sender.close();
        assert_eq!(
            (
                get(&result, "code").as_f64(),
                get(&result, "reason").as_string()
            ),
            (Some(4100.0), Some("bye".to_owned())),
            "{transport}: the application's close, not the refusal"
        );
        crate::socket_support::control("reset").await;
    }
}
