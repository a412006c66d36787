//! `LogScanExec`: the leaf `ExecutionPlan` that streams a log table's partitions.
//!
//! Each partition runs the parsing on a blocking thread and hands batches to DataFusion
//! through a small bounded channel, so memory stays flat and a dropped stream (LIMIT reached,
//! Ctrl-C) stops the reading. The node holds plain data only (paths, ranges, format,
//! projection, limit) so that it could be serialised for a distributed engine later.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::execution_plan::Boundedness;
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, RecordOutput};
use datafusion::physical_plan::stream::RecordBatchReceiverStreamBuilder;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};

use super::leaf::{leaf_plan_methods, leaf_properties};
use super::scan::{scan_rejects, scan_rows, ScanSpec};
use super::stats::{PartitionStats, ScanStats};
use crate::source::{FileRange, LogFile};

/// What a scan produces.
#[derive(Debug, Clone)]
pub enum ScanKind {
    /// Parsed rows; one partition per group of byte ranges.
    Rows {
        spec: ScanSpec,
        partitions: Vec<Vec<FileRange>>,
    },
    /// Rejected lines; one partition per file (line numbers need the whole file).
    Rejects {
        format: Arc<crate::parse::Format>,
        files: Vec<LogFile>,
        limit: Option<usize>,
    },
}

/// Streams a log table (or its rejects) as Arrow batches.
#[derive(Debug)]
pub struct LogScanExec {
    kind: ScanKind,
    schema: SchemaRef,
    stats: Arc<ScanStats>,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
}

impl LogScanExec {
    pub fn new(kind: ScanKind, schema: SchemaRef, stats: Arc<ScanStats>) -> Self {
        let n = match &kind {
            ScanKind::Rows { partitions, .. } => partitions.len(),
            ScanKind::Rejects { files, .. } => files.len(),
        };
        LogScanExec {
            kind,
            properties: leaf_properties(&schema, n, Boundedness::Bounded),
            schema,
            stats,
            metrics: Default::default(),
        }
    }

    pub fn kind(&self) -> &ScanKind {
        &self.kind
    }
}

impl DisplayAs for LogScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        match &self.kind {
            ScanKind::Rows { spec, partitions } => {
                let columns: Vec<&str> = spec.columns.iter().map(|c| c.name.as_str()).collect();
                write!(
                    f,
                    "LogScanExec: format={}, partitions={}, ranges={}, projection=[{}]",
                    spec.format.name(),
                    partitions.len(),
                    partitions.iter().map(Vec::len).sum::<usize>(),
                    columns.join(", ")
                )?;
                if !spec.filter.is_empty() {
                    write!(f, ", filter=[{}]", spec.filter)?;
                }
                if let Some(limit) = spec.limit {
                    write!(f, ", limit={limit}")?;
                }
                if let Some(pruning) = &spec.time_pruning {
                    write!(f, ", {pruning}")?;
                }
                Ok(())
            }
            ScanKind::Rejects { format, files, .. } => {
                write!(
                    f,
                    "LogScanExec: rejects, format={}, files={}",
                    format.name(),
                    files.len()
                )
            }
        }
    }
}

impl ExecutionPlan for LogScanExec {
    fn name(&self) -> &str {
        "LogScanExec"
    }

    leaf_plan_methods!();

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let batch_size = context.session_config().batch_size();
        let baseline = BaselineMetrics::new(&self.metrics, partition);
        let stats = PartitionStats::new(self.stats.clone(), &self.metrics, partition);
        let mut builder = RecordBatchReceiverStreamBuilder::new(self.schema.clone(), 2);
        let tx = builder.tx();
        // The scan's own time: from one handed-on batch to the next, not the waits for the
        // consumer to take them.
        let mut working_since = Instant::now();
        let emit = move |batch: RecordBatch| {
            baseline.elapsed_compute().add_elapsed(working_since);
            let sent = tx.blocking_send(Ok(batch.record_output(&baseline))).is_ok();
            working_since = Instant::now();
            sent
        };
        match &self.kind {
            ScanKind::Rows { spec, partitions } => {
                let ranges = partitions.get(partition).cloned().unwrap_or_default();
                let spec = ScanSpec {
                    batch_size,
                    ..spec.clone()
                };
                builder.spawn_blocking(move || Ok(scan_rows(&spec, &ranges, &stats, emit)?));
            }
            ScanKind::Rejects {
                format,
                files,
                limit,
            } => {
                let files: Vec<LogFile> = files.get(partition).cloned().into_iter().collect();
                let (format, limit) = (format.clone(), *limit);
                builder.spawn_blocking(move || {
                    Ok(scan_rejects(
                        &format, &files, batch_size, limit, &stats, emit,
                    )?)
                });
            }
        }
        Ok(builder.build())
    }
}

impl From<crate::error::Error> for DataFusionError {
    fn from(e: crate::error::Error) -> Self {
        match e {
            crate::error::Error::DataFusion(e) => e,
            other => DataFusionError::External(Box::new(other)),
        }
    }
}
