//! JS listeners of a `UniversalSocket` and the JS shape of each event.
//!
//! Listeners are called with no Rust borrow held, so a listener may call `send`, `on`, `off` or
//! `close`. As with `EventTarget`: a listener that throws is reported on the console and does
//! not stop the others; one removed during a dispatch is not called by it; `once` and `signal`
//! work.
//!
//! Listeners held here are GC roots (wasm-bindgen keeps every `JsValue` Rust owns alive), so a
//! listener that captures its socket would keep a closed socket alive forever. After `close()`,
//! once the final `close` event has been dispatched, every listener is released.

use super::driver::SocketEvent;
use super::listener::EventListener;
use super::options::BinaryType;
use crate::core::codec::decode_unparsed;
use crate::core::text::{concat, decimal, join, quoted};
use crate::core::{CodecLimits, Payload};
use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};

/// Every event name `on`/`addEventListener` accepts.
pub const EVENT_NAMES: [&str; 13] = [
    "open",
    "message",
    "error",
    "close",
    "disconnect",
    "reconnecting",
    "reconnected",
    "fallback",
    "upgrade",
    "maxReconnectAttemptsReached",
    "queueOverflow",
    "sessionLost",
    "undelivered",
];

/// The `on*` properties, WebSocket-style.
#[derive(Clone, Copy)]
pub enum Handler {
    /// `onopen`.
    Open = 0,
    /// `onmessage`.
    Message = 1,
    /// `onerror`.
    Error = 2,
    /// `onclose`.
    Close = 3,
}

/// The third argument of `addEventListener`/`on`: a boolean (capture) or
/// `{ capture, once, passive, signal }`. `capture` and `passive` are accepted and mean nothing
/// here: there is no propagation, and nothing to prevent.
#[derive(Default)]
pub struct ListenOptions {
    /// Remove the listener just before its first call.
    pub once: bool,
    /// Remove the listener when this signal aborts.
    pub signal: Option<web_sys::AbortSignal>,
}

impl ListenOptions {
    /// Reads the options as `EventTarget` does (`once` by truthiness); `method` names the caller
    /// in the error for a `signal` that is not an AbortSignal.
    pub fn from_js(value: &JsValue, method: &str) -> Result<ListenOptions, String> {
        if !value.is_object() {
            return Ok(ListenOptions::default());
        }
        let get = |key: &str| Reflect::get(value, &JsValue::from_str(key)).unwrap_or_default();
        let signal = match get("signal") {
            s if s.is_undefined() => None,
            s => Some(
                s.dyn_into::<web_sys::AbortSignal>()
                    .map_err(|_| concat(&[method, "(): options.signal must be an AbortSignal"]))?,
            ),
        };
        Ok(ListenOptions {
            once: get("once").is_truthy(),
            signal,
        })
    }
}

/// One listener added with `on` or `addEventListener`.
struct Entry {
    /// Finds the entry again from its abort callback and across a dispatch.
    id: u64,
    name: String,
    listener: Function,
    once: bool,
    /// The `abort` listener on the entry's signal; dropping the entry detaches it.
    _abort: Option<EventListener>,
}

/// Listeners and the settings that shape delivered events.
pub struct JsSide {
    listeners: RefCell<Vec<Entry>>,
    next_id: Cell<u64>,
    handlers: RefCell<[Option<Function>; 4]>,
    /// Set by `close()`: the next `close` event is the final one, and releases every listener.
    closing: Cell<bool>,
    /// Every listener was released; nothing is kept any more (it could never be called).
    released: Cell<bool>,
    /// Dispatches in progress (a listener may cause another event synchronously).
    depth: Cell<u32>,
    /// A release asked for during a dispatch: done when the outermost dispatch ends, so every
    /// listener of the event being dispatched still gets it.
    release_pending: Cell<bool>,
    /// How binary messages are handed to listeners; settable at any time (`socket.binaryType`),
    /// as on a `WebSocket`, hence a `Cell`.
    pub binary_type: Cell<BinaryType>,
    parse_json: bool,
    decode_binary: bool,
    transport: RefCell<&'static str>,
}

impl JsSide {
    /// A dispatcher with no listeners yet; the three settings come from the socket options and
    /// decide how a message is turned into the `data` of a JS `message` event.
    pub fn new(binary_type: BinaryType, parse_json: bool, decode_binary: bool) -> Self {
        JsSide {
            listeners: RefCell::new(Vec::new()),
            next_id: Cell::new(0),
            handlers: RefCell::new(Default::default()),
            closing: Cell::new(false),
            released: Cell::new(false),
            depth: Cell::new(0),
            release_pending: Cell::new(false),
            binary_type: Cell::new(binary_type),
            parse_json,
            decode_binary,
            transport: RefCell::new(""),
        }
    }

