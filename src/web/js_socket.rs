//! `UniversalSocket`, the JS class: a WebSocket-shaped API over the Rust [`Socket`].
//!
//! Every method takes `&self`; state lives in the driver's `RefCell`s, never borrowed while JS
//! runs. Bad input throws a JS `Error` that says what was wrong and changes nothing.

use super::driver::{SocketError, SocketEvent};
use super::js_events::{decode_frame, Handler, JsSide};
use super::options::{BinaryType, SocketOptions};
use super::socket::Socket;
use crate::core::{encode_message, Payload, State, TransportKind};
use js_sys::{ArrayBuffer, Function, Object, Promise, Reflect, Uint8Array};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, spawn_local, JsFuture};

fn js_error(error: impl std::fmt::Display) -> JsError {
    JsError::new(&error.to_string())
}

/// One outgoing message, kept in order behind a Blob that is still being read.
enum Outgoing {
    Ready(Payload),
    Json(String),
    /// A Blob being read (reads may finish in any order, hence the id); `None` until its bytes
    /// arrive.
    Blob(u64, Option<Vec<u8>>),
}

/// A real-time connection over WebTransport, WebSocket, SSE or long polling, with fallback,
/// reconnection, a send queue, batching and heartbeat.
#[wasm_bindgen]
pub struct UniversalSocket {
    socket: Socket,
    js: Rc<JsSide>,
    /// Messages held so that a Blob (read asynchronously) keeps its place in the order.
    held: Rc<RefCell<VecDeque<Outgoing>>>,
    next_blob: std::cell::Cell<u64>,
}

