#![cfg(not(target_arch = "wasm32"))]
//! Scenario tests of the connection state machine with a simulated clock.

mod common;

use common::{text, Sim};
use universal_socket::core::{
    Action, BackoffConfig, Connection, ConnectionConfig, CoreError, Event, HeartbeatConfig,
    OverflowPolicy, Payload, QueueConfig, QueueError, State, TimerChange, TransportKind,
    TransportSet,
};
use TransportKind::*;

#[test]
fn initial_connect_opens_best_transport() {
    let mut s = Sim::new(ConnectionConfig::default());
    assert_eq!(s.c.state(), State::Connecting);
    assert_eq!(s.c.ready_state(), 0);
    s.connect();
    assert_eq!(
        s.take_actions(),
        vec![Action::OpenTransport {
            conn_id: 1,
            kind: WebTransport
        }]
    );
    assert_eq!(s.c.poll_timeout(), Some(2000), "connect timeout armed");
    s.c.handle_transport_opened(5, 1);
    s.pump();
    assert_eq!(s.take_events(), vec![Event::Open { kind: WebTransport }]);
    assert_eq!(s.c.ready_state(), 1);
    assert_eq!(s.c.transport(), Some(WebTransport));
    assert_eq!(
        s.c.handle_connect(6),
        Err(CoreError::InvalidState(
            "connect while already connecting, open or closing"
        ))
    );
}

#[test]
fn ready_state_mapping() {
    assert_eq!(State::Connecting.ready_state(), 0);
    assert_eq!(State::Reconnecting.ready_state(), 0);
    assert_eq!(State::Open.ready_state(), 1);
    assert_eq!(State::Closing.ready_state(), 2);
    assert_eq!(State::Closed.ready_state(), 3);
}

#[test]
fn messages_sent_before_open_are_flushed_in_order() {
    let mut s = Sim::with(&[WebSocket]);
    s.send(text("a")).unwrap();
    s.connect();
    s.send(Payload::Binary(vec![1, 2])).unwrap();
    s.send(text("c")).unwrap();
    assert_eq!(s.c.queued_messages(), 3);
    assert!(s.sent().is_empty());
    s.opened();
    assert_eq!(
        s.sent(),
        vec![text("a"), Payload::Binary(vec![1, 2]), text("c")]
    );
    s.send(text("d")).unwrap();
    assert_eq!(s.sent().last(), Some(&text("d")));
    let st = s.c.stats(s.now);
    assert_eq!((st.messages_sent, st.bytes_sent), (4, 5));
}

#[test]
fn three_failures_then_success_uses_exact_backoff() {
    let mut s = Sim::with(&[WebSocket]);
    s.connect();
    s.opened();
    s.advance_to(10_000);
    s.drop_link(1006, "");
    assert!(matches!(
        s.events
            .iter()
            .find(|e| matches!(e, Event::Disconnected { .. })),
        Some(Event::Disconnected { code: 1006, .. })
    ));
    assert_eq!(s.c.state(), State::Reconnecting);
    assert_eq!(s.c.ready_state(), 0);
    let mut open_times = Vec::new();
    for _ in 0..3 {
        let before = s.opens().len();
        s.advance_to(s.c.poll_timeout().unwrap());
        assert_eq!(s.opens().len(), before + 1, "one OpenTransport per attempt");
        open_times.push(s.now);
        s.fail("refused");
    }
    s.advance_to(s.c.poll_timeout().unwrap());
    open_times.push(s.now);
    s.opened();
    assert_eq!(
        s.reconnect_delays(),
        vec![(1, 1000), (2, 1500), (3, 2250), (4, 3375)]
    );
    assert_eq!(open_times, vec![11_000, 12_500, 14_750, 18_125]);
    let tail: Vec<Event> = s.take_events().into_iter().rev().take(2).collect();
    assert_eq!(
        tail,
        vec![
            Event::Reconnected { kind: WebSocket },
            Event::Open { kind: WebSocket }
        ]
    );
    assert_eq!(s.c.reconnect_attempt(), 0);
    let st = s.c.stats(s.now);
    assert_eq!((st.reconnects, st.reconnect_attempts), (1, 4));
    // Attempts were reset: the next drop starts again at 1000 ms.
    s.drop_link(1001, "going away");
    assert_eq!(s.reconnect_delays(), vec![(1, 1000)]);
}

#[test]
fn three_failed_reconnects_then_open_spec_schedule() {
    // The brief's scenario literally: delays 1000, 1500, 2250 and the third attempt opens.
    let mut s = Sim::with(&[WebSocket]);
    s.connect();
    s.opened();
    s.drop_link(1006, "");
    for _ in 0..2 {
        s.advance_to(s.c.poll_timeout().unwrap());
        s.fail("refused");
    }
    s.advance_to(s.c.poll_timeout().unwrap());
    s.opened();
    assert_eq!(s.reconnect_delays(), vec![(1, 1000), (2, 1500), (3, 2250)]);
    assert!(s.events.contains(&Event::Reconnected { kind: WebSocket }));
    assert_eq!(s.c.state(), State::Open);
}

#[test]
fn max_reconnect_attempts_closes() {
    let mut s = Sim::with(&[WebSocket, Sse]);
    s.connect();
    s.opened();
    s.drop_link(1006, "");
    for _ in 0..5 {
        s.advance_to(s.c.poll_timeout().unwrap());
        s.fail("nope"); // websocket
        s.fail("nope"); // sse: round exhausted
    }
    assert_eq!(
        s.reconnect_delays(),
        vec![(1, 1000), (2, 1500), (3, 2250), (4, 3375), (5, 5062)]
    );
    let tail: Vec<Event> = s.events.iter().rev().take(2).cloned().collect();
    assert_eq!(tail[1], Event::MaxReconnectAttemptsReached);
    assert!(matches!(
        tail[0],
        Event::Close {
            code: 1006,
            was_clean: false,
            ..
        }
    ));
    assert_eq!(s.c.state(), State::Closed);
    assert_eq!(s.c.poll_timeout(), None);
    assert_eq!(s.c.send(s.now, text("x")), Err(CoreError::Closed));
}

