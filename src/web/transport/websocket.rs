//! The classic `WebSocket` adapter (every browser; the default for the WebSocket transport).
//!
//! **Nothing lost silently.** A browser silently discards what is sent on a socket that is
//! closing or closed, so `send` hands a message back unless the socket is `OPEN`. What `send`
//! accepted sits in the browser until it is written; `bufferedAmount` counts those bytes and does
//! not fall once the connection has closed. The adapter keeps the core's [`SentTail`] of recently
//! sent messages, which covers `bufferedAmount` (read only when the tail is due for a trim), and
//! when the connection closes it reports the tail's unsent part as `Unsent` before `Closed`.
//!
//! **Bounded input.** A message's size is read from the JS value (`byteLength`, or the string's
//! UTF-8 length measured in JS) before it is copied into wasm, so a hostile server cannot make
//! the adapter allocate more than its configured maximum.

use super::event_rules::Reporter;
use super::stream_support::{
    bounded_payload, scrub_query, truncate_reason, without_query, Incoming,
};
use super::{Lost, OpenRequest, SendError, Transport};
use crate::core::close_code::UNSUPPORTED_DATA;
use crate::core::sent_tail::SentTail;
use crate::core::text::concat;
use crate::core::{Payload, TransportKind};
use crate::prelude::*;
use crate::web::bindings::close_when_open::close_when_open;
use crate::web::bindings::property::string_property;
use crate::web::handoff::hand_off_text;
use crate::web::listener::EventListener;
use core::cell::RefCell;
use js_sys::Array;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

/// One WebSocket connection; its listeners are removed when it is dropped.
pub struct WebSocketConnection {
    socket: WebSocket,
    report: Rc<Reporter>,
    /// Recently sent messages that may still be in `bufferedAmount`.
    tail: Rc<RefCell<SentTail>>,
    _listeners: [EventListener; 4],
}

/// Why a message that is neither text nor an `ArrayBuffer` or `Uint8Array` closes the socket.
const NOT_READ: &str = "unsupported data (a Blob from a wrapped WebSocket?)";

impl WebSocketConnection {
    /// Starts the handshake; `Opened` or `Failed` follows on the sink. Fails synchronously when
    /// the browser rejects the URL or the subprotocols (`new WebSocket` throws).
    pub fn open(request: OpenRequest) -> Result<Self, String> {
        // Pushed, not collected: no `FromIterator`/`Extend` for `Array` (issue 9: size).
        let protocols = Array::new();
        for protocol in &request.protocols {
            protocols.push(&JsValue::from_str(protocol));
        }
        let socket = WebSocket::new_with_str_sequence(&request.url, &protocols).map_err(|e| {
            concat(&[
                "WebSocket(",
                without_query(&request.url),
                ") failed: ",
                &scrub_query(&describe(&e), &request.url),
            ])
        })?;
        // Binary arrives as ArrayBuffer so it can be measured and copied synchronously.
        socket.set_binary_type(BinaryType::Arraybuffer);

        let report = Rc::new(Reporter::new(
            request.conn_id,
            request.sink,
            concat(&["WebSocket to ", without_query(&request.url)]),
        ));
        let max = request.max_message_bytes;
        let tail = Rc::new(RefCell::new(SentTail::default()));

        let opened = report.clone();
        let target = socket.clone();
        let on_open = EventListener::new(&socket, "open", move |_| {
            opened.opened(
                string_property(&target, "protocol"),
                string_property(&target, "extensions"),
            );
        });

        let received = report.clone();
        let target = socket.clone();
        let on_message = EventListener::new(&socket, "message", move |event| {
            // A browser's WebSocket gives a `message` listener a MessageEvent whose data is a
            // string or (binaryType "arraybuffer") an ArrayBuffer; a wrapped or mocked one may
            // hand anything (a Uint8Array, a Blob). One call into JS says which and how big.
            let data = event.unchecked_into::<MessageEvent>().data();
            // A wrapped WebSocket's Blob cannot be read without waiting, which would reorder it
            // after later messages and the close: the socket closes with 1003 and says why, so
            // the message is not lost silently.
            let refused = match bounded_payload(&data, max) {
                // The JS string goes along, so that the JS side need not copy the text out of
                // wasm again.
                Incoming::Message(Payload::Text(text)) => {
                    return hand_off_text(text, data, |text| received.message(Payload::Text(text)))
                }
                Incoming::Message(payload) => return received.message(payload),
                Incoming::TooBig => received.too_big(),
                Incoming::Other => received.refuse(UNSUPPORTED_DATA, NOT_READ),
            };
            if let Some((code, reason)) = refused {
                let _ = target.close_with_code_and_reason(code, reason);
            }
        });

        // Browsers fire `error` then `close`; the close carries the code, so errors are only
        // reported through it (before `open`, as a failure to open).
        let on_error = EventListener::new(&socket, "error", |_| {});

        let ended = report.clone();
        let target = socket.clone();
        let unsent = tail.clone();
        let on_close = EventListener::new(&socket, "close", move |event| {
            // A WebSocket's `close` listener only ever gets a CloseEvent.
            let event = event.unchecked_into::<CloseEvent>();
            // `bufferedAmount` keeps counting what was never written once the socket is closed.
            let buffered = target.buffered_amount() as usize;
            let unsent = unsent.borrow_mut().take_unsent(buffered);
            // A close this adapter started for a refused message (1009, 1003) went on the wire
            // as 1000, and the browser reports that: the core reports the refusal instead
            // (`Connection::handle_transport_closed`).
            let (code, reason, clean) = (
                event.code(),
                truncate_reason(&string_property(&event, "reason")),
                event.was_clean(),
            );
            let lost = Lost {
                unconfirmed: Vec::new(),
                unsent,
            };
            ended.closed(code, reason, clean, lost);
        });

        Ok(WebSocketConnection {
            socket,
            report,
            tail,
            _listeners: [on_open, on_message, on_error, on_close],
        })
    }
}

