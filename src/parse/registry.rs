//! The formats a session knows: the built-ins and the user's format files, by name; and
//! picking one from a file's first lines.
//!
//! A format file is TOML:
//!
//! ```toml
//! name = "myapp"
//! aliases = ["app"]                      # optional
//! description = "My app's access log"    # optional
//! definition = 'apache:%h %t "%r" %>s %D'
//! time_format = "iso8601"     # optional, regex: only (an error for others): how ts is written
//! [types]                     # optional, regex: only: group = "int" | "float" | ...
//! [[sample]]                             # optional, checked by `logsql formats --check`
//! line = '1.2.3.4 [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1532'
//! nulls = []                             # columns expected to be NULL
//! [sample.expect]
//! status = 200
//! duration_ms = 1.532
//! ```
//!
//! The built-in formats are such files too (`formats/` in the repository, compiled in).

use std::path::Path;
use std::sync::{Arc, OnceLock};

use super::escape::decode_into;
use super::format::{Format, FormatChoice, FormatOptions};
use super::record::{ColumnSource, FieldType, Parsed, Record, Value};
use super::request::split_request;
use super::values::{parse_iso8601, TimeFormat};

/// The built-in format files, in detection order.
const BUILTIN_FILES: [(&str, &str); 8] = [
    ("combined.toml", include_str!("../../formats/combined.toml")),
    ("common.toml", include_str!("../../formats/common.toml")),
    (
        "nginx_main.toml",
        include_str!("../../formats/nginx_main.toml"),
    ),
    (
        "vhost_combined.toml",
        include_str!("../../formats/vhost_combined.toml"),
    ),
    (
        "vhost_common.toml",
        include_str!("../../formats/vhost_common.toml"),
    ),
    ("json.toml", include_str!("../../formats/json.toml")),
    ("syslog.toml", include_str!("../../formats/syslog.toml")),
    ("w3c.toml", include_str!("../../formats/w3c.toml")),
];

/// A format file's contents.
#[derive(Debug)]
struct FormatFile {
    name: String,
    aliases: Vec<String>,
    description: String,
    definition: String,
    types: Vec<(String, String)>,
    time_format: Option<String>,
    sample: Vec<SampleFile>,
}

#[derive(Debug, Clone)]
struct SampleFile {
    line: String,
    nulls: Vec<String>,
    expect: Vec<(String, Expect)>,
}

/// An expected value in a sample.
#[derive(Debug, Clone, PartialEq)]
enum Expect {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl std::fmt::Display for Expect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expect::Str(s) => write!(f, "{s:?}"),
            Expect::Int(v) => write!(f, "{v}"),
            Expect::Float(v) => write!(f, "{v}"),
            Expect::Bool(v) => write!(f, "{v}"),
        }
    }
}

