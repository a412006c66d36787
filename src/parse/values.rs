//! Turning a field's text into a typed value: integers, durations, instants in many notations.
//!
//! Formats defined from strings (Apache `LogFormat`, nginx `log_format`, regex, W3C) say what
//! each field holds; a [`Conversion`] applies that to the field's bytes and stores the value in
//! the record. Invalid text is a reject, never a made-up value.

use super::digits::{parse_digits, parse_digits_upto, SIZE_DIGITS, STATUS_DIGITS};
use super::record::{Escapes, FieldType, Record, Value};
use super::reject::RejectReason;
use super::timestamp::{
    parse_offset, to_utc_nanos, ClfTimeCache, CLF_TIME_LEN, MAX_OFFSET_HOURS, NANOS_PER_SEC,
};
use crate::search::{find_byte, FindEither};

/// How a timestamp field is written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TimeFormat {
    /// `10/Oct/2000:13:55:36 -0700` (Apache `%t` without brackets, nginx `$time_local`).
    Clf,
    /// ISO 8601 / RFC 3339: `2000-10-10T13:55:36-07:00`, fractions, `Z`, a space for `T`;
    /// no zone means UTC.
    Iso8601,
    /// Seconds since the epoch, with an optional fraction (nginx `$msec`, `%{sec}t`).
    EpochSeconds,
    EpochMillis,
    EpochMicros,
    EpochNanos,
    /// A strftime pattern (Apache `%{...}t`); without a zone the time is taken as UTC, and
    /// a date without a time as its midnight (see `parse_strftime`).
    Strftime(String),
    /// Whichever of ISO 8601, CLF or epoch seconds parses (regex and JSON fields).
    Auto,
}

impl TimeFormat {
    /// Parses a format-file name: `clf`, `iso8601`, `epoch`, `epoch_ms`, `epoch_us`, or a
    /// strftime pattern containing `%`.
    pub fn from_name(name: &str) -> Option<TimeFormat> {
        Some(match name {
            "clf" | "apache" | "nginx" => TimeFormat::Clf,
            "iso8601" | "rfc3339" | "iso" => TimeFormat::Iso8601,
            "epoch" | "epoch_s" | "unix" => TimeFormat::EpochSeconds,
            "epoch_ms" => TimeFormat::EpochMillis,
            "epoch_us" => TimeFormat::EpochMicros,
            "auto" => TimeFormat::Auto,
            p if p.contains('%') && strftime_is_valid(p) => TimeFormat::Strftime(p.to_string()),
            _ => return None,
        })
    }
}

/// What a field's text becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Conversion {
    /// Text; `-` is NULL when `dash_null`.
    Text {
        dash_null: bool,
        escapes: Escapes,
    },
    /// An integer; `-` is NULL.
    Int32,
    Int64,
    /// An HTTP status as servers write it: 1 to 3 digits, no sign, as the `combined` parser
    /// reads it (`0200` or `+200` is damage, not 200); `-` is NULL.
    Status,
    /// A size or count that servers write as plain digits (bytes sent, a request's length):
    /// up to 18, no sign; `-` is NULL.
    Count,
    /// A number (integer or decimal) times `scale`; `-` is NULL. Durations use the scale to
    /// reach milliseconds.
    Float {
        scale: f64,
    },
    /// nginx `$upstream_*_time`: numbers separated by `, ` or ` : ` (one per upstream tried),
    /// summed, times `scale`; `-` is NULL (and counts as 0 inside a list).
    FloatSum {
        scale: f64,
    },
    Bool,
    Time(TimeFormat),
}

impl Conversion {
    pub fn text() -> Self {
        Conversion::Text {
            dash_null: true,
            escapes: Escapes::None,
        }
    }

    /// The column type this conversion produces.
    pub fn field_type(&self) -> FieldType {
        match self {
            Conversion::Text { .. } => FieldType::Text,
            Conversion::Int32 | Conversion::Status => FieldType::Int32,
            Conversion::Int64 | Conversion::Count => FieldType::Int64,
            Conversion::Float { .. } | Conversion::FloatSum { .. } => FieldType::Float64,
            Conversion::Bool => FieldType::Bool,
            Conversion::Time(_) => FieldType::Timestamp,
        }
    }

