//! Running statements against the registered logs and printing their results.

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext};
use datafusion::sql::parser::{DFParser, Statement};
use futures::StreamExt;
use logsql::session::{LogTableFactory, OpenedLogs, ReadLog, LOG_FILE_TYPE};
use logsql::source::input::STDIN_NAME;
use logsql::source::{find_log_files, DirFilter, LeftOut, LogFile, Spool};
use logsql::table::hidden::{hide_columns, ident};
use logsql::table::ScanStats;
use logsql::{register_table, rejects_name, Format, FormatRegistry, LogTable, RejectsTable};

use super::args::{Cli, OutFormat};
use super::output::ResultWriter;
use super::saved;
use datafusion::common::TableReference;

/// Splits `sql` into its statements.
pub fn parse_statements(sql: &str) -> Result<Vec<Statement>> {
    Ok(DFParser::parse_sql(sql)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .into_iter()
        .collect())
}

/// A log table created in SQL: its name, counters, format, and the name of its rejects table
/// (`None` when its options say `'rejects' 'none'`).
type SqlTable = (String, Arc<ScanStats>, Arc<Format>, Option<String>);

/// A session: the DataFusion context and the log tables registered in it.
pub struct Session {
    pub ctx: SessionContext,
    /// Log tables by name, in registration order.
    pub tables: Vec<(String, Arc<LogTable>)>,
    pub out_format: OutFormat,
    /// Only files whose names match are taken from directories.
    pub dir_filter: DirFilter,
    /// The formats `--format` names and detection picks from.
    pub registry: Arc<FormatRegistry>,
    /// Standard input, copied to a temporary file as queries read it, so that it can be read
    /// again (rejects, the next statement); removed when the session ends.
    stdin_spool: Option<Spool>,
    /// Log tables made from SQL (`CREATE EXTERNAL TABLE ... STORED AS LOG`), found in the
    /// catalog at each statement: name, scan counters, format.
    sql_tables: Mutex<Vec<SqlTable>>,
    /// Tables `read_log(...)` opened for the current statement.
    read_logs: Arc<OpenedLogs>,
    /// Whether a statement met damaged input (its answer covers only the lines before it),
    /// or files out of the time order `--time-ordered` assumed.
    damaged: AtomicBool,
    /// `--time-ordered`: the slack of the time order assumed for the tables opened.
    time_ordered: Option<std::time::Duration>,
}

impl Session {
    pub fn new(cli: &Cli) -> Result<Self> {
        let mut config = SessionConfig::new().with_information_schema(true);
        // Two partitions per core by default: a scan thread that waits for its consumer (the
        // channel holds two batches) leaves the core to another; on 2 cores that took 5-8%
        // off the benchmark's queries (README, Benchmark).
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let partitions = cli
            .partitions
            .unwrap_or((2 * cores).min(super::args::MAX_PARTITIONS))
            .max(1);
        config = config.with_target_partitions(partitions);
        let mut runtime = RuntimeEnvBuilder::new();
        if let Some(bytes) = super::memory::pool_size(cli.memory_limit) {
            // Each sort partition holds back this much to merge what it spilled, out of the
            // limit and before any spilling: DataFusion's 10 MiB each left a small limit
            // (50M, four partitions) too little to sort at all.
            config = config.with_sort_spill_reservation_bytes(
                (bytes / (8 * partitions)).clamp(256 * 1024, 10 * 1024 * 1024),
            );
            // Fair shares: each spilling operator (one aggregation per partition) gets its part
            // of the limit, rather than the first to ask taking it all.
            let pool = FairSpillPool::new(bytes);
            let five = std::num::NonZeroUsize::new(5).expect("5 > 0");
            runtime = runtime.with_memory_pool(Arc::new(TrackConsumersPool::new(pool, five)));
        }
        let ctx = SessionContext::new_with_config_rt(config, runtime.build_arc()?);
        // read_log, CREATE EXTERNAL TABLE ... STORED AS LOG and the log functions.
        logsql::register_extensions(&ctx);
        // ... with read_log telling the session what it opened, to report what it skipped,
        // and the user's formats named and detected in SQL as on the command line.
        let registry = Arc::new(super::formats::registry(cli.formats_dir.as_deref())?);
        let read_logs = Arc::new(OpenedLogs::default());
        let read_log = ReadLog::rows().with_registry(registry.clone());
        ctx.register_udtf("read_log", Arc::new(read_log.recording(read_logs.clone())));
        let rejects = ReadLog::rejects().with_registry(registry.clone());
        ctx.register_udtf("read_log_rejects", Arc::new(rejects));
        let factory = LogTableFactory::with_registry(registry.clone());
        ctx.state_ref()
            .write()
            .table_factories_mut()
            .insert(LOG_FILE_TYPE.to_string(), Arc::new(factory));
        let dir_filter = DirFilter::new(cli.include.as_deref())?;
        let mut session = Session {
            ctx,
            tables: Vec::new(),
            out_format: cli.stdout_format(),
            dir_filter,
            registry,
            stdin_spool: None,
            sql_tables: Mutex::new(Vec::new()),
            read_logs,
            damaged: AtomicBool::new(false),
            time_ordered: cli.time_ordered,
        };
        if !cli.paths.is_empty() {
            session.open(&cli.table, &cli.paths, &cli.format)?;
        }
        Ok(session)
    }

