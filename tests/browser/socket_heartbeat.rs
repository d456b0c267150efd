//! The heartbeat as a JS listener sees it: its `pong` is never a `message`. Built from a JS
//! options object, on every path at once, against the reference server (which answers a `ping`
//! text with a raw `pong`, delayed here by its injected latency).

use crate::socket_paths::socket_paths;
use crate::socket_support::{control, ResetFaults};
use js_sys::{Array, Function};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

/// A ping is out when `close()` is called (the server answers 300 ms late): its pong, which
/// arrives while the close is under way, is the heartbeat's and is consumed. Before, the close
/// forgot the ping and the pong reached the app as a `message` whose data is `"pong"` (on
/// every path where the link outlives the pong: a session's close waits for its acks).
#[wasm_bindgen_test]
async fn a_pong_answering_a_ping_sent_before_close_is_not_a_message() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    control("latency?ms=300").await;
    let paths = socket_paths();
    let sockets = Array::new();
    for path in &paths {
        let heartbeat = r#","heartbeat":{"intervalMs":400,"timeoutMs":5000}"#;
        sockets.push(&path.socket("echo", heartbeat).await.into());
    }
    let body = r#"
        return Promise.all(sockets.map(async (s) => {
            const heard = [];
            s.addEventListener("message", (e) => heard.push(String(e.data)));
            await s.connect();
            // The first ping goes out 400 ms after open; its pong comes 300 ms after that.
            await new Promise((r) => setTimeout(r, 550));
            s.send("last");
            const closed = await s.close();
            return [closed.code, ...heard].join(" | ");
        }));
    "#;
    let run = Function::new_with_args("sockets", body)
        .call1(&JsValue::UNDEFINED, &sockets)
        .unwrap();
    let results = JsFuture::from(js_sys::Promise::resolve(&run))
        .await
        .unwrap();
    for (path, result) in paths.iter().zip(Array::from(&results).iter()) {
        let result = result.as_string().unwrap_or_default();
        assert!(
            !result.contains("pong"),
            "{}: the pong was delivered: {result}",
            path.name
        );
        assert!(result.starts_with("1000"), "{}: {result}", path.name);
    }
}
