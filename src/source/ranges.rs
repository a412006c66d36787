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

/// Distributes files of the given sizes over at most `partitions` partitions of roughly equal
/// bytes. Plain files larger than `min_split` are cut into byte ranges (line alignment happens
/// when reading). Every partition returned is non-empty.
pub fn plan_partitions(
    files: &[(LogFile, u64)],
    partitions: usize,
    min_split: u64,
) -> Vec<Vec<FileRange>> {
    let partitions = partitions.max(1);
    let total: u64 = files.iter().map(|(_, len)| *len).sum();
    let target = (total / partitions as u64).max(min_split).max(1);
    let mut pieces = Vec::new();
    for (file, len) in files {
        let splittable = file.compression.is_splittable();
        let n = if splittable && *len > min_split {
            len.div_ceil(target).max(1)
        } else {
            1
        };
        let step = len.div_ceil(n).max(1);
        let mut start = 0;
        loop {
            let end = (start + step).min(*len);
            pieces.push(FileRange {
                file: file.clone(),
                start,
                end: if end >= *len { u64::MAX } else { end },
                planned_len: *len,
            });
            if end >= *len {
                break;
            }
            start = end;
        }
    }
    // Greedy: each piece to the partition with the fewest bytes so far.
    let mut groups: Vec<(u64, Vec<FileRange>)> =
        vec![(0, Vec::new()); partitions.min(pieces.len()).max(1)];
    for piece in pieces {
        let size = piece.end.min(total).saturating_sub(piece.start);
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
    fn empty_file_list_gives_one_empty_group_or_none() {
        assert!(plan_partitions(&[], 2, 10).is_empty());
        assert_eq!(plan_partitions(&[(p("e"), 0)], 2, 10).len(), 1);
    }
}
