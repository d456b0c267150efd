//! The rules of the JS `options` object as data: every key, what it accepts, and the messages
//! that explain a wrong value. `web::options` reads the JS object with a few generic readers
//! driven by [`OPTIONS`]; everything here is pure Rust, tested natively.
//!
//! Why a table and strings built with `push_str`: the parser it replaces, one hand-written branch
//! and one `format!` per option, was the largest function in the wasm (about 6 KB gzipped). Why
//! not serde (+ serde-wasm-bindgen): measured, it adds 18–26 KB gzipped to the wasm, and it
//! does not reject misspelled keys, which is the reason to check options at all.

use crate::core::TransportKind;
use crate::prelude::*;

/// What one option accepts. A wrong type is reported as "`name` must be [`Kind::expected`]".
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `true` or `false`.
    Bool,
    /// Any string.
    Str,
    /// A whole number in `[min, 2^53 − 1]` (milliseconds, counts, sizes).
    Whole(u8),
    /// [`Kind::Whole`], or `false` for "never".
    WholeOrFalse(u8),
    /// [`Kind::Whole`], or `Infinity` or `null` for "no limit".
    WholeOrForever(u8),
    /// A finite number in `[min, max]`.
    Number(u8, u8),
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// A string or an array of strings.
    Strings,
    /// A transport name or an array of distinct ones, at least one (see [`transports`]).
    Transports,
    /// A function.
    Function,
    /// An array of certificate hashes (see [`hex_sha256`]).
    Hashes,
    /// A nested object with its own keys. `true` in the second field: `false` (turned off) and
    /// `true` (on, with the defaults) are accepted too.
    Object(&'static [Opt], bool),
}

impl Kind {
    /// The end of the message for a value of the wrong type.
    pub fn expected(self) -> &'static str {
        match self {
            Kind::Bool => "a boolean",
            Kind::Str | Kind::OneOf(_) => "a string",
            Kind::Whole(_) | Kind::WholeOrFalse(_) | Kind::WholeOrForever(_) | Kind::Number(..) => {
                "a number"
            }
            Kind::Strings | Kind::Transports => "a string or an array of strings",
            Kind::Function => "a function",
            Kind::Hashes => "an array",
            Kind::Object(_, true) => "an object or a boolean",
            Kind::Object(_, false) => "an object",
        }
    }
}

/// Which setting an option fills (`web::options` applies it; one arm each, no checks there).
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Transports,
    Endpoints,
    Endpoint(TransportKind),
    Protocols,
    BinaryType,
    Reconnect,
    InitialDelay,
    Factor,
    MaxDelay,
    MaxAttempts,
    Jitter,
    ConnectTimeout,
    UpgradeAfter,
    Resume,
    AckDelay,
    HelloTimeout,
    ResumeMaxMessages,
    ResumeMaxBytes,
    Heartbeat,
    Interval,
    HeartbeatTimeout,
    Ping,
    Pong,
    Batch,
    BatchMaxMessages,
    FlushInterval,
    BatchMaxBytes,
    Queue,
    QueueMaxMessages,
    QueueMaxBytes,
    Overflow,
    WebTransport,
    CertificateHashes,
    Auth,
    Token,
    GetToken,
    ParseJson,
    DecodeBinary,
    MaxMessageBytes,
    WebSocketStream,
    Debug,
}

/// One key of an options object.
#[derive(Debug, Clone, Copy)]
pub struct Opt {
    /// The key, as written in JS.
    pub key: &'static str,
    /// What it accepts.
    pub kind: Kind,
    /// What it sets.
    pub field: Field,
}

const fn opt(key: &'static str, kind: Kind, field: Field) -> Opt {
    Opt { key, kind, field }
}

/// `binaryType`'s values, in `BinaryType` order.
pub const BINARY_TYPES: &[&str] = &["arraybuffer", "blob"];
/// `queue.overflow`'s values, in `OverflowPolicy` order.
pub const OVERFLOW_POLICIES: &[&str] = &["reject", "drop-oldest"];

use Field as F;
use Kind as K;

