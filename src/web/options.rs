//! `UniversalSocket` options: parsed from a JS object with clear errors, or built in Rust.
//!
//! Unknown keys are rejected (a typo such as `reconect` would otherwise silently keep the
//! default), and every value is type-checked with a message that names the option. What each key
//! accepts, and the messages, are the table and the pure checks of [`crate::option_rules`]; this
//! file only reads JS values for them (a few generic readers) and stores the results.
//! Not serde + serde-wasm-bindgen: they would add 18–26 KB gzipped to the wasm, and they do not
//! reject misspelled keys.

use crate::core::text::{concat, decimal};
use crate::core::{BatchConfig, ConnectionConfig, HeartbeatConfig, OverflowPolicy, SessionConfig};
use crate::option_rules::{
    check_number, check_whole, clamp_size, full_name, limits, must_be, number_message, one_of,
    transports, unknown_key, Field, Kind, Opt, BINARY_TYPES, OPTIONS,
};
#[cfg(feature = "webtransport")]
use crate::option_rules::{hashes, hex_sha256};
use crate::prelude::*;
use js_sys::{Array, Function, Object, Reflect};
use std::fmt;
use wasm_bindgen::{JsCast, JsValue};

/// How binary messages are handed to JS (`WebSocket.binaryType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BinaryType {
    /// `ArrayBuffer`: readable synchronously, the usual choice (and the default).
    #[default]
    ArrayBuffer,
    /// `Blob`: for large payloads the page only stores or hands on (an image, a download).
    Blob,
}

impl BinaryType {
    /// The JS spelling (`"arraybuffer"` or `"blob"`), as `binaryType` reads back.
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryType::ArrayBuffer => "arraybuffer",
            BinaryType::Blob => "blob",
        }
    }

    /// Parses the JS spelling; anything else is an error that quotes the value (a `WebSocket`
    /// silently ignores it, which hides typos).
    pub fn parse(value: &str) -> Result<Self, OptionsError> {
        match one_of("binaryType", BINARY_TYPES, value) {
            Ok(1) => Ok(BinaryType::Blob),
            Ok(_) => Ok(BinaryType::ArrayBuffer),
            Err(message) => Err(OptionsError(message)),
        }
    }
}

/// Where the token for each connect comes from.
#[derive(Clone, Default)]
pub enum TokenSource {
    /// No token: URLs are used as given.
    #[default]
    None,
    /// The same token on every connect, added to each endpoint as `?token=` (it never shows
    /// in `Debug` output or in error messages).
    Fixed(String),
    /// A JS function returning a string or a Promise of one, called before every (re)connect.
    Js(Function),
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::None => f.write_str("None"),
            TokenSource::Fixed(_) => f.write_str("Fixed(<redacted>)"),
            TokenSource::Js(_) => f.write_str("Js(getToken)"),
        }
    }
}

/// Every option, with the guide's defaults. Batching is off by default because a batch changes
/// what the server receives; turn it on for servers that unpack `{"type":"batch"}`.
#[derive(Debug, Clone)]
pub struct SocketOptions {
    /// The sans-IO core's settings: transports and their order, timeouts, reconnect backoff,
    /// heartbeat, send queue, batching and resumable sessions. (Its `supported` set is
    /// replaced by what the browser offers.)
    pub connection: ConnectionConfig,
    /// Explicit endpoint per transport (index [`TransportKind::index`](crate::core::TransportKind::index)); derived when `None`.
    pub endpoints: [Option<String>; 4],
    /// WebSocket subprotocols to offer (the server's choice is `protocol()`); ignored by the
    /// other transports.
    pub protocols: Vec<String>,
    /// How the JS class hands binary messages to listeners (Rust always gets `Vec<u8>`).
    pub binary_type: BinaryType,
    /// SHA-256 hashes of self-signed certificates WebTransport may accept
    /// (`serverCertificateHashes`), for local development without a trusted certificate.
    pub certificate_hashes: Vec<Vec<u8>>,
    /// Where the auth token comes from; it is presented on every (re)connect as `?token=`.
    pub token: TokenSource,
    /// Deliver text messages that parse as JSON as objects.
    pub parse_json: bool,
    /// Deliver binary messages that decode with the binary codec as `{ type, data }`.
    pub decode_binary: bool,
    /// Use WebSocketStream (streams backpressure) where the browser has it, the classic
    /// `WebSocket` elsewhere. Off by default: Chromium 156 crashes the tab when the server drops
    /// a connection while messages are being written over WebSocketStream (a Chromium bug,
    /// reproducible without the SDK), and it was slower in our bench (0.69× raw throughput
    /// against 0.87× for the classic WebSocket). Worth it only for backpressure on huge sends.
    pub web_socket_stream: bool,
    /// Log state changes to the console.
    pub debug: bool,
}

