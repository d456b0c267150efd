//! WebTransport with `serverCertificateHashes` echoes a datagram and a stream message.

use crate::support::{await_promise, get_str, server_config};
use js_sys::{Array, Object, Reflect, Uint8Array};
use universal_socket::web::bindings::webtransport::{
    WebTransport, WebTransportBidirectionalStream,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{ReadableStreamDefaultReader, WritableStreamDefaultWriter};

fn hex_to_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

async fn open(service: &str) -> WebTransport {
    let config = server_config().await;
    let url = get_str(&config, &format!("webtransport.{service}"));
    let hash = hex_to_bytes(&get_str(&config, "certificateSha256"));
    let entry = Object::new();
    Reflect::set(&entry, &"algorithm".into(), &"sha-256".into()).unwrap();
    Reflect::set(&entry, &"value".into(), &Uint8Array::from(hash.as_slice())).unwrap();
    let options = Object::new();
    Reflect::set(
        &options,
        &"serverCertificateHashes".into(),
        &Array::of1(&entry),
    )
    .unwrap();
    let transport = WebTransport::new_with_options(&url, &options).expect("valid URL and options");
    await_promise(transport.ready(), "WebTransport ready", 8000)
        .await
        .expect("WebTransport session established");
    transport
}

async fn read_chunk(reader: &ReadableStreamDefaultReader, what: &str) -> Vec<u8> {
    let result = await_promise(reader.read(), what, 5000)
        .await
        .expect("read");
    let done = Reflect::get(&result, &"done".into())
        .unwrap()
        .as_bool()
        .unwrap_or(true);
    assert!(!done, "stream ended while waiting for {what}");
    Uint8Array::new(&Reflect::get(&result, &"value".into()).unwrap()).to_vec()
}

#[wasm_bindgen_test]
async fn webtransport_echoes_a_datagram() {
    let _server = crate::support::exclusive().await;
    let transport = open("echo").await;
    let datagrams = transport.datagrams();
    let writer: WritableStreamDefaultWriter = datagrams.writable().get_writer().unwrap();
    let reader: ReadableStreamDefaultReader = datagrams.readable().get_reader().unchecked_into();
    // Datagrams are unreliable even on loopback: send a few times until one comes back.
    let payload = b"datagram!".to_vec();
    let mut echoed = None;
    for _ in 0..5 {
        JsFuture::from(writer.write_with_chunk(&Uint8Array::from(payload.as_slice())))
            .await
            .unwrap();
        let result = crate::support::await_promise(reader.read(), "datagram echo", 5000).await;
        if let Ok(result) = result {
            echoed =
                Some(Uint8Array::new(&Reflect::get(&result, &"value".into()).unwrap()).to_vec());
            break;
        }
    }
    assert_eq!(echoed.as_deref(), Some(payload.as_slice()));
    transport.close(&Object::new()).unwrap();
}

#[wasm_bindgen_test]
async fn webtransport_echoes_a_stream_message() {
    let _server = crate::support::exclusive().await;
    let transport = open("echo").await;
    let stream: WebTransportBidirectionalStream =
        JsFuture::from(transport.create_bidirectional_stream())
            .await
            .unwrap()
            .unchecked_into();
    let writer: WritableStreamDefaultWriter = stream.writable().get_writer().unwrap();
    let reader: ReadableStreamDefaultReader = stream.readable().get_reader().unchecked_into();

    // PROTOCOL.md §2: kind 0x00 (text), u32 BE length, payload.
    let text = "hello over a stream";
    let mut frame = vec![0u8];
    frame.extend_from_slice(&(text.len() as u32).to_be_bytes());
    frame.extend_from_slice(text.as_bytes());
    JsFuture::from(writer.write_with_chunk(&Uint8Array::from(frame.as_slice())))
        .await
        .unwrap();

    let mut received = Vec::new();
    while received.len() < frame.len() {
        received.extend(read_chunk(&reader, "the echoed frame").await);
    }
    assert_eq!(received, frame);
    transport.close(&Object::new()).unwrap();
}