const ENDPOINTS: &[Opt] = &[
    opt(
        "webtransport",
        K::Str,
        F::Endpoint(TransportKind::WebTransport),
    ),
    opt("websocket", K::Str, F::Endpoint(TransportKind::WebSocket)),
    opt("sse", K::Str, F::Endpoint(TransportKind::Sse)),
    opt(
        "long-polling",
        K::Str,
        F::Endpoint(TransportKind::LongPolling),
    ),
    opt(
        "longPolling",
        K::Str,
        F::Endpoint(TransportKind::LongPolling),
    ),
];
const RECONNECT: &[Opt] = &[
    opt("initialDelayMs", K::Whole(0), F::InitialDelay),
    opt("factor", K::Number(1, 100), F::Factor),
    opt("maxDelayMs", K::Whole(0), F::MaxDelay),
    opt("maxAttempts", K::WholeOrForever(0), F::MaxAttempts),
    opt("jitter", K::Number(0, 1), F::Jitter),
];
const RESUME: &[Opt] = &[
    opt("ackDelayMs", K::Whole(0), F::AckDelay),
    opt("helloTimeoutMs", K::Whole(1), F::HelloTimeout),
    opt("maxMessages", K::Whole(1), F::ResumeMaxMessages),
    opt("maxBytes", K::Whole(1), F::ResumeMaxBytes),
];
const HEARTBEAT: &[Opt] = &[
    opt("intervalMs", K::Whole(1), F::Interval),
    opt("timeoutMs", K::Whole(1), F::HeartbeatTimeout),
    opt("ping", K::Str, F::Ping),
    opt("pong", K::Str, F::Pong),
];
const BATCH: &[Opt] = &[
    opt("maxMessages", K::Whole(1), F::BatchMaxMessages),
    opt("flushIntervalMs", K::Whole(0), F::FlushInterval),
    opt("maxBytes", K::Whole(64), F::BatchMaxBytes),
];
const QUEUE: &[Opt] = &[
    opt("maxMessages", K::Whole(0), F::QueueMaxMessages),
    opt("maxBytes", K::Whole(0), F::QueueMaxBytes),
    opt("overflow", K::OneOf(OVERFLOW_POLICIES), F::Overflow),
];
const WEBTRANSPORT: &[Opt] = &[opt(
    "serverCertificateHashes",
    K::Hashes,
    F::CertificateHashes,
)];
const AUTH: &[Opt] = &[
    opt("token", K::Str, F::Token),
    opt("getToken", K::Function, F::GetToken),
];

/// Every key of the options object and what it accepts, in the order they are applied (a
/// function `getToken` wins over a `token`, as both are read in this order).
pub const OPTIONS: &[Opt] = &[
    opt("transports", K::Transports, F::Transports),
    opt("endpoints", K::Object(ENDPOINTS, false), F::Endpoints),
    opt("protocols", K::Strings, F::Protocols),
    opt("binaryType", K::OneOf(BINARY_TYPES), F::BinaryType),
    opt("reconnect", K::Object(RECONNECT, true), F::Reconnect),
    opt("connectTimeoutMs", K::Whole(1), F::ConnectTimeout),
    // While open on a worse transport, how often a better one is probed in the background (and
    // how long after a better one failed a reconnect starts from the top); false: never.
    opt("upgradeAfterMs", K::WholeOrFalse(0), F::UpgradeAfter),
    // Resumable sessions (PROTOCOL.md §7): false speaks v1 only.
    opt("resume", K::Object(RESUME, true), F::Resume),
    opt("heartbeat", K::Object(HEARTBEAT, true), F::Heartbeat),
    opt("batch", K::Object(BATCH, true), F::Batch),
    opt("queue", K::Object(QUEUE, false), F::Queue),
    opt(
        "webtransport",
        K::Object(WEBTRANSPORT, false),
        F::WebTransport,
    ),
    opt("auth", K::Object(AUTH, false), F::Auth),
    opt("parseJson", K::Bool, F::ParseJson),
    opt("decodeBinary", K::Bool, F::DecodeBinary),
    opt("maxMessageBytes", K::Whole(1), F::MaxMessageBytes),
    opt("webSocketStream", K::Bool, F::WebSocketStream),
    opt("debug", K::Bool, F::Debug),
];

/// The top-level keys of [`OPTIONS`], in order.
pub const OPTION_NAMES: [&str; OPTIONS.len()] = {
    let mut names = [""; OPTIONS.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = OPTIONS[i].key;
        i += 1;
    }
    names
};

/// The largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
pub const MAX_WHOLE: u64 = (1 << 53) - 1;

/// Why a number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberError {
    /// Outside `[min, max]`, or not finite.
    Range,
    /// In range but with a fraction.
    Fraction,
}

/// `n` if finite and within `[min, max]`.
pub fn check_number(n: f64, min: u64, max: u64) -> Result<f64, NumberError> {
    if n.is_finite() && n >= min as f64 && n <= max as f64 {
        Ok(n)
    } else {
        Err(NumberError::Range)
    }
}

