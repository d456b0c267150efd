//! JS listeners of a `UniversalSocket` and the JS shape of each event.
//!
//! Listeners are called with no Rust borrow held, so a listener may call `send`, `on`, `off` or
//! `close`. As with `EventTarget`: a listener that throws is reported on the console and does
//! not stop the others; one removed during a dispatch is not called by it; `once` and `signal`
//! work.
//!
//! The listeners live in a small JS registry (`bindings::message::Listeners`) that keeps those
//! rules; this file decides what each event looks like and when the listeners are released. The
//! registry is held from wasm, so it is a GC root (wasm-bindgen keeps every `JsValue` Rust owns
//! alive): a listener that captures its socket would keep a closed socket alive forever. After
//! `close()`, once the final `close` event has been dispatched, every listener is released.

use super::bindings::message::{make_event, make_listeners, Listeners};
use super::driver::SocketEvent;
use super::handoff::take_handed_off;
use super::options::BinaryType;
use crate::core::codec::decode_unparsed;
use crate::core::text::{concat, decimal, join, quoted};
use crate::core::{CodecLimits, Payload, TransportKind};
use crate::prelude::*;
use core::cell::Cell;
use js_sys::{Array, Function, Uint8Array};
use wasm_bindgen::JsValue;

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

/// Listeners and the settings that shape delivered events. The listeners themselves live in JS
/// ([`Listeners`]: `EventTarget`'s rules in a few lines, one call into JS per event); what is
/// kept here is when they are released.
pub struct JsSide {
    listeners: Listeners,
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
    /// The transport's name as a JS string, for message events: set by `open` (which comes
    /// before any message).
    transport: Cell<JsValue>,
}

impl JsSide {
    /// A dispatcher with no listeners yet; the three settings come from the socket options and
    /// decide how a message is turned into the `data` of a JS `message` event.
    pub fn new(binary_type: BinaryType, parse_json: bool, decode_binary: bool) -> Self {
        JsSide {
            listeners: make_listeners(),
            closing: Cell::new(false),
            released: Cell::new(false),
            depth: Cell::new(0),
            release_pending: Cell::new(false),
            binary_type: Cell::new(binary_type),
            parse_json,
            decode_binary,
            transport: Cell::default(),
        }
    }

    /// The event named `name` (its index in the JS helper's table, as [`Listeners`] takes it),
    /// or an error that lists the valid names.
    pub fn event(name: &str) -> Result<i32, String> {
        match EVENT_NAMES.iter().position(|n| *n == name) {
            Some(i) => Ok(EVENTS_AT + i as i32),
            None => Err(concat(&[
                "unknown event ",
                &quoted(name),
                "; events are: ",
                &join(&EVENT_NAMES, ", "),
            ])),
        }
    }

    /// Adds a listener (a function, or an object with `handleEvent`; `null` is ignored) for
    /// `event` (from [`Self::event`]) with `addEventListener`'s `options`:
    /// a boolean (capture, which means nothing here) or `{ once, signal, capture, passive }`
    /// (`once` by truthiness). As `addEventListener` does, a second add of the same function for
    /// the same event is ignored, and so is an add with an already-aborted signal; after the
    /// release, adds are ignored too (the listener could never be called). `method` names the
    /// caller in the error for a `signal` that is not an AbortSignal.
    pub fn add(
        &self,
        event: i32,
        listener: &Function,
        options: &JsValue,
        method: &str,
    ) -> Result<(), String> {
        match self.listeners.add(event, listener, options) {
            Ok(1) => Err(concat(&[
                method,
                "(): options.signal must be an AbortSignal",
            ])),
            Ok(2) => Err(concat(&[
                method,
                "(): the listener must be a function or an object with handleEvent, not ",
                &listener.js_typeof().as_string().unwrap_or_default(),
            ])),
            Ok(_) => Ok(()),
            // A getter of the options object threw: as `addEventListener` does, the add fails
            // with it (the error's message, since this returns a message).
            Err(error) => Err(concat(&[
                method,
                "(): reading options threw: ",
                &super::transport::websocket::describe(&error),
            ])),
        }
    }

