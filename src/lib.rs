//! # logsql — SQL over log files
//!
//! logsql streams access logs into [Apache DataFusion](https://datafusion.apache.org) as a
//! table, so any SQL DataFusion understands can be asked of them, in flat memory and on
//! every core.
//!
//! The layers, in the order the data flows:
//! - [`source`]: files split into line-aligned byte ranges, read a line at a time;
//! - [`parse`]: a line's bytes to field spans and typed values (no Arrow here);
//! - [`table`]: spans to Arrow batches, a streaming `TableProvider` and `ExecutionPlan`;
//! - the `logsql` command line on top (in the binary).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use datafusion::prelude::SessionContext;
//! use logsql::{register_log, FormatChoice};
//!
//! let ctx = SessionContext::new();
//! register_log(&ctx, "logs", &["access.log".into()], FormatChoice::Auto)?;
//! ctx.sql("SELECT status, count(*) FROM logs GROUP BY status").await?.show().await?;
//! // Lines that did not parse are in `logs_rejects` (file, line_number, line, reason).
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod error;
pub mod generate;
pub mod parse;
pub mod source;
pub mod table;

use std::path::PathBuf;
use std::sync::Arc;

use datafusion::prelude::SessionContext;

pub use error::{Error, Result};
pub use parse::{Format, FormatChoice, FormatRegistry};
pub use table::{LogTable, RejectsTable};

/// Registers `paths` as table `name` (and its rejects as `<name>_rejects`) in `ctx`.
///
/// Fails if a file cannot be read, or if `format` is `Auto` and no format matches the first
/// lines. Returns the table, whose [`LogTable::stats`] tell how many lines were rejected.
pub fn register_log(
    ctx: &SessionContext,
    name: &str,
    paths: &[PathBuf],
    format: FormatChoice,
) -> Result<Arc<LogTable>> {
    let table = Arc::new(LogTable::open(paths, format)?);
    register_table(ctx, name, table.clone())?;
    Ok(table)
}

/// Registers an opened table as `name` and its rejects as `<name>_rejects`.
pub fn register_table(ctx: &SessionContext, name: &str, table: Arc<LogTable>) -> Result<()> {
    ctx.register_table(rejects_name(name), Arc::new(table.rejects_table()))?;
    ctx.register_table(name, table)?;
    Ok(())
}

/// The name of the rejects table of table `name`.
pub fn rejects_name(name: &str) -> String {
    format!("{name}_rejects")
}
