//! Building human-readable strings without `core::fmt`.
//!
//! Every `format!`, `write!` or `{:?}` links formatting machinery and argument tables into the
//! wasm, per call site; the JS build avoids them (issue 9: size). Messages are built from
//! `&str` parts with [`concat`] and numbers with [`decimal`] / [`hex_byte`] instead. They must
//! stay as clear as the `format!` they replace.

/// The parts joined into one string, e.g. `concat(&["closed with ", &decimal(code)])`.
pub fn concat(parts: &[&str]) -> String {
    parts.concat()
}

/// `n` in decimal.
pub fn decimal(n: u64) -> String {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    digits
        .get(at..)
        .map(|d| d.iter().map(|&b| char::from(b)).collect())
        .unwrap_or_default()
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

/// `text` in double quotes, as a message shows a value: quotes, backslashes and control
/// characters escaped (the job `{:?}` did, without its Unicode tables).
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str("\\u{");
                let hex = hex_byte(c as u8);
                out.push_str(hex.get(2..).unwrap_or_default());
                out.push('}');
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_matches_display() {
        for n in [
            0,
            1,
            9,
            10,
            99,
            100,
            1000,
            65535,
            1 << 32,
            u64::MAX - 1,
            u64::MAX,
        ] {
            assert_eq!(decimal(n), n.to_string());
        }
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
        assert_eq!(quoted("\u{1}"), "\"\\u{01}\"");
    }

    #[test]
    fn concat_joins() {
        assert_eq!(concat(&["a", "", "bc"]), "abc");
    }
}
