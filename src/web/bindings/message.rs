//! The per-message calls of the classic WebSocket receive path and of the streams' read loop,
//! each one call into JS where `web-sys` and `js-sys` would need several
//! (bench/latency-breakdown.mjs counts them).

use crate::prelude::*;
use wasm_bindgen::prelude::*;

// The per-message snippet: an event's object in one call (instead of `new Object` and a
// `Reflect.set` per property), its properties in the order they always had: up to three, then
// `type`; a stream's next read with its reaction, in one call; a message's kind and size in one
// call. Property names and event names are indices into its table `K`, whose order
// src/web/js_events.rs keeps (`Key`, `EVENTS_AT`). wasm-bindgen writes it to a snippet file,
// which scripts/short-wasm-names.mjs puts into the glue (scripts/build-pkg.sh then removes the
// snippets), so the package ships, and the size budget counts, no separate file.
#[wasm_bindgen(
    inline_js = "const K=\",data,transport,code,reason,wasClean,attempt,delayMs,from,to,dropped,messages,open,message,error,close,disconnect,reconnecting,reconnected,fallback,upgrade,maxReconnectAttemptsReached,queueOverflow,sessionLost,undelivered,type\".split(\",\");export function makeEvent(t,a,b,c,d,e,f){const o={};if(a)o[K[a]]=b;if(c)o[K[c]]=d;if(e)o[K[e]]=f;if(t)o.type=K[t];return o}export function readNext(r,f){r.read().then(f,f.r||=e=>f(e??Error(\"stream failed without a reason\")))}export function sizeOf(d){return typeof d==\"string\"?d.length:d instanceof ArrayBuffer||d instanceof Uint8Array?-1-d.byteLength:NaN}export function makeListeners(){let z=0;const L=[],H=[null,null,null,null],E=K.indexOf(\"open\"),rm=e=>{const i=L.indexOf(e);if(i>=0){L.splice(i,1);e.s&&e.s.removeEventListener(\"abort\",e.a)}},call=(f,v)=>{try{typeof f==\"function\"?f.call(void 0,v):f.handleEvent(v)}catch(x){try{console.error(\"universal-socket: a listener threw\",x)}catch{}}};return{add(t,f,o){if(f==null)return 0;if(typeof f!=\"function\"&&typeof f!=\"object\")return 2;let n=!1,s;if(o&&typeof o==\"object\"){n=!!o.once;s=o.signal;if(s!==void 0&&!(s instanceof AbortSignal))return 1}if(z||s&&s.aborted||L.some(e=>e.t==t&&e.f===f))return 0;const e={t,f,n,s};if(s){e.a=()=>rm(e);s.addEventListener(\"abort\",e.a)}L.push(e);return 0},remove(t,f){const e=L.find(e=>e.t==t&&e.f===f);e&&rm(e)},emit(t,a,b,c,d,e,f){const v=makeEvent(t,a,b,c,d,e,f);for(const x of L.filter(x=>x.t==t))if(L.includes(x)){x.n&&rm(x);call(x.f,v)}const h=H[t-E];h&&call(h,v)},handler(i){return H[i]},setHandler(i,f){z||(H[i]=f)},count(){return L.length+H.filter(h=>h).length},clear(){z=1;for(const e of L.slice())rm(e);H.fill(null)}}}const T=Object.prototype.toString,G=(C,k)=>C&&Object.getOwnPropertyDescriptor(C.prototype,k).get,BA=G(ArrayBuffer,\"byteLength\"),BS=G(globalThis.SharedArrayBuffer,\"byteLength\"),BB=G(globalThis.Blob,\"size\"),Q=(g,d)=>{try{return g.call(d)}catch{}};export function viewOf(d,m){let v,t,n;try{v=ArrayBuffer.isView(d);if(!v&&!(d instanceof ArrayBuffer)){t=T.call(d);if(/^\\[object (Shared)?ArrayBuffer]$/.test(t)){if(Q(BA,d)===n&&Q(BS,d)===n)return}else return d instanceof Blob||/^\\[object (Blob|File)]$/.test(t)?(n=Q(BB,d))===void 0?void 0:n>m?-n:null:void 0}}catch{return}try{const b=v?d.buffer:d;if(b.detached)return+v;n=d.byteLength;return n>m?-n:new Uint8Array(b,v?d.byteOffset:0,n)}catch{return 2}}const C=(w,c,r)=>{try{w.close(c,r)}catch{try{w.close(c)}catch{w.close()}}};export function closeWhenOpen(w,c,r,m){let o=0;const t=setTimeout(()=>o||w.close(),m),f=()=>{o=1;clearTimeout(t)};if(\"opened\"in w)w.opened.then(()=>{f();C(w,{closeCode:c,reason:r})},f);else if(w.readyState)f(),C(w,c,r);else{w.addEventListener(\"open\",()=>{f();C(w,c,r)},{once:!0});w.addEventListener(\"close\",f,{once:!0})}}export function closeWhenSettled(p,s,m){const c=()=>s.close();p.then(c,c);setTimeout(c,m)}"
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

    /// `reader.read()`, whose outcome, a `{ value, done }` result or the error it rejected with,
    /// goes to `f` (a rejection through one function made once per `f`, kept on it as `f.r`:
    /// nothing is made per read). An error that is `undefined` or `null` (a mocked or
    /// polyfilled stream errored
    /// without a reason: `controller.error()` in a mocked `fetch`), on which `f`'s property reads
    /// would throw, the loop stop and its owner wait forever, goes as an `Error` that says so.
    #[wasm_bindgen(js_name = readNext)]
    pub fn read_next(reader: &web_sys::ReadableStreamDefaultReader, f: &JsValue);

    /// A message's or chunk's size, and its kind, in one call: a string's length in UTF-16 code
    /// units (≥ 0); `-1 - byteLength` for an `ArrayBuffer` or a `Uint8Array`; NaN for anything
    /// else. See `stream_support::size_of`.
    #[wasm_bindgen(js_name = sizeOf)]
    pub fn size_of(data: &JsValue) -> f64;

    /// The bytes of an `ArrayBuffer` (or `SharedArrayBuffer`) or of any view of one
    /// (TypedArray, DataView), as a `Uint8Array` over them; `null` for a `Blob` (or `File`);
    /// `undefined` for anything else; for a detached buffer 0 (given as an `ArrayBuffer`) or 1
    /// (under a view); 2 when its bytes cannot be read (a getter throws: a Proxy around a
    /// buffer); `-size` when a buffer's or a Blob's size is over `max`, so that nothing is
    /// copied into wasm (or read from a Blob) only to be refused. Values of another realm (an
    /// iframe's, those a worker's message brought), which `instanceof` misses, are recognised by
    /// their `Object.prototype.toString` tag and then confirmed by the prototype getter that
    /// only a real one passes (`byteLength`, `size`: a brand check, which holds across realms),
    /// so a plain object claiming the tag is still an object (JSON); `isView` is realm-blind
    /// already. Before, such a buffer or Blob was sent as the JSON text `{}`. See
    /// `js_socket::data_of`. One call: in Rust it was five (`instanceof`, `isView` and three
    /// property reads, each with its key made in wasm); measured 66 B gzipped less for the full
    /// build, 92 B for the WebSocket-only one.
    #[wasm_bindgen(js_name = viewOf)]
    pub fn view_of(data: &JsValue, max: f64) -> JsValue;

    /// A new, empty [`Listeners`] registry (see `js_events::JsSide`).
    #[wasm_bindgen(js_name = makeListeners)]
    pub fn make_listeners() -> Listeners;

    /// Closes `socket` (a `WebSocket` or a `WebSocketStream`) with `code` and `reason` as soon
    /// as it is open, or at once if it is past connecting; aborts it if it has not opened
    /// within `wait_ms` (why, and the wait: `bindings/close_when_open.rs`, which calls it).
    /// (`reason` as a JS string and `wait_ms` as an `f64`: a `&str` or a `u32` would make the
    /// glue wrap the call, and a snippet function the glue names cannot share this snippet with
    /// the ones the wasm imports directly: scripts/short-wasm-names.mjs.)
    #[wasm_bindgen(js_name = closeWhenOpen)]
    pub fn close_when_open(socket: &JsValue, code: u16, reason: &JsValue, wait_ms: f64);

    /// Closes the EventSource `source` once `promise` settles (the request of
    /// `HttpShared::abandon_server_session`, aborted if unanswered after `wait_ms`), or after
    /// `wait_ms` if it does not (a browser without `AbortSignal.timeout`, a `fetch` wrapper that
    /// drops the signal). (`wait_ms` an `f64`, as for `closeWhenOpen`.)
    #[cfg(feature = "sse")]
    #[wasm_bindgen(js_name = closeWhenSettled)]
    pub fn close_when_settled(
        promise: &js_sys::Promise,
        source: &web_sys::EventSource,
        wait_ms: f64,
    );
}

