//! The simulated clock and recorder the core scenario tests share.
#![allow(dead_code)] // each test file uses its own subset

use universal_socket::core::{
    Action, Connection, ConnectionConfig, CoreError, Event, Payload, TransportKind,
};

/// A connection plus a simulated clock and everything it has output so far.
pub struct Sim {
    pub c: Connection,
    pub now: u64,
    pub actions: Vec<Action>,
    pub events: Vec<Event>,
}

impl Sim {
    pub fn new(config: ConnectionConfig) -> Self {
        Self {
            c: Connection::new(config, 7),
            now: 0,
            actions: Vec::new(),
            events: Vec::new(),
        }
    }

    /// Only `kinds` supported, heartbeat and batching off unless a test turns them on.
    pub fn with(kinds: &[TransportKind]) -> Self {
        Self::new(ConnectionConfig {
            supported: kinds.iter().copied().collect(),
            heartbeat: None,
            batch: None,
            ..ConnectionConfig::default()
        })
    }

    /// Like [`Sim::with`], with batching left at its defaults (10 items / 100 ms).
    pub fn batching(kinds: &[TransportKind]) -> Self {
        Self::new(ConnectionConfig {
            supported: kinds.iter().copied().collect(),
            heartbeat: None,
            ..ConnectionConfig::default()
        })
    }

    pub fn pump(&mut self) {
        while let Some(a) = self.c.poll_action() {
            self.actions.push(a);
        }
        while let Some(e) = self.c.poll_event() {
            self.events.push(e);
        }
    }

    /// Runs every timer due up to `t`, then sets the clock to `t`.
    pub fn advance_to(&mut self, t: u64) {
        while let Some(d) = self.c.poll_timeout() {
            if d > t {
                break;
            }
            self.now = self.now.max(d);
            self.c.handle_timeout(self.now);
            self.pump();
        }
        self.now = self.now.max(t);
    }

    pub fn advance(&mut self, dt: u64) {
        self.advance_to(self.now + dt);
    }

    pub fn connect(&mut self) {
        self.c.handle_connect(self.now).unwrap();
        self.pump();
    }

    pub fn take_actions(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.actions)
    }

    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// The last OpenTransport requested.
    pub fn last_open(&self) -> (u64, TransportKind) {
        self.actions
            .iter()
            .rev()
            .find_map(|a| match a {
                Action::OpenTransport { conn_id, kind } => Some((*conn_id, *kind)),
                _ => None,
            })
            .expect("an OpenTransport action")
    }

    pub fn opens(&self) -> Vec<TransportKind> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::OpenTransport { kind, .. } => Some(*kind),
                _ => None,
            })
            .collect()
    }

    pub fn opened(&mut self) {
        let (id, _) = self.last_open();
        self.c.handle_transport_opened(self.now, id);
        self.pump();
    }

    pub fn fail(&mut self, reason: &str) {
        let (id, _) = self.last_open();
        self.c.handle_transport_failed(self.now, id, reason.into());
        self.pump();
    }

    pub fn drop_link(&mut self, code: u16, reason: &str) {
        let id = self.c.conn_id();
        self.c
            .handle_transport_closed(self.now, id, code, reason.into(), false);
        self.pump();
    }

    pub fn incoming(&mut self, p: Payload) {
        let id = self.c.conn_id();
        self.c.handle_incoming(self.now, id, p);
        self.pump();
    }

    pub fn send(&mut self, p: Payload) -> Result<(), CoreError> {
        let r = self.c.send(self.now, p);
        self.pump();
        r
    }

    pub fn send_batchable(&mut self, json: &str) -> Result<(), CoreError> {
        let r = self.c.send_batchable(self.now, json.into());
        self.pump();
        r
    }

    pub fn sent(&self) -> Vec<Payload> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Send { payload, .. } => Some(payload.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn reconnect_delays(&self) -> Vec<(u32, u64)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Reconnecting { attempt, delay_ms } => Some((*attempt, *delay_ms)),
                _ => None,
            })
            .collect()
    }
}

pub fn text(s: &str) -> Payload {
    Payload::Text(s.into())
}

/// Every message handed back in `Undelivered` events, in order.
pub fn undelivered(events: &[Event]) -> Vec<Payload> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Undelivered(p) => Some(p.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}
