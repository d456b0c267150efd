//! Feature detection without side effects.
//!
//! The guide's `detectWebSocketFeatures()` opens `new WebSocket('ws://test')` to look for
//! `binaryType` and `extensions`; that costs a DNS lookup and a failed connection (and an error in
//! the console) on every page load. Every answer here comes from the global object and from
//! `WebSocket.prototype`, so nothing is opened.

use crate::web::bindings::property::set_property;
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

/// What the running browser offers, for choosing transports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    /// `WebSocket` exists: the WebSocket transport can be used (every current browser).
    pub web_socket: bool,
    /// `WebSocketStream` exists (Chromium): WebSocket with streams backpressure, used only
    /// when `SocketOptions::web_socket_stream` asks for it.
    pub web_socket_stream: bool,
    /// `WebTransport` exists: the preferred transport (HTTP/3, datagrams) can be tried.
    pub web_transport: bool,
    /// `EventSource` exists: with `fetch` for the upstream, the SSE transport can be used.
    pub event_source: bool,
    /// `fetch` exists: long polling (and SSE's upstream) can be used; the last resort.
    pub fetch: bool,
    /// `WebSocket.prototype` has `binaryType` (settable to "arraybuffer").
    pub binary_type: bool,
    /// `WebSocket.prototype` has `extensions`.
    pub extensions: bool,
}

#[wasm_bindgen(typescript_custom_section)]
const FEATURES_TS: &'static str = r#"
/** What the running browser offers; found without opening any connection. */
export interface Features {
  webSocket: boolean;
  webSocketStream: boolean;
  webTransport: boolean;
  eventSource: boolean;
  fetch: boolean;
  binaryType: boolean;
  extensions: boolean;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `globalThis`: a window or a worker's global scope. Every browser that has any of the
    /// transports has it (`js_sys::global()` also probes `self`, `window` and `global` for
    /// older engines, in more code).
    #[wasm_bindgen(thread_local_v2, js_name = globalThis)]
    static GLOBAL_THIS: JsValue;
}

fn has(target: &JsValue, name: &str) -> bool {
    Reflect::has(target, &JsValue::from_str(name)).unwrap_or(false)
}

/// Detects the browser's real-time features from the global scope (window or worker).
pub fn features() -> Features {
    let global = GLOBAL_THIS.with(JsValue::clone);
    let web_socket = has(&global, "WebSocket");
    let prototype = if web_socket {
        Reflect::get(&global, &"WebSocket".into())
            .and_then(|ctor| Reflect::get(&ctor, &"prototype".into()))
            .unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    };
    let proto_has = |name: &str| prototype.is_object() && has(&prototype, name);
    Features {
        web_socket,
        web_socket_stream: has(&global, "WebSocketStream"),
        web_transport: has(&global, "WebTransport"),
        event_source: has(&global, "EventSource"),
        fetch: has(&global, "fetch"),
        binary_type: proto_has("binaryType"),
        extensions: proto_has("extensions"),
    }
}

/// `detectFeatures()` for JS: a plain object, see the `Features` interface.
#[wasm_bindgen(js_name = detectFeatures, unchecked_return_type = "Features")]
pub fn detect_features() -> JsValue {
    let found = features();
    let object = Object::new();
    for (key, value) in [
        ("webSocket", found.web_socket),
        ("webSocketStream", found.web_socket_stream),
        ("webTransport", found.web_transport),
        ("eventSource", found.event_source),
        ("fetch", found.fetch),
        ("binaryType", found.binary_type),
        ("extensions", found.extensions),
    ] {
        set_property(&object, key, &JsValue::from_bool(value));
    }
    object.into()
}
