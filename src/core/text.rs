//! Building human-readable strings (and the few byte forms URLs and messages need) without
//! `core::fmt`.
//!
//! Every `format!`, `write!` or `{:?}` links formatting machinery and argument tables into the
//! wasm, per call site; the JS build avoids them (issue 9: size). Messages are built from `&str`
//! parts with [`concat`] and numbers with [`decimal`] / [`hex_byte`] instead. They must stay as
//! clear as the `format!` they replace.
use crate::prelude::*;

/// The concatenation of `parts`, what `format!("{a}{b}")` does without `core::fmt`. Taking a
/// slice of `&str` lets callers mix `&str` and `&String` in one array literal.
pub fn concat(parts: &[&str]) -> String {
    join(parts, "")
}

/// `parts` with `separator` between them, what `parts.join(separator)` gives. A plain loop: std's
/// `join`/`concat` (`join_generic_copy`, specialised for separator lengths) is about 1 KB of wasm.
pub fn join(parts: &[&str], separator: &str) -> String {
    let capacity = parts.iter().fold(0usize, |sum, part| {
        sum.saturating_add(part.len())
            .saturating_add(separator.len())
    });
    let mut out = String::with_capacity(capacity);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        out.push_str(part);
    }
    out
}

/// The byte offset of the first occurrence of `needle` in `haystack`, what `haystack.find(needle)`
/// answers. A plain byte comparison at each offset: a `&str` pattern in `str::find`, `contains` or
/// `replace` links the Two-Way searcher (`StrSearcher`, about 2.3 KB of wasm), and the SDK's
/// searches are short texts (messages, URLs) for short needles (tokens, queries). A match of
/// UTF-8 in UTF-8 starts and ends on character boundaries, so the offset can slice `haystack`.
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|window| window == needle.as_bytes())
}

/// The byte offset of the first `byte` in `text`, what `text.find(char)` answers for an ASCII
/// character. A plain loop: `char` patterns (`find`, `split`, `split_once`, `contains`,
/// `rfind`, `trim_end_matches`) link `CharSearcher`, `memchr` and `memrchr`, about 1 KB of wasm,
/// for URLs a few dozen bytes long. An ASCII byte in UTF-8 is a whole character, so the offset
/// is a character boundary; a non-ASCII `byte` is never found.
pub fn find_byte(text: &str, byte: u8) -> Option<usize> {
    if !byte.is_ascii() {
        return None;
    }
    text.bytes().position(|b| b == byte)
}

/// The byte offset of the last `byte` (ASCII) in `text`, as `text.rfind(char)`; see
/// [`find_byte`].
pub fn rfind_byte(text: &str, byte: u8) -> Option<usize> {
    if !byte.is_ascii() {
        return None;
    }
    text.bytes().rposition(|b| b == byte)
}

/// `text` around its first `byte` (ASCII), as `text.split_once(char)`; see [`find_byte`].
pub fn split_once_byte(text: &str, byte: u8) -> Option<(&str, &str)> {
    let at = find_byte(text, byte)?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// `text` up to its first byte among `stops` (ASCII), the whole of it if there is none: what
/// `text.split([..]).next()` gives; see [`find_byte`].
// `stops.contains(&b)` on bytes is `memchr`, which this avoids (see `find_byte`).
#[allow(clippy::manual_contains)]
pub fn before_any<'a>(text: &'a str, stops: &[u8]) -> &'a str {
    let end = text
        .bytes()
        .position(|b| b.is_ascii() && stops.iter().any(|&stop| stop == b))
        .unwrap_or(text.len());
    text.get(..end).unwrap_or_default()
}

/// `text` without any trailing `byte` (ASCII), as `text.trim_end_matches(char)`; see
/// [`find_byte`].
pub fn trim_end_byte(text: &str, byte: u8) -> &str {
    if !byte.is_ascii() {
        return text;
    }
    let end = text
        .bytes()
        .rposition(|b| b != byte)
        .map_or(0, |last| last + 1);
    text.get(..end).unwrap_or_default()
}

