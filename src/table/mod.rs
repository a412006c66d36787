//! The DataFusion glue: log files as a streaming `TableProvider`.

pub mod batch;
pub mod exec;
pub mod filter;
pub mod hidden;
pub mod provider;
pub mod scan;
pub mod schema;
pub mod stats;

pub use exec::LogScanExec;
pub use provider::{LogTable, RejectsTable};
pub use stats::ScanStats;