impl Default for SocketOptions {
    fn default() -> Self {
        // Resumable sessions are on: against a v1 server the socket notices (no `hello`) and
        // speaks v1.
        let connection = ConnectionConfig {
            batch: None,
            session: SessionConfig::default(),
            ..ConnectionConfig::default()
        };
        SocketOptions {
            connection,
            endpoints: Default::default(),
            protocols: Vec::new(),
            binary_type: BinaryType::ArrayBuffer,
            certificate_hashes: Vec::new(),
            token: TokenSource::None,
            parse_json: false,
            decode_binary: false,
            web_socket_stream: false,
            debug: false,
        }
    }
}

/// A bad option, with a message that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionsError(pub String);

impl OptionsError {
    /// The error's text, as `Display` shows it, built without `core::fmt`.
    pub fn message(&self) -> String {
        concat(&["invalid UniversalSocket options: ", &self.0])
    }
}

impl fmt::Display for OptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl core::error::Error for OptionsError {}

/// Every key of the options object; any other key is refused (a browser test checks the
/// README's table against this list).
pub use crate::option_rules::OPTION_NAMES;

impl SocketOptions {
    /// Parses the JS `options` argument (`undefined` and `null` give the defaults).
    pub fn from_js(value: &JsValue) -> Result<SocketOptions, OptionsError> {
        let mut options = SocketOptions::default();
        if value.is_undefined() || value.is_null() {
            return Ok(options);
        }
        read_object(value, "", OPTIONS, &mut options).map_err(OptionsError)?;
        let c = &mut options.connection;
        // A heartbeat object without `timeoutMs` (left at 0 by `read`) waits one interval.
        if let Some(beat) = c.heartbeat.as_mut().filter(|beat| beat.timeout_ms == 0) {
            beat.timeout_ms = beat.interval_ms;
        }
        check_delays(c)?;
        Ok(options)
    }
}

/// `reconnect.maxDelayMs` at least `reconnect.initialDelayMs` (for `from_js` and, for options
/// built in Rust, `SocketOptions::check`).
pub(super) fn check_delays(c: &ConnectionConfig) -> Result<(), OptionsError> {
    let (initial, max) = (c.backoff.initial_ms, c.backoff.max_ms);
    if max < initial {
        // Often only initialDelayMs was set, over maxDelayMs' default: then say that default
        // is where the other number comes from.
        let default = crate::core::BackoffConfig::default().max_ms;
        return Err(OptionsError(concat(&[
            "reconnect.maxDelayMs (",
            &decimal(max),
            if max == default {
                ", its default unless set"
            } else {
                ""
            },
            ") must be at least reconnect.initialDelayMs (",
            &decimal(initial),
            ")",
        ])));
    }
    Ok(())
}

/// Checks that `object` is a plain object with only the keys of `keys`, then reads, checks and
/// stores each key present, depth first. `path` is "" for the options object itself, else the
/// name of the nested object (messages name options as `path.key`).
fn read_object(
    object: &JsValue,
    path: &str,
    keys: &[Opt],
    options: &mut SocketOptions,
) -> Result<(), String> {
    if !object.is_object() || object.is_function() || Array::is_array(object) {
        return Err(must_be(path, "an object"));
    }
    for key in Object::keys(object.unchecked_ref::<Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !keys.iter().any(|opt| opt.key == key) {
            return Err(unknown_key(path, &key, keys));
        }
    }
    for opt in keys {
        // A getter that throws is the user's bug: say so rather than use the default.
        let raw = Reflect::get(object, &JsValue::from_str(opt.key)).map_err(|error| {
            concat(&[
                "reading ",
                &full_name(path, opt.key),
                " threw: ",
                &super::transport::websocket::describe(&error),
            ])
        })?;
        if !raw.is_undefined() {
            read(&raw, opt, &full_name(path, opt.key), options)?;
        }
    }
    Ok(())
}

