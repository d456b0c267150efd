//! `UniversalSocket`, the JS class: a WebSocket-shaped API over the Rust [`Socket`].
//!
//! Every method takes `&self`; state lives in the driver's `RefCell`s, never borrowed while JS
//! runs. Bad input throws a JS `Error` that says what was wrong and changes nothing.

use super::driver::{SocketError, SocketEvent};
use super::events::ErrorMessage;
use super::held_sends::{send_now, HeldSends, Outgoing};
use super::js_events::{decode_frame, plain_object, Handler, JsSide, Key, Value};
use super::options::{BinaryType, SocketOptions};
use super::socket::{CloseInfo, Socket};
use super::waiter::Waiter;
use crate::core::close_code::{validate_close, MAX_REASON_BYTES};
use crate::core::codec::{encode_serialized, DEFAULT_MAX_TYPE_LEN};
use crate::core::text::{concat, decimal, find};
use crate::core::{CodecLimits, CoreError, Payload, PeerProtocol, State, TransportKind};
use crate::prelude::*;
use crate::web::bindings::message::{array_to_vec, view_of};
use crate::web::bindings::promise::{promise_with, settle_quietly, when_settled, Reaction};
use crate::web::bindings::property::set_property;
use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

fn js_error(error: impl ErrorMessage) -> JsError {
    thrown(error.message())
}

/// `message` as the JS `Error` an export throws. One function for the many `map_err`s and
/// messages built with `concat`: a closure each would be a copy each of `JsError::new` and of the
/// `String`'s drop (measured about 0.1 KB gzipped less per build).
#[inline(never)]
fn thrown(message: String) -> JsError {
    JsError::new(&message)
}

/// A real-time connection over WebTransport, WebSocket, SSE or long polling, with fallback,
/// reconnection, a send queue, batching and heartbeat.
#[wasm_bindgen]
pub struct UniversalSocket {
    socket: Socket,
    js: Rc<JsSide>,
    /// Sends held so that a Blob (read asynchronously) keeps its place in the order, and a
    /// `close()` waiting for them.
    held: Rc<HeldSends>,
    next_blob: core::cell::Cell<u64>,
}

#[wasm_bindgen]
impl UniversalSocket {
    /// `new UniversalSocket(url, options?)`: validates everything; connects on `connect()`.
    #[wasm_bindgen(constructor)]
    pub fn js_new(
        #[wasm_bindgen(unchecked_param_type = "string")] url: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "UniversalSocketOptions")] options: JsValue,
    ) -> Result<UniversalSocket, JsError> {
        // Checked here, not by the glue: options passed in place of the URL must not be turned
        // into a string (and then into an error message).
        let url = string_argument(&url, "new UniversalSocket(url, options?): url", u32::MAX)?;
        UniversalSocket::new(&url, options)
    }

