//! Helpers for UniversalSocket tests: options pointing at the reference server, fault
//! injection, and waiting for a particular socket event with a deadline.

use crate::support::{get_str, server_config};
use futures::channel::mpsc::UnboundedReceiver;
use futures::{FutureExt, StreamExt};
use universal_socket::core::TransportKind;
use universal_socket::web::options::SocketOptions;
use universal_socket::web::socket::SocketEvent;

/// Options whose endpoints are the reference server's `service` on every transport, with the
/// WebTransport certificate hash, short timeouts for tests, and the given transports.
pub async fn options_for(service: &str, transports: &[TransportKind]) -> (String, SocketOptions) {
    let config = server_config().await;
    let hex = get_str(&config, "certificateSha256");
    let mut options = SocketOptions {
        endpoints: [
            Some(get_str(&config, &format!("webtransport.{service}"))),
            Some(get_str(&config, &format!("ws.{service}"))),
            Some(get_str(&config, &format!("sse.{service}"))),
            Some(get_str(&config, &format!("poll.{service}"))),
        ],
        certificate_hashes: vec![(0..32)
            .map(|i| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).unwrap())
            .collect()],
        ..SocketOptions::default()
    };
    options.connection.transports = transports.to_vec();
    options.connection.connect_timeout_ms = 3000;
    options.connection.backoff.initial_ms = 100;
    options.connection.backoff.max_ms = 400;
    (format!("{}/{service}", get_str(&config, "http")), options)
}

/// POSTs to the server's control endpoint, e.g. `control("transport/websocket/disable")`.
pub async fn control(path: &str) {
    crate::transport_support::post_control(path).await;
}

/// Clears every fault when dropped, so a failing test does not break the next one.
pub struct ResetFaults;

impl Drop for ResetFaults {
    fn drop(&mut self) {
        wasm_bindgen_futures::spawn_local(async {
            control("reset").await;
        });
    }
}

/// Waits for the first event that `pick` accepts, panicking after `ms` with what was seen.
pub async fn wait_for<T>(
    events: &mut UnboundedReceiver<SocketEvent>,
    what: &str,
    ms: u32,
    mut pick: impl FnMut(&SocketEvent) -> Option<T>,
) -> T {
    let mut seen = Vec::new();
    let deadline = gloo_timers::future::TimeoutFuture::new(ms).fuse();
    futures::pin_mut!(deadline);
    loop {
        let next = events.next().fuse();
        futures::pin_mut!(next);
        futures::select! {
            event = next => {
                let event = event.unwrap_or_else(|| panic!("event stream ended while waiting for {what}; seen: {seen:?}"));
                if let Some(found) = pick(&event) {
                    return found;
                }
                seen.push(event);
            }
            _ = deadline => panic!("timed out after {ms} ms waiting for {what}; seen: {seen:?}"),
        }
    }
}

/// The closes the server saw, as `(transport, code, reason)`.
pub async fn server_closes() -> Vec<(String, u16, String)> {
    let stats = crate::transport_support::stats().await;
    let closes = js_sys::Reflect::get(&stats, &"closes".into()).unwrap();
    js_sys::Array::from(&closes)
        .iter()
        .map(|c| {
            let get = |k: &str| js_sys::Reflect::get(&c, &k.into()).unwrap();
            (
                get("transport").as_string().unwrap_or_default(),
                get("code").as_f64().unwrap_or(0.0) as u16,
                get("reason").as_string().unwrap_or_default(),
            )
        })
        .collect()
}

/// `future`'s output, or `None` if it takes longer than `ms`.
pub async fn with_timeout<T>(ms: u32, future: impl std::future::Future<Output = T>) -> Option<T> {
    let deadline = gloo_timers::future::TimeoutFuture::new(ms).fuse();
    let future = future.fuse();
    futures::pin_mut!(deadline, future);
    futures::select! {
        value = future => Some(value),
        _ = deadline => None,
    }
}
