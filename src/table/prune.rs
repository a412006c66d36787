//! Time-range pruning: a `WHERE ts >= ...` query over a file whose lines are in time order
//! reads only the part of the file that can hold matching lines, found by binary search on
//! line-aligned offsets.
//!
//! logsql cannot know that a file is in time order without reading all of it, so pruning is
//! opt-in ([`LogTable::with_time_ordered`](super::LogTable::with_time_ordered),
//! `--time-ordered`): the user states the assumption, with a *slack* for the small disorder
//! real logs have (Apache's `%t` is when a request started, but the line is written when it
//! ends, so neighbouring lines are out of order by up to a request's duration):
//!
//! > every line's timestamp is at least the greatest timestamp of the lines before it, minus
//! > the slack.
//!
//! Under it, a line with `ts < lo - slack` proves that no line before it has `ts >= lo`, and
//! a line with `ts > hi + slack` proves that no line after it has `ts <= hi`. The search
//! probes offsets, takes the first line starting at or after each that parses as a row, and
//! narrows the kept span to the last such proof before it and the first one after it. Only
//! those proofs move the bounds, and only in the safe direction, so the result is exact
//! whenever the assumption holds, whatever the probes meet (rejects, equal timestamps, long
//! lines). The pushed filter is still applied to every line read.
//!
//! The assumption is checked where it is cheap: the probes themselves, in file order, must
//! keep it (a file they show out of order is read whole, the answer complete, and the
//! disorder reported); the kept span is widened by [`VERIFY_BYTES`] on each side it was
//! narrowed, so that lines just past a proof are read too; and while the kept span is
//! scanned, each line is checked against the assumption (a line more than the slack older
//! than the newest line before it in the same range). A violation seen while scanning is
//! recorded as a [`Disorder`] in the table's [`ScanStats`], which the command line reports:
//! the answer may miss lines. A violation only inside the skipped part cannot be seen.

use std::fmt;
use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::time::Duration;

use super::filter::{Predicate, RowFilter};
use super::stats::ScanStats;
use crate::parse::{ColumnSource, ColumnSpec, FieldType, Format, LineParser, Parsed, Record};
use crate::source::{LineReader, LogFile};

/// The slack `--time-ordered` assumes when none is given.
pub const DEFAULT_SLACK: Duration = Duration::from_secs(5 * 60);

/// Bisection stops when the interval left is this small: a few more lines read costs less
/// than another probe.
pub const STOP_BYTES: u64 = 64 * 1024;

/// How far past each end of a narrowed span the scan reads all the same: lines there are
/// checked for the order the pruning assumed (a file shuffled by more than the slack shows
/// it there), at the cost of a few hundred lines.
pub const VERIFY_BYTES: u64 = 64 * 1024;

/// A probe reads at most this many lines that are not rows, or this many bytes, looking for a
/// row; past that the file is scanned whole (it is mostly not rows, or its lines are huge).
const PROBE_MAX_LINES: usize = 1000;
const PROBE_MAX_BYTES: u64 = 16 * 1024 * 1024;

/// The time column pruning uses: the format's `ts` column, or else its first timestamp
/// column read from a record slot. `(name, slot)`.
pub fn time_column(columns: &[ColumnSpec]) -> Option<(&str, usize)> {
    let slot = |c: &ColumnSpec| match (c.ty, c.source) {
        (FieldType::Timestamp, ColumnSource::Slot(slot)) => Some(slot),
        _ => None,
    };
    let named = columns
        .iter()
        .find(|c| c.name == "ts")
        .and_then(|c| Some((c.name.as_str(), slot(c)?)));
    named.or_else(|| {
        columns
            .iter()
            .find_map(|c| Some((c.name.as_str(), slot(c)?)))
    })
}

/// Inclusive bounds on a timestamp (UTC nanoseconds); `None`: unbounded on that side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub lo: Option<i64>,
    pub hi: Option<i64>,
}

impl Bounds {
    /// The bounds the filter's predicates put on `slot` together, if any.
    pub fn of(filter: &RowFilter, slot: usize) -> Option<Bounds> {
        let (mut lo, mut hi) = (i64::MIN, i64::MAX);
        for p in &filter.predicates {
            if let Predicate::InRange { slot: s, range, .. } = p {
                if *s == slot {
                    lo = lo.max(range.min);
                    hi = hi.min(range.max);
                }
            }
        }
        let bounds = Bounds {
            lo: (lo != i64::MIN).then_some(lo),
            hi: (hi != i64::MAX).then_some(hi),
        };
        (bounds.lo.is_some() || bounds.hi.is_some()).then_some(bounds)
    }
}