    /// `removeEventListener`/`off`: removes `listener` for `event` (the same function object
    /// that was added), as the DOM does; unknown pairs are ignored.
    pub fn remove(&self, event: i32, listener: &Function) {
        self.listeners.remove(event, listener);
    }

    /// Listeners and `on*` handlers currently held (0 once released).
    pub fn listener_count(&self) -> usize {
        self.listeners.count() as usize
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
        self.listeners.clear();
    }

    /// The current `on*` handler, or `null`, as the `onopen`… getters return it.
    pub fn handler(&self, which: Handler) -> JsValue {
        self.listeners.handler(which as u32)
    }

    /// Sets an `on*` property: a function, or null/undefined to clear.
    pub fn set_handler(&self, which: Handler, value: JsValue) -> Result<(), String> {
        if value.is_null() || value.is_undefined() {
            self.listeners.set_handler(which as u32, &JsValue::NULL);
        } else if value.is_function() {
            self.listeners.set_handler(which as u32, &value);
        } else {
            return Err("event handler properties take a function or null".into());
        }
        Ok(())
    }

    /// Turns a socket event into its JS object and calls the listeners, then the `on*`
    /// handler. After the final `close` of a `close()`, releases every listener.
    pub fn dispatch(&self, event: &SocketEvent) {
        if self.released.get() {
            return report_unheard(event);
        }
        self.depth.set(self.depth.get() + 1);
        let name = self.emit(event);
        self.depth.set(self.depth.get() - 1);
        if name == "close" && self.closing.get() {
            self.release_pending.set(true);
        }
        if self.depth.get() == 0 && self.release_pending.get() {
            self.release();
        }
    }

