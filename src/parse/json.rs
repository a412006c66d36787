//! JSON lines: one object per line (nginx `escape=json`, application logs).
//!
//! The columns come from a sample of lines: every key, nested objects flattened with `_`
//! (`{"req":{"method":"GET"}}` gives `req_method`), typed by what the sample holds. Strings
//! that all hold integers, numbers or timestamps (as nginx writes every variable as a string)
//! get that type. Numbers under a time-like key (`ts`, `time`, `timestamp`, ...) that the sample
//! shows are all epoch seconds, milliseconds, microseconds or nanoseconds of this century or the
//! next two (zap's `"ts":1711845000.1234`) are instants. Arrays stay JSON text. A later line whose value does not fit its column's
//! type is a reject that says so; keys the sample did not have are ignored.
//!
//! The scanner is hand-written over bytes: it finds spans and decodes only strings with
//! escapes, allocating nothing per line.

use std::collections::HashMap;
use std::sync::Arc;

use super::record::{
    ColumnNames, ColumnSpec, Escapes, FieldType, LineParser, Parsed, Record, Value,
};
use super::reject::RejectReason;
use super::values::{
    parse_float, parse_float_sum, parse_int, parse_iso8601, Conversion, Converter, TimeFormat,
};

/// A JSON value's kind and where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A string; `escaped` when it has backslash escapes to decode.
    Str {
        escaped: bool,
    },
    Number,
    Bool,
    Null,
    /// An array (kept as its JSON text).
    Array,
}

/// Called with each value's flattened key path, kind and span.
type Found<'a> = dyn FnMut(&[u8], Kind, (usize, usize)) + 'a;

/// The columns of a JSON-lines table.
#[derive(Debug, Clone)]
pub struct JsonFormat {
    columns: Vec<ColumnSpec>,
    convs: Vec<Conversion>,
    /// Flattened key path → slot.
    slots: HashMap<Vec<u8>, usize>,
}

impl JsonFormat {
    /// Infers columns from sample lines; fails when none is a JSON object.
    pub fn infer<'a>(lines: impl IntoIterator<Item = &'a [u8]>) -> Result<JsonFormat, String> {
        let mut order: Vec<Vec<u8>> = Vec::new();
        let mut seen: HashMap<Vec<u8>, Guess> = HashMap::new();
        let mut objects = 0;
        let mut scratch = Vec::new();
        for line in lines {
            let mut fields = Vec::new();
            if scan_object(line, &mut |path, kind, (a, b)| {
                fields.push((path.to_vec(), kind, (a, b)));
            })
            .is_err()
            {
                continue;
            }
            objects += 1;
            for (path, kind, (a, b)) in fields {
                let text = match kind {
                    Kind::Str { escaped: true } => {
                        scratch.clear();
                        decode_string(&line[a..b], &mut scratch);
                        &scratch[..]
                    }
                    _ => &line[a..b],
                };
                let guess = seen.entry(path.clone()).or_insert_with(|| {
                    order.push(path);
                    Guess::default()
                });
                guess.add(kind, text);
            }
        }
        if objects == 0 {
            return Err("no line of the sample is a JSON object".into());
        }
        let mut columns = Vec::new();
        let mut convs = Vec::new();
        let mut slots = HashMap::new();
        let mut names = ColumnNames::new();
        for path in order {
            let (ty, conv) = seen[&path].decide(&path);
            let name = names.unique(&String::from_utf8_lossy(&path).replace('.', "_"));
            let slot = columns.len();
            columns.push(ColumnSpec::slot(name, ty, slot));
            convs.push(conv);
            slots.insert(path, slot);
        }
        Ok(JsonFormat {
            columns,
            convs,
            slots,
        })
    }

    pub fn columns(&self) -> &[ColumnSpec] {
        &self.columns
    }
}

/// What the sample showed of one key.
#[derive(Debug, Default)]
struct Guess {
    strings: usize,
    int_strings: usize,
    float_strings: usize,
    /// Lists of numbers (`"0.004, 0.010"`, `"0.004 : 0.010"`): an nginx upstream retry.
    list_strings: usize,
    /// `-` or empty strings (no value).
    blanks: usize,
    time_strings: usize,
    ints: usize,
    floats: usize,
    bools: usize,
    other: usize,
    /// Numbers (or strings holding them) in each [`EpochUnit`]'s range, by unit.
    epochs: [usize; 4],
}

