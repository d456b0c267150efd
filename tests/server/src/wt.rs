//! WebTransport transport (HTTP/3 over UDP): `https://host:port/wt/{service}`.
//!
//! The client opens one bidirectional stream that carries PROTOCOL.md §2 frames both ways.
//! With `v=2` in the session URL's query the stream is a v2 link (PROTOCOL.md §7): session
//! frames travel inside `0x01` binary frames, the first being the server's `hello`.
//! On `echo`, datagrams are echoed as datagrams (`grow:N` is answered with N bytes: see
//! [`grown`]) and every client-opened unidirectional stream is echoed on a server-opened
//! unidirectional stream.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use wtransport::endpoint::endpoint_side::Server;
use wtransport::endpoint::IncomingSession;
use wtransport::error::ConnectionError;
use wtransport::{Connection, Endpoint, RecvStream, SendStream, VarInt};

use crate::hub::{CloseKind, Hub, Msg, Next, Out, Service, Transport};
use crate::resumable::LinkRequest;

pub const FRAME_TEXT: u8 = 0x00;
pub const FRAME_BINARY: u8 = 0x01;
pub const FRAME_CLOSE: u8 = 0x02;

/// Encode one stream frame.
pub fn encode_frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + payload.len());
    out.push(kind);
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// Encode a close frame: u16 BE code, then the UTF-8 reason truncated to 123 bytes.
pub fn encode_close(code: u16, reason: &str) -> Vec<u8> {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(&reason.as_bytes()[..end]);
    encode_frame(FRAME_CLOSE, &payload)
}

#[derive(Debug)]
enum Frame {
    Msg(Msg),
    Close(u16, String),
    /// Protocol violation: close with this code.
    Violation(u16, &'static str),
}

pub async fn serve(hub: Arc<Hub>, endpoint: Endpoint<Server>) {
    loop {
        let incoming = endpoint.accept().await;
        tokio::spawn(session(hub.clone(), incoming));
    }
}

async fn session(hub: Arc<Hub>, incoming: IncomingSession) {
    let request = match incoming.await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("[wt] handshake failed: {e}");
            return;
        }
    };
    let path = request.path().split('?').next().unwrap_or("").to_owned();
    let Some(service) = path.strip_prefix("/wt/").and_then(Service::from_name) else {
        request.not_found().await;
        return;
    };
    if hub.admit(Transport::WebTransport).is_err() {
        // Refused (`/control/refuse`) or transport disabled.
        request.too_many_requests().await;
        return;
    }
    // The session request's path carries the URL's query (the auth token, the v2 request).
    let uri = request.path().parse::<axum::http::Uri>().ok();
    let token = uri.as_ref().and_then(crate::ws::token_of);
    let v2 = uri.as_ref().and_then(LinkRequest::from_uri);
    let connection = match request.accept().await {
        Ok(c) => Arc::new(c),
        Err(e) => {
            eprintln!("[wt] accept failed: {e}");
            return;
        }
    };
    hub.record_token(Transport::WebTransport, token.as_deref());
    let mut drop_rx = hub.drop_gen.subscribe();
    drop_rx.borrow_and_update();
    // Set when `/control/wt-end-streams` finished this session's stream: the session's close
    // (the client's code and reason, or 0 when it closed without one) is then recorded.
    let stream_ended = Arc::new(AtomicBool::new(false));
    let mut side_tasks = Vec::new();
    if service == Service::Echo {
        side_tasks.push(tokio::spawn(echo_datagrams(
            hub.clone(),
            connection.clone(),
        )));
        side_tasks.push(tokio::spawn(echo_uni(hub.clone(), connection.clone())));
    }
    loop {
        tokio::select! {
            r = drop_rx.changed() => {
                if r.is_ok() {
                    connection.close(VarInt::from_u32(0), b"dropped");
                }
                break;
            }
            bi = connection.accept_bi() => match bi {
                Ok((send, recv)) => {
                    let (hub, v2, connection) = (hub.clone(), v2.clone(), connection.clone());
                    let ended = stream_ended.clone();
                    tokio::spawn(bi_stream(hub, service, v2, connection, send, recv, ended));
                }
                Err(e) => {
                    if stream_ended.load(Ordering::Relaxed) {
                        let (code, reason) = match &e {
                            ConnectionError::ApplicationClosed(close) => (
                                u16::try_from(close.code().into_inner()).unwrap_or(u16::MAX),
                                String::from_utf8_lossy(close.reason()).into_owned(),
                            ),
                            other => (1006, other.to_string()),
                        };
                        hub.record_close(Transport::WebTransport, service, code, &reason);
                    }
                    break;
                }
            }
        }
    }
    for t in side_tasks {
        t.abort();
    }
}

