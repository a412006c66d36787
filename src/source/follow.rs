//! Following a growing file the way `tail -F` does: new complete lines as they are appended,
//! across rotation (rename + create), copy-truncate, and a file that disappears and comes back.
//!
//! A [`Tail`] is polled: each [`Tail::poll`] reads whatever complete lines are there now and
//! returns how many it saw, so the caller decides how to wait (the scan sleeps a short interval
//! when a poll finds nothing, which keeps an idle follower near 0% CPU without inotify).
//!
//! Rules, in the order a poll applies them:
//! - a partial line at the end is held until its newline arrives (never emitted in halves);
//!   one that reaches [`MAX_LINE`] bytes is not held but read past, and reported as
//!   [`TailEvent::Cut`];
//! - at end of data, a file shorter than what was read was truncated in place: read it again
//!   from 0 (copytruncate);
//! - if the path now names another file (another inode) or none, the old handle is read to its
//!   end first, and on until it has not grown for [`ROTATION_GRACE`] (a server writes to the
//!   renamed file until its `postrotate` reopen); then its held partial line is emitted as the
//!   file's last line, and the new file is read from its start; a missing path is looked for
//!   again on every poll.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{BOM, MAX_LINE};

/// Bytes read per `read` call.
const CHUNK: usize = 64 * 1024;

/// How long a renamed file is still read after it last grew, before the new file is: logrotate
/// creates the new file before its `postrotate` tells the server to reopen, and lines written
/// in between go to the old one.
pub const ROTATION_GRACE: Duration = Duration::from_secs(1);

/// Where following starts in the file as it is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Read the existing content first.
    Beginning,
    /// Only lines appended from now on (like `tail -f -n 0`).
    End,
}

/// What a poll hands to the caller.
#[derive(Debug, PartialEq, Eq)]
pub enum TailEvent<'a> {
    /// A complete line (without `\n` or `\r\n`) and its number in the current file (from 1;
    /// counted from the end position when following started at the end without counting).
    Line(&'a [u8], u64),
    /// A line of [`MAX_LINE`] bytes or more, and its number: read past, not held.
    Cut(u64),
    /// A new file replaced the old one, or the file was truncated: what follows is read from
    /// the top of a file (state that depends on earlier lines, such as W3C directives, resets).
    Restart,
}

/// A file identity that survives renames: (device, inode) on Unix.
type FileId = (u64, u64);

/// Follows one path.
pub struct Tail {
    path: PathBuf,
    file: Option<File>,
    id: Option<FileId>,
    /// Bytes of the current file consumed (complete lines plus `pending`).
    offset: u64,
    /// The partial line at the end of what was read.
    pending: Vec<u8>,
    /// The length so far of a partial line too long to hold (`pending` is empty meanwhile).
    overlong: Option<u64>,
    /// Drop everything up to the first newline: following started in the middle of a line.
    skip_to_newline: bool,
    /// Once the path names another file: since when the old one has not grown, at which size.
    replaced: Option<(Instant, u64)>,
    grace: Duration,
    /// Nothing of the file has been read from its top yet: a [`BOM`] there is not data.
    at_top: bool,
    line_number: u64,
    chunk: Vec<u8>,
    /// The last bytes read (up to `WITNESS` of them): if the file no longer holds them where
    /// they were, it was truncated and written again past the old end between two polls.
    witness: Vec<u8>,
}

/// How many of the last bytes read are kept to notice a file rewritten in place.
const WITNESS: usize = 32;