    /// The conversion that gives `ty` from plain text (format files, regex groups).
    pub fn for_type(ty: FieldType) -> Self {
        match ty {
            FieldType::Text => Conversion::text(),
            FieldType::Int32 => Conversion::Int32,
            FieldType::Int64 => Conversion::Int64,
            FieldType::Float64 => Conversion::Float { scale: 1.0 },
            FieldType::Bool => Conversion::Bool,
            FieldType::Timestamp => Conversion::Time(TimeFormat::Iso8601),
        }
    }

    fn expected(&self) -> &'static str {
        match self {
            Conversion::Text { .. } => "text",
            Conversion::Int32 | Conversion::Int64 => "an integer",
            Conversion::Status => "an HTTP status (1 to 3 digits)",
            Conversion::Count => "a size (digits)",
            Conversion::Float { .. } | Conversion::FloatSum { .. } => "a number",
            Conversion::Bool => "true or false",
            Conversion::Time(_) => "a timestamp",
        }
    }
}

/// Applies conversions, keeping the caches that make timestamps cheap (and the quote search
/// a template's quoted fields need, set up once).
#[derive(Debug, Clone)]
pub struct Converter {
    clf: ClfTimeCache,
    pub(super) quote_or_backslash: FindEither,
}

impl Default for Converter {
    fn default() -> Self {
        Converter {
            clf: ClfTimeCache::default(),
            quote_or_backslash: FindEither::new(b'"', b'\\'),
        }
    }
}

impl Converter {
    /// Converts `line[start..end]` by `conv` into slot `slot` of `rec`. Text and integers,
    /// most of a line's fields, are converted inline; the call costs more than they do.
    #[inline(always)]
    pub fn convert(
        &mut self,
        conv: &Conversion,
        line: &[u8],
        (start, end): (usize, usize),
        slot: usize,
        rec: &mut Record,
    ) -> Result<(), RejectReason> {
        let s = &line[start..end];
        let value = match conv {
            Conversion::Text { dash_null, escapes } => {
                if *dash_null && s == b"-" {
                    Value::Null
                } else {
                    let escapes = match escapes {
                        // Short fields mostly: a word-at-a-time search beats memchr's setup.
                        Escapes::Backslash if find_byte(s, 0, b'\\').is_none() => Escapes::None,
                        Escapes::Plus if find_byte(s, 0, b'+').is_none() => Escapes::None,
                        e => *e,
                    };
                    Value::Span(start as u32, end as u32, escapes)
                }
            }
            _ if s == b"-" || s.is_empty() => Value::Null,
            Conversion::Int32 => match int_at(line, start, end).map(i32::try_from) {
                Some(Ok(v)) => Value::Int(i64::from(v)),
                _ => return Err(bad_value(conv, slot)),
            },
            Conversion::Int64 => {
                Value::Int(int_at(line, start, end).ok_or_else(|| bad_value(conv, slot))?)
            }
            Conversion::Status | Conversion::Count => {
                let digits = match conv {
                    Conversion::Status => STATUS_DIGITS,
                    _ => SIZE_DIGITS,
                };
                match parse_digits_upto(line, start, end, digits) {
                    Some(n) => Value::Int(n as i64),
                    None => return Err(bad_value(conv, slot)),
                }
            }
            _ => self
                .convert_other(conv, s)
                .ok_or_else(|| bad_value(conv, slot))?,
        };
        rec.values[slot] = value;
        Ok(())
    }

    /// The conversions [`Converter::convert`] leaves out of line: numbers, booleans, times.
    #[inline(never)]
    fn convert_other(&mut self, conv: &Conversion, s: &[u8]) -> Option<Value> {
        Some(match conv {
            Conversion::Float { scale } => Value::Float(parse_float(s)? * scale),
            Conversion::FloatSum { scale } => Value::Float(parse_float_sum(s)? * scale),
            Conversion::Bool => match s {
                b"true" | b"1" | b"on" | b"yes" => Value::Bool(true),
                b"false" | b"0" | b"off" | b"no" => Value::Bool(false),
                _ => return None,
            },
            Conversion::Time(format) => Value::Time(self.time(format, s)?),
            Conversion::Text { .. }
            | Conversion::Int32
            | Conversion::Int64
            | Conversion::Status
            | Conversion::Count => unreachable!("converted inline"),
        })
    }

