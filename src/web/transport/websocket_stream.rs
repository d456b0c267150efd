//! The `WebSocketStream` adapter (Chromium; Firefox has no `WebSocketStream`, and the transport
//! layer then uses the classic [`super::websocket`] adapter).
//!
//! Same wire as WebSocket, but messages flow through streams: the readable gives one chunk per
//! message (a string for text, bytes for binary), and the writable's write promises tell us when
//! each message has been handed to the network, which is what `buffered_amount` reports.
//!
//! **Nothing lost silently.** Every write is logged until its promise resolves. When the
//! connection ends, the messages of writes that never resolved (still pending, or rejected) are
//! reported as `Unsent`, not `Unconfirmed`: a WebSocket message is one frame, the writable's sink
//! takes one chunk at a time and resolves it once the whole frame has been handed to the network
//! (Chromium resolves it exactly where the classic API's `bufferedAmount` falls), so an
//! unresolved write was either still queued behind another or only partly handed off, and a
//! server never delivers a partial frame. Messages that arrive are all reported: during a client
//! close too, and `Closed` waits until the reader has drained what came before the server's
//! close (bounded by the core: `Ending` first, see `core::closing`).
//!
//! No DOM listeners and no task: the handshake and the close are promise reactions
//! ([`opened`], [`closed`]), and messages are read by a callback loop (one closure for the whole
//! connection, see [`ReadLoop`]); all hold a [`Weak`] to the connection's state. Dropping the
//! connection cancels the reader and closes the socket, which settles every promise.

use super::event_rules::{Phase, Reporter};
use super::stream_support::{
    bounded_payload, read_end, scrub_query, truncate_reason, without_query, Incoming, ReadEnd,
    ReadLoop, TrackedWriter, Writes,
};
use super::websocket::describe;
use super::{Lost, OpenRequest, SendError, Transport};
use crate::core::close_code::{self, NO_STATUS};
use crate::core::text::concat;
use crate::core::{Payload, TransportKind};
use crate::prelude::*;
use crate::web::bindings::close_when_open::close_when_open;
use crate::web::bindings::promise::settle_quietly;
use crate::web::bindings::promise::when_settled;
use crate::web::bindings::property::{set_property, string_property};
use crate::web::bindings::websocket_stream::{
    WebSocketCloseInfo, WebSocketOpenInfo, WebSocketStream,
};
use core::cell::{Cell, RefCell};
use js_sys::{Array, Object, Uint8Array};
use std::rc::{Rc, Weak};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::ReadableStreamDefaultReader;

/// One `WebSocketStream`. Dropping it cancels its reader and closes the socket.
pub struct WebSocketStreamConnection {
    shared: Rc<Shared>,
}

/// State the promise reactions and the read callbacks reach through a [`Weak`].
struct Shared {
    socket: WebSocketStream,
    report: Reporter,
    /// The open socket's writer; present from `Opened` until the connection is dropped.
    writer: RefCell<Option<TrackedWriter>>,
    /// The read loop; present from `Opened` until the connection is dropped, which cancels the
    /// reader (see [`ReadLoop`]).
    reading: Cell<Option<ReadLoop>>,
    /// Every write whose promise has not resolved: `buffered_amount`, and what is handed back
    /// when the connection ends.
    writes: Writes,
    /// How the socket closed, kept from `closed` settling until the reader has ended (see
    /// [`closed`]).
    outcome: RefCell<Option<Outcome>>,
    /// The reader has ended: what came before the server's close has been reported.
    read_all: Cell<bool>,
}

/// A close's code, reason and whether it was clean.
type Outcome = (u16, String, bool);

impl WebSocketStreamConnection {
    /// Starts the handshake; `Opened` or `Failed` follows on the sink. Fails synchronously for a
    /// bad URL or where the browser has no `WebSocketStream`.
    pub fn open(request: OpenRequest) -> Result<Self, String> {
        let options = Object::new();
        if !request.protocols.is_empty() {
            let protocols = Array::new();
            for protocol in &request.protocols {
                protocols.push(&JsValue::from_str(protocol));
            }
            set_property(&options, "protocols", &protocols);
        }
        let socket = WebSocketStream::new_with_options(&request.url, &options).map_err(|e| {
            concat(&[
                "WebSocketStream(",
                without_query(&request.url),
                ") failed: ",
                &scrub_query(&describe(&e), &request.url),
            ])
        })?;
        let shared = Rc::new(Shared {
            socket: socket.clone(),
            report: Reporter::new(
                request.conn_id,
                request.sink,
                concat(&["WebSocketStream to ", without_query(&request.url)]),
            ),
            writer: RefCell::new(None),
            reading: Cell::new(None),
            writes: Writes::default(),
            outcome: RefCell::new(None),
            read_all: Cell::new(false),
        });
        let weak = Rc::downgrade(&shared);
        let (max, url) = (request.max_message_bytes, request.url);
        when_settled(
            &socket.opened(),
            Box::new(move |handshake| opened(weak, socket, max, url, handshake)),
        );
        Ok(WebSocketStreamConnection { shared })
    }
}

