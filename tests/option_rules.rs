#![cfg(not(target_arch = "wasm32"))]
//! The options table and its checks, natively: the table's names and limits, range and enum
//! checks, the nearest-name suggestion and every message's wording (the browser test
//! `invalid_options_are_explained` checks the same messages through the JS constructor).

use universal_socket::core::TransportKind;
use universal_socket::option_rules::{
    check_number, check_whole, clamp_size, full_name, hashes, hex_sha256, limits, must_be, nearest,
    number_message, one_of, push_decimal, push_quoted, transports, unknown_key, Field, Kind,
    NumberError, Opt, MAX_WHOLE, OPTIONS, OPTION_NAMES,
};

fn find<'a>(keys: &'a [Opt], path: &str) -> &'a Opt {
    let (head, rest) = path.split_once('.').unwrap_or((path, ""));
    let opt = keys
        .iter()
        .find(|o| o.key == head)
        .unwrap_or_else(|| panic!("no option {head}"));
    match (rest, opt.kind) {
        ("", _) => opt,
        (rest, Kind::Object(inner, _)) => find(inner, rest),
        _ => panic!("{head} has no keys"),
    }
}

#[test]
fn option_names_are_the_table_keys_each_once() {
    let keys: Vec<&str> = OPTIONS.iter().map(|o| o.key).collect();
    assert_eq!(OPTION_NAMES.to_vec(), keys);
    let mut all: Vec<&[Opt]> = vec![OPTIONS];
    let mut fields = Vec::new();
    while let Some(table) = all.pop() {
        let mut seen = Vec::new();
        for opt in table {
            assert!(!seen.contains(&opt.key), "{} twice", opt.key);
            seen.push(opt.key);
            // Every key stores somewhere distinct (endpoints' two spellings of long polling
            // aside).
            if !matches!(opt.field, Field::Endpoint(TransportKind::LongPolling)) {
                assert!(!fields.contains(&opt.field), "{:?} twice", opt.field);
            }
            fields.push(opt.field);
            if let Kind::Object(inner, _) = opt.kind {
                all.push(inner);
            }
        }
    }
}

#[test]
fn limits_are_those_documented() {
    for (path, min, max) in [
        ("connectTimeoutMs", 1, MAX_WHOLE),
        ("maxMessageBytes", 1, MAX_WHOLE),
        ("upgradeAfterMs", 0, MAX_WHOLE),
        ("reconnect.initialDelayMs", 0, MAX_WHOLE),
        ("reconnect.factor", 1, 100),
        ("reconnect.jitter", 0, 1),
        ("reconnect.maxAttempts", 0, MAX_WHOLE),
        ("resume.helloTimeoutMs", 1, MAX_WHOLE),
        ("heartbeat.intervalMs", 1, MAX_WHOLE),
        ("heartbeat.timeoutMs", 1, MAX_WHOLE),
        ("batch.maxBytes", 64, MAX_WHOLE),
        ("batch.flushIntervalMs", 0, MAX_WHOLE),
        ("queue.maxMessages", 0, MAX_WHOLE),
    ] {
        assert_eq!(limits(find(OPTIONS, path).kind), Some((min, max)), "{path}");
    }
    assert_eq!(MAX_WHOLE, 9_007_199_254_740_991);
    assert_eq!(limits(find(OPTIONS, "debug").kind), None);
}

#[test]
fn expected_types_are_named() {
    for (path, expected) in [
        ("debug", "a boolean"),
        ("binaryType", "a string"),
        ("connectTimeoutMs", "a number"),
        ("transports", "a string or an array of strings"),
        ("protocols", "a string or an array of strings"),
        ("heartbeat", "an object or a boolean"),
        ("queue", "an object"),
        ("auth.getToken", "a function"),
        ("webtransport.serverCertificateHashes", "an array"),
    ] {
        assert_eq!(find(OPTIONS, path).kind.expected(), expected, "{path}");
    }
    assert_eq!(
        must_be("heartbeat", "an object or a boolean"),
        "heartbeat must be an object or a boolean"
    );
    assert_eq!(must_be("", "an object"), "options must be an object");
    assert_eq!(full_name("", "debug"), "debug");
    assert_eq!(full_name("reconnect", "factor"), "reconnect.factor");
}

