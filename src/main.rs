//! The `logsql` binary: a thin layer over the library.

mod cli;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use logsql::generate::{generate, GenOptions};
use logsql::{FormatChoice, LogFormat};

use cli::args::{Cli, Command};
use cli::run::Session;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print in full; a usage error is one line, exit status 2.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments").trim_start_matches("error: ");
            let _ = writeln!(io::stderr(), "logsql: error: {first} (see logsql --help)");
            return ExitCode::from(2);
        }
    };
    let result = match &cli.command {
        Some(Command::Generate { lines, seed, format, no_bad_lines }) => {
            run_generate(*lines, *seed, format, !*no_bad_lines)
        }
        // No -e: the interactive shell (or the statements piped on stdin).
        None if cli.execute.is_empty() => cli::repl::run(&cli),
        None => run_query(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, whatever the source: DataFusion and I/O errors can span several.
            let message = cli::error_line(&e);
            let _ = writeln!(io::stderr(), "logsql: error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run_query(cli: &Cli) -> anyhow::Result<()> {
    if cli.execute.is_empty() {
        anyhow::bail!("no query given: pass SQL with -e, e.g. -e \"SELECT count(*) FROM {}\"", cli.table);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let session = Session::new(cli)?;
        let stdout = io::stdout();
        let mut out = io::BufWriter::new(stdout.lock());
        for sql in &cli.execute {
            session.run_sql(sql, &mut out).await?;
        }
        out.flush()?;
        Ok(())
    })
}

fn run_generate(lines: u64, seed: u64, format: &str, bad_lines: bool) -> anyhow::Result<()> {
    let format = match format.parse::<FormatChoice>().map_err(anyhow::Error::msg)? {
        FormatChoice::Fixed(f) => f,
        FormatChoice::Auto => LogFormat::Combined,
    };
    let opts = GenOptions { lines, seed, format, bad_lines, no_final_newline: bad_lines };
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 20, stdout.lock());
    generate(&opts, &mut out)?;
    out.flush()?;
    Ok(())
}

