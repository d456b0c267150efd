//! Stream framing for WebTransport bidirectional streams (PROTOCOL.md §2).
//!
//! ```text
//! | kind u8 | length u32 BE | payload (length bytes) |
//! ```
//!
//! A stream delivers bytes in arbitrary chunks, so [`FrameDecoder`] buffers and yields whole
//! frames. The length comes from the network, so it is checked against the configured maximum as
//! soon as the 5-byte header is complete, and the payload buffer only ever grows with bytes that
//! have actually arrived: a hostile header announcing 4 GiB costs nothing.

use crate::prelude::*;
use std::fmt;

use super::close_code;
use super::text::{concat, decimal, hex_byte};

/// Frame kind byte: UTF-8 text message.
pub const KIND_TEXT: u8 = 0x00;
/// Frame kind byte: binary message.
pub const KIND_BINARY: u8 = 0x01;
/// Frame kind byte: close (u16 BE code, then UTF-8 reason).
pub const KIND_CLOSE: u8 = 0x02;
/// Reserved for resumable sessions (PROTOCOL.md §7); not understood by this version.
pub const KIND_SEQUENCED: u8 = 0x10;
/// Reserved for resumable sessions (PROTOCOL.md §7); not understood by this version.
pub const KIND_ACK: u8 = 0x11;

/// Size of the frame header.
pub const HEADER_LEN: usize = 5;

/// Default maximum payload: 16 MiB, the reference server's limit.
pub const DEFAULT_MAX_FRAME_LEN: usize = 16 * 1024 * 1024;

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
    /// The peer is closing.
    Close {
        /// Close code.
        code: u16,
        /// Close reason (at most 123 bytes).
        reason: String,
    },
}

/// Frame errors. After one, the decoder is poisoned: the stream has lost sync and no later byte
/// can be trusted to start a frame, so the only sensible action is to close the stream with
/// [`FrameError::close_code`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// A header announced a payload larger than the maximum.
    TooLarge {
        /// Announced payload length.
        len: u64,
        /// Configured maximum.
        max: usize,
    },
    /// The kind byte is not text, binary or close (reserved kinds included).
    UnknownKind(u8),
    /// A text frame or a close reason is not UTF-8.
    InvalidUtf8,
    /// A close frame payload shorter than the 2-byte code.
    CloseTooShort {
        /// Payload length.
        len: usize,
    },
    /// A close reason longer than 123 bytes.
    CloseReasonTooLong {
        /// Reason length.
        len: usize,
    },
    /// A close code no peer may send ([`close_code::may_be_sent`]: 0, 1005, 1006, reserved or
    /// unassigned codes), which would otherwise reach the application as if a server had said it.
    InvalidCloseCode(u16),
}

impl FrameError {
    /// The close code to send when this error ends a stream: 1009 for a too-large frame, 1007 for
    /// non-UTF-8 text (RFC 6455's "invalid frame payload data"), 1002 for everything else.
    pub fn close_code(&self) -> u16 {
        match self {
            FrameError::TooLarge { .. } => close_code::MESSAGE_TOO_BIG,
            FrameError::InvalidUtf8 => close_code::INVALID_DATA,
            _ => close_code::PROTOCOL_ERROR,
        }
    }
}