/// The first row of a file at or after an offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// The row's line starts at `start`; its time is `ts`.
    Row { start: u64, ts: i64 },
    /// No line from the offset to the end of the file is a row with a time.
    End,
    /// Too many lines that are not rows, or too many bytes: no answer.
    GaveUp,
}

/// Probes one file.
struct Prober<'a> {
    file: &'a File,
    parser: Box<dyn LineParser>,
    rec: Record,
    slot: usize,
    /// Every row found, `(start, ts)`.
    seen: Vec<(u64, i64)>,
}

impl Prober<'_> {
    fn probe(&mut self, offset: u64) -> io::Result<Probe> {
        // A range from 0 is read from where the handle is: put it there.
        let mut file = self.file;
        file.seek(SeekFrom::Start(0))?;
        let mut reader = LineReader::for_range(file, offset, u64::MAX)?;
        let mut tried = 0;
        while let Some(line) = reader.next_line()? {
            let start = line.start;
            let parsed = match line.cut_from {
                None => self.parser.parse(line.bytes, &mut self.rec),
                Some(_) => Ok(Parsed::Skipped),
            };
            if let Ok(Parsed::Row) = parsed {
                if let Some(ts) = self.rec.int_like(self.slot) {
                    self.seen.push((start, ts));
                    return Ok(Probe::Row { start, ts });
                }
            }
            tried += 1;
            if tried >= PROBE_MAX_LINES || reader.bytes_read() > PROBE_MAX_BYTES {
                return Ok(Probe::GaveUp);
            }
        }
        Ok(Probe::End)
    }

    /// The first row found that is more than `slack` older than a row found before it in the
    /// file, and by how much: `(start, by)`.
    fn out_of_order(&mut self, slack: i64) -> Option<(u64, i64)> {
        self.seen.sort_unstable();
        let mut newest = i64::MIN;
        for &(start, ts) in &self.seen {
            if ts < newest.saturating_sub(slack) {
                return Some((start, newest.saturating_sub(ts)));
            }
            newest = newest.max(ts);
        }
        None
    }
}

/// What time-range pruning keeps of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// The lines starting in `[start, end)` (`end` is `u64::MAX` for "to the end").
    Span(u64, u64),
    /// The whole file: a probe found no row to compare.
    Whole,
    /// The whole file: the probes found it out of order, a row at byte `offset` older than
    /// one before it by `by` nanoseconds, more than the slack.
    OutOfOrder { offset: u64, by: i64 },
}

impl Kept {
    /// The span kept, if the file is not read whole.
    pub fn span(self) -> Option<(u64, u64)> {
        match self {
            Kept::Span(start, end) => Some((start, end)),
            Kept::Whole | Kept::OutOfOrder { .. } => None,
        }
    }
}

