//! The format-independent shape of a parsed line: typed values in slots, one per field.
//!
//! Every parser (the hand-written access parser, format-string templates, regex, JSON, syslog,
//! W3C) fills the same reused [`Record`], so the table layer needs one way to build columns
//! and one way to filter, whatever the format. Text stays a span of the line until a query
//! needs it; numbers and instants are converted (and validated) while parsing, so the set of
//! rows never depends on which columns a query reads.

use super::reject::RejectReason;

/// The type of a field's values, chosen by the format (not by the data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    Text,
    Int32,
    Int64,
    Float64,
    Bool,
    /// A UTC instant in nanoseconds since the epoch.
    Timestamp,
}

impl FieldType {
    /// The name used in format files and listings.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Int32 => "int32",
            FieldType::Int64 => "int64",
            FieldType::Float64 => "float64",
            FieldType::Bool => "bool",
            FieldType::Timestamp => "timestamp",
        }
    }

    /// Parses a type name as written in format files (`int`, `float`, `timestamp`, ...).
    pub fn from_name(name: &str) -> Option<FieldType> {
        Some(match name.to_ascii_lowercase().as_str() {
            "text" | "string" | "str" | "utf8" => FieldType::Text,
            "int32" | "i32" => FieldType::Int32,
            "int" | "int64" | "i64" | "integer" | "bigint" => FieldType::Int64,
            "float" | "float64" | "f64" | "double" | "real" => FieldType::Float64,
            "bool" | "boolean" => FieldType::Bool,
            "timestamp" | "time" | "ts" | "datetime" => FieldType::Timestamp,
            _ => return None,
        })
    }
}

/// A part of an HTTP request line, derived from a request field when a query needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestPart {
    Method,
    Uri,
    Path,
    Query,
    Protocol,
}

impl RequestPart {
    pub const ALL: [RequestPart; 5] = [
        RequestPart::Method,
        RequestPart::Uri,
        RequestPart::Path,
        RequestPart::Query,
        RequestPart::Protocol,
    ];

    /// The column name this part gets in every format.
    pub fn column_name(self) -> &'static str {
        match self {
            RequestPart::Method => "method",
            RequestPart::Uri => "uri",
            RequestPart::Path => "path",
            RequestPart::Query => "query",
            RequestPart::Protocol => "protocol",
        }
    }
}

/// Where a column's values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnSource {
    /// The value in slot `n` of the record.
    Slot(usize),
    /// A part of the request line held in slot `n` (split only when a query needs it).
    Request(usize, RequestPart),
    /// Hidden: the file the row came from.
    File,
    /// Hidden: the line number within its file, from 1.
    Line,
}

/// One column of a log table, as a format defines it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ColumnSpec {
    pub name: String,
    pub ty: FieldType,
    pub source: ColumnSource,
    pub nullable: bool,
}

impl ColumnSpec {
    pub fn slot(name: impl Into<String>, ty: FieldType, slot: usize) -> Self {
        ColumnSpec {
            name: name.into(),
            ty,
            source: ColumnSource::Slot(slot),
            nullable: true,
        }
    }

    pub fn required(mut self) -> Self {
        self.nullable = false;
        self
    }

    /// The hidden `_file` and `_line` columns every table has.
    pub fn hidden() -> [ColumnSpec; 2] {
        [
            ColumnSpec {
                name: "_file".into(),
                ty: FieldType::Text,
                source: ColumnSource::File,
                nullable: false,
            },
            ColumnSpec {
                name: "_line".into(),
                ty: FieldType::Int64,
                source: ColumnSource::Line,
                nullable: false,
            },
        ]
    }

    /// The five request-part columns derived from the request in `slot`.
    pub fn request_parts(slot: usize) -> impl Iterator<Item = ColumnSpec> {
        RequestPart::ALL.into_iter().map(move |part| ColumnSpec {
            name: part.column_name().into(),
            ty: FieldType::Text,
            source: ColumnSource::Request(slot, part),
            nullable: true,
        })
    }
}

/// Column names made unique by suffixes (`status`, `status_2`). The hidden columns' names
/// are taken from the start: a field or key named `_file` becomes `_file_2`.
pub(crate) struct ColumnNames(std::collections::HashSet<String>);

impl ColumnNames {
    pub(crate) fn new() -> Self {
        ColumnNames(ColumnSpec::hidden().into_iter().map(|c| c.name).collect())
    }