    /// Connects: resolves on the first open; rejects with an Error listing every transport tried
    /// and why each failed. Called again while connecting or reconnecting, it joins: resolves on
    /// the next open, or rejects ("the socket closed before the operation completed") when the
    /// socket closes first (retries used up, `close()`); it waits while retries go on. On an open
    /// socket it resolves at once. After `close()` it rejects: a closed socket releases its
    /// listeners.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn connect(&self) -> Promise {
        if self.js.is_closing() || self.held.closing() {
            return Promise::reject(
                &JsError::new(
                    "connect(): this UniversalSocket was closed with close() (which releases its \
                     listeners); create a new UniversalSocket to connect again",
                )
                .into(),
            );
        }
        // Started now, not in a microtask: `connect(); close();` must not connect.
        promise_with(&mut |settle| {
            self.socket
                .start_connect(Waiter::new(Box::new(move |outcome| {
                    settle(match outcome.unwrap_or(Err(SocketError::Closed)) {
                        Ok(()) => Ok(JsValue::UNDEFINED),
                        Err(error) => Err(js_error(error).into()),
                    })
                })))
        })
    }

    /// Sends a string, an object (as JSON, batched when batching is on), an ArrayBuffer, a
    /// TypedArray or DataView, or a Blob. Queued while not open; order is always kept. Throws
    /// once the socket is closing or closed for good (`close()` was called, or it gave up), also
    /// for data it would refuse anyway (too large, unreadable); data it cannot send in any state
    /// (a symbol, a cyclic object) throws that.
    pub fn send(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "string | object | ArrayBuffer | ArrayBufferView | Blob"
        )]
        data: JsValue,
    ) -> Result<(), JsError> {
        // Cheapest tests first (each is a call into JS): strings, then objects (bytes, Blob or
        // JSON), then the primitives JSON takes (numbers, booleans, null).
        let item = if let Some(text) = data.as_string() {
            Outgoing::Ready(Payload::Text(text))
        } else if !data.is_object() {
            if data.is_undefined() || data.is_function() || data.is_symbol() || data.is_bigint() {
                return Err(thrown(concat(&[
                    "send() takes a string, an object, an ArrayBuffer, a TypedArray, a DataView or a Blob, not ",
                    &data.js_typeof().as_string().unwrap_or_default(),
                ])));
            }
            Outgoing::Json(to_json(&data, "send()")?)
        } else {
            let data_or_refusal = data_of(&data, "send()", self.socket.max_message_size());
            match data_or_refusal.map_err(|message| self.refused(message))? {
                Data::Bytes(bytes) => Outgoing::Ready(Payload::Binary(bytes)),
                Data::Blob => {
                    // Read only for a socket that can still send it: refused after the read,
                    // it would be an `error` event, which nobody hears after `close()`.
                    self.refuse_if_closed()?;
                    return self.read_blob(data.unchecked_into());
                }
                Data::Other => Outgoing::Json(to_json(&data, "send()")?),
            }
        };
        self.enqueue(item)
    }

    /// Sends one frame of the binary codec: `type` plus `data` as JSON (guide §7.2).
    #[wasm_bindgen(js_name = sendBinary)]
    pub fn send_binary_js(
        &self,
        #[wasm_bindgen(js_name = "type", unchecked_param_type = "string")] type_name: JsValue,
        data: JsValue,
    ) -> Result<(), JsError> {
        self.send_binary(&message_type(&type_name, "sendBinary")?, data)
    }

    /// Sends an unreliable datagram over WebTransport; on every other transport, while not open
    /// (or waiting for the session's `hello`), where the browser has no datagram writer, or when
    /// it is over the connection's `maxDatagramSize` (which the browser would drop silently), it
    /// is sent as an ordinary (reliable, ordered) binary message. `maxMessageBytes` bounds it
    /// like every message; like every send, one that waits behind a Blob being read reports a
    /// refusal as an `error` event instead of throwing (closing excepted: see `send`).
    #[wasm_bindgen(js_name = sendDatagram)]
    pub fn send_datagram(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ArrayBuffer | ArrayBufferView")] data: JsValue,
    ) -> Result<(), JsError> {
        let bytes = bytes_of(&data, "sendDatagram()", self.socket.max_message_size())
            .map_err(|message| self.refused(message))?
            .ok_or_else(|| JsError::new("sendDatagram() takes an ArrayBuffer or a TypedArray"))?;
        self.enqueue(Outgoing::Datagram(bytes))
    }

    /// Closes for good (stops every retry). `code` is 1000 (the default) or 3000–4999, `reason`
    /// at most 123 UTF-8 bytes. Resolves with `{ code, reason, wasClean }`: after 3 s with
    /// `wasClean: false` and this code and reason if the server never answers (any transport).
    /// Blobs still being read (and what was sent after them) go out first, as with
    /// `WebSocket.close()`: the close waits for their reads, 3 s at most (a Blob within
    /// `maxMessageBytes` reads in far less; one still unread then is lost, in an `error` event),
    /// reporting `closing` meanwhile; the server's 3 s then count from when the close starts.
    /// Once the final `close` event has been dispatched, every listener is released (see
    /// `JsSide`). A bad code or reason, or a close that cannot start, rejects the promise with an
    /// Error (it never throws, as a DOM method that returns a promise never does) and changes
    /// nothing.
    #[wasm_bindgen(unchecked_return_type = "Promise<CloseResult>")]
    pub fn close(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] code: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] reason: JsValue,
    ) -> Promise {
        self.start_closing(&code, &reason)
            .unwrap_or_else(|error| Promise::reject(&error.into()))
    }

    /// [`UniversalSocket::close`]'s work; an `Err` is its promise's rejection.
    fn start_closing(&self, code: &JsValue, reason: &JsValue) -> Result<Promise, JsError> {
        let code = close_code(code)?;
        // At most `MAX_REASON_BYTES` UTF-8 bytes go in a close frame (checked below); a string
        // longer than that in UTF-16 units is longer in bytes too, so it is refused before it is
        // copied.
        let reason = if reason.is_undefined() {
            String::new()
        } else {
            string_argument(reason, "close(): the reason", MAX_REASON_BYTES as u32)?
        };
        let state = self.socket.state();
        // Behind a Blob still being read, the close waits, also on a socket that gave up: what
        // it holds then comes back in `undelivered`, which its listeners still hear.
        if self.held.closing() || (self.held.holding() && state != State::Closing) {
            return self.close_after_held(code, reason);
        }
        let mut started = Ok(());
        let promise = promise_with(&mut |settle| {
            started = start_close(&self.socket, &self.js, code, &reason, close_waiter(settle));
        });
        // A close that could not start rejects instead; that promise, never returned, stays
        // pending.
        started.map_err(js_error)?;
        Ok(promise)
    }

    /// `on(event, listener, options?)`: adds a listener (see `UniversalSocketEventMap` for the
    /// events and their payloads); `options` as for `addEventListener`.
    #[wasm_bindgen(js_name = on, skip_typescript)]
    pub fn on_js(
        &self,
        event: JsValue,
        listener: Function,
        options: JsValue,
    ) -> Result<(), JsError> {
        self.listen(&event_name(&event, "on")?, listener, &options, "on")
    }

    /// Removes a listener added with `on` or `addEventListener` (a third argument, as for
    /// `removeEventListener`, is accepted and ignored).
    #[wasm_bindgen(js_name = off, skip_typescript)]
    pub fn off_js(
        &self,
        event: JsValue,
        listener: Function,
        _options: JsValue,
    ) -> Result<(), JsError> {
        self.off(&event_name(&event, "off")?, listener)
    }

    /// `addEventListener(event, listener, options?)`: `options` is a boolean (capture, which
    /// means nothing here) or `{ once, signal, capture, passive }`.
    #[wasm_bindgen(js_name = addEventListener, skip_typescript)]
    pub fn add_event_listener(
        &self,
        event: JsValue,
        listener: Function,
        options: JsValue,
    ) -> Result<(), JsError> {
        let method = "addEventListener";
        self.listen(&event_name(&event, method)?, listener, &options, method)
    }

    /// `removeEventListener(event, listener, options?)`: `options` is accepted for DOM
    /// compatibility and ignored (there is no capture phase here).
    #[wasm_bindgen(js_name = removeEventListener, skip_typescript)]
    pub fn remove_event_listener(
        &self,
        event: JsValue,
        listener: Function,
        _options: JsValue,
    ) -> Result<(), JsError> {
        self.off(&event_name(&event, "removeEventListener")?, listener)
    }

    /// The `onopen` handler, WebSocket-style (null when unset): one slot beside any
    /// `addEventListener('open', …)` listeners.
    #[wasm_bindgen(getter, skip_typescript)]
    pub fn onopen(&self) -> JsValue {
        self.js.handler(Handler::Open)
    }
    /// Sets or clears (`null`) the `onopen` handler; anything but a function or null throws,
    /// so a typo cannot silently drop every open event.
    #[wasm_bindgen(setter, skip_typescript)]
    pub fn set_onopen(&self, f: JsValue) -> Result<(), JsError> {
        self.js.set_handler(Handler::Open, f).map_err(thrown)
    }
    /// The `onmessage` handler, WebSocket-style (null when unset): one slot beside any
    /// `addEventListener('message', …)` listeners.
    #[wasm_bindgen(getter, skip_typescript)]
    pub fn onmessage(&self) -> JsValue {
        self.js.handler(Handler::Message)
    }
    /// Sets or clears (`null`) the `onmessage` handler; anything but a function or null throws,
    /// so a typo cannot silently drop every message.
    #[wasm_bindgen(setter, skip_typescript)]
    pub fn set_onmessage(&self, f: JsValue) -> Result<(), JsError> {
        self.js.set_handler(Handler::Message, f).map_err(thrown)
    }
    /// The `onerror` handler, WebSocket-style (null when unset): one slot beside any
    /// `addEventListener('error', …)` listeners.
    #[wasm_bindgen(getter, skip_typescript)]
    pub fn onerror(&self) -> JsValue {
        self.js.handler(Handler::Error)
    }
    /// Sets or clears (`null`) the `onerror` handler; anything but a function or null throws,
    /// so a typo cannot silently drop every error.
    #[wasm_bindgen(setter, skip_typescript)]
    pub fn set_onerror(&self, f: JsValue) -> Result<(), JsError> {
        self.js.set_handler(Handler::Error, f).map_err(thrown)
    }
    /// The `onclose` handler, WebSocket-style (null when unset): one slot beside any
    /// `addEventListener('close', …)` listeners.
    #[wasm_bindgen(getter, skip_typescript)]
    pub fn onclose(&self) -> JsValue {
        self.js.handler(Handler::Close)
    }
    /// Sets or clears (`null`) the `onclose` handler; anything but a function or null throws,
    /// so a typo cannot silently drop every close event.
    #[wasm_bindgen(setter, skip_typescript)]
    pub fn set_onclose(&self, f: JsValue) -> Result<(), JsError> {
        self.js.set_handler(Handler::Close, f).map_err(thrown)
    }

    /// `readyState`'s values by name, as `WebSocket` has them on the class and on every socket
    /// (`socket.readyState === socket.OPEN` is how WebSocket code is often written). The
    /// numbers are the core's (`State::ready_state`), named here once.
    #[wasm_bindgen(getter = CONNECTING, unchecked_return_type = "0")]
    pub fn connecting_state() -> u16 {
        State::Connecting.ready_state()
    }
    /// See [`UniversalSocket::connecting_state`].
    #[wasm_bindgen(getter = OPEN, unchecked_return_type = "1")]
    pub fn open_state() -> u16 {
        State::Open.ready_state()
    }
    /// See [`UniversalSocket::connecting_state`].
    #[wasm_bindgen(getter = CLOSING, unchecked_return_type = "2")]
    pub fn closing_state() -> u16 {
        State::Closing.ready_state()
    }
    /// See [`UniversalSocket::connecting_state`].
    #[wasm_bindgen(getter = CLOSED, unchecked_return_type = "3")]
    pub fn closed_state() -> u16 {
        State::Closed.ready_state()
    }
    /// The same on every socket: see [`UniversalSocket::connecting_state`].
    #[wasm_bindgen(getter = CONNECTING, unchecked_return_type = "0")]
    pub fn connecting(&self) -> u16 {
        Self::connecting_state()
    }
    /// See [`UniversalSocket::connecting_state`].
    #[wasm_bindgen(getter = OPEN, unchecked_return_type = "1")]
    pub fn open(&self) -> u16 {
        Self::open_state()
    }
    /// See [`UniversalSocket::connecting_state`].
    #[wasm_bindgen(getter = CLOSING, unchecked_return_type = "2")]
    pub fn closing(&self) -> u16 {
        Self::closing_state()
    }
    /// See [`UniversalSocket::connecting_state`].
    #[wasm_bindgen(getter = CLOSED, unchecked_return_type = "3")]
    pub fn closed(&self) -> u16 {
        Self::closed_state()
    }

    /// 0 connecting (also while reconnecting), 1 open, 2 closing, 3 closed.
    #[wasm_bindgen(getter, js_name = readyState, unchecked_return_type = "0 | 1 | 2 | 3")]
    pub fn ready_state(&self) -> u16 {
        // CLOSING while a `close()` waits for held sends (see `held_sends`), unless it gave up.
        let ready_state = self.socket.ready_state();
        if self.held.closing() && ready_state != Self::closed_state() {
            return Self::closing_state();
        }
        ready_state
    }

    /// "connecting" | "open" | "reconnecting" | "closing" | "closed".
    // This getter and the other string getters (`url`, `protocol`, `extensions`, `binaryType`)
    // return a JS string made in wasm, not a `String`: wasm-bindgen's `String` return adds to each
    // its own glue (read the bytes, decode them, free them) and a copy in wasm (for the five,
    // measured 150 B gzipped less for the full build, 119 B for the WebSocket-only one). The
    // declarations keep their string types.
    #[wasm_bindgen(getter, unchecked_return_type = "SocketState")]
    pub fn state(&self) -> JsValue {
        match self.socket.state() {
            State::Closed => "closed",
            _ if self.held.closing() => "closing",
            State::Connecting => "connecting",
            State::Open => "open",
            State::Reconnecting => "reconnecting",
            State::Closing => "closing",
        }
        .into()
    }

    /// The transport in use while open, else null.
    #[wasm_bindgen(getter, unchecked_return_type = "TransportName | null")]
    pub fn transport(&self) -> JsValue {
        self.socket
            .transport()
            .map_or(JsValue::NULL, |k| k.as_str().into())
    }

    /// The URL given to the constructor, as given (each transport's endpoint is derived from it).
    #[wasm_bindgen(getter, unchecked_return_type = "string")]
    pub fn url(&self) -> JsValue {
        self.socket.url().into()
    }

    /// The negotiated WebSocket subprotocol ("" elsewhere).
    #[wasm_bindgen(getter, unchecked_return_type = "string")]
    pub fn protocol(&self) -> JsValue {
        self.socket.protocol().into()
    }

    /// The WebSocket extensions the server accepted ("" elsewhere).
    #[wasm_bindgen(getter, unchecked_return_type = "string")]
    pub fn extensions(&self) -> JsValue {
        self.socket.extensions().into()
    }

    /// Bytes queued or not yet written to the network.
    #[wasm_bindgen(getter, js_name = bufferedAmount)]
    pub fn buffered_amount(&self) -> f64 {
        self.socket.buffered_amount() as f64
    }

    /// How binary messages are delivered: "arraybuffer" (the default) or "blob".
    #[wasm_bindgen(getter, js_name = binaryType, unchecked_return_type = "\"arraybuffer\" | \"blob\"")]
    pub fn binary_type(&self) -> JsValue {
        self.js.binary_type.get().as_str().into()
    }

    /// Changes `binaryType` for later messages; any other value throws instead of being ignored.
    #[wasm_bindgen(setter, js_name = binaryType)]
    pub fn set_binary_type_js(
        &self,
        #[wasm_bindgen(unchecked_param_type = "\"arraybuffer\" | \"blob\"")] value: JsValue,
    ) -> Result<(), JsError> {
        self.set_binary_type(&string_argument(&value, "binaryType", NAME_MAX)?)
    }

    /// Reconnect attempts since the connection was last open.
    #[wasm_bindgen(getter, js_name = reconnectAttempts)]
    pub fn reconnect_attempts(&self) -> u32 {
        self.socket.reconnect_attempts()
    }

    /// Number of JS listeners and `on*` handlers held (for leak checks); 0 after the final
    /// `close` of a `close()`, when all are released.
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
        let set = |o: &Object, k: &str, v: JsValue| set_property(o, k, &v);
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
        let protocol = self.socket.peer_protocol();
        let (unacked, unacked_bytes) = self.socket.unacknowledged();
        let protocol = match protocol {
            PeerProtocol::Unknown => JsValue::NULL,
            PeerProtocol::V1 => 1.into(),
            PeerProtocol::V2 => 2.into(),
        };
        set(&object, "protocol", protocol);
        for (key, value) in [
            ("resent", stats.resent),
            ("deduplicated", stats.deduplicated),
            ("acknowledged", stats.acknowledged),
            ("sessionsResumed", stats.sessions_resumed),
            ("sessionsLost", stats.sessions_lost),
            ("unackedMessages", unacked as u64),
            ("unackedBytes", unacked_bytes as u64),
        ] {
            set(&object, key, (value as f64).into());
        }
        object.into()
    }
}