impl FrameError {
    /// The text for humans, built by hand so the JS build links no `core::fmt` (issue 9: size);
    /// `Display` writes the same text.
    pub fn message(&self) -> String {
        match self {
            FrameError::TooLarge { len, max } => concat(&[
                "frame announces ",
                &decimal(*len),
                " payload bytes, more than the maximum of ",
                &decimal(*max as u64),
            ]),
            FrameError::UnknownKind(k) if *k == KIND_SEQUENCED || *k == KIND_ACK => concat(&[
                "frame kind ",
                &hex_byte(*k),
                " is reserved for resumable sessions and not supported",
            ]),
            FrameError::UnknownKind(k) => concat(&["unknown frame kind ", &hex_byte(*k)]),
            FrameError::InvalidUtf8 => "text frame or close reason is not valid UTF-8".to_owned(),
            FrameError::CloseTooShort { len } => concat(&[
                "close frame payload is ",
                &decimal(*len as u64),
                " bytes, shorter than the 2-byte code",
            ]),
            FrameError::CloseReasonTooLong { len } => concat(&[
                "close reason is ",
                &decimal(*len as u64),
                " bytes, more than 123",
            ]),
            FrameError::InvalidCloseCode(code) => concat(&[
                "close frame with code ",
                &decimal(u64::from(*code)),
                ", which no peer may send",
            ]),
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl core::error::Error for FrameError {}

/// Encodes a frame. Fails only for a payload over `u32::MAX` bytes or an invalid close reason,
/// so we never emit a frame a conforming peer must reject.
pub fn encode_frame(frame: &Frame) -> Result<Vec<u8>, FrameError> {
    let (kind, code, body): (u8, Option<u16>, &[u8]) = match frame {
        Frame::Text(s) => (KIND_TEXT, None, s.as_bytes()),
        Frame::Binary(b) => (KIND_BINARY, None, b.as_slice()),
        Frame::Close { reason, .. } if reason.len() > close_code::MAX_REASON_BYTES => {
            return Err(FrameError::CloseReasonTooLong { len: reason.len() })
        }
        Frame::Close { code, reason } => (KIND_CLOSE, Some(*code), reason.as_bytes()),
    };
    let payload_len = body
        .len()
        .saturating_add(if code.is_some() { 2 } else { 0 });
    let len = u32::try_from(payload_len).map_err(|_| FrameError::TooLarge {
        len: payload_len as u64,
        max: u32::MAX as usize,
    })?;
    let mut out = Vec::with_capacity(HEADER_LEN.saturating_add(payload_len));
    out.push(kind);
    out.extend_from_slice(&len.to_be_bytes());
    if let Some(c) = code {
        out.extend_from_slice(&c.to_be_bytes());
    }
    out.extend_from_slice(body);
    Ok(out)
}

/// Incremental frame decoder: [`push`](Self::push) chunks as they arrive, then call
/// [`next_frame`](Self::next_frame) until it returns `None`.
#[derive(Debug)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    /// Start of unconsumed data in `buf`; compacted lazily so a chunk holding many small frames
    /// is not shifted once per frame.
    start: usize,
    max_frame_len: usize,
    poisoned: Option<FrameError>,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_FRAME_LEN)
    }
}

impl FrameDecoder {
    /// A decoder refusing payloads longer than `max_frame_len` bytes.
    pub fn new(max_frame_len: usize) -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            max_frame_len,
            poisoned: None,
        }
    }

    /// Appends a chunk. Ignored once poisoned (the stream is being torn down anyway, and holding
    /// on to more of it would only waste memory).
    pub fn push(&mut self, chunk: &[u8]) {
        if self.poisoned.is_some() {
            return;
        }
        if self.start > 0 && self.start >= self.buf.len() - self.start {
            // The unread tail moved to the front. Not `drain(..start)` nor `copy_within`: their
            // range checks link `slice_index_fail` (integer formatting for a panic message).
            // The tail is no longer than the consumed head (the condition above), so it is one
            // non-overlapping copy of equal lengths.
            if let Some((head, tail)) = self.buf.split_at_mut_checked(self.start) {
                let kept = tail.len();
                if let Some(front) = head.get_mut(..kept) {
                    front.copy_from_slice(tail);
                    self.buf.truncate(kept);
                    self.start = 0;
                }
            }
        }
        self.buf.extend_from_slice(chunk);
    }

    /// The error that poisoned the decoder, if any.
    pub fn error(&self) -> Option<&FrameError> {
        self.poisoned.as_ref()
    }

    /// Bytes received but not yet returned as frames.
    pub fn buffered(&self) -> usize {
        self.buf.len().saturating_sub(self.start)
    }

    /// The next complete frame, `None` if more bytes are needed, or an error. Once an error has
    /// been returned, every later call returns the same error again.
    pub fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        if let Some(e) = &self.poisoned {
            return Some(Err(e.clone()));
        }
        match self.parse() {
            Ok(frame) => frame.map(Ok),
            Err(e) => {
                self.poisoned = Some(e.clone());
                self.buf = Vec::new();
                self.start = 0;
                Some(Err(e))
            }
        }
    }

    fn parse(&mut self) -> Result<Option<Frame>, FrameError> {
        let data = self.buf.get(self.start..).unwrap_or(&[]);
        let Some(header) = data.get(..HEADER_LEN) else {
            // Reject an unknown kind as soon as its byte arrives.
            if let Some(&k) = data.first() {
                check_kind(k)?;
            }
            return Ok(None);
        };
        let mut len_bytes = [0u8; 4];
        len_bytes.copy_from_slice(header.get(1..HEADER_LEN).unwrap_or(&[0; 4]));
        let kind = header.first().copied().unwrap_or(0);
        check_kind(kind)?;
        let len = u32::from_be_bytes(len_bytes);
        let len = match usize::try_from(len) {
            Ok(n) if n <= self.max_frame_len => n,
            _ => {
                return Err(FrameError::TooLarge {
                    len: u64::from(len),
                    max: self.max_frame_len,
                })
            }
        };
        let Some(payload) = data.get(HEADER_LEN..HEADER_LEN.saturating_add(len)) else {
            return Ok(None);
        };
        let frame = match kind {
            KIND_TEXT => Frame::Text(
                std::str::from_utf8(payload)
                    .map_err(|_| FrameError::InvalidUtf8)?
                    .to_owned(),
            ),
            KIND_BINARY => Frame::Binary(payload.to_vec()),
            _ => {
                let (Some(code), Some(reason)) = (payload.get(..2), payload.get(2..)) else {
                    return Err(FrameError::CloseTooShort { len: payload.len() });
                };
                if reason.len() > close_code::MAX_REASON_BYTES {
                    return Err(FrameError::CloseReasonTooLong { len: reason.len() });
                }
                let reason = std::str::from_utf8(reason).map_err(|_| FrameError::InvalidUtf8)?;
                let code = u16::from_be_bytes([
                    code.first().copied().unwrap_or(0),
                    code.get(1).copied().unwrap_or(0),
                ]);
                if !close_code::may_be_sent(code) {
                    return Err(FrameError::InvalidCloseCode(code));
                }
                Frame::Close {
                    code,
                    reason: reason.to_owned(),
                }
            }
        };
        self.start = self.start.saturating_add(HEADER_LEN.saturating_add(len));
        if self.start >= self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        Ok(Some(frame))
    }
}