impl Guess {
    fn add(&mut self, kind: Kind, text: &[u8]) {
        match kind {
            Kind::Null => {}
            Kind::Str { .. } if text.is_empty() || text == b"-" => self.blanks += 1,
            Kind::Str { .. } => {
                self.strings += 1;
                // `01234` is a code (a zip, an ID), not the number 1234.
                let digits = text.strip_prefix(b"-").unwrap_or(text);
                let code = digits.len() > 1 && digits[0] == b'0' && digits[1].is_ascii_digit();
                if !code && parse_int(text).is_some() {
                    self.int_strings += 1;
                    self.add_epoch(text);
                } else if !code && parse_float(text).is_some() {
                    self.float_strings += 1;
                    self.add_epoch(text);
                } else if memchr::memchr2(b',', b':', text).is_some()
                    && parse_float_sum(text).is_some()
                {
                    self.list_strings += 1;
                }
                if parse_iso8601(text).is_some()
                    || Converter::default().time(&TimeFormat::Clf, text).is_some()
                {
                    self.time_strings += 1;
                }
            }
            Kind::Number if parse_int(text).is_some() => {
                self.ints += 1;
                self.add_epoch(text);
            }
            Kind::Number => {
                self.floats += 1;
                self.add_epoch(text);
            }
            Kind::Bool => self.bools += 1,
            Kind::Array => self.other += 1,
        }
    }

    fn add_epoch(&mut self, number: &[u8]) {
        if let Some(unit) = parse_float(number).and_then(EpochUnit::of) {
            self.epochs[unit as usize] += 1;
        }
    }

    fn decide(&self, path: &[u8]) -> (FieldType, Conversion) {
        let total = self.strings + self.ints + self.floats + self.bools + self.other;
        let status = path == b"status";
        // nginx's `$upstream_*` values are lists when a request tried several upstreams
        // (`"0.004, 0.010"`, `"502, 200"`), however few the sample shows: times are summed
        // (whether the sample holds lists, single numbers, or only `-` for requests no
        // upstream served), the rest kept as text.
        let upstream = memchr::memmem::find(path, b"upstream_").is_some();
        let upstream_time = upstream && memchr::memmem::find(path, b"_time").is_some();
        let numbers = self.ints + self.int_strings + self.floats + self.float_strings;
        if upstream_time
            && self.other == 0
            && numbers + self.list_strings == total
            && total + self.blanks > 0
        {
            return (FieldType::Float64, Conversion::FloatSum { scale: 1.0 });
        }
        if total == 0 || self.other > 0 {
            return (FieldType::Text, json_text());
        }
        if self.strings == self.time_strings && self.strings == total {
            return (FieldType::Timestamp, Conversion::Time(TimeFormat::Auto));
        }
        // Epoch numbers under a time-like key, all in one unit's range: an instant. A duration
        // (`"time":0.5`) or a date written as `20240331` is in no range and stays a number.
        if time_like(path) {
            if let Some(unit) = EpochUnit::ALL
                .into_iter()
                .find(|u| self.epochs[*u as usize] == total)
            {
                return (FieldType::Timestamp, Conversion::Time(unit.format()));
            }
        }
        let ints = self.ints + self.int_strings;
        let floats = self.floats + self.float_strings;
        if upstream && ints + floats == total {
            return (FieldType::Text, json_text());
        }
        if ints == total {
            return if status {
                (FieldType::Int32, Conversion::Int32)
            } else {
                (FieldType::Int64, Conversion::Int64)
            };
        }
        if ints + floats == total {
            return (FieldType::Float64, Conversion::Float { scale: 1.0 });
        }
        if self.bools == total {
            return (FieldType::Bool, Conversion::Bool);
        }
        (FieldType::Text, json_text())
    }
}

/// Whether a key's name (its last part, for a nested key) says it holds an instant.
fn time_like(path: &[u8]) -> bool {
    let name = path.rsplit(|b| *b == b'.').next().unwrap_or(path);
    TIME_KEYS.iter().any(|k| name.eq_ignore_ascii_case(k))
}