impl UniversalSocket {
    /// The constructor, from Rust: validates the URL and the JS options object.
    pub fn new(url: &str, options: JsValue) -> Result<UniversalSocket, JsError> {
        let options = SocketOptions::from_js(&options).map_err(js_error)?;
        let js = Rc::new(JsSide::new(
            options.binary_type,
            options.parse_json,
            options.decode_binary,
        ));
        let socket = Socket::new(url, options).map_err(js_error)?;
        let dispatcher = Rc::clone(&js);
        socket.set_hook(Box::new(move |event: &SocketEvent| {
            dispatcher.dispatch(event)
        }));
        Ok(UniversalSocket {
            socket,
            js,
            held: Rc::default(),
            next_blob: core::cell::Cell::new(0),
        })
    }

    /// The Rust socket behind this object.
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Sends one frame of the binary codec (the Rust side of `sendBinary`).
    pub fn send_binary(&self, type_name: &str, data: JsValue) -> Result<(), JsError> {
        let bytes = encode_js(type_name, &data, "sendBinary()")?;
        self.enqueue(Outgoing::Ready(Payload::Binary(bytes)))
    }

    /// Sets `binaryType`: "arraybuffer" or "blob" (the Rust side of the setter).
    pub fn set_binary_type(&self, value: &str) -> Result<(), JsError> {
        self.js
            .binary_type
            .set(BinaryType::parse(value).map_err(js_error)?);
        Ok(())
    }

