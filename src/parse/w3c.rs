//! W3C extended log format (IIS and others): `#Fields:` directives name the space-separated
//! fields of the lines after them, and may change mid-file.
//!
//! The table's columns are the union of the `#Fields` directives in the sample, with friendly
//! names where the built-in formats have one (`c-ip` is `client`, `sc-status` is `status`,
//! `time-taken` is `duration_ms`); `date` and `time` together make `ts` (UTC, as the format
//! says). A log whose `#Fields` have a `time` but no `date` takes the date of its `#Date`
//! directive, as the format intends, a day later each time the clock runs back past midnight.
//! `-` is NULL and `+` in text stands for a space. A file must be read from its top to know
//! its directives, so W3C files are not split across cores.

use std::collections::HashMap;
use std::sync::Arc;

use super::record::{
    ColumnNames, ColumnSpec, Escapes, FieldType, LineParser, Parsed, Record, Value,
};
use super::reject::RejectReason;
use super::timestamp::{to_utc_nanos, NANOS_PER_SEC};
use super::values::{Conversion, Converter};

/// The columns of a W3C table.
#[derive(Debug, Clone)]
pub struct W3cFormat {
    columns: Vec<ColumnSpec>,
    /// W3C field name → (slot, conversion).
    fields: HashMap<String, (usize, Conversion)>,
    ts_slot: Option<usize>,
    /// The `uri` column made of `cs-uri-stem` and `cs-uri-query` under directives that have
    /// no `cs-uri` (under those that have, `cs-uri` fills it).
    uri: Option<JoinedUri>,
}

/// Slots of a `uri` joined from a path and a query, as an access log writes its target: what
/// queries over access logs select (`uri`) then reads W3C logs too.
#[derive(Debug, Clone, Copy)]
struct JoinedUri {
    slot: usize,
    path: usize,
    query: Option<usize>,
}

/// A field's column name, type and conversion.
fn describe(field: &str) -> (String, Conversion) {
    let text = Conversion::Text {
        dash_null: true,
        escapes: Escapes::None,
    };
    // IIS writes a user agent's spaces as `+`; elsewhere a `+` is itself (`/c++/`, `a+b`
    // in a query string, where it already means a space to whoever reads the query).
    let spaced = Conversion::Text {
        dash_null: true,
        escapes: Escapes::Plus,
    };
    let int = Conversion::Int64;
    let (name, conv) = match field {
        "c-ip" => ("client", text),
        "s-ip" => ("server_ip", text),
        "cs-method" => ("method", text),
        "cs-uri-stem" => ("path", text),
        "cs-uri-query" => ("query_string", text),
        "cs-uri" => ("uri", text),
        "s-port" => ("server_port", int),
        "cs-username" => ("remote_user", text),
        "cs(User-Agent)" => ("user_agent", spaced),
        "cs(Referer)" | "cs(Referrer)" => ("referer", text),
        "cs(Cookie)" => ("cookie", text),
        "cs-host" | "cs(Host)" => ("host", text),
        "sc-status" => ("status", Conversion::Status),
        "sc-substatus" => ("substatus", int),
        "sc-win32-status" => ("win32_status", int),
        "sc-bytes" => ("bytes", Conversion::Count),
        "cs-bytes" => ("bytes_received", Conversion::Count),
        "time-taken" => ("duration_ms", Conversion::Float { scale: 1.0 }),
        "cs-version" => ("protocol", text),
        "s-sitename" => ("site", text),
        "s-computername" => ("server_name", text),
        other => {
            let name = super::template::snake_case(other);
            return (name, text);
        }
    };
    (name.to_string(), conv)
}

