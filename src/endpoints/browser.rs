//! Parsing with the browser's `URL`: correct for every case the URL standard covers (upper-case
//! schemes, IPv6 literals, default ports, percent-encoding, international host names) and no
//! parser in the wasm. The rules applied to its result are plain Rust in `endpoints.rs`.

use super::{invalid_url, join, UrlError, UrlParts};
use crate::web::bindings::property::string_property;

/// `url` parsed; not absolute or not a URL at all → a reason starting with `prefix` (the
/// browser's own message is not used: it quotes the URL whole, user info and token included).
pub(super) fn parse(url: &str, prefix: &str) -> Result<UrlParts, UrlError> {
    let parsed = web_sys::Url::new(url).map_err(|_| {
        UrlError(join(&[
            &invalid_url(prefix, url),
            ": expected an absolute URL such as http://host:port/service",
        ]))
    })?;
    let part = |key| string_property(&parsed, key);
    let mut scheme = part("protocol");
    // A byte test and `truncate`, not `ends_with(':')` and `pop`: the colon is one byte, and
    // those would encode a `char` and decode the last one backwards (issue 9: size).
    if scheme.as_bytes().last() == Some(&b':') {
        scheme.truncate(scheme.len() - 1);
    }
    Ok(UrlParts {
        scheme,
        host: part("host"),
        path: part("pathname"),
        query: part("search"),
        has_credentials: !part("username").is_empty() || !part("password").is_empty(),
    })
}
