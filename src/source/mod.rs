//! Where bytes come from: files, split into line-aligned ranges, read a line at a time.

pub mod lines;
pub mod ranges;

pub use lines::LineReader;
pub use ranges::{plan_partitions, FileRange, MIN_SPLIT_BYTES};
