//! An allocation-free JSON validator.
//!
//! The core hands JSON *text* around (the browser's `JSON.stringify`/`JSON.parse` do the real
//! work), but it must still refuse data that `JSON.parse` would refuse: the codec promises valid
//! JSON in a decoded message, and a batch is assembled by string concatenation, so one invalid
//! item would corrupt the whole batch. `serde_json` would cost far more wasm than this file, and
//! we never need the parsed value, only a yes/no with a position.
//!
//! The grammar is RFC 8259 exactly as `JSON.parse` accepts it: any value at the top level,
//! whitespace limited to space, tab, LF and CR, no trailing commas, no control characters inside
//! strings, `\u` escapes with four hex digits (lone surrogates are allowed, as in JS). Nesting is
//! tracked in a fixed-size bit stack instead of recursion so hostile input cannot overflow the
//! stack or allocate; depth is capped at [`MAX_DEPTH`].

use crate::prelude::*;
use std::fmt;

use super::text::{hex_byte, push_decimal};

/// Deepest nesting of arrays/objects accepted. Browsers accept more, but anything this deep is
/// not a real message and the cap keeps the validator's state a fixed 64 bytes.
pub const MAX_DEPTH: usize = 512;

/// What went wrong, and at which byte offset of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset where the problem was detected.
    pub position: usize,
    /// The kind of problem.
    pub kind: JsonErrorKind,
}

/// The kinds of JSON syntax error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonErrorKind {
    /// Input ended inside a value (or was empty).
    UnexpectedEnd,
    /// A byte that cannot start or continue the current token.
    UnexpectedByte(u8),
    /// A raw control character (below 0x20) inside a string.
    ControlCharacterInString(u8),
    /// A backslash escape other than `\" \\ \/ \b \f \n \r \t \uXXXX`.
    InvalidEscape,
    /// A malformed number (leading zero, missing digits, ...).
    InvalidNumber,
    /// Nesting deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Something other than whitespace after the top-level value.
    TrailingCharacters,
}

impl JsonError {
    /// The text for humans, built by hand so the JS build links no `core::fmt` (issue 9: size);
    /// `Display` writes the same text.
    pub fn message(&self) -> String {
        // One shape for every kind (a head, the byte for two of them, a tail, the position):
        // one `String` built once instead of seven `concat`s (issue 9: size).
        let (head, byte, tail) = match self.kind {
            JsonErrorKind::UnexpectedEnd => ("unexpected end of JSON input", None, ""),
            JsonErrorKind::UnexpectedByte(b) => ("unexpected byte ", Some(b), " in JSON"),
            JsonErrorKind::ControlCharacterInString(b) => {
                ("unescaped control character ", Some(b), " in JSON string")
            }
            JsonErrorKind::InvalidEscape => ("invalid escape in JSON string", None, ""),
            JsonErrorKind::InvalidNumber => ("invalid number in JSON", None, ""),
            // The text spells out MAX_DEPTH (checked below and by the message tests).
            JsonErrorKind::TooDeep => ("JSON nested deeper than 512 levels", None, ""),
            JsonErrorKind::TrailingCharacters => ("unexpected data after the JSON value", None, ""),
        };
        let mut m = String::from(head);
        if let Some(b) = byte {
            m.push_str(&hex_byte(b));
        }
        m.push_str(tail);
        m.push_str(" at byte ");
        push_decimal(&mut m, self.position as u64);
        m
    }
}

// `TooDeep`'s message writes the depth as text.
const _: () = assert!(MAX_DEPTH == 512);

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl core::error::Error for JsonError {}

/// Validates that `text` is exactly one JSON value (with optional surrounding whitespace).
pub fn validate_json(text: &str) -> Result<(), JsonError> {
    Validator {
        b: text.as_bytes(),
        pos: 0,
        stack: [0; MAX_DEPTH / 64],
        depth: 0,
    }
    .run()
}

struct Validator<'a> {
    b: &'a [u8],
    pos: usize,
    /// One bit per open container: 1 = object, 0 = array.
    stack: [u64; MAX_DEPTH / 64],
    depth: usize,
}

/// What the validator expects next, outside of tokens.
enum Expect {
    /// A value (top level, after `:` or after `,` in an array).
    Value,
    /// A value or `]` right after `[`.
    ValueOrClose,
    /// A key or `}` right after `{`.
    KeyOrClose,
    /// A key (after `,` in an object).
    Key,
    /// `,` or the closing bracket of the current container, or end of input at depth 0.
    CommaOrClose,
}