    /// Checks an event name, with the list of valid ones in the error.
    pub fn check_name(name: &str) -> Result<(), String> {
        if EVENT_NAMES.contains(&name) {
            Ok(())
        } else {
            Err(concat(&[
                "unknown event ",
                &quoted(name),
                "; events are: ",
                &join(&EVENT_NAMES, ", "),
            ]))
        }
    }

    /// Adds a listener. As `addEventListener` does, a second add of the same function for the
    /// same event is ignored, and so is an add with an already-aborted signal; after the
    /// release, adds are ignored too (the listener could never be called).
    pub fn add(self: &Rc<Self>, name: &str, listener: Function, options: ListenOptions) {
        let aborted = options.signal.as_ref().is_some_and(|s| s.aborted());
        let present = self
            .listeners
            .borrow()
            .iter()
            .any(|e| e.name == name && e.listener == listener);
        if self.released.get() || aborted || present {
            return;
        }
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        // The abort callback holds a Weak: the signal must not keep the socket alive.
        let abort = options.signal.map(|signal| {
            let weak = Rc::downgrade(self);
            EventListener::new(&signal, "abort", move |_| {
                if let Some(js) = weak.upgrade() {
                    js.remove_where(&|e| e.id == id);
                }
            })
        });
        self.listeners.borrow_mut().push(Entry {
            id,
            name: name.to_owned(),
            listener,
            once: options.once,
            _abort: abort,
        });
    }

    /// `removeEventListener`/`off`: removes `listener` for `name` (the same function object that
    /// was added), as the DOM does; unknown pairs are ignored.
    pub fn remove(&self, name: &str, listener: &Function) {
        self.remove_where(&|e| e.name == name && &e.listener == listener);
    }

    /// Removes the matching entries; they are dropped (detaching their abort listeners, which
    /// calls into JS) only once the borrow is over. Takes a `dyn Fn`: one copy of the
    /// `partition` for both callers.
    fn remove_where(&self, matches: &dyn Fn(&Entry) -> bool) {
        let removed: Vec<Entry> = {
            let mut listeners = self.listeners.borrow_mut();
            let (gone, kept) = std::mem::take(&mut *listeners)
                .into_iter()
                .partition(|e| matches(e));
            *listeners = kept;
            gone
        };
        drop(removed);
    }

    /// Listeners and `on*` handlers currently held (0 once released).
    pub fn listener_count(&self) -> usize {
        self.listeners.borrow().len() + self.handlers.borrow().iter().flatten().count()
    }

    /// `close()` was called: the next `close` event is final and releases every listener.
    /// Returns whether it had already been called.
    pub fn mark_closing(&self) -> bool {
        self.closing.replace(true)
    }

    /// Undoes [`Self::mark_closing`] when `close()` turned out to be invalid.
    pub fn unmark_closing(&self) {
        self.closing.set(false);
    }

    /// Whether `close()` was called.
    pub fn is_closing(&self) -> bool {
        self.closing.get()
    }

    /// Drops every listener and `on*` handler and keeps none from now on, so that listeners
    /// which capture the socket no longer keep it (and everything it holds) alive. During a
    /// dispatch, this happens when the dispatch ends.
    pub fn release(&self) {
        if self.depth.get() > 0 {
            self.release_pending.set(true);
            return;
        }
        self.released.set(true);
        let listeners = std::mem::take(&mut *self.listeners.borrow_mut());
        let handlers = std::mem::take(&mut *self.handlers.borrow_mut());
        drop((listeners, handlers));
    }

    /// The current `on*` handler, or `null`, as the `onopen`… getters return it.
    pub fn handler(&self, which: Handler) -> JsValue {
        self.handlers.borrow()[which as usize]
            .clone()
            .map_or(JsValue::NULL, JsValue::from)
    }

    /// Sets an `on*` property: a function, or null/undefined to clear.
    pub fn set_handler(&self, which: Handler, value: JsValue) -> Result<(), String> {
        let handler = if value.is_null() || value.is_undefined() {
            None
        } else if let Some(f) = value.dyn_ref_function() {
            Some(f)
        } else {
            return Err("event handler properties take a function or null".into());
        };
        if !self.released.get() {
            self.handlers.borrow_mut()[which as usize] = handler;
        }
        Ok(())
    }

    /// Turns a socket event into its JS object and calls the listeners, then the `on*`
    /// handler. After the final `close` of a `close()`, releases every listener.
    pub fn dispatch(&self, event: &SocketEvent) {
        if self.released.get() {
            return report_unheard(event);
        }
        let (name, object) = self.to_js(event);
        self.depth.set(self.depth.get() + 1);
        self.call_listeners(name, &object);
        self.depth.set(self.depth.get() - 1);
        if name == "close" && self.closing.get() {
            self.release_pending.set(true);
        }
        if self.depth.get() == 0 && self.release_pending.get() {
            self.release();
        }
    }

