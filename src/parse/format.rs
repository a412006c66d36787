//! A log format: how to parse a line and what columns that gives.
//!
//! Every format is defined the same way, by a definition string: a built-in name's file says
//! `apache:%h %l %u %t "%r" %>s %b`, a user writes `--format 'nginx:$remote_addr ...'`. The
//! definition picks the parser: Apache `LogFormat` and nginx `log_format` strings compile to
//! templates (the two classic layouts go to the hand-written access parser instead), `regex:`
//! to a regex with named groups, and `json`, `syslog`, `w3c` to their own parsers. JSON and
//! W3C columns depend on the data, so those formats are settled from a sample of lines.

use std::collections::HashMap;
use std::sync::Arc;

use super::access::{AccessFlavor, AccessParser};
use super::json::{JsonFormat, JsonParser};
use super::record::{ColumnSource, ColumnSpec, FieldType, LineParser};
use super::regex_format::{RegexFormat, RegexParser};
use super::syslog::{self, SyslogParser};
use super::template::{apache, nginx, pasted, Template, TemplateParser};
use super::values::TimeFormat;
use super::w3c::{W3cFormat, W3cParser};

/// The parser behind a format.
#[derive(Debug, Clone)]
enum Kind {
    Access(AccessFlavor),
    Template(Arc<Template>),
    Regex(Arc<RegexFormat>),
    /// Columns not yet known (no sample seen).
    JsonUnsettled,
    Json(Arc<JsonFormat>),
    Syslog,
    W3cUnsettled,
    W3c(Arc<W3cFormat>),
}

/// A log format the engine can read.
#[derive(Debug, Clone)]
pub struct Format {
    name: String,
    definition: String,
    description: String,
    kind: Kind,
    columns: Vec<ColumnSpec>,
}

/// Type overrides a format file can give: for `regex:` definitions only (an error for others).
#[derive(Debug, Clone, Default)]
pub struct FormatOptions {
    pub types: HashMap<String, FieldType>,
    pub time_format: Option<TimeFormat>,
}

/// The two classic layouts, served by the hand-written parser.
const COMMON: &str = r#"%h %l %u %t "%r" %>s %b"#;
const COMBINED: &str = r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#;

impl Format {
    /// A format from its definition: `apache:...`, `nginx:...`, `regex:...`, `json`, `syslog`
    /// or `w3c`.
    pub fn from_definition(
        name: &str,
        definition: &str,
        options: &FormatOptions,
    ) -> Result<Format, String> {
        let (scheme, body) = definition
            .split_once(':')
            .unwrap_or((definition.trim(), ""));
        let kind = match scheme.trim() {
            "apache" => {
                let body = &*pasted::apache(body)?;
                let normal = body.trim().replace("%s", "%>s").replace("%>>s", "%>s");
                if normal == COMMON {
                    Kind::Access(AccessFlavor::Common)
                } else if normal == COMBINED {
                    Kind::Access(AccessFlavor::Combined)
                } else {
                    Kind::Template(Arc::new(apache::compile(body)?))
                }
            }
            "nginx" => Kind::Template(Arc::new(nginx::compile(&pasted::nginx(body)?)?)),
            "regex" => Kind::Regex(Arc::new(RegexFormat::new(
                body,
                &options.types,
                options.time_format.clone(),
            )?)),
            "json" => Kind::JsonUnsettled,
            "syslog" => Kind::Syslog,
            "w3c" => Kind::W3cUnsettled,
            other => {
                return Err(format!(
                    "unknown format definition '{other}': use apache:<LogFormat>, nginx:<log_format>, regex:<pattern>, json, syslog or w3c"
                ))
            }
        };
        // Other definitions type their columns and say how their times are written
        // themselves: options given for them would be ignored.
        if !matches!(kind, Kind::Regex(_)) {
            let scheme = scheme.trim();
            if let Some(column) = options.types.keys().min() {
                return Err(format!(
                    "[types] (here for '{column}') is only for regex: definitions; this {scheme} definition gives its columns their types"
                ));
            }
            if options.time_format.is_some() {
                return Err(format!(
                    "time_format is only for regex: definitions; this {scheme} definition says how its times are written"
                ));
            }
        }
        let columns = match &kind {
            Kind::Access(flavor) => AccessParser::columns(*flavor),
            Kind::Template(t) => t.columns().to_vec(),
            Kind::Regex(r) => r.columns().to_vec(),
            Kind::Syslog => syslog::columns(),
            _ => Vec::new(),
        };
        Ok(Format {
            name: name.to_string(),
            definition: definition.to_string(),
            description: String::new(),
            kind,
            columns,
        })
    }

