//! End-to-end tests of the reference server over real loopback sockets (127.0.0.1 only).
//! Every test starts its own server on ephemeral ports and is bounded in time.

mod common;

use common::*;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use reference_server::Options;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

// ------------------------------------------------------------------ HTTP helper

struct Resp {
    status: u16,
    headers: hyper::HeaderMap,
    body: Bytes,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

async fn request(method: &str, url: &str, content_type: Option<&str>, body: Vec<u8>) -> Resp {
    let resp = send_req(method, url, content_type, body).await;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    Resp {
        status,
        headers,
        body,
    }
}

async fn get(url: &str) -> Resp {
    request("GET", url, None, vec![]).await
}

async fn post(url: &str) -> Resp {
    request("POST", url, None, vec![]).await
}

async fn post_text(url: &str, text: &str) -> Resp {
    request(
        "POST",
        url,
        Some("text/plain;charset=utf-8"),
        text.as_bytes().to_vec(),
    )
    .await
}

// ------------------------------------------------------------------ SSE helper

#[derive(Debug, PartialEq)]
struct SseEvent {
    event: String,
    data: String,
}

struct SseClient {
    body: hyper::body::Incoming,
    buf: String,
}

impl SseClient {
    async fn open(url: &str) -> (u16, Option<SseClient>) {
        let resp = send_req("GET", url, None, vec![]).await;
        let status = resp.status().as_u16();
        if status != 200 {
            return (status, None);
        }
        assert!(resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        assert_eq!(resp.headers()["access-control-allow-origin"], "*");
        (
            status,
            Some(SseClient {
                body: resp.into_body(),
                buf: String::new(),
            }),
        )
    }

    /// Next event (comments skipped); `None` at end of stream.
    async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(pos) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..pos + 2).collect();
                let mut event = String::new();
                let mut data: Vec<String> = Vec::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event: ") {
                        event = v.to_string();
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data.push(v.to_string());
                    } else if line == "data:" {
                        data.push(String::new());
                    }
                }
                if data.is_empty() && event.is_empty() {
                    continue;
                }
                return Some(SseEvent {
                    event,
                    data: data.join("\n"),
                });
            }
            match self.body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(d) = frame.into_data() {
                        self.buf.push_str(std::str::from_utf8(&d).unwrap());
                    }
                }
                _ => return None,
            }
        }
    }
}

// ------------------------------------------------------------------ WebSocket helper

async fn ws_connect(url: &str, protocols: Option<&str>) -> (Ws, Option<String>) {
    let mut req = url.into_client_request().unwrap();
    if let Some(p) = protocols {
        req.headers_mut()
            .insert("sec-websocket-protocol", p.parse().unwrap());
    }
    let (ws, resp) = tokio_tungstenite::connect_async(req)
        .await
        .expect("ws connect");
    let proto = resp
        .headers()
        .get("sec-websocket-protocol")
        .map(|v| v.to_str().unwrap().to_string());
    (ws, proto)
}

async fn ws_next(ws: &mut Ws) -> Message {
    loop {
        match ws.next().await.expect("ws open").expect("ws ok") {
            Message::Ping(_) | Message::Pong(_) => continue,
            m => return m,
        }
    }
}

async fn ws_json(ws: &mut Ws) -> Value {
    match ws_next(ws).await {
        Message::Text(t) => serde_json::from_str(&t).expect("json"),
        m => panic!("expected text, got {m:?}"),
    }
}

