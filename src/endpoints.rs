//! Deriving each transport's endpoint from the one URL the user gives.
//!
//! Convention (documented in PROTOCOL.md and the README): the URL names a service on a server,
//! `http(s)://host:port/<service>` or `ws(s)://host:port/ws/<service>`. From it:
//! - WebSocket: `ws(s)://host:port/ws/<service>` — a `ws(s)://` URL is used exactly as given, so
//!   any ordinary WebSocket server works;
//! - SSE: `http(s)://host:port/sse/<service>`;
//! - long polling: `http(s)://host:port/poll/<service>`;
//! - WebTransport: `https://host:port/wt/<service>` (HTTP/3 on the same port number, UDP).
//!
//! Explicit endpoints (`options.endpoints`) override any of them. Pure logic, tested natively.

use crate::core::TransportKind;
use std::fmt;

/// An unusable URL, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError(pub String);

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UrlError {}

/// The endpoint of every transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    urls: [String; 4],
}

impl Endpoints {
    /// The endpoint URL for `kind`, derived or explicit; it is opened as is (plus `?token=`).
    pub fn get(&self, kind: TransportKind) -> &str {
        &self.urls[kind.index()]
    }

    /// Validates `url` and derives every endpoint not given explicitly.
    pub fn derive(url: &str, explicit: &[Option<String>; 4]) -> Result<Endpoints, UrlError> {
        let parsed = split_url(url)?;
        let secure = matches!(parsed.scheme.as_str(), "https" | "wss");
        let http = if secure { "https" } else { "http" };
        let ws = if secure { "wss" } else { "ws" };
        // The service path without a leading `/ws` prefix: `/ws/echo` and `/echo` both name `echo`.
        let service = parsed
            .path
            .strip_prefix("/ws")
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
            .unwrap_or(parsed.path);
        let host = parsed.authority;
        let websocket = if matches!(parsed.scheme.as_str(), "ws" | "wss") {
            // As given, but with the scheme in lower case as a browser's URL parser would.
            format!("{}{}", parsed.scheme, &url[parsed.scheme.len()..])
        } else {
            format!("{ws}://{host}/ws{service}{}", parsed.query)
        };
        let derived = [
            format!("https://{host}/wt{service}{}", parsed.query),
            websocket,
            format!("{http}://{host}/sse{service}{}", parsed.query),
            format!("{http}://{host}/poll{service}{}", parsed.query),
        ];
        let mut urls = derived;
        for kind in TransportKind::ALL {
            if let Some(explicit) = &explicit[kind.index()] {
                let parts =
                    split_url(explicit).map_err(|e| UrlError(format!("endpoints.{kind}: {e}")))?;
                urls[kind.index()] = format!("{}{}", parts.scheme, &explicit[parts.scheme.len()..]);
            }
        }
        Ok(Endpoints { urls })
    }
}

/// Adds `token=<token>` to a URL's query (percent-encoded), the guide §8.2 convention.
pub fn with_token(url: &str, token: &str) -> String {
    let (base, fragment) = url.split_once('#').map_or((url, ""), |(b, f)| (b, f));
    let separator = if base.contains('?') { '&' } else { '?' };
    let encoded = percent_encode(token);
    let fragment = if fragment.is_empty() {
        String::new()
    } else {
        format!("#{fragment}")
    };
    format!("{base}{separator}token={encoded}{fragment}")
}

/// `value` percent-encoded for a query (every byte but RFC 3986's unreserved ones).
pub fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A request URL derived from a transport endpoint: `segments` are appended to the path
/// (percent-encoded) and `params` merged into the query (replacing parameters of the same name),
/// so `http://h/sse/echo?token=t` with `["id", "close"]` is `http://h/sse/echo/id/close?token=t`.
/// The endpoint's query carries the auth token, so appending to the raw string would put the
/// path inside the query (and the server would answer 405). The fragment is dropped: it is never
/// sent anyway.
pub fn request_url(endpoint: &str, segments: &[&str], params: &[(&str, &str)]) -> String {
    let without_fragment = endpoint.split('#').next().unwrap_or("");
    let (path, query) = without_fragment
        .split_once('?')
        .unwrap_or((without_fragment, ""));
    let mut out = path.trim_end_matches('/').to_owned();
    for segment in segments {
        out.push('/');
        out.push_str(&percent_encode(segment));
    }
    let replaced = |pair: &&str| {
        let name = pair.split('=').next().unwrap_or("");
        params.iter().any(|(key, _)| *key == name)
    };
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| !replaced(pair))
        .map(str::to_owned)
        .collect();
    pairs.extend(
        params
            .iter()
            .map(|(key, value)| format!("{key}={}", percent_encode(value))),
    );
    if !pairs.is_empty() {
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

/// `url` without its query and fragment, for human-readable reasons: the query may hold the
/// auth token, and no string the SDK produces may contain it.
pub fn without_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or("")
}

