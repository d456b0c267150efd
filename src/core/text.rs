//! Building human-readable strings (and the few byte forms URLs and messages need) without
//! `core::fmt`.
//!
//! Every `format!`, `write!` or `{:?}` links formatting machinery and argument tables into the
//! wasm, per call site; the JS build avoids them (issue 9: size). Messages are built from `&str`
//! parts with [`concat`] and numbers with [`decimal`] / [`hex_byte`] instead. They must stay as
//! clear as the `format!` they replace.

/// The concatenation of `parts`, what `format!("{a}{b}")` does without `core::fmt`. Taking a
/// slice of `&str` lets callers mix `&str` and `&String` in one array literal.
pub fn concat(parts: &[&str]) -> String {
    parts.concat()
}

/// Appends `value` in decimal to `out`.
pub fn push_decimal(out: &mut String, value: u64) {
    let mut divisor = 1u64;
    while value / divisor >= 10 {
        divisor *= 10;
    }
    while divisor > 0 {
        // A single digit, so the cast is exact.
        out.push(char::from(b'0' + (value / divisor % 10) as u8));
        divisor /= 10;
    }
}

/// `value` in decimal.
pub fn decimal(value: u64) -> String {
    let mut out = String::new();
    push_decimal(&mut out, value);
    out
}

/// Appends `byte` as two upper-case hex digits (the form percent-encoding uses).
pub fn push_hex_upper(out: &mut String, byte: u8) {
    let digit = |n: u8| char::from(if n < 10 { b'0' + n } else { b'A' + n - 10 });
    out.push(digit(byte >> 4));
    out.push(digit(byte & 0x0F));
}

/// The bytes of a "binary string" (each character one byte, U+0000..=U+00FF, as `atob` returns
/// it) that was copied into wasm as UTF-8. Decoded in place, so the one copy out of JS is the
/// only one; `None` if a character is above U+00FF (not a binary string).
pub fn binary_string_bytes(text: String) -> Option<Vec<u8>> {
    let mut bytes = text.into_bytes();
    let (mut read, mut write) = (0, 0);
    while let Some(&lead) = bytes.get(read) {
        let byte = match lead {
            0x00..=0x7F => {
                read += 1;
                lead
            }
            // U+0080..=U+00FF: `110000xx 10xxxxxx`.
            0xC2 | 0xC3 => {
                let next = *bytes.get(read + 1)?;
                read += 2;
                ((lead & 0x03) << 6) | (next & 0x3F)
            }
            _ => return None,
        };
        // `write <= read` always (every character is one or two bytes in, one out).
        *bytes.get_mut(write)? = byte;
        write += 1;
    }
    bytes.truncate(write);
    Some(bytes)
}

/// `0x` and two lower-case hex digits, e.g. `0x0a`.
pub fn hex_byte(b: u8) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::from("0x");
    for nibble in [b >> 4, b & 15] {
        out.push(char::from(
            HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
        ));
    }
    out
}

/// `text` in double quotes, as a message shows a value: `"`, `\` and control characters
/// escaped (as JSON would), so an odd key or value shows exactly.
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    push_quoted(&mut out, text);
    out
}

/// Appends [`quoted`]`(text)` to `out`.
pub fn push_quoted(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                out.push_str("\\u");
                for shift in [12, 8, 4, 0] {
                    let digit = (c as u32 >> shift) & 0xf;
                    out.push(char::from_digit(digit, 16).unwrap_or('0'));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        for value in [0, 7, 10, 25_000, 65_535, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(decimal(value), value.to_string());
        }
        let mut out = "code ".to_owned();
        push_decimal(&mut out, 1009);
        assert_eq!(out, "code 1009");
    }

    #[test]
    fn hex_bytes() {
        let mut out = String::new();
        for byte in [0x00, 0x0A, 0x7F, 0xC3, 0xFF] {
            push_hex_upper(&mut out, byte);
        }
        assert_eq!(out, "000A7FC3FF");
    }

    #[test]
    fn binary_strings() {
        let all: String = (0u8..=255).map(char::from).collect();
        assert_eq!(
            binary_string_bytes(all),
            Some((0u8..=255).collect::<Vec<u8>>())
        );
        assert_eq!(binary_string_bytes(String::new()), Some(Vec::new()));
        assert_eq!(
            binary_string_bytes("é\u{0}x".into()),
            Some(vec![0xE9, 0, b'x'])
        );
        // A character above U+00FF is not a byte.
        assert_eq!(binary_string_bytes("Ā".into()), None);
        assert_eq!(binary_string_bytes("a€".into()), None);
    }

    #[test]
    fn hex_byte_matches_format() {
        for b in 0..=255u8 {
            assert_eq!(hex_byte(b), format!("0x{b:02x}"));
        }
    }

    #[test]
    fn quoted_escapes_like_debug_for_common_text() {
        for text in [
            "",
            "plain",
            "a \"b\" c",
            "back\\slash",
            "line\nbreak\ttab\r",
            "é€😀",
        ] {
            assert_eq!(quoted(text), format!("{text:?}"));
        }
        assert_eq!(quoted("\u{1b}"), "\"\\u001b\"");
    }

    #[test]
    fn concat_joins() {
        assert_eq!(concat(&["a", "", "bc"]), "abc");
    }
}
