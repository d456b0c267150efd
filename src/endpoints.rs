//! Deriving each transport's endpoint from the one URL the user gives.
//!
//! Convention (documented in PROTOCOL.md and the README): the URL names a service on a server,
//! `http(s)://host:port/<service>` or `ws(s)://host:port/ws/<service>`. From it:
//! - WebSocket: `ws(s)://host:port/ws/<service>` — a `ws(s)://` URL is used as given (as the
//!   browser's `URL` normalises it), so any ordinary WebSocket server works;
//! - SSE: `http(s)://host:port/sse/<service>`;
//! - long polling: `http(s)://host:port/poll/<service>`;
//! - WebTransport: `https://host:port/wt/<service>` (HTTP/3 on the same port number, UDP).
//!
//! Explicit endpoints (`options.endpoints`) override any of them.
//!
//! Parsing is the browser's (`URL`, in `endpoints/browser.rs`): it gets upper-case schemes, IPv6
//! literals, default ports, percent-encoding and international host names right, and costs no
//! wasm. What is derived from the parsed parts ([`UrlParts`]) — which scheme maps to which
//! transport URL, joining paths and queries, the token and session parameters — is plain Rust
//! here, tested natively.

use crate::core::text::{
    before_any, concat as join, find, find_byte, push_hex_upper, rfind_byte, split_once_byte,
    trim_end_byte,
};
use crate::core::{SessionQuery, TransportKind};
use crate::prelude::*;
use std::fmt;

#[cfg(target_arch = "wasm32")]
mod browser;

/// An unusable URL, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError(pub String);

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl core::error::Error for UrlError {}

/// An absolute URL as the browser's `URL` parsed it: its fields are `URL`'s, so they are already
/// normalised (scheme and host in lower case, default port dropped, path percent-encoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts {
    /// The scheme without its `:` (`URL.protocol` minus the colon), e.g. `https`.
    pub scheme: String,
    /// Host and port (`URL.host`), e.g. `example.com:8080` or `[::1]:8080`.
    pub host: String,
    /// The path (`URL.pathname`), `/` at least for the schemes used here.
    pub path: String,
    /// `?query` including the `?`, or empty (`URL.search`).
    pub query: String,
    /// Whether the URL had a user name or password (`user:pw@host`); such a URL is refused.
    pub has_credentials: bool,
}

impl UrlParts {
    /// The URL as the transports open it: user info and fragment are never part of it.
    fn href(&self) -> String {
        join(&[&self.scheme, "://", &self.host, &self.path, &self.query])
    }

    /// What makes the URL unusable for the transports, if anything: a scheme other than the
    /// four, no host, or credentials. The reason goes after `invalid URL "…"`.
    fn problem(&self) -> Option<String> {
        if !matches!(self.scheme.as_str(), "http" | "https" | "ws" | "wss") {
            return Some(join(&[
                ": the scheme must be http, https, ws or wss, not \"",
                &self.scheme,
                "\"",
            ]));
        }
        if self.host.is_empty() {
            return Some(": it has no host".into());
        }
        if self.has_credentials {
            // Refused rather than dropped: fetch rejects such URLs, so they could never work on
            // every transport, and a password would show in every message about the URL.
            return Some(
                ": a user name or password in the URL is not supported; send credentials with \
                 the auth option"
                    .into(),
            );
        }
        None
    }
}

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

    /// Parses `url` and the explicit endpoints with the browser's `URL`, validates them and
    /// derives every endpoint not given explicitly.
    #[cfg(target_arch = "wasm32")]
    pub fn derive(url: &str, explicit: &[Option<String>; 4]) -> Result<Endpoints, UrlError> {
        let given = browser::parse(url, "")?;
        let mut parsed: [Option<(&str, UrlParts)>; 4] = Default::default();
        for kind in TransportKind::ALL {
            if let Some(text) = &explicit[kind.index()] {
                let parts = browser::parse(text, &endpoint_prefix(kind))?;
                parsed[kind.index()] = Some((text.as_str(), parts));
            }
        }
        Endpoints::from_parts(url, &given, &parsed)
    }

    /// The derivation rules, on URLs already parsed: `url` and its parts `given`, and per
    /// transport an explicit endpoint's text and parts. The texts only word the reasons (through
    /// [`for_humans`]: no user info, query or fragment).
    pub fn from_parts(
        url: &str,
        given: &UrlParts,
        explicit: &[Option<(&str, UrlParts)>; 4],
    ) -> Result<Endpoints, UrlError> {
        if let Some(why) = given.problem() {
            return Err(UrlError(join(&[&invalid_url("", url), &why])));
        }
        let secure = matches!(given.scheme.as_str(), "https" | "wss");
        let http = if secure { "https://" } else { "http://" };
        let ws = if secure { "wss://" } else { "ws://" };
        // The service path without a trailing `/` or a leading `/ws` prefix: `/ws/echo` and
        // `/echo` both name `echo`.
        let path = trim_end_byte(&given.path, b'/');
        let service = path
            .strip_prefix("/ws")
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
            .unwrap_or(path);
        let derived = |scheme: &str, prefix: &str| {
            join(&[scheme, &given.host, prefix, service, &given.query])
        };
        let websocket = if matches!(given.scheme.as_str(), "ws" | "wss") {
            given.href()
        } else {
            derived(ws, "/ws")
        };
        let mut urls = [
            derived("https://", "/wt"),
            websocket,
            derived(http, "/sse"),
            derived(http, "/poll"),
        ];
        for kind in TransportKind::ALL {
            if let Some((text, parts)) = &explicit[kind.index()] {
                if let Some(why) = parts.problem() {
                    let prefix = endpoint_prefix(kind);
                    return Err(UrlError(join(&[&invalid_url(&prefix, text), &why])));
                }
                urls[kind.index()] = parts.href();
            }
        }
        Ok(Endpoints { urls })
    }
}

