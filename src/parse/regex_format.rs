//! `regex:<pattern>`: a format from a regular expression with named groups.
//!
//! Each named group is a column. Its type comes from the format file's `types`, else from a
//! `__type` suffix on the group name (`(?P<size__int>\d+)`), else from well-known names
//! (`status`, `bytes`, `ts`, `duration_ms`); everything else is text. A group named `request`
//! also gets the method/uri/path/query/protocol columns.

use std::collections::HashMap;
use std::sync::Arc;

use regex::bytes::{CaptureLocations, Regex};

use super::escape::decode_into;
use super::record::{ColumnSpec, FieldType, LineParser, Parsed, Record, Value};
use super::reject::RejectReason;
use super::template::{FieldDef, Piece, Template};
use super::values::{Conversion, Converter, TimeFormat};

/// A compiled regex format.
#[derive(Debug, Clone)]
pub struct RegexFormat {
    regex: Regex,
    /// `(capture group index, conversion)` per slot.
    groups: Vec<(usize, Conversion)>,
    columns: Vec<ColumnSpec>,
}

impl RegexFormat {
    /// Compiles `pattern`; `types` overrides column types, `time_format` says how `Timestamp`
    /// groups are written (default: ISO 8601 or CLF, whichever parses). A `types` entry that
    /// names no group, or a `time_format` with no timestamp group, is an error.
    pub fn new(
        pattern: &str,
        types: &HashMap<String, FieldType>,
        time_format: Option<TimeFormat>,
    ) -> Result<RegexFormat, String> {
        let regex = Regex::new(pattern).map_err(|e| format!("invalid regex: {e}"))?;
        let mut defs = Vec::new();
        let mut groups = Vec::new();
        for (index, name) in regex.capture_names().enumerate() {
            let Some(raw) = name else { continue };
            let (name, suffix) = match raw.rsplit_once("__") {
                Some((n, t)) if FieldType::from_name(t).is_some() => (n, FieldType::from_name(t)),
                _ => (raw, None),
            };
            let ty = types
                .get(name)
                .copied()
                .or(suffix)
                .unwrap_or_else(|| well_known_type(name));
            let conv = match ty {
                FieldType::Timestamp => {
                    Conversion::Time(time_format.clone().unwrap_or(TimeFormat::Auto))
                }
                // Text as captured: an application's `C:\new\x41` is no Apache escape.
                FieldType::Text => Conversion::Text {
                    dash_null: true,
                    escapes: super::record::Escapes::None,
                },
                other => Conversion::for_type(other),
            };
            let def = if name == "request" && ty == FieldType::Text {
                FieldDef::request(name)
            } else {
                FieldDef::new(name, conv.clone())
            };
            groups.push((index, def.conv.clone()));
            defs.push(def);
        }
        if defs.is_empty() {
            return Err("the regex has no named groups (?P<name>...) to make columns of".into());
        }
        // A type or time format that would change nothing is a mistake (a typo, a group
        // renamed), not something to pass over.
        let mut typed: Vec<&String> = types.keys().collect();
        typed.sort();
        if let Some(column) = typed
            .into_iter()
            .find(|c| !defs.iter().any(|d| d.name == **c))
        {
            let groups: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
            return Err(format!(
                "[types] names '{column}', which is no group of the regex (groups: {})",
                groups.join(", ")
            ));
        }
        if time_format.is_some()
            && !groups
                .iter()
                .any(|(_, conv)| matches!(conv, Conversion::Time(_)))
        {
            return Err(
                "time_format is given but no group is a timestamp (name one ts, time or timestamp, or type it timestamp in [types])"
                    .into(),
            );
        }
        // Column naming and request parts as for format strings: fields separated by a
        // literal that is never matched (the regex finds the fields, not the template).
        let mut pieces = Vec::new();
        for def in defs {
            pieces.push(Piece::Field(def));
            pieces.push(Piece::Literal(b"\0".to_vec()));
        }
        let columns = Template::new(pieces)?.columns().to_vec();
        Ok(RegexFormat {
            regex,
            groups,
            columns,
        })
    }

    pub fn columns(&self) -> &[ColumnSpec] {
        &self.columns
    }
}

/// Types for group names every format uses.
fn well_known_type(name: &str) -> FieldType {
    match name {
        "status" => FieldType::Int32,
        "bytes" | "size" | "bytes_sent" | "bytes_received" | "pid" | "port" => FieldType::Int64,
        "ts" | "time" | "timestamp" => FieldType::Timestamp,
        n if n.ends_with("_ms") => FieldType::Float64,
        _ => FieldType::Text,
    }
}

/// A regex format with its reused capture buffers.
pub struct RegexParser {
    format: Arc<RegexFormat>,
    locations: CaptureLocations,
    conv: Converter,
    /// A line that is not UTF-8, with U+FFFD for what is not.
    lossy: Vec<u8>,
}

impl RegexParser {
    pub fn new(format: Arc<RegexFormat>) -> Self {
        RegexParser {
            locations: format.regex.capture_locations(),
            format,
            conv: Converter::default(),
            lossy: Vec::new(),
        }
    }