/// The part of a file that can hold lines within `bounds` if its lines are in time order
/// within `slack` (nanoseconds): `Some((start, end))`, the lines starting in `[start, end)`
/// (`end` is `u64::MAX` for "to the end"), or the whole file when a probe found no row to
/// compare or the probes found the file out of order. `len` is the file's size; bisection
/// stops at intervals of `stop` bytes.
pub fn kept_span(
    file: &File,
    len: u64,
    format: &Format,
    slot: usize,
    bounds: Bounds,
    slack: i64,
    stop: u64,
) -> io::Result<Kept> {
    let mut prober = Prober {
        file,
        parser: format.parser(),
        rec: Record::default(),
        slot,
        seen: Vec::new(),
    };
    let stop = stop.max(1);
    let mut start = 0;
    if let Some(lo) = bounds.lo {
        // The last row found with ts < lo - slack: no line before it can have ts >= lo.
        let target = lo.saturating_sub(slack);
        let (mut a, mut b) = match prober.probe(0)? {
            Probe::Row { start: s, ts } if ts < target => {
                start = s;
                (0, len)
            }
            Probe::GaveUp => return Ok(Kept::Whole),
            _ => (0, 0), // the first row may match: nothing to skip
        };
        while b.saturating_sub(a) > stop {
            let mid = a + (b - a) / 2;
            match prober.probe(mid)? {
                Probe::Row { start: s, ts } if ts < target => {
                    start = start.max(s);
                    a = mid;
                }
                Probe::Row { .. } | Probe::End => b = mid,
                Probe::GaveUp => return Ok(Kept::Whole),
            }
        }
    }
    let mut end = u64::MAX;
    if let Some(hi) = bounds.hi {
        // The first row found with ts > hi + slack: no line after it can have ts <= hi.
        let target = hi.saturating_add(slack);
        let (mut a, mut b) = (start, len);
        while b.saturating_sub(a) > stop {
            let mid = a + (b - a) / 2;
            match prober.probe(mid)? {
                Probe::Row { start: s, ts } if ts > target => {
                    end = end.min(s);
                    b = mid;
                }
                // No row from here on: the proof, if any, is before.
                Probe::End => b = mid,
                Probe::Row { .. } => a = mid,
                Probe::GaveUp => return Ok(Kept::Whole),
            }
        }
        // The interval left may start with a proof (a small file, bounds before its first
        // line).
        match prober.probe(a)? {
            Probe::Row { start: s, ts } if ts > target => end = end.min(s),
            Probe::GaveUp => return Ok(Kept::Whole),
            _ => {}
        }
    }
    if let Some((offset, by)) = prober.out_of_order(slack) {
        return Ok(Kept::OutOfOrder { offset, by });
    }
    Ok(Kept::Span(start, end.max(start)))
}

/// What time-range pruning did to a scan, for `EXPLAIN`, and what the scan must check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimePruning {
    /// The assumed slack.
    pub slack: Duration,
    /// The time column and its record slot.
    pub column: String,
    pub slot: usize,
    /// Why nothing was pruned, when nothing was.
    pub not_applied: Option<&'static str>,
    /// Bytes of the files, and bytes kept to be read.
    pub total_bytes: u64,
    pub kept_bytes: u64,
    /// The files whose spans were narrowed (their lines' order is checked while scanning).
    pub pruned: Vec<LogFile>,
}

impl TimePruning {
    /// A check of the order of `file`'s lines, if pruning narrowed it.
    pub(crate) fn watch(&self, file: &LogFile) -> Option<OrderWatch> {
        self.pruned.contains(file).then(|| OrderWatch {
            slot: self.slot,
            slack: slack_nanos(self.slack),
            slack_given: self.slack,
            max: i64::MIN,
            found: None,
        })
    }
}

impl fmt::Display for TimePruning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.not_applied {
            Some(why) => write!(f, "pruned=none ({why})"),
            None => write!(
                f,
                "pruned=[kept {} of {} bytes, {} file{} by {} order, slack {}]",
                self.kept_bytes,
                self.total_bytes,
                self.pruned.len(),
                if self.pruned.len() == 1 { "" } else { "s" },
                self.column,
                format_duration(self.slack)
            ),
        }
    }
}

/// The slack in nanoseconds, saturating.
pub fn slack_nanos(slack: Duration) -> i64 {
    i64::try_from(slack.as_nanos()).unwrap_or(i64::MAX)
}

/// Checks, while a range is scanned, that its lines keep the assumed order.
#[derive(Debug)]
pub(crate) struct OrderWatch {
    slot: usize,
    slack: i64,
    slack_given: Duration,
    /// The greatest time seen so far in the range.
    max: i64,
    /// The first violation's offset, and the largest disorder seen (nanoseconds).
    found: Option<(u64, i64)>,
}

impl OrderWatch {
    /// Sees the row parsed into `rec` from the line starting at `offset`.
    #[inline]
    pub(crate) fn observe(&mut self, rec: &Record, offset: u64) {
        let Some(ts) = rec.int_like(self.slot) else {
            return;
        };
        if ts < self.max.saturating_sub(self.slack) {
            let by = self.max.saturating_sub(ts);
            self.found = Some(match self.found {
                Some((first, worst)) => (first, worst.max(by)),
                None => (offset, by),
            });
        } else if ts > self.max {
            self.max = ts;
        }
    }

    /// Records a violation, if one was seen, in `stats`.
    pub(crate) fn finish(self, file: &LogFile, stats: &ScanStats) {
        if let Some((offset, by)) = self.found {
            stats.record_disorder(Disorder::new(file, offset, by, self.slack_given, false));
        }
    }
}

