//! Resumable sessions (PROTOCOL.md §7) in the core, on a simulated clock: negotiation, acks lost
//! and delayed, resends after a resume, duplicates, the bounded resend buffer, expiry, and a
//! resume that races a second drop. The server is modelled by [`Peer`], which speaks the wire
//! format of §7.1 through the core's own codec.

mod common;

use common::{text, undelivered, Sim};
use universal_socket::core::session::{
    decode_session_frame, encode_ack, encode_data, encode_hello, HelloStatus, SessionFrame,
};
use universal_socket::core::{
    Action, ConnectionConfig, CoreError, Event, HeartbeatConfig, OverflowPolicy, Payload,
    PeerProtocol, QueueConfig, SessionConfig, SessionQuery, TransportKind,
};

const ID: &str = "0123456789abcdef0123456789abcdef";
const OTHER_ID: &str = "fedcba9876543210fedcba9876543210";

/// The server's half of a session: what it received in order, what it sent.
#[derive(Default)]
struct Peer {
    received: u64,
    delivered: Vec<Payload>,
    sent: u64,
    /// Client data frames seen again after being handled (duplicates the server dropped).
    duplicates: u64,
}

impl Peer {
    /// Handles every data/ack frame the client sent since `from` (an index into `s.actions`);
    /// returns the highest ack the client sent.
    fn take(&mut self, s: &Sim, from: usize) -> u64 {
        let mut ack = 0;
        for a in &s.actions[from..] {
            let Action::Send {
                payload: Payload::Binary(b),
                ..
            } = a
            else {
                continue;
            };
            match decode_session_frame(b).expect("a session frame") {
                SessionFrame::Data {
                    seq,
                    ack: a,
                    payload,
                } => {
                    ack = ack.max(a);
                    if seq == self.received + 1 {
                        self.received = seq;
                        self.delivered.push(payload);
                    } else {
                        assert!(seq <= self.received, "a gap: {seq} after {}", self.received);
                        self.duplicates += 1;
                    }
                }
                SessionFrame::Ack(a) => ack = ack.max(a),
                SessionFrame::Hello { .. } => panic!("the client sent a hello"),
            }
        }
        ack
    }

    fn data(&mut self, t: &str) -> Payload {
        self.sent += 1;
        Payload::Binary(encode_data(self.sent, self.received, &text(t)))
    }

    fn ack(&self) -> Payload {
        Payload::Binary(encode_ack(self.received))
    }
}

fn config(session: SessionConfig) -> ConnectionConfig {
    ConnectionConfig {
        supported: [TransportKind::WebSocket, TransportKind::Sse]
            .into_iter()
            .collect(),
        heartbeat: None,
        batch: None,
        session,
        ..ConnectionConfig::default()
    }
}

fn v2() -> SessionConfig {
    SessionConfig::default()
}

/// Connected and open on WebSocket in session `ID`.
fn open_v2(session: SessionConfig) -> Sim {
    let mut s = Sim::new(config(session));
    s.connect();
    assert_eq!(s.c.session_query(), SessionQuery::New);
    s.opened();
    assert!(
        !s.events.iter().any(|e| matches!(e, Event::Open { .. })),
        "a v2 link opens only with hello"
    );
    s.incoming(Payload::Binary(encode_hello(HelloStatus::New, 0, ID)));
    assert!(matches!(s.events.last(), Some(Event::Open { .. })));
    assert_eq!(s.c.peer_protocol(), PeerProtocol::V2);
    assert_eq!(s.c.session_id(), Some(ID));
    s.take_events();
    s
}

fn messages(events: &[Event]) -> Vec<Payload> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Message(p) => Some(p.clone()),
            _ => None,
        })
        .collect()
}

fn texts(n: std::ops::RangeInclusive<u32>) -> Vec<Payload> {
    n.map(|i| text(&format!("m{i}"))).collect()
}

/// Drops the link and lets the reconnect open a new one; returns the resume query it asked for.
fn drop_and_reopen(s: &mut Sim) -> SessionQuery {
    s.drop_link(1006, "dropped");
    reopen(s)
}

/// Runs the clock until the reconnect asks for a transport, and opens it; returns the query.
fn reopen(s: &mut Sim) -> SessionQuery {
    let opens = s.opens().len();
    while s.opens().len() == opens {
        let next = s.c.poll_timeout().expect("a reconnect is scheduled");
        s.advance_to(next);
    }
    let q = s.c.session_query();
    s.opened();
    q
}

#[test]
fn without_hello_the_server_is_v1_after_the_timeout_and_stays_v1() {
    let mut s = Sim::new(config(v2()));
    s.connect();
    s.opened();
    s.send(text("early")).unwrap();
    assert!(
        s.sent().is_empty(),
        "nothing goes out before the link counts as open"
    );
    s.advance(999);
    assert!(!s.events.iter().any(|e| matches!(e, Event::Open { .. })));
    s.advance(1);
    assert!(s.events.iter().any(|e| matches!(e, Event::Open { .. })));
    assert_eq!(s.c.peer_protocol(), PeerProtocol::V1);
    assert_eq!(s.sent(), vec![text("early")], "v1: sent as it is");
    s.incoming(text("plain"));
    assert_eq!(messages(&s.events), vec![text("plain")]);
    // The next link asks for nothing and opens at once.
    assert_eq!(drop_and_reopen(&mut s), SessionQuery::Off);
    assert!(matches!(s.events.last(), Some(Event::Reconnected { .. })));
}

/// A v2 server on a link slower than the hello timeout: its `hello` comes after the first
/// link was taken for v1. Before, the `hello` and every session frame after it reached the
/// application as binary messages, and the server closed the link at the client's first text.
/// Now the socket speaks v2 from there on: with nothing sent meanwhile the link goes on in the
/// session (a text goes out as a data frame); and the next links wait for `hello` twice as long
/// as this one took (1.5 s: 3 s).
#[test]
fn a_late_hello_on_the_first_link_switches_to_v2() {
    let mut s = Sim::new(config(v2()));
    s.connect();
    s.opened();
    s.advance(1_000);
    assert_eq!(s.c.peer_protocol(), PeerProtocol::V1);
    s.advance(500);
    s.incoming(Payload::Binary(encode_hello(HelloStatus::New, 0, ID)));
    assert!(messages(&s.events).is_empty(), "{:?}", s.events);
    assert_eq!(s.c.peer_protocol(), PeerProtocol::V2);
    assert_eq!(s.c.session_id(), Some(ID));
    s.take_actions();
    s.send(text("in the session")).unwrap();
    let sent = s.sent();
    assert!(
        matches!(&sent[..], [Payload::Binary(b)] if matches!(decode_session_frame(b), Ok(SessionFrame::Data { .. }))),
        "{sent:?}"
    );
    // The next link waits 3 s for its hello.
    s.drop_link(1006, "gone");
    s.advance(1_000);
    s.opened();
    s.advance(2_999);
    assert!(!s
        .events
        .iter()
        .any(|e| matches!(e, Event::Reconnected { .. } | Event::Fallback { .. })));
    s.incoming(Payload::Binary(encode_hello(HelloStatus::Resumed, 0, ID)));
    assert!(
        matches!(s.events.last(), Some(Event::Reconnected { .. })),
        "{:?}",
        s.events
    );
}

/// A first link taken for v1 at the hello timeout, a text sent on it as v1, then the server's
/// `hello` 0.5 s late; answers the link's id.
fn late_hello_after_a_v1_send() -> (Sim, u64) {
    let mut s = Sim::new(config(v2()));
    s.connect();
    s.opened();
    s.advance(1_000);
    s.send(text("sent as v1")).unwrap();
    let id = s.c.conn_id();
    s.advance(500);
    s.incoming(Payload::Binary(encode_hello(HelloStatus::New, 0, ID)));
    (s, id)
}