/// Keys that hold instants in application logs: zap's and zerolog's `ts`/`time`, pino's
/// `time`, Elastic's `@timestamp`, log4j2 JsonLayout's `timeMillis`.
const TIME_KEYS: [&[u8]; 8] = [
    b"ts",
    b"time",
    b"timestamp",
    b"@timestamp",
    b"datetime",
    b"date",
    b"epoch",
    b"timemillis",
];

/// The unit of an epoch number column, decided from the sample's magnitudes: each unit's
/// range holds the instants from 2001 to 2262-04-11, the last a timestamp of `i64`
/// nanoseconds holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EpochUnit {
    Seconds,
    Millis,
    Micros,
    Nanos,
}

impl EpochUnit {
    const ALL: [EpochUnit; 4] = [
        EpochUnit::Seconds,
        EpochUnit::Millis,
        EpochUnit::Micros,
        EpochUnit::Nanos,
    ];

    /// The unit whose range holds `v`.
    fn of(v: f64) -> Option<EpochUnit> {
        EpochUnit::ALL.into_iter().find(|u| {
            let (low, high) = u.range();
            (low..high).contains(&v)
        })
    }

    fn range(self) -> (f64, f64) {
        match self {
            EpochUnit::Seconds => (1e9, LAST_NANOS / 1e9),
            EpochUnit::Millis => (1e12, LAST_NANOS / 1e6),
            EpochUnit::Micros => (1e15, LAST_NANOS / 1e3),
            EpochUnit::Nanos => (1e18, LAST_NANOS),
        }
    }

    fn nanos(self) -> f64 {
        match self {
            EpochUnit::Seconds => 1e9,
            EpochUnit::Millis => 1e6,
            EpochUnit::Micros => 1e3,
            EpochUnit::Nanos => 1.0,
        }
    }

    fn format(self) -> TimeFormat {
        match self {
            EpochUnit::Seconds => TimeFormat::EpochSeconds,
            EpochUnit::Millis => TimeFormat::EpochMillis,
            EpochUnit::Micros => TimeFormat::EpochMicros,
            EpochUnit::Nanos => TimeFormat::EpochNanos,
        }
    }

    /// The unit of a column's conversion, for the epoch formats only JSON inference makes.
    fn of_format(format: &TimeFormat) -> Option<EpochUnit> {
        Some(match format {
            TimeFormat::EpochSeconds => EpochUnit::Seconds,
            TimeFormat::EpochMillis => EpochUnit::Millis,
            TimeFormat::EpochMicros => EpochUnit::Micros,
            TimeFormat::EpochNanos => EpochUnit::Nanos,
            _ => return None,
        })
    }

    fn expected(self) -> &'static str {
        match self {
            EpochUnit::Seconds => "epoch seconds from 2001 to 2262",
            EpochUnit::Millis => "epoch milliseconds from 2001 to 2262",
            EpochUnit::Micros => "epoch microseconds from 2001 to 2262",
            EpochUnit::Nanos => "epoch nanoseconds from 2001 to 2262",
        }
    }

    /// A value of a column in this unit: `Some(None)` for NULL (`-` or an empty string),
    /// `None` for anything that is no number in the unit's range.
    fn value(self, text: &[u8], kind: Kind, conv: &mut Converter) -> Option<Option<i64>> {
        match kind {
            Kind::Str { .. } if text.is_empty() || text == b"-" => Some(None),
            Kind::Str { .. } | Kind::Number => self.read(text, conv).map(Some),
            Kind::Bool | Kind::Null | Kind::Array => None,
        }
    }

    /// UTC nanoseconds of a number in this unit's range: exact for decimals (through the
    /// epoch parser string timestamps use), through `f64` for exponent notation.
    fn read(self, number: &[u8], conv: &mut Converter) -> Option<i64> {
        let v = parse_float(number)?;
        if EpochUnit::of(v) != Some(self) {
            return None;
        }
        conv.time(&self.format(), number).or_else(|| {
            // Exponent notation; the range check keeps the product within `i64`.
            let nanos = v * self.nanos();
            (nanos < LAST_NANOS).then_some(nanos as i64)
        })
    }
}