#[wasm_bindgen]
impl UniversalSocket {
    /// `new UniversalSocket(url, options?)`: validates everything; connects on `connect()`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        url: &str,
        #[wasm_bindgen(unchecked_param_type = "UniversalSocketOptions | undefined")]
        options: JsValue,
    ) -> Result<UniversalSocket, JsError> {
        let options = SocketOptions::from_js(&options).map_err(js_error)?;
        let js = Rc::new(JsSide::new(
            options.binary_type,
            options.parse_json,
            options.decode_binary,
        ));
        let socket = Socket::new(url, options).map_err(js_error)?;
        let dispatcher = Rc::clone(&js);
        socket.driver.set_hook(Box::new(move |event: &SocketEvent| {
            dispatcher.dispatch(event)
        }));
        Ok(UniversalSocket {
            socket,
            js,
            held: Rc::new(RefCell::new(VecDeque::new())),
            next_blob: std::cell::Cell::new(0),
        })
    }

    /// Connects: resolves on the first open; rejects with an Error listing every transport tried
    /// and why each failed.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn connect(&self) -> Promise {
        // Started now, not in the promise's microtask: `connect(); close();` must not connect.
        let connecting = self.socket.connect();
        future_to_promise(async move {
            connecting
                .await
                .map(|_| JsValue::UNDEFINED)
                .map_err(|e| JsError::new(&e.to_string()).into())
        })
    }

    /// Sends a string, an object (as JSON, batched when batching is on), an ArrayBuffer, a
    /// TypedArray or DataView, or a Blob. Queued while not open; order is always kept.
    pub fn send(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "string | object | ArrayBuffer | ArrayBufferView | Blob"
        )]
        data: JsValue,
    ) -> Result<(), JsError> {
        let item = if let Some(text) = data.as_string() {
            Outgoing::Ready(Payload::Text(text))
        } else if let Some(bytes) = bytes_of(&data) {
            Outgoing::Ready(Payload::Binary(bytes))
        } else if let Some(blob) = data.dyn_ref::<web_sys::Blob>() {
            self.read_blob(blob.clone());
            return Ok(());
        } else if data.is_undefined() || data.is_function() || data.is_symbol() || data.is_bigint()
        {
            return Err(JsError::new(&format!(
                "send() takes a string, an object, an ArrayBuffer, a TypedArray, a DataView or a Blob, not {}",
                data.js_typeof().as_string().unwrap_or_default()
            )));
        } else {
            let json = js_sys::JSON::stringify(&data).map_err(|_| {
                JsError::new("send(): the object cannot be serialised as JSON (a cycle?)")
            })?;
            Outgoing::Json(String::from(json))
        };
        self.enqueue(item)
    }

    /// Sends one frame of the binary codec: `type` plus `data` as JSON (guide §7.2).
    #[wasm_bindgen(js_name = sendBinary)]
    pub fn send_binary(&self, type_name: &str, data: JsValue) -> Result<(), JsError> {
        let bytes = encode_js(type_name, &data)?;
        self.enqueue(Outgoing::Ready(Payload::Binary(bytes)))
    }

    /// Sends an unreliable datagram over WebTransport; on every other transport it is sent as an
    /// ordinary (reliable, ordered) binary message.
    #[wasm_bindgen(js_name = sendDatagram)]
    pub fn send_datagram(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ArrayBuffer | ArrayBufferView")] data: JsValue,
    ) -> Result<(), JsError> {
        let bytes = bytes_of(&data)
            .ok_or_else(|| JsError::new("sendDatagram() takes an ArrayBuffer or a TypedArray"))?;
        self.socket.driver.send_datagram(bytes).map_err(js_error)
    }

    /// Closes for good (stops every retry). `code` is 1000 or 3000–4999, `reason` at most 123
    /// UTF-8 bytes. Resolves with `{ code, reason, wasClean }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<CloseResult>")]
    pub fn close(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number | undefined")] code: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] reason: JsValue,
    ) -> Result<Promise, JsError> {
        let code = match code.as_f64() {
            None if code.is_undefined() => 1000,
            Some(n) if n.fract() == 0.0 && (0.0..=65535.0).contains(&n) => n as u16,
            _ => {
                return Err(JsError::new(&format!(
                    "invalid close code {}: use 1000 or an application code in 3000-4999",
                    js_sys::JSON::stringify(&code)
                        .map(String::from)
                        .unwrap_or_else(|_| "?".into())
                )))
            }
        };
        let reason = match reason.as_string() {
            Some(reason) => reason,
            None if reason.is_undefined() => String::new(),
            None => return Err(JsError::new("close(): the reason must be a string")),
        };
        let waiter = self.socket.driver.close(code, &reason).map_err(js_error)?;
        Ok(future_to_promise(async move {
            let info = waiter
                .await
                .map_err(|_| JsValue::from(JsError::new("the socket was dropped while closing")))?;
            let result = Object::new();
            let _ = Reflect::set(&result, &"code".into(), &info.code.into());
            let _ = Reflect::set(&result, &"reason".into(), &info.reason.into());
            let _ = Reflect::set(&result, &"wasClean".into(), &info.was_clean.into());
            Ok(result.into())
        }))
    }

    /// Adds a listener (see `UniversalSocketEventMap` for the events and their payloads).
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, event: &str, listener: Function) -> Result<(), JsError> {
        JsSide::check_name(event).map_err(|e| JsError::new(&e))?;
        self.js.add(event, listener);
        Ok(())
    }

    /// Removes a listener added with `on` or `addEventListener`.
    #[wasm_bindgen(skip_typescript)]
    pub fn off(&self, event: &str, listener: Function) -> Result<(), JsError> {
        JsSide::check_name(event).map_err(|e| JsError::new(&e))?;
        self.js.remove(event, &listener);
        Ok(())
    }

    #[wasm_bindgen(js_name = addEventListener, skip_typescript)]
    pub fn add_event_listener(&self, event: &str, listener: Function) -> Result<(), JsError> {
        self.on(event, listener)
    }

    #[wasm_bindgen(js_name = removeEventListener, skip_typescript)]
    pub fn remove_event_listener(&self, event: &str, listener: Function) -> Result<(), JsError> {
        self.off(event, listener)
    }

    #[wasm_bindgen(getter, skip_typescript)]
    pub fn onopen(&self) -> JsValue {
        self.js.handler(Handler::Open)
    }
    #[wasm_bindgen(setter, skip_typescript)]
    pub fn set_onopen(&self, f: JsValue) -> Result<(), JsError> {
        self.js
            .set_handler(Handler::Open, f)
            .map_err(|e| JsError::new(&e))
    }
    #[wasm_bindgen(getter, skip_typescript)]
    pub fn onmessage(&self) -> JsValue {
        self.js.handler(Handler::Message)
    }
    #[wasm_bindgen(setter, skip_typescript)]
    pub fn set_onmessage(&self, f: JsValue) -> Result<(), JsError> {
        self.js
            .set_handler(Handler::Message, f)
            .map_err(|e| JsError::new(&e))
    }
    #[wasm_bindgen(getter, skip_typescript)]
    pub fn onerror(&self) -> JsValue {
        self.js.handler(Handler::Error)
    }
    #[wasm_bindgen(setter, skip_typescript)]
    pub fn set_onerror(&self, f: JsValue) -> Result<(), JsError> {
        self.js
            .set_handler(Handler::Error, f)
            .map_err(|e| JsError::new(&e))
    }
    #[wasm_bindgen(getter, skip_typescript)]
    pub fn onclose(&self) -> JsValue {
        self.js.handler(Handler::Close)
    }
    #[wasm_bindgen(setter, skip_typescript)]
    pub fn set_onclose(&self, f: JsValue) -> Result<(), JsError> {
        self.js
            .set_handler(Handler::Close, f)
            .map_err(|e| JsError::new(&e))
    }

    /// 0 connecting (also while reconnecting), 1 open, 2 closing, 3 closed.
    #[wasm_bindgen(getter, js_name = readyState)]
    pub fn ready_state(&self) -> u16 {
        self.socket.ready_state()
    }

    /// "connecting" | "open" | "reconnecting" | "closing" | "closed".
    #[wasm_bindgen(getter, unchecked_return_type = "SocketState")]
    pub fn state(&self) -> String {
        match self.socket.state() {
            State::Connecting => "connecting",
            State::Open => "open",
            State::Reconnecting => "reconnecting",
            State::Closing => "closing",
            State::Closed => "closed",
        }
        .to_owned()
    }

    /// The transport in use while open, else null.
    #[wasm_bindgen(getter, unchecked_return_type = "TransportName | null")]
    pub fn transport(&self) -> JsValue {
        self.socket
            .transport()
            .map_or(JsValue::NULL, |k| k.as_str().into())
    }

    #[wasm_bindgen(getter)]
    pub fn url(&self) -> String {
        self.socket.driver.url.clone()
    }

    /// The negotiated WebSocket subprotocol ("" elsewhere).
    #[wasm_bindgen(getter)]
    pub fn protocol(&self) -> String {
        self.socket.driver.protocol()
    }

    #[wasm_bindgen(getter)]
    pub fn extensions(&self) -> String {
        self.socket.driver.extensions()
    }

    /// Bytes queued or not yet written to the network.
    #[wasm_bindgen(getter, js_name = bufferedAmount)]
    pub fn buffered_amount(&self) -> f64 {
        self.socket.buffered_amount() as f64
    }

    #[wasm_bindgen(getter, js_name = binaryType, unchecked_return_type = "\"arraybuffer\" | \"blob\"")]
    pub fn binary_type(&self) -> String {
        self.js.binary_type.get().as_str().to_owned()
    }

    #[wasm_bindgen(setter, js_name = binaryType)]
    pub fn set_binary_type(&self, value: &str) -> Result<(), JsError> {
        self.js
            .binary_type
            .set(BinaryType::parse(value).map_err(js_error)?);
        Ok(())
    }

    /// Reconnect attempts since the connection was last open.
    #[wasm_bindgen(getter, js_name = reconnectAttempts)]
    pub fn reconnect_attempts(&self) -> u32 {
        self.socket.driver.connection(|c| c.reconnect_attempt())
    }

    /// Number of JS listeners registered (for leak checks).
    #[wasm_bindgen(getter, js_name = listenerCount)]
    pub fn listener_count(&self) -> usize {
        self.js.listener_count()
    }

    /// Counters: messages and bytes in and out, reconnects, heartbeat round-trip time, and
    /// milliseconds spent on each transport.
    #[wasm_bindgen(unchecked_return_type = "SocketStats")]
    pub fn stats(&self) -> JsValue {
        let stats = self.socket.stats();
        let object = Object::new();
        let set = |o: &Object, k: &str, v: JsValue| {
            let _ = Reflect::set(o, &k.into(), &v);
        };
        set(&object, "messagesSent", (stats.messages_sent as f64).into());
        set(&object, "bytesSent", (stats.bytes_sent as f64).into());
        set(
            &object,
            "messagesReceived",
            (stats.messages_received as f64).into(),
        );
        set(
            &object,
            "bytesReceived",
            (stats.bytes_received as f64).into(),
        );
        set(&object, "reconnects", (stats.reconnects as f64).into());
        set(
            &object,
            "reconnectAttempts",
            (stats.reconnect_attempts as f64).into(),
        );
        set(
            &object,
            "rttMs",
            self.socket
                .rtt_ms()
                .map_or(JsValue::NULL, |r| (r as f64).into()),
        );
        let times = Object::new();
        for kind in TransportKind::ALL {
            set(&times, kind.as_str(), (stats.time_on(kind) as f64).into());
        }
        set(&object, "timeOnTransportMs", times.into());
        object.into()
    }
}

