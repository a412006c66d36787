//! A progress line on stderr for long scans: bytes read of the total, and the rate.
//!
//! It reads the tables' scan counters (updated per byte range, so it moves in steps), waits a
//! moment before showing anything so quick queries never flicker, draws only when stderr is a
//! terminal, and erases itself when the query ends.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use logsql::LogTable;

/// A running progress line; dropping it stops and erases it.
pub struct Progress {
    task: Option<tokio::task::JoinHandle<()>>,
    drawn: Arc<std::sync::atomic::AtomicBool>,
    stopped: Arc<std::sync::atomic::AtomicBool>,
}

impl Progress {
    /// Starts watching `tables` (their counters must have been reset for this statement).
    pub fn start(tables: Vec<Arc<LogTable>>) -> Progress {
        let drawn = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = Arc::new(std::sync::atomic::AtomicBool::new(false));
        if tables.is_empty() || !std::io::stderr().is_terminal() {
            return Progress {
                task: None,
                drawn,
                stopped,
            };
        }
        let sizes: Vec<u64> = tables
            .iter()
            .map(|t| {
                t.files()
                    .iter()
                    .filter_map(|f| std::fs::metadata(&f.path).ok())
                    .map(|m| m.len())
                    .sum()
            })
            .collect();
        let flag = drawn.clone();
        let stop = stopped.clone();
        let task = tokio::spawn(async move {
            let start = Instant::now();
            tokio::time::sleep(Duration::from_millis(400)).await;
            loop {
                let mut read = 0;
                let mut total = 0;
                for (t, size) in tables.iter().zip(&sizes) {
                    let b = t.stats().bytes();
                    if b > 0 {
                        read += b;
                        total += size;
                    }
                }
                if read > 0 {
                    let secs = start.elapsed().as_secs_f64();
                    let rate = human_bytes((read as f64 / secs.max(0.001)) as u64);
                    let of = if read <= total {
                        format!(
                            " of {} ({:.0}%)",
                            human_bytes(total),
                            100.0 * read as f64 / total.max(1) as f64
                        )
                    } else {
                        String::new()
                    };
                    let line = format!(
                        "\r\x1b[2Kread {}{of}, {rate}/s, {secs:.1} s  (Ctrl-C cancels)",
                        human_bytes(read)
                    );
                    let mut err = std::io::stderr().lock();
                    // Checked under the lock so nothing is drawn after `drop` erased the line.
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        return;
                    }
                    let _ = err.write_all(line.as_bytes());
                    let _ = err.flush();
                    flag.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        Progress {
            task: Some(task),
            drawn,
            stopped,
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        let mut err = std::io::stderr().lock();
        self.stopped
            .store(true, std::sync::atomic::Ordering::Relaxed);
        if self.drawn.load(std::sync::atomic::Ordering::Relaxed) {
            let _ = err.write_all(b"\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

pub use crate::cli::text::human_bytes;