/// Whether `id` is a session id as PROTOCOL.md defines it (32 lowercase hex characters). It
/// comes from the server and goes into request URLs, so anything else (a path, a query, `..`)
/// is refused rather than spliced in.
pub fn is_session_id(id: &str) -> bool {
    crate::core::session::is_session_id(id.as_bytes())
}

/// `reason` cut to the 123 bytes a close reason may have (PROTOCOL.md §6.2), on a character
/// boundary, so a server's oversized reason costs nothing further on and never panics a slice.
pub fn cap_reason(reason: &str) -> &str {
    const MAX: usize = crate::core::close_code::MAX_REASON_BYTES;
    if reason.len() <= MAX {
        return reason;
    }
    let mut end = MAX;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

struct UrlParts<'a> {
    /// Lower case, as browsers normalise it (`HTTPS://` is `https://`).
    scheme: String,
    authority: &'a str,
    path: &'a str,
    /// `?query` including the `?`, or empty.
    query: &'a str,
}

/// A strict split of an absolute URL; the browser re-validates when the transport opens.
fn split_url(url: &str) -> Result<UrlParts<'_>, UrlError> {
    let (scheme, rest) = url.split_once("://").ok_or_else(|| {
        UrlError(format!(
            "invalid URL {url:?}: expected an absolute URL such as http://host:port/service"
        ))
    })?;
    let scheme = scheme.to_ascii_lowercase();
    if !matches!(scheme.as_str(), "http" | "https" | "ws" | "wss") {
        return Err(UrlError(format!(
            "invalid URL {url:?}: the scheme must be http, https, ws or wss, not {scheme:?}"
        )));
    }
    let rest = rest.split('#').next().unwrap_or("");
    let (before_query, query) = match rest.find('?') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (authority, path) = match before_query.find('/') {
        Some(i) => before_query.split_at(i),
        None => (before_query, ""),
    };
    if authority.is_empty()
        || authority.contains(char::is_whitespace)
        || authority.contains('@') && authority.ends_with('@')
    {
        return Err(UrlError(format!("invalid URL {url:?}: it has no host")));
    }
    if path.contains(char::is_whitespace) {
        return Err(UrlError(format!(
            "invalid URL {url:?}: the path contains white space"
        )));
    }
    Ok(UrlParts {
        scheme,
        authority,
        path: path.trim_end_matches('/'),
        query,
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn derive(url: &str) -> Endpoints {
        Endpoints::derive(url, &Default::default()).unwrap()
    }

    #[test]
    fn http_url_names_a_service() {
        let e = derive("http://127.0.0.1:8080/echo");
        assert_eq!(
            e.get(TransportKind::WebSocket),
            "ws://127.0.0.1:8080/ws/echo"
        );
        assert_eq!(e.get(TransportKind::Sse), "http://127.0.0.1:8080/sse/echo");
        assert_eq!(
            e.get(TransportKind::LongPolling),
            "http://127.0.0.1:8080/poll/echo"
        );
        assert_eq!(
            e.get(TransportKind::WebTransport),
            "https://127.0.0.1:8080/wt/echo"
        );
    }

    #[test]
    fn ws_url_is_used_verbatim() {
        let e = derive("wss://example.com/ws/chat?room=a");
        assert_eq!(
            e.get(TransportKind::WebSocket),
            "wss://example.com/ws/chat?room=a"
        );
        assert_eq!(
            e.get(TransportKind::Sse),
            "https://example.com/sse/chat?room=a"
        );
        let plain = derive("ws://localhost:8080");
        assert_eq!(plain.get(TransportKind::WebSocket), "ws://localhost:8080");
        assert_eq!(
            plain.get(TransportKind::LongPolling),
            "http://localhost:8080/poll"
        );
    }

    #[test]
    fn bad_urls_say_why() {
        for (url, needle) in [
            ("not a url", "absolute URL"),
            ("ftp://x/y", "scheme"),
            ("http:///x", "no host"),
        ] {
            let e = Endpoints::derive(url, &Default::default()).unwrap_err();
            assert!(e.0.contains(needle), "{url}: {e}");
        }
    }

    #[test]
    fn upper_case_schemes_work_as_in_browsers() {
        let e = derive("HTTPS://example.com/chat?room=a");
        assert_eq!(
            e.get(TransportKind::WebSocket),
            "wss://example.com/ws/chat?room=a"
        );
        assert_eq!(
            e.get(TransportKind::Sse),
            "https://example.com/sse/chat?room=a"
        );
        let e = derive("Http://h:1/echo");
        assert_eq!(e.get(TransportKind::LongPolling), "http://h:1/poll/echo");
        // A ws(s) URL is kept as given apart from its scheme, which is normalised.
        let e = derive("WS://h:1/ws/echo?x=Y");
        assert_eq!(e.get(TransportKind::WebSocket), "ws://h:1/ws/echo?x=Y");
        assert_eq!(e.get(TransportKind::Sse), "http://h:1/sse/echo?x=Y");
        let e = derive("wSs://h/ws/echo");
        assert_eq!(e.get(TransportKind::WebSocket), "wss://h/ws/echo");
        let explicit = [None, None, Some("HTTP://other/sse/x".to_owned()), None];
        let e = Endpoints::derive("http://h/echo", &explicit).unwrap();
        assert_eq!(e.get(TransportKind::Sse), "http://other/sse/x");
    }

    #[test]
    fn request_urls_splice_the_path_before_the_query() {
        let base = "http://h:1/sse/echo?token=a%20b";
        assert_eq!(
            request_url(base, &["0123"], &[]),
            "http://h:1/sse/echo/0123?token=a%20b"
        );
        assert_eq!(
            request_url(base, &["0123", "close"], &[]),
            "http://h:1/sse/echo/0123/close?token=a%20b"
        );
        assert_eq!(
            request_url(base, &["s"], &[("wait", "25000")]),
            "http://h:1/sse/echo/s?token=a%20b&wait=25000"
        );
        // No query, trailing slash, fragment (never sent) dropped.
        assert_eq!(
            request_url("http://h/poll/echo/#frag", &["s"], &[("wait", "1")]),
            "http://h/poll/echo/s?wait=1"
        );
        // A parameter of the same name is replaced, not repeated; others keep their order.
        assert_eq!(
            request_url("http://h/p?wait=9&a=1&wait=8", &[], &[("wait", "5")]),
            "http://h/p?a=1&wait=5"
        );
        // Segments and values are percent-encoded.
        assert_eq!(
            request_url("http://h/p?", &["a b"], &[("k", "x&y")]),
            "http://h/p/a%20b?k=x%26y"
        );
    }

    #[test]
    fn queries_are_stripped_from_messages() {
        assert_eq!(
            without_query("http://h/sse/echo?token=secret#f"),
            "http://h/sse/echo"
        );
        assert_eq!(without_query("http://h/sse/echo#f"), "http://h/sse/echo");
        assert_eq!(without_query("http://h/x"), "http://h/x");
    }

    #[test]
    fn session_ids_are_32_lowercase_hex() {
        assert!(is_session_id("0123456789abcdef0123456789abcdef"));
        for bad in [
            "",
            "0123456789abcdef0123456789abcde",
            "0123456789abcdef0123456789abcdef0",
            "0123456789ABCDEF0123456789abcdef",
            "0123456789abcdef0123456789abcde/",
            "../../control/drop?0123456789abcd",
            "0123456789abcdef0123456789abcdeé",
        ] {
            assert!(!is_session_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn reasons_are_capped_on_a_char_boundary() {
        assert_eq!(cap_reason("bye"), "bye");
        let long = "é".repeat(100); // 200 bytes
        let capped = cap_reason(&long);
        assert_eq!(capped.len(), 122);
        assert!(capped.chars().all(|c| c == 'é'));
        assert_eq!(cap_reason(&"a".repeat(500)).len(), 123);
    }

    #[test]
    fn token_is_percent_encoded() {
        assert_eq!(
            with_token("ws://h/ws/e", "a b&c"),
            "ws://h/ws/e?token=a%20b%26c"
        );
        assert_eq!(
            with_token("ws://h/ws/e?x=1#f", "t"),
            "ws://h/ws/e?x=1&token=t#f"
        );
    }
}