#[test]
fn numbers_are_checked_against_range_and_wholeness() {
    assert_eq!(check_number(0.5, 0, 1), Ok(0.5));
    assert_eq!(check_number(1.0, 1, 100), Ok(1.0));
    assert_eq!(check_number(100.0, 1, 100), Ok(100.0));
    for bad in [0.5, 100.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0] {
        assert_eq!(check_number(bad, 1, 100), Err(NumberError::Range), "{bad}");
    }
    assert_eq!(check_whole(0.0, 0), Ok(0));
    assert_eq!(check_whole(MAX_WHOLE as f64, 0), Ok(MAX_WHOLE));
    assert_eq!(check_whole(1.5, 0), Err(NumberError::Fraction));
    assert_eq!(check_whole(0.0, 1), Err(NumberError::Range));
    assert_eq!(check_whole(-1.5, 0), Err(NumberError::Range));
    assert_eq!(check_whole(2f64.powi(53), 0), Err(NumberError::Range));
    assert_eq!(clamp_size(5), 5);
    assert_eq!(clamp_size(u64::MAX), usize::MAX);
}

#[test]
fn number_messages_name_the_option_the_range_and_the_value() {
    assert_eq!(
        number_message("reconnect.factor", NumberError::Range, 1, 100, "0.5"),
        "reconnect.factor must be between 1 and 100, not 0.5"
    );
    assert_eq!(
        number_message("queue.maxMessages", NumberError::Range, 0, MAX_WHOLE, "-1"),
        "queue.maxMessages must be between 0 and 9007199254740991, not -1"
    );
    assert_eq!(
        number_message(
            "connectTimeoutMs",
            NumberError::Fraction,
            1,
            MAX_WHOLE,
            "1.5"
        ),
        "connectTimeoutMs must be a whole number, not 1.5"
    );
}

