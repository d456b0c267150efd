//! The reference server's slow poll answers (`/poll/hostile-slow-{case}`) and its record of how
//! each body ended (`GET /control/bodies`, PROTOCOL.md §8): whether the client cancelled it.

use crate::support::{await_promise, get_str, server_config};
use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// A slow body as the server recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct BodyRecord {
    pub fixture: String,
    pub sent: f64,
    pub total: f64,
    /// `streaming`, `completed` or `cancelled`.
    pub state: String,
}

/// The long-polling endpoint of the slow fixture `case` (`404`, `503`, `too-long`, `partial`).
pub async fn slow_poll_url(case: &str) -> String {
    let echo = get_str(&server_config().await, "poll.echo");
    echo.replace("/poll/echo", &format!("/poll/hostile-slow-{case}"))
}

/// Every slow body since the last `/control/reset` (each test takes the server with
/// `support::exclusive()`, which resets it), oldest first.
pub async fn bodies() -> Vec<BodyRecord> {
    let url = format!("{}/bodies", get_str(&server_config().await, "control"));
    let window = web_sys::window().expect("a window");
    let response: web_sys::Response = await_promise(window.fetch_with_str(&url), &url, 5_000)
        .await
        .expect("GET /control/bodies")
        .dyn_into()
        .expect("a Response");
    assert!(response.ok(), "GET {url} answered {}", response.status());
    let json = await_promise(response.json().expect("json()"), &url, 5_000)
        .await
        .expect("JSON");
    let list: Array = Reflect::get(&json, &"bodies".into())
        .expect("bodies")
        .dyn_into()
        .expect("an array");
    list.iter()
        .map(|r| {
            let get = |k: &str| Reflect::get(&r, &k.into()).unwrap_or(JsValue::UNDEFINED);
            BodyRecord {
                fixture: get("fixture").as_string().unwrap_or_default(),
                sent: get("sent").as_f64().unwrap_or(-1.0),
                total: get("total").as_f64().unwrap_or(-1.0),
                state: get("state").as_string().unwrap_or_default(),
            }
        })
        .collect()
}

/// Polls `/control/bodies` until the one body of `fixture` is recorded and `done` accepts it;
/// panics with the last record after `ms`.
pub async fn wait_body(fixture: &str, ms: u32, done: impl Fn(&BodyRecord) -> bool) -> BodyRecord {
    let start = js_sys::Date::now();
    loop {
        let all = bodies().await;
        let mine: Vec<_> = all.iter().filter(|r| r.fixture == fixture).collect();
        assert!(mine.len() <= 1, "more than one {fixture} body: {all:?}");
        if let Some(record) = mine.first().filter(|r| done(r)) {
            return (*record).clone();
        }
        if js_sys::Date::now() - start > f64::from(ms) {
            panic!("after {ms} ms the server recorded {all:?} for {fixture}");
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
}

/// Waits until the server saw the client cancel `fixture`'s body (well before its end).
pub async fn wait_cancelled(fixture: &str, ms: u32) {
    let record = wait_body(fixture, ms, |r| r.state != "streaming").await;
    assert_eq!(
        record.state, "cancelled",
        "{fixture}: the body was not cancelled: {record:?}"
    );
    assert!(
        record.sent < record.total / 2.0,
        "{fixture}: cancelled only after {} of {} bytes",
        record.sent,
        record.total
    );
}