/// `n` as an integer if it is a whole number within `[min, 2^53 − 1]`.
pub fn check_whole(n: f64, min: u64) -> Result<u64, NumberError> {
    let n = check_number(n, min, MAX_WHOLE)?;
    if !crate::core::float::is_whole(n) {
        return Err(NumberError::Fraction);
    }
    Ok(n as u64)
}

/// A count or size as `usize`. Values beyond `usize::MAX` (2^32 − 1 on wasm32) mean "no
/// practical limit" and are clamped: a plain `as usize` would wrap 2^32 to 0.
pub fn clamp_size(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// The message for a number [`check_number`] or [`check_whole`] refused; `shown` is the value
/// as JS prints it (formatting floats in Rust would pull about 15 KB of float printing into the
/// wasm for the sake of error messages).
pub fn number_message(name: &str, error: NumberError, min: u64, max: u64, shown: &str) -> String {
    let mut m = String::from(name);
    match error {
        NumberError::Range => {
            m.push_str(" must be between ");
            push_decimal(&mut m, min);
            m.push_str(" and ");
            push_decimal(&mut m, max);
        }
        NumberError::Fraction => m.push_str(" must be a whole number"),
    }
    m.push_str(", not ");
    m.push_str(shown);
    m
}

/// The limits of a numeric kind, `(min, max)`; `None` for the other kinds.
pub fn limits(kind: Kind) -> Option<(u64, u64)> {
    match kind {
        Kind::Whole(min) | Kind::WholeOrFalse(min) | Kind::WholeOrForever(min) => {
            Some((min.into(), MAX_WHOLE))
        }
        Kind::Number(min, max) => Some((min.into(), max.into())),
        _ => None,
    }
}

/// `path.key`, or `key` at the top level (`path` empty).
pub fn full_name(path: &str, key: &str) -> String {
    let mut name = String::from(path);
    if !path.is_empty() {
        name.push('.');
    }
    name.push_str(key);
    name
}

/// "`name` must be `expected`" (`name` empty: the options object itself).
pub fn must_be(name: &str, expected: &str) -> String {
    let mut m = String::from(if name.is_empty() { "options" } else { name });
    m.push_str(" must be ");
    m.push_str(expected);
    m
}

/// The position of `value` in `names`, or the message: `name must be "a" or "b", not "c"`.
pub fn one_of(name: &str, names: &[&str], value: &str) -> Result<usize, String> {
    if let Some(i) = names.iter().position(|n| *n == value) {
        return Ok(i);
    }
    let mut m = String::from(name);
    m.push_str(" must be ");
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            m.push_str(if i + 1 == names.len() { " or " } else { ", " });
        }
        push_quoted(&mut m, n);
    }
    m.push_str(", not ");
    push_quoted(&mut m, value);
    Err(m)
}

/// The transports of a `transports` list: at least one, each known and named once.
pub fn transports(items: &[String]) -> Result<Vec<TransportKind>, String> {
    if items.is_empty() {
        return Err("transports must name at least one transport".into());
    }
    let mut kinds = Vec::with_capacity(items.len());
    for item in items {
        let kind = TransportKind::parse(item);
        let mut m = String::new();
        match kind {
            Some(kind) if !kinds.contains(&kind) => {
                kinds.push(kind);
                continue;
            }
            Some(_) => {
                m.push_str("transport ");
                push_quoted(&mut m, item);
                m.push_str(" appears twice in transports");
            }
            None => {
                m.push_str("unknown transport ");
                push_quoted(&mut m, item);
                m.push_str(" in transports (use webtransport, websocket, sse, long-polling)");
            }
        }
        return Err(m);
    }
    Ok(kinds)
}

/// The message for a key that `keys` does not have: it quotes the key with its path, suggests
/// the nearest known key when one is close, and lists them all.
pub fn unknown_key(path: &str, key: &str, keys: &[Opt]) -> String {
    let mut m = String::from("unknown option ");
    push_quoted(&mut m, &full_name(path, key));
    if let Some(near) = nearest(key, keys.iter().map(|o| o.key)) {
        m.push_str("; did you mean ");
        push_quoted(&mut m, near);
        m.push('?');
    }
    m.push_str(" (known");
    if !path.is_empty() {
        m.push_str(" in ");
        m.push_str(path);
    }
    for (i, opt) in keys.iter().enumerate() {
        m.push_str(if i == 0 { ": " } else { ", " });
        m.push_str(opt.key);
    }
    m.push(')');
    m
}

