//! URLs are parsed by the browser's `URL`, through the JS class as users write it: upper-case
//! schemes, fragments, IPv6 literals, default ports and percent-encoding come out as the browser
//! normalises them; user info is refused without ever being quoted; an invalid URL is a JS
//! `Error` that says why.

use js_sys::{Array, Reflect};
use universal_socket::web::js_socket::UniversalSocket;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap()
}

/// The `UniversalSocket` class itself, as JS sees it.
fn class() -> JsValue {
    let probe: JsValue = UniversalSocket::new("http://127.0.0.1:1/probe", JsValue::UNDEFINED)
        .unwrap()
        .into();
    get(&probe, "constructor")
}

/// Runs `body` as an async JS function of `UniversalSocket`, `url` and `options` (a JS object
/// literal given as source); its result, awaited.
async fn run_js(url: &str, options: &str, body: &str) -> JsValue {
    let f = js_sys::Function::new_with_args(
        "UniversalSocket, url",
        &[
            "return (async () => { const options = ",
            options,
            "; ",
            body,
            " })();",
        ]
        .concat(),
    );
    let result = f.call2(&JsValue::UNDEFINED, &class(), &url.into()).unwrap();
    JsFuture::from(js_sys::Promise::resolve(&result))
        .await
        .unwrap()
}

/// `new UniversalSocket(url, options)` in JS: the message of the `Error` it throws, or a
/// description of what happened instead.
async fn construction_error(url: &str, options: &str) -> String {
    run_js(
        url,
        options,
        "try { new UniversalSocket(url, options); return 'accepted'; } \
         catch (e) { return e instanceof Error ? e.message : 'threw a non-Error: ' + String(e); }",
    )
    .await
    .as_string()
    .unwrap()
}

/// Replaces `WebSocket`, `EventSource` and `fetch` with fakes that record the URL they were
/// given and fail, connects a socket to `url` over WebSocket, SSE and long polling, and answers
/// the recorded URLs in order and every text the socket produced (events, the rejection).
const RECORD_URLS: &str = r#"
    const seen = [], texts = [];
    const real = { WebSocket: globalThis.WebSocket, EventSource: globalThis.EventSource, fetch: globalThis.fetch };
    const refuse = (u) => { seen.push(String(u)); throw new DOMException("blocked by the test", "SecurityError"); };
    globalThis.WebSocket = function (u) { refuse(u); };
    globalThis.EventSource = function (u) { refuse(u); };
    globalThis.fetch = (request) => { seen.push(request.url); return Promise.reject(new TypeError("blocked by the test")); };
    try {
        const s = new UniversalSocket(url, Object.assign({
            transports: ["websocket", "sse", "long-polling"], reconnect: false, heartbeat: false, resume: false,
        }, options));
        for (const name of ["fallback", "error", "close"]) s.on(name, (e) => texts.push(JSON.stringify(e)));
        texts.push(await s.connect().then(() => "opened", (e) => "rejected: " + e.message));
        await s.close().catch(() => {});
    } finally {
        Object.assign(globalThis, real);
    }
    return { seen, texts };
"#;

/// What the transports were given for `url` (plus `options`), and the texts the socket produced.
async fn opened_urls(url: &str, options: &str) -> (Vec<String>, Vec<String>) {
    let result = run_js(url, options, RECORD_URLS).await;
    let strings = |key| {
        Array::from(&get(&result, key))
            .iter()
            .map(|v| v.as_string().unwrap())
            .collect::<Vec<_>>()
    };
    (strings("seen"), strings("texts"))
}