#[test]
fn unlimited_attempts_keep_going_capped() {
    let mut s = Sim::new(ConnectionConfig {
        supported: [WebSocket].into_iter().collect(),
        heartbeat: None,
        backoff: BackoffConfig {
            max_attempts: None,
            ..BackoffConfig::default()
        },
        ..ConnectionConfig::default()
    });
    s.connect();
    s.opened();
    s.drop_link(1006, "");
    for _ in 0..12 {
        s.advance_to(s.c.poll_timeout().unwrap());
        s.fail("nope");
    }
    let delays = s.reconnect_delays();
    assert_eq!(delays.len(), 13);
    assert_eq!(delays.last(), Some(&(13, 30_000)));
    assert_eq!(s.c.state(), State::Reconnecting);
}

#[test]
fn server_drop_mid_batch_loses_nothing() {
    let mut s = Sim::batching(&[WebSocket]);
    s.connect();
    s.opened();
    s.advance_to(1000);
    s.send_batchable("{\"n\":1}").unwrap();
    s.advance_to(1020);
    s.send_batchable("{\"n\":2}").unwrap();
    assert!(s.sent().is_empty(), "still batching");
    assert_eq!(
        s.c.poll_timeout(),
        Some(1100),
        "flush 100 ms after the first item"
    );
    s.advance_to(1050);
    s.drop_link(1006, "server crashed");
    // While reconnecting, more items: queued behind the half-built batch.
    s.send_batchable("{\"n\":3}").unwrap();
    s.send(text("plain")).unwrap();
    assert!(s.sent().is_empty());
    s.advance_to(s.c.poll_timeout().unwrap());
    s.opened();
    assert_eq!(
        s.sent(),
        vec![
            text("{\"type\":\"batch\",\"messages\":[{\"n\":1},{\"n\":2}],\"timestamp\":1050}"),
            text("{\"n\":3}"),
            text("plain"),
        ]
    );
}

#[test]
fn batching_while_open() {
    let mut s = Sim::batching(&[WebSocket]);
    s.connect();
    s.opened();
    for i in 0..10 {
        s.send_batchable(&i.to_string()).unwrap();
    }
    assert_eq!(
        s.sent(),
        vec![text(
            "{\"type\":\"batch\",\"messages\":[0,1,2,3,4,5,6,7,8,9],\"timestamp\":0}"
        )]
    );
    s.take_actions();
    s.send_batchable("\"x\"").unwrap();
    s.advance(30);
    // An unbatched message flushes the pending batch first, so order is kept.
    s.send(Payload::Binary(vec![9])).unwrap();
    assert_eq!(
        s.sent(),
        vec![
            text("{\"type\":\"batch\",\"messages\":[\"x\"],\"timestamp\":30}"),
            Payload::Binary(vec![9])
        ]
    );
    s.take_actions();
    s.send_batchable("true").unwrap();
    s.advance(100);
    assert_eq!(
        s.sent(),
        vec![text(
            "{\"type\":\"batch\",\"messages\":[true],\"timestamp\":130}"
        )]
    );
    assert!(matches!(
        s.send_batchable("{oops"),
        Err(CoreError::InvalidJson(_))
    ));
}

#[test]
fn batch_never_exceeds_max_message_size() {
    let mut s = Sim::new(ConnectionConfig {
        supported: [WebSocket].into_iter().collect(),
        heartbeat: None,
        max_message_size: 120,
        ..ConnectionConfig::default()
    });
    s.connect();
    s.opened();
    let item = format!("\"{}\"", "a".repeat(30));
    for _ in 0..5 {
        s.send_batchable(&item).unwrap();
    }
    s.advance(100);
    let sent = s.sent();
    assert!(sent.len() >= 2);
    assert!(sent.iter().all(|p| p.len() <= 120), "{sent:?}");
    // An item that fits a message but not a batch envelope goes as a message of its own,
    // after what was batched before it: whether `send` accepts it does not depend on the
    // state (while not open, items are queued as plain messages). Before, it was refused
    // while open only.
    s.take_actions();
    s.send_batchable("1").unwrap();
    let too_big = format!("\"{}\"", "b".repeat(100));
    s.send_batchable(&too_big).unwrap();
    assert_eq!(
        s.sent(),
        vec![
            text("{\"type\":\"batch\",\"messages\":[1],\"timestamp\":100}"),
            text(&too_big)
        ]
    );
    // One over the message size is refused as any message is.
    let over = format!("\"{}\"", "c".repeat(119));
    assert_eq!(
        s.send_batchable(&over),
        Err(CoreError::MessageTooLarge {
            size: 121,
            max: 120
        })
    );
}

#[test]
fn heartbeat_measures_rtt_and_detects_dead_link() {
    let mut s = Sim::new(ConnectionConfig {
        supported: [WebSocket].into_iter().collect(),
        batch: None,
        heartbeat: Some(HeartbeatConfig::default()),
        ..ConnectionConfig::default()
    });
    s.connect();
    s.opened();
    s.advance_to(29_999);
    assert!(s.sent().is_empty());
    s.advance_to(30_000);
    assert_eq!(s.sent(), vec![text("ping")]);
    s.advance_to(30_040);
    s.incoming(text("pong"));
    assert_eq!(s.c.rtt_ms(), Some(40));
    assert!(
        !s.events.iter().any(|e| matches!(e, Event::Message(_))),
        "pong is consumed"
    );
    s.incoming(text("hello"));
    assert_eq!(s.events.last(), Some(&Event::Message(text("hello"))));
    assert_eq!(s.c.poll_timeout(), Some(60_000));
    s.advance_to(60_000);
    assert_eq!(s.sent(), vec![text("ping"), text("ping")]);
    // No pong: dead after the timeout (default = interval).
    s.advance_to(89_999);
    assert_eq!(s.c.state(), State::Open);
    s.advance_to(90_000);
    let (id, _) = s.last_open();
    assert!(s.actions.contains(&Action::CloseTransport {
        conn_id: id,
        code: 4000,
        reason: "heartbeat timeout".into()
    }));
    assert!(s.events.contains(&Event::Disconnected {
        code: 4000,
        reason: "heartbeat timeout".into(),
        was_clean: false
    }));
    assert_eq!(s.reconnect_delays(), vec![(1, 1000)]);
    // The abandoned transport's own close report is stale and ignored.
    s.c.handle_transport_closed(s.now, id, 4000, "heartbeat timeout".into(), true);
    s.pump();
    assert_eq!(s.reconnect_delays(), vec![(1, 1000)]);
    s.advance(1000);
    s.opened();
    assert_eq!(s.c.state(), State::Open);
    let st = s.c.stats(s.now);
    assert_eq!(st.messages_received, 1);
    assert_eq!(st.messages_sent, 0, "pings are not counted");
}

