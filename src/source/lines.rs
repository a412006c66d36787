//! Reading lines from a byte range of a file with one reused buffer.
//!
//! A range `[start, end)` owns exactly the lines that *start* inside it: a range that does not
//! begin at 0 skips to just after the first `\n` at or after `start - 1`, and the last line it
//! yields is the one that starts before `end`, however far it runs. Adjacent ranges therefore
//! yield every line of the file exactly once. CRLF endings lose their `\r`; a final line
//! without a newline is still a line, unless it was written after the scan was planned.
//! Compressed data that ends cleanly before bytes that are not compressed data
//! ([`TrailingData`]) ends like a file, last line included, and the error comes after it.
//! A UTF-8 byte-order mark ([`BOM`]) at the start of the file is not data: the first line
//! starts after it (at offset 3), and a range that starts inside it owns that line.
//!
//! A line of [`MAX_LINE`] bytes or more (a binary file such as `lastlog` in a walked directory, a
//! run of NULs a crash left) is not held whole: the reader keeps its first [`CUT_LINE_KEEPS`]
//! bytes, skips the rest, and says so ([`Line::cut_from`]), so memory stays flat.

use std::io::{self, Read, Seek, SeekFrom};

use super::members::TrailingData;
use crate::search::FindByte;

/// Reads start small (a `LIMIT 10` should not pull in a quarter megabyte) and double up to
/// `CHUNK`, where syscall overhead stops mattering.
const FIRST_READ: usize = 16 * 1024;
const CHUNK: usize = 256 * 1024;

/// The longest line read whole. Generous (Filebeat stops at 10 MiB, Vector at 100 KiB): a
/// JSON record with a stack trace fits; a file that is not text does not fill memory.
pub const MAX_LINE: usize = 8 * 1024 * 1024;
/// What is kept of a longer line, to show in the rejects.
pub const CUT_LINE_KEEPS: usize = 4 * 1024;

/// The UTF-8 byte-order mark. Some writers (IIS, Windows editors, PowerShell) open a file with
/// it; kept, it would glue itself to the first field or hide a W3C `#Fields` directive.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One line of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// The file offset where the line starts.
    pub start: u64,
    /// The line without its terminator; only its head when [`Line::cut_from`] is set.
    pub bytes: &'a [u8],
    /// `Some(length)` for a line of [`MAX_LINE`] bytes or more: `bytes` holds its first
    /// [`CUT_LINE_KEEPS`] bytes, and the line is no record, whatever they look like.
    pub cut_from: Option<u64>,
}

