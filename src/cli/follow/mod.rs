//! Follow mode at the command line (`--follow`) and in the shell (`.follow SELECT ...`).
//!
//! A statement is classified from its optimized logical plan:
//! - no aggregate, window function or sort: it **streams**. The log tables are registered as
//!   unbounded [`FollowScanExec`](logsql::table::FollowScanExec) scans, and each batch DataFusion
//!   emits is printed and flushed at once (headers once, then rows);
//! - an aggregate (GROUP BY, count(*), DISTINCT, window functions) or a top-N (`ORDER BY ...
//!   LIMIT n`) is **refreshed** every interval. Its rows are read once, as they arrive (only
//!   the columns the query reads, only the rows passing the filters pushed into the scan).
//!   Count, sum, min and max are then merged incrementally ([`merge`]): memory holds one row
//!   per group. Any other aggregate keeps the rows in an in-memory table and re-runs the
//!   statement's plan over it on each refresh: the file is never read twice, but memory grows
//!   with the matching rows;
//! - an aggregate grouped by a tumbling time window (`date_trunc('minute', ts)`,
//!   `date_bin(INTERVAL ..., ts)`) prints each window's rows once, when the window closes (a
//!   row of a later window has arrived), and then forgets the closed windows (their rows, or
//!   with an incremental aggregate their groups), so its memory stays bounded by the open
//!   window;
//! - `ORDER BY` without `LIMIT` over the raw stream could never print anything: refused with a
//!   message saying what to do.
//!
//! The functions here run until the stream ends (a `LIMIT` reached) and are meant to be raced
//! against Ctrl-C by the caller; every batch is flushed as it is written, so dropping them at
//! any await point loses nothing already read.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use arrow::array::{Array, BooleanArray, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::datasource::{provider_as_source, MemTable, TableProvider};
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::physical_plan::execute_stream;
use datafusion::prelude::{DataFrame, SessionContext};
use datafusion::sql::parser::Statement;
use futures::StreamExt;
use logsql::table::hidden::hide_columns;
use logsql::table::FollowOptions;
use logsql::{rejects_name, LogTable};

use super::args::OutFormat;
use super::output::{write_markdown, ResultWriter};
use super::run::Session;
use super::saved;

mod merge;

use merge::Incremental;

/// How follow mode reads and refreshes.
#[derive(Debug, Clone, Copy)]
pub struct FollowSettings {
    /// Read the files' existing lines first.
    pub from_start: bool,
    /// How often aggregates are recomputed and reprinted.
    pub interval: Duration,
}

/// Where results go.
pub struct Sink<'a> {
    pub out: &'a mut dyn Write,
    pub format: OutFormat,
    /// `out` is a terminal: refreshed results are redrawn in place.
    pub redraw: bool,
}

/// How a statement runs on an endless stream.
#[derive(Debug)]
enum Shape {
    Stream,
    Refresh {
        /// The GROUP BY key that is a tumbling time window, if any.
        window: Option<Expr>,
    },
}

/// Runs `statement` in follow mode until its stream ends (never, without a `LIMIT`).
pub async fn run(
    session: &Session,
    mut statement: Statement,
    params: &HashMap<String, String>,
    settings: FollowSettings,
    sink: Sink<'_>,
) -> Result<()> {
    if session.tables.is_empty() {
        bail!("follow mode needs log files: name them on the command line or .open them");
    }
    let options = FollowOptions {
        from_start: settings.from_start,
        ..FollowOptions::default()
    };
    let mut following = Vec::new();
    for (name, table) in &session.tables {
        table.stats().reset();
        let table = LogTable::clone(table).follow(options)?;
        following.push((name.clone(), Arc::new(table)));
    }
    let ctx = stream_context(&session.ctx);
    for (name, table) in &following {
        ctx.register_table(rejects_name(name), Arc::new(table.rejects_table()))?;
        ctx.register_table(name.as_str(), table.clone())?;
    }
    let names: Vec<String> = following
        .iter()
        .map(|(n, _)| super::run::registered(n))
        .collect();
    hide_columns(&mut statement, &names);
    let df = plan(&ctx, statement, params).await?;
    let optimized = df.clone().into_optimized_plan()?;
    match shape(&optimized)? {
        Shape::Stream => stream(df, sink).await,
        Shape::Refresh { window } => {
            refresh(
                &session.ctx,
                &ctx,
                &following,
                &optimized,
                settings,
                window,
                sink,
            )
            .await
        }
    }
}