/// The last instant a timestamp of `i64` nanoseconds holds (2262-04-11), as `f64` (a bound:
/// `i64::MAX as f64` rounds up to 2^63).
const LAST_NANOS: f64 = i64::MAX as f64;

fn json_text() -> Conversion {
    Conversion::Text {
        dash_null: false,
        escapes: Escapes::None,
    }
}

/// A JSON format with its reused buffers.
pub struct JsonParser {
    format: Arc<JsonFormat>,
    conv: Converter,
    scratch: Vec<u8>,
}

impl JsonParser {
    pub fn new(format: Arc<JsonFormat>) -> Self {
        JsonParser {
            format,
            conv: Converter::default(),
            scratch: Vec::new(),
        }
    }
}

impl LineParser for JsonParser {
    fn parse(&mut self, line: &[u8], rec: &mut Record) -> Result<Parsed, RejectReason> {
        let format = &self.format;
        rec.reset(format.columns.len());
        let (conv, scratch) = (&mut self.conv, &mut self.scratch);
        let mut failure = None;
        scan_object(line, &mut |path, kind, (a, b)| {
            if failure.is_some() {
                return;
            }
            let Some(&slot) = format.slots.get(path) else {
                return;
            };
            if let Err(e) = store(
                &format.convs[slot],
                line,
                kind,
                (a, b),
                slot,
                rec,
                conv,
                scratch,
            ) {
                failure = Some(e);
            }
        })
        .map_err(|_| RejectReason::NotJson)?;
        match failure {
            Some(e) => Err(e),
            None => Ok(Parsed::Row),
        }
    }
}

/// Stores one value in its slot, converting as the column's type says.
#[allow(clippy::too_many_arguments)]
fn store(
    target: &Conversion,
    line: &[u8],
    kind: Kind,
    span: (usize, usize),
    slot: usize,
    rec: &mut Record,
    conv: &mut Converter,
    scratch: &mut Vec<u8>,
) -> Result<(), RejectReason> {
    if kind == Kind::Null {
        return Ok(());
    }
    if let Conversion::Time(format) = target {
        if let Some(unit) = EpochUnit::of_format(format) {
            let text = unescaped(line, kind, span, scratch);
            return match unit.value(text, kind, conv) {
                Some(Some(t)) => {
                    rec.values[slot] = Value::Time(t);
                    Ok(())
                }
                Some(None) => Ok(()),
                None => Err(RejectReason::BadValue {
                    slot: slot as u16,
                    expected: unit.expected(),
                }),
            };
        }
    }
    let is_text = matches!(target, Conversion::Text { .. });
    match kind {
        Kind::Str { escaped: true } => {
            let text = unescaped(line, kind, span, scratch);
            if is_text {
                rec.set_owned(slot, text);
                Ok(())
            } else if text.is_empty() {
                Ok(())
            } else {
                conv.convert(target, text, (0, text.len()), slot, rec)
                    .map(|_| ())
            }
        }
        _ if is_text => {
            rec.values[slot] = Value::Span(span.0 as u32, span.1 as u32, Escapes::None);
            Ok(())
        }
        Kind::Str { .. } if span.0 == span.1 => Ok(()),
        _ => conv.convert(target, line, span, slot, rec),
    }
}

/// A value's text: `line[span]`, or for a string with escapes, its decoding in `scratch`.
fn unescaped<'a>(
    line: &'a [u8],
    kind: Kind,
    span: (usize, usize),
    scratch: &'a mut Vec<u8>,
) -> &'a [u8] {
    match kind {
        Kind::Str { escaped: true } => {
            scratch.clear();
            decode_string(&line[span.0..span.1], scratch);
            scratch
        }
        _ => &line[span.0..span.1],
    }
}

/// Scans one JSON object, calling `found(path, kind, span)` for every scalar or array value
/// (strings' spans exclude the quotes). Nested objects are flattened into dotted paths.
fn scan_object(line: &[u8], found: &mut Found<'_>) -> Result<(), ()> {
    let mut path = Vec::new();
    let mut pos = skip_ws(line, 0);
    pos = object(line, pos, &mut path, found, 0)?;
    if skip_ws(line, pos) != line.len() {
        return Err(());
    }
    Ok(())
}

const MAX_DEPTH: usize = 32;

