//! Shared helpers: finding the reference server, awaiting events with a deadline.

use futures::channel::mpsc;
use futures::{FutureExt, StreamExt};
use js_sys::{JsString, Reflect};
use universal_socket::web::listener::EventListener;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Event, EventTarget};

/// Base URL of the reference server, baked in by `scripts/test-all.sh`.
pub fn server_base() -> &'static str {
    match option_env!("UNIVERSAL_SOCKET_TEST_SERVER") {
        Some(url) => url,
        None => panic!("UNIVERSAL_SOCKET_TEST_SERVER was not set at compile time: run the tests with `npm test`"),
    }
}

/// `GET /config` of the reference server, as a JS object.
pub async fn server_config() -> JsValue {
    let url = format!("{}/config", server_base());
    let window = web_sys::window().expect("browser tests run in a window");
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(&url))
        .await
        .expect("fetch /config")
        .dyn_into()
        .expect("a Response");
    assert!(response.ok(), "GET /config answered {}", response.status());
    JsFuture::from(response.json().expect("json()"))
        .await
        .expect("/config is JSON")
}

/// Reads a string at a dotted path of a JS object, e.g. `get_str(&config, "ws.echo")`.
pub fn get_str(value: &JsValue, path: &str) -> String {
    let mut current = value.clone();
    for key in path.split('.') {
        current = Reflect::get(&current, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
    }
    current
        .dyn_into::<JsString>()
        .map(String::from)
        .unwrap_or_else(|_| panic!("config has no string at {path}"))
}

/// Events of the given types from one target, in order, with listeners removed on drop.
pub struct Events {
    receiver: mpsc::UnboundedReceiver<Event>,
    _listeners: Vec<EventListener>,
}

impl Events {
    pub fn new(target: &EventTarget, types: &[&'static str]) -> Self {
        let (sender, receiver) = mpsc::unbounded();
        let listeners = types
            .iter()
            .map(|event_type| {
                let sender = sender.clone();
                EventListener::new(target, event_type, move |event| {
                    let _ = sender.unbounded_send(event);
                })
            })
            .collect();
        Events {
            receiver,
            _listeners: listeners,
        }
    }

    /// The next event, or a panic naming `what` after `ms` milliseconds.
    pub async fn next(&mut self, what: &str, ms: u32) -> Event {
        let timeout = gloo_timers::future::TimeoutFuture::new(ms).fuse();
        let next = self.receiver.next().fuse();
        futures::pin_mut!(timeout, next);
        futures::select! {
            event = next => event.expect("event stream ended"),
            _ = timeout => panic!("timed out after {ms} ms waiting for {what}"),
        }
    }
}

/// Awaits a JS promise with a deadline.
pub async fn await_promise(
    promise: js_sys::Promise,
    what: &str,
    ms: u32,
) -> Result<JsValue, JsValue> {
    let timeout = gloo_timers::future::TimeoutFuture::new(ms).fuse();
    let result = JsFuture::from(promise).fuse();
    futures::pin_mut!(timeout, result);
    futures::select! {
        value = result => value,
        _ = timeout => panic!("timed out after {ms} ms waiting for {what}"),
    }
}

/// The browser under test, from the user agent.
pub fn is_firefox() -> bool {
    web_sys::window()
        .and_then(|w| w.navigator().user_agent().ok())
        .map(|ua| ua.contains("Firefox"))
        .unwrap_or(false)
}

thread_local! {
    static SERVER_IN_USE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Held by every test that talks to the reference server. wasm-bindgen-test runs async tests
/// concurrently, and fault injection (drop, refuse, black hole) is server-wide, so tests take
/// turns instead of disturbing each other's connections.
pub struct Exclusive(());

impl Drop for Exclusive {
    fn drop(&mut self) {
        SERVER_IN_USE.with(|busy| busy.set(false));
    }
}

/// Waits for the server to be free and takes it.
pub async fn exclusive() -> Exclusive {
    loop {
        if !SERVER_IN_USE.with(|busy| busy.replace(true)) {
            return Exclusive(());
        }
        gloo_timers::future::TimeoutFuture::new(5).await;
    }
}
