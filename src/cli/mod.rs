//! The `logsql` command line: arguments, running statements, printing results.

pub mod args;
pub mod export;
pub mod output;
pub mod repl;
pub mod report;
pub mod run;
pub mod saved;
