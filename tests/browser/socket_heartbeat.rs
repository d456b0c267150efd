//! The heartbeat as a JS listener sees it: its `pong` is never a `message`. Built from a JS
//! options object, on every path at once, against the reference server (which answers a `ping`
//! text with a raw `pong`, delayed here by its injected latency).

use crate::socket_paths::{run_over_sockets, sockets_on_every_path};
use crate::socket_support::{control, ResetFaults};
use wasm_bindgen::JsValue;
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
    // The session's `hello` comes 1.5 s late too: a hello timeout above that, or the first
    // link would be taken for v1 (PROTOCOL.md §7, "Fallback to v1").
    let heartbeat = r#","heartbeat":{"intervalMs":400,"timeoutMs":10000},
        "resume":{"helloTimeoutMs":5000}"#;
    let (paths, sockets) = sockets_on_every_path("echo", heartbeat).await;
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
    let results = run_over_sockets(&sockets, &JsValue::UNDEFINED, body).await;
    for (path, result) in paths.iter().zip(&results) {
        assert_eq!(result, "1000 |  | rtt measured | last", "{}", path.name);
    }
}
