//! A *link*: one transport connection carrying a [`Conn`](crate::hub::Conn), and its outbound
//! queue. The hub queues messages and closes on the `Link` (applying the injected latency and
//! blackhole); the transport loop drains them through [`ConnRx`] and learns from it when to
//! abort. A v1 connection has one link for its life; a v2 session has one at a time (none while
//! detached), see `resumable`.

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::hub::{Faults, Msg, Out, Transport};

/// One transport connection carrying a [`Conn`](crate::hub::Conn): in v1 for the connection's
/// whole life, in v2 one of the successive links of a resumable session (PROTOCOL.md §7). The
/// transport loop owns the receiving side ([`ConnRx`]); dropping the `Link` ends that queue once
/// drained.
pub(crate) struct Link {
    pub(crate) id: u64,
    pub(crate) transport: Transport,
    tx: mpsc::UnboundedSender<(Instant, Out)>,
    kill: watch::Sender<bool>,
}

impl Link {
    pub(crate) fn new(id: u64, transport: Transport) -> (Link, ConnRx) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (kill, kill_rx) = watch::channel(false);
        let rx = ConnRx {
            link: id,
            rx,
            kill: kill_rx,
            kill_gone: false,
            pending: None,
        };
        (
            Link {
                id,
                transport,
                tx,
                kill,
            },
            rx,
        )
    }

    /// Queues a message to the client, subject to the blackhole and latency faults. What is
    /// produced while blackholed is lost on this link (a v2 session still holds it in its
    /// resend buffer, as with a real black hole).
    pub(crate) fn send(&self, faults: &Faults, msg: Msg) {
        if faults.blackholed() {
            return;
        }
        let at = Instant::now() + faults.latency();
        let _ = self.tx.send((at, Out::Msg(msg)));
    }

    /// Queues a close (after what is already queued).
    pub(crate) fn close(&self, code: u16, reason: &str) {
        let _ = self
            .tx
            .send((Instant::now(), Out::Close(code, reason.to_owned())));
    }

    /// Aborts the transport without a close handshake.
    pub(crate) fn abort(&self) {
        let _ = self.kill.send(true);
    }
}

/// The receiving side of one link's outbound queue, owned by the transport.
pub struct ConnRx {
    link: u64,
    rx: mpsc::UnboundedReceiver<(Instant, Out)>,
    kill: watch::Receiver<bool>,
    /// The `Link` (and its kill switch) is gone: drain what was queued, then end.
    kill_gone: bool,
    pending: Option<(Instant, Out)>,
}

/// What a transport should do next.
#[derive(Debug)]
pub enum Next {
    Out(Out),
    /// Abort the connection abruptly (no close handshake).
    Killed,
}

impl ConnRx {
    /// The id of the link this queue belongs to: the transport names it in
    /// [`Hub::inbound`](crate::hub::Hub::inbound) and [`Hub::close`](crate::hub::Hub::close).
    pub fn link(&self) -> u64 {
        self.link
    }

    /// Next outbound item, once its delivery time has come. Cancel-safe. When the link was
    /// let go (ended or detached with a close), what was queued is still delivered, then
    /// `Killed`.
    pub async fn next(&mut self) -> Next {
        loop {
            if *self.kill.borrow() {
                return Next::Killed;
            }
            if let Some((at, _)) = &self.pending {
                let at = *at;
                // Without a latency fault the item is due already: deliver it now. A timer would
                // round up to the next millisecond and add ~1 ms to every message.
                if at <= tokio::time::Instant::now() {
                    if let Some((_, out)) = self.pending.take() {
                        return Next::Out(out);
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep_until(at) => {
                        let (_, out) = self.pending.take().expect("pending");
                        return Next::Out(out);
                    }
                    r = self.kill.changed(), if !self.kill_gone => {
                        self.kill_gone = r.is_err();
                        continue;
                    }
                }
            }
            tokio::select! {
                item = self.rx.recv() => match item {
                    Some(item) => self.pending = Some(item),
                    None => return Next::Killed,
                },
                r = self.kill.changed(), if !self.kill_gone => {
                    self.kill_gone = r.is_err();
                }
            }
        }
    }

    /// An item that is due now, without waiting.
    pub fn try_next(&mut self) -> Option<Next> {
        if *self.kill.borrow() {
            return Some(Next::Killed);
        }
        if self.pending.is_none() {
            self.pending = self.rx.try_recv().ok();
        }
        match &self.pending {
            Some((at, _)) if *at <= Instant::now() => {
                Some(Next::Out(self.pending.take().expect("pending").1))
            }
            _ => None,
        }
    }
}