impl Transport for WebSocketConnection {
    fn kind(&self) -> TransportKind {
        TransportKind::WebSocket
    }

    /// Refused unless `OPEN`: a closing or closed WebSocket takes the message without an error
    /// and never sends it.
    fn send(&self, payload: Payload) -> Result<(), SendError> {
        if self.socket.ready_state() != WebSocket::OPEN {
            return Err(SendError::new("the WebSocket is not open", payload));
        }
        let result = match &payload {
            Payload::Text(text) => self.socket.send_with_str(text),
            Payload::Binary(bytes) => self.socket.send_with_u8_array(bytes),
        };
        if let Err(e) = result {
            let reason = concat(&["WebSocket send failed: ", &describe(&e)]);
            return Err(SendError::new(reason, payload));
        }
        // Trimmed only now and then: what `take_unsent` hands back is the same (it trims with
        // the final amount first), and a send costs one call into JS less.
        if self.tail.borrow_mut().push(payload) {
            let buffered = self.socket.buffered_amount() as usize;
            self.tail.borrow_mut().trim(buffered);
        }
        Ok(())
    }

    /// Before open, a close is a failure to open, reported at once, and the socket is closed
    /// with `code` once it opens, or aborted if it does not within a second (see
    /// `close_when_open`); after, the browser's `close` event reports it.
    fn close(&self, code: u16, reason: &str) {
        if self.report.abort_opening(Lost::default) {
            close_when_open(&self.socket, code, reason);
            return;
        }
        let _ = self.socket.close_with_code_and_reason(code, reason);
    }

    /// The browser may still write what it buffers (a close frame goes out after the buffered
    /// data), so the tail is unconfirmed, not unsent.
    fn abandon(&self) -> Lost {
        let buffered = self.socket.buffered_amount() as usize;
        Lost {
            unconfirmed: self.tail.borrow_mut().take_unsent(buffered),
            unsent: Vec::new(),
        }
    }

    fn buffered_amount(&self) -> u32 {
        self.socket.buffered_amount()
    }
}

impl Drop for WebSocketConnection {
    fn drop(&mut self) {
        // A dropped connection must not linger open on the server; listeners go with `_listeners`.
        // One the client closed before it opened is closed once it opens, with its code. One
        // dropped while connecting without a close (a socket freed meanwhile) is aborted: the
        // application is going away, and Chromium says so (1001) if the handshake was through.
        let state = self.socket.ready_state();
        if state == WebSocket::OPEN || (state == WebSocket::CONNECTING && !self.report.is_ended()) {
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
