#![cfg(not(target_arch = "wasm32"))]
//! Scenario tests of what the core does with messages a transport could not deliver, with
//! upstream backpressure, with the heartbeat on a busy link, and with the server's close code
//! (issue "Correct on every transport", defects 4, 6, 7, 9 and 12).

mod common;

use common::{text, undelivered, Sim};
use universal_socket::core::{
    Action, BackoffConfig, ConnectionConfig, Event, HeartbeatConfig, OverflowPolicy, QueueConfig,
    State, TransportKind,
};
use TransportKind::*;

fn open_on(kinds: &[TransportKind]) -> Sim {
    let mut s = Sim::with(kinds);
    s.connect();
    s.opened();
    s.take_actions();
    s.take_events();
    s
}

/// A send queue of `max_messages` (1 MiB) with `overflow`.
fn queue_of(max_messages: usize, overflow: OverflowPolicy) -> QueueConfig {
    QueueConfig {
        max_messages,
        max_bytes: 1 << 20,
        overflow,
    }
}

/// Connects and opens a transport that reports `buffered` upstream bytes (as SSE and long
/// polling do); returns its conn id.
fn open_reporting(s: &mut Sim, buffered: u64) -> u64 {
    s.connect();
    s.opened();
    let id = s.c.conn_id();
    s.c.handle_transport_buffered(s.now, id, buffered);
    id
}

#[test]
fn unsent_messages_go_out_first_after_the_reconnect() {
    let mut s = open_on(&[WebSocket]);
    let id = s.c.conn_id();
    for m in ["a", "b", "c"] {
        s.send(text(m)).unwrap();
    }
    // The transport dies with b and c still in its buffer; d is sent before the close arrives.
    s.c.handle_unsent(s.now, id, vec![text("b"), text("c")]);
    s.pump();
    s.take_actions();
    s.send(text("d")).unwrap();
    assert!(s.sent().is_empty(), "d must wait behind b and c");
    s.drop_link(1006, "gone");
    s.send(text("e")).unwrap();
    s.advance(1000);
    s.opened();
    assert_eq!(
        s.sent(),
        vec![text("b"), text("c"), text("d"), text("e")],
        "handed-back messages first, then later ones, each once"
    );
    assert!(undelivered(&s.events).is_empty());
}

#[test]
fn unsent_reported_after_the_drop_still_go_first() {
    let mut s = open_on(&[WebSocket]);
    let id = s.c.conn_id();
    s.drop_link(1006, "gone");
    s.send(text("later")).unwrap();
    s.c.handle_unsent(s.now, id, vec![text("earlier")]);
    s.pump();
    s.take_actions();
    s.advance(1000);
    s.opened();
    assert_eq!(s.sent(), vec![text("earlier"), text("later")]);
}

/// A link replaced while it still held unsent messages (an HTTP transport's queue, handed
/// back only when the link is dropped, up to the close wait after a heartbeat timeout) hands
/// them back after its successor has already sent later messages: resending them would put
/// them after those, so they come back to the application in `undelivered` instead (they never
/// reached the server). Before, they were sent after the later ones. While nothing has gone out
/// on the successor, they still go first (see the tests above).
/// A long-polling socket whose first link, holding `a1` unsent, was replaced after a heartbeat
/// timeout, and whose new link has just sent `b1`; answers the old link's id.
fn a1_held_by_a_replaced_link_and_b1_sent() -> (Sim, u64) {
    let mut s = open_on(&[LongPolling]);
    let old = s.c.conn_id();
    s.send(text("a1")).unwrap();
    s.drop_link(4000, "heartbeat timeout");
    s.advance(1000);
    s.opened();
    s.take_actions();
    s.send(text("b1")).unwrap();
    assert_eq!(s.sent(), vec![text("b1")]);
    s.take_actions();
    (s, old)
}

#[test]
fn unsent_from_a_replaced_link_after_later_sends_is_handed_back_not_reordered() {
    let (mut s, old) = a1_held_by_a_replaced_link_and_b1_sent();
    s.c.handle_unsent(s.now, old, vec![text("a1")]);
    s.pump();
    assert!(s.sent().is_empty(), "{:?}", s.sent());
    assert_eq!(undelivered(&s.events), vec![text("a1")]);
    // The link in use is unaffected.
    s.send(text("b2")).unwrap();
    assert_eq!(s.sent(), vec![text("b2")]);
}

