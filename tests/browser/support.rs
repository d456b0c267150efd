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

/// How long one test may hold the server before a waiter assumes it hung and takes over: longer
/// than any test needs, shorter than the suite's patience (`WASM_BINDGEN_TEST_TIMEOUT=120`).
const LEASE_MS: f64 = 100_000.0;

/// Who holds the reference server, and what went wrong so far.
#[derive(Default)]
struct Lock {
    /// Bumped on every acquisition, so that a guard of an abandoned holder never releases its
    /// successor's lock.
    generation: u64,
    /// `file:line` of the holder's `exclusive()` call and when it took the server (`Date.now()`:
    /// coarse is enough); `None` when free.
    holder: Option<(&'static std::panic::Location<'static>, f64)>,
    /// Set when a panic happened while the server was held: wasm32 panics do not unwind, so the
    /// panicking test's guards (this lock, `ResetFaults`) are never dropped.
    abandoned: Option<String>,
    /// The first panic of the run, named in every takeover message.
    first_failure: Option<String>,
    hook_installed: bool,
}

thread_local! {
    static SERVER: std::cell::RefCell<Lock> = std::cell::RefCell::new(Lock::default());
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Chains a panic hook (once) that records the first failure and marks a held server as
/// abandoned. wasm-bindgen-test (0.3.80) polls one test at a time, so a panic while the server is
/// held is its holder's; the next test then takes over instead of waiting forever.
fn install_panic_hook() {
    let first = SERVER.with(|lock| {
        let mut lock = lock.borrow_mut();
        !std::mem::replace(&mut lock.hook_installed, true)
    });
    if !first {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info.to_string();
        // try_with/try_borrow_mut: a panic inside the lock's own code must not panic again here.
        let _ = SERVER.try_with(|lock| {
            if let Ok(mut lock) = lock.try_borrow_mut() {
                if lock.first_failure.is_none() {
                    lock.first_failure = Some(text.clone());
                }
                if let Some((holder, _)) = lock.holder {
                    lock.abandoned = Some(format!("the holder ({holder}) panicked: {text}"));
                }
            }
        });
        previous(info);
    }));
}

/// Held by every test that talks to the reference server. wasm-bindgen-test may run async tests
/// concurrently, and fault injection (drop, refuse, black hole) is server-wide, so tests take
/// turns instead of disturbing each other's connections.
///
/// A failing test cannot release it (wasm32 panics abort the task without running `Drop`), so
/// the lock recovers by itself: when its holder panicked, or held it longer than `LEASE_MS`, the
/// next waiter takes it over, drops every connection the dead test left open and clears its
/// faults, and says so on the console, naming the first failure of the run. Every acquisition
/// also clears the faults (`/control/reset`), so a fault left set never reaches the next test.
pub struct Exclusive {
    generation: u64,
}

impl Drop for Exclusive {
    fn drop(&mut self) {
        SERVER.with(|lock| {
            let mut lock = lock.borrow_mut();
            if lock.generation == self.generation {
                lock.holder = None;
            }
        });
    }
}

enum Acquired {
    Free(u64),
    TakenOver(u64, String),
}

/// Waits for the server to be free (or its holder to be dead) and takes it.
#[track_caller]
pub fn exclusive() -> impl std::future::Future<Output = Exclusive> {
    let caller = std::panic::Location::caller();
    install_panic_hook();
    async move {
        let acquired = loop {
            let attempt = SERVER.with(|lock| {
                let mut lock = lock.borrow_mut();
                let now = now_ms();
                let takeover = match (lock.holder, lock.abandoned.take()) {
                    // The holder panicked (its guard may or may not have been dropped since).
                    (_, Some(why)) => Some(why),
                    (None, None) => None,
                    (Some((holder, since)), None) if now - since > LEASE_MS => Some(format!(
                        "the holder ({holder}) held the server for more than {LEASE_MS} ms"
                    )),
                    (Some(_), None) => return None,
                };
                lock.generation += 1;
                lock.holder = Some((caller, now));
                lock.abandoned = None;
                let generation = lock.generation;
                Some(match takeover {
                    None => Acquired::Free(generation),
                    Some(why) => Acquired::TakenOver(
                        generation,
                        format!(
                            "{why}; first failure of this run: {}",
                            lock.first_failure.as_deref().unwrap_or("none recorded")
                        ),
                    ),
                })
            });
            match attempt {
                Some(acquired) => break acquired,
                None => gloo_timers::future::TimeoutFuture::new(5).await,
            }
        };
        let generation = match acquired {
            Acquired::Free(generation) => generation,
            Acquired::TakenOver(generation, why) => {
                web_sys::console::warn_1(
                    &format!(
                        "[support] {caller} takes the reference server over: {why}. Dropping \
                         its connections and clearing faults."
                    )
                    .into(),
                );
                control_best_effort("drop").await;
                generation
            }
        };
        control_best_effort("reset").await;
        Exclusive { generation }
    }
}

/// `POST {control}/{action}` that never panics (the lock's recovery must not fail in turn).
async fn control_best_effort(action: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let url = format!("{}/control/{action}", server_base());
    let request = window.fetch_with_str_and_init(&url, &init);
    let timeout = gloo_timers::future::TimeoutFuture::new(5_000).fuse();
    let done = JsFuture::from(request).fuse();
    futures::pin_mut!(timeout, done);
    futures::select! {
        result = done => {
            if let Err(error) = result {
                web_sys::console::warn_2(&format!("[support] POST {url} failed:").into(), &error);
            }
        }
        _ = timeout => web_sys::console::warn_1(&format!("[support] POST {url} timed out").into()),
    }
}

/// Size of the wasm instance's memory in bytes (it only grows): how tests see that a message
/// was, or was not, copied into wasm.
pub fn wasm_memory_bytes() -> usize {
    use wasm_bindgen::JsCast;
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as usize
}
