//! A WebTransport close frame whose code no server may send (here 0, through the reference
//! server's `/control/close?code=0`) is a protocol error, as a browser's WebSocket makes it: the
//! JS `close` event says 1002, not clean, and why — not a clean close "with code 0". Before,
//! the decoder refused the frame but the adapter reported its own 1002 as clean (found by the
//! review probe, both browsers). Built from a JS options object, as an application does.

use crate::socket_api::listen;
use crate::socket_support::{control, with_timeout, ResetFaults};
use crate::support::{get_str, server_config};
use futures::StreamExt;
use js_sys::Reflect;
use universal_socket::web::js_socket::UniversalSocket;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

#[wasm_bindgen_test]
async fn a_webtransport_close_frame_with_code_0_is_a_protocol_error() {
    let _server = crate::support::exclusive().await;
    let _reset = ResetFaults;
    let config = server_config().await;
    let endpoint = get_str(&config, "webtransport.echo");
    let hash = get_str(&config, "certificateSha256");
    let json = format!(
        r#"{{"transports":["webtransport"],"endpoints":{{"webtransport":"{endpoint}"}},
            "webtransport":{{"serverCertificateHashes":["{hash}"]}},"heartbeat":false,
            "reconnect":false}}"#
    );
    let socket = UniversalSocket::new("http://127.0.0.1/echo", js_sys::JSON::parse(&json).unwrap())
        .map_err(JsValue::from)
        .unwrap();
    let (mut events, _listener) = listen(&socket, &["close", "disconnect"]);
    JsFuture::from(socket.connect())
        .await
        .expect("connect() resolves");
    control("close?code=0&reason=zero").await;
    let close = with_timeout(5_000, events.next())
        .await
        .flatten()
        .expect("a close event");
    assert_eq!(get(&close, "type").as_string().as_deref(), Some("close"));
    assert_eq!(get(&close, "code").as_f64(), Some(1002.0), "{close:?}");
    assert_eq!(
        get(&close, "reason").as_string().as_deref(),
        Some("close frame with code 0, which no peer may send")
    );
    assert_eq!(get(&close, "wasClean").as_bool(), Some(false), "{close:?}");
    assert_eq!(socket.state(), "closed");
}
