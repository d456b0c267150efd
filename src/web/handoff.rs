//! The hand-off slot: a received text message's JS string, kept while the text's copy in wasm
//! passes through the driver, so that the message's event carries the browser's own string
//! instead of a second copy of the text out of wasm (one copy per direction, not two).
//!
//! Only the receive direction uses it. Sending was tried (`send(string)` handing its JS string to
//! the WebSocket) and taken out again: no gain showed in an interleaved A/B bench, and it made
//! the slot live across the core's own allocations, where a key could in principle match a
//! later text (review of 2026-11-26).

use crate::prelude::*;
use core::cell::Cell;
use core::mem::ManuallyDrop;
use wasm_bindgen::JsValue;

/// A text's key (where its bytes are, and how many) and the JS string it was copied from, while
/// it passes through the driver: see [`hand_off_text`].
type HandedOff = ((usize, usize), JsValue);

/// [`HandedOff`] as the slot holds it. `ManuallyDrop`: every value leaves through
/// [`swap_handed_off`], which gives it back its drop; the slot itself has no drop glue (a
/// thread-local with some registers a destructor).
type Held = ((usize, usize), ManuallyDrop<JsValue>);

#[cfg(feature = "std")]
std::thread_local! {
    static HANDED_OFF: Cell<Option<Held>> = const { Cell::new(None) };
}

/// Without std (the npm package's build) there is no `thread_local!`: a `static` of the one
/// thread a browser gives wasm.
#[cfg(not(feature = "std"))]
static HANDED_OFF: OneThread<Cell<Option<Held>>> = OneThread(Cell::new(None));

/// A `static` for single-threaded wasm (`thread_local!`'s `with`, without std).
#[cfg(not(feature = "std"))]
struct OneThread<T>(T);

// SAFETY: wasm32 without the `atomics` target feature has one thread, so the value is never
// reached from two threads; a threaded build without std is refused by the compile error below
// (with std, the slot is a `thread_local!`).
#[cfg(not(feature = "std"))]
unsafe impl<T> Sync for OneThread<T> {}

#[cfg(not(feature = "std"))]
impl<T> OneThread<T> {
    fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.0)
    }
}

#[cfg(all(not(feature = "std"), target_feature = "atomics"))]
compile_error!("the hand-off slot in src/web/handoff.rs needs `std` in a threaded build");

/// Puts `new` in the hand-off slot and returns what it held (one function for every use).
fn swap_handed_off(new: Option<HandedOff>) -> Option<HandedOff> {
    let new = new.map(|(key, js)| (key, ManuallyDrop::new(js)));
    HANDED_OFF
        .with(|slot| slot.replace(new))
        .map(|(key, js)| (key, ManuallyDrop::into_inner(js)))
}

/// Reports `text`, received as the JS string `js`, through `report`, with `js` held meanwhile:
/// if `report` delivers the message (synchronously, the driver being idle), the event's `data`
/// is `js` itself, not a second copy of the text out of wasm. The message is recognised by its
/// buffer (where its bytes are, and how many: the core moves a message's `String` to the event
/// without copying it). While this message is delivered its buffer is alive, so no other text
/// can have that key; every other text event made during `report` comes from a message the core
/// already held, whose buffer is alive too. A message the core consumes (a pong, a late message
/// of a replaced link) frees its buffer inside `report`: this stays right only as long as the
/// core never makes and delivers a new text `String` later in the same report (it does not: it
/// only moves received ones). A debug build checks every match. Anything else (the driver busy,
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
    // Another message's (never, as things are): left for its own event.
    drop(swap_handed_off(Some((key, js))));
    None
}
