//! One partition's work: read its byte ranges line by line, parse, and emit batches.
//!
//! Runs on a blocking thread; `emit` returns `false` when the consumer has gone away (LIMIT
//! satisfied, query cancelled), and the scan stops reading at once.

use std::fs::File;
use std::io::Read;
use std::sync::Arc;

use arrow::array::{Int64Builder, RecordBatch, StringBuilder};

use super::batch::{append_text, BatchBuilder, BATCH_BYTES};
use super::damage;
use super::filter::RowFilter;
use super::prune::{OrderWatch, TimePruning};
use super::schema::rejects_schema;
use super::stats::PartitionStats;
use crate::error::Result;
use crate::parse::record::slot_mask;
use crate::parse::{ColumnSource, ColumnSpec, Format, LineParser, Parsed, Record, RejectReason};
use crate::source::{FileRange, Line, LineReader, LogFile};

/// What a partition scans and how.
#[derive(Debug, Clone)]
pub struct ScanSpec {
    pub format: Arc<Format>,
    pub columns: Vec<ColumnSpec>,
    pub batch_size: usize,
    pub limit: Option<usize>,
    /// Pushed filters, applied exactly before a row is built.
    pub filter: RowFilter,
    /// Time-range pruning, when the table assumes its files are in time order.
    pub time_pruning: Option<TimePruning>,
}

/// Parses lines into batches of the projected columns until the limit or the consumer stops.
struct RowScanner<'a, E> {
    parser: Box<dyn LineParser>,
    batch_size: usize,
    builder: BatchBuilder,
    rec: Record,
    remaining: usize,
    filter: &'a RowFilter,
    stats: &'a PartitionStats,
    /// Checks the time order of a range that pruning narrowed.
    order: Option<OrderWatch>,
    emit: E,
}

impl<E: FnMut(RecordBatch) -> bool> RowScanner<'_, E> {
    /// Scans one range; returns `false` once nothing more is wanted. Counters reach `stats`
    /// before each batch is handed on, so whoever holds a batch sees the reading behind it
    /// (progress displays, the rejects report after a LIMIT).
    fn scan<R: Read>(&mut self, mut reader: LineReader<R>, file: &LogFile) -> Result<bool> {
        let (mut lines, mut rejected, mut reported_bytes) = (0u64, 0u64, 0u64);
        let mut line_number = 0u64;
        let mut go_on = true;
        // With a filter, the parser tests it as early as it can (see `parse_checked`),
        // unless the time order is being checked: that needs every row, matching or not
        // (and pruning leaves little to skip).
        let early = !self.filter.is_empty() && self.order.is_none();
        loop {
            let Line {
                start: offset,
                bytes: line,
                cut_from,
            } = match reader.next_line() {
                Ok(Some(found)) => found,
                Ok(None) => break,
                Err(e) => {
                    // Damaged compressed data: keep what came before, the cut line is a reject.
                    damage::on_read_error(file, line_number, e, self.stats)?;
                    if reader.take_tail().is_some() {
                        (lines, rejected) = (lines + 1, rejected + 1);
                    }
                    break;
                }
            };
            lines += 1;
            line_number += 1;
            let parsed = if let Some(bytes) = cut_from {
                Err(RejectReason::TooLong { bytes })
            } else if early {
                self.parser.parse_checked(line, &mut self.rec, self.filter)
            } else {
                self.parser.parse(line, &mut self.rec)
            };
            match parsed {
                Ok(Parsed::Row) => {}
                Ok(Parsed::Directive | Parsed::Skipped) => continue,
                Err(_) => {
                    rejected += 1;
                    continue;
                }
            }
            if !early {
                if let Some(order) = &mut self.order {
                    order.observe(&self.rec, offset);
                }
                if !self.filter.matches(&self.rec) {
                    continue;
                }
            }
            self.builder
                .append(line, &self.rec, &file.name, line_number);
            self.remaining -= 1;
            if self.builder.is_full(self.batch_size) || self.remaining == 0 {
                let bytes = reader.bytes_read();
                self.stats.add(lines, rejected, bytes - reported_bytes);
                (lines, rejected, reported_bytes) = (0, 0, bytes);
                go_on = (self.emit)(self.builder.finish()?) && self.remaining > 0;
                if !go_on {
                    break;
                }
            }
        }
        self.stats
            .add(lines, rejected, reader.bytes_read() - reported_bytes);
        if let Some(order) = self.order.take() {
            order.finish(file, self.stats);
        }
        Ok(go_on)
    }

    fn flush(&mut self) -> Result<()> {
        if !self.builder.is_empty() {
            (self.emit)(self.builder.finish()?);
        }
        Ok(())
    }
}

