//! The heartbeat as a JS listener sees it: its `pong` is never a `message`. Built from a JS
//! options object, on every path at once, against the reference server (which answers a `ping`
//! text with a raw `pong`, delayed here by its injected latency).

use crate::socket_paths::socket_paths;
use crate::socket_support::{control, ResetFaults};
use js_sys::{Array, Function};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

/// A ping is out when `close()` is called (the server answers 1.5 s late): its pong arrives
/// while the close is under way (a session's close waits for the server's ack of the last
/// message, which the server queues behind the pong) and is the heartbeat's: it is consumed,
/// which sets `rttMs`, and is not a `message`. Before, the close forgot the ping and the pong
/// reached the app as a `message` whose data is `"pong"`. `rttMs` is null when `close()` is
/// called (no pong yet) and set once it resolves (the pong came, during the close), so the
/// test sees the case it is about on every path.
#[wasm_bindgen_test]
async fn a_pong_answering_a_ping_sent_before_close_is_not_a_message() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    control("latency?ms=1500").await;
    let paths = socket_paths();
    let sockets = Array::new();
    for path in &paths {
        // The session's `hello` comes 1.5 s late too: a hello timeout above that, or the first
        // link would be taken for v1 (PROTOCOL.md §7, "Fallback to v1").
        let heartbeat = r#","heartbeat":{"intervalMs":400,"timeoutMs":10000},
            "resume":{"helloTimeoutMs":5000}"#;
        sockets.push(&path.socket("echo", heartbeat).await.into());
    }
    let body = r#"
        return Promise.all(sockets.map(async (s) => {
            const heard = [];
            s.addEventListener("message", (e) => heard.push(String(e.data)));
            await s.connect();
            // The first ping goes out 400 ms after open; its pong comes 1.5 s after that.
            await new Promise((r) => setTimeout(r, 700));
            const rttAtClose = s.stats().rttMs;
            s.send("last");
            const closed = await s.close();
            const rttAfter = s.stats().rttMs !== null ? "rtt measured" : "no rtt";
            return [closed.code, rttAtClose, rttAfter, ...heard].join(" | ");
        }));
    "#;
    let run = Function::new_with_args("sockets", body)
        .call1(&JsValue::UNDEFINED, &sockets)
        .unwrap();
    let results = JsFuture::from(js_sys::Promise::resolve(&run))
        .await
        .unwrap();
    for (path, result) in paths.iter().zip(Array::from(&results).iter()) {
        assert_eq!(
            result.as_string().unwrap_or_default(),
            "1000 |  | rtt measured | last",
            "{}",
            path.name
        );
    }
}
