//! Deadlines run on the monotonic clock (issue "Correct on every transport", defect 8): a wall
//! clock stepped back (NTP, a laptop waking up) must not stall the reconnect timer.

use crate::socket_support::close_js;
use crate::support::{exclusive, get_str, server_config};
use futures::channel::mpsc::unbounded;
use futures::StreamExt;
use js_sys::Reflect;
use universal_socket::web::js_socket::UniversalSocket;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

/// Makes `Date.now()` report an hour earlier than it is (`true`), or restores it (`false`).
fn step_wall_clock_back(on: bool) {
    let script = if on {
        "globalThis.__realDateNow ??= Date.now; Date.now = () => globalThis.__realDateNow() - 3600000;"
    } else {
        "if (globalThis.__realDateNow) { Date.now = globalThis.__realDateNow; }"
    };
    js_sys::eval(script).expect("patch Date.now");
}

#[wasm_bindgen_test]
async fn a_wall_clock_step_back_does_not_stall_the_reconnect() {
    let _server = exclusive().await;
    step_wall_clock_back(false);
    let ws = get_str(&server_config().await, "ws.echo");
    let options = js_sys::JSON::parse(&format!(
        r#"{{"transports":["websocket"],"endpoints":{{"websocket":"{ws}"}},"heartbeat":false,
            "reconnect":{{"initialDelayMs":500,"maxDelayMs":500,"maxAttempts":5}}}}"#
    ))
    .unwrap();
    let socket = UniversalSocket::new("http://127.0.0.1/echo", options)
        .map_err(JsValue::from)
        .unwrap();
    let (sender, mut events) = unbounded::<String>();
    let listener = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        let kind = Reflect::get(&event, &"type".into()).unwrap();
        let _ = sender.unbounded_send(kind.as_string().unwrap_or_default());
    });
    for name in ["disconnect", "reconnected"] {
        socket
            .on(
                name,
                listener
                    .as_ref()
                    .unchecked_ref::<js_sys::Function>()
                    .clone(),
            )
            .unwrap();
    }
    JsFuture::from(socket.connect()).await.unwrap();
    crate::socket_support::control("drop").await;
    assert_eq!(events.next().await.as_deref(), Some("disconnect"));
    // The reconnect is armed for 500 ms from now; the wall clock jumps an hour back.
    step_wall_clock_back(true);
    let reconnected = crate::socket_support::with_timeout(4000, events.next()).await;
    step_wall_clock_back(false);
    assert_eq!(
        reconnected.flatten().as_deref(),
        Some("reconnected"),
        "the reconnect waited for the wall clock instead of 500 ms"
    );
    close_js(&socket).await;
}
