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

    /// Log files to query, as one table: files (plain, gzip, zstd, bzip2 or xz), directories
    /// (walked recursively), glob patterns, or `-` for stdin.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// In directories, take only files whose name matches this glob (e.g. 'access.log*').
    #[arg(long, value_name = "GLOB")]
    pub include: Option<String>,

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

    /// Memory for query state (e.g. 512M, 2G); a query that needs more fails cleanly
    /// instead of exhausting the machine.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory_limit: Option<usize>,

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

/// Parses a size such as `512M`, `2G`, `100k` or `1048576` into bytes.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| format!("invalid size '{s}' (use e.g. 512M or 2G)"))?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1u64,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return Err(format!("invalid size unit in '{s}' (use K, M, G or T)")),
    };
    Ok((value * scale as f64) as usize)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert_eq!(parse_size("1.5K"), Ok(1536));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5X").is_err());
    }
}