impl FormatFile {
    /// Reads a format file (TOML); unknown keys are errors, so typos do not pass silently.
    fn parse(text: &str) -> Result<FormatFile, String> {
        use toml_edit::{DocumentMut, Item};
        let doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
            e.to_string()
                .lines()
                .next()
                .unwrap_or("invalid TOML")
                .to_string()
        })?;
        let string = |item: Option<&Item>, key: &str| -> Result<Option<String>, String> {
            match item {
                None => Ok(None),
                Some(i) => i
                    .as_str()
                    .map(|s| Some(s.to_string()))
                    .ok_or_else(|| format!("'{key}' must be a string")),
            }
        };
        let strings = |item: Option<&Item>, key: &str| -> Result<Vec<String>, String> {
            match item {
                None => Ok(Vec::new()),
                Some(i) => i
                    .as_array()
                    .ok_or_else(|| format!("'{key}' must be an array of strings"))?
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| format!("'{key}' must be an array of strings"))
                    })
                    .collect(),
            }
        };
        for (key, _) in doc.iter() {
            if ![
                "name",
                "aliases",
                "description",
                "definition",
                "types",
                "time_format",
                "sample",
            ]
            .contains(&key)
            {
                return Err(format!("unknown key '{key}'"));
            }
        }
        let mut types = Vec::new();
        if let Some(t) = doc.get("types") {
            let t = t.as_table_like().ok_or("'types' must be a table")?;
            for (column, ty) in t.iter() {
                let ty = ty.as_str().ok_or("'types' values must be strings")?;
                types.push((column.to_string(), ty.to_string()));
            }
        }
        let mut sample = Vec::new();
        if let Some(s) = doc.get("sample") {
            let tables = s
                .as_array_of_tables()
                .ok_or("'sample' must be [[sample]] tables")?;
            for t in tables.iter() {
                for (key, _) in t.iter() {
                    if !["line", "nulls", "expect"].contains(&key) {
                        return Err(format!("unknown key '{key}' in [[sample]]"));
                    }
                }
                let line = string(t.get("line"), "line")?.ok_or("a [[sample]] needs a 'line'")?;
                let mut expect = Vec::new();
                if let Some(e) = t.get("expect") {
                    let e = e.as_table_like().ok_or("'expect' must be a table")?;
                    for (column, v) in e.iter() {
                        let v = v.as_value().ok_or("'expect' values must be plain values")?;
                        let value = if let Some(s) = v.as_str() {
                            Expect::Str(s.to_string())
                        } else if let Some(i) = v.as_integer() {
                            Expect::Int(i)
                        } else if let Some(f) = v.as_float() {
                            Expect::Float(f)
                        } else if let Some(b) = v.as_bool() {
                            Expect::Bool(b)
                        } else {
                            return Err(format!(
                                "expected value of '{column}' must be a string, number or boolean"
                            ));
                        };
                        expect.push((column.to_string(), value));
                    }
                }
                sample.push(SampleFile {
                    line,
                    nulls: strings(t.get("nulls"), "nulls")?,
                    expect,
                });
            }
        }
        Ok(FormatFile {
            name: string(doc.get("name"), "name")?.ok_or("missing 'name'")?,
            aliases: strings(doc.get("aliases"), "aliases")?,
            description: string(doc.get("description"), "description")?.unwrap_or_default(),
            definition: string(doc.get("definition"), "definition")?
                .ok_or("missing 'definition'")?,
            types,
            time_format: string(doc.get("time_format"), "time_format")?,
            sample,
        })
    }
}

/// One registered format with its names and sample lines.
#[derive(Debug, Clone)]
struct Entry {
    format: Arc<Format>,
    aliases: Vec<String>,
    samples: Vec<SampleFile>,
    /// Where it was defined (a path, or `built-in`).
    origin: String,
}

/// Named formats, in detection order.
#[derive(Debug, Clone, Default)]
pub struct FormatRegistry {
    entries: Vec<Entry>,
}

/// What detection found in a sample.
#[derive(Debug, Clone)]
pub struct Detection {
    pub format: Option<Arc<Format>>,
    /// Non-empty lines looked at.
    pub sampled: usize,
    /// `(format name, lines it parsed)`, in registry order.
    pub scores: Vec<(String, usize)>,
    /// The files (indices into the samples given) with lines of which the format chosen
    /// reads none: in another format, their lines will all be rejects.
    pub unread: Vec<usize>,
}

