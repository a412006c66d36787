//! Follow mode: the log table as an endless stream of the lines appended to its files.
//!
//! [`FollowScanExec`] is the unbounded twin of [`super::LogScanExec`]: one partition per file,
//! each tailing its file on a blocking thread ([`crate::source::follow::Tail`]). It tells
//! DataFusion it is `Unbounded { requires_infinite_memory: false }` with incremental emission,
//! so filters, projections and scalar functions stream, and DataFusion itself refuses plans
//! that could never emit (a plain GROUP BY or ORDER BY over the whole stream).
//!
//! Latency over throughput: whatever rows a poll found are sent as one (small) batch at once
//! rather than waiting for `batch_size` rows; an idle file is polled every
//! [`FollowOptions::poll`] with the thread asleep in between.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::error::Result as DfResult;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::execution_plan::Boundedness;
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet};
use datafusion::physical_plan::stream::RecordBatchReceiverStreamBuilder;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};

use super::batch::BatchBuilder;
use super::leaf::{leaf_plan_methods, leaf_properties};
use super::scan::ScanSpec;
use super::stats::ScanStats;
use crate::error::Result;
use crate::parse::{Parsed, Record};
use crate::source::follow::{Start, Tail, TailEvent};
use crate::source::LogFile;

/// How a followed table reads its files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowOptions {
    /// Read the existing content first (else only lines appended from now on).
    pub from_start: bool,
    /// How long an idle follower sleeps between two looks at its files.
    pub poll: Duration,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions {
            from_start: false,
            poll: Duration::from_millis(100),
        }
    }
}

/// Streams the rows of lines appended to a table's files, forever.
#[derive(Debug)]
pub struct FollowScanExec {
    spec: ScanSpec,
    files: Vec<LogFile>,
    options: FollowOptions,
    schema: SchemaRef,
    stats: Arc<ScanStats>,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
    /// Each file, opened (its end taken as the start) when the plan was made: the query's
    /// output may begin (a header) before DataFusion executes this scan (a join's probe side
    /// runs after its build side), and lines appended in between are new lines too.
    tails: OpenedTails,
}

/// The tails a plan opened, taken by the partitions that run them.
struct OpenedTails(Mutex<Vec<Option<Tail>>>);

impl fmt::Debug for OpenedTails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OpenedTails")
    }
}

impl FollowScanExec {
    pub fn new(
        spec: ScanSpec,
        files: Vec<LogFile>,
        options: FollowOptions,
        schema: SchemaRef,
        stats: Arc<ScanStats>,
    ) -> Self {
        let boundedness = Boundedness::Unbounded {
            requires_infinite_memory: false,
        };
        // A file that cannot be opened now is opened again, and its error told, when run.
        let tails = files
            .iter()
            .map(|file| open_tail(&spec, file, options).ok())
            .collect();
        FollowScanExec {
            properties: leaf_properties(&schema, files.len(), boundedness),
            spec,
            files,
            options,
            schema,
            stats,
            metrics: Default::default(),
            tails: OpenedTails(Mutex::new(tails)),
        }
    }
}

impl DisplayAs for FollowScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let columns: Vec<&str> = self.spec.columns.iter().map(|c| c.name.as_str()).collect();
        write!(
            f,
            "FollowScanExec: format={}, files={}, from_start={}, projection=[{}]",
            self.spec.format.name(),
            self.files.len(),
            self.options.from_start,
            columns.join(", ")
        )?;
        if !self.spec.filter.is_empty() {
            write!(f, ", filter=[{}]", self.spec.filter)?;
        }
        if let Some(limit) = self.spec.limit {
            write!(f, ", limit={limit}")?;
        }
        Ok(())
    }
}

impl ExecutionPlan for FollowScanExec {
    fn name(&self) -> &str {
        "FollowScanExec"
    }

