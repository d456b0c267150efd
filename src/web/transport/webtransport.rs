//! The WebTransport adapter: one bidirectional stream carrying PROTOCOL.md §2 frames, plus the
//! session's datagrams.
//!
//! A QUIC stream is a byte stream, so message boundaries come from the core's [`FrameDecoder`]
//! (which checks every announced length against `max_message_bytes` before buffering) and
//! outgoing messages go through [`encode_frame`]. Closing mirrors the WebSocket handshake: the
//! closing side sends a close frame, the other answers with one, and only then is the session
//! closed, because closing a WebTransport session resets its streams and a reset may discard a
//! close frame the peer has not read yet.
//!
//! Nothing here registers DOM listeners and nothing runs as a task: the opening and closing steps
//! are promise reactions ([`ready`], [`stream_created`], [`frames_ended`]), and the stream and
//! the datagrams are read by callback loops (one closure each for the whole connection, no
//! future or closure per chunk, see [`ReadLoop`]). All of them hold a [`Weak`] to the
//! connection's state (never the connection), and dropping the connection cancels the readers
//! and closes the session, which settles every promise they wait for.
//!
//! The helpers it shares with the WebSocketStream adapter are in `stream_support.rs`; the event
//! rules every adapter keeps are `event_rules.rs`.
//!
//! **Nothing lost silently.** Every frame written is logged until its write promise resolves.
//! A clean close handshake proves the server read every frame before its answering close frame,
//! so nothing is handed back then. Otherwise the messages of unresolved (pending or rejected)
//! writes are handed back, split by what the streams API guarantees: its sink takes one chunk at
//! a time, so the writes queued behind the oldest unresolved one never reached the network
//! (`Unsent`, sent again on the next connection); the oldest one was in the sink, which may have
//! committed some or all of its bytes to QUIC before the stream or session failed, and a peer
//! may keep or discard stream data received before a reset, so whether the server got that
//! frame is unknown (`Unconfirmed`, for the application to decide). Messages that arrive during
//! a client close are reported too, up to the server's answering close frame.

use super::event_rules::{Phase, Reporter, TOO_BIG};
use super::stream_support::{
    bytes_of, copy_bytes, read_end, scrub_query, size_of, truncate_reason, without_query, ReadEnd,
    ReadLoop, Size, TrackedWriter, Writes,
};
use super::websocket::describe;
use super::{Lost, OpenRequest, SendError, Transport};
use crate::core::close_code;
use crate::core::http_wire::server_close_code;
use crate::core::text::concat;
use crate::core::{encode_frame, Frame, FrameDecoder, FrameError, Payload, TransportKind};
use crate::prelude::*;
use crate::web::bindings::promise::settle_quietly;
use crate::web::bindings::promise::{when_settled, Reaction};
use crate::web::bindings::property::{set_property, string_property};
use crate::web::bindings::webtransport::{
    WebTransport, WebTransportBidirectionalStream, WebTransportCloseInfo,
};
use core::cell::{Cell, RefCell};
use js_sys::{Array, Object, Promise, Uint8Array};
use std::rc::{Rc, Weak};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ReadableStreamDefaultReader, WritableStreamDefaultWriter};

/// One WebTransport session with one bidirectional stream. Dropping it cancels its readers and
/// closes the session.
pub struct WebTransportConnection {
    shared: Rc<Shared>,
}

/// State the promise reactions and the read callbacks reach through a [`Weak`].
struct Shared {
    transport: WebTransport,
    report: Reporter,
    streams: RefCell<Option<Streams>>,
    /// The largest datagram delivered (`OpenRequest::max_datagram_bytes`).
    max_datagram: usize,
    /// Why the stream reader stopped, set by its read loop as it ends.
    end: Cell<Option<End>>,
    /// Every frame written whose promise has not resolved: `buffered_amount`, and what is
    /// handed back when the connection ends.
    writes: Writes,
}

/// The open session's stream ends; present from `Opened` until the connection is dropped, which
/// cancels the readers (see [`ReadLoop`]).
struct Streams {
    writer: TrackedWriter,
    frames: ReadLoop,
    /// `None` where the browser does not expose datagrams (the stream still works).
    datagram_writer: Option<WritableStreamDefaultWriter>,
    datagrams: Option<ReadLoop>,
}

