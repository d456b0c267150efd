//! End-to-end tests of v2 resumable sessions (PROTOCOL.md §7) and the `soak` service, over
//! real loopback sockets: WebSocket, SSE, long polling and WebTransport. Every test starts its
//! own server on ephemeral ports and is bounded in time.

mod common;

use common::*;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::BodyExt;
use reference_server::hub::Msg;
use reference_server::session_frame::{decode, encode_ack, encode_data, SessionFrame};
use reference_server::{start, Options, Server};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

fn url(s: &Server, transport: &str, service: &str) -> String {
    s.config[transport][service].as_str().unwrap().to_string()
}

// ------------------------------------------------------------------ HTTP

async fn request(
    method: &str,
    url: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (u16, Bytes) {
    let resp = send_req(method, url, content_type, body).await;
    let status = resp.status().as_u16();
    (status, resp.into_body().collect().await.unwrap().to_bytes())
}

async fn control(s: &Server, path: &str) -> Value {
    let (status, body) =
        request("POST", &format!("{}/control/{path}", base(s)), None, vec![]).await;
    assert_eq!(status, 200, "/control/{path}");
    serde_json::from_slice(&body).unwrap()
}

async fn stats(s: &Server) -> Value {
    let (_, body) = request("GET", &format!("{}/control/stats", base(s)), None, vec![]).await;
    serde_json::from_slice(&body).unwrap()
}

const BATCH: &str = "application/vnd.universal-socket.batch";

/// An upstream batch body of session frames (each a §2 `0x01` binary frame).
fn batch(frames: &[Bytes]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in frames {
        out.push(1);
        out.extend_from_slice(&(f.len() as u32).to_be_bytes());
        out.extend_from_slice(f);
    }
    out
}

fn b64(s: &str) -> Bytes {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap()
        .into()
}

/// A v2 long-polling link: open, then poll items decoded as session frames.
struct Poll {
    url: String,
    queued: std::collections::VecDeque<SessionFrame>,
}

impl Poll {
    /// `POST {service_url}?{query}` → the HTTP session's poll URL.
    async fn open(service_url: &str, query: &str) -> Poll {
        let (status, body) = request("POST", &format!("{service_url}?{query}"), None, vec![]).await;
        assert_eq!(status, 200);
        let v: Value = serde_json::from_slice(&body).unwrap();
        Poll {
            url: format!("{service_url}/{}", v["session"].as_str().unwrap()),
            queued: Default::default(),
        }
    }

    async fn next(&mut self) -> SessionFrame {
        loop {
            if let Some(f) = self.queued.pop_front() {
                return f;
            }
            let (status, body) =
                request("GET", &format!("{}?wait=5000", self.url), None, vec![]).await;
            assert_eq!(status, 200);
            let items: Value = serde_json::from_slice(&body).unwrap();
            for item in items.as_array().unwrap() {
                let b = item["binary"].as_str().unwrap_or_else(|| panic!("{item}"));
                self.queued.push_back(decode(&b64(b)).unwrap());
            }
        }
    }

    async fn post(&self, frames: &[Bytes]) -> u16 {
        request("POST", &self.url, Some(BATCH), batch(frames))
            .await
            .0
    }
}

/// A v2 SSE link: the stream's `binary` events decoded as session frames.
struct Sse {
    body: hyper::body::Incoming,
    buf: String,
    up: String,
}

impl Sse {
    async fn open(service_url: &str, query: &str) -> Sse {
        let resp = send_req("GET", &format!("{service_url}?{query}"), None, vec![]).await;
        assert_eq!(resp.status(), 200);
        let mut sse = Sse {
            body: resp.into_body(),
            buf: String::new(),
            up: String::new(),
        };
        let (event, data) = sse.event().await.unwrap();
        assert_eq!(event, "session");
        let id: Value = serde_json::from_str(&data).unwrap();
        sse.up = format!("{service_url}/{}", id["session"].as_str().unwrap());
        sse
    }

    async fn event(&mut self) -> Option<(String, String)> {
        loop {
            if let Some(pos) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..pos + 2).collect();
                let mut event = String::new();
                let mut data = Vec::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event: ") {
                        event = v.to_string();
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data.push(v.to_string());
                    }
                }
                if data.is_empty() {
                    continue;
                }
                return Some((event, data.join("\n")));
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

    async fn next(&mut self) -> SessionFrame {
        let (event, data) = self.event().await.expect("sse open");
        assert_eq!(event, "binary", "{data}");
        decode(&b64(&data)).unwrap()
    }

    async fn post(&self, frames: &[Bytes]) -> u16 {
        request("POST", &self.up, Some(BATCH), batch(frames))
            .await
            .0
    }
}

// ------------------------------------------------------------------ WebSocket

async fn ws_open(url: &str) -> Ws {
    tokio_tungstenite::connect_async(url)
        .await
        .expect("ws connect")
        .0
}