    /// Adds a listener (the Rust side of `on`, without options).
    pub fn on(&self, event: &str, listener: Function) -> Result<(), JsError> {
        self.listen(event, listener, &JsValue::UNDEFINED, "on")
    }

    /// Removes a listener added with `on` or `addEventListener`.
    pub fn off(&self, event: &str, listener: Function) -> Result<(), JsError> {
        let event = JsSide::event(event).map_err(thrown)?;
        self.js.remove(event, &listener);
        Ok(())
    }

    /// `on` and `addEventListener`: checks the name and the options, then adds.
    fn listen(
        &self,
        event: &str,
        listener: Function,
        options: &JsValue,
        method: &str,
    ) -> Result<(), JsError> {
        let event = JsSide::event(event).map_err(thrown)?;
        self.js
            .add(event, &listener, options, method)
            .map_err(thrown)
    }

    /// `close()` while sends wait behind a Blob: checked now, started once they have gone to the
    /// core, as `WebSocket.close()` sends what was sent before it (see `held_sends`). Until then
    /// the socket reports `closing` and refuses sends; its listeners are released by the close
    /// this starts (a socket that gives up meanwhile keeps them, so what it refuses is heard).
    fn close_after_held(&self, code: u16, reason: String) -> Result<Promise, JsError> {
        validate_close(code, &reason).map_err(|error| js_error(SocketError::Core(error)))?;
        let promise = promise_with(&mut |settle| {
            let (waiter, socket, js, reason) = (
                close_waiter(settle),
                self.socket.downgrade(),
                Rc::downgrade(&self.js),
                reason.clone(),
            );
            self.held.close_after(
                self.socket.downgrade(),
                Box::new(move || {
                    // Gone: the waiter, dropped, rejects the promise.
                    let (Some(socket), Some(js)) = (socket.upgrade(), js.upgrade()) else {
                        return;
                    };
                    // Checked above, so it starts; a failure is still told, not dropped.
                    if let Err(error) = start_close(&socket, &js, code, &reason, waiter) {
                        socket.report_error(error.message());
                    }
                }),
            );
        });
        Ok(promise)
    }

