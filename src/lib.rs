//! # logsql — SQL over log files
//!
//! logsql streams access logs into [Apache DataFusion](https://datafusion.apache.org) as a
//! table, so any SQL DataFusion understands can be asked of them, in flat memory and on
//! every core. It works inside any DataFusion [`SessionContext`] a program already has.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use datafusion::prelude::SessionContext;
//! use logsql::{register_log, FormatChoice};
//!
//! let log = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/access.log");
//! let ctx = SessionContext::new();
//! let table = register_log(&ctx, "logs", &[log.into()], FormatChoice::Auto)?;
//! let batches = ctx
//!     .sql("SELECT status, count(*) AS hits FROM logs GROUP BY status ORDER BY hits DESC LIMIT 3")
//!     .await?
//!     .collect()
//!     .await?;
//! println!("{}", arrow::util::pretty::pretty_format_batches(&batches)?);
//! assert_eq!(batches[0].num_rows(), 3);
//! // Lines that did not parse are in `logs_rejects` (file, line_number, line, reason), and
//! // counted by the last scan:
//! assert!(table.stats().rejected() > 0);
//! # Ok(()) }
//! ```
//!
//! Options (format, `include` glob, split size, the rejects table's name) go through the
//! [`LogOptions`] builder. [`register_extensions`] adds to a context what makes logs usable
//! from SQL alone: `read_log('path or glob' [, 'format'])`, `CREATE EXTERNAL TABLE ... STORED
//! AS LOG`, and the log [`functions`] (`ua_browser`, `is_bot`, `cidr_contains`, `url_param`,
//! `status_class`, ...).
//!
//! The layers, in the order the data flows:
//! - [`source`]: files split into line-aligned byte ranges, read a line at a time;
//! - [`parse`]: a line's bytes to field spans and typed values (no Arrow here);
//! - [`table`]: spans to Arrow batches, a streaming `TableProvider` and `ExecutionPlan`;
//! - [`functions`] and [`session`]: SQL functions and the DataFusion extensions;
//! - the `logsql` command line on top (in the binary).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod functions;
// The format layer's modules document their main items; their remaining undocumented
// internals are allowed for now rather than churned while that layer is being reworked.
#[allow(missing_docs)]
pub mod generate;
pub mod options;
#[allow(missing_docs)]
pub mod parse;
pub(crate) mod search;
pub mod session;
#[allow(missing_docs)]
pub mod source;
#[allow(missing_docs)]
pub mod table;
pub mod temp_files;

use std::path::PathBuf;
use std::sync::Arc;

use datafusion::prelude::SessionContext;

pub use error::{Error, Result};
pub use options::LogOptions;
pub use parse::{Format, FormatChoice, FormatRegistry};
pub use session::{new_context, register_extensions};
pub use table::{LogTable, RejectsTable};

/// Registers `paths` as table `name` (and its rejects as `<name>_rejects`) in `ctx`.
///
/// Fails if a file cannot be read, or if `format` is `Auto` and no format matches the first
/// lines. Returns the table, whose [`LogTable::stats`] tell how many lines were rejected.
/// For more options (an `include` glob, the rejects table's name) use [`LogOptions`].
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