impl FormatRegistry {
    /// The built-in formats (parsed once per process).
    pub fn builtin() -> &'static FormatRegistry {
        static BUILTIN: OnceLock<FormatRegistry> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            let mut registry = FormatRegistry::default();
            for (file, text) in BUILTIN_FILES {
                registry
                    .add_file_text(text, &format!("built-in {file}"))
                    .unwrap_or_else(|e| panic!("built-in format {file} is invalid: {e}"));
            }
            registry
        })
    }

    /// The built-ins plus every `*.toml` file in `dir` (a user's format overrides a built-in of
    /// the same name).
    pub fn with_dir(mut self, dir: &Path) -> Result<FormatRegistry, String> {
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read formats directory {}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            self.add_file_text(&text, &path.display().to_string())?;
        }
        Ok(self)
    }

    /// Adds the format defined by a format file's text.
    pub fn add_file_text(&mut self, text: &str, origin: &str) -> Result<(), String> {
        let file = FormatFile::parse(text).map_err(|e| format!("{origin}: {e}"))?;
        let mut options = FormatOptions::default();
        for (column, ty) in &file.types {
            let ty = FieldType::from_name(ty)
                .ok_or_else(|| format!("{origin}: unknown type '{ty}' for column '{column}'"))?;
            options.types.insert(column.clone(), ty);
        }
        if let Some(tf) = &file.time_format {
            options.time_format = Some(
                TimeFormat::from_name(tf)
                    .ok_or_else(|| format!("{origin}: unknown time_format '{tf}'"))?,
            );
        }
        let format = Format::from_definition(&file.name, &file.definition, &options)
            .map_err(|e| format!("{origin}: {e}"))?
            .with_description(&file.description);
        let entry = Entry {
            format: Arc::new(format),
            aliases: file.aliases,
            samples: file.sample,
            origin: origin.to_string(),
        };
        match self
            .entries
            .iter_mut()
            .find(|e| e.format.name() == file.name)
        {
            Some(existing) => *existing = entry,
            None => self.entries.push(entry),
        }
        Ok(())
    }

    /// Whether `name` is a built-in format that no format file replaced.
    fn is_builtin(&self, name: &str) -> bool {
        self.entries
            .iter()
            .any(|e| e.format.name() == name && e.origin.starts_with("built-in"))
    }

    /// The formats, in detection order.
    pub fn formats(&self) -> impl Iterator<Item = &Arc<Format>> {
        self.entries.iter().map(|e| &e.format)
    }

    /// Looks a name or alias up.
    pub fn get(&self, name: &str) -> Option<&Arc<Format>> {
        let name = name.to_ascii_lowercase();
        self.entries
            .iter()
            .find(|e| e.format.name() == name || e.aliases.contains(&name))
            .map(|e| &e.format)
    }

    /// `auto`, a name, or a definition (`apache:...`, `nginx:...`, `regex:...`).
    pub fn resolve(&self, spec: &str) -> Result<FormatChoice, String> {
        let trimmed = spec.trim();
        if trimmed.eq_ignore_ascii_case("auto") {
            return Ok(FormatChoice::Auto);
        }
        if let Some(format) = self.get(trimmed) {
            return Ok(FormatChoice::Fixed(format.clone()));
        }
        if trimmed.contains(':') {
            return Format::adhoc(trimmed).map(|f| FormatChoice::Fixed(Arc::new(f)));
        }
        Err(format!(
            "unknown format '{spec}' (known: auto, {}; or a definition: apache:<LogFormat>, nginx:<log_format>, regex:<pattern>)",
            self.formats().map(|f| f.name()).collect::<Vec<_>>().join(", ")
        ))
    }

    /// Picks the format that parses most of the sample lines. Among formats that parse at
    /// least half as many as the best, a user's format wins over the built-ins (it was
    /// written for these logs), then the one with the most columns (combined over common),
    /// then one that names every field over a lenient one (nginx_main over combined), then
    /// registry order.
    pub fn detect(&self, lines: &[&[u8]]) -> Detection {
        self.detect_files(&[lines.to_vec()])
    }

    /// [`detect`](Self::detect) over the samples of several files: first, only the formats
    /// that read most of the most files' samples are candidates, so that a richer format
    /// that reads some files (combined, after a `log_format` change) does not win over one
    /// that reads them all (common) and leave the other files' lines rejected.
    pub fn detect_files(&self, files: &[Vec<&[u8]>]) -> Detection {
        let files: Vec<Vec<&[u8]>> = files
            .iter()
            .map(|f| f.iter().copied().filter(|l| !l.is_empty()).collect())
            .collect();
        let lines: Vec<&[u8]> = files.iter().flatten().copied().collect();
        let mut scores = Vec::new();
        // Each candidate with (files it reads most of, lines it reads).
        let mut candidates = Vec::new();
        for entry in &self.entries {
            let format = match entry.format.settle(&lines) {
                Ok(f) => Arc::new(f),
                Err(_) => {
                    scores.push((entry.format.name().to_string(), 0));
                    continue;
                }
            };
            let mut parser = format.parser();
            let mut rec = Record::default();
            let (mut rows, mut parsed, mut covered) = (0, 0, 0);
            for file in &files {
                let before = parsed;
                for line in file {
                    match parser.parse(line, &mut rec) {
                        Ok(Parsed::Row) => {
                            rows += 1;
                            parsed += 1;
                        }
                        Ok(Parsed::Directive) => parsed += 1,
                        Ok(Parsed::Skipped) | Err(_) => {}
                    }
                }
                if !file.is_empty() && (parsed - before) * 2 >= file.len() {
                    covered += 1;
                }
            }
            // A file of directives alone is no evidence.
            let score = if rows == 0 { 0 } else { parsed };
            scores.push((format.name().to_string(), score));
            if score > 0 {
                candidates.push((format, covered, score));
            }
        }
        let most_files = candidates.iter().map(|c| c.1).max().unwrap_or(0);
        candidates.retain(|c| c.1 == most_files);
        let best = candidates.iter().map(|c| c.2).max().unwrap_or(0);
        let format = candidates
            .iter()
            .filter(|c| c.2 * 2 >= best)
            .fold(None::<&Arc<Format>>, |chosen, (f, ..)| {
                let user = |f: &Format| !self.is_builtin(f.name());
                let rank = |f: &Format| (user(f), f.columns().len(), !f.is_lenient());
                match chosen {
                    Some(ch) if rank(ch) >= rank(f) => Some(ch),
                    _ => Some(f),
                }
            })
            .cloned();
        let unread = match &format {
            Some(format) => {
                let mut parser = format.parser();
                let mut rec = Record::default();
                let mut reads = |line: &&[u8]| {
                    matches!(
                        parser.parse(line, &mut rec),
                        Ok(Parsed::Row | Parsed::Directive)
                    )
                };
                (0..files.len())
                    .filter(|&i| !files[i].is_empty() && !files[i].iter().any(&mut reads))
                    .collect()
            }
            None => Vec::new(),
        };
        Detection {
            format,
            sampled: lines.len(),
            scores,
            unread,
        }
    }

    /// Checks every sample line of every format against its expected values; returns one
    /// message per failure.
    pub fn check_samples(&self) -> Vec<String> {
        let mut failures = Vec::new();
        for entry in &self.entries {
            for (i, sample) in entry.samples.iter().enumerate() {
                if let Err(e) = check_sample(&entry.format, sample) {
                    failures.push(format!(
                        "{} sample {} ({}): {e}",
                        entry.format.name(),
                        i + 1,
                        entry.origin
                    ));
                }
            }
        }
        failures
    }

    /// How many sample lines the formats carry.
    pub fn sample_count(&self) -> usize {
        self.entries.iter().map(|e| e.samples.len()).sum()
    }
}

