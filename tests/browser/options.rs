//! `SocketOptions::from_js` stores every option in its own setting: the keys and checks come from
//! a table (`option_rules`, tested natively), so this checks the routing from each key to its
//! field, and the messages that only the JS reading produces.

use universal_socket::core::{OverflowPolicy, TransportKind};
use universal_socket::web::options::{BinaryType, SocketOptions, TokenSource};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

fn parse(json: &str) -> Result<SocketOptions, String> {
    SocketOptions::from_js(&js_sys::JSON::parse(json).unwrap()).map_err(|e| e.0)
}

#[wasm_bindgen_test]
fn every_option_reaches_its_setting() {
    let hash = "ab".repeat(32);
    let o = parse(&format!(
        r#"{{"transports": ["sse", "websocket"],
            "endpoints": {{"websocket": "ws://h/w", "longPolling": "http://h/p", "sse": "http://h/s"}},
            "protocols": "chat", "binaryType": "blob",
            "reconnect": {{"initialDelayMs": 7, "factor": 2.5, "maxDelayMs": 70, "maxAttempts": 9, "jitter": 0.25}},
            "connectTimeoutMs": 1234, "upgradeAfterMs": false,
            "resume": {{"ackDelayMs": 11, "helloTimeoutMs": 12, "maxMessages": 13, "maxBytes": 14}},
            "heartbeat": {{"intervalMs": 500, "ping": "p?", "pong": "p!"}},
            "batch": {{"maxMessages": 3, "flushIntervalMs": 4, "maxBytes": 65}},
            "queue": {{"maxMessages": 5, "maxBytes": 6, "overflow": "drop-oldest"}},
            "webtransport": {{"serverCertificateHashes": ["{hash}"]}},
            "auth": {{"token": "t"}},
            "parseJson": true, "decodeBinary": true, "maxMessageBytes": 99,
            "webSocketStream": true, "debug": true}}"#
    ))
    .unwrap();
    let c = &o.connection;
    assert_eq!(c.transports, [TransportKind::Sse, TransportKind::WebSocket]);
    assert_eq!(
        o.endpoints,
        [
            None,
            Some("ws://h/w".into()),
            Some("http://h/s".into()),
            Some("http://h/p".into())
        ]
    );
    assert_eq!(o.protocols, ["chat"]);
    assert_eq!(o.binary_type, BinaryType::Blob);
    let b = &c.backoff;
    assert_eq!(
        (b.initial_ms, b.factor, b.max_ms, b.max_attempts, b.jitter),
        (7, 2.5, 70, Some(9), 0.25)
    );
    assert_eq!((c.connect_timeout_ms, c.upgrade_after_ms), (1234, None));
    let s = &c.session;
    assert!(s.enabled);
    assert_eq!(
        (
            s.ack_delay_ms,
            s.hello_timeout_ms,
            s.max_messages,
            s.max_bytes
        ),
        (11, 12, 13, 14)
    );
    let beat = c.heartbeat.clone().unwrap();
    // No timeoutMs: one interval.
    assert_eq!((beat.interval_ms, beat.timeout_ms), (500, 500));
    assert_eq!((beat.ping.as_str(), beat.pong.as_str()), ("p?", "p!"));
    let batch = c.batch.unwrap();
    assert_eq!(
        (batch.max_messages, batch.flush_interval_ms, batch.max_bytes),
        (3, 4, 65)
    );
    assert_eq!((c.queue.max_messages, c.queue.max_bytes), (5, 6));
    assert_eq!(c.queue.overflow, OverflowPolicy::DropOldest);
    assert_eq!(o.certificate_hashes, [vec![0xab; 32]]);
    assert!(matches!(&o.token, TokenSource::Fixed(t) if t == "t"));
    assert!(o.parse_json && o.decode_binary && o.web_socket_stream && o.debug);
    assert_eq!(c.max_message_size, 99);

    // The "off" spellings, and `true` for defaults.
    let o = parse(
        r#"{"reconnect": false, "resume": false, "heartbeat": false, "batch": true,
            "upgradeAfterMs": 5, "protocols": ["a", "b"]}"#,
    )
    .unwrap();
    let c = &o.connection;
    assert_eq!(c.backoff.max_attempts, Some(0));
    assert!(!c.session.enabled);
    assert!(c.heartbeat.is_none());
    assert_eq!(
        c.batch,
        Some(universal_socket::core::BatchConfig::default())
    );
    assert_eq!(c.upgrade_after_ms, Some(5));
    assert_eq!(o.protocols, ["a", "b"]);
    let o = parse(r#"{"heartbeat": true, "reconnect": {"maxAttempts": null}}"#).unwrap();
    let beat = o.connection.heartbeat.unwrap();
    assert_eq!(beat.timeout_ms, beat.interval_ms);
    assert_eq!(o.connection.backoff.max_attempts, None);
    let o = SocketOptions::from_js(
        &js_sys::eval(
            "({reconnect: {maxAttempts: Infinity}, auth: {token: 'x', getToken: () => 'y'}})",
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(o.connection.backoff.max_attempts, None);
    assert!(matches!(o.token, TokenSource::Js(_)), "getToken wins");
    assert!(SocketOptions::from_js(&JsValue::NULL).is_ok());
}

#[wasm_bindgen_test]
fn option_errors_name_the_option_and_the_nearest_key() {
    for (json, expected) in [
        (
            r#"{"reconect": {}}"#,
            "unknown option \"reconect\"; did you mean \"reconnect\"? (known: transports,",
        ),
        (
            r#"{"heartbeat": {"intervalMS": 5}}"#,
            "unknown option \"heartbeat.intervalMS\"; did you mean \"intervalMs\"? (known in heartbeat: intervalMs, timeoutMs, ping, pong)",
        ),
        (r#"{"heartbeat": []}"#, "heartbeat must be an object"),
        (r#"{"queue": false}"#, "queue must be an object"),
        (r#"{"reconnect": {"maxAttempts": "many"}}"#, "reconnect.maxAttempts must be a number"),
        (r#"{"upgradeAfterMs": true}"#, "upgradeAfterMs must be a number"),
        (r#"{"batch": {"maxBytes": 10}}"#, "batch.maxBytes must be between 64 and 9007199254740991, not 10"),
        (r#"{"reconnect": {"jitter": 1e300}}"#, "reconnect.jitter must be between 0 and 1, not 1e+300"),
        (r#"{"transports": ["sse", "sse"]}"#, "transport \"sse\" appears twice in transports"),
        (r#"{"protocols": [1]}"#, "protocols must be an array of strings"),
        (r#"{"binaryType": "text"}"#, "binaryType must be \"arraybuffer\" or \"blob\", not \"text\""),
        (r#"{"debug": 1}"#, "debug must be a boolean"),
        (r#"{"endpoints": {"sse": 1}}"#, "endpoints.sse must be a string"),
        (r#"{"webtransport": {"serverCertificateHashes": "ab"}}"#, "webtransport.serverCertificateHashes must be an array"),
        (r#"{"webtransport": {"serverCertificateHashes": [{"algorithm": "sha-1"}]}}"#, "webtransport.serverCertificateHashes: each entry needs algorithm \"sha-256\""),
        (r#"{"reconnect": {"initialDelayMs": 10, "maxDelayMs": 5}}"#, "reconnect.maxDelayMs (5) must be at least reconnect.initialDelayMs (10)"),
        // Only initialDelayMs set: the message says where the other number comes from.
        (r#"{"reconnect": {"initialDelayMs": 60000}}"#, "reconnect.maxDelayMs (30000, its default unless set) must be at least reconnect.initialDelayMs (60000)"),
    ] {
        let text = parse(json).err().unwrap_or_else(|| panic!("{json} accepted"));
        assert!(text.starts_with(expected), "{json}: {text:?} should start with {expected:?}");
    }
}

/// A getter that throws is an error that names the option, not a silent default.
#[wasm_bindgen_test]
fn an_option_whose_getter_throws_is_an_error() {
    let make = js_sys::Function::new_no_args(
        "return { transports: ['websocket'], reconnect: { get maxAttempts() { throw new Error('boom'); } } };",
    );
    let object = make.call0(&JsValue::NULL).unwrap();
    let text = SocketOptions::from_js(&object).map(|_| ()).unwrap_err().0;
    assert!(
        text.starts_with("reading reconnect.maxAttempts threw: ") && text.contains("boom"),
        "{text}"
    );
    // The same inside a certificate-hash entry (it read as a missing algorithm before).
    let make = js_sys::Function::new_no_args(
        "return { webtransport: { serverCertificateHashes: [{ get algorithm() { throw new Error('boom'); } }] } };",
    );
    let object = make.call0(&JsValue::NULL).unwrap();
    let text = SocketOptions::from_js(&object).map(|_| ()).unwrap_err().0;
    assert!(
        text.starts_with("webtransport.serverCertificateHashes: reading algorithm threw: ")
            && text.contains("boom"),
        "{text}"
    );
}