impl<'a> Line<'a> {
    #[inline(always)]
    fn whole(start: u64, bytes: &'a [u8]) -> Self {
        Line {
            start,
            bytes: strip_cr(bytes),
            cut_from: None,
        }
    }
}

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
    /// The next read is the file's first (offset 0): a [`BOM`] there is skipped.
    at_top: bool,
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
            at_top: base == 0,
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

    /// The next line, or `None` at the end of the range.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        loop {
            let line_start = self.base + self.pos as u64;
            if line_start >= self.limit {
                return Ok(None);
            }
            if let Some(i) = self.newline.find(&self.buf[self.pos..self.filled]) {
                let (a, b) = (self.pos, self.pos + i);
                self.pos = b + 1;
                return Ok(Some(Line::whole(line_start, &self.buf[a..b])));
            }
            if self.filled - self.pos >= MAX_LINE {
                return self.cut_line(line_start);
            }
            if self.eof {
                if self.pos < self.filled && line_start < self.grown_from {
                    let a = self.pos;
                    self.pos = self.filled;
                    return Ok(Some(Line::whole(line_start, &self.buf[a..self.filled])));
                }
                return match self.after_end.take() {
                    Some(e) => Err(e),
                    None => Ok(None),
                };
            }
            self.fill()?;
        }
    }

    /// A line that reached [`MAX_LINE`] bytes without ending: keeps its head at the front of
    /// the buffer and reads past the rest, so the buffer stops growing.
    #[cold]
    fn cut_line(&mut self, line_start: u64) -> io::Result<Option<Line<'_>>> {
        let keep = CUT_LINE_KEEPS;
        self.buf.copy_within(self.pos..self.pos + keep, 0);
        // The rest held has no newline (`next_line` searched it): dropped, not moved. From
        // here `base + i` is the offset of `buf[i]` for `i >= keep` only.
        self.base = line_start + (self.filled - self.pos - keep) as u64;
        (self.pos, self.filled) = (0, keep);
        let end = loop {
            if let Some(i) = self.newline.find(&self.buf[keep..self.filled]) {
                let end = keep + i;
                self.pos = end + 1;
                break self.base + end as u64;
            }
            if self.eof {
                self.pos = self.filled;
                if line_start >= self.grown_from {
                    return self.next_line(); // half written: not a line yet
                }
                break self.base + self.filled as u64;
            }
            self.base += (self.filled - keep) as u64;
            self.filled = keep;
            // On an error the head is the cut line's tail (`take_tail`).
            self.fill()?;
        };
        Ok(Some(Line {
            start: line_start,
            bytes: &self.buf[..keep],
            cut_from: Some(end - line_start),
        }))
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
        if self.at_top {
            return self.skip_bom().map(drop);
        }
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
        self.read_more()
    }

    /// The first read of the file: reads at least the length of a [`BOM`] (a pipe may hand
    /// out less) and steps over one if it is there. Returns whether it was.
    #[cold]
    fn skip_bom(&mut self) -> io::Result<bool> {
        self.at_top = false;
        while self.filled < BOM.len() && !self.eof {
            self.read_more()?;
        }
        let bom = self.buf[..self.filled].starts_with(BOM);
        if bom {
            self.pos = BOM.len();
        }
        Ok(bom)
    }

    /// Reads once into the free end of the buffer.
    fn read_more(&mut self) -> io::Result<()> {
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
        if start <= BOM.len() as u64 {
            return Self::near_top(inner, start, end);
        }
        inner.seek(SeekFrom::Start(start - 1))?;
        let mut reader = Self::at(inner, start - 1, end);
        reader.skip_past_newline()?;
        Ok(reader)
    }

    /// A range that starts inside the length of a [`BOM`]: with one, the first line (after
    /// it) starts in this range; without, the range starts as any other.
    #[cold]
    fn near_top(mut inner: R, start: u64, end: u64) -> io::Result<Self> {
        inner.seek(SeekFrom::Start(0))?;
        let mut reader = Self::at(inner, 0, end);
        if !reader.skip_bom()? {
            reader.pos = (start as usize - 1).min(reader.filled);
            reader.skip_past_newline()?;
        }
        Ok(reader)
    }

    /// Skips the tail of the line that belongs to the previous range (if byte `start - 1` is
    /// `\n`, just that byte), holding none of it: it may be a line too long to hold.
    fn skip_past_newline(&mut self) -> io::Result<()> {
        loop {
            if let Some(i) = self.newline.find(&self.buf[self.pos..self.filled]) {
                self.pos += i + 1;
                return Ok(());
            }
            self.base += self.filled as u64;
            (self.pos, self.filled) = (0, 0);
            if self.eof {
                return Ok(());
            }
            self.fill()?;
        }
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

    fn whole((start, bytes): (u64, &[u8])) -> Option<Line<'_>> {
        Some(Line {
            start,
            bytes,
            cut_from: None,
        })
    }

    fn all_lines(data: &[u8], start: u64, end: u64) -> Vec<(u64, Vec<u8>)> {
        let mut r = LineReader::for_range(Cursor::new(data.to_vec()), start, end).unwrap();
        let mut out = Vec::new();
        while let Some(line) = r.next_line().unwrap() {
            out.push((line.start, line.bytes.to_vec()));
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
            while let Some(line) = r.next_line().unwrap() {
                out.push(String::from_utf8(line.bytes.to_vec()).unwrap());
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
        every_three_ranges_yield(data, &whole);
    }

    /// Three adjacent ranges, cut at any two points, yield `whole` between them.
    fn every_three_ranges_yield(data: &[u8], whole: &[(u64, Vec<u8>)]) {
        let len = data.len() as u64;
        for a in 0..=len {
            for b in a..=len {
                let mut parts = all_lines(data, 0, a);
                parts.extend(all_lines(data, a, b));
                parts.extend(all_lines(data, b, len));
                assert_eq!(parts, whole, "cuts at {a},{b}");
            }
        }
    }

    /// A byte-order mark at the top is not data, whatever the reads look like (a pipe handing
    /// out a byte at a time); the first line starts after it, and every split point, those
    /// inside it too, yields each line once. Anywhere else it is data.
    #[test]
    fn a_byte_order_mark_at_the_top_is_skipped() {
        let data = b"\xEF\xBB\xBFone\ntwo\n\xEF\xBB\xBFthree";
        let all = all_lines(data, 0, u64::MAX);
        let third = b"\xEF\xBB\xBFthree".to_vec();
        assert_eq!(
            all,
            [(3, b"one".to_vec()), (7, b"two".to_vec()), (11, third)]
        );
        every_three_ranges_yield(data, &all);
        struct Trickle(Cursor<Vec<u8>>);
        impl Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(1);
                self.0.read(&mut buf[..n])
            }
        }
        let mut r = LineReader::new(Trickle(Cursor::new(data.to_vec())));
        assert_eq!(r.next_line().unwrap(), whole((3, b"one".as_slice())));
        // Not a whole mark, or no mark: the bytes are the line.
        for data in [&b"\xEF\xBB"[..], b"\xEF\xBBx\n", b"ab\nc"] {
            let first = all_lines(data, 0, u64::MAX).remove(0);
            assert_eq!(first.0, 0);
            assert!(data.starts_with(&first.1), "{first:?}");
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
        assert_eq!(r.next_line().unwrap(), whole((0, b"one".as_slice())));
        assert_eq!(r.next_line().unwrap(), whole((4, b"two".as_slice())));
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
        assert_eq!(r.next_line().unwrap(), whole((0, b"one".as_slice())));
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
            assert_eq!(r.next_line().unwrap(), whole((0, b"one".as_slice())));
            assert_eq!(r.next_line().unwrap(), whole((4, b"two".as_slice())));
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

    /// A line of `MAX_LINE` bytes or more is cut to its head, wherever it is (first, between
    /// others, last without a newline); the lines around it and their offsets are intact, and
    /// the buffer does not grow past `MAX_LINE`.
    #[test]
    fn overlong_lines_are_cut() {
        for long in [MAX_LINE, MAX_LINE + 1, 3 * MAX_LINE + 12345] {
            let body: Vec<u8> = (0..long).map(|i| b'a' + (i % 26) as u8).collect();
            for (before, after) in [("", "\nnext\n"), ("one\n", "\nnext"), ("one\n", "")] {
                let mut data = before.as_bytes().to_vec();
                data.extend_from_slice(&body);
                data.extend_from_slice(after.as_bytes());
                let mut r = LineReader::new(Cursor::new(data));
                if !before.is_empty() {
                    assert_eq!(r.next_line().unwrap(), whole((0, b"one".as_slice())));
                }
                let cut = r.next_line().unwrap().unwrap();
                assert_eq!(cut.start, before.len() as u64);
                assert_eq!(cut.bytes, &body[..CUT_LINE_KEEPS]);
                assert_eq!(cut.cut_from, Some(long as u64));
                if !after.is_empty() {
                    let next = (before.len() + long + 1) as u64;
                    assert_eq!(r.next_line().unwrap(), whole((next, b"next".as_slice())));
                }
                assert_eq!(r.next_line().unwrap(), None);
                assert!(r.buf.len() <= MAX_LINE);
            }
        }
        // Just under the limit: whole.
        let mut data = vec![b'x'; MAX_LINE - 1];
        data.push(b'\n');
        let lines = all_lines(&data, 0, u64::MAX);
        assert_eq!(lines, [(0, vec![b'x'; MAX_LINE - 1])]);
    }

    /// Ranges split inside a cut line still yield every line once.
    #[test]
    fn a_cut_line_belongs_to_the_range_it_starts_in() {
        let mut data = b"one\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        data.extend_from_slice(b"\ntwo\n");
        let len = data.len() as u64;
        for cut in [2, 4, 5, 1000, MAX_LINE as u64, len - 4, len - 3] {
            let mut starts: Vec<u64> = all_lines(&data, 0, cut).iter().map(|l| l.0).collect();
            starts.extend(all_lines(&data, cut, len).iter().map(|l| l.0));
            assert_eq!(starts, [0, 4, len - 4], "cut at {cut}");
        }
        // A range starting inside the long line skips it without holding it.
        let mut r = LineReader::for_range(Cursor::new(data.clone()), 1000, len).unwrap();
        assert_eq!(r.next_line().unwrap(), whole((len - 4, b"two".as_slice())));
        assert!(r.buf.len() <= CHUNK, "{}", r.buf.len());
    }
}