    /// Fills `rec` from the groups the last match found in `text`.
    fn convert(&mut self, text: &[u8], rec: &mut Record) -> Result<(), RejectReason> {
        rec.reset(self.format.groups.len());
        for (slot, (group, conv)) in self.format.groups.iter().enumerate() {
            if let Some(span) = self.locations.get(*group) {
                self.conv.convert(conv, text, span, slot, rec)?;
            }
        }
        Ok(())
    }
}

impl LineParser for RegexParser {
    fn parse(&mut self, line: &[u8], rec: &mut Record) -> Result<Parsed, RejectReason> {
        if line.is_empty() {
            return Err(RejectReason::Empty);
        }
        if self
            .format
            .regex
            .captures_read(&mut self.locations, line)
            .is_some()
        {
            self.convert(line, rec)?;
            return Ok(Parsed::Row);
        }
        // `.` and `\S` match characters, not bytes that are not UTF-8: such a line is read as
        // every other text column reads it, with U+FFFD for those bytes.
        if std::str::from_utf8(line).is_ok() {
            return Err(RejectReason::NoMatch);
        }
        let mut lossy = std::mem::take(&mut self.lossy);
        lossy.clear();
        lossy.extend_from_slice(String::from_utf8_lossy(line).as_bytes());
        let result = match self.format.regex.captures_read(&mut self.locations, &lossy) {
            Some(_) => self.convert(&lossy, rec).map(|()| own_spans(rec, &lossy)),
            None => Err(RejectReason::NoMatch),
        };
        self.lossy = lossy;
        result.map(|()| Parsed::Row)
    }
}

/// Moves the text values that point into `text` (not the line) into the record's own buffer.
fn own_spans(rec: &mut Record, text: &[u8]) {
    for value in &mut rec.values {
        if let Value::Span(a, b, escapes) = *value {
            let start = rec.text.len();
            decode_into(&text[a as usize..b as usize], escapes, &mut rec.text);
            *value = Value::Owned(start as u32, rec.text.len() as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_groups_with_types() {
        let f = RegexFormat::new(
            r"^(?P<ts>\S+) (?P<level>\w+) (?P<status>\d+) (?P<took__float>[\d.]+)ms (?P<msg>.*)$",
            &HashMap::new(),
            None,
        )
        .unwrap();
        let names: Vec<&str> = f.columns().iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["ts", "level", "status", "took", "msg"]);
        assert_eq!(f.columns()[3].ty, FieldType::Float64);
        let mut p = RegexParser::new(Arc::new(f));
        let mut rec = Record::default();
        let line = b"2024-05-01T10:00:00Z INFO 200 12.5ms all good";
        p.parse(line, &mut rec).unwrap();
        assert_eq!(rec.values[0], Value::Time(1_714_557_600_000_000_000));
        assert_eq!(rec.values[2], Value::Int(200));
        assert_eq!(rec.values[3], Value::Float(12.5));
        // Captured text is kept as written: no escapes undone.
        let line = br"2024-05-01T10:00:00Z ERROR 500 1ms cannot open C:\new\x41.txt";
        p.parse(line, &mut rec).unwrap();
        let (msg, escapes) = rec.raw_text(line, 4).unwrap();
        let mut out = Vec::new();
        crate::parse::escape::decode_into(msg, escapes, &mut out);
        assert_eq!(out, br"cannot open C:\new\x41.txt");
        assert_eq!(p.parse(b"nope", &mut rec), Err(RejectReason::NoMatch));
        assert!(matches!(
            p.parse(b"yesterday INFO 200 1ms x", &mut rec),
            Err(RejectReason::BadValue { slot: 0, .. })
        ));
    }

    /// Bytes that are not UTF-8 do not stop `.` or `\S` from matching: the line is read with
    /// U+FFFD for them, as every text column reads them.
    #[test]
    fn lines_that_are_not_utf8_match_with_replacement_characters() {
        let f = RegexFormat::new(
            r"^(?P<level>\S+) (?P<status>\d+) (?P<msg>.*)$",
            &HashMap::new(),
            None,
        )
        .unwrap();
        let mut p = RegexParser::new(Arc::new(f));
        let mut rec = Record::default();
        let line = b"WARN\xff 7 caf\xe9 au lait";
        assert_eq!(p.parse(line, &mut rec), Ok(Parsed::Row));
        let text = |rec: &Record, slot| rec.raw_text(line, slot).unwrap().0.to_vec();
        assert_eq!(text(&rec, 0), "WARN\u{fffd}".as_bytes());
        assert_eq!(rec.values[1], Value::Int(7));
        assert_eq!(text(&rec, 2), "caf\u{fffd} au lait".as_bytes());
        assert_eq!(p.parse(b"\xff\xfe", &mut rec), Err(RejectReason::NoMatch));
    }

    /// A group named like a hidden column gets a suffix, as a JSON key does.
    #[test]
    fn groups_named_like_hidden_columns_are_renamed() {
        let f = RegexFormat::new(r"^(?P<_file>\S+):(?P<_line>\d+)", &HashMap::new(), None).unwrap();
        let names: Vec<&str> = f.columns().iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["_file_2", "_line_2"]);
    }

    #[test]
    fn bad_patterns() {
        assert!(RegexFormat::new("(", &HashMap::new(), None)
            .unwrap_err()
            .contains("invalid regex"));
        assert!(RegexFormat::new(r"\d+", &HashMap::new(), None)
            .unwrap_err()
            .contains("named groups"));
    }
}
