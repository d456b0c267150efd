//! Promise reactions without wasm-bindgen-futures: a callback runs once the promise settles.
//!
//! Every place the crate waits for a promise (a transport's `opened`, a `fetch`, a Blob's bytes,
//! `getToken()`) is one step, not a loop, so a callback says it as plainly as an `async fn`
//! would, and the JS build links no executor, no `JsFuture` and no async state machines (about
//! 5 KB of wasm gzipped, see README "Size and speed").

use js_sys::Promise;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;

// One closure per reaction, for both outcomes: `then(f, g)` with two closures would leave the one
// that is never called allocated for good.
#[wasm_bindgen(inline_js = "export function whenSettled(p,f){p.then(v=>f(true,v),e=>f(false,e))}")]
extern "C" {
    #[wasm_bindgen(js_name = whenSettled)]
    fn when_settled_js(promise: &Promise, reaction: JsValue);
}

/// What runs once a promise settles: `Ok` with its value, or `Err` with why it was rejected.
pub type Reaction = Box<dyn FnOnce(Result<JsValue, JsValue>)>;

/// Runs `reaction` once `promise` settles (in a microtask, as `await` would). The reaction is a
/// once-closure that JS owns and frees when it has run; a promise that never settles keeps it,
/// as it would keep a task awaiting it. It must capture only `Weak`s to state it does not own, so
/// that dropping that state ends what the reaction would have done.
pub fn when_settled(promise: &Promise, reaction: Reaction) {
    let reaction = Closure::once_into_js(move |fulfilled: bool, value: JsValue| {
        reaction(if fulfilled { Ok(value) } else { Err(value) })
    });
    when_settled_js(promise, reaction);
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
pub fn settle_then_drop(promise: &Promise, keep: Box<dyn std::any::Any>) {
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