impl UniversalSocket {
    /// The Rust socket behind this object.
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    fn enqueue(&self, item: Outgoing) -> Result<(), JsError> {
        if !self.held.borrow().is_empty() {
            self.held.borrow_mut().push_back(item);
            return Ok(());
        }
        send_now(&self.socket, item).map_err(js_error)
    }

    fn read_blob(&self, blob: web_sys::Blob) {
        let id = self.next_blob.get();
        self.next_blob.set(id + 1);
        self.held.borrow_mut().push_back(Outgoing::Blob(id, None));
        let held: Weak<RefCell<VecDeque<Outgoing>>> = Rc::downgrade(&self.held);
        let socket = Rc::downgrade(&self.socket.driver);
        spawn_local(async move {
            let read = JsFuture::from(blob.array_buffer()).await;
            let (Some(held), Some(driver)) = (held.upgrade(), socket.upgrade()) else {
                return;
            };
            let slot = held
                .borrow()
                .iter()
                .position(|o| matches!(o, Outgoing::Blob(b, None) if *b == id));
            match (read, slot) {
                (Ok(buffer), Some(i)) => {
                    held.borrow_mut()[i] =
                        Outgoing::Blob(id, Some(Uint8Array::new(&buffer).to_vec()))
                }
                (Err(error), Some(i)) => {
                    // Only this Blob is lost, and loudly; what was sent after it still goes out.
                    held.borrow_mut().remove(i);
                    driver.report_error(format!(
                        "send(): reading the Blob failed, it was not sent: {}",
                        super::transport::websocket::describe(&error)
                    ));
                }
                (_, None) => {}
            }
            let socket = Socket { driver };
            loop {
                let next = {
                    let mut queue = held.borrow_mut();
                    match queue.front() {
                        Some(Outgoing::Blob(_, None)) | None => None,
                        Some(_) => queue.pop_front(),
                    }
                };
                let Some(item) = next else { break };
                if let Err(error) = send_now(&socket, item) {
                    socket.driver.report_error(error.to_string());
                }
            }
        });
    }
}