/// The same with a text sent while the link was taken for v1: the server refuses v1 text on a
/// v2 link, so the link is closed as broken (4003 "late session hello") and the session resumed
/// on the next one.
#[test]
fn a_late_hello_after_a_v1_send_breaks_the_link_and_resumes() {
    let (mut s, id) = late_hello_after_a_v1_send();
    assert!(messages(&s.events).is_empty(), "{:?}", s.events);
    assert!(s.actions.contains(&Action::CloseTransport {
        conn_id: id,
        code: 4003,
        reason: "late session hello".into()
    }));
    assert!(s
        .events
        .iter()
        .any(|e| matches!(e, Event::Reconnecting { .. })));
    assert_eq!(
        reopen(&mut s),
        SessionQuery::Resume {
            id: ID.into(),
            last: 0
        }
    );
}

/// The late switch's edges: what the broken link hands back unsent (sent as v1, so not in the
/// session's resend buffer) goes out again in the session, not lost; a late `hello` while the
/// application's close is under way is only consumed, and the close keeps its code; a new
/// `connect()` waits for `hello` the configured time again.
#[test]
fn a_late_hellos_edges_keep_messages_and_the_close() {
    let (mut s, id) = late_hello_after_a_v1_send();
    s.c.handle_unsent(s.now, id, vec![text("sent as v1")]);
    s.c.handle_transport_closed(s.now, id, 4003, "late session hello".into(), false);
    s.pump();
    s.take_actions();
    reopen(&mut s);
    s.incoming(Payload::Binary(encode_hello(HelloStatus::Resumed, 0, ID)));
    let sent = s.sent();
    assert!(
        matches!(&sent[..], [Payload::Binary(b)] if matches!(decode_session_frame(b), Ok(SessionFrame::Data { ref payload, .. }) if *payload == text("sent as v1"))),
        "resent in the session: {sent:?}"
    );
    assert!(undelivered(&s.events).is_empty(), "{:?}", s.events);

    // A new connect() after a close waits the configured 1 s again.
    s.c.close(s.now, 1000, "bye").unwrap();
    s.drop_link(1000, "bye");
    s.connect();
    s.opened();
    s.take_events();
    s.advance(1_000);
    assert!(
        s.events
            .iter()
            .any(|e| matches!(e, Event::Fallback { .. } | Event::Open { .. })),
        "{:?}",
        s.events
    );

    // The late hello while the application closes: consumed, the close keeps its code.
    let mut s = Sim::new(config(v2()));
    s.connect();
    s.opened();
    s.advance(1_000);
    s.send(text("sent as v1")).unwrap();
    s.c.close(s.now, 4100, "bye").unwrap();
    s.pump();
    s.incoming(Payload::Binary(encode_hello(HelloStatus::New, 0, ID)));
    assert!(messages(&s.events).is_empty(), "{:?}", s.events);
    s.drop_link(4100, "bye");
    assert!(
        matches!(s.events.last(), Some(Event::Close { code: 4100, .. })),
        "{:?}",
        s.events
    );
}

#[test]
fn a_first_message_that_is_not_hello_means_v1_and_is_delivered() {
    let mut s = Sim::new(config(v2()));
    s.connect();
    s.opened();
    s.incoming(text("{\"type\":\"welcome\"}"));
    assert_eq!(s.c.peer_protocol(), PeerProtocol::V1);
    assert!(matches!(s.events[0], Event::Open { .. }));
    assert_eq!(messages(&s.events), vec![text("{\"type\":\"welcome\"}")]);
}

#[test]
fn disabled_sessions_ask_for_nothing_and_open_at_once() {
    let mut s = Sim::new(config(SessionConfig {
        enabled: false,
        ..v2()
    }));
    s.connect();
    assert_eq!(s.c.session_query(), SessionQuery::Off);
    s.opened();
    assert!(matches!(s.events.last(), Some(Event::Open { .. })));
}

#[test]
fn messages_are_sequenced_and_acks_free_the_resend_buffer() {
    let mut s = open_v2(v2());
    let mut peer = Peer::default();
    for p in texts(1..=3) {
        s.send(p).unwrap();
    }
    peer.take(&s, 0);
    assert_eq!(peer.delivered, texts(1..=3));
    assert_eq!(s.c.resend_buffer(), (3, 6));
    s.incoming(peer.ack());
    assert_eq!(s.c.resend_buffer(), (0, 0));
    assert_eq!(s.c.stats(s.now).acknowledged, 3);
}

#[test]
fn received_data_is_acknowledged_after_the_delay_or_at_once_after_many() {
    let mut s = open_v2(v2());
    let mut peer = Peer::default();
    let from = s.actions.len();
    let d = peer.data("a");
    s.incoming(d);
    assert_eq!(messages(&s.events), vec![text("a")]);
    assert_eq!(s.actions.len(), from, "no ack yet");
    s.advance(99);
    assert_eq!(s.actions.len(), from);
    s.advance(1);
    assert_eq!(peer.take(&s, from), 1, "an ack frame after 100 ms");
    // A reply piggybacks the ack: no separate ack frame follows.
    let from = s.actions.len();
    let d = peer.data("b");
    s.incoming(d);
    s.send(text("reply")).unwrap();
    s.advance(500);
    assert_eq!(s.actions.len(), from + 1, "only the data frame");
    assert_eq!(peer.take(&s, from), 2);
    // 128 unacknowledged frames are acknowledged at once.
    let from = s.actions.len();
    for i in 0..128 {
        let d = peer.data(&format!("x{i}"));
        s.incoming(d);
    }
    s.advance(0);
    assert_eq!(peer.take(&s, from), 130);
}

#[test]
fn lost_acks_mean_a_resend_after_the_resume_and_the_server_drops_duplicates() {
    let mut s = open_v2(v2());
    let mut peer = Peer::default();
    for p in texts(1..=4) {
        s.send(p).unwrap();
    }
    // The server got all four, but its ack never arrived before the drop.
    peer.take(&s, 0);
    let q = drop_and_reopen(&mut s);
    assert_eq!(
        q,
        SessionQuery::Resume {
            id: ID.into(),
            last: 0
        }
    );
    // The server resumed from what it says it had: nothing to resend.
    let from = s.actions.len();
    s.incoming(Payload::Binary(encode_hello(HelloStatus::Resumed, 4, ID)));
    assert_eq!(
        s.actions.len(),
        from,
        "everything was acknowledged by the hello"
    );
    assert_eq!(s.c.resend_buffer(), (0, 0));
    // Had its hello said 2 (acks lost and data lost), 3 and 4 would go again: see below.
    assert_eq!(s.c.stats(s.now).sessions_resumed, 1);
    assert!(matches!(s.events.last(), Some(Event::Reconnected { .. })));
}

#[test]
fn a_partial_batch_is_resent_from_the_first_unacknowledged_message_in_order() {
    let mut s = open_v2(v2());
    let mut peer = Peer::default();
    for p in texts(1..=5) {
        s.send(p).unwrap();
    }
    // The transport carried 1–5 in one upstream batch; the server acknowledged only 1–2 (the
    // rest was lost with the link).
    let partial = Peer {
        received: 2,
        ..Peer::default()
    };
    s.incoming(partial.ack());
    assert_eq!(s.c.resend_buffer().0, 3);
    drop_and_reopen(&mut s);
    s.send(text("m6")).unwrap();
    assert_eq!(s.sent().len(), 5, "m6 waits until the session is resumed");
    let from = s.actions.len();
    s.incoming(Payload::Binary(encode_hello(HelloStatus::Resumed, 2, ID)));
    peer.received = 2;
    peer.take(&s, from);
    assert_eq!(peer.delivered, texts(3..=6), "3, 4, 5 resent, then m6");
    assert_eq!(s.c.stats(s.now).resent, 3);
}

