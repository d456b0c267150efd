//! The WebTransport adapter against the reference server, in every browser: open, echo (text,
//! binary, order, 1 MiB across many stream chunks), datagrams, close handshake recorded by the
//! server, server drop, oversized frames, and a drop that leaves nothing behind.
//!
//! The harness (`TestSink`, `stats`, `post_control`, the echo scenario) is in
//! `transport_support.rs`.

use crate::support::{get_str, server_config};
use crate::transport_support::*;
use universal_socket::core::{Payload, TransportKind};
use universal_socket::web::listener::live_listeners;
use universal_socket::web::transport::webtransport::WebTransportConnection;
use universal_socket::web::transport::{OpenRequest, Transport, TransportEvent};
use wasm_bindgen_test::wasm_bindgen_test;

async fn echo_request(max: usize) -> (OpenRequest, TestSink) {
    let config = server_config().await;
    let url = get_str(&config, "webtransport.echo");
    let hash = hex_to_bytes(&get_str(&config, "certificateSha256"));
    request(url, vec![hash], max)
}

async fn open_echo() -> (WebTransportConnection, TestSink) {
    let (request, mut sink) = echo_request(16 * MIB).await;
    let connection = WebTransportConnection::open(request).expect("valid URL");
    assert_eq!(sink.opened().await, (String::new(), String::new()));
    (connection, sink)
}

#[wasm_bindgen_test]
async fn transport_webtransport_echoes_text_and_binary_in_order() {
    let _server = crate::support::exclusive().await;
    let (connection, mut sink) = open_echo().await;
    assert_eq!(connection.kind(), TransportKind::WebTransport);
    crate::transport_support::echo_in_order(&connection, &mut sink).await;
}

#[wasm_bindgen_test]
async fn transport_webtransport_close_is_recorded_by_the_server() {
    let _server = crate::support::exclusive().await;
    let before = recorded_closes("webtransport", 4001, "bye").await;
    let (connection, mut sink) = open_echo().await;
    connection.close(4001, "bye");
    let (code, reason, clean) = sink.closed("Closed after close(4001)").await;
    assert_eq!((code, reason.as_str()), (4001, "bye"));
    // The server keeps reading until our FIN, so its answering close frame arrives in every
    // browser and the handshake completes cleanly.
    assert!(clean, "the close handshake completed");
    assert!(
        connection.send(Payload::Text("late".into())).is_err(),
        "send after close"
    );
    assert_eq!(
        recorded_closes("webtransport", 4001, "bye").await,
        before + 1
    );
}

#[wasm_bindgen_test]
async fn transport_webtransport_server_drop_reports_closed() {
    let _server = crate::support::exclusive().await;
    let (_connection, mut sink) = open_echo().await;
    post_control("drop").await;
    // PROTOCOL.md §4.4: a session ending without a close frame is an abnormal close.
    let (code, reason, clean) = sink.closed("Closed after /control/drop").await;
    assert_eq!((code, clean), (1006, false), "reason: {reason}");
}

#[wasm_bindgen_test]
async fn transport_webtransport_datagram_round_trip() {
    let _server = crate::support::exclusive().await;
    let (connection, mut sink) = open_echo().await;
    let payload = b"a datagram".to_vec();
    // Datagrams are unreliable even on loopback: retry a few times.
    let mut echoed = false;
    for _ in 0..5 {
        connection.send_datagram(&payload).expect("send_datagram");
        if let Some(Some(event)) = sink.try_next(2_000).await {
            assert_eq!(
                event,
                TransportEvent::Message(Payload::Binary(payload.clone()))
            );
            echoed = true;
            break;
        }
    }
    assert!(echoed, "no datagram came back");
}

#[wasm_bindgen_test]
async fn transport_webtransport_oversized_frame_closes_with_1009() {
    let _server = crate::support::exclusive().await;
    let (request, mut sink) = echo_request(1000).await;
    let connection = WebTransportConnection::open(request).expect("valid URL");
    sink.opened().await;
    connection
        .send(Payload::Text("small".into()))
        .expect("send");
    connection
        .send(Payload::Binary(pattern(2000)))
        .expect("send");
    assert_eq!(
        sink.message("the small echo").await,
        Payload::Text("small".into())
    );
    let (code, _, _) = sink.closed("Closed after an oversized frame").await;
    assert_eq!(code, 1009);
}

#[wasm_bindgen_test]
async fn transport_webtransport_without_certificate_hash_fails() {
    let _server = crate::support::exclusive().await;
    let config = server_config().await;
    // A self-signed certificate is only accepted through serverCertificateHashes.
    let (request, mut sink) = request(get_str(&config, "webtransport.echo"), Vec::new(), MIB);
    let _connection = WebTransportConnection::open(request).expect("valid URL");
    match sink.next("Failed", 15_000).await {
        TransportEvent::Failed(reason) => assert!(!reason.is_empty()),
        other => panic!("expected Failed, got {}", short(&other)),
    }
}

#[wasm_bindgen_test]
async fn transport_webtransport_close_before_open_fails() {
    let _server = crate::support::exclusive().await;
    let (request, mut sink) = echo_request(MIB).await;
    let connection = WebTransportConnection::open(request).expect("valid URL");
    connection.close(4001, "never mind");
    match sink.next("Failed", 5_000).await {
        TransportEvent::Failed(_) => {}
        other => panic!("expected Failed, got {}", short(&other)),
    }
    drop(connection);
    sink.assert_ended("after Failed and drop").await;
}

#[wasm_bindgen_test]
async fn transport_webtransport_drop_releases_everything() {
    let _server = crate::support::exclusive().await;
    let listeners = live_listeners();
    let live = live_on_server("webtransport").await;
    let (connection, mut sink) = open_echo().await;
    connection
        .send(Payload::Text("first".into()))
        .expect("send");
    assert_eq!(
        sink.message("the first echo").await,
        Payload::Text("first".into())
    );
    wait_live_on_server("webtransport", live + 1.0).await;
    // Dropped with a write in flight and a read pending.
    connection
        .send(Payload::Binary(pattern(64 * 1024)))
        .expect("send");
    drop(connection);
    // The state holding the sink went with the connection, and no task kept a clone of it:
    // nothing is reported after a drop.
    sink.assert_ended("after drop").await;
    assert_eq!(live_listeners(), listeners);
    // The connection was closed, so the server forgets it.
    wait_live_on_server("webtransport", live).await;
}

#[wasm_bindgen_test]
fn transport_webtransport_rejects_a_bad_url_synchronously() {
    let (request, _sink) = request("not a url".into(), Vec::new(), MIB);
    assert!(WebTransportConnection::open(request).is_err());
}
