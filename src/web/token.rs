//! `auth.getToken()`: calling the application's token function and awaiting what it returns.

use crate::core::text::concat;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// Calls `auth.getToken()` and awaits it if it returned a thenable: the token, `None` for no
/// token (`null`/`undefined`/not a string), or why it failed.
pub(crate) async fn call_get_token(get_token: &js_sys::Function) -> Result<Option<String>, String> {
    let describe = super::transport::websocket::describe;
    let value = get_token
        .call0(&JsValue::UNDEFINED)
        .map_err(|e| concat(&["getToken() failed: ", &describe(&e)]))?;
    let value = match value.clone().dyn_into_promise() {
        Some(promise) => JsFuture::from(promise)
            .await
            .map_err(|e| concat(&["getToken() failed: ", &describe(&e)]))?,
        None => value,
    };
    Ok(value.as_string())
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