#[test]
fn close_while_reconnecting_stops_every_retry() {
    let mut s = Sim::with(&[WebSocket]);
    s.connect();
    s.opened();
    s.drop_link(1006, "");
    assert_eq!(s.c.state(), State::Reconnecting);
    let opens = s.opens().len();
    s.c.close(s.now, 1000, "bye").unwrap();
    s.pump();
    assert_eq!(s.c.state(), State::Closed);
    assert_eq!(
        s.events.last(),
        Some(&Event::Close {
            code: 1000,
            reason: "bye".into(),
            was_clean: true
        })
    );
    assert_eq!(s.c.poll_timeout(), None);
    s.advance_to(10_000_000);
    assert_eq!(s.opens().len(), opens, "no further OpenTransport");
}

#[test]
fn close_while_attempt_in_flight_abandons_it() {
    let mut s = Sim::with(&[WebSocket]);
    s.connect();
    s.opened();
    s.drop_link(1006, "");
    s.advance_to(s.c.poll_timeout().unwrap());
    let (id, _) = s.last_open();
    s.send(text("never sent")).unwrap();
    s.c.close(s.now, 3000, "user left").unwrap();
    s.pump();
    assert!(s.actions.contains(&Action::CloseTransport {
        conn_id: id,
        code: 3000,
        reason: "user left".into()
    }));
    // Queued messages are handed back, not silently dropped.
    assert!(s
        .events
        .contains(&Event::Undelivered(vec![text("never sent")])));
    // The abandoned attempt opening late changes nothing.
    s.c.handle_transport_opened(s.now, id);
    s.pump();
    assert_eq!(s.c.state(), State::Closed);
    s.advance_to(1_000_000);
    assert_eq!(s.opens().len(), 2);
    // Closing again is a no-op.
    assert_eq!(s.c.close(s.now, 1000, ""), Ok(()));
}

#[test]
fn close_when_open_flushes_batch_and_waits_for_transport() {
    let mut s = Sim::batching(&[WebSocket]);
    s.connect();
    s.opened();
    s.send_batchable("1").unwrap();
    s.c.close(s.now, 1000, "done").unwrap();
    s.pump();
    let (id, _) = s.last_open();
    let tail: Vec<Action> = s.actions.iter().rev().take(2).rev().cloned().collect();
    assert_eq!(
        tail,
        vec![
            Action::Send {
                conn_id: id,
                payload: text("{\"type\":\"batch\",\"messages\":[1],\"timestamp\":0}")
            },
            Action::CloseTransport {
                conn_id: id,
                code: 1000,
                reason: "done".into()
            }
        ]
    );
    assert_eq!(s.c.state(), State::Closing);
    assert_eq!(s.c.ready_state(), 2);
    assert_eq!(s.c.send(s.now, text("late")), Err(CoreError::Closed));
    s.c.handle_transport_closed(s.now + 3, id, 1000, "done".into(), true);
    s.pump();
    assert_eq!(
        s.events.last(),
        Some(&Event::Close {
            code: 1000,
            reason: "done".into(),
            was_clean: true
        })
    );
    assert_eq!(s.c.ready_state(), 3);
}

#[test]
fn close_timeout_when_transport_never_confirms() {
    let mut s = Sim::with(&[WebSocket]);
    s.connect();
    s.opened();
    s.advance_to(100);
    s.c.close(s.now, 4001, "x").unwrap();
    s.pump();
    assert_eq!(
        s.c.poll_timeout(),
        Some(3_100),
        "one bound: close_timeout_ms (3 s)"
    );
    s.advance_to(3_099);
    assert_eq!(s.c.state(), State::Closing);
    s.advance_to(3_100);
    assert_eq!(s.c.state(), State::Closed);
    assert_eq!(
        s.events.last(),
        Some(&Event::Close {
            code: 4001,
            reason: "x".into(),
            was_clean: false
        })
    );
    // The final close drops every transport; nothing more is due.
    assert!(!s
        .actions
        .iter()
        .any(|a| matches!(a, Action::AbandonTransport { .. })));
    assert_eq!(s.c.poll_timeout(), None);
}

/// Every transport the core asks to close (here: one a heartbeat timeout gave up on, while the
/// socket goes on) has `close_timeout_ms` to report its end; then the core tells the adapter
/// layer to drop it. One that reports its end in time is not abandoned.
#[test]
fn a_transport_that_never_confirms_its_close_is_abandoned() {
    let config = ConnectionConfig {
        heartbeat: Some(HeartbeatConfig {
            interval_ms: 1_000,
            timeout_ms: 500,
            ..HeartbeatConfig::default()
        }),
        transports: vec![WebSocket],
        ..ConnectionConfig::default()
    };
    let mut s = Sim::new(config);
    s.connect();
    s.opened();
    let (first, _) = s.last_open();
    s.advance_to(1_500); // ping at 1 000, no pong by 1 500
    assert!(s.actions.contains(&Action::CloseTransport {
        conn_id: first,
        code: 4000,
        reason: "heartbeat timeout".into()
    }));
    s.advance_to(4_499);
    assert!(!s
        .actions
        .contains(&Action::AbandonTransport { conn_id: first }));
    s.advance_to(4_500);
    assert!(s
        .actions
        .contains(&Action::AbandonTransport { conn_id: first }));

    // The reconnected link is closed by the application and confirms in time: no abandon.
    s.opened();
    let (second, _) = s.last_open();
    assert_ne!(second, first);
    s.take_actions();
    s.c.close(s.now, 1000, "bye").unwrap();
    s.pump();
    s.advance(1_000);
    s.c.handle_transport_closed(s.now, second, 1000, "bye".into(), true);
    s.pump();
    s.advance(10_000);
    assert!(!s
        .actions
        .iter()
        .any(|a| matches!(a, Action::AbandonTransport { .. })));
    assert_eq!(
        s.events.last(),
        Some(&Event::Close {
            code: 1000,
            reason: "bye".into(),
            was_clean: true
        })
    );
}

