//! Counters shared between a table and its running scans.

use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use datafusion::physical_plan::metrics::{Count, ExecutionPlanMetricsSet, MetricBuilder};

use super::damage::Damage;
use super::prune::Disorder;

/// What the scans of one table have seen since the last [`ScanStats::reset`]. The CLI reads
/// it after each statement to report skipped lines.
#[derive(Debug, Default)]
pub struct ScanStats {
    lines: AtomicU64,
    rejected: AtomicU64,
    bytes: AtomicU64,
    /// Files whose compressed data broke off (at most one entry per file).
    damage: Mutex<Vec<Damage>>,
    /// Files found out of the time order the scan assumed (at most one entry per file).
    disorder: Mutex<Vec<Disorder>>,
}

impl ScanStats {
    pub fn reset(&self) {
        self.lines.store(0, Ordering::Relaxed);
        self.rejected.store(0, Ordering::Relaxed);
        self.bytes.store(0, Ordering::Relaxed);
        self.damage_list().clear();
        self.disorder_list().clear();
    }

    fn disorder_list(&self) -> std::sync::MutexGuard<'_, Vec<Disorder>> {
        self.disorder.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records that a file's lines broke the time order a pruned scan assumed; of several
    /// ranges of one file, the first violation in the file is kept.
    pub(crate) fn record_disorder(&self, disorder: Disorder) {
        let mut list = self.disorder_list();
        match list.iter_mut().find(|d| d.file == disorder.file) {
            Some(known) => {
                let by = known.by.max(disorder.by);
                // Read whole only if every scan of it was: one pruned scan may miss lines.
                let read_whole = known.read_whole && disorder.read_whole;
                if disorder.offset < known.offset {
                    *known = disorder;
                }
                (known.by, known.read_whole) = (by, read_whole);
            }
            None => list.push(disorder),
        }
    }

    /// The files found out of the assumed time order since the last reset (see
    /// [`LogTable::with_time_ordered`](super::LogTable::with_time_ordered)): answers that
    /// relied on the order may miss lines.
    pub fn disorder(&self) -> Vec<Disorder> {
        self.disorder_list().clone()
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

/// One partition's view of the table's [`ScanStats`]: what it adds reaches the table's totals
/// and the partition's `EXPLAIN ANALYZE` metrics (`bytes_read`, `lines_read`,
/// `lines_rejected`), so that a pruned or filtered scan shows how much it actually read.
pub struct PartitionStats {
    table: Arc<ScanStats>,
    bytes_read: Count,
    lines_read: Count,
    lines_rejected: Count,
}

impl PartitionStats {
    /// Counters for `partition` among `metrics`, adding to `table`'s totals.
    pub fn new(table: Arc<ScanStats>, metrics: &ExecutionPlanMetricsSet, partition: usize) -> Self {
        let counter = |name| MetricBuilder::new(metrics).counter(name, partition);
        PartitionStats {
            table,
            bytes_read: counter("bytes_read"),
            lines_read: counter("lines_read"),
            lines_rejected: counter("lines_rejected"),
        }
    }

    /// Adds lines read (of which `rejected` were not rows) and bytes read.
    pub fn add(&self, lines: u64, rejected: u64, bytes: u64) {
        self.table.add(lines, rejected, bytes);
        self.lines_read.add(lines as usize);
        self.lines_rejected.add(rejected as usize);
        self.bytes_read.add(bytes as usize);
    }
}

impl Deref for PartitionStats {
    type Target = ScanStats;

    fn deref(&self) -> &ScanStats {
        &self.table
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn disorder(offset: u64, read_whole: bool) -> Disorder {
        Disorder {
            file: "a.log".into(),
            offset,
            by: Duration::from_secs(offset),
            slack: Duration::from_secs(300),
            read_whole,
        }
    }

    /// Two scans of one file in a statement: one read it whole, the other was pruned and
    /// met disorder later on. The answer may miss lines: the merged report must say so.
    #[test]
    fn a_pruned_scans_disorder_is_not_hidden_by_a_whole_read() {
        for (first, second) in [
            (disorder(10, true), disorder(900, false)),
            (disorder(900, false), disorder(10, true)),
        ] {
            let stats = ScanStats::default();
            stats.record_disorder(first);
            stats.record_disorder(second);
            let merged = stats.disorder();
            assert_eq!(merged.len(), 1);
            assert_eq!((merged[0].offset, merged[0].read_whole), (10, false));
            assert_eq!(merged[0].by, Duration::from_secs(900));
        }
    }
}
