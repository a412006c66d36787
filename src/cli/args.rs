//! Command-line arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// SQL over log files: logsql access.log -e "SELECT status, count(*) FROM logs GROUP BY status"
#[derive(Debug, Parser)]
#[command(name = "logsql", version, args_conflicts_with_subcommands = true)]
#[command(after_help = "\
The files are one table (default name `logs`); lines that do not parse are not rows but are
kept in `<table>_rejects` (file, line_number, line, reason).

Examples:
  logsql access.log -e \"SELECT status, count(*) AS hits FROM logs GROUP BY status ORDER BY hits DESC\"
  logsql access.log --out-format csv -e \"SELECT uri, count(*) FROM logs WHERE status = 404 GROUP BY uri ORDER BY 2 DESC LIMIT 10\"
  logsql access.log -e \"SELECT * FROM logs_rejects LIMIT 5\"
  logsql access.log            (no -e: an interactive SQL shell; .help lists its commands)
  logsql access.log < q.sql    (statements and commands from stdin)")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Log files to query, as one table.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// SQL to run: one or more `;`-separated statements. May be repeated.
    #[arg(short = 'e', long = "execute", value_name = "SQL")]
    pub execute: Vec<String>,

    /// Log format: auto (detect from the first lines), combined, common.
    #[arg(long, value_name = "NAME", default_value = "auto")]
    pub format: String,

    /// Name of the table the files are registered as.
    #[arg(long, value_name = "NAME", default_value = "logs")]
    pub table: String,

    /// How results are printed.
    #[arg(long = "out-format", value_enum, value_name = "FORMAT", default_value_t = OutFormat::Table)]
    pub out_format: OutFormat,

    /// Partitions to scan in parallel (default: one per core).
    #[arg(long, value_name = "N")]
    pub partitions: Option<usize>,

    /// Interactive shell: do not read or write the history file.
    #[arg(long)]
    pub no_history: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a realistic synthetic access log with known answers to stdout.
    #[command(hide = true)]
    Generate {
        /// Number of lines.
        #[arg(long, default_value_t = 5000)]
        lines: u64,
        /// Random seed: the same seed gives the same log.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// combined or common.
        #[arg(long, default_value = "combined")]
        format: String,
        /// Do not mix in bad lines.
        #[arg(long)]
        no_bad_lines: bool,
    },
}

/// Output formats for query results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutFormat {
    /// An aligned, human-readable table.
    Table,
    /// RFC 4180 CSV with a header row.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// A Markdown (GitHub) table.
    Markdown,
}
