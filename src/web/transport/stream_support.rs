//! Helpers shared by the two streams-based adapters (WebTransport and WebSocketStream): an
//! ordered writer that tracks buffered bytes, and small promise and chunk utilities (some also
//! serve the classic WebSocket and long polling), and the read loop all of them read streams with.
//! They hold no DOM listeners; promise reactions are callbacks (`bindings::promise`), and the
//! writer's and the read loop's callbacks hold only `Weak`s. The event rules every adapter keeps
//! are `event_rules.rs`.

use crate::core::fifo::Fifo;
use crate::core::text::{concat, replace, split_once_byte};
use crate::core::Payload;
use crate::prelude::*;
use crate::web::bindings::message::{
    array_to_vec, copy_bytes as js_copy_bytes, read_next, size_of as js_size_of,
};
use crate::web::bindings::promise::{next_microtask, settle_then_drop};
use crate::web::bindings::text_encoder::JsTextEncoder;
use core::cell::{Cell, RefCell};
use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use js_sys::{JsString, Promise, Uint8Array};
use std::rc::{Rc, Weak};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ReadableStreamDefaultReader, ReadableStreamReadResult, WritableStreamDefaultWriter};

/// One write whose promise has not resolved.
struct PendingWrite {
    len: usize,
    /// The message, kept until the write resolves so that it can be handed back; `None` for
    /// control frames (a WebTransport close frame), which are not the application's.
    payload: Option<Payload>,
}

/// The writes of one writer that have not resolved (pending, or rejected), oldest first.
#[derive(Default)]
struct WriteLog {
    unresolved: Fifo<PendingWrite>,
    /// Sum of `len` over `unresolved`: what `buffered_amount` reports. A rejected write stays
    /// counted: its bytes were not sent, so the amount must not fall as if they were.
    bytes: usize,
}

/// The write log shared by a connection and the callbacks that watch its write promises. A
/// write resolving removes the oldest entry: a writer's writes settle in order, each `Writes`
/// has one writer, and no write is started after [`Writes::take_unresolved`] while older ones
/// are still pending (the driver abandons a connection, then drops it).
#[derive(Clone, Default)]
pub(super) struct Writes(Rc<RefCell<WriteLog>>);

impl Writes {
    /// Bytes of writes that have not resolved.
    pub(super) fn buffered(&self) -> usize {
        self.0.borrow().bytes
    }

    fn begin(&self, len: usize, payload: Option<Payload>) {
        let mut log = self.0.borrow_mut();
        log.bytes = log.bytes.saturating_add(len);
        log.unresolved.push_back(PendingWrite { len, payload });
    }

    /// A write resolved: its message was handed to the network. A writer's writes settle in the
    /// order they were made (the streams standard processes them one at a time, and once one
    /// fails every later one fails too), so the one that resolved is the oldest in the log. (A
    /// log emptied by `take_unresolved` stays empty.)
    fn resolved_oldest(&self) {
        let mut log = self.0.borrow_mut();
        if let Some(write) = log.unresolved.pop_front() {
            log.bytes = log.bytes.saturating_sub(write.len);
        }
    }

    /// Takes every unresolved write's message, oldest first, leaving the log empty: called once,
    /// when the connection has ended, to hand them back.
    pub(super) fn take_unresolved(&self) -> Vec<Payload> {
        let mut log = self.0.borrow_mut();
        log.bytes = 0;
        let mut unsent = Vec::new();
        while let Some(write) = log.unresolved.pop_front() {
            if let Some(payload) = write.payload {
                unsent.push(payload);
            }
        }
        unsent
    }
}

/// A stream writer that logs every write until its promise resolves: the streams API's own
/// notion of "accepted but not yet handed to the network", i.e. `bufferedAmount`, and what is
/// handed back when the connection ends first. Cloning it is one `Rc`.
#[derive(Clone)]
pub(super) struct TrackedWriter(Rc<WriterState>);

struct WriterState {
    writer: WritableStreamDefaultWriter,
    writes: Writes,
    /// The callbacks every write's promise gets (one pair for the writer, no task or closure per
    /// write).
    callbacks: Rc<WriteCallbacks>,
    /// What the latest write's `then` returned: it settles once that write's callback has run,
    /// and, writes settling in order, every earlier one's too.
    last: RefCell<Option<Promise>>,
}

struct WriteCallbacks {
    /// A write resolved: it leaves the log. Holds a `Weak` to the log.
    on_written: Closure<dyn FnMut(JsValue)>,
    /// A write rejected: it stays in the log (see [`WriteLog::bytes`]); handling the rejection
    /// keeps the console quiet.
    on_failed: Closure<dyn FnMut(JsValue)>,
}

