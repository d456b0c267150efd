//! `connect()` called again while the socket connects, is open, or reconnects by itself, as a
//! JS user may (a framework's effect run twice): it joins what is under way. Every path at once.

use crate::socket_paths::socket_paths;
use crate::socket_support::ResetFaults;
use js_sys::{Array, Function};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

/// A second `connect()` while the first is under way resolves with it; one on an open socket
/// resolves at once; one while the socket reconnects after a drop resolves when it is open
/// again. Only one connection is made each time (one `open` event). Before, each rejected with
/// "invalid state: handle_connect called while already connecting or connected".
#[wasm_bindgen_test]
async fn connect_again_joins_what_is_under_way() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    let paths = socket_paths();
    let sockets = Array::new();
    for path in &paths {
        let backoff = r#","reconnect":{"initialDelayMs":200,"jitter":0}"#;
        sockets.push(&path.socket("echo", backoff).await.into());
    }
    let drop_url = format!("{}/control/drop", crate::support::server_base());
    let body = r#"return (async () => {
        const outcome = (p) => p.then(() => "resolved", (e) => "rejected: " + e.message);
        const opens = sockets.map(() => 0);
        sockets.forEach((s, i) => s.addEventListener("open", () => opens[i]++));
        const first = await Promise.all(sockets.map((s) =>
            Promise.all([outcome(s.connect()), outcome(s.connect())])));
        const open = await Promise.all(sockets.map((s) => outcome(s.connect())));
        const dropped = sockets.map((s) => new Promise((r) => s.addEventListener("disconnect", r, { once: true })));
        await fetch(dropUrl, { method: "POST" });
        await Promise.all(dropped);
        const states = sockets.map((s) => s.state);
        const reconnecting = await Promise.all(sockets.map((s) => outcome(s.connect())));
        const after = sockets.map((s) => s.state);
        await Promise.all(sockets.map((s) => s.close()));
        return sockets.map((_, i) => [first[i].join(" "), open[i], states[i], reconnecting[i], after[i], opens[i]].join(" | "));
    })();"#;
    let run = Function::new_with_args("sockets, dropUrl", body)
        .call2(&JsValue::UNDEFINED, &sockets, &drop_url.into())
        .unwrap();
    let results = JsFuture::from(js_sys::Promise::resolve(&run))
        .await
        .unwrap();
    for (path, result) in paths.iter().zip(Array::from(&results).iter()) {
        assert_eq!(
            result.as_string().unwrap_or_default(),
            "resolved resolved | resolved | reconnecting | resolved | open | 2",
            "{}",
            path.name
        );
    }
}
