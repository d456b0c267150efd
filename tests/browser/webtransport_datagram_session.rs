//! WebTransport datagrams over the default options (a resumable session): a datagram the server
//! echoes is a `message` with the datagram's bytes, and the link stays open. Datagrams are not
//! session frames (neither numbered nor acknowledged, PROTOCOL.md §7); before this test's fix
//! the core took every incoming binary message for one, so the first echoed datagram dropped the
//! link ("unknown session frame kind", a `disconnect`). Seen from JS: a socket built from JS
//! options sends with `sendDatagram()` to the echo service, which echoes each as a datagram.

use crate::socket_paths::{socket_paths, SocketPath};
use futures::StreamExt;
use js_sys::{Reflect, Uint8Array};
use universal_socket::web::js_socket::UniversalSocket;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

/// The next event within `ms`, if any.
async fn next_within(
    events: &mut futures::channel::mpsc::UnboundedReceiver<JsValue>,
    ms: u32,
) -> Option<JsValue> {
    let timeout = gloo_timers::future::TimeoutFuture::new(ms);
    match futures::future::select(events.next(), timeout).await {
        futures::future::Either::Left((event, _)) => event,
        futures::future::Either::Right(_) => None,
    }
}

/// A socket on `path` to the echo service, connected, with its events on a channel (the
/// closure must be kept while they are awaited).
async fn connected_to_echo(
    path: SocketPath,
) -> (
    UniversalSocket,
    futures::channel::mpsc::UnboundedReceiver<JsValue>,
    Closure<dyn FnMut(JsValue)>,
) {
    let socket = path.socket("echo", "").await;
    let (events, closure) =
        crate::socket_api::listen(&socket, &["message", "error", "close", "disconnect"]);
    JsFuture::from(socket.connect())
        .await
        .expect("connect() resolves");
    (socket, events, closure)
}

fn kind(event: &JsValue) -> Option<String> {
    Reflect::get(event, &"type".into()).unwrap().as_string()
}

#[wasm_bindgen_test]
async fn datagrams_echo_over_a_resumable_session_and_the_link_stays() {
    let _server = crate::support::exclusive().await;
    let path = socket_paths()[0];
    assert_eq!(path.name, "WebTransport");
    let (socket, mut events, _closure) = connected_to_echo(path).await;
    let protocol = Reflect::get(&socket.stats(), &"protocol".into()).unwrap();
    assert_eq!(protocol.as_f64(), Some(2.0), "a resumable session (v2)");
    // Datagrams may be lost even on loopback: rounds of one datagram until three came back.
    let mut back = 0;
    for round in 0..20u8 {
        socket
            .send_datagram(Uint8Array::from([round; 8].as_slice()).into())
            .unwrap();
        while let Some(event) = next_within(&mut events, 300).await {
            assert_eq!(kind(&event).as_deref(), Some("message"), "event {event:?}");
            let data = Reflect::get(&event, &"data".into()).unwrap();
            let bytes = Uint8Array::new(&data).to_vec();
            assert_eq!(bytes.len(), 8, "the datagram's bytes, whole: {bytes:?}");
            assert_eq!(bytes, vec![bytes[0]; 8], "the datagram's bytes, whole");
            back += 1;
        }
        if back >= 3 {
            break;
        }
    }
    assert!(back >= 3, "only {back} datagrams came back in 20 rounds");
    // The same link, still in its session: a stream message echoes, nothing disconnected.
    assert_eq!(socket.ready_state(), 1);
    socket.send(JsValue::from_str("still open")).unwrap();
    let event = next_within(&mut events, 5_000)
        .await
        .expect("the stream message's echo");
    assert_eq!(kind(&event).as_deref(), Some("message"), "event {event:?}");
    let data = Reflect::get(&event, &"data".into()).unwrap();
    assert_eq!(data.as_string().as_deref(), Some("still open"));
    let resumed = Reflect::get(&socket.stats(), &"reconnects".into()).unwrap();
    assert_eq!(resumed.as_f64(), Some(0.0), "no reconnect");
    crate::socket_support::close_js(&socket).await;
}

