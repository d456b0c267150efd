//! A long-polling body read cut short by the adapter's drop stops there: the read loop ends
//! (its closure freed), the download is cancelled, and the partial answer is never assembled
//! or parsed, so nothing of it is delivered. The fixture (`/poll/hostile-slow-partial`) answers
//! a poll with a whole JSON array (`[{"text":"from a partial answer"}]`) followed by whitespace
//! streamed slowly for seconds: parsed when cut, it would be a message. Assembling the answer
//! is the only use of `Blob.prototype.text` once the session is open, so a spy on it sees
//! whether the partial answer was assembled.

use crate::slow_bodies::{slow_poll_url, wait_body, wait_cancelled};
use crate::transport_support::{request, settled_read_loops, wait_read_loops, MIB};
use universal_socket::web::js_socket::UniversalSocket;
use universal_socket::web::transport::long_polling::LongPollingConnection;
use universal_socket::web::transport::TransportEvent;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

/// Counts calls of `Blob.prototype.text` until `restore()`.
struct BlobTextSpy(JsValue);

impl BlobTextSpy {
    fn install() -> Self {
        let install = js_sys::Function::new_no_args(
            r#"
            const real = Blob.prototype.text;
            const spy = { calls: 0 };
            Blob.prototype.text = function (...args) { spy.calls++; return real.apply(this, args); };
            spy.restore = () => { Blob.prototype.text = real; };
            return spy;
            "#,
        );
        BlobTextSpy(install.call0(&JsValue::UNDEFINED).expect("spy installed"))
    }

    fn calls(&self) -> f64 {
        js_sys::Reflect::get(&self.0, &"calls".into())
            .unwrap()
            .as_f64()
            .unwrap()
    }
}

impl Drop for BlobTextSpy {
    fn drop(&mut self) {
        let restore = js_sys::Reflect::get(&self.0, &"restore".into()).unwrap();
        let restore: &js_sys::Function = wasm_bindgen::JsCast::unchecked_ref(&restore);
        restore.call0(&JsValue::UNDEFINED).unwrap();
    }
}

/// Waits until the fixture's answer is streaming (its whole first array sent) and the
/// adapter's read loop for it is live: `loops` plus that one.
async fn wait_mid_body(loops: usize) {
    wait_body("slow-partial", 5_000, |r| {
        r.state == "streaming" && r.sent >= 64.0 * 1024.0
    })
    .await;
    wait_read_loops(loops + 1, "while the poll answer streams").await;
}

/// After the drop: the loop is gone, the server saw the download cancelled, and (a while
/// later, when a partial answer would have been assembled) `Blob.text` was never called.
async fn assert_stopped_without_parsing(loops: usize, spy: &BlobTextSpy, what: &str) {
    wait_read_loops(loops, what).await;
    wait_cancelled("slow-partial", 3_000).await;
    gloo_timers::future::TimeoutFuture::new(300).await;
    assert_eq!(
        spy.calls(),
        0.0,
        "{what}: the partial answer was assembled (Blob.text called)"
    );
}

#[wasm_bindgen_test]
async fn long_polling_dropped_mid_body_stops_reading_and_parses_nothing() {
    let _server = crate::support::exclusive().await;
    let loops = settled_read_loops().await;
    let (request, mut sink) = request(slow_poll_url("partial").await, Vec::new(), MIB);
    let connection = LongPollingConnection::open(request).expect("open");
    sink.opened().await;
    wait_mid_body(loops).await;
    // Reported so far: at most the buffered amount (0) after `Opened`.
    while let Some(event) = sink.try_next(100).await {
        match event {
            Some(TransportEvent::Buffered(0)) => {}
            other => panic!("before the drop: {other:?}"),
        }
    }
    let spy = BlobTextSpy::install();
    drop(connection);
    // No message (nor anything else) from the partial answer: the sink is gone with the state.
    sink.assert_ended("after the drop mid-body").await;
    assert_stopped_without_parsing(loops, &spy, "after the drop mid-body").await;
}

/// The same through the JS class: a socket built from JS options, freed (`free()`) while the
/// poll answer streams. No `message` event reaches its listener before or after.
#[wasm_bindgen_test]
async fn a_socket_freed_mid_poll_body_delivers_nothing_from_it() {
    let _server = crate::support::exclusive().await;
    let loops = settled_read_loops().await;
    let options = format!(
        r#"{{"transports":["long-polling"],"endpoints":{{"long-polling":"{}"}},
            "resume":false,"heartbeat":false,"reconnect":false}}"#,
        slow_poll_url("partial").await
    );
    let socket = UniversalSocket::new(
        "http://127.0.0.1/partial",
        js_sys::JSON::parse(&options).unwrap(),
    )
    .map_err(JsValue::from)
    .unwrap();
    let (mut events, _closure) = crate::socket_api::listen(&socket, &["message", "error"]);
    JsFuture::from(socket.connect())
        .await
        .expect("connect() resolves");
    wait_mid_body(loops).await;
    let spy = BlobTextSpy::install();
    drop(socket);
    assert_stopped_without_parsing(loops, &spy, "after free() mid-body").await;
    if let Ok(event) = events.try_recv() {
        panic!("an event after free() mid-body: {event:?}");
    }
}
