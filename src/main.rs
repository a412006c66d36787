//! The `logsql` binary: a thin layer over the library.
#![forbid(unsafe_code)]

mod cli;

use std::collections::HashMap;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use clap::Parser;
use logsql::generate::{generate, GenFormat, GenOptions};

use cli::args::{Cli, Command, OutFormat};
use cli::exit::{self, Outcome};
use cli::export::{format_for, Export};
use cli::run::{parse_statements, Session};
use cli::saved::SavedQuery;

fn main() -> ExitCode {
    let mut cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print in full; a usage error is one line, exit status 2.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            let _ = writeln!(
                io::stderr(),
                "logsql: error: {} (see logsql --help)",
                usage_error_line(&e.to_string())
            );
            return ExitCode::from(exit::USAGE);
        }
    };
    // `-o -` is stdout, as `-` is stdin among the paths.
    if cli.output.as_deref() == Some(std::path::Path::new("-")) {
        cli.output = None;
    }
    if let Some(message) = misplaced_command(&cli) {
        let _ = writeln!(io::stderr(), "logsql: error: {message}");
        return ExitCode::from(exit::USAGE);
    }
    let result = match &cli.command {
        Some(Command::Generate {
            lines,
            seed,
            format,
            no_bad_lines,
            visitors,
        }) => run_generate(*lines, *seed, format, !*no_bad_lines, *visitors)
            .map(|()| Outcome::Complete),
        Some(Command::Formats { paths, check }) => {
            cli::formats::run(cli.formats_dir.as_deref(), paths, *check).map(|()| Outcome::Complete)
        }
        Some(Command::Queries) => {
            let stdout = io::stdout();
            cli::saved::list(&mut stdout.lock())
                .map(|()| Outcome::Complete)
                .map_err(Into::into)
        }
        Some(Command::Report {
            paths,
            format,
            include,
            output,
            force,
        }) => run_report(
            paths,
            format,
            include.as_deref(),
            cli.formats_dir.as_deref(),
            output.as_deref(),
            *force,
        ),
        // No -e or -f: the interactive shell (or the statements piped on stdin).
        None if cli.execute.is_empty() && cli.file.is_empty() => {
            if cli.follow {
                Err(exit::usage(
                    "--follow needs a query: pass it with -e (in the shell, use .follow SELECT ...)",
                ))
            } else if cli.output.is_some() {
                Err(exit::usage("-o needs a query: pass it with -e or -f"))
            } else {
                cli::repl::run(&cli)
            }
        }
        None if cli.follow => cli::follow::run_cli(&cli).map(|()| Outcome::Complete),
        None => run_query(&cli),
    };
    // Scans that the answer no longer needed (the reader of our output went away, a LIMIT)
    // may still hold temporary files, and the process ends without dropping them.
    logsql::temp_files::remove_all();
    match result {
        Ok(outcome) => outcome.exit_code(),
        // The reader stopped reading (`| head`): it has what it wanted.
        Err(e) if cli::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<exit::UsageError>().is_some() => {
            let _ = writeln!(io::stderr(), "logsql: error: {e} (see logsql --help)");
            ExitCode::from(exit::USAGE)
        }
        Err(e) => {
            // One line, whatever the source: DataFusion and I/O errors can span several.
            let message = cli::error_line(&e);
            let _ = writeln!(io::stderr(), "logsql: error: {message}");
            ExitCode::from(exit::ERROR)
        }
    }
}

/// An error that quotes the value of a `--param` this statement uses (`to_timestamp($since)`
/// with `since=garbage`: `Error parsing timestamp from 'garbage'`) names the parameter too;
/// not when the statement's own text quotes that value.
fn naming_param(e: anyhow::Error, given: &HashMap<String, String>, sql: &str) -> anyhow::Error {
    let text = cli::error_line(&e);
    let mut named: Vec<(&String, &String)> = given
        .iter()
        .filter(|(name, value)| {
            let quoted = format!("'{value}'");
            !value.is_empty()
                && text.contains(&quoted)
                && !sql.contains(&quoted)
                && uses_param(sql, name)
        })
        .collect();
    named.sort();
    match named.first() {
        Some((name, value)) => e.context(format!("--param {name}={value}")),
        None => e,
    }
}