    /// `name`, or `name_N` with the first N from 2 not taken yet.
    pub(crate) fn unique(&mut self, name: &str) -> String {
        let mut candidate = name.to_string();
        let mut n = 2;
        while !self.0.insert(candidate.clone()) {
            candidate = format!("{name}_{n}");
            n += 1;
        }
        candidate
    }
}

/// How the bytes of a text span must be decoded before use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escapes {
    /// Verbatim.
    None,
    /// Apache/nginx backslash escapes (`\"`, `\\`, `\xNN`).
    Backslash,
    /// W3C/IIS: `+` stands for a space.
    Plus,
}

/// One field's value in a parsed line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Null,
    /// Bytes `start..end` of the line.
    Span(u32, u32, Escapes),
    /// Bytes `start..end` of the record's own text buffer (decoded while parsing).
    Owned(u32, u32),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// UTC nanoseconds since the epoch.
    Time(i64),
}

/// The values of one parsed line. Reused from line to line: parsing allocates nothing once the
/// buffers have grown.
#[derive(Debug, Clone, Default)]
pub struct Record {
    pub values: Vec<Value>,
    /// Text decoded while parsing (JSON strings with escapes, joined fields).
    pub text: Vec<u8>,
}

impl Record {
    /// Clears the record for a line with `slots` fields, all NULL.
    #[inline]
    pub fn reset(&mut self, slots: usize) {
        self.values.clear();
        self.values.resize(slots, Value::Null);
        self.text.clear();
    }

    #[inline]
    pub fn set_span(&mut self, slot: usize, start: usize, end: usize, escapes: Escapes) {
        self.values[slot] = Value::Span(start as u32, end as u32, escapes);
    }

    /// Copies `bytes` into the record's text buffer and stores it in `slot`.
    pub fn set_owned(&mut self, slot: usize, bytes: &[u8]) {
        let start = self.text.len();
        self.text.extend_from_slice(bytes);
        self.values[slot] = Value::Owned(start as u32, self.text.len() as u32);
    }

    /// The integer or instant in `slot`, for pushed filters.
    #[inline]
    pub fn int_like(&self, slot: usize) -> Option<i64> {
        match self.values.get(slot)? {
            Value::Int(v) | Value::Time(v) => Some(*v),
            _ => None,
        }
    }

    /// The raw bytes of a text value (escapes not undone), or `None` if it is not text.
    #[inline]
    pub fn raw_text<'a>(&'a self, line: &'a [u8], slot: usize) -> Option<(&'a [u8], Escapes)> {
        match self.values.get(slot)? {
            Value::Span(a, b, e) => Some((&line[*a as usize..*b as usize], *e)),
            Value::Owned(a, b) => Some((&self.text[*a as usize..*b as usize], Escapes::None)),
            _ => None,
        }
    }
}

/// What a parser made of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// A row: the record holds its values.
    Row,
    /// Not data but part of the format (a W3C `#Fields:` directive): neither row nor reject.
    Directive,
    /// Failed the query's [`RowCheck`]: no row of this query, whether or not the rest of the
    /// line would have parsed.
    Skipped,
}

/// The bit mask of record slots (bit `n` for slot `n`) that parsers are told to fill; a slot
/// past 63 sets every bit.
pub fn slot_mask(slots: impl IntoIterator<Item = usize>) -> u64 {
    slots.into_iter().fold(0, |mask, slot| {
        mask | 1u64.checked_shl(slot as u32).unwrap_or(u64::MAX)
    })
}

/// A condition on a record's slots that a parser may test as soon as those slots are filled
/// (see [`LineParser::parse_checked`]). Parsers fill slots in line order, so a condition on
/// early fields (time, status) spares most of the work on lines that fail it.
pub trait RowCheck {
    /// The highest slot the condition reads.
    fn last_slot(&self) -> usize;
    /// Whether the condition reads `slot` (a parser may leave the slots it does not read,
    /// below [`RowCheck::last_slot`], for after the check).
    fn reads_slot(&self, slot: usize) -> bool {
        slot <= self.last_slot()
    }
    /// Whether the record, filled at least up to [`RowCheck::last_slot`], passes.
    fn passes(&self, rec: &Record) -> bool;
}

/// A parser for one format, with its reused state. One per partition.
pub trait LineParser: Send {
    /// Parses `line` (without its terminator) into `rec`.
    fn parse(&mut self, line: &[u8], rec: &mut Record) -> Result<Parsed, RejectReason>;

