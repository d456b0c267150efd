//! Closing a WebSocket that has not opened yet, without ending what the server attached to it.
//!
//! A socket the client gives up on while it connects (an upgrade probe abandoned because the
//! working link dropped, a connect timeout, the application's `close()` while connecting) may
//! already be accepted by the server. Closed while `CONNECTING`, Chromium sends 1001 "going
//! away" once the handshake is through (for `WebSocket` and `WebSocketStream` alike; Firefox
//! drops the TCP connection), and a v2 server ends a resumable session on 1001 (PROTOCOL.md §7):
//! a probe that had just taken the session over ended it, and the next resume found it gone
//! (seen in the transport-switching soak). So such a socket is closed once it opens, with the
//! code and reason the client chose; one that fails to open needs nothing. The listener is the
//! browser's to drop with the socket: nothing in wasm waits for it.

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

#[wasm_bindgen(
    inline_js = "const C=(w,c,r)=>{try{w.close(c,r)}catch{w.close()}};export function closeWhenOpen(w,c,r){if(\"opened\"in w)w.opened.then(()=>C(w,{closeCode:c,reason:r}),()=>{});else if(w.readyState)C(w,c,r);else w.addEventListener(\"open\",()=>C(w,c,r),{once:!0})}"
)]
extern "C" {
    /// Closes `socket` (a `WebSocket` or a `WebSocketStream`) with `code` and `reason` as soon
    /// as it is open, or at once if it is past connecting. A code or reason the browser refuses
    /// closes it without one.
    #[wasm_bindgen(js_name = closeWhenOpen)]
    pub fn close_when_open(socket: &JsValue, code: u16, reason: &str);
}