#[test]
fn enums_match_exactly_and_list_the_choices() {
    let policies = ["reject", "drop-oldest"];
    assert_eq!(one_of("queue.overflow", &policies, "drop-oldest"), Ok(1));
    assert_eq!(
        one_of("queue.overflow", &policies, "Reject"),
        Err(r#"queue.overflow must be "reject" or "drop-oldest", not "Reject""#.to_owned())
    );
    assert_eq!(
        one_of("x", &["a", "b", "c"], "d"),
        Err(r#"x must be "a", "b" or "c", not "d""#.to_owned())
    );
}

#[test]
fn transport_lists_need_known_distinct_names() {
    use TransportKind::{Sse, WebSocket};
    let list = |items: &[&str]| {
        let items: Vec<String> = items.iter().map(|s| s.to_string()).collect();
        transports(&items)
    };
    assert_eq!(list(&["sse", "websocket"]), Ok(vec![Sse, WebSocket]));
    assert_eq!(
        list(&["long-polling"]),
        Ok(vec![TransportKind::LongPolling])
    );
    assert_eq!(
        list(&[]),
        Err("transports must name at least one transport".to_owned())
    );
    assert_eq!(
        list(&["websocket", "carrier-pigeon"]),
        Err(
            "unknown transport \"carrier-pigeon\" in transports (use webtransport, websocket, \
             sse, long-polling)"
                .to_owned()
        )
    );
    // The list in that message is every transport.
    let names: Vec<&str> = TransportKind::ALL.iter().map(|k| k.as_str()).collect();
    assert!(list(&["x"]).unwrap_err().contains(&names.join(", ")));
    assert_eq!(
        list(&["sse", "sse"]),
        Err("transport \"sse\" appears twice in transports".to_owned())
    );
}

#[test]
fn unknown_keys_are_quoted_with_a_suggestion_and_the_known_ones() {
    assert_eq!(
        unknown_key("", "reconect", OPTIONS),
        format!(
            "unknown option \"reconect\"; did you mean \"reconnect\"? (known: {})",
            OPTION_NAMES.join(", ")
        )
    );
    let reconnect = match find(OPTIONS, "reconnect").kind {
        Kind::Object(inner, _) => inner,
        _ => unreachable!(),
    };
    assert_eq!(
        unknown_key("reconnect", "initialDelay", reconnect),
        "unknown option \"reconnect.initialDelay\"; did you mean \"initialDelayMs\"? (known in \
         reconnect: initialDelayMs, factor, maxDelayMs, maxAttempts, jitter)"
    );
    // Nothing close: no suggestion.
    assert!(!unknown_key("", "colour", OPTIONS).contains("did you mean"));
}

#[test]
fn the_nearest_name_is_suggested_only_when_close() {
    let keys = || OPTION_NAMES.iter().copied();
    assert_eq!(nearest("reconect", keys()), Some("reconnect"));
    assert_eq!(nearest("parseJSON", keys()), Some("parseJson"));
    assert_eq!(nearest("trasnports", keys()), Some("transports"));
    assert_eq!(nearest("websocketStream", keys()), Some("webSocketStream"));
    assert_eq!(nearest("connectTimeout", keys()), Some("connectTimeoutMs"));
    assert_eq!(nearest("url", keys()), None);
    assert_eq!(nearest("", keys()), None);
    assert_eq!(nearest("é", ["e"].into_iter()), None);
}

#[test]
fn quoting_and_integers_need_no_formatter() {
    let quoted = |s: &str| {
        let mut out = String::new();
        push_quoted(&mut out, s);
        out
    };
    for s in ["plain", "say \"hi\"\\", "tab\there\nnl", "é ünï"] {
        assert_eq!(quoted(s), format!("{s:?}"), "{s}");
    }
    // Other control characters as JSON writes them.
    assert_eq!(quoted("\u{1b}[0m"), r#""\u001b[0m""#);
    for n in [0, 7, 10, 1_000, MAX_WHOLE, u64::MAX] {
        let mut out = String::from("n=");
        push_decimal(&mut out, n);
        assert_eq!(out, format!("n={n}"));
    }
}

/// The forms a hash is pasted in: `openssl x509 -noout -fingerprint -sha256`'s colon-separated
/// pairs (after its `sha256 Fingerprint=` prefix, which stays the user's to cut), and a hash
/// copied from a web page with non-breaking spaces around it. Both were refused.
#[test]
fn certificate_hashes_as_openssl_prints_them_or_wrapped_in_non_breaking_spaces() {
    let hex = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
    let expected = hex_sha256(hex).expect("64 hex digits");
    let pairs: Vec<&str> = (0..32).map(|i| &hex[i * 2..i * 2 + 2]).collect();
    assert_eq!(hex_sha256(&pairs.join(":")), Some(expected.clone()));
    assert_eq!(hex_sha256(&format!("\u{a0}{hex}\u{a0}\n")), Some(expected));
    for bad in [
        // A colon is a separator between pairs, nothing else.
        format!(":{}", pairs.join(":")),
        format!("{}:", pairs.join(":")),
        pairs.join("::"),
        format!("{}:{}", &hex[..1], &hex[1..]),
        // A non-breaking space inside the hash is not surrounding it.
        format!("{}\u{a0}{}", &hex[..32], &hex[32..]),
    ] {
        assert_eq!(hex_sha256(&bad), None, "{bad}");
    }
}

#[test]
fn certificate_hashes_are_64_hex_digits() {
    let hex = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
    let bytes = hex_sha256(&format!(" {hex} ")).expect("64 hex digits");
    assert_eq!(bytes.len(), 32);
    assert_eq!((bytes[0], bytes[1], bytes[31]), (0x00, 0x11, 0xff));
    for bad in [
        "abc",
        &hex[1..],
        &format!("{}g", &hex[1..]),
        &format!("{hex}0"),
        // A sign is not a digit (u8::from_str_radix took "+f" as 15).
        &format!("+f{}", &hex[2..]),
        &format!("{}+f", &hex[..62]),
    ] {
        assert_eq!(hex_sha256(bad), None, "{bad}");
    }
    assert_eq!(
        hashes::not_hex("abc"),
        "webtransport.serverCertificateHashes: \"abc\" is not 64 hexadecimal digits (nor 32 pairs separated by colons)"
    );
    assert_eq!(
        hashes::wrong_length(31),
        "webtransport.serverCertificateHashes: a SHA-256 hash is 32 bytes, not 31"
    );
}
