//! Counters shared between a table and its running scans.

use std::sync::atomic::{AtomicU64, Ordering};

/// What the scans of one table have seen since the last [`ScanStats::reset`]. The CLI reads
/// it after each statement to report skipped lines.
#[derive(Debug, Default)]
pub struct ScanStats {
    lines: AtomicU64,
    rejected: AtomicU64,
    bytes: AtomicU64,
}

impl ScanStats {
    pub fn reset(&self) {
        self.lines.store(0, Ordering::Relaxed);
        self.rejected.store(0, Ordering::Relaxed);
        self.bytes.store(0, Ordering::Relaxed);
    }

    pub(crate) fn add(&self, lines: u64, rejected: u64, bytes: u64) {
        self.lines.fetch_add(lines, Ordering::Relaxed);
        self.rejected.fetch_add(rejected, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Lines read (rows and rejects).
    pub fn lines(&self) -> u64 {
        self.lines.load(Ordering::Relaxed)
    }

    /// Lines that were not rows.
    pub fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }

    /// Bytes read from the files.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}
