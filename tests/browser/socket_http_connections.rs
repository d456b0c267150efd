//! SSE and long polling must not hold the browser's HTTP connections longer than they need
//! them: browsers open at most six HTTP/1.1 connections to one server, so six requests a server
//! keeps open stall every later request of the page to it, and a new socket cannot even
//! connect. Each test builds its sockets from JS options, as an application does.
//!
//! When SSE or long polling gives a link up, it tells the server so with one last request (the
//! session's `DELETE`, or `POST …/close` with the code): nothing else would end the session on
//! the server before it expires. A server that never answers that request
//! (`/control/ignore-close`) must not keep it forever. Nor may the answer to an upstream POST,
//! once its status is known, keep its connection while its body downloads
//! (`/control/slow-post-answers`).

use crate::socket_api::listen;
use crate::socket_support::{control, with_timeout, ResetFaults};
use crate::support::{get_str, server_config};
use futures::channel::mpsc::UnboundedReceiver;
use futures::StreamExt;
use js_sys::Reflect;
use universal_socket::web::js_socket::UniversalSocket;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

/// One more round than the browser has connections to a server.
const ROUNDS: usize = 7;

/// How long a round's `connect()` may take (and, as `connectTimeoutMs`, its one transport):
/// when the earlier rounds' requests hold every connection, the next waits for the oldest,
/// which the SDK aborts after 3 s.
const CONNECT_MS: u32 = 8_000;

/// A socket on `transport` to the reference server's `service`, with `extra` options.
async fn socket(transport: &str, key: &str, service: &str, extra: &str) -> UniversalSocket {
    let config = server_config().await;
    let endpoint = get_str(&config, &format!("{key}.{service}"));
    let json = format!(
        r#"{{"transports":["{transport}"],"endpoints":{{"{transport}":"{endpoint}"}},
            "heartbeat":false,"reconnect":false,"connectTimeoutMs":{CONNECT_MS}{extra}}}"#
    );
    UniversalSocket::new(
        &format!("http://127.0.0.1/{service}"),
        js_sys::JSON::parse(&json).unwrap(),
    )
    .map_err(JsValue::from)
    .unwrap()
}

/// `socket.connect()` within [`CONNECT_MS`], or a failure naming the round.
async fn connect(socket: &UniversalSocket, what: &str, round: usize) {
    match with_timeout(CONNECT_MS, JsFuture::from(socket.connect())).await {
        Some(Ok(_)) => {}
        Some(Err(e)) => panic!("{what}, round {round}: connect() rejected: {e:?}"),
        None => panic!(
            "{what}, round {round}: connect() not done within {CONNECT_MS} ms: the earlier \
             rounds' unanswered requests hold the browser's connections to the server"
        ),
    }
}

/// Field `key` of the next event within [`CONNECT_MS`] (`undefined` if none came).
async fn next_field(events: &mut UnboundedReceiver<JsValue>, key: &str) -> JsValue {
    with_timeout(CONNECT_MS, events.next())
        .await
        .flatten()
        .and_then(|event| Reflect::get(&event, &key.into()).ok())
        .unwrap_or(JsValue::UNDEFINED)
}

/// Clears the faults, and drops the sessions whose close the server is still holding (it
/// would count them as live until it wakes up and ends them), so later tests start clean.
async fn end_faults() {
    control("reset").await;
    control("drop").await;
}

/// Long polling: a socket freed while open (`socket.free()`, or a dropped Rust value) tells the
/// server with `DELETE`. Seven sockets opened and freed in turn all connect.
#[wasm_bindgen_test]
async fn long_polling_sockets_freed_while_the_server_ignores_their_delete_do_not_stall_the_next() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    control("ignore-close?ms=20000").await;
    for round in 1..=ROUNDS {
        let socket = socket("long-polling", "poll", "echo", "").await;
        connect(&socket, "long polling, freed", round).await;
        drop(socket);
    }
    end_faults().await;
}