impl WebTransportConnection {
    /// Starts opening the session; `Opened` or `Failed` follows on the sink.
    pub fn open(request: OpenRequest) -> Result<Self, String> {
        let options = Object::new();
        if !request.certificate_hashes.is_empty() {
            // Lets a self-signed certificate (at most 14 days valid) through, as the spec allows.
            // Pushed, not collected: no `FromIterator`/`Extend` for `Array` (issue 9: size).
            let hashes = Array::new();
            for hash in &request.certificate_hashes {
                let entry = Object::new();
                set_property(&entry, "algorithm", &"sha-256".into());
                set_property(&entry, "value", &Uint8Array::from(hash.as_slice()));
                hashes.push(&entry);
            }
            set_property(&options, "serverCertificateHashes", &hashes);
        }
        let transport = WebTransport::new_with_options(&request.url, &options).map_err(|e| {
            concat(&[
                "WebTransport(",
                without_query(&request.url),
                ") failed: ",
                &scrub_query(&describe(&e), &request.url),
            ])
        })?;
        // Rejects whenever the session ends abruptly; observed once here so the browser logs no
        // unhandled rejection.
        settle_quietly(&transport.closed());
        let shared = Rc::new(Shared {
            transport: transport.clone(),
            max_datagram: request.max_datagram_bytes,
            report: Reporter::new(
                request.conn_id,
                request.sink,
                concat(&["WebTransport to ", without_query(&request.url)]),
            ),
            streams: RefCell::new(None),
            end: Cell::new(None),
            writes: Writes::default(),
        });
        let weak = Rc::downgrade(&shared);
        let (max, url) = (request.max_message_bytes, request.url);
        when_settled(
            &transport.ready(),
            Box::new(move |outcome| ready(weak, transport, max, url, outcome)),
        );
        Ok(WebTransportConnection { shared })
    }
}

impl Shared {
    fn writer(&self) -> Option<TrackedWriter> {
        self.streams.borrow().as_ref().map(|s| s.writer.clone())
    }

    /// The messages of every unresolved write, split as the module documentation explains: the
    /// oldest may have reached the server, those queued behind it did not.
    fn lost(&self) -> Lost {
        let mut unsent = self.writes.take_unresolved();
        let unconfirmed = if unsent.is_empty() {
            Vec::new()
        } else {
            vec![unsent.remove(0)]
        };
        Lost {
            unconfirmed,
            unsent,
        }
    }
}

/// Why the stream reader stopped.
enum End {
    /// The server sent a close frame.
    CloseFrame(u16, String),
    /// The server sent something the decoder rejects; the stream is out of sync.
    Violation(FrameError),
    /// The stream ended or failed without a close frame.
    Finished(String),
}

/// The session is ready (the bidirectional stream is asked for next), or it failed to open.
fn ready(
    weak: Weak<Shared>,
    transport: WebTransport,
    max: usize,
    url: String,
    outcome: Result<JsValue, JsValue>,
) {
    if let Err(error) = outcome {
        if let Some(shared) = weak.upgrade() {
            let reason = concat(&[
                shared.report.label(),
                " failed: ",
                &scrub_query(&describe(&error), &url),
            ]);
            shared.report.failed(reason, Lost::default());
        }
        return;
    }
    if !still_opening(&weak) {
        // Closed or dropped while connecting; that already closed the session.
        return;
    }
    when_settled(
        &transport.create_bidirectional_stream(),
        Box::new(move |stream| stream_created(weak, &transport, max, url, stream)),
    );
}