    /// A closing or closed socket's refusal (also while a `close()` waits for held sends):
    /// it wins over the data's own size and readability refusals.
    fn refuse_if_closed(&self) -> Result<(), JsError> {
        if self.held.closing() || matches!(self.socket.state(), State::Closing | State::Closed) {
            return Err(js_error(SocketError::Core(CoreError::Closed)));
        }
        Ok(())
    }

    /// `message` (the data's refusal: too large, unreadable), unless the socket is closing or
    /// closed: then the refusal is that, as for any data.
    #[inline(never)]
    fn refused(&self, message: String) -> JsError {
        match self.refuse_if_closed() {
            Err(closed) => closed,
            Ok(()) => thrown(message),
        }
    }

    fn enqueue(&self, item: Outgoing) -> Result<(), JsError> {
        if self.held.holding() || self.held.closing() {
            // Behind a Blob (or after a `close()` that waits for one): refused once closing.
            self.refuse_if_closed()?;
            self.held.items.borrow_mut().push_back(item);
            return Ok(());
        }
        send_now(&self.socket, item).map_err(js_error)
    }

    fn read_blob(&self, blob: web_sys::Blob) -> Result<(), JsError> {
        let reading = array_buffer_of(&blob);
        // Reading ran the page's code (an `arrayBuffer` getter or override), which may have
        // closed the socket: refused now, as a send to a closed socket, rather than later where
        // no listener would hear it.
        if let Err(closed) = self.refuse_if_closed() {
            if let Ok(reading) = &reading {
                settle_quietly(reading);
            }
            return Err(closed);
        }
        // A Blob subclass's `arrayBuffer()` may throw instead of rejecting: that Blob is lost,
        // loudly, and nothing waits for it.
        let reading = match reading {
            Ok(reading) => reading,
            Err(error) => {
                self.socket.report_error(blob_unread(&error));
                return Ok(());
            }
        };
        let id = self.next_blob.get();
        self.next_blob.set(id + 1);
        self.held
            .items
            .borrow_mut()
            .push_back(Outgoing::Blob(id, None));
        let held: Weak<HeldSends> = Rc::downgrade(&self.held);
        let socket = self.socket.downgrade();
        when_settled(
            &reading,
            Box::new(move |read| {
                let (Some(held), Some(socket)) = (held.upgrade(), socket.upgrade()) else {
                    return;
                };
                // The bytes first, with nothing borrowed: a subclass's read may resolve to
                // anything, and looking at it may run the page's code (a getter that sends).
                let bytes = match read {
                    Ok(buffer) => match bytes_of(&buffer, "send()", socket.max_message_size()) {
                        Ok(Some(bytes)) => Ok(bytes),
                        Ok(None) => Err(blob_failed("its read gave no bytes")),
                        Err(message) => Err(blob_failed(&message)),
                    },
                    Err(error) => Err(blob_unread(&error)),
                };
                let failed = {
                    let mut items = held.items.borrow_mut();
                    // None: handed back already (the close stopped waiting).
                    let slot = items.find_mut(|o| matches!(o, Outgoing::Blob(b, None) if *b == id));
                    match (bytes, slot) {
                        (Ok(bytes), Some(slot)) => {
                            *slot = Outgoing::Blob(id, Some(bytes));
                            None
                        }
                        // Only this Blob is lost, and loudly; what was sent after it still goes
                        // out. A `Lost` marker takes its place (the loop below skips it).
                        (Err(message), Some(slot)) => {
                            *slot = Outgoing::Lost;
                            Some(message)
                        }
                        (_, None) => None,
                    }
                };
                if let Some(message) = failed {
                    socket.report_error(message);
                }
                held.send_ready(&socket);
            }),
        );
        Ok(())
    }
}

