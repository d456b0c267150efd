//! `connect()` called again while the socket connects, is open, or reconnects by itself, as a
//! JS user may (a framework's effect run twice): it joins what is under way. Every path at once.

use crate::socket_paths::{run_over_sockets, socket_paths};
use crate::socket_support::ResetFaults;
use js_sys::Array;
use wasm_bindgen_test::wasm_bindgen_test;

/// A second `connect()` while the first is under way resolves with it; one on an open socket
/// resolves at once; one made (in the `disconnect` listener) while the socket reconnects after
/// a drop resolves when it is open again, and one made then on a socket that is closed before it
/// reopens rejects with the close. Only one connection is made each time (one `open` event per
/// open). Before, each rejected with "invalid state: handle_connect called while already
/// connecting or connected".
#[wasm_bindgen_test]
async fn connect_again_joins_what_is_under_way() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    let paths = socket_paths();
    let sockets = Array::new();
    for path in &paths {
        let backoff = r#","reconnect":{"initialDelayMs":200,"jitter":0}"#;
        sockets.push(&path.socket("echo", backoff).await.into());
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
        // In each socket's own `disconnect` listener: its state then, and a connect() that
        // joins the reconnect; every second socket is closed right after.
        const rejoined = sockets.map((s, i) => new Promise((r) => s.addEventListener("disconnect", () => {
            const state = s.state;
            const joined = outcome(s.connect());
            if (i % 2 === 1) s.close(1000, "stop");
            joined.then((o) => r([state, o, s.state].join(" | ")));
        }, { once: true })));
        await fetch(extra, { method: "POST" });
        const reconnecting = await Promise.all(rejoined);
        await Promise.all(sockets.map((s) => s.close()));
        return sockets.map((_, i) => [first[i].join(" "), open[i], reconnecting[i], opens[i]].join(" | "));
    })();"#;
    let results = run_over_sockets(&sockets, &drop_url.into(), body).await;
    for (path, pair) in paths.iter().zip(results.chunks(2)) {
        assert_eq!(
            pair[0], "resolved resolved | resolved | reconnecting | resolved | open | 2",
            "{}: reopened",
            path.name
        );
        assert_eq!(
            pair[1],
            "resolved resolved | resolved | reconnecting | rejected: the socket closed before the \
             operation completed | closed | 1",
            "{}: closed while reconnecting",
            path.name
        );
    }
}