impl TrackedWriter {
    pub(super) fn new(writer: WritableStreamDefaultWriter, writes: Writes) -> Self {
        let log = Rc::downgrade(&writes.0);
        let on_written = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
            if let Some(log) = log.upgrade() {
                Writes(log).resolved_oldest();
            }
        });
        let on_failed = Closure::<dyn FnMut(JsValue)>::new(|_: JsValue| {});
        TrackedWriter(Rc::new(WriterState {
            writer,
            writes,
            callbacks: Rc::new(WriteCallbacks {
                on_written,
                on_failed,
            }),
            last: RefCell::new(None),
        }))
    }

    /// Queues `chunk` (`len` bytes, carrying `payload`) behind earlier writes; the promise
    /// settles when it is sent. A rejected write stays in the log (see [`WriteLog::bytes`]).
    pub(super) fn write(&self, chunk: &JsValue, len: usize, payload: Option<Payload>) -> Promise {
        let state = &self.0;
        let promise = state.writer.write_with_chunk(chunk);
        state.writes.begin(len, payload);
        let callbacks = &state.callbacks;
        let reaction = promise.then2(&callbacks.on_written, &callbacks.on_failed);
        drop(state.last.replace(Some(reaction)));
        promise
    }

    /// Closes the stream after the queued writes (FIN for a QUIC stream).
    pub(super) fn finish(&self) -> Promise {
        self.0.writer.close()
    }

    /// Releases the lock; pending writes settle when the stream is closed or errored.
    pub(super) fn release(&self) {
        self.0.writer.release_lock();
    }
}

impl Drop for WriterState {
    /// Writes still pending settle later (the stream errors once the connection closes), and
    /// their reactions call the callbacks: those are kept until the last write's reaction has
    /// run. (A write that never settles keeps them, as it would keep a task awaiting it.)
    fn drop(&mut self) {
        if let Some(last) = self.last.take() {
            settle_then_drop(&last, Box::new(self.callbacks.clone()));
        }
    }
}

/// A read loop: one `reader.read().then(on_read, …)` pending at a time, with the same closure for
/// every read (no task, future or closure per chunk; one call into JS per read: [`read_next`]).
/// The adapter's handler gets each outcome with its state (see [`ReadLoop::start`]) and says
/// whether to read on; the loop holds that state only by `Weak` (a strong one would be a cycle
/// through the loop). A loop frees its closure, and with it the handler (a decoder, say), as soon
/// as it ends, not when its owner drops it. Dropping a loop that has not ended cancels the
/// reader, and frees the closure once the cancellation has settled the pending read (a closure
/// freed before a pending reaction runs would throw from it); the handler never sees that
/// cancellation's outcome.
pub(super) struct ReadLoop(Rc<Reading>);

struct Reading {
    reader: ReadableStreamDefaultReader,
    /// `on_read`, which every read's outcome calls; `None` once the loop has ended, which frees
    /// it.
    on_read: Cell<Option<Callback>>,
    /// The stream may still deliver: set while reading, and after a handler stopped on a chunk
    /// (`Drop` then cancels it: the rest is not wanted); cleared once it is done or failed, or
    /// cancelled by `Drop`, whose outcome (done) is then not the handler's.
    open: Cell<bool>,
}

/// A loop's closure, counted while it lives (see [`live_read_loops`]), and what runs once the
/// loop has ended.
struct Callback {
    on_read: Closure<dyn FnMut(JsValue)>,
    on_end: Option<Box<dyn FnOnce()>>,
}

/// Read loops whose closure is alive, so tests can prove that an ended or dropped loop frees it
/// (a JS closure cannot be observed from JS once freed).
static LIVE_LOOPS: AtomicUsize = AtomicUsize::new(0);

/// Number of read loops whose closure has not been freed (for tests).
#[doc(hidden)]
pub fn live_read_loops() -> usize {
    LIVE_LOOPS.load(Relaxed)
}

impl Drop for Callback {
    /// The loop has ended, however it ended: its `on_end` runs a microtask later, not inside the
    /// loop's own closure (which may be what is dropping it), as an awaiting task would resume.
    fn drop(&mut self) {
        LIVE_LOOPS.fetch_sub(1, Relaxed);
        if let Some(on_end) = self.on_end.take() {
            next_microtask(on_end);
        }
    }
}

impl Reading {
    /// Starts one read; its outcome, a `{ value, done }` result or an error, calls `on_read`
    /// (taken out of its cell while JS runs, and put back).
    fn next(&self) {
        let on_read = self.on_read.take();
        if let Some(Callback { on_read, .. }) = &on_read {
            read_next(&self.reader, on_read.as_ref());
        }
        self.on_read.set(on_read);
    }
}