/// `endpoints.<kind>: `, how reasons about an explicit endpoint start.
fn endpoint_prefix(kind: TransportKind) -> String {
    join(&["endpoints.", kind.as_str(), ": "])
}

/// `prefix` + `invalid URL "<url for humans>"`, how every reason about a URL starts.
fn invalid_url(prefix: &str, url: &str) -> String {
    join(&[prefix, "invalid URL \"", &for_humans(url), "\""])
}

/// `url` as it may appear in a message: without query and fragment (the query may hold the auth
/// token) and without user info (`user:password@`, shown as `…@`). It works on text the browser
/// could not parse too, so it cuts by hand: the user info is whatever precedes the last `@` of
/// the authority (after `//`, up to the path), or of the whole text when there is no `//`.
pub fn for_humans(url: &str) -> String {
    let whole = url;
    let url = without_query(url);
    // `text::find`, not `str::find`: no Two-Way searcher in the wasm for one `//`.
    let start = find(url, "//").map_or(0, |i| i + 2);
    let authority = url.get(start..).unwrap_or_default();
    let authority = if start == 0 {
        authority
    } else {
        before_any(authority, b"/\\")
    };
    match rfind_byte(authority, b'@') {
        Some(at) => join(&[
            url.get(..start).unwrap_or_default(),
            "\u{2026}",
            url.get(start + at..).unwrap_or_default(),
        ]),
        // An `@` past the cut (`user:pa#ss@host`, `user:pa/ss@host` in text the browser could
        // not parse) may end a password: show the scheme only.
        None if find_byte(whole, b'@').is_some() => {
            join(&[url.get(..start).unwrap_or_default(), "\u{2026}"])
        }
        None => url.to_owned(),
    }
}

/// Adds `token=<token>` to a URL's query (percent-encoded), the guide §8.2 convention.
pub fn with_token(url: &str, token: &str) -> String {
    let (base, fragment) = split_once_byte(url, b'#').unwrap_or((url, ""));
    let mut out = String::with_capacity(url.len() + token.len() + 8);
    out.push_str(base);
    out.push(if find_byte(base, b'?').is_some() {
        '&'
    } else {
        '?'
    });
    out.push_str("token=");
    push_percent_encoded(&mut out, token);
    if !fragment.is_empty() {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// `value` percent-encoded for a query (every byte but RFC 3986's unreserved ones).
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    push_percent_encoded(&mut out, value);
    out
}

fn push_percent_encoded(out: &mut String, value: &str) {
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            _ => {
                out.push('%');
                push_hex_upper(out, b);
            }
        }
    }
}

