//! The classic `WebSocket` adapter (every browser; the fallback when WebSocketStream is missing).

use super::{OpenRequest, SendError, Transport, TransportEvent};
use crate::core::{Payload, TransportKind};
use crate::web::listener::EventListener;
use js_sys::{Array, ArrayBuffer, Uint8Array};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

/// One WebSocket connection; its listeners are removed when it is dropped.
pub struct WebSocketConnection {
    socket: WebSocket,
    _listeners: [EventListener; 4],
}

impl WebSocketConnection {
    pub fn open(request: OpenRequest) -> Result<Self, String> {
        let protocols = request
            .protocols
            .iter()
            .map(|p| JsValue::from_str(p))
            .collect::<Array>();
        let socket = WebSocket::new_with_str_sequence(&request.url, &protocols)
            .map_err(|e| format!("WebSocket({}) failed: {}", request.url, describe(&e)))?;
        // Binary arrives as ArrayBuffer so it can be copied synchronously (no Blob reads).
        socket.set_binary_type(BinaryType::Arraybuffer);

        let id = request.conn_id;
        // Whether `open` fired: an error before it is a connect failure, after it a close.
        let opened = Rc::new(Cell::new(false));
        let max = request.max_message_bytes;
        // Set when we close because the server sent more than `max`: browsers only let a page
        // close with 1000 or 3000-4999, so the wire says 1000 and the event says 1009.
        let too_big = Rc::new(Cell::new(false));

        let sink = request.sink.clone();
        let was_opened = opened.clone();
        let target = socket.clone();
        let on_open = EventListener::new(&socket, "open", move |_| {
            was_opened.set(true);
            let _ = sink.unbounded_send((
                id,
                TransportEvent::Opened {
                    protocol: target.protocol(),
                    extensions: target.extensions(),
                },
            ));
        });

        let sink = request.sink.clone();
        let target = socket.clone();
        let too_big_flag = too_big.clone();
        let on_message = EventListener::new(&socket, "message", move |event| {
            let Ok(event) = event.dyn_into::<MessageEvent>() else {
                return;
            };
            let data = event.data();
            let payload = if let Some(text) = data.as_string() {
                Payload::Text(text)
            } else if let Ok(buffer) = data.dyn_into::<ArrayBuffer>() {
                Payload::Binary(Uint8Array::new(&buffer).to_vec())
            } else {
                return;
            };
            if payload.len() > max {
                too_big_flag.set(true);
                let _ = target.close_with_code_and_reason(1000, "message too big");
                return;
            }
            let _ = sink.unbounded_send((id, TransportEvent::Message(payload)));
        });

        // Browsers fire `error` then `close`; the close carries the code, so errors are only
        // reported through it. Before `open`, a close is a connect failure.
        let on_error = EventListener::new(&socket, "error", |_| {});

        let sink = request.sink.clone();
        let url = request.url.clone();
        let on_close = EventListener::new(&socket, "close", move |event| {
            let Ok(event) = event.dyn_into::<CloseEvent>() else {
                return;
            };
            let message = if too_big.get() {
                TransportEvent::Closed {
                    code: 1009,
                    reason: "message too big".into(),
                    was_clean: false,
                }
            } else if opened.get() {
                TransportEvent::Closed {
                    code: event.code(),
                    reason: event.reason(),
                    was_clean: event.was_clean(),
                }
            } else {
                TransportEvent::Failed(format!(
                    "WebSocket to {url} failed before opening (close code {})",
                    event.code()
                ))
            };
            let _ = sink.unbounded_send((id, message));
        });

        Ok(WebSocketConnection {
            socket,
            _listeners: [on_open, on_message, on_error, on_close],
        })
    }
}

impl Transport for WebSocketConnection {
    fn kind(&self) -> TransportKind {
        TransportKind::WebSocket
    }

    fn send(&self, payload: Payload) -> Result<(), SendError> {
        let result = match &payload {
            Payload::Text(text) => self.socket.send_with_str(text),
            Payload::Binary(bytes) => self.socket.send_with_u8_array(bytes),
        };
        result.map_err(|e| {
            SendError::new(format!("WebSocket send failed: {}", describe(&e)), payload)
        })
    }

    fn close(&self, code: u16, reason: &str) {
        let _ = self.socket.close_with_code_and_reason(code, reason);
    }

    fn buffered_amount(&self) -> u32 {
        self.socket.buffered_amount()
    }
}

impl Drop for WebSocketConnection {
    fn drop(&mut self) {
        // A dropped connection must not linger open on the server; listeners go with `_listeners`.
        if self.socket.ready_state() <= WebSocket::OPEN {
            let _ = self.socket.close();
        }
    }
}

/// A JS exception as text for error messages.
pub(crate) fn describe(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        // JSON.stringify rather than Rust's Debug for JsValue, which pulls float formatting in.
        .or_else(|| {
            js_sys::JSON::stringify(error)
                .ok()
                .and_then(|s| s.as_string())
        })
        .unwrap_or_else(|| "an unknown error".to_owned())
}
