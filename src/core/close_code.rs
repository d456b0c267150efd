//! Close codes and the validation of an application's `close(code, reason)`.

use super::error::CoreError;

/// Normal closure.
pub const NORMAL: u16 = 1000;
/// "No status received" (RFC 6455): a close without a code (never sent, only reported).
pub const NO_STATUS: u16 = 1005;
/// The connection dropped without a close frame (never sent, only reported).
pub const ABNORMAL: u16 = 1006;
/// The peer violated the protocol (unknown frame kind, malformed frame).
pub const PROTOCOL_ERROR: u16 = 1002;
/// Invalid data (a text frame that is not UTF-8), as in RFC 6455.
pub const INVALID_DATA: u16 = 1007;
/// A message of a type the receiver cannot take (RFC 6455: "unsupported data").
pub const UNSUPPORTED_DATA: u16 = 1003;
/// A message exceeded the receiver's maximum size.
pub const MESSAGE_TOO_BIG: u16 = 1009;
/// Sent by the client when the heartbeat saw no pong in time (application range, so a
/// `WebSocket.close()` accepts it).
pub const HEARTBEAT_TIMEOUT: u16 = 4000;
/// Sent by the client when abandoning a transport that did not open within the connect timeout.
pub const CONNECT_TIMEOUT: u16 = 4001;
/// Sent by the client when giving up a background attempt at a better transport while the
/// socket goes on (PROTOCOL.md §6.5). In the 4000–4099 range, so a v2 server keeps the session
/// (§7.3).
pub const TRANSPORT_REPLACED: u16 = 4002;
/// Sent by the client when the server broke the session protocol on a link (a sequence gap, a
/// malformed session frame, a missing `hello`; PROTOCOL.md §7.1). Transport-level (4000–4099),
/// so the server keeps the session and the resume repairs the damage.
pub const SESSION_ERROR: u16 = 4003;
/// Longest close reason in UTF-8 bytes (RFC 6455: 125-byte control frame payload minus the code).
pub const MAX_REASON_BYTES: usize = 123;

/// Whether a peer may send `code` in a close: 1000–1003, 1007–1014 and 3000–4999 (RFC 6455
/// §7.4 and the IANA registry). 1005, 1006 and 1015 are only ever reported, never sent; the rest
/// is reserved or unassigned. A browser's WebSocket fails a connection whose server sends any
/// other code; the transports that carry the server's code themselves (WebTransport's close
/// frame, SSE's `close` event, long polling's `close` entry) do the same with this rule.
pub fn may_be_sent(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Checks what the application passes to `close`: the same rules as `WebSocket.close()` (code
/// 1000 or 3000–4999, reason at most 123 UTF-8 bytes), applied up front so that every transport
/// behaves like WebSocket, including those that would not have complained.
pub fn validate_close(code: u16, reason: &str) -> Result<(), CoreError> {
    if code != NORMAL && !(3000..=4999).contains(&code) {
        return Err(CoreError::InvalidCloseCode(code));
    }
    if reason.len() > MAX_REASON_BYTES {
        return Err(CoreError::CloseReasonTooLong { len: reason.len() });
    }
    Ok(())
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn codes_a_peer_may_send() {
        for code in [1000, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4999] {
            assert!(may_be_sent(code), "{code}");
        }
        for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, u16::MAX] {
            assert!(!may_be_sent(code), "{code}");
        }
    }

    #[test]
    fn codes_and_reasons() {
        assert!(validate_close(1000, "").is_ok());
        assert!(validate_close(3000, "x").is_ok());
        assert!(validate_close(4999, &"a".repeat(123)).is_ok());
        for bad in [0, 999, 1001, 1005, 1006, 2999, 5000, u16::MAX] {
            assert_eq!(
                validate_close(bad, ""),
                Err(CoreError::InvalidCloseCode(bad))
            );
        }
        // 41 three-byte characters = 123 bytes is fine; one more byte is not.
        assert!(validate_close(1000, &"€".repeat(41)).is_ok());
        assert_eq!(
            validate_close(1000, &format!("{}a", "€".repeat(41))),
            Err(CoreError::CloseReasonTooLong { len: 124 })
        );
    }
}
