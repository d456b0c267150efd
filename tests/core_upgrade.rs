#![cfg(not(target_arch = "wasm32"))]
//! Scenario tests of the climb back to a better transport while a worse one works (issue
//! "Correct on every transport", defect 13).

mod common;

use common::{text, Sim};
use universal_socket::core::{
    Action, ConnectionConfig, Event, HeartbeatConfig, Payload, TransportKind,
};
use TransportKind::*;

/// Open on SSE after WebTransport and WebSocket failed, probing every second.
fn on_sse_after_fallback() -> Sim {
    on_sse_after_fallback_with(None)
}

/// [`on_sse_after_fallback`] with a heartbeat.
fn on_sse_after_fallback_with(heartbeat: Option<HeartbeatConfig>) -> Sim {
    let mut s = Sim::new(ConnectionConfig {
        heartbeat,
        batch: None,
        upgrade_after_ms: Some(1000),
        ..ConnectionConfig::default()
    });
    s.connect();
    s.fail("no udp");
    s.fail("blocked");
    s.opened();
    assert_eq!(s.c.transport(), Some(Sse));
    s.take_actions();
    s.take_events();
    s
}

fn closes(actions: &[Action]) -> Vec<(u64, u16)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::CloseTransport { conn_id, code, .. } => Some((*conn_id, *code)),
            _ => None,
        })
        .collect()
}

#[test]
fn climbs_back_without_dropping_the_working_transport() {
    let mut s = on_sse_after_fallback();
    let sse = s.c.conn_id();
    s.advance(999);
    assert!(s.opens().is_empty(), "no probe before the window");
    s.advance(1);
    assert_eq!(
        s.opens(),
        vec![WebTransport],
        "the best transport is probed first"
    );
    assert!(closes(&s.actions).is_empty(), "SSE keeps working meanwhile");
    // Messages still go out on SSE while the probe opens.
    s.send(text("during probe")).unwrap();
    assert!(s
        .actions
        .iter()
        .any(|a| matches!(a, Action::Send { conn_id, .. } if *conn_id == sse)));
    s.fail("still no udp");
    assert_eq!(
        s.opens(),
        vec![WebTransport, WebSocket],
        "next better one at once"
    );
    s.take_events();
    s.opened();
    let ws = s.c.conn_id();
    assert_ne!(ws, sse);
    assert_eq!(s.c.transport(), Some(WebSocket));
    assert_eq!(
        s.events,
        vec![
            Event::Upgraded {
                from: Sse,
                to: WebSocket
            },
            Event::Open { kind: WebSocket }
        ]
    );
    assert_eq!(
        closes(&s.actions),
        vec![(sse, 1000)],
        "old transport closed gracefully"
    );
    // What the old transport still delivers reaches the application; its close is quiet.
    s.take_events();
    s.c.handle_incoming(s.now, sse, text("late echo"));
    s.c.handle_transport_closed(s.now, sse, 1000, "upgrading".into(), true);
    s.pump();
    assert_eq!(s.events, vec![Event::Message(text("late echo"))]);
    // New messages use the new transport.
    s.take_actions();
    s.send(text("after")).unwrap();
    assert_eq!(
        s.actions,
        vec![Action::Send {
            conn_id: ws,
            payload: Payload::Text("after".into())
        }]
    );
}

#[test]
fn a_failed_round_waits_a_window_and_a_drop_promotes_the_probe() {
    let mut s = on_sse_after_fallback();
    s.advance(1000);
    s.fail("no");
    s.fail("no");
    assert_eq!(s.opens(), vec![WebTransport, WebSocket]);
    s.take_actions();
    s.advance(999);
    assert!(s.opens().is_empty());
    s.advance(1);
    assert_eq!(s.opens(), vec![WebTransport]);
    let (probe, _) = s.last_open();
    s.take_actions();
    s.take_events();
    // The working transport drops while the probe is in flight: the probe goes on opening as
    // the reconnect attempt, at once (a v2 server may already have moved the session to it;
    // before, it was closed with 4002 and the reconnect opened another transport after its
    // backoff).
    s.drop_link(1006, "gone");
    assert!(closes(&s.actions).is_empty(), "{:?}", s.actions);
    assert!(s.opens().is_empty(), "nothing else is opened meanwhile");
    assert!(matches!(
        s.events.as_slice(),
        [
            Event::Disconnected { code: 1006, .. },
            Event::Reconnecting {
                attempt: 1,
                delay_ms: 0
            }
        ]
    ));
    assert_eq!(s.c.conn_id(), probe, "the probe is the attempt");
    s.take_events();
    s.c.handle_transport_opened(s.now, probe);
    s.pump();
    assert_eq!(
        s.events,
        vec![
            Event::Open { kind: WebTransport },
            Event::Reconnected { kind: WebTransport }
        ]
    );
    assert_eq!(s.c.conn_id(), probe);
}

