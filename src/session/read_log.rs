//! `read_log('path or glob' [, 'format'])`: log files as a table inside a query, with no
//! registration, so a join of two logs or a one-off look needs nothing but SQL;
//! `read_log_rejects(...)` gives the same files' rejected lines.

use std::path::PathBuf;
use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::Expr;

use crate::error::{Error, Result};
use crate::options::LogOptions;

/// The `read_log` (rows) and `read_log_rejects` (rejected lines) table functions.
#[derive(Debug, Clone, Copy)]
pub struct ReadLog {
    rejects: bool,
}

impl ReadLog {
    /// `read_log`: the rows.
    pub fn rows() -> Self {
        ReadLog { rejects: false }
    }

    /// `read_log_rejects`: the lines that are not rows (file, line_number, line, reason).
    pub fn rejects() -> Self {
        ReadLog { rejects: true }
    }

    fn name(&self) -> &'static str {
        if self.rejects {
            "read_log_rejects"
        } else {
            "read_log"
        }
    }

    fn open(&self, exprs: &[Expr]) -> Result<Arc<dyn TableProvider>> {
        let usage = || {
            Error::BadArguments(format!(
                "takes a path or glob and an optional format, as text literals: {}('access.log*', 'combined')",
                self.name()
            ))
        };
        let texts: Vec<&str> = exprs
            .iter()
            .map(|e| match e {
                Expr::Literal(value, _) => value.try_as_str().flatten().ok_or_else(usage),
                _ => Err(usage()),
            })
            .collect::<Result<_>>()?;
        let (path, format) = match texts.as_slice() {
            [path] => (*path, "auto"),
            [path, format] => (*path, *format),
            _ => return Err(usage()),
        };
        let table = LogOptions::new()
            .format_name(format)?
            .open(&[PathBuf::from(path)])?;
        Ok(if self.rejects {
            Arc::new(table.rejects_table())
        } else {
            Arc::new(table)
        })
    }
}

impl TableFunctionImpl for ReadLog {
    fn call_with_args(&self, args: TableFunctionArgs) -> DfResult<Arc<dyn TableProvider>> {
        self.open(args.exprs())
            .map_err(|e| e.into_plan_error(self.name()))
    }
}
