//! A `setTimeout` owned by a value: dropping the [`Timeout`] clears the timer, then frees its
//! closure (the gloo-timers pattern, written here because gloo-timers needs std, which the npm
//! build leaves out; see `std` in Cargo.toml).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// The global `setTimeout` (a window's or a worker's), returning the timer's id.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, millis: u32) -> JsValue;

    /// The global `clearTimeout`.
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// A pending `setTimeout`; dropping it before it fires cancels it.
pub(crate) struct Timeout {
    id: JsValue,
    _callback: Closure<dyn FnMut()>,
}

impl Timeout {
    /// Runs `callback` once, `millis` ms from now (the browser treats more than 2^31 − 1 as 0:
    /// callers cap it).
    pub(crate) fn new(millis: u32, callback: impl FnOnce() + 'static) -> Timeout {
        let callback = Closure::once(callback);
        let id = set_timeout(callback.as_ref().unchecked_ref(), millis);
        Timeout {
            id,
            _callback: callback,
        }
    }
}

impl Drop for Timeout {
    /// Clears the timer first, so the closure freed next can no longer be called.
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}
