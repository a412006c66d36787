//! `LogTable`: a DataFusion `TableProvider` over log files, and its rejects companion.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;

use super::batch::BatchBuilder;
use super::exec::{LogScanExec, ScanKind};
use super::filter::{self, RowFilter};
use super::follow::{FollowOptions, FollowScanExec};
use super::prune::{self, Bounds, Disorder, Kept, TimePruning};
use super::scan::ScanSpec;
use super::schema::{rejects_schema, schema_of};
use super::stats::ScanStats;
use crate::error::{Error, Result};
use crate::parse::{ColumnSpec, Format, FormatChoice, FormatRegistry};
use crate::source::{
    find_log_files, plan_spans, DirFilter, FileSpan, LeftOut, LogFile, BOM, MIN_SPLIT_BYTES,
};

/// How much of a file auto-detection looks at.
const SAMPLE_BYTES: usize = 64 * 1024;
const SAMPLE_LINES: usize = 64;
/// How far detection reads to find the end of a very long first line: no further than the
/// scan holds a line.
const SAMPLE_MAX_BYTES: usize = crate::source::MAX_LINE;

/// A set of log files of one format, queried as one table.
#[derive(Debug, Clone)]
pub struct LogTable {
    files: Vec<LogFile>,
    format: Arc<Format>,
    /// Visible columns then `_file`, `_line`: the schema's fields, in order.
    columns: Vec<ColumnSpec>,
    schema: SchemaRef,
    stats: Arc<ScanStats>,
    min_split: u64,
    /// Whether the format was detected from the data rather than given.
    detected: bool,
    /// Set: the table is the endless stream of lines appended to its files.
    follow: Option<FollowOptions>,
    /// Set: the files' lines are assumed in time order within this slack (see
    /// [`LogTable::with_time_ordered`]).
    time_ordered: Option<Duration>,
    /// Files detection sampled whose first lines the detected format reads none of.
    unread: Vec<String>,
    /// Files a walk or glob found that logsql does not read, left out of the table.
    left_out: Vec<LeftOut>,
}

impl LogTable {
    /// Opens paths (files, directories and glob patterns, see
    /// [`crate::source::expand_paths`]) as one table, settling the format (detected from the
    /// first lines among the built-in formats when `choice` is `Auto`).
    pub fn open(paths: &[PathBuf], choice: FormatChoice) -> Result<Self> {
        let found = find_log_files(paths, &DirFilter::default())?;
        Ok(Self::from_files(found.files, choice)?.with_left_out(found.left_out))
    }

    /// A table over files already found and checked, detecting among the built-in formats.
    pub fn from_files(files: Vec<LogFile>, choice: FormatChoice) -> Result<Self> {
        Self::from_files_with(files, choice, FormatRegistry::builtin())
    }

    /// A table over files already found, detecting among `registry`'s formats when `choice`
    /// is `Auto`. Formats whose columns depend on the data (JSON, W3C) are settled from the
    /// first lines.
    pub fn from_files_with(
        files: Vec<LogFile>,
        choice: FormatChoice,
        registry: &FormatRegistry,
    ) -> Result<Self> {
        if files.is_empty() {
            return Err(Error::NoInput);
        }
        let detected = choice == FormatChoice::Auto;
        let mut unread = Vec::new();
        let format = match choice {
            FormatChoice::Fixed(format) if format.needs_sample() => {
                let sample = first_lines(&files)?;
                let lines: Vec<&[u8]> = sample.iter().map(Vec::as_slice).collect();
                Arc::new(
                    format
                        .settle(&lines)
                        .map_err(|reason| Error::FormatMismatch {
                            format: format.name().to_string(),
                            reason,
                        })?,
                )
            }
            FormatChoice::Fixed(format) => format,
            FormatChoice::Auto => {
                let (format, unread_files) = detect_files(&files, registry)?;
                unread = unread_files;
                format
            }
        };
        let columns = format.all_columns();
        Ok(LogTable {
            files,
            schema: schema_of(&format),
            columns,
            format,
            stats: Arc::new(ScanStats::default()),
            min_split: MIN_SPLIT_BYTES,
            detected,
            follow: None,
            time_ordered: None,
            unread,
            left_out: Vec::new(),
        })
    }

    /// Whether the format was detected from the first lines (no format was given).
    pub fn detected(&self) -> bool {
        self.detected
    }

