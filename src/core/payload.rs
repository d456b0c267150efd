//! The one message type that crosses every layer.
use crate::prelude::*;

/// A message as the application sees it: text stays text and binary stays binary on every
/// transport (PROTOCOL.md §1), so the distinction is kept in the type rather than in a flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// A UTF-8 text message.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
}

impl Payload {
    /// Size on the wire in bytes (UTF-8 bytes for text). Limits are expressed in bytes because
    /// transports limit bytes, not characters.
    pub fn len(&self) -> usize {
        match self {
            Payload::Text(s) => s.len(),
            Payload::Binary(b) => b.len(),
        }
    }

    /// True when the message carries no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True for text messages.
    pub fn is_text(&self) -> bool {
        matches!(self, Payload::Text(_))
    }

    /// Decodes a JSON message into `T` (with the `serde` feature): the receiving half of
    /// `Socket::send_json` (in `web`, on wasm32). Text is parsed as is; binary
    /// is parsed as UTF-8 JSON, since some servers send JSON in binary frames. A message that is
    /// not JSON, or not shaped like `T`, is an error rather than a panic: it came from the
    /// network.
    ///
    /// ```
    /// # use universal_socket::core::Payload;
    /// let payload = Payload::Text(r#"{"user":"ada","text":"hi"}"#.into());
    /// let message: std::collections::BTreeMap<String, String> = payload.json().unwrap();
    /// assert_eq!(message["user"], "ada");
    /// ```
    #[cfg(feature = "serde")]
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        match self {
            Payload::Text(s) => serde_json::from_str(s),
            Payload::Binary(b) => serde_json::from_slice(b),
        }
    }
}

impl From<String> for Payload {
    fn from(s: String) -> Self {
        Payload::Text(s)
    }
}

impl From<&str> for Payload {
    fn from(s: &str) -> Self {
        Payload::Text(s.to_owned())
    }
}

impl From<Vec<u8>> for Payload {
    fn from(b: Vec<u8>) -> Self {
        Payload::Binary(b)
    }
}

#[cfg(all(test, feature = "serde"))]
mod json_tests {
    use super::Payload;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Chat {
        user: String,
        text: String,
    }

    #[test]
    fn text_decodes_into_a_struct() {
        let payload = Payload::Text(r#"{"user":"ada","text":"héllo"}"#.into());
        let chat: Chat = payload.json().unwrap();
        assert_eq!(
            chat,
            Chat {
                user: "ada".into(),
                text: "héllo".into()
            }
        );
    }

    #[test]
    fn utf8_binary_decodes_like_text() {
        let payload = Payload::Binary(r#"{"user":"ada","text":"héllo"}"#.as_bytes().to_vec());
        let chat: Chat = payload.json().unwrap();
        assert_eq!(chat.text, "héllo");
    }

    #[test]
    fn a_mismatch_is_a_typed_error_not_a_panic() {
        let not_json = Payload::Text("hello".into()).json::<Chat>().unwrap_err();
        assert!(not_json.is_syntax());
        let wrong_shape = Payload::Text(r#"{"user":1}"#.into())
            .json::<Chat>()
            .unwrap_err();
        assert!(wrong_shape.is_data());
        let not_utf8 = Payload::Binary(vec![b'"', 0xff, b'"'])
            .json::<String>()
            .unwrap_err();
        assert!(not_utf8.is_syntax());
        let truncated = Payload::Text(r#"{"user":"ada""#.into())
            .json::<Chat>()
            .unwrap_err();
        assert!(truncated.is_eof());
    }

    #[test]
    fn values_and_empty_messages() {
        let any: serde_json::Value = Payload::Text("[1,2]".into()).json().unwrap();
        assert_eq!(any, serde_json::json!([1, 2]));
        assert!(Payload::Text(String::new())
            .json::<Chat>()
            .unwrap_err()
            .is_eof());
    }
}
