//! Piped input, copied to a temporary file on a thread of its own while it is read.
//!
//! A pipe can be read once; a table is read more than once (format detection, the query, its
//! rejects, the next statement). So standard input goes to a temporary file. Waiting for the
//! copy to finish before the first query would add the whole copy to the answer's time (a
//! gigabyte from `cat` took 1.3-2.7 s more than `cat | wc -l` here, and `LIMIT 10` waited for
//! the end of the pipe); instead a [`SpoolReader`] reads the file as it grows, and waits at its
//! end only while the copy goes on. Once the copy is complete the file is an ordinary one.
//!
//! On Linux the file has no name (see [`Copy`]): it cannot outlive the process, however the
//! process ends (a closed output pipe with scans still running, SIGTERM, SIGKILL).

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

/// Bytes per read from the input: a widened pipe holds 1 MB.
const CHUNK: usize = 1 << 20;

/// How far the copy has come.
#[derive(Debug, Default)]
struct Progress {
    written: u64,
    /// `Some` once the input has ended: `Ok` at its end, or the read error that ended it.
    end: Option<Result<(), String>>,
}

#[derive(Debug, Default)]
struct Shared {
    progress: Mutex<Progress>,
    changed: Condvar,
}

impl Shared {
    fn update(&self, f: impl FnOnce(&mut Progress)) {
        let mut progress = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut progress);
        self.changed.notify_all();
    }

    /// Blocks until more than `offset` bytes are written or the copy has ended; returns the
    /// bytes written and how the copy ended, if it has.
    fn wait_past(&self, offset: u64) -> (u64, Option<Result<(), String>>) {
        let mut progress = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        while progress.written <= offset && progress.end.is_none() {
            progress = self
                .changed
                .wait(progress)
                .unwrap_or_else(|e| e.into_inner());
        }
        (progress.written, progress.end.clone())
    }
}

/// Where the copy goes.
#[derive(Debug)]
enum Copy {
    /// A file in no directory (Linux), opened again through `/proc/self/fd`: it goes when the
    /// process does, whatever ends it.
    Unnamed { file: File, path: PathBuf },
    /// A named temporary file, deleted when dropped, and listed for the signal handlers to
    /// remove (see [`crate::temp_files`]).
    Named {
        file: tempfile::NamedTempFile,
        _listed: crate::temp_files::Listed,
    },
}

impl Copy {
    fn create() -> io::Result<Copy> {
        #[cfg(target_os = "linux")]
        if let Some(copy) = Copy::unnamed()? {
            return Ok(copy);
        }
        let file = tempfile::Builder::new()
            .prefix("logsql-stdin-")
            .tempfile()?;
        let _listed = crate::temp_files::Listed::new(file.path());
        Ok(Copy::Named { file, _listed })
    }

    /// An unnamed file, if `/proc` can open it again (a sandbox may hide `/proc`).
    #[cfg(target_os = "linux")]
    fn unnamed() -> io::Result<Option<Copy>> {
        use std::os::fd::AsRawFd;
        let file = tempfile::tempfile()?;
        let path = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
        Ok(File::open(&path)
            .is_ok()
            .then_some(Copy::Unnamed { file, path }))
    }

    /// Where readers open the file: each open has its own offset.
    fn path(&self) -> &Path {
        match self {
            Copy::Unnamed { path, .. } => path,
            Copy::Named { file, .. } => file.path(),
        }
    }

    /// The handle the copying thread writes through (no one else uses its offset).
    fn writer(&self) -> io::Result<File> {
        match self {
            Copy::Unnamed { file, .. } => file.try_clone(),
            Copy::Named { file, .. } => file.reopen(),
        }
    }
}

/// Keeps a spool's file, and so its path, for a reader that opens it by path after the spool
/// itself is gone (a settled [`LogFile`](super::LogFile)): an unnamed file's path is a file
/// descriptor's number, which another file could take once it is closed.
#[derive(Debug, Clone)]
pub struct Held(#[allow(dead_code)] Arc<Copy>);

/// Two holds are the same when they hold the one file.
impl PartialEq for Held {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Held {}

/// A temporary file that a background thread fills from a reader (standard input). Clones
/// share the one file; it is deleted when the last clone (or [`Held`]) is dropped.
#[derive(Debug, Clone)]
pub struct Spool {
    file: Arc<Copy>,
    shared: Arc<Shared>,
}

/// Two spools are the same when they share the file.
impl PartialEq for Spool {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl Eq for Spool {}

impl Spool {
    /// Starts copying `input` to a new temporary file.
    pub fn start<R: Read + Send + 'static>(input: R) -> io::Result<Spool> {
        let file = Copy::create()?;
        let out = file.writer()?;
        let shared = Arc::new(Shared::default());
        let progress = shared.clone();
        thread::Builder::new()
            .name("logsql-spool".into())
            .spawn(move || copy(input, out, &progress))?;
        Ok(Spool {
            file: Arc::new(file),
            shared,
        })
    }

    /// The temporary file's path.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// A hold on the file, to read it by path after this spool is dropped.
    pub fn held(&self) -> Held {
        Held(self.file.clone())
    }

    /// Whether the copy is complete and whole: the input reached its end without an error.
    /// (A copy cut by an error stays a spool, whose readers meet that error where it struck.)
    pub fn is_whole(&self) -> bool {
        let progress = self
            .shared
            .progress
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        matches!(progress.end, Some(Ok(())))
    }

    /// Waits for the copy to complete; the input's read error, if it ended with one.
    pub fn wait(&self) -> io::Result<()> {
        match self.shared.wait_past(u64::MAX).1 {
            Some(Err(e)) => Err(input_failed(e)),
            _ => Ok(()),
        }
    }

    /// Reads the file from its start, waiting for the copy where it has not come yet.
    pub fn reader(&self) -> io::Result<SpoolReader> {
        Ok(SpoolReader {
            file: File::open(self.path())?,
            offset: 0,
            shared: self.shared.clone(),
        })
    }
}

/// The copying thread: reads `input` to its end (or a read error) into `out`.
fn copy(mut input: impl Read, mut out: File, shared: &Shared) {
    let mut buf = vec![0u8; CHUNK];
    let end = loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => break Err(format!("reading standard input: {e}")),
        };
        if let Err(e) = out.write_all(&buf[..n]) {
            break Err(format!("writing the copy of standard input: {e}"));
        }
        shared.update(|p| p.written += n as u64);
    };
    shared.update(|p| p.end = Some(end));
}

