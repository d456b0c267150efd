//! Bad input throws a JS Error that says what was wrong; a bad frame from the server is an
//! `error` event and the socket stays usable.

use universal_socket::web::js_socket::{decode_message_js, UniversalSocket};
use wasm_bindgen::{JsCast, JsError, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

fn message(error: JsError) -> String {
    let value: JsValue = error.into();
    value
        .dyn_into::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_default()
}

fn options(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

#[wasm_bindgen_test]
fn invalid_urls_are_explained() {
    for (url, needle) in [
        ("not a url", "absolute URL"),
        ("ftp://example.com/x", "scheme"),
        // Not `http:///x`: the URL standard reads it as `http://x/`, as every browser does.
        ("http://", "absolute URL"),
    ] {
        let Err(error) = UniversalSocket::new(url, JsValue::UNDEFINED) else {
            panic!("{url} accepted")
        };
        let text = message(error);
        assert!(text.contains(needle), "{url}: {text}");
    }
}

#[wasm_bindgen_test]
fn invalid_options_are_explained() {
    for (json, needle) in [
        (r#"{"reconect": {}}"#, "unknown option \"reconect\""),
        (
            r#"{"connectTimeoutMs": "5"}"#,
            "connectTimeoutMs must be a number",
        ),
        (
            r#"{"connectTimeoutMs": 1.5}"#,
            "must be a whole number, not 1.5",
        ),
        (
            r#"{"transports": ["carrier-pigeon"]}"#,
            "unknown transport \"carrier-pigeon\"",
        ),
        (r#"{"transports": []}"#, "at least one transport"),
        (r#"{"queue": {"overflow": "maybe"}}"#, "queue.overflow"),
        (r#"{"binaryType": "text"}"#, "binaryType"),
        (
            r#"{"reconnect": {"factor": 0.5}}"#,
            "reconnect.factor must be between 1 and 100, not 0.5",
        ),
        (
            r#"{"heartbeat": 5}"#,
            "heartbeat must be an object or a boolean",
        ),
        (
            r#"{"webtransport": {"serverCertificateHashes": ["abc"]}}"#,
            "64 hexadecimal digits",
        ),
        (r#"[]"#, "options must be an object"),
        (r#""fast""#, "options must be an object"),
        (
            r#"{"reconnect": {"initialDelay": 5}}"#,
            "unknown option \"reconnect.initialDelay\"",
        ),
        (
            r#"{"queue": {"maxMessages": -1}}"#,
            "queue.maxMessages must be between 0 and",
        ),
        (
            r#"{"auth": {"getToken": "abc"}}"#,
            "auth.getToken must be a function",
        ),
    ] {
        let Err(error) = UniversalSocket::new("http://127.0.0.1:1/echo", options(json)) else {
            panic!("{json} accepted")
        };
        let text = message(error);
        assert!(
            text.contains(needle),
            "{json}: {text:?} should mention {needle:?}"
        );
    }
    // And a valid set is accepted.
    UniversalSocket::new(
        "http://127.0.0.1:1/echo",
        options(r#"{"transports":["websocket","sse"],"reconnect":false,"heartbeat":{"intervalMs":1000},"batch":true,"queue":{"overflow":"drop-oldest"}}"#),
    )
    .map_err(message)
    .unwrap();
}

/// The message of the Error `close(code, reason)` rejects with (panics if it resolves).
async fn close_rejection(socket: &UniversalSocket, code: JsValue, reason: JsValue) -> String {
    let Err(error) = wasm_bindgen_futures::JsFuture::from(socket.close(code, reason)).await else {
        panic!("close() resolved")
    };
    error
        .dyn_into::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn invalid_close_codes_and_reasons_are_refused() {
    let socket = UniversalSocket::new("http://127.0.0.1:1/echo", JsValue::UNDEFINED).unwrap();
    for code in [999.0, 1001.0, 2999.0, 5000.0, 1000.5, -1.0, 70000.0] {
        let text = close_rejection(&socket, JsValue::from(code), JsValue::UNDEFINED).await;
        assert!(text.contains("close code"), "{code}: {text}");
    }
    let long = "é".repeat(62); // 124 UTF-8 bytes
    let text = close_rejection(&socket, JsValue::from(1000), JsValue::from_str(&long)).await;
    assert!(text.contains("123"), "{text}");
    let Err(error) = socket.send(JsValue::UNDEFINED) else {
        panic!("send(undefined) accepted")
    };
    assert!(message(error).contains("send()"));
}

#[wasm_bindgen_test]
fn oversized_messages_throw_and_nothing_is_queued() {
    let socket = UniversalSocket::new(
        "http://127.0.0.1:1/echo",
        options(r#"{"maxMessageBytes": 10}"#),
    )
    .unwrap();
    socket.send(JsValue::from_str("0123456789")).unwrap();
    let before = socket.buffered_amount();
    assert_eq!(before, 10.0, "the 10-byte message is queued");
    let Err(error) = socket.send(JsValue::from_str("0123456789A")) else {
        panic!("11 bytes accepted")
    };
    let text = message(error);
    assert!(
        text.contains("11 bytes exceeds the maximum message size of 10"),
        "{text}"
    );
    let Err(error) = socket.send_binary("t", JsValue::from_str("0123456789")) else {
        panic!("big frame accepted")
    };
    assert!(message(error).contains("maximum message size"));
    assert_eq!(socket.buffered_amount(), before, "nothing more was queued");
}

#[wasm_bindgen_test]
fn malformed_frames_throw_in_decode_message() {
    for bytes in [
        vec![],
        vec![0, 0],
        vec![0, 0, 0, 9, b'a'],
        vec![0, 0, 0, 1, b'a', b'{'],
    ] {
        let array = js_sys::Uint8Array::from(bytes.as_slice());
        let Err(error) = decode_message_js(array.into()) else {
            panic!("{bytes:?} decoded")
        };
        assert!(message(error).contains("malformed binary frame"));
    }
    // Data that is not JSON is refused by the browser's JSON.parse, with a message that does not
    // quote the data (V8's would).
    let array = js_sys::Uint8Array::from(&[0u8, 0, 0, 1, b'a', b'{', b's'][..]);
    let Err(error) = decode_message_js(array.into()) else {
        panic!("bad JSON decoded")
    };
    assert_eq!(
        message(error),
        "malformed binary frame: message data is not valid JSON"
    );
}

#[wasm_bindgen_test]
async fn a_malformed_frame_from_the_server_is_an_error_event_and_the_socket_stays_usable() {
    let _server = crate::support::exclusive().await;
    use futures::StreamExt;
    let config = crate::support::server_config().await;
    let ws = crate::support::get_str(&config, "ws.echo");
    let socket_options = options(&format!(
        r#"{{"transports":["websocket"],"endpoints":{{"websocket":"{ws}"}},"decodeBinary":true,"heartbeat":false}}"#
    ));
    let socket = UniversalSocket::new("http://127.0.0.1/echo", socket_options)
        .map_err(message)
        .unwrap();
    let (sender, mut received) = futures::channel::mpsc::unbounded::<JsValue>();
    let listener =
        wasm_bindgen::closure::Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let _ = sender.unbounded_send(event);
        });
    let function: js_sys::Function = listener
        .as_ref()
        .unchecked_ref::<js_sys::Function>()
        .clone();
    socket.on("error", function.clone()).unwrap();
    socket.on("message", function.clone()).unwrap();
    wasm_bindgen_futures::JsFuture::from(socket.connect())
        .await
        .unwrap();
    let get = |event: &JsValue, key: &str| js_sys::Reflect::get(event, &key.into()).unwrap();

    // The echo service sends our bad frame straight back: an `error` event that says why.
    let bad = js_sys::Uint8Array::from(&[0u8, 0, 0, 200, 1, 2][..]);
    socket.send(bad.into()).unwrap();
    let event = received.next().await.unwrap();
    assert_eq!(get(&event, "type").as_string().as_deref(), Some("error"));
    let why = get(&event, "message").as_string().unwrap();
    assert!(why.contains("malformed binary frame"), "{why}");

    // A good frame decodes to { type, data }, and text still flows.
    socket
        .send_binary("chat", options(r#"{"text":"hi"}"#))
        .unwrap();
    let event = received.next().await.unwrap();
    assert_eq!(get(&event, "type").as_string().as_deref(), Some("message"));
    let data = get(&event, "data");
    assert_eq!(get(&data, "type").as_string().as_deref(), Some("chat"));
    assert_eq!(
        get(&get(&data, "data"), "text").as_string().as_deref(),
        Some("hi")
    );
    socket.send(JsValue::from_str("still here")).unwrap();
    let event = received.next().await.unwrap();
    assert_eq!(
        get(&event, "data").as_string().as_deref(),
        Some("still here")
    );

    socket.off("error", function.clone()).unwrap();
    socket.off("message", function).unwrap();
    assert_eq!(socket.listener_count(), 0);
    wasm_bindgen_futures::JsFuture::from(socket.close(JsValue::from(1000), JsValue::UNDEFINED))
        .await
        .unwrap();
    drop(listener);
}

#[wasm_bindgen_test]
async fn an_oversized_message_from_the_server_closes_with_1009() {
    use crate::socket_support::{options_for, wait_for};
    use universal_socket::core::TransportKind;
    use universal_socket::web::socket::{Socket, SocketEvent};
    let _server = crate::support::exclusive().await;
    // The chat service greets with a `welcome` of about 100 bytes: over a 40-byte limit.
    let (url, mut options) = options_for("chat", &[TransportKind::WebSocket]).await;
    options.connection.max_message_size = 40;
    options.connection.backoff.max_attempts = Some(0);
    options.connection.heartbeat = None;
    let socket = Socket::new(&url, options).unwrap();
    let mut events = socket.events();
    socket.connect().await.unwrap();
    let code = wait_for(&mut events, "the 1009 disconnect", 5000, |e| match e {
        SocketEvent::Disconnect { code, .. } => Some(*code),
        SocketEvent::Close(info) => Some(info.code),
        _ => None,
    })
    .await;
    assert_eq!(code, 1009);
}

/// A JS function `(socket) => body` run on `socket` as the JS class.
fn run_js(socket: UniversalSocket, body: &str) -> JsValue {
    let socket: JsValue = socket.into();
    js_sys::Function::new_with_args("s", body)
        .call1(&JsValue::UNDEFINED, &socket)
        .unwrap()
}

/// Values JSON cannot express, and detached buffers (transferred to a worker, or by
/// `structuredClone`/`ArrayBuffer.prototype.transfer`), throw a JS Error that says what was wrong
/// (not a wasm trap, not a browser TypeError from deep inside), and the socket stays usable.
#[wasm_bindgen_test]
fn unsendable_values_and_detached_buffers_throw_clear_errors() {
    let socket = UniversalSocket::new("http://127.0.0.1:1/echo", JsValue::UNDEFINED).unwrap();
    let result = run_js(
        socket,
        r#"
        // A view made first, then its buffer detached (a view cannot be made on a detached one).
        const detachedUnder = (view) => { const b = new ArrayBuffer(8); const v = view(b); structuredClone(b, { transfer: [b] }); return v; };
        const detached = () => detachedUnder((b) => b);
        const attempts = {
            toJSON: () => s.send({ toJSON() {} }),
            toJSONThrows: () => s.send({ toJSON() { throw new Error("nope"); } }),
            bigint: () => s.send({ n: 1n }),
            sendBinaryFunction: () => s.sendBinary("t", () => 1),
            detachedBuffer: () => s.send(detached()),
            detachedView: () => s.send(detachedUnder((b) => new Uint8Array(b, 2, 4))),
            detachedDataView: () => s.send(detachedUnder((b) => new DataView(b))),
            detachedDatagram: () => s.sendDatagram(detached()),
        };
        const out = {};
        for (const [name, attempt] of Object.entries(attempts)) {
            try { attempt(); out[name] = "accepted"; }
            catch (e) {
                const ok = e instanceof Error && !(e instanceof WebAssembly.RuntimeError);
                out[name] = ok ? e.message : "not a plain Error: " + e;
            }
        }
        s.send("still fine");
        out.buffered = s.bufferedAmount;
        return out;
        "#,
    );
    let text = |key: &str| {
        js_sys::Reflect::get(&result, &key.into())
            .unwrap()
            .as_string()
            .unwrap_or_default()
    };
    for (key, needles) in [
        ("toJSON", &["send()", "JSON"][..]),
        ("toJSONThrows", &["send()", "nope"]),
        ("bigint", &["send()", "JSON"]),
        ("sendBinaryFunction", &["sendBinary()", "JSON"]),
        ("detachedBuffer", &["send()", "detached"]),
        ("detachedView", &["send()", "detached"]),
        ("detachedDataView", &["send()", "detached"]),
        ("detachedDatagram", &["sendDatagram()", "detached"]),
    ] {
        let message = text(key);
        for needle in needles {
            assert!(
                message.contains(needle),
                "{key}: {message:?} should mention {needle:?}"
            );
        }
    }
    let buffered = js_sys::Reflect::get(&result, &"buffered".into()).unwrap();
    assert_eq!(
        buffered.as_f64(),
        Some(10.0),
        "only \"still fine\" was queued"
    );
    let decoded = decode_message_js(
        js_sys::Function::new_no_args(
            "const b = new ArrayBuffer(8); structuredClone(b, { transfer: [b] }); return b;",
        )
        .call0(&JsValue::UNDEFINED)
        .unwrap(),
    );
    let Err(error) = decoded else {
        panic!("a detached buffer decoded")
    };
    let text = message(error);
    assert!(
        text.contains("decodeMessage()") && text.contains("detached"),
        "{text}"
    );
}

/// Sizes and counts of 2^32 and more are not truncated to 0 on wasm32 (where usize is 32-bit):
/// they mean "no practical limit".
#[wasm_bindgen_test]
fn huge_option_numbers_are_not_truncated() {
    let socket = UniversalSocket::new(
        "http://127.0.0.1:1/echo",
        options(
            r#"{"queue": {"maxMessages": 4294967296, "maxBytes": 4294967296},
                "maxMessageBytes": 4294967296,
                "batch": {"maxMessages": 4294967296, "maxBytes": 8589934592}}"#,
        ),
    )
    .map_err(message)
    .unwrap();
    socket
        .send(JsValue::from_str("a"))
        .map_err(message)
        .unwrap();
    socket
        .send(JsValue::from_str("b"))
        .map_err(message)
        .unwrap();
    socket.send(options(r#"{"n":1}"#)).map_err(message).unwrap();
    assert!(socket.buffered_amount() >= 2.0);
}

/// No error message echoes a secret: not the options (with a token and a getToken), nor an
/// object passed where a close code belongs.
#[wasm_bindgen_test]
async fn error_messages_never_carry_a_token() {
    let secret = "s3cret-token";
    let make = |bad: &str| {
        js_sys::Function::new_no_args(&format!(
            "return {{ auth: {{ token: \"{secret}\", getToken() {{ return \"{secret}\"; }} }}, {bad} }};"
        ))
        .call0(&JsValue::UNDEFINED)
        .unwrap()
    };
    for (bad, names) in [
        (r#"reconnect: { factor: "fast" }"#, "reconnect.factor"),
        (r#"queue: { maxBytes: -5 }"#, "queue.maxBytes"),
        (r#"endpoints: { websocket: 5 }"#, "endpoints.websocket"),
        (r#"transports: "pigeon""#, "pigeon"),
        (r#"tokens: 1"#, "tokens"),
    ] {
        let Err(error) = UniversalSocket::new("http://127.0.0.1:1/echo", make(bad)) else {
            panic!("{bad} accepted")
        };
        let text = message(error);
        assert!(
            text.contains(names),
            "{bad}: {text:?} should name {names:?}"
        );
        assert!(!text.contains(secret), "{bad}: {text:?} carries the token");
        assert!(
            !text.contains("getToken()"),
            "{bad}: {text:?} carries getToken"
        );
    }
    let socket = UniversalSocket::new("http://127.0.0.1:1/echo", JsValue::UNDEFINED).unwrap();
    let text = close_rejection(&socket, make("code: 1000"), JsValue::UNDEFINED).await;
    assert!(text.contains("close code"), "{text}");
    assert!(!text.contains(secret), "{text:?} carries the token");

    // The options passed where the URL belongs: a clear Error, without the options in it.
    let class = js_sys::Reflect::get(&JsValue::from(socket), &"constructor".into()).unwrap();
    let attempt = js_sys::Function::new_with_args(
        "UniversalSocket, options",
        "try { new UniversalSocket(options); return 'accepted'; } \
         catch (e) { return e instanceof Error && !(e instanceof WebAssembly.RuntimeError) ? e.message : 'not a plain Error: ' + e; }",
    );
    for options in [
        make("transports: [\"websocket\"]"),
        JsValue::from(5),
        JsValue::UNDEFINED,
    ] {
        let text = attempt
            .call2(&JsValue::UNDEFINED, &class, &options)
            .unwrap()
            .as_string()
            .unwrap();
        assert!(text.contains("url"), "{text:?} should name the url");
        assert!(!text.contains(secret), "{text:?} carries the token");
    }
}