impl Validator<'_> {
    fn err(&self, kind: JsonErrorKind) -> JsonError {
        JsonError {
            position: self.pos,
            kind,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn push(&mut self, is_object: bool) -> Result<(), JsonError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err(JsonErrorKind::TooDeep));
        }
        let (word, bit) = (self.depth / 64, self.depth % 64);
        if let Some(w) = self.stack.get_mut(word) {
            if is_object {
                *w |= 1 << bit;
            } else {
                *w &= !(1 << bit);
            }
        }
        self.depth += 1;
        Ok(())
    }

    /// Whether the innermost open container is an object.
    fn top_is_object(&self) -> bool {
        let Some(d) = self.depth.checked_sub(1) else {
            return false;
        };
        self.stack
            .get(d / 64)
            .is_some_and(|w| w & (1 << (d % 64)) != 0)
    }

    fn run(mut self) -> Result<(), JsonError> {
        let mut expect = Expect::Value;
        loop {
            self.skip_ws();
            match expect {
                Expect::Value | Expect::ValueOrClose => {
                    match self.peek() {
                        Some(b']') if matches!(expect, Expect::ValueOrClose) => {
                            self.pos += 1;
                            self.depth -= 1;
                            expect = Expect::CommaOrClose;
                            continue;
                        }
                        Some(b'{') => {
                            self.push(true)?;
                            self.pos += 1;
                            expect = Expect::KeyOrClose;
                            continue;
                        }
                        Some(b'[') => {
                            self.push(false)?;
                            self.pos += 1;
                            expect = Expect::ValueOrClose;
                            continue;
                        }
                        Some(b'"') => self.string()?,
                        Some(b'-' | b'0'..=b'9') => self.number()?,
                        Some(b't') => self.literal(b"true")?,
                        Some(b'f') => self.literal(b"false")?,
                        Some(b'n') => self.literal(b"null")?,
                        Some(b) => return Err(self.err(JsonErrorKind::UnexpectedByte(b))),
                        None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                    }
                    expect = Expect::CommaOrClose;
                }
                Expect::KeyOrClose | Expect::Key => {
                    match self.peek() {
                        Some(b'}') if matches!(expect, Expect::KeyOrClose) => {
                            self.pos += 1;
                            self.depth -= 1;
                            expect = Expect::CommaOrClose;
                            continue;
                        }
                        Some(b'"') => self.string()?,
                        Some(b) => return Err(self.err(JsonErrorKind::UnexpectedByte(b))),
                        None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                    }
                    self.skip_ws();
                    match self.peek() {
                        Some(b':') => self.pos += 1,
                        Some(b) => return Err(self.err(JsonErrorKind::UnexpectedByte(b))),
                        None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                    }
                    expect = Expect::Value;
                }
                Expect::CommaOrClose => {
                    if self.depth == 0 {
                        return match self.peek() {
                            None => Ok(()),
                            Some(_) => Err(self.err(JsonErrorKind::TrailingCharacters)),
                        };
                    }
                    let in_object = self.top_is_object();
                    match self.peek() {
                        Some(b',') => {
                            self.pos += 1;
                            expect = if in_object {
                                Expect::Key
                            } else {
                                Expect::Value
                            };
                        }
                        Some(b'}') if in_object => {
                            self.pos += 1;
                            self.depth -= 1;
                        }
                        Some(b']') if !in_object => {
                            self.pos += 1;
                            self.depth -= 1;
                        }
                        Some(b) => return Err(self.err(JsonErrorKind::UnexpectedByte(b))),
                        None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                    }
                }
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), JsonError> {
        for &expected in word {
            match self.peek() {
                Some(b) if b == expected => self.pos += 1,
                Some(b) => return Err(self.err(JsonErrorKind::UnexpectedByte(b))),
                None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
            }
        }
        Ok(())
    }

    /// A string starting at the opening quote. The input is a `&str`, so UTF-8 is already valid;
    /// only escapes and control characters need checking.
    fn string(&mut self) -> Result<(), JsonError> {
        self.pos += 1;
        loop {
            match self.peek() {
                None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.pos += 1
                        }
                        Some(b'u') => {
                            self.pos += 1;
                            for _ in 0..4 {
                                match self.peek() {
                                    Some(h) if h.is_ascii_hexdigit() => self.pos += 1,
                                    Some(_) => return Err(self.err(JsonErrorKind::InvalidEscape)),
                                    None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                                }
                            }
                        }
                        Some(_) => return Err(self.err(JsonErrorKind::InvalidEscape)),
                        None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                    }
                }
                Some(c) if c < 0x20 => {
                    return Err(self.err(JsonErrorKind::ControlCharacterInString(c)))
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Result<(), JsonError> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(self.err(JsonErrorKind::InvalidNumber));
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.err(JsonErrorKind::InvalidNumber)),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err(JsonErrorKind::InvalidNumber));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err(JsonErrorKind::InvalidNumber));
            }
            self.digits();
        }
        Ok(())
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    const VALID: &[&str] = &[
        "{}",
        "[]",
        " { } ",
        "0",
        "-0",
        "1.5e+10",
        "-12.25E-3",
        "true",
        "false",
        "null",
        "\"\"",
        "\"a\\\"b\\\\c\\/\\b\\f\\n\\r\\t\\u00e9\\uD800\"",
        "{\"a\":[1,2,{\"b\":null}],\"c\":\"\u{1F600}\"}",
        "[[[[]]]]",
        "\t\r\n[1 , 2]\n",
        "{\"a\" : {\"b\" : []}}",
    ];

    const INVALID: &[&str] = &[
        "",
        " ",
        "{",
        "}",
        "[1,]",
        "{\"a\":1,}",
        "{a:1}",
        "[1 2]",
        "01",
        "1.",
        ".5",
        "-",
        "1e",
        "+1",
        "tru",
        "nul",
        "\"abc",
        "\"\\x\"",
        "\"\\u12\"",
        "\"a\u{1}b\"",
        "{} {}",
        "[}",
        "{]",
        "{\"a\"}",
        "{\"a\" 1}",
        "[1]]",
        "NaN",
        "'a'",
        "\u{feff}{}",
        "\u{a0}1",
    ];

    #[test]
    fn accepts_valid() {
        for v in VALID {
            assert_eq!(validate_json(v), Ok(()), "{v:?}");
        }
    }

    #[test]
    fn rejects_invalid() {
        for v in INVALID {
            let e = validate_json(v).expect_err(v);
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn depth_limit() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert_eq!(validate_json(&ok), Ok(()));
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(
            validate_json(&deep).unwrap_err().kind,
            JsonErrorKind::TooDeep
        );
        let mixed = "{\"a\":[".repeat(200) + &"]}".repeat(200);
        assert_eq!(validate_json(&mixed), Ok(()));
        let wrong = "{\"a\":[".repeat(200) + &"}]".repeat(200);
        assert!(validate_json(&wrong).is_err());
    }

    #[test]
    fn error_position() {
        let e = validate_json("[1,,2]").unwrap_err();
        assert_eq!(e.position, 3);
        assert_eq!(e.kind, JsonErrorKind::UnexpectedByte(b','));
    }

    /// `message()` reads exactly as the `format!` it replaced.
    #[test]
    fn message_matches_the_former_format() {
        for at in [0, 1, 99, 1 << 24, usize::MAX] {
            for b in [0u8, 0x0a, 0x1f, b'x', 0xff] {
                let cases = [
                    (
                        JsonErrorKind::UnexpectedEnd,
                        format!("unexpected end of JSON input at byte {at}"),
                    ),
                    (
                        JsonErrorKind::UnexpectedByte(b),
                        format!("unexpected byte 0x{b:02x} in JSON at byte {at}"),
                    ),
                    (
                        JsonErrorKind::ControlCharacterInString(b),
                        format!(
                            "unescaped control character 0x{b:02x} in JSON string at byte {at}"
                        ),
                    ),
                    (
                        JsonErrorKind::InvalidEscape,
                        format!("invalid escape in JSON string at byte {at}"),
                    ),
                    (
                        JsonErrorKind::InvalidNumber,
                        format!("invalid number in JSON at byte {at}"),
                    ),
                    (
                        JsonErrorKind::TooDeep,
                        format!("JSON nested deeper than {MAX_DEPTH} levels at byte {at}"),
                    ),
                    (
                        JsonErrorKind::TrailingCharacters,
                        format!("unexpected data after the JSON value at byte {at}"),
                    ),
                ];
                for (kind, want) in cases {
                    let error = JsonError { position: at, kind };
                    assert_eq!(error.message(), want);
                    assert_eq!(error.to_string(), want);
                }
            }
        }
    }
}