    /// Parses an instant written in `format`, to UTC nanoseconds.
    pub fn time(&mut self, format: &TimeFormat, s: &[u8]) -> Option<i64> {
        match format {
            TimeFormat::Clf => {
                let s = s.strip_prefix(b"[").unwrap_or(s);
                let s = s.strip_suffix(b"]").unwrap_or(s);
                if s.len() != CLF_TIME_LEN {
                    return None;
                }
                self.clf.parse(s)
            }
            TimeFormat::Iso8601 => parse_iso8601(s),
            TimeFormat::EpochSeconds => epoch(s, 1),
            TimeFormat::EpochMillis => epoch(s, 1_000),
            TimeFormat::EpochMicros => epoch(s, 1_000_000),
            TimeFormat::EpochNanos => epoch(s, NANOS_PER_SEC),
            TimeFormat::Strftime(pattern) => parse_strftime(std::str::from_utf8(s).ok()?, pattern),
            TimeFormat::Auto => parse_iso8601(s)
                .or_else(|| self.time(&TimeFormat::Clf, s))
                .or_else(|| auto_epoch_seconds(s)),
        }
    }
}

/// The reject for a field whose text `conv` cannot convert.
#[cold]
pub(crate) fn bad_value(conv: &Conversion, slot: usize) -> RejectReason {
    RejectReason::BadValue {
        slot: slot as u16,
        expected: conv.expected(),
    }
}

/// [`parse_int`] of `line[start..end]`; unsigned fields (statuses, sizes, durations) are read
/// a word at a time, which needs the whole line.
#[inline(always)]
fn int_at(line: &[u8], start: usize, end: usize) -> Option<i64> {
    match line[start] {
        b'0'..=b'9' if end - start <= 18 => parse_digits(line, start, end).map(|n| n as i64),
        _ => parse_int(&line[start..end]),
    }
}

/// A decimal integer with an optional sign.
#[inline]
pub fn parse_int(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    // Up to 19 digits, all of i64 (nanosecond epochs, snowflake IDs): 19 digits fit a u64.
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut n: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(d - b'0');
    }
    if neg {
        (n <= i64::MIN.unsigned_abs()).then(|| (n as i64).wrapping_neg())
    } else {
        i64::try_from(n).ok()
    }
}

/// A decimal number (`12`, `0.004`, `-1.5e3`); not NaN or infinity.
#[inline]
pub fn parse_float(s: &[u8]) -> Option<f64> {
    if let Some(i) = parse_int(s) {
        return Some(i as f64);
    }
    if !s
        .iter()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
    {
        return None;
    }
    let v: f64 = std::str::from_utf8(s).ok()?.parse().ok()?;
    v.is_finite().then_some(v)
}

/// The sum of numbers separated by commas and colons (nginx upstream lists); `-` counts 0.
pub fn parse_float_sum(s: &[u8]) -> Option<f64> {
    let mut sum = 0.0;
    for part in s.split(|b| *b == b',' || *b == b':') {
        let part = part.trim_ascii();
        if part != b"-" {
            sum += parse_float(part)?;
        }
    }
    Some(sum)
}

/// Epoch seconds where the format was not told: from 2001-09-09 (1e9 s, where JSON's epoch
/// rule starts) to where nanoseconds end (2262), so that a stray `5` under an ISO time is a
/// reject, not 1970.
fn auto_epoch_seconds(s: &[u8]) -> Option<i64> {
    epoch(s, 1).filter(|&nanos| nanos >= 1_000_000_000 * NANOS_PER_SEC)
}

/// Seconds (or millis, micros) since the epoch, with an optional fraction.
fn epoch(s: &[u8], per_second: i64) -> Option<i64> {
    let (whole_text, frac) = match memchr::memchr(b'.', s) {
        Some(dot) => (&s[..dot], &s[dot + 1..]),
        None => (s, &b""[..]),
    };
    let whole = parse_int(whole_text)?;
    if frac.len() > 9 || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let unit = NANOS_PER_SEC / per_second;
    let mut frac_nanos: i64 = 0;
    let mut scale = unit;
    for &d in frac {
        scale /= 10;
        frac_nanos += i64::from(d - b'0') * scale;
    }
    // The fraction has the sign of the whole: `-1.5` is 1.5 s before the epoch.
    if whole_text.first() == Some(&b'-') {
        frac_nanos = -frac_nanos;
    }
    whole.checked_mul(unit)?.checked_add(frac_nanos)
}