#[test]
fn close_validation() {
    let mut s = Sim::with(&[WebSocket]);
    s.connect();
    s.opened();
    assert_eq!(
        s.c.close(0, 1001, ""),
        Err(CoreError::InvalidCloseCode(1001))
    );
    assert_eq!(
        s.c.close(0, 2999, ""),
        Err(CoreError::InvalidCloseCode(2999))
    );
    assert_eq!(
        s.c.close(0, 5000, ""),
        Err(CoreError::InvalidCloseCode(5000))
    );
    let long = "é".repeat(62); // 124 bytes
    let e = s.c.close(0, 1000, &long).unwrap_err();
    assert_eq!(e, CoreError::CloseReasonTooLong { len: 124 });
    assert!(e.to_string().contains("123"));
    assert_eq!(s.c.state(), State::Open, "a rejected close changes nothing");
}

#[test]
fn oversized_send_is_rejected_and_not_queued() {
    let mut s = Sim::new(ConnectionConfig {
        supported: [WebSocket].into_iter().collect(),
        heartbeat: None,
        max_message_size: 10,
        ..ConnectionConfig::default()
    });
    let e = s.send(Payload::Binary(vec![0; 11])).unwrap_err();
    assert_eq!(e, CoreError::MessageTooLarge { size: 11, max: 10 });
    assert_eq!(s.c.queued_messages(), 0);
    s.connect();
    s.opened();
    assert!(s.send(text("01234567890")).is_err());
    assert!(s.sent().is_empty());
}

#[test]
fn queue_overflow_reject() {
    let mut s = Sim::new(ConnectionConfig {
        supported: [WebSocket].into_iter().collect(),
        heartbeat: None,
        queue: QueueConfig {
            max_messages: 2,
            max_bytes: 1000,
            overflow: OverflowPolicy::Reject,
        },
        ..ConnectionConfig::default()
    });
    s.connect();
    s.send(text("a")).unwrap();
    s.send(text("b")).unwrap();
    assert_eq!(
        s.send(text("c")),
        Err(CoreError::Queue(QueueError::Full {
            messages: 2,
            bytes: 2
        }))
    );
    assert!(!s
        .events
        .iter()
        .any(|e| matches!(e, Event::QueueOverflow { .. })));
    s.opened();
    assert_eq!(s.sent(), vec![text("a"), text("b")]);
}

/// `queue.maxMessages: 0` is a socket that queues nothing: a send while not open is refused,
/// and the error says it is the message limit, not the message's size. Before, it read
/// "message of 5 bytes can never fit the send queue limit of 16777216 bytes".
#[test]
fn a_queue_of_no_messages_says_so() {
    for overflow in [OverflowPolicy::Reject, OverflowPolicy::DropOldest] {
        let mut s = Sim::new(ConnectionConfig {
            supported: [WebSocket].into_iter().collect(),
            heartbeat: None,
            queue: QueueConfig {
                max_messages: 0,
                overflow,
                ..QueueConfig::default()
            },
            ..ConnectionConfig::default()
        });
        s.connect();
        let error = s.send(text("hello")).unwrap_err();
        assert_eq!(error, CoreError::Queue(QueueError::NoMessages));
        assert_eq!(
            error.message(),
            "the send queue holds no messages (its limit is 0), so nothing can wait to be sent"
        );
        s.opened();
        assert!(s.sent().is_empty());
        s.send(text("now")).unwrap();
        assert_eq!(s.sent(), vec![text("now")]);
    }
}

#[test]
fn queue_overflow_drop_oldest_reports() {
    let mut s = Sim::new(ConnectionConfig {
        supported: [WebSocket].into_iter().collect(),
        heartbeat: None,
        queue: QueueConfig {
            max_messages: 2,
            max_bytes: 1000,
            overflow: OverflowPolicy::DropOldest,
        },
        ..ConnectionConfig::default()
    });
    s.connect();
    for m in ["a", "b", "c", "d"] {
        s.send(text(m)).unwrap();
    }
    assert_eq!(
        s.events,
        vec![
            Event::QueueOverflow { dropped: 1 },
            Event::QueueOverflow { dropped: 1 }
        ]
    );
    s.opened();
    assert_eq!(s.sent(), vec![text("c"), text("d")]);
}

