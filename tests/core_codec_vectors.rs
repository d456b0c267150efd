#![cfg(not(target_arch = "wasm32"))]
//! The Rust codec against vectors produced by the guide's own JS `BinaryDataHandler`
//! (`node scripts/make-codec-vectors.mjs` writes tests/vectors/codec.json).

use universal_socket::core::{decode_message, encode_message, CodecLimits};

struct Vector {
    name: String,
    type_name: String,
    data_json: String,
    bytes: Vec<u8>,
    decoded_type: String,
    decoded_data_json: String,
}

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn vectors() -> Vec<Vector> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/codec.json");
    let text = std::fs::read_to_string(path).expect("tests/vectors/codec.json");
    let root: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let s = |v: &serde_json::Value, k: &str| v[k].as_str().expect(k).to_owned();
    root["vectors"]
        .as_array()
        .expect("vectors array")
        .iter()
        .map(|v| Vector {
            name: s(v, "name"),
            type_name: s(v, "type"),
            data_json: s(v, "data_json"),
            bytes: unhex(&s(v, "hex")),
            decoded_type: s(v, "decoded_type"),
            decoded_data_json: s(v, "decoded_data_json"),
        })
        .collect()
}

#[test]
fn there_are_enough_vectors() {
    let v = vectors();
    assert!(v.len() >= 12, "{} vectors", v.len());
    for required in ["unicode", "empty object", "nested", "empty type"] {
        assert!(v.iter().any(|x| x.name == required), "missing {required}");
    }
}

#[test]
fn rust_encode_matches_js_bytes() {
    for v in vectors() {
        let got = encode_message(&v.type_name, &v.data_json)
            .unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(got, v.bytes, "vector {:?}", v.name);
    }
}

#[test]
fn rust_decode_matches_js_decode() {
    for v in vectors() {
        let m = decode_message(&v.bytes, &CodecLimits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(m.type_name, v.decoded_type, "vector {:?}", v.name);
        // JS re-serialises the parsed data; our decoder hands back the exact text. They agree
        // because the JS encoder wrote canonical JSON.stringify output. Compare both ways.
        assert_eq!(m.data_json, v.decoded_data_json, "vector {:?}", v.name);
        // serde_json refuses lone surrogates (which JSON.parse accepts), so only compare values
        // where it can parse them.
        if let (Ok(ours), Ok(theirs)) = (
            serde_json::from_str::<serde_json::Value>(m.data_json),
            serde_json::from_str::<serde_json::Value>(&v.decoded_data_json),
        ) {
            assert_eq!(ours, theirs, "vector {:?}", v.name);
        }
    }
}