/// The bidirectional stream exists: reading starts and `Opened` is reported (the stream
/// reader's end then calls [`frames_ended`]), or the connection failed.
fn stream_created(
    weak: Weak<Shared>,
    transport: &WebTransport,
    max: usize,
    url: String,
    stream: Result<JsValue, JsValue>,
) {
    let Some(shared) = weak.upgrade() else { return };
    if shared.report.phase() != Phase::Opening {
        return;
    }
    let opened = stream.map_err(|e| describe(&e)).and_then(|stream| {
        open_streams(
            transport,
            stream.unchecked_into(),
            &shared,
            &weak,
            max,
            url.clone(),
        )
    });
    let streams = match opened {
        Ok(streams) => streams,
        Err(error) => {
            close_session(transport, None);
            let reason = concat(&[
                shared.report.label(),
                ": no bidirectional stream: ",
                &scrub_query(&error, &url),
            ]);
            shared.report.failed(reason, Lost::default());
            return;
        }
    };
    // The first reads have started (their outcomes come in later microtasks), so a connection
    // dropped by the application's open handler finds them pending and cancels them.
    *shared.streams.borrow_mut() = Some(streams);
    shared.report.opened(String::new(), String::new());
}

/// The stream reader has stopped (`Shared::end` says why): the connection ends, at once or once
/// its last step (our close frame leaving, the session's `closed`) has settled.
fn frames_ended(weak: &Weak<Shared>, url: &str) {
    let Some(shared) = weak.upgrade() else { return };
    // Always set once the connection lives: only dropping it ends the loop otherwise.
    let Some(end) = shared.end.take() else { return };
    let transport = shared.transport.clone();
    // The connection ends with its stream: its datagrams' loop goes now (Firefox leaves the
    // datagrams' readable open after the server dropped the session, which would keep the loop,
    // its closure and its handler until `Drop`).
    let datagrams = shared
        .streams
        .borrow_mut()
        .as_mut()
        .and_then(|s| s.datagrams.take());
    drop(datagrams);
    if let Some((code, reason)) = shared.report.client_close() {
        // Our own close is in progress: whatever ended the stream completes it. Only the
        // server's answering close frame makes it clean; Firefox errors a pending read when the
        // server stops reading our side (STOP_SENDING) right after our close frame, which the
        // reference server does, so there the close is recorded but reported unclean.
        let clean = matches!(end, End::CloseFrame(..));
        close_session(&transport, Some((code, &reason)));
        // The answering close frame means the server read every frame we wrote before ours.
        let lost = if clean {
            Lost::default()
        } else {
            shared.lost()
        };
        shared.report.closed(code, reason, clean, lost);
        return;
    }
    match end {
        End::CloseFrame(code, reason) => {
            // The server closed; answer by closing the session with the same code, as a
            // WebSocket answers a close frame. Before reporting: the driver handles the report
            // at once and may drop this adapter, whose `Drop` would close with code 0.
            let reason = truncate_reason(&reason);
            close_session(&transport, Some((code, &reason)));
            shared.report.closed(code, reason, true, shared.lost());
        }
        End::Violation(error) => {
            let code = error.close_code();
            // Over the maximum: said as every transport says it (the decoder's own message
            // names the transport's limit, which includes the session header, not the
            // application's `maxMessageBytes`).
            let too_big = matches!(error, FrameError::TooLarge { .. });
            let reason = if too_big {
                TOO_BIG.to_owned()
            } else {
                truncate_reason(&error.message())
            };
            // A message over the maximum is refused (the core ends the socket for good); a
            // malformed frame is the peer's error, and the socket reconnects.
            if too_big {
                shared.report.refusing(code, &reason);
            }
            if !shared.report.begin_close(code, &reason) {
                return;
            }
            let writer = shared.writer();
            // The stream is out of sync, so no answer can be parsed: send our close frame, let
            // it leave, and close the session. A write that never settles is the core's to give
            // up on (`Ending`); dropping this adapter then closes the session with this code.
            // A peer that broke the protocol never closed cleanly (nor did a refused message).
            shared.report.ending(code, reason.clone(), false);
            drop(shared);
            let written = writer.and_then(|writer| write_close_frame(&writer, code, &reason));
            let weak = weak.clone();
            let close: Reaction = Box::new(move |_| {
                close_session(&transport, Some((code, &reason)));
                if let Some(shared) = weak.upgrade() {
                    shared.report.closed(code, reason, false, shared.lost());
                }
            });
            match written {
                Some(written) => when_settled(&written, close),
                None => close(Ok(JsValue::UNDEFINED)),
            }
        }
        End::Finished(detail) => {
            // The session's `closed` promise says whether this was an orderly session close.
            // Until it does, this is an abnormal close; a session that lingers after its stream
            // ended is the core's to give up on (`Ending`), and dropping this adapter closes it.
            let detail = truncate_reason(&detail);
            shared
                .report
                .ending(close_code::ABNORMAL, detail.clone(), false);
            drop(shared);
            let (weak, url) = (weak.clone(), url.to_owned());
            when_settled(
                &transport.closed(),
                Box::new(move |outcome| {
                    let (code, reason, clean) = match outcome {
                        Ok(info) => match transport_close_info(&info) {
                            Some(close) => close,
                            None => (close_code::ABNORMAL, detail, false),
                        },
                        Err(error) => (
                            close_code::ABNORMAL,
                            scrub_query(&describe(&error), &url),
                            false,
                        ),
                    };
                    if let Some(shared) = weak.upgrade() {
                        let reason = truncate_reason(&reason);
                        shared.report.closed(code, reason, clean, shared.lost());
                    }
                }),
            );
        }
    }
}

