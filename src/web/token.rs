//! `auth.getToken()`: calling the application's token function and waiting for what it returns.

use crate::core::text::concat;
use crate::prelude::*;
use crate::web::bindings::promise::when_settled;
use wasm_bindgen::JsValue;

/// What `auth.getToken()` gave: the token, `None` for no token (`null`/`undefined`/not a
/// string), or why it failed.
pub(crate) type TokenOutcome = Result<Option<String>, String>;

/// Calls `auth.getToken()` and hands `then` its outcome: at once for a plain value, once it
/// settles for a thenable.
pub(crate) fn call_get_token(get_token: &js_sys::Function, then: Box<dyn FnOnce(TokenOutcome)>) {
    let value = match get_token.call0(&JsValue::UNDEFINED) {
        Ok(value) => value,
        Err(error) => return then(Err(failed(&error))),
    };
    match value.clone().dyn_into_promise() {
        Some(promise) => when_settled(
            &promise,
            Box::new(move |outcome| {
                then(
                    outcome
                        .map(|value| value.as_string())
                        .map_err(|e| failed(&e)),
                )
            }),
        ),
        None => then(Ok(value.as_string())),
    }
}

fn failed(error: &JsValue) -> String {
    concat(&[
        "getToken() failed: ",
        &super::transport::websocket::describe(error),
    ])
}

trait DynIntoPromise {
    fn dyn_into_promise(self) -> Option<js_sys::Promise>;
}

impl DynIntoPromise for JsValue {
    /// Any thenable counts, as `await` would treat it.
    fn dyn_into_promise(self) -> Option<js_sys::Promise> {
        use wasm_bindgen::JsCast;
        if self.is_instance_of::<js_sys::Promise>() {
            return Some(self.unchecked_into());
        }
        let then = js_sys::Reflect::get(&self, &"then".into()).ok()?;
        then.is_function().then(|| js_sys::Promise::resolve(&self))
    }
}
