//! [`LogOptions`]: how to open log files as a table, in one value shared by the Rust API
//! ([`LogOptions::register`]), `read_log(...)` and `CREATE EXTERNAL TABLE ... STORED AS LOG
//! OPTIONS (...)`, so the three ways of making a log table cannot drift apart.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use datafusion::prelude::SessionContext;

use crate::error::{Error, Result};
use crate::parse::{FormatChoice, FormatRegistry};
use crate::source::{find_log_files, DirFilter};
use crate::table::prune::{parse_duration, DEFAULT_SLACK};
use crate::table::LogTable;

/// The option names `CREATE EXTERNAL TABLE ... STORED AS LOG OPTIONS (...)` accepts.
pub const OPTION_NAMES: [&str; 5] = [
    "format",
    "include",
    "min_split_bytes",
    "rejects",
    "time_ordered",
];

/// Options for opening log files as a table: a builder.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use datafusion::prelude::SessionContext;
/// use logsql::LogOptions;
///
/// let log = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/access.log");
/// let ctx = SessionContext::new();
/// let table = LogOptions::new()
///     .format_name("combined")?
///     .rejects_table("bad_lines")
///     .register(&ctx, "access", &[log.into()])?;
/// assert_eq!(table.format().name(), "combined");
/// assert!(ctx.table_exist("access")? && ctx.table_exist("bad_lines")?);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    /// Where format names are looked up, and detection looks (default: the built-ins).
    registry: Option<Arc<FormatRegistry>>,
    format: Option<FormatChoice>,
    include: Option<String>,
    min_split_bytes: Option<u64>,
    rejects: Rejects,
    time_ordered: Option<Duration>,
}

/// Where the rejected lines of a registered table go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum Rejects {
    /// `<name>_rejects`.
    #[default]
    Default,
    Named(String),
    None,
}

impl LogOptions {
    /// Defaults: format detected from the first lines, every file of a directory, the default
    /// split size, rejects in `<name>_rejects`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The format (default [`FormatChoice::Auto`]).
    pub fn format(mut self, format: FormatChoice) -> Self {
        self.format = Some(format);
        self
    }

    /// The format by name (`auto`, `combined`, `common`, ...), as the command line's
    /// `--format` takes it: a name of the [`registry`](Self::registry)'s, or a definition.
    pub fn format_name(self, name: &str) -> Result<Self> {
        let choice = self.formats().resolve(name).map_err(Error::UnknownFormat)?;
        Ok(self.format(choice))
    }

    /// Formats to name and detect among, the user's included (`None`, the default: the
    /// built-ins). Set it before [`format_name`](Self::format_name).
    pub fn registry(mut self, registry: impl Into<Option<Arc<FormatRegistry>>>) -> Self {
        self.registry = registry.into();
        self
    }

    /// The formats names are looked up in.
    fn formats(&self) -> &FormatRegistry {
        self.registry
            .as_deref()
            .unwrap_or(FormatRegistry::builtin())
    }

    /// In directories, only files whose name matches `glob` (e.g. `access.log*`).
    pub fn include(mut self, glob: impl Into<String>) -> Self {
        self.include = Some(glob.into());
        self
    }

    /// Splits files into byte ranges of at least `bytes` for parallel scanning (the default is
    /// large enough that small files are one partition; smaller values give more partitions).
    pub fn min_split_bytes(mut self, bytes: u64) -> Self {
        self.min_split_bytes = Some(bytes.max(1));
        self
    }

    /// States that each file's lines are in time order within `slack`, so that queries
    /// bounding the time column read only the part of each plain file that can match (see
    /// [`LogTable::with_time_ordered`]; [`DEFAULT_SLACK`] is 5 minutes).
    pub fn time_ordered(mut self, slack: Duration) -> Self {
        self.time_ordered = Some(slack);
        self
    }

    /// Registers the rejected lines as `name` instead of `<table>_rejects`.
    pub fn rejects_table(mut self, name: impl Into<String>) -> Self {
        self.rejects = Rejects::Named(name.into());
        self
    }

    /// Registers no rejects table.
    pub fn no_rejects_table(mut self) -> Self {
        self.rejects = Rejects::None;
        self
    }

    /// The name the rejects of table `table` are registered under, if any.
    pub fn rejects_name_for(&self, table: &str) -> Option<String> {
        match &self.rejects {
            Rejects::Default => Some(crate::rejects_name(table)),
            Rejects::Named(name) => Some(name.clone()),
            Rejects::None => None,
        }
    }