fn send_now(socket: &Socket, item: Outgoing) -> Result<(), SocketError> {
    match item {
        Outgoing::Ready(payload) => socket.send_now(payload),
        Outgoing::Json(json) => socket.driver.send_json(json),
        Outgoing::Blob(_, Some(bytes)) => socket.send_now(Payload::Binary(bytes)),
        Outgoing::Blob(_, None) => Ok(()),
    }
}

/// The bytes of an ArrayBuffer or of any ArrayBuffer view (TypedArray, DataView).
fn bytes_of(data: &JsValue) -> Option<Vec<u8>> {
    if let Some(buffer) = data.dyn_ref::<ArrayBuffer>() {
        return Some(Uint8Array::new(buffer).to_vec());
    }
    if ArrayBuffer::is_view(data) {
        let get = |key: &str| Reflect::get(data, &key.into()).ok();
        let buffer = get("buffer")?;
        let offset = get("byteOffset")?.as_f64()? as u32;
        let length = get("byteLength")?.as_f64()? as u32;
        return Some(Uint8Array::new_with_byte_offset_and_length(&buffer, offset, length).to_vec());
    }
    None
}

fn encode_js(type_name: &str, data: &JsValue) -> Result<Vec<u8>, JsError> {
    let json = if data.is_undefined() {
        "null".to_owned()
    } else {
        String::from(
            js_sys::JSON::stringify(data)
                .map_err(|_| JsError::new("the data cannot be serialised as JSON"))?,
        )
    };
    encode_message(type_name, &json).map_err(js_error)
}

/// `encodeMessage(type, data)`: one binary-codec frame (guide §7.2 `BinaryDataHandler`).
#[wasm_bindgen(js_name = encodeMessage)]
pub fn encode_message_js(type_name: &str, data: JsValue) -> Result<Uint8Array, JsError> {
    encode_js(type_name, &data).map(|bytes| Uint8Array::from(bytes.as_slice()))
}

/// `decodeMessage(bytes)`: `{ type, data }` from one binary-codec frame; throws on a malformed one.
#[wasm_bindgen(js_name = decodeMessage, unchecked_return_type = "DecodedMessage")]
pub fn decode_message_js(
    #[wasm_bindgen(unchecked_param_type = "ArrayBuffer | ArrayBufferView")] bytes: JsValue,
) -> Result<JsValue, JsError> {
    let bytes = bytes_of(&bytes)
        .ok_or_else(|| JsError::new("decodeMessage() takes an ArrayBuffer or a TypedArray"))?;
    decode_frame(&bytes).map_err(|e| JsError::new(&format!("malformed binary frame: {e}")))
}

/// Live adapter listeners (DOM event listeners owned by transports) in this wasm instance.
#[wasm_bindgen(js_name = liveTransportListeners)]
pub fn live_transport_listeners() -> usize {
    super::listener::live_listeners()
}
