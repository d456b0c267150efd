//! `detectFeatures()` reports what each browser really has, without opening a connection.

use crate::support::is_firefox;
use universal_socket::web::features::{detect_features, features};
use universal_socket::web::listener::live_listeners;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn detects_what_this_browser_has() {
    let found = features();
    // Both browsers under test have these.
    assert!(
        found.web_socket && found.event_source && found.fetch,
        "{found:?}"
    );
    assert!(found.binary_type && found.extensions, "{found:?}");
    assert!(
        found.web_transport,
        "Firefox ESR 153 and Chromium 156 both ship WebTransport: {found:?}"
    );
    if is_firefox() {
        assert!(
            !found.web_socket_stream,
            "Firefox ESR has no WebSocketStream: {found:?}"
        );
    } else {
        assert!(
            found.web_socket_stream,
            "Chromium has WebSocketStream: {found:?}"
        );
    }
}

#[wasm_bindgen_test]
fn js_object_matches_the_rust_answer() {
    let value = detect_features();
    let found = features();
    let get = |key: &str| {
        js_sys::Reflect::get(&value, &JsValue::from_str(key))
            .unwrap()
            .as_bool()
    };
    assert_eq!(get("webSocket"), Some(found.web_socket));
    assert_eq!(get("webSocketStream"), Some(found.web_socket_stream));
    assert_eq!(get("webTransport"), Some(found.web_transport));
    assert_eq!(get("eventSource"), Some(found.event_source));
    assert_eq!(get("fetch"), Some(found.fetch));
    assert_eq!(get("binaryType"), Some(found.binary_type));
    assert_eq!(get("extensions"), Some(found.extensions));
}

#[wasm_bindgen_test]
fn detection_opens_no_connection() {
    // A WebSocket opened during detection would show up as a constructed WebSocket; instead we
    // wrap the constructor and count calls while detecting.
    let global = js_sys::global();
    let counter = js_sys::Function::new_no_args(
        "const real = globalThis.WebSocket; let made = 0;
         globalThis.WebSocket = new Proxy(real, { construct(t, a) { made++; return Reflect.construct(t, a); } });
         return () => { globalThis.WebSocket = real; return made; };",
    );
    let restore: js_sys::Function = counter.call0(&global).unwrap().into();
    let before = live_listeners();
    let _ = detect_features();
    let made = restore.call0(&global).unwrap().as_f64().unwrap();
    assert_eq!(made, 0.0, "detectFeatures() constructed a WebSocket");
    assert_eq!(live_listeners(), before);
}
