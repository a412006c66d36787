//! Command-line arguments.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use super::memory::{parse_memory_limit, MemoryLimit};

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
  logsql access.log -f top_404 --param limit=20     (a bundled query; `logsql queries` lists them)
  logsql access.log -f my.sql -o result.parquet      (export the last result; csv, tsv, json, ndjson, parquet)
  logsql report access.log -o report.html            (the summary report, as a self-contained HTML page)
  logsql --follow access.log -e \"SELECT ts, client, uri FROM logs WHERE status >= 500\"
                               (rows as lines are appended, until Ctrl-C)
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
    // Hyphen values: SQL may start with a `--` comment.
    #[arg(
        short = 'e',
        long = "execute",
        value_name = "SQL",
        allow_hyphen_values = true
    )]
    pub execute: Vec<String>,

    /// A file of `;`-separated statements to run, or the name of a bundled query (see
    /// `logsql queries`). May be repeated; runs after the -e statements.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Vec<String>,

    /// A value for a `$NAME` placeholder in the statements, bound as a value (never spliced
    /// into the SQL text): an integer if it parses as one, else a string. May be repeated.
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,

    /// Write the result of the last statement to FILE instead of stdout; the format comes
    /// from the extension (.csv .tsv .json .ndjson/.jsonl .parquet .md .txt) or --out-format.
    /// `-o -` is stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// With -o: replace an existing file.
    #[arg(long)]
    pub force: bool,

    /// Log format: auto (detect from the first lines), a name (combined, common, nginx_main,
    /// vhost_combined, vhost_common, json, syslog, w3c, or one from a format file), or a
    /// definition: 'apache:<LogFormat>', 'nginx:<log_format>', 'regex:<pattern with named
    /// groups>'. `logsql formats` lists them.
    #[arg(long, value_name = "FORMAT", default_value = "auto")]
    pub format: String,

    /// A directory of format files (*.toml) to add to the built-in formats; the default
    /// is $XDG_CONFIG_HOME/logsql/formats (~/.config/logsql/formats), when it exists.
    #[arg(long, value_name = "DIR", global = true)]
    pub formats_dir: Option<PathBuf>,

    /// Name of the table the files are registered as.
    #[arg(long, value_name = "NAME", default_value = "logs")]
    pub table: String,

    /// How results are printed (default: table), or written with -o (default: from the
    /// file's extension).
    #[arg(long = "out-format", value_enum, value_name = "FORMAT")]
    pub out_format: Option<OutFormat>,

    /// Partitions to scan in parallel, 1 to 256 (default: two per core).
    #[arg(long, value_name = "N", value_parser = parse_partitions)]
    pub partitions: Option<usize>,

    /// The files' lines are in time order, within SLACK (default 5m; e.g. 30s, 10m, 1h):
    /// each line's time is at least the latest time before it minus SLACK. Queries that
    /// bound `ts` then binary-search each plain file and read only the part that can match.
    #[arg(
        long,
        value_name = "SLACK",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "5m",
        value_parser = parse_slack
    )]
    pub time_ordered: Option<Duration>,

    /// Memory for query state (e.g. 512M, 2G, or none); default 80% of the machine's (or
    /// the container's) memory. Groupings and sorts beyond it spill to temporary files; a
    /// query that cannot spill fails cleanly instead of exhausting the machine.
    #[arg(long, value_name = "SIZE", value_parser = parse_memory_limit)]
    pub memory_limit: Option<MemoryLimit>,

    /// Follow the files as they grow (like tail -F, across rotation and truncation) and run
    /// the -e query on the lines appended until Ctrl-C: rows stream as they arrive;
    /// aggregates are reprinted every --interval seconds.
    #[arg(long)]
    pub follow: bool,

    /// With --follow: read the files' existing lines first (default: only new lines).
    #[arg(long, requires = "follow")]
    pub from_start: bool,

    /// With --follow: seconds between two refreshes of an aggregate's result.
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0, value_parser = parse_interval)]
    pub interval: f64,

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
        /// common, combined, apache_timed, nginx_timed, json, syslog or w3c.
        #[arg(long, default_value = "combined")]
        format: String,
        /// Do not mix in bad lines.
        #[arg(long)]
        no_bad_lines: bool,
        /// Draw access lines' clients and user agents from N visitors, a few far busier than
        /// the rest (by default almost every line has a client of its own).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1 << 24))]
        visitors: Option<u64>,
    },
    /// List the bundled queries (run one with `logsql -f NAME PATH...`).
    Queries,
    /// List the log formats and their columns; with paths, show which format each file's
    /// first lines match.
    Formats {
        /// Files to detect the format of (`-` for stdin).
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Check every format's sample lines against their expected values.
        #[arg(long)]
        check: bool,
    },
    /// The summary report: totals, time range, status classes, top URIs, 404s and clients,
    /// errors per hour, rejected lines. Printed, or with -o FILE.html a self-contained page.
    Report {
        /// Log files, directories, globs, or `-` for stdin.
        #[arg(value_name = "PATH", required = true)]
        paths: Vec<PathBuf>,
        /// Log format: auto, a name or a definition (as for queries).
        #[arg(long, value_name = "FORMAT", default_value = "auto")]
        format: String,
        /// In directories, take only files whose name matches this glob.
        #[arg(long, value_name = "GLOB")]
        include: Option<String>,
        /// Write the report as an HTML page (or, for a .txt file, as text) to FILE.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace an existing output file.
        #[arg(long)]
        force: bool,
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
    /// Apache Parquet (only with -o FILE).
    Parquet,
}

impl Cli {
    /// The format results are printed in on stdout.
    pub fn stdout_format(&self) -> OutFormat {
        self.out_format.unwrap_or(OutFormat::Table)
    }
}

/// Parses `NAME=VALUE` (the name may be written `$NAME`).
pub fn parse_param(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("invalid --param '{s}': use NAME=VALUE"))?;
    let name = name.trim().trim_start_matches('$');
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "invalid --param name in '{s}': use letters, digits and _"
        ));
    }
    Ok((name.to_string(), value.to_string()))
}

/// The most `--partitions` takes: DataFusion repartitions the plan above the scan into as
/// many partitions, with a channel between every two of them, so memory grows with the square:
/// a GROUP BY over 44 MB took 133 MB at 256 partitions, 758 MB at 1000, and the machine's
/// 24 GB at 100,000.
pub const MAX_PARTITIONS: usize = 256;

/// Parses a number of partitions, from 1 to [`MAX_PARTITIONS`].
pub fn parse_partitions(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_PARTITIONS).contains(&n) => Ok(n),
        // clap names the option and the value before it.
        _ => Err(format!("a number from 1 to {MAX_PARTITIONS}")),
    }
}

/// Parses a positive number of seconds.
pub fn parse_interval(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if (0.05..=86_400.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "invalid --interval '{s}': a number of seconds from 0.05 to 86400"
        )),
    }
}

/// Parses the slack of `--time-ordered` (`30s`, `10m`, `1h`, `1h30m`).
pub fn parse_slack(s: &str) -> Result<Duration, String> {
    logsql::table::prune::parse_duration(s)
}

/// Parses a size such as `512M`, `2G`, `100k` or `1048576` into bytes.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("invalid size '{s}' (use e.g. 512M or 2G)"))?;
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
    use super::{parse_partitions, parse_size};

    #[test]
    fn partitions() {
        assert_eq!(parse_partitions("1"), Ok(1));
        assert_eq!(parse_partitions("256"), Ok(256));
        for bad in ["0", "257", "100000", "-1", "two"] {
            assert!(parse_partitions(bad).is_err(), "{bad}");
        }
    }

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
