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

/// The endpoint of every transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    urls: [String; 4],
}

impl Endpoints {
    pub fn get(&self, kind: TransportKind) -> &str {
        &self.urls[kind.index()]
    }

    /// Validates `url` and derives every endpoint not given explicitly.
    pub fn derive(url: &str, explicit: &[Option<String>; 4]) -> Result<Endpoints, UrlError> {
        let parsed = split_url(url)?;
        let secure = matches!(parsed.scheme, "https" | "wss");
        let http = if secure { "https" } else { "http" };
        let ws = if secure { "wss" } else { "ws" };
        // The service path without a leading `/ws` prefix: `/ws/echo` and `/echo` both name `echo`.
        let service = parsed
            .path
            .strip_prefix("/ws")
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
            .unwrap_or(parsed.path);
        let host = parsed.authority;
        let websocket = if matches!(parsed.scheme, "ws" | "wss") {
            url.to_owned()
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
                split_url(explicit).map_err(|e| UrlError(format!("endpoints.{kind}: {e}")))?;
                urls[kind.index()] = explicit.clone();
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

struct UrlParts<'a> {
    scheme: &'a str,
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
    if !matches!(scheme, "http" | "https" | "ws" | "wss") {
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
