//! Damaged input: what a scan does when a file stops being readable part-way.
//!
//! A compressed file can be cut short (a copy interrupted, a disk filled while rotating) or
//! corrupted. Failing the whole query would throw away every good line before the damage, and
//! quietly stopping would lose the rest without a word. So the scan keeps the complete lines
//! decoded before the damage, makes the line the damage cut off a reject
//! ([`RejectReason::CutByDamage`](crate::parse::RejectReason::CutByDamage)), records a
//! [`Damage`] in the table's [`ScanStats`], and goes on with the next file. The command line
//! prints the answer, one line per damaged file on stderr, and exits with a status that says
//! the answer is partial.
//!
//! Bytes after the last complete member of a compressed file that are not compressed data
//! (junk, or a member whose header is damaged) end its data cleanly, after its last line
//! ([`TrailingData`]): no line is cut off, and the [`Damage`] recorded says that every line
//! before them was read. They are still damage: what they held, if anything, is not read.
//! Zero bytes there are padding, not damage (see [`crate::source::members`]).
//!
//! A read error on a plain file is not damage of this kind (the file is there but the device
//! or the mount fails): it stays an error that fails the query. So does a plain file that
//! shrinks while it is read (truncated or rotated with `copytruncate` during the query): its
//! ranges were planned on the old size, and the answer would mix two states of the file.

use std::fmt;
use std::fs::File;
use std::io;

use super::stats::ScanStats;
use crate::error::{Error, Result};
use crate::source::members::InsideABlock;
use crate::source::spool::is_input_failure;
use crate::source::{FileRange, LogFile, TrailingData};

/// Where a file's readable content ended early, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// The file as the user named it.
    pub file: String,
    /// Complete lines read before the damage (the cut-off line, if any, is not counted).
    pub lines_before: u64,
    /// What the decoder said.
    pub error: String,
    /// Whether the data ended cleanly, every line of it read, before bytes that are not
    /// compressed data (see [`TrailingData`]); otherwise the damage cut the data short.
    pub after_last_member: bool,
    /// Whether an xz or bzip2 decoder found the damage inside a block (see [`InsideABlock`]).
    pub inside_a_block: bool,
}

impl Damage {
    /// Whether the decoder found the damage by a checksum, which gzip, bzip2, xz and zstd check
    /// only at the end of a member, block or frame: the lines decoded before it came from the
    /// same damaged data and may be garbage too.
    pub fn found_by_checksum(&self) -> bool {
        if self.after_last_member {
            return false;
        }
        let error = self.error.to_ascii_lowercase();
        error.contains("checksum") || error.contains("crc")
    }

    /// Whether an xz or bzip2 decoder found the damage inside a block: the lines read
    /// before it may come from the same block, not yet checked.
    pub fn found_inside_a_block(&self) -> bool {
        !self.after_last_member && self.inside_a_block
    }
}

/// The end of the warning about bytes after the last complete member.
const MISSING_IF_MEMBER: &str = "if those bytes were a damaged member, its lines are missing";

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let (file, lines, error) = (&self.file, self.lines_before, &self.error);
        if self.after_last_member {
            // What the bytes were cannot be told: a member whose header is damaged loses its
            // lines, so "none lost" is not said.
            let lines = match lines {
                0 => "no line came before them".to_string(),
                1 => "the 1 line before them was read".to_string(),
                n => format!("all {n} lines before them were read"),
            };
            write!(f, "{file}: {error}; {lines}; {MISSING_IF_MEMBER}")
        } else if self.found_inside_a_block() {
            write!(
                f,
                "{file}: compressed data damaged after line {lines} ({error}); the lines read \
                 before it may be damaged too"
            )
        } else if self.found_by_checksum() {
            write!(
                f,
                "{file}: compressed data damaged, found by its checksum after line {lines} \
                 ({error}); the lines read before it may be damaged too"
            )
        } else {
            write!(
                f,
                "{file}: compressed data damaged after line {lines} ({error}); only the lines \
                 before the damage were read"
            )
        }
    }
}

/// Decides about a read error in `file` after `lines_before` complete lines: damage of a
/// compressed file is recorded in `stats` (`Ok`, the scan goes on with the next file); any
/// other error fails the scan.
pub(crate) fn on_read_error(
    file: &LogFile,
    lines_before: u64,
    error: io::Error,
    stats: &ScanStats,
) -> Result<()> {
    if is_input_failure(&error) {
        // Piped input that broke off: not damaged data, and named as the user knows it.
        return Err(file.io_error(error));
    }
    if file.compression.is_splittable() || error.kind() == io::ErrorKind::Interrupted {
        return Err(file.io_error(error));
    }
    let text = error.to_string().replace('\n', " ");
    stats.record_damage(Damage {
        file: file.name.clone(),
        lines_before,
        error: text,
        after_last_member: TrailingData::of(&error).is_some(),
        inside_a_block: InsideABlock::of(&error),
    });
    Ok(())
}

/// Fails if the plain file behind `range` (open as `file`) is now smaller than when the scan
/// was planned. Growth is fine: logs are appended to while they are queried.
pub(crate) fn check_not_shrunk(range: &FileRange, file: &File) -> Result<()> {
    let now = file.metadata().map_err(|e| range.file.io_error(e))?.len();
    if now < range.planned_len {
        return Err(Error::Shrank {
            path: range.file.path.clone(),
            planned: range.planned_len,
            now,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Damage a decoder finds by a checksum is not said to have spared the lines before it.
    #[test]
    fn damage_found_by_a_checksum_says_the_lines_before_are_suspect() {
        let damage = |error: &str| Damage {
            file: "a.gz".into(),
            lines_before: 10,
            error: error.into(),
            after_last_member: false,
            inside_a_block: false,
        };
        let cut = damage("unexpected end of file").to_string();
        assert!(
            cut.contains("after line 10") && cut.contains("only the lines before"),
            "{cut}"
        );
        for error in [
            "corrupt gzip stream does not have a matching checksum",
            "bzip2: data integrity (CRC) error in data",
        ] {
            let text = damage(error).to_string();
            assert!(text.contains("may be damaged too"), "{text}");
            assert!(!text.contains("only the lines before"), "{text}");
        }
    }

    /// Bytes after the last complete member: every line before them was read, whatever the
    /// decoder said, and the warning says so, without claiming that none was lost (the bytes
    /// may have been a member whose header is damaged).
    #[test]
    fn bytes_after_the_last_member_cut_no_line() {
        let damage = |lines_before| Damage {
            file: "a.gz".into(),
            lines_before,
            error: "the 4 bytes after its last complete gzip member are not compressed data \
                    and were ignored (crc)"
                .into(),
            after_last_member: true,
            inside_a_block: false,
        };
        assert!(!damage(2).found_by_checksum());
        let text = damage(2).to_string();
        assert!(
            text.starts_with("a.gz: the 4 bytes after its last complete gzip member")
                && text.ends_with(
                    "; all 2 lines before them were read; if those bytes were a damaged \
                     member, its lines are missing"
                ),
            "{text}"
        );
        assert!(damage(1)
            .to_string()
            .ends_with("the 1 line before them was read; if those bytes were a damaged member, its lines are missing"));
        assert!(damage(0)
            .to_string()
            .contains("no line came before them; if those bytes"));
        assert!(!damage(2).to_string().contains("none lost"));
    }
}