/// The same, when the newer link handed back everything it was given before dying: nothing
/// newer reached the server, so the old link's late hand-back still goes out first, in order.
/// Before, `a1` came back in `undelivered` while `b1`, newer, was resent.
#[test]
fn unsent_from_a_replaced_link_goes_first_when_the_newer_link_handed_everything_back() {
    let (mut s, old) = a1_held_by_a_replaced_link_and_b1_sent();
    let newer = s.c.conn_id();
    s.c.handle_unsent(s.now, newer, vec![text("b1")]);
    s.pump();
    s.drop_link(1006, "gone");
    s.c.handle_unsent(s.now, old, vec![text("a1")]);
    s.pump();
    s.take_actions();
    s.advance(1000);
    s.opened();
    assert_eq!(s.sent(), vec![text("a1"), text("b1")]);
    assert!(undelivered(&s.events).is_empty(), "{:?}", s.events);
}

#[test]
fn unsent_after_the_final_close_is_undelivered() {
    let mut s = open_on(&[WebSocket]);
    let id = s.c.conn_id();
    s.c.close(s.now, 1000, "bye").unwrap();
    s.c.handle_transport_closed(s.now, id, 1000, "bye".into(), true);
    s.pump();
    s.c.handle_unsent(s.now, id, vec![text("late")]);
    s.pump();
    assert_eq!(undelivered(&s.events), vec![text("late")]);
}

#[test]
fn unconfirmed_messages_are_reported_not_resent() {
    let mut s = open_on(&[Sse]);
    let id = s.c.conn_id();
    s.send(text("maybe")).unwrap();
    s.take_actions();
    s.c.handle_unconfirmed(s.now, id, vec![text("maybe")]);
    s.pump();
    s.drop_link(1006, "post failed");
    s.advance(1000);
    s.opened();
    assert_eq!(undelivered(&s.events), vec![text("maybe")]);
    assert!(
        s.sent().is_empty(),
        "an unconfirmed message is not sent twice"
    );
}

#[test]
fn a_full_upstream_holds_messages_in_the_bounded_queue() {
    let mut s = Sim::new(ConnectionConfig {
        supported: [LongPolling].into_iter().collect(),
        heartbeat: None,
        batch: None,
        upstream_high_water_bytes: 10,
        queue: queue_of(2, OverflowPolicy::Reject),
        ..ConnectionConfig::default()
    });
    let id = open_reporting(&mut s, 0);
    s.take_actions();
    s.send(text("0123456789AB")).unwrap(); // 12 bytes: over the mark once sent
    s.send(text("x")).unwrap();
    s.send(text("y")).unwrap();
    assert!(s.send(text("z")).is_err(), "the queue's bounds apply");
    assert_eq!(s.sent(), vec![text("0123456789AB")]);
    assert_eq!(s.c.queued_messages(), 2);
    s.take_actions();
    s.c.handle_transport_buffered(s.now, id, 0);
    s.pump();
    assert_eq!(s.sent(), vec![text("x"), text("y")]);
}

#[test]
fn a_full_upstream_with_drop_oldest_reports_the_overflow() {
    let mut s = Sim::new(ConnectionConfig {
        supported: [Sse].into_iter().collect(),
        heartbeat: None,
        batch: None,
        upstream_high_water_bytes: 0,
        queue: queue_of(1, OverflowPolicy::DropOldest),
        ..ConnectionConfig::default()
    });
    open_reporting(&mut s, 1);
    s.send(text("a")).unwrap();
    s.send(text("b")).unwrap();
    assert!(s.events.contains(&Event::QueueOverflow { dropped: 1 }));
}

fn heartbeat_sim() -> Sim {
    let mut s = Sim::new(ConnectionConfig {
        supported: [WebSocket].into_iter().collect(),
        heartbeat: Some(HeartbeatConfig {
            interval_ms: 1000,
            timeout_ms: 500,
            ..HeartbeatConfig::default()
        }),
        batch: None,
        ..ConnectionConfig::default()
    });
    s.connect();
    s.opened();
    s.take_actions();
    s.take_events();
    s
}

#[test]
fn any_message_proves_a_busy_link_alive() {
    let mut s = heartbeat_sim();
    s.advance(1000); // ping sent, pong due by 1500
    assert_eq!(s.sent(), vec![text("ping")]);
    for _ in 0..10 {
        s.advance(400);
        s.incoming(text("data"));
    }
    assert_eq!(s.c.state(), State::Open, "data kept arriving: not dead");
    s.advance(600);
    assert!(s
        .events
        .iter()
        .any(|e| matches!(e, Event::Disconnected { code: 4000, .. })));
}

#[test]
fn pong_text_without_a_ping_is_an_application_message() {
    let mut s = heartbeat_sim();
    s.incoming(text("pong"));
    assert_eq!(s.events, vec![Event::Message(text("pong"))]);
    s.take_events();
    s.advance(1000);
    s.incoming(text("pong"));
    assert!(
        s.events.is_empty(),
        "the pong answering our ping is consumed"
    );
    assert!(s.c.rtt_ms().is_some());
}

