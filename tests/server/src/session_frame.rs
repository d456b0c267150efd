//! The v2 session frame codec (PROTOCOL.md §7.1).
//!
//! On a v2 link every application message travels as one *binary* transport message holding
//! one session frame; all integers are big-endian:
//!
//! | kind   | layout after the kind byte                                            |
//! |--------|-----------------------------------------------------------------------|
//! | `0x10` | data: u64 seq, u64 ack, u8 inner kind (0 text, 1 binary), the message |
//! | `0x11` | ack: u64 ack                                                          |
//! | `0x12` | hello: u8 status, u64 ack, 32 bytes session id (lowercase hex ASCII)  |
//!
//! Decoding never panics and never allocates more than the frame it was given: every length
//! is checked before it is used. The codec knows nothing of sequencing (see `resumable`).

use bytes::{BufMut, Bytes, BytesMut};

use crate::hub::Msg;

pub const KIND_DATA: u8 = 0x10;
pub const KIND_ACK: u8 = 0x11;
pub const KIND_HELLO: u8 = 0x12;

/// Inner kinds of a data frame.
pub const INNER_TEXT: u8 = 0x00;
pub const INNER_BINARY: u8 = 0x01;

/// Bytes of a data frame before its message: kind, seq, ack, inner kind.
pub const DATA_HEADER: usize = 1 + 8 + 8 + 1;
/// Exact size of an ack frame.
pub const ACK_LEN: usize = 1 + 8;
/// Exact size of a hello frame.
pub const HELLO_LEN: usize = 1 + 1 + 8 + SESSION_ID_LEN;
/// A session id is 32 lowercase hex characters.
pub const SESSION_ID_LEN: usize = 32;

/// `hello` statuses (PROTOCOL.md §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum HelloStatus {
    /// New session (no `resume` asked).
    New = 0,
    /// Resumed: the same session.
    Resumed = 1,
    /// Resume refused: no such session (a new one was created).
    Unknown = 2,
    /// Resume refused: the session expired or its resend buffer overflowed (new one created).
    Expired = 3,
    /// Resume refused: the session belongs to another service (new one created).
    OtherService = 4,
}

/// One decoded session frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionFrame {
    Data {
        seq: u64,
        ack: u64,
        msg: Msg,
    },
    Ack(u64),
    Hello {
        status: u8,
        ack: u64,
        session: String,
    },
}

/// Why a session frame was refused: the link is closed with [`FrameError::close_code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// Short, too long, unknown kind or inner kind, bad session id: 1002.
    Malformed(&'static str),
    /// A text data frame whose message is not UTF-8: 1007.
    InvalidUtf8,
}

impl FrameError {
    pub fn close_code(self) -> u16 {
        match self {
            FrameError::Malformed(_) => 1002,
            FrameError::InvalidUtf8 => 1007,
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            FrameError::Malformed(why) => why,
            FrameError::InvalidUtf8 => "text data frame is not UTF-8",
        }
    }
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut n = [0u8; 8];
    n.copy_from_slice(&b[at..at + 8]);
    u64::from_be_bytes(n)
}

