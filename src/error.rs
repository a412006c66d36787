//! The library's error type.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong when opening or reading logs.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The message already includes the I/O error, so it is not chained as a source.
    #[error("{}: {error}", path.display())]
    Io { path: PathBuf, error: io::Error },
    #[error("{}: is a directory, not a log file", .0.display())]
    IsDirectory(PathBuf),
    #[error("{}: no known log format matches its first lines (tried {tried}); name one with --format", path.display())]
    UndetectedFormat { path: PathBuf, tried: String },
    #[error("{0}")]
    UnknownFormat(String),
    #[error("{}: the file shrank from {planned} to {now} bytes while it was being read (truncated or rotated during the query); run the query again", path.display())]
    Shrank {
        path: PathBuf,
        planned: u64,
        now: u64,
    },
    #[error("no input files")]
    NoInput,
    #[error("{0}")]
    BadInput(String),
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
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
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
