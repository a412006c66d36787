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
}