async fn read_frames(mut recv: RecvStream, max: usize, tx: mpsc::Sender<Frame>) {
    loop {
        let mut header = [0u8; 5];
        if recv.read_exact(&mut header).await.is_err() {
            return;
        }
        let kind = header[0];
        let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
        if !matches!(kind, FRAME_TEXT | FRAME_BINARY | FRAME_CLOSE) {
            let _ = tx.send(Frame::Violation(1002, "unknown frame kind")).await;
            return;
        }
        if len > max {
            let _ = tx.send(Frame::Violation(1009, "message too big")).await;
            return;
        }
        let mut payload = vec![0u8; len];
        if recv.read_exact(&mut payload).await.is_err() {
            return;
        }
        let frame = match kind {
            FRAME_TEXT => match String::from_utf8(payload) {
                Ok(t) => Frame::Msg(Msg::Text(t)),
                Err(_) => Frame::Violation(1007, "text frame is not UTF-8"),
            },
            FRAME_BINARY => Frame::Msg(Msg::Binary(payload.into())),
            _ => {
                if payload.len() < 2 {
                    Frame::Close(1005, String::new())
                } else {
                    let code = u16::from_be_bytes([payload[0], payload[1]]);
                    Frame::Close(code, String::from_utf8_lossy(&payload[2..]).into_owned())
                }
            }
        };
        let is_close = matches!(frame, Frame::Close(..));
        let stop = !matches!(frame, Frame::Msg(_));
        if tx.send(frame).await.is_err() || stop {
            if is_close {
                // Keep the receive side open until the client's FIN: dropping it now would send
                // STOP_SENDING, and a browser then fails its pending read before our answering
                // close frame arrives (the close would look unclean).
                let mut sink = [0u8; 1024];
                let drain = async { while let Ok(Some(_)) = recv.read(&mut sink).await {} };
                let _ = tokio::time::timeout(std::time::Duration::from_secs(5), drain).await;
            }
            return;
        }
    }
}

async fn bi_stream(
    hub: Arc<Hub>,
    service: Service,
    v2: Option<LinkRequest>,
    connection: Arc<Connection>,
    mut send: SendStream,
    recv: RecvStream,
    stream_ended: Arc<AtomicBool>,
) {
    let mut end_streams = hub.end_streams_gen.subscribe();
    end_streams.borrow_and_update();
    let (conn, mut rx) = hub.open_link(Transport::WebTransport, service, v2.as_ref());
    let link = rx.link();
    let (ftx, mut frx) = mpsc::channel(16);
    let reader = tokio::spawn(read_frames(recv, hub.message_limit(v2.is_some()), ftx));
    let mut reader_done = false;
    loop {
        tokio::select! {
            biased;
            r = end_streams.changed() => {
                if r.is_ok() {
                    // No close frame: the stream just ends; the session stays for the client.
                    let _ = send.finish().await;
                    stream_ended.store(true, Ordering::Relaxed);
                    hub.close(&conn, link, CloseKind::Abrupt);
                }
                break;
            }
            next = rx.next() => match next {
                Next::Out(Out::Msg(msg)) => {
                    let frame = match &msg {
                        Msg::Text(t) => encode_frame(FRAME_TEXT, t.as_bytes()),
                        Msg::Binary(b) => encode_frame(FRAME_BINARY, b),
                    };
                    if send.write_all(&frame).await.is_err() {
                        hub.close(&conn, link, CloseKind::Abrupt);
                        break;
                    }
                }
                Next::Out(Out::Close(code, reason)) => {
                    // Reply to a client close, or a server-initiated close.
                    let _ = send.write_all(&encode_close(code, &reason)).await;
                    let _ = send.finish().await;
                    // Let the client close the session; close it ourselves if it does not.
                    let _ = tokio::time::timeout(Duration::from_secs(1), connection.closed()).await;
                    connection.close(VarInt::from_u32(code as u32), reason.as_bytes());
                    break;
                }
                Next::Killed => {
                    connection.close(VarInt::from_u32(0), b"dropped");
                    break;
                }
            },
            frame = frx.recv(), if !reader_done => match frame {
                Some(Frame::Msg(m)) => hub.inbound(&conn, link, m),
                Some(Frame::Close(code, reason)) => {
                    if let Some(left) = hub.faults.close_ignored_for() {
                        // No answering close frame: the session is dropped once the fault ends.
                        tokio::time::sleep(left).await;
                        hub.close(&conn, link, CloseKind::Abrupt);
                        connection.close(VarInt::from_u32(0), b"dropped");
                        break;
                    }
                    hub.close(&conn, link, CloseKind::Client(code, reason));
                    reader_done = true;
                }
                Some(Frame::Violation(code, reason)) => {
                    hub.close(&conn, link, CloseKind::Server(code, reason.into()));
                    reader_done = true;
                }
                None => {
                    // Stream or session ended without a close frame.
                    hub.close(&conn, link, CloseKind::Abrupt);
                    break;
                }
            }
        }
    }
    reader.abort();
}

