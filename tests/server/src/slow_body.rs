//! Poll answers whose body streams slowly and records how it ended (PROTOCOL.md §8,
//! `/poll/hostile-slow-*` and `GET /control/bodies`), so tests can see whether a client that does
//! not read an answer cancels its download instead of letting it run.
//!
//! A body that the client cancels ends when hyper next writes to the closed connection, which
//! drops the stream before its last chunk: [`Record`]'s state is then `cancelled`. Each body is
//! bounded (16 KiB every 25 ms, [`TOTAL`] at most, about 13 s).

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode};
use axum::response::Response;
use serde::Serialize;

use crate::hub::lock;

/// Bytes of one slow body (also the Content-Length of `slow-too-long`, over the limit of a
/// client whose `maxMessageBytes` is under 1 MiB).
pub const TOTAL: usize = 8 << 20;
const CHUNK: usize = 16 << 10;
const INTERVAL: Duration = Duration::from_millis(25);

/// The complete JSON array `slow-partial` starts with; whitespace follows until [`TOTAL`].
pub const PARTIAL_ANSWER: &str = r#"[{"text":"from a partial answer"}]"#;

/// How one slow body went, as `GET /control/bodies` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// Numbers the bodies since the server started.
    pub id: u64,
    pub fixture: &'static str,
    /// Bytes handed to hyper so far.
    pub sent: usize,
    pub total: usize,
    /// `streaming`, `completed` (every byte handed over) or `cancelled` (dropped before).
    pub state: &'static str,
}

/// The records of every slow body since the last `/control/reset` (at most 100, oldest first).
#[derive(Default)]
pub struct Records(Mutex<(u64, Vec<Record>)>);

impl Records {
    pub fn clear(&self) {
        lock(&self.0).1.clear();
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({ "bodies": lock(&self.0).1 })
    }

    fn start(&self, fixture: &'static str) -> u64 {
        let mut records = lock(&self.0);
        records.0 += 1;
        let id = records.0;
        if records.1.len() >= 100 {
            records.1.remove(0);
        }
        records.1.push(Record {
            id,
            fixture,
            sent: 0,
            total: TOTAL,
            state: "streaming",
        });
        id
    }

    /// Sets the record's `sent`, and its state unless `None` (a record no longer kept, or
    /// forgotten by a reset, is left alone).
    fn update(&self, id: u64, sent: usize, state: Option<&'static str>) {
        if let Some(r) = lock(&self.0).1.iter_mut().find(|r| r.id == id) {
            r.sent = sent;
            if let Some(state) = state {
                r.state = state;
            }
        }
    }
}

/// Marks the record `cancelled` when the stream is dropped before its end.
struct Tracker {
    records: Arc<Records>,
    id: u64,
    sent: usize,
}

impl Drop for Tracker {
    fn drop(&mut self) {
        let state = if self.sent >= TOTAL {
            "completed"
        } else {
            "cancelled"
        };
        self.records.update(self.id, self.sent, Some(state));
    }
}

/// `GET /poll/hostile-slow-{case}/…`: `404` and `503` answer that status, `too-long` a `200`
/// declaring `Content-Length` [`TOTAL`] (`open-too-long` the same for the open `POST`, its body
/// starting as an open answer does), `partial` a `200` without one whose body begins with
/// the whole array [`PARTIAL_ANSWER`] and goes on with whitespace, `post-answer` a `200` for an
/// upstream POST whose messages were taken (`/control/slow-post-answers`). Every body streams slowly
/// up to [`TOTAL`] bytes. `None` for an unknown case.
pub fn answer(records: &Arc<Records>, case: &str) -> Option<Response> {
    let (fixture, status, declared, first): (_, _, _, &[u8]) = match case {
        "404" => (
            "slow-404",
            StatusCode::NOT_FOUND,
            false,
            b"unknown session ",
        ),
        "503" => ("slow-503", StatusCode::SERVICE_UNAVAILABLE, false, b"busy "),
        "too-long" => ("slow-too-long", StatusCode::OK, true, b"[{\"text\":\""),
        "open-too-long" => (
            "slow-open-too-long",
            StatusCode::OK,
            true,
            b"{\"session\":\"",
        ),
        "post-answer" => ("slow-post-answer", StatusCode::OK, false, b"ok "),
        "partial" => (
            "slow-partial",
            StatusCode::OK,
            false,
            PARTIAL_ANSWER.as_bytes(),
        ),
        _ => return None,
    };
    let filler = if case == "partial" { b' ' } else { b'x' };
    let tracker = Tracker {
        records: records.clone(),
        id: records.start(fixture),
        sent: 0,
    };
    let stream = futures_util::stream::unfold(tracker, move |mut t| async move {
        if t.sent >= TOTAL {
            return None;
        }
        let chunk = if t.sent == 0 {
            let mut chunk = first.to_vec();
            chunk.resize(CHUNK, filler);
            Bytes::from(chunk)
        } else {
            tokio::time::sleep(INTERVAL).await;
            Bytes::from(vec![filler; CHUNK.min(TOTAL - t.sent)])
        };
        t.sent += chunk.len();
        t.records.update(t.id, t.sent, None);
        Some((Ok::<_, Infallible>(chunk), t))
    });
    let mut response = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json");
    if declared {
        response = response.header(header::CONTENT_LENGTH, TOTAL);
    }
    Some(response.body(Body::from_stream(stream)).expect("response"))
}
