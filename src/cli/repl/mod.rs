//! The interactive SQL shell (`logsql access.log` without `-e`), and its non-terminal twin
//! (`logsql access.log < queries.sql`), which runs the same splitter and commands.
//!
//! The line editor runs on the main thread; each statement or command runs to completion on
//! the tokio runtime, raced against Ctrl-C so a long scan can be abandoned (dropping the
//! DataFusion stream stops the reading). Every failure, even a panic, is one message and the
//! session goes on.

pub mod commands;
pub mod complete;
pub mod display;
pub mod progress;
pub mod splitter;

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{anyhow, Context as _, Result};
use arrow::array::RecordBatch;
use clap::ValueEnum;
use datafusion::sql::parser::DFParser;
use futures::{FutureExt, StreamExt};
use rustyline::config::{CompletionType, Config};
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::Editor;

use super::aligned::write_table;
use super::args::Cli;
pub use super::args::OutFormat as Mode;
use super::exit::Outcome;
use super::output::{write_markdown, ResultWriter};
use super::run::Session;
use commands::Command;
use complete::{Catalog, ShellHelper};
use splitter::Item;

/// Rows shown in table and markdown modes unless `.maxrows` says otherwise.
pub const DEFAULT_MAX_ROWS: usize = 40;

pub fn parse_mode(s: &str) -> Result<Mode> {
    match Mode::from_str(s, true) {
        Ok(Mode::Parquet) | Err(_) => Err(anyhow!(
            "unknown mode {s:?}: table, csv, tsv, json, ndjson or markdown"
        )),
        Ok(m) => Ok(m),
    }
}

pub fn mode_name(m: Mode) -> String {
    m.to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default()
}

/// What `.mode`, `.output`, `.timer` and `.maxrows` set.
pub struct Settings {
    pub mode: Mode,
    pub max_rows: usize,
    pub timer: bool,
    pub output: Option<(PathBuf, BufWriter<File>)>,
}

/// The query was cancelled with Ctrl-C.
#[derive(Debug)]
struct Cancelled;

impl std::fmt::Display for Cancelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cancelled")
    }
}

impl std::error::Error for Cancelled {}

/// A statement that does not parse; its message shows the line and a caret, so it keeps its
/// line breaks.
#[derive(Debug)]
struct ParseFailure(String);

impl std::fmt::Display for ParseFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseFailure {}

/// A shell session.
pub struct Repl {
    pub session: Session,
    pub settings: Settings,
    /// Talking to a person: footers, progress, Ctrl-C handling.
    interactive: bool,
    /// `.read` nesting.
    depth: usize,
    /// Statements and commands that failed (the exit status of a piped run).
    failures: usize,
    catalog: Arc<Mutex<Catalog>>,
}

/// The shell reads its statements from stdin, so stdin cannot be a log as well.
fn refuse_stdin_log(paths: &[std::path::PathBuf]) -> Result<()> {
    if paths.iter().any(|p| p.as_os_str() == "-") {
        anyhow::bail!(
            "the shell reads its statements from standard input, so '-' cannot be a log here: pipe the log with a query, logsql - -e SQL (or -f FILE)"
        );
    }
    Ok(())
}

/// Runs the shell: interactive when stdin is a terminal, else the statements on stdin.
pub fn run(cli: &Cli) -> Result<Outcome> {
    refuse_stdin_log(&cli.paths)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let interactive = io::stdin().is_terminal();
    let mut repl = runtime.block_on(async {
        let session = Session::new(cli)?;
        let mut repl = Repl {
            session,
            settings: Settings {
                mode: cli.stdout_format(),
                // A script's results are data: every row, as `-e` prints them.
                max_rows: if interactive { DEFAULT_MAX_ROWS } else { 0 },
                timer: interactive,
                output: None,
            },
            interactive,
            depth: 0,
            failures: 0,
            catalog: Arc::new(Mutex::new(Catalog::default())),
        };
        repl.refresh_completion().await;
        anyhow::Ok(repl)
    })?;
    if interactive {
        let result = repl.interactive(&runtime, cli.no_history);
        // A cancelled query's tasks stop at their next await; do not wait for them to exit.
        runtime.shutdown_background();
        return result.map(|()| Outcome::Complete);
    }
    let mut text = String::new();
    io::stdin()
        .read_to_string(&mut text)
        .context("reading statements from stdin")?;
    let split = splitter::split(&text);
    if split.items.is_empty() && split.rest.is_none() {
        anyhow::bail!(
            "no query given: pass SQL with -e, e.g. -e \"SELECT count(*) FROM {}\", or statements on stdin",
            cli.table
        );
    }
    runtime.block_on(async {
        // Errors were reported one by one; here only their count matters.
        let _ = repl.run_script(&text).await;
    });
    repl.flush_output();
    match repl.failures {
        0 => Ok(Outcome::partial_if(repl.session.input_damaged())),
        1 => Err(anyhow!("1 statement failed")),
        n => Err(anyhow!("{n} statements failed")),
    }
}

