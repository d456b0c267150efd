//! Helpers the reference server's integration test files share: a bounded test, a server on
//! ephemeral loopback ports, one raw HTTP/1.1 request, WebSocket silence, a WebTransport client
//! that trusts the server's self-signed certificate by its hash.
#![allow(dead_code)] // each test file uses its own subset

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::Full;
use hyper::Request;
use hyper_util::rt::TokioIo;
use reference_server::{start, Options, Server};
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Every test is bounded in time.
pub const LIMIT: Duration = Duration::from_secs(30);

pub async fn bounded<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(LIMIT, f)
        .await
        .expect("test timed out")
}

pub async fn server() -> Server {
    server_with(Options::default()).await
}

pub async fn server_with(opts: Options) -> Server {
    start(opts).await.expect("server starts")
}

pub fn base(s: &Server) -> String {
    format!("http://{}", s.http_addr)
}

/// One HTTP/1.1 request on a fresh connection (with an `Origin`, as browsers send).
pub async fn send_req(
    method: &str,
    url: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> hyper::Response<hyper::body::Incoming> {
    let uri: hyper::Uri = url.parse().unwrap();
    let authority = uri.authority().unwrap().to_string();
    let stream = TcpStream::connect(&authority).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut req = Request::builder()
        .method(method)
        .uri(uri.path_and_query().unwrap().as_str())
        .header("host", authority)
        .header("origin", "http://example.test");
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    sender
        .send_request(req.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap()
}

/// Asserts that nothing arrives on `ws` for `ms`.
pub async fn ws_quiet(ws: &mut Ws, ms: u64) {
    if let Ok(m) = tokio::time::timeout(Duration::from_millis(ms), ws.next()).await {
        panic!("expected silence, got {m:?}");
    }
}

/// A WebTransport client that accepts the server's certificate by its SHA-256 (hex).
pub fn wt_client(
    hash_hex: &str,
) -> wtransport::Endpoint<wtransport::endpoint::endpoint_side::Client> {
    let mut bytes = [0u8; 32];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hash_hex[2 * i..2 * i + 2], 16).unwrap();
    }
    let cfg = wtransport::ClientConfig::builder()
        .with_bind_address("127.0.0.1:0".parse().unwrap())
        .with_server_certificate_hashes([wtransport::tls::Sha256Digest::new(bytes)])
        .build();
    wtransport::Endpoint::client(cfg).unwrap()
}
