//! The Rust API as a Leptos, Yew or Dioxus app uses it: work starts when a method is called,
//! not when its future is first polled (a component's cleanup drops futures unpolled), event
//! streams end after the application's close (so a `while let Some(event)` loop ends), and
//! `send_json` batches like the JS class's objects.

use crate::socket_reconnect::open_websocket;
use crate::socket_support::with_timeout;
use futures::StreamExt;
use universal_socket::core::{Payload, State};
use universal_socket::web::socket::SocketEvent;
use wasm_bindgen_test::wasm_bindgen_test;

/// The texts of the next `n` messages (within 5 s), skipping other events.
async fn next_texts(
    events: &mut futures::channel::mpsc::UnboundedReceiver<SocketEvent>,
    n: usize,
) -> Vec<String> {
    let mut texts = Vec::new();
    let _ = with_timeout(5_000, async {
        while texts.len() < n {
            match events.next().await {
                Some(SocketEvent::Message(Payload::Text(text))) => texts.push(text),
                Some(_) => {}
                None => break,
            }
        }
    })
    .await;
    texts
}

/// `send` and `close` take effect at the call: a send whose future is dropped unpolled is
/// echoed, and a close whose future is dropped unpolled closes. Every event stream then ends
/// after `Close`; a stream taken afterwards hears the socket connect again. Failed before: the
/// dropped send was never sent, the socket stayed open, and the stream never ended.
#[wasm_bindgen_test]
async fn send_and_close_start_when_called_and_streams_end_after_close() {
    let _server = crate::support::exclusive().await;
    let (socket, mut events) = open_websocket(|_| {}).await;
    drop(socket.send(Payload::Text("sent, its future dropped".into())));
    assert_eq!(
        next_texts(&mut events, 1).await,
        ["sent, its future dropped"]
    );
    drop(socket.close(1000, "bye"));
    assert!(
        matches!(socket.state(), State::Closing | State::Closed),
        "closing at the call: {:?}",
        socket.state()
    );
    let rest = with_timeout(5_000, async {
        let mut rest = Vec::new();
        while let Some(event) = events.next().await {
            rest.push(event);
        }
        rest
    })
    .await
    .expect("the stream ends after the close");
    assert!(
        matches!(rest.last(), Some(SocketEvent::Close(info)) if info.code == 1000),
        "the stream's last event is the close: {rest:?}"
    );
    // A send after the close: an error that says so, whichever layer refused it.
    let error = socket
        .send_now(Payload::Text("after the close".into()))
        .unwrap_err();
    assert!(error.is_closed(), "{error}");
    // The socket can be used again: a stream taken now, then `connect()`, hears it open (and
    // failed with the first version of this change, which handed out an ended stream).
    let mut again = socket.events();
    socket.connect().await.unwrap();
    let opened = with_timeout(5_000, again.next()).await.flatten();
    assert!(
        matches!(opened, Some(SocketEvent::Open { .. })),
        "the new stream hears the open: {opened:?}"
    );
    socket.close(1000, "").await.unwrap();
}

/// With batching on, `send_json` objects go into one `{"type":"batch"}` message, as the JS
/// class's objects do. Failed before: three separate messages (batching was ignored from Rust).
#[cfg(feature = "serde")]
#[wasm_bindgen_test]
async fn send_json_batches_when_batching_is_on() {
    use universal_socket::core::BatchConfig;
    let _server = crate::support::exclusive().await;
    let (socket, mut events) = open_websocket(|o| {
        o.connection.batch = Some(BatchConfig {
            max_messages: 3,
            flush_interval_ms: 50,
            max_bytes: 1 << 16,
        });
    })
    .await;
    for n in 0..3 {
        socket
            .send_json(&serde_json::json!({ "n": n }))
            .await
            .unwrap();
    }
    let texts = next_texts(&mut events, 1).await;
    let batch: Option<serde_json::Value> = texts.first().and_then(|t| serde_json::from_str(t).ok());
    assert_eq!(
        batch.as_ref().map(|b| (&b["type"], &b["messages"])),
        Some((
            &serde_json::json!("batch"),
            &serde_json::json!([{ "n": 0 }, { "n": 1 }, { "n": 2 }])
        )),
        "one batch message: {texts:?}"
    );
    socket.close(1000, "").await.unwrap();
}

