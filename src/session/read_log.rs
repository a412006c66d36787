//! `read_log('path or glob' [, 'format' [, 'option=value', ...]])`: log files as a table inside
//! a query, with no registration, so a join of two logs or a one-off look needs nothing but
//! SQL; `read_log_rejects(...)` gives the same files' rejected lines. The options are those of
//! `CREATE EXTERNAL TABLE ... STORED AS LOG` (`'include=access.log*'`, `'time_ordered=5m'`,
//! `'min_split_bytes=1000000'`), but for `rejects`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::Expr;

use crate::error::{Error, Result};
use crate::options::LogOptions;
use crate::parse::Format;
use crate::parse::FormatRegistry;
use crate::source::LeftOut;
use crate::table::ScanStats;

/// The `read_log` (rows) and `read_log_rejects` (rejected lines) table functions.
#[derive(Debug, Clone)]
pub struct ReadLog {
    rejects: bool,
    /// Where the tables opened for rows are told, if anyone listens.
    opened: Option<Arc<OpenedLogs>>,
    /// Where format names are looked up (default: the built-in formats).
    registry: Option<Arc<FormatRegistry>>,
}

/// The tables `read_log` opened, kept for a caller that reports what their scans skipped
/// (bad lines, damage, time disorder) after each statement, as the command line does for
/// the tables it opens itself: a bad line is never dropped without a word.
#[derive(Debug, Default)]
pub struct OpenedLogs(Mutex<Vec<OpenedLog>>);

/// One `read_log` call's table.
#[derive(Debug, Clone)]
pub struct OpenedLog {
    /// The call as written, e.g. `read_log('access.log', 'combined')`.
    pub call: String,
    /// The same arguments to `read_log_rejects`: the query that shows the rejected lines.
    pub rejects_call: String,
    /// What its scans read and skipped.
    pub stats: Arc<ScanStats>,
    /// The format its lines were parsed as.
    pub format: Arc<Format>,
    /// Files of whose first lines the detected format reads none
    /// ([`LogTable::unread_files`](crate::LogTable::unread_files)).
    pub unread: Vec<String>,
    /// Files its walk or glob found that logsql does not read
    /// ([`LogTable::left_out`](crate::LogTable::left_out)).
    pub left_out: Vec<LeftOut>,
}

impl OpenedLogs {
    fn list(&self) -> std::sync::MutexGuard<'_, Vec<OpenedLog>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The tables opened since the last [`OpenedLogs::clear`].
    pub fn snapshot(&self) -> Vec<OpenedLog> {
        self.list().clone()
    }

    /// Forgets the tables opened so far (before planning the next statement).
    pub fn clear(&self) {
        self.list().clear();
    }
}

impl ReadLog {
    /// `read_log`: the rows.
    pub fn rows() -> Self {
        ReadLog {
            rejects: false,
            opened: None,
            registry: None,
        }
    }

    /// `read_log_rejects`: the lines that are not rows (file, line_number, line, reason).
    pub fn rejects() -> Self {
        ReadLog {
            rejects: true,
            opened: None,
            registry: None,
        }
    }

    /// Also names, and detects among, the formats of `registry` (a user's format files).
    pub fn with_registry(mut self, registry: Arc<FormatRegistry>) -> Self {
        self.registry = Some(registry);
        self
    }

    /// Tells `opened` of every table this function opens for rows.
    pub fn recording(mut self, opened: Arc<OpenedLogs>) -> Self {
        self.opened = Some(opened);
        self
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
        let options = LogOptions::new().registry(self.registry.clone());
        let table = options.with_pairs(pairs)?.open(&[PathBuf::from(path)])?;
        if let (Some(opened), false) = (&self.opened, self.rejects) {
            let args: Vec<String> = texts
                .iter()
                .map(|t| format!("'{}'", t.replace('\'', "''")))
                .collect();
            opened.list().push(OpenedLog {
                call: format!("read_log({})", args.join(", ")),
                rejects_call: format!("read_log_rejects({})", args.join(", ")),
                stats: table.stats().clone(),
                format: table.format().clone(),
                unread: table.unread_files().to_vec(),
                left_out: table.left_out().to_vec(),
            });
        }
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
