//! `close()` called from a listener, while the socket has more events queued: what the close
//! cancels is not announced after it. Built from JS options, on every path at once, with the
//! reference server dropping every connection (`/control/drop`).

use crate::socket_paths::socket_paths;
use crate::socket_support::{control, ResetFaults};
use js_sys::{Array, Function};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

/// A socket per path sees the server drop it and closes from its `disconnect` listener:
/// `close` follows, with no `reconnecting` in between (before, `reconnecting` came after the
/// `close()`, with `readyState` already CLOSED). Every event name after the drop is listed,
/// with `readyState` when it was heard.
#[wasm_bindgen_test]
async fn close_from_a_listener_is_not_followed_by_what_it_cancelled() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    let paths = socket_paths();
    let sockets = Array::new();
    for path in &paths {
        let backoff = r#","reconnect":{"initialDelayMs":100,"jitter":0}"#;
        sockets.push(&path.socket("echo", backoff).await.into());
    }
    let body = r#"return (async () => {
        await Promise.all(sockets.map((s) => s.connect()));
        const names = ["open", "disconnect", "reconnecting", "reconnected", "fallback", "upgrade", "close"];
        const runs = sockets.map((s) => new Promise((done) => {
            const heard = [];
            for (const name of names) s.addEventListener(name, () => {
                heard.push(name + " " + s.readyState);
                if (name === "close") done(heard.join(", "));
            });
            s.addEventListener("disconnect", () => s.close(1000, "from disconnect"));
            setTimeout(() => done("timed out: " + heard.join(", ")), 8000);
        }));
        await control();
        return Promise.all(runs);
    })();"#;
    let control_url = format!("{}/control/drop", crate::support::server_base());
    let post = Function::new_with_args(
        "url",
        "return () => fetch(url, { method: 'POST' }).then((r) => r.text());",
    )
    .call1(&JsValue::UNDEFINED, &control_url.into())
    .unwrap();
    let run = Function::new_with_args("sockets, control", body)
        .call2(&JsValue::UNDEFINED, &sockets, &post)
        .unwrap();
    let results = JsFuture::from(js_sys::Promise::resolve(&run))
        .await
        .unwrap();
    let results: Vec<String> = Array::from(&results)
        .iter()
        .map(|r| r.as_string().unwrap_or_default())
        .collect();
    for (path, result) in paths.iter().zip(&results) {
        assert_eq!(result, "disconnect 0, close 3", "{}", path.name);
    }
    control("reset").await;
}
