//! The library's error type.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong when opening or reading logs.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read. The message already includes the I/O error, so it is not
    /// chained as a source.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        error: io::Error,
    },
    /// A file logsql does not read (lz4, lzma, a tar archive): the message names it and
    /// says how to read it.
    #[error("{}", kind.message(file))]
    Unsupported {
        /// The file as the user named it.
        file: String,
        /// What it is.
        kind: crate::source::Unsupported,
    },
    /// A directory was given where a file was expected.
    #[error("{}: is a directory, not a log file", .0.display())]
    IsDirectory(PathBuf),
    /// Format detection found no format that parses the first lines of the files.
    #[error("{}: no known log format matches its first lines (tried {tried}); name one with --format NAME, or define one: --format 'apache:%h %t \"%r\" %>s ...', 'nginx:$remote_addr ...' or 'regex:(?P<name>...)' (see `logsql formats`)", path.display())]
    UndetectedFormat {
        /// The first non-empty file.
        path: PathBuf,
        /// The formats tried, comma-separated.
        tried: String,
    },
    /// A format was named explicitly but the data does not fit it (JSON without objects,
    /// W3C without a `#Fields` directive).
    #[error("the data does not fit format {format}: {reason}")]
    FormatMismatch {
        /// The format's name.
        format: String,
        /// What is wrong.
        reason: String,
    },
    /// A format name that is not known (the message lists the known ones).
    #[error("{0}")]
    UnknownFormat(String),
    /// A file shrank while a query read it (truncated or rotated during the query).
    #[error("{}: the file shrank from {planned} to {now} bytes while it was being read (truncated or rotated during the query); run the query again", path.display())]
    Shrank {
        /// The file.
        path: PathBuf,
        /// Its size when the query was planned.
        planned: u64,
        /// Its size when the shrinking was seen.
        now: u64,
    },
    /// Nothing to read: no paths, or none left after filtering.
    #[error("no input files")]
    NoInput,
    /// Input that cannot be used: a glob matching nothing, an empty directory, a bad pattern.
    #[error("{0}")]
    BadInput(String),
    /// `--include` left out every file of a directory, or of the directories a glob matches.
    #[error(
        "{place}: {files} file{} {within}, but none matches --include '{pattern}'{}",
        if *.files == 1 { "" } else { "s" },
        if .pattern.contains('/') { " (--include matches file names, not paths)" } else { "" }
    )]
    NothingIncluded {
        /// The directory or glob, as named.
        place: String,
        /// Where the files are: in the directory, or in the directories the glob matches.
        within: &'static str,
        /// The files met (dot-files aside).
        files: usize,
        /// The `--include` pattern.
        pattern: String,
    },
    /// A file that follow mode cannot follow (stdin, compressed).
    #[error("cannot follow {}: {reason}", path.display())]
    CannotFollow {
        /// The file.
        path: PathBuf,
        /// Why not.
        reason: String,
    },
    /// An option of `CREATE EXTERNAL TABLE ... STORED AS LOG OPTIONS (...)` that logsql does
    /// not know.
    #[error("unknown option '{key}' (known: {known})")]
    UnknownOption {
        /// The option as written.
        key: String,
        /// The known options, comma-separated.
        known: String,
    },
    /// An option with a value that does not fit it.
    #[error("option '{key}': '{value}' is not {expected}")]
    BadOption {
        /// The option.
        key: String,
        /// The value given.
        value: String,
        /// What the value should be.
        expected: String,
    },
    /// A table function called with arguments it does not take.
    #[error("{0}")]
    BadArguments(String),
    /// Registering a table under a name already taken.
    #[error("table '{0}' already exists")]
    TableExists(String),
    /// An error from DataFusion.
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// An error from Arrow.
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error: source,
        }
    }

    /// As a DataFusion planning error naming `context` (a function or statement), for code
    /// DataFusion calls: the message stays one line, without DataFusion's "External error".
    pub fn into_plan_error(self, context: &str) -> datafusion::error::DataFusionError {
        match self {
            Error::DataFusion(e) => e,
            other => datafusion::error::DataFusionError::Plan(format!("{context}: {other}")),
        }
    }
}

/// A result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