/// What a read's outcome that carried no chunk of the expected kind means (see [`read_end`]).
#[derive(PartialEq)]
pub(super) enum ReadEnd {
    /// `done: false`: a chunk of another kind; reading goes on.
    No,
    /// `done: true`: the stream closed, or its reader was cancelled.
    Done,
    /// The read rejected: the outcome is the stream's error.
    Failed,
}

/// Whether `outcome` ended the stream. Read only once its value was not an expected chunk: a
/// done result's value is undefined, and so is an error's (the browsers error these streams with
/// exception objects, never a primitive, whose property read would throw), so the common case,
/// a chunk, costs one property read.
pub(super) fn read_end(outcome: &ReadableStreamReadResult) -> ReadEnd {
    match outcome.get_done() {
        Some(false) => ReadEnd::No,
        Some(true) => ReadEnd::Done,
        None => ReadEnd::Failed,
    }
}

impl ReadLoop {
    /// Reads `reader`, handing each read's outcome (a `{ value, done }` result, or the error the
    /// read rejected with: see [`read_end`]) to `handle` with `state`, until `handle` says not to
    /// read on (having kept in `state` why, if that matters), `state` is gone, or the loop is
    /// dropped. `on_end` is the one way a loop's end is told: it runs (in a later microtask) once
    /// the loop has ended, however it ended. The first read starts now; its outcome comes in a
    /// later microtask.
    pub(super) fn start<S: 'static>(
        reader: ReadableStreamDefaultReader,
        state: Weak<S>,
        mut handle: impl FnMut(&S, &ReadableStreamReadResult) -> bool + 'static,
        on_end: Option<Box<dyn FnOnce()>>,
    ) -> ReadLoop {
        ReadLoop::read(
            reader,
            Box::new(move |outcome| state.upgrade().is_some_and(|state| handle(&state, outcome))),
            on_end,
        )
    }

    /// [`ReadLoop::start`] without its state's type: one copy of the loop for every handler.
    fn read(
        reader: ReadableStreamDefaultReader,
        mut handle: Box<dyn FnMut(&ReadableStreamReadResult) -> bool>,
        on_end: Option<Box<dyn FnOnce()>>,
    ) -> ReadLoop {
        let reading = Rc::new_cyclic(|this: &Weak<Reading>| {
            let this = this.clone();
            let on_read = Closure::<dyn FnMut(JsValue)>::new(move |outcome: JsValue| {
                // Alive: a read was pending, so the loop is held, by its owner or by `Drop`.
                let Some(reading) = this.upgrade() else {
                    return;
                };
                let outcome = outcome.unchecked_ref();
                if reading.open.get() {
                    if handle(outcome) {
                        // Unless the handler dropped the loop (the application dropped the
                        // connection from its message handler): `Drop` cancelled the reader.
                        if reading.open.get() {
                            return reading.next();
                        }
                    } else if reading.open.get() {
                        reading.open.set(read_end(outcome) == ReadEnd::No);
                    }
                }
                // Ended (or cancelled): no read is pending, so nothing calls the closure again.
                // It is running: wasm-bindgen frees it when it returns. `on_end` is told.
                drop(reading.on_read.take());
            });
            LIVE_LOOPS.fetch_add(1, Relaxed);
            Reading {
                reader,
                on_read: Cell::new(Some(Callback { on_read, on_end })),
                open: Cell::new(true),
            }
        });
        reading.next();
        ReadLoop(reading)
    }
}

impl Drop for ReadLoop {
    /// Cancels a reader whose stream may still deliver (one that is done or failed needs
    /// nothing): that settles a pending read (done), whose reaction runs before the
    /// cancellation's promise settles, ends the loop without calling the handler, and only then
    /// is the loop freed.
    fn drop(&mut self) {
        let reading = &self.0;
        if reading.open.replace(false) {
            settle_then_drop(&reading.reader.cancel(), Box::new(reading.clone()));
        }
    }
}

/// What a message or a stream's chunk is, and its size, as [`size_of`] found it.
#[derive(Clone, Copy)]
pub(super) enum Size {
    /// A string of this many UTF-16 code units.
    Text(usize),
    /// An `ArrayBuffer` or a `Uint8Array` of this many bytes.
    Bytes(usize),
    /// Anything else (a Blob from a wrapped WebSocket, a stream's `undefined` at its end).
    Other,
}