    /// A format defined on the command line: a definition is its own name.
    pub fn adhoc(definition: &str) -> Result<Format, String> {
        Format::from_definition(definition, definition, &FormatOptions::default())
    }

    pub fn with_description(mut self, description: &str) -> Self {
        self.description = description.to_string();
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn definition(&self) -> &str {
        &self.definition
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    /// The visible columns, in table order (empty until settled for JSON and W3C).
    pub fn columns(&self) -> &[ColumnSpec] {
        &self.columns
    }

    /// The visible columns followed by the hidden `_file` and `_line`.
    pub fn all_columns(&self) -> Vec<ColumnSpec> {
        let mut all = self.columns.clone();
        all.extend(ColumnSpec::hidden());
        all
    }

    /// The name of the column fed by slot `slot`, for reject reasons.
    pub fn slot_name(&self, slot: usize) -> Option<String> {
        self.columns
            .iter()
            .find(|c| c.source == ColumnSource::Slot(slot))
            .map(|c| c.name.clone())
    }

    /// Whether columns depend on the data (JSON, W3C) and no sample has settled them yet.
    pub fn needs_sample(&self) -> bool {
        matches!(self.kind, Kind::JsonUnsettled | Kind::W3cUnsettled)
    }

    /// Settles data-dependent columns from sample lines; other formats are returned as is.
    pub fn settle(&self, sample: &[&[u8]]) -> Result<Format, String> {
        let kind = match &self.kind {
            Kind::JsonUnsettled => Kind::Json(Arc::new(JsonFormat::infer(sample.iter().copied())?)),
            Kind::W3cUnsettled => Kind::W3c(Arc::new(W3cFormat::infer(sample.iter().copied())?)),
            _ => return Ok(self.clone()),
        };
        let columns = match &kind {
            Kind::Json(j) => j.columns().to_vec(),
            Kind::W3c(w) => w.columns().to_vec(),
            _ => unreachable!("only data-dependent formats are settled"),
        };
        Ok(Format {
            kind,
            columns,
            ..self.clone()
        })
    }

    /// Whether the parser accepts lines with more fields than the format names (the
    /// hand-written common/combined parser ignores trailing fields): on a tie in detection,
    /// a format that names every field is preferred.
    pub fn is_lenient(&self) -> bool {
        matches!(self.kind, Kind::Access(_))
    }

    /// Whether a file can be split into byte ranges parsed independently (W3C cannot: a line's
    /// meaning depends on the `#Fields` directive before it).
    pub fn splittable(&self) -> bool {
        !matches!(self.kind, Kind::W3c(_) | Kind::W3cUnsettled)
    }

    /// A fresh parser (with its own caches) for one partition.
    pub fn parser(&self) -> Box<dyn LineParser> {
        match &self.kind {
            Kind::Access(flavor) => Box::new(AccessParser::new(*flavor)),
            Kind::Template(t) => Box::new(TemplateParser::new(t.clone())),
            Kind::Regex(r) => Box::new(RegexParser::new(r.clone())),
            Kind::Json(j) => Box::new(JsonParser::new(j.clone())),
            Kind::Syslog => Box::new(SyslogParser::default()),
            Kind::W3c(w) => Box::new(W3cParser::new(w.clone())),
            Kind::JsonUnsettled => Box::new(JsonParser::new(Arc::new(
                JsonFormat::infer([&b"{}"[..]]).expect("an empty object is JSON"),
            ))),
            Kind::W3cUnsettled => Box::new(W3cParser::new(Arc::new(
                W3cFormat::infer([&b"#Fields:"[..]]).expect("an empty directive is W3C"),
            ))),
        }
    }
}

impl PartialEq for Format {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.definition == other.definition
            && self.columns == other.columns
    }
}

/// What the user asked for: a definite format, or detection from the data.
#[derive(Debug, Clone, PartialEq)]
pub enum FormatChoice {
    Auto,
    Fixed(Arc<Format>),
}

impl std::str::FromStr for FormatChoice {
    type Err = String;

    /// `auto`, a built-in name, or a definition (`apache:...`, `nginx:...`, `regex:...`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        super::registry::FormatRegistry::builtin().resolve(s)
    }
}