#[test]
fn a_promoted_probe_that_fails_falls_back_like_any_attempt() {
    let mut s = on_sse_after_fallback();
    s.advance(1000);
    assert_eq!(s.opens(), vec![WebTransport]);
    let (probe, _) = s.last_open();
    s.take_actions();
    s.drop_link(1006, "gone");
    s.take_events();
    // The promoted probe fails: the round goes on with the next transport, at once.
    s.c.handle_transport_failed(s.now, probe, "no udp".into());
    s.pump();
    assert_eq!(s.opens(), vec![WebSocket]);
    assert!(matches!(
        s.events.as_slice(),
        [Event::Fallback {
            from: WebTransport,
            to: WebSocket,
            ..
        }]
    ));
    s.opened();
    assert!(s.events.contains(&Event::Reconnected { kind: WebSocket }));
}

#[test]
fn a_promoted_probe_that_misses_its_deadline_times_out_as_an_attempt() {
    let mut s = on_sse_after_fallback();
    s.advance(1000);
    let started = s.now;
    let (probe, _) = s.last_open();
    s.take_actions();
    // Dropped half-way through the probe's connect timeout: the probe keeps its own deadline.
    let timeout = ConnectionConfig::default().connect_timeout_ms;
    s.advance(timeout / 2);
    s.drop_link(1006, "gone");
    s.advance_to(started + timeout - 1);
    assert!(closes(&s.actions).is_empty(), "{:?}", s.actions);
    s.advance_to(started + timeout);
    assert!(
        closes(&s.actions).contains(&(probe, 4001)),
        "{:?}",
        s.actions
    );
    assert_eq!(s.opens(), vec![WebSocket], "the round goes on");
}

#[test]
fn after_a_promoted_probe_fails_the_round_skips_what_the_probes_saw_fail() {
    let mut s = on_sse_after_fallback();
    s.advance(1000);
    s.fail("still no udp");
    let (probe, kind) = s.last_open();
    assert_eq!(kind, WebSocket);
    s.take_actions();
    s.drop_link(1006, "gone");
    s.c.handle_transport_failed(s.now, probe, "blocked".into());
    s.pump();
    // WebTransport failed as a probe a moment ago: the round goes on down, to SSE.
    assert_eq!(s.opens(), vec![Sse]);
}

#[test]
fn a_final_loss_closes_the_probe_as_a_goodbye() {
    let mut s = on_sse_after_fallback();
    s.advance(1000);
    let (probe, _) = s.last_open();
    s.take_actions();
    // The server's clean 1000 ends the socket: the probe goes with 1000, not with the 4002 that
    // has a v2 server keep a session it may have moved to the probe.
    let sse = s.c.conn_id();
    s.c.handle_transport_closed(s.now, sse, 1000, "bye".into(), true);
    s.pump();
    assert_eq!(closes(&s.actions), vec![(probe, 1000)]);
}

#[test]
fn a_probe_that_never_opens_times_out() {
    let mut s = on_sse_after_fallback();
    s.advance(1000);
    let (probe, kind) = s.last_open();
    assert_eq!(kind, WebTransport);
    s.advance(2000); // connect timeout
    assert!(closes(&s.actions).contains(&(probe, 4001)));
    assert_eq!(s.opens(), vec![WebTransport, WebSocket]);
    assert_eq!(s.c.transport(), Some(Sse));
}

#[test]
fn no_probe_when_disabled_or_on_the_best_transport() {
    let mut s = Sim::new(ConnectionConfig {
        heartbeat: None,
        batch: None,
        upgrade_after_ms: None,
        ..ConnectionConfig::default()
    });
    s.connect();
    s.fail("no");
    s.opened();
    s.take_actions();
    s.advance(10_000_000);
    assert!(s.opens().is_empty());

    let mut best = Sim::new(ConnectionConfig {
        heartbeat: None,
        batch: None,
        upgrade_after_ms: Some(10),
        ..ConnectionConfig::default()
    });
    best.connect();
    best.opened();
    best.take_actions();
    best.advance(1000);
    assert!(best.opens().is_empty());
}

#[test]
fn a_pong_answering_a_ping_sent_before_the_upgrade_is_not_delivered() {
    let mut s = on_sse_after_fallback_with(Some(HeartbeatConfig {
        interval_ms: 1000,
        timeout_ms: 5000,
        ..Default::default()
    }));
    let sse = s.c.conn_id();
    s.advance(1000); // a ping on SSE, and the probe of WebTransport
    assert!(s.sent().contains(&text("ping")));
    s.opened(); // WebTransport took over
    s.take_events();
    s.c.handle_incoming(s.now, sse, text("pong"));
    s.pump();
    assert!(
        !s.events.iter().any(|e| matches!(e, Event::Message(_))),
        "the pong went to the application: {:?}",
        s.events
    );
}
