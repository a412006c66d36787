//! The `logsql` command line: arguments, running statements, printing results.

pub mod args;
pub mod output;
pub mod repl;
pub mod run;
