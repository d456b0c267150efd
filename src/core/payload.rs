//! The one message type that crosses every layer.

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