async fn ws_msg(ws: &mut Ws) -> Message {
    loop {
        match ws.next().await.expect("ws open").expect("ws ok") {
            Message::Ping(_) | Message::Pong(_) => continue,
            m => return m,
        }
    }
}

/// The next session frame (a binary message).
async fn ws_frame(ws: &mut Ws) -> SessionFrame {
    match ws_msg(ws).await {
        Message::Binary(b) => decode(&b).expect("session frame"),
        m => panic!("expected a session frame, got {m:?}"),
    }
}

async fn ws_send(ws: &mut Ws, frame: Bytes) {
    ws.send(Message::Binary(frame)).await.unwrap();
}

/// The close code the server ends the socket with.
async fn ws_close_code(ws: &mut Ws) -> u16 {
    loop {
        match ws.next().await {
            Some(Ok(Message::Close(Some(f)))) => return f.code.into(),
            Some(Ok(Message::Close(None))) => return 1005,
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

// ------------------------------------------------------------------ frames

fn hello(f: SessionFrame) -> (u8, u64, String) {
    match f {
        SessionFrame::Hello {
            status,
            ack,
            session,
        } => (status, ack, session),
        f => panic!("expected hello, got {f:?}"),
    }
}

fn data(f: SessionFrame) -> (u64, u64, Msg) {
    match f {
        SessionFrame::Data { seq, ack, msg } => (seq, ack, msg),
        f => panic!("expected data, got {f:?}"),
    }
}

fn json_of(m: &Msg) -> Value {
    match m {
        Msg::Text(t) => serde_json::from_str(t).expect("json"),
        m => panic!("expected text, got {m:?}"),
    }
}

fn text(seq: u64, ack: u64, t: &str) -> Bytes {
    encode_data(seq, ack, &Msg::Text(t.into()))
}

fn jdata(seq: u64, ack: u64, v: Value) -> Bytes {
    encode_data(seq, ack, &Msg::Text(v.to_string()))
}

/// The next data frame, skipping ack frames (which the server may send at any time).
async fn ws_data(ws: &mut Ws) -> (u64, u64, Msg) {
    loop {
        match ws_frame(ws).await {
            SessionFrame::Ack(_) => continue,
            f => return data(f),
        }
    }
}

// ------------------------------------------------------------------ tests

#[tokio::test]
async fn websocket_v2_hello_data_frames_acks_and_ping() {
    bounded(async {
        let s = server().await;
        let echo = url(&s, "ws", "echo");
        let mut ws = ws_open(&format!("{echo}?v=2")).await;
        // The hello, byte by byte: kind 0x12, status 0, ack 0, the id in lowercase hex.
        let raw = match ws_msg(&mut ws).await {
            Message::Binary(b) => b,
            m => panic!("{m:?}"),
        };
        assert_eq!(raw.len(), 42);
        assert_eq!(&raw[..10], &[0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let (status, ack, id) = hello(decode(&raw).unwrap());
        assert_eq!((status, ack), (0, 0));
        assert!(id
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));

        // Echo through data frames: the reply carries the ack, so no ack frame follows.
        ws_send(&mut ws, text(1, 0, "héllo")).await;
        assert_eq!(
            data(ws_frame(&mut ws).await),
            (1, 1, Msg::Text("héllo".into()))
        );
        ws_send(
            &mut ws,
            encode_data(2, 1, &Msg::Binary(vec![0, 255].into())),
        )
        .await;
        assert_eq!(
            data(ws_frame(&mut ws).await),
            (2, 2, Msg::Binary(vec![0, 255].into()))
        );
        // The heartbeat stays raw text, not sequenced.
        ws.send(Message::Text("ping".into())).await.unwrap();
        assert_eq!(ws_msg(&mut ws).await, Message::Text("pong".into()));
        ws_send(&mut ws, encode_ack(2)).await;
        ws_quiet(&mut ws, 150).await;
        // A duplicate is not handled again, but acknowledged again.
        ws_send(&mut ws, text(2, 2, "again")).await;
        assert_eq!(ws_frame(&mut ws).await, SessionFrame::Ack(2));
        ws_quiet(&mut ws, 150).await;

        // A service that does not answer: an ack frame right after the message.
        let mut soak = ws_open(&format!("{}?v=2", url(&s, "ws", "soak"))).await;
        hello(ws_frame(&mut soak).await);
        ws_send(&mut soak, jdata(1, 0, json!({"type": "n", "n": 1}))).await;
        assert_eq!(ws_frame(&mut soak).await, SessionFrame::Ack(1));

        let st = stats(&s).await;
        assert_eq!(st["sessions"]["attached"], 2);
        assert_eq!(st["sessions"]["detached"], 0);
        assert_eq!(st["connections"]["websocket"], 2);

        // Without v=2 (or with another version) everything stays v1.
        let mut v1 = ws_open(&format!("{echo}?v=1")).await;
        v1.send(Message::Text("plain".into())).await.unwrap();
        assert_eq!(ws_msg(&mut v1).await, Message::Text("plain".into()));
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn resume_after_drop_resends_exactly_once_and_dedupes_client_resends() {
    bounded(async {
        let s = server().await;
        let echo = url(&s, "ws", "echo");
        let mut ws = ws_open(&format!("{echo}?v=2")).await;
        let (_, _, id) = hello(ws_frame(&mut ws).await);
        for (i, t) in ["one", "two", "three"].iter().enumerate() {
            ws_send(&mut ws, text(i as u64 + 1, 0, t)).await;
        }
        for i in 1..=3 {
            assert_eq!(data(ws_frame(&mut ws).await).0, i);
        }
        // The client acknowledges 1 only, then the link is dropped.
        ws_send(&mut ws, encode_ack(1)).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(control(&s, "drop").await["dropped"], 1);
        let st = stats(&s).await;
        assert_eq!(st["sessions"]["detached"], 1);
        assert_eq!(st["connections"]["websocket"], 0);

        // Resume: hello 1 with the server's ack (3), then 2 and 3 again (the client had 1).
        let mut ws = ws_open(&format!("{echo}?v=2&resume={id}.1")).await;
        assert_eq!(hello(ws_frame(&mut ws).await), (1, 3, id.clone()));
        assert_eq!(
            data(ws_frame(&mut ws).await),
            (2, 3, Msg::Text("two".into()))
        );
        assert_eq!(
            data(ws_frame(&mut ws).await),
            (3, 3, Msg::Text("three".into()))
        );
        // The client resends what it thinks unacknowledged: not echoed twice.
        ws_send(&mut ws, text(3, 3, "three")).await;
        assert_eq!(ws_frame(&mut ws).await, SessionFrame::Ack(3));
        ws_send(&mut ws, text(4, 3, "four")).await;
        assert_eq!(
            data(ws_frame(&mut ws).await),
            (4, 4, Msg::Text("four".into()))
        );
        ws_quiet(&mut ws, 200).await;
        let st = stats(&s).await;
        assert_eq!(st["sessions"]["resumed"], 1);
        assert_eq!(st["sessions"]["attached"], 1);
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn chat_client_keeps_its_id_and_room_across_drop_and_resume_on_other_transports() {
    bounded(async {
        let s = server().await;
        // A and B: v2 chat clients over WebSocket, in room r.
        let mut a = ws_open(&format!("{}?v=2", url(&s, "ws", "chat"))).await;
        let (_, _, a_session) = hello(ws_frame(&mut a).await);
        let (seq, _, welcome) = ws_data(&mut a).await;
        assert_eq!(seq, 1);
        let a_id = json_of(&welcome)["clientId"].as_str().unwrap().to_string();
        let mut b = ws_open(&format!("{}?v=2", url(&s, "ws", "chat"))).await;
        let (_, _, b_session) = hello(ws_frame(&mut b).await);
        let b_id = json_of(&ws_data(&mut b).await.2)["clientId"]
            .as_str()
            .unwrap()
            .to_string();
        ws_send(
            &mut a,
            jdata(1, 1, json!({"type": "join_room", "room": "r"})),
        )
        .await;
        assert_eq!(json_of(&ws_data(&mut a).await.2)["type"], "room_joined"); // seq 2
        ws_send(
            &mut b,
            jdata(1, 1, json!({"type": "join_room", "room": "r"})),
        )
        .await;
        assert_eq!(json_of(&ws_data(&mut b).await.2)["type"], "room_joined");
        let (seq, _, joined) = ws_data(&mut a).await;
        assert_eq!(
            (seq, json_of(&joined)["type"].as_str()),
            (3, Some("user_joined"))
        );

        // Both links dropped: both sessions detached, nobody disconnected.
        assert_eq!(control(&s, "drop").await["dropped"], 2);
        assert_eq!(stats(&s).await["sessions"]["detached"], 2);

        // B resumes over SSE and talks to the room while A is still detached.
        let mut sse = Sse::open(
            &url(&s, "sse", "chat"),
            &format!("v=2&resume={b_session}.2"),
        )
        .await;
        assert_eq!(hello(sse.next().await), (1, 1, b_session.clone()));
        let frames: Vec<Bytes> = (0..3)
            .map(|i| jdata(2 + i, 2, json!({"type": "chat", "text": format!("m{i}")})))
            .collect();
        assert_eq!(sse.post(&frames).await, 204);
        // B's own room copies (seq 3, 4, 5).
        for i in 0..3 {
            let (seq, _, m) = data(sse.next().await);
            assert_eq!(seq, 3 + i);
            assert_eq!(json_of(&m)["text"], format!("m{i}"));
        }

        // A resumes over long polling, having received up to 3: the three chat messages
        // arrive once, in order, from B in room r; no leave or disconnect of anyone.
        let mut poll = Poll::open(
            &url(&s, "poll", "chat"),
            &format!("v=2&resume={a_session}.3"),
        )
        .await;
        assert_eq!(hello(poll.next().await), (1, 1, a_session.clone()));
        for i in 0..3 {
            let (seq, ack, m) = data(poll.next().await);
            let m = json_of(&m);
            assert_eq!((seq, ack), (4 + i, 1));
            assert_eq!(m["type"], "chat");
            assert_eq!(m["from"], b_id);
            assert_eq!(m["room"], "r");
            assert_eq!(m["text"], format!("m{i}"));
        }
        // A speaks: B sees it from A's original clientId, in the room.
        assert_eq!(
            poll.post(&[
                encode_ack(6),
                jdata(2, 6, json!({"type": "chat", "text": "back"}))
            ])
            .await,
            204
        );
        let m = json_of(&data(sse.next().await).2);
        assert_eq!(
            (m["from"].as_str(), m["text"].as_str()),
            (Some(a_id.as_str()), Some("back"))
        );
        let m = json_of(&data(poll.next().await).2);
        assert_eq!(m["text"], "back");
        // Nothing else happened in between (no user_left / user_disconnected): the next
        // message each sees is a fresh one.
        assert_eq!(
            poll.post(&[jdata(3, 7, json!({"type": "chat", "text": "end"}))])
                .await,
            204
        );
        assert_eq!(json_of(&data(sse.next().await).2)["text"], "end");
        assert_eq!(json_of(&data(poll.next().await).2)["text"], "end");
        let st = stats(&s).await;
        assert_eq!(st["sessions"]["resumed"], 2);
        assert_eq!(st["sessions"]["attached"], 2);
        assert_eq!(st["connections"]["sse"], 1);
        assert_eq!(st["connections"]["long-polling"], 1);
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn resume_takes_over_a_webtransport_link_and_moves_back_to_webtransport() {
    use reference_server::wt::encode_frame;
    bounded(async {
        let s = server().await;
        let client = wt_client(s.config["certificateSha256"].as_str().unwrap());
        let conn = client
            .connect(format!("{}?v=2", url(&s, "webtransport", "echo")))
            .await
            .expect("wt connect");
        let (mut send, mut recv) = conn.open_bi().await.unwrap().await.unwrap();
        send.write_all(&encode_frame(1, &text(1, 0, "over wt")))
            .await
            .unwrap();
        let (_, _, id) = hello(wt_frame(&mut recv).await);
        assert_eq!(
            data(wt_frame(&mut recv).await),
            (1, 1, Msg::Text("over wt".into()))
        );

        // The WebTransport link is still attached: a resume over WebSocket takes over.
        let mut ws = ws_open(&format!("{}?v=2&resume={id}.0", url(&s, "ws", "echo"))).await;
        assert_eq!(hello(ws_frame(&mut ws).await), (1, 1, id.clone()));
        assert_eq!(
            data(ws_frame(&mut ws).await),
            (1, 1, Msg::Text("over wt".into()))
        );
        // The old link is not aborted at once (a climbing client switches only on the new
        // hello, and an abort reaching it first would look like a drop), but after 2 s, since
        // this client never closes it.
        assert!(
            tokio::time::timeout(Duration::from_millis(500), conn.closed())
                .await
                .is_err(),
            "the old link was aborted before the client could switch"
        );
        tokio::time::timeout(Duration::from_secs(5), conn.closed())
            .await
            .expect("old link aborted");
        ws_send(&mut ws, text(2, 1, "over ws")).await;
        assert_eq!(
            data(ws_frame(&mut ws).await),
            (2, 2, Msg::Text("over ws".into()))
        );
        let st = stats(&s).await;
        assert_eq!(st["connections"]["webtransport"], 0);
        assert_eq!(st["connections"]["websocket"], 1);
        assert_eq!(st["sessions"]["attached"], 1);
        assert_eq!(st["sessions"]["resumed"], 1);

        // And back onto WebTransport after a drop. The server sees the stream when its first
        // bytes arrive, so the client writes first (a ping): hello, then the pong.
        control(&s, "drop").await;
        let conn = client
            .connect(format!(
                "{}?v=2&resume={id}.2",
                url(&s, "webtransport", "echo")
            ))
            .await
            .expect("wt connect");
        let (mut send, mut recv) = conn.open_bi().await.unwrap().await.unwrap();
        send.write_all(&encode_frame(0, b"ping")).await.unwrap();
        assert_eq!(hello(wt_frame(&mut recv).await), (1, 2, id.clone()));
        let mut pong = [0u8; 9];
        recv.read_exact(&mut pong).await.unwrap();
        assert_eq!(&pong, b"\x00\x00\x00\x00\x04pong");
        send.write_all(&encode_frame(1, &text(3, 2, "back on wt")))
            .await
            .unwrap();
        assert_eq!(
            data(wt_frame(&mut recv).await),
            (3, 3, Msg::Text("back on wt".into()))
        );
        assert_eq!(stats(&s).await["sessions"]["resumed"], 2);
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn session_layer_errors_close_the_link_and_keep_the_session() {
    bounded(async {
        let s = server().await;
        let echo = url(&s, "ws", "echo");
        let mut ws = ws_open(&format!("{echo}?v=2")).await;
        let (_, _, id) = hello(ws_frame(&mut ws).await);
        ws_send(&mut ws, text(1, 0, "a")).await;
        data(ws_frame(&mut ws).await);
        // A gap: 1002.
        ws_send(&mut ws, text(3, 0, "c")).await;
        assert_eq!(ws_close_code(&mut ws).await, 1002);
        // The resume heals it: the server had 1.
        let mut ws = ws_open(&format!("{echo}?v=2&resume={id}.1")).await;
        assert_eq!(hello(ws_frame(&mut ws).await), (1, 1, id.clone()));
        ws_send(&mut ws, text(2, 1, "b")).await;
        assert_eq!(data(ws_frame(&mut ws).await), (2, 2, Msg::Text("b".into())));

        // Malformed frames: 1002; a text data frame that is not UTF-8: 1007; text other than
        // ping: 1002; a hello from the client: 1002.
        let mut bad_utf8 = text(3, 2, "x").to_vec();
        bad_utf8.push(0xff);
        let cases: Vec<(Message, u16)> = vec![
            (Message::Binary(Bytes::from_static(&[0x10, 0, 0])), 1002),
            (Message::Binary(Bytes::from_static(&[0x42])), 1002),
            (Message::Binary(bad_utf8.into()), 1007),
            (Message::Text("not ping".into()), 1002),
            (
                Message::Binary(reference_server::session_frame::encode_hello(
                    reference_server::session_frame::HelloStatus::New,
                    0,
                    &id,
                )),
                1002,
            ),
        ];
        for (msg, code) in cases {
            ws.send(msg).await.unwrap();
            assert_eq!(ws_close_code(&mut ws).await, code);
            ws = ws_open(&format!("{echo}?v=2&resume={id}.2")).await;
            assert_eq!(hello(ws_frame(&mut ws).await), (1, 2, id.clone()));
        }
        assert_eq!(stats(&s).await["sessions"]["resumed"], 6);
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn refused_resumes_get_a_new_session_with_the_reason() {
    bounded(async {
        let s = server().await;
        let echo = url(&s, "ws", "echo");
        // Unknown (and malformed) ids: 2.
        let unknown = "0123456789abcdef0123456789abcdef";
        // (Kept open, so that these sessions stay attached.)
        let mut keep = Vec::new();
        for q in [format!("resume={unknown}.5"), "resume=nonsense".to_string()] {
            let mut ws = ws_open(&format!("{echo}?v=2&{q}")).await;
            let (status, ack, id) = hello(ws_frame(&mut ws).await);
            assert_eq!((status, ack), (2, 0));
            assert_ne!(id, unknown);
            // The new session starts at seq 1.
            ws_send(&mut ws, text(1, 0, "x")).await;
            assert_eq!(data(ws_frame(&mut ws).await).0, 1);
            keep.push(ws);
        }

        // Another service: 4, and a chat welcome follows as seq 1 of the new session.
        let mut ws = ws_open(&format!("{echo}?v=2")).await;
        let (_, _, echo_id) = hello(ws_frame(&mut ws).await);
        let mut chat = ws_open(&format!("{}?v=2&resume={echo_id}.0", url(&s, "ws", "chat"))).await;
        let (status, _, new_id) = hello(ws_frame(&mut chat).await);
        assert_eq!(status, 4);
        assert_ne!(new_id, echo_id);
        let (seq, _, welcome) = data(ws_frame(&mut chat).await);
        assert_eq!(
            (seq, json_of(&welcome)["type"].as_str()),
            (1, Some("welcome"))
        );
        // The echo session is untouched by that.
        ws_send(&mut ws, text(1, 0, "still here")).await;
        assert_eq!(
            data(ws_frame(&mut ws).await).2,
            Msg::Text("still here".into())
        );

        // Expired: a short grace, the link dropped, the grace over: 3.
        assert_eq!(control(&s, "session-grace?ms=100").await["graceMs"], 100);
        control(&s, "drop").await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        let st = stats(&s).await;
        assert_eq!(st["sessions"]["detached"], 0);
        // The two above, the echo session and the chat session of status 4.
        assert_eq!(st["sessions"]["expired"], 4);
        let mut ws = ws_open(&format!("{echo}?v=2&resume={echo_id}.1")).await;
        let (status, ack, id) = hello(ws_frame(&mut ws).await);
        assert_eq!((status, ack), (3, 0));
        assert_ne!(id, echo_id);

        // /control/sessions/expire ends detached sessions at once; /control/reset too, and
        // restores the default grace.
        assert_eq!(
            control(&s, "session-grace?ms=60000").await["graceMs"],
            60000
        );
        control(&s, "drop").await;
        assert_eq!(stats(&s).await["sessions"]["detached"], 1);
        assert_eq!(control(&s, "sessions/expire").await["expired"], 1);
        let mut ws = ws_open(&format!("{echo}?v=2&resume={id}.0")).await;
        let (status, _, id) = hello(ws_frame(&mut ws).await);
        assert_eq!(status, 3);
        control(&s, "drop").await;
        control(&s, "reset").await;
        let st = stats(&s).await;
        assert_eq!(
            st["sessions"],
            json!({"attached": 0, "detached": 0, "resumed": 0, "expired": 0})
        );
        assert_eq!(control(&s, "session-grace").await["graceMs"], 120_000);
        let mut ws = ws_open(&format!("{echo}?v=2&resume={id}.0")).await;
        assert_eq!(hello(ws_frame(&mut ws).await).0, 3);
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn client_close_codes_decide_between_detach_and_end() {
    bounded(async {
        let s = server().await;
        let chat = url(&s, "ws", "chat");
        let mut watcher = ws_open(&chat).await; // v1, sees disconnects
        assert_eq!(
            json_of(&Msg::Text(text_of(ws_msg(&mut watcher).await)))["type"],
            "welcome"
        );

        // 4000 (heartbeat timeout): the close is answered, the session is kept.
        let mut ws = ws_open(&format!("{chat}?v=2")).await;
        let (_, _, id) = hello(ws_frame(&mut ws).await);
        data(ws_frame(&mut ws).await); // welcome
        ws.send(close(4000, "heartbeat timeout")).await.unwrap();
        assert_eq!(ws_close_code(&mut ws).await, 4000);
        ws_quiet(&mut watcher, 200).await;
        assert_eq!(stats(&s).await["sessions"]["detached"], 1);
        let mut ws = ws_open(&format!("{chat}?v=2&resume={id}.1")).await;
        assert_eq!(hello(ws_frame(&mut ws).await).0, 1);

        // 1000: the application's close ends the session (chat user_disconnected). Its id is
        // then unknown: a resume gets status 2 (3 is kept for sessions that expired).
        ws.send(close(1000, "bye")).await.unwrap();
        assert_eq!(ws_close_code(&mut ws).await, 1000);
        let d = json_of(&Msg::Text(text_of(ws_msg(&mut watcher).await)));
        assert_eq!(d["type"], "user_disconnected");
        let mut ws = ws_open(&format!("{chat}?v=2&resume={id}.1")).await;
        let (status, _, id) = hello(ws_frame(&mut ws).await);
        assert_eq!(status, 2);
        let st = stats(&s).await;
        let last = st["closes"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (last["code"].as_u64(), last["reason"].as_str()),
            (Some(1000), Some("bye"))
        );
        assert_eq!(st["sessions"]["expired"], 0);

        // A server close (/control/close, any code) ends sessions too.
        data(ws_frame(&mut ws).await); // welcome of the new session
        assert_eq!(
            control(&s, "close?code=1001&reason=restart").await["closed"],
            2
        );
        // (The watcher, v1, is closed too.)
        assert_eq!(ws_close_code(&mut ws).await, 1001);
        let st = stats(&s).await;
        assert_eq!(
            (
                st["sessions"]["attached"].as_u64(),
                st["sessions"]["detached"].as_u64()
            ),
            (Some(0), Some(0))
        );
        let mut ws = ws_open(&format!("{chat}?v=2&resume={id}.1")).await;
        assert_eq!(hello(ws_frame(&mut ws).await).0, 2);
        s.shutdown();
    })
    .await
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
        code: code.into(),
        reason: reason.to_string().into(),
    }))
}

fn text_of(m: Message) -> String {
    match m {
        Message::Text(t) => t.to_string(),
        m => panic!("expected text, got {m:?}"),
    }
}

#[tokio::test]
async fn soak_counts_client_messages_and_reports() {
    bounded(async {
        let s = server().await;
        // v1: the stream, the counters and the report as plain text messages.
        let mut ws = ws_open(&url(&s, "ws", "soak")).await;
        ws.send(Message::Text(
            json!({"type": "start", "count": 20, "intervalMs": 1, "burst": 5})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
        for k in 1..=20 {
            let m: Value = serde_json::from_str(&text_of(ws_msg(&mut ws).await)).unwrap();
            assert_eq!(m, json!({"type": "n", "n": k}));
        }
        for n in [1, 2, 2, 4, 3] {
            ws.send(Message::Text(
                json!({"type": "n", "n": n}).to_string().into(),
            ))
            .await
            .unwrap();
        }
        ws.send(Message::Text(r#"{"type":"report"}"#.into()))
            .await
            .unwrap();
        let r: Value = serde_json::from_str(&text_of(ws_msg(&mut ws).await)).unwrap();
        assert_eq!(
            r,
            json!({"type": "report", "received": 5, "next": 5, "duplicates": 2,
                   "outOfOrder": 1, "sent": 20})
        );
        ws.send(Message::Text(r#"{"type":"nope"}"#.into()))
            .await
            .unwrap();
        let e: Value = serde_json::from_str(&text_of(ws_msg(&mut ws).await)).unwrap();
        assert_eq!(e["code"], "UNKNOWN_MESSAGE_TYPE");
        ws.send(Message::Text("not json".into())).await.unwrap();
        let e: Value = serde_json::from_str(&text_of(ws_msg(&mut ws).await)).unwrap();
        assert_eq!(e["code"], "INVALID_MESSAGE_FORMAT");
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn soak_stream_survives_drops_exactly_once_in_order() {
    bounded(async {
        let s = server().await;
        let soak = url(&s, "ws", "soak");
        let mut ws = ws_open(&format!("{soak}?v=2")).await;
        let (_, _, id) = hello(ws_frame(&mut ws).await);
        let start = json!({"type": "start", "count": 600, "intervalMs": 1, "burst": 3});
        ws_send(&mut ws, jdata(1, 0, start)).await;
        // Read some, acknowledging as a client does, then lose the link twice while the
        // stream goes on (the second time over SSE).
        let mut got: Vec<u64> = Vec::new();
        let mut last = 0;
        let expect = |seq: u64, m: &Msg, got: &mut Vec<u64>, last: &mut u64| {
            if seq <= *last {
                return; // a resend of what the client already had: dropped by seq
            }
            assert_eq!(seq, *last + 1);
            *last = seq;
            got.push(json_of(m)["n"].as_u64().unwrap());
        };
        while got.len() < 50 {
            let (seq, _, m) = ws_data(&mut ws).await;
            expect(seq, &m, &mut got, &mut last);
        }
        ws_send(&mut ws, encode_ack(1)).await;
        control(&s, "drop").await;
        tokio::time::sleep(Duration::from_millis(100)).await;

        let mut sse = Sse::open(&url(&s, "sse", "soak"), &format!("v=2&resume={id}.{last}")).await;
        assert_eq!(hello(sse.next().await), (1, 1, id.clone()));
        while got.len() < 300 {
            match sse.next().await {
                SessionFrame::Ack(_) => {}
                f => {
                    let (seq, _, m) = data(f);
                    expect(seq, &m, &mut got, &mut last);
                }
            }
        }
        control(&s, "drop").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut ws = ws_open(&format!("{soak}?v=2&resume={id}.{last}")).await;
        assert_eq!(hello(ws_frame(&mut ws).await), (1, 1, id.clone()));
        while got.len() < 600 {
            let (seq, _, m) = ws_data(&mut ws).await;
            expect(seq, &m, &mut got, &mut last);
        }
        assert_eq!(got, (1..=600).collect::<Vec<u64>>());
        ws_send(&mut ws, jdata(2, last, json!({"type": "report"}))).await;
        let (_, _, r) = ws_data(&mut ws).await;
        assert_eq!(json_of(&r)["sent"], 600);
        ws_quiet(&mut ws, 100).await;
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn resend_buffer_overflow_ends_the_session_with_status_3() {
    bounded(async {
        let s = server().await;
        let soak = url(&s, "ws", "soak");
        let mut ws = ws_open(&format!("{soak}?v=2")).await;
        let (_, _, id) = hello(ws_frame(&mut ws).await);
        // More than 10 000 unacknowledged frames, produced while detached.
        let start = json!({"type": "start", "count": 10_500, "intervalMs": 5, "burst": 3000});
        ws_send(&mut ws, jdata(1, 0, start)).await;
        // The stream has started (the first burst is coming) before the link is dropped.
        assert_eq!(json_of(&ws_data(&mut ws).await.2)["n"], 1);
        control(&s, "drop").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Overflowing while detached ends the session at once.
        let st = stats(&s).await;
        assert_eq!(st["sessions"]["detached"], 0);
        assert_eq!(st["sessions"]["expired"], 1);
        let mut ws = ws_open(&format!("{soak}?v=2&resume={id}.0")).await;
        let (status, _, new_id) = hello(ws_frame(&mut ws).await);
        assert_eq!(status, 3);
        assert_ne!(new_id, id);
        s.shutdown();
    })
    .await
}

#[tokio::test]
async fn polling_v2_link_dedupes_a_whole_post_and_acks_once() {
    bounded(async {
        let s = server().await;
        let mut poll = Poll::open(&url(&s, "poll", "echo"), "v=2").await;
        let (status, _, _) = hello(poll.next().await);
        assert_eq!(status, 0);
        // One POST: data 1, 2, a duplicate of 2, a ping, data 3.
        let body = batch(&[text(1, 0, "a"), text(2, 0, "b"), text(2, 0, "b")]);
        let mut body = body;
        body.extend_from_slice(&[0, 0, 0, 0, 4]);
        body.extend_from_slice(b"ping");
        body.extend(batch(&[text(3, 0, "c")]));
        assert_eq!(request("POST", &poll.url, Some(BATCH), body).await.0, 204);
        let (status, body) = request("GET", &format!("{}?wait=2000", poll.url), None, vec![]).await;
        assert_eq!(status, 200);
        let items: Value = serde_json::from_slice(&body).unwrap();
        let items = items.as_array().unwrap();
        // Echoes of 1 and 2, the raw pong, the echo of 3 (whose ack 3 makes an ack frame
        // unnecessary): the duplicate is neither echoed nor answered by an extra ack.
        assert_eq!(items.len(), 4, "{items:?}");
        let frame = |i: usize| decode(&b64(items[i]["binary"].as_str().unwrap())).unwrap();
        assert_eq!(data(frame(0)).2, Msg::Text("a".into()));
        assert_eq!(data(frame(1)).2, Msg::Text("b".into()));
        assert_eq!(items[2], json!({"text": "pong"}));
        assert_eq!(data(frame(3)), (3, 3, Msg::Text("c".into())));
        s.shutdown();
    })
    .await
}

// ------------------------------------------------------------------ WebTransport

/// The next §2 stream frame, which must be binary, decoded as a session frame.
async fn wt_frame(recv: &mut wtransport::RecvStream) -> SessionFrame {
    let mut h = [0u8; 5];
    recv.read_exact(&mut h).await.expect("wt frame header");
    assert_eq!(h[0], 1, "expected a binary stream frame");
    let len = u32::from_be_bytes([h[1], h[2], h[3], h[4]]) as usize;
    let mut p = vec![0u8; len];
    recv.read_exact(&mut p).await.expect("wt frame payload");
    decode(&p.into()).expect("session frame")
}

#[tokio::test]
async fn http_links_lost_by_idle_expiry_or_closed_with_4001_keep_the_session() {
    bounded(async {
        let s = start(Options {
            session_idle: Duration::from_millis(300),
            ..Options::default()
        })
        .await
        .unwrap();
        // A v2 polling link that is not polled expires: the session is detached, not ended.
        let mut poll = Poll::open(&url(&s, "poll", "echo"), "v=2").await;
        let (_, _, id) = hello(poll.next().await);
        assert_eq!(poll.post(&[text(1, 0, "kept")]).await, 204);
        tokio::time::sleep(Duration::from_millis(900)).await;
        assert_eq!(
            request("GET", &format!("{}?wait=10", poll.url), None, vec![])
                .await
                .0,
            404
        );
        let st = stats(&s).await;
        assert_eq!(st["sessions"]["detached"], 1);
        assert_eq!(st["connections"]["long-polling"], 0);

        // Resumed over SSE: the echo that was never polled comes now.
        let mut sse = Sse::open(&url(&s, "sse", "echo"), &format!("v=2&resume={id}.0")).await;
        assert_eq!(hello(sse.next().await), (1, 1, id.clone()));
        assert_eq!(data(sse.next().await), (1, 1, Msg::Text("kept".into())));
        // The client closes the SSE link with 4001 (connect timeout): answered, and kept.
        let close = json!({"code": 4001, "reason": "connect timeout"}).to_string();
        let up = format!("{}/close", sse.up);
        let (status, _) = request("POST", &up, Some("application/json"), close.into()).await;
        assert_eq!(status, 204);
        let (event, body) = sse.event().await.unwrap();
        assert_eq!(event, "close");
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["code"], 4001);
        assert!(sse.event().await.is_none());
        // The old HTTP link is gone: its upstream is 404 (nothing handled).
        assert_eq!(sse.post(&[text(2, 1, "late")]).await, 404);
        assert_eq!(stats(&s).await["sessions"]["detached"], 1);
        let mut ws = ws_open(&format!("{}?v=2&resume={id}.1", url(&s, "ws", "echo"))).await;
        assert_eq!(hello(ws_frame(&mut ws).await), (1, 1, id.clone()));
        ws_send(&mut ws, text(2, 1, "on ws")).await;
        assert_eq!(
            data(ws_frame(&mut ws).await),
            (2, 2, Msg::Text("on ws".into()))
        );
        s.shutdown();
    })
    .await
}