    /// The files, among those detection sampled, of whose first lines the detected format
    /// reads none (a JSON log beside access logs): their lines will likely all be rejects.
    pub fn unread_files(&self) -> &[String] {
        &self.unread
    }

    /// Records the files left out of the table (see [`LeftOut`]), for its user to name.
    pub fn with_left_out(mut self, left_out: Vec<LeftOut>) -> Self {
        self.left_out = left_out;
        self
    }

    /// The files a walk or glob found that logsql does not read, left out of the table: the
    /// answers cover every other file.
    pub fn left_out(&self) -> &[LeftOut] {
        &self.left_out
    }

    /// Splits files into ranges from `bytes` upwards instead of the default (tests use this to
    /// force many partitions on small files).
    pub fn with_min_split_bytes(mut self, bytes: u64) -> Self {
        self.min_split = bytes.max(1);
        self
    }

    /// States that each file's lines are in time order, within `slack`: every line's time is
    /// at least the greatest time of the lines before it in its file, minus `slack` (Apache
    /// logs the time a request started but writes the line when it ends, so lines are out of
    /// order by up to a request's duration). A query bounding the time column (`ts >= ...`,
    /// `ts < ...`, `BETWEEN`) then reads only the part of each plain file that can hold
    /// matching lines, found by binary search, instead of the whole file; see [`prune`]. The
    /// answer is exact when the assumption holds. Lines read that break it are reported in
    /// [`ScanStats::disorder`]; lines skipped cannot be checked.
    ///
    /// Not applied to compressed files, when `_line` is selected (line numbers need each
    /// file from its top), to formats that cannot be split (W3C), or in follow mode.
    pub fn with_time_ordered(mut self, slack: Duration) -> Self {
        self.time_ordered = Some(slack);
        self
    }

    /// The slack of the time order the table assumes, if it assumes one.
    pub fn time_ordered(&self) -> Option<Duration> {
        self.time_ordered
    }

    /// Makes the table follow its files: an unbounded stream of the lines appended to them
    /// (and, with `from_start`, the lines already there), across rotation and truncation.
    /// Queries then run until cancelled: filters and projections stream row by row, while
    /// DataFusion refuses aggregates and sorts over the whole stream. Compressed files
    /// cannot be followed.
    pub fn follow(mut self, options: FollowOptions) -> Result<Self> {
        if let Some(file) = self.files.iter().find(|f| !f.compression.is_splittable()) {
            return Err(Error::CannotFollow {
                path: file.name.clone().into(),
                reason: format!("it is {}-compressed", file.compression.name()),
            });
        }
        // A named pipe (`<(cmd)`) is read once, into a copy: there is no file to watch.
        if let Some(file) = self.files.iter().find(|f| f.spool.is_some()) {
            return Err(Error::CannotFollow {
                path: file.name.clone().into(),
                reason: "it is a pipe (write it to a file to follow it)".into(),
            });
        }
        self.follow = Some(options);
        Ok(self)
    }

    /// How the table follows its files, if it does.
    pub fn follow_options(&self) -> Option<FollowOptions> {
        self.follow
    }

    pub fn format(&self) -> &Arc<Format> {
        &self.format
    }

    pub fn files(&self) -> &[LogFile] {
        &self.files
    }

    /// Counters of the scans run since the last reset (lines, rejects, bytes).
    pub fn stats(&self) -> &Arc<ScanStats> {
        &self.stats
    }

    /// The companion table listing the lines of these files that are not rows.
    pub fn rejects_table(&self) -> RejectsTable {
        RejectsTable {
            files: self.files.clone(),
            format: self.format.clone(),
            stats: self.stats.clone(),
        }
    }

    /// The columns and Arrow schema of a projection (indices into the schema; `None`: all).
    fn projected(&self, projection: Option<&[usize]>) -> Result<(Vec<ColumnSpec>, SchemaRef)> {
        Ok(match projection {
            Some(p) => (
                p.iter().map(|&i| self.columns[i].clone()).collect(),
                Arc::new(self.schema.project(p)?),
            ),
            None => (self.columns.clone(), self.schema.clone()),
        })
    }