/// A test fixture on `echo`: the datagram `grow:N` (ASCII, N decimal, at most 65535) is answered
/// with a datagram of N bytes of 0xEE instead of its echo, so that a client can receive
/// datagrams larger than it may send (its `maxMessageBytes` bounds both directions).
fn grown(payload: &[u8]) -> Option<bytes::Bytes> {
    let n: u16 = std::str::from_utf8(payload.strip_prefix(b"grow:")?)
        .ok()?
        .parse()
        .ok()?;
    Some(bytes::Bytes::from(vec![0xee; usize::from(n)]))
}

async fn echo_datagrams(hub: Arc<Hub>, connection: Arc<Connection>) {
    while let Ok(d) = connection.receive_datagram().await {
        if hub.faults.blackholed() {
            continue;
        }
        let payload = grown(&d.payload()).unwrap_or_else(|| d.payload());
        let latency = hub.faults.latency();
        if latency.is_zero() {
            let _ = connection.send_datagram(payload);
        } else {
            let c = connection.clone();
            tokio::spawn(async move {
                tokio::time::sleep(latency).await;
                let _ = c.send_datagram(payload);
            });
        }
    }
}

async fn echo_uni(hub: Arc<Hub>, connection: Arc<Connection>) {
    while let Ok(mut recv) = connection.accept_uni().await {
        let hub = hub.clone();
        let connection = connection.clone();
        tokio::spawn(async move {
            let mut data = Vec::new();
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match recv.read(&mut buf).await {
                    Ok(Some(n)) => {
                        data.extend_from_slice(&buf[..n]);
                        if data.len() > hub.max_payload {
                            recv.stop(VarInt::from_u32(1009));
                            return;
                        }
                    }
                    Ok(None) => break,
                    Err(_) => return,
                }
            }
            if hub.faults.blackholed() {
                return;
            }
            let latency = hub.faults.latency();
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            let Ok(opening) = connection.open_uni().await else {
                return;
            };
            let Ok(mut send) = opening.await else {
                return;
            };
            let _ = send.write_all(&data).await;
            let _ = send.finish().await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames() {
        assert_eq!(
            encode_frame(FRAME_TEXT, b"hi"),
            vec![0, 0, 0, 0, 2, b'h', b'i']
        );
        let c = encode_close(1000, "bye");
        assert_eq!(c, vec![2, 0, 0, 0, 5, 0x03, 0xe8, b'b', b'y', b'e']);
        let long = "é".repeat(100);
        let c = encode_close(4000, &long);
        assert!(c.len() - 5 <= 125);
        assert!(std::str::from_utf8(&c[7..]).is_ok());
    }
}