    /// Registers `paths` as table `name` (and `name_rejects`), replacing a table of that name.
    pub fn open(
        &mut self,
        name: &str,
        paths: &[std::path::PathBuf],
        format: &str,
    ) -> Result<Arc<LogTable>> {
        let choice = self.registry.resolve(format).map_err(anyhow::Error::msg)?;
        // The paths are expanded together, so a file named twice (or by a link) is read once;
        // stdin, if named, comes after them.
        let (stdin, named): (Vec<_>, Vec<_>) =
            paths.iter().cloned().partition(|p| p.as_os_str() == "-");
        let found = find_log_files(&named, &self.dir_filter)?;
        let mut files = found.files;
        if !stdin.is_empty() {
            files.push(self.spool_stdin()?);
        }
        let mut table =
            LogTable::from_files_with(files, choice, &self.registry)?.with_left_out(found.left_out);
        warn_left_out(table.left_out(), "");
        warn_unread(table.unread_files(), table.format(), "");
        if let Some(slack) = self.time_ordered {
            table = table.with_time_ordered(slack);
        }
        let table = Arc::new(table);
        if self.tables.iter().any(|(n, _)| n == name) {
            self.ctx.deregister_table(name)?;
            self.ctx.deregister_table(rejects_name(name))?;
            self.tables.retain(|(n, _)| n != name);
        }
        register_table(&self.ctx, name, table.clone())?;
        self.tables.push((name.to_string(), table.clone()));
        Ok(table)
    }

    /// Standard input as a log file: copied (once) to a temporary file that queries read
    /// as it fills.
    fn spool_stdin(&mut self) -> Result<LogFile> {
        let spool = match &self.stdin_spool {
            Some(spool) => spool.clone(),
            None => {
                let spool = spool_stdin()?;
                self.stdin_spool = Some(spool.clone());
                spool
            }
        };
        Ok(LogFile::spooled(spool, STDIN_NAME)?)
    }

    /// Plans one statement with `params` bound to its `$name` placeholders (their names are
    /// added to `used`), ready to run. Resets the scan counters.
    /// The hidden columns (`_file`, `_line`) of log tables are kept out of wildcards.
    pub async fn plan(
        &self,
        mut statement: Statement,
        params: &HashMap<String, String>,
        used: &mut Vec<String>,
    ) -> Result<DataFrame> {
        for (_, table) in &self.tables {
            table.stats().reset();
        }
        self.read_logs.clear();
        let sql_tables = self.find_sql_tables().await;
        for (_, stats, _, _) in &sql_tables {
            stats.reset();
        }
        let mut names: Vec<String> = self.tables.iter().map(|(n, _)| registered(n)).collect();
        names.extend(sql_tables.iter().map(|(n, _, _, _)| n.clone()));
        hide_columns(&mut statement, &names);
        if let Ok(mut found) = self.sql_tables.lock() {
            *found = sql_tables;
        }
        let plan = self.ctx.state().statement_to_plan(statement).await?;
        let plan = saved::bind(plan, params, used)?;
        Ok(self.ctx.execute_logical_plan(plan).await?)
    }