/// Scans `ranges` for rows; returns early when `emit` asks to stop.
pub fn scan_rows(
    spec: &ScanSpec,
    ranges: &[FileRange],
    stats: &PartitionStats,
    emit: impl FnMut(RecordBatch) -> bool,
) -> Result<()> {
    let slots = slots_read(spec);
    let new_parser = || {
        let mut parser = spec.format.parser();
        parser.read_only_slots(slots);
        parser
    };
    let mut scanner = RowScanner {
        parser: new_parser(),
        batch_size: spec.batch_size,
        builder: BatchBuilder::new(&spec.columns, spec.batch_size),
        rec: Record::default(),
        remaining: spec.limit.unwrap_or(usize::MAX),
        filter: &spec.filter,
        stats,
        order: None,
        emit,
    };
    if scanner.remaining == 0 {
        return Ok(());
    }
    for range in ranges {
        let file = &range.file;
        // A fresh parser per range: a W3C file's directives belong to that file alone.
        if !spec.format.splittable() {
            scanner.parser = new_parser();
        }
        scanner.order = spec.time_pruning.as_ref().and_then(|t| t.watch(file));
        // A plain file is read from a seek to its range; a compressed one is decoded whole, and
        // piped input still being copied is read as it comes.
        let go_on = if file.is_splittable() {
            let handle = File::open(&file.path).map_err(|e| file.io_error(e))?;
            let same_file = handle.try_clone().map_err(|e| file.io_error(e))?;
            let reader = LineReader::for_range(handle, range.start, range.end)
                .map_err(|e| file.io_error(e))?
                .planned_at(range.planned_len);
            let go_on = scanner.scan(reader, file)?;
            damage::check_not_shrunk(range, &same_file)?;
            go_on
        } else {
            scanner.scan(LineReader::new(file.stream()?), file)?
        };
        if !go_on {
            return Ok(());
        }
    }
    scanner.flush()
}

/// The record slots a scan reads (bit `n` for slot `n`): its columns', its filter's and, when
/// it checks the time order, all of them.
fn slots_read(spec: &ScanSpec) -> u64 {
    if spec.time_pruning.is_some() {
        return u64::MAX;
    }
    let columns = spec.columns.iter().filter_map(|c| match c.source {
        ColumnSource::Slot(slot) | ColumnSource::Request(slot, _) => Some(slot),
        ColumnSource::File | ColumnSource::Line => None,
    });
    slot_mask(columns.chain(spec.filter.slots()))
}

/// Scans whole files for the lines that are not rows, numbering lines from 1.
pub fn scan_rejects(
    format: &Format,
    files: &[LogFile],
    batch_size: usize,
    limit: Option<usize>,
    stats: &PartitionStats,
    mut emit: impl FnMut(RecordBatch) -> bool,
) -> Result<()> {
    let mut rec = Record::default();
    let mut out = RejectsBuilder::default();
    let mut remaining = limit.unwrap_or(usize::MAX);
    for file in files {
        // Each file starts afresh (a W3C file's directives are its own).
        let mut parser = format.parser();
        let mut reader = LineReader::new(file.stream()?);
        let mut number = 0i64;
        loop {
            let (line, result) = match reader.next_line() {
                Ok(Some(Line {
                    bytes,
                    cut_from: Some(length),
                    ..
                })) => (bytes, Err(RejectReason::TooLong { bytes: length })),
                Ok(Some(Line { bytes, .. })) => (bytes, parser.parse(bytes, &mut rec)),
                Ok(None) => break,
                Err(e) => {
                    damage::on_read_error(file, number as u64, e, stats)?;
                    match reader.take_tail() {
                        Some(tail) => (tail, Err(RejectReason::CutByDamage)),
                        None => break,
                    }
                }
            };
            number += 1;
            if remaining == 0 {
                break;
            }
            let cut = matches!(result, Err(RejectReason::CutByDamage));
            if let Err(reason) = result {
                let reason = reason.describe(|slot| format.slot_name(slot));
                out.push(&file.name, number, line, &reason);
                remaining -= 1;
                if out.is_full(batch_size) && !emit(out.finish()?) {
                    return Ok(());
                }
            }
            if cut {
                break;
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
    line_bytes: usize,
}

impl RejectsBuilder {
    fn push(&mut self, file: &str, number: i64, line: &[u8], reason: &str) {
        self.file.append_value(file);
        self.number.append_value(number);
        append_text(&mut self.line, line);
        self.reason.append_value(reason);
        self.rows += 1;
        self.line_bytes += line.len();
    }

    /// As [`BatchBuilder::is_full`].
    fn is_full(&self, batch_size: usize) -> bool {
        self.rows >= batch_size || self.line_bytes >= BATCH_BYTES
    }

    fn finish(&mut self) -> Result<RecordBatch> {
        (self.rows, self.line_bytes) = (0, 0);
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