/// Parses a sample's lines in turn and compares the last row with the expected values.
fn check_sample(format: &Format, sample: &SampleFile) -> Result<(), String> {
    let lines: Vec<&[u8]> = sample
        .line
        .lines()
        .map(str::as_bytes)
        .filter(|l| !l.is_empty())
        .collect();
    let format = format.settle(&lines)?;
    let mut parser = format.parser();
    let mut rec = Record::default();
    let mut last = None;
    for line in &lines {
        match parser.parse(line, &mut rec) {
            Ok(Parsed::Row) => last = Some(*line),
            Ok(Parsed::Directive | Parsed::Skipped) => {}
            Err(e) => return Err(format!("rejected: {}", e.describe(|s| format.slot_name(s)))),
        }
    }
    let line = last.ok_or("no data line")?;
    let mut checked = 0;
    for (name, want) in &sample.expect {
        let got = column_value(&format, line, &rec, name)?;
        let ok = match (want, &got) {
            (Expect::Str(w), Shown::Text(g)) => w == g,
            (Expect::Str(w), Shown::Time(g)) => parse_iso8601(w.as_bytes()) == Some(*g),
            (Expect::Int(w), Shown::Int(g)) => w == g,
            (Expect::Int(w), Shown::Float(g)) => (*w as f64 - g).abs() < 1e-9,
            (Expect::Float(w), Shown::Float(g)) => (w - g).abs() < 1e-9,
            (Expect::Bool(w), Shown::Bool(g)) => w == g,
            _ => false,
        };
        if !ok {
            return Err(format!("{name}: expected {want}, got {got:?}"));
        }
        checked += 1;
    }
    for name in &sample.nulls {
        let got = column_value(&format, line, &rec, name)?;
        if got != Shown::Null {
            return Err(format!("{name}: expected NULL, got {got:?}"));
        }
        checked += 1;
    }
    if checked == 0 {
        return Err("the sample checks nothing (add [sample.expect])".into());
    }
    Ok(())
}