    /// Runs `df`, printing its result to `out` in the session's format.
    pub async fn print(&self, df: DataFrame, out: &mut impl Write) -> Result<()> {
        let schema = Arc::new(df.schema().as_arrow().clone());
        let mut stream = df.execute_stream().await?;
        if schema.fields().is_empty() {
            // A statement without a result (CREATE, DROP, SET): run it, print nothing.
            while let Some(batch) = stream.next().await {
                batch?;
            }
            self.report_rejects();
            return Ok(());
        }
        let mut writer = ResultWriter::new(self.out_format, &mut *out, schema.clone());
        let mut rows = 0;
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            rows += batch.num_rows();
            writer.write(&batch).context("writing the result")?;
        }
        writer.finish(rows, &schema).context("writing the result")?;
        self.report_rejects();
        Ok(())
    }

    /// The log tables in the default schema that the session did not open itself (made by
    /// `CREATE EXTERNAL TABLE ... STORED AS LOG`).
    async fn find_sql_tables(&self) -> Vec<SqlTable> {
        let state = self.ctx.state();
        let defaults = &state.config().options().catalog;
        let Some(schema) = self
            .ctx
            .catalog(&defaults.default_catalog)
            .and_then(|c| c.schema(&defaults.default_schema))
        else {
            return Vec::new();
        };
        let (mut tables, mut rejects) = (Vec::new(), Vec::new());
        for name in schema.table_names() {
            if self.tables.iter().any(|(n, _)| registered(n) == name) {
                continue;
            }
            if let Ok(Some(provider)) = schema.table(&name).await {
                if provider.downcast_ref::<LogTable>().is_some() {
                    tables.push((name, provider));
                } else if provider.downcast_ref::<RejectsTable>().is_some() {
                    rejects.push((name, provider));
                }
            }
        }
        let mut found: Vec<SqlTable> = tables
            .iter()
            .filter_map(|(name, provider)| {
                let table = provider.downcast_ref::<LogTable>()?;
                if !self.known_sql_table(table) {
                    warn_left_out(table.left_out(), &format!(" of table {name}"));
                }
                let rejects = rejects.iter().find_map(|(r, p)| {
                    let of = p.downcast_ref::<RejectsTable>()?.is_of(table);
                    of.then(|| r.clone())
                });
                Some((
                    name.clone(),
                    table.stats().clone(),
                    table.format().clone(),
                    rejects,
                ))
            })
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found
    }

    /// Whether the last statement planned saw `table` (made by SQL) already: its files left
    /// out have been named, once, when it was first seen.
    fn known_sql_table(&self, table: &LogTable) -> bool {
        let known = self.sql_tables.lock();
        let mut known = known.iter().flat_map(|t| t.iter());
        known.any(|(_, stats, _, _)| Arc::ptr_eq(stats, table.stats()))
    }

    /// The `read_log` tables the last statement opened, one per call however often it names
    /// the call (a self-join reads the same files twice, and would report them twice).
    fn distinct_read_logs(&self) -> Vec<logsql::session::OpenedLog> {
        let mut seen = std::collections::HashSet::new();
        let mut all = self.read_logs.snapshot();
        all.retain(|r| seen.insert(r.call.clone()));
        all
    }

    /// Names on stderr each file whose damaged data cut the reading short, and each file
    /// found out of the time order `--time-ordered` assumed, one line each (for the
    /// statements since the counters were last reset); and the files a `read_log` call
    /// detected a format none of their first lines is in.
    pub fn report_damage(&self) {
        let read_logs = self.distinct_read_logs();
        for r in &read_logs {
            warn_left_out(&r.left_out, &format!(" by {}", r.call));
            warn_unread(&r.unread, &r.format, &format!(" in {}", r.call));
        }
        let sql_tables = self
            .sql_tables
            .lock()
            .map(|t| t.clone())
            .unwrap_or_default();
        let opened = self.tables.iter().map(|(_, t)| t.stats());
        let from_sql = sql_tables.iter().map(|(_, stats, _, _)| stats);
        for stats in opened
            .chain(from_sql)
            .chain(read_logs.iter().map(|r| &r.stats))
        {
            let (damage, disorder) = (stats.damage(), stats.disorder());
            // A file read whole after all leaves the answer complete: said, not exit 3.
            if !damage.is_empty() || disorder.iter().any(|d| !d.read_whole) {
                self.damaged.store(true, Ordering::Relaxed);
            }
            let warnings = damage.iter().map(ToString::to_string);
            for warning in warnings.chain(disorder.iter().map(ToString::to_string)) {
                let _ = writeln!(io::stderr(), "logsql: warning: {warning}");
            }
        }
    }

    /// Whether any statement so far met damaged input (see [`logsql::table::Damage`]).
    pub fn input_damaged(&self) -> bool {
        self.damaged.load(Ordering::Relaxed)
    }

    /// Says which formats detection picked, to a person watching (scripts see nothing).
    pub fn report_detected_formats(&self) {
        if !std::io::IsTerminal::is_terminal(&io::stderr()) {
            return;
        }
        for (name, table) in &self.tables {
            if table.detected() {
                let _ = writeln!(
                    io::stderr(),
                    "logsql: {name}: format {} (detected; choose another with --format)",
                    table.format().name()
                );
            }
        }
    }

    /// Tells on stderr how many lines the last statement skipped, and how to see them, and
    /// names each file whose damaged data cut the reading short (one line each).
    pub fn report_rejects(&self) {
        self.report_damage();
        let sql_tables = self
            .sql_tables
            .lock()
            .map(|t| t.clone())
            .unwrap_or_default();
        let opened = self.tables.iter().map(|(name, table)| {
            let rejects = Some(ident(&registered(&rejects_name(name))).to_string());
            (
                String::new(),
                table.stats().clone(),
                table.format().clone(),
                rejects,
            )
        });
        // What each table is called in the message ("" for a named one, " of read_log(...)"),
        // its counters and format, and where its rejects are, if anywhere.
        let from_sql = sql_tables.into_iter().map(|(_, stats, format, rejects)| {
            (
                String::new(),
                stats,
                format,
                rejects.map(|r| ident(&r).to_string()),
            )
        });
        let read_logs = self.distinct_read_logs().into_iter().map(|r| {
            let of = format!(" of {}", r.call);
            (of, r.stats, r.format, Some(r.rejects_call))
        });
        for (of, stats, format, rejects) in opened.chain(from_sql).chain(read_logs) {
            let rejected = stats.rejected();
            if rejected == 0 {
                continue;
            }
            let see = match rejects {
                Some(table) => format!("; see them with: SELECT * FROM {table}"),
                None => String::new(),
            };
            let _ = writeln!(
                io::stderr(),
                "logsql: skipped {rejected} line{}{of} that did not parse as {}{see}",
                if rejected == 1 { "" } else { "s" },
                format.name(),
            );
        }
    }
}

