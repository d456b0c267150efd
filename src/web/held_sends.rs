//! What the JS class holds back so that a Blob, whose bytes arrive asynchronously, keeps its
//! place in the order: the sends behind a Blob being read, and a `close()` called while any are
//! held.
//!
//! `WebSocket.close()` right after `send(blob)` sends the Blob first. So does this socket: a
//! `close()` while sends are held waits until they have gone to the core, then starts; in the
//! meantime the socket reports itself closing and refuses new sends. Before, the close started at
//! once, the Blob's read finished after it, and the Blob and what followed were refused where no
//! listener could hear it (the final `close` releases them). The wait is bounded by
//! [`HELD_CLOSE_WAIT_MS`]: a Blob whose read has not settled by then (a hostile subclass) is
//! lost, in an `error` event, as a Blob whose read fails is; what was sent after it goes out, and
//! the close starts.

use super::bindings::timer::Timeout;
use super::driver::SocketError;
use super::socket::{Socket, WeakSocket};
use crate::core::fifo::Fifo;
use crate::core::text::{concat, decimal};
use crate::core::{Payload, State};
use crate::prelude::*;
use core::cell::RefCell;
use std::rc::{Rc, Weak};

/// How long a `close()` waits for Blob reads before it gives up on them and starts (a Blob within
/// `maxMessageBytes`, 16 MiB by default, reads from memory or disk in far less).
pub const HELD_CLOSE_WAIT_MS: u32 = 3_000;

/// One outgoing message, kept in order behind a Blob that is still being read.
pub(super) enum Outgoing {
    Ready(Payload),
    Json(String),
    /// A Blob being read (reads may finish in any order, hence the id); `None` until its bytes
    /// arrive.
    Blob(u64, Option<Vec<u8>>),
    /// A Blob whose read failed, left in place of it and skipped (see `read_blob`).
    Lost,
    /// `sendDatagram()`'s bytes: where they become an ordinary message (off WebTransport), they
    /// keep their place behind a Blob being read, as every send does.
    Datagram(Vec<u8>),
}

impl Outgoing {
    /// The message this would have sent, if any (not for a Blob unread or lost).
    fn into_payload(self) -> Option<Payload> {
        match self {
            Outgoing::Ready(payload) => Some(payload),
            Outgoing::Json(json) => Some(Payload::Text(json)),
            Outgoing::Blob(_, Some(bytes)) | Outgoing::Datagram(bytes) => {
                Some(Payload::Binary(bytes))
            }
            Outgoing::Blob(_, None) | Outgoing::Lost => None,
        }
    }
}

/// The held sends and the `close()` calls waiting for them.
#[derive(Default)]
pub(super) struct HeldSends {
    pub(super) items: RefCell<Fifo<Outgoing>>,
    /// Each waiting `close()`'s start, in call order.
    closes: RefCell<Vec<Box<dyn FnOnce()>>>,
    /// The bound on that wait, armed with the first waiting `close()`.
    close_timer: RefCell<Option<Timeout>>,
}

impl HeldSends {
    /// Whether a send now must wait behind a Blob.
    pub(super) fn holding(&self) -> bool {
        !self.items.borrow().is_empty()
    }

    /// Whether a `close()` is waiting for the held sends: new sends are refused as closing.
    pub(super) fn closing(&self) -> bool {
        !self.closes.borrow().is_empty()
    }

    /// Runs `start` once every held send has gone to the core, or after
    /// [`HELD_CLOSE_WAIT_MS`], whichever comes first: then each Blob still being read is lost
    /// (an `error` event), and what was sent after it goes out first. Call it only while
    /// [`Self::holding`].
    pub(super) fn close_after(self: &Rc<Self>, socket: WeakSocket, start: Box<dyn FnOnce()>) {
        self.closes.borrow_mut().push(start);
        if self.close_timer.borrow().is_some() {
            return;
        }
        let held: Weak<HeldSends> = Rc::downgrade(self);
        let timer = Timeout::new(HELD_CLOSE_WAIT_MS, move || {
            let (Some(held), Some(socket)) = (held.upgrade(), socket.upgrade()) else {
                return;
            };
            let mut unread = 0;
            while let Some(blob) = held
                .items
                .borrow_mut()
                .find_mut(|o| matches!(o, Outgoing::Blob(_, None)))
            {
                *blob = Outgoing::Lost;
                unread += 1;
            }
            if unread > 0 {
                socket.report_error(concat(&[
                    "send(): ",
                    &decimal(unread),
                    " Blob(s) still being read when close() stopped waiting were not sent",
                ]));
            }
            held.send_ready(&socket);
        });
        *self.close_timer.borrow_mut() = Some(timer);
    }

    /// Sends, in order, what is ready at the front: up to the first Blob still being read. Once
    /// the socket is closing or closed (it gave up while a Blob was read), what is ready goes back
    /// to the application instead, in one `undelivered` event. Once nothing is held, the waiting
    /// closes start.
    pub(super) fn send_ready(&self, socket: &Socket) {
        let mut ended = Vec::new();
        loop {
            let next = {
                let mut items = self.items.borrow_mut();
                match items.front() {
                    Some(Outgoing::Blob(_, None)) | None => None,
                    Some(_) => items.pop_front(),
                }
            };
            let Some(item) = next else { break };
            if matches!(socket.state(), State::Closing | State::Closed) {
                ended.extend(item.into_payload());
            } else if let Err(error) = send_now(socket, item) {
                socket.report_error(error.message());
            }
        }
        socket.hand_back(ended);
        if !self.holding() {
            self.start_closes();
        }
    }

    /// Starts every waiting close, in call order; each may run JS (its events), so none of this
    /// value's cells is borrowed then.
    fn start_closes(&self) {
        drop(self.close_timer.borrow_mut().take());
        let closes = core::mem::take(&mut *self.closes.borrow_mut());
        for start in closes {
            start();
        }
    }
}

/// Hands `item` to the socket as `send()` would have.
pub(super) fn send_now(socket: &Socket, item: Outgoing) -> Result<(), SocketError> {
    match item {
        Outgoing::Ready(payload) => socket.send_now(payload),
        Outgoing::Json(json) => socket.send_json_text(json),
        Outgoing::Blob(_, Some(bytes)) => socket.send_now(Payload::Binary(bytes)),
        Outgoing::Datagram(bytes) => socket.send_datagram(bytes),
        Outgoing::Blob(_, None) | Outgoing::Lost => Ok(()),
    }
}