    /// Builds the scan for `projection` (indices into the schema), any `limit`, over
    /// `target_partitions` partitions.
    pub fn scan_plan(
        &self,
        projection: Option<&[usize]>,
        filters: &[Expr],
        limit: Option<usize>,
        target_partitions: usize,
    ) -> Result<LogScanExec> {
        let (columns, schema) = self.projected(projection)?;
        // Line numbers, and formats whose lines depend on earlier ones, need each file read
        // from its top: no splitting then.
        let line_numbers = BatchBuilder::needs_line_numbers(&columns);
        let min_split = if line_numbers || !self.format.splittable() {
            u64::MAX
        } else {
            self.min_split
        };
        let filter = RowFilter::from_exprs(filters, &self.columns);
        // Pruning seeks in whole files: piped plain text it may prune is waited for; other
        // scans read piped input as it comes.
        let may_prune = self.time_ordered.is_some()
            && !line_numbers
            && self.format.splittable()
            && prune::time_column(&self.columns)
                .is_some_and(|(_, slot)| Bounds::of(&filter, slot).is_some());
        let mut spans = Vec::with_capacity(self.files.len());
        for file in &self.files {
            let file = if may_prune && file.compression.is_splittable() {
                file.completed()?
            } else {
                file.settled()
            };
            let len = std::fs::metadata(&file.path)
                .map_err(|e| file.io_error(e))?
                .len();
            spans.push(FileSpan::whole(file, len));
        }
        let time_pruning = match self.time_ordered {
            Some(slack) => Some(self.prune(&mut spans, &filter, slack, line_numbers)?),
            None => None,
        };
        let partitions = plan_spans(&spans, target_partitions, min_split);
        let spec = ScanSpec {
            format: self.format.clone(),
            columns,
            batch_size: 8192,
            limit,
            filter,
            time_pruning,
        };
        Ok(LogScanExec::new(
            ScanKind::Rows { spec, partitions },
            schema,
            self.stats.clone(),
        ))
    }

    /// Narrows each plain file's span to the lines that can match the time bounds of `filter`
    /// if the files are in time order within `slack`; says what was done, or why not.
    fn prune(
        &self,
        spans: &mut [FileSpan],
        filter: &RowFilter,
        slack: Duration,
        line_numbers: bool,
    ) -> Result<TimePruning> {
        let total_bytes = spans.iter().map(FileSpan::bytes).sum();
        let Some((column, slot)) = prune::time_column(&self.columns) else {
            return Ok(TimePruning {
                slack,
                column: String::new(),
                slot: 0,
                not_applied: Some("the format has no timestamp column"),
                total_bytes,
                kept_bytes: total_bytes,
                pruned: Vec::new(),
            });
        };
        let mut pruning = TimePruning {
            slack,
            column: column.to_string(),
            slot,
            not_applied: None,
            total_bytes,
            kept_bytes: total_bytes,
            pruned: Vec::new(),
        };
        let bounds = Bounds::of(filter, slot);
        pruning.not_applied = if !self.format.splittable() {
            Some("the format cannot be split")
        } else if line_numbers {
            Some("_line needs each file from its top")
        } else if bounds.is_none() {
            Some("no bound on the time column")
        } else if !spans.iter().any(|s| s.file.is_splittable()) {
            Some("compressed files")
        } else {
            None
        };
        let Some(bounds) = bounds.filter(|_| pruning.not_applied.is_none()) else {
            return Ok(pruning);
        };
        for span in spans.iter_mut() {
            if !span.file.is_splittable() || span.len == 0 {
                continue;
            }
            let file = &span.file;
            let handle = std::fs::File::open(&file.path).map_err(|e| file.io_error(e))?;
            let kept = prune::kept_span(
                &handle,
                span.len,
                &self.format,
                slot,
                bounds,
                prune::slack_nanos(slack),
                prune::STOP_BYTES,
            )
            .map_err(|e| file.io_error(e))?;
            match kept {
                Kept::Span(start, end) => {
                    let start = start.saturating_sub(prune::VERIFY_BYTES);
                    let end = end.saturating_add(prune::VERIFY_BYTES);
                    if start > 0 || end < span.len {
                        (span.start, span.end) = (start, end);
                        pruning.pruned.push(span.file.clone());
                    }
                }
                Kept::Whole => {}
                Kept::OutOfOrder { offset, by } => self
                    .stats
                    .record_disorder(Disorder::new(file, offset, by, slack, true)),
            }
        }
        pruning.kept_bytes = spans.iter().map(FileSpan::bytes).sum();
        Ok(pruning)
    }