/// The handshake settled: the reader starts and `Opened` is reported (then [`closed`] waits for
/// the end), or the connection failed.
fn opened(
    weak: Weak<Shared>,
    socket: WebSocketStream,
    max: usize,
    url: String,
    handshake: Result<JsValue, JsValue>,
) {
    let Some(shared) = weak.upgrade() else {
        settle_quietly(&socket.closed());
        return;
    };
    let info: WebSocketOpenInfo = match handshake {
        Ok(info) => info.unchecked_into(),
        Err(error) => {
            // `closed` rejects too; observe it so the browser logs no unhandled rejection.
            settle_quietly(&socket.closed());
            let reason = concat(&[
                shared.report.label(),
                " failed before opening: ",
                &scrub_query(&describe(&error), &url),
            ]);
            shared.report.failed(reason, Lost::default());
            return;
        }
    };
    if shared.report.phase() != Phase::Opening {
        // Closed by the client before the handshake finished: `close_when_open` closes the
        // socket with the client's code (its reaction comes after this one).
        settle_quietly(&socket.closed());
        return;
    }
    let streams = ReadableStreamDefaultReader::new(&info.readable())
        .and_then(|reader| Ok((reader, info.writable().get_writer()?)));
    let (reader, writer) = match streams {
        Ok(streams) => streams,
        Err(error) => {
            close_socket(&socket, None);
            settle_quietly(&socket.closed());
            let reason = concat(&[
                shared.report.label(),
                ": its streams are unusable: ",
                &scrub_query(&describe(&error), &url),
            ]);
            shared.report.failed(reason, Lost::default());
            return;
        }
    };
    let writer = TrackedWriter::new(writer, shared.writes.clone());
    *shared.writer.borrow_mut() = Some(writer);
    // The first read starts before `Opened` is reported (its outcome comes in a later
    // microtask), so that a connection dropped by the application's open handler finds it
    // pending and settles it by cancelling the reader. `Closed` waits for the reader's end, so
    // that the messages that came before the server's close are reported first.
    shared.reading.set(Some(read_messages(&weak, reader, max)));
    shared.report.opened(
        string_property(&info, "protocol"),
        string_property(&info, "extensions"),
    );
    drop(shared);
    // The one place `Closed` comes from, whoever closed: `closed` settles after the closing
    // handshake, or rejects when the connection was lost.
    when_settled(
        &socket.closed(),
        Box::new(move |outcome| closed(weak, outcome, &url)),
    );
}

/// `closed` settled: `Ending` now, `Closed` once the reader has ended too (at once if it has).
fn closed(weak: Weak<Shared>, outcome: Result<JsValue, JsValue>, url: &str) {
    let Some(shared) = weak.upgrade() else { return };
    let (code, reason, clean) = match outcome {
        Ok(info) if info.is_object() => {
            let info: WebSocketCloseInfo = info.unchecked_into();
            // No code in the close frame: 1005, as a `CloseEvent` reports it.
            let code = info.close_code().unwrap_or(NO_STATUS);
            (code, string_property(&info, "reason"), true)
        }
        Ok(_) => (NO_STATUS, String::new(), true),
        Err(error) => (
            close_code::ABNORMAL,
            scrub_query(&describe(&error), url),
            false,
        ),
    };
    // A close we started reports our code and reason (for 1009 that is not what went on the
    // wire, see `Reporter::too_big`); whether it was clean comes from the socket, except that a
    // 1009 close never is (`Reporter::closed`).
    let (code, reason) = shared.report.client_close().unwrap_or((code, reason));
    let reason = truncate_reason(&reason);
    // Messages the server sent before its close may still be queued in the readable: they
    // reach the application before `Closed`. A dropped connection cancels the reader (which
    // ends the wait); a reader that never ends is the core's to give up on (`Ending`).
    shared.report.ending(code, reason.clone(), clean);
    if shared.read_all.get() {
        finish(&shared, (code, reason, clean));
    } else {
        *shared.outcome.borrow_mut() = Some((code, reason, clean));
    }
}

/// The reader has ended: `Closed`, if `closed` has settled already (else [`closed`] reports it).
fn reader_ended(weak: &Weak<Shared>) {
    let Some(shared) = weak.upgrade() else { return };
    shared.read_all.set(true);
    let outcome = shared.outcome.borrow_mut().take();
    if let Some(outcome) = outcome {
        finish(&shared, outcome);
    }
}