/// Whether `s` is a session id: exactly 32 lowercase hex characters.
pub fn is_session_id(s: &str) -> bool {
    s.len() == SESSION_ID_LEN && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// Decodes one session frame. Ack and hello frames must have their exact size (trailing bytes
/// are malformed, so that a peer's framing bug shows at once rather than being half-read).
pub fn decode(frame: &Bytes) -> Result<SessionFrame, FrameError> {
    let Some(&kind) = frame.first() else {
        return Err(FrameError::Malformed("empty session frame"));
    };
    match kind {
        KIND_DATA => {
            if frame.len() < DATA_HEADER {
                return Err(FrameError::Malformed("short data frame"));
            }
            let seq = u64_at(frame, 1);
            let ack = u64_at(frame, 9);
            let body = frame.slice(DATA_HEADER..);
            let msg = match frame[17] {
                INNER_TEXT => Msg::Text(
                    String::from_utf8(body.to_vec()).map_err(|_| FrameError::InvalidUtf8)?,
                ),
                INNER_BINARY => Msg::Binary(body),
                _ => return Err(FrameError::Malformed("unknown inner kind in data frame")),
            };
            Ok(SessionFrame::Data { seq, ack, msg })
        }
        KIND_ACK => {
            if frame.len() != ACK_LEN {
                return Err(FrameError::Malformed("ack frame is not 9 bytes"));
            }
            Ok(SessionFrame::Ack(u64_at(frame, 1)))
        }
        KIND_HELLO => {
            if frame.len() != HELLO_LEN {
                return Err(FrameError::Malformed("hello frame is not 42 bytes"));
            }
            let session = std::str::from_utf8(&frame[10..])
                .ok()
                .filter(|s| is_session_id(s))
                .ok_or(FrameError::Malformed(
                    "hello session id is not 32 lowercase hex",
                ))?;
            Ok(SessionFrame::Hello {
                status: frame[1],
                ack: u64_at(frame, 2),
                session: session.to_owned(),
            })
        }
        _ => Err(FrameError::Malformed("unknown session frame kind")),
    }
}

/// A data frame carrying `msg` as number `seq`, acknowledging `ack`.
pub fn encode_data(seq: u64, ack: u64, msg: &Msg) -> Bytes {
    let (inner, body): (u8, &[u8]) = match msg {
        Msg::Text(t) => (INNER_TEXT, t.as_bytes()),
        Msg::Binary(b) => (INNER_BINARY, b),
    };
    let mut out = BytesMut::with_capacity(DATA_HEADER + body.len());
    out.put_u8(KIND_DATA);
    out.put_u64(seq);
    out.put_u64(ack);
    out.put_u8(inner);
    out.put_slice(body);
    out.freeze()
}

/// An ack frame.
pub fn encode_ack(ack: u64) -> Bytes {
    let mut out = BytesMut::with_capacity(ACK_LEN);
    out.put_u8(KIND_ACK);
    out.put_u64(ack);
    out.freeze()
}

/// A hello frame. `session` must be a session id ([`is_session_id`]); the server only makes
/// such ids.
pub fn encode_hello(status: HelloStatus, ack: u64, session: &str) -> Bytes {
    debug_assert!(is_session_id(session), "bad session id {session:?}");
    let mut out = BytesMut::with_capacity(HELLO_LEN);
    out.put_u8(KIND_HELLO);
    out.put_u8(status as u8);
    out.put_u64(ack);
    out.put_slice(session.as_bytes());
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn data_roundtrip_text_and_binary() {
        let f = encode_data(7, 3, &Msg::Text("héllo".into()));
        assert_eq!(f.len(), DATA_HEADER + "héllo".len());
        assert_eq!(
            &f[..18],
            &[0x10, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 3, 0]
        );
        assert_eq!(
            decode(&f).unwrap(),
            SessionFrame::Data {
                seq: 7,
                ack: 3,
                msg: Msg::Text("héllo".into())
            }
        );
        let f = encode_data(u64::MAX, 0, &Msg::Binary(Bytes::from_static(&[0, 255])));
        assert_eq!(
            decode(&f).unwrap(),
            SessionFrame::Data {
                seq: u64::MAX,
                ack: 0,
                msg: Msg::Binary(Bytes::from_static(&[0, 255]))
            }
        );
        // An empty message is a frame of exactly the header.
        let f = encode_data(1, 0, &Msg::Text(String::new()));
        assert_eq!(f.len(), DATA_HEADER);
        assert!(matches!(decode(&f).unwrap(), SessionFrame::Data { .. }));
    }

    #[test]
    fn ack_and_hello_roundtrip() {
        let a = encode_ack(42);
        assert_eq!(a.len(), ACK_LEN);
        assert_eq!(decode(&a).unwrap(), SessionFrame::Ack(42));
        let h = encode_hello(HelloStatus::Resumed, 9, ID);
        assert_eq!(h.len(), HELLO_LEN);
        assert_eq!(h[0], 0x12);
        assert_eq!(h[1], 1);
        assert_eq!(
            decode(&h).unwrap(),
            SessionFrame::Hello {
                status: 1,
                ack: 9,
                session: ID.into()
            }
        );
    }

    #[test]
    fn malformed_frames_are_refused_without_panicking() {
        let bad = |b: &[u8]| decode(&Bytes::copy_from_slice(b)).unwrap_err();
        assert_eq!(bad(&[]).close_code(), 1002);
        assert_eq!(bad(&[0x10, 0, 0]).close_code(), 1002);
        assert_eq!(bad(&[0x10; 17]).close_code(), 1002);
        assert_eq!(bad(&[0x11, 0, 0, 0]).close_code(), 1002);
        assert_eq!(bad(&[0x11, 0, 0, 0, 0, 0, 0, 0, 1, 9]).close_code(), 1002);
        assert_eq!(bad(&[0x12, 0]).close_code(), 1002);
        assert_eq!(bad(&[0x13]).close_code(), 1002);
        assert_eq!(bad(&[0x00, b'h', b'i']).close_code(), 1002);
        // Unknown inner kind.
        let mut f = encode_data(1, 0, &Msg::Text("x".into())).to_vec();
        f[17] = 2;
        assert_eq!(bad(&f).close_code(), 1002);
        // Text that is not UTF-8: 1007.
        let mut f = encode_data(1, 0, &Msg::Text("x".into())).to_vec();
        f.push(0xff);
        assert_eq!(bad(&f), FrameError::InvalidUtf8);
        assert_eq!(bad(&f).close_code(), 1007);
        // A hello whose id is not lowercase hex.
        let mut h = encode_hello(HelloStatus::New, 0, ID).to_vec();
        h[10] = b'A';
        assert_eq!(bad(&h).close_code(), 1002);
        // Every prefix of every valid frame decodes or fails, never panics.
        for f in [
            encode_data(5, 4, &Msg::Text("abc".into())),
            encode_ack(1),
            encode_hello(HelloStatus::New, 0, ID),
        ] {
            for n in 0..=f.len() {
                let _ = decode(&f.slice(..n));
            }
        }
    }

    #[test]
    fn session_ids() {
        assert!(is_session_id(ID));
        assert!(!is_session_id(&ID[1..]));
        assert!(!is_session_id(&ID.to_uppercase()));
        assert!(!is_session_id("0123456789abcdef0123456789abcdeg"));
    }
}
