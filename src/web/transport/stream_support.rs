//! Helpers shared by the two streams-based adapters (WebTransport and WebSocketStream): the
//! event rules every adapter must keep, an ordered writer that tracks buffered bytes, and small
//! promise utilities. They hold no DOM listeners; tasks await promises and hold only `Weak`s.

use super::{EventSink, TransportEvent};
use crate::core::Payload;
use js_sys::{ArrayBuffer, Promise, Reflect, Uint8Array};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{ReadableStreamDefaultReader, WritableStreamDefaultWriter};

/// Where a connection is in its life, as far as events go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    Opening,
    Open,
    /// The client started a close; messages are no longer reported.
    Closing,
    /// `Failed` or `Closed` was sent, or the connection was dropped.
    Ended,
}

/// Sends a connection's events and enforces the [`TransportEvent`] rules in one place: `Opened`
/// once, messages only while open, then exactly one of `Failed` (before open) or `Closed`
/// (after), and nothing once the connection is dropped.
pub(super) struct Reporter {
    id: u64,
    sink: EventSink,
    phase: Cell<Phase>,
    /// Code and reason of a client close in progress.
    client_close: RefCell<Option<(u16, String)>>,
}

impl Reporter {
    pub(super) fn new(id: u64, sink: EventSink) -> Self {
        Reporter {
            id,
            sink,
            phase: Cell::new(Phase::Opening),
            client_close: RefCell::new(None),
        }
    }

    pub(super) fn phase(&self) -> Phase {
        self.phase.get()
    }

    fn send(&self, event: TransportEvent) {
        let _ = self.sink.unbounded_send((self.id, event));
    }

    pub(super) fn opened(&self, protocol: String, extensions: String) {
        if self.phase.get() == Phase::Opening {
            self.phase.set(Phase::Open);
            self.send(TransportEvent::Opened {
                protocol,
                extensions,
            });
        }
    }

    pub(super) fn message(&self, payload: Payload) {
        if self.phase.get() == Phase::Open {
            self.send(TransportEvent::Message(payload));
        }
    }

    pub(super) fn failed(&self, reason: String) {
        if self.phase.get() == Phase::Opening {
            self.phase.set(Phase::Ended);
            self.send(TransportEvent::Failed(reason));
        }
    }

    /// Open → Closing, remembering the client's code and reason; false if not open.
    pub(super) fn begin_close(&self, code: u16, reason: &str) -> bool {
        if self.phase.get() != Phase::Open {
            return false;
        }
        self.phase.set(Phase::Closing);
        *self.client_close.borrow_mut() = Some((code, reason.to_owned()));
        true
    }

    /// The client close in progress, if the connection is still closing.
    pub(super) fn client_close(&self) -> Option<(u16, String)> {
        if self.phase.get() == Phase::Closing {
            self.client_close.borrow().clone()
        } else {
            None
        }
    }

    pub(super) fn closed(&self, code: u16, reason: String, was_clean: bool) {
        if matches!(self.phase.get(), Phase::Open | Phase::Closing) {
            self.phase.set(Phase::Ended);
            self.send(TransportEvent::Closed {
                code,
                reason,
                was_clean,
            });
        }
    }

    /// Silences the reporter (the connection was dropped).
    pub(super) fn end(&self) {
        self.phase.set(Phase::Ended);
    }
}

/// A stream writer that counts the bytes of writes whose promise has not settled: the streams
/// API's own notion of "accepted but not yet handed to the network", i.e. `bufferedAmount`.
#[derive(Clone)]
pub(super) struct TrackedWriter {
    writer: WritableStreamDefaultWriter,
    buffered: Rc<Cell<usize>>,
}

impl TrackedWriter {
    pub(super) fn new(writer: WritableStreamDefaultWriter, buffered: Rc<Cell<usize>>) -> Self {
        TrackedWriter { writer, buffered }
    }

    /// Queues `chunk` (`len` bytes) behind earlier writes; the promise settles when it is sent.
    pub(super) fn write(&self, chunk: &JsValue, len: usize) -> Promise {
        let promise = self.writer.write_with_chunk(chunk);
        self.buffered.set(self.buffered.get().saturating_add(len));
        let buffered = self.buffered.clone();
        let settled = promise.clone();
        // Only a counter is captured; the promise settles when the write completes or the stream
        // errors (dropping the connection errors it), so this task always ends.
        spawn_local(async move {
            let _ = JsFuture::from(settled).await;
            buffered.set(buffered.get().saturating_sub(len));
        });
        promise
    }

    /// Closes the stream after the queued writes (FIN for a QUIC stream).
    pub(super) fn finish(&self) -> Promise {
        self.writer.close()
    }

    /// Releases the lock; pending writes settle when the stream is closed or errored.
    pub(super) fn release(&self) {
        self.writer.release_lock();
    }
}

/// Awaits `promise` in a task and ignores the outcome, so a rejection is handled (no console
/// noise) and nothing is leaked once it settles.
pub(super) fn settle_quietly(promise: Promise) {
    spawn_local(async move {
        let _ = JsFuture::from(promise).await;
    });
}

/// `future`'s output, or `None` after `ms` milliseconds.
pub(super) async fn with_timeout<F: Future + Unpin>(mut future: F, ms: u32) -> Option<F::Output> {
    let mut timer = gloo_timers::future::TimeoutFuture::new(ms);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(output) = Pin::new(&mut future).poll(cx) {
            return Poll::Ready(Some(output));
        }
        if Pin::new(&mut timer).poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}

/// The next chunk of `reader`: `Ok(None)` once the stream is done (or cancelled).
pub(super) async fn read_chunk(
    reader: &ReadableStreamDefaultReader,
) -> Result<Option<JsValue>, JsValue> {
    let result = JsFuture::from(reader.read()).await?;
    let done = Reflect::get(&result, &"done".into()).map_or(true, |d| d.is_truthy());
    if done {
        return Ok(None);
    }
    Ok(Some(
        Reflect::get(&result, &"value".into()).unwrap_or(JsValue::UNDEFINED),
    ))
}

/// The bytes of a `Uint8Array` or `ArrayBuffer` chunk; `None` for anything else.
pub(super) fn bytes_of(chunk: &JsValue) -> Option<Vec<u8>> {
    if let Some(array) = chunk.dyn_ref::<Uint8Array>() {
        Some(array.to_vec())
    } else {
        chunk
            .dyn_ref::<ArrayBuffer>()
            .map(|buffer| Uint8Array::new(buffer).to_vec())
    }
}

/// Byte length of a `Uint8Array` or `ArrayBuffer` chunk, read without copying it.
pub(super) fn byte_length_of(chunk: &JsValue) -> Option<usize> {
    if let Some(array) = chunk.dyn_ref::<Uint8Array>() {
        Some(array.byte_length() as usize)
    } else {
        chunk
            .dyn_ref::<ArrayBuffer>()
            .map(|buffer| buffer.byte_length() as usize)
    }
}
