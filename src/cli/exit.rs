//! Exit statuses, so that scripts can tell a full answer from a failure and from an answer
//! over damaged input.
//!
//! | status | meaning |
//! |---|---|
//! | 0 | the answer is complete |
//! | 1 | an error: nothing (or only the statements before the failing one) was answered |
//! | 2 | bad command-line usage |
//! | 3 | the answer was printed, but some input was damaged (a cut or corrupt compressed file, or one with bytes after its last complete member that are not compressed data): it covers only the lines before the damage, which stderr names; or `--time-ordered` read lines out of the time order it assumed, so the answer may miss lines |
//! | 130 | Ctrl-C ended the run ([`crate::cli::interrupt`]): no `-o` file is written and no temporary file is left (SIGTERM: 143, SIGHUP: 129, likewise) |

use std::process::ExitCode;

/// How a run that did not fail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Complete,
    /// Answered, but from partly unreadable input, or from files found out of the time order
    /// assumed (see [`crate::cli::run::Session::input_damaged`]).
    Partial,
}

/// A command line whose options do not fit together (found after clap's own checks): exit
/// status 2, as clap's usage errors.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// An [`anyhow::Error`] for a usage error.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

pub const ERROR: u8 = 1;
pub const USAGE: u8 = 2;
pub const PARTIAL: u8 = 3;

impl Outcome {
    pub fn partial_if(damaged: bool) -> Outcome {
        if damaged {
            Outcome::Partial
        } else {
            Outcome::Complete
        }
    }

    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Complete => ExitCode::SUCCESS,
            Outcome::Partial => ExitCode::from(PARTIAL),
        }
    }
}
