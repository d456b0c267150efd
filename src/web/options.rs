//! `UniversalSocket` options: parsed from a JS object with clear errors, or built in Rust.
//!
//! Unknown keys are rejected (a typo such as `reconect` would otherwise silently keep the
//! default), and every value is type-checked with a message that names the option.

use crate::core::{
    BatchConfig, ConnectionConfig, HeartbeatConfig, OverflowPolicy, QueueConfig, SessionConfig,
    TransportKind,
};
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
        match value {
            "arraybuffer" => Ok(BinaryType::ArrayBuffer),
            "blob" => Ok(BinaryType::Blob),
            other => Err(OptionsError(format!(
                "binaryType must be \"arraybuffer\" or \"blob\", not {other:?}"
            ))),
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
    /// Explicit endpoint per transport (index [`TransportKind::index`]); derived when `None`.
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

impl fmt::Display for OptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid UniversalSocket options: {}", self.0)
    }
}

impl std::error::Error for OptionsError {}

/// A number as JS prints it. Formatting floats in Rust would pull about 15 KB of float-printing
/// code into the wasm for the sake of error messages.
fn js_number(n: f64) -> String {
    js_sys::Number::from(n)
        .to_string_with_radix(10)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

fn err<T>(message: String) -> Result<T, OptionsError> {
    Err(OptionsError(message))
}

/// A JS object being read, with its path for messages.
struct Reader<'a> {
    object: &'a JsValue,
    path: &'a str,
}