/// `$XDG_DATA_HOME/logsql/history` (or the platform's data directory).
fn history_path() -> Option<PathBuf> {
    let dir = dirs::data_dir()?.join("logsql");
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir.join("history"))
}

impl Repl {
    fn interactive(&mut self, runtime: &tokio::runtime::Runtime, no_history: bool) -> Result<()> {
        // Install the SIGINT handler now, so Ctrl-C between two queries never kills the shell.
        let mut ctrl_c = super::interrupt::ctrl_c_count()?;
        let config = Config::builder()
            .auto_add_history(false)
            .history_ignore_space(true)
            .completion_type(CompletionType::List)
            .max_history_size(10_000)?
            .build();
        let mut editor: Editor<ShellHelper, FileHistory> = Editor::with_config(config)?;
        editor.set_helper(Some(ShellHelper::new(self.catalog.clone())));
        let history = if no_history { None } else { history_path() };
        if let Some(path) = &history {
            let _ = editor.load_history(path);
        }
        self.say(&self.banner());
        loop {
            let input = match editor.readline("logsql> ") {
                Ok(input) => input,
                // Ctrl-C at the prompt abandons the line being typed.
                Err(ReadlineError::Interrupted) => continue,
                Err(ReadlineError::Eof) => break,
                Err(e) => return Err(e.into()),
            };
            if input.trim().is_empty() {
                continue;
            }
            let _ = editor.add_history_entry(input.as_str());
            if let Some(path) = &history {
                let _ = editor.append_history(path);
            }
            let split = splitter::split(&input);
            let items = split.items.into_iter().chain(split.rest.map(Item::Sql));
            let mut quit = false;
            for item in items {
                // A Ctrl-C from before this statement is not for it.
                ctrl_c.borrow_and_update();
                let go_on = runtime.block_on(async {
                    tokio::select! {
                        r = self.run_item_safely(item) => r,
                        _ = ctrl_c.changed() => {
                            eprintln!("\r\x1b[2Kcancelled (Ctrl-C)");
                            true
                        }
                    }
                });
                if !go_on {
                    quit = true;
                    break;
                }
            }
            self.flush_output();
            if quit {
                break;
            }
        }
        Ok(())
    }

    fn banner(&self) -> String {
        let tables: Vec<String> = self
            .session
            .tables
            .iter()
            .map(|(n, t)| {
                let k = t.files().len();
                format!(
                    "{n} ({}{}, {k} file{})",
                    t.format().name(),
                    if t.detected() { " detected" } else { "" },
                    if k == 1 { "" } else { "s" }
                )
            })
            .collect();
        let tables = if tables.is_empty() {
            "none yet (.open PATH...)".into()
        } else {
            tables.join(", ")
        };
        format!(
            "logsql {}: SQL over log files. Tables: {tables}.\nEnd statements with ';'. .help for commands, Tab completes, Ctrl-D quits.\n",
            env!("CARGO_PKG_VERSION")
        )
    }