/// Options built in Rust get the checks the JS constructor makes on the same values, with the
/// same messages naming the option by its JS name (compared with `from_js`'s own message where
/// JSON can write the same options). Failed before: `Socket::new` took them all, so a heartbeat
/// interval of 0 ms pinged on every timer turn, a NaN backoff factor reached the core, and an
/// empty transports list failed only at `connect()`.
#[wasm_bindgen_test]
fn socket_new_refuses_the_options_the_js_constructor_refuses() {
    use universal_socket::core::BatchConfig;
    use universal_socket::web::options::SocketOptions;
    use universal_socket::web::socket::{Socket, SocketError};
    let refused = |change: fn(&mut SocketOptions)| {
        let mut options = SocketOptions::default();
        change(&mut options);
        match Socket::new("http://127.0.0.1:1/echo", options) {
            Err(SocketError::Options(error)) => error.0,
            Err(other) => panic!("refused, but not as an option: {other}"),
            Ok(_) => String::from("accepted"),
        }
    };
    /// A change to the default options, the message `Socket::new` must refuse it with, and the
    /// same options as JSON where JSON can write them.
    type Case = (fn(&mut SocketOptions), &'static str, Option<&'static str>);
    let cases: [Case; 10] = [
        (
            |o| o.connection.heartbeat.as_mut().unwrap().interval_ms = 0,
            "heartbeat.intervalMs must be between 1 and 9007199254740991, not 0",
            Some(r#"{"heartbeat":{"intervalMs":0}}"#),
        ),
        (
            |o| o.connection.heartbeat.as_mut().unwrap().timeout_ms = 0,
            "heartbeat.timeoutMs must be between 1 and 9007199254740991, not 0",
            Some(r#"{"heartbeat":{"timeoutMs":0}}"#),
        ),
        (
            |o| o.connection.backoff.factor = f64::NAN,
            "reconnect.factor must be between 1 and 100, not NaN",
            None,
        ),
        (
            |o| o.connection.backoff.jitter = 2.0,
            "reconnect.jitter must be between 0 and 1, not 2",
            Some(r#"{"reconnect":{"jitter":2}}"#),
        ),
        (
            |o| o.connection.connect_timeout_ms = 0,
            "connectTimeoutMs must be between 1 and 9007199254740991, not 0",
            Some(r#"{"connectTimeoutMs":0}"#),
        ),
        (
            |o| o.connection.connect_timeout_ms = u64::MAX,
            "connectTimeoutMs must be between 1 and 9007199254740991, not 18446744073709551615",
            None,
        ),
        (
            |o| {
                o.connection.batch = Some(BatchConfig {
                    max_messages: 0,
                    ..BatchConfig::default()
                })
            },
            "batch.maxMessages must be between 1 and 9007199254740991, not 0",
            Some(r#"{"batch":{"maxMessages":0}}"#),
        ),
        (
            |o| {
                o.connection.backoff.initial_ms = 5_000;
                o.connection.backoff.max_ms = 1_000;
            },
            "reconnect.maxDelayMs (1000) must be at least reconnect.initialDelayMs (5000)",
            Some(r#"{"reconnect":{"initialDelayMs":5000,"maxDelayMs":1000}}"#),
        ),
        (
            |o| o.connection.transports.clear(),
            "transports must name at least one transport",
            Some(r#"{"transports":[]}"#),
        ),
        (
            |o| o.certificate_hashes = vec![vec![0; 31]],
            "webtransport.serverCertificateHashes: a SHA-256 hash is 32 bytes, not 31",
            None,
        ),
    ];
    for (change, message, json) in cases {
        assert_eq!(refused(change), message);
        if let Some(json) = json {
            let js = js_sys::JSON::parse(json).unwrap();
            match SocketOptions::from_js(&js) {
                Err(error) => assert_eq!(error.0, message, "from_js of {json}"),
                Ok(_) => panic!("from_js accepted {json}"),
            }
        }
    }
    // What is off is not checked: with sessions off, their hello timeout is never used.
    assert_eq!(
        refused(|o| {
            o.connection.session.enabled = false;
            o.connection.session.hello_timeout_ms = 0;
        }),
        "accepted"
    );
    assert_eq!(refused(|_| {}), "accepted");
}