#[test]
fn fallback_across_all_four_and_back_up() {
    let mut s = Sim::new(ConnectionConfig {
        heartbeat: None,
        batch: None,
        upgrade_after_ms: Some(60_000),
        ..ConnectionConfig::default()
    });
    s.connect();
    assert_eq!(s.last_open(), (1, WebTransport));
    s.fail("WebTransport handshake failed");
    assert_eq!(s.last_open(), (2, WebSocket));
    s.drop_link(1006, ""); // closed before open
    assert_eq!(s.last_open(), (3, Sse));
    s.advance(2000); // connect timeout
    assert!(s.actions.contains(&Action::CloseTransport {
        conn_id: 3,
        code: 4001,
        reason: "connect timeout".into()
    }));
    assert_eq!(s.last_open(), (4, LongPolling));
    s.opened();
    let fallbacks: Vec<Event> = s
        .events
        .iter()
        .filter(|e| matches!(e, Event::Fallback { .. }))
        .cloned()
        .collect();
    assert_eq!(
        fallbacks,
        vec![
            Event::Fallback {
                from: WebTransport,
                to: WebSocket,
                reason: "WebTransport handshake failed".into()
            },
            Event::Fallback {
                from: WebSocket,
                to: Sse,
                reason: "closed before open (code 1006)".into()
            },
            Event::Fallback {
                from: Sse,
                to: LongPolling,
                reason: "connect timeout after 2000 ms".into()
            },
        ]
    );
    assert_eq!(s.events.last(), Some(&Event::Open { kind: LongPolling }));
    assert_eq!(s.c.transport(), Some(LongPolling));

    // A drop soon after: the reconnect starts with what last worked.
    s.advance_to(10_000);
    s.drop_link(1006, "");
    s.advance(1000);
    assert_eq!(s.last_open().1, LongPolling);
    s.opened();
    assert!(s.events.contains(&Event::Reconnected { kind: LongPolling }));

    // A drop after the upgrade window (60 s since WebTransport last failed at t=0): the
    // reconnect starts from the top again and WebTransport is back.
    s.advance_to(70_000);
    s.drop_link(1006, "");
    s.advance(1000);
    assert_eq!(s.last_open().1, WebTransport);
    s.opened();
    assert_eq!(s.c.transport(), Some(WebTransport));
    assert!(s
        .events
        .contains(&Event::Reconnected { kind: WebTransport }));
    let st = s.c.stats(80_000);
    assert_eq!(st.time_on(LongPolling), (10_000 - 2000) + (70_000 - 11_000));
    assert_eq!(st.time_on(WebTransport), 80_000 - 71_000);
    assert_eq!(st.time_on(WebSocket), 0);
}

#[test]
fn initial_connect_failure_reports_every_transport_and_closes() {
    let mut s = Sim::new(ConnectionConfig {
        heartbeat: None,
        ..ConnectionConfig::default()
    });
    s.send(text("queued")).unwrap();
    s.connect();
    for k in TransportKind::ALL {
        assert_eq!(s.last_open().1, k);
        s.fail(&format!("{k} down"));
    }
    let tried: Vec<(TransportKind, String)> = TransportKind::ALL
        .iter()
        .map(|k| (*k, format!("{k} down")))
        .collect();
    assert!(s.events.contains(&Event::ConnectFailed { tried }));
    assert!(s.events.contains(&Event::Undelivered(vec![text("queued")])));
    assert!(matches!(
        s.events.last(),
        Some(Event::Close { code: 1006, .. })
    ));
    assert_eq!(s.c.state(), State::Closed);
    assert_eq!(
        s.c.poll_timeout(),
        None,
        "no backoff after a failed initial connect"
    );
    // The application may start over.
    s.c.handle_connect(s.now).unwrap();
    s.pump();
    assert_eq!(s.c.state(), State::Connecting);
    assert_eq!(s.last_open().1, WebTransport);
}

#[test]
fn no_supported_transport() {
    let mut s = Sim::new(ConnectionConfig {
        supported: TransportSet::empty(),
        ..ConnectionConfig::default()
    });
    s.connect();
    assert_eq!(s.events[0], Event::ConnectFailed { tried: vec![] });
    assert_eq!(s.c.state(), State::Closed);
}

#[test]
fn stale_conn_id_events_are_ignored() {
    let mut s = Sim::with(&[WebSocket, Sse]);
    s.connect();
    s.advance(2000); // websocket (id 1) times out, sse (id 2) is tried
    assert_eq!(s.last_open(), (2, Sse));
    let before = s.events.len();
    s.c.handle_transport_opened(s.now, 1);
    s.c.handle_incoming(s.now, 1, text("ghost"));
    s.c.handle_transport_failed(s.now, 1, "late".into());
    s.c.handle_transport_closed(s.now, 1, 1000, "".into(), true);
    s.c.handle_transport_opened(s.now, 99);
    s.pump();
    assert_eq!(s.events.len(), before);
    assert_eq!(s.c.state(), State::Connecting);
    s.opened();
    assert_eq!(s.c.transport(), Some(Sse));
    s.c.handle_incoming(s.now, 1, text("ghost"));
    s.pump();
    assert!(!s.events.iter().any(|e| matches!(e, Event::Message(_))));
    // Opened twice for the same id: the second is ignored.
    s.c.handle_transport_opened(s.now, 2);
    s.pump();
    assert_eq!(
        s.events
            .iter()
            .filter(|e| matches!(e, Event::Open { .. }))
            .count(),
        1
    );
}

#[test]
fn failure_after_open_counts_as_abnormal_close() {
    let mut s = Sim::with(&[WebSocket]);
    s.connect();
    s.opened();
    s.fail("network error");
    assert!(s.events.contains(&Event::Disconnected {
        code: 1006,
        reason: "network error".into(),
        was_clean: false
    }));
    assert_eq!(s.c.state(), State::Reconnecting);
}

