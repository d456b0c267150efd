//! Minimal bindings to the WebTransport API (W3C WebTransport, as shipped in Firefox and Chromium).

use js_sys::{Object, Promise};
use wasm_bindgen::prelude::*;
use web_sys::{ReadableStream, WritableStream};

#[wasm_bindgen]
extern "C" {
    /// A WebTransport session over HTTP/3.
    #[derive(Debug, Clone)]
    pub type WebTransport;

    /// `new WebTransport(url, options)`; throws on an invalid URL or options.
    #[wasm_bindgen(constructor, catch)]
    pub fn new_with_options(url: &str, options: &Object) -> Result<WebTransport, JsValue>;

    /// Resolves when the session is established, rejects when it cannot be.
    #[wasm_bindgen(method, getter)]
    pub fn ready(this: &WebTransport) -> Promise;

    /// Resolves with `{ closeCode, reason }` when the session ends.
    #[wasm_bindgen(method, getter)]
    pub fn closed(this: &WebTransport) -> Promise;

    /// The session's unreliable datagrams, as a pair of streams.
    #[wasm_bindgen(method, getter)]
    pub fn datagrams(this: &WebTransport) -> WebTransportDatagramDuplexStream;

    /// Resolves with a [`WebTransportBidirectionalStream`].
    #[wasm_bindgen(method, js_name = createBidirectionalStream)]
    pub fn create_bidirectional_stream(this: &WebTransport) -> Promise;

    /// Resolves with a `WritableStream` (a unidirectional stream to the server).
    #[wasm_bindgen(method, js_name = createUnidirectionalStream)]
    pub fn create_unidirectional_stream(this: &WebTransport) -> Promise;

    /// A `ReadableStream` of `ReadableStream`s the server opened.
    #[wasm_bindgen(method, getter, js_name = incomingUnidirectionalStreams)]
    pub fn incoming_unidirectional_streams(this: &WebTransport) -> ReadableStream;

    /// `close({ closeCode, reason })`.
    #[wasm_bindgen(method, catch)]
    pub fn close(this: &WebTransport, info: &Object) -> Result<(), JsValue>;

    /// What `closed` resolves with after a clean session close.
    #[derive(Debug, Clone)]
    pub type WebTransportCloseInfo;

    /// The application close code (a u32 on the wire; 0 when the peer gave none).
    #[wasm_bindgen(method, getter, js_name = closeCode)]
    pub fn close_code(this: &WebTransportCloseInfo) -> Option<u32>;

    // Its `reason` ("" when the peer gave none) is read with `property::string_property`.

    /// The datagram half of a session: each chunk is one datagram, and may be lost.
    #[derive(Debug, Clone)]
    pub type WebTransportDatagramDuplexStream;

    /// Datagrams from the server, as `Uint8Array` chunks.
    #[wasm_bindgen(method, getter)]
    pub fn readable(this: &WebTransportDatagramDuplexStream) -> ReadableStream;

    /// Datagrams to the server; a chunk larger than the path allows is dropped.
    #[wasm_bindgen(method, getter)]
    pub fn writable(this: &WebTransportDatagramDuplexStream) -> WritableStream;

    /// The largest datagram the connection can send now (about 1.2 KB; it may grow as the path
    /// is probed); a larger one written to `writable` is dropped without an error. `None` where
    /// a browser does not expose it.
    #[wasm_bindgen(method, getter, js_name = maxDatagramSize)]
    pub fn max_datagram_size(this: &WebTransportDatagramDuplexStream) -> Option<f64>;

    /// A reliable, ordered stream in both directions: what the WebTransport adapter frames its
    /// messages on.
    #[derive(Debug, Clone)]
    pub type WebTransportBidirectionalStream;

    /// Bytes from the server.
    #[wasm_bindgen(method, getter)]
    pub fn readable(this: &WebTransportBidirectionalStream) -> ReadableStream;

    /// Bytes to the server.
    #[wasm_bindgen(method, getter)]
    pub fn writable(this: &WebTransportBidirectionalStream) -> WritableStream;
}
