//! Byte searches for the per-line hot path, built once and reused.
//!
//! `memchr::memchr` and `memchr2` pick their CPU-specific routine through a function pointer
//! and set up their needles on every call; on lines of ~200 bytes, searched four times each,
//! that was about 7% of a scan. These searchers hold memchr's AVX2 routine directly when the
//! CPU has it, and fall back to the dispatching functions otherwise.

#[cfg(target_arch = "x86_64")]
use memchr::arch::x86_64::avx2::memchr as avx2;

/// Finds the first occurrence of one byte.
#[derive(Debug, Clone, Copy)]
pub struct FindByte {
    needle: u8,
    #[cfg(target_arch = "x86_64")]
    avx2: Option<avx2::One>,
}

impl FindByte {
    pub fn new(needle: u8) -> Self {
        FindByte {
            needle,
            #[cfg(target_arch = "x86_64")]
            avx2: avx2::One::new(needle),
        }
    }

    /// The position of the first `needle` in `haystack`.
    #[inline(always)]
    pub fn find(&self, haystack: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(one) = &self.avx2 {
            return one.find(haystack);
        }
        memchr::memchr(self.needle, haystack)
    }
}

/// Finds the first occurrence of either of two bytes.
#[derive(Debug, Clone, Copy)]
pub struct FindEither {
    needles: (u8, u8),
    #[cfg(target_arch = "x86_64")]
    avx2: Option<avx2::Two>,
}

impl FindEither {
    pub fn new(a: u8, b: u8) -> Self {
        FindEither {
            needles: (a, b),
            #[cfg(target_arch = "x86_64")]
            avx2: avx2::Two::new(a, b),
        }
    }

    /// The position of the first of either needle in `haystack`.
    #[inline(always)]
    pub fn find(&self, haystack: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(two) = &self.avx2 {
            return two.find(haystack);
        }
        memchr::memchr2(self.needles.0, self.needles.1, haystack)
    }
}

/// The next `byte` at or after `pos`: the first 32 bytes eight at a time in a machine word,
/// the rest by `memchr`. The fields found this way (an access log's client, ident, user,
/// status and bytes; a template's unquoted fields) are mostly short: a SIMD search's setup
/// costs more than it saves there, and a plain byte loop pays a mispredicted branch for every
/// length.
#[inline(always)]
pub fn find_byte(line: &[u8], mut pos: usize, byte: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO * u64::from(byte);
    let words_end = pos + 32;
    while let Some(chunk) = line.get(pos..pos + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes")) ^ pattern;
        // The lowest flagged byte is the first zero byte of `word` (a borrow can only flag
        // bytes above a true zero), i.e. the first `byte` of the chunk.
        let zeros = word.wrapping_sub(LO) & !word & HI;
        if zeros != 0 {
            return Some(pos + (zeros.trailing_zeros() / 8) as usize);
        }
        pos += 8;
        if pos == words_end {
            return memchr::memchr(byte, &line[pos..]).map(|i| pos + i);
        }
    }
    line[pos..].iter().position(|&b| b == byte).map(|i| pos + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The searchers find what a byte loop finds, in haystacks of every length around the
    /// 16- and 32-byte vector widths and at every position.
    #[test]
    fn searchers_agree_with_a_byte_loop() {
        let (one, two) = (FindByte::new(b'\n'), FindEither::new(b'"', b'\\'));
        for len in 0..100 {
            for at in 0..=len {
                let mut hay = vec![b'a'; len];
                if at < len {
                    hay[at] = b'\n';
                }
                assert_eq!(one.find(&hay), (at < len).then_some(at));
                for (i, needle) in [b'"', b'\\'].into_iter().enumerate() {
                    let mut hay = vec![b'x'; len];
                    if at < len {
                        hay[at] = needle;
                        if at + 1 < len {
                            hay[at + 1] = [b'\\', b'"'][i];
                        }
                    }
                    assert_eq!(two.find(&hay), (at < len).then_some(at), "{hay:?}");
                }
            }
        }
    }

    /// The word-at-a-time search finds what a byte loop finds, at every start, in lines of
    /// every byte value (high bytes and the needle's neighbours included), shorter and longer
    /// than the 32 bytes it reads in words before handing over to `memchr`.
    #[test]
    fn find_byte_agrees_with_a_byte_loop() {
        let mut n: u64 = 99;
        for len in 0..80 {
            for _ in 0..100 {
                let line: Vec<u8> = (0..len)
                    .map(|_| {
                        n = n
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        [b' ', b'[', b'!', 0x1f, 0x20 ^ 0x80, 0xff, 0x00, b'a']
                            [(n >> 60) as usize % 8]
                    })
                    .collect();
                for needle in [b' ', b'['] {
                    for pos in 0..=len {
                        let want = line[pos..]
                            .iter()
                            .position(|&b| b == needle)
                            .map(|i| pos + i);
                        assert_eq!(find_byte(&line, pos, needle), want, "{line:?} from {pos}");
                    }
                }
            }
        }
    }
}
