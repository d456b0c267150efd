//! The JS class end to end: Blob sends keep their place in the order, `binaryType = "blob"`,
//! `stats()`, batching on the wire, and the `queueOverflow` event.

use crate::support::{get_str, server_config};
use futures::channel::mpsc::{unbounded, UnboundedReceiver};
use futures::StreamExt;
use js_sys::{Array, Reflect, Uint8Array};
use universal_socket::web::js_socket::UniversalSocket;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap()
}

/// A WebSocket-only socket to the echo service, with `extra` merged into its options.
async fn echo_socket(extra: &str) -> UniversalSocket {
    let ws = get_str(&server_config().await, "ws.echo");
    let json = format!(
        r#"{{"transports":["websocket"],"endpoints":{{"websocket":"{ws}"}},"heartbeat":false{extra}}}"#
    );
    UniversalSocket::new("http://127.0.0.1/echo", js_sys::JSON::parse(&json).unwrap())
        .map_err(JsValue::from)
        .unwrap()
}

/// Collects the events named `names` into a channel; keep the closure alive while listening.
fn listen(
    socket: &UniversalSocket,
    names: &[&str],
) -> (UnboundedReceiver<JsValue>, Closure<dyn FnMut(JsValue)>) {
    let (sender, receiver) = unbounded();
    let closure = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        let _ = sender.unbounded_send(event);
    });
    for name in names {
        socket
            .on(
                name,
                closure.as_ref().unchecked_ref::<js_sys::Function>().clone(),
            )
            .unwrap();
    }
    (receiver, closure)
}

async fn close(socket: &UniversalSocket) {
    JsFuture::from(
        socket
            .close(JsValue::from(1000), JsValue::UNDEFINED)
            .unwrap(),
    )
    .await
    .unwrap();
}

#[wasm_bindgen_test]
async fn blobs_keep_their_place_and_binary_type_blob_delivers_blobs() {
    let _server = crate::support::exclusive().await;
    let socket = echo_socket("").await;
    let (mut events, _closure) = listen(&socket, &["message"]);
    JsFuture::from(socket.connect()).await.unwrap();
    socket.set_binary_type("blob").unwrap();
    assert_eq!(socket.binary_type(), "blob");
    // A large Blob first: the small one after it finishes reading sooner, yet must not overtake.
    let make_blob = |bytes: &[u8]| {
        web_sys::Blob::new_with_u8_array_sequence(&Array::of1(&Uint8Array::from(bytes))).unwrap()
    };
    let large = vec![1u8; 2 << 20];
    socket.send(make_blob(&large).into()).unwrap();
    socket.send(make_blob(&[7, 8, 9]).into()).unwrap();
    socket.send(JsValue::from_str("after the blobs")).unwrap();
    for expected in [large.as_slice(), &[7, 8, 9]] {
        let data = get(&events.next().await.unwrap(), "data");
        let blob: web_sys::Blob = data.dyn_into().expect("binaryType blob delivers a Blob");
        let bytes = Uint8Array::new(&JsFuture::from(blob.array_buffer()).await.unwrap()).to_vec();
        assert_eq!(
            bytes.len(),
            expected.len(),
            "blobs arrive in the order they were sent"
        );
        assert_eq!(bytes, expected);
    }
    let third = get(&events.next().await.unwrap(), "data");
    assert_eq!(third.as_string().as_deref(), Some("after the blobs"));
    assert!(socket.set_binary_type("text").is_err());

    let stats = socket.stats();
    assert_eq!(get(&stats, "messagesSent").as_f64(), Some(3.0));
    assert_eq!(get(&stats, "messagesReceived").as_f64(), Some(3.0));
    assert_eq!(
        get(&stats, "bytesSent").as_f64(),
        Some((2 << 20) as f64 + 3.0 + 15.0)
    );
    assert!(get(&get(&stats, "timeOnTransportMs"), "websocket")
        .as_f64()
        .is_some());
    close(&socket).await;
}

