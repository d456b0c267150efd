//! The rules every adapter keeps when it reports [`TransportEvent`]s, in one place for all five:
//! `Opened` once; `Message` only while open or closing; a connection that ends before it opened
//! reports `Failed` (a close before open is a failure to open), one that opened reports `Closed`,
//! and only one of them, once; an adapter still finishing after its connection ended (draining
//! a reader, awaiting a browser promise) announces the outcome with `Ending` first, at most
//! once, and the core bounds how long it may take (no adapter keeps a timer); what the adapter
//! held but did not deliver (`Unconfirmed`, then `Unsent`) goes just before that terminal event;
//! nothing comes after it. An adapter dropped
//! before its terminal event hands back what it still held ([`Reporter::end_handing_back`]) and
//! reports nothing else. A failure after open is reported as a dropped connection (1006).
//!
//! Reports are synchronous (see [`EventSink`]): the driver may call back into the adapter, or drop
//! it, during any report. So the phase changes before a report goes out, no borrow is held while
//! one does, and an adapter finishes its own work (closing its JS objects, answering a close
//! frame) before it reports its terminal event.

use super::{EventSink, Lost, TransportEvent};
use crate::core::close_code::{ABNORMAL, MESSAGE_TOO_BIG, NORMAL};
use crate::core::text::{concat, decimal};
use crate::core::Payload;
use crate::prelude::*;
use core::cell::{Cell, RefCell};

/// The reason of every close that follows a message over `max_message_bytes` (code 1009).
pub(super) const TOO_BIG: &str = "message too big";

/// Where a connection is in its life, as far as events go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    Opening,
    Open,
    /// A close was started: for a message too big (every adapter), or by the client (the
    /// streams and HTTP adapters; the classic WebSocket reports a client close as the browser
    /// saw it). Messages the server sent before its answer are still reported, sends are refused.
    Closing,
    /// `Failed` or `Closed` was reported, or the adapter was dropped.
    Ended,
}

/// Reports one connection's events to its sink, tagged with its `conn_id`, keeping the rules of
/// the module documentation whatever order the adapter's callbacks come in.
pub(super) struct Reporter {
    id: u64,
    sink: EventSink,
    /// `"<transport> to <endpoint without its query>"`, for reasons humans read.
    label: String,
    phase: Cell<Phase>,
    /// Code and reason of the close in progress, once [`Reporter::begin_close`] started one.
    client_close: RefCell<Option<(u16, String)>>,
    /// `Ending` was reported (once at most).
    ending: Cell<bool>,
    /// This client refused a message of the server's and is ending the connection for it
    /// ([`Reporter::refusing`]): its end is never clean.
    refused: Cell<bool>,
}

impl Reporter {
    /// A reporter for connection `id`; `label` names it in reasons (never with the URL's query,
    /// which may hold the token).
    pub(super) fn new(id: u64, sink: EventSink, label: String) -> Self {
        Reporter {
            id,
            sink,
            label,
            phase: Cell::new(Phase::Opening),
            client_close: RefCell::new(None),
            ending: Cell::new(false),
            refused: Cell::new(false),
        }
    }

    pub(super) fn phase(&self) -> Phase {
        self.phase.get()
    }

    pub(super) fn is_ended(&self) -> bool {
        self.phase.get() == Phase::Ended
    }

    /// `"<transport> to <endpoint>"`, to start a reason with.
    pub(super) fn label(&self) -> &str {
        &self.label
    }

    fn report(&self, event: TransportEvent) {
        self.sink.report(self.id, event);
    }

    /// The connection opened (reported once).
    pub(super) fn opened(&self, protocol: String, extensions: String) {
        if self.phase.get() == Phase::Opening {
            self.phase.set(Phase::Open);
            self.report(TransportEvent::Opened {
                protocol,
                extensions,
            });
        }
    }

    /// A whole message from the server; dropped unless the connection is open or closing.
    pub(super) fn message(&self, payload: Payload) {
        if matches!(self.phase.get(), Phase::Open | Phase::Closing) {
            self.report(TransportEvent::Message(payload));
        }
    }