/// `text` with every occurrence of `from` (left to right, not overlapping) replaced by `to`, what
/// `text.replace(from, to)` gives for a non-empty `from`, without the Two-Way searcher (see
/// [`find`]). An empty `from` leaves `text` unchanged.
pub fn replace(text: &str, from: &str, to: &str) -> String {
    if from.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = find(rest, from) {
        out.push_str(rest.get(..at).unwrap_or_default());
        out.push_str(to);
        rest = rest.get(at + from.len()..).unwrap_or_default();
    }
    out.push_str(rest);
    out
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

/// The number `text` spells in decimal digits only (no sign, no spaces), or `None` for anything
/// else and for numbers over `u64::MAX`: what `text.parse::<u64>().ok()` gives, less its leading
/// `+`, without `u64::from_str` (see `option_rules::hex_sha256` for what the two save).
pub fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    let mut value = 0u64;
    for &byte in text.as_bytes() {
        if !byte.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(byte - b'0'))?;
    }
    Some(value)
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
    fn parsed_decimals() {
        for value in [0, 7, 10, 25_000, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(parse_decimal(&value.to_string()), Some(value));
        }
        assert_eq!(parse_decimal("007"), Some(7));
        for bad in [
            "",
            "+5",
            "-5",
            " 5",
            "5 ",
            "5a",
            "1.0",
            "18446744073709551616",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
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
    fn find_and_replace_match_std() {
        let texts = [
            "",
            "a",
            "aaa",
            "abcabc",
            "x?q=1&q=1",
            "é€😀é",
            "token=token=t",
        ];
        let needles = [
            "a", "aa", "bc", "q=1", "?q=1", "€", "😀é", "token=", "zz", "abcabcd",
        ];
        for text in texts {
            for needle in needles {
                assert_eq!(find(text, needle), text.find(needle), "{text:?} {needle:?}");
                for to in ["", "[redacted]", "a"] {
                    assert_eq!(replace(text, needle, to), text.replace(needle, to));
                }
            }
            assert_eq!(find(text, ""), Some(0));
            assert_eq!(replace(text, "", "x"), text);
        }
    }

    #[test]
    fn byte_searches_match_std() {
        let texts = [
            "",
            "/",
            "a",
            "//x//",
            "é?q#f",
            "h/p?a=1&b=2#frag",
            "a@b@c",
            "€/",
            "x€",
        ];
        for text in texts {
            for c in ['/', '?', '#', '@', '=', '&', 'z'] {
                let b = c as u8;
                assert_eq!(find_byte(text, b), text.find(c), "{text:?} {c:?}");
                assert_eq!(rfind_byte(text, b), text.rfind(c), "{text:?} {c:?}");
                assert_eq!(split_once_byte(text, b), text.split_once(c));
                assert_eq!(trim_end_byte(text, b), text.trim_end_matches(c));
            }
            assert_eq!(
                before_any(text, b"?#"),
                text.split(['?', '#']).next().unwrap()
            );
            assert_eq!(
                before_any(text, b"/\\"),
                text.split(['/', '\\']).next().unwrap()
            );
            assert_eq!(before_any(text, b""), text);
            // A non-ASCII byte is never a match (it would not be a whole character).
            assert_eq!(find_byte(text, 0xA9), None);
            assert_eq!(rfind_byte(text, 0x82), None);
            assert_eq!(trim_end_byte(text, 0xAC), text);
        }
    }

    #[test]
    fn concat_joins() {
        assert_eq!(concat(&["a", "", "bc"]), "abc");
        assert_eq!(concat(&[]), "");
        for parts in [&[][..], &["a"], &["a", "", "bc"], &["é", "😀"]] {
            assert_eq!(join(parts, ", "), parts.join(", "));
            assert_eq!(join(parts, ""), parts.concat());
        }
    }
}
