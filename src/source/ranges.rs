//! Splitting the files of a table into byte ranges, one group of ranges per partition.

use super::input::LogFile;

/// Below this size a file is not split: the overhead would outweigh the gain.
pub const MIN_SPLIT_BYTES: u64 = 4 * 1024 * 1024;

/// A part of one file: the lines that start in `[start, end)` (`end` is `u64::MAX` for "to
/// the end", which also covers growth since planning). Compressed files are always whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRange {
    pub file: LogFile,
    pub start: u64,
    pub end: u64,
    /// The file's size when the scan was planned: a plain file found smaller than this after
    /// its range was read was truncated during the query, and the answer would mix two states.
    pub planned_len: u64,
}

/// The part of a file a scan reads: the lines that start in `[start, end)` of a file of `len`
/// bytes (`end` is `u64::MAX` for "to the end"). A whole file is `0..u64::MAX`; time-range
/// pruning keeps less.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpan {
    pub file: LogFile,
    pub len: u64,
    pub start: u64,
    pub end: u64,
}

impl FileSpan {
    /// All of a file of `len` bytes.
    pub fn whole(file: LogFile, len: u64) -> Self {
        FileSpan {
            file,
            len,
            start: 0,
            end: u64::MAX,
        }
    }

    /// The bytes the span covers, as planned.
    pub fn bytes(&self) -> u64 {
        self.end.min(self.len).saturating_sub(self.start)
    }
}

/// Distributes files of the given sizes over at most `partitions` partitions of roughly equal
/// bytes. Plain files larger than `min_split` are cut into byte ranges (line alignment happens
/// when reading). Every partition returned is non-empty.
pub fn plan_partitions(
    files: &[(LogFile, u64)],
    partitions: usize,
    min_split: u64,
) -> Vec<Vec<FileRange>> {
    let spans: Vec<FileSpan> = files
        .iter()
        .map(|(file, len)| FileSpan::whole(file.clone(), *len))
        .collect();
    plan_spans(&spans, partitions, min_split)
}

/// [`plan_partitions`] over parts of files: the bytes of every span are shared out among the
/// partitions, and nothing outside the spans is read.
pub fn plan_spans(spans: &[FileSpan], partitions: usize, min_split: u64) -> Vec<Vec<FileRange>> {
    let partitions = partitions.max(1);
    let total: u64 = spans.iter().map(FileSpan::bytes).sum();
    let target = (total / partitions as u64).max(min_split).max(1);
    let mut pieces = Vec::new();
    for span in spans {
        if span.end <= span.start {
            continue; // nothing of this file is read
        }
        let (file, len) = (&span.file, span.len);
        let bytes = span.bytes();
        let stop = span.end.min(len);
        let splittable = file.is_splittable();
        let n = if splittable && bytes > min_split {
            bytes.div_ceil(target).max(1)
        } else {
            1
        };
        let step = bytes.div_ceil(n).max(1);
        let mut start = span.start;
        loop {
            let end = (start + step).min(stop);
            let last = end >= stop;
            pieces.push(FileRange {
                file: file.clone(),
                start,
                // The last piece keeps the span's own end: "to the end" covers growth.
                end: if last { span.end } else { end },
                planned_len: len,
            });
            if last {
                break;
            }
            start = end;
        }
    }
    // Greedy: each piece to the partition with the fewest bytes so far.
    let mut groups: Vec<(u64, Vec<FileRange>)> =
        vec![(0, Vec::new()); partitions.min(pieces.len()).max(1)];
    for piece in pieces {
        let size = piece.end.min(piece.planned_len).saturating_sub(piece.start);
        let slot = groups
            .iter_mut()
            .min_by_key(|(bytes, _)| *bytes)
            .expect("at least one group");
        slot.0 += size;
        slot.1.push(piece);
    }
    groups
        .into_iter()
        .map(|(_, g)| g)
        .filter(|g| !g.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::source::Compression;

    fn p(name: &str) -> LogFile {
        LogFile {
            path: name.into(),
            name: name.into(),
            compression: Compression::None,
            spool: None,
            held: None,
        }
    }

    #[test]
    fn small_files_are_whole() {
        let plan = plan_partitions(&[(p("a"), 10), (p("b"), 20)], 4, 100);
        assert_eq!(plan.len(), 2);
        assert!(plan
            .iter()
            .flatten()
            .all(|r| r.start == 0 && r.end == u64::MAX));
    }

    #[test]
    fn large_file_is_split_evenly_and_covers_everything() {
        let plan = plan_partitions(&[(p("a"), 1000)], 4, 10);
        assert_eq!(plan.len(), 4);
        let mut ranges: Vec<_> = plan.into_iter().flatten().collect();
        ranges.sort_by_key(|r| r.start);
        assert_eq!(ranges[0].start, 0);
        for w in ranges.windows(2) {
            assert_eq!(w[0].end, w[1].start);
        }
        assert_eq!(ranges.last().unwrap().end, u64::MAX);
    }

    #[test]
    fn compressed_files_are_never_split() {
        let gz = LogFile {
            compression: Compression::Gzip,
            ..p("a.gz")
        };
        let plan = plan_partitions(&[(gz, 1000)], 4, 10);
        assert_eq!(plan.len(), 1);
        assert_eq!((plan[0][0].start, plan[0][0].end), (0, u64::MAX));
    }

    #[test]
    fn spans_are_split_within_their_bounds() {
        let span = |start, end| FileSpan {
            start,
            end,
            ..FileSpan::whole(p("a"), 1000)
        };
        for (start, end) in [(100, 700), (0, 300), (600, u64::MAX), (0, u64::MAX)] {
            let plan = plan_spans(&[span(start, end)], 3, 10);
            assert_eq!(plan.len(), 3, "{start}..{end}");
            let mut ranges: Vec<_> = plan.into_iter().flatten().collect();
            ranges.sort_by_key(|r| r.start);
            assert_eq!(ranges[0].start, start);
            for w in ranges.windows(2) {
                assert_eq!(w[0].end, w[1].start);
            }
            assert_eq!(ranges.last().unwrap().end, end);
            let sizes: Vec<u64> = ranges.iter().map(|r| r.end.min(1000) - r.start).collect();
            let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(max - min <= 1, "even pieces: {sizes:?}");
        }
        assert!(plan_spans(&[span(500, 500)], 2, 10).is_empty());
        // Bytes are balanced over what is kept, not over the files' sizes.
        let plan = plan_spans(&[span(900, u64::MAX), FileSpan::whole(p("b"), 100)], 2, 10);
        assert_eq!(plan.len(), 2);
        assert!(plan.iter().all(|g| g.len() == 1), "{plan:?}");
    }

    #[test]
    fn empty_file_list_gives_one_empty_group_or_none() {
        assert!(plan_partitions(&[], 2, 10).is_empty());
        assert_eq!(plan_partitions(&[(p("e"), 0)], 2, 10).len(), 1);
    }
}
