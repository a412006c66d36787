//! Undoing the escapes Apache and nginx write inside quoted fields.
//!
//! Apache writes `\"` and `\\` for a quote and a backslash, and `\xNN` for other bytes; nginx
//! writes `\xNN` too. The file stays ASCII; the value is the bytes the client sent.

/// Appends the unescaped form of `raw` to `out`. Unknown escapes are kept as written, so
/// nothing is lost (`\q` stays `\q`); Apache's `\n`, `\t`, `\r`, `\b` and `\v`
/// become the control bytes.
pub fn unescape_into(raw: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(rel) = memchr::memchr(b'\\', &raw[i..]) {
        let at = i + rel;
        out.extend_from_slice(&raw[i..at]);
        let rest = &raw[at + 1..];
        let single = match rest.first() {
            Some(b'"') => Some(b'"'),
            Some(b'\\') => Some(b'\\'),
            Some(b'n') => Some(b'\n'),
            Some(b't') => Some(b'\t'),
            Some(b'r') => Some(b'\r'),
            Some(b'b') => Some(0x08),
            Some(b'v') => Some(0x0b),
            _ => None,
        };
        let hex_byte = match rest {
            [b'x', h, l, ..] => hex(*h).zip(hex(*l)).map(|(h, l)| h << 4 | l),
            _ => None,
        };
        match (single, hex_byte) {
            (Some(b), _) => {
                out.push(b);
                i = at + 2;
            }
            (None, Some(b)) => {
                out.push(b);
                i = at + 4;
            }
            // Not an escape we know: keep the backslash as written.
            (None, None) => {
                out.push(b'\\');
                i = at + 1;
            }
        }
    }
    out.extend_from_slice(&raw[i..]);
}

/// Appends `raw` decoded as `escapes` says to `out`.
pub fn decode_into(raw: &[u8], escapes: crate::parse::record::Escapes, out: &mut Vec<u8>) {
    use crate::parse::record::Escapes;
    match escapes {
        Escapes::None => out.extend_from_slice(raw),
        Escapes::Backslash => unescape_into(raw, out),
        Escapes::Plus => out.extend(raw.iter().map(|&b| if b == b'+' { b' ' } else { b })),
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn un(s: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        unescape_into(s, &mut out);
        out
    }

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(un(b"GET / HTTP/1.1"), b"GET / HTTP/1.1");
    }

    #[test]
    fn quote_backslash_and_hex() {
        assert_eq!(un(br#"a \"b\" c\\d"#), br#"a "b" c\d"#);
        assert_eq!(un(br"\x16\x03\x01"), [0x16, 0x03, 0x01]);
        assert_eq!(un(br"caf\xC3\xA9"), "café".as_bytes());
        // ap_escape_logitem's control characters.
        assert_eq!(un(br"a\bb\vc\td"), b"a\x08b\x0bc\td");
    }

    #[test]
    fn broken_escapes_are_kept() {
        assert_eq!(un(br"\xZZ"), br"\xZZ");
        assert_eq!(un(br"\x4"), br"\x4");
        assert_eq!(un(br"end\"), br"end\");
        assert_eq!(un(br"\q"), br"\q");
    }
}