/// A column's value in a parsed line, for sample checks and tests.
#[derive(Debug, Clone, PartialEq)]
pub enum Shown {
    Null,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Time(i64),
}

/// The value of column `name` of a parsed line (escapes undone, request parts split).
pub fn column_value(
    format: &Format,
    line: &[u8],
    rec: &Record,
    name: &str,
) -> Result<Shown, String> {
    let column = format
        .columns()
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| format!("no column '{name}' in format {}", format.name()))?;
    let text = |slot: usize| -> Option<Vec<u8>> {
        let (raw, escapes) = rec.raw_text(line, slot)?;
        let mut out = Vec::new();
        decode_into(raw, escapes, &mut out);
        Some(out)
    };
    let lossy = |b: &[u8]| Shown::Text(String::from_utf8_lossy(b).into_owned());
    Ok(match column.source {
        ColumnSource::Slot(slot) => match rec.values.get(slot).copied().unwrap_or(Value::Null) {
            Value::Null => Shown::Null,
            Value::Int(v) => Shown::Int(v),
            Value::Float(v) => Shown::Float(v),
            Value::Bool(v) => Shown::Bool(v),
            Value::Time(v) => Shown::Time(v),
            Value::Span(..) | Value::Owned(..) => lossy(&text(slot).unwrap_or_default()),
        },
        ColumnSource::Request(slot, part) => {
            let Some(req) = text(slot) else {
                return Ok(Shown::Null);
            };
            let Some(p) = split_request(&req) else {
                return Ok(Shown::Null);
            };
            match p.span(part) {
                Some((a, b)) => lossy(&req[a..b]),
                None => Shown::Null,
            }
        }
        ColumnSource::File | ColumnSource::Line => Shown::Null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_sample_line_parses_to_its_expected_values() {
        let registry = FormatRegistry::builtin();
        assert_eq!(registry.check_samples(), Vec::<String>::new());
        assert!(registry.sample_count() >= 10);
        for format in registry.formats() {
            let has = registry
                .entries
                .iter()
                .find(|e| e.format.name() == format.name())
                .unwrap();
            assert!(!has.samples.is_empty(), "{} has no sample", format.name());
        }
    }

    #[test]
    fn a_wrong_expectation_is_reported() {
        let mut r = FormatRegistry::default();
        r.add_file_text(
            r#"
name = "t"
definition = 'apache:%h %>s'
[[sample]]
line = "1.2.3.4 200"
[sample.expect]
status = 404
"#,
            "test",
        )
        .unwrap();
        let failures = r.check_samples();
        assert_eq!(failures.len(), 1);
        assert!(
            failures[0].contains("status: expected 404, got Int(200)"),
            "{failures:?}"
        );
    }

    /// `[types]` and `time_format` that would change nothing (another kind of definition, a
    /// group the regex lacks, no timestamp group) make the file an error naming the key.
    #[test]
    fn options_a_definition_would_ignore_are_errors() {
        let load = |definition: &str, extra: &str| {
            let text = format!("name = \"t\"\ndefinition = '{definition}'\n{extra}");
            FormatRegistry::default().add_file_text(&text, "t.toml")
        };
        let regex = r"regex:^(?P<ts>\S+) (?P<took_ms>\d+)$";
        assert_eq!(
            load(regex, "time_format = \"epoch\"\n[types]\ntook_ms = \"int\""),
            Ok(())
        );
        for (definition, extra, says) in [
            (regex, "[types]\ntook = \"int\"", "[types] names 'took'"),
            (
                r"regex:^(?P<when>\S+) (?P<n>\d+)$",
                "time_format = \"epoch\"",
                "time_format",
            ),
            (
                "apache:%h %>s %D",
                "[types]\nduration_ms = \"int\"",
                "[types] (here for 'duration_ms')",
            ),
            (
                "apache:%h %t %>s",
                "time_format = \"iso8601\"",
                "time_format",
            ),
            ("json", "[types]\nstatus = \"int\"", "[types]"),
            ("syslog", "time_format = \"epoch\"", "time_format"),
        ] {
            let err = load(definition, extra).unwrap_err();
            assert!(
                err.starts_with("t.toml: ") && err.contains(says) && !err.contains('\n'),
                "{definition}: {err}"
            );
        }
    }

    #[test]
    fn resolve_names_aliases_and_definitions() {
        let r = FormatRegistry::builtin();
        assert_eq!(r.resolve("auto"), Ok(FormatChoice::Auto));
        let FormatChoice::Fixed(f) = r.resolve("CLF").unwrap() else {
            panic!()
        };
        assert_eq!(f.name(), "common");
        let FormatChoice::Fixed(f) = r.resolve("apache:%h %>s %D").unwrap() else {
            panic!()
        };
        assert_eq!(f.columns().len(), 3);
        let err = r.resolve("xml").unwrap_err();
        assert!(
            err.contains("known: auto, combined, common, nginx_main"),
            "{err}"
        );
        assert!(r
            .resolve("apache:%h %Z")
            .unwrap_err()
            .contains("unknown LogFormat directive"));
        assert!(r.clone().add_file_text("name = 1", "bad.toml").is_err());
    }

    #[test]
    fn detection_prefers_the_most_specific_format_that_fits() {
        let r = FormatRegistry::builtin();
        let combined =
            br#"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "curl""#;
        let common = br#"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 200 1"#;
        let main =
            br#"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "curl" "-""#;
        let json = br#"{"a":1}"#;
        let syslog = b"<34>1 2003-10-11T22:14:15.003Z host su - ID47 - msg";
        let name = |lines: &[&[u8]]| r.detect(lines).format.map(|f| f.name().to_string());
        assert_eq!(name(&[combined, combined]).as_deref(), Some("combined"));
        assert_eq!(name(&[common, common]).as_deref(), Some("common"));
        assert_eq!(name(&[main, main]).as_deref(), Some("nginx_main"));
        assert_eq!(name(&[json]).as_deref(), Some("json"));
        assert_eq!(name(&[syslog]).as_deref(), Some("syslog"));
        assert_eq!(
            name(&[b"#Fields: c-ip sc-status", b"1.2.3.4 200"]).as_deref(),
            Some("w3c")
        );
        assert_eq!(name(&[b"hello", b"world"]), None);

        // Files in two formats: the one that reads both, not the richer one that reads one.
        let files = |a: &[u8], b: &[u8]| {
            let two = [vec![a; 40], vec![b; 40]];
            r.detect_files(&two).format.map(|f| f.name().to_string())
        };
        assert_eq!(files(common, combined).as_deref(), Some("common"));
        assert_eq!(files(main, combined).as_deref(), Some("combined"));
        // A file no format reads does not change the choice for the others.
        assert_eq!(files(main, b"[error] oops").as_deref(), Some("nginx_main"));
    }
}
