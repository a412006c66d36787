//! Reading lines from a byte range of a file with one reused buffer.
//!
//! A range `[start, end)` owns exactly the lines that *start* inside it: a range that does not
//! begin at 0 skips to just after the first `\n` at or after `start - 1`, and the last line it
//! yields is the one that starts before `end`, however far it runs. Adjacent ranges therefore
//! yield every line of the file exactly once. CRLF endings lose their `\r`; a final line
//! without a newline is still a line, unless it was written after the scan was planned.
//! Compressed data that ends cleanly before bytes that are not compressed data
//! ([`TrailingData`]) ends like a file, last line included, and the error comes after it.

use std::io::{self, Read, Seek, SeekFrom};

use super::members::TrailingData;
use crate::search::FindByte;

/// Reads start small (a `LIMIT 10` should not pull in a quarter megabyte) and double up to
/// `CHUNK`, where syscall overhead stops mattering.
const FIRST_READ: usize = 16 * 1024;
const CHUNK: usize = 256 * 1024;

/// A line-at-a-time reader over a byte range.
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    /// Start of unconsumed data in `buf`.
    pos: usize,
    /// End of valid data in `buf`.
    filled: usize,
    /// File offset of `buf[0]`.
    base: u64,
    /// Lines starting at or after this offset belong to the next range.
    limit: u64,
    /// A last line without a newline that starts at or after this offset is not a line: the
    /// file grew past its planned size, and a writer is still writing it.
    grown_from: u64,
    eof: bool,
    /// What ended the data at `eof` when it was not the end of the input (a
    /// [`TrailingData`] error): handed out once every line has been.
    after_end: Option<io::Error>,
    bytes_read: u64,
    newline: FindByte,
}

impl<R: Read> LineReader<R> {
    /// Reads every line of `inner`, which is positioned at offset 0.
    pub fn new(inner: R) -> Self {
        Self::at(inner, 0, u64::MAX)
    }

    fn at(inner: R, base: u64, limit: u64) -> Self {
        LineReader {
            inner,
            buf: vec![0; FIRST_READ],
            pos: 0,
            filled: 0,
            base,
            limit,
            grown_from: u64::MAX,
            eof: false,
            after_end: None,
            bytes_read: 0,
            newline: FindByte::new(b'\n'),
        }
    }

    /// Reads a file planned at `len` bytes: a last line without a newline in what it has
    /// grown by since is left for a later read, as `tail -f` would, not taken half-written.
    pub fn planned_at(mut self, len: u64) -> Self {
        self.grown_from = len;
        self
    }

    /// Bytes read from the underlying reader so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// The next line and the file offset where it starts, or `None` at the end of the range.
    pub fn next_line(&mut self) -> io::Result<Option<(u64, &[u8])>> {
        loop {
            let line_start = self.base + self.pos as u64;
            if line_start >= self.limit {
                return Ok(None);
            }
            if let Some(i) = self.newline.find(&self.buf[self.pos..self.filled]) {
                let (a, b) = (self.pos, self.pos + i);
                self.pos = b + 1;
                return Ok(Some((line_start, strip_cr(&self.buf[a..b]))));
            }
            if self.eof {
                if self.pos < self.filled && line_start < self.grown_from {
                    let a = self.pos;
                    self.pos = self.filled;
                    return Ok(Some((line_start, strip_cr(&self.buf[a..self.filled]))));
                }
                return match self.after_end.take() {
                    Some(e) => Err(e),
                    None => Ok(None),
                };
            }
            self.fill()?;
        }
    }

    /// After [`LineReader::next_line`] failed with a read error: the bytes of the line that
    /// was being read when the input broke off (no newline reached), if any. Every complete
    /// line before it has been returned already. The bytes are handed out once.
    pub fn take_tail(&mut self) -> Option<&[u8]> {
        if self.pos >= self.filled {
            return None;
        }
        let a = self.pos;
        self.pos = self.filled;
        Some(&self.buf[a..self.filled])
    }

    /// Moves the partial line to the front of the buffer (growing it for long lines) and reads.
    fn fill(&mut self) -> io::Result<()> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.filled, 0);
            self.base += self.pos as u64;
            self.filled -= self.pos;
            self.pos = 0;
        }
        if self.filled == self.buf.len() || (self.bytes_read > 0 && self.buf.len() < CHUNK) {
            let grown = self.buf.len() * 2;
            self.buf.resize(grown, 0);
        }
        let n = loop {
            match self.inner.read(&mut self.buf[self.filled..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // The data ended cleanly: its last line is whole.
                Err(e) if TrailingData::of(&e).is_some() => {
                    self.after_end = Some(e);
                    break 0;
                }
                Err(e) => return Err(e),
            }
        };
        if n == 0 {
            self.eof = true;
        }
        self.filled += n;
        self.bytes_read += n as u64;
        Ok(())
    }
}

impl<R: Read + Seek> LineReader<R> {
    /// Reads the lines that start in `[start, end)` of a seekable file.
    pub fn for_range(mut inner: R, start: u64, end: u64) -> io::Result<Self> {
        if start == 0 {
            return Ok(Self::at(inner, 0, end));
        }
        inner.seek(SeekFrom::Start(start - 1))?;
        let mut reader = Self::at(inner, start - 1, end);
        // Skip the tail of the line that belongs to the previous range (if byte start-1 is
        // '\n', this consumes just that byte).
        reader.limit = u64::MAX;
        reader.next_line()?;
        reader.limit = end;
        Ok(reader)
    }
}

