//! `LogTable`: a DataFusion `TableProvider` over log files, and its rejects companion.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;

use super::batch::AccessBatchBuilder;
use super::exec::{LogScanExec, ScanKind};
use super::filter::{self, RowFilter};
use super::scan::ScanSpec;
use super::schema::{columns_of, rejects_schema, schema_of, Column};
use super::stats::ScanStats;
use crate::error::{Error, Result};
use crate::parse::{detect, FormatChoice, LogFormat};
use crate::source::{find_log_files, plan_partitions, DirFilter, LogFile, MIN_SPLIT_BYTES};

/// How much of a file auto-detection looks at.
const SAMPLE_BYTES: usize = 64 * 1024;
const SAMPLE_LINES: usize = 64;
/// How far detection reads to find the end of a very long first line.
const SAMPLE_MAX_BYTES: usize = 64 * 1024 * 1024;

/// A set of log files of one format, queried as one table.
#[derive(Debug)]
pub struct LogTable {
    files: Vec<LogFile>,
    format: LogFormat,
    schema: SchemaRef,
    stats: Arc<ScanStats>,
    min_split: u64,
}

impl LogTable {
    /// Opens paths (files, directories and glob patterns, see [`expand_paths`]) as one table,
    /// settling the format (detected from the first lines when `choice` is `Auto`).
    pub fn open(paths: &[PathBuf], choice: FormatChoice) -> Result<Self> {
        Self::from_files(find_log_files(paths, &DirFilter::default())?, choice)
    }

    /// A table over files already found and checked.
    pub fn from_files(files: Vec<LogFile>, choice: FormatChoice) -> Result<Self> {
        if files.is_empty() {
            return Err(Error::NoInput);
        }
        let format = match choice {
            FormatChoice::Fixed(format) => format,
            FormatChoice::Auto => detect_files(&files)?,
        };
        Ok(LogTable {
            files,
            format,
            schema: schema_of(format),
            stats: Arc::new(ScanStats::default()),
            min_split: MIN_SPLIT_BYTES,
        })
    }

    /// Splits files into ranges from `bytes` upwards instead of the default (tests use this to
    /// force many partitions on small files).
    pub fn with_min_split_bytes(mut self, bytes: u64) -> Self {
        self.min_split = bytes.max(1);
        self
    }

    pub fn format(&self) -> LogFormat {
        self.format
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
            format: self.format,
            stats: self.stats.clone(),
        }
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
        let all = columns_of(self.format);
        let columns: Vec<Column> = match projection {
            Some(p) => p.iter().map(|&i| all[i]).collect(),
            None => all.to_vec(),
        };
        let schema = match projection {
            Some(p) => Arc::new(self.schema.project(p)?),
            None => self.schema.clone(),
        };
        let mut sized = Vec::with_capacity(self.files.len());
        for file in &self.files {
            let len = std::fs::metadata(&file.path)
                .map_err(|e| Error::io(&file.path, e))?
                .len();
            sized.push((file.clone(), len));
        }
        // Line numbers need each file read from its top: no splitting then.
        let min_split = if AccessBatchBuilder::needs_line_numbers(&columns) {
            u64::MAX
        } else {
            self.min_split
        };
        let partitions = plan_partitions(&sized, target_partitions, min_split);
        let filter = RowFilter::from_exprs(filters);
        let spec = ScanSpec {
            format: self.format,
            columns,
            batch_size: 8192,
            limit,
            filter,
        };
        Ok(LogScanExec::new(
            ScanKind::Rows { spec, partitions },
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
        let partitions = state.config().target_partitions();
        Ok(Arc::new(self.scan_plan(
            projection.map(|p| p.as_slice()),
            filters,
            limit,
            partitions,
        )?))
    }

    /// `status` and `ts` comparisons are applied exactly in the scan; the rest is left to
    /// DataFusion.
    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| {
                if filter::accepts(f) {
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
    format: LogFormat,
    stats: Arc<ScanStats>,
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
            format: self.format,
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

/// Detects the format from the first lines of the first non-empty file.
fn detect_files(files: &[LogFile]) -> Result<LogFormat> {
    let mut tried: Option<&LogFile> = None;
    for file in files {
        let sample = read_sample(file)?;
        let lines: Vec<&[u8]> = sample
            .split(|b| *b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .filter(|l| !l.is_empty())
            .take(SAMPLE_LINES)
            .collect();
        if lines.is_empty() {
            continue;
        }
        tried = Some(file);
        if let Some(format) = detect(lines).format {
            return Ok(format);
        }
    }
    match tried {
        // Only empty files: any format gives the same (empty) answer.
        None => Ok(LogFormat::Combined),
        Some(file) => Err(Error::UndetectedFormat {
            path: PathBuf::from(&file.name),
            tried: LogFormat::ALL.map(LogFormat::name).join(", "),
        }),
    }
}

/// The first `SAMPLE_BYTES` of a file's decoded content, cut at the last whole line; read on
/// (up to `SAMPLE_MAX_BYTES`) while it holds no whole line, so that a very long first line
/// (a multi-megabyte URI) is judged whole rather than as a fragment no format matches.
fn read_sample(file: &LogFile) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(SAMPLE_BYTES);
    let mut reader = file.reader()?.take(SAMPLE_MAX_BYTES as u64);
    let mut limit = SAMPLE_BYTES;
    loop {
        let read = (&mut reader)
            .take((limit - buf.len()) as u64)
            .read_to_end(&mut buf);
        // Damaged compressed data: detect from what decoded; the scan reports the damage.
        if let Err(e) = read {
            if file.compression.is_splittable() {
                return Err(Error::io(&file.path, e));
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
        if limit >= SAMPLE_MAX_BYTES {
            return Ok(buf);
        }
        limit = (limit * 4).min(SAMPLE_MAX_BYTES);
    }
}