// A socket's listeners live in JS (the `makeListeners` registry above), which keeps `EventTarget`'s
// rules in a few lines: a listener added twice for the same event counts once; `once` removes it
// before its call; `signal` removes it on abort (and its abort listener goes with it); one removed
// during a dispatch is not called by it, one added is not called either; one that throws is
// reported on the console and the others still run. In wasm the same rules took about 4 KB of
// code (a `Vec` of entries, a boxed abort callback each, the dispatch loop), and every event cost
// one call into JS per listener; now it is one call per event. Event names are the indices of
// their names in `K`.
//
// Reading the snippet: `L` is the entries in the order they were added, each `{t, f, n, s, a}`
// (event index, listener, once, signal, the signal's abort listener); `H` the four `on*` handlers
// (open, message, error, close: the first four event names, so `H[t - E]` with `E` the index of
// "open" in `K`); `z` set by `clear` (released: adds and handler sets are ignored from then on);
// `rm` removes an entry and its abort listener; `call` calls a listener, reporting what it throws.
// `emit` calls a snapshot of `t`'s entries (one added meanwhile waits for the next event), skipping
// those removed meanwhile, then the handler. `add` answers 1 for a `signal` that is not an
// AbortSignal and 2 for a listener that is neither a function nor an object (the caller's error
// message names its method); `call` calls an object's `handleEvent`, as the DOM does.
#[wasm_bindgen]
extern "C" {
    /// One socket's listeners and `on*` handlers.
    pub type Listeners;

    /// Adds `f` (a function, or an object whose `handleEvent` is called, as the DOM allows) for
    /// event `t` with `addEventListener`'s `options` (a boolean, or `{ once, signal }`). Answers
    /// 0 when added or ignored (a listener already there, `null`/`undefined`, an aborted signal,
    /// after `clear`), 1 when `options.signal` is not an AbortSignal, 2 when `f` is neither a
    /// function nor an object (nothing is added for either).
    /// Errors thrown by the options' getters come back as `Err` (`catch`: a JS exception must
    /// not unwind through wasm while the socket is borrowed).
    #[wasm_bindgen(method, catch)]
    pub fn add(
        this: &Listeners,
        t: i32,
        f: &js_sys::Function,
        options: &JsValue,
    ) -> Result<u32, JsValue>;

    /// Removes `f` for event `t` (unknown pairs are ignored).
    #[wasm_bindgen(method)]
    pub fn remove(this: &Listeners, t: i32, f: &js_sys::Function);

    /// Makes event `t`'s object as [`make_event`] does and calls `t`'s listeners in order, then
    /// its `on*` handler, each with it.
    #[wasm_bindgen(method, catch)]
    pub fn emit(
        this: &Listeners,
        t: i32,
        a: i32,
        b: &JsValue,
        c: i32,
        d: &JsValue,
        e: i32,
        f: &JsValue,
    ) -> Result<(), JsValue>;

    /// `on*` handler `i` (`js_events::Handler`), or null.
    #[wasm_bindgen(method)]
    pub fn handler(this: &Listeners, i: u32) -> JsValue;

    /// Sets `on*` handler `i` to a function or null (ignored after `clear`).
    #[wasm_bindgen(method, js_name = setHandler)]
    pub fn set_handler(this: &Listeners, i: u32, f: &JsValue);

    /// Listeners and handlers held.
    #[wasm_bindgen(method)]
    pub fn count(this: &Listeners) -> u32;

    /// Drops every listener and handler, and takes none from now on.
    #[wasm_bindgen(method)]
    pub fn clear(this: &Listeners);
}

