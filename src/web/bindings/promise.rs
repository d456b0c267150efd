//! Promise reactions without wasm-bindgen-futures: a callback runs once the promise settles.
//!
//! Every place the crate waits for a promise (a transport's `opened`, a `fetch`, a Blob's bytes,
//! `getToken()`) is one step, not a loop, so a callback says it as plainly as an `async fn`
//! would, and the JS build links no executor, no `JsFuture`, no oneshot channel and no async
//! state machines (3.4 KB of the full build gzipped, 2.9 KB of the WebSocket-only one; README
//! "Size and speed").

use crate::prelude::*;
use core::cell::Cell;
use js_sys::Promise;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

#[wasm_bindgen(inline_js = "const N=()=>{};export function settleQuietly(p){p.then(N,N)}")]
extern "C" {
    /// Waits for `promise` and ignores the outcome, so that a rejection counts as handled (no
    /// console noise): one call into JS with one shared no-op function, no Rust callback.
    #[wasm_bindgen(js_name = settleQuietly)]
    pub fn settle_quietly(promise: &Promise);
}

/// What runs once a promise settles: `Ok` with its value, or `Err` with why it was rejected.
pub type Reaction = Box<dyn FnOnce(Result<JsValue, JsValue>)>;

/// A reaction waiting for its promise, with the two callbacks the promise holds: the first one
/// called drops both (and itself runs to its end first, as wasm-bindgen allows).
struct Waiting {
    on_fulfilled: Closure<dyn FnMut(JsValue)>,
    on_rejected: Closure<dyn FnMut(JsValue)>,
}

/// Runs `reaction` once `promise` settles (in a microtask, as `await` would). Its two callbacks
/// are owned here, as a `JsFuture`'s are, and freed once one of them has run (no JS helper, and
/// fewer bytes than one closure for both outcomes behind a JS `then(v => f(true, v), …)`); a
/// promise that never settles keeps them, as it would keep a task awaiting it. The reaction
/// must capture only `Weak`s to state it does not own, so that dropping that state ends what
/// the reaction would have done.
pub fn when_settled(promise: &Promise, reaction: Reaction) {
    let reaction = Rc::new(Cell::new(Some(reaction)));
    let waiting: Rc<Cell<Option<Rc<Waiting>>>> = Rc::new(Cell::new(None));
    let settle = |fulfilled: bool| {
        let (reaction, waiting) = (reaction.clone(), waiting.clone());
        Closure::<dyn FnMut(JsValue)>::new(move |value: JsValue| {
            let callbacks = waiting.take();
            if let Some(reaction) = reaction.take() {
                reaction(if fulfilled { Ok(value) } else { Err(value) });
            }
            drop(callbacks);
        })
    };
    let callbacks = Rc::new(Waiting {
        on_fulfilled: settle(true),
        on_rejected: settle(false),
    });
    // Kept before `then` is called: a thenable that calls back at once then still frees them.
    waiting.set(Some(callbacks.clone()));
    let _ = promise.then2(&callbacks.on_fulfilled, &callbacks.on_rejected);
}

/// Runs `then` in a microtask: after the current call returns, before any timer or event.
pub fn next_microtask(then: Box<dyn FnOnce()>) {
    when_settled(
        &Promise::resolve(&JsValue::UNDEFINED),
        Box::new(move |_| then()),
    );
}

/// Waits for `promise` without looking at the outcome (a rejection is handled, so the console
/// stays quiet), keeping `keep` alive until it has settled: callbacks that a reaction queued
/// before it settles may still call.
pub fn settle_then_drop(promise: &Promise, keep: Box<dyn core::any::Any>) {
    when_settled(promise, Box::new(move |_| drop(keep)));
}

/// A new Promise and the function that settles it (`Ok` fulfils, `Err` rejects), handed to
/// `start` synchronously: what `start` does happens before the Promise is returned.
pub fn promise_with(start: &mut dyn FnMut(Reaction)) -> Promise {
    Promise::new(&mut |resolve: js_sys::Function, reject: js_sys::Function| {
        start(Box::new(move |outcome| {
            let _ = match outcome {
                Ok(value) => resolve.call1(&JsValue::UNDEFINED, &value),
                Err(error) => reject.call1(&JsValue::UNDEFINED, &error),
            };
        }))
    })
}