impl<'a> Reader<'a> {
    fn new(
        object: &'a JsValue,
        path: &'a str,
        allowed: &'a [&'a str],
    ) -> Result<Self, OptionsError> {
        if !object.is_object() || object.is_function() || Array::is_array(object) {
            return err(format!("{path} must be an object"));
        }
        for key in Object::keys(object.unchecked_ref::<Object>()).iter() {
            let key = key.as_string().unwrap_or_default();
            if !allowed.contains(&key.as_str()) {
                let name = if path == "options" {
                    key
                } else {
                    format!("{path}.{key}")
                };
                return err(format!(
                    "unknown option {name:?} (known{}: {})",
                    if path == "options" {
                        String::new()
                    } else {
                        format!(" in {path}")
                    },
                    allowed.join(", ")
                ));
            }
        }
        Ok(Reader { object, path })
    }

    fn name(&self, key: &str) -> String {
        if self.path == "options" {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn raw(&self, key: &str) -> Option<JsValue> {
        let value = Reflect::get(self.object, &JsValue::from_str(key)).ok()?;
        (!value.is_undefined()).then_some(value)
    }

    fn bool(&self, key: &str) -> Result<Option<bool>, OptionsError> {
        match self.raw(key) {
            None => Ok(None),
            Some(v) => v
                .as_bool()
                .map(Some)
                .ok_or_else(|| OptionsError(format!("{} must be a boolean", self.name(key)))),
        }
    }

    fn string(&self, key: &str) -> Result<Option<String>, OptionsError> {
        match self.raw(key) {
            None => Ok(None),
            Some(v) => v
                .as_string()
                .map(Some)
                .ok_or_else(|| OptionsError(format!("{} must be a string", self.name(key)))),
        }
    }

    /// A finite number within `[min, max]`.
    fn number(&self, key: &str, min: f64, max: f64) -> Result<Option<f64>, OptionsError> {
        match self.raw(key) {
            None => Ok(None),
            Some(v) => match v.as_f64() {
                Some(n) if n.is_finite() && n >= min && n <= max => Ok(Some(n)),
                Some(n) => err(format!(
                    "{} must be between {} and {}, not {}",
                    self.name(key),
                    js_number(min),
                    js_number(max),
                    js_number(n)
                )),
                None => err(format!("{} must be a number", self.name(key))),
            },
        }
    }

    /// A whole number of milliseconds or a count, `>= min`.
    fn whole(&self, key: &str, min: u64) -> Result<Option<u64>, OptionsError> {
        match self.number(key, min as f64, 9_007_199_254_740_991.0)? {
            Some(n) if n.fract() != 0.0 => err(format!(
                "{} must be a whole number, not {}",
                self.name(key),
                js_number(n)
            )),
            other => Ok(other.map(|n| n as u64)),
        }
    }

    /// A size or a count, `>= min`. Values beyond `usize::MAX` (2^32 − 1 on wasm32) mean "no
    /// practical limit" and are clamped: a plain `as usize` would wrap 2^32 to 0.
    fn size(&self, key: &str, min: u64) -> Result<Option<usize>, OptionsError> {
        Ok(self
            .whole(key, min)?
            .map(|v| usize::try_from(v).unwrap_or(usize::MAX)))
    }

    fn strings(&self, key: &str) -> Result<Option<Vec<String>>, OptionsError> {
        match self.raw(key) {
            None => Ok(None),
            Some(v) if Array::is_array(&v) => Array::from(&v)
                .iter()
                .map(|item| {
                    item.as_string().ok_or_else(|| {
                        OptionsError(format!("{} must be an array of strings", self.name(key)))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(v) => v.as_string().map(|s| Some(vec![s])).ok_or_else(|| {
                OptionsError(format!(
                    "{} must be a string or an array of strings",
                    self.name(key)
                ))
            }),
        }
    }

    /// `false` → `Some(None)` (turned off), an object → `Some(Some(object))`, absent → `None`.
    fn object_or_false(&self, key: &str) -> Result<Option<Option<JsValue>>, OptionsError> {
        match self.raw(key) {
            None => Ok(None),
            Some(v) if v.as_bool() == Some(false) => Ok(Some(None)),
            Some(v) if v.as_bool() == Some(true) => Ok(Some(Some(Object::new().into()))),
            Some(v) if v.is_object() => Ok(Some(Some(v))),
            Some(_) => err(format!("{} must be an object or false", self.name(key))),
        }
    }
}

/// Every key of the options object; any
/// other key is refused (a browser test checks the README's table against this list).
pub const OPTION_NAMES: [&str; 18] = [
    "transports",
    "endpoints",
    "protocols",
    "binaryType",
    "reconnect",
    "connectTimeoutMs",
    "heartbeat",
    "batch",
    "queue",
    "webtransport",
    "auth",
    "parseJson",
    "decodeBinary",
    "maxMessageBytes",
    "webSocketStream",
    "debug",
    "upgradeAfterMs",
    "resume",
];

impl SocketOptions {
    /// Parses the JS `options` argument (`undefined` and `null` give the defaults).
    pub fn from_js(value: &JsValue) -> Result<SocketOptions, OptionsError> {
        let mut options = SocketOptions::default();
        if value.is_undefined() || value.is_null() {
            return Ok(options);
        }
        let r = Reader::new(value, "options", &OPTION_NAMES)?;
        let c = &mut options.connection;
        if let Some(names) = r.strings("transports")? {
            if names.is_empty() {
                return err("transports must name at least one transport".into());
            }
            let mut kinds = Vec::new();
            for name in names {
                let kind = TransportKind::parse(&name).ok_or_else(|| {
                    OptionsError(format!(
                        "unknown transport {name:?} in transports (use webtransport, websocket, sse, long-polling)"
                    ))
                })?;
                if kinds.contains(&kind) {
                    return err(format!("transport {name:?} appears twice in transports"));
                }
                kinds.push(kind);
            }
            c.transports = kinds;
        }
        if let Some(endpoints) = r.raw("endpoints") {
            let e = Reader::new(
                &endpoints,
                "endpoints",
                &[
                    "webtransport",
                    "websocket",
                    "sse",
                    "long-polling",
                    "longPolling",
                ],
            )?;
            for (key, kind) in [
                ("webtransport", TransportKind::WebTransport),
                ("websocket", TransportKind::WebSocket),
                ("sse", TransportKind::Sse),
                ("long-polling", TransportKind::LongPolling),
                ("longPolling", TransportKind::LongPolling),
            ] {
                if let Some(url) = e.string(key)? {
                    options.endpoints[kind.index()] = Some(url);
                }
            }
        }
        if let Some(protocols) = r.strings("protocols")? {
            options.protocols = protocols;
        }
        if let Some(kind) = r.string("binaryType")? {
            options.binary_type = BinaryType::parse(&kind)?;
        }
        match r.object_or_false("reconnect")? {
            Some(None) => c.backoff.max_attempts = Some(0),
            Some(Some(o)) => {
                let b = Reader::new(
                    &o,
                    "reconnect",
                    &[
                        "initialDelayMs",
                        "factor",
                        "maxDelayMs",
                        "maxAttempts",
                        "jitter",
                    ],
                )?;
                let backoff = &mut c.backoff;
                if let Some(v) = b.whole("initialDelayMs", 0)? {
                    backoff.initial_ms = v;
                }
                if let Some(v) = b.number("factor", 1.0, 100.0)? {
                    backoff.factor = v;
                }
                if let Some(v) = b.whole("maxDelayMs", 0)? {
                    backoff.max_ms = v;
                }
                match b.raw("maxAttempts") {
                    Some(v) if v.as_f64() == Some(f64::INFINITY) || v.is_null() => {
                        backoff.max_attempts = None
                    }
                    Some(_) => {
                        let n = b.whole("maxAttempts", 0)?.unwrap_or(0);
                        backoff.max_attempts = Some(u32::try_from(n).unwrap_or(u32::MAX));
                    }
                    None => {}
                }
                if let Some(v) = b.number("jitter", 0.0, 1.0)? {
                    backoff.jitter = v;
                }
                if backoff.max_ms < backoff.initial_ms {
                    return err(
                        "reconnect.maxDelayMs must be at least reconnect.initialDelayMs".into(),
                    );
                }
            }
            None => {}
        }
        if let Some(v) = r.whole("connectTimeoutMs", 1)? {
            c.connect_timeout_ms = v;
        }
        // While open on a worse transport, how often a better one is probed in the background
        // (and how long after a better one failed a reconnect starts from the top); false: never.
        match r.raw("upgradeAfterMs") {
            Some(v) if v.as_bool() == Some(false) => c.upgrade_after_ms = None,
            Some(_) => c.upgrade_after_ms = r.whole("upgradeAfterMs", 0)?,
            None => {}
        }
        // Resumable sessions (PROTOCOL.md §7): false speaks v1 only.
        match r.object_or_false("resume")? {
            Some(None) => c.session.enabled = false,
            Some(Some(o)) => {
                let s = Reader::new(
                    &o,
                    "resume",
                    &["ackDelayMs", "helloTimeoutMs", "maxMessages", "maxBytes"],
                )?;
                if let Some(v) = s.whole("ackDelayMs", 0)? {
                    c.session.ack_delay_ms = v;
                }
                if let Some(v) = s.whole("helloTimeoutMs", 1)? {
                    c.session.hello_timeout_ms = v;
                }
                if let Some(v) = s.size("maxMessages", 1)? {
                    c.session.max_messages = v;
                }
                if let Some(v) = s.size("maxBytes", 1)? {
                    c.session.max_bytes = v;
                }
            }
            None => {}
        }
        match r.object_or_false("heartbeat")? {
            Some(None) => c.heartbeat = None,
            Some(Some(o)) => {
                let h = Reader::new(
                    &o,
                    "heartbeat",
                    &["intervalMs", "timeoutMs", "ping", "pong"],
                )?;
                let mut beat = HeartbeatConfig::default();
                let mut timeout_given = false;
                if let Some(v) = h.whole("intervalMs", 1)? {
                    beat.interval_ms = v;
                }
                if let Some(v) = h.whole("timeoutMs", 1)? {
                    beat.timeout_ms = v;
                    timeout_given = true;
                }
                if !timeout_given {
                    beat.timeout_ms = beat.interval_ms;
                }
                if let Some(v) = h.string("ping")? {
                    beat.ping = v;
                }
                if let Some(v) = h.string("pong")? {
                    beat.pong = v;
                }
                c.heartbeat = Some(beat);
            }
            None => {}
        }
        match r.object_or_false("batch")? {
            Some(None) => c.batch = None,
            Some(Some(o)) => {
                let b = Reader::new(&o, "batch", &["maxMessages", "flushIntervalMs", "maxBytes"])?;
                let mut batch = BatchConfig::default();
                if let Some(v) = b.size("maxMessages", 1)? {
                    batch.max_messages = v;
                }
                if let Some(v) = b.whole("flushIntervalMs", 0)? {
                    batch.flush_interval_ms = v;
                }
                if let Some(v) = b.size("maxBytes", 64)? {
                    batch.max_bytes = v;
                }
                c.batch = Some(batch);
            }
            None => {}
        }
        if let Some(o) = r.raw("queue") {
            let q = Reader::new(&o, "queue", &["maxMessages", "maxBytes", "overflow"])?;
            let mut queue = QueueConfig::default();
            if let Some(v) = q.size("maxMessages", 0)? {
                queue.max_messages = v;
            }
            if let Some(v) = q.size("maxBytes", 0)? {
                queue.max_bytes = v;
            }
            if let Some(policy) = q.string("overflow")? {
                queue.overflow = match policy.as_str() {
                    "reject" => OverflowPolicy::Reject,
                    "drop-oldest" => OverflowPolicy::DropOldest,
                    other => {
                        return err(format!(
                            "queue.overflow must be \"reject\" or \"drop-oldest\", not {other:?}"
                        ))
                    }
                };
            }
            c.queue = queue;
        }
        if let Some(o) = r.raw("webtransport") {
            let w = Reader::new(&o, "webtransport", &["serverCertificateHashes"])?;
            if let Some(list) = w.raw("serverCertificateHashes") {
                options.certificate_hashes = parse_hashes(&list)?;
            }
        }
        if let Some(o) = r.raw("auth") {
            let a = Reader::new(&o, "auth", &["token", "getToken"])?;
            if let Some(token) = a.string("token")? {
                options.token = TokenSource::Fixed(token);
            }
            if let Some(f) = a.raw("getToken") {
                let f = f
                    .dyn_into::<Function>()
                    .map_err(|_| OptionsError("auth.getToken must be a function".into()))?;
                options.token = TokenSource::Js(f);
            }
        }
        if let Some(v) = r.bool("parseJson")? {
            options.parse_json = v;
        }
        if let Some(v) = r.bool("decodeBinary")? {
            options.decode_binary = v;
        }
        if let Some(v) = r.size("maxMessageBytes", 1)? {
            c.max_message_size = v;
        }
        if let Some(v) = r.bool("webSocketStream")? {
            options.web_socket_stream = v;
        }
        if let Some(v) = r.bool("debug")? {
            options.debug = v;
        }
        Ok(options)
    }
}

/// `serverCertificateHashes`: each a 64-hex-digit string, or `{ algorithm: "sha-256", value }`
/// with a BufferSource value (the WebTransport constructor's own shape).
fn parse_hashes(list: &JsValue) -> Result<Vec<Vec<u8>>, OptionsError> {
    const WHAT: &str = "webtransport.serverCertificateHashes";
    if !Array::is_array(list) {
        return err(format!("{WHAT} must be an array"));
    }
    Array::from(list)
        .iter()
        .map(|item| {
            if let Some(hex) = item.as_string() {
                return hex_sha256(&hex).ok_or_else(|| {
                    OptionsError(format!("{WHAT}: {hex:?} is not 64 hexadecimal digits"))
                });
            }
            let algorithm = Reflect::get(&item, &"algorithm".into())
                .ok()
                .and_then(|a| a.as_string());
            if algorithm.as_deref() != Some("sha-256") {
                return err(format!("{WHAT}: each entry needs algorithm \"sha-256\""));
            }
            let value = Reflect::get(&item, &"value".into()).unwrap_or(JsValue::UNDEFINED);
            let Some(bytes) = super::js_socket::bytes_of(&value, WHAT).map_err(OptionsError)?
            else {
                return err(format!(
                    "{WHAT}: value must be an ArrayBuffer or a typed array"
                ));
            };
            if bytes.len() != 32 {
                return err(format!(
                    "{WHAT}: a SHA-256 hash is 32 bytes, not {}",
                    bytes.len()
                ));
            }
            Ok(bytes)
        })
        .collect()
}

fn hex_sha256(hex: &str) -> Option<Vec<u8>> {
    let hex = hex.trim();
    if hex.len() != 64 {
        return None;
    }
    (0..32)
        .map(|i| {
            hex.get(i * 2..i * 2 + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}
