//! The WebTransport adapter against the reference server, in every browser: open, echo (text,
//! binary, order, 1 MiB across many stream chunks), datagrams, close handshake recorded by the
//! server, server drop, oversized frames, and a drop that leaves nothing behind.
//!
//! The harness (`TestSink`, `stats`, `post_control`, the echo scenario) is in
//! `transport_support.rs`.

use crate::support::{get_str, server_config};
use crate::transport_support::*;
use crate::transport_websocket::{
    buffered_sends_come_back_when_the_server_drops,
    echoes_arriving_during_a_client_close_are_delivered,
};
use universal_socket::core::{Payload, TransportKind};
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
    let (connection, mut sink) = open_echo().await;
    close_is_recorded("webtransport", &connection, &mut sink).await;
}

/// The stream's loop ends when the server drops the session, and the adapter ends the
/// datagrams' loop with it (Firefox leaves the datagrams' readable open).
#[wasm_bindgen_test]
async fn transport_webtransport_ended_read_loops_free_their_closures() {
    let _server = crate::support::exclusive().await;
    crate::transport_support::ended_loops_free_their_closures(2, open_echo).await;
}

#[wasm_bindgen_test]
async fn transport_webtransport_server_drop_reports_closed() {
    let _server = crate::support::exclusive().await;
    let (_connection, mut sink) = open_echo().await;
    server_drop_reports_closed(&mut sink).await;
    // The stream ended without a close frame: announced as 1006 while the session's `closed`
    // promise said why (the core bounds that wait).
    assert_eq!(sink.announced(), Some((1006, false)));
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
            // A datagram of its own kind: the core keeps it out of the session.
            assert_eq!(event, TransportEvent::Datagram(payload.clone()));
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
    // Refused, then announced before the close frame left, never clean.
    assert_eq!(sink.refused, Some(1009), "reported as the client's refusal");
    assert_eq!(sink.announced(), Some((1009, false)));
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
    drop_releases_everything("webtransport", open_echo).await;
}

#[wasm_bindgen_test]
fn transport_webtransport_rejects_a_bad_url_synchronously() {
    let (request, _sink) = request("not a url".into(), Vec::new(), MIB);
    assert!(WebTransportConnection::open(request).is_err());
}

/// The frame in the sink when the session died may have reached the server (`Unconfirmed`);
/// those queued behind it did not (`Unsent`).
#[wasm_bindgen_test]
async fn transport_webtransport_buffered_sends_come_back_when_the_server_drops() {
    let _server = crate::support::exclusive().await;
    let (connection, mut sink) = open_echo().await;
    buffered_sends_come_back_when_the_server_drops(&connection, &mut sink, 1).await;
}

#[wasm_bindgen_test]
async fn transport_webtransport_echoes_during_a_client_close_are_delivered() {
    let _server = crate::support::exclusive().await;
    let (connection, mut sink) = open_echo().await;
    echoes_arriving_during_a_client_close_are_delivered(&connection, &mut sink).await;
}

#[wasm_bindgen_test]
async fn transport_webtransport_failure_reasons_carry_no_token() {
    let _server = crate::support::exclusive().await;
    let config = server_config().await;
    // No certificate hash: the self-signed certificate is refused, and the reason says so.
    let url = format!("{}?token=s3cret", get_str(&config, "webtransport.echo"));
    let (request, mut sink) = request(url, Vec::new(), MIB);
    let _connection = WebTransportConnection::open(request).expect("valid URL");
    match sink.next("Failed", 15_000).await {
        TransportEvent::Failed(reason) => assert!(!reason.contains("s3cret"), "{reason}"),
        other => panic!("expected Failed, got {}", short(&other)),
    }
}