    /// Runs one item, reporting its error; `false` means quit.
    async fn run_item_safely(&mut self, item: Item) -> bool {
        match AssertUnwindSafe(self.run_item(item)).catch_unwind().await {
            Ok(Ok(go_on)) => go_on,
            Ok(Err(e)) => {
                self.report(&e);
                true
            }
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown".into());
                self.failures += 1;
                eprintln!("Error: internal error (please report it): {msg}");
                true
            }
        }
    }

    fn report(&mut self, e: &anyhow::Error) {
        self.failures += 1;
        if e.is::<Cancelled>() {
            eprintln!("cancelled");
            return;
        }
        if let Some(p) = e.downcast_ref::<ParseFailure>() {
            eprintln!("Error: {p}");
            return;
        }
        // One line whatever the source: DataFusion errors can span several.
        let message = crate::cli::error_line(e);
        eprintln!("Error: {message}");
    }

    async fn run_item(&mut self, item: Item) -> Result<bool> {
        match item {
            Item::Meta(line) => {
                let cmd = Command::parse(&line)?;
                self.run_command(cmd).await
            }
            Item::Sql(sql) => {
                self.run_statement(&sql).await?;
                Ok(true)
            }
        }
    }

    /// Runs a script's statements and commands; a failure is reported and the next one runs.
    /// Returns `false` if the script said `.quit`.
    async fn run_script(&mut self, text: &str) -> Result<bool> {
        let split = splitter::split(text);
        for item in split.items.into_iter().chain(split.rest.map(Item::Sql)) {
            if !self.run_item_safely(item).await {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Parses, plans and runs one statement, printing its result in the current mode.
    async fn run_statement(&mut self, sql: &str) -> Result<()> {
        let statements = DFParser::parse_sql(sql)
            .map_err(|e| ParseFailure(with_position(sql, &e.to_string().replace('\n', " "))))?;
        for statement in statements {
            // `Session::plan` resets the scan counters the progress line reads.
            let started = Instant::now();
            let progress = progress::Progress::start(
                self.session.tables.iter().map(|(_, t)| t.clone()).collect(),
            );
            let df = self
                .session
                .plan(statement, &Default::default(), &mut Vec::new())
                .await?;
            let schema = Arc::new(df.schema().as_arrow().clone());
            let mut stream = df.execute_stream().await?;
            let mode = self.settings.mode;
            let limit = match mode {
                Mode::Table | Mode::Markdown if self.settings.max_rows > 0 => {
                    self.settings.max_rows
                }
                _ => usize::MAX,
            };
            let mut rows = 0usize;
            let mut kept: Vec<RecordBatch> = Vec::new();
            // Shown up to `.maxrows`: held to be cut and aligned. All rows (`.maxrows 0`):
            // streamed, as `-e` prints them, in flat memory.
            let buffered = matches!(mode, Mode::Table | Mode::Markdown) && limit != usize::MAX;
            {
                // A statement without columns (CREATE, SET) prints nothing, in every mode.
                let streams = !buffered && !schema.fields().is_empty();
                let mut writer =
                    streams.then(|| ResultWriter::new(mode, self.out(), schema.clone()));
                while let Some(batch) = stream.next().await {
                    let batch = batch?;
                    if let Some(w) = writer.as_mut() {
                        w.write(&batch).context("writing the result")?;
                    } else if rows < limit {
                        kept.push(batch.slice(0, batch.num_rows().min(limit - rows)));
                    }
                    rows += batch.num_rows();
                }
                if let Some(w) = writer {
                    w.finish(rows, &schema).context("writing the result")?;
                }
            }
            drop(progress);
            let elapsed = started.elapsed();
            if buffered && !schema.fields().is_empty() {
                // Cells are cut to fit a screen, not a file (`.output`).
                let whole =
                    is_explain(&schema) || !self.interactive || self.settings.output.is_some();
                let mut out = self.out();
                if mode == Mode::Markdown {
                    write_markdown(&mut out, &schema, &kept)?;
                } else if whole {
                    // Plans are many long lines, and a script's results are data: whole.
                    write_table(&mut out, &schema, &kept)?;
                } else {
                    display::write_table(&mut out, &schema, &kept)?;
                }
                out.flush()?;
            }
            self.footer(
                rows,
                rows.saturating_sub(limit),
                schema.fields().is_empty(),
                elapsed,
            );
            self.session.report_rejects();
        }
        self.refresh_completion().await;
        Ok(())
    }

    /// `12 rows (0.031 s)`, on the screen, for people only.
    fn footer(&self, rows: usize, omitted: usize, no_columns: bool, elapsed: std::time::Duration) {
        let time = if self.settings.timer {
            format!(" ({:.3} s)", elapsed.as_secs_f64())
        } else {
            String::new()
        };
        if !self.interactive {
            // A script's `.maxrows` cut is said, not silent (stderr: stdout holds the data).
            if omitted > 0 {
                eprintln!(
                    "logsql: {rows} rows, {} shown, {omitted} omitted (.maxrows)",
                    rows - omitted
                );
            }
            if self.settings.timer {
                eprintln!("Run time: {:.3} s", elapsed.as_secs_f64());
            }
            return;
        }
        let what = if no_columns {
            "OK".to_string()
        } else {
            format!("{rows} row{}", if rows == 1 { "" } else { "s" })
        };
        let shown = if omitted > 0 {
            format!(
                ", {} shown, {omitted} omitted (.maxrows N to change)",
                rows - omitted
            )
        } else {
            String::new()
        };
        let dest = match &self.settings.output {
            Some((path, _)) if !no_columns => format!(" written to {}", path.display()),
            _ => String::new(),
        };
        self.say(&format!("{what}{dest}{shown}{time}\n"));
    }

    /// Where results go: the `.output` file or stdout.
    fn out(&mut self) -> Box<dyn Write + '_> {
        match &mut self.settings.output {
            Some((_, file)) => Box::new(file),
            None => Box::new(io::stdout()),
        }
    }

    fn flush_output(&mut self) {
        if let Some((_, file)) = &mut self.settings.output {
            let _ = file.flush();
        }
        let _ = io::stdout().flush();
    }

    /// Text for the person at the screen (not the `.output` file).
    fn say(&self, text: &str) {
        let mut out = io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    /// Refreshes the names tab completion offers.
    async fn refresh_completion(&mut self) {
        let mut tables = Vec::new();
        for name in self.table_names() {
            if let Ok(provider) = self.session.ctx.table_provider(name.as_str()).await {
                let cols = provider
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().clone())
                    .collect();
                tables.push((name, cols));
            }
        }
        let state = self.session.ctx.state();
        let mut functions: Vec<String> = state
            .scalar_functions()
            .keys()
            .chain(state.aggregate_functions().keys())
            .chain(state.window_functions().keys())
            .cloned()
            .collect();
        functions.sort();
        functions.dedup();
        if let Ok(mut catalog) = self.catalog.lock() {
            *catalog = Catalog { tables, functions };
        }
    }
}

fn is_explain(schema: &arrow::datatypes::Schema) -> bool {
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    names == ["plan_type", "plan"]
}

/// Adds the offending line and a caret under the column the parser names
/// (`... at Line: 2, Column: 8`).
pub fn with_position(sql: &str, message: &str) -> String {
    let Some((line, column)) = position(message) else {
        return message.to_string();
    };
    let Some(text) = sql.lines().nth(line.saturating_sub(1)) else {
        return message.to_string();
    };
    let pad: String = text
        .chars()
        .take(column.saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    format!("{message}\n  {text}\n  {pad}^")
}

fn position(message: &str) -> Option<(usize, usize)> {
    let at = message.rfind("Line: ")?;
    let rest = &message[at + 6..];
    let line_end = rest.find(|c: char| !c.is_ascii_digit())?;
    let line = rest[..line_end].parse().ok()?;
    let rest = rest[line_end..].strip_prefix(", Column: ")?;
    let col_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let column = rest[..col_end].parse().ok()?;
    Some((line, column))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_point_at_the_column() {
        let sql = "SELECT status\nFORM logs";
        let msg = "SQL error: ParserError(\"Expected: end of statement, found: logs at Line: 2, Column: 6\")";
        assert_eq!(position(msg), Some((2, 6)));
        assert_eq!(
            with_position(sql, msg),
            format!("{msg}\n  FORM logs\n       ^")
        );
        assert_eq!(with_position(sql, "no position"), "no position");
    }

    #[test]
    fn modes_parse_and_print() {
        assert_eq!(parse_mode("markdown").unwrap(), Mode::Markdown);
        assert_eq!(parse_mode("CSV").unwrap(), Mode::Csv);
        assert_eq!(mode_name(Mode::Ndjson), "ndjson");
        assert!(parse_mode("xml").is_err());
    }
}