    /// Calls the listeners of `name` in order, then its `on*` handler.
    fn call_listeners(&self, name: &str, object: &JsValue) {
        let ids: Vec<u64> = self
            .listeners
            .borrow()
            .iter()
            .filter(|e| e.name == name)
            .map(|e| e.id)
            .collect();
        for id in ids {
            if let Some(listener) = self.take_for_call(id) {
                call(&listener, object);
            }
        }
        let handler = match name {
            "open" => Some(Handler::Open),
            "message" => Some(Handler::Message),
            "error" => Some(Handler::Error),
            "close" => Some(Handler::Close),
            _ => None,
        }
        .and_then(|which| self.handlers.borrow()[which as usize].clone());
        if let Some(handler) = handler {
            call(&handler, object);
        }
    }

    /// The listener `id` if it is still registered (an earlier listener may have removed it);
    /// a `once` listener is removed here, before it is called.
    ///
    /// Removed through [`Self::remove_where`] (ids are unique), not `Vec::remove`, whose copy
    /// for `Entry` would be one more function in the wasm.
    fn take_for_call(&self, id: u64) -> Option<Function> {
        let (listener, once) = {
            let listeners = self.listeners.borrow();
            let entry = listeners.iter().find(|e| e.id == id)?;
            (entry.listener.clone(), entry.once)
        };
        if once {
            self.remove_where(&|e| e.id == id);
        }
        Some(listener)
    }

    fn to_js(&self, event: &SocketEvent) -> (&'static str, JsValue) {
        let object = Object::new();
        let set_ref = |key: &'static str, value: &JsValue| {
            with_js_str(key, |key| {
                let _ = Reflect::set(&object, key, value);
            })
        };
        let set = |key: &'static str, value: JsValue| set_ref(key, &value);
        // Static strings (transport and event names) come from the cache too.
        let set_str =
            |key: &'static str, value: &'static str| with_js_str(value, |v| set_ref(key, v));
        let name = match event {
            SocketEvent::Open { transport } => {
                *self.transport.borrow_mut() = transport.as_str();
                set_str("transport", transport.as_str());
                "open"
            }
            SocketEvent::Message(payload) => {
                match self.message_data(payload) {
                    Ok(data) => set("data", data),
                    Err((message, raw)) => {
                        set("message", message.as_str().into());
                        set("error", js_sys::Error::new(&message).into());
                        set("data", raw);
                        set_str("type", "error");
                        return ("error", object.into());
                    }
                }
                set_str("transport", *self.transport.borrow());
                "message"
            }
            SocketEvent::Disconnect {
                code,
                reason,
                was_clean,
            } => {
                set("code", (*code).into());
                set("reason", reason.as_str().into());
                set("wasClean", (*was_clean).into());
                "disconnect"
            }
            SocketEvent::Reconnecting { attempt, delay_ms } => {
                set("attempt", (*attempt).into());
                set("delayMs", (*delay_ms as f64).into());
                "reconnecting"
            }
            SocketEvent::Reconnected { transport } => {
                set_str("transport", transport.as_str());
                "reconnected"
            }
            SocketEvent::Fallback { from, to, reason } => {
                set_str("from", from.as_str());
                set_str("to", to.as_str());
                set("reason", reason.as_str().into());
                "fallback"
            }
            SocketEvent::Upgrade { from, to } => {
                set_str("from", from.as_str());
                set_str("to", to.as_str());
                "upgrade"
            }
            SocketEvent::MaxReconnectAttemptsReached => "maxReconnectAttemptsReached",
            SocketEvent::SessionLost { reason } => {
                set("reason", reason.as_str().into());
                "sessionLost"
            }
            SocketEvent::QueueOverflow { dropped } => {
                set("dropped", (*dropped as f64).into());
                "queueOverflow"
            }
            SocketEvent::Error(message) => {
                set("message", message.as_str().into());
                set("error", js_sys::Error::new(message).into());
                "error"
            }
            SocketEvent::Undelivered(payloads) => {
                let list: Array = payloads.iter().map(|p| self.raw_data(p)).collect();
                set("messages", list.into());
                "undelivered"
            }
            SocketEvent::Close(info) => {
                set("code", info.code.into());
                set("reason", info.reason.as_str().into());
                set("wasClean", info.was_clean.into());
                "close"
            }
        };
        set_str("type", name);
        (name, object.into())
    }

    /// A payload as delivered: text (or parsed JSON), or binary by `binaryType`, or a codec
    /// frame as `{ type, data }`. A frame that does not decode is an error, with the raw bytes.
    fn message_data(&self, payload: &Payload) -> Result<JsValue, (String, JsValue)> {
        match payload {
            Payload::Text(text) if self.parse_json => {
                Ok(js_sys::JSON::parse(text).unwrap_or_else(|_| JsValue::from_str(text)))
            }
            Payload::Text(text) => Ok(JsValue::from_str(text)),
            Payload::Binary(bytes) if self.decode_binary => {
                decode_frame(bytes).map_err(|message| {
                    (
                        concat(&["malformed binary frame: ", &message]),
                        self.raw_data(payload),
                    )
                })
            }
            Payload::Binary(_) => Ok(self.raw_data(payload)),
        }
    }

    fn raw_data(&self, payload: &Payload) -> JsValue {
        match payload {
            Payload::Text(text) => JsValue::from_str(text),
            Payload::Binary(bytes) => binary_value(bytes, self.binary_type.get()),
        }
    }
}