fn still_opening(weak: &Weak<Shared>) -> bool {
    weak.upgrade()
        .is_some_and(|shared| shared.report.phase() == Phase::Opening)
}

/// Locks the bidirectional stream's ends and the datagram ends, and starts reading both; when
/// the stream reader has stopped, [`frames_ended`] (`Shared::end` says why).
fn open_streams(
    transport: &WebTransport,
    stream: WebTransportBidirectionalStream,
    shared: &Shared,
    weak: &Weak<Shared>,
    max: usize,
    url: String,
) -> Result<Streams, String> {
    let reader = ReadableStreamDefaultReader::new(&stream.readable()).map_err(|e| describe(&e))?;
    let writer = stream.writable().get_writer().map_err(|e| describe(&e))?;
    let datagrams = transport.datagrams();
    let datagram_reader = ReadableStreamDefaultReader::new(&datagrams.readable()).ok();
    Ok(Streams {
        writer: TrackedWriter::new(writer, shared.writes.clone()),
        frames: read_frames(weak, reader, max, url),
        datagram_writer: datagrams.writable().get_writer().ok(),
        datagrams: datagram_reader.map(|reader| read_datagrams(weak, reader, shared.max_datagram)),
    })
}

/// The stream's read loop: it feeds each chunk into the frame decoder and reports each message
/// (during a client close too: what the server sent before its answering close frame is the
/// application's), until a close frame, a frame the decoder rejects, or the stream's end, which
/// it records in `end` for [`frames_ended`].
fn read_frames(
    weak: &Weak<Shared>,
    reader: ReadableStreamDefaultReader,
    max: usize,
    url: String,
) -> ReadLoop {
    let mut decoder = FrameDecoder::new(max);
    let ended = {
        let (weak, url) = (weak.clone(), url.clone());
        Box::new(move || frames_ended(&weak, &url))
    };
    let handle = move |shared: &Shared, result: &web_sys::ReadableStreamReadResult| {
        // The value first: a chunk is the common case (see `read_end`).
        let end = match bytes_of(&result.get_value()) {
            Some(bytes) => {
                decoder.push(&bytes);
                match decode(shared, &mut decoder) {
                    Some(end) => end,
                    None => return true,
                }
            }
            None => match read_end(result) {
                ReadEnd::No => return true,
                ReadEnd::Done => End::Finished("the stream ended without a close frame".into()),
                ReadEnd::Failed => {
                    let error = scrub_query(&describe(result), &url);
                    End::Finished(concat(&["the stream failed: ", &error]))
                }
            },
        };
        shared.end.set(Some(end));
        false
    };
    ReadLoop::start(reader, weak.clone(), handle, Some(ended))
}

/// Reports every complete frame in `decoder`; `Some` when one stops the reading.
fn decode(shared: &Shared, decoder: &mut FrameDecoder) -> Option<End> {
    while let Some(frame) = decoder.next_frame() {
        match frame {
            Ok(Frame::Text(text)) => shared.report.message(Payload::Text(text)),
            Ok(Frame::Binary(bytes)) => shared.report.message(Payload::Binary(bytes)),
            Ok(Frame::Close { code, reason }) => return Some(End::CloseFrame(code, reason)),
            Err(error) => return Some(End::Violation(error)),
        }
    }
    None
}