    /// A datagram (WebTransport), reported while the connection is open or closing, as messages
    /// are.
    #[cfg(feature = "webtransport")]
    pub(super) fn datagram(&self, bytes: Vec<u8>) {
        if matches!(self.phase.get(), Phase::Open | Phase::Closing) {
            self.report(TransportEvent::Datagram(bytes));
        }
    }

    /// How many bytes the adapter's own upstream buffer holds (adapters that buffer by
    /// themselves), while the connection is open or closing.
    pub(super) fn buffered(&self, bytes: usize) {
        if matches!(self.phase.get(), Phase::Open | Phase::Closing) {
            self.report(TransportEvent::Buffered(bytes));
        }
    }

    /// The connection could not be opened: `lost`, then `Failed`. Once it has opened, a failure
    /// (a server that breaks the protocol after the handshake) ends it like a connection that
    /// dropped: `lost`, then `Closed` with 1006, so the core reconnects and nothing the adapter
    /// took out of its buffers is lost.
    pub(super) fn failed(&self, reason: String, lost: Lost) {
        match self.phase.get() {
            Phase::Opening => self.terminal(lost, TransportEvent::Failed(reason)),
            Phase::Open | Phase::Closing => self.terminal(
                lost,
                TransportEvent::Closed {
                    code: ABNORMAL,
                    reason,
                    was_clean: false,
                },
            ),
            Phase::Ended => {}
        }
    }

    /// The open connection has ended with this outcome but the adapter is still finishing (see
    /// `TransportEvent::Ending`): messages are still reported, sends are refused, and `closed`
    /// must follow. `reason` goes out as given, as in [`Reporter::closed`]. Nothing happens
    /// before open (a connection that never opened fails), after the end, or a second time.
    pub(super) fn ending(&self, code: u16, reason: String, was_clean: bool) {
        if matches!(self.phase.get(), Phase::Open | Phase::Closing) && !self.ending.replace(true) {
            self.phase.set(Phase::Closing);
            let was_clean = was_clean && !self.refused.get();
            self.report(TransportEvent::Ending {
                code,
                reason,
                was_clean,
            });
        }
    }

    /// The client closes a connection that has not opened: that is a failure to open, reported
    /// now (after what `held` hands back), and true is returned: the adapter then aborts its
    /// handshake. False in any other phase (`held` is not called).
    pub(super) fn abort_opening(&self, held: impl FnOnce() -> Lost) -> bool {
        if self.phase.get() != Phase::Opening {
            return false;
        }
        self.terminal(
            held(),
            TransportEvent::Failed("closed by the client before opening".into()),
        );
        true
    }

    /// Open → Closing, remembering the code and reason to report; false (nothing changes) unless
    /// the connection is open.
    pub(super) fn begin_close(&self, code: u16, reason: &str) -> bool {
        if self.phase.get() != Phase::Open {
            return false;
        }
        self.phase.set(Phase::Closing);
        *self.client_close.borrow_mut() = Some((code, reason.to_owned()));
        true
    }

    /// The client closes after the connection announced its end (`Ending`) while no close of its
    /// own is under way: `code` and `reason` become the close in progress
    /// ([`Reporter::client_close`]), so that what is left to close (a WebTransport session whose
    /// stream the server ended) carries them, and true is returned. False in any other case.
    #[cfg(feature = "webtransport")]
    pub(super) fn close_after_ending(&self, code: u16, reason: &str) -> bool {
        let mut close = self.client_close.borrow_mut();
        if self.phase.get() != Phase::Closing || !self.ending.get() || close.is_some() {
            return false;
        }
        *close = Some((code, reason.to_owned()));
        true
    }

    /// A message over the maximum arrived: the connection closes, to be reported as 1009
    /// [`TOO_BIG`] (see [`Reporter::refuse`]).
    pub(super) fn too_big(&self) -> Option<(u16, &'static str)> {
        self.refuse(MESSAGE_TOO_BIG, TOO_BIG)
    }