fn check_kind(kind: u8) -> Result<(), FrameError> {
    match kind {
        KIND_TEXT | KIND_BINARY | KIND_CLOSE => Ok(()),
        k => Err(FrameError::UnknownKind(k)),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn all(d: &mut FrameDecoder) -> Vec<Result<Frame, FrameError>> {
        let mut v = Vec::new();
        while let Some(f) = d.next_frame() {
            let stop = f.is_err();
            v.push(f);
            if stop {
                break;
            }
        }
        v
    }

    #[test]
    fn encode_layout() {
        assert_eq!(
            encode_frame(&Frame::Text("hi".into())).unwrap(),
            vec![0, 0, 0, 0, 2, b'h', b'i']
        );
        assert_eq!(
            encode_frame(&Frame::Binary(vec![9])).unwrap(),
            vec![1, 0, 0, 0, 1, 9]
        );
        assert_eq!(
            encode_frame(&Frame::Close {
                code: 1000,
                reason: "ok".into()
            })
            .unwrap(),
            vec![2, 0, 0, 0, 4, 0x03, 0xe8, b'o', b'k']
        );
        assert!(encode_frame(&Frame::Close {
            code: 1000,
            reason: "x".repeat(124)
        })
        .is_err());
    }

    #[test]
    fn decodes_several_frames_in_one_chunk() {
        let frames = vec![
            Frame::Text("a".into()),
            Frame::Binary(vec![]),
            Frame::Close {
                code: 4000,
                reason: "bye".into(),
            },
        ];
        let mut bytes = Vec::new();
        for f in &frames {
            bytes.extend(encode_frame(f).unwrap());
        }
        let mut d = FrameDecoder::new(100);
        d.push(&bytes);
        let got: Vec<Frame> = all(&mut d).into_iter().map(Result::unwrap).collect();
        assert_eq!(got, frames);
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn too_large_rejected_from_header_alone() {
        let mut d = FrameDecoder::new(10);
        d.push(&[1, 0xff, 0xff, 0xff]);
        assert_eq!(d.next_frame(), None);
        d.push(&[0xff]);
        let e = d.next_frame().unwrap().unwrap_err();
        assert_eq!(
            e,
            FrameError::TooLarge {
                len: 0xffff_ffff,
                max: 10
            }
        );
        assert_eq!(e.close_code(), 1009);
        // Poisoned: the same error again, pushes ignored.
        d.push(&encode_frame(&Frame::Text("x".into())).unwrap());
        assert_eq!(d.next_frame(), Some(Err(e.clone())));
        assert_eq!(d.error(), Some(&e));
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn errors() {
        let cases: Vec<(Vec<u8>, FrameError)> = vec![
            (vec![0x10], FrameError::UnknownKind(0x10)),
            (vec![0x03, 0, 0], FrameError::UnknownKind(0x03)),
            (vec![0, 0, 0, 0, 1, 0xff], FrameError::InvalidUtf8),
            (vec![2, 0, 0, 0, 1, 3], FrameError::CloseTooShort { len: 1 }),
            (vec![2, 0, 0, 0, 3, 3, 0xe8, 0xff], FrameError::InvalidUtf8),
            // Codes only ever reported (1006, 0) or unassigned: never from a peer.
            (vec![2, 0, 0, 0, 2, 0, 0], FrameError::InvalidCloseCode(0)),
            (
                vec![2, 0, 0, 0, 2, 0x03, 0xee],
                FrameError::InvalidCloseCode(1006),
            ),
            (
                vec![2, 0, 0, 0, 2, 0x13, 0x88],
                FrameError::InvalidCloseCode(5000),
            ),
        ];
        for (bytes, want) in cases {
            let mut d = FrameDecoder::new(1000);
            d.push(&bytes);
            assert_eq!(d.next_frame(), Some(Err(want.clone())), "{bytes:?}");
            assert!(want.close_code() >= 1002);
            assert!(!want.to_string().is_empty());
        }
        let mut long_close = vec![2, 0, 0, 0, 126, 3, 0xe8];
        long_close.extend(core::iter::repeat_n(b'a', 124));
        let mut d = FrameDecoder::new(1000);
        d.push(&long_close);
        assert_eq!(
            d.next_frame(),
            Some(Err(FrameError::CloseReasonTooLong { len: 124 }))
        );
    }

    /// The buffer's compaction in `push` never loses or reorders bytes.
    #[test]
    fn compaction_keeps_the_unread_tail_across_byte_and_frame_splits() {
        // Frames of varied sizes fed in chunks of every size 1..=9: `push` moves the unread
        // tail to the front whenever half the buffer has been read; every frame still comes out
        // whole and in order, and nothing is left over.
        let frames: Vec<Frame> = (0..40u8)
            .map(|i| Frame::Binary((0..(i % 7) * 3).map(|b| b ^ i).collect()))
            .collect();
        let mut bytes = Vec::new();
        for f in &frames {
            bytes.extend(encode_frame(f).unwrap());
        }
        for size in 1..=9 {
            let mut d = FrameDecoder::new(100);
            let mut got = Vec::new();
            for chunk in bytes.chunks(size) {
                d.push(chunk);
                while let Some(f) = d.next_frame() {
                    got.push(f.unwrap());
                }
                assert!(d.buf.len() <= 2 * (d.buffered() + size) + 2 * HEADER_LEN + 40);
            }
            assert_eq!(got, frames, "chunk size {size}");
            assert_eq!(d.buffered(), 0);
        }
    }

    /// `message()` reads exactly as the `format!` it replaced.
    #[test]
    fn message_matches_the_former_format() {
        let mut cases = vec![
            (
                FrameError::TooLarge {
                    len: u64::MAX,
                    max: 1 << 20,
                },
                format!(
                    "frame announces {} payload bytes, more than the maximum of {}",
                    u64::MAX,
                    1 << 20
                ),
            ),
            (
                FrameError::InvalidUtf8,
                "text frame or close reason is not valid UTF-8".to_owned(),
            ),
            (
                FrameError::CloseTooShort { len: 1 },
                format!(
                    "close frame payload is {} bytes, shorter than the 2-byte code",
                    1
                ),
            ),
            (
                FrameError::CloseReasonTooLong { len: 124 },
                format!("close reason is {} bytes, more than 123", 124),
            ),
        ];
        for k in 0..=255u8 {
            let want = if k == KIND_SEQUENCED || k == KIND_ACK {
                format!("frame kind 0x{k:02x} is reserved for resumable sessions and not supported")
            } else {
                format!("unknown frame kind 0x{k:02x}")
            };
            cases.push((FrameError::UnknownKind(k), want));
        }
        for (error, want) in cases {
            assert_eq!(error.message(), want);
            assert_eq!(error.to_string(), want);
        }
    }
}
