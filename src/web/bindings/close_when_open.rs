//! Closing a WebSocket that has not opened yet, without ending what the server attached to it.
//!
//! A socket the client gives up on while it connects (an upgrade probe abandoned because the
//! working link dropped, a connect timeout, the application's `close()` while connecting) may
//! already be accepted by the server. Closed while `CONNECTING`, Chromium sends 1001 "going
//! away" once the handshake is through (for `WebSocket` and `WebSocketStream` alike; Firefox
//! drops the TCP connection), and a v2 server ends a resumable session on 1001 (PROTOCOL.md §7):
//! a probe that had just taken the session over ended it, and the next resume found it gone
//! (seen in the transport-switching soak). So such a socket is closed once it opens, with the
//! code and reason the client chose (a code or reason the browser refuses: the code alone, then
//! nothing; 1005, which ends a session too, only if even the code is refused).
//!
//! Waiting is bounded: a handshake not through within [`OPEN_WAIT_MS`] is aborted as before.
//! Browsers allow one `CONNECTING` WebSocket per host and port at a time, so a server that
//! accepts TCP but never answers the upgrade would otherwise hold every later WebSocket to it
//! (the socket's own reconnect included) until the browser's own open timeout, minutes in
//! Chromium (the review saw a second socket still connecting after 6 s, in both browsers). The
//! window this covers, a `101` already on its way, is one round trip. A resume the server takes
//! in that second still takes the session over from the link the client went on with (the
//! server cuts that link, and the client resumes again): bounded, not prevented.

use wasm_bindgen::JsValue;

/// How long a socket closed while connecting may take to open before it is aborted.
pub const OPEN_WAIT_MS: u32 = 1_000;

/// Closes `socket` (a `WebSocket` or a `WebSocketStream`) with `code` and `reason` once it is
/// open (at once if it is past connecting), or aborts it if it has not opened within
/// [`OPEN_WAIT_MS`]. The JS is `closeWhenOpen` in the snippet of `bindings/message.rs` (one
/// snippet file for every helper: each file is one more module the page fetches before it runs).
pub fn close_when_open(socket: &JsValue, code: u16, reason: &str) {
    super::message::close_when_open(
        socket,
        code,
        &JsValue::from_str(reason),
        f64::from(OPEN_WAIT_MS),
    );
}
