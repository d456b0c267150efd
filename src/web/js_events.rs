//! JS listeners of a `UniversalSocket` and the JS shape of each event.
//!
//! Listeners are called with no Rust borrow held (the list is copied first), so a listener may
//! call `send`, `on`, `off` or `close`. A listener that throws is reported on the console and
//! does not stop the others, as with `EventTarget`.

use super::driver::SocketEvent;
use super::options::BinaryType;
use crate::core::{decode_message, CodecLimits, Payload};
use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use std::cell::{Cell, RefCell};
use wasm_bindgen::JsValue;

/// Every event name `on`/`addEventListener` accepts.
pub const EVENT_NAMES: [&str; 11] = [
    "open",
    "message",
    "error",
    "close",
    "disconnect",
    "reconnecting",
    "reconnected",
    "fallback",
    "maxReconnectAttemptsReached",
    "queueOverflow",
    "undelivered",
];

/// The `on*` properties, WebSocket-style.
#[derive(Clone, Copy)]
pub enum Handler {
    Open = 0,
    Message = 1,
    Error = 2,
    Close = 3,
}

/// Listeners and the settings that shape delivered events.
pub struct JsSide {
    listeners: RefCell<Vec<(String, Function)>>,
    handlers: RefCell<[Option<Function>; 4]>,
    pub binary_type: Cell<BinaryType>,
    parse_json: bool,
    decode_binary: bool,
    transport: RefCell<&'static str>,
}

impl JsSide {
    pub fn new(binary_type: BinaryType, parse_json: bool, decode_binary: bool) -> Self {
        JsSide {
            listeners: RefCell::new(Vec::new()),
            handlers: RefCell::new(Default::default()),
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
            Err(format!(
                "unknown event {name:?}; events are: {}",
                EVENT_NAMES.join(", ")
            ))
        }
    }

    /// Adds a listener (a second add of the same function for the same event is ignored, as
    /// `addEventListener` does).
    pub fn add(&self, name: &str, listener: Function) {
        let mut listeners = self.listeners.borrow_mut();
        if !listeners.iter().any(|(n, f)| n == name && f == &listener) {
            listeners.push((name.to_owned(), listener));
        }
    }

    pub fn remove(&self, name: &str, listener: &Function) {
        self.listeners
            .borrow_mut()
            .retain(|(n, f)| !(n == name && f == listener));
    }

    pub fn listener_count(&self) -> usize {
        self.listeners.borrow().len() + self.handlers.borrow().iter().flatten().count()
    }

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
        self.handlers.borrow_mut()[which as usize] = handler;
        Ok(())
    }

    /// Turns a socket event into its JS object and calls the listeners.
    pub fn dispatch(&self, event: &SocketEvent) {
        let (name, object) = self.to_js(event);
        let handler = match name {
            "open" => self.handlers.borrow()[Handler::Open as usize].clone(),
            "message" => self.handlers.borrow()[Handler::Message as usize].clone(),
            "error" => self.handlers.borrow()[Handler::Error as usize].clone(),
            "close" => self.handlers.borrow()[Handler::Close as usize].clone(),
            _ => None,
        };
        let listeners: Vec<Function> = self
            .listeners
            .borrow()
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, f)| f.clone())
            .chain(handler)
            .collect();
        for listener in listeners {
            if let Err(error) = listener.call1(&JsValue::UNDEFINED, &object) {
                web_sys::console::error_2(
                    &JsValue::from_str("universal-socket: a listener threw"),
                    &error,
                );
            }
        }
    }

    fn to_js(&self, event: &SocketEvent) -> (&'static str, JsValue) {
        let object = Object::new();
        let set = |key: &str, value: JsValue| {
            let _ = Reflect::set(&object, &JsValue::from_str(key), &value);
        };
        let name = match event {
            SocketEvent::Open { transport } => {
                *self.transport.borrow_mut() = transport.as_str();
                set("transport", transport.as_str().into());
                "open"
            }
            SocketEvent::Message(payload) => {
                match self.message_data(payload) {
                    Ok(data) => set("data", data),
                    Err((message, raw)) => {
                        set("message", message.as_str().into());
                        set("error", js_sys::Error::new(&message).into());
                        set("data", raw);
                        set("type", "error".into());
                        return ("error", object.into());
                    }
                }
                set("transport", (*self.transport.borrow()).into());
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
                set("transport", transport.as_str().into());
                "reconnected"
            }
            SocketEvent::Fallback { from, to, reason } => {
                set("from", from.as_str().into());
                set("to", to.as_str().into());
                set("reason", reason.as_str().into());
                "fallback"
            }
            SocketEvent::MaxReconnectAttemptsReached => "maxReconnectAttemptsReached",
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
        set("type", name.into());
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
                        format!("malformed binary frame: {message}"),
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

/// Decodes one binary-codec frame into `{ type, data }`.
pub fn decode_frame(bytes: &[u8]) -> Result<JsValue, String> {
    let decoded = decode_message(bytes, &CodecLimits::default()).map_err(|e| e.to_string())?;
    let data = js_sys::JSON::parse(decoded.data_json).map_err(|_| "data is not JSON".to_owned())?;
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
        use wasm_bindgen::JsCast;
        self.dyn_ref::<Function>().cloned()
    }
}