#[test]
fn delayed_acks_and_resends_never_duplicate_on_either_side() {
    let mut s = open_v2(v2());
    let mut peer = Peer::default();
    let d1 = peer.data("s1");
    let d2 = peer.data("s2");
    s.incoming(d1.clone());
    s.incoming(d2.clone());
    for p in texts(1..=2) {
        s.send(p).unwrap();
    }
    peer.take(&s, 0);
    // A late ack for 1 only, after the server had both: harmless.
    s.incoming(Payload::Binary(encode_ack(1)));
    assert_eq!(s.c.resend_buffer().0, 1);
    // The link drops; the server resends s1 and s2 (it never saw our ack), we drop them.
    assert_eq!(
        drop_and_reopen(&mut s),
        SessionQuery::Resume {
            id: ID.into(),
            last: 2
        }
    );
    let from = s.actions.len();
    s.incoming(Payload::Binary(encode_hello(HelloStatus::Resumed, 2, ID)));
    s.incoming(d1);
    s.incoming(d2);
    let d3 = peer.data("s3");
    s.incoming(d3);
    assert_eq!(
        messages(&s.events),
        vec![text("s1"), text("s2"), text("s3")]
    );
    assert_eq!(s.c.stats(s.now).deduplicated, 2);
    // Our resend of m2 (acknowledged by the hello) did not happen; the duplicates are acked.
    s.advance(100);
    assert_eq!(peer.take(&s, from), 3);
    assert_eq!(peer.duplicates, 0);
}

#[test]
fn a_gap_breaks_the_link_and_the_resume_repairs_it() {
    let mut s = open_v2(v2());
    let mut peer = Peer::default();
    let d1 = peer.data("s1");
    let _lost = peer.data("s2");
    let d3 = peer.data("s3");
    s.incoming(d1);
    s.incoming(d3);
    // A transport-level code: the server keeps the session for the resume (PROTOCOL.md §7.3).
    assert!(s.actions.iter().any(|a| matches!(
        a,
        Action::CloseTransport { code: 4003, reason, .. } if reason == "sequence gap"
    )));
    assert!(s
        .events
        .iter()
        .any(|e| matches!(e, Event::Disconnected { code: 4003, .. })));
    assert_eq!(
        drop_and_reopen(&mut s),
        SessionQuery::Resume {
            id: ID.into(),
            last: 1
        }
    );
}

#[test]
fn malformed_session_frames_close_the_link() {
    for (bytes, code) in [
        (vec![0x10, 0, 0], 4003),
        (vec![0x42], 4003),
        (encode_hello(HelloStatus::New, 0, ID), 4003),
        ([encode_ack(0), vec![0]].concat(), 4003),
        (
            {
                let mut d = encode_data(1, 0, &Payload::Binary(vec![0xff]));
                d[17] = 0;
                d
            },
            4003,
        ),
    ] {
        let mut s = open_v2(v2());
        s.incoming(Payload::Binary(bytes));
        assert!(
            s.actions
                .iter()
                .any(|a| matches!(a, Action::CloseTransport { code: c, .. } if *c == code)),
            "{code}"
        );
        assert!(messages(&s.events).is_empty());
    }
}

/// A resend buffer of 2 messages and a send queue of 1.
fn small_buffers(overflow: OverflowPolicy) -> ConnectionConfig {
    let mut c = config(SessionConfig {
        max_messages: 2,
        ..v2()
    });
    c.queue = QueueConfig {
        max_messages: 1,
        max_bytes: 1 << 20,
        overflow,
    };
    c
}

#[test]
fn a_full_resend_buffer_holds_new_messages_in_the_queue_and_rejects_past_its_bound() {
    let mut s = Sim::new(small_buffers(OverflowPolicy::Reject));
    s.connect();
    s.opened();
    s.incoming(Payload::Binary(encode_hello(HelloStatus::New, 0, ID)));
    let mut peer = Peer::default();
    s.send(text("m1")).unwrap();
    s.send(text("m2")).unwrap();
    s.send(text("m3")).unwrap();
    assert!(matches!(s.send(text("m4")), Err(CoreError::Queue(_))));
    peer.take(&s, 0);
    assert_eq!(peer.delivered, texts(1..=2), "m3 waits for room");
    let from = s.actions.len();
    s.incoming(Payload::Binary(encode_ack(1)));
    peer.take(&s, from);
    assert_eq!(peer.delivered, texts(1..=3));
}

#[test]
fn a_full_resend_buffer_with_drop_oldest_reports_the_overflow() {
    let mut s = Sim::new(small_buffers(OverflowPolicy::DropOldest));
    s.connect();
    s.opened();
    s.incoming(Payload::Binary(encode_hello(HelloStatus::New, 0, ID)));
    for p in texts(1..=4) {
        s.send(p).unwrap();
    }
    assert!(s
        .events
        .iter()
        .any(|e| matches!(e, Event::QueueOverflow { dropped: 1 })));
    let mut peer = Peer::default();
    peer.take(&s, 0);
    let from = s.actions.len();
    s.incoming(Payload::Binary(encode_ack(2)));
    peer.take(&s, from);
    assert_eq!(peer.delivered, vec![text("m1"), text("m2"), text("m4")]);
}