impl W3cFormat {
    /// Columns from the `#Fields` directives among sample lines; fails when there is none.
    pub fn infer<'a>(lines: impl IntoIterator<Item = &'a [u8]>) -> Result<W3cFormat, String> {
        let mut columns: Vec<ColumnSpec> = Vec::new();
        let mut column_names = ColumnNames::new();
        let mut fields = HashMap::new();
        let mut ts_slot = None;
        let mut any = false;
        for line in lines {
            let Some(names) = fields_directive(line) else {
                continue;
            };
            any = true;
            let has_date = names.contains(&"date");
            for name in names {
                if fields.contains_key(name) {
                    continue;
                }
                if name == "date" || name == "time" {
                    if ts_slot.is_none() && (name == "date" || !has_date) {
                        let slot = columns.len();
                        let ts = column_names.unique("ts");
                        columns.push(ColumnSpec::slot(ts, FieldType::Timestamp, slot));
                        ts_slot = Some(slot);
                    }
                    continue;
                }
                let (col, conv) = describe(name);
                let col = column_names.unique(&col);
                let slot = columns.len();
                columns.push(ColumnSpec::slot(col, conv.field_type(), slot));
                fields.insert(name.to_string(), (slot, conv));
            }
        }
        if !any {
            return Err("no #Fields directive in the first lines".into());
        }
        let uri = fields.get("cs-uri-stem").map(|&(path, _)| {
            let slot = match fields.get("cs-uri") {
                Some(&(slot, _)) => slot,
                None => {
                    let slot = columns.len();
                    let name = column_names.unique("uri");
                    columns.push(ColumnSpec::slot(name, FieldType::Text, slot));
                    slot
                }
            };
            let query = fields.get("cs-uri-query").map(|&(q, _)| q);
            JoinedUri { slot, path, query }
        });
        Ok(W3cFormat {
            columns,
            fields,
            ts_slot,
            uri,
        })
    }

    pub fn columns(&self) -> &[ColumnSpec] {
        &self.columns
    }
}

fn fields_directive(line: &[u8]) -> Option<Vec<&str>> {
    let rest = line.strip_prefix(b"#Fields:")?;
    Some(std::str::from_utf8(rest).ok()?.split_whitespace().collect())
}

/// What a field position holds under the current directive.
#[derive(Debug, Clone)]
enum Target {
    Slot(usize, Conversion),
    Date,
    Time,
    /// A field the sample's directives did not name: not a column.
    Ignored,
}

/// Parses W3C lines, following `#Fields` directives as they come.
pub struct W3cParser {
    format: Arc<W3cFormat>,
    targets: Vec<Target>,
    /// The current directive has `cs-uri-stem` and no `cs-uri`: `uri` is their join.
    joins_uri: bool,
    conv: Converter,
    dates: DirectiveDate,
}

/// The date of lines that have a time but no date: the last `#Date` directive's, moved on a
/// day whenever the time of day falls back by more than half a day (midnight has passed).
#[derive(Debug, Default)]
struct DirectiveDate {
    /// `yyyy-mm-dd` of the last `#Date` directive.
    date: Option<[u8; 10]>,
    days_after: i64,
    last_time_of_day: Option<i64>,
}

impl DirectiveDate {
    const DAY: i64 = 86_400 * NANOS_PER_SEC;

    /// Takes the date of a `#Date: yyyy-mm-dd hh:mm:ss` directive, if `line` is one.
    fn observe(&mut self, line: &[u8]) {
        if let Some(rest) = line.strip_prefix(b"#Date:") {
            let rest = rest.trim_ascii_start();
            *self = DirectiveDate {
                date: rest.get(..10).and_then(|d| d.try_into().ok()),
                ..DirectiveDate::default()
            };
        }
    }

    /// The instant of `time` on the directive's date (as moved on by midnights).
    fn instant(&mut self, time: &[u8]) -> Option<i64> {
        let on_date = w3c_time(Some(&self.date?), Some(time))?;
        let time_of_day = on_date.rem_euclid(Self::DAY);
        if self
            .last_time_of_day
            .is_some_and(|last| time_of_day + Self::DAY / 2 < last)
        {
            self.days_after += 1;
        }
        self.last_time_of_day = Some(time_of_day);
        on_date.checked_add(self.days_after * Self::DAY)
    }
}

impl W3cParser {
    pub fn new(format: Arc<W3cFormat>) -> Self {
        W3cParser {
            format,
            targets: Vec::new(),
            joins_uri: false,
            conv: Converter::default(),
            dates: DirectiveDate::default(),
        }
    }
}