// A snippet of its own: wasm-bindgen wraps this import (it hands `copyBytes` a view of wasm
// memory), so the glue imports it by name, which scripts/short-wasm-names.mjs handles only for a
// snippet whose functions are all imported that way.
#[wasm_bindgen(
    inline_js = "export function copyBytes(s,d){d.set(s instanceof ArrayBuffer?new Uint8Array(s):s)}"
)]
extern "C" {
    /// Copies the bytes of an `ArrayBuffer` or `Uint8Array` into `into`, which `size_of` sized:
    /// one call (js-sys's `to_vec` makes three, plus one for a view of an `ArrayBuffer`).
    #[wasm_bindgen(js_name = copyBytes)]
    pub fn copy_bytes(data: &JsValue, into: &mut [u8]);
}

/// The bytes of `array`, copied into wasm with [`copy_bytes`]: js-sys's `Uint8Array::to_vec`
/// checks the copy's length with an `assert_eq!`, whose failure message formats both lengths
/// (`core::panicking::assert_failed` and its text in the wasm, issue 9: size).
/// Nothing is copied for 0 bytes (a detached buffer's view measures 0, and `set` would throw).
pub fn array_to_vec(array: &js_sys::Uint8Array) -> Vec<u8> {
    let mut out = vec![0; array.length() as usize];
    if !out.is_empty() {
        copy_bytes(array, &mut out);
    }
    out
}