/// The datagrams' read loop: it reports every incoming datagram as a binary message, until the
/// datagrams end or fail.
///
/// Datagrams are a separate, unreliable channel, unordered with respect to the stream and
/// outside any session; the application gets them as binary `message`s, so one mixing binary
/// stream messages and datagrams cannot tell them apart. Datagrams over
/// `max_datagram_bytes` (the application's `maxMessageBytes`) are dropped before they are
/// copied (datagrams may be lost anyway).
fn read_datagrams(
    weak: &Weak<Shared>,
    reader: ReadableStreamDefaultReader,
    max: usize,
) -> ReadLoop {
    let handle = move |shared: &Shared, result: &web_sys::ReadableStreamReadResult| {
        let value = result.get_value();
        // Measured before it is copied: a datagram over the maximum never enters wasm.
        match size_of(&value) {
            Size::Bytes(len) if len > max => true,
            Size::Bytes(len) => {
                shared.report.datagram(copy_bytes(&value, len));
                true
            }
            _ => read_end(result) == ReadEnd::No,
        }
    };
    ReadLoop::start(reader, weak.clone(), handle, None)
}

/// Writes a close frame; `None` when the reason cannot be framed (never for validated reasons).
fn write_close_frame(writer: &TrackedWriter, code: u16, reason: &str) -> Option<Promise> {
    let frame = encode_frame(&Frame::Close {
        code,
        reason: reason.to_owned(),
    })
    .ok()?;
    let written = writer.write(&Uint8Array::from(frame.as_slice()), frame.len(), None);
    // Nothing follows a close frame: finish our side of the stream (FIN), queued after it.
    settle_quietly(&writer.finish());
    Some(written)
}

/// `transport.close({closeCode, reason})`, or `close()` without details. Closing a session that
/// is already closed (or failed) does nothing.
fn close_session(transport: &WebTransport, info: Option<(u16, &str)>) {
    let options = Object::new();
    if let Some((code, reason)) = info {
        set_property(&options, "closeCode", &JsValue::from(code));
        set_property(&options, "reason", &JsValue::from_str(reason));
    }
    let _ = transport.close(&options);
}

/// `(code, reason, was_clean)` from what `closed` resolved with, when the code is in the close
/// codes' range (1000–4999): as given and clean if a peer may send it
/// ([`close_code::may_be_sent`]), else a protocol error (1002, not clean), as for a close frame.
/// A session closed with anything else (the reference server's `/control/drop` closes with
/// code 0, browsers default to 0, Firefox's own close is H3_NO_ERROR, 256) carried no close
/// frame, which PROTOCOL.md §4.4 calls an abnormal close: `None`.
fn transport_close_info(value: &JsValue) -> Option<(u16, String, bool)> {
    if !value.is_object() {
        return None;
    }
    let info: &WebTransportCloseInfo = value.unchecked_ref();
    let code = u16::try_from(info.close_code()?).ok()?;
    if !(1000..=4999).contains(&code) {
        return None;
    }
    Some(match server_close_code(Some(f64::from(code))) {
        Ok(code) => (code, string_property(info, "reason"), true),
        Err(why) => (close_code::PROTOCOL_ERROR, why, false),
    })
}

impl Transport for WebTransportConnection {
    fn kind(&self) -> TransportKind {
        TransportKind::WebTransport
    }

    fn send(&self, payload: Payload) -> Result<(), SendError> {
        let writer = match self.shared.writer() {
            Some(writer) if self.shared.report.phase() == Phase::Open => writer,
            _ => return Err(SendError::new("WebTransport is not open", payload)),
        };
        let frame = match payload {
            Payload::Text(text) => Frame::Text(text),
            Payload::Binary(bytes) => Frame::Binary(bytes),
        };
        let encoded = encode_frame(&frame);
        let payload = match frame {
            Frame::Text(text) => Payload::Text(text),
            Frame::Binary(bytes) => Payload::Binary(bytes),
            // Built from a payload just above: never a control frame.
            _ => Payload::Binary(Vec::new()),
        };
        let bytes = match encoded {
            Ok(bytes) => bytes,
            Err(e) => return Err(SendError::new(e.message(), payload)),
        };
        // Writes on one writer are queued in call order, so messages stay ordered; a failed
        // write also errors the stream, which the reader reports as the close, handing back
        // every write that did not resolve (see the module documentation).
        let _ = writer.write(
            &Uint8Array::from(bytes.as_slice()),
            bytes.len(),
            Some(payload),
        );
        Ok(())
    }

