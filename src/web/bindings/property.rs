//! Properties of JS objects, read and set through one function each rather than one binding or
//! one inlined `Reflect` call per property.
//!
//! [`string_property`] reads every string property the crate reads off a browser object (`URL`'s
//! parts, a WebSocket's `protocol` and `extensions`, a close's `reason`, a `Request`'s `method`
//! and `url`). `web-sys` and hand-written getters make one import per property and per type: 15
//! of them, each with its own copy of the glue that hands a string to wasm (measured: 0.24 KB
//! gzipped less for the full build, 0.19 KB for the WebSocket-only one, glue and wasm). These
//! reads are never per message: decoding the key costs nothing there.

use crate::prelude::*;
use wasm_bindgen::prelude::*;

// A snippet of its own: wasm-bindgen wraps this import (it decodes the key and hands the string
// to wasm), so the glue imports it by name, which scripts/short-wasm-names.mjs handles only for a
// snippet whose functions are all imported that way (see `message::copy_bytes`).
#[wasm_bindgen(
    inline_js = "export function stringProperty(o,k){const v=o[k];return typeof v==\"string\"?v:\"\"}"
)]
extern "C" {
    /// `object[key]` if it is a string, else "" (an absent `reason`, as the typed getters'
    /// `unwrap_or_default()` gave). Only for browser objects whose property cannot throw.
    #[wasm_bindgen(js_name = stringProperty)]
    pub fn string_property(object: &JsValue, key: &str) -> String;
}

/// `object[key] = value` (`Reflect.set`; a setter that throws is ignored, as every caller
/// builds a plain object it just made). One function for every such property: at each call site
/// `Reflect::set` is the key's string made in wasm, the call, and the drops of both (about
/// 0.05–0.07 KB gzipped per build, measured).
#[inline(never)]
pub fn set_property(object: &JsValue, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(object, &JsValue::from_str(key), value);
}
