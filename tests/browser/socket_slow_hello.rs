//! A v2 server on a link slower than the hello timeout, as a JS user meets it: every path at
//! once, the reference server delaying everything it sends by 2.5 s (`/control/latency`), the
//! socket built from JS options with the default `resume.helloTimeoutMs` (1 s).

use crate::socket_paths::{run_over_sockets, sockets_on_every_path};
use crate::socket_support::{control, ResetFaults};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

/// The first link is taken for v1 at the hello timeout (`stats().protocol` 1 at `connect()`);
/// the `hello` that comes later switches the socket to v2 (`protocol` 2), reaches no listener,
/// and a text then echoes as text. Before, the `hello` reached the app as a binary message, and
/// the server closed the link at the client's first text (1002, "text message on a v2 link").
#[wasm_bindgen_test]
async fn a_late_hello_switches_the_socket_to_v2() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    control("latency?ms=2500").await;
    let (paths, sockets) = sockets_on_every_path("echo", "").await;
    let body = r#"
        return Promise.all(sockets.map(async (s) => {
            const heard = [];
            s.addEventListener("message", (e) => heard.push(typeof e.data === "string"
                ? e.data : "binary " + (e.data.byteLength ?? e.data.size)));
            s.addEventListener("disconnect", (e) => heard.push("disconnect " + e.code));
            await s.connect();
            const atOpen = s.stats().protocol;
            // The hello comes 2.5 s after the link opened, 1.5 s after the timeout.
            await new Promise((r) => setTimeout(r, 2000));
            const after = s.stats().protocol;
            s.send("x");
            for (let i = 0; i < 400 && !heard.includes("x"); i++) {
                await new Promise((r) => setTimeout(r, 20));
            }
            await s.close();
            return [atOpen, after, ...heard].join(" | ");
        }));
    "#;
    let results = run_over_sockets(&sockets, &JsValue::UNDEFINED, body).await;
    for (path, result) in paths.iter().zip(&results) {
        assert_eq!(result, "1 | 2 | x", "{}", path.name);
    }
}