#[inline]
fn strip_cr(line: &[u8]) -> &[u8] {
    match line.split_last() {
        Some((b'\r', rest)) => rest,
        _ => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn all_lines(data: &[u8], start: u64, end: u64) -> Vec<(u64, Vec<u8>)> {
        let mut r = LineReader::for_range(Cursor::new(data.to_vec()), start, end).unwrap();
        let mut out = Vec::new();
        while let Some((off, line)) = r.next_line().unwrap() {
            out.push((off, line.to_vec()));
        }
        out
    }

    /// A file that grew after planning: its new last line, not yet ended, is not read half
    /// written; a last line without a newline that was there when planned is a line.
    #[test]
    fn a_line_being_written_after_planning_is_left() {
        let data = b"one\ntwo\nthr";
        let read = |planned: u64| {
            let mut r = LineReader::for_range(Cursor::new(data.to_vec()), 0, u64::MAX)
                .unwrap()
                .planned_at(planned);
            let mut out = Vec::new();
            while let Some((_, line)) = r.next_line().unwrap() {
                out.push(String::from_utf8(line.to_vec()).unwrap());
            }
            out
        };
        assert_eq!(read(8), ["one", "two"]);
        assert_eq!(read(4), ["one", "two"]);
        assert_eq!(read(9), ["one", "two", "thr"]);
    }

    #[test]
    fn crlf_and_missing_final_newline() {
        let lines = all_lines(b"a\r\nbb\n\nccc", 0, u64::MAX);
        let text: Vec<&[u8]> = lines.iter().map(|(_, l)| l.as_slice()).collect();
        assert_eq!(text, [b"a".as_slice(), b"bb", b"", b"ccc"]);
        assert_eq!(
            lines.iter().map(|(o, _)| *o).collect::<Vec<_>>(),
            [0, 3, 6, 7]
        );
    }

    #[test]
    fn empty_input_has_no_lines() {
        assert!(all_lines(b"", 0, u64::MAX).is_empty());
    }

    #[test]
    fn every_split_point_yields_each_line_once() {
        let data = b"one\ntwo\r\n\nthree four\nfive";
        let whole = all_lines(data, 0, u64::MAX);
        let len = data.len() as u64;
        for cut in 0..=len {
            let mut parts = all_lines(data, 0, cut);
            parts.extend(all_lines(data, cut, len));
            assert_eq!(parts, whole, "cut at {cut}");
        }
        for a in 0..=len {
            for b in a..=len {
                let mut parts = all_lines(data, 0, a);
                parts.extend(all_lines(data, a, b));
                parts.extend(all_lines(data, b, len));
                assert_eq!(parts, whole, "cuts at {a},{b}");
            }
        }
    }

    /// Yields its bytes, then fails (a decoder meeting damaged data).
    struct BreaksOff(Cursor<Vec<u8>>);

    impl Read for BreaksOff {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(io::Error::new(io::ErrorKind::UnexpectedEof, "cut")),
                n => Ok(n),
            }
        }
    }

    #[test]
    fn after_a_read_error_the_cut_line_is_handed_out_once() {
        let mut r = LineReader::new(BreaksOff(Cursor::new(
            b"one
two
thr"
            .to_vec(),
        )));
        assert_eq!(r.next_line().unwrap(), Some((0, b"one".as_slice())));
        assert_eq!(r.next_line().unwrap(), Some((4, b"two".as_slice())));
        assert_eq!(
            r.next_line().unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
        assert_eq!(r.take_tail(), Some(b"thr".as_slice()));
        assert_eq!(r.take_tail(), None);
        // Cut right after a newline: nothing was cut off.
        let mut r = LineReader::new(BreaksOff(Cursor::new(
            b"one
"
            .to_vec(),
        )));
        assert_eq!(r.next_line().unwrap(), Some((0, b"one".as_slice())));
        assert!(r.next_line().is_err());
        assert_eq!(r.take_tail(), None);
    }

    /// Compressed data that ended cleanly before bytes that are not compressed data: the last
    /// line, without a newline, is a line; the error comes after it, with no tail.
    #[test]
    fn data_that_ended_cleanly_keeps_its_last_line() {
        struct EndsClean(Cursor<Vec<u8>>);
        impl Read for EndsClean {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                match self.0.read(buf)? {
                    0 => {
                        let trailing = TrailingData {
                            compression: crate::source::Compression::Gzip,
                            bytes: 4,
                        };
                        Err(io::Error::new(io::ErrorKind::InvalidData, trailing))
                    }
                    n => Ok(n),
                }
            }
        }
        for data in [&b"one\ntwo"[..], b"one\ntwo\n"] {
            let mut r = LineReader::new(EndsClean(Cursor::new(data.to_vec())));
            assert_eq!(r.next_line().unwrap(), Some((0, b"one".as_slice())));
            assert_eq!(r.next_line().unwrap(), Some((4, b"two".as_slice())));
            let error = r.next_line().unwrap_err();
            assert!(TrailingData::of(&error).is_some(), "{error}");
            assert_eq!(r.take_tail(), None);
            assert_eq!(r.next_line().unwrap(), None);
        }
    }

    #[test]
    fn lines_longer_than_the_buffer() {
        let long = vec![b'x'; CHUNK * 3 + 17];
        let mut data = long.clone();
        data.extend_from_slice(b"\nshort\n");
        let lines = all_lines(&data, 0, u64::MAX);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].1, long);
        assert_eq!(lines[1], ((CHUNK * 3 + 18) as u64, b"short".to_vec()));
    }
}
