//! JSON lines: one object per line (nginx `escape=json`, application logs).
//!
//! The columns come from a sample of lines: every key, nested objects flattened with `_`
//! (`{"req":{"method":"GET"}}` gives `req_method`), typed by what the sample holds. Strings
//! that all hold integers, numbers or timestamps (as nginx writes every variable as a string)
//! get that type. Arrays stay JSON text. A later line whose value does not fit its column's
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
                } else if !code && parse_float(text).is_some() {
                    self.float_strings += 1;
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
            Kind::Number if parse_int(text).is_some() => self.ints += 1,
            Kind::Number => self.floats += 1,
            Kind::Bool => self.bools += 1,
            Kind::Array => self.other += 1,
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
    let is_text = matches!(target, Conversion::Text { .. });
    match kind {
        Kind::Str { escaped: true } => {
            scratch.clear();
            decode_string(&line[span.0..span.1], scratch);
            if is_text {
                rec.set_owned(slot, scratch);
                Ok(())
            } else if scratch.is_empty() {
                Ok(())
            } else {
                conv.convert(target, scratch, (0, scratch.len()), slot, rec)
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