async fn ws_send_json(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

/// Assert that nothing arrives for `ms` milliseconds.

// ------------------------------------------------------------------ tests

#[tokio::test]
async fn config_shape() {
    bounded(async {
        let s = server().await;
        let r = get(&format!("{}/config", base(&s))).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.headers["access-control-allow-origin"], "*");
        let c = r.json();
        assert_eq!(c, s.config);
        let p = s.http_addr.port();
        let q = s.wt_addr.port();
        assert_eq!(c["http"], format!("http://127.0.0.1:{p}"));
        assert_eq!(c["control"], format!("http://127.0.0.1:{p}/control"));
        for svc in ["echo", "chat", "metrics"] {
            assert_eq!(c["ws"][svc], format!("ws://127.0.0.1:{p}/ws/{svc}"));
            assert_eq!(c["sse"][svc], format!("http://127.0.0.1:{p}/sse/{svc}"));
            assert_eq!(c["poll"][svc], format!("http://127.0.0.1:{p}/poll/{svc}"));
            assert_eq!(
                c["webtransport"][svc],
                format!("https://127.0.0.1:{q}/wt/{svc}")
            );
        }
        let hash = c["certificateSha256"].as_str().unwrap();
        assert_eq!(hash.len(), 64);
        assert!(hash
            .chars()
            .all(|ch| ch.is_ascii_hexdigit() && !ch.is_ascii_uppercase()));
        assert_eq!(c["maxPayload"], 16 * 1024 * 1024);

        // CORS preflight.
        let r = request(
            "OPTIONS",
            &format!("{}/control/drop", base(&s)),
            None,
            vec![],
        )
        .await;
        assert!(r.status < 300);
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn cors_preflight_headers() {
    bounded(async {
        let s = server().await;
        let stream = TcpStream::connect(s.http_addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        let req = Request::builder()
            .method("OPTIONS")
            .uri("/sse/echo/abc")
            .header("host", s.http_addr.to_string())
            .header("origin", "http://example.test")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let resp = sender.send_request(req).await.unwrap();
        assert!(resp.status().is_success());
        let h = resp.headers();
        assert_eq!(h["access-control-allow-origin"], "*");
        let methods = h["access-control-allow-methods"].to_str().unwrap();
        assert!(methods.contains("POST") && methods.contains("GET") && methods.contains("DELETE"));
        let headers = h["access-control-allow-headers"].to_str().unwrap();
        assert!(headers.contains("content-type") && headers.contains("authorization"));
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn static_files() {
    bounded(async {
        let dir = std::env::temp_dir().join(format!("refsrv-static-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        std::fs::write(dir.join("index.html"), "<h1>hi</h1>").unwrap();
        std::fs::write(dir.join("pkg/x.wasm"), b"\0asm\x01\0\0\0").unwrap();
        let s = server_with(Options {
            static_dir: Some(dir.clone()),
            ..Options::default()
        })
        .await;
        let r = get(&format!("{}/", base(&s))).await;
        assert_eq!(r.status, 200);
        assert_eq!(&r.body[..], b"<h1>hi</h1>");
        let r = get(&format!("{}/pkg/x.wasm", base(&s))).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.headers["content-type"], "application/wasm");
        assert_eq!(r.headers["access-control-allow-origin"], "*");
        s.shutdown();
        let _ = std::fs::remove_dir_all(dir);
    })
    .await
}

#[tokio::test]
async fn ws_echo_text_binary_ping() {
    bounded(async {
        let s = server().await;
        let (mut ws, proto) = ws_connect(s.config["ws"]["echo"].as_str().unwrap(), None).await;
        assert_eq!(proto, None);
        ws.send(Message::Text("hello\nworld".into())).await.unwrap();
        assert_eq!(ws_next(&mut ws).await, Message::Text("hello\nworld".into()));
        ws.send(Message::Binary(vec![0u8, 1, 2, 255].into()))
            .await
            .unwrap();
        assert_eq!(
            ws_next(&mut ws).await,
            Message::Binary(vec![0u8, 1, 2, 255].into())
        );
        ws.send(Message::Text("ping".into())).await.unwrap();
        assert_eq!(ws_next(&mut ws).await, Message::Text("pong".into()));
        let big = vec![7u8; 1 << 20];
        ws.send(Message::Binary(big.clone().into())).await.unwrap();
        assert_eq!(ws_next(&mut ws).await, Message::Binary(big.into()));
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn ws_subprotocol_choice() {
    bounded(async {
        let s = server().await;
        let url = s.config["ws"]["chat"].as_str().unwrap().to_string();
        let (_a, p) = ws_connect(&url, Some("foo, json, chat")).await;
        assert_eq!(p.as_deref(), Some("json"));
        let (_b, p) = ws_connect(&url, Some("binary")).await;
        assert_eq!(p.as_deref(), Some("binary"));
        let (_c, p) = ws_connect(&url, Some("chat, binary")).await;
        assert_eq!(p.as_deref(), Some("chat"));
        // Nothing supported offered: select none (never one the client did not offer).
        // tungstenite (unlike browsers) refuses a handshake that selects no offered protocol,
        // which is exactly what shows that none was selected.
        let mut req = url.as_str().into_client_request().unwrap();
        req.headers_mut()
            .insert("sec-websocket-protocol", "mqtt".parse().unwrap());
        let err = tokio_tungstenite::connect_async(req).await.unwrap_err();
        assert!(err.to_string().contains("SubProtocol"), "{err}");
        let (_e, p) = ws_connect(&url, None).await;
        assert_eq!(p, None);
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn ws_unknown_service_404() {
    bounded(async {
        let s = server().await;
        let url = format!("ws://{}/ws/nope", s.http_addr);
        let err = tokio_tungstenite::connect_async(url).await.unwrap_err();
        assert!(err.to_string().contains("404"), "{err}");
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn chat_over_websocket() {
    bounded(async {
        let s = server().await;
        let url = s.config["ws"]["chat"].as_str().unwrap().to_string();
        let (mut a, _) = ws_connect(&url, Some("chat")).await;
        let wa = ws_json(&mut a).await;
        assert_eq!(wa["type"], "welcome");
        assert_eq!(wa["onlineCount"], 1);
        assert!(wa["serverTime"].as_str().unwrap().ends_with('Z'));
        let id_a = wa["clientId"].as_str().unwrap().to_string();
        assert!(id_a.starts_with("client_"));

        let (mut b, _) = ws_connect(&url, None).await;
        let wb = ws_json(&mut b).await;
        assert_eq!(wb["onlineCount"], 2);
        let id_b = wb["clientId"].as_str().unwrap().to_string();

        // Not in a room: chat goes to everyone but the sender.
        ws_send_json(&mut a, json!({"type": "chat", "text": "lobby"})).await;
        let m = ws_json(&mut b).await;
        assert_eq!(m["type"], "chat");
        assert_eq!(m["from"], id_a);
        assert_eq!(m["text"], "lobby");
        assert_eq!(m["room"], Value::Null);

        // Rooms.
        ws_send_json(&mut a, json!({"type": "join_room", "room": "r1"})).await;
        let j = ws_json(&mut a).await;
        assert_eq!(
            j,
            json!({"type": "room_joined", "room": "r1", "members": [id_a]})
        );
        ws_send_json(&mut b, json!({"type": "join_room", "room": "r1"})).await;
        let uj = ws_json(&mut a).await;
        assert_eq!(uj["type"], "user_joined");
        assert_eq!(uj["userId"], id_b);
        assert_eq!(uj["room"], "r1");
        let j = ws_json(&mut b).await;
        assert_eq!(j["members"], json!([id_a, id_b]));

        // In a room: chat goes to the whole room, sender included.
        ws_send_json(&mut a, json!({"type": "chat", "text": "in room"})).await;
        for c in [&mut a, &mut b] {
            let m = ws_json(c).await;
            assert_eq!(m["text"], "in room");
            assert_eq!(m["room"], "r1");
        }

        // Non-JSON → error.
        a.send(Message::Text("not json".into())).await.unwrap();
        let e = ws_json(&mut a).await;
        assert_eq!(e["type"], "error");
        assert_eq!(e["code"], "INVALID_MESSAGE_FORMAT");
        assert!(e["timestamp"].is_string());

        // Batch: unpacked, in order.
        ws_send_json(
            &mut a,
            json!({"type": "batch", "timestamp": 1, "messages": [
                {"type": "chat", "text": "one"},
                {"type": "chat", "text": "two"},
            ]}),
        )
        .await;
        for want in ["one", "two"] {
            assert_eq!(ws_json(&mut b).await["text"], want);
            assert_eq!(ws_json(&mut a).await["text"], want);
        }

        // Binary codec.
        let bin = reference_server::services::encode_binary_codec("chat", &json!({"text": "bin"}));
        a.send(Message::Binary(bin.into())).await.unwrap();
        assert_eq!(ws_json(&mut b).await["text"], "bin");
        assert_eq!(ws_json(&mut a).await["text"], "bin");
        a.send(Message::Binary(vec![0, 0, 0, 50, 1].into()))
            .await
            .unwrap();
        assert_eq!(ws_json(&mut a).await["code"], "INVALID_MESSAGE_FORMAT");

        // Private message by `to`, and by `targetId`; unknown target.
        ws_send_json(
            &mut a,
            json!({"type": "private_message", "to": id_b, "text": "psst"}),
        )
        .await;
        let pm = ws_json(&mut b).await;
        assert_eq!(pm["type"], "private_message");
        assert_eq!(pm["from"], id_a);
        assert_eq!(pm["text"], "psst");
        ws_send_json(
            &mut b,
            json!({"type": "private_message", "targetId": id_a, "text": "re"}),
        )
        .await;
        assert_eq!(ws_json(&mut a).await["text"], "re");
        ws_send_json(
            &mut a,
            json!({"type": "private_message", "to": "nobody", "text": "x"}),
        )
        .await;
        assert_eq!(ws_json(&mut a).await["code"], "USER_NOT_FOUND");

        // Broadcast: everyone but the sender.
        ws_send_json(&mut a, json!({"type": "broadcast", "text": "all"})).await;
        let bc = ws_json(&mut b).await;
        assert_eq!(bc["type"], "broadcast");
        assert_eq!(bc["from"], id_a);
        assert_eq!(bc["text"], "all");

        // Leave room → user_left to the rest.
        ws_send_json(&mut a, json!({"type": "leave_room"})).await;
        let ul = ws_json(&mut b).await;
        assert_eq!(ul["type"], "user_left");
        assert_eq!(ul["userId"], id_a);

        // Ping is answered before JSON parsing.
        a.send(Message::Text("ping".into())).await.unwrap();
        assert_eq!(ws_next(&mut a).await, Message::Text("pong".into()));
        ws_quiet(&mut b, 100).await;

        // Disconnect → user_disconnected to the others.
        a.close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        }))
        .await
        .unwrap();
        let d = ws_json(&mut b).await;
        assert_eq!(d["type"], "user_disconnected");
        assert_eq!(d["userId"], id_a);
        assert_eq!(d["onlineCount"], 1);
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn ws_close_code_in_stats() {
    bounded(async {
        let s = server().await;
        let (mut ws, _) = ws_connect(s.config["ws"]["echo"].as_str().unwrap(), None).await;
        let stats = get(&format!("{}/control/stats", base(&s))).await.json();
        assert_eq!(stats["connections"]["websocket"], 1);
        assert_eq!(stats["opened"]["websocket"], 1);
        ws.close(Some(CloseFrame {
            code: CloseCode::Library(4321),
            reason: "custom reason".into(),
        }))
        .await
        .unwrap();
        // The server answers with a close frame.
        match ws.next().await {
            Some(Ok(Message::Close(Some(f)))) => assert_eq!(u16::from(f.code), 4321),
            other => panic!("expected close echo, got {other:?}"),
        }
        let stats = get(&format!("{}/control/stats", base(&s))).await.json();
        assert_eq!(stats["connections"]["websocket"], 0);
        let last = stats["closes"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            last,
            json!({"transport": "websocket", "service": "echo", "code": 4321,
                   "reason": "custom reason", "timestamp": last["timestamp"]})
        );
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn ws_max_payload_closes_1009() {
    bounded(async {
        let s = server_with(Options {
            max_payload: 1024,
            ..Options::default()
        })
        .await;
        let (mut ws, _) = ws_connect(s.config["ws"]["echo"].as_str().unwrap(), None).await;
        ws.send(Message::Binary(vec![1u8; 1024].into()))
            .await
            .unwrap();
        assert_eq!(
            ws_next(&mut ws).await,
            Message::Binary(vec![1u8; 1024].into())
        );
        ws.send(Message::Binary(vec![1u8; 4096].into()))
            .await
            .unwrap();
        match ws.next().await {
            Some(Ok(Message::Close(Some(f)))) => assert_eq!(u16::from(f.code), 1009),
            other => panic!("expected close 1009, got {other:?}"),
        }
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn metrics_over_websocket() {
    bounded(async {
        let s = server().await;
        let (mut ws, _) = ws_connect(s.config["ws"]["metrics"].as_str().unwrap(), None).await;
        ws_send_json(
            &mut ws,
            json!({"type": "subscribe", "metric": "connections", "intervalMs": 50}),
        )
        .await;
        for _ in 0..2 {
            let m = ws_json(&mut ws).await;
            assert_eq!(m["metric"], "connections");
            assert_eq!(m["value"], 1.0);
            assert!(m["timestamp"].as_u64().unwrap() > 1_600_000_000_000);
        }
        ws_send_json(
            &mut ws,
            json!({"type": "unsubscribe", "metric": "connections"}),
        )
        .await;
        ws_send_json(&mut ws, json!({"type": "subscribe", "metric": "cpu_usage"})).await;
        // Drain any connections sample sent before the unsubscribe took effect.
        let m = loop {
            let m = ws_json(&mut ws).await;
            if m["metric"] == "cpu_usage" {
                break m;
            }
        };
        assert!(m["value"].as_f64().unwrap() >= 0.0);
        ws_send_json(
            &mut ws,
            json!({"type": "unsubscribe", "metric": "cpu_usage"}),
        )
        .await;
        ws_send_json(
            &mut ws,
            json!({"type": "subscribe", "metric": "memory_usage"}),
        )
        .await;
        let m = loop {
            let m = ws_json(&mut ws).await;
            if m["metric"] == "memory_usage" {
                break m;
            }
        };
        let v = m["value"].as_f64().unwrap();
        assert!(v > 0.0 && v < 100.0, "{v}");
        ws_send_json(
            &mut ws,
            json!({"type": "unsubscribe", "metric": "memory_usage"}),
        )
        .await;
        ws_send_json(&mut ws, json!({"type": "subscribe", "metric": "bogus"})).await;
        let e = loop {
            let m = ws_json(&mut ws).await;
            if m["type"] == "error" {
                break m;
            }
        };
        assert_eq!(e["code"], "UNKNOWN_METRIC");
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn sse_open_echo_and_close() {
    bounded(async {
        let s = server().await;
        let url = s.config["sse"]["echo"].as_str().unwrap().to_string();
        let (_, sse) = SseClient::open(&url).await;
        let mut sse = sse.unwrap();
        let open = sse.next().await.unwrap();
        assert_eq!(open.event, "session");
        let session = serde_json::from_str::<Value>(&open.data).unwrap()["session"]
            .as_str()
            .unwrap()
            .to_string();
        let up = format!("{url}/{session}");

        let r = post_text(&up, "line one\nline two").await;
        assert_eq!(r.status, 204);
        assert_eq!(r.headers["access-control-allow-origin"], "*");
        let e = sse.next().await.unwrap();
        assert_eq!(
            e,
            SseEvent {
                event: String::new(),
                data: "line one\nline two".into()
            }
        );

        let r = request(
            "POST",
            &up,
            Some("application/octet-stream"),
            vec![0, 1, 2, 3],
        )
        .await;
        assert_eq!(r.status, 204);
        let e = sse.next().await.unwrap();
        assert_eq!(e.event, "binary");
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(e.data)
                .unwrap(),
            vec![0, 1, 2, 3]
        );

        assert_eq!(post_text(&up, "ping").await.status, 204);
        assert_eq!(sse.next().await.unwrap().data, "pong");

        // Unknown session → 404; too big → 413.
        assert_eq!(post_text(&format!("{url}/nope"), "x").await.status, 404);
        let big = vec![b'a'; 16 * 1024 * 1024 + 1];
        let r = request("POST", &up, Some("text/plain;charset=utf-8"), big).await;
        assert_eq!(r.status, 413);

        // Ordered delivery of several messages.
        for i in 0..20 {
            assert_eq!(post_text(&up, &format!("m{i}")).await.status, 204);
        }
        for i in 0..20 {
            assert_eq!(sse.next().await.unwrap().data, format!("m{i}"));
        }

        // Client close → close event with the same code, end of stream, recorded in stats.
        let r = request(
            "POST",
            &format!("{up}/close"),
            Some("application/json"),
            json!({"code": 4001, "reason": "done here"})
                .to_string()
                .into_bytes(),
        )
        .await;
        assert_eq!(r.status, 204);
        let e = sse.next().await.unwrap();
        assert_eq!(e.event, "close");
        assert_eq!(
            serde_json::from_str::<Value>(&e.data).unwrap(),
            json!({"code": 4001, "reason": "done here"})
        );
        assert!(sse.next().await.is_none());
        assert_eq!(post_text(&up, "late").await.status, 404);
        let stats = get(&format!("{}/control/stats", base(&s))).await.json();
        assert_eq!(stats["connections"]["sse"], 0);
        assert_eq!(stats["opened"]["sse"], 1);
        let last = stats["closes"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["transport"], "sse");
        assert_eq!(last["code"], 4001);
        assert_eq!(last["reason"], "done here");
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn chat_across_transports() {
    bounded(async {
        let s = server().await;
        // SSE chat client.
        let (_, sse) = SseClient::open(s.config["sse"]["chat"].as_str().unwrap()).await;
        let mut sse = sse.unwrap();
        let open = sse.next().await.unwrap();
        assert_eq!(open.event, "session");
        let welcome: Value = serde_json::from_str(&sse.next().await.unwrap().data).unwrap();
        assert_eq!(welcome["type"], "welcome");
        let sse_id = welcome["clientId"].as_str().unwrap().to_string();

        // Polling chat client.
        let poll_url = s.config["poll"]["chat"].as_str().unwrap().to_string();
        let session = post(&poll_url).await.json()["session"]
            .as_str()
            .unwrap()
            .to_string();
        let poll_session = format!("{poll_url}/{session}");
        let items = get(&format!("{poll_session}?wait=5000")).await.json();
        let w: Value = serde_json::from_str(items[0]["text"].as_str().unwrap()).unwrap();
        assert_eq!(w["type"], "welcome");
        assert_eq!(w["onlineCount"], 2);

        // WebSocket chat client talks; the others hear it.
        let (mut ws, _) = ws_connect(s.config["ws"]["chat"].as_str().unwrap(), None).await;
        assert_eq!(ws_json(&mut ws).await["onlineCount"], 3);
        ws_send_json(&mut ws, json!({"type": "chat", "text": "hello all"})).await;
        let m: Value = serde_json::from_str(&sse.next().await.unwrap().data).unwrap();
        assert_eq!(m["text"], "hello all");
        let items = get(&format!("{poll_session}?wait=5000")).await.json();
        let m: Value = serde_json::from_str(items[0]["text"].as_str().unwrap()).unwrap();
        assert_eq!(m["text"], "hello all");

        // SSE client sends a private message to the WS client.
        let ws_id = {
            let stats = get(&format!("{}/control/stats", base(&s))).await.json();
            assert_eq!(stats["connections"]["websocket"], 1);
            assert_eq!(stats["connections"]["sse"], 1);
            assert_eq!(stats["connections"]["long-polling"], 1);
            m["from"].as_str().unwrap().to_string()
        };
        let sse_up = format!(
            "{}/{}",
            s.config["sse"]["chat"].as_str().unwrap(),
            serde_json::from_str::<Value>(&open.data).unwrap()["session"]
                .as_str()
                .unwrap()
        );
        let pm = json!({"type": "private_message", "to": ws_id, "text": "hi ws"}).to_string();
        assert_eq!(post_text(&sse_up, &pm).await.status, 204);
        let got = ws_json(&mut ws).await;
        assert_eq!(got["from"], sse_id);
        assert_eq!(got["text"], "hi ws");
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn polling_open_send_poll_close() {
    bounded(async {
        let s = server().await;
        let url = s.config["poll"]["echo"].as_str().unwrap().to_string();
        let r = post(&url).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.headers["access-control-allow-origin"], "*");
        let session = r.json()["session"].as_str().unwrap().to_string();
        let su = format!("{url}/{session}");

        // Empty poll times out with [].
        let t0 = std::time::Instant::now();
        let r = get(&format!("{su}?wait=200")).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json(), json!([]));
        assert!(t0.elapsed() >= Duration::from_millis(150));

        assert_eq!(post_text(&su, "a").await.status, 204);
        assert_eq!(
            request("POST", &su, Some("application/octet-stream"), vec![9, 8])
                .await
                .status,
            204
        );
        assert_eq!(post_text(&su, "multi\nline").await.status, 204);
        let items = get(&format!("{su}?wait=2000")).await.json();
        assert_eq!(
            items,
            json!([{"text": "a"}, {"binary": "CQg="}, {"text": "multi\nline"}])
        );

        // A waiting poll is woken by a message.
        let waiter = tokio::spawn({
            let su = su.clone();
            async move { get(&format!("{su}?wait=10000")).await.json() }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(post_text(&su, "ping").await.status, 204);
        assert_eq!(waiter.await.unwrap(), json!([{"text": "pong"}]));

        // Close: a poll in flight gets the close entry, then 404.
        let waiter = tokio::spawn({
            let su = su.clone();
            async move { get(&format!("{su}?wait=10000")).await.json() }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let r = request(
            "POST",
            &format!("{su}/close"),
            Some("application/json"),
            json!({"code": 1000, "reason": "finished"})
                .to_string()
                .into_bytes(),
        )
        .await;
        assert_eq!(r.status, 204);
        assert_eq!(
            waiter.await.unwrap(),
            json!([{"close": {"code": 1000, "reason": "finished"}}])
        );
        assert_eq!(get(&format!("{su}?wait=100")).await.status, 404);
        assert_eq!(post_text(&su, "x").await.status, 404);
        let stats = get(&format!("{}/control/stats", base(&s))).await.json();
        let last = stats["closes"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["transport"], "long-polling");
        assert_eq!(last["reason"], "finished");
        assert_eq!(stats["connections"]["long-polling"], 0);
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn control_drop_refuse_disable() {
    bounded(async {
        let s = server().await;
        let b = base(&s);
        let ws_url = s.config["ws"]["echo"].as_str().unwrap().to_string();
        let poll_url = s.config["poll"]["echo"].as_str().unwrap().to_string();
        let sse_url = s.config["sse"]["echo"].as_str().unwrap().to_string();

        // drop: WS ends without a close frame, SSE stream ends, polling session forgotten.
        let (mut ws, _) = ws_connect(&ws_url, None).await;
        let (_, sse) = SseClient::open(&sse_url).await;
        let mut sse = sse.unwrap();
        assert_eq!(sse.next().await.unwrap().event, "session");
        let session = post(&poll_url).await.json()["session"]
            .as_str()
            .unwrap()
            .to_string();
        let r = post(&format!("{b}/control/drop")).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.headers["access-control-allow-origin"], "*");
        assert_eq!(r.json()["dropped"], 3);
        match ws.next().await {
            None | Some(Err(_)) => {}
            Some(Ok(Message::Close(_))) => panic!("drop must not send a close frame"),
            Some(Ok(m)) => panic!("unexpected {m:?}"),
        }
        assert!(sse.next().await.is_none());
        assert_eq!(
            get(&format!("{poll_url}/{session}?wait=100")).await.status,
            404
        );
        let stats = get(&format!("{b}/control/stats")).await.json();
        assert_eq!(
            stats["connections"],
            json!({"websocket": 0, "sse": 0, "long-polling": 0, "webtransport": 0})
        );

        // refuse: 503 for every new connection, then back to normal.
        assert_eq!(
            post(&format!("{b}/control/refuse?ms=400")).await.status,
            200
        );
        let err = tokio_tungstenite::connect_async(&ws_url).await.unwrap_err();
        assert!(err.to_string().contains("503"), "{err}");
        assert_eq!(post(&poll_url).await.status, 503);
        assert_eq!(SseClient::open(&sse_url).await.0, 503);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (_ws, _) = ws_connect(&ws_url, None).await;
        assert_eq!(post(&poll_url).await.status, 200);

        // transport disable / enable.
        let r = post(&format!("{b}/control/transport/websocket/disable")).await;
        assert_eq!(r.json()["disabled"], json!(["websocket"]));
        assert!(tokio_tungstenite::connect_async(&ws_url).await.is_err());
        assert_eq!(post(&poll_url).await.status, 200);
        post(&format!("{b}/control/transport/long-polling/disable")).await;
        assert_eq!(post(&poll_url).await.status, 503);
        post(&format!("{b}/control/transport/websocket/enable")).await;
        let (_ws2, _) = ws_connect(&ws_url, None).await;
        post(&format!("{b}/control/reset")).await;
        assert_eq!(post(&poll_url).await.status, 200);
        assert_eq!(
            post(&format!("{b}/control/transport/carrier-pigeon/disable"))
                .await
                .status,
            404
        );
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn control_blackhole_and_latency() {
    bounded(async {
        let s = server().await;
        let b = base(&s);
        let (mut ws, _) = ws_connect(s.config["ws"]["echo"].as_str().unwrap(), None).await;
        assert_eq!(
            post(&format!("{b}/control/blackhole?ms=300")).await.status,
            200
        );
        ws.send(Message::Text("ping".into())).await.unwrap();
        ws.send(Message::Text("lost".into())).await.unwrap();
        ws_quiet(&mut ws, 200).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
        ws.send(Message::Text("back".into())).await.unwrap();
        assert_eq!(ws_next(&mut ws).await, Message::Text("back".into()));

        assert_eq!(
            post(&format!("{b}/control/latency?ms=600")).await.status,
            200
        );
        let t0 = std::time::Instant::now();
        ws.send(Message::Text("slow".into())).await.unwrap();
        assert_eq!(ws_next(&mut ws).await, Message::Text("slow".into()));
        assert!(t0.elapsed() >= Duration::from_millis(580));
        post(&format!("{b}/control/latency?ms=0")).await;
        let t0 = std::time::Instant::now();
        ws.send(Message::Text("fast".into())).await.unwrap();
        assert_eq!(ws_next(&mut ws).await, Message::Text("fast".into()));
        assert!(t0.elapsed() < Duration::from_millis(500));
        s.shutdown();
    })
    .await
}

// ------------------------------------------------------------------ WebTransport

async fn read_frame(recv: &mut wtransport::RecvStream) -> Option<(u8, Vec<u8>)> {
    let mut h = [0u8; 5];
    recv.read_exact(&mut h).await.ok()?;
    let len = u32::from_be_bytes([h[1], h[2], h[3], h[4]]) as usize;
    let mut p = vec![0u8; len];
    recv.read_exact(&mut p).await.ok()?;
    Some((h[0], p))
}

#[tokio::test]
async fn webtransport_echo_streams_datagrams() {
    use reference_server::wt::{encode_close, encode_frame};
    bounded(async {
        let s = server().await;
        let client = wt_client(s.config["certificateSha256"].as_str().unwrap());
        let url = s.config["webtransport"]["echo"].as_str().unwrap();
        let conn = client.connect(url).await.expect("wt connect");
        let (mut send, mut recv) = conn.open_bi().await.unwrap().await.unwrap();

        send.write_all(&encode_frame(0, "héllo".as_bytes()))
            .await
            .unwrap();
        assert_eq!(
            read_frame(&mut recv).await.unwrap(),
            (0, "héllo".as_bytes().to_vec())
        );
        send.write_all(&encode_frame(1, &[1, 2, 3])).await.unwrap();
        assert_eq!(read_frame(&mut recv).await.unwrap(), (1, vec![1, 2, 3]));
        send.write_all(&encode_frame(0, b"ping")).await.unwrap();
        assert_eq!(read_frame(&mut recv).await.unwrap(), (0, b"pong".to_vec()));

        // Datagram echo.
        conn.send_datagram(b"dgram".as_slice()).unwrap();
        let d = conn.receive_datagram().await.unwrap();
        assert_eq!(&d.payload()[..], b"dgram");

        // Unidirectional stream echo.
        let mut uni = conn.open_uni().await.unwrap().await.unwrap();
        uni.write_all(b"uni payload").await.unwrap();
        uni.finish().await.unwrap();
        let mut back = conn.accept_uni().await.unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        while let Some(n) = back.read(&mut buf).await.unwrap() {
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, b"uni payload");

        let stats = get(&format!("{}/control/stats", base(&s))).await.json();
        assert_eq!(stats["connections"]["webtransport"], 1);

        // Close frame → close frame back, recorded in stats.
        send.write_all(&encode_close(4002, "wt bye")).await.unwrap();
        let (kind, payload) = read_frame(&mut recv).await.unwrap();
        assert_eq!(kind, 2);
        assert_eq!(u16::from_be_bytes([payload[0], payload[1]]), 4002);
        assert_eq!(&payload[2..], b"wt bye");
        let stats = get(&format!("{}/control/stats", base(&s))).await.json();
        let last = stats["closes"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["transport"], "webtransport");
        assert_eq!(last["code"], 4002);
        assert_eq!(last["reason"], "wt bye");
        conn.close(0u32.into(), b"");
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn webtransport_chat_limits_and_faults() {
    use reference_server::wt::encode_frame;
    bounded(async {
        let s = server_with(Options {
            max_payload: 1000,
            ..Options::default()
        })
        .await;
        let b = base(&s);
        let client = wt_client(s.config["certificateSha256"].as_str().unwrap());

        // Chat welcome over the stream.
        let conn = client
            .connect(s.config["webtransport"]["chat"].as_str().unwrap())
            .await
            .unwrap();
        let (mut send, mut recv) = conn.open_bi().await.unwrap().await.unwrap();
        // The server registers the connection when the stream's first bytes arrive.
        send.write_all(&encode_frame(0, b"ping")).await.unwrap();
        let (k, p) = read_frame(&mut recv).await.unwrap();
        assert_eq!(k, 0);
        let w: Value = serde_json::from_slice(&p).unwrap();
        assert_eq!(w["type"], "welcome");
        assert_eq!(read_frame(&mut recv).await.unwrap(), (0, b"pong".to_vec()));

        // Over-size frame → close 1009.
        let mut header = vec![1u8];
        header.extend_from_slice(&5000u32.to_be_bytes());
        send.write_all(&header).await.unwrap();
        let (k, p) = read_frame(&mut recv).await.unwrap();
        assert_eq!(k, 2);
        assert_eq!(u16::from_be_bytes([p[0], p[1]]), 1009);
        drop(conn);

        // Drop closes WebTransport sessions.
        let conn = client
            .connect(s.config["webtransport"]["echo"].as_str().unwrap())
            .await
            .unwrap();
        let (mut send, mut recv) = conn.open_bi().await.unwrap().await.unwrap();
        send.write_all(&encode_frame(0, b"x")).await.unwrap();
        assert_eq!(read_frame(&mut recv).await.unwrap(), (0, b"x".to_vec()));
        post(&format!("{b}/control/drop")).await;
        conn.closed().await;

        // Disabled transport → session request rejected.
        post(&format!("{b}/control/transport/webtransport/disable")).await;
        assert!(client
            .connect(s.config["webtransport"]["echo"].as_str().unwrap())
            .await
            .is_err());
        post(&format!("{b}/control/reset")).await;
        assert!(client
            .connect(s.config["webtransport"]["echo"].as_str().unwrap())
            .await
            .is_ok());
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn binary_prints_one_config_line() {
    use std::io::BufRead;
    bounded(async {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_reference-server"))
            .args(["--host", "127.0.0.1", "--http-port", "0", "--wt-port", "0"])
            .args(["--max-payload", "4096"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn reference-server");
        let stdout = child.stdout.take().unwrap();
        // Kill the child even if an assertion fails.
        struct KillOnDrop(std::process::Child);
        impl Drop for KillOnDrop {
            fn drop(&mut self) {
                let _ = self.0.kill();
                let _ = self.0.wait();
            }
        }
        let child = KillOnDrop(child);
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            std::io::BufReader::new(stdout)
                .read_line(&mut line)
                .unwrap();
            line
        })
        .await
        .unwrap();
        let config: Value = serde_json::from_str(line.trim()).expect("one JSON line");
        assert_eq!(config["maxPayload"], 4096);
        let served = get(&format!("{}/config", config["http"].as_str().unwrap())).await;
        assert_eq!(served.json(), config);
        let (mut ws, _) = ws_connect(config["ws"]["echo"].as_str().unwrap(), None).await;
        ws.send(Message::Text("via binary".into())).await.unwrap();
        assert_eq!(ws_next(&mut ws).await, Message::Text("via binary".into()));
        drop(child);
    })
    .await
}

#[tokio::test]
async fn polling_session_expires_and_sse_disconnect() {
    bounded(async {
        let s = server_with(Options {
            session_idle: Duration::from_millis(300),
            ..Options::default()
        })
        .await;
        // A chat WebSocket client watches the others come and go.
        let (mut ws, _) = ws_connect(s.config["ws"]["chat"].as_str().unwrap(), None).await;
        assert_eq!(ws_json(&mut ws).await["type"], "welcome");

        let poll_url = s.config["poll"]["chat"].as_str().unwrap().to_string();
        let session = post(&poll_url).await.json()["session"]
            .as_str()
            .unwrap()
            .to_string();
        // A poll in flight keeps the session alive past the idle time.
        let items = get(&format!("{poll_url}/{session}?wait=600")).await.json();
        assert_eq!(items.as_array().unwrap().len(), 1); // welcome
        let items = get(&format!("{poll_url}/{session}?wait=600")).await.json();
        assert_eq!(items, json!([]));
        // No poll: expires (1001), counted as a disconnect.
        let d = ws_json(&mut ws).await;
        assert_eq!(d["type"], "user_disconnected");
        assert_eq!(
            get(&format!("{poll_url}/{session}?wait=10")).await.status,
            404
        );

        // An SSE chat client that goes away is a disconnect too.
        let (_, sse) = SseClient::open(s.config["sse"]["chat"].as_str().unwrap()).await;
        let mut sse = sse.unwrap();
        assert_eq!(sse.next().await.unwrap().event, "session");
        let welcome: Value = serde_json::from_str(&sse.next().await.unwrap().data).unwrap();
        drop(sse);
        let d = ws_json(&mut ws).await;
        assert_eq!(d["type"], "user_disconnected");
        assert_eq!(d["userId"], welcome["clientId"]);
        let stats = get(&format!("{}/control/stats", base(&s))).await.json();
        assert_eq!(stats["connections"]["sse"], 0);
        assert_eq!(stats["connections"]["long-polling"], 0);
        s.shutdown();
    })
    .await
}

// ------------------------------------------------------------------ HTTP batches and tokens

/// One §2 frame: kind, u32 BE length, payload.
fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

const BATCH: &str = "application/vnd.universal-socket.batch";

#[tokio::test]
async fn http_upstream_batches_deliver_in_order() {
    bounded(async {
        let s = server().await;
        // Long polling: one POST carrying text, binary, empty text, ping and more text.
        let url = s.config["poll"]["echo"].as_str().unwrap().to_string();
        let session = post(&url).await.json()["session"]
            .as_str()
            .unwrap()
            .to_string();
        let su = format!("{url}/{session}");
        let mut body = Vec::new();
        for (kind, payload) in [
            (0u8, &b"one"[..]),
            (1, &[0, 255, 7][..]),
            (0, &b""[..]),
            (0, &b"ping"[..]),
            (0, "dré\nx".as_bytes()),
        ] {
            body.extend(frame(kind, payload));
        }
        assert_eq!(request("POST", &su, Some(BATCH), body).await.status, 204);
        // The v1 single-message form still works, after the batch.
        assert_eq!(post_text(&su, "single").await.status, 204);
        let mut items = Vec::new();
        while items.len() < 6 {
            let got = get(&format!("{su}?wait=2000")).await.json();
            items.extend(got.as_array().unwrap().iter().cloned());
        }
        assert_eq!(
            Value::Array(items),
            json!([{"text": "one"}, {"binary": "AP8H"}, {"text": ""}, {"text": "pong"},
                   {"text": "dré\nx"}, {"text": "single"}])
        );

        // SSE: a thousand messages in one POST arrive in order.
        let sse_url = s.config["sse"]["echo"].as_str().unwrap().to_string();
        let (_, sse) = SseClient::open(&sse_url).await;
        let mut sse = sse.unwrap();
        let open = sse.next().await.unwrap();
        let id = serde_json::from_str::<Value>(&open.data).unwrap()["session"]
            .as_str()
            .unwrap()
            .to_string();
        let body: Vec<u8> = (0..1000)
            .flat_map(|i| frame(0, format!("m{i}").as_bytes()))
            .collect();
        let up = format!("{sse_url}/{id}");
        // Content-Type parameters and case do not matter.
        let ct = "Application/Vnd.Universal-Socket.Batch; v=1";
        assert_eq!(request("POST", &up, Some(ct), body).await.status, 204);
        for i in 0..1000 {
            assert_eq!(sse.next().await.unwrap().data, format!("m{i}"));
        }
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn http_upstream_batches_are_checked_whole() {
    bounded(async {
        let s = server_with(Options {
            max_payload: 100,
            ..Options::default()
        })
        .await;
        let url = s.config["poll"]["echo"].as_str().unwrap().to_string();
        let session = post(&url).await.json()["session"]
            .as_str()
            .unwrap()
            .to_string();
        let su = format!("{url}/{session}");
        let good = frame(0, b"good");
        let cases: Vec<(Vec<u8>, u16)> = vec![
            ([good.clone(), frame(0, &[0xff, 0xfe])].concat(), 400), // not UTF-8
            ([good.clone(), frame(2, &[3, 232])].concat(), 400),     // close kind
            ([good.clone(), vec![0, 0, 0]].concat(), 400),           // truncated header
            ([good.clone(), vec![0, 0, 0, 0, 9, b'x']].concat(), 400), // truncated payload
            ([good.clone(), frame(1, &[0; 101])].concat(), 413),     // item over maxPayload
            // A header announcing 4 GiB is refused without waiting for it.
            ([good.clone(), vec![1, 255, 255, 255, 255]].concat(), 413),
        ];
        for (body, status) in cases {
            assert_eq!(request("POST", &su, Some(BATCH), body).await.status, status);
        }
        // Many small items may exceed maxPayload in total (up to 1 MiB of body).
        let many: Vec<u8> = (0..100).flat_map(|_| frame(0, b"0123456789")).collect();
        assert_eq!(request("POST", &su, Some(BATCH), many).await.status, 204);
        let mut items = Vec::new();
        while items.len() < 100 {
            let got = get(&format!("{su}?wait=2000")).await.json();
            items.extend(got.as_array().unwrap().iter().cloned());
        }
        // Nothing of a refused batch was delivered: only the 100 items of the good one.
        assert!(items.iter().all(|i| i["text"] == "0123456789"), "{items:?}");
        assert!(get(&format!("{su}?wait=200")).await.json() == json!([]));
        let too_big = vec![0u8; (1 << 20) + 1];
        assert_eq!(request("POST", &su, Some(BATCH), too_big).await.status, 413);
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn http_transports_take_a_token_query_everywhere() {
    bounded(async {
        let s = server().await;
        let b = base(&s);
        // Long polling with the token on every request, as the client sends it.
        let url = s.config["poll"]["echo"].as_str().unwrap().to_string();
        let r = post(&format!("{url}?token=p%20t")).await;
        assert_eq!(r.status, 200);
        let session = r.json()["session"].as_str().unwrap().to_string();
        let su = format!("{url}/{session}");
        assert_eq!(
            post_text(&format!("{su}?token=p%20t"), "hi").await.status,
            204
        );
        let items = get(&format!("{su}?token=p%20t&wait=2000")).await.json();
        assert_eq!(items, json!([{"text": "hi"}]));
        let r = request(
            "POST",
            &format!("{su}/close?token=p%20t"),
            Some("application/json"),
            br#"{"code":4002,"reason":"tok"}"#.to_vec(),
        )
        .await;
        assert_eq!(r.status, 204);
        // SSE likewise, then one without a token.
        let sse_url = s.config["sse"]["echo"].as_str().unwrap().to_string();
        let (_, sse) = SseClient::open(&format!("{sse_url}?token=s")).await;
        let mut sse = sse.unwrap();
        let id = serde_json::from_str::<Value>(&sse.next().await.unwrap().data).unwrap()["session"]
            .as_str()
            .unwrap()
            .to_string();
        let up = format!("{sse_url}/{id}?token=s");
        assert_eq!(post_text(&up, "x").await.status, 204);
        assert_eq!(sse.next().await.unwrap().data, "x");
        let (_, plain) = SseClient::open(&sse_url).await;
        plain.unwrap().next().await.unwrap();
        let stats = get(&format!("{b}/control/stats")).await.json();
        let tokens: Vec<(String, Value)> = stats["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["transport"].as_str().unwrap().to_owned(),
                    t["token"].clone(),
                )
            })
            .collect();
        assert_eq!(
            tokens,
            vec![
                ("long-polling".to_owned(), json!("p t")),
                ("sse".to_owned(), json!("s")),
                ("sse".to_owned(), Value::Null),
            ]
        );
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn http_poll_answers_are_bounded() {
    bounded(async {
        let s = server().await;
        let url = s.config["poll"]["echo"].as_str().unwrap().to_string();
        let session = post(&url).await.json()["session"]
            .as_str()
            .unwrap()
            .to_string();
        let su = format!("{url}/{session}");
        // Three 600 KB echoes are queued; one answer takes items only while under 1 MiB.
        let body: Vec<u8> = (0..3).flat_map(|_| frame(1, &[7; 600_000])).collect();
        assert_eq!(request("POST", &su, Some(BATCH), body).await.status, 204);
        let mut sizes = Vec::new();
        let mut got = 0;
        while got < 3 {
            let r = get(&format!("{su}?wait=2000")).await;
            sizes.push(r.body.len());
            got += r.json().as_array().unwrap().len();
        }
        assert_eq!(got, 3);
        assert!(sizes.len() >= 2, "split over several answers: {sizes:?}");
        // Under 1 MiB plus one item (800 000 base64 bytes).
        assert!(sizes.iter().all(|&n| n < (1 << 20) + 800_100), "{sizes:?}");
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn control_close_ends_every_connection_cleanly_with_the_code() {
    bounded(async {
        let s = server().await;
        let b = base(&s);
        let ws_url = s.config["ws"]["echo"].as_str().unwrap().to_string();
        let sse_url = s.config["sse"]["echo"].as_str().unwrap().to_string();
        let (mut ws, _) = ws_connect(&ws_url, None).await;
        let (_, sse) = SseClient::open(&sse_url).await;
        let mut sse = sse.unwrap();
        assert_eq!(sse.next().await.unwrap().event, "session");
        let r = post(&format!("{b}/control/close?code=4321&reason=server%20bye")).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["closed"], 2);
        match ws.next().await {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_eq!(u16::from(frame.code), 4321);
                assert_eq!(frame.reason.as_str(), "server bye");
            }
            other => panic!("expected a close frame, got {other:?}"),
        }
        let close = sse.next().await.unwrap();
        assert_eq!(close.event, "close");
        assert!(close.data.contains("4321"), "{}", close.data);
        s.shutdown();
    })
    .await
}

/// `/poll/hostile-slow-{case}` (PROTOCOL.md §8): a client that drops a slow answer's body after
/// its first chunk is recorded as `cancelled` by `GET /control/bodies`, well before the end;
/// `too-long` declares its whole length; `/control/reset` forgets the records.
#[tokio::test]
async fn slow_poll_bodies_record_a_cancelled_download() {
    bounded(async {
        let s = server().await;
        let b = base(&s);
        let session = "0123456789abcdef0123456789abcdef";
        let resp = send_req(
            "GET",
            &format!("{b}/poll/hostile-slow-404/{session}"),
            None,
            vec![],
        )
        .await;
        assert_eq!(resp.status().as_u16(), 404);
        let mut body = resp.into_body();
        body.frame().await.expect("a first chunk").unwrap();
        drop(body);
        let record = loop {
            let bodies = get(&format!("{b}/control/bodies")).await.json();
            let record = bodies["bodies"][0].clone();
            if record["state"] != "streaming" {
                break record;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(record["fixture"], "slow-404");
        assert_eq!(record["state"], "cancelled", "{record}");
        assert!(record["sent"].as_u64().unwrap() < record["total"].as_u64().unwrap() / 2);

        let resp = send_req(
            "GET",
            &format!("{b}/poll/hostile-slow-too-long/{session}"),
            None,
            vec![],
        )
        .await;
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(resp.headers()["content-length"], "8388608");
        drop(resp);
        assert_eq!(post(&format!("{b}/control/reset")).await.status, 200);
        let bodies = get(&format!("{b}/control/bodies")).await.json();
        assert_eq!(bodies["bodies"], json!([]));
        let missing = get(&format!("{b}/poll/hostile-slow-nope/{session}")).await;
        assert_eq!(missing.status, 404);
    })
    .await;
}