/// Names on stderr each file a walk or glob found that logsql does not read, left out of the
/// table (by `context`, e.g. ` by read_log('dir')`): the answer covers the others.
pub fn warn_left_out(files: &[LeftOut], context: &str) {
    for file in files {
        let _ = writeln!(io::stderr(), "logsql: warning: {file}; left out{context}");
    }
}

/// Names on stderr each file of whose first lines `format`, detected for the files it was
/// read with (`context`, e.g. ` in read_log('dir')`), reads none.
fn warn_unread(files: &[String], format: &Format, context: &str) {
    for file in files {
        let _ = writeln!(
            io::stderr(),
            "logsql: warning: {file}: none of its first lines parse as {}, the format detected for the files read with it{context}; its lines that do not parse are rejects (if it is another format, query it on its own)",
            format.name()
        );
    }
}

/// A table name given on the command line as DataFusion registers it: folded to lower case,
/// as SQL folds the unquoted name (`--table MyLogs` is `mylogs`).
pub fn registered(name: &str) -> String {
    TableReference::from(name).table().to_string()
}

/// Starts copying standard input to a temporary file that readers follow as it fills; a
/// terminal is refused, as a log is piped in.
pub fn spool_stdin() -> Result<Spool> {
    if io::IsTerminal::is_terminal(&io::stdin()) {
        anyhow::bail!(
            "standard input is a terminal, not a log: pipe one in, e.g. zcat access.log.gz | logsql - -e SQL"
        );
    }
    widen_pipe(io::stdin());
    Spool::start(io::stdin()).context("copying standard input")
}

/// Asks for a 1 MB buffer when `fd` is a pipe. With Linux's default of 64 KB, reading a
/// gigabyte from `cat` took 4.0 s here, and 1.3 s with 1 MB (the most an unprivileged process
/// may ask for, `/proc/sys/fs/pipe-max-size`). Not a pipe, or refused: nothing changes.
fn widen_pipe(fd: impl std::os::fd::AsFd) {
    #[cfg(target_os = "linux")]
    {
        use nix::fcntl::{fcntl, FcntlArg};
        let _ = fcntl(fd, FcntlArg::F_SETPIPE_SZ(PIPE_SIZE));
    }
    #[cfg(not(target_os = "linux"))]
    let _ = fd;
}

const PIPE_SIZE: i32 = 1 << 20;

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use nix::fcntl::{fcntl, FcntlArg};

    #[test]
    fn a_pipe_is_widened_and_a_file_is_left_alone() {
        let (read, _write) = nix::unistd::pipe().unwrap();
        let size = || fcntl(&read, FcntlArg::F_GETPIPE_SZ).unwrap();
        let before = size();
        assert!(before < super::PIPE_SIZE);
        super::widen_pipe(&read);
        // An unprivileged process may not go past the system's maximum (root may).
        let max: i32 = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
            .map_or(0, |s| s.trim().parse().unwrap_or(0));
        if max >= super::PIPE_SIZE {
            assert_eq!(size(), super::PIPE_SIZE);
        } else {
            assert!([before, super::PIPE_SIZE].contains(&size()));
        }
        let file = tempfile::tempfile().unwrap();
        super::widen_pipe(&file);
        assert!(fcntl(&file, FcntlArg::F_GETPIPE_SZ).is_err());
    }
}