/// The input (not the data in it) failed: a read error of stdin, or the copy could not be
/// written. Marked so that a decoder's error over it is not taken for damaged data.
#[derive(Debug)]
struct InputFailed(String);

impl std::fmt::Display for InputFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputFailed {}

fn input_failed(message: String) -> io::Error {
    io::Error::other(InputFailed(message))
}

/// Whether `error` is the failure of a spool's input (an `InputFailed`).
pub fn is_input_failure(error: &io::Error) -> bool {
    error.get_ref().is_some_and(|e| e.is::<InputFailed>())
}

/// Reads a [`Spool`]'s file from its start to the end of the input.
pub struct SpoolReader {
    file: File,
    offset: u64,
    shared: Arc<Shared>,
}

impl Read for SpoolReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let (written, end) = self.shared.wait_past(self.offset);
            if written > self.offset {
                // Never past what the copy has written: the rest of the file is not there yet.
                let want = buf.len().min((written - self.offset) as usize);
                let n = self.file.read(&mut buf[..want])?;
                if n == 0 {
                    return Err(input_failed("the copy of standard input shrank".into()));
                }
                self.offset += n as u64;
                return Ok(n);
            }
            match end {
                Some(Ok(())) => return Ok(0),
                Some(Err(e)) => return Err(input_failed(e)),
                None => continue,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{channel, Receiver};

    /// A reader fed piece by piece from a channel, as a pipe is; a closed channel is its end.
    struct Fed(Receiver<io::Result<Vec<u8>>>, Vec<u8>);

    impl Read for Fed {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.1.is_empty() {
                match self.0.recv() {
                    Ok(piece) => self.1 = piece?,
                    Err(_) => return Ok(0),
                }
            }
            let n = buf.len().min(self.1.len());
            buf[..n].copy_from_slice(&self.1[..n]);
            self.1.drain(..n);
            Ok(n)
        }
    }

    /// A reader started before the input has come reads each piece as it arrives, and ends
    /// only when the input does; a second reader afterwards reads the same bytes.
    #[test]
    fn readers_follow_the_copy_to_the_end_of_the_input() {
        let (tx, rx) = channel();
        let spool = Spool::start(Fed(rx, Vec::new())).unwrap();
        let mut early = spool.reader().unwrap();
        let mut buf = [0u8; 64];
        for piece in [&b"first line\n"[..], b"second", b" line\n"] {
            tx.send(Ok(piece.to_vec())).unwrap();
            let n = early.read(&mut buf).unwrap();
            assert_eq!(&buf[..n], piece, "read as soon as it is written");
        }
        assert!(!spool.is_whole());
        drop(tx);
        assert_eq!(early.read(&mut buf).unwrap(), 0);
        spool.wait().unwrap();
        let mut all = String::new();
        spool.reader().unwrap().read_to_string(&mut all).unwrap();
        assert_eq!(all, "first line\nsecond line\n");
    }

    /// An input that fails hands its error to every reader once the bytes before it are
    /// read, and to whoever waits for the copy.
    #[test]
    fn a_read_error_of_the_input_reaches_the_readers() {
        let (tx, rx) = channel();
        tx.send(Ok(b"one\n".to_vec())).unwrap();
        tx.send(Err(io::Error::other("broken pipe"))).unwrap();
        let spool = Spool::start(Fed(rx, Vec::new())).unwrap();
        let mut got = Vec::new();
        let err = spool.reader().unwrap().read_to_end(&mut got).unwrap_err();
        assert_eq!(got, b"one\n");
        assert!(err.to_string().contains("broken pipe"), "{err}");
        assert!(is_input_failure(&err));
        assert!(
            !spool.is_whole(),
            "a cut copy is never taken for the whole input"
        );
        assert!(spool
            .wait()
            .unwrap_err()
            .to_string()
            .contains("broken pipe"));
    }

    /// The file is deleted with the last clone or hold; a hold keeps it readable by path.
    #[test]
    fn the_file_goes_with_the_last_clone() {
        let spool = Spool::start(&b"x\n"[..]).unwrap();
        spool.wait().unwrap();
        let (path, clone, held) = (spool.path().to_path_buf(), spool.clone(), spool.held());
        drop(spool);
        drop(clone);
        assert_eq!(std::fs::read(&path).unwrap(), b"x\n");
        drop(held);
        // An unnamed file's descriptor number may be another file's by now.
        if !path.starts_with("/proc") {
            assert!(!path.exists());
        }
    }
}