    /// Makes the event's JS object and calls its listeners, in one call into JS
    /// ([`Listeners::emit`]); answers the event's name.
    fn emit(&self, event: &SocketEvent) -> &'static str {
        use Value::Js;
        let kind = |kind: &TransportKind| Js(kind.as_str().into());
        const NONE: Field = (Key::Data, Value::None);
        let (name, fields): (&'static str, [Field; 3]) = match event {
            SocketEvent::Open { transport } => {
                // Kept for message events: no string is made per message.
                let name = JsValue::from(transport.as_str());
                self.transport.set(name.clone());
                ("open", [(Key::Transport, Js(name)), NONE, NONE])
            }
            SocketEvent::Message(payload) => match self.message_data(payload) {
                Ok(data) => {
                    let transport = (Key::Transport, Js(self.transport.take()));
                    let fields = [(Key::Data, Js(data)), transport, NONE];
                    self.emit_fields("message", &fields);
                    // Put back for the next message: `emit_fields` only lent it to JS.
                    if let [_, (_, Js(transport)), _] = fields {
                        self.transport.set(transport);
                    }
                    return "message";
                }
                Err((message, raw)) => ("error", error_fields(&message, Js(raw))),
            },
            SocketEvent::Disconnect {
                code,
                reason,
                was_clean,
            } => (
                "disconnect",
                [
                    (Key::Code, Js((*code).into())),
                    (Key::Reason, Js(reason.as_str().into())),
                    (Key::WasClean, Js((*was_clean).into())),
                ],
            ),
            SocketEvent::Reconnecting { attempt, delay_ms } => (
                "reconnecting",
                [
                    (Key::Attempt, Js((*attempt).into())),
                    (Key::DelayMs, Js((*delay_ms as f64).into())),
                    NONE,
                ],
            ),
            SocketEvent::Reconnected { transport } => (
                "reconnected",
                [(Key::Transport, kind(transport)), NONE, NONE],
            ),
            SocketEvent::Fallback { from, to, reason } => (
                "fallback",
                [
                    (Key::From, kind(from)),
                    (Key::To, kind(to)),
                    (Key::Reason, Js(reason.as_str().into())),
                ],
            ),
            SocketEvent::Upgrade { from, to } => (
                "upgrade",
                [(Key::From, kind(from)), (Key::To, kind(to)), NONE],
            ),
            SocketEvent::MaxReconnectAttemptsReached => {
                ("maxReconnectAttemptsReached", [NONE, NONE, NONE])
            }
            SocketEvent::SessionLost { reason } => (
                "sessionLost",
                [(Key::Reason, Js(reason.as_str().into())), NONE, NONE],
            ),
            SocketEvent::QueueOverflow { dropped } => (
                "queueOverflow",
                [(Key::Dropped, Js((*dropped as f64).into())), NONE, NONE],
            ),
            SocketEvent::Error(message) => ("error", error_fields(message, Value::None)),
            SocketEvent::Undelivered(payloads) => {
                // Pushed, not collected: no `FromIterator`/`Extend` for `Array` (issue 9: size).
                let list = Array::new();
                for payload in payloads {
                    list.push(&self.raw_data(payload));
                }
                (
                    "undelivered",
                    [(Key::Messages, Js(list.into())), NONE, NONE],
                )
            }
            SocketEvent::Close(info) => (
                "close",
                [
                    (Key::Code, Js(info.code.into())),
                    (Key::Reason, Js(info.reason.as_str().into())),
                    (Key::WasClean, Js(info.was_clean.into())),
                ],
            ),
        };
        self.emit_fields(name, &fields);
        name
    }

    /// Calls the listeners of `name` with `{ <fields in order>, type: name }`.
    fn emit_fields(&self, name: &'static str, fields: &[Field; 3]) {
        let undefined = JsValue::UNDEFINED;
        let [(a, b), (c, d), (e, f)] = event_args(fields, &undefined);
        // Nothing a listener does escapes (the registry catches it); `catch` keeps even a
        // failure of the registry itself from unwinding through wasm with the socket borrowed.
        let _ = self.listeners.emit(event_index(name), a, b, c, d, e, f);
    }

    /// A payload as delivered: text (or parsed JSON), or binary by `binaryType`, or a codec
    /// frame as `{ type, data }`. A frame that does not decode is an error, with the raw bytes.
    /// Text (not parsed) is the JS string it was copied from when the adapter handed that over
    /// (see [`super::handoff::hand_off_text`]), else copied out of wasm.
    fn message_data(&self, payload: &Payload) -> Result<JsValue, (String, JsValue)> {
        match payload {
            Payload::Text(text) => {
                if self.parse_json {
                    return Ok(
                        js_sys::JSON::parse(text).unwrap_or_else(|_| JsValue::from_str(text))
                    );
                }
                Ok(take_handed_off(text).unwrap_or_else(|| JsValue::from_str(text)))
            }
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

/// A socket dropped (`free()`, `using`) without `close()` releases its listeners too: an `abort`
/// listener on a long-lived `AbortSignal` holds the registry, and with it every listener and
/// whatever they capture, until that signal aborts.
impl Drop for JsSide {
    fn drop(&mut self) {
        self.listeners.clear();
    }
}

/// The fields of an `error` event: `message`, `error` (an `Error`) and, for a binary frame that
/// did not decode, `data` (its raw bytes).
fn error_fields(message: &str, data: Value) -> [Field; 3] {
    [
        (Key::Message, Value::Js(message.into())),
        (Key::Error, Value::Js(js_sys::Error::new(message).into())),
        (Key::Data, data),
    ]
}

/// An event property's value, or `None` for no property.
pub(crate) enum Value {
    None,
    Js(JsValue),
}

/// The names of event properties: their index in the JS helper's string table (see
/// [`make_event`]).
#[derive(Clone, Copy)]
pub(crate) enum Key {
    Data = 1,
    Transport,
    Code,
    Reason,
    WasClean,
    Attempt,
    DelayMs,
    From,
    To,
    Dropped,
    Messages,
    /// The event names "message" and "error", which double as the property names of an `error`
    /// event.
    Message = EVENTS_AT as isize + 1,
    Error = EVENTS_AT as isize + 2,
    /// "type", right after the event names.
    Type = EVENTS_AT as isize + EVENT_NAMES.len() as isize,
}

// The helper's table and these indices must agree (a shift would rename properties silently):
// the table is read from the helper's own source at compile time, and every index is checked
// against the name it must hold; the `on*` handlers are the first four event names.
const _: () = {
    let table = js_table(include_str!("bindings/message.rs").as_bytes());
    let keys: [(Key, &str); 14] = [
        (Key::Data, "data"),
        (Key::Transport, "transport"),
        (Key::Code, "code"),
        (Key::Reason, "reason"),
        (Key::WasClean, "wasClean"),
        (Key::Attempt, "attempt"),
        (Key::DelayMs, "delayMs"),
        (Key::From, "from"),
        (Key::To, "to"),
        (Key::Dropped, "dropped"),
        (Key::Messages, "messages"),
        (Key::Message, "message"),
        (Key::Error, "error"),
        (Key::Type, "type"),
    ];
    let mut i = 0;
    while i < keys.len() {
        assert!(table_entry_is(table, keys[i].0 as usize, keys[i].1));
        i += 1;
    }
    let mut i = 0;
    while i < EVENT_NAMES.len() {
        assert!(table_entry_is(
            table,
            EVENTS_AT as usize + i,
            EVENT_NAMES[i]
        ));
        i += 1;
    }
    // An empty name at 0, the index that means "no property".
    assert!(table_entry_is(table, 0, ""));
    assert!(Handler::Open as usize == 0 && Handler::Close as usize == 3);
};

/// The comma-separated string table `K` of the helper's source (`const K=\"…\"`, as written in
/// its Rust string literal); an empty table when there is none (which fails the checks).
const fn js_table(source: &[u8]) -> &[u8] {
    let start = b"K=\\\"";
    let mut at = 0;
    while at + start.len() <= source.len() {
        let mut n = 0;
        while n < start.len() && source[at + n] == start[n] {
            n += 1;
        }
        if n == start.len() {
            let (_, rest) = source.split_at(at + n);
            let mut end = 0;
            while end < rest.len() && rest[end] != b'\\' {
                end += 1;
            }
            return rest.split_at(end).0;
        }
        at += 1;
    }
    &[]
}

/// Whether entry `index` of the comma-separated `table` is `name` (false when there is none).
const fn table_entry_is(table: &[u8], index: usize, name: &str) -> bool {
    let name = name.as_bytes();
    let (mut entry, mut at) = (0, 0);
    while entry < index {
        if at >= table.len() {
            return false;
        }
        if table[at] == b',' {
            entry += 1;
        }
        at += 1;
    }
    let mut n = 0;
    while n < name.len() {
        if at + n >= table.len() || table[at + n] != name[n] {
            return false;
        }
        n += 1;
    }
    at + n == table.len() || table[at + n] == b','
}

/// An event property: its name and value.
pub(crate) type Field = (Key, Value);

/// Where the event names start in the JS helper's string table, in the order of
/// [`EVENT_NAMES`], followed by "type".
const EVENTS_AT: i32 = 12;

/// The index of event `name` in the JS helper's string table; 0 (no `type`) for a name that is
/// no event's.
fn event_index(name: &str) -> i32 {
    EVENT_NAMES
        .iter()
        .position(|n| *n == name)
        .map_or(0, |i| EVENTS_AT + i as i32)
}

/// `fields` as the JS helper's argument pairs (name index, value): 0 and `undefined` for a
/// property left out. Names are indices into the helper's own string table, so no string is
/// made or passed for them.
fn event_args<'a>(fields: &'a [Field; 3], undefined: &'a JsValue) -> [(i32, &'a JsValue); 3] {
    let mut args = [(0, undefined); 3];
    for (arg, (key, value)) in args.iter_mut().zip(fields) {
        if let Value::Js(value) = value {
            *arg = (*key as i32, value);
        }
    }
    args
}

/// `{ <fields in order> }` (no `type`), in one call into JS.
pub(crate) fn plain_object(fields: &[Field; 3]) -> JsValue {
    let undefined = JsValue::UNDEFINED;
    let [(a, b), (c, d), (e, f)] = event_args(fields, &undefined);
    make_event(0, a, b, c, d, e, f)
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
    Ok(plain_object(&[
        (Key::Type, Value::Js(decoded.type_name.into())),
        (Key::Data, Value::Js(data)),
        (Key::Data, Value::None),
    ]))
}
