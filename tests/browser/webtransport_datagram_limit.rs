//! WebTransport drops an incoming datagram over `maxMessageBytes` before copying it into wasm,
//! and only that datagram: smaller ones are delivered and the connection stays open. Seen from
//! JS: a socket built from JS options (`maxMessageBytes: 100`) sends datagrams with
//! `sendDatagram()` to the echo service, which echoes each as a datagram; the oversized ones it
//! asks for with `grow:N` (the reference server's fixture), since `maxMessageBytes` bounds what
//! it may send too — which the second test checks.

use crate::socket_paths::socket_paths;
use futures::StreamExt;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

const MAX: usize = 100;

/// A datagram of `len` bytes, each `byte`.
fn datagram(len: usize, byte: u8) -> JsValue {
    datagram_of(&vec![byte; len])
}

fn datagram_of(bytes: &[u8]) -> JsValue {
    Uint8Array::from(bytes).into()
}

#[wasm_bindgen_test]
async fn webtransport_drops_an_oversized_datagram_and_stays_open() {
    let _server = crate::support::exclusive().await;
    let path = socket_paths()[0];
    assert_eq!(path.name, "WebTransport");
    let socket = path
        .socket("echo", &format!(r#","maxMessageBytes":{MAX}"#))
        .await;
    let (mut events, _closure) =
        crate::socket_api::listen(&socket, &["message", "error", "close", "disconnect"]);
    JsFuture::from(socket.connect())
        .await
        .expect("connect() resolves");
    // Datagrams may be lost even on loopback: each round sends three oversized ones (just over
    // the limit and far over it), then a small one, until a small one comes back. The echo of
    // the oversized ones, sent first, has arrived by then (or was lost, which a few rounds make
    // unlikely every time); a delivered one fails the test.
    let mut small_back = 0;
    for round in 0..20u8 {
        for size in [MAX + 1, 600, 1000] {
            let ask = format!("grow:{size}");
            socket.send_datagram(datagram_of(ask.as_bytes())).unwrap();
        }
        socket.send_datagram(datagram(MAX, round)).unwrap();
        let deadline = gloo_timers::future::TimeoutFuture::new(500);
        let mut deadline = std::pin::pin!(deadline);
        loop {
            let event = match futures::future::select(events.next(), &mut deadline).await {
                futures::future::Either::Left((Some(event), _)) => event,
                _ => break,
            };
            let kind = Reflect::get(&event, &"type".into()).unwrap().as_string();
            assert_eq!(kind.as_deref(), Some("message"), "event {event:?}");
            let data = Reflect::get(&event, &"data".into()).unwrap();
            let bytes = Uint8Array::new(&data).to_vec();
            assert!(
                bytes.len() <= MAX,
                "a {}-byte datagram was delivered over maxMessageBytes {MAX}",
                bytes.len()
            );
            assert_eq!(bytes, vec![bytes[0]; MAX], "a small datagram, whole");
            small_back += 1;
        }
        if small_back >= 3 {
            break;
        }
    }
    assert!(
        small_back >= 3,
        "only {small_back} small datagrams came back in 20 rounds"
    );
    // Still open: a stream message echoes, and nothing closed or disconnected it.
    assert_eq!(socket.ready_state(), 1);
    socket.send(JsValue::from_str("still open")).unwrap();
    loop {
        let timeout = gloo_timers::future::TimeoutFuture::new(5_000);
        let event = match futures::future::select(events.next(), timeout).await {
            futures::future::Either::Left((Some(event), _)) => event,
            _ => panic!("no echo of a stream message after the datagrams"),
        };
        let kind = Reflect::get(&event, &"type".into()).unwrap().as_string();
        assert_eq!(kind.as_deref(), Some("message"), "event {event:?}");
        let data = Reflect::get(&event, &"data".into()).unwrap();
        match data.as_string() {
            Some(text) => break assert_eq!(text, "still open"),
            // A late echo of a small datagram.
            None => assert!(Uint8Array::new(&data).length() as usize <= MAX),
        }
    }
    crate::socket_support::close_js(&socket).await;
}

/// `maxMessageBytes` is the largest message sent, datagrams included (README, options): a
/// larger `sendDatagram()` throws a clear error, sends nothing, and the socket stays open.
#[wasm_bindgen_test]
async fn a_datagram_over_max_message_bytes_is_refused_with_a_clear_error() {
    let _server = crate::support::exclusive().await;
    let path = socket_paths()[0];
    let socket = path
        .socket("echo", &format!(r#","maxMessageBytes":{MAX}"#))
        .await;
    JsFuture::from(socket.connect())
        .await
        .expect("connect() resolves");
    let error = socket
        .send_datagram(datagram(MAX + 1, 1))
        .expect_err("a datagram over the limit is refused");
    let message = Reflect::get(&JsValue::from(error), &"message".into())
        .unwrap()
        .as_string()
        .unwrap_or_default();
    assert!(
        message.contains("101 bytes") && message.contains("100"),
        "a clear error: {message}"
    );
    assert_eq!(socket.ready_state(), 1);
    crate::socket_support::close_js(&socket).await;
}
