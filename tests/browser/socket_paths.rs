//! The transport paths a browser has (tests/README.md, "Paths"), each as the JS options a user
//! writes to select it, so a `UniversalSocket` test can run on every one of them.

use crate::support::{get_str, server_config};
use universal_socket::web::features::features;
use universal_socket::web::js_socket::UniversalSocket;
use wasm_bindgen::JsValue;

/// One path: the transport and, for `websocket`, whether WebSocketStream is asked for.
#[derive(Clone, Copy, Debug)]
pub struct SocketPath {
    /// The path's name in tests/README.md, for assertion messages.
    pub name: &'static str,
    transport: &'static str,
    web_socket_stream: bool,
}

/// Every path this browser has: WebTransport, WebSocketStream (where the browser has it),
/// the classic WebSocket, SSE and long polling.
pub fn socket_paths() -> Vec<SocketPath> {
    let path = |name, transport, web_socket_stream| SocketPath {
        name,
        transport,
        web_socket_stream,
    };
    let mut paths = vec![path("WebTransport", "webtransport", false)];
    if features().web_socket_stream {
        paths.push(path("WebSocketStream", "websocket", true));
    }
    paths.extend([
        path("WebSocket", "websocket", false),
        path("SSE", "sse", false),
        path("long polling", "long-polling", false),
    ]);
    paths
}

impl SocketPath {
    /// The JS options (as JSON source) that select this path to the reference server's
    /// `service`, heartbeat off, with `extra` (`,"key":value…`) appended.
    pub async fn options_json(&self, service: &str, extra: &str) -> String {
        let config = server_config().await;
        let endpoint = |prefix: &str| get_str(&config, &format!("{prefix}.{service}"));
        format!(
            r#"{{"transports":["{}"],"webSocketStream":{},"heartbeat":false,
                "endpoints":{{"webtransport":"{}","websocket":"{}","sse":"{}","long-polling":"{}"}},
                "webtransport":{{"serverCertificateHashes":["{}"]}}{extra}}}"#,
            self.transport,
            self.web_socket_stream,
            endpoint("webtransport"),
            endpoint("ws"),
            endpoint("sse"),
            endpoint("poll"),
            get_str(&config, "certificateSha256"),
        )
    }

    /// `new UniversalSocket(url, options)` on this path to `service`.
    pub async fn socket(&self, service: &str, extra: &str) -> UniversalSocket {
        let options = js_sys::JSON::parse(&self.options_json(service, extra).await)
            .expect("the options are JSON");
        UniversalSocket::new(&format!("http://127.0.0.1/{service}"), options)
            .map_err(JsValue::from)
            .unwrap_or_else(|e| panic!("{}: new UniversalSocket threw {e:?}", self.name))
    }
}

/// Runs `body`, the body of an async JS function of `sockets` (an array, one socket per path,
/// as the caller made them) and `extra`, and answers the array it resolves to as strings (one
/// result per socket, in order).
pub async fn run_over_sockets(sockets: &js_sys::Array, extra: &JsValue, body: &str) -> Vec<String> {
    let run = js_sys::Function::new_with_args(
        "sockets, extra",
        &format!("return (async () => {{ {body} }})();"),
    )
    .call2(&JsValue::UNDEFINED, sockets, extra)
    .expect("the test's JS runs");
    let results = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&run))
        .await
        .expect("the test's JS resolves");
    js_sys::Array::from(&results)
        .iter()
        .map(|r| r.as_string().unwrap_or_default())
        .collect()
}

/// One socket per path this browser has, on `service` with `extra` options (see
/// [`SocketPath::socket`]), in an array for [`run_over_sockets`].
pub async fn sockets_on_every_path(service: &str, extra: &str) -> (Vec<SocketPath>, js_sys::Array) {
    let paths = socket_paths();
    let sockets = js_sys::Array::new();
    for path in &paths {
        sockets.push(&path.socket(service, extra).await.into());
    }
    (paths, sockets)
}