#[wasm_bindgen_test]
async fn urls_are_normalised_as_the_browser_does() {
    let _server = crate::support::exclusive().await;
    for (url, options, expected) in [
        // Upper-case scheme and host.
        (
            "WSS://Host.Test/x",
            "{}",
            [
                "wss://host.test/x",
                "https://host.test/sse/x",
                "https://host.test/poll/x",
            ],
        ),
        // The fragment is never part of a transport URL (WebSocket throws on one).
        (
            "ws://h.test/p?room=a#frag",
            "{}",
            [
                "ws://h.test/p?room=a",
                "http://h.test/sse/p?room=a",
                "http://h.test/poll/p?room=a",
            ],
        ),
        // An IPv6 literal keeps its brackets.
        (
            "http://[::1]:8080/echo",
            "{}",
            [
                "ws://[::1]:8080/ws/echo",
                "http://[::1]:8080/sse/echo",
                "http://[::1]:8080/poll/echo",
            ],
        ),
        // Default port dropped, path and query percent-encoded, trailing slash ignored.
        (
            "HTTP://H.test:80/caf\u{e9} room/?q=a b",
            "{}",
            [
                "ws://h.test/ws/caf%C3%A9%20room?q=a%20b",
                "http://h.test/sse/caf%C3%A9%20room?q=a%20b",
                "http://h.test/poll/caf%C3%A9%20room?q=a%20b",
            ],
        ),
        (
            "https://h.test:443/chat",
            "{}",
            [
                "wss://h.test/ws/chat",
                "https://h.test/sse/chat",
                "https://h.test/poll/chat",
            ],
        ),
        // Explicit endpoints are parsed the same way.
        (
            "http://h.test/chat",
            r#"{ endpoints: { websocket: "WS://Other.Test/ws/chat#f", sse: "http://other.test:80/sse/chat" } }"#,
            [
                "ws://other.test/ws/chat",
                "http://other.test/sse/chat",
                "http://h.test/poll/chat",
            ],
        ),
    ] {
        let (seen, texts) = opened_urls(url, options).await;
        assert_eq!(seen, expected, "{url} {options}; texts: {texts:?}");
        assert!(
            texts.last().is_some_and(|t| t.starts_with("rejected: ")),
            "{url}: {texts:?}"
        );
    }
}

#[wasm_bindgen_test]
async fn user_info_is_refused_and_never_quoted() {
    for (url, options, needle) in [
        (
            "ws://user:s3cret@h.test/x",
            "{}",
            "invalid URL \"ws://\u{2026}@h.test/x\"",
        ),
        (
            "https://s3cret@h.test/chat?token=t0ken",
            "{}",
            "user name or password",
        ),
        (
            "http://h.test/chat",
            r#"{ endpoints: { sse: "http://u:s3cret@h.test/sse/x#t0ken" } }"#,
            "endpoints.sse: invalid URL \"http://\u{2026}@h.test/sse/x\"",
        ),
        // Not a URL at all (no host), with credentials and a token: still not quoted.
        ("http://u:s3cret@/x?token=t0ken", "{}", "absolute URL"),
    ] {
        let message = construction_error(url, options).await;
        assert!(message.contains(needle), "{url}: {message}");
        assert!(
            !message.contains("s3cret") && !message.contains("t0ken") && !message.contains("u:"),
            "{url}: {message}"
        );
    }
}

#[wasm_bindgen_test]
async fn invalid_urls_are_js_errors_that_say_why() {
    for (url, needle) in [
        ("", "invalid URL \"\": expected an absolute URL such as http://host:port/service"),
        ("not a url", "absolute URL"),
        // Relative URLs are not resolved against the page: the API takes absolute URLs only.
        ("/chat", "invalid URL \"/chat\": expected an absolute URL"),
        ("//h.test/chat", "absolute URL"),
        ("http://", "absolute URL"),
        ("http://[::1/x", "absolute URL"),
        (
            "ftp://h.test/x",
            "invalid URL \"ftp://h.test/x\": the scheme must be http, https, ws or wss, not \"ftp\"",
        ),
        ("mailto:me@h.test", "not \"mailto\""),
    ] {
        let message = construction_error(url, "undefined").await;
        assert!(message.contains(needle), "{url:?}: {message}");
    }
    // The token in a query never appears in the reason either.
    let message = construction_error("/chat?token=t0ken", "undefined").await;
    assert!(
        message.contains("\"/chat\"") && !message.contains("t0ken"),
        "{message}"
    );
}
