//! Keeping secrets out of every string the SDK produces.
//!
//! Adapters describe failures with URLs, and the auth token travels in the URL's query
//! (`?token=…`, guide §8.2). Rather than trust every message site to strip it, the driver passes
//! each human-readable string (event reasons, errors, the `connect()` rejection, debug logs)
//! through [`redact`]. Pure logic, tested natively.

use crate::core::text::{find, replace};
use crate::prelude::*;

/// `text` with every remembered token, raw or percent-encoded, and any `token=` query value
/// replaced by `[redacted]`: no string the SDK produces may carry a secret.
///
/// Searches with [`find`] and [`replace`] (byte comparison), not `str`'s `&str` patterns, whose
/// Two-Way searcher would add about 2 KB to the wasm for nothing these short texts need.
pub fn redact(secrets: &[String], text: String) -> String {
    let mut text = text;
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        if find(&text, secret).is_some() {
            text = replace(&text, secret, "[redacted]");
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = find(rest, "token=") {
        // `get`, not `split_at` (whose panic path links 1.4 KB of `str::slice_error_fail`):
        // `find` answers a character boundary.
        let cut = i + "token=".len();
        let (head, tail) = (
            rest.get(..cut).unwrap_or_default(),
            rest.get(cut..).unwrap_or_default(),
        );
        out.push_str(head);
        let end = tail
            .find(|c: char| matches!(c, '&' | '#' | '"' | '\'' | ')' | ' ') || c.is_whitespace())
            .unwrap_or(tail.len());
        if end > 0 && tail.get(..end) != Some("[redacted]") {
            out.push_str("[redacted]");
        } else {
            out.push_str(tail.get(..end).unwrap_or_default());
        }
        rest = tail.get(end..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn removes_raw_and_encoded_tokens_and_token_parameters() {
        let secrets = vec!["s3cr3t/x".to_owned(), "s3cr3t%2Fx".to_owned()];
        assert_eq!(
            redact(
                &secrets,
                "WebSocket to ws://h/ws/e?token=s3cr3t%2Fx failed".into()
            ),
            "WebSocket to ws://h/ws/e?token=[redacted] failed"
        );
        assert_eq!(
            redact(&secrets, "getToken said s3cr3t/x".into()),
            "getToken said [redacted]"
        );
        // A token the socket never saw (another socket's) in a query is still hidden.
        assert_eq!(
            redact(&[], "GET /poll/e/abc?wait=1&token=other#f".into()),
            "GET /poll/e/abc?wait=1&token=[redacted]#f"
        );
    }

    #[test]
    fn leaves_other_text_alone() {
        assert_eq!(redact(&[String::new()], "plain".into()), "plain");
        assert_eq!(redact(&[], "token= alone".into()), "token= alone");
    }
}