/// ISO 8601 / RFC 3339 date-time: `YYYY-MM-DD[T ]HH:MM:SS[.fff][Z|±HH:MM|±HHMM|±HH]`.
pub fn parse_iso8601(s: &[u8]) -> Option<i64> {
    if s.len() < 19 || s[4] != b'-' || s[7] != b'-' || !matches!(s[10], b'T' | b' ' | b't') {
        return None;
    }
    if s[13] != b':' || s[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &s[r];
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut pos = 19;
    let mut nanos: i64 = 0;
    if s.get(pos) == Some(&b'.') || s.get(pos) == Some(&b',') {
        pos += 1;
        let start = pos;
        let mut scale = NANOS_PER_SEC;
        while pos < s.len() && s[pos].is_ascii_digit() {
            if pos - start < 9 {
                scale /= 10;
                nanos += i64::from(s[pos] - b'0') * scale;
            }
            pos += 1;
        }
        if pos == start {
            return None;
        }
    }
    let offset = match &s[pos..] {
        b"" | b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2] => parse_offset(&[*sign, *h1, *h2, b'0', b'0'])?,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => parse_offset(&[*sign, *h1, *h2, *m1, *m2])?,
        zone @ [b'+' | b'-', _, _, _, _] => parse_offset(zone)?,
        _ => return None,
    };
    let secs = to_utc_nanos(i64::from(year), month, day, hour, minute, second, offset)?;
    secs.checked_add(nanos)
}

/// Whether chrono knows every directive of strftime `pattern`.
pub fn strftime_is_valid(pattern: &str) -> bool {
    use chrono::format::{Item, StrftimeItems};
    StrftimeItems::new(pattern).all(|item| !matches!(item, Item::Error))
}

/// How many of `byte` a time written by strftime `pattern` holds: the fewest and the most, as
/// values padded with spaces add some (`%e` writes ` 6`, `%c` holds a `%e`, `%k` ` 9`).
pub fn strftime_holds(pattern: &str, byte: u8) -> (usize, usize) {
    use chrono::TimeZone;
    use std::fmt::Write;
    let count = |s: &[u8]| s.iter().filter(|b| **b == byte).count();
    // `Utc`, whose `%Z` writes `UTC` as a server does (a `FixedOffset` writes `+00:00`).
    let utc = chrono::Utc;
    let holds = |month, day, hour| {
        let time = utc
            .with_ymd_and_hms(2000, month, day, hour, hour, hour)
            .single()?;
        let mut text = String::new();
        write!(text, "{}", time.format(pattern)).ok()?;
        Some(count(text.as_bytes()))
    };
    // Every value at two digits or more, then every one at a single digit.
    match (holds(10, 10, 10), holds(1, 1, 1)) {
        (Some(a), Some(b)) => (a.min(b), a.max(b)),
        _ => {
            let n = count(pattern.as_bytes());
            (n, n)
        }
    }
}

/// Whether `s` reads as a time in strftime `pattern`, as a [`TimeFormat::Strftime`] field.
pub fn strftime_parses(s: &[u8], pattern: &str) -> bool {
    std::str::from_utf8(s).is_ok_and(|s| parse_strftime(s, pattern).is_some())
}

