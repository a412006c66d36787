//! Integration tests: the real `logsql` binary on generated logs with known answers and on
//! the real fixtures in `../shared/fixtures/real/`, plus the engine through the library API.

mod cli;
mod embedding;
mod engine;
mod export;
mod faults;
mod fixtures;
mod follow;
mod formats;
mod inputs;
mod properties;
mod pruning;
mod queries;
mod quirks;
mod reference;
mod regressions;
mod repl;
mod util;