/// Starts a close of `socket`, the one way both `close()` and a close that waited for held sends
/// do it: `js` marked closing first (a close while connecting emits `close` synchronously, and
/// that event releases the listeners), unmarked if the close cannot start; on a socket already
/// closed no `close` event will come, so the listeners are released here.
fn start_close(
    socket: &Socket,
    js: &JsSide,
    code: u16,
    reason: &str,
    waiter: Waiter<CloseInfo>,
) -> Result<(), SocketError> {
    let already_closed = socket.state() == State::Closed;
    let was_closing = js.mark_closing();
    if let Err(error) = socket.start_close(code, reason, waiter) {
        if !was_closing {
            js.unmark_closing();
        }
        return Err(error);
    }
    if already_closed {
        js.release();
    }
    Ok(())
}

/// The waiter of a `close()` whose promise `settle` settles: with `{ code, reason, wasClean }`,
/// or rejected if the socket is dropped first.
fn close_waiter(settle: Reaction) -> Waiter<CloseInfo> {
    Waiter::new(Box::new(move |info: Option<CloseInfo>| {
        settle(match info {
            Some(info) => Ok(plain_object(&[
                (Key::Code, Value::Js(info.code.into())),
                (Key::Reason, Value::Js(info.reason.into())),
                (Key::WasClean, Value::Js(info.was_clean.into())),
            ])),
            None => Err(JsError::new("the socket was dropped while closing").into()),
        })
    }))
}