/// The known name closest to `key` by edit distance (insertions, deletions, substitutions and
/// swaps of neighbours, ignoring ASCII case), if it is within a third of the name's length:
/// `reconect` → `reconnect`, `initialDelay` → `initialDelayMs`, `parseJSON` → `parseJson`.
pub fn nearest<'a>(key: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for name in names {
        let d = distance(key.as_bytes(), name.as_bytes());
        if d <= name.len().div_ceil(3) && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, name));
        }
    }
    best.map(|(_, name)| name)
}

/// Optimal string alignment distance over ASCII-lowercased bytes (a swap of neighbours costs 1),
/// in three rows on the stack; words of 32 bytes or more count as far from everything.
fn distance(a: &[u8], b: &[u8]) -> usize {
    const N: usize = 32;
    if a.len() >= N || b.len() >= N {
        return usize::MAX;
    }
    let lower = |s: &[u8], i: usize| s.get(i).map(u8::to_ascii_lowercase);
    // Rows of the table: two back (for swaps), one back, and the one being filled.
    let (mut two, mut one, mut row) = ([0u8; N], [0u8; N], [0u8; N]);
    for (j, cell) in one.iter_mut().enumerate() {
        *cell = j as u8;
    }
    for i in 0..a.len() {
        row[0] = i as u8 + 1;
        for j in 0..b.len() {
            let (ca, cb) = (lower(a, i), lower(b, j));
            let mut d = (one[j] + u8::from(ca != cb))
                .min(one[j + 1] + 1)
                .min(row[j] + 1);
            if i > 0 && j > 0 && lower(a, i - 1) == cb && lower(b, j - 1) == ca {
                d = d.min(two[j - 1] + 1);
            }
            row[j + 1] = d;
        }
        (two, one) = (one, row);
    }
    one[b.len()].into()
}

pub use crate::core::text::{push_decimal, push_quoted};

/// A certificate hash given as 64 hexadecimal digits, or as 32 pairs separated by colons (what
/// `openssl x509 -noout -fingerprint -sha256` prints after its `sha256 Fingerprint=`), as bytes.
/// Surrounding ASCII spaces, tabs, line breaks and non-breaking spaces (a hash copied from a web
/// page) are ignored. `trim_ascii`, not `trim`: `trim` links Unicode's whitespace test and its
/// searcher for what pasting a hash adds (with long polling's `Content-Length`, read with
/// `trim_ascii` and `text::parse_decimal`, about 0.2 KB gzipped off the full build).
pub fn hex_sha256(hex: &str) -> Option<Vec<u8>> {
    let mut digits = hex.as_bytes().trim_ascii();
    // A non-breaking space (UTF-8 `C2 A0`) around the hash, once on each side.
    if let [0xc2, 0xa0, inner @ ..] = digits {
        digits = inner.trim_ascii();
    }
    if let [inner @ .., 0xc2, 0xa0] = digits {
        digits = inner.trim_ascii();
    }
    let step = match digits.len() {
        64 => 2,
        95 => 3,
        _ => return None,
    };
    // Digit by digit: `u8::from_str_radix` would take a sign ("+f" as 15), and `char::to_digit`
    // links a panic message (its radix assertion) that costs half a kilobyte gzipped.
    let mut bytes = Vec::with_capacity(32);
    let mut at = 0;
    while let (Some(&high), Some(&low)) = (digits.get(at), digits.get(at + 1)) {
        // With colons, one follows every pair but the last.
        if step == 3 && at + 2 < digits.len() && digits.get(at + 2) != Some(&b':') {
            return None;
        }
        bytes.push((hex_digit(high)? << 4) | hex_digit(low)?);
        at += step;
    }
    Some(bytes)
}

/// The value of one hexadecimal digit.
fn hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// The messages about `webtransport.serverCertificateHashes`.
pub mod hashes {
    use super::{push_decimal, push_quoted};
    use crate::prelude::*;

    /// The option's full name, which starts every message.
    pub const NAME: &str = "webtransport.serverCertificateHashes";

    /// `NAME: detail`.
    pub fn message(detail: &str) -> String {
        let mut m = String::from(NAME);
        m.push_str(": ");
        m.push_str(detail);
        m
    }

    /// A string entry that is not a hash in hexadecimal.
    pub fn not_hex(given: &str) -> String {
        let mut m = message("");
        push_quoted(&mut m, given);
        m.push_str(" is not 64 hexadecimal digits (nor 32 pairs separated by colons)");
        m
    }

    /// A binary entry of the wrong length.
    pub fn wrong_length(len: usize) -> String {
        let mut m = message("a SHA-256 hash is 32 bytes, not ");
        push_decimal(&mut m, len as u64);
        m
    }
}