    /// A message this SDK cannot take arrived (over the maximum, or of a type it cannot read):
    /// the connection closes, to be reported, not clean, as `code` (1009, 1003) with `reason`.
    /// Answers the code and reason a WebSocket puts on the wire, or `None` when the connection
    /// is not open (a close is already under way). Scripts may only close with 1000 or
    /// 3000–4999 (`close()` throws for 1009), so the server sees 1000 with the reason, while the
    /// application gets `code`.
    pub(super) fn refuse(&self, code: u16, reason: &'static str) -> Option<(u16, &'static str)> {
        if self.phase.get() != Phase::Open {
            return None;
        }
        self.refusing(code, reason);
        self.begin_close(code, reason);
        Some((NORMAL, reason))
    }

    /// The adapter refuses a message of the server's and ends the connection for it (by
    /// [`Reporter::refuse`], or by reporting its end itself, as the HTTP adapters do): the core
    /// hears it first (`TransportEvent::Refused`), so that this link's loss ends the socket for
    /// good, and the end reported next is never clean. Once, and only while open: during a close
    /// already under way (the client's own) a message too big is dropped instead, so that the
    /// close keeps the application's code, on every transport.
    pub(super) fn refusing(&self, code: u16, reason: &str) {
        if self.phase.get() == Phase::Open && !self.refused.replace(true) {
            self.report(TransportEvent::Refused {
                code,
                reason: reason.to_owned(),
            });
        }
    }

    /// The close [`Reporter::begin_close`] started, while it is in progress.
    pub(super) fn client_close(&self) -> Option<(u16, String)> {
        if self.phase.get() == Phase::Closing {
            self.client_close.borrow().clone()
        } else {
            None
        }
    }

    /// The connection ended: `lost` (what was sent but not delivered) first, so the core has it
    /// before it learns the connection is gone, then `Closed` — or, before open, `Failed`: a
    /// close before open is a failure to open. `reason` goes out as given (adapters cap one that
    /// may be long with `truncate_reason`).
    pub(super) fn closed(&self, code: u16, reason: String, was_clean: bool, lost: Lost) {
        match self.phase.get() {
            Phase::Opening => {
                let mut why = concat(&[
                    &self.label,
                    " failed before opening (close code ",
                    &decimal(u64::from(code)),
                ]);
                if !reason.is_empty() {
                    why.push_str(": ");
                    why.push_str(&reason);
                }
                why.push(')');
                self.terminal(lost, TransportEvent::Failed(why));
            }
            Phase::Open | Phase::Closing => {
                // A close that a refused message (too big, unreadable) started is never clean,
                // whatever the handshake did: the same on every transport.
                let refused = self.refused.get();
                self.terminal(
                    lost,
                    TransportEvent::Closed {
                        code,
                        reason,
                        was_clean: was_clean && !refused,
                    },
                )
            }
            Phase::Ended => {}
        }
    }

    /// The adapter is being dropped: silences the reporter. True if the connection had not
    /// ended.
    pub(super) fn end(&self) -> bool {
        let live = !self.is_ended();
        self.phase.set(Phase::Ended);
        live
    }

    /// [`Reporter::end`], for an adapter that buffers by itself: what it still `held` is handed
    /// back first if the connection had not ended (the driver normally took it out already, see
    /// `Transport::abandon`).
    pub(super) fn end_handing_back(&self, held: Lost) {
        if self.end() {
            self.hand_back(held);
        }
    }

    fn terminal(&self, lost: Lost, event: TransportEvent) {
        self.phase.set(Phase::Ended);
        self.hand_back(lost);
        self.report(event);
    }

    fn hand_back(&self, lost: Lost) {
        if !lost.unconfirmed.is_empty() {
            self.report(TransportEvent::Unconfirmed(lost.unconfirmed));
        }
        if !lost.unsent.is_empty() {
            self.report(TransportEvent::Unsent(lost.unsent));
        }
    }
}