#[test]
fn an_expired_session_is_reported_with_what_was_unacknowledged_and_a_new_one_starts() {
    let mut s = open_v2(v2());
    for p in texts(1..=3) {
        s.send(p).unwrap();
    }
    s.incoming(Payload::Binary(encode_ack(1)));
    drop_and_reopen(&mut s);
    s.take_events();
    let from = s.actions.len();
    s.incoming(Payload::Binary(encode_hello(
        HelloStatus::Expired,
        0,
        OTHER_ID,
    )));
    let kinds: Vec<&str> = s
        .events
        .iter()
        .map(|e| match e {
            Event::Open { .. } => "open",
            Event::Reconnected { .. } => "reconnected",
            Event::SessionLost { .. } => "sessionLost",
            Event::Undelivered(_) => "undelivered",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["open", "reconnected", "sessionLost", "undelivered"]);
    assert!(matches!(&s.events[2], Event::SessionLost { reason } if reason == "session expired"));
    assert_eq!(undelivered(&s.events), texts(2..=3));
    assert_eq!(s.actions.len(), from, "nothing resent into the new session");
    assert_eq!(s.c.session_id(), Some(OTHER_ID));
    assert_eq!(s.c.stats(s.now).sessions_lost, 1);
    // The new session numbers from 1 again.
    let mut peer = Peer::default();
    s.send(text("fresh")).unwrap();
    peer.take(&s, from);
    assert_eq!(peer.delivered, vec![text("fresh")]);
}

#[test]
fn unknown_and_other_service_refusals_are_session_lost_too() {
    for (status, reason) in [
        (HelloStatus::Unknown, "unknown session"),
        (
            HelloStatus::OtherService,
            "session belongs to another service",
        ),
    ] {
        let mut s = open_v2(v2());
        drop_and_reopen(&mut s);
        s.incoming(Payload::Binary(encode_hello(status, 0, OTHER_ID)));
        assert!(s
            .events
            .iter()
            .any(|e| matches!(e, Event::SessionLost { reason: r } if r == reason)));
        assert!(undelivered(&s.events).is_empty());
    }
}

#[test]
fn a_resume_that_races_a_second_drop_resumes_again_from_the_same_point() {
    let mut s = open_v2(v2());
    let mut peer = Peer::default();
    let d = peer.data("s1");
    s.incoming(d);
    for p in texts(1..=3) {
        s.send(p).unwrap();
    }
    peer.take(&s, 0);
    // First resume: the link opens, but drops before the hello arrives.
    let q1 = drop_and_reopen(&mut s);
    s.drop_link(1006, "dropped again");
    // That attempt failed before opening: the next one asks for the same resume.
    let q2 = reopen(&mut s);
    assert_eq!(q1, q2);
    assert_eq!(
        q2,
        SessionQuery::Resume {
            id: ID.into(),
            last: 1
        }
    );
    let from = s.actions.len();
    s.incoming(Payload::Binary(encode_hello(HelloStatus::Resumed, 1, ID)));
    peer.received = 1;
    peer.delivered.clear();
    peer.take(&s, from);
    assert_eq!(peer.delivered, texts(2..=3));
    // And the server resends s1 (unacknowledged), which is dropped: delivered once.
    s.incoming(Payload::Binary(encode_data(1, 3, &text("s1"))));
    assert_eq!(messages(&s.events), vec![text("s1")]);
    assert_eq!(s.c.resend_buffer(), (0, 0));
}

#[test]
fn close_waits_for_acks_then_closes_and_hands_back_only_what_stayed_unacknowledged() {
    let mut s = open_v2(v2());
    s.send(text("last words")).unwrap();
    s.c.close(s.now, 1000, "bye").unwrap();
    s.pump();
    assert!(!s
        .actions
        .iter()
        .any(|a| matches!(a, Action::CloseTransport { .. })));
    s.incoming(Payload::Binary(encode_ack(1)));
    assert!(s
        .actions
        .iter()
        .any(|a| matches!(a, Action::CloseTransport { code: 1000, .. })));
    let id = s.c.conn_id();
    s.c.handle_transport_closed(s.now, id, 1000, "bye".into(), true);
    s.pump();
    assert!(undelivered(&s.events).is_empty());
    assert!(matches!(
        s.events.last(),
        Some(Event::Close { code: 1000, .. })
    ));

    // Without the ack: closed at the close timeout, and the message is handed back.
    let mut s = open_v2(v2());
    s.send(text("unheard")).unwrap();
    s.c.close(s.now, 4321, "bye").unwrap();
    s.pump();
    s.advance(5000);
    assert!(s
        .actions
        .iter()
        .any(|a| matches!(a, Action::CloseTransport { code: 4321, .. })));
    assert_eq!(undelivered(&s.events), vec![text("unheard")]);
    assert!(matches!(s.events.last(), Some(Event::Close { .. })));
    // A later connect starts a new session.
    assert_eq!(s.c.session_query(), SessionQuery::New);
}

#[test]
fn handed_back_frames_are_not_reported_since_the_resume_resends_them() {
    let mut s = open_v2(v2());
    s.send(text("m1")).unwrap();
    let frame = s.sent().pop().unwrap();
    let id = s.c.conn_id();
    s.c.handle_unconfirmed(s.now, id, vec![frame.clone()]);
    s.c.handle_unsent(s.now, id, vec![frame]);
    s.pump();
    assert!(undelivered(&s.events).is_empty());
    assert_eq!(s.c.resend_buffer().0, 1);
}

/// Open in session `ID` on SSE (WebSocket refused), probing for WebSocket every second.
fn on_sse_with_upgrades() -> Sim {
    let mut s = Sim::new(ConnectionConfig {
        upgrade_after_ms: Some(1000),
        ..config(v2())
    });
    s.connect();
    s.fail("blocked");
    s.opened();
    s.incoming(Payload::Binary(encode_hello(HelloStatus::New, 0, ID)));
    s
}

#[test]
fn an_upgrade_resumes_on_the_better_transport_and_ignores_the_old_link() {
    let mut s = on_sse_with_upgrades();
    assert_eq!(s.c.transport(), Some(TransportKind::Sse));
    let old = s.c.conn_id();
    let mut peer = Peer::default();
    s.send(text("m1")).unwrap();
    peer.take(&s, 0);
    s.advance(1000);
    let (probe, kind) = s.last_open();
    assert_eq!(kind, TransportKind::WebSocket);
    assert_eq!(
        s.c.session_query(),
        SessionQuery::Resume {
            id: ID.into(),
            last: 0
        }
    );
    s.c.handle_transport_opened(s.now, probe);
    s.pump();
    assert_eq!(
        s.c.transport(),
        Some(TransportKind::Sse),
        "not before hello"
    );
    let from = s.actions.len();
    s.c.handle_incoming(
        s.now,
        probe,
        Payload::Binary(encode_hello(HelloStatus::Resumed, 0, ID)),
    );
    s.pump();
    assert_eq!(s.c.transport(), Some(TransportKind::WebSocket));
    assert!(s.events.iter().any(|e| matches!(e, Event::Upgraded { .. })));
    // m1 was not acknowledged: resent on the new link (the server drops it if it had it).
    peer.take(&s, from);
    assert_eq!(peer.duplicates, 1);
    // The old link's late frames are not listened to: the server resends on the new one.
    s.c.handle_incoming(
        s.now,
        old,
        Payload::Binary(encode_data(1, 1, &text("late"))),
    );
    s.pump();
    assert!(messages(&s.events).is_empty());
}

/// The soak's race: the probe's handshake reaches the server, which moves the session to it,
/// so the SSE link's next POST is answered 404 and the link is lost before the probe's `hello`
/// arrives. The probe, waiting for that `hello`, becomes the reconnect attempt and the session
/// goes on there: resumed, nothing lost, what was unacknowledged resent. Before, the probe was
/// closed (4002; in Chromium, a WebSocket closed while connecting sent 1001, which ended the
/// session) and the reconnect opened another link after its backoff.
#[test]
fn a_link_lost_while_the_probe_waits_for_hello_resumes_on_the_probe() {
    let mut s = on_sse_with_upgrades();
    let mut peer = Peer::default();
    s.send(text("m1")).unwrap();
    peer.take(&s, 0);
    s.advance(1000);
    let (probe, kind) = s.last_open();
    assert_eq!(kind, TransportKind::WebSocket);
    s.c.handle_transport_opened(s.now, probe);
    s.pump();
    s.take_events();
    let opens = s.opens().len();
    s.drop_link(1006, "upstream request failed: answered HTTP 404");
    assert!(
        !s.actions
            .iter()
            .any(|a| matches!(a, Action::CloseTransport { conn_id, .. } if *conn_id == probe)),
        "the probe is not closed"
    );
    let from = s.actions.len();
    s.advance(500);
    assert_eq!(s.opens().len(), opens, "no other link is opened");
    s.c.handle_incoming(
        s.now,
        probe,
        Payload::Binary(encode_hello(HelloStatus::Resumed, 0, ID)),
    );
    s.pump();
    assert_eq!(s.c.transport(), Some(TransportKind::WebSocket));
    assert!(
        matches!(
            s.events.as_slice(),
            [
                Event::Disconnected { code: 1006, .. },
                Event::Reconnecting {
                    attempt: 1,
                    delay_ms: 0
                },
                Event::Open {
                    kind: TransportKind::WebSocket
                },
                Event::Reconnected {
                    kind: TransportKind::WebSocket
                },
            ]
        ),
        "{:?}",
        s.events
    );
    peer.take(&s, from);
    assert_eq!(peer.duplicates, 1, "m1 resent on the probe");
    assert_eq!(s.c.stats(s.now).reconnect_attempts, 1);
}

/// A probe whose end is already on its way (here this client refused its first message) is not
/// made the reconnect attempt: it would only fail later; the reconnect goes on with backoff.
#[test]
fn a_probe_whose_end_is_announced_is_not_promoted() {
    let mut s = on_sse_with_upgrades();
    s.advance(1000);
    let (probe, _) = s.last_open();
    s.c.handle_transport_opened(s.now, probe);
    s.c.handle_transport_refused(s.now, probe, 1009, "message too big".into());
    s.pump();
    s.take_events();
    s.drop_link(1006, "gone");
    assert!(
        s.events
            .iter()
            .any(|e| matches!(e, Event::Reconnecting { delay_ms, .. } if *delay_ms > 0)),
        "{:?}",
        s.events
    );
    assert_ne!(s.c.conn_id(), probe);
}

/// The likelier order in the soak: the link is lost before the probe has even opened. The
/// promoted probe opens, waits for `hello` like any v2 attempt, and resumes.
#[test]
fn a_link_lost_before_the_probe_opens_resumes_on_the_probe() {
    let mut s = on_sse_with_upgrades();
    s.advance(1000);
    let (probe, _) = s.last_open();
    s.drop_link(1006, "gone");
    s.take_events();
    s.c.handle_transport_opened(s.now, probe);
    s.pump();
    assert!(s.events.is_empty(), "not open before hello: {:?}", s.events);
    s.c.handle_incoming(
        s.now,
        probe,
        Payload::Binary(encode_hello(HelloStatus::Resumed, 0, ID)),
    );
    s.pump();
    assert_eq!(
        s.events,
        vec![
            Event::Open {
                kind: TransportKind::WebSocket
            },
            Event::Reconnected {
                kind: TransportKind::WebSocket
            }
        ]
    );
}

/// As above, but the `hello` never comes: the hello wait the probe had is the attempt's, and it
/// fails it like any link without `hello` (the round goes on), instead of hanging.
#[test]
fn a_promoted_probe_without_hello_fails_at_the_hello_timeout() {
    let mut s = on_sse_with_upgrades();
    s.advance(1000);
    let (probe, _) = s.last_open();
    s.c.handle_transport_opened(s.now, probe);
    s.pump();
    s.drop_link(1006, "gone");
    s.take_actions();
    s.advance(1000);
    assert!(
        s.actions
            .iter()
            .any(|a| matches!(a, Action::CloseTransport { conn_id, .. } if *conn_id == probe)),
        "{:?}",
        s.actions
    );
    assert_eq!(s.opens(), vec![TransportKind::Sse], "the round goes on");
}

#[test]
fn in_v2_the_size_limit_is_the_messages_and_the_frame_adds_its_header() {
    let mut s = open_v2(SessionConfig {
        max_bytes: 64 << 20,
        ..v2()
    });
    let max = s.c.config().max_message_size;
    assert!(matches!(
        s.send(Payload::Binary(vec![0; max + 1])),
        Err(CoreError::MessageTooLarge { .. })
    ));
    s.send(Payload::Binary(vec![0; max])).unwrap();
    let Some(Payload::Binary(frame)) = s.sent().pop() else {
        panic!("a binary frame")
    };
    assert_eq!(frame.len(), max + 18);
}

#[test]
fn a_resume_link_without_hello_fails_the_attempt_and_never_drops_to_v1() {
    let mut s = open_v2(v2());
    s.send(text("m1")).unwrap();
    drop_and_reopen(&mut s);
    let failed_link = s.c.conn_id();
    s.advance(1000);
    assert_eq!(
        s.c.peer_protocol(),
        PeerProtocol::V2,
        "a slow hello is no v1 server"
    );
    assert!(s.actions.iter().any(|a| matches!(
        a,
        Action::CloseTransport { conn_id, code: 4003, .. } if *conn_id == failed_link
    )));
    assert!(s.events.iter().any(|e| matches!(e, Event::Fallback { .. })));
    // The next link still asks to resume, and a non-hello first message fails it too.
    assert!(matches!(s.c.session_query(), SessionQuery::Resume { .. }));
    s.opened();
    s.incoming(text("a stray text"));
    assert!(
        messages(&s.events).is_empty(),
        "nothing from a link without hello"
    );
    assert_eq!(s.c.peer_protocol(), PeerProtocol::V2);
    // A proper resume then resends m1.
    let q = reopen(&mut s);
    assert!(matches!(q, SessionQuery::Resume { .. }));
    let from = s.actions.len();
    s.incoming(Payload::Binary(encode_hello(HelloStatus::Resumed, 0, ID)));
    let mut peer = Peer::default();
    peer.take(&s, from);
    assert_eq!(peer.delivered, vec![text("m1")]);
}

#[test]
fn a_probe_that_times_out_waiting_for_hello_fails_without_touching_the_open_link() {
    let mut s = on_sse_with_upgrades();
    s.advance(1000);
    let (probe, _) = s.last_open();
    s.advance(1900);
    s.c.handle_transport_opened(s.now, probe);
    s.pump();
    s.take_events();
    s.advance(200); // the probe's connect deadline passes during its hello wait
    assert_eq!(s.c.peer_protocol(), PeerProtocol::V2);
    assert_eq!(s.c.transport(), Some(TransportKind::Sse));
    s.advance(2000);
    assert!(
        !s.events
            .iter()
            .any(|e| matches!(e, Event::Disconnected { .. } | Event::Upgraded { .. })),
        "{:?}",
        s.events
    );
    // A late hello on the dead probe changes nothing.
    s.c.handle_incoming(
        s.now,
        probe,
        Payload::Binary(encode_hello(HelloStatus::Resumed, 0, ID)),
    );
    s.pump();
    assert_eq!(s.c.transport(), Some(TransportKind::Sse));
}

#[test]
fn an_ack_beyond_what_was_sent_is_ignored() {
    let mut s = open_v2(v2());
    s.send(text("m1")).unwrap();
    s.incoming(Payload::Binary(encode_ack(u64::MAX)));
    assert_eq!(s.c.resend_buffer().0, 1);
    assert_eq!(s.c.stats(s.now).acknowledged, 0);
    s.incoming(Payload::Binary(encode_ack(1)));
    assert_eq!(s.c.resend_buffer().0, 0);
}

#[test]
fn with_sessions_off_the_socket_reports_v1_once_open() {
    let mut s = Sim::new(config(SessionConfig {
        enabled: false,
        ..v2()
    }));
    assert_eq!(s.c.peer_protocol(), PeerProtocol::Unknown);
    s.connect();
    s.opened();
    assert_eq!(s.c.peer_protocol(), PeerProtocol::V1);
}

#[test]
fn a_new_connect_after_close_negotiates_again() {
    let mut s = Sim::new(config(v2()));
    s.connect();
    s.opened();
    s.advance(1000);
    assert_eq!(s.c.peer_protocol(), PeerProtocol::V1);
    s.c.close(s.now, 1000, "bye").unwrap();
    s.pump();
    let id = s.c.conn_id();
    s.c.handle_transport_closed(s.now, id, 1000, "bye".into(), true);
    s.pump();
    s.connect();
    assert_eq!(s.c.session_query(), SessionQuery::New);
}

#[test]
fn close_sends_what_a_full_resend_buffer_held_before_closing() {
    let mut s = Sim::new(small_buffers(OverflowPolicy::Reject));
    s.connect();
    s.opened();
    s.incoming(Payload::Binary(encode_hello(HelloStatus::New, 0, ID)));
    s.send(text("m1")).unwrap();
    s.send(text("m2")).unwrap();
    s.send(text("m3")).unwrap(); // held: the resend buffer holds 2
    s.c.close(s.now, 1000, "bye").unwrap();
    s.pump();
    s.incoming(Payload::Binary(encode_ack(2)));
    assert!(
        !s.actions
            .iter()
            .any(|a| matches!(a, Action::CloseTransport { .. })),
        "m3 is not acknowledged yet"
    );
    let mut peer = Peer::default();
    peer.take(&s, 0);
    assert_eq!(peer.delivered, texts(1..=3));
    s.incoming(Payload::Binary(encode_ack(3)));
    assert!(s
        .actions
        .iter()
        .any(|a| matches!(a, Action::CloseTransport { code: 1000, .. })));
    let id = s.c.conn_id();
    s.c.handle_transport_closed(s.now, id, 1000, "bye".into(), true);
    s.pump();
    assert!(undelivered(&s.events).is_empty());
}

/// A WebTransport datagram is outside the session (PROTOCOL.md §7): delivered as it came, as a
/// binary message, neither a session frame (whose decoding would break the link) nor counted in
/// the acks, nor proof of life for the heartbeat; one that arrives before the server's `hello`
/// is dropped, as the network may drop any datagram.
#[test]
fn datagrams_are_delivered_outside_the_session_and_never_break_the_link() {
    let mut s = open_v2(v2());
    let id = s.c.conn_id();
    s.c.handle_datagram(id, vec![0x42, 1, 2]);
    s.pump();
    assert_eq!(messages(&s.events), vec![Payload::Binary(vec![0x42, 1, 2])]);
    assert!(
        !s.actions
            .iter()
            .any(|a| matches!(a, Action::CloseTransport { .. })),
        "the link stays"
    );
    // The next data frame is still the next in the session's order.
    let mut peer = Peer::default();
    let frame = peer.data("after");
    s.incoming(frame);
    assert_eq!(messages(&s.events)[1], text("after"));

    // Before the hello of a new link: dropped, and the hello still opens the link.
    let mut s = Sim::new(config(v2()));
    s.connect();
    s.opened();
    let id = s.c.conn_id();
    s.c.handle_datagram(id, vec![1]);
    s.pump();
    assert!(messages(&s.events).is_empty());
    s.incoming(Payload::Binary(encode_hello(HelloStatus::New, 0, ID)));
    assert!(matches!(s.events.last(), Some(Event::Open { .. })));
}

/// Datagrams do not keep a link alive for the heartbeat, which watches the reliable stream: with
/// a ping unanswered, a steady flow of datagrams still ends in the heartbeat's close (4000).
#[test]
fn datagrams_are_not_proof_of_life_for_the_heartbeat() {
    let mut s = Sim::new(ConnectionConfig {
        heartbeat: Some(HeartbeatConfig {
            interval_ms: 1_000,
            timeout_ms: 500,
            ..HeartbeatConfig::default()
        }),
        ..config(v2())
    });
    s.connect();
    s.opened();
    s.incoming(Payload::Binary(encode_hello(HelloStatus::New, 0, ID)));
    let id = s.c.conn_id();
    for _ in 0..30 {
        s.advance(100);
        s.c.handle_datagram(id, vec![1]);
        s.pump();
    }
    assert!(
        s.actions
            .iter()
            .any(|a| matches!(a, Action::CloseTransport { code: 4000, .. })),
        "the heartbeat closes the link although datagrams kept coming"
    );
}

/// Where the link has datagrams (WebTransport, open, `hello` received) `send_datagram` asks the
/// adapter for a datagram, outside the session; before the `hello` it waits in the queue as an
/// ordinary message (a datagram must not overtake the session it belongs to), and one the
/// adapter cannot send goes as an ordinary, sequenced message. Nothing is dropped for want of
/// datagrams.
#[test]
fn datagrams_leave_only_on_a_ready_webtransport_link_and_otherwise_go_as_messages() {
    let mut s = Sim::new(ConnectionConfig {
        supported: [TransportKind::WebTransport, TransportKind::WebSocket]
            .into_iter()
            .collect(),
        ..config(v2())
    });
    s.connect();
    s.opened();
    let id = s.c.conn_id();
    // Waiting for the hello: not a datagram, and nothing leaves yet.
    s.c.send_datagram(s.now, vec![1]).unwrap();
    s.pump();
    assert!(!s
        .actions
        .iter()
        .any(|a| matches!(a, Action::SendDatagram { .. } | Action::Send { .. })));
    s.incoming(Payload::Binary(encode_hello(HelloStatus::New, 0, ID)));
    let mut peer = Peer::default();
    peer.take(&s, 0);
    assert_eq!(
        peer.delivered,
        vec![Payload::Binary(vec![1])],
        "sent in-session after the hello"
    );

    // Ready: a datagram, not a session frame.
    let from = s.actions.len();
    s.c.send_datagram(s.now, vec![2, 3]).unwrap();
    s.pump();
    assert_eq!(
        s.actions[from..],
        [Action::SendDatagram {
            conn_id: id,
            bytes: vec![2, 3]
        }]
    );
    assert_eq!(
        s.c.resend_buffer().0,
        1,
        "the datagram is not in the session"
    );

    // The adapter could not send it (no datagram writer): an ordinary message, in the session.
    let from = s.actions.len();
    s.c.handle_datagram_unsent(s.now, vec![4]);
    s.pump();
    peer.take(&s, from);
    assert_eq!(peer.delivered[1..], [Payload::Binary(vec![4])]);

    // The limit is the application message's.
    let max = ConnectionConfig::default().max_message_size;
    assert!(matches!(
        s.c.send_datagram(s.now, vec![0; max + 1]),
        Err(CoreError::MessageTooLarge { .. })
    ));

    // Closed: one the adapter hands back is reported, not lost.
    s.c.close(s.now, 1000, "").unwrap();
    s.c.handle_transport_closed(s.now, id, 1000, String::new(), true);
    s.pump();
    s.take_events();
    s.c.handle_datagram_unsent(s.now, vec![5]);
    s.pump();
    assert_eq!(undelivered(&s.events), vec![Payload::Binary(vec![5])]);
}

/// On a transport without datagrams `send_datagram` is an ordinary binary message.
#[test]
fn without_webtransport_a_datagram_is_an_ordinary_message() {
    let mut s = open_v2(v2());
    s.take_actions();
    s.c.send_datagram(s.now, vec![9]).unwrap();
    s.pump();
    assert!(!s
        .actions
        .iter()
        .any(|a| matches!(a, Action::SendDatagram { .. })));
    let mut peer = Peer::default();
    peer.take(&s, 0);
    assert_eq!(peer.delivered, vec![Payload::Binary(vec![9])]);
}

/// The client refusing a message it received (over `maxMessageBytes`: 1009; a type it cannot
/// read: 1003) while a session is on ends the socket for good at once: a resume would have the
/// server replay the same message, and the socket would refuse it again until its reconnect
/// attempts ran out. Adapters say so (`handle_transport_refused`, from `Reporter::refusing`),
/// then report the close with that code, not clean, whether at once or after announcing it
/// (`Ending`). What was unacknowledged is handed back before `Close`, which carries the
/// refusal's code and reason.
#[test]
fn a_message_the_client_refuses_in_a_session_ends_the_socket_without_a_reconnect() {
    for (code, reason, announced) in [
        (1009, "message too big", false),
        (1003, "a message of a type this socket cannot read", false),
        (1009, "message too big", true),
    ] {
        let mut s = open_v2(v2());
        s.send(text("unacknowledged")).unwrap();
        let id = s.c.conn_id();
        s.c.handle_transport_refused(s.now, id, code, reason.into());
        if announced {
            s.c.handle_transport_ending(s.now, id, code, reason.into(), false);
            s.pump();
        }
        s.c.handle_transport_closed(s.now, id, code, reason.into(), false);
        s.pump();
        s.advance(60_000);
        assert!(
            !s.events
                .iter()
                .any(|e| matches!(e, Event::Disconnected { .. } | Event::Reconnecting { .. })),
            "{code}: no reconnect: {:?}",
            s.events
        );
        assert_eq!(s.opens().len(), 1, "{code}: nothing opened again");
        assert_eq!(s.c.state(), universal_socket::core::State::Closed);
        assert_eq!(undelivered(&s.events), vec![text("unacknowledged")]);
        assert_eq!(
            s.events.last(),
            Some(&Event::Close {
                code,
                reason: reason.into(),
                was_clean: false
            }),
            "{code}"
        );
    }
}

/// Only the client's own refusal ends the socket: a server that closes with 1009 (our message
/// was too big for it) completes a close handshake (clean), ends the session on its side
/// (PROTOCOL.md §7.3), and the reconnect that follows starts a new one, replaying nothing.
/// Without a session (`resume: false`, a v1 server) the client's refusal is final as well.
#[test]
fn a_servers_1009_reconnects_and_a_refusal_without_a_session_ends_the_socket_too() {
    let mut s = open_v2(v2());
    let id = s.c.conn_id();
    s.c.handle_transport_closed(s.now, id, 1009, "too big for the server".into(), true);
    s.pump();
    assert_reconnects(&s);

    // Without a session nothing is replayed, but a server that greets every link with what
    // the client refuses would have it reconnect without end (each open resets the attempts):
    // a refusal is final there too.
    let mut s = Sim::new(config(SessionConfig {
        enabled: false,
        ..v2()
    }));
    s.connect();
    s.opened();
    assert_eq!(s.c.peer_protocol(), PeerProtocol::V1);
    let id = s.c.conn_id();
    s.c.handle_transport_refused(s.now, id, 1009, "message too big".into());
    s.drop_link(1009, "message too big");
    assert!(
        matches!(
            s.events.last(),
            Some(Event::Close {
                code: 1009,
                was_clean: false,
                ..
            })
        ),
        "{:?}",
        s.events
    );
    assert!(!s
        .events
        .iter()
        .any(|e| matches!(e, Event::Reconnecting { .. } | Event::Disconnected { .. })));
}

/// The close of a link the client refused a message on reports the refusal (its code and
/// reason, not clean), whatever the adapter reports: a script's WebSocket can only put 1000 on
/// the wire, and the browser then reports that 1000, clean. Adapters need not substitute it.
#[test]
fn a_refused_link_ends_with_the_refusal_whatever_its_adapter_reports() {
    // (sessions, still waiting for `hello`, the adapter reports a failure rather than a close)
    let cases = [
        (true, false, false),
        (false, false, false),
        // A failure instead (a JS adapter may), after open or while the link waits for `hello`.
        (true, false, true),
        (true, true, true),
    ];
    for (session, waiting_for_hello, fails) in cases {
        let mut s = Sim::new(config(SessionConfig {
            enabled: session,
            ..v2()
        }));
        s.connect();
        s.opened();
        if session && !waiting_for_hello {
            s.incoming(Payload::Binary(encode_hello(HelloStatus::New, 0, ID)));
        }
        let id = s.c.conn_id();
        s.c.handle_transport_refused(s.now, id, 1009, "message too big".into());
        if fails {
            s.c.handle_transport_failed(s.now, id, "the stream broke".into());
        } else {
            s.c.handle_transport_closed(s.now, id, 1000, "message too big".into(), true);
        }
        s.pump();
        let case = format!("sessions {session}, hello awaited {waiting_for_hello}, fails {fails}");
        assert_eq!(
            s.events.last(),
            Some(&Event::Close {
                code: 1009,
                reason: "message too big".into(),
                was_clean: false,
            }),
            "{case}: {:?}",
            s.events
        );
        // A refusal on the first link before it opened fails `connect()`, naming it.
        assert_eq!(
            s.events
                .iter()
                .any(|e| matches!(e, Event::ConnectFailed { .. })),
            waiting_for_hello,
            "{case}"
        );
    }
}

/// A close frame while the first link waits for `hello` ends that wait: the link never opens
/// (not as v1 at the hello timeout either), and a refusal after the frame does not replace the
/// server's close.
#[test]
fn a_close_frame_while_waiting_for_hello_ends_the_wait() {
    let mut s = Sim::new(config(v2()));
    s.connect();
    s.opened();
    let id = s.c.conn_id();
    s.c.handle_close_frame(s.now, id, 4321, "not now".into());
    s.c.handle_transport_refused(s.now, id, 1009, "message too big".into());
    s.advance(1_500);
    assert!(
        !s.events.iter().any(|e| matches!(e, Event::Open { .. })),
        "{:?}",
        s.events
    );
    s.c.handle_transport_closed(s.now, id, 1006, String::new(), false);
    s.pump();
    assert!(
        !s.events.iter().any(|e| matches!(e, Event::Open { .. })),
        "{:?}",
        s.events
    );
    assert_ne!(
        s.c.state(),
        universal_socket::core::State::Closed,
        "not the refusal's end for good: {:?}",
        s.events
    );
}

/// A refusal is what the adapter says, never what a close code suggests: a link lost with 1009
/// or 1003, not clean, that the client did not refuse (a server's close whose handshake did not
/// complete) reconnects and resumes like any other loss. (A refusal reported for another link,
/// an upgrade probe's, does not make the current link's loss final either: see
/// `a_refusal_on_an_upgrade_probe_only_fails_the_probe`.)
#[test]
fn only_a_link_the_client_refused_ends_the_socket() {
    for code in [1009, 1003] {
        let mut s = open_v2(v2());
        s.drop_link(code, "the server's own close, cut short");
        assert_reconnects(&s);
        assert_ne!(s.c.state(), universal_socket::core::State::Closed, "{code}");
    }
}

/// A refusal on an upgrade probe (a message over the maximum before the probe's `hello`, on
/// the better transport being tried) only fails that probe: the working link and its session go
/// on, and nothing is closed for good. (The link that refuses after taking over is the current
/// one, and ends the socket as above.)
#[test]
fn a_refusal_on_an_upgrade_probe_only_fails_the_probe() {
    let mut s = on_sse_with_upgrades();
    let sse = s.c.conn_id();
    s.advance(1000);
    let (probe, kind) = s.last_open();
    assert_eq!(kind, TransportKind::WebSocket);
    s.c.handle_transport_opened(s.now, probe);
    s.c.handle_transport_refused(s.now, probe, 1009, "message too big".into());
    s.c.handle_transport_closed(s.now, probe, 1009, "message too big".into(), false);
    s.pump();
    assert_eq!(s.c.transport(), Some(TransportKind::Sse));
    assert_eq!(s.c.conn_id(), sse);
    assert_eq!(s.c.state(), universal_socket::core::State::Open);
    assert!(
        !s.events.iter().any(|e| matches!(
            e,
            Event::Close { .. } | Event::Disconnected { .. } | Event::Upgraded { .. }
        )),
        "{:?}",
        s.events
    );
    // The working link's own loss later, even with the same code, still reconnects: the
    // refusal was the probe's.
    s.drop_link(1009, "the server's own close, cut short");
    assert_reconnects(&s);
}

/// A refused link whose end never comes (its close hangs) is not timed out by the heartbeat
/// (before: the socket ended with 4000 "heartbeat timeout"): it ends at the close wait with the
/// refusal's code and reason, for good.
#[test]
fn a_refused_link_whose_close_hangs_ends_with_the_refusal() {
    let mut s = Sim::new(ConnectionConfig {
        heartbeat: Some(HeartbeatConfig {
            interval_ms: 1_000,
            timeout_ms: 500,
            ..HeartbeatConfig::default()
        }),
        ..config(v2())
    });
    s.connect();
    s.opened();
    s.incoming(Payload::Binary(encode_hello(HelloStatus::New, 0, ID)));
    let id = s.c.conn_id();
    s.c.handle_transport_refused(s.now, id, 1009, "message too big".into());
    s.pump();
    s.advance(10_000);
    assert!(
        s.actions
            .contains(&Action::AbandonTransport { conn_id: id }),
        "given up at the close wait"
    );
    // The adapter layer drops it, then tells the core.
    s.c.handle_transport_abandoned(s.now, id);
    s.pump();
    assert_eq!(s.c.state(), universal_socket::core::State::Closed);
    assert_eq!(
        s.events.last(),
        Some(&Event::Close {
            code: 1009,
            reason: "message too big".into(),
            was_clean: false
        }),
        "{:?}",
        s.events
    );
    assert!(!s
        .events
        .iter()
        .any(|e| matches!(e, Event::Reconnecting { .. } | Event::Disconnected { .. })));
}

/// The loss was not final: the socket is reconnecting (its first attempt scheduled).
fn assert_reconnects(s: &Sim) {
    assert!(
        s.events
            .iter()
            .any(|e| matches!(e, Event::Reconnecting { attempt: 1, .. })),
        "{:?}",
        s.events
    );
}

/// The application's `close()` waits for the server's acks (v2), so the adapter does not know
/// of it yet and still refuses a message over the maximum, ending the link. The close keeps the
/// application's code and reason (not clean), as it does on a link already told of the close,
/// where the adapter drops such a message. Before, `close()` resolved with 1009 "message too
/// Link `id`'s adapter refuses a message over the maximum (`TransportEvent::Refused` 1009).
fn refuse(s: &mut Sim, id: u64) {
    s.c.handle_transport_refused(s.now, id, 1009, "message too big".into());
    s.pump();
}

/// Link `id`, which refused a message, reports its end.
fn refused_link_closes(s: &mut Sim, id: u64) {
    s.c.handle_transport_closed(s.now, id, 1009, "message too big".into(), false);
    s.pump();
}

/// big", and the same when the close wait ran out after the refusal.
#[test]
fn a_refusal_while_close_waits_for_acks_keeps_the_applications_code() {
    for transport_reports_its_end in [true, false] {
        let mut s = open_v2(v2());
        let id = s.c.conn_id();
        s.send(text("unacknowledged")).unwrap();
        s.c.close(s.now, 4100, "bye").unwrap();
        s.pump();
        refuse(&mut s, id);
        if transport_reports_its_end {
            s.drop_link(1009, "message too big");
        } else {
            s.advance(3_000);
        }
        assert_eq!(
            s.events.last(),
            Some(&Event::Close {
                code: 4100,
                reason: "bye".into(),
                was_clean: false
            }),
            "{:?}",
            s.events
        );
    }
}

/// On the first link, while the client waits for `hello`, a v1 server's first message (say a
/// chat `welcome`) over the maximum is refused by the adapter: that ends the socket for good with
/// the refusal's 1009, as a refusal on an open link does (the same server would greet every
/// transport with it), and `connect()` fails naming it. Before, it counted as a failed attempt:
/// the socket fell back through every transport, refusing on each, and closed with 1006 "all
/// transports failed". The refusal also ends the wait for `hello`: the link's `Closed` may come
/// after the hello timeout, which must not open it as v1 meanwhile.
#[test]
fn a_refusal_while_waiting_for_the_first_hello_ends_the_socket() {
    for closed_after_the_hello_timeout in [false, true] {
        let mut s = Sim::new(config(v2()));
        s.connect();
        s.opened();
        let id = s.c.conn_id();
        refuse(&mut s, id);
        if closed_after_the_hello_timeout {
            s.advance(1_500);
        }
        refused_link_closes(&mut s, id);
        assert_eq!(
            s.events.last(),
            Some(&Event::Close {
                code: 1009,
                reason: "message too big".into(),
                was_clean: false
            }),
            "{:?}",
            s.events
        );
        assert!(
            !s.events
                .iter()
                .any(|e| matches!(e, Event::Open { .. } | Event::Fallback { .. })),
            "{:?}",
            s.events
        );
        assert!(s.events.contains(&Event::ConnectFailed {
            tried: vec![(
                TransportKind::WebSocket,
                "refused the server's first message: message too big".into()
            )]
        }));
        assert_eq!(
            s.opens(),
            vec![TransportKind::WebSocket],
            "no other transport tried"
        );
    }
}

/// The same refusal on a later link of a v2 socket (a reconnect still waiting for `hello`)
/// ends the socket too, even when its `Closed` comes after the hello timeout (which would
/// otherwise fail the attempt as "no session hello in time" and forget the refusal).
#[test]
fn a_refusal_while_a_reconnect_waits_for_hello_ends_the_socket() {
    let mut s = open_v2(v2());
    s.drop_link(1006, "gone");
    s.advance(1_000);
    s.opened();
    let id = s.c.conn_id();
    s.take_events();
    refuse(&mut s, id);
    s.advance(1_500);
    refused_link_closes(&mut s, id);
    assert!(
        matches!(s.events.last(), Some(Event::Close { code: 1009, .. })),
        "{:?}",
        s.events
    );
    assert!(!s
        .events
        .iter()
        .any(|e| matches!(e, Event::Fallback { .. } | Event::Reconnecting { .. })));
}

/// The current link refuses a message; before its `Closed`, an upgrade probe refuses one too.
/// The current link's loss still ends the socket with its 1009 (the probe's refusal only fails
/// the probe), and a probe that opens meanwhile does not take over from the refused link.
/// Before, the probe's refusal replaced the current link's, and the loss reconnected.
#[test]
fn a_probes_refusal_does_not_hide_the_current_links() {
    for probe_refuses in [true, false] {
        let mut s = on_sse_with_upgrades();
        let sse = s.c.conn_id();
        s.advance(1000);
        let (probe, _) = s.last_open();
        refuse(&mut s, sse);
        s.c.handle_transport_opened(s.now, probe);
        if probe_refuses {
            s.c.handle_transport_refused(s.now, probe, 1009, "message too big".into());
        } else {
            s.c.handle_incoming(
                s.now,
                probe,
                Payload::Binary(encode_hello(HelloStatus::Resumed, 0, ID)),
            );
        }
        s.pump();
        assert_eq!(s.c.conn_id(), sse, "the probe did not take over");
        refused_link_closes(&mut s, sse);
        assert!(
            matches!(s.events.last(), Some(Event::Close { code: 1009, .. })),
            "{:?}",
            s.events
        );
        assert!(!s
            .events
            .iter()
            .any(|e| matches!(e, Event::Reconnecting { .. } | Event::Upgraded { .. })));
    }
}