/// The kind and size of `data` in one call into JS (each call counts on the hot path: a type
/// test and a size read separately were three to five).
pub(super) fn size_of(data: &JsValue) -> Size {
    let n = js_size_of(data);
    if n >= 0.0 {
        Size::Text(n as usize)
    } else if n < 0.0 {
        Size::Bytes((-1.0 - n) as usize)
    } else {
        Size::Other
    }
}

/// The `len` bytes of an `ArrayBuffer` or `Uint8Array` that [`size_of`] measured, copied into
/// wasm in one call.
pub(super) fn copy_bytes(data: &JsValue, len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    // Nothing to copy for 0 bytes, which is also what a detached buffer measures: `set` would
    // throw on it, through wasm frames.
    if len > 0 {
        js_copy_bytes(data, &mut bytes);
    }
    bytes
}

/// The bytes of a `Uint8Array` or `ArrayBuffer` chunk; `None` for anything else.
pub(super) fn bytes_of(chunk: &JsValue) -> Option<Vec<u8>> {
    match size_of(chunk) {
        Size::Bytes(len) => Some(copy_bytes(chunk, len)),
        _ => None,
    }
}

/// Byte length of a `Uint8Array` or `ArrayBuffer` chunk, read without copying it.
pub(super) fn byte_length_of(chunk: &JsValue) -> Option<usize> {
    match size_of(chunk) {
        Size::Bytes(len) => Some(len),
        _ => None,
    }
}

/// What one WebSocket message (a `message` event's data, a readable's chunk) carried.
pub(super) enum Incoming {
    Message(Payload),
    /// Over the maximum; detected without copying more than the maximum into wasm.
    TooBig,
    /// Neither a string nor bytes: nothing a WebSocket delivers.
    Other,
}

/// A WebSocket message, copied into wasm only once its size is known to be within `max` (see
/// [`text_within`] for strings): one bound for both WebSocket adapters.
pub(super) fn bounded_payload(data: &JsValue, max: usize) -> Incoming {
    match size_of(data) {
        Size::Text(units) => match text_within(data.unchecked_ref(), units, max) {
            Some(text) => Incoming::Message(Payload::Text(text)),
            None => Incoming::TooBig,
        },
        size => bounded_bytes(data, size, max),
    }
}

/// [`bounded_payload`] for what is not a string: bytes (an ArrayBuffer, the classic WebSocket's
/// binaryType; a Uint8Array, WebSocketStream's chunks) copied if within `max`; anything else (a
/// Blob from a wrapped WebSocket) is not a message this SDK reads (the classic adapter closes
/// with 1003).
fn bounded_bytes(data: &JsValue, size: Size, max: usize) -> Incoming {
    match size {
        Size::Bytes(len) if len > max => Incoming::TooBig,
        Size::Bytes(len) => Incoming::Message(Payload::Binary(copy_bytes(data, len))),
        Size::Text(_) | Size::Other => Incoming::Other,
    }
}

/// A close reason cut to the 123 bytes a close frame allows (the rule is
/// [`crate::endpoints::cap_reason`]'s), owned for an event.
pub(super) fn truncate_reason(reason: &str) -> String {
    crate::endpoints::cap_reason(reason).to_owned()
}

/// `text` with every occurrence of `url`'s query (which may hold the auth token) removed, for
/// reasons and errors that browsers word with the full URL. (`text::replace`, not `str::replace`:
/// no Two-Way searcher in the wasm.)
pub(crate) fn scrub_query(text: &str, url: &str) -> String {
    match split_once_byte(url, b'?') {
        Some((_, query)) if !query.is_empty() => {
            replace(&replace(text, &concat(&["?", query]), ""), query, "")
        }
        _ => text.to_owned(),
    }
}

pub(crate) use crate::endpoints::without_query;

/// The text of a JS string of `units` UTF-16 code units (its `length`, from [`size_of`])
/// if its UTF-8 is at most `max` bytes; `None` (nothing copied into wasm) if it is longer. A
/// UTF-16 length over `max` is too big outright (a code unit is at least one UTF-8 byte); one
/// that cannot exceed `max` even at three bytes per unit is copied as is;
/// anything in between is encoded in JS into a `max`-byte buffer first, so a hostile server never
/// makes wasm hold more than `max` bytes of it.
pub(crate) fn text_within(text: &JsString, units: usize, max: usize) -> Option<String> {
    if units > max {
        return None;
    }
    if units.saturating_mul(3) <= max {
        return text.as_string();
    }
    let buffer = Uint8Array::new_with_length(u32::try_from(max).unwrap_or(u32::MAX));
    let result = JsTextEncoder::new().encode_into(text, &buffer);
    if (result.read() as usize) < units {
        return None;
    }
    String::from_utf8(array_to_vec(&buffer.subarray(0, result.written()))).ok()
}