/// Reads one value as its kind accepts it and stores it, or says what was expected.
fn read(raw: &JsValue, opt: &Opt, name: &str, options: &mut SocketOptions) -> Result<(), String> {
    let wrong = || must_be(name, opt.kind.expected());
    let field = opt.field;
    match opt.kind {
        Kind::Bool => set_bool(options, field, raw.as_bool().ok_or_else(wrong)?),
        Kind::Str => set_string(options, field, raw.as_string().ok_or_else(wrong)?),
        Kind::OneOf(names) => {
            let i = one_of(name, names, &raw.as_string().ok_or_else(wrong)?)?;
            match field {
                Field::BinaryType if i == 1 => options.binary_type = BinaryType::Blob,
                Field::Overflow if i == 1 => {
                    options.connection.queue.overflow = OverflowPolicy::DropOldest
                }
                _ => {}
            }
        }
        Kind::WholeOrFalse(_) if raw.as_bool() == Some(false) => set_off(options, field),
        Kind::WholeOrForever(_) if raw.is_null() || raw.as_f64() == Some(f64::INFINITY) => {
            set_off(options, field)
        }
        Kind::Whole(_) | Kind::WholeOrFalse(_) | Kind::WholeOrForever(_) | Kind::Number(..) => {
            let n = raw.as_f64().ok_or_else(wrong)?;
            let (min, max) = limits(opt.kind).unwrap_or_default();
            let shown = || js_number(n);
            if let Kind::Number(..) = opt.kind {
                let n = check_number(n, min, max)
                    .map_err(|e| number_message(name, e, min, max, &shown()))?;
                let b = &mut options.connection.backoff;
                match field {
                    Field::Factor => b.factor = n,
                    Field::Jitter => b.jitter = n,
                    _ => {}
                }
            } else {
                let n =
                    check_whole(n, min).map_err(|e| number_message(name, e, min, max, &shown()))?;
                set_whole(options, field, n);
            }
        }
        Kind::Strings | Kind::Transports => {
            let mut items = Vec::new();
            if let Some(one) = raw.as_string() {
                items.push(one);
            } else if Array::is_array(raw) {
                for item in Array::from(raw).iter() {
                    items.push(
                        item.as_string()
                            .ok_or_else(|| must_be(name, "an array of strings"))?,
                    );
                }
            } else {
                return Err(wrong());
            }
            match opt.kind {
                Kind::Transports => options.connection.transports = transports(&items)?,
                _ => options.protocols = items,
            }
        }
        Kind::Function => {
            let f = raw.clone().dyn_into::<Function>().map_err(|_| wrong())?;
            options.token = TokenSource::Js(f);
        }
        Kind::Hashes if !Array::is_array(raw) => return Err(wrong()),
        // Only WebTransport reads the hashes: a build without it (the WebSocket-only package)
        // accepts the option and ignores it, as it accepts `"webtransport"` in `transports` and
        // `endpoints` (a transport left out counts as one the browser lacks).
        #[cfg(feature = "webtransport")]
        Kind::Hashes => options.certificate_hashes = parse_hashes(raw)?,
        #[cfg(not(feature = "webtransport"))]
        Kind::Hashes => {}
        Kind::Object(_, true) if raw.as_bool() == Some(false) => set_off(options, field),
        Kind::Object(inner, off) => {
            let defaults = off && raw.as_bool() == Some(true);
            if !defaults && !raw.is_object() {
                return Err(wrong());
            }
            let c = &mut options.connection;
            match field {
                // `timeoutMs` 0 (never valid) until given: `from_js` then makes it the interval.
                Field::Heartbeat => {
                    c.heartbeat = Some(HeartbeatConfig {
                        timeout_ms: 0,
                        ..HeartbeatConfig::default()
                    })
                }
                Field::Batch => c.batch = Some(BatchConfig::default()),
                _ => {}
            }
            if !defaults {
                read_object(raw, name, inner, options)?;
            }
        }
    }
    Ok(())
}

// The setters: one line per field, grouped by the type the table gives it (any other pairing
// cannot occur and is ignored).

/// `false` (or `Infinity`/`null` for `maxAttempts`): the feature off, or no limit.
fn set_off(options: &mut SocketOptions, field: Field) {
    let c = &mut options.connection;
    match field {
        Field::Reconnect => c.backoff.max_attempts = Some(0),
        Field::MaxAttempts => c.backoff.max_attempts = None,
        Field::UpgradeAfter => c.upgrade_after_ms = None,
        Field::Resume => c.session.enabled = false,
        Field::Heartbeat => c.heartbeat = None,
        Field::Batch => c.batch = None,
        _ => {}
    }
}

