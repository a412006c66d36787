//! Where bytes come from: files (plain or compressed) found from paths, globs and
//! directories, split into line-aligned ranges, read a line at a time.

pub mod follow;
pub mod input;
pub mod lines;
pub mod members;
pub mod ranges;
pub mod read_ahead;
pub mod spool;

pub use input::{
    expand_paths, find_log_files, Compression, DirFilter, LeftOut, LogFile, LogFiles, Unsupported,
};
pub use lines::{Line, LineReader, BOM, CUT_LINE_KEEPS, MAX_LINE};
pub use members::TrailingData;
pub use ranges::{plan_partitions, plan_spans, FileRange, FileSpan, MIN_SPLIT_BYTES};
pub use spool::Spool;