fn object(
    line: &[u8],
    mut pos: usize,
    path: &mut Vec<u8>,
    found: &mut Found<'_>,
    depth: usize,
) -> Result<usize, ()> {
    if line.get(pos) != Some(&b'{') || depth > MAX_DEPTH {
        return Err(());
    }
    pos = skip_ws(line, pos + 1);
    if line.get(pos) == Some(&b'}') {
        return Ok(pos + 1);
    }
    let base = path.len();
    loop {
        if line.get(pos) != Some(&b'"') {
            return Err(());
        }
        let (key_end, escaped) = string_end(line, pos + 1)?;
        path.truncate(base);
        if base > 0 {
            path.push(b'.');
        }
        if escaped {
            decode_string(&line[pos + 1..key_end], path);
        } else {
            path.extend_from_slice(&line[pos + 1..key_end]);
        }
        pos = skip_ws(line, key_end + 1);
        if line.get(pos) != Some(&b':') {
            return Err(());
        }
        pos = skip_ws(line, pos + 1);
        pos = match line.get(pos) {
            Some(b'{') => object(line, pos, path, found, depth + 1)?,
            Some(b'"') => {
                let (end, escaped) = string_end(line, pos + 1)?;
                found(path, Kind::Str { escaped }, (pos + 1, end));
                end + 1
            }
            Some(b'[') => {
                let end = skip_array(line, pos, depth + 1)?;
                found(path, Kind::Array, (pos, end));
                end
            }
            Some(_) => {
                let end = pos
                    + line[pos..]
                        .iter()
                        .position(|b| matches!(b, b',' | b'}' | b' ' | b'\t' | b'\r' | b'\n'))
                        .unwrap_or(line.len() - pos);
                let word = &line[pos..end];
                let kind = match word {
                    b"true" | b"false" => Kind::Bool,
                    b"null" => Kind::Null,
                    _ if parse_float(word).is_some() => Kind::Number,
                    _ => return Err(()),
                };
                found(path, kind, (pos, end));
                end
            }
            None => return Err(()),
        };
        pos = skip_ws(line, pos);
        match line.get(pos) {
            Some(b',') => pos = skip_ws(line, pos + 1),
            Some(b'}') => {
                path.truncate(base);
                return Ok(pos + 1);
            }
            _ => return Err(()),
        }
    }
}