    /// Tells the parser that its caller reads only the slots in `slots` (bit `n` for slot
    /// `n`): it may leave the others unset. Which lines are rows, and their rejects, must not
    /// change; a query that reads one column should not pay for building the others.
    fn read_only_slots(&mut self, _slots: u64) {}

    /// Parses `line` for a query that keeps only the rows passing `check`: a line that fails
    /// it is [`Parsed::Skipped`], possibly before the rest of it is parsed (so a reject
    /// among such lines may go unnoticed; it could not have been a row of the query anyway).
    /// A line that passes is parsed in full, exactly as [`LineParser::parse`] does.
    fn parse_checked(
        &mut self,
        line: &[u8],
        rec: &mut Record,
        check: &dyn RowCheck,
    ) -> Result<Parsed, RejectReason> {
        match self.parse(line, rec)? {
            Parsed::Row if !check.passes(rec) => Ok(Parsed::Skipped),
            parsed => Ok(parsed),
        }
    }
}

/// Helpers for testing parsers' [`LineParser::parse_checked`].
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A check on one slot, as a pushed filter is: the integer `value`, or with `None` any
    /// value but NULL (so that checks on the time and text slots pass too).
    pub struct SlotIs {
        pub slot: usize,
        pub value: Option<i64>,
    }

    impl RowCheck for SlotIs {
        fn last_slot(&self) -> usize {
            self.slot
        }
        fn reads_slot(&self, slot: usize) -> bool {
            slot == self.slot
        }
        fn passes(&self, rec: &Record) -> bool {
            match (&rec.values[self.slot], self.value) {
                (Value::Int(v), Some(want)) => *v == want,
                (value, None) => *value != Value::Null,
                _ => false,
            }
        }
    }

    /// Checks on the slots of a combined line (client, ident, user, time, request, status,
    /// bytes, referer, user agent): on the status and the bytes, and on the time and the last
    /// field both a check no line passes and one that every row with a value there passes.
    pub fn combined_checks() -> [SlotIs; 7] {
        [
            (5, Some(404)),
            (5, Some(200)),
            (6, Some(0)),
            (3, Some(0)),
            (3, None),
            (8, Some(1)),
            (8, None),
        ]
        .map(|(slot, value)| SlotIs { slot, value })
    }

    /// The lines of the bundled example log (combined), and damaged copies of some: damage in
    /// the tail (a cut user agent) and in the head (a bad status, a bad time of day, both).
    pub fn example_lines_with_damage() -> Vec<Vec<u8>> {
        let log = include_bytes!("../../examples/access.log");
        let mut lines: Vec<Vec<u8>> = log.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
        let bad_status = |l: &[u8]| {
            String::from_utf8_lossy(l)
                .replacen(" 200 ", " 2x0 ", 1)
                .into_bytes()
        };
        for i in (0..200).step_by(7) {
            let l = lines[i].clone();
            lines.push(l[..l.len() - 3].to_vec());
            lines.push(bad_status(&l));
            let mut bad_time = l.clone();
            let bracket = l.iter().position(|&b| b == b'[').expect("a time");
            bad_time[bracket + 13..bracket + 15].copy_from_slice(b"99");
            lines.push(bad_status(&bad_time));
            lines.push(bad_time);
        }
        lines
    }

    /// Asserts that `checked.parse_checked` agrees with `plain.parse` then the check, for
    /// every check and line: the same rows with the same values; a line that fails the check
    /// is skipped, and only such a line may hide its reject. Returns how many did.
    pub fn assert_checked_agrees(
        plain: &mut dyn LineParser,
        checked: &mut dyn LineParser,
        lines: &[Vec<u8>],
        checks: &[SlotIs],
    ) -> usize {
        let (mut a, mut b) = (Record::default(), Record::default());
        let mut hidden = 0;
        for check in checks {
            for line in lines {
                let full = plain.parse(line, &mut a);
                let early = checked.parse_checked(line, &mut b, check);
                match (&full, &early) {
                    (Ok(Parsed::Row), _) if check.passes(&a) => {
                        assert_eq!(early, Ok(Parsed::Row));
                        assert_eq!(a.values, b.values);
                    }
                    (Ok(Parsed::Row), _) => assert_eq!(early, Ok(Parsed::Skipped)),
                    (Err(_), Ok(Parsed::Skipped)) => hidden += 1,
                    (Err(e), _) => assert_eq!(early.as_ref(), Err(e)),
                    (Ok(p), _) => panic!("unexpected {p:?}"),
                }
            }
        }
        hidden
    }
}