/// Whether `sql` has the placeholder `$name` (not `$name2`).
fn uses_param(sql: &str, name: &str) -> bool {
    let token = format!("${name}");
    sql.match_indices(&token).any(|(at, _)| {
        let next = sql[at + token.len()..].chars().next();
        !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// Words clap took for paths that are no files but something else misplaced: a subcommand
/// after options (`logsql --format combined report a.log`), or the slack of `--time-ordered`
/// given apart (`--time-ordered 5m`, which must be `--time-ordered=5m`). Says what was meant.
fn misplaced_command(cli: &Cli) -> Option<String> {
    let missing = |p: &std::path::Path| !p.exists();
    let first = cli.paths.first()?;
    let known = ["report", "formats", "queries"];
    if let Some(name) = first.to_str().filter(|n| known.contains(n)) {
        if cli.command.is_none() && missing(first) {
            return Some(format!(
                "{name}: no such file; to run the {name} command, name it first: logsql {name} [OPTIONS] (see logsql --help)"
            ));
        }
    }
    // `-e` takes SQL that starts with `--` (a comment), so a forgotten SQL takes the next
    // option instead.
    if let Some(option) = cli.execute.iter().find(|sql| is_option(sql)) {
        return Some(format!(
            "-e needs SQL; got the option {option} (see logsql --help)"
        ));
    }
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let slack = args
        .windows(2)
        .find(|w| w[0] == "--time-ordered")
        .map(|w| std::path::PathBuf::from(&w[1]))?;
    (cli.paths.contains(&slack) && missing(&slack)).then(|| {
        format!(
            "{0}: no such file; a slack goes after '=': --time-ordered={0} (see logsql --help)",
            slack.display()
        )
    })
}

/// Whether `arg` is one of logsql's options (`--format`, `--format=json`, `-f`).
fn is_option(arg: &str) -> bool {
    use clap::CommandFactory;
    let name = arg.split_once('=').map_or(arg, |(name, _)| name);
    Cli::command().get_arguments().any(|a| {
        a.get_long()
            .is_some_and(|long| name.strip_prefix("--") == Some(long))
            || a.get_short()
                .is_some_and(|short| name == format!("-{short}"))
    }) || matches!(name, "-h" | "--help" | "-V" | "--version")
}

/// Clap's usage error as one line: its first line, with the indented lines under it (the
/// missing arguments' names) joined on.
fn usage_error_line(text: &str) -> String {
    let mut lines = text.lines();
    let mut line = lines
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .to_string();
    let named: Vec<&str> = lines
        .take_while(|l| l.starts_with("  "))
        .map(str::trim)
        .collect();
    if !named.is_empty() {
        line = format!("{} {}", line.trim_end(), named.join(", "));
    }
    line
}

fn run_query(cli: &Cli) -> anyhow::Result<Outcome> {
    if cli.execute.is_empty() && cli.file.is_empty() {
        anyhow::bail!(
            "no query given: pass SQL with -e, e.g. -e \"SELECT count(*) FROM {}\", or a file with -f",
            cli.table
        );
    }
    if cli.stdout_format() == OutFormat::Parquet && cli.output.is_none() {
        return Err(exit::usage(
            "parquet is a binary format: write it to a file with -o FILE.parquet",
        ));
    }
    let given: HashMap<String, String> = cli.params.iter().cloned().collect();
    // Every statement with the parameter values it gets: -e statements, then -f files (whose
    // header defaults apply where --param gives no value).
    let mut statements = Vec::new();
    for sql in &cli.execute {
        for statement in parse_statements(sql)? {
            statements.push((statement, given.clone()));
        }
    }
    for arg in &cli.file {
        let query = SavedQuery::load(arg)?;
        let params = query.bound_params(&given);
        let parsed = parse_statements(&query.sql).with_context(|| format!("in {arg}"))?;
        if parsed.is_empty() {
            anyhow::bail!("no SQL statement in {arg}");
        }
        statements.extend(parsed.into_iter().map(|s| (s, params.clone())));
    }
    if statements.is_empty() {
        anyhow::bail!("no SQL statement given");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    cli::interrupt::exit_on_signals()?;
    // Check the output file before running anything.
    let export = match &cli.output {
        Some(path) => Some((
            path,
            format_for(path, cli.out_format)?,
            Export::create(path, cli.force)?,
        )),
        None => None,
    };
    let outcome = runtime.block_on(async {
        let session = Session::new(cli)?;
        session.report_detected_formats();
        let stdout = io::stdout();
        let mut out = io::BufWriter::new(stdout.lock());
        let mut used = Vec::new();
        let last = statements.len() - 1;
        let mut export = export;
        for (i, (statement, params)) in statements.into_iter().enumerate() {
            let sql = statement.to_string();
            let run = async {
                let df = session.plan(statement, &params, &mut used).await?;
                match export.take() {
                    // The last result goes to the -o file.
                    Some((path, format, file)) if i == last => {
                        let schema = Arc::new(df.schema().as_arrow().clone());
                        let stream = df.execute_stream().await?;
                        let rows = file.write_stream(format, schema, stream).await?;
                        file.finish()?;
                        session.report_rejects();
                        let _ = writeln!(
                            io::stderr(),
                            "logsql: wrote {rows} row{} to {}",
                            if rows == 1 { "" } else { "s" },
                            path.display()
                        );
                    }
                    other => {
                        export = other;
                        session.print(df, &mut out).await?;
                    }
                }
                anyhow::Ok(())
            };
            run.await.map_err(|e| naming_param(e, &given, &sql))?;
        }
        out.flush()?;
        for (name, _) in &cli.params {
            if !used.contains(name) {
                let _ = writeln!(
                    io::stderr(),
                    "logsql: warning: no statement uses --param {name} (${name})"
                );
            }
        }
        Ok(Outcome::partial_if(session.input_damaged()))
    });
    // A scan the answer no longer needs may still wait for piped input (a LIMIT that was not
    // pushed into it, over `tail -f`): exit without waiting for it.
    runtime.shutdown_background();
    outcome
}

fn run_report(
    paths: &[std::path::PathBuf],
    format: &str,
    include: Option<&str>,
    formats_dir: Option<&std::path::Path>,
    output: Option<&std::path::Path>,
    force: bool,
) -> anyhow::Result<Outcome> {
    let cli = Cli {
        command: None,
        paths: paths.to_vec(),
        include: include.map(str::to_string),
        execute: Vec::new(),
        file: Vec::new(),
        params: Vec::new(),
        output: None,
        force,
        format: format.to_string(),
        formats_dir: formats_dir.map(Into::into),
        table: "logs".into(),
        out_format: None,
        partitions: None,
        time_ordered: None,
        memory_limit: None,
        no_history: true,
        follow: false,
        from_start: false,
        interval: 2.0,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    cli::interrupt::exit_on_signals()?;
    let export = match output {
        Some(path) => Some(Export::create(path, force)?),
        None => None,
    };
    runtime.block_on(async {
        let session = Session::new(&cli)?;
        let report = cli::report::Report::compute(&session, "logs").await?;
        session.report_damage();
        match (export, output) {
            (Some(file), Some(path)) => {
                let html = path
                    .extension()
                    .is_none_or(|e| !e.eq_ignore_ascii_case("txt"));
                let text = if html { report.html() } else { report.text() };
                file.write_all(text.as_bytes())?;
                file.finish()?;
                let _ = writeln!(
                    io::stderr(),
                    "logsql: wrote the report to {}",
                    path.display()
                );
            }
            _ => {
                let stdout = io::stdout();
                let mut out = stdout.lock();
                out.write_all(report.text().as_bytes())?;
                out.flush()?;
            }
        }
        Ok(Outcome::partial_if(session.input_damaged()))
    })
}

fn run_generate(
    lines: u64,
    seed: u64,
    format: &str,
    bad_lines: bool,
    visitors: Option<u64>,
) -> anyhow::Result<()> {
    let opts = GenOptions {
        lines,
        seed,
        format: format.parse::<GenFormat>().map_err(anyhow::Error::msg)?,
        bad_lines,
        no_final_newline: bad_lines,
        visitors,
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 20, stdout.lock());
    generate(&opts, &mut out)?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parameter is named only when this statement uses it and does not quote the value
    /// itself.
    #[test]
    fn an_error_names_the_param_whose_value_it_quotes() {
        let given: HashMap<String, String> = [
            ("since".to_string(), "garbage".to_string()),
            ("n".to_string(), "1".to_string()),
        ]
        .into();
        let error = || anyhow::anyhow!("Parser error: Error parsing timestamp from 'garbage'");
        let named = |sql: &str| cli::error_line(&naming_param(error(), &given, sql));
        assert!(named("SELECT to_timestamp($since)").starts_with("--param since=garbage: "));
        // Not used here, or quoted by the statement itself, or a longer name.
        for sql in [
            "SELECT to_timestamp('x')",
            "SELECT to_timestamp('garbage'), $since",
            "SELECT $since2",
        ] {
            assert!(named(sql).starts_with("Parser error"), "{sql}");
        }
        assert!(uses_param("WHERE a = $n", "n") && !uses_param("WHERE a = $n_2", "n"));
    }
}
