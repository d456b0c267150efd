//! Batching as a JS user meets it, on every path at once against the reference server's echo.

use crate::socket_paths::{run_over_sockets, sockets_on_every_path};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

/// An object that fits `maxMessageBytes` but not a batch of `batch.maxBytes` goes as a message
/// of its own, after the batch sent before it: `send` accepts it while open as it does while
/// not open. Before, it threw "batch item of 48 bytes cannot fit in a batch" once open only.
#[wasm_bindgen_test]
async fn an_object_too_big_for_a_batch_goes_alone_in_its_place() {
    let batch = r#","batch":{"maxBytes":80,"flushIntervalMs":20},"parseJson":true"#;
    let (paths, sockets) = sockets_on_every_path("echo", batch).await;
    let body = r#"return Promise.all(sockets.map(async (s) => {
        await s.connect();
        const got = [];
        s.addEventListener("message", (e) => got.push(e.data.type === "batch"
            ? "batch " + JSON.stringify(e.data.messages) : JSON.stringify(e.data)));
        s.send({ a: 1 });
        let thrown = "accepted";
        try { s.send({ t: "x".repeat(40) }); } catch (e) { thrown = e.message; }
        for (let i = 0; i < 250 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
        await s.close();
        return [thrown, ...got].join(" | ");
    }));"#;
    let results = run_over_sockets(&sockets, &JsValue::UNDEFINED, body).await;
    let big = format!(r#"{{"t":"{}"}}"#, "x".repeat(40));
    let expected = format!(r#"accepted | batch [{{"a":1}}] | {big}"#);
    for (path, result) in paths.iter().zip(&results) {
        assert_eq!(result, &expected, "{}", path.name);
    }
}
