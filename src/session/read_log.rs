//! `read_log('path or glob' [, 'format' [, 'option=value', ...]])`: log files as a table inside
//! a query, with no registration, so a join of two logs or a one-off look needs nothing but
//! SQL; `read_log_rejects(...)` gives the same files' rejected lines. The options are those of
//! `CREATE EXTERNAL TABLE ... STORED AS LOG` (`'include=access.log*'`, `'time_ordered=5m'`,
//! `'min_split_bytes=1000000'`), but for `rejects`.

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
                "takes a path or glob, an optional format and options, as text literals: {}('access.log*', 'combined', 'time_ordered=5m')",
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
        let (path, format, options) = match texts.as_slice() {
            [path] => (*path, "auto", &[][..]),
            [path, format, options @ ..] => (*path, *format, options),
            _ => return Err(usage()),
        };
        let mut pairs = vec![("format", format)];
        for option in options {
            let pair = option.split_once('=').map(|(k, v)| (k.trim(), v.trim()));
            match pair {
                Some((key, _)) if key.eq_ignore_ascii_case("rejects") => {
                    return Err(Error::BadArguments(
                        "takes no 'rejects' option (it registers no table)".into(),
                    ))
                }
                Some(pair) => pairs.push(pair),
                None => {
                    return Err(Error::BadArguments(format!(
                        "option '{option}' is not key=value (e.g. 'time_ordered=5m')"
                    )))
                }
            }
        }
        let table = LogOptions::from_pairs(pairs)?.open(&[PathBuf::from(path)])?;
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