/// A file found out of the time order a scan assumed: answers pruned by that assumption may
/// miss lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disorder {
    /// The file as the user named it.
    pub file: String,
    /// Where the first line out of order starts (bytes from the start of the file).
    pub offset: u64,
    /// How much older than an earlier line the worst line seen was.
    pub by: Duration,
    /// The slack that was assumed.
    pub slack: Duration,
    /// Found before the scan, by the pruning's probes: the file was read whole, and the
    /// answer misses nothing.
    pub read_whole: bool,
}

impl Disorder {
    /// `file` out of order near byte `offset`, a line older than one before it by `by`
    /// nanoseconds, more than `slack`.
    pub(crate) fn new(
        file: &LogFile,
        offset: u64,
        by: i64,
        slack: Duration,
        read_whole: bool,
    ) -> Disorder {
        Disorder {
            file: file.name.clone(),
            offset,
            by: Duration::from_nanos(by.max(0) as u64),
            slack,
            read_whole,
        }
    }
}

impl fmt::Display for Disorder {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let outcome = if self.read_whole {
            "--time-ordered read it whole"
        } else {
            "--time-ordered answers may miss lines"
        };
        write!(
            f,
            "{}: lines out of time order by more than {} (by up to {}, first near byte {}); {outcome}",
            self.file,
            format_duration(self.slack),
            format_duration(self.by),
            self.offset
        )
    }
}

/// Parses a duration such as `30s`, `10m`, `1h`, `1h30m`, `500ms` or `2d`; a bare number is
/// seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration '{s}' (use e.g. 30s, 10m, 1h)");
    let t = s.trim();
    if t.is_empty() {
        return Err(bad());
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse().map(Duration::from_secs).map_err(|_| bad());
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let part = match rest[..unit].to_ascii_lowercase().as_str() {
            "ms" => Duration::from_millis(n),
            "s" | "sec" => Duration::from_secs(n),
            "m" | "min" => Duration::from_secs(n.checked_mul(60).ok_or_else(bad)?),
            "h" => Duration::from_secs(n.checked_mul(3600).ok_or_else(bad)?),
            "d" => Duration::from_secs(n.checked_mul(86_400).ok_or_else(bad)?),
            _ => return Err(bad()),
        };
        total = total.checked_add(part).ok_or_else(bad)?;
        rest = &rest[unit..];
    }
    Ok(total)
}