/// A request URL derived from a transport endpoint: `segments` are appended to the path
/// (percent-encoded) and `params` merged into the query (replacing parameters of the same name),
/// so `http://h/sse/echo?token=t` with `["id", "close"]` is `http://h/sse/echo/id/close?token=t`.
/// The endpoint's query carries the auth token, so appending to the raw string would put the
/// path inside the query (and the server would answer 405). The fragment is dropped: it is never
/// sent anyway.
pub fn request_url(endpoint: &str, segments: &[&str], params: &[(&str, &str)]) -> String {
    // Byte searches (`core::text`), not `char` patterns: no `CharSearcher`/`memchr` in the wasm.
    let without_fragment = before_any(endpoint, b"#");
    let (path, query) = split_once_byte(without_fragment, b'?').unwrap_or((without_fragment, ""));
    let mut out = trim_end_byte(path, b'/').to_owned();
    for segment in segments {
        out.push('/');
        push_percent_encoded(&mut out, segment);
    }
    let replaced = |pair: &str| {
        let name = before_any(pair, b"=");
        params.iter().any(|(key, _)| *key == name)
    };
    let mut separator = '?';
    // The `&`-separated pairs, as `query.split('&')`; empty ones are dropped.
    let mut rest = query;
    while !rest.is_empty() {
        let (pair, next) = split_once_byte(rest, b'&').unwrap_or((rest, ""));
        if !pair.is_empty() && !replaced(pair) {
            out.push(separator);
            out.push_str(pair);
            separator = '&';
        }
        rest = next;
    }
    for (key, value) in params {
        out.push(separator);
        out.push_str(key);
        out.push('=');
        push_percent_encoded(&mut out, value);
        separator = '&';
    }
    out
}

/// `url` with the session's query (`v=2`, `resume=<id>.<seq>`: PROTOCOL.md §7.2) merged in, as
/// every link opens: computed when the link opens, so the resume point is the latest. A socket
/// without sessions (`SessionQuery::Off`) opens `url` as it is.
pub fn with_session_query(url: String, query: &SessionQuery) -> String {
    let query = query.params();
    if query.is_empty() {
        return url;
    }
    let mut params: Vec<(&str, &str)> = Vec::with_capacity(query.len());
    for (key, value) in &query {
        params.push((key, value.as_str()));
    }
    request_url(&url, &[], &params)
}

