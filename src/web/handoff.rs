//! The hand-off slot: a text's JS string, kept while the text's copy in wasm passes through the
//! driver, so that the other end uses the browser's own string instead of copying the text out
//! of wasm again (one copy per direction instead of two): a received message's event, a sent
//! message's `WebSocket.send`.

use crate::prelude::*;
use core::cell::Cell;
use core::mem::ManuallyDrop;
use wasm_bindgen::JsValue;

/// A text's key (where its bytes are, and how many) and the JS string it was copied from, while
/// it passes through the driver: see [`hand_off_text`].
type HandedOff = ((usize, usize), JsValue);

/// `ManuallyDrop`: every value leaves through [`swap_handed_off`], which gives it back its
/// drop; the slot itself has no drop glue.
static HANDED_OFF: OneThread<Cell<Option<Held>>> = OneThread(Cell::new(None));

/// A `static` of the one thread a browser gives wasm (std's `thread_local!` is not in the
/// `no_std` build).
struct OneThread<T>(T);

// SAFETY: wasm32 without the `atomics` target feature has one thread, so the value is never
// reached from two threads; a threaded build (atomics) is refused by the compile error below.
unsafe impl<T> Sync for OneThread<T> {}

#[cfg(target_feature = "atomics")]
compile_error!("the hand-off slot in src/web/handoff.rs assumes single-threaded wasm");

/// [`HandedOff`] as the slot holds it.
type Held = ((usize, usize), ManuallyDrop<JsValue>);

/// Puts `new` in the hand-off slot and returns what it held (one function for every use).
fn swap_handed_off(new: Option<HandedOff>) -> Option<HandedOff> {
    let new = new.map(|(key, js)| (key, ManuallyDrop::new(js)));
    HANDED_OFF
        .0
        .replace(new)
        .map(|(key, js)| (key, ManuallyDrop::into_inner(js)))
}

/// Passes `text`, copied from the JS string `js`, through `report`, with `js` held meanwhile.
/// Received: if `report` delivers the message (synchronously, the driver being idle), the
/// event's `data` is `js` itself, not a second copy of the text out of wasm. Sent (the JS
/// class's `send(string)`): if the transport writes it at once, the classic WebSocket or
/// WebSocketStream sends `js` itself. The message is recognised by its
/// buffer (where its bytes are, and how many: the core moves a message's `String` to the event
/// without copying it). While this message is delivered its buffer is alive, so no other text
/// can have that key; every other text event made during `report` comes from a message the core
/// already held, whose buffer is alive too. A message the core consumes (a pong, a late message
/// of a replaced link) frees its buffer inside `report`: this stays right only as long as the
/// core never makes and delivers a new text `String` later in the same report (it does not: it
/// only moves received ones). Sending is the same: the text reaches the transport as the same
/// `String`; what the core makes itself (a batch, a session frame, a ping) is another length or
/// binary, and a message it refuses is handed back, not written. A debug build checks every match. Anything else (the driver busy,
/// the message consumed or dropped) leaves `js` unused, and it is released when `report`
/// returns. No borrow is held while `report` runs.
pub(crate) fn hand_off_text(text: String, js: JsValue, report: impl FnOnce(String)) {
    let key = (text.as_ptr() as usize, text.len());
    drop(swap_handed_off(Some((key, js))));
    report(text);
    drop(swap_handed_off(None));
}

/// The JS string `text` was copied from, if it is the one being handed off.
pub(crate) fn take_handed_off(text: &str) -> Option<JsValue> {
    let (key, js) = swap_handed_off(None)?;
    if key == (text.as_ptr() as usize, text.len()) {
        debug_assert_eq!(js.as_string().as_deref(), Some(text));
        return Some(js);
    }
    // Another message's (never, as things are): left for its own use.
    drop(swap_handed_off(Some((key, js))));
    None
}
