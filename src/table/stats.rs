//! Counters shared between a table and its running scans.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use super::damage::Damage;

/// What the scans of one table have seen since the last [`ScanStats::reset`]. The CLI reads
/// it after each statement to report skipped lines.
#[derive(Debug, Default)]
pub struct ScanStats {
    lines: AtomicU64,
    rejected: AtomicU64,
    bytes: AtomicU64,
    /// Files whose compressed data broke off (at most one entry per file).
    damage: Mutex<Vec<Damage>>,
}

impl ScanStats {
    pub fn reset(&self) {
        self.lines.store(0, Ordering::Relaxed);
        self.rejected.store(0, Ordering::Relaxed);
        self.bytes.store(0, Ordering::Relaxed);
        self.damage_list().clear();
    }

    fn damage_list(&self) -> std::sync::MutexGuard<'_, Vec<Damage>> {
        // A panic elsewhere cannot leave a Vec half-updated: the data is fine to use.
        self.damage.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records that a file's data broke off; the rows and rejects scans of one statement
    /// may both meet the same damage, which is kept once.
    pub(crate) fn record_damage(&self, damage: Damage) {
        let mut list = self.damage_list();
        if !list.iter().any(|d| d.file == damage.file) {
            list.push(damage);
        }
    }

    /// The damaged files met since the last reset: the answer covers only the lines before
    /// the damage in each.
    pub fn damage(&self) -> Vec<Damage> {
        self.damage_list().clone()
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
