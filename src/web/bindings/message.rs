//! The per-message calls of the classic WebSocket receive path, each one call into JS where
//! `web-sys` and `js-sys` would need several (bench/latency-breakdown.mjs counts them).

use wasm_bindgen::prelude::*;

// The one JS helper: an event's object in one call (instead of `new Object` and a
// `Reflect.set` per property), its properties in the order they always had: up to three, then
// `type`. Property names and event names are indices into its table `K`, whose order
// src/web/js_events.rs keeps (`Key`, `EVENTS_AT`). wasm-bindgen writes it to a snippet file,
// which scripts/short-wasm-names.mjs puts into the glue (scripts/build-pkg.sh then removes the
// snippets), so the package ships, and the size budget counts, no separate file.
#[wasm_bindgen(
    inline_js = "const K=\",data,transport,code,reason,wasClean,attempt,delayMs,from,to,dropped,messages,open,message,error,close,disconnect,reconnecting,reconnected,fallback,upgrade,maxReconnectAttemptsReached,queueOverflow,sessionLost,undelivered,type\".split(\",\");export function makeEvent(t,a,b,c,d,e,f){const o={};if(a)o[K[a]]=b;if(c)o[K[c]]=d;if(e)o[K[e]]=f;if(t)o.type=K[t];return o}"
)]
extern "C" {
    /// `{ [K[a]]: b, [K[c]]: d, [K[e]]: f, type: K[t] }`, leaving out each property whose name
    /// index is 0, and `type` for `t` 0.
    #[wasm_bindgen(js_name = makeEvent)]
    pub fn make_event(
        t: i32,
        a: i32,
        b: &JsValue,
        c: i32,
        d: &JsValue,
        e: i32,
        f: &JsValue,
    ) -> JsValue;
}

#[wasm_bindgen]
extern "C" {
    /// A classic WebSocket message's `data`: a string, or (with `binaryType` "arraybuffer") an
    /// `ArrayBuffer`.
    pub type MessageData;

    /// `data.length`: a string's length in UTF-16 code units; NaN for an `ArrayBuffer`, which
    /// has no `length`. One call is both the type test and the size.
    #[wasm_bindgen(method, getter, structural)]
    pub fn length(this: &MessageData) -> f64;
}