    /// Options from `key value` pairs (`CREATE EXTERNAL TABLE ... OPTIONS (...)`); keys are
    /// those of [`OPTION_NAMES`], case-insensitive. `rejects` takes a table name or `none`;
    /// `time_ordered` a slack (`30s`, `5m`, `1h`), `true` (5 minutes) or `false`.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self> {
        Self::new().with_pairs(pairs)
    }

    /// [`from_pairs`](Self::from_pairs) on top of these options (a
    /// [`registry`](Self::registry) set first names the user's formats).
    pub fn with_pairs<'a>(
        self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self> {
        let mut options = self;
        for (key, value) in pairs {
            // DataFusion's SQL planner prefixes keys without a dot with `format.`.
            let key = key.strip_prefix("format.").unwrap_or(key);
            options = match key.to_ascii_lowercase().as_str() {
                "format" => options.format_name(value)?,
                "include" => options.include(value),
                "min_split_bytes" => {
                    options.min_split_bytes(value.parse().map_err(|_| Error::BadOption {
                        key: key.to_string(),
                        value: value.to_string(),
                        expected: "a number of bytes".to_string(),
                    })?)
                }
                "time_ordered" => match value.to_ascii_lowercase().as_str() {
                    "true" | "on" | "yes" => options.time_ordered(DEFAULT_SLACK),
                    "false" | "off" | "no" => LogOptions {
                        time_ordered: None,
                        ..options
                    },
                    _ => options.time_ordered(parse_duration(value).map_err(|_| {
                        Error::BadOption {
                            key: key.to_string(),
                            value: value.to_string(),
                            expected: "a slack such as 30s, 5m or 1h, or true or false".to_string(),
                        }
                    })?),
                },
                "rejects" if value.eq_ignore_ascii_case("none") => options.no_rejects_table(),
                "rejects" if !value.is_empty() => options.rejects_table(value),
                "rejects" => {
                    return Err(Error::BadOption {
                        key: key.to_string(),
                        value: value.to_string(),
                        expected: "a table name or none".to_string(),
                    })
                }
                _ => {
                    return Err(Error::UnknownOption {
                        key: key.to_string(),
                        known: OPTION_NAMES.join(", "),
                    })
                }
            };
        }
        Ok(options)
    }

    /// [`from_pairs`](Self::from_pairs) over a map, in key order (so errors are stable).
    pub fn from_map(map: &HashMap<String, String>) -> Result<Self> {
        Self::new().with_map(map)
    }

    /// [`from_map`](Self::from_map) on top of these options.
    pub fn with_map(self, map: &HashMap<String, String>) -> Result<Self> {
        let mut pairs: Vec<(&str, &str)> =
            map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        pairs.sort();
        self.with_pairs(pairs)
    }

    /// Opens `paths` (files, directories, glob patterns) as a table, without registering it.
    pub fn open(&self, paths: &[PathBuf]) -> Result<LogTable> {
        let filter = DirFilter::new(self.include.as_deref())?;
        let found = find_log_files(paths, &filter)?;
        // Cloned, not copied: FormatChoice is due to carry data (custom formats).
        #[allow(clippy::clone_on_copy)]
        let choice = self.format.clone().unwrap_or(FormatChoice::Auto);
        let mut table = LogTable::from_files_with(found.files, choice, self.formats())?
            .with_left_out(found.left_out);
        if let Some(bytes) = self.min_split_bytes {
            table = table.with_min_split_bytes(bytes);
        }
        if let Some(slack) = self.time_ordered {
            table = table.with_time_ordered(slack);
        }
        Ok(table)
    }

    /// Opens `paths` and registers them in `ctx` as table `name`, with the rejects table (see
    /// [`rejects_table`](Self::rejects_table)). A table already registered under either name
    /// is an error, found before anything is registered.
    pub fn register(
        &self,
        ctx: &SessionContext,
        name: &str,
        paths: &[PathBuf],
    ) -> Result<Arc<LogTable>> {
        let table = Arc::new(self.open(paths)?);
        let rejects = self.rejects_name_for(name);
        for taken in std::iter::once(name).chain(rejects.as_deref()) {
            if ctx.table_exist(taken)? {
                return Err(Error::TableExists(taken.to_string()));
            }
        }
        if let Some(rejects) = rejects {
            ctx.register_table(rejects, Arc::new(table.rejects_table()))?;
        }
        ctx.register_table(name, table.clone())?;
        Ok(table)
    }
}
