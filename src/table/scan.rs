//! One partition's work: read its byte ranges line by line, parse, and emit batches.
//!
//! Runs on a blocking thread; `emit` returns `false` when the consumer has gone away (LIMIT
//! satisfied, query cancelled), and the scan stops reading at once.

use std::fs::File;
use std::sync::Arc;

use arrow::array::{Int64Builder, RecordBatch, StringBuilder};

use super::batch::{append_text, AccessBatchBuilder};
use super::schema::{rejects_schema, Column};
use super::stats::ScanStats;
use crate::error::{Error, Result};
use crate::parse::{parse_access_line, AccessRecord, LogFormat};
use crate::source::{FileRange, LineReader};

/// What a partition scans and how.
#[derive(Debug, Clone)]
pub struct ScanSpec {
    pub format: LogFormat,
    pub columns: Vec<Column>,
    pub batch_size: usize,
    pub limit: Option<usize>,
}

/// Scans `ranges` for rows; returns early when `emit` asks to stop.
pub fn scan_rows(
    spec: &ScanSpec,
    ranges: &[FileRange],
    stats: &ScanStats,
    mut emit: impl FnMut(RecordBatch) -> bool,
) -> Result<()> {
    let flavor = spec.format.flavor();
    let mut builder = AccessBatchBuilder::new(&spec.columns, spec.batch_size);
    let mut rec = AccessRecord::default();
    let mut remaining = spec.limit.unwrap_or(usize::MAX);
    for range in ranges {
        if remaining == 0 {
            break;
        }
        let file = File::open(&range.path).map_err(|e| Error::io(&range.path, e))?;
        let mut reader =
            LineReader::for_range(file, range.start, range.end).map_err(|e| Error::io(&range.path, e))?;
        let (mut lines, mut rejected) = (0u64, 0u64);
        let mut stopped = false;
        while let Some((_, line)) = reader.next_line().map_err(|e| Error::io(&range.path, e))? {
            lines += 1;
            if parse_access_line(flavor, line, &mut rec).is_err() {
                rejected += 1;
                continue;
            }
            builder.append(line, &rec);
            remaining -= 1;
            if builder.len() >= spec.batch_size || remaining == 0 {
                if !emit(builder.finish()?) {
                    stopped = true;
                    break;
                }
                if remaining == 0 {
                    break;
                }
            }
        }
        stats.add(lines, rejected, reader.bytes_read());
        if stopped {
            return Ok(());
        }
    }
    if !builder.is_empty() {
        emit(builder.finish()?);
    }
    Ok(())
}

/// Scans whole files for the lines that are not rows, numbering lines from 1.
pub fn scan_rejects(
    format: LogFormat,
    paths: &[std::path::PathBuf],
    batch_size: usize,
    limit: Option<usize>,
    mut emit: impl FnMut(RecordBatch) -> bool,
) -> Result<()> {
    let flavor = format.flavor();
    let mut rec = AccessRecord::default();
    let mut out = RejectsBuilder::default();
    let mut remaining = limit.unwrap_or(usize::MAX);
    for path in paths {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let mut reader = LineReader::new(file);
        let name = path.display().to_string();
        let mut number = 0i64;
        while let Some((_, line)) = reader.next_line().map_err(|e| Error::io(path, e))? {
            number += 1;
            if remaining == 0 {
                break;
            }
            if let Err(reason) = parse_access_line(flavor, line, &mut rec) {
                out.push(&name, number, line, &reason.to_string());
                remaining -= 1;
                if out.rows >= batch_size && !emit(out.finish()?) {
                    return Ok(());
                }
            }
        }
    }
    if out.rows > 0 {
        emit(out.finish()?);
    }
    Ok(())
}

#[derive(Default)]
struct RejectsBuilder {
    file: StringBuilder,
    number: Int64Builder,
    line: StringBuilder,
    reason: StringBuilder,
    rows: usize,
}

impl RejectsBuilder {
    fn push(&mut self, file: &str, number: i64, line: &[u8], reason: &str) {
        self.file.append_value(file);
        self.number.append_value(number);
        append_text(&mut self.line, line);
        self.reason.append_value(reason);
        self.rows += 1;
    }

    fn finish(&mut self) -> Result<RecordBatch> {
        self.rows = 0;
        Ok(RecordBatch::try_new(
            rejects_schema(),
            vec![
                Arc::new(self.file.finish()),
                Arc::new(self.number.finish()),
                Arc::new(self.line.finish()),
                Arc::new(self.reason.finish()),
            ],
        )?)
    }
}