fn close_events(events: &[Event]) -> Vec<(u16, String, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Close {
                code,
                reason,
                was_clean,
            } => Some((*code, reason.clone(), *was_clean)),
            _ => None,
        })
        .collect()
}

#[test]
fn without_reconnect_the_final_close_carries_the_server_code() {
    let mut s = Sim::new(ConnectionConfig {
        supported: [WebSocket].into_iter().collect(),
        heartbeat: None,
        batch: None,
        backoff: BackoffConfig {
            max_attempts: Some(0),
            ..BackoffConfig::default()
        },
        ..ConnectionConfig::default()
    });
    s.connect();
    s.opened();
    let id = s.c.conn_id();
    s.c.handle_transport_closed(s.now, id, 4321, "server bye".into(), true);
    s.pump();
    assert_eq!(
        close_events(&s.events),
        vec![(4321, "server bye".to_owned(), true)]
    );
    assert_eq!(s.c.state(), State::Closed);
}

#[test]
fn a_clean_1000_from_the_server_is_final_but_1001_is_retried() {
    let mut s = open_on(&[WebSocket]);
    let id = s.c.conn_id();
    s.c.handle_transport_closed(s.now, id, 1000, "done".into(), true);
    s.pump();
    assert_eq!(
        close_events(&s.events),
        vec![(1000, "done".to_owned(), true)]
    );

    let mut s = open_on(&[WebSocket]);
    let id = s.c.conn_id();
    s.c.handle_transport_closed(s.now, id, 1001, "restart".into(), true);
    s.pump();
    assert!(close_events(&s.events).is_empty());
    assert_eq!(s.c.state(), State::Reconnecting);
}

#[test]
fn a_token_lookup_after_the_connect_timeout_is_no_longer_pending() {
    let mut s = Sim::with(&[WebSocket, Sse]);
    s.connect();
    let (first, _) = s.last_open();
    assert!(s.c.is_pending_attempt(first));
    s.advance(2000); // connect timeout: falls back to SSE
    assert!(!s.c.is_pending_attempt(first));
    let (second, kind) = s.last_open();
    assert_eq!(kind, Sse);
    s.c.close(s.now, 1000, "").unwrap();
    assert!(!s.c.is_pending_attempt(second), "closed: nothing may open");
}

#[test]
fn batch_timestamps_use_the_wall_clock_offset() {
    let mut s = Sim::batching(&[WebSocket]);
    s.c.set_wall_clock_offset(1_700_000_000_000);
    s.connect();
    s.opened();
    s.take_actions();
    s.send_batchable("1").unwrap();
    s.advance(100);
    let sent = s.sent();
    assert_eq!(
        sent,
        vec![text(
            "{\"type\":\"batch\",\"messages\":[1],\"timestamp\":1700000000100}"
        )]
    );
    assert!(s
        .actions
        .iter()
        .all(|a| !matches!(a, Action::CloseTransport { .. })));
}

#[test]
fn handed_back_messages_go_before_messages_held_behind_a_full_upstream() {
    let mut s = Sim::new(ConnectionConfig {
        supported: [Sse].into_iter().collect(),
        heartbeat: None,
        batch: None,
        upstream_high_water_bytes: 0,
        ..ConnectionConfig::default()
    });
    let id = open_reporting(&mut s, 0);
    s.send(text("m1")).unwrap(); // handed to the transport: over the mark now
    s.send(text("m2")).unwrap(); // held
    s.send(text("m3")).unwrap(); // held
    s.take_actions();
    // m1's POST was answered 404: handed back, it must still go first.
    s.c.handle_unsent(s.now, id, vec![text("m1")]);
    s.drop_link(1006, "session gone");
    s.advance(1000);
    s.opened();
    assert_eq!(s.sent(), vec![text("m1"), text("m2"), text("m3")]);
}

#[test]
fn batched_items_wait_in_the_bounded_queue_while_the_upstream_is_full() {
    let mut s = Sim::new(ConnectionConfig {
        supported: [LongPolling].into_iter().collect(),
        heartbeat: None,
        upstream_high_water_bytes: 0,
        queue: queue_of(2, OverflowPolicy::Reject),
        ..ConnectionConfig::default()
    });
    open_reporting(&mut s, 1);
    s.send_batchable("1").unwrap();
    s.send_batchable("2").unwrap();
    assert!(
        s.send_batchable("3").is_err(),
        "the queue's bound applies to batched items too"
    );
    assert_eq!(s.c.queued_messages(), 2);
}

