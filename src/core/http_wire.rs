//! The pure rules of the HTTP transports' wire format (PROTOCOL.md §4.2–4.3), kept apart from the
//! browser adapters (`web::transport::http_shared`) so that host tests reach them.

use super::close_code::{self, NO_STATUS};
use super::frame::{KIND_BINARY, KIND_TEXT};
use super::text::push_decimal;
use super::Payload;
use crate::prelude::*;

/// Appends one §2 frame (`0x00` text / `0x01` binary, u32 BE length, payload) to an upstream
/// batch body.
pub fn append_frame(body: &mut Vec<u8>, payload: &Payload) {
    let (kind, bytes) = match payload {
        Payload::Text(text) => (KIND_TEXT, text.as_bytes()),
        Payload::Binary(bytes) => (KIND_BINARY, bytes.as_slice()),
    };
    // A message over 4 GiB cannot exist here: the core refuses messages over its maximum.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    body.push(kind);
    body.extend_from_slice(&len.to_be_bytes());
    body.extend_from_slice(bytes);
}

/// Whether base64 text of `units` characters may decode to at most `max` bytes. Checked before
/// the text is decoded, so that a huge message is not decoded at all. Servers may wrap base64
/// in lines (MIME: 76 characters and CRLF, 2.6 % more), and the browser's decoders skip that
/// white space, so 1/16 more is allowed here; the decoded length is checked exactly before the
/// bytes are copied into wasm.
pub fn base64_may_fit(units: usize, max: usize) -> bool {
    units / 4 * 3 <= max.saturating_add(max / 16).saturating_add(2)
}

/// The close code in a server's `{"code": N}`: a whole number in 0..=65535, else 1005 (no status
/// received), as a missing code is.
pub fn close_code_from(number: Option<f64>) -> u16 {
    match number {
        Some(code) if (0.0..=65535.0).contains(&code) && crate::core::float::is_whole(code) => {
            code as u16
        }
        _ => NO_STATUS,
    }
}

/// The code of a server's `close` (an SSE `close` event, a long-polling `close` entry), checked
/// as a browser checks a WebSocket close frame's ([`close_code::may_be_sent`]): a code no server
/// may send (0, 1006, 5000, 1.5, -1…) is the `Err`, with the reason to report for what is then
/// a protocol error (1002, not clean); the server's own reason is not kept with it. A close
/// without a code is 1005 ("no status received").
pub fn server_close_code(number: Option<f64>) -> Result<u16, String> {
    let Some(n) = number else {
        return Ok(NO_STATUS);
    };
    let code = close_code_from(Some(n));
    if close_code::may_be_sent(code) {
        return Ok(code);
    }
    let mut reason = "the server closed with a code no server may send".to_owned();
    // `close_code_from` gives 1005 for what is not a whole number in range: no code to show.
    if code != NO_STATUS || n == f64::from(NO_STATUS) {
        reason.push_str(" (");
        push_decimal(&mut reason, u64::from(code));
        reason.push(')');
    }
    Err(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_kind_length_payload() {
        let mut body = Vec::new();
        append_frame(&mut body, &Payload::Text("hé".into()));
        append_frame(&mut body, &Payload::Binary(vec![7]));
        assert_eq!(body, [0, 0, 0, 0, 3, b'h', 0xC3, 0xA9, 1, 0, 0, 0, 1, 7]);
    }

    #[test]
    fn base64_sizes_are_bounded_before_decoding() {
        // 4 characters are at most 3 bytes.
        assert!(base64_may_fit(4, 3));
        assert!(base64_may_fit(8, 4)); // "AAAAAA==" is 4 bytes
        assert!(!base64_may_fit(12, 4));
        assert!(base64_may_fit(usize::MAX, usize::MAX));
        // Line-wrapped base64 (MIME: 76 characters and CRLF) of exactly `max` bytes is not
        // refused before decoding: the whitespace is not data.
        for max in [1000usize, 4096, 1 << 20] {
            let chars = max.div_ceil(3) * 4;
            let wrapped = chars + chars.div_ceil(76) * 2;
            assert!(base64_may_fit(wrapped, max), "{max} bytes wrapped");
            // Text far longer than any line wrapping explains is still refused undecoded.
            assert!(!base64_may_fit(chars * 2, max), "{max} bytes doubled");
        }
    }

    #[test]
    fn close_codes_are_whole_numbers_in_range() {
        assert_eq!(close_code_from(Some(1000.0)), 1000);
        assert_eq!(close_code_from(Some(0.0)), 0);
        assert_eq!(close_code_from(Some(65535.0)), 65535);
        for bad in [
            None,
            Some(-1.0),
            Some(65536.0),
            Some(1000.5),
            Some(f64::NAN),
        ] {
            assert_eq!(close_code_from(bad), 1005, "{bad:?}");
        }
    }

    #[test]
    fn a_server_close_code_no_server_may_send_is_a_protocol_error() {
        assert_eq!(server_close_code(Some(4000.0)), Ok(4000));
        assert_eq!(server_close_code(Some(1011.0)), Ok(1011));
        assert_eq!(server_close_code(None), Ok(1005), "no code");
        for (bad, shown) in [
            (0.0, " (0)"),
            (1005.0, " (1005)"),
            (1006.0, " (1006)"),
            (5000.0, " (5000)"),
            (1.5, ""),
            (-1.0, ""),
            (1e9, ""),
        ] {
            let reason = server_close_code(Some(bad)).unwrap_err();
            assert_eq!(
                reason,
                format!("the server closed with a code no server may send{shown}")
            );
        }
    }
}
