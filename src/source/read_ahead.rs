//! Decoding on a thread of its own, ahead of the parser.
//!
//! A compressed file is one stream: it cannot be split across cores like a plain file. Without
//! help, one thread would take turns decoding and parsing; with a [`ReadAhead`] the decoder
//! fills chunks on its own thread while the parser works on the previous ones, so a single
//! `.gz` or `.zst` keeps two cores busy. Chunks travel through a small bounded channel (memory
//! stays flat) and come back empty to be reused (no allocation per chunk). Dropping the reader
//! stops the thread at its next chunk.

use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError};
use std::thread;

/// Bytes per chunk: large enough that the hand-off costs nothing per line.
const CHUNK: usize = 1 << 20;
/// Chunks in flight: the decoder may be this far ahead of the parser.
const DEPTH: usize = 4;
/// Bytes asked of the decoder per read. A decoder that meets damage returns the error, not
/// what it decoded in the same read (zstd, flate2): asked for a whole chunk, it lost up to a
/// megabyte of good lines before the damage. zstd's block size (`ZSTD_DStreamOutSize`) keeps
/// what `zstdcat` keeps.
const READ: usize = 128 << 10;

/// A `Read` over another `Read` that runs on a background thread.
pub struct ReadAhead {
    full: Receiver<io::Result<Vec<u8>>>,
    empty: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
    done: bool,
}

impl ReadAhead {
    /// Starts reading `inner` on a new thread. A read error is handed over in its place in the
    /// stream, after the bytes that came before it, and ends the stream.
    pub fn new<R: Read + Send + 'static>(inner: R) -> io::Result<ReadAhead> {
        let (full_tx, full) = sync_channel(DEPTH);
        let (empty, empty_rx) = sync_channel(DEPTH + 2);
        thread::Builder::new()
            .name("logsql-decode".into())
            .spawn(move || fill(inner, &full_tx, &empty_rx))?;
        Ok(ReadAhead {
            full,
            empty,
            current: Vec::new(),
            pos: 0,
            done: false,
        })
    }
}

/// The decoding thread: fills chunks until the end, an error, or the reader's departure.
fn fill<R: Read>(mut inner: R, full: &SyncSender<io::Result<Vec<u8>>>, empty: &Receiver<Vec<u8>>) {
    loop {
        let mut chunk = match empty.try_recv() {
            Ok(chunk) => chunk,
            Err(TryRecvError::Empty) => Vec::with_capacity(CHUNK),
            Err(TryRecvError::Disconnected) => return,
        };
        chunk.resize(CHUNK, 0);
        let mut filled = 0;
        // The chunk goes when another read would not fit in it.
        let (error, end) = loop {
            match inner.read(&mut chunk[filled..filled + READ]) {
                Ok(0) => break (None, true),
                Ok(n) => {
                    filled += n;
                    if filled + READ > CHUNK {
                        break (None, false);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break (Some(e), true),
            }
        };
        chunk.truncate(filled);
        if filled > 0 && full.send(Ok(chunk)).is_err() {
            return;
        }
        if let Some(e) = error {
            let _ = full.send(Err(e));
        }
        if end {
            return;
        }
    }
}

impl Read for ReadAhead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.current.len() {
            if self.done {
                return Ok(0);
            }
            match self.full.recv() {
                Ok(Ok(chunk)) => {
                    let used = std::mem::replace(&mut self.current, chunk);
                    if used.capacity() > 0 {
                        // The decoder may have finished; then the chunk is simply dropped.
                        let _ = self.empty.try_send(used);
                    }
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Ok(0);
                }
            }
        }
        let n = buf.len().min(self.current.len() - self.pos);
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out its bytes in pieces of awkward sizes, then optionally fails.
    struct Pieces {
        data: Vec<u8>,
        pos: usize,
        step: usize,
        fail_at_end: bool,
    }

    impl Read for Pieces {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.pos == self.data.len() {
                return if self.fail_at_end {
                    Err(io::Error::new(io::ErrorKind::InvalidData, "corrupt"))
                } else {
                    Ok(0)
                };
            }
            let n = self.step.min(buf.len()).min(self.data.len() - self.pos);
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn every_byte_arrives_in_order() {
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 12345] {
            for step in [1000, 65_536, 3 * CHUNK] {
                let src = data(len);
                let mut r = ReadAhead::new(Pieces {
                    data: src.clone(),
                    pos: 0,
                    step,
                    fail_at_end: false,
                })
                .unwrap();
                let mut out = Vec::new();
                r.read_to_end(&mut out).unwrap();
                assert_eq!(out, src, "len {len} step {step}");
            }
        }
    }

    #[test]
    fn an_error_comes_after_the_bytes_before_it() {
        let src = data(2 * CHUNK + 500);
        let mut r = ReadAhead::new(Pieces {
            data: src.clone(),
            pos: 0,
            step: 70_000,
            fail_at_end: true,
        })
        .unwrap();
        let mut out = vec![0; 10_000];
        let mut got = Vec::new();
        let err = loop {
            match r.read(&mut out) {
                Ok(0) => panic!("the error was lost"),
                Ok(n) => got.extend_from_slice(&out[..n]),
                Err(e) => break e,
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(got, src);
        assert_eq!(
            r.read(&mut out).unwrap(),
            0,
            "the stream ends after the error"
        );
    }

    /// A decoder that fails in a read drops what it decoded in that read, as zstd's does: the
    /// bytes before the damage are lost only as far back as one read.
    #[test]
    fn damage_costs_at_most_one_read_before_it() {
        struct Decoder {
            pos: usize,
            damage: usize,
        }
        impl Read for Decoder {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.pos + buf.len() > self.damage {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "corrupt"));
                }
                buf.fill(b'x');
                self.pos += buf.len();
                Ok(buf.len())
            }
        }
        for damage in [1000, CHUNK / 2, CHUNK + 12345, 3 * CHUNK] {
            let mut r = ReadAhead::new(Decoder { pos: 0, damage }).unwrap();
            let mut got = Vec::new();
            let err = r.read_to_end(&mut got).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
            // No more than a zstd block of 128 KiB is lost.
            assert!(damage - got.len() < 128 << 10, "{} of {damage}", got.len());
        }
    }

    #[test]
    fn dropping_the_reader_stops_the_thread() {
        // An endless source that holds a sender: the thread dropping it (on exit) is seen as
        // the channel's disconnection.
        struct Endless(#[allow(dead_code)] std::sync::mpsc::Sender<()>);
        impl Read for Endless {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                buf.fill(b'x');
                Ok(buf.len())
            }
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let mut r = ReadAhead::new(Endless(tx)).unwrap();
        let mut buf = [0; 16];
        r.read_exact(&mut buf).unwrap();
        drop(r);
        let gone = rx.recv_timeout(std::time::Duration::from_secs(10));
        assert_eq!(gone, Err(std::sync::mpsc::RecvTimeoutError::Disconnected));
    }
}