/// A strftime pattern, through chrono (unusual formats only: the common ones are above),
/// item by item so that zones read as servers write them: `%Z` takes `UTC`, `GMT` or `Z`
/// as offset 0 (other abbreviations are ambiguous, so the time is not read), `%z` and `%:z`
/// also take `Z`. Without a zone the time is UTC; a date without a time is its midnight.
fn parse_strftime(s: &str, pattern: &str) -> Option<i64> {
    use chrono::format::{parse_and_remainder, Fixed, Item, Parsed, StrftimeItems};
    let mut parsed = Parsed::new();
    let mut rest = s;
    for item in StrftimeItems::new(pattern) {
        let item = match item {
            Item::Fixed(Fixed::TimezoneName) => {
                let name_len = rest
                    .bytes()
                    .position(|b| !b.is_ascii_alphabetic())
                    .unwrap_or(rest.len());
                match &rest[..name_len] {
                    "UTC" | "GMT" | "Z" => parsed.set_offset(0).ok()?,
                    _ => return None,
                }
                rest = &rest[name_len..];
                continue;
            }
            Item::Fixed(Fixed::TimezoneOffset) => Item::Fixed(Fixed::TimezoneOffsetZ),
            Item::Fixed(Fixed::TimezoneOffsetColon) => Item::Fixed(Fixed::TimezoneOffsetColonZ),
            other => other,
        };
        rest = parse_and_remainder(&mut parsed, rest, std::iter::once(item)).ok()?;
    }
    if !rest.is_empty() {
        return None;
    }
    let no_time = parsed.hour_div_12().is_none()
        && parsed.hour_mod_12().is_none()
        && parsed.minute().is_none()
        && parsed.timestamp().is_none();
    if no_time {
        parsed.set_hour(0).ok()?;
        parsed.set_minute(0).ok()?;
    }
    if parsed.offset().is_none() {
        parsed.set_offset(0).ok()?;
    }
    let time = parsed.to_datetime().ok()?;
    // chrono takes offsets up to 23:59; `%t` and ISO 8601 times stop at 14 hours.
    if time.offset().local_minus_utc().unsigned_abs() / 3600 > MAX_OFFSET_HOURS {
        return None;
    }
    time.timestamp_nanos_opt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(ns: Option<i64>) -> Option<i64> {
        ns.map(|n| n / NANOS_PER_SEC)
    }

    /// The word-at-a-time integer read agrees with the byte loop for every field length, at
    /// every place in a line, with a sign, a stray byte or none.
    #[test]
    fn int_at_agrees_with_parse_int() {
        for len in 1..=21 {
            for at in 0..12 {
                for planted in [
                    None,
                    Some(b'-'),
                    Some(b'+'),
                    Some(b'x'),
                    Some(b' '),
                    Some(b'/'),
                ] {
                    for place in 0..len {
                        let mut field: Vec<u8> =
                            (0..len).map(|i| b'0' + (i * 7 % 10) as u8).collect();
                        if let Some(b) = planted {
                            field[place] = b;
                        }
                        let mut line = b"7 -+x9".repeat(3)[..at].to_vec();
                        line.extend_from_slice(&field);
                        line.extend_from_slice(b" 42");
                        let want = parse_int(&field);
                        assert_eq!(
                            int_at(&line, at, at + len),
                            want,
                            "{:?}",
                            String::from_utf8_lossy(&line)
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn iso8601_variants() {
        let want = Some(971_211_336); // 2000-10-10T20:55:36Z
        assert_eq!(secs(parse_iso8601(b"2000-10-10T13:55:36-07:00")), want);
        assert_eq!(secs(parse_iso8601(b"2000-10-10T13:55:36-0700")), want);
        assert_eq!(secs(parse_iso8601(b"2000-10-10T20:55:36Z")), want);
        assert_eq!(secs(parse_iso8601(b"2000-10-10 20:55:36")), want);
        assert_eq!(secs(parse_iso8601(b"2000-10-11T00:25:36+03:30")), want);
        assert_eq!(
            parse_iso8601(b"2000-10-10T20:55:36.123456Z"),
            Some(971_211_336_123_456_000)
        );
        for bad in [
            &b"2000-13-10T20:55:36Z"[..],
            b"2000-10-10T20:55",
            b"2000-10-10T20:55:36+2",
            b"2000-02-30T00:00:00Z",
            b"yesterday",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn auto_takes_epoch_seconds_of_ten_digits_only() {
        let mut c = Converter::default();
        assert_eq!(
            c.time(&TimeFormat::Auto, b"1700000000.5"),
            Some(1_700_000_000_500_000_000)
        );
        for stray in [&b"5"[..], b"-1", b"170000000", b"17000000000"] {
            assert_eq!(c.time(&TimeFormat::Auto, stray), None, "{stray:?}");
        }
    }

    #[test]
    fn epochs() {
        assert_eq!(epoch(b"1700000000.123", 1), Some(1_700_000_000_123_000_000));
        assert_eq!(epoch(b"1700000000", 1), Some(1_700_000_000_000_000_000));
        assert_eq!(
            epoch(b"1700000000123", 1000),
            Some(1_700_000_000_123_000_000)
        );
        assert_eq!(epoch(b"17x", 1), None);
        // Before the epoch the fraction counts backwards too.
        assert_eq!(epoch(b"-1.5", 1), Some(-1_500_000_000));
        assert_eq!(epoch(b"-0.25", 1), Some(-250_000_000));
        assert_eq!(epoch(b"-2", 1000), Some(-2_000_000));
    }

    #[test]
    fn numbers_and_lists() {
        assert_eq!(parse_float(b"0.004"), Some(0.004));
        assert_eq!(parse_float(b"12"), Some(12.0));
        assert_eq!(parse_float(b"nan"), None);
        assert_eq!(parse_float(b"inf"), None);
        assert_eq!(parse_float_sum(b"0.004, 0.010 : 0.001"), Some(0.015));
        assert_eq!(parse_float_sum(b"-, 0.5"), Some(0.5));
        assert_eq!(parse_int(b"-12"), Some(-12));
        assert_eq!(parse_int(b"1x"), None);
        // All of i64, and no further.
        for n in [
            i64::MAX,
            i64::MIN,
            1_714_557_600_123_456_789,
            -999_999_999_999_999_999,
        ] {
            assert_eq!(parse_int(n.to_string().as_bytes()), Some(n));
        }
        assert_eq!(parse_int(b"9223372036854775808"), None);
        assert_eq!(parse_int(b"-9223372036854775809"), None);
        assert_eq!(parse_int(b"9999999999999999999"), None);
        assert_eq!(parse_int(b"12345678901234567890"), None);
    }

    /// Statuses and sizes are read as the `combined` parser reads them: digits only (a
    /// status up to three), `-` and an empty field NULL, a sign or a padded status damage.
    #[test]
    fn statuses_and_sizes_are_plain_digits() {
        let mut conv = Converter::default();
        let mut rec = Record::default();
        rec.reset(1);
        let mut read = |c: &Conversion, s: &str| {
            // Padded on the left, as fields stand in lines (the word-at-a-time read looks back).
            let line = format!("GET / {s}");
            let at = (line.len() - s.len(), line.len());
            conv.convert(c, line.as_bytes(), at, 0, &mut rec)
                .ok()
                .map(|()| rec.values[0])
        };
        for (s, want) in [("200", Some(200)), ("20", Some(20)), ("0", Some(0))] {
            assert_eq!(read(&Conversion::Status, s), want.map(Value::Int), "{s}");
        }
        for s in ["-", ""] {
            assert_eq!(read(&Conversion::Status, s), Some(Value::Null));
            assert_eq!(read(&Conversion::Count, s), Some(Value::Null));
        }
        for s in ["0200", "+200", "-200", "2x0", "2000"] {
            assert_eq!(read(&Conversion::Status, s), None, "{s}");
        }
        let largest = "999999999999999999";
        assert_eq!(
            read(&Conversion::Count, largest),
            Some(Value::Int(999_999_999_999_999_999))
        );
        assert_eq!(read(&Conversion::Count, "0123"), Some(Value::Int(123)));
        for s in ["-5", "+5", "5 ", "1e3", "9999999999999999999"] {
            assert_eq!(read(&Conversion::Count, s), None, "{s}");
        }
        // Other integers keep their sign.
        assert_eq!(read(&Conversion::Int64, "-5"), Some(Value::Int(-5)));
    }

    /// The separators a strftime time holds are those it writes, padding included.
    #[test]
    fn separators_a_strftime_time_holds() {
        assert_eq!(strftime_holds("%d/%b/%Y %T", b' '), (1, 1));
        assert_eq!(strftime_holds("%d/%b/%Y %T", b':'), (2, 2));
        assert_eq!(strftime_holds("%a %b %e %H:%M:%S %Y", b' '), (4, 5));
        assert_eq!(strftime_holds("%c", b' '), (4, 5));
        assert_eq!(strftime_holds("%Y-%m-%d %k:%M", b' '), (1, 2));
    }

    /// A `%z` offset is taken as `%t` takes it: up to 14 hours, minutes below 60.
    #[test]
    fn strftime_offsets_agree_with_clf() {
        for zone in [
            "+0000", "-0700", "+1400", "-1400", "+1459", "+1500", "-1500", "+2359", "+0160",
        ] {
            let clf = super::super::timestamp::parse_clf_time(
                format!("10/Oct/2000:13:55:36 {zone}").as_bytes(),
            );
            let strftime = parse_strftime(
                &format!("10/Oct/2000:13:55:36 {zone}"),
                "%d/%b/%Y:%H:%M:%S %z",
            );
            assert_eq!(strftime, clf, "{zone}");
        }
        assert_eq!(
            secs(parse_strftime(
                "2000-10-10 13:55:36 +15:00",
                "%Y-%m-%d %H:%M:%S %:z"
            )),
            None
        );
    }

    /// `%Z` reads the zone names that say UTC (and no other: `CET`, `EST` are ambiguous),
    /// `%z` also reads `Z`, and a date without a time is its midnight (at its offset if it
    /// has one).
    #[test]
    fn strftime_zone_names_and_dates() {
        let want = Some(1_728_568_536); // 2024-10-10T13:55:36Z
        for zone in ["UTC", "GMT", "Z"] {
            let s = format!("2024-10-10 13:55:36 {zone}");
            assert_eq!(
                secs(parse_strftime(&s, "%Y-%m-%d %H:%M:%S %Z")),
                want,
                "{zone}"
            );
        }
        for zone in ["CET", "EST", "PST8PDT", "UTCX", "+0000", ""] {
            let s = format!("2024-10-10 13:55:36 {zone}");
            assert_eq!(parse_strftime(&s, "%Y-%m-%d %H:%M:%S %Z"), None, "{zone}");
        }
        assert_eq!(
            secs(parse_strftime(
                "10/Oct/2024:13:55:36 Z",
                "%d/%b/%Y:%H:%M:%S %z"
            )),
            want
        );
        assert_eq!(
            secs(parse_strftime(
                "2024-10-10T13:55:36Z",
                "%Y-%m-%dT%H:%M:%S%:z"
            )),
            want
        );
        let midnight = Some(1_728_518_400); // 2024-10-10T00:00:00Z
        assert_eq!(secs(parse_strftime("2024-10-10", "%Y-%m-%d")), midnight);
        assert_eq!(
            secs(parse_strftime("Thu 10 Oct 2024", "%a %d %b %Y")),
            midnight
        );
        // The weekday must agree with the date.
        assert_eq!(parse_strftime("Fri 10 Oct 2024", "%a %d %b %Y"), None);
        assert_eq!(
            secs(parse_strftime("2024-10-10 +0200", "%Y-%m-%d %z")),
            midnight.map(|m| m - 7200)
        );
        assert_eq!(secs(parse_strftime("2024-10-10 GMT", "%F %Z")), midnight);
        // A time needs its minutes; epoch seconds need nothing else.
        assert_eq!(parse_strftime("2024-10-10 13", "%Y-%m-%d %H"), None);
        assert_eq!(
            secs(parse_strftime("1728568536", "%s")),
            Some(1_728_568_536)
        );
        assert_eq!(parse_strftime("2024-10-10 trailing", "%Y-%m-%d"), None);
        // An offset a pattern reads without %z is applied too.
        assert_eq!(
            secs(parse_strftime("2024-10-10T15:55:36+02:00", "%+")),
            want
        );
    }

    #[test]
    fn strftime_and_conversions() {
        assert_eq!(
            secs(parse_strftime("2000/10/10 20:55:36", "%Y/%m/%d %H:%M:%S")),
            Some(971_211_336)
        );
        assert_eq!(
            secs(parse_strftime(
                "10.10.2000 13:55:36 -0700",
                "%d.%m.%Y %H:%M:%S %z"
            )),
            Some(971_211_336)
        );
        let mut conv = Converter::default();
        let mut rec = Record::default();
        rec.reset(1);
        let line = b"1234";
        conv.convert(
            &Conversion::Float { scale: 0.001 },
            line,
            (0, 4),
            0,
            &mut rec,
        )
        .unwrap();
        assert_eq!(rec.values[0], Value::Float(1.234));
        let err = conv
            .convert(&Conversion::Int32, b"99999999999", (0, 11), 0, &mut rec)
            .unwrap_err();
        assert!(matches!(err, RejectReason::BadValue { slot: 0, .. }));
        conv.convert(&Conversion::Int64, b"-", (0, 1), 0, &mut rec)
            .unwrap();
        assert_eq!(rec.values[0], Value::Null);
    }
}