/// `blob.arrayBuffer()`, whose throw (a subclass's) is an `Err` rather than an exception
/// through wasm, and whose thenable (a subclass's too) becomes a Promise.
fn array_buffer_of(blob: &web_sys::Blob) -> Result<Promise, JsValue> {
    let read: Function = Reflect::get(blob, &"arrayBuffer".into())?.dyn_into()?;
    Ok(Promise::resolve(&read.call0(blob)?))
}

/// The `error` event's message for a Blob whose bytes could not be read.
fn blob_unread(error: &JsValue) -> String {
    blob_failed(&super::transport::websocket::describe(error))
}

/// The `error` event's message for a Blob that was not sent, and why.
fn blob_failed(why: &str) -> String {
    concat(&["send(): reading the Blob failed, it was not sent: ", why])
}

/// The longest event name or `binaryType` value taken (the longest valid one,
/// "maxReconnectAttemptsReached", has 27 characters): a longer string is refused before it is
/// copied into wasm or shown in a message.
const NAME_MAX: u32 = 64;

/// `value` as a string of at most `max` UTF-16 code units, or an Error saying what `what` must
/// be. For the exports' string parameters, taken as `JsValue`s: the glue's own conversion of a
/// `&str` parameter threw a bare TypeError for `undefined` or a number, naming neither the
/// method nor what it wanted, and copied a string of any length into wasm memory. A `String`
/// object is refused like any object (the TypeScript declarations ask for string literals).
fn string_argument(value: &JsValue, what: &str, max: u32) -> Result<String, JsError> {
    let Some(text) = value.dyn_ref::<js_sys::JsString>() else {
        return Err(thrown(concat(&[
            what,
            " must be a string, not ",
            &type_name(value),
        ])));
    };
    let length = text.length();
    if length > max {
        return Err(thrown(concat(&[
            what,
            " is ",
            &decimal(length as u64),
            " characters long; at most ",
            &decimal(max as u64),
            " are taken",
        ])));
    }
    Ok(String::from(text))
}

/// A binary-codec message type given to `method` (`sendBinary`, `encodeMessage`): a string of at
/// most the codec's type length, whose UTF-16 is well formed (a lone surrogate would otherwise
/// become U+FFFD on the way into wasm, and the frame would carry another type than the one given).
fn message_type(value: &JsValue, method: &str) -> Result<String, JsError> {
    let what = concat(&[method, "(): the message type"]);
    let text = string_argument(value, &what, DEFAULT_MAX_TYPE_LEN as u32)?;
    // Only a text that came out with U+FFFD can have held one (`isWellFormed` is ES2024: Firefox
    // 119, Chromium 111, Safari 16.4).
    if find(&text, "\u{fffd}").is_some()
        && !value.unchecked_ref::<js_sys::JsString>().is_well_formed()
    {
        return Err(thrown(concat(&[
            &what,
            " is not well-formed UTF-16 (it holds a lone surrogate)",
        ])));
    }
    Ok(text)
}

/// The event name given to `method` (`on`, `off`, `addEventListener`, `removeEventListener`).
fn event_name(event: &JsValue, method: &str) -> Result<String, JsError> {
    string_argument(event, &concat(&[method, "(): the event name"]), NAME_MAX)
}

/// `typeof value`, with `null` and arrays told apart, for error messages that must not show
/// the value itself.
fn type_name(value: &JsValue) -> String {
    if value.is_null() {
        "null".to_owned()
    } else if js_sys::Array::is_array(value) {
        "an array".to_owned()
    } else {
        let kind = value.js_typeof().as_string().unwrap_or_default();
        match kind.as_str() {
            "object" => "an object".to_owned(),
            "undefined" => "undefined".to_owned(),
            _ => concat(&["a ", &kind]),
        }
    }
}

/// A close code from JS: absent means 1000; anything but a whole number in 0–65535 is refused
/// here (the core checks the range). The message shows a number, never an object, which might
/// hold a token.
fn close_code(code: &JsValue) -> Result<u16, JsError> {
    match code.as_f64() {
        None if code.is_undefined() => Ok(1000),
        Some(n) if crate::core::float::is_whole(n) && (0.0..=65535.0).contains(&n) => Ok(n as u16),
        other => {
            let shown = match other {
                Some(n) => js_sys::Number::from(n)
                    .to_string_with_radix(10)
                    .map(String::from)
                    .unwrap_or_default(),
                None => concat(&["(", &type_name(code), ")"]),
            };
            Err(thrown(concat(&[
                "invalid close code ",
                &shown,
                ": use 1000 or an application code in 3000-4999",
            ])))
        }
    }
}

/// `JSON.stringify(value)`, or an Error that names `what`: stringify throws on cycles, BigInts
/// and throwing `toJSON`s, and gives `undefined` (not a string) for functions, symbols and
/// objects whose `toJSON` returns nothing.
fn to_json(value: &JsValue, what: &str) -> Result<String, JsError> {
    match js_sys::JSON::stringify(value) {
        Ok(json) => json.as_string().ok_or_else(|| {
            thrown(concat(&[
                what,
                ": JSON.stringify gives undefined for this value (a function, a symbol, or a \
                 toJSON() that returns nothing), so there is nothing to send",
            ]))
        }),
        Err(error) => Err(thrown(concat(&[
            what,
            ": the value cannot be serialised as JSON: ",
            &super::transport::websocket::describe(&error),
        ]))),
    }
}