impl Tail {
    /// Starts following `path`. With [`Start::End`] and `count_lines`, the existing lines are
    /// counted (one read of the file) so that line numbers stay true; without it, numbers
    /// count from 0 at the starting point. A path that does not exist yet is waited for.
    pub fn open(path: &Path, start: Start, count_lines: bool) -> io::Result<Tail> {
        let mut tail = Tail {
            path: path.to_path_buf(),
            file: None,
            id: None,
            offset: 0,
            pending: Vec::new(),
            overlong: None,
            skip_to_newline: false,
            replaced: None,
            grace: ROTATION_GRACE,
            at_top: true,
            line_number: 0,
            chunk: vec![0; CHUNK],
            witness: Vec::new(),
        };
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(tail),
            Err(e) => return Err(e),
        };
        let meta = file.metadata()?;
        tail.id = file_id(&meta);
        if start == Start::End {
            let len = meta.len();
            if count_lines {
                tail.line_number = count_newlines(&mut file, len)?;
            }
            if len > 0 {
                // Started inside a line being written: its rest is not a whole line.
                let k = len.min(WITNESS as u64);
                file.seek(SeekFrom::Start(len - k))?;
                tail.witness = vec![0u8; k as usize];
                file.read_exact(&mut tail.witness)?;
                tail.skip_to_newline = tail.witness.last() != Some(&b'\n');
            }
            tail.offset = len;
            tail.at_top = len == 0;
        }
        tail.file = Some(file);
        Ok(tail)
    }

    /// How long a renamed file is read after it last grew ([`ROTATION_GRACE`]).
    pub fn with_rotation_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the complete lines available now, handing each to `on_event`, which returns
    /// `false` to stop (the rest stays for the next poll). Returns the number of lines seen.
    pub fn poll(&mut self, mut on_event: impl FnMut(TailEvent<'_>) -> bool) -> io::Result<u64> {
        let mut seen = 0;
        if self.file.is_none() && !self.reopen(&mut on_event)? {
            return Ok(0);
        }
        // Truncated and refilled beyond the old end since the last poll (copytruncate of a
        // small file): the bytes we read last are no longer there.
        if self.rewritten()? {
            self.restart_at_top()?;
            seen += 1;
            if !on_event(TailEvent::Restart) {
                return Ok(seen);
            }
        }
        loop {
            let Some(go_on) = self.read_available(&mut on_event, &mut seen)? else {
                return Ok(seen);
            };
            if !go_on {
                return Ok(seen);
            }
            // At the end of the data: truncated in place?
            let file = self.file.as_ref().expect("open");
            let len = file.metadata()?.len();
            if len < self.offset {
                self.restart_at_top()?;
                seen += 1;
                if !on_event(TailEvent::Restart) {
                    return Ok(seen);
                }
                continue;
            }
            // Replaced or removed?
            let now = match std::fs::metadata(&self.path) {
                Ok(meta) => file_id(&meta),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => return Err(e),
            };
            if now.is_some() && now == self.id {
                return Ok(seen);
            }
            // The old file is finished once read to its end (a writer may have appended
            // between our last read and the rename).
            match self.read_available(&mut on_event, &mut seen)? {
                Some(true) => {}
                _ => return Ok(seen),
            }
            if now.is_none() {
                // Gone: keep the old handle (it may still grow if only unlinked) until the
                // path comes back.
                return Ok(seen);
            }
            // Replaced: the old file until it has been still for the grace period.
            let (since, size) = self.replaced.get_or_insert((Instant::now(), self.offset));
            if *size != self.offset {
                (*since, *size) = (Instant::now(), self.offset);
            }
            if since.elapsed() < self.grace {
                return Ok(seen);
            }
            self.replaced = None;
            if self.overlong.take().is_some() {
                if !self.end_overlong(&mut on_event, &mut seen) {
                    return Ok(seen);
                }
            } else if !self.pending.is_empty() && !self.skip_to_newline {
                let line = std::mem::take(&mut self.pending);
                self.line_number += 1;
                seen += 1;
                if !on_event(TailEvent::Line(strip_cr(&line), self.line_number)) {
                    return Ok(seen);
                }
            }
            if !self.reopen(&mut on_event)? {
                return Ok(seen);
            }
        }
    }

    /// Opens the path afresh, from its start. Returns `false` if it does not exist.
    fn reopen(&mut self, on_event: &mut impl FnMut(TailEvent<'_>) -> bool) -> io::Result<bool> {
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        let had_file = self.file.is_some() || self.id.is_some();
        self.id = file_id(&file.metadata()?);
        self.file = Some(file);
        self.reset_to_top();
        self.replaced = None;
        if had_file {
            on_event(TailEvent::Restart);
        }
        Ok(true)
    }

    /// Whether the bytes before `offset` differ from those read there.
    #[cfg(unix)]
    fn rewritten(&self) -> io::Result<bool> {
        use std::os::unix::fs::FileExt;
        let Some(file) = self.file.as_ref() else {
            return Ok(false);
        };
        let n = self.witness.len() as u64;
        if n == 0 || file.metadata()?.len() < self.offset {
            // Nothing to compare, or shorter: the plain truncation check handles it.
            return Ok(false);
        }
        let mut now = vec![0u8; self.witness.len()];
        match file.read_exact_at(&mut now, self.offset - n) {
            Ok(()) => Ok(now != self.witness),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(true),
            Err(e) => Err(e),
        }
    }

    #[cfg(not(unix))]
    fn rewritten(&self) -> io::Result<bool> {
        Ok(false)
    }

    fn restart_at_top(&mut self) -> io::Result<()> {
        if let Some(file) = self.file.as_mut() {
            file.seek(SeekFrom::Start(0))?;
        }
        self.reset_to_top();
        Ok(())
    }

    /// Forgets what was read: the file is read again from its top.
    fn reset_to_top(&mut self) {
        self.offset = 0;
        self.pending.clear();
        self.overlong = None;
        self.witness.clear();
        self.skip_to_newline = false;
        self.at_top = true;
        self.line_number = 0;
    }

    /// Reads to the current end of the file, emitting complete lines. `Some(true)` at the end
    /// of the data, `Some(false)` when the caller asked to stop, `None` without a file.
    fn read_available(
        &mut self,
        on_event: &mut impl FnMut(TailEvent<'_>) -> bool,
        seen: &mut u64,
    ) -> io::Result<Option<bool>> {
        // Complete lines held back by an earlier stop go first.
        if !self.emit_lines(on_event, seen) {
            return Ok(Some(false));
        }
        loop {
            let Some(file) = self.file.as_mut() else {
                return Ok(None);
            };
            let n = match file.read(&mut self.chunk) {
                Ok(0) => return Ok(Some(true)),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.offset += n as u64;
            let keep = WITNESS.min(n);
            let drop = (self.witness.len() + keep).saturating_sub(WITNESS);
            self.witness.drain(..drop);
            self.witness.extend_from_slice(&self.chunk[n - keep..n]);
            match self.overlong {
                None => self.pending.extend_from_slice(&self.chunk[..n]),
                Some(len) => match memchr::memchr(b'\n', &self.chunk[..n]) {
                    None => {
                        self.overlong = Some(len + n as u64);
                        continue;
                    }
                    Some(i) => {
                        self.overlong = None;
                        self.pending.extend_from_slice(&self.chunk[i + 1..n]);
                        if !self.end_overlong(on_event, seen) {
                            return Ok(Some(false));
                        }
                    }
                },
            }
            if self.at_top {
                self.skip_bom();
            }
            if !self.emit_lines(on_event, seen) {
                return Ok(Some(false));
            }
            if self.pending.len() >= MAX_LINE {
                self.overlong = Some(self.pending.len() as u64);
                self.pending.clear();
                self.pending.shrink_to(CHUNK);
            }
        }
    }

    /// Drops a [`BOM`] that opens the file, once enough of it is read to tell (a writer may
    /// have written less than the mark so far).
    #[cold]
    fn skip_bom(&mut self) {
        if self.pending.starts_with(BOM) {
            self.pending.drain(..BOM.len());
        } else if BOM.starts_with(&self.pending) {
            return; // too little to tell yet
        }
        self.at_top = false;
    }

    /// The over-long line ended: it is a line, reported as cut (unless it is the end of the
    /// line being written when following began).
    fn end_overlong(
        &mut self,
        on_event: &mut impl FnMut(TailEvent<'_>) -> bool,
        seen: &mut u64,
    ) -> bool {
        self.line_number += 1;
        if std::mem::take(&mut self.skip_to_newline) {
            return true;
        }
        *seen += 1;
        on_event(TailEvent::Cut(self.line_number))
    }

    /// Emits the complete lines in `pending`, keeping the partial tail.
    fn emit_lines(
        &mut self,
        on_event: &mut impl FnMut(TailEvent<'_>) -> bool,
        seen: &mut u64,
    ) -> bool {
        let mut start = 0;
        let mut go_on = true;
        while let Some(i) = memchr::memchr(b'\n', &self.pending[start..]) {
            let line = &self.pending[start..start + i];
            start += i + 1;
            self.line_number += 1;
            if self.skip_to_newline {
                // The end of the line being written when following began: not a whole line.
                self.skip_to_newline = false;
                continue;
            }
            *seen += 1;
            if !on_event(TailEvent::Line(strip_cr(line), self.line_number)) {
                go_on = false;
                break;
            }
        }
        self.pending.drain(..start);
        go_on
    }
}

fn count_newlines(file: &mut File, len: u64) -> io::Result<u64> {
    let mut buf = vec![0u8; CHUNK];
    let mut left = len;
    let mut n = 0u64;
    file.seek(SeekFrom::Start(0))?;
    while left > 0 {
        let want = (left as usize).min(buf.len());
        let got = file.read(&mut buf[..want])?;
        if got == 0 {
            break;
        }
        n += memchr::memchr_iter(b'\n', &buf[..got]).count() as u64;
        left -= got as u64;
    }
    Ok(n)
}

#[cfg(unix)]
fn file_id(meta: &std::fs::Metadata) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

/// Without inodes, a replaced file is only noticed when it is shorter (a truncation).
#[cfg(not(unix))]
fn file_id(_meta: &std::fs::Metadata) -> Option<FileId> {
    Some((0, 0))
}

fn strip_cr(line: &[u8]) -> &[u8] {
    match line.split_last() {
        Some((b'\r', rest)) => rest,
        _ => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn lines(tail: &mut Tail) -> Vec<String> {
        let mut out = Vec::new();
        tail.poll(|e| {
            match e {
                TailEvent::Line(l, _) => out.push(String::from_utf8_lossy(l).into_owned()),
                TailEvent::Cut(n) => out.push(format!("<cut {n}>")),
                TailEvent::Restart => out.push("<restart>".into()),
            }
            true
        })
        .unwrap();
        out
    }

    fn append(path: &Path, data: &str) {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .unwrap();
        f.write_all(data.as_bytes()).unwrap();
    }

    #[test]
    fn starts_at_the_end_and_holds_partial_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        append(&p, "old1\nold2\nhalf");
        let mut t = Tail::open(&p, Start::End, true)
            .unwrap()
            .with_rotation_grace(Duration::ZERO);
        assert!(lines(&mut t).is_empty());
        append(&p, "-written\nnew1\nne");
        assert_eq!(lines(&mut t), ["new1"]);
        assert_eq!(t.line_number, 4);
        append(&p, "w2\r\n");
        assert_eq!(lines(&mut t), ["new2"]);
    }

    #[test]
    fn from_start_reads_existing_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        append(&p, "a\nb\n");
        let mut t = Tail::open(&p, Start::Beginning, false)
            .unwrap()
            .with_rotation_grace(Duration::ZERO);
        assert_eq!(lines(&mut t), ["a", "b"]);
        assert!(lines(&mut t).is_empty());
    }

    #[test]
    fn rotation_reads_the_old_file_to_its_end_then_the_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        append(&p, "");
        let mut t = Tail::open(&p, Start::End, false)
            .unwrap()
            .with_rotation_grace(Duration::ZERO);
        append(&p, "1\n");
        assert_eq!(lines(&mut t), ["1"]);
        append(&p, "2\n3");
        std::fs::rename(&p, dir.path().join("a.log.1")).unwrap();
        // Written to the old file after the rename, as a slow logger would.
        append(&dir.path().join("a.log.1"), "\n4\n");
        append(&p, "5\n");
        assert_eq!(lines(&mut t), ["2", "3", "4", "<restart>", "5"]);
    }

    /// A consumer that stops at the held last line of a rotated file is not handed more.
    #[test]
    fn stopping_at_a_rotated_files_last_line_holds_the_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        append(&p, "");
        let mut t = Tail::open(&p, Start::End, false)
            .unwrap()
            .with_rotation_grace(Duration::ZERO);
        append(&p, "1\n2");
        std::fs::rename(&p, dir.path().join("a.log.1")).unwrap();
        append(&p, "3\n");
        let mut got = Vec::new();
        t.poll(|e| match e {
            TailEvent::Line(l, _) => {
                got.push(String::from_utf8_lossy(l).into_owned());
                l != b"2"
            }
            TailEvent::Restart => {
                got.push("<restart>".into());
                true
            }
            TailEvent::Cut(_) => panic!("no long line here"),
        })
        .unwrap();
        assert_eq!(got, ["1", "2"]);
        assert_eq!(lines(&mut t), ["<restart>", "3"]);
    }

    /// A byte-order mark opening a file is not data, even written in pieces; following from
    /// the end of an empty file reads its top too. A mark elsewhere is data.
    #[test]
    fn a_byte_order_mark_opening_a_file_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        append(&p, "\u{FEFF}one\n");
        let mut t = Tail::open(&p, Start::Beginning, false)
            .unwrap()
            .with_rotation_grace(Duration::ZERO);
        assert_eq!(lines(&mut t), ["one"]);
        std::fs::rename(&p, dir.path().join("a.log.1")).unwrap();
        std::fs::write(&p, b"\xEF").unwrap();
        assert_eq!(lines(&mut t), ["<restart>"]);
        let mut rest = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        rest.write_all(b"\xBB\xBFtwo\n").unwrap();
        append(&p, "\u{FEFF}three\n");
        assert_eq!(lines(&mut t), ["two", "\u{FEFF}three"]);
        let q = dir.path().join("b.log");
        append(&q, "");
        let mut t = Tail::open(&q, Start::End, true)
            .unwrap()
            .with_rotation_grace(Duration::ZERO);
        append(&q, "\u{FEFF}four\n");
        assert_eq!(lines(&mut t), ["four"]);
    }

    #[test]
    fn truncation_restarts_from_the_top() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        append(&p, "x\ny\n");
        let mut t = Tail::open(&p, Start::Beginning, false)
            .unwrap()
            .with_rotation_grace(Duration::ZERO);
        assert_eq!(lines(&mut t), ["x", "y"]);
        std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&p)
            .unwrap();
        append(&p, "z\n");
        assert_eq!(lines(&mut t), ["<restart>", "z"]);
        assert!(lines(&mut t).is_empty());
    }

    #[test]
    fn truncation_refilled_past_the_old_end_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        append(&path, "one\n");
        let mut tail = Tail::open(&path, Start::Beginning, false)
            .unwrap()
            .with_rotation_grace(Duration::ZERO);
        assert_eq!(lines(&mut tail), ["one"]);
        // copytruncate, then a longer line before the next poll.
        std::fs::write(&path, "a much longer line than before\n").unwrap();
        assert_eq!(
            lines(&mut tail),
            ["<restart>", "a much longer line than before"]
        );
        append(&path, "next\n");
        assert_eq!(lines(&mut tail), ["next"]);
    }

    #[test]
    fn a_file_that_disappears_and_reappears_is_picked_up() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        append(&p, "a\n");
        let mut t = Tail::open(&p, Start::Beginning, false)
            .unwrap()
            .with_rotation_grace(Duration::ZERO);
        assert_eq!(lines(&mut t), ["a"]);
        std::fs::remove_file(&p).unwrap();
        assert!(lines(&mut t).is_empty());
        append(&p, "b\n");
        assert_eq!(lines(&mut t), ["<restart>", "b"]);
    }

    #[test]
    fn a_missing_file_is_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("later.log");
        let mut t = Tail::open(&p, Start::End, false)
            .unwrap()
            .with_rotation_grace(Duration::ZERO);
        assert!(lines(&mut t).is_empty());
        append(&p, "first\n");
        assert_eq!(lines(&mut t), ["first"]);
    }

    #[test]
    fn stopping_keeps_the_rest_for_the_next_poll() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        append(&p, "1\n2\n3\n");
        let mut t = Tail::open(&p, Start::Beginning, false)
            .unwrap()
            .with_rotation_grace(Duration::ZERO);
        let mut got = Vec::new();
        t.poll(|e| {
            if let TailEvent::Line(l, n) = e {
                got.push((l.to_vec(), n));
            }
            false
        })
        .unwrap();
        assert_eq!(got, [(b"1".to_vec(), 1)]);
        assert_eq!(lines(&mut t), ["2", "3"]);
    }

    /// A line that reaches `MAX_LINE` bytes is reported cut once it ends, without being
    /// held: memory stays flat, and the lines after it and their numbers are intact. Its
    /// end after a rotation ends it too.
    #[test]
    fn an_overlong_line_is_read_past() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        append(&p, "one\n");
        let mut t = Tail::open(&p, Start::Beginning, false)
            .unwrap()
            .with_rotation_grace(Duration::ZERO);
        assert_eq!(lines(&mut t), ["one"]);
        let half = "x".repeat(MAX_LINE / 2 + 1);
        append(&p, &half);
        assert!(lines(&mut t).is_empty());
        append(&p, &half);
        assert!(lines(&mut t).is_empty());
        assert!(t.pending.capacity() < MAX_LINE, "{}", t.pending.capacity());
        append(&p, "xx\ntwo\nthr");
        assert_eq!(lines(&mut t), ["<cut 2>", "two"]);
        append(&p, &"y".repeat(MAX_LINE));
        assert!(lines(&mut t).is_empty());
        std::fs::rename(&p, dir.path().join("a.log.1")).unwrap();
        append(&p, "new\n");
        assert_eq!(lines(&mut t), ["<cut 4>", "<restart>", "new"]);
    }

    /// A server writes to the renamed file until its reopen, after logrotate created the new
    /// one: the old file is read until it has been still for the grace period, then the new.
    #[test]
    fn lines_written_to_the_renamed_file_after_the_new_one_appears_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        append(&p, "1\n");
        let grace = Duration::from_millis(300);
        let mut t = Tail::open(&p, Start::Beginning, false)
            .unwrap()
            .with_rotation_grace(grace);
        assert_eq!(lines(&mut t), ["1"]);
        let old = dir.path().join("a.log.1");
        std::fs::rename(&p, &old).unwrap();
        append(&p, "");
        append(&old, "2\n");
        assert_eq!(lines(&mut t), ["2"]);
        append(&p, "new\n");
        std::thread::sleep(Duration::from_millis(100));
        append(&old, "3\n");
        assert_eq!(lines(&mut t), ["3"]);
        std::thread::sleep(grace + Duration::from_millis(100));
        assert_eq!(lines(&mut t), ["<restart>", "new"]);
    }
}
