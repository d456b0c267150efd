//! `close()` called from a listener, while the socket has more events queued: what the close
//! cancels is not announced after it. Built from JS options, on every path at once, with the
//! reference server dropping every connection (`/control/drop`).

use crate::socket_paths::{run_over_sockets, sockets_on_every_path};
use crate::socket_support::{control, ResetFaults};
use wasm_bindgen_test::wasm_bindgen_test;

/// A socket per path sees the server drop it and closes from its `disconnect` listener:
/// `close` follows, with no `reconnecting` in between (before, `reconnecting` came after the
/// `close()`, with `readyState` already CLOSED). Every event name after the drop is listed,
/// with `readyState` when it was heard.
#[wasm_bindgen_test]
async fn close_from_a_listener_is_not_followed_by_what_it_cancelled() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    let backoff = r#","reconnect":{"initialDelayMs":100,"jitter":0}"#;
    let (paths, sockets) = sockets_on_every_path("echo", backoff).await;
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
        await fetch(extra, { method: "POST" });
        return Promise.all(runs);
    })();"#;
    let control_url = format!("{}/control/drop", crate::support::server_base());
    let results = run_over_sockets(&sockets, &control_url.into(), body).await;
    for (path, result) in paths.iter().zip(&results) {
        assert_eq!(result, "disconnect 0, close 3", "{}", path.name);
    }
    control("reset").await;
}
