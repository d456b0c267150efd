#![cfg(not(target_arch = "wasm32"))]
//! Property tests: codec round trip, JSON validator agreement with serde_json, frame decoding
//! independent of chunking, batch output is valid JSON.

use proptest::prelude::*;
use serde_json::Value;
use universal_socket::core::{
    decode_message, encode_frame, encode_message, validate_json, BatchConfig, Batcher, CodecLimits,
    Frame, FrameDecoder,
};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((".{0,6}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn frame() -> impl Strategy<Value = Frame> {
    prop_oneof![
        ".{0,40}".prop_map(Frame::Text),
        prop::collection::vec(any::<u8>(), 0..60).prop_map(Frame::Binary),
        // Codes a peer may send (`close_code::may_be_sent`); the decoder refuses the others.
        (
            prop_oneof![1000u16..=1003, 1007u16..=1014, 3000u16..=4999],
            "[a-z ]{0,20}"
        )
            .prop_map(|(code, reason)| Frame::Close { code, reason }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn codec_round_trip(type_name in ".{0,60}", data in json_value()) {
        prop_assume!(type_name.len() <= 256);
        prop_assume!(!type_name.starts_with('\u{feff}'));
        let data_json = serde_json::to_string(&data).unwrap();
        let bytes = encode_message(&type_name, &data_json).unwrap();
        prop_assert_eq!(&bytes[..4], &(type_name.len() as u32).to_be_bytes());
        let m = decode_message(&bytes, &CodecLimits::default()).unwrap();
        prop_assert_eq!(m.type_name, type_name.as_str());
        prop_assert_eq!(m.data_json, data_json.as_str());
    }

    #[test]
    fn validator_accepts_what_serde_writes(data in json_value()) {
        let compact = serde_json::to_string(&data).unwrap();
        let pretty = serde_json::to_string_pretty(&data).unwrap();
        prop_assert!(validate_json(&compact).is_ok(), "{}", compact);
        prop_assert!(validate_json(&pretty).is_ok(), "{}", pretty);
    }

    #[test]
    fn validator_agrees_with_serde_on_arbitrary_text(text in "[\\[\\]{}\",:0-9eE.+\\-a-tv-z \\\\]{0,24}") {
        let ours = validate_json(&text).is_ok();
        let serde = serde_json::from_str::<Value>(&text).is_ok();
        prop_assert_eq!(ours, serde, "{:?}", text);
    }

    #[test]
    fn frames_decode_identically_under_any_chunking(
        frames in prop::collection::vec(frame(), 0..8),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..30),
    ) {
        let mut bytes = Vec::new();
        for f in &frames {
            bytes.extend(encode_frame(f).unwrap());
        }
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        points.push(0);
        points.push(bytes.len());
        points.sort_unstable();
        points.dedup();
        let decode = |chunks: Vec<&[u8]>| {
            let mut d = FrameDecoder::new(1024);
            let mut out = Vec::new();
            for c in chunks {
                d.push(c);
                while let Some(f) = d.next_frame() {
                    out.push(f.unwrap());
                }
            }
            (out, d.buffered())
        };
        let random: Vec<&[u8]> = points.windows(2).map(|w| &bytes[w[0]..w[1]]).collect();
        let single: Vec<&[u8]> = bytes.chunks(1).collect();
        let (a, rest_a) = decode(random);
        let (b, rest_b) = decode(single);
        let (c, _) = decode(vec![&bytes]);
        prop_assert_eq!(&a, &frames);
        prop_assert_eq!(&b, &frames);
        prop_assert_eq!(&c, &frames);
        prop_assert_eq!((rest_a, rest_b), (0, 0));
    }

    #[test]
    fn batches_are_valid_json_with_the_items(
        items in prop::collection::vec(json_value(), 1..25),
        max_messages in 1usize..12,
    ) {
        let mut b = Batcher::new(BatchConfig { max_messages, ..BatchConfig::default() });
        let texts: Vec<String> = items.iter().map(|v| serde_json::to_string(v).unwrap()).collect();
        for t in &texts {
            b.push(7, t.clone()).unwrap();
        }
        b.flush(1_700_000_000_000);
        let mut seen = Vec::new();
        while let Some(batch) = b.poll_batch() {
            let v: Value = serde_json::from_str(&batch).unwrap();
            prop_assert_eq!(&v["type"], "batch");
            let msgs = v["messages"].as_array().unwrap();
            prop_assert!(msgs.len() <= max_messages);
            seen.extend(msgs.iter().cloned());
        }
        let want: Vec<Value> = texts.iter().map(|t| serde_json::from_str(t).unwrap()).collect();
        prop_assert_eq!(seen, want);
    }
}