#[wasm_bindgen_test]
async fn objects_are_batched_on_the_wire_when_asked() {
    let _server = crate::support::exclusive().await;
    let socket =
        echo_socket(r#","batch":{"maxMessages":3,"flushIntervalMs":50},"parseJson":true"#).await;
    let (mut events, _closure) = listen(&socket, &["message"]);
    JsFuture::from(socket.connect()).await.unwrap();
    for n in 0..3 {
        socket
            .send(js_sys::JSON::parse(&format!(r#"{{"n":{n}}}"#)).unwrap())
            .unwrap();
    }
    // The echo service sends the batch back as it received it: one message.
    let batch = get(&events.next().await.unwrap(), "data");
    assert_eq!(get(&batch, "type").as_string().as_deref(), Some("batch"));
    let messages = Array::from(&get(&batch, "messages"));
    assert_eq!(messages.length(), 3);
    assert_eq!(get(&messages.get(2), "n").as_f64(), Some(2.0));
    assert!(
        get(&batch, "timestamp").as_f64().unwrap() > 1.7e12,
        "epoch milliseconds"
    );
    close(&socket).await;
}

#[wasm_bindgen_test]
async fn a_full_queue_drops_the_oldest_and_says_so() {
    let _server = crate::support::exclusive().await;
    let socket = echo_socket(r#","queue":{"maxMessages":2,"overflow":"drop-oldest"}"#).await;
    let (mut events, _closure) = listen(&socket, &["queueOverflow", "message"]);
    // Not connected yet: everything is queued.
    for text in ["one", "two", "three"] {
        socket.send(JsValue::from_str(text)).unwrap();
    }
    let overflow = events.next().await.unwrap();
    assert_eq!(
        get(&overflow, "type").as_string().as_deref(),
        Some("queueOverflow")
    );
    assert_eq!(get(&overflow, "dropped").as_f64(), Some(1.0));
    JsFuture::from(socket.connect()).await.unwrap();
    let a = get(&events.next().await.unwrap(), "data").as_string();
    let b = get(&events.next().await.unwrap(), "data").as_string();
    assert_eq!((a.as_deref(), b.as_deref()), (Some("two"), Some("three")));

    // With "reject", the overflowing send throws and the queue keeps what it had.
    let strict = echo_socket(r#","queue":{"maxMessages":1,"overflow":"reject"}"#).await;
    strict.send(JsValue::from_str("kept")).unwrap();
    let error = strict
        .send(JsValue::from_str("refused"))
        .expect_err("the queue is full");
    let message = JsValue::from(error)
        .dyn_into::<js_sys::Error>()
        .unwrap()
        .message();
    assert!(
        String::from(message).contains("full"),
        "error says the queue is full"
    );
    close(&socket).await;
}

#[wasm_bindgen_test]
async fn websocket_style_handlers_and_getters() {
    let _server = crate::support::exclusive().await;
    let ws = get_str(&server_config().await, "ws.chat");
    let json = format!(
        r#"{{"transports":["websocket"],"endpoints":{{"websocket":"{ws}"}},"protocols":["chat","json"],"heartbeat":false,"parseJson":true}}"#
    );
    let socket =
        UniversalSocket::new("http://127.0.0.1/chat", js_sys::JSON::parse(&json).unwrap()).unwrap();
    assert_eq!(socket.url(), "http://127.0.0.1/chat");
    assert_eq!(socket.ready_state(), 0);
    assert_eq!(socket.state(), "connecting");
    assert!(socket.transport().is_null());

    let (sender, mut received) = unbounded::<(String, JsValue)>();
    let make = |name: &'static str| {
        let sender = sender.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let _ = sender.unbounded_send((name.to_owned(), event));
        })
    };
    let (on_open, on_message, on_close) = (make("onopen"), make("onmessage"), make("onclose"));
    socket.set_onopen(on_open.as_ref().clone()).unwrap();
    socket.set_onmessage(on_message.as_ref().clone()).unwrap();
    socket.set_onclose(on_close.as_ref().clone()).unwrap();
    assert!(
        socket.set_onerror(JsValue::from(5)).is_err(),
        "a handler must be a function or null"
    );
    assert_eq!(socket.listener_count(), 3);

    JsFuture::from(socket.connect()).await.unwrap();
    let (name, event) = received.next().await.unwrap();
    assert_eq!(
        (
            name.as_str(),
            get(&event, "transport").as_string().as_deref()
        ),
        ("onopen", Some("websocket"))
    );
    let (name, event) = received.next().await.unwrap();
    assert_eq!(name, "onmessage");
    assert_eq!(
        get(&get(&event, "data"), "type").as_string().as_deref(),
        Some("welcome")
    );
    assert_eq!(socket.ready_state(), 1);
    assert_eq!(socket.state(), "open");
    assert_eq!(socket.transport().as_string().as_deref(), Some("websocket"));
    assert_eq!(
        socket.protocol(),
        "chat",
        "the server picked the first offered subprotocol"
    );

    close(&socket).await;
    let (name, event) = received.next().await.unwrap();
    assert_eq!(
        (name.as_str(), get(&event, "code").as_f64()),
        ("onclose", Some(1000.0))
    );
    assert_eq!(socket.ready_state(), 3);
    socket.set_onopen(JsValue::NULL).unwrap();
    assert!(socket.onopen().is_null());
}

#[wasm_bindgen_test]
fn encode_message_matches_the_guides_byte_layout() {
    use universal_socket::web::js_socket::{decode_message_js, encode_message_js};
    let data = js_sys::JSON::parse(r#"{"text":"Hello Binary!"}"#).unwrap();
    let bytes = encode_message_js("chat", data).unwrap().to_vec();
    let json = br#"{"text":"Hello Binary!"}"#;
    let mut expected = vec![0, 0, 0, 4];
    expected.extend_from_slice(b"chat");
    expected.extend_from_slice(json);
    assert_eq!(bytes, expected);
    let decoded = decode_message_js(Uint8Array::from(bytes.as_slice()).into()).unwrap();
    assert_eq!(get(&decoded, "type").as_string().as_deref(), Some("chat"));
    assert_eq!(
        get(&get(&decoded, "data"), "text").as_string().as_deref(),
        Some("Hello Binary!")
    );
}