/// Property names and static values of event objects, made into JS strings once per thread
/// instead of on every event: a message event needs five, and each `JsValue::from_str` is a
/// UTF-8 decode in the glue. Immutable once made, so no borrow is held while JS runs.
const CACHED_JS_STRINGS: [&str; 21] = [
    "data",
    "transport",
    "type",
    "message",
    "error",
    "code",
    "reason",
    "wasClean",
    "attempt",
    "delayMs",
    "from",
    "to",
    "dropped",
    "messages",
    "webtransport",
    "websocket",
    "sse",
    "long-polling",
    "open",
    "close",
    "disconnect",
];

thread_local! {
    static JS_STRINGS: Vec<JsValue> =
        CACHED_JS_STRINGS.iter().map(|s| JsValue::from_str(s)).collect();
}

/// Runs `f` with `text` as a JS string: the cached one when it is in [`CACHED_JS_STRINGS`].
fn with_js_str<R>(text: &'static str, f: impl FnOnce(&JsValue) -> R) -> R {
    match CACHED_JS_STRINGS.iter().position(|s| *s == text) {
        Some(i) => JS_STRINGS.with(|all| f(&all[i])),
        None => f(&JsValue::from_str(text)),
    }
}

/// Calls one listener; one that throws is reported and does not stop the others.
fn call(listener: &Function, event: &JsValue) {
    if let Err(error) = listener.call1(&JsValue::UNDEFINED, event) {
        web_sys::console::error_2(
            &JsValue::from_str("universal-socket: a listener threw"),
            &error,
        );
    }
}

/// An event that arrived after every listener was released: messages handed back and errors
/// still go to the console, so that nothing is lost silently.
fn report_unheard(event: &SocketEvent) {
    let text = match event {
        SocketEvent::Undelivered(payloads) => concat(&[
            "universal-socket: ",
            &decimal(payloads.len() as u64),
            " message(s) came back undelivered after the socket was closed",
        ]),
        SocketEvent::Error(message) => concat(&["universal-socket (closed): ", message]),
        _ => return,
    };
    web_sys::console::warn_1(&JsValue::from_str(&text));
}

/// Bytes as an ArrayBuffer or a Blob.
pub fn binary_value(bytes: &[u8], kind: BinaryType) -> JsValue {
    let array = Uint8Array::from(bytes);
    match kind {
        BinaryType::ArrayBuffer => array.buffer().into(),
        BinaryType::Blob => {
            let parts = Array::of1(&array);
            web_sys::Blob::new_with_u8_array_sequence(&parts)
                .map_or(array.buffer().into(), JsValue::from)
        }
    }
}

/// Decodes one binary-codec frame into `{ type, data }`. The browser's `JSON.parse` is the one
/// check that the data is JSON (the core's validator would scan it a second time, and would be
/// in the wasm only for this). Its message is not passed on: V8's quotes the data.
pub fn decode_frame(bytes: &[u8]) -> Result<JsValue, String> {
    let decoded = decode_unparsed(bytes, &CodecLimits::default()).map_err(|e| e.message())?;
    let data = js_sys::JSON::parse(decoded.data_json)
        .map_err(|_| "message data is not valid JSON".to_owned())?;
    let object = Object::new();
    let _ = Reflect::set(&object, &"type".into(), &decoded.type_name.into());
    let _ = Reflect::set(&object, &"data".into(), &data);
    Ok(object.into())
}

trait DynRefFunction {
    fn dyn_ref_function(&self) -> Option<Function>;
}

impl DynRefFunction for JsValue {
    fn dyn_ref_function(&self) -> Option<Function> {
        self.dyn_ref::<Function>().cloned()
    }
}
