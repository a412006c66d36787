//! Everything a DataFusion session needs to work with logs from SQL alone: the `read_log`
//! table functions, `CREATE EXTERNAL TABLE ... STORED AS LOG`, the log functions, and a faster
//! `count(DISTINCT text)` ([`count_distinct`]). The `logsql` command line installs them with
//! the same [`register_extensions`], so what works in the shell works in an embedding program
//! and the other way round.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> datafusion::error::Result<()> {
//! let ctx = logsql::session::new_context();
//! let log = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/access.log");
//! ctx.sql(&format!(
//!     "CREATE EXTERNAL TABLE access STORED AS LOG LOCATION '{log}' OPTIONS ('format' 'combined')"
//! ))
//! .await?;
//! // The same rows through the table and through read_log.
//! let from_table = ctx.table("access").await?.count().await?;
//! let via_function = ctx
//!     .sql(&format!("SELECT * FROM read_log('{log}', 'combined')"))
//!     .await?
//!     .count()
//!     .await?;
//! assert_eq!(from_table, via_function);
//! assert!(from_table > 2900);
//! // The rejected lines of `access` are in `access_rejects`.
//! assert!(ctx.table_exist("access_rejects")?);
//! # Ok(()) }
//! ```

pub mod count_distinct;
pub mod distinct_set;
mod factory;
mod read_log;

use std::sync::Arc;

use datafusion::execution::SessionState;
use datafusion::prelude::{SessionConfig, SessionContext};

pub use factory::LogTableFactory;
pub use read_log::{OpenedLog, OpenedLogs, ReadLog};

use crate::functions::scalar_functions;

/// The `STORED AS` name of log tables: `CREATE EXTERNAL TABLE t STORED AS LOG LOCATION ...`.
pub const LOG_FILE_TYPE: &str = "LOG";

/// The names of the table functions [`register_extensions`] installs.
pub const TABLE_FUNCTION_NAMES: [&str; 2] = ["read_log", "read_log_rejects"];

/// A `SessionContext` with the logsql extensions installed (see [`register_extensions`]).
pub fn new_context() -> SessionContext {
    new_context_with_config(SessionConfig::new())
}

/// [`new_context`] with a configuration of your own.
pub fn new_context_with_config(config: SessionConfig) -> SessionContext {
    let ctx = SessionContext::new_with_config(config);
    register_extensions(&ctx);
    ctx
}

/// Installs in an existing context: the table functions `read_log(path [, format])` and
/// `read_log_rejects(path [, format])`, the `LOG` table factory for `CREATE EXTERNAL TABLE`,
/// the scalar log functions ([`crate::functions`]), and the optimizer rule that merges
/// `count(DISTINCT text)` on every core ([`count_distinct`]). Installing twice is harmless.
pub fn register_extensions(ctx: &SessionContext) {
    install(&mut ctx.state_ref().write());
    let name = count_distinct::ParallelCountDistinct::NAME;
    if !ctx.state().optimizers().iter().any(|r| r.name() == name) {
        ctx.add_optimizer_rule(Arc::new(count_distinct::ParallelCountDistinct));
    }
}

/// [`register_extensions`] on a `SessionState` (for code that builds its own state), but for
/// the optimizer rule, which a `SessionState` takes only from its builder:
/// `SessionStateBuilder::with_optimizer_rule(Arc::new(count_distinct::ParallelCountDistinct))`.
pub fn install(state: &mut SessionState) {
    use datafusion::execution::FunctionRegistry;
    // `date_trunc` stands in for DataFusion's own (same answers, faster on UTC instants).
    let date_trunc = crate::functions::date_trunc::UtcDateTrunc::udf();
    for udf in scalar_functions().into_iter().chain([date_trunc]) {
        // Only fails for registries that refuse new functions; SessionState does not.
        let _ = state.register_udf(Arc::new(udf));
    }
    state.register_udtf("read_log", Arc::new(ReadLog::rows()));
    state.register_udtf("read_log_rejects", Arc::new(ReadLog::rejects()));
    state.table_factories_mut().insert(
        LOG_FILE_TYPE.to_string(),
        Arc::new(LogTableFactory::default()),
    );
}