/// The end (exclusive) of an array starting at `pos`, skipping nested values and strings.
fn skip_array(line: &[u8], pos: usize, depth: usize) -> Result<usize, ()> {
    let mut level = 0usize;
    let mut i = pos;
    while i < line.len() {
        match line[i] {
            b'"' => i = string_end(line, i + 1)?.0,
            b'[' | b'{' => {
                level += 1;
                if depth + level > MAX_DEPTH {
                    return Err(());
                }
            }
            b']' | b'}' => {
                level -= 1;
                if level == 0 {
                    return Ok(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    Err(())
}

/// The position of the closing quote of a string whose content starts at `pos`, and whether
/// it has escapes.
#[inline]
fn string_end(line: &[u8], pos: usize) -> Result<(usize, bool), ()> {
    let mut i = pos;
    let mut escaped = false;
    loop {
        let at = i + memchr::memchr2(b'"', b'\\', line.get(i..).ok_or(())?).ok_or(())?;
        if line[at] == b'"' {
            return Ok((at, escaped));
        }
        escaped = true;
        i = at + 2;
    }
}

fn skip_ws(line: &[u8], mut pos: usize) -> usize {
    while pos < line.len() && matches!(line[pos], b' ' | b'\t' | b'\r' | b'\n') {
        pos += 1;
    }
    pos
}

/// Decodes a JSON string's content (escapes, `\uXXXX` with surrogate pairs) onto `out`;
/// broken escapes become U+FFFD.
fn decode_string(raw: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(rel) = memchr::memchr(b'\\', &raw[i..]) {
        let at = i + rel;
        out.extend_from_slice(&raw[i..at]);
        let esc = raw.get(at + 1).copied();
        i = at + 2;
        let simple = match esc {
            Some(b'"') => Some(b'"'),
            Some(b'\\') => Some(b'\\'),
            Some(b'/') => Some(b'/'),
            Some(b'b') => Some(8),
            Some(b'f') => Some(12),
            Some(b'n') => Some(b'\n'),
            Some(b'r') => Some(b'\r'),
            Some(b't') => Some(b'\t'),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            continue;
        }
        let hex4 = |at: usize| -> Option<u32> {
            let h = std::str::from_utf8(raw.get(at..at + 4)?).ok()?;
            u32::from_str_radix(h, 16).ok()
        };
        let c = match (esc, hex4(i)) {
            (Some(b'u'), Some(hi @ 0xD800..=0xDBFF)) => {
                let lo = (raw.get(i + 4..i + 6) == Some(b"\\u"))
                    .then(|| hex4(i + 6))
                    .flatten();
                match lo {
                    Some(lo @ 0xDC00..=0xDFFF) => {
                        i += 10;
                        char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                    }
                    _ => {
                        i += 4;
                        None
                    }
                }
            }
            (Some(b'u'), Some(cp)) => {
                i += 4;
                char::from_u32(cp)
            }
            _ => None,
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.unwrap_or('\u{FFFD}').encode_utf8(&mut buf).as_bytes());
    }
    out.extend_from_slice(&raw[i.min(raw.len())..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    const NGINX: &[u8] = br#"{"time":"2019-01-22T03:56:14+03:30","remote_addr":"10.0.0.1","request":"GET /a?x=\"1\" HTTP/1.1","status":"200","body_bytes_sent":"512","request_time":"0.120","http_user_agent":"curl/8.0","upstream":{"addr":"127.0.0.1:8080","time":0.1}}"#;

    #[test]
    fn infers_types_from_strings_and_flattens() {
        let f = JsonFormat::infer([NGINX]).unwrap();
        let cols: Vec<(&str, FieldType)> = f
            .columns()
            .iter()
            .map(|c| (c.name.as_str(), c.ty))
            .collect();
        assert_eq!(
            cols,
            [
                ("time", FieldType::Timestamp),
                ("remote_addr", FieldType::Text),
                ("request", FieldType::Text),
                ("status", FieldType::Int32),
                ("body_bytes_sent", FieldType::Int64),
                ("request_time", FieldType::Float64),
                ("http_user_agent", FieldType::Text),
                ("upstream_addr", FieldType::Text),
                ("upstream_time", FieldType::Float64),
            ]
        );
        let mut p = JsonParser::new(Arc::new(f));
        let mut rec = Record::default();
        p.parse(NGINX, &mut rec).unwrap();
        assert_eq!(rec.values[0], Value::Time(1_548_116_774_000_000_000));
        assert_eq!(rec.values[3], Value::Int(200));
        assert_eq!(rec.values[5], Value::Float(0.12));
        assert_eq!(
            rec.raw_text(NGINX, 2).unwrap().0,
            br#"GET /a?x="1" HTTP/1.1"#
        );
        assert_eq!(rec.values[8], Value::Float(0.1));
    }

    /// nginx `escape=json` logs: an upstream retry's list, seen only after the sample, is
    /// read (times summed, statuses as text); a zero-led code stays text.
    #[test]
    fn upstream_lists_and_codes() {
        let sample = br#"{"status":"200","upstream_response_time":"0.004","upstream_status":"200","zip":"01234","n":"0"}"#;
        let f = Arc::new(JsonFormat::infer([&sample[..]]).unwrap());
        let types: Vec<FieldType> = f.columns().iter().map(|c| c.ty).collect();
        use FieldType::*;
        assert_eq!(types, [Int32, Float64, Text, Text, Int64]);
        let mut p = JsonParser::new(f);
        let mut rec = Record::default();
        let retried = br#"{"status":"502","upstream_response_time":"0.004, 0.010","upstream_status":"502, 200","zip":"01234","n":"7"}"#;
        p.parse(retried, &mut rec).unwrap();
        assert_eq!(rec.values[0], Value::Int(502));
        assert!(matches!(rec.values[1], Value::Float(t) if (t - 0.014).abs() < 1e-12));
        assert_eq!(rec.raw_text(retried, 2).unwrap().0, b"502, 200");
        assert_eq!(rec.raw_text(retried, 3).unwrap().0, b"01234");
    }

    /// A retry's list in the sample itself (`, ` or nginx's ` : ` between upstream groups),
    /// or a sample with only `-` for the upstream time, still makes a summed number column;
    /// `-` and empty values are NULL. Lists of other upstream values stay text.
    #[test]
    fn upstream_lists_in_the_sample() {
        let sample: [&[u8]; 4] = [
            br#"{"upstream_response_time":"0.004","upstream_connect_time":"-","upstream_status":"200","other":"1"}"#,
            br#"{"upstream_response_time":"0.004, 0.010","upstream_connect_time":"","upstream_status":"502, 200","other":"1, 2"}"#,
            br#"{"upstream_response_time":"0.004, 0.010 : 0.5","upstream_connect_time":"-","upstream_status":"502 : 200","other":"3"}"#,
            br#"{"upstream_response_time":"-","upstream_connect_time":"-","upstream_status":"-","other":"4"}"#,
        ];
        let f = Arc::new(JsonFormat::infer(sample).unwrap());
        let types: Vec<FieldType> = f.columns().iter().map(|c| c.ty).collect();
        use FieldType::*;
        assert_eq!(types, [Float64, Float64, Text, Text]);
        let mut p = JsonParser::new(f);
        let mut rec = Record::default();
        let sums = [Some(0.004), Some(0.014), Some(0.514), None];
        for (line, want) in sample.iter().zip(sums) {
            p.parse(line, &mut rec).unwrap();
            match want {
                Some(w) => assert!(
                    matches!(rec.values[0], Value::Float(t) if (t - w).abs() < 1e-12),
                    "{:?}",
                    rec.values[0]
                ),
                None => assert_eq!(rec.values[0], Value::Null),
            }
            assert_eq!(rec.values[1], Value::Null);
        }
        let later = br#"{"upstream_connect_time":"0.001, 0.002","upstream_status":"200"}"#;
        p.parse(later, &mut rec).unwrap();
        assert!(matches!(rec.values[1], Value::Float(t) if (t - 0.003).abs() < 1e-12));
    }

    fn types(f: &JsonFormat) -> Vec<(&str, FieldType)> {
        f.columns()
            .iter()
            .map(|c| (c.name.as_str(), c.ty))
            .collect()
    }

    /// Epoch numbers under a time-like key (zap's `ts`, pino's `time` in milliseconds,
    /// log4j2's `timeMillis`, nested keys, numbers written as strings) are instants, in the unit
    /// the sample's magnitude says; durations under such keys and other numbers stay numbers.
    #[test]
    fn epoch_numbers_under_time_keys_are_timestamps() {
        use FieldType::*;
        let f = JsonFormat::infer([
            &br#"{"level":"info","ts":1711845000.1234,"msg":"x","timestamp":1711845000123,"time":1711845000123456,"@timestamp":1711845000123456789,"ev":{"date":"1711845000"},"timeMillis":1711845000123,"id":1711845000,"dur":{"time":1200},"took":{"time":0.5}}"#[..],
            br#"{"level":"info","ts":1711845001,"msg":"y","timestamp":1711845000124,"time":1711845000123457,"@timestamp":1711845000123456790,"ev":{"date":"1711845001"},"timeMillis":1711845000124,"id":1711845001,"dur":{"time":1500},"took":{"time":0.25}}"#,
        ])
        .unwrap();
        assert_eq!(
            types(&f),
            [
                ("level", Text),
                ("ts", Timestamp),
                ("msg", Text),
                ("timestamp", Timestamp),
                ("time", Timestamp),
                ("@timestamp", Timestamp),
                ("ev_date", Timestamp),
                ("timeMillis", Timestamp),
                ("id", Int64),
                ("dur_time", Int64),
                ("took_time", Float64),
            ]
        );
        let f = Arc::new(f);
        let mut p = JsonParser::new(f.clone());
        let mut rec = Record::default();
        let line = br#"{"ts":1711845000.1234,"timestamp":1711845000123,"time":1711845000123456,"@timestamp":1711845000123456789,"ev":{"date":"1711845000.5"},"timeMillis":null}"#;
        p.parse(line, &mut rec).unwrap();
        assert_eq!(rec.values[1], Value::Time(1_711_845_000_123_400_000));
        assert_eq!(rec.values[3], Value::Time(1_711_845_000_123_000_000));
        assert_eq!(rec.values[4], Value::Time(1_711_845_000_123_456_000));
        assert_eq!(rec.values[5], Value::Time(1_711_845_000_123_456_789));
        assert_eq!(rec.values[6], Value::Time(1_711_845_000_500_000_000));
        assert_eq!(rec.values[7], Value::Null);
        // Exponent notation (Python's repr of a large float) is read too.
        p.parse(
            br#"{"@timestamp":1.7118450001234568e+18,"ev":{"date":"-"}}"#,
            &mut rec,
        )
        .unwrap();
        assert!(
            matches!(rec.values[5], Value::Time(t) if (t - 1_711_845_000_123_456_800).abs() < 1_000)
        );
        assert_eq!(rec.values[6], Value::Null);
        // A later value outside the column's unit, or not a number, is a reject naming it.
        let name = |slot: usize| Some(f.columns()[slot].name.clone());
        for (bad, slot, unit) in [
            (&br#"{"ts":5}"#[..], 1, "epoch seconds"),
            (br#"{"ts":1711845000123}"#, 1, "epoch seconds"),
            // Past 2262-04-11 no nanosecond timestamp holds it (it was clamped to that day).
            (br#"{"ts":9300000000}"#, 1, "epoch seconds"),
            (br#"{"ts":9.3e9}"#, 1, "epoch seconds"),
            (br#"{"timestamp":9300000000000}"#, 3, "epoch milliseconds"),
            (br#"{"ts":"soon"}"#, 1, "epoch seconds"),
            (br#"{"ts":true}"#, 1, "epoch seconds"),
            (br#"{"timestamp":1711845000}"#, 3, "epoch milliseconds"),
            (
                br#"{"@timestamp":-1711845000123456789}"#,
                5,
                "epoch nanoseconds",
            ),
        ] {
            let e = p.parse(bad, &mut rec).unwrap_err();
            assert!(
                matches!(e, RejectReason::BadValue { slot: s, .. } if s as usize == slot),
                "{e:?}"
            );
            let said = e.describe(name);
            assert!(
                said.contains(&*f.columns()[slot].name) && said.contains(unit),
                "{said}"
            );
        }
        // Mixed units, or a number outside every range, keep the numeric type.
        let f = JsonFormat::infer([
            &br#"{"ts":1711845000,"time":1711845000,"date":20240331}"#[..],
            br#"{"ts":1711845000123,"time":-1711845000,"date":20240401}"#,
        ])
        .unwrap();
        assert_eq!(types(&f), [("ts", Int64), ("time", Int64), ("date", Int64)]);
    }

    #[test]
    fn rejects_and_mismatches() {
        let f = Arc::new(JsonFormat::infer([&br#"{"n":1,"s":"x"}"#[..]]).unwrap());
        let mut p = JsonParser::new(f);
        let mut rec = Record::default();
        for bad in [
            &b"not json"[..],
            b"{\"n\":1",
            b"[1,2]",
            b"{\"n\":1} extra",
            b"{\"n\":tru}",
        ] {
            assert_eq!(
                p.parse(bad, &mut rec),
                Err(RejectReason::NotJson),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(matches!(
            p.parse(br#"{"n":"many"}"#, &mut rec),
            Err(RejectReason::BadValue { slot: 0, .. })
        ));
        p.parse(
            br#"{"n":null,"other":[1,{"a":"]"}],"s":"\u00e9\ud83d\ude00"}"#,
            &mut rec,
        )
        .unwrap();
        assert_eq!(rec.values[0], Value::Null);
        assert_eq!(rec.raw_text(b"", 1).unwrap().0, "é😀".as_bytes());
    }

    #[test]
    fn keys_named_like_hidden_columns_are_renamed() {
        let f = JsonFormat::infer([&br#"{"_file":"app.py","_line":42,"a_b":1,"a":{"b":2}}"#[..]])
            .unwrap();
        let names: Vec<&str> = f.columns().iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["_file_2", "_line_2", "a_b", "a_b_2"]);
    }

    #[test]
    fn no_objects_in_sample() {
        assert!(JsonFormat::infer([&b"hello"[..]]).is_err());
    }
}