/// The context streaming queries run in. DataFusion's filters and repartitions hold rows
/// back until they have `batch_size` of them, which on a stream that trickles means never:
/// a batch size of 1 makes them pass every row on at once. One target partition: a stream of
/// new lines gains nothing from being spread over cores.
fn stream_context(ctx: &SessionContext) -> SessionContext {
    let config = ctx
        .copied_config()
        .with_batch_size(1)
        .with_target_partitions(1);
    with_extensions(
        ctx,
        SessionContext::new_with_config_rt(config, ctx.runtime_env()),
    )
}

/// A fresh context with `ctx`'s configuration and runtime (memory limit), so follow mode can
/// register its own versions of the tables without touching the session's.
fn context_like(ctx: &SessionContext) -> SessionContext {
    with_extensions(
        ctx,
        SessionContext::new_with_config_rt(ctx.copied_config(), ctx.runtime_env()),
    )
}

/// `fresh` with the log functions a query may call (`url_param`, `ua_browser`, ...), and
/// `session`'s own `read_log` and `LOG` tables (which know the user's formats): a fresh
/// context has only DataFusion's.
fn with_extensions(session: &SessionContext, fresh: SessionContext) -> SessionContext {
    logsql::register_extensions(&fresh);
    let state = session.state();
    for (name, function) in state.table_functions() {
        fresh.register_udtf(name, function.function().clone());
    }
    fresh
        .state_ref()
        .write()
        .table_factories_mut()
        .extend(state.table_factories().clone());
    fresh
}

async fn plan(
    ctx: &SessionContext,
    statement: Statement,
    params: &HashMap<String, String>,
) -> Result<DataFrame> {
    let plan = ctx.state().statement_to_plan(statement).await?;
    let plan = saved::bind(plan, params, &mut Vec::new())?;
    Ok(ctx.execute_logical_plan(plan).await?)
}