#[test]
fn jitter_is_seeded_and_bounded() {
    let run = |seed| {
        let mut c = Connection::new(
            ConnectionConfig {
                supported: [WebSocket].into_iter().collect(),
                heartbeat: None,
                backoff: BackoffConfig {
                    jitter: 0.5,
                    max_attempts: None,
                    ..BackoffConfig::default()
                },
                ..ConnectionConfig::default()
            },
            seed,
        );
        let mut now = 0;
        c.handle_connect(now).unwrap();
        c.handle_transport_opened(now, 1);
        c.handle_transport_closed(now, 1, 1006, String::new(), false);
        let mut delays = Vec::new();
        for _ in 0..8 {
            while let Some(e) = c.poll_event() {
                if let Event::Reconnecting { delay_ms, .. } = e {
                    delays.push(delay_ms);
                }
            }
            now = c.poll_timeout().unwrap();
            c.handle_timeout(now);
            c.handle_transport_failed(now, c.conn_id(), "x".into());
        }
        delays
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
    let exact = [1000u64, 1500, 2250, 3375, 5062, 7593, 11390, 17085];
    for (d, e) in run(3).into_iter().zip(exact) {
        assert!(d <= e && d >= e / 2, "{d} vs {e}");
    }
}

#[test]
fn stats_count_both_directions() {
    let mut s = Sim::with(&[WebSocket]);
    s.connect();
    s.advance_to(100);
    s.opened();
    s.send(text("abc")).unwrap();
    s.incoming(Payload::Binary(vec![1, 2, 3, 4]));
    s.incoming(text("hi"));
    s.advance_to(600);
    let st = s.c.stats(s.now);
    assert_eq!(st.messages_sent, 1);
    assert_eq!(st.bytes_sent, 3);
    assert_eq!(st.messages_received, 2);
    assert_eq!(st.bytes_received, 6);
    assert_eq!(st.time_on(WebSocket), 500);
}

#[test]
fn one_late_timer_tick_runs_everything_due() {
    // A throttled background tab may fire one timer long after several deadlines passed.
    let mut c = Connection::new(
        ConnectionConfig {
            supported: [WebSocket].into_iter().collect(),
            ..ConnectionConfig::default()
        },
        1,
    );
    c.handle_connect(0).unwrap();
    c.handle_transport_opened(0, 1);
    c.send_batchable(10, "1".into()).unwrap();
    // Batch flush (110) and first ping (30000) are both due at 30000.
    c.handle_timeout(30_000);
    let sends: Vec<Payload> = std::iter::from_fn(|| c.poll_action())
        .filter_map(|a| match a {
            Action::Send { payload, .. } => Some(payload),
            _ => None,
        })
        .collect();
    assert_eq!(
        sends,
        vec![
            text("ping"),
            text("{\"type\":\"batch\",\"messages\":[1],\"timestamp\":30000}")
        ]
    );
    assert_eq!(c.poll_timeout(), Some(60_000), "pong deadline");
}

/// A close before open with a reason reads as the `format!` the message used to be built with.
#[test]
fn close_before_open_with_reason_names_code_and_reason() {
    let mut s = Sim::new(ConnectionConfig {
        heartbeat: None,
        batch: None,
        ..ConnectionConfig::default()
    });
    s.connect();
    assert_eq!(s.last_open(), (1, WebTransport));
    s.drop_link(4403, "forbidden: \"x\"");
    assert_eq!(s.last_open(), (2, WebSocket));
    assert!(s.events.contains(&Event::Fallback {
        from: WebTransport,
        to: WebSocket,
        reason: format!("closed before open (code {}: {})", 4403, "forbidden: \"x\""),
    }));
}

/// An adapter that announced its end (`handle_transport_ending`: the server closed, and it is
/// still delivering what came before) and then never says more is given up on after the same
/// close wait; it then ends with the outcome it announced. Messages it delivers meanwhile still
/// reach the application.
#[test]
fn an_ending_transport_that_never_finishes_ends_with_its_announced_outcome() {
    let mut s = Sim::with(&[WebSocket]);
    s.connect();
    s.opened();
    let (id, _) = s.last_open();
    s.advance_to(1_000);
    s.c.handle_transport_ending(s.now, id, 4321, "server bye".into(), true);
    s.pump();
    s.incoming(text("sent before the close"));
    assert_eq!(
        s.events.last(),
        Some(&Event::Message(text("sent before the close")))
    );
    s.advance_to(3_999);
    assert!(!s
        .actions
        .contains(&Action::AbandonTransport { conn_id: id }));
    assert_eq!(s.c.state(), State::Open);
    s.advance_to(4_000);
    assert!(s
        .actions
        .contains(&Action::AbandonTransport { conn_id: id }));
    // The adapter layer drops it, then tells the core.
    s.c.handle_transport_abandoned(s.now, id);
    s.pump();
    assert!(s.events.contains(&Event::Disconnected {
        code: 4321,
        reason: "server bye".into(),
        was_clean: true
    }));
    assert_eq!(s.c.state(), State::Reconnecting);
    // Once only: a late `Closed` from the dropped adapter is stale.
    s.c.handle_transport_abandoned(s.now, id);
    s.pump();
    assert_eq!(
        s.events
            .iter()
            .filter(|e| matches!(e, Event::Disconnected { .. }))
            .count(),
        1
    );
}

/// An ending transport that reports its end in time is not given up on, and its own outcome
/// (not the announced one) is what the application sees.
#[test]
fn an_ending_transport_that_finishes_in_time_is_not_abandoned() {
    let mut s = Sim::with(&[WebSocket]);
    s.connect();
    s.opened();
    let (id, _) = s.last_open();
    s.c.handle_transport_ending(s.now, id, 1006, "stream ended".into(), false);
    s.pump();
    s.advance(500);
    s.c.handle_transport_closed(s.now, id, 4000, "the real reason".into(), true);
    s.pump();
    s.advance(10_000);
    assert!(!s
        .actions
        .contains(&Action::AbandonTransport { conn_id: id }));
    assert!(s.events.contains(&Event::Disconnected {
        code: 4000,
        reason: "the real reason".into(),
        was_clean: true
    }));
}

/// The server's close frame (a WebTransport stream's, decoded by the caller) is the link's
/// outcome whatever its adapter reports next: the stream's end or the session's `closed` may
/// say 1006, or nothing, once the frame was read. Open, the application sees the server's code
/// clean; during its own close, the close ends with the server's answer.
#[test]
fn a_close_frame_is_the_links_outcome_whatever_the_adapter_reports_next() {
    let mut s = Sim::with(&[WebSocket]);
    s.connect();
    s.opened();
    let (id, _) = s.last_open();
    s.c.handle_close_frame(s.now, id, 4321, "server bye".into());
    s.pump();
    s.c.handle_transport_ending(s.now, id, 1006, "stream ended".into(), false);
    s.c.handle_transport_closed(s.now, id, 1006, String::new(), false);
    s.pump();
    assert!(
        s.events.contains(&Event::Disconnected {
            code: 4321,
            reason: "server bye".into(),
            was_clean: true
        }),
        "{:?}",
        s.events
    );

    let mut s = Sim::with(&[WebSocket]);
    s.connect();
    s.opened();
    let (id, _) = s.last_open();
    s.c.close(s.now, 1000, "").unwrap();
    s.pump();
    s.c.handle_close_frame(s.now, id, 1000, String::new());
    s.c.handle_transport_closed(s.now, id, 1006, String::new(), false);
    s.pump();
    assert_eq!(
        s.events.last(),
        Some(&Event::Close {
            code: 1000,
            reason: String::new(),
            was_clean: true
        })
    );
}

/// Review of the close wait (risk 3): when the application's close runs to its deadline while
/// the transport has announced its end (the server answered; the reader is still draining, or
/// an HTTP close POST was acknowledged), the close ends with that announced outcome.
#[test]
fn a_close_deadline_takes_the_outcome_the_transport_announced() {
    let mut s = Sim::with(&[WebSocket]);
    s.connect();
    s.opened();
    let (id, _) = s.last_open();
    s.c.close(s.now, 4001, "bye").unwrap();
    s.pump();
    s.advance(200);
    s.c.handle_transport_ending(s.now, id, 4001, "bye".into(), true);
    s.pump();
    s.advance(3_000);
    assert_eq!(
        s.events.last(),
        Some(&Event::Close {
            code: 4001,
            reason: "bye".into(),
            was_clean: true
        })
    );
}

/// Risk 4: while the current link announces its end, no heartbeat times it out (the server's
/// outcome, perhaps a goodbye, is not turned into a 4000) and new messages wait in the queue for
/// the next link.
#[test]
fn an_ending_link_is_not_timed_out_by_the_heartbeat_and_holds_new_sends() {
    let mut s = a_ping_out();
    let (id, _) = s.last_open();
    s.c.handle_transport_ending(s.now, id, 1001, "going away".into(), true);
    s.pump();
    s.take_actions();
    s.send(text("after the announcement")).unwrap();
    assert!(s.sent().is_empty(), "held for the next link");
    s.advance_to(2_000);
    assert!(
        !s.events
            .iter()
            .any(|e| matches!(e, Event::Disconnected { code: 4000, .. })),
        "{:?}",
        s.events
    );
    s.c.handle_transport_closed(s.now, id, 1001, "going away".into(), true);
    s.pump();
    assert!(s.events.contains(&Event::Disconnected {
        code: 1001,
        reason: "going away".into(),
        was_clean: true
    }));
    s.advance(2_000);
    s.opened();
    assert!(s.sent().contains(&text("after the announcement")));
}

/// `close()` while the current link has announced its end (`handle_transport_ending`: the
/// WebTransport stream ended and the session's `closed` is awaited, a WebSocketStream's
/// `closed` settled while its reader drains): the link's end came first, so the close completes
/// with the link's outcome, as a WebSocket's `close()` does once the server's close frame has
/// arrived. The close is asked of the transport all the same (an adapter whose connection still
/// lingers closes it with the application's code), the promise resolves once (one `Close`), no
/// reconnect follows, and what waited in the queue meanwhile is handed back first. The same
/// when the transport never finishes: the close wait ends it with the announced outcome.
#[test]
fn a_close_during_an_ending_completes_once_with_the_links_outcome() {
    for finishes in [true, false] {
        let mut s = Sim::with(&[WebTransport]);
        s.connect();
        s.opened();
        let (id, _) = s.last_open();
        s.advance_to(1_000);
        s.c.handle_transport_ending(s.now, id, 1006, "the stream failed".into(), false);
        s.pump();
        s.send(text("sent in the window")).unwrap();
        assert!(s.sent().is_empty(), "held: the link takes nothing more");
        s.advance(5);
        s.c.close(s.now, 4100, "bye").unwrap();
        s.pump();
        assert!(
            s.actions.contains(&Action::CloseTransport {
                conn_id: id,
                code: 4100,
                reason: "bye".into()
            }),
            "{:?}",
            s.actions
        );
        assert_eq!(s.c.state(), State::Closing);
        if finishes {
            s.advance(1);
            s.c.handle_transport_closed(s.now, id, 1006, "connection lost".into(), false);
            s.pump();
        } else {
            s.advance_to(4_000);
            assert!(s
                .actions
                .contains(&Action::AbandonTransport { conn_id: id }));
            s.c.handle_transport_abandoned(s.now, id);
            s.pump();
        }
        s.advance(60_000);
        let reason = if finishes {
            "connection lost"
        } else {
            "the stream failed"
        };
        assert_eq!(s.c.state(), State::Closed);
        let closes: Vec<&Event> = s
            .events
            .iter()
            .filter(|e| matches!(e, Event::Close { .. }))
            .collect();
        assert_eq!(
            closes,
            vec![&Event::Close {
                code: 1006,
                reason: reason.into(),
                was_clean: false
            }],
            "{:?}",
            s.events
        );
        assert!(!s
            .events
            .iter()
            .any(|e| matches!(e, Event::Disconnected { .. } | Event::Reconnecting { .. })));
        assert_eq!(
            common::undelivered(&s.events),
            vec![text("sent in the window")]
        );
        assert_eq!(s.opens().len(), 1);
    }
}

/// Open on WebSocket with a heartbeat of 1 s (timeout 0.5 s), at 1.1 s: a ping is
/// outstanding, its pong due at 1.5 s.
fn a_ping_out() -> Sim {
    let mut s = Sim::new(ConnectionConfig {
        heartbeat: Some(HeartbeatConfig {
            interval_ms: 1_000,
            timeout_ms: 500,
            ..HeartbeatConfig::default()
        }),
        transports: vec![WebSocket],
        batch: None,
        ..ConnectionConfig::default()
    });
    s.connect();
    s.opened();
    s.advance_to(1_100);
    s
}

/// The pong of a ping that was out when `close()` was called is still the heartbeat's, and is
/// consumed: it reached the application as a `"pong"` message before (the close forgot the
/// ping), where an app that parses every message as JSON throws.
#[test]
fn a_pong_arriving_after_close_is_consumed() {
    let mut s = a_ping_out();
    assert_eq!(s.sent(), vec![text("ping")]);
    s.c.close(s.now, 1000, "bye").unwrap();
    s.pump();
    s.incoming(text("pong"));
    assert!(
        !s.events.iter().any(|e| matches!(e, Event::Message(_))),
        "{:?}",
        s.events
    );
    // A second "pong" answers nothing: the application's own text, delivered.
    s.incoming(text("pong"));
    assert_eq!(s.events.last(), Some(&Event::Message(text("pong"))));
}

/// The same for a link that announced its end (a server's goodbye) while a ping was out: the
/// server may still answer it before the link closes.
#[test]
fn a_pong_arriving_on_an_ending_link_is_consumed() {
    let mut s = a_ping_out();
    let (id, _) = s.last_open();
    s.c.handle_transport_ending(s.now, id, 1001, "going away".into(), true);
    s.pump();
    s.incoming(text("pong"));
    assert!(
        !s.events.iter().any(|e| matches!(e, Event::Message(_))),
        "{:?}",
        s.events
    );
    // And no ping timer was re-armed by it: nothing more is sent on the ending link.
    s.take_actions();
    s.advance_to(3_000);
    assert!(s.sent().is_empty());
}

/// The driver dispatches the core's events one at a time, and a listener may call `close()`
/// in between: queued events that announce a next try the close cancels (`reconnecting`, a
/// `fallback` to the next transport) are dropped, so that nothing after `close()` tells the
/// application a retry is coming. Before, a `close()` in the `disconnect` listener was followed
/// by `reconnecting` (with `readyState` CLOSED), then `close`. What already happened keeps its
/// place: a `disconnect` queued behind the event whose listener closes still says why the link
/// ended, and an `open` still comes (the driver takes the link's subprotocol from it).
#[test]
fn close_from_a_listener_drops_the_queued_events_it_cancels() {
    let mut s = Sim::with(&[WebSocket]);
    s.connect();
    s.opened();
    s.take_events();
    let id = s.c.conn_id();
    s.c.handle_transport_closed(s.now, id, 1006, "gone".into(), false);
    assert!(matches!(s.c.poll_event(), Some(Event::Disconnected { .. })));
    // The `disconnect` listener closes.
    s.c.close(s.now, 1000, "bye").unwrap();
    s.pump();
    assert_eq!(
        s.events,
        vec![Event::Close {
            code: 1000,
            reason: "bye".into(),
            was_clean: true
        }]
    );

    // A listener of an earlier event closes while `disconnect` and `reconnecting` wait.
    let mut s = Sim::with(&[WebSocket]);
    s.connect();
    s.opened();
    s.take_events();
    let id = s.c.conn_id();
    s.c.handle_incoming(s.now, id, text("last words"));
    s.c.handle_transport_closed(s.now, id, 1001, "going away".into(), true);
    assert_eq!(s.c.poll_event(), Some(Event::Message(text("last words"))));
    s.c.close(s.now, 1000, "bye").unwrap();
    s.pump();
    assert_eq!(
        s.events,
        vec![
            Event::Disconnected {
                code: 1001,
                reason: "going away".into(),
                was_clean: true
            },
            Event::Close {
                code: 1000,
                reason: "bye".into(),
                was_clean: true
            }
        ]
    );

    // The first transport failed and the next is being tried: a close from a listener that
    // runs before the `fallback` is dispatched drops it.
    let mut s = Sim::with(&[WebTransport, WebSocket]);
    s.connect();
    s.take_events();
    s.c.handle_transport_failed(s.now, s.c.conn_id(), "refused".into());
    s.c.close(s.now, 1000, "bye").unwrap();
    s.pump();
    assert!(
        !s.events.iter().any(|e| matches!(e, Event::Fallback { .. })),
        "{:?}",
        s.events
    );
    assert!(matches!(s.events.last(), Some(Event::Close { .. })));
}

/// What an application's second `connect()` does, decided by the core: it starts only before
/// the first connect or after the final close, joins while connecting or reconnecting, and is
/// done at once on an open link.
#[test]
fn a_second_connect_joins_or_is_done() {
    let mut s = Sim::with(&[WebSocket]);
    assert_eq!(s.c.connect_joins(), None, "nothing started yet");
    s.connect();
    assert_eq!(s.c.connect_joins(), Some(false), "connecting");
    s.opened();
    assert_eq!(s.c.connect_joins(), Some(true), "open");
    s.drop_link(1006, "gone");
    assert_eq!(s.c.connect_joins(), Some(false), "reconnecting");
    s.c.close(s.now, 1000, "bye").unwrap();
    s.pump();
    assert_eq!(s.c.connect_joins(), None, "closed: starts over");
}

/// The adapter layer's one timer: armed for an earlier deadline than the one it holds (or when
/// it holds none), left as it is for a later one (it fires early, finds nothing due, and is
/// armed again), cancelled once the socket has closed.
#[test]
fn the_timer_is_armed_only_for_an_earlier_deadline_and_cancelled_at_the_close() {
    let mut s = Sim::with(&[WebSocket]);
    s.connect();
    let deadline = s.c.poll_timeout().expect("the connect timeout");
    assert_eq!(s.c.poll_timer(None), TimerChange::Arm(deadline));
    assert_eq!(s.c.poll_timer(Some(deadline)), TimerChange::Keep);
    assert_eq!(s.c.poll_timer(Some(deadline - 1)), TimerChange::Keep);
    assert_eq!(
        s.c.poll_timer(Some(deadline + 1)),
        TimerChange::Arm(deadline)
    );
    s.opened();
    let (id, _) = s.last_open();
    s.c.close(s.now, 1000, "").unwrap();
    s.pump();
    s.c.handle_transport_closed(s.now, id, 1000, String::new(), true);
    s.pump();
    assert_eq!(s.c.state(), State::Closed);
    assert_eq!(s.c.poll_timer(Some(deadline)), TimerChange::Cancel);
    assert_eq!(s.c.poll_timer(None), TimerChange::Keep);
}