/// `Closed`, handing back every write that did not resolve.
fn finish(shared: &Shared, (code, reason, clean): Outcome) {
    let lost = Lost {
        unconfirmed: Vec::new(),
        unsent: shared.writes.take_unresolved(),
    };
    shared.report.closed(code, reason, clean, lost);
}

/// The read loop of `reader`: each chunk is reported as a message; a message over `max` closes
/// the socket with 1009. It ends when the socket closes (done) or fails (an error), or when
/// `Drop` cancels the reader; then [`reader_ended`].
fn read_messages(weak: &Weak<Shared>, reader: ReadableStreamDefaultReader, max: usize) -> ReadLoop {
    let ended = weak.clone();
    let handle = move |shared: &Shared, result: &web_sys::ReadableStreamReadResult| {
        // The value first: a message is the common case (see `read_end`).
        match bounded_payload(&result.get_value(), max) {
            Incoming::Message(payload) => shared.report.message(payload),
            // Reading goes on: what the server sent before its answer to the close still
            // reaches the application, as on the classic WebSocket. A message over the
            // maximum while a close is already under way cannot be delivered and changes
            // nothing.
            Incoming::TooBig => {
                if let Some(wire) = shared.report.too_big() {
                    close_socket(&shared.socket, Some(wire));
                }
            }
            // `done: false`: not a message type WebSocket has, nothing to report. Otherwise
            // the reader has ended: done (the socket closed) or an error (the socket failed;
            // `closed` rejects too, and [`closed`] reports it).
            Incoming::Other => return read_end(result) == ReadEnd::No,
        }
        true
    };
    ReadLoop::start(
        reader,
        weak.clone(),
        handle,
        Some(Box::new(move || reader_ended(&ended))),
    )
}

/// `socket.close({closeCode, reason})`, or `close()` without details (also aborts a handshake).
fn close_socket(socket: &WebSocketStream, info: Option<(u16, &str)>) {
    let options = Object::new();
    if let Some((code, reason)) = info {
        set_property(&options, "closeCode", &JsValue::from(code));
        set_property(&options, "reason", &JsValue::from_str(reason));
    }
    if socket.close(&options).is_err() && info.is_some() {
        // An invalid code or reason throws; close anyway rather than stay open.
        let _ = socket.close(&Object::new());
    }
}

impl Transport for WebSocketStreamConnection {
    fn kind(&self) -> TransportKind {
        TransportKind::WebSocket
    }

    fn send(&self, payload: Payload) -> Result<(), SendError> {
        let writer = self.shared.writer.borrow().clone();
        let writer = match writer {
            Some(writer) if self.shared.report.phase() == Phase::Open => writer,
            _ => return Err(SendError::new("WebSocketStream is not open", payload)),
        };
        // A string is sent as a text message, bytes as a binary one. Writes on one writer are
        // queued in call order; a failed write means the socket is gone, which `closed` reports,
        // handing back every write that did not resolve (see the module documentation).
        let len = payload.len();
        let chunk = match &payload {
            Payload::Text(text) => JsValue::from_str(text),
            Payload::Binary(bytes) => Uint8Array::from(bytes.as_slice()).into(),
        };
        let _ = writer.write(&chunk, len, Some(payload));
        Ok(())
    }

    /// Before open this is a failure to open, reported at once, and the socket is closed with
    /// `code` once it opens, or aborted if it does not within a second (see
    /// `close_when_open`); after, it starts the closing handshake,
    /// which [`closed`] reports when `closed` settles.
    fn close(&self, code: u16, reason: &str) {
        let report = &self.shared.report;
        if report.abort_opening(Lost::default) {
            close_when_open(&self.shared.socket, code, reason);
        } else if report.begin_close(code, reason) {
            close_socket(&self.shared.socket, Some((code, reason)));
        }
    }

    /// Pending writes may still complete: unconfirmed.
    fn abandon(&self) -> Lost {
        Lost {
            unconfirmed: self.shared.writes.take_unresolved(),
            unsent: Vec::new(),
        }
    }

    fn buffered_amount(&self) -> u32 {
        u32::try_from(self.shared.writes.buffered()).unwrap_or(u32::MAX)
    }
}

impl Drop for WebSocketStreamConnection {
    fn drop(&mut self) {
        let live = self.shared.report.end();
        // Cancels the reader (see `ReadLoop`).
        drop(self.shared.reading.take());
        let writer = self.shared.writer.take();
        if let Some(writer) = writer {
            writer.release();
        }
        // A dropped connection must not linger open on the server; closing also settles the
        // promises the reactions wait for. Closing an already closed socket does nothing.
        if live {
            close_socket(&self.shared.socket, None);
        }
    }
}
