//! An EventSource receives server events from the SSE transport (text upstream by POST).

use crate::support::{get_str, server_config, Events};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{EventSource, MessageEvent, RequestInit, Response};

#[wasm_bindgen_test]
async fn event_source_receives_session_and_echo() {
    let _server = crate::support::exclusive().await;
    let config = server_config().await;
    let url = get_str(&config, "sse.echo");
    let source = EventSource::new(&url).expect("valid URL");
    let mut events = Events::new(&source, &["session", "message", "error"]);

    let session: MessageEvent = events
        .next("the session event", 5000)
        .await
        .dyn_into()
        .unwrap();
    assert_eq!(session.type_(), "session");
    let data = js_sys::JSON::parse(&session.data().as_string().unwrap()).unwrap();
    let id = js_sys::Reflect::get(&data, &"session".into())
        .unwrap()
        .as_string()
        .unwrap();

    // Upstream: one POST per message.
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str("line one\nline two"));
    let headers = web_sys::Headers::new().unwrap();
    headers
        .set("content-type", "text/plain;charset=utf-8")
        .unwrap();
    init.set_headers(&headers);
    let window = web_sys::window().unwrap();
    let response: Response =
        JsFuture::from(window.fetch_with_str_and_init(&format!("{url}/{id}"), &init))
            .await
            .unwrap()
            .dyn_into()
            .unwrap();
    assert!(response.ok(), "POST answered {}", response.status());

    let echoed: MessageEvent = events
        .next("the echoed message", 5000)
        .await
        .dyn_into()
        .unwrap();
    assert_eq!(echoed.type_(), "message");
    assert_eq!(
        echoed.data().as_string().as_deref(),
        Some("line one\nline two")
    );
    source.close();
}