    leaf_plan_methods!();

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> DfResult<SendableRecordBatchStream> {
        let baseline = BaselineMetrics::new(&self.metrics, partition);
        let mut builder = RecordBatchReceiverStreamBuilder::new(self.schema.clone(), 2);
        let tx = builder.tx();
        let Some(file) = self.files.get(partition).cloned() else {
            return Ok(builder.build());
        };
        // The session's batch size is not used: follow mode sets it to 1 so that DataFusion's
        // operators (filters and repartitions coalesce up to it) pass rows on at once; the
        // scan still packs a burst of lines into one batch.
        let _ = context;
        let spec = self.spec.clone();
        // Opened when the plan was made (see `tails`); again for a second run of the plan.
        let opened = self
            .tails
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get_mut(partition)
            .and_then(Option::take);
        let tail = match opened {
            Some(tail) => tail,
            None => open_tail(&spec, &file, self.options)?,
        };
        let (options, stats) = (self.options, self.stats.clone());
        builder.spawn_blocking(move || {
            let closed = tx.clone();
            let emit = move |batch: RecordBatch| {
                baseline.record_output(batch.num_rows());
                tx.blocking_send(Ok(batch)).is_ok()
            };
            Ok(follow_rows(
                &spec,
                &file,
                tail,
                options,
                &stats,
                emit,
                || closed.is_closed(),
            )?)
        });
        Ok(builder.build())
    }
}

/// Starts following `file` where `options` say (line numbers are counted only when the
/// scan returns them).
pub fn open_tail(spec: &ScanSpec, file: &LogFile, options: FollowOptions) -> Result<Tail> {
    let start = if options.from_start {
        Start::Beginning
    } else {
        Start::End
    };
    let numbered = BatchBuilder::needs_line_numbers(&spec.columns);
    Tail::open(&file.path, start, numbered).map_err(|e| file.io_error(e))
}

/// Reads `tail`'s new lines, parsing and filtering them into batches handed to `emit`, until
/// `emit` returns `false`, `gone()` says the consumer left, or the spec's limit is reached.
pub fn follow_rows(
    spec: &ScanSpec,
    file: &LogFile,
    mut tail: Tail,
    options: FollowOptions,
    stats: &ScanStats,
    mut emit: impl FnMut(RecordBatch) -> bool,
    gone: impl Fn() -> bool,
) -> Result<()> {
    let mut parser = spec.format.parser();
    let mut builder = BatchBuilder::new(&spec.columns, spec.batch_size.min(1024));
    let mut rec = Record::default();
    let mut remaining = spec.limit.unwrap_or(usize::MAX);
    let batch_size = spec.batch_size.max(1);
    while remaining > 0 && !gone() {
        let (mut lines, mut rejected) = (0u64, 0u64);
        let mut stopped = false;
        let mut failed = None;
        let seen = tail
            .poll(|event| {
                let (line, number) = match event {
                    TailEvent::Line(line, number) => (line, number),
                    TailEvent::Cut(_) => {
                        (lines, rejected) = (lines + 1, rejected + 1);
                        return true;
                    }
                    TailEvent::Restart => {
                        parser = spec.format.parser();
                        return true;
                    }
                };
                lines += 1;
                match parser.parse(line, &mut rec) {
                    Ok(Parsed::Row) => {}
                    Ok(Parsed::Directive | Parsed::Skipped) => return true,
                    Err(_) => {
                        rejected += 1;
                        return true;
                    }
                }
                if !spec.filter.matches(&rec) {
                    return true;
                }
                builder.append(line, &rec, &file.name, number);
                remaining -= 1;
                if builder.is_full(batch_size) || remaining == 0 {
                    match builder.finish() {
                        Ok(batch) => stopped = !emit(batch),
                        Err(e) => {
                            failed = Some(e);
                            stopped = true;
                        }
                    }
                }
                !stopped && remaining > 0
            })
            .map_err(|e| file.io_error(e))?;
        stats.add(lines, rejected, 0);
        if let Some(e) = failed {
            return Err(e.into());
        }
        if stopped {
            return Ok(());
        }
        // Whatever this poll found goes out now: latency matters more than batch size.
        if !builder.is_empty() && !emit(builder.finish()?) {
            return Ok(());
        }
        if seen == 0 {
            std::thread::sleep(options.poll);
        }
    }
    Ok(())
}