/// A duration as [`parse_duration`] reads it: `5m`, `1h30m`, `90ms`, `0s`.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return if d.is_zero() {
            "0s".to_string()
        } else {
            format!("{}ns", d.as_nanos())
        };
    }
    let (secs, ms) = (ms / 1000, ms % 1000);
    let (days, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    for (n, unit) in [(days, "d"), (h, "h"), (m, "m"), (s, "s"), (ms, "ms")] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    use proptest::prelude::*;

    use crate::parse::FormatRegistry;

    const SEC: i64 = 1_000_000_000;
    /// 2025-02-14T00:00:00Z.
    const T0: i64 = 1_739_491_200;

    /// One line of a test file: a combined row at `secs` past T0 (with `pad` extra bytes of
    /// URI), or a line that is not a row.
    #[derive(Debug, Clone)]
    enum L {
        Row(i64, usize),
        Junk,
    }

    fn text(line: &L) -> String {
        match line {
            L::Row(secs, pad) => {
                let t = chrono::DateTime::from_timestamp(T0 + secs, 0).expect("in range");
                format!(
                    "10.0.0.1 - - [{}] \"GET /{} HTTP/1.1\" 200 5 \"-\" \"curl/8\"",
                    t.format("%d/%b/%Y:%H:%M:%S +0000"),
                    "x".repeat(*pad)
                )
            }
            L::Junk => "this is not a log line".to_string(),
        }
    }

    /// A file of `lines` (each ended by `\n`) and the offset where each line starts.
    fn file(lines: &[L]) -> (tempfile::NamedTempFile, Vec<u64>) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let mut offsets = Vec::new();
        let mut at = 0u64;
        let mut out = Vec::new();
        for line in lines {
            offsets.push(at);
            let t = text(line);
            out.extend_from_slice(t.as_bytes());
            out.push(b'\n');
            at += t.len() as u64 + 1;
        }
        f.write_all(&out).unwrap();
        f.flush().unwrap();
        (f, offsets)
    }

    fn bounds(lo: Option<i64>, hi: Option<i64>) -> Bounds {
        Bounds {
            lo: lo.map(|s| (T0 + s) * SEC),
            hi: hi.map(|s| (T0 + s) * SEC),
        }
    }

    /// The kept span of `lines` for bounds in seconds past T0.
    fn span(lines: &[L], b: Bounds, slack_secs: i64, stop: u64) -> (Option<(u64, u64)>, Vec<u64>) {
        let (f, offsets) = file(lines);
        let len = f.as_file().metadata().unwrap().len();
        let combined = FormatRegistry::builtin().get("combined").unwrap();
        let (_, slot) = time_column(combined.columns()).unwrap();
        let kept = kept_span(f.as_file(), len, combined, slot, b, slack_secs * SEC, stop).unwrap();
        (kept.span(), offsets)
    }

    /// Asserts that every row within `b` starts in the kept span; returns the span.
    #[track_caller]
    fn exact(lines: &[L], b: Bounds, slack_secs: i64, stop: u64) -> (u64, u64, Vec<u64>) {
        let (kept, offsets) = span(lines, b, slack_secs, stop);
        let (start, end) = kept.expect("a span");
        for (line, &at) in lines.iter().zip(&offsets) {
            if let L::Row(secs, _) = line {
                let ts = (T0 + secs) * SEC;
                let inside = b.lo.is_none_or(|lo| ts >= lo) && b.hi.is_none_or(|hi| ts <= hi);
                assert!(
                    !inside || (start <= at && at < end),
                    "row at {at} ({secs}s) matches {b:?} but the span is {start}..{end}"
                );
            }
        }
        (start, end, offsets)
    }

    fn sorted(n: i64) -> Vec<L> {
        (0..n).map(|i| L::Row(i, 0)).collect()
    }

    #[test]
    fn sorted_file_is_cut_at_the_bounds() {
        let lines = sorted(10_000);
        for stop in [1, 4096, STOP_BYTES] {
            // ts >= 5000 with 60 s slack: everything before the last line older than 4940 s.
            let (start, end, at) = exact(&lines, bounds(Some(5000), None), 60, stop);
            assert_eq!(end, u64::MAX);
            assert!(start <= at[4939], "stop {stop}");
            assert!(
                start + stop + 512 >= at[4939],
                "stop {stop}: {start} vs {}",
                at[4939]
            );
            // ts <= 3000: up to the first line newer than 3060 s.
            let (start, end, at) = exact(&lines, bounds(None, Some(3000)), 60, stop);
            assert_eq!(start, 0);
            assert!(
                end >= at[3061] && end <= at[3061] + stop + 512,
                "stop {stop}"
            );
            // Both: a window in the middle.
            let (start, end, at) = exact(&lines, bounds(Some(7000), Some(7100)), 0, stop);
            assert!(start <= at[7000] && start + stop + 512 >= at[6999]);
            assert!(end > at[7100] && end <= at[7101] + stop + 512);
        }
        // With bisection down to single bytes the span is exactly the proofs.
        let (start, end, at) = exact(&lines, bounds(Some(5000), Some(6000)), 60, 1);
        assert_eq!((start, end), (at[4939], at[6061]));
    }

    #[test]
    fn bounds_before_the_start_and_after_the_end() {
        let lines: Vec<L> = (0..5000).map(|i| L::Row(1000 + i, 0)).collect();
        // All lines are newer than the lower bound: nothing skipped at the start.
        let (start, end, _) = exact(&lines, bounds(Some(10), None), 60, 1);
        assert_eq!((start, end), (0, u64::MAX));
        // All lines are newer than the upper bound plus the slack: nothing to read.
        let (start, end, _) = exact(&lines, bounds(None, Some(900)), 60, 1);
        assert_eq!(start, end);
        // Within the slack of the first line, it must still be read.
        let (_, end, at) = exact(&lines, bounds(None, Some(950)), 60, 1);
        assert_eq!(end, at[11]);
        // All lines are older than the lower bound minus the slack: only the last is read.
        let (start, end, at) = exact(&lines, bounds(Some(9000), None), 60, 1);
        assert_eq!((start, end), (at[4999], u64::MAX));
        // And with an upper bound past the end, nothing is cut at the end.
        let (_, end, _) = exact(&lines, bounds(Some(2000), Some(9000)), 60, 1);
        assert_eq!(end, u64::MAX);
    }

    #[test]
    fn equal_timestamps_spanning_the_probes() {
        // Three runs of 2000 lines with one timestamp each.
        let lines: Vec<L> = (0..6000).map(|i| L::Row(i / 2000 * 100, 0)).collect();
        for slack in [0, 50, 100, 150] {
            for stop in [1, 1024] {
                exact(&lines, bounds(Some(100), None), slack, stop);
                exact(&lines, bounds(Some(101), None), slack, stop);
                exact(&lines, bounds(None, Some(100)), slack, stop);
                exact(&lines, bounds(None, Some(99)), slack, stop);
                exact(&lines, bounds(Some(100), Some(100)), slack, stop);
            }
        }
        // Without slack, ts >= 100 starts at the last line of the first run.
        let (start, end, at) = exact(&lines, bounds(Some(100), Some(100)), 0, 1);
        assert_eq!((start, end), (at[1999], at[4000]));
    }

    #[test]
    fn rejects_at_the_probe_points() {
        // Runs of junk between rows: most probes start in junk and read past it.
        let lines: Vec<L> = (0..20_000)
            .map(|i| if i % 100 < 60 { L::Junk } else { L::Row(i, 0) })
            .collect();
        let (start, end, at) = exact(&lines, bounds(Some(10_000), Some(12_000)), 30, 1);
        assert!(start >= at[9800] && end <= at[12_200], "{start}..{end}");
        // A run of junk longer than a probe reads: the file is read whole.
        let mut lines = sorted(100);
        lines.extend(std::iter::repeat_n(L::Junk, PROBE_MAX_LINES * 3));
        lines.extend((100..200).map(|i| L::Row(i, 0)));
        assert_eq!(span(&lines, bounds(Some(150), None), 0, 1).0, None);
        // Junk at the very start and end.
        let mut lines = vec![L::Junk; 50];
        lines.extend(sorted(1000));
        lines.extend(vec![L::Junk; 50]);
        exact(&lines, bounds(Some(500), Some(600)), 0, 1);
        exact(&lines, bounds(Some(0), Some(999)), 0, 1);
        exact(&lines, bounds(Some(2000), None), 0, 1);
    }

    #[test]
    fn disorder_within_the_slack_keeps_answers_exact() {
        // Apache: lines written at request end (in order), stamped with the start.
        let mut rng = 7u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let lines: Vec<L> = (0..10_000)
            .map(|i| L::Row(i - (next() % 120) as i64, 0))
            .collect();
        for (lo, hi) in [
            (Some(3000), None),
            (None, Some(6000)),
            (Some(4000), Some(4010)),
        ] {
            for stop in [1, 777, STOP_BYTES] {
                let (start, end, _) = exact(&lines, bounds(lo, hi), 120, stop);
                assert!(start > 0 || end < u64::MAX, "pruned something");
            }
        }
    }

    #[test]
    fn disorder_beyond_the_slack_can_lose_lines_and_is_seen_when_read() {
        // A line 2 hours older than its neighbours, late in the file.
        let mut lines = sorted(10_000);
        lines[9000] = L::Row(100, 0);
        // ts <= 200 is cut after the first lines: the line at 9000 is not read. This is
        // the documented cost of a wrong assumption.
        let (kept, at) = span(&lines, bounds(None, Some(200)), 60, 1);
        assert_eq!(kept, Some((0, at[261])));
        // A scan of the part with it sees the disorder.
        let combined = FormatRegistry::builtin().get("combined").unwrap();
        let (_, slot) = time_column(combined.columns()).unwrap();
        let mut watch = OrderWatch {
            slot,
            slack: 60 * SEC,
            slack_given: Duration::from_secs(60),
            max: i64::MIN,
            found: None,
        };
        let mut parser = combined.parser();
        let mut rec = Record::default();
        for (i, line) in lines.iter().enumerate().skip(8000) {
            parser.parse(text(line).as_bytes(), &mut rec).unwrap();
            watch.observe(&rec, i as u64);
        }
        assert_eq!(watch.found, Some((9000, (8999 - 100) * SEC)));
        let stats = ScanStats::default();
        let file = LogFile {
            path: "a.log".into(),
            name: "a.log".into(),
            compression: crate::source::Compression::None,
            spool: None,
            held: None,
        };
        watch.finish(&file, &stats);
        let message = stats.disorder()[0].to_string();
        assert_eq!(
            message,
            "a.log: lines out of time order by more than 1m (by up to 2h28m19s, first near byte 9000); --time-ordered answers may miss lines"
        );
    }

    #[test]
    fn very_long_lines() {
        let lines: Vec<L> = (0..300)
            .map(|i| L::Row(i, if i % 7 == 3 { 300_000 } else { 0 }))
            .collect();
        for stop in [1, STOP_BYTES] {
            let (start, end, at) = exact(&lines, bounds(Some(150), Some(200)), 0, stop);
            assert!(start >= at[100] && end <= at[260], "{start}..{end}");
        }
    }

    #[test]
    fn one_line_and_empty_files() {
        let one = [L::Row(100, 0)];
        assert_eq!(exact(&one, bounds(Some(50), None), 0, 1).0, 0);
        let (start, end, _) = exact(&one, bounds(Some(150), None), 0, 1);
        assert_eq!((start, end), (0, u64::MAX), "the one line is read");
        let (start, end, _) = exact(&one, bounds(None, Some(50)), 0, 1);
        assert_eq!((start, end), (0, 0), "nothing to read");
        assert_eq!(
            span(&one, bounds(None, Some(150)), 0, 1).0,
            Some((0, u64::MAX))
        );
        assert_eq!(
            span(&[], bounds(Some(1), Some(2)), 0, 1).0,
            Some((0, u64::MAX))
        );
        assert_eq!(
            span(&[L::Junk], bounds(Some(1), None), 0, 1).0,
            Some((0, u64::MAX))
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// Sorted lines with bounded disorder, rejects and long lines mixed in: every row
        /// within the bounds is in the kept span, whatever the bounds and the stop size.
        #[test]
        fn kept_span_holds_every_matching_row(
            steps in prop::collection::vec((0i64..5, 0i64..=40, 0u8..10), 1..1500),
            jitter in 0i64..=40,
            extra_slack in 0i64..30,
            lo in prop::option::of(-50i64..3500),
            width in prop::option::of(0i64..2000),
            stop in prop_oneof![Just(1u64), 1u64..5000, Just(STOP_BYTES)],
        ) {
            let mut at = 0;
            let lines: Vec<L> = steps
                .iter()
                .map(|&(step, lag, kind)| {
                    at += step;
                    match kind {
                        0 => L::Junk,
                        1 => L::Row(at - lag.min(jitter), 3000),
                        _ => L::Row(at - lag.min(jitter), 0),
                    }
                })
                .collect();
            let hi = match (lo, width) {
                (Some(lo), Some(w)) => Some(lo + w),
                (None, Some(w)) => Some(w),
                _ => None,
            };
            prop_assume!(lo.is_some() || hi.is_some());
            exact(&lines, bounds(lo, hi), jitter + extra_slack, stop);
        }
    }

    #[test]
    fn bounds_from_the_filter() {
        use datafusion::common::ScalarValue;
        use datafusion::logical_expr::{col, lit};
        let combined = FormatRegistry::builtin().get("combined").unwrap();
        let columns = combined.all_columns();
        let (name, slot) = time_column(&columns).unwrap();
        assert_eq!(name, "ts");
        let ts = |s| lit(ScalarValue::TimestampSecond(Some(s), None));
        let filter = RowFilter::from_exprs(
            &[
                col("ts").gt_eq(ts(10)),
                col("ts").lt(ts(20)),
                col("ts").gt(ts(12)),
                col("status").gt_eq(lit(500)),
            ],
            &columns,
        );
        assert_eq!(
            Bounds::of(&filter, slot),
            Some(Bounds {
                lo: Some(12 * SEC + 1),
                hi: Some(20 * SEC - 1)
            })
        );
        let filter = RowFilter::from_exprs(&[col("status").gt_eq(lit(500))], &columns);
        assert_eq!(Bounds::of(&filter, slot), None);
    }

    #[test]
    fn durations() {
        for (text, secs) in [
            ("30s", 30),
            ("10m", 600),
            ("1h", 3600),
            ("1h30m", 5400),
            ("2d", 172_800),
            ("45", 45),
            ("0s", 0),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs(secs)),
                "{text}"
            );
        }
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        for bad in ["", "m", "5x", "1.5h", "-5m", "5 m"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        for secs in [0, 1, 59, 60, 300, 3600, 5400, 90_061] {
            let d = Duration::from_secs(secs);
            assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }
        assert_eq!(format_duration(Duration::from_secs(300)), "5m");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1s500ms");
    }
}