/// Off WebTransport, `sendDatagram()` is an ordinary binary message (README, "Using it from
/// JavaScript"): in the session, delivered once and in order with the messages around it (a
/// Blob sent before it included), on every other path this browser has.
#[wasm_bindgen_test]
async fn off_webtransport_a_datagram_is_an_ordinary_message_in_order() {
    let _server = crate::support::exclusive().await;
    for path in socket_paths().into_iter().skip(1) {
        let (socket, mut events, _closure) = connected_to_echo(path).await;
        socket.send(JsValue::from_str("before")).unwrap();
        // A Blob is read asynchronously; what is sent after it waits for it, the datagram too.
        let parts = js_sys::Array::of1(&Uint8Array::from([5u8; 2].as_slice()));
        let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).unwrap();
        socket.send(blob.into()).unwrap();
        socket
            .send_datagram(Uint8Array::from([7u8; 4].as_slice()).into())
            .unwrap();
        socket.send(JsValue::from_str("after")).unwrap();
        let mut got = Vec::new();
        while got.len() < 4 {
            let event = next_within(&mut events, 5_000)
                .await
                .unwrap_or_else(|| panic!("{}: only {got:?} came back", path.name));
            assert_eq!(
                kind(&event).as_deref(),
                Some("message"),
                "{}: {event:?}",
                path.name
            );
            let data = Reflect::get(&event, &"data".into()).unwrap();
            got.push(match data.as_string() {
                Some(text) => text,
                None => format!("{:?}", Uint8Array::new(&data).to_vec()),
            });
        }
        assert_eq!(
            got,
            ["before", "[5, 5]", "[7, 7, 7, 7]", "after"],
            "{}",
            path.name
        );
        crate::socket_support::close_js(&socket).await;
    }
}

/// A datagram larger than the connection's `maxDatagramSize` (about 1.2 KB on loopback in both
/// browsers) cannot leave as a datagram: the browser would drop it without a word (before the
/// fix: no echo, no event, in Firefox and Chromium). It goes as an ordinary binary message
/// instead, as `sendDatagram()` does wherever a datagram cannot be sent, so it arrives — once,
/// whole, and in order with the stream messages around it.
#[wasm_bindgen_test]
async fn a_datagram_over_max_datagram_size_is_sent_as_a_message() {
    let _server = crate::support::exclusive().await;
    let path = socket_paths()[0];
    assert_eq!(path.name, "WebTransport");
    let (socket, mut events, _closure) = connected_to_echo(path).await;
    socket.send(JsValue::from_str("before")).unwrap();
    for (len, byte) in [(4_000usize, 1u8), (60_000, 2)] {
        socket
            .send_datagram(Uint8Array::from(vec![byte; len].as_slice()).into())
            .unwrap();
    }
    socket.send(JsValue::from_str("after")).unwrap();
    let mut got = Vec::new();
    while got.len() < 4 {
        let Some(event) = next_within(&mut events, 5_000).await else {
            panic!("only {got:?} came back: an oversized datagram was lost");
        };
        assert_eq!(kind(&event).as_deref(), Some("message"), "event {event:?}");
        let data = Reflect::get(&event, &"data".into()).unwrap();
        got.push(match data.as_string() {
            Some(text) => text,
            None => {
                let bytes = Uint8Array::new(&data).to_vec();
                assert!(bytes.iter().all(|b| *b == bytes[0]), "whole");
                format!("{} x {}", bytes.len(), bytes[0])
            }
        });
    }
    assert_eq!(got, ["before", "4000 x 1", "60000 x 2", "after"]);
    assert!(
        next_within(&mut events, 300).await.is_none(),
        "each arrived once"
    );
    crate::socket_support::close_js(&socket).await;
}
