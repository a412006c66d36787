//! Decimal digits read eight at a time in a machine word (SWAR), for the per-line hot path.
//!
//! A byte loop over a field of varying length (a response size of 2 to 6 digits) pays a
//! mispredicted branch where it ends, on nearly every line; these read the whole field at once.
//! Words are little-endian loads of the text, so the first (most significant) digit is the
//! lowest byte.

/// Eight ASCII `0`s.
pub const ZEROS: u64 = 0x3030_3030_3030_3030;

/// The eight bytes of `s` at `at` as a little-endian word.
#[inline(always)]
pub fn word(s: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"))
}

/// Whether every byte of `w` is an ASCII digit: each high nibble is 3 and adding 6 to the low
/// nibble does not carry (a carry between bytes needs a byte >= 0xFA, which fails the first test).
#[inline(always)]
pub fn all_digits(w: u64) -> bool {
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    let sixes = w.wrapping_add(0x0606_0606_0606_0606);
    (w & HIGH) | ((sixes & HIGH) >> 4) == 0x3333_3333_3333_3333
}

/// The value of eight ASCII digits (checked by [`all_digits`]): pairs, then quads, then all.
#[inline(always)]
pub fn eight_digits(w: u64) -> u32 {
    let w = (w & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul(2561) >> 8;
    let w = (w & 0x00FF_00FF_00FF_00FF).wrapping_mul(6_553_601) >> 16;
    ((w & 0x0000_FFFF_0000_FFFF).wrapping_mul(42_949_672_960_001) >> 32) as u32
}

/// Each byte pair `d0 d1` of ASCII digits as `10 * d0 + d1`, in the byte of `d0`; the bytes in
/// between hold sums nobody reads (and every byte is garbage unless both of its pair are digits).
#[inline(always)]
pub fn pairs(w: u64) -> u64 {
    let d = w & 0x0F0F_0F0F_0F0F_0F0F;
    d.wrapping_mul(10).wrapping_add(d >> 8)
}

/// The number written in `line[start..end]`: 1 to 8 ASCII digits in a word when at least eight
/// bytes of `line` end at `end`, else (or for up to 19 digits) byte by byte. `None` for an empty
/// field, a non-digit, or more than 19 digits.
#[inline(always)]
pub fn parse_digits(line: &[u8], start: usize, end: usize) -> Option<u64> {
    let len = end.checked_sub(start)?;
    if (1..=8).contains(&len) && end >= 8 {
        // The eight bytes ending at `end`, with those before the field turned into '0's.
        let keep = u64::MAX << (8 * (8 - len));
        let w = (word(line, end - 8) & keep) | (ZEROS & !keep);
        return all_digits(w).then(|| u64::from(eight_digits(w)));
    }
    if len == 0 || len > 19 {
        return None;
    }
    line[start..end].iter().try_fold(0u64, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + u64::from(b - b'0'))
    })
}

/// Digits of an HTTP status, at most, and of a size (bytes sent) as servers write them.
pub const STATUS_DIGITS: usize = 3;
pub const SIZE_DIGITS: usize = 18;

/// [`parse_digits`] of a field of at most `max_digits` digits, no sign: a status, a size.
#[inline(always)]
pub fn parse_digits_upto(line: &[u8], start: usize, end: usize, max_digits: usize) -> Option<u64> {
    if end - start > max_digits {
        return None;
    }
    parse_digits(line, start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(s: &[u8]) -> Option<u64> {
        if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(s).ok()?.parse().ok()
    }

    /// Every field length and position, with every byte value planted at every place, agrees
    /// with `str::parse`.
    #[test]
    fn agrees_with_str_parse() {
        let digits = b"9081726354019283746501";
        for len in 0..=21 {
            for pad in [0usize, 1, 3, 8, 9] {
                let mut line = vec![b' '; pad];
                line.extend_from_slice(&digits[..len]);
                line.push(b' ');
                let (start, end) = (pad, pad + len);
                assert_eq!(
                    parse_digits(&line, start, end),
                    reference(&line[start..end]),
                    "{:?}",
                    String::from_utf8_lossy(&line)
                );
                for at in start..end {
                    for b in 0..=255u8 {
                        let mut bad = line.clone();
                        bad[at] = b;
                        assert_eq!(
                            parse_digits(&bad, start, end),
                            reference(&bad[start..end]),
                            "byte {b} at {at} of {:?}",
                            String::from_utf8_lossy(&bad)
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn pairs_of_digits() {
        let p = pairs(word(b"12:34:56", 0));
        assert_eq!((p & 0xFF, (p >> 24) & 0xFF, (p >> 48) & 0xFF), (12, 34, 56));
    }
}
