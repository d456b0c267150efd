//! Long polling cancels the body of a poll answer it does not read: a `404`
//! (session gone), a refused status (`503`), and a `200` whose `Content-Length` is over the
//! limit. Each fixture's body streams slowly for seconds (`slow_bodies`); the server records
//! that the client cancelled it soon after the headers, while the test still holds the ended
//! connection (so it is not the adapter's drop that stops the download: the connection's end
//! aborts its fetches).

use crate::slow_bodies::{slow_poll_url, wait_cancelled};
use crate::transport_support::{request, short, TestSink, MIB};
use universal_socket::web::transport::long_polling::LongPollingConnection;
use universal_socket::web::transport::TransportEvent;
use wasm_bindgen_test::wasm_bindgen_test;

/// Opens long polling on the slow fixture `case` with `max_message_bytes` = `max`.
async fn open_slow(case: &str, max: usize) -> (LongPollingConnection, TestSink) {
    let (request, mut sink) = request(slow_poll_url(case).await, Vec::new(), max);
    let connection = LongPollingConnection::open(request).expect("open");
    sink.opened().await;
    (connection, sink)
}

/// The `Closed` that ends the connection (a `Buffered` report may come first), as its code and
/// reason.
async fn ended(sink: &mut TestSink, what: &str) -> (u16, String) {
    loop {
        match sink.next(what, 10_000).await {
            TransportEvent::Buffered(_) => continue,
            TransportEvent::Closed { code, reason, .. } => return (code, reason),
            other => panic!("expected Closed ({what}), got {}", short(&other)),
        }
    }
}

#[wasm_bindgen_test]
async fn long_polling_cancels_the_body_of_a_404_poll_answer() {
    let _server = crate::support::exclusive().await;
    let (connection, mut sink) = open_slow("404", MIB).await;
    let (code, reason) = ended(&mut sink, "Closed after a 404 poll").await;
    assert_eq!(code, 1006, "{reason}");
    wait_cancelled("slow-404", 3_000).await;
    drop(connection);
}

#[wasm_bindgen_test]
async fn long_polling_cancels_the_body_of_a_refused_poll_answer() {
    let _server = crate::support::exclusive().await;
    let (connection, mut sink) = open_slow("503", MIB).await;
    let (code, reason) = ended(&mut sink, "Closed after a 503 poll").await;
    assert_eq!(code, 1006, "{reason}");
    assert!(reason.contains("answered HTTP 503"), "{reason}");
    assert!(
        sink.refused.is_none(),
        "the server's refusal is not the client's"
    );
    wait_cancelled("slow-503", 3_000).await;
    drop(connection);
}

/// With `maxMessageBytes` 64 KiB a poll answer may be 2.4 MiB; the fixture declares 8 MiB.
#[wasm_bindgen_test]
async fn long_polling_cancels_a_poll_answer_too_long_by_its_content_length() {
    let _server = crate::support::exclusive().await;
    let (connection, mut sink) = open_slow("too-long", 64 * 1024).await;
    let (code, reason) = ended(&mut sink, "Closed after a too-long poll answer").await;
    assert_eq!(code, 1009, "{reason}");
    assert_eq!(
        sink.refused,
        Some(1009),
        "a too-long poll answer is the client's refusal"
    );
    wait_cancelled("slow-too-long", 3_000).await;
    drop(connection);
}

/// The open `POST`'s answer is bounded too (4 KiB: it carries only a session id): one declaring
/// 8 MiB fails the open with a clear reason, and its download is cancelled while the test
/// still holds the failed connection.
#[wasm_bindgen_test]
async fn long_polling_cancels_an_open_answer_too_long_by_its_content_length() {
    let _server = crate::support::exclusive().await;
    let (request, mut sink) = request(slow_poll_url("open-too-long").await, Vec::new(), MIB);
    let connection = LongPollingConnection::open(request).expect("open");
    match sink.next("Failed for a too-long open answer", 10_000).await {
        TransportEvent::Failed(reason) => assert!(
            reason.starts_with("long-polling open: ") && reason.contains("too large"),
            "{reason}"
        ),
        other => panic!("expected Failed, got {}", short(&other)),
    }
    wait_cancelled("slow-open-too-long", 3_000).await;
    drop(connection);
}