/// What a value handed to `send()` and its kin is, read in one call into JS (`viewOf`).
pub(crate) enum Data {
    /// An ArrayBuffer's or a view's bytes, copied into wasm.
    Bytes(Vec<u8>),
    /// A `Blob` or `File` (of any realm), to be read asynchronously.
    Blob,
    /// Anything else.
    Other,
}

/// The bytes of an ArrayBuffer (or SharedArrayBuffer) or of any view of one (TypedArray,
/// DataView), of this realm or another; a Blob (or File); or something else (see `viewOf`). A
/// buffer or Blob over `max` bytes is refused before anything is copied or read, with the
/// core's words for a message too large (`usize::MAX`, for callers without a message limit:
/// "larger than 4 GiB", naming `what`). A detached buffer (transferred by `postMessage`,
/// `structuredClone` or `ArrayBuffer.prototype.transfer`) is an error that names `what`: making
/// a view of it would throw a TypeError from deep inside the glue code; so is one whose bytes
/// cannot be read (a Proxy around a buffer), which was sent as an empty message before.
pub(crate) fn data_of(data: &JsValue, what: &str, max: usize) -> Result<Data, String> {
    let view = view_of(data, max as f64);
    if view.is_undefined() {
        return Ok(Data::Other);
    }
    if view.is_null() {
        return Ok(Data::Blob);
    }
    let Some(code) = view.as_f64() else {
        return Ok(Data::Bytes(array_to_vec(view.unchecked_ref())));
    };
    Err(if code < 0.0 && max != usize::MAX {
        let size = -code as usize;
        CoreError::MessageTooLarge { size, max }.message()
    } else if code < 0.0 {
        concat(&[what, ": the data is larger than 4 GiB"])
    } else if code == 2.0 {
        concat(&[what, ": the data's bytes cannot be read"])
    } else {
        concat(&[
            what,
            ": the ArrayBuffer",
            if code == 1.0 { " under this view" } else { "" },
            " is detached (it was transferred, e.g. by postMessage or structuredClone), so its \
             bytes are gone",
        ])
    })
}

/// [`data_of`]'s bytes; `Ok(None)` for anything else, a Blob included.
pub(crate) fn bytes_of(data: &JsValue, what: &str, max: usize) -> Result<Option<Vec<u8>>, String> {
    Ok(match data_of(data, what, max)? {
        Data::Bytes(bytes) => Some(bytes),
        Data::Blob | Data::Other => None,
    })
}

fn encode_js(type_name: &str, data: &JsValue, what: &str) -> Result<Vec<u8>, JsError> {
    let json = if data.is_undefined() {
        "null".to_owned()
    } else {
        to_json(data, what)?
    };
    // `json` is JSON.stringify's output (or "null"): not scanned again.
    encode_serialized(type_name, &json, &CodecLimits::default()).map_err(js_error)
}

/// `encodeMessage(type, data)`: one binary-codec frame (guide §7.2 `BinaryDataHandler`).
#[wasm_bindgen(js_name = encodeMessage)]
pub fn encode_message_js(
    #[wasm_bindgen(js_name = "type", unchecked_param_type = "string")] type_name: JsValue,
    data: JsValue,
) -> Result<Uint8Array, JsError> {
    let type_name = message_type(&type_name, "encodeMessage")?;
    encode_js(&type_name, &data, "encodeMessage()").map(|bytes| Uint8Array::from(bytes.as_slice()))
}

/// `decodeMessage(bytes)`: `{ type, data }` from one binary-codec frame; throws on a malformed one.
#[wasm_bindgen(js_name = decodeMessage, unchecked_return_type = "DecodedMessage")]
pub fn decode_message_js(
    #[wasm_bindgen(unchecked_param_type = "ArrayBuffer | ArrayBufferView")] bytes: JsValue,
) -> Result<JsValue, JsError> {
    let bytes = bytes_of(&bytes, "decodeMessage()", usize::MAX)
        .map_err(thrown)?
        .ok_or_else(|| JsError::new("decodeMessage() takes an ArrayBuffer or a TypedArray"))?;
    decode_frame(&bytes).map_err(|e| thrown(concat(&["malformed binary frame: ", &e])))
}

/// Live DOM event listeners the SDK's transports own in this wasm instance. (The `abort`
/// listeners of listeners added with a `signal` live in the JS listener registry, which removes
/// them with their listener, at release, and when the socket is dropped.)
#[wasm_bindgen(js_name = liveTransportListeners)]
pub fn live_transport_listeners() -> usize {
    super::listener::live_listeners()
}