/// SSE and long polling: a message over `maxMessageBytes` (the chat service's `welcome`, about
/// 100 bytes, over 40) ends the socket with 1009 and tells the server with `POST …/close`. Seven
/// sockets refusing in turn all connect and close with 1009.
#[wasm_bindgen_test]
async fn sockets_refusing_while_the_server_ignores_their_close_do_not_stall_the_next() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    for (transport, key) in [("sse", "sse"), ("long-polling", "poll")] {
        control("ignore-close?ms=20000").await;
        for round in 1..=ROUNDS {
            let socket = socket(transport, key, "chat", r#","maxMessageBytes":40"#).await;
            let (mut events, _listener) = listen(&socket, &["close"]);
            connect(&socket, transport, round).await;
            let code = next_field(&mut events, "code").await;
            assert_eq!(
                code.as_f64(),
                Some(1009.0),
                "{transport}, round {round}: the refusal"
            );
        }
        end_faults().await;
    }
}

/// SSE and long polling: upstream POSTs answered `200` with a body that streams slowly for about
/// 13 s (`/control/slow-post-answers`). The client needs only the status: twelve messages sent
/// one at a time (each after the last one's echo, so each is a POST of its own) are all echoed,
/// and the server saw every body cancelled.
#[wasm_bindgen_test]
async fn post_answers_whose_body_never_ends_do_not_stall_the_next_post() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    for (transport, key) in [("sse", "sse"), ("long-polling", "poll")] {
        let socket = socket(transport, key, "echo", "").await;
        let (mut messages, _listener) = listen(&socket, &["message"]);
        connect(&socket, transport, 1).await;
        control("slow-post-answers?ms=30000").await;
        for n in 1..=12 {
            let text = format!("{transport} #{n}");
            socket.send(JsValue::from_str(&text)).unwrap();
            let data = next_field(&mut messages, "data").await.as_string();
            assert_eq!(
                data.as_deref(),
                Some(text.as_str()),
                "{transport}: echo of message {n} within {CONNECT_MS} ms (the slow answers of the \
                 POSTs before hold the browser's connections)"
            );
        }
        // Each answer's download is cancelled once its status is read, not left to run.
        let mut slow = Vec::new();
        for _ in 0..60 {
            slow = crate::slow_bodies::bodies().await;
            slow.retain(|b| b.fixture == "slow-post-answer");
            if slow.iter().all(|b| b.state != "streaming") {
                break;
            }
            gloo_timers::future::TimeoutFuture::new(50).await;
        }
        assert!(
            slow.len() >= 12,
            "{transport}: a slow answer per POST: {slow:?}"
        );
        assert!(
            slow.iter()
                .all(|b| b.state == "cancelled" && b.sent < b.total / 2.0),
            "{transport}: every slow answer cancelled early: {slow:?}"
        );
        crate::socket_support::close_js(&socket).await;
        end_faults().await;
    }
}

/// A browser without `AbortSignal.timeout` (before Firefox 100, Chromium 103, Safari 16): the
/// request that tells the server a link was abandoned goes without a bound, and a refusal still
/// ends the socket with 1009 on SSE and long polling. Failed before: the TypeError was thrown
/// through wasm, the refusal never closed the socket.
#[wasm_bindgen_test]
async fn a_browser_without_abort_signal_timeout_still_ends_a_refusal() {
    let _server = crate::support::exclusive().await;
    let global = js_sys::global();
    let abort_signal = Reflect::get(&global, &"AbortSignal".into()).unwrap();
    let timeout = Reflect::get(&abort_signal, &"timeout".into()).unwrap();
    Reflect::delete_property(
        abort_signal.unchecked_ref::<js_sys::Object>(),
        &"timeout".into(),
    )
    .unwrap();
    let mut codes = Vec::new();
    for (transport, key) in [("sse", "sse"), ("long-polling", "poll")] {
        let socket = socket(transport, key, "chat", r#","maxMessageBytes":40"#).await;
        let (mut events, _listener) = listen(&socket, &["close"]);
        let connected = with_timeout(CONNECT_MS, JsFuture::from(socket.connect())).await;
        let code = match connected {
            Some(Ok(_)) => next_field(&mut events, "code").await.as_f64(),
            _ => None,
        };
        codes.push((transport, code));
    }
    Reflect::set(&abort_signal, &"timeout".into(), &timeout).unwrap();
    assert_eq!(
        codes,
        [("sse", Some(1009.0)), ("long-polling", Some(1009.0))],
        "each socket refused the welcome and closed"
    );
}
