//! Bindings to `WebSocketStream` (WHATWG WebSockets, the streams-based API).
//!
//! Chromium ships it; Firefox does not, and `web-sys` has no binding at all. Every entry point is
//! `catch` or a getter on an object that only exists once construction succeeded, so calling the
//! constructor where the global is missing throws a catchable `ReferenceError` instead of
//! aborting the wasm instance.

use crate::prelude::*;
use js_sys::{Object, Promise};
use wasm_bindgen::prelude::*;
use web_sys::{ReadableStream, WritableStream};

#[wasm_bindgen]
extern "C" {
    /// A WebSocket whose messages flow through a `ReadableStream`/`WritableStream` pair, which
    /// gives reads backpressure and tells writers when each message has been handed off.
    #[derive(Debug, Clone)]
    pub type WebSocketStream;

    /// `new WebSocketStream(url, { protocols, signal })`; throws on a bad URL, on bad protocols,
    /// or (as a `ReferenceError`) where the browser has no `WebSocketStream`.
    #[wasm_bindgen(constructor, catch)]
    pub fn new_with_options(url: &str, options: &Object) -> Result<WebSocketStream, JsValue>;

    /// The URL the stream was opened with.
    #[wasm_bindgen(method, getter)]
    pub fn url(this: &WebSocketStream) -> String;

    /// Resolves with a [`WebSocketOpenInfo`] once the handshake completes; rejects when it fails.
    #[wasm_bindgen(method, getter)]
    pub fn opened(this: &WebSocketStream) -> Promise;

    /// Resolves with a [`WebSocketCloseInfo`] after a clean close; rejects (a `WebSocketError`
    /// carrying `closeCode` 1006 in current Chromium) when the connection is lost.
    #[wasm_bindgen(method, getter)]
    pub fn closed(this: &WebSocketStream) -> Promise;

    /// `close({ closeCode, reason })`; throws for a code other than 1000 or 3000–4999 or a
    /// reason over 123 bytes. Before the handshake completes it aborts it (`opened` rejects).
    #[wasm_bindgen(method, catch)]
    pub fn close(this: &WebSocketStream, info: &Object) -> Result<(), JsValue>;

    /// What `opened` resolves with.
    #[derive(Debug, Clone)]
    pub type WebSocketOpenInfo;

    /// Chunks are strings (text messages) or `ArrayBuffer`/`Uint8Array` (binary messages).
    #[wasm_bindgen(method, getter)]
    pub fn readable(this: &WebSocketOpenInfo) -> ReadableStream;

    /// Accepts strings (sent as text) and `BufferSource`s (sent as binary).
    #[wasm_bindgen(method, getter)]
    pub fn writable(this: &WebSocketOpenInfo) -> WritableStream;

    // Its `protocol` and `extensions` ("" if none), and a close info's `reason`, are read with
    // `property::string_property`.

    /// What `closed` resolves with (and, as `WebSocketError`, rejects with).
    #[derive(Debug, Clone)]
    pub type WebSocketCloseInfo;

    /// The close code; absent when the peer sent none.
    #[wasm_bindgen(method, getter, js_name = closeCode)]
    pub fn close_code(this: &WebSocketCloseInfo) -> Option<u16>;
}