impl LineParser for W3cParser {
    fn parse(&mut self, line: &[u8], rec: &mut Record) -> Result<Parsed, RejectReason> {
        if line.is_empty() {
            return Err(RejectReason::Empty);
        }
        if line[0] == b'#' {
            self.dates.observe(line);
            if let Some(names) = fields_directive(line) {
                self.joins_uri = names.contains(&"cs-uri-stem") && !names.contains(&"cs-uri");
                self.targets = names
                    .iter()
                    .map(|n| match *n {
                        "date" => Target::Date,
                        "time" => Target::Time,
                        n => match self.format.fields.get(n) {
                            Some((slot, conv)) => Target::Slot(*slot, conv.clone()),
                            None => Target::Ignored,
                        },
                    })
                    .collect();
            }
            return Ok(Parsed::Directive);
        }
        if self.targets.is_empty() {
            return Err(RejectReason::NoFieldsDirective);
        }
        rec.reset(self.format.columns.len());
        let (mut date, mut time) = (None, None);
        let mut pos = 0;
        for target in &self.targets {
            if pos > line.len() {
                return Err(RejectReason::MissingFields);
            }
            // IIS separates fields by spaces, CloudFront by tabs.
            let end = memchr::memchr2(b' ', b'\t', &line[pos..]).map_or(line.len(), |i| pos + i);
            match target {
                Target::Slot(slot, conv) => {
                    self.conv.convert(conv, line, (pos, end), *slot, rec)?
                }
                Target::Date => date = Some(&line[pos..end]),
                Target::Time => time = Some(&line[pos..end]),
                Target::Ignored => {}
            }
            pos = end + 1;
        }
        if pos <= line.len() && !line[pos - 1..].iter().all(u8::is_ascii_whitespace) {
            return Err(RejectReason::Mismatch {
                slot: self.format.columns.len() as u16,
            });
        }
        if let Some(slot) = self.format.ts_slot {
            let ts = match (date, time) {
                // `#Fields` without either: the lines have no time, not a bad one.
                (None, None) => None,
                (None, Some(time)) => Some(self.dates.instant(time)),
                _ => Some(w3c_time(date, time)),
            };
            if let Some(ts) = ts {
                rec.values[slot] = Value::Time(ts.ok_or(RejectReason::BadTimestamp)?);
            }
        }
        if let (Some(uri), true) = (self.format.uri, self.joins_uri) {
            join_uri(uri, line, rec);
        }
        Ok(Parsed::Row)
    }
}

/// `path?query` (`path` without a query, NULL without a path) into `uri.slot`.
fn join_uri(uri: JoinedUri, line: &[u8], rec: &mut Record) {
    let span = |value: Value| match value {
        Value::Span(a, b, _) => Some(&line[a as usize..b as usize]),
        _ => None,
    };
    let Some(path) = span(rec.values[uri.path]) else {
        return;
    };
    let query = uri.query.and_then(|q| span(rec.values[q]));
    let start = rec.text.len();
    rec.text.extend_from_slice(path);
    if let Some(query) = query {
        rec.text.push(b'?');
        rec.text.extend_from_slice(query);
    }
    rec.values[uri.slot] = Value::Owned(start as u32, rec.text.len() as u32);
}