#[test]
fn sends_refused_one_by_one_by_a_dying_transport_keep_their_order() {
    let mut s = Sim::with(&[WebSocket]);
    s.connect();
    for m in ["a", "b", "c"] {
        s.send(text(m)).unwrap();
    }
    s.take_actions();
    let id = s.c.conn_id();
    // As the driver does: take one action, the transport refuses it, then the next one.
    s.c.handle_transport_opened(s.now, id);
    let first = s.c.poll_action();
    assert_eq!(
        first,
        Some(Action::Send {
            conn_id: id,
            payload: text("a")
        })
    );
    s.c.handle_unsent(s.now, id, vec![text("a")]);
    assert!(
        !std::iter::from_fn(|| s.c.poll_action()).any(|a| matches!(a, Action::Send { .. })),
        "b and c must not be sent to the dying transport"
    );
    s.pump();
    s.drop_link(1006, "gone");
    s.advance(1000);
    s.opened();
    assert_eq!(s.sent(), vec![text("a"), text("b"), text("c")]);
}

#[test]
fn a_handed_back_heartbeat_ping_is_neither_resent_nor_undelivered() {
    let mut s = heartbeat_sim();
    s.advance(1000); // the ping goes out
    let id = s.c.conn_id();
    s.send(text("data")).unwrap();
    s.take_actions();
    s.c.handle_unconfirmed(s.now, id, vec![text("ping")]);
    s.c.handle_unsent(s.now, id, vec![text("data")]);
    s.pump();
    s.drop_link(1006, "gone");
    s.advance(1000);
    s.opened();
    assert_eq!(
        s.sent(),
        vec![text("data")],
        "only the application's message"
    );
    assert!(undelivered(&s.events).is_empty(), "{:?}", s.events);
}

/// Review of the close wait (bug 1): a close waiting for a held queue (v1), then the current
/// transport refusing what is flushed to it, must not loop: what it hands back stays queued and
/// the final close hands it to the application.
#[test]
fn a_refusing_transport_during_a_waiting_close_does_not_loop() {
    let mut s = Sim::new(ConnectionConfig {
        supported: [LongPolling].into_iter().collect(),
        heartbeat: None,
        batch: None,
        upstream_high_water_bytes: 10,
        ..ConnectionConfig::default()
    });
    let id = open_reporting(&mut s, 0);
    s.send(text("0123456789AB")).unwrap(); // over the mark: the next one is held
    s.send(text("held")).unwrap();
    s.c.close(s.now, 4001, "bye").unwrap();
    s.pump();
    s.take_actions();
    // The transport refuses a send: handed back, and it must not be offered again.
    s.c.handle_unsent(s.now, id, vec![text("held")]);
    let mut sends = 0;
    while let Some(action) = s.c.poll_action() {
        if matches!(action, Action::Send { .. }) {
            sends += 1;
            assert!(sends < 3, "the refused message is offered again and again");
            s.c.handle_unsent(s.now, id, vec![text("held")]);
        }
    }
    s.pump();
    s.advance(3_000);
    assert_eq!(s.c.state(), State::Closed);
    assert!(
        undelivered(&s.events).contains(&text("held")),
        "{:?}",
        s.events
    );
}

/// Bug 2: a v1 close that waits for a held queue goes ahead as soon as the transport has room
/// again and the queue is flushed, instead of running to the deadline.
#[test]
fn a_v1_close_waiting_for_a_held_queue_closes_once_it_is_flushed() {
    let mut s = Sim::new(ConnectionConfig {
        supported: [Sse].into_iter().collect(),
        heartbeat: None,
        batch: None,
        upstream_high_water_bytes: 10,
        ..ConnectionConfig::default()
    });
    let id = open_reporting(&mut s, 0);
    s.send(text("0123456789AB")).unwrap();
    s.send(text("held")).unwrap();
    s.take_actions();
    s.c.close(s.now, 1000, "bye").unwrap();
    s.pump();
    assert!(!s
        .actions
        .iter()
        .any(|a| matches!(a, Action::CloseTransport { .. })));
    s.advance(100);
    s.c.handle_transport_buffered(s.now, id, 0);
    s.pump();
    assert_eq!(s.sent(), vec![text("held")]);
    assert!(s.actions.contains(&Action::CloseTransport {
        conn_id: id,
        code: 1000,
        reason: "bye".into()
    }));
    s.c.handle_transport_closed(s.now, id, 1000, "bye".into(), true);
    s.pump();
    assert_eq!(
        s.events.last(),
        Some(&Event::Close {
            code: 1000,
            reason: "bye".into(),
            was_clean: true
        })
    );
}
