//! The Server-Sent Events adapter: an `EventSource` down, batched `fetch` POSTs up.
//!
//! Wire format (PROTOCOL.md §4.2, the reference server's `http.rs`): `GET {url}` opens the event
//! stream, whose first event, `session`, names the session; unnamed events are text messages,
//! `binary` events carry base64, and `close` carries `{"code","reason"}`. Upstream, the messages
//! queued while the previous POST was in flight go in one `POST {url}/{session}` (a batch of §2
//! frames), and a client close is `POST {url}/{session}/close`; `{url}`'s query (the token) is
//! kept on each.
//!
//! The HTTP plumbing both HTTP transports share (ordered upstream queue, global `fetch`, base64,
//! size-checked reads) is `HttpShared` in `http_shared.rs`.

use super::event_rules::Phase;
use super::http_shared::{parse_close, parse_json, session_from, HttpShared};
use super::websocket::describe;
use super::{Lost, OpenRequest, SendError, Transport};
use crate::core::close_code::ABNORMAL;
use crate::core::text::concat;
use crate::core::{Payload, TransportKind};
use crate::endpoints::without_query;
use crate::prelude::*;
use crate::web::listener::EventListener;
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
    /// Creates the `EventSource`; `Opened` or `Failed` follows on the sink. Fails synchronously
    /// when the browser rejects the URL.
    pub fn open(request: OpenRequest) -> Result<Self, String> {
        let source = EventSource::new(&request.url).map_err(|e| {
            concat(&[
                "EventSource(",
                without_query(&request.url),
                ") failed: ",
                &describe(&e),
            ])
        })?;
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
            let (Some(shared), Some(data)) = (weak.upgrade(), event_data(&event)) else {
                return;
            };
            shared.deliver_text(&data);
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
            let (code, reason, was_clean) =
                parse_close(&parse_json(&data).unwrap_or(JsValue::NULL));
            // Before the session event this is a failure to open (see `Reporter::closed`).
            shared.closed(code, reason, was_clean);
        });

        // EventSource reports every problem (refused, non-200, stream cut) as a bare `error`
        // without a status, and would then reconnect by itself; ending the connection closes it
        // because reconnection is the core's decision. A server's own event named `error` comes
        // to this listener too, as a MessageEvent: not a failure, and ignored like any event
        // name the protocol does not use.
        let weak = Rc::downgrade(&shared);
        let on_error = EventListener::new(&source, "error", move |event| {
            if event_data(&event).is_some() {
                return;
            }
            let Some(shared) = weak.upgrade() else { return };
            if shared.end_client_close(false) {
                return;
            }
            if shared.report.phase() == Phase::Opening {
                shared.failed(concat(&[
                    shared.report.label(),
                    " failed before the session event (refused, non-200 answer or network \
                     error; EventSource does not expose the status)",
                ]));
            } else {
                let reason = "the SSE event stream ended without a close event";
                shared.closed(ABNORMAL, reason.into(), false);
            }
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
        let session = parse_json(&data)
            .ok_or_else(|| "the SSE session event is not JSON".to_owned())
            .and_then(|value| session_from(&value));
        match session {
            Ok(session) => shared.opened(session),
            Err(why) => shared.failed(concat(&[shared.endpoint_for_humans(), ": ", &why])),
        }
    }
}

/// The `data` of a server-sent event, still in JS (its size is checked before any copy);
/// `None` for EventSource's own (non-message) events.
fn event_data(event: &Event) -> Option<JsValue> {
    Some(event.dyn_ref::<MessageEvent>()?.data())
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

    fn abandon(&self) -> Lost {
        self.shared.take_held()
    }

    fn buffered_amount(&self) -> u32 {
        self.shared.buffered_amount()
    }
}

impl Drop for SseConnection {
    fn drop(&mut self) {
        // Closing the EventSource ends the stream, which the server sees as the client leaving.
        self.shared.release();
    }
}
