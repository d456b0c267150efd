//! The Server-Sent Events adapter: an `EventSource` down, one `fetch` POST per message up.
//!
//! Wire format (see the reference server's `http.rs`): `GET {url}` opens the event stream, whose
//! first event, `session`, names the session; unnamed events are text messages, `binary` events
//! carry base64, and `close` carries `{"code","reason"}`. Upstream, each message is a
//! `POST {url}/{session}` and a client close is `POST {url}/{session}/close`.
//!
//! The HTTP plumbing both HTTP transports share (ordered upstream queue, global `fetch`, base64)
//! is [`HttpShared`] in `http_shared.rs`.

use super::http_shared::{get_string, parse_close, HttpShared, Phase};
use super::websocket::describe;
use super::{OpenRequest, SendError, Transport, TransportEvent};
use crate::core::{Payload, TransportKind};
use crate::web::listener::EventListener;
use js_sys::JSON;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use web_sys::{Event, EventSource, MessageEvent};

/// One SSE connection. Dropping it closes the `EventSource` (so the browser does not reconnect on
/// its own), detaches its listeners and aborts the upstream POST in flight.
pub struct SseConnection {
    shared: Rc<HttpShared>,
    _listeners: [EventListener; 5],
}

impl SseConnection {
    pub fn open(request: OpenRequest) -> Result<Self, String> {
        let source = EventSource::new(&request.url)
            .map_err(|e| format!("EventSource({}) failed: {}", request.url, describe(&e)))?;
        let shared = match HttpShared::new(&request, Some(source.clone())) {
            Ok(shared) => shared,
            Err(e) => {
                source.close();
                return Err(e);
            }
        };

        // The session event is what makes the connection open: before it the server has not
        // registered a session, so there is nowhere to POST to.
        // (PROTOCOL.md names it `session` because EventSource fires its own `open` already.)
        let on_session = EventListener::new(&source, "session", session_handler(&shared));

        let weak = Rc::downgrade(&shared);
        let on_message = EventListener::new(&source, "message", move |event| {
            let (Some(shared), Some(text)) = (weak.upgrade(), event_data(&event)) else {
                return;
            };
            shared.deliver(Payload::Text(text));
        });

        let weak = Rc::downgrade(&shared);
        let on_binary = EventListener::new(&source, "binary", move |event| {
            let (Some(shared), Some(data)) = (weak.upgrade(), event_data(&event)) else {
                return;
            };
            shared.deliver_base64(&data);
        });

        let weak = Rc::downgrade(&shared);
        let on_close = EventListener::new(&source, "close", move |event| {
            let (Some(shared), Some(data)) = (weak.upgrade(), event_data(&event)) else {
                return;
            };
            let (code, reason) = parse_close(&JSON::parse(&data).unwrap_or(JsValue::NULL));
            // `Closed` is only ever reported for a connection that was reported open.
            shared.finish(if shared.phase.get() == Phase::Connecting {
                TransportEvent::Failed(format!(
                    "the SSE server closed before naming the session ({code} {reason})"
                ))
            } else {
                TransportEvent::Closed {
                    code,
                    reason,
                    was_clean: true,
                }
            });
        });

        // EventSource reports every problem (refused, non-200, stream cut) as a bare `error`
        // without a status, and would then reconnect by itself; `finish` closes it because
        // reconnection is the core's decision.
        let weak = Rc::downgrade(&shared);
        let on_error = EventListener::new(&source, "error", move |_| {
            let Some(shared) = weak.upgrade() else { return };
            let event = if let Some(closed) = shared.client_close_event(false) {
                closed
            } else if shared.phase.get() == Phase::Connecting {
                TransportEvent::Failed(format!(
                    "SSE EventSource to {} failed before the session event (refused, non-200 \
                     answer or network error; EventSource does not expose the status)",
                    shared.url
                ))
            } else {
                TransportEvent::Closed {
                    code: 1006,
                    reason: "the SSE event stream ended without a close event".into(),
                    was_clean: false,
                }
            };
            shared.finish(event);
        });

        Ok(SseConnection {
            shared,
            _listeners: [on_session, on_message, on_binary, on_close, on_error],
        })
    }
}

/// Handles the event naming the session: `{"session":"<id>"}`.
fn session_handler(shared: &Rc<HttpShared>) -> impl FnMut(Event) + 'static {
    let weak = Rc::downgrade(shared);
    move |event| {
        let (Some(shared), Some(data)) = (weak.upgrade(), event_data(&event)) else {
            return;
        };
        match JSON::parse(&data)
            .ok()
            .and_then(|v| get_string(&v, "session"))
        {
            Some(session) => shared.opened(&session),
            None => shared.finish(TransportEvent::Failed(format!(
                "SSE session event without a session id: {data:?}"
            ))),
        }
    }
}

/// The `data` of a server-sent event; `None` for EventSource's own (non-message) events.
fn event_data(event: &Event) -> Option<String> {
    event.dyn_ref::<MessageEvent>()?.data().as_string()
}

impl Transport for SseConnection {
    fn kind(&self) -> TransportKind {
        TransportKind::Sse
    }

    fn send(&self, payload: Payload) -> Result<(), SendError> {
        self.shared.send(payload)
    }

    fn close(&self, code: u16, reason: &str) {
        self.shared.close(code, reason);
    }

    fn buffered_amount(&self) -> u32 {
        self.shared.buffered_amount()
    }
}

impl Drop for SseConnection {
    fn drop(&mut self) {
        // Closing the EventSource ends the stream, which the server sees as the client leaving.
        self.shared.phase.set(Phase::Done);
        self.shared.teardown();
    }
}