    /// The unbounded scan of follow mode: one partition per file.
    pub fn follow_plan(
        &self,
        projection: Option<&[usize]>,
        filters: &[Expr],
        limit: Option<usize>,
        options: FollowOptions,
    ) -> Result<FollowScanExec> {
        let (columns, schema) = self.projected(projection)?;
        let spec = ScanSpec {
            format: self.format.clone(),
            columns,
            batch_size: 8192,
            limit,
            filter: RowFilter::from_exprs(filters, &self.columns),
            time_pruning: None,
        };
        Ok(FollowScanExec::new(
            spec,
            self.files.clone(),
            options,
            schema,
            self.stats.clone(),
        ))
    }
}

#[async_trait]
impl TableProvider for LogTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        if let Some(options) = self.follow {
            return Ok(Arc::new(self.follow_plan(
                projection.map(|p| p.as_slice()),
                filters,
                limit,
                options,
            )?));
        }
        let partitions = state.config().target_partitions();
        Ok(Arc::new(self.scan_plan(
            projection.map(|p| p.as_slice()),
            filters,
            limit,
            partitions,
        )?))
    }

    /// Comparisons of integer and timestamp columns (`status`, `ts`, ...) are applied exactly
    /// in the scan; the rest is left to DataFusion.
    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| {
                if filter::accepts(f, &self.columns) {
                    TableProviderFilterPushDown::Exact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }
}

/// `<table>_rejects`: file, line_number, line, reason of every line that is not a row.
#[derive(Debug)]
pub struct RejectsTable {
    files: Vec<LogFile>,
    format: Arc<Format>,
    stats: Arc<ScanStats>,
}

impl RejectsTable {
    /// Whether this lists the rejects of `table` (it shares the table's counters).
    pub fn is_of(&self, table: &LogTable) -> bool {
        Arc::ptr_eq(&self.stats, &table.stats)
    }
}

#[async_trait]
impl TableProvider for RejectsTable {
    fn schema(&self) -> SchemaRef {
        rejects_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let kind = ScanKind::Rejects {
            format: self.format.clone(),
            files: self.files.clone(),
            limit,
        };
        let exec: Arc<dyn ExecutionPlan> =
            Arc::new(LogScanExec::new(kind, rejects_schema(), self.stats.clone()));
        match projection {
            Some(p)
                if p.len() != rejects_schema().fields().len()
                    || p.iter().enumerate().any(|(i, &c)| i != c) =>
            {
                project(exec, p)
            }
            _ => Ok(exec),
        }
    }
}

/// Wraps `input` in a projection onto the given column indices.
fn project(input: Arc<dyn ExecutionPlan>, indices: &[usize]) -> DfResult<Arc<dyn ExecutionPlan>> {
    use datafusion::physical_expr::expressions::Column as ColumnExpr;
    use datafusion::physical_plan::projection::ProjectionExec;
    let schema = input.schema();
    let exprs: Vec<(Arc<dyn datafusion::physical_expr::PhysicalExpr>, String)> = indices
        .iter()
        .map(|&i| {
            let name = schema.field(i).name().clone();
            (Arc::new(ColumnExpr::new(&name, i)) as _, name)
        })
        .collect();
    Ok(Arc::new(ProjectionExec::try_new(exprs, input)?))
}

/// How many files detection samples: enough to see a directory's mix, few enough to stay
/// quick over hundreds of compressed rotations.
const SAMPLE_FILES: usize = 16;

/// The first lines of each of the first non-empty files, file after file (empty when every
/// file is empty).
fn first_lines(files: &[LogFile]) -> Result<Vec<Vec<u8>>> {
    Ok(first_lines_by_file(files)?
        .into_iter()
        .flat_map(|(_, lines)| lines)
        .collect())
}

/// [`first_lines`], one list per file sampled, with the file's index.
fn first_lines_by_file(files: &[LogFile]) -> Result<Vec<(usize, Vec<Vec<u8>>)>> {
    let mut samples = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let sample = sample_lines(file)?;
        if !sample.is_empty() {
            samples.push((i, sample));
            if samples.len() == SAMPLE_FILES {
                break;
            }
        }
    }
    Ok(samples)
}

/// The first non-empty lines of a file, as format detection sees them.
pub fn sample_lines(file: &LogFile) -> Result<Vec<Vec<u8>>> {
    let sample = read_sample(file)?;
    Ok(sample
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
        .take(SAMPLE_LINES)
        .map(<[u8]>::to_vec)
        .collect())
}

