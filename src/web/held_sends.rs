//! What the JS class holds back so that a Blob, whose bytes arrive asynchronously, keeps its
//! place in the order: the sends behind a Blob being read, and a `close()` called while any are
//! held.
//!
//! `WebSocket.close()` right after `send(blob)` sends the Blob first. So does this socket: a
//! `close()` while sends are held waits until they have gone to the core, then starts; sends
//! after that `close()` are refused as closing. Before, the close started at once, the Blob's
//! read finished after it, and the Blob and what followed were refused where no listener could
//! hear it (the final `close` releases them). The wait is bounded by [`HELD_CLOSE_WAIT_MS`]: a
//! Blob subclass whose read never settles cannot keep `close()` pending for ever.

use super::bindings::timer::Timeout;
use crate::core::fifo::Fifo;
use crate::core::Payload;
use crate::prelude::*;
use core::cell::RefCell;
use std::rc::{Rc, Weak};

/// How long a `close()` waits for held sends before it starts anyway (what is still held is then
/// refused when its Blob is read, as a send to a closed socket).
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
    /// [`HELD_CLOSE_WAIT_MS`], whichever comes first. Call it only while [`Self::holding`].
    pub(super) fn close_after(self: &Rc<Self>, start: Box<dyn FnOnce()>) {
        self.closes.borrow_mut().push(start);
        if self.close_timer.borrow().is_some() {
            return;
        }
        let held: Weak<HeldSends> = Rc::downgrade(self);
        let timer = Timeout::new(HELD_CLOSE_WAIT_MS, move || {
            if let Some(held) = held.upgrade() {
                held.start_closes();
            }
        });
        *self.close_timer.borrow_mut() = Some(timer);
    }

    /// Starts the waiting closes if nothing is held any more (the Blob reads call it once they
    /// have sent what they could).
    pub(super) fn drained(&self) {
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