/// `2024-05-01` and `10:00:00[.fff]` (UTC) to nanoseconds.
fn w3c_time(date: Option<&[u8]>, time: Option<&[u8]>) -> Option<i64> {
    let date = date?;
    let time = time.unwrap_or(b"00:00:00");
    if date.len() != 10 || time.len() < 8 {
        return None;
    }
    let num = |s: &[u8]| std::str::from_utf8(s).ok()?.parse::<u32>().ok();
    let nanos = to_utc_nanos(
        i64::from(num(&date[0..4])?),
        num(&date[5..7])?,
        num(&date[8..10])?,
        num(&time[0..2])?,
        num(&time[3..5])?,
        num(&time[6..8])?,
        0,
    )?;
    let frac = match time.get(8) {
        Some(b'.') => {
            let digits = &time[9..];
            let v = i64::from(num(digits)?);
            v * 10i64.pow(9u32.checked_sub(digits.len() as u32)?)
        }
        None => 0,
        _ => return None,
    };
    Some(nanos + frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    const IIS: &str = "#Software: Microsoft Internet Information Services 10.0
#Version: 1.0
#Date: 2024-05-01 10:00:00
#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken
2024-05-01 10:00:01 10.0.0.5 GET /default.aspx id=7 443 - 203.0.113.9 Mozilla/5.0+(Windows+NT+10.0) - 200 0 0 1532
#Fields: date time c-ip sc-status sc-bytes
2024-05-01 10:00:02 203.0.113.10 404 512";

    /// Two fields of one column name (`cs-host`, `cs(Host)`) are told apart as every format
    /// tells them apart.
    #[test]
    fn fields_of_one_name_get_suffixes() {
        let lines: [&[u8]; 1] = [b"#Fields: date time cs-host cs(Host) sc-status"];
        let f = W3cFormat::infer(lines).unwrap();
        let names: Vec<&str> = f.columns().iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["ts", "host", "host_2", "status"]);
    }

    /// Under a directive with `cs-uri`, `uri` is that field; under one with the stem and the
    /// query, their join, in the same column.
    #[test]
    fn uri_follows_each_directive() {
        let text = "#Fields: date time cs-uri-stem cs-uri-query sc-status\n\
                    2025-02-15 18:00:03 /x y=1 200\n\
                    #Fields: date time cs-uri sc-status\n\
                    2025-02-15 18:00:07 /full?a=b 500";
        let lines: Vec<&[u8]> = text.lines().map(str::as_bytes).collect();
        let f = Arc::new(W3cFormat::infer(lines.iter().copied()).unwrap());
        let uri = f.columns().iter().position(|c| c.name == "uri").unwrap();
        assert_eq!(
            f.columns()
                .iter()
                .filter(|c| c.name.starts_with("uri"))
                .count(),
            1
        );
        let mut p = W3cParser::new(f.clone());
        let mut rec = Record::default();
        let mut uris = Vec::new();
        for line in &lines {
            if p.parse(line, &mut rec) == Ok(Parsed::Row) {
                uris.push(rec.raw_text(line, uri).unwrap().0.to_vec());
            }
        }
        assert_eq!(uris, [b"/x?y=1".to_vec(), b"/full?a=b".to_vec()]);
    }

    #[test]
    fn fields_directives_change_mid_file() {
        let lines: Vec<&[u8]> = IIS.lines().map(str::as_bytes).collect();
        let f = Arc::new(W3cFormat::infer(lines.iter().copied()).unwrap());
        let names: Vec<&str> = f.columns().iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "ts",
                "server_ip",
                "method",
                "path",
                "query_string",
                "server_port",
                "remote_user",
                "client",
                "user_agent",
                "referer",
                "status",
                "substatus",
                "win32_status",
                "duration_ms",
                "bytes",
                "uri"
            ]
        );
        let mut p = W3cParser::new(f.clone());
        let mut rec = Record::default();
        for line in &lines[..4] {
            assert_eq!(p.parse(line, &mut rec), Ok(Parsed::Directive));
        }
        p.parse(lines[4], &mut rec).unwrap();
        assert_eq!(rec.values[0], Value::Time(1_714_557_601_000_000_000));
        assert_eq!(rec.values[10], Value::Int(200));
        assert_eq!(rec.values[13], Value::Float(1532.0));
        assert_eq!(rec.values[6], Value::Null);
        assert!(matches!(rec.values[8], Value::Span(_, _, Escapes::Plus)));
        // `uri` as an access log writes it, from cs-uri-stem and cs-uri-query.
        let uri = rec.raw_text(lines[4], 15).unwrap().0;
        assert_eq!(uri, b"/default.aspx?id=7");
        p.parse(lines[5], &mut rec).unwrap();
        p.parse(lines[6], &mut rec).unwrap();
        assert_eq!(rec.values[15], Value::Null);
        assert_eq!(rec.values[10], Value::Int(404));
        assert_eq!(rec.values[14], Value::Int(512));
        assert_eq!(rec.values[2], Value::Null);
        assert_eq!(
            p.parse(b"2024-05-01 10:00:02 1.2.3.4", &mut rec),
            Err(RejectReason::MissingFields)
        );
    }

    /// A log of times without dates takes its `#Date` directive's date, and the next day's
    /// once the clock passes midnight; without a `#Date` such lines have no instant.
    #[test]
    fn times_without_dates_take_the_directive_date() {
        let log = "#Date: 2024-05-01 23:59:00
#Fields: time c-ip sc-status
23:59:58 10.0.0.1 200
23:59:57 10.0.0.2 200
00:00:01 10.0.0.3 200
#Date: 2024-06-10 08:00:00
08:00:00.250 10.0.0.4 200";
        let lines: Vec<&[u8]> = log.lines().map(str::as_bytes).collect();
        let f = Arc::new(W3cFormat::infer(lines.iter().copied()).unwrap());
        assert_eq!(f.columns()[0].name, "ts");
        let mut p = W3cParser::new(f.clone());
        let mut rec = Record::default();
        let mut times = Vec::new();
        for line in &lines {
            if p.parse(line, &mut rec).unwrap() == Parsed::Row {
                times.push(rec.values[0]);
            }
        }
        let at = |s: &str| Value::Time(crate::parse::values::parse_iso8601(s.as_bytes()).unwrap());
        assert_eq!(
            times,
            [
                at("2024-05-01T23:59:58Z"),
                at("2024-05-01T23:59:57Z"),
                at("2024-05-02T00:00:01Z"),
                at("2024-06-10T08:00:00.250Z"),
            ]
        );
        let mut undated = W3cParser::new(f);
        undated.parse(lines[1], &mut rec).unwrap();
        assert_eq!(
            undated.parse(lines[2], &mut rec),
            Err(RejectReason::BadTimestamp)
        );
    }

    /// CloudFront's tab-separated lines; a `+` outside the user agent is itself.
    #[test]
    fn tabs_and_plus_signs() {
        let log = "#Version: 1.0
#Fields: date time c-ip cs-uri-stem cs-uri-query cs(User-Agent) sc-status
2024-05-01\t10:00:01\t10.0.0.1\t/c++/a+b.png\tq=a+b\tcurl/8.0+(x)\t200";
        let lines: Vec<&[u8]> = log.lines().map(str::as_bytes).collect();
        let f = Arc::new(W3cFormat::infer(lines.iter().copied()).unwrap());
        let mut p = W3cParser::new(f);
        let mut rec = Record::default();
        for line in &lines[..2] {
            p.parse(line, &mut rec).unwrap();
        }
        let line = lines[2];
        assert_eq!(p.parse(line, &mut rec), Ok(Parsed::Row));
        let text = |slot| {
            let mut out = Vec::new();
            let (raw, escapes) = rec.raw_text(line, slot).unwrap();
            crate::parse::escape::decode_into(raw, escapes, &mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(rec.values[0], Value::Time(1_714_557_601_000_000_000));
        assert_eq!(text(2), "/c++/a+b.png");
        assert_eq!(text(3), "q=a+b");
        assert_eq!(text(4), "curl/8.0 (x)");
        assert_eq!(rec.values[5], Value::Int(200));
    }

    /// Lines under a `#Fields` with neither date nor time have a NULL `ts`, not a bad one.
    #[test]
    fn fields_without_any_time_give_null() {
        let log = "#Fields: date time c-ip sc-status
2024-05-01 10:00:00 10.0.0.1 200
#Fields: c-ip sc-status
10.0.0.2 404";
        let lines: Vec<&[u8]> = log.lines().map(str::as_bytes).collect();
        let f = Arc::new(W3cFormat::infer(lines.iter().copied()).unwrap());
        assert_eq!(f.columns()[0].name, "ts");
        let mut p = W3cParser::new(f);
        let mut rec = Record::default();
        for line in &lines[..3] {
            p.parse(line, &mut rec).unwrap();
        }
        assert_eq!(p.parse(lines[3], &mut rec), Ok(Parsed::Row));
        assert_eq!(rec.values[0], Value::Null);
    }

    #[test]
    fn data_before_directive() {
        let f = Arc::new(W3cFormat::infer([&b"#Fields: c-ip"[..]]).unwrap());
        let mut p = W3cParser::new(f);
        assert_eq!(
            p.parse(b"1.2.3.4", &mut Record::default()),
            Err(RejectReason::NoFieldsDirective)
        );
    }
}