/// Detects the format from the first lines of the files.
/// The format detected from the files' first lines, and the names of the files sampled
/// whose lines it reads none of.
fn detect_files(
    files: &[LogFile],
    registry: &FormatRegistry,
) -> Result<(Arc<Format>, Vec<String>)> {
    let sampled = first_lines_by_file(files)?;
    if sampled.is_empty() {
        // Only empty files: any format gives the same (empty) answer.
        let combined = registry.get("combined").cloned().unwrap_or_else(|| {
            FormatRegistry::builtin()
                .get("combined")
                .cloned()
                .expect("built-in")
        });
        return Ok((combined, Vec::new()));
    }
    let samples: Vec<Vec<&[u8]>> = sampled
        .iter()
        .map(|(_, lines)| lines.iter().map(Vec::as_slice).collect())
        .collect();
    let detection = registry.detect_files(&samples);
    match detection.format {
        Some(format) => {
            let unread = detection.unread.iter();
            let names = unread.map(|&i| files[sampled[i].0].name.clone()).collect();
            Ok((format, names))
        }
        None => {
            let file = files
                .iter()
                .find(|f| read_sample(f).is_ok_and(|s| !s.is_empty()))
                .unwrap_or(&files[0]);
            Err(Error::UndetectedFormat {
                path: PathBuf::from(&file.name),
                tried: registry
                    .formats()
                    .map(|f| f.name().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        }
    }
}

/// The first `SAMPLE_BYTES` of a file's decoded content, cut at the last whole line; read on
/// (up to `SAMPLE_MAX_BYTES`) while it holds no whole line, so that a very long first line
/// (a multi-megabyte URI) is judged whole rather than as a fragment no format matches. A
/// first line longer still, which the scan rejects unread (a run of NULs a crash left), is
/// skipped: the sample is what follows it. A byte-order mark at its start is not data, as
/// the scan sees it (see [`BOM`]).
fn read_sample(file: &LogFile) -> Result<Vec<u8>> {
    let mut sample = read_head(file)?;
    if sample.starts_with(BOM) {
        sample.drain(..BOM.len());
    }
    Ok(sample)
}

/// [`read_sample`]'s bytes, as they are in the file.
fn read_head(file: &LogFile) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(SAMPLE_BYTES);
    let mut reader = file.reader()?;
    let mut limit = SAMPLE_BYTES;
    let mut skipped_line = false;
    loop {
        let read = (&mut reader)
            .take((limit - buf.len()) as u64)
            .read_to_end(&mut buf);
        // Damaged compressed data: detect from what decoded; the scan reports the damage.
        if let Err(e) = read {
            if file.compression.is_splittable() {
                return Err(file.io_error(e));
            }
            return Ok(buf);
        }
        if buf.len() < limit {
            return Ok(buf); // the whole file
        }
        if let Some(nl) = memchr::memrchr(b'\n', &buf) {
            buf.truncate(nl);
            return Ok(buf);
        }
        if limit < SAMPLE_MAX_BYTES {
            limit = (limit * 4).min(SAMPLE_MAX_BYTES);
            continue;
        }
        if skipped_line {
            return Ok(buf);
        }
        // A line the scan cuts: sample what follows its end (one such line only, so that a
        // file with no line ends is not read to its end here).
        skipped_line = true;
        buf = match rest_after_newline(&mut reader) {
            Ok(Some(rest)) => rest,
            Ok(None) | Err(_) => return Ok(Vec::new()),
        };
        limit = SAMPLE_BYTES.max(buf.len());
    }
}

/// Reads past the end of the current line, at most `SAMPLE_MAX_BYTES` further; returns what
/// was read after its newline, `None` when the line did not end within that.
fn rest_after_newline(reader: &mut impl Read) -> std::io::Result<Option<Vec<u8>>> {
    let mut chunk = vec![0u8; 64 * 1024];
    let mut read = 0;
    while read < SAMPLE_MAX_BYTES {
        let n = match reader.read(&mut chunk) {
            Ok(0) => return Ok(None),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        read += n;
        if let Some(i) = memchr::memchr(b'\n', &chunk[..n]) {
            return Ok(Some(chunk[i + 1..n].to_vec()));
        }
    }
    Ok(None)
}