fn set_bool(options: &mut SocketOptions, field: Field, v: bool) {
    match field {
        Field::ParseJson => options.parse_json = v,
        Field::DecodeBinary => options.decode_binary = v,
        Field::WebSocketStream => options.web_socket_stream = v,
        Field::Debug => options.debug = v,
        _ => {}
    }
}

fn set_string(options: &mut SocketOptions, field: Field, v: String) {
    match (field, options.connection.heartbeat.as_mut()) {
        (Field::Endpoint(kind), _) => {
            if let Some(slot) = options.endpoints.get_mut(kind.index()) {
                *slot = Some(v);
            }
        }
        (Field::Ping, Some(beat)) => beat.ping = v,
        (Field::Pong, Some(beat)) => beat.pong = v,
        (Field::Token, _) => options.token = TokenSource::Fixed(v),
        _ => {}
    }
}

fn set_whole(options: &mut SocketOptions, field: Field, v: u64) {
    let c = &mut options.connection;
    let size = clamp_size(v);
    let (s, q) = (&mut c.session, &mut c.queue);
    match (field, c.heartbeat.as_mut(), c.batch.as_mut()) {
        (Field::InitialDelay, ..) => c.backoff.initial_ms = v,
        (Field::MaxDelay, ..) => c.backoff.max_ms = v,
        (Field::MaxAttempts, ..) => {
            c.backoff.max_attempts = Some(u32::try_from(v).unwrap_or(u32::MAX))
        }
        (Field::ConnectTimeout, ..) => c.connect_timeout_ms = v,
        (Field::UpgradeAfter, ..) => c.upgrade_after_ms = Some(v),
        (Field::AckDelay, ..) => s.ack_delay_ms = v,
        (Field::HelloTimeout, ..) => s.hello_timeout_ms = v,
        (Field::ResumeMaxMessages, ..) => s.max_messages = size,
        (Field::ResumeMaxBytes, ..) => s.max_bytes = size,
        (Field::Interval, Some(beat), _) => beat.interval_ms = v,
        (Field::HeartbeatTimeout, Some(beat), _) => beat.timeout_ms = v,
        (Field::BatchMaxMessages, _, Some(batch)) => batch.max_messages = size,
        (Field::FlushInterval, _, Some(batch)) => batch.flush_interval_ms = v,
        (Field::BatchMaxBytes, _, Some(batch)) => batch.max_bytes = size,
        (Field::QueueMaxMessages, ..) => q.max_messages = size,
        (Field::QueueMaxBytes, ..) => q.max_bytes = size,
        (Field::MaxMessageBytes, ..) => c.max_message_size = size,
        _ => {}
    }
}

/// A number as JS prints it. Formatting floats in Rust would pull about 15 KB of float-printing
/// code into the wasm for the sake of error messages.
pub(super) fn js_number(n: f64) -> String {
    js_sys::Number::from(n)
        .to_string_with_radix(10)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// `serverCertificateHashes` (an array, checked by `read`): each a 64-hex-digit string, or
/// `{ algorithm: "sha-256", value }` with a BufferSource value (the WebTransport constructor's
/// own shape).
#[cfg(feature = "webtransport")]
fn parse_hashes(list: &JsValue) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    for item in Array::from(list).iter() {
        if let Some(hex) = item.as_string() {
            out.push(hex_sha256(&hex).ok_or_else(|| hashes::not_hex(&hex))?);
            continue;
        }
        let read = |key: &str| {
            Reflect::get(&item, &key.into()).map_err(|error| {
                hashes::message(&concat(&[
                    "reading ",
                    key,
                    " threw: ",
                    &super::transport::websocket::describe(&error),
                ]))
            })
        };
        let algorithm = read("algorithm")?;
        if algorithm.as_string().as_deref() != Some("sha-256") {
            return Err(hashes::message("each entry needs algorithm \"sha-256\""));
        }
        let value = read("value")?;
        let bytes = super::js_socket::bytes_of(&value, hashes::NAME, usize::MAX)?
            .ok_or_else(|| hashes::message("value must be an ArrayBuffer or a typed array"))?;
        if bytes.len() != 32 {
            return Err(hashes::wrong_length(bytes.len()));
        }
        out.push(bytes);
    }
    Ok(out)
}