/// Decides how the plan can run on an endless stream.
fn shape(plan: &LogicalPlan) -> Result<Shape> {
    let (mut aggregate, mut top_n, mut sort_all) = (false, false, false);
    let mut window = None;
    plan.apply(|node| {
        match node {
            LogicalPlan::Aggregate(agg) => {
                aggregate = true;
                if window.is_none() {
                    window = agg.group_expr.iter().find(|e| is_time_window(e)).cloned();
                }
            }
            LogicalPlan::Window(_) | LogicalPlan::Distinct(_) => aggregate = true,
            LogicalPlan::Sort(sort) if sort.fetch.is_some() => top_n = true,
            LogicalPlan::Sort(_) => sort_all = true,
            _ => {}
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    if aggregate || top_n {
        return Ok(Shape::Refresh { window });
    }
    if sort_all {
        bail!(
            "ORDER BY over an endless stream never finishes, so follow mode would print nothing: \
             add a LIMIT (the top rows so far, refreshed every --interval seconds) or drop the \
             ORDER BY (rows print as they arrive)"
        );
    }
    Ok(Shape::Stream)
}

/// `date_trunc(..., col)` or `date_bin(..., col)`: a tumbling window of a timestamp.
fn is_time_window(expr: &Expr) -> bool {
    let mut found = false;
    let _ = expr.apply(|e| {
        if let Expr::ScalarFunction(f) = e {
            if matches!(f.func.name(), "date_trunc" | "date_bin" | "datetrunc") {
                found = true;
                return Ok(TreeNodeRecursion::Stop);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    found
}

/// Prints each batch as it comes, flushing each.
async fn stream(df: DataFrame, sink: Sink<'_>) -> Result<()> {
    let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
    let mut stream = df.execute_stream().await.map_err(unbounded_error)?;
    let mut printer = RowPrinter::start(sink.format, schema, sink.out)?;
    while let Some(batch) = stream.next().await {
        printer.write(&batch?)?;
    }
    Ok(())
}

/// DataFusion's refusal of a plan that cannot run on unbounded input, in words that say
/// what to do instead.
fn unbounded_error(e: datafusion::error::DataFusionError) -> anyhow::Error {
    let text = e.to_string();
    if text.contains("pipeline breaking") || text.contains("infinite memory") {
        anyhow!(
            "this query cannot run on an endless stream (DataFusion: {}): follow mode streams \
             filters and projections, and refreshes aggregates and ORDER BY ... LIMIT every \
             --interval seconds",
            text.lines()
                .next()
                .unwrap_or("")
                .split(", operator")
                .next()
                .unwrap_or("")
        )
    } else if text.contains("non-prunable stream") {
        anyhow!("joins of followed tables are not supported in follow mode")
    } else {
        e.into()
    }
}

/// One log table scan of a plan: which table, its columns and pushed filters.
struct LogScan {
    table: String,
    projection: Option<Vec<usize>>,
    filters: Vec<Expr>,
}

fn log_scans(plan: &LogicalPlan, tables: &[(String, Arc<LogTable>)]) -> Result<Vec<LogScan>> {
    let mut scans = Vec::new();
    plan.apply(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            let name = scan.table_name.table();
            if tables.iter().any(|(n, _)| n == name) {
                scans.push(LogScan {
                    table: name.to_string(),
                    projection: scan.projection.clone(),
                    filters: scan.filters.clone(),
                });
            }
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(scans)
}

/// Refreshes an aggregate (or top-N) every interval over the rows read so far.
#[allow(clippy::too_many_arguments)]
async fn refresh(
    session_ctx: &SessionContext,
    ctx: &SessionContext,
    following: &[(String, Arc<LogTable>)],
    optimized: &LogicalPlan,
    settings: FollowSettings,
    window: Option<Expr>,
    sink: Sink<'_>,
) -> Result<()> {
    let scans = log_scans(optimized, following)?;
    let Some(first) = scans.first() else {
        bail!("follow mode needs a query that reads a log table");
    };
    if scans.len() > 1 {
        bail!(
            "follow mode refreshes aggregates that read one log table once; this query reads {} \
             {} times (a join or subquery over the followed table)",
            first.table,
            scans.len()
        );
    }
    let table = following
        .iter()
        .find(|(n, _)| *n == first.table)
        .map(|(_, t)| t.clone())
        .expect("found above");
    // Only the columns the query reads are kept (at least one, for count(*)), and only the
    // rows passing the filters pushed into the scan (they are exact).
    let mut needed: Vec<usize> = match &first.projection {
        Some(p) => p.clone(),
        None => (0..table.schema().fields().len()).collect(),
    };
    needed.sort_unstable();
    needed.dedup();
    if needed.is_empty() {
        needed.push(0);
    }
    let filters = first.filters.clone();
    let kept_schema = Arc::new(table.schema().project(&needed)?);
    let store = MemTable::try_new(kept_schema.clone(), vec![Vec::new()])?;
    let part = store.batches[0].clone();
    let options = table.follow_options().unwrap_or_default();
    let exec = table.follow_plan(Some(&needed), &filters, None, options)?;
    let mut rows_in = execute_stream(Arc::new(exec), ctx.task_ctx())?;
    let arrived = Arc::new(AtomicU64::new(0));
    let feeder = AbortOnDrop(tokio::spawn({
        let (part, arrived) = (part.clone(), arrived.clone());
        async move {
            while let Some(batch) = rows_in.next().await {
                let batch = batch?;
                arrived.fetch_add(batch.num_rows() as u64, Ordering::Relaxed);
                part.write().await.push(batch);
            }
            anyhow::Ok(())
        }
    }));

    // Otherwise the statement's plan runs over the rows kept so far.
    let refresh_ctx = context_like(session_ctx);
    let rerun = merge::over_rows(
        optimized,
        &first.table,
        &needed,
        provider_as_source(Arc::new(store)),
    )?;
    let schema: SchemaRef = Arc::new(optimized.schema().as_arrow().clone());
    // Decomposable aggregates keep partial results, not rows.
    let incremental = Incremental::new(optimized, &first.table, &needed, kept_schema.clone())?;
    let how = match (&incremental, window.is_some()) {
        (Some(_), true) => "time windows printed as they close, aggregated incrementally",
        (Some(_), false) => "aggregated incrementally",
        (None, true) => "time windows printed as they close, re-run over the rows of open windows",
        (None, false) => "re-run over the rows kept in memory (only count, sum, min and max without DISTINCT merge incrementally)",
    };
    let _ = writeln!(
        std::io::stderr(),
        "logsql: following; refreshed every {} s: {how}",
        settings.interval.as_secs_f64()
    );
    // The state column of the window, to forget closed windows' groups.
    let window_group = match (&incremental, &window) {
        (Some(inc), Some(w)) => inc.group_column(w),
        _ => None,
    };
    let mut output = match window {
        Some(w) => Output::Windows(
            Windows::new(&w, &kept_schema)?,
            RowPrinter::start(sink.format, schema.clone(), sink.out)?,
        ),
        None => Output::Blocks(sink),
    };
    let mut last_seen = None;
    let mut ticks = tokio::time::interval(settings.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is immediate: let the first rows (--from-start) arrive.
    ticks.tick().await;
    loop {
        ticks.tick().await;
        if feeder.0.is_finished() {
            return match (&mut { feeder }.0).await {
                Ok(result) => result,
                Err(e) => Err(anyhow!("follow mode stopped: {e}")),
            };
        }
        let seen = arrived.load(Ordering::Relaxed);
        if last_seen == Some(seen) {
            continue;
        }
        last_seen = Some(seen);
        let (schema, batches) = match &incremental {
            Some(inc) => {
                let rows = std::mem::take(&mut *part.write().await);
                (schema.clone(), inc.refresh(&refresh_ctx, rows).await?)
            }
            None => {
                let df = refresh_ctx.execute_logical_plan(rerun.clone()).await?;
                (schema.clone(), df.collect().await?)
            }
        };
        match &mut output {
            Output::Windows(windows, printer) => {
                for batch in windows.closed(&schema, &batches)? {
                    printer.write(&batch)?;
                }
                match (&incremental, window_group, windows.printed_below) {
                    (None, _, _) => windows.prune(&part).await?,
                    (Some(inc), Some(column), Some(open)) => {
                        inc.forget_before(column, open).await?
                    }
                    _ => {}
                }
            }
            Output::Blocks(sink) => print_block(sink, &schema, &batches, seen)?,
        }
    }
}

/// How refreshed results are printed.
enum Output<'a> {
    /// Closed windows' rows, as they close.
    Windows(Windows, RowPrinter<'a>),
    /// The whole result each time.
    Blocks(Sink<'a>),
}

/// Aborts a spawned task when dropped (Ctrl-C drops the follow future).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Prints one refreshed result: in place on a terminal, else as a new block.
fn print_block(
    sink: &mut Sink<'_>,
    schema: &SchemaRef,
    batches: &[RecordBatch],
    seen: u64,
) -> Result<()> {
    let time = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC");
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let out = &mut *sink.out;
    if sink.redraw {
        // Clear the screen, cursor home.
        write!(out, "\x1b[2J\x1b[H")?;
        writeln!(
            out,
            "logsql --follow: {seen} rows so far, refreshed {time} (Ctrl-C stops)"
        )?;
    } else if matches!(sink.format, OutFormat::Table | OutFormat::Markdown) {
        writeln!(out, "-- {time}: {seen} rows so far")?;
    }
    let mut writer = ResultWriter::new(sink.format, &mut *out, schema.clone());
    for batch in batches {
        writer.write(batch)?;
    }
    writer.finish(rows, schema).context("writing the result")?;
    if !sink.redraw && matches!(sink.format, OutFormat::Table | OutFormat::Markdown) {
        writeln!(out)?;
    }
    out.flush()?;
    Ok(())
}

/// Rows as they come: a header once, then rows, flushed batch by batch. The table format
/// cannot align columns it has not seen, so it prints `| a | b |` rows as Markdown does; JSON
/// prints one object a line (an array never ends).
struct RowPrinter<'a> {
    format: OutFormat,
    schema: SchemaRef,
    out: &'a mut dyn Write,
}

impl<'a> RowPrinter<'a> {
    fn start(format: OutFormat, schema: SchemaRef, out: &'a mut dyn Write) -> Result<Self> {
        let mut buf = Vec::new();
        match format {
            OutFormat::Csv | OutFormat::Tsv => {
                csv_writer(format, &mut buf, true).write(&RecordBatch::new_empty(schema.clone()))?
            }
            OutFormat::Json | OutFormat::Ndjson => {}
            OutFormat::Table | OutFormat::Markdown | OutFormat::Parquet => {
                write_markdown(&mut buf, &schema, &[])?
            }
        }
        out.write_all(&buf)?;
        out.flush()?;
        Ok(RowPrinter {
            format,
            schema,
            out,
        })
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let mut buf = Vec::new();
        match self.format {
            OutFormat::Csv | OutFormat::Tsv => {
                csv_writer(self.format, &mut buf, false).write(batch)?
            }
            OutFormat::Json | OutFormat::Ndjson => {
                let mut w = arrow::json::writer::WriterBuilder::new()
                    .with_explicit_nulls(true)
                    .build::<_, arrow::json::writer::LineDelimited>(&mut buf);
                w.write(batch)?;
                w.finish()?;
            }
            OutFormat::Table | OutFormat::Markdown | OutFormat::Parquet => {
                let mut text = Vec::new();
                write_markdown(&mut text, &self.schema, std::slice::from_ref(batch))?;
                // Drop the header and rule lines printed at the start.
                let body = text
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == b'\n')
                    .nth(1)
                    .map_or(&text[..0], |(i, _)| &text[i + 1..]);
                buf.extend_from_slice(body);
            }
        }
        self.out.write_all(&buf)?;
        self.out.flush()?;
        Ok(())
    }
}

fn csv_writer(
    format: OutFormat,
    out: &mut Vec<u8>,
    header: bool,
) -> arrow::csv::Writer<&mut Vec<u8>> {
    arrow::csv::WriterBuilder::new()
        .with_header(header)
        .with_delimiter(if format == OutFormat::Tsv {
            b'\t'
        } else {
            b','
        })
        .build(out)
}

/// Tumbling windows: which result rows belong to closed windows, and forgetting their input.
struct Windows {
    /// The kept column the window is computed from (its rows before the open window go).
    source: Option<usize>,
    /// Rows of windows starting before this (nanoseconds since the epoch) were printed.
    printed_below: Option<i64>,
}

impl Windows {
    fn new(window: &Expr, kept: &SchemaRef) -> Result<Windows> {
        let columns = window.column_refs();
        let source = match columns.iter().next() {
            Some(c) if columns.len() == 1 => kept
                .index_of(c.name())
                .ok()
                .filter(|&i| matches!(kept.field(i).data_type(), DataType::Timestamp(..))),
            _ => None,
        };
        Ok(Windows {
            source,
            printed_below: None,
        })
    }

    /// The result rows of windows that closed since the last call. The window column is the
    /// result's first timestamp column; the latest window in the result is still open.
    fn closed(&mut self, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Vec<RecordBatch>> {
        let Some(col) = schema
            .fields()
            .iter()
            .position(|f| matches!(f.data_type(), DataType::Timestamp(..)))
        else {
            bail!(
                "a query grouped by a time window must select the window (e.g. SELECT \
                 date_trunc('minute', ts) AS minute, count(*) ...) so follow mode can tell when \
                 it closes"
            );
        };
        let values: Vec<Int64Array> = batches
            .iter()
            .map(|b| epoch_nanos(b.column(col).as_ref()))
            .collect::<Result<_>>()?;
        let Some(open) = values.iter().filter_map(arrow::compute::max).max() else {
            return Ok(Vec::new());
        };
        let below = self.printed_below;
        let mut out = Vec::new();
        for (batch, v) in batches.iter().zip(&values) {
            let keep: BooleanArray = v
                .iter()
                .map(|x| Some(x.is_some_and(|x| x < open && below.is_none_or(|b| x >= b))))
                .collect();
            let rows = arrow::compute::filter_record_batch(batch, &keep)?;
            if rows.num_rows() > 0 {
                out.push(rows);
            }
        }
        self.printed_below = Some(open);
        if out.is_empty() {
            return Ok(out);
        }
        Ok(vec![in_window_order(schema, &out, col)?])
    }

    /// Drops kept rows whose time is before the open window: their windows are printed.
    async fn prune(&self, part: &datafusion::catalog::memory::PartitionData) -> Result<()> {
        let (Some(source), Some(open)) = (self.source, self.printed_below) else {
            return Ok(());
        };
        keep_from(&mut *part.write().await, source, open)
    }
}

/// `batches` as one batch, its rows ordered by window (column `col`): windows that close
/// together print oldest first, whatever order the grouping left them in; within a window the
/// query's own order stays (the sort is stable).
fn in_window_order(schema: &SchemaRef, batches: &[RecordBatch], col: usize) -> Result<RecordBatch> {
    use arrow::compute::{lexsort_to_indices, take_record_batch, SortColumn};
    let all = arrow::compute::concat_batches(schema, batches)?;
    let position = arrow::array::UInt32Array::from_iter_values(0..all.num_rows() as u32);
    let keys = [
        SortColumn {
            values: all.column(col).clone(),
            options: None,
        },
        SortColumn {
            values: Arc::new(position),
            options: None,
        },
    ];
    let order = lexsort_to_indices(&keys, None)?;
    Ok(take_record_batch(&all, &order)?)
}

/// Keeps the rows of `batches` whose time (column `column`) is at or after `open`: the rows of
/// windows already printed are dropped.
fn keep_from(batches: &mut Vec<RecordBatch>, column: usize, open: i64) -> Result<()> {
    let mut kept = Vec::with_capacity(batches.len());
    for batch in batches.drain(..) {
        let ts = epoch_nanos(batch.column(column).as_ref())?;
        let keep: BooleanArray = ts
            .iter()
            .map(|x| Some(x.is_some_and(|x| x >= open)))
            .collect();
        let rows = arrow::compute::filter_record_batch(&batch, &keep)?;
        if rows.num_rows() > 0 {
            kept.push(rows);
        }
    }
    *batches = kept;
    Ok(())
}

/// A timestamp column as nanoseconds since the epoch (whatever its unit and zone).
fn epoch_nanos(array: &dyn Array) -> Result<Int64Array> {
    let DataType::Timestamp(unit, _) = array.data_type() else {
        bail!("the window column is not a timestamp");
    };
    let scale = match unit {
        TimeUnit::Second => 1_000_000_000,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    };
    let raw = arrow::compute::cast(array, &DataType::Int64)?;
    let raw = raw
        .as_any()
        .downcast_ref::<Int64Array>()
        .ok_or_else(|| anyhow!("the window column is not a timestamp"))?;
    Ok(raw.iter().map(|v| v.map(|v| v * scale)).collect())
}

/// `logsql --follow PATH... -e SQL`: runs one statement in follow mode until Ctrl-C (exit 0)
/// or the end of its stream (a LIMIT reached).
pub fn run_cli(cli: &super::args::Cli) -> Result<()> {
    use std::io::IsTerminal;
    if cli.output.is_some() {
        return Err(super::exit::usage(
            "--follow prints to stdout; -o is not supported (redirect stdout instead)",
        ));
    }
    if cli.paths.iter().any(|p| p.as_os_str() == "-") {
        return Err(super::exit::usage(
            "--follow reads files; standard input cannot be followed (pipe it to a file)",
        ));
    }
    let given: HashMap<String, String> = cli.params.iter().cloned().collect();
    let mut params = given.clone();
    let mut sql = cli.execute.join(";\n");
    for arg in &cli.file {
        let query = super::saved::SavedQuery::load(arg)?;
        sql.push_str(";\n");
        sql.push_str(&query.sql);
        params.extend(query.bound_params(&given));
    }
    let mut statements = super::run::parse_statements(&sql)?;
    if statements.len() != 1 {
        return Err(super::exit::usage(format!(
            "--follow runs one statement; {} were given",
            statements.len()
        )));
    }
    let statement = statements.pop().expect("one");
    let settings = FollowSettings {
        from_start: cli.from_start,
        interval: Duration::from_secs_f64(cli.interval),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        // Ctrl-C is the normal way out: install the handler before anything prints.
        let ctrl_c = tokio::signal::ctrl_c();
        // If stdout is blocked (a reader that stopped reading, a paused terminal), the main
        // task cannot see Ctrl-C: a watcher on another thread ends the process after a grace
        // period.
        runtime_watchdog();
        let session = Session::new(cli)?;
        let stdout = std::io::stdout();
        let redraw = stdout.is_terminal();
        let mut out = stdout.lock();
        let sink = Sink {
            out: &mut out,
            format: cli.stdout_format(),
            redraw,
        };
        let result = tokio::select! {
            r = run(&session, statement, &params, settings, sink) => r,
            _ = ctrl_c => Ok(()),
        };
        let _ = out.flush();
        session.report_rejects();
        result
    });
    // The tailing threads notice the closed streams within one poll interval.
    runtime.shutdown_timeout(Duration::from_secs(2));
    match result {
        // The reader went away (`logsql --follow ... | head`): the end, not an error.
        Err(e) if super::is_broken_pipe(&e) => Ok(()),
        other => other,
    }
}

/// Exits with status 0 if the process is still running two seconds after Ctrl-C.
fn runtime_watchdog() {
    tokio::spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            tokio::time::sleep(Duration::from_secs(2)).await;
            std::process::exit(0);
        }
    });
}