/// `url` without its query and fragment, for human-readable reasons: the query may hold the
/// auth token, and no string the SDK produces may contain it.
pub fn without_query(url: &str) -> &str {
    before_any(url, b"?#")
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
    // `get`, not `[..end]` (a boundary either way): slicing links `str::slice_error_fail`, 1.4 KB
    // of panic message code in the wasm.
    reason.get(..end).unwrap_or_default()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    /// What the browser's `URL` gives for an absolute URL (the browser tests check the parsing
    /// itself; these check the rules applied to it).
    fn parts(scheme: &str, host: &str, path: &str, query: &str) -> UrlParts {
        UrlParts {
            scheme: scheme.into(),
            host: host.into(),
            path: path.into(),
            query: query.into(),
            has_credentials: false,
        }
    }

    fn derive(given: UrlParts) -> Endpoints {
        Endpoints::from_parts("as typed", &given, &Default::default()).unwrap()
    }

    #[test]
    fn http_url_names_a_service() {
        let e = derive(parts("http", "127.0.0.1:8080", "/echo", ""));
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
        // A trailing slash names the same service; an IPv6 host keeps its brackets.
        let e = derive(parts("https", "[::1]:9", "/echo/", "?a=%20"));
        assert_eq!(
            e.get(TransportKind::WebSocket),
            "wss://[::1]:9/ws/echo?a=%20"
        );
        assert_eq!(
            e.get(TransportKind::LongPolling),
            "https://[::1]:9/poll/echo?a=%20"
        );
    }

    #[test]
    fn ws_url_is_used_as_given() {
        let e = derive(parts("wss", "example.com", "/ws/chat", "?room=a"));
        assert_eq!(
            e.get(TransportKind::WebSocket),
            "wss://example.com/ws/chat?room=a"
        );
        assert_eq!(
            e.get(TransportKind::Sse),
            "https://example.com/sse/chat?room=a"
        );
        let plain = derive(parts("ws", "localhost:8080", "/", ""));
        assert_eq!(plain.get(TransportKind::WebSocket), "ws://localhost:8080/");
        assert_eq!(
            plain.get(TransportKind::LongPolling),
            "http://localhost:8080/poll"
        );
        // `/wsx` is a service of its own, not `/ws` + `x`.
        let e = derive(parts("ws", "h", "/wsx", ""));
        assert_eq!(e.get(TransportKind::Sse), "http://h/sse/wsx");
    }

    #[test]
    fn bad_urls_say_why_without_secrets() {
        let mut ftp = parts("ftp", "x", "/y", "");
        let mut no_host = parts("http", "", "/x", "");
        let mut credentials = parts("https", "h", "/x", "?token=t0k");
        credentials.has_credentials = true;
        for (url, given, needle) in [
            (
                "ftp://x/y",
                &mut ftp,
                "the scheme must be http, https, ws or wss, not \"ftp\"",
            ),
            ("http:x", &mut no_host, "no host"),
            (
                "https://me:s3cret@h/x?token=t0k",
                &mut credentials,
                "user name or password",
            ),
        ] {
            let e = Endpoints::from_parts(url, given, &Default::default()).unwrap_err();
            assert!(e.0.starts_with("invalid URL \""), "{url}: {e}");
            assert!(e.0.contains(needle), "{url}: {e}");
            assert!(
                !e.0.contains("s3cret") && !e.0.contains("t0k"),
                "{url}: {e}"
            );
        }
    }

    #[test]
    fn explicit_endpoints_replace_derived_ones() {
        let given = parts("http", "h", "/echo", "");
        let mut explicit: [Option<(&str, UrlParts)>; 4] = Default::default();
        explicit[TransportKind::Sse.index()] =
            Some(("HTTP://Other/sse/x#f", parts("http", "other", "/sse/x", "")));
        let e = Endpoints::from_parts("http://h/echo", &given, &explicit).unwrap();
        assert_eq!(e.get(TransportKind::Sse), "http://other/sse/x");
        assert_eq!(e.get(TransportKind::LongPolling), "http://h/poll/echo");
        let mut bad = parts("http", "other", "/", "");
        bad.has_credentials = true;
        explicit[TransportKind::LongPolling.index()] = Some(("http://u:pw@other/", bad));
        let e = Endpoints::from_parts("http://h/echo", &given, &explicit).unwrap_err();
        assert_eq!(
            e.0,
            "endpoints.long-polling: invalid URL \"http://\u{2026}@other/\": a user name or \
             password in the URL is not supported; send credentials with the auth option"
        );
    }

    #[test]
    fn urls_for_humans_have_no_user_info_query_or_fragment() {
        for (url, shown) in [
            ("http://h/x?token=a#f", "http://h/x"),
            ("ws://user:pw@h:1/x", "ws://\u{2026}@h:1/x"),
            ("ws://a@b@h/x@y", "ws://\u{2026}@h/x@y"),
            // An `@` past the authority may end a password the browser could not parse.
            ("http://h/a@b", "http://\u{2026}"),
            ("http://user:pa#ss@host/", "http://\u{2026}"),
            ("http://user:pa/ss@host/", "http://\u{2026}"),
            ("http://user:pa?ss@host/", "http://\u{2026}"),
            ("user:pw@host", "\u{2026}@host"),
            ("not a url", "not a url"),
            ("", ""),
        ] {
            assert_eq!(for_humans(url), shown, "{url}");
        }
    }

    #[test]
    fn a_session_query_replaces_an_earlier_one_and_keeps_the_token() {
        let url = "ws://h/ws/echo?token=t&v=1".to_owned();
        assert_eq!(with_session_query(url.clone(), &SessionQuery::Off), url);
        assert_eq!(
            with_session_query(url.clone(), &SessionQuery::New),
            "ws://h/ws/echo?token=t&v=2"
        );
        let resume = SessionQuery::Resume {
            id: "0123456789abcdef0123456789abcdef".to_owned(),
            last: 42,
        };
        assert_eq!(
            with_session_query(url, &resume),
            "ws://h/ws/echo?token=t&v=2&resume=0123456789abcdef0123456789abcdef.42"
        );
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
