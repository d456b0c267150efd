//! Binary messages of the HTTP transports arrive as base64 (PROTOCOL.md §4.2–4.3) and are decoded
//! by the browser: `Uint8Array.fromBase64` where present, else `atob`. Both paths, against a
//! scripted `fetch` (long polling), so bad input can be served: invalid base64 closes with 1002.

use crate::transport_sse::{expect_opened, next, open_url};
use universal_socket::core::{Payload, TransportKind};
use universal_socket::web::transport::TransportEvent;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

/// Replaces `fetch` with one that answers the long-polling open, then one poll with three binary
/// items (padded, unpadded, not base64), then never (until aborted). With `without_from_base64`,
/// `Uint8Array.fromBase64` is hidden too. Returns `restore()`. Only the test's own host
/// (`h.test`) is scripted: a request of an earlier test that lands meanwhile (a fault reset
/// spawned at its end, a link's goodbye) goes to the real `fetch`, neither taking an answer
/// meant for this test nor failing because a failed test could not restore `fetch`.
const SCRIPTED_FETCH: &str = r#"
    const real = { fetch: globalThis.fetch, fromBase64: Uint8Array.fromBase64 };
    const answers = [
        '{"session":"0123456789abcdef0123456789abcdef"}',
        '[{"binary":"AAEC/w=="},{"binary":"SGk"},{"binary":"*not base64*"}]',
    ];
    globalThis.fetch = (request, init) => {
        const url = typeof request === "string" ? request : request.url;
        if (!String(url).startsWith("http://h.test/")) return real.fetch.call(globalThis, request, init);
        const body = answers.shift();
        if (body !== undefined) return Promise.resolve(new Response(body));
        return new Promise((_, reject) => request.signal.addEventListener("abort",
            () => reject(new DOMException("aborted", "AbortError"))));
    };
    if (withoutFromBase64) delete Uint8Array.fromBase64;
    return () => {
        globalThis.fetch = real.fetch;
        if (real.fromBase64) Uint8Array.fromBase64 = real.fromBase64;
    };
"#;

async fn decodes_and_refuses_bad_base64(without_from_base64: bool) {
    let _server = crate::support::exclusive().await;
    let restore: js_sys::Function =
        js_sys::Function::new_with_args("withoutFromBase64", SCRIPTED_FETCH)
            .call1(&JsValue::UNDEFINED, &without_from_base64.into())
            .unwrap()
            .into();
    let (adapter, mut events) = open_url(
        TransportKind::LongPolling,
        "http://h.test/poll/echo".into(),
        1 << 20,
    );
    expect_opened(&mut events).await;
    let mut got = Vec::new();
    for what in ["[0, 1, 2, 255]", "\"Hi\"", "Closed 1002"] {
        got.push(next(&mut events, what, 5000).await);
    }
    drop(adapter);
    restore.call0(&JsValue::UNDEFINED).unwrap();
    assert_eq!(
        got,
        [
            TransportEvent::Message(Payload::Binary(vec![0, 1, 2, 255])),
            TransportEvent::Message(Payload::Binary(b"Hi".to_vec())),
            TransportEvent::Closed {
                code: 1002,
                reason: "a binary message is not valid base64".into(),
                was_clean: false,
            },
        ],
        "without Uint8Array.fromBase64: {without_from_base64}"
    );
}

#[wasm_bindgen_test]
async fn transport_base64_decoded_by_from_base64() {
    decodes_and_refuses_bad_base64(false).await;
}

#[wasm_bindgen_test]
async fn transport_base64_decoded_by_atob() {
    decodes_and_refuses_bad_base64(true).await;
}
