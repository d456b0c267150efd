//! `close()` in the window where WebTransport has announced its end (`Ending`: the server ended
//! the bidirectional stream without a close frame, and the session's `closed` is still pending)
//! is the application's close, not a no-op: the session is closed with the application's code
//! and reason, the close completes at once with them (not at the core's 3 s give-up, as the
//! stream's 1006), the server sees that code (Chromium passes it on; never the 0 of a session
//! dropped without one), and what waited in the queue meanwhile is handed back. The reference server's
//! `/control/wt-end-streams` opens that window and keeps it open. Built from a JS options object.

use crate::socket_api::listen;
use crate::socket_support::{control, server_closes, with_timeout, ResetFaults};
use crate::support::{get_str, server_config};
use futures::StreamExt;
use js_sys::{Array, Reflect};
use universal_socket::web::js_socket::UniversalSocket;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn now() -> f64 {
    js_sys::Date::now()
}

async fn close_while_webtransport_ends(extra: &str) {
    control("reset").await;
    let config = server_config().await;
    let endpoint = get_str(&config, "webtransport.echo");
    let hash = get_str(&config, "certificateSha256");
    let json = format!(
        r#"{{"transports":["webtransport"],"endpoints":{{"webtransport":"{endpoint}"}},
            "webtransport":{{"serverCertificateHashes":["{hash}"]}},"heartbeat":false{extra}}}"#
    );
    let socket = UniversalSocket::new("http://127.0.0.1/echo", js_sys::JSON::parse(&json).unwrap())
        .map_err(JsValue::from)
        .unwrap();
    let (mut events, _listener) = listen(
        &socket,
        &[
            "close",
            "disconnect",
            "reconnecting",
            "undelivered",
            "error",
        ],
    );
    JsFuture::from(socket.connect()).await.unwrap();
    control("wt-end-streams").await;
    // The stream's end reaches the adapter within a few ms; the session stays open.
    gloo_timers::future::TimeoutFuture::new(300).await;
    assert_eq!(socket.state(), "open", "{extra}: the window is open");
    socket
        .send(JsValue::from_str("sent in the window"))
        .unwrap();
    let started = now();
    let closing = socket.close(JsValue::from(4100), JsValue::from_str("bye"));
    let result = with_timeout(5_000, JsFuture::from(closing))
        .await
        .unwrap_or_else(|| panic!("{extra}: close() never resolved"))
        .unwrap();
    let took = now() - started;
    let mut seen = Vec::new();
    while let Some(Some(event)) = with_timeout(100, events.next()).await {
        seen.push(event);
    }
    let names: Vec<String> = seen
        .iter()
        .map(|e| {
            format!(
                "{}:{:?}:{:?}",
                get(e, "type").as_string().unwrap_or_default(),
                get(e, "code").as_f64(),
                get(e, "reason").as_string()
            )
        })
        .collect();
    assert_eq!(
        (
            get(&result, "code").as_f64(),
            get(&result, "reason").as_string()
        ),
        (Some(4100.0), Some("bye".to_owned())),
        "{extra}: close() resolved after {took:.0} ms; events: {names:?}"
    );
    assert!(
        took < 1_500.0,
        "{extra}: the close waited {took:.0} ms, as for a transport given up on"
    );
    let closes: Vec<&JsValue> = seen
        .iter()
        .filter(|e| get(e, "type").as_string().as_deref() == Some("close"))
        .collect();
    assert_eq!(closes.len(), 1, "{extra}: {names:?}");
    assert_eq!(get(closes[0], "code").as_f64(), Some(4100.0), "{names:?}");
    assert_eq!(get(closes[0], "reason").as_string().as_deref(), Some("bye"));
    assert!(
        !seen.iter().any(|e| matches!(
            get(e, "type").as_string().as_deref(),
            Some("disconnect" | "reconnecting")
        )),
        "{extra}: {names:?}"
    );
    let undelivered: Vec<String> = seen
        .iter()
        .filter(|e| get(e, "type").as_string().as_deref() == Some("undelivered"))
        .flat_map(|e| Array::from(&get(e, "messages")).iter().collect::<Vec<_>>())
        .filter_map(|m| m.as_string())
        .collect();
    assert_eq!(
        undelivered,
        vec!["sent in the window".to_owned()],
        "{extra}: {names:?}"
    );
    assert_eq!(socket.state(), "closed");
    // The server saw the session closed with the application's code, not without one (0).
    let mut recorded = Vec::new();
    for _ in 0..20 {
        recorded = server_closes()
            .await
            .into_iter()
            .filter(|(transport, _, _)| transport == "webtransport")
            .collect();
        if !recorded.is_empty() {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(100).await;
    }
    let applications = ("webtransport".to_owned(), 4100, "bye".to_owned());
    if crate::support::is_firefox() {
        // Firefox sometimes closes the session's HTTP/3 connection without passing the code on:
        // the reference server then sees H3_NO_ERROR (0x100) — seen in both ways on this
        // machine. Either is the session closed by the application's `close()`; before the fix
        // it was dropped with code 0.
        assert_eq!(recorded.len(), 1, "{extra}: {recorded:?}");
        assert!(
            recorded[0] == applications || recorded[0].1 == 0x100,
            "{extra}: {recorded:?}"
        );
    } else {
        assert_eq!(recorded, vec![applications], "{extra}");
    }
}

#[wasm_bindgen_test]
async fn close_while_webtransport_announces_its_end_is_the_applications_close() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    close_while_webtransport_ends("").await;
    close_while_webtransport_ends(r#","resume":false"#).await;
}
