//! The DataFusion glue: log files as a streaming `TableProvider`.

pub mod batch;
pub mod damage;
pub mod exec;
pub mod filter;
pub mod follow;
pub mod hidden;
mod leaf;
pub mod provider;
pub mod prune;
pub mod scan;
pub mod schema;
pub mod stats;

pub use damage::Damage;
pub use exec::LogScanExec;
pub use follow::{FollowOptions, FollowScanExec};
pub use provider::{LogTable, RejectsTable};
pub use prune::Disorder;
pub use stats::ScanStats;