    fn close(&self, code: u16, reason: &str) {
        if self.shared.report.abort_opening(Lost::default) {
            close_session(&self.shared.transport, Some((code, reason)));
            return;
        }
        if !self.shared.report.begin_close(code, reason) {
            // The server ended the stream without a close frame and the session's `closed` is
            // awaited (`Ending`, see `frames_ended`): no close frame can go any more, but the
            // session still carries the application's code and reason. Closing it settles
            // `closed`, which ends the connection now, with them, instead of at the core's
            // give-up with the stream's 1006 (and the server sees this code, not the 0 of a
            // session dropped without one).
            if self.shared.report.close_after_ending(code, reason) {
                close_session(&self.shared.transport, Some((code, reason)));
            }
            return;
        }
        // Queued behind every earlier send; the reader completes the close when the server
        // answers. A server that never answers is the core's to give up on (`core::closing`):
        // the driver then drops this adapter, which closes the session with this code.
        if let Some(writer) = self.shared.writer() {
            let _ = write_close_frame(&writer, code, reason);
        }
    }

    /// While the session lives, every pending write may still complete: unconfirmed.
    fn abandon(&self) -> Lost {
        let Lost {
            mut unconfirmed,
            mut unsent,
        } = self.shared.lost();
        unconfirmed.append(&mut unsent);
        Lost {
            unconfirmed,
            unsent: Vec::new(),
        }
    }

    fn buffered_amount(&self) -> u32 {
        u32::try_from(self.shared.writes.buffered()).unwrap_or(u32::MAX)
    }

    /// Writes one datagram. Datagrams have their own writer, so they never wait behind stream
    /// messages (nor count in `buffered_amount`); among themselves they keep send order, and the
    /// browser drops them when its datagram queue is full — they are unreliable by definition.
    /// One over the connection's `maxDatagramSize` would be dropped too, always and without an
    /// error (both browsers): it is handed back instead, like one this browser cannot send at
    /// all, and the core sends it as an ordinary message (`Connection::handle_datagram_unsent`).
    fn send_datagram(&self, bytes: &[u8]) -> Result<(), SendError> {
        let unsent = |why: &str| SendError::new(why, Payload::Binary(bytes.to_vec()));
        if self.shared.report.phase() != Phase::Open {
            return Err(unsent("WebTransport is not open"));
        }
        let writer = self
            .shared
            .streams
            .borrow()
            .as_ref()
            .and_then(|s| s.datagram_writer.clone())
            .ok_or_else(|| unsent("this browser exposes no WebTransport datagrams"))?;
        let max = self.shared.transport.datagrams().max_datagram_size();
        if max.is_some_and(|max| bytes.len() as f64 > max) {
            return Err(unsent(
                "the datagram is over the connection's maxDatagramSize",
            ));
        }
        settle_quietly(&writer.write_with_chunk(&Uint8Array::from(bytes)));
        Ok(())
    }
}

impl Drop for WebTransportConnection {
    fn drop(&mut self) {
        // Dropped during a client close the server never answered: the session still carries
        // the application's code and reason.
        let client_close = self.shared.report.client_close();
        self.shared.report.end();
        let streams = self.shared.streams.borrow_mut().take();
        if let Some(streams) = streams {
            // Cancels the readers (see `ReadLoop`); the stream's end then finds no connection.
            drop(streams.frames);
            drop(streams.datagrams);
            streams.writer.release();
            if let Some(writer) = streams.datagram_writer {
                writer.release_lock();
            }
        }
        // Settles `ready`/`closed` and errors every stream, so no reaction waits forever.
        let info = client_close
            .as_ref()
            .map(|(code, reason)| (*code, reason.as_str()));
        close_session(&self.shared.transport, info);
    }
}
