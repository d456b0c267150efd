//! `TextEncoder` taking a JS string as it is: `web-sys` only takes a Rust `&str`, which would
//! copy the string into wasm first — the very thing a size check must avoid.

use js_sys::{JsString, Uint8Array};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// A UTF-8 encoder (every browser).
    #[derive(Debug, Clone)]
    #[wasm_bindgen(js_name = TextEncoder)]
    pub type JsTextEncoder;

    /// `new TextEncoder()`: it holds no state, so one is made wherever it is needed.
    #[wasm_bindgen(constructor, js_class = "TextEncoder")]
    pub fn new() -> JsTextEncoder;

    /// UTF-8 of `source`, in a new JS `Uint8Array` (lone surrogates become U+FFFD).
    #[wasm_bindgen(method, js_class = "TextEncoder")]
    pub fn encode(this: &JsTextEncoder, source: &JsString) -> Uint8Array;

    /// Writes as much of `source` as fits into `destination`, whole characters only.
    #[wasm_bindgen(method, js_class = "TextEncoder", js_name = encodeInto)]
    pub fn encode_into(
        this: &JsTextEncoder,
        source: &JsString,
        destination: &Uint8Array,
    ) -> EncodeIntoResult;

    /// What `encodeInto` did.
    #[derive(Debug, Clone)]
    pub type EncodeIntoResult;

    /// UTF-16 code units of the source that were encoded.
    #[wasm_bindgen(method, getter)]
    pub fn read(this: &EncodeIntoResult) -> u32;

    /// Bytes written to the destination.
    #[wasm_bindgen(method, getter)]
    pub fn written(this: &EncodeIntoResult) -> u32;
}
