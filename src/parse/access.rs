//! The Apache/nginx access-log parser: Common Log Format and Combined Log Format.
//!
//! `host ident user [time] "request" status bytes ["referer" "user-agent" [extra...]]`
//!
//! The parser finds field boundaries with `memchr` and records them as byte spans of the line
//! in a reused [`AccessRecord`]; it allocates nothing. Structure, timestamp, status and bytes are
//! always validated, whatever columns a query needs, so that the set of rows (and of rejects)
//! never depends on the columns; only a pushed filter that a line's head already fails spares
//! its tail, and its timestamp when the filter does not read it
//! ([`LineParser::parse_checked`]). Turning spans into values is the caller's business.

use super::digits::{parse_digits_upto, SIZE_DIGITS, STATUS_DIGITS};
use super::record::{ColumnSpec, Escapes, FieldType, LineParser, Parsed, Record, RowCheck, Value};
use super::reject::RejectReason;
use super::timestamp::{ClfTimeCache, CLF_TIME_LEN};
use crate::search::{find_byte, FindEither};

/// The fields of an access-log line, in the order they appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Client = 0,
    Ident = 1,
    User = 2,
    Time = 3,
    Request = 4,
    Status = 5,
    Bytes = 6,
    Referer = 7,
    UserAgent = 8,
}

const FIELD_COUNT: usize = 9;

/// Spans and typed values of one parsed line. Reused from line to line.
#[derive(Debug, Clone)]
pub struct AccessRecord {
    spans: [(usize, usize); FIELD_COUNT],
    /// Bit `f` is set when quoted field `f` contains a backslash escape.
    escaped: u16,
    /// The instant in UTC nanoseconds since the epoch.
    pub ts_nanos: i64,
    /// `None` for `-`.
    pub status: Option<i32>,
    /// `None` for `-`.
    pub bytes: Option<i64>,
    time_cache: ClfTimeCache,
    /// Finds the end of a quoted field (or an escape in it).
    quote_or_backslash: FindEither,
}

impl Default for AccessRecord {
    fn default() -> Self {
        AccessRecord {
            spans: Default::default(),
            escaped: 0,
            ts_nanos: 0,
            status: None,
            bytes: None,
            time_cache: ClfTimeCache::default(),
            quote_or_backslash: FindEither::new(b'"', b'\\'),
        }
    }
}

impl AccessRecord {
    /// The raw bytes of `field` in `line` (escapes not yet undone).
    #[inline]
    pub fn raw<'a>(&self, line: &'a [u8], field: Field) -> &'a [u8] {
        let (a, b) = self.spans[field as usize];
        &line[a..b]
    }

    /// Byte span of `field` within the line.
    #[inline]
    pub fn span(&self, field: Field) -> (usize, usize) {
        self.spans[field as usize]
    }

    /// Whether `field` contains escapes that must be undone before use.
    #[inline]
    pub fn is_escaped(&self, field: Field) -> bool {
        self.escaped & (1 << field as u16) != 0
    }

    #[inline(always)]
    fn set(&mut self, field: Field, start: usize, end: usize) {
        self.spans[field as usize] = (start, end);
    }
}

/// Which flavour of access log to expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessFlavor {
    /// Common Log Format: ends after `bytes` (anything after a space is ignored).
    Common,
    /// Combined: `"referer" "user-agent"` follow; extra trailing fields (nginx `main`'s
    /// `"$http_x_forwarded_for"`, response times) are allowed and ignored.
    Combined,
}

/// Parses one line (without its line terminator) into `rec`.
pub fn parse_access_line(
    flavor: AccessFlavor,
    line: &[u8],
    rec: &mut AccessRecord,
) -> Result<(), RejectReason> {
    let pos = parse_head(line, rec, Time::Now)?;
    parse_tail(flavor, line, pos, rec)
}

/// When the head's timestamp is parsed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Time {
    Now,
    /// Its place is checked, its value left to [`parse_time`]: a line a filter drops never
    /// needs it (and the calendar is a tenth of a line's work).
    Later,
}

/// The head of a line, client to bytes (every numeric field); returns where the tail starts.
/// An error is the one met first in line order, whenever the time is parsed.
#[inline]
fn parse_head(line: &[u8], rec: &mut AccessRecord, time: Time) -> Result<usize, RejectReason> {
    rec.escaped = 0;
    if line.is_empty() {
        return Err(RejectReason::Empty);
    }
    // host, ident: single tokens.
    let client_end = find_space(line, 0).ok_or(RejectReason::Truncated)?;
    if client_end == 0 {
        return Err(RejectReason::MissingClient);
    }
    rec.set(Field::Client, 0, client_end);
    let ident_start = client_end + 1;
    let ident_end = find_space(line, ident_start).ok_or(RejectReason::Truncated)?;
    rec.set(Field::Ident, ident_start, ident_end);
    // user: everything up to " [" (some users contain spaces).
    let user_start = ident_end + 1;
    let bracket = find_byte(line, user_start, b'[').ok_or(RejectReason::MissingTimestamp)?;
    if bracket == user_start || line[bracket - 1] != b' ' {
        return Err(RejectReason::MissingTimestamp);
    }
    rec.set(Field::User, user_start, bracket - 1);

    // [time]
    let time_start = bracket + 1;
    let time_end = time_start + CLF_TIME_LEN;
    if line.len() <= time_end || line[time_end] != b']' {
        return Err(RejectReason::BadTimestamp);
    }
    rec.set(Field::Time, time_start, time_end);
    if time == Time::Now {
        parse_time(line, rec)?;
    }
    match parse_request_to_bytes(line, time_end + 1, rec) {
        // The full parse would have stopped at a bad time first.
        Err(e) if time == Time::Later => Err(parse_time(line, rec).err().unwrap_or(e)),
        result => result,
    }
}

/// The timestamp whose place [`parse_head`] found.
#[inline(always)]
fn parse_time(line: &[u8], rec: &mut AccessRecord) -> Result<(), RejectReason> {
    let (a, b) = rec.span(Field::Time);
    rec.ts_nanos = rec
        .time_cache
        .parse(&line[a..b])
        .ok_or(RejectReason::BadTimestamp)?;
    Ok(())
}

/// ` "request" status bytes`, from just after the time's `]`.
#[inline(always)]
fn parse_request_to_bytes(
    line: &[u8],
    pos: usize,
    rec: &mut AccessRecord,
) -> Result<usize, RejectReason> {
    let mut pos = expect(line, pos, b" \"", RejectReason::MissingRequest)?;
    pos = quoted(line, pos, Field::Request, rec, QuoteEnd::SpaceOrEnd)?;
    pos = expect(line, pos, b" ", RejectReason::MissingStatus)?;
    let next = token_end(line, pos);
    rec.set(Field::Status, pos, next);
    rec.status = parse_status(line, pos, next)?;
    pos = expect(line, next, b" ", RejectReason::MissingBytes)?;
    let next = token_end(line, pos);
    rec.set(Field::Bytes, pos, next);
    rec.bytes = parse_bytes(line, pos, next)?;
    Ok(next)
}

/// The tail of a line from `pos`, just after the bytes field: referer and user agent for
/// `Combined`, then nothing but extra fields.
#[inline]
fn parse_tail(
    flavor: AccessFlavor,
    line: &[u8],
    mut pos: usize,
    rec: &mut AccessRecord,
) -> Result<(), RejectReason> {
    match flavor {
        AccessFlavor::Common => {}
        AccessFlavor::Combined => {
            pos = expect(line, pos, b" \"", RejectReason::MissingReferer)?;
            pos = quoted(line, pos, Field::Referer, rec, QuoteEnd::SpaceQuote)?;
            pos = expect(line, pos, b" \"", RejectReason::MissingUserAgent)?;
            pos = quoted(line, pos, Field::UserAgent, rec, QuoteEnd::Last)?;
        }
    }
    // Anything after a space is an extra field we do not model; anything else is damage.
    if pos < line.len() && line[pos] != b' ' {
        return Err(RejectReason::TrailingGarbage);
    }
    Ok(())
}

/// Requires `lit` (one or two bytes) at `pos`; returns the position after it.
#[inline(always)]
fn expect(line: &[u8], pos: usize, lit: &[u8], err: RejectReason) -> Result<usize, RejectReason> {
    // Byte comparisons: a slice `==` would call memcmp for two bytes.
    let ok = match *lit {
        [a] => line.get(pos) == Some(&a),
        [a, b] => line.get(pos) == Some(&a) && line.get(pos + 1) == Some(&b),
        _ => line.get(pos..pos + lit.len()) == Some(lit),
    };
    if ok {
        Ok(pos + lit.len())
    } else {
        Err(err)
    }
}

/// The next space at or after `pos`.
#[inline(always)]
fn find_space(line: &[u8], pos: usize) -> Option<usize> {
    find_byte(line, pos, b' ')
}

/// The end of the token at `pos`: the next space or the end of the line.
#[inline(always)]
fn token_end(line: &[u8], pos: usize) -> usize {
    find_space(line, pos).unwrap_or(line.len())
}

#[derive(Clone, Copy)]
enum QuoteEnd {
    /// The closing quote is followed by a space and the next field's opening quote.
    SpaceQuote,
    /// The closing quote is followed by a space or ends the line.
    SpaceOrEnd,
    /// As `SpaceOrEnd`, for the last field of the format: a space after the quote must lead
    /// to extra fields, whose quotes pair up.
    Last,
}

/// Reads a quoted field whose content starts at `start` (just after the opening quote);
/// returns the position after the closing quote. A quote preceded by a backslash escape is
/// content; so is a bare quote not followed by what must come next (some servers do not
/// escape quotes).
#[inline(always)]
fn quoted(
    line: &[u8],
    start: usize,
    field: Field,
    rec: &mut AccessRecord,
    end: QuoteEnd,
) -> Result<usize, RejectReason> {
    let mut i = start;
    let mut escaped = false;
    // For `Last`: bare quotes after the current one, counted once at the first quote that
    // a space follows, then counted down as the loop passes them (no rescan per quote).
    let mut quotes_after: Option<usize> = None;
    loop {
        let rel = rec
            .quote_or_backslash
            .find(&line[i..])
            .ok_or(RejectReason::UnterminatedQuote)?;
        let at = i + rel;
        if line[at] == b'\\' {
            escaped = true;
            i = at + 2; // skip the escaped byte
            if i > line.len() {
                return Err(RejectReason::UnterminatedQuote);
            }
            continue;
        }
        if let Some(n) = &mut quotes_after {
            *n -= 1;
        }
        let closes = match (end, line.get(at + 1)) {
            (QuoteEnd::SpaceQuote, Some(b' ')) => line.get(at + 2) == Some(&b'"'),
            (QuoteEnd::SpaceOrEnd | QuoteEnd::Last, None) => true,
            (QuoteEnd::SpaceOrEnd, Some(b' ')) => true,
            // Before extra fields (nginx's `"$http_x_forwarded_for"`), whose quotes pair up;
            // not before the rest of a user agent with a bare quote (`"Mozilla "x" y"`).
            (QuoteEnd::Last, Some(b' ')) => {
                *quotes_after.get_or_insert_with(|| bare_quotes(&line[at + 1..])) % 2 == 0
            }
            _ => false,
        };
        if closes {
            rec.set(field, start, at);
            rec.escaped |= u16::from(escaped) << field as u16;
            return Ok(at + 1);
        }
        i = at + 1;
    }
}

/// The quotes in `rest` that no backslash escapes, read as [`quoted`] reads them (a
/// backslash escapes the byte after it, a backslash too). Only lines with a space after a
/// quote in the last field get here.
#[cold]
pub(crate) fn bare_quotes(rest: &[u8]) -> usize {
    let (mut n, mut i) = (0, 0);
    while let Some(rel) = memchr::memchr2(b'"', b'\\', &rest[i..]) {
        let at = i + rel;
        if rest[at] == b'"' {
            n += 1;
            i = at + 1;
        } else {
            i = at + 2;
        }
        if i >= rest.len() {
            break;
        }
    }
    n
}

/// HTTP status `line[start..end]`: 1-3 digits, or `-` for none.
#[inline(always)]
fn parse_status(line: &[u8], start: usize, end: usize) -> Result<Option<i32>, RejectReason> {
    let status = dash_or_number(line, start, end, STATUS_DIGITS).ok_or(RejectReason::BadStatus)?;
    Ok(status.map(|n| n as i32))
}

/// Response size `line[start..end]`: up to 18 digits, or `-` for none.
#[inline(always)]
fn parse_bytes(line: &[u8], start: usize, end: usize) -> Result<Option<i64>, RejectReason> {
    let bytes = dash_or_number(line, start, end, SIZE_DIGITS).ok_or(RejectReason::BadBytes)?;
    Ok(bytes.map(|n| n as i64))
}

/// `Some(None)` for `-`, `Some(Some(n))` for 1 to `max_digits` digits, `None` for anything else.
#[inline(always)]
fn dash_or_number(line: &[u8], start: usize, end: usize, max_digits: usize) -> Option<Option<u64>> {
    if end - start == 1 && line[start] == b'-' {
        return Some(None);
    }
    parse_digits_upto(line, start, end, max_digits).map(Some)
}

/// The hand-written parser behind the `common` and `combined` formats, filling the generic
/// [`Record`] (slots in line order: client, ident, user, time, request, status, bytes,
/// referer, user agent).
#[derive(Debug, Clone)]
pub struct AccessParser {
    flavor: AccessFlavor,
    rec: AccessRecord,
    /// The slots the caller reads (bit `n` for slot `n`); only these are filled.
    read: u64,
}

impl AccessParser {
    pub fn new(flavor: AccessFlavor) -> Self {
        AccessParser {
            flavor,
            rec: AccessRecord::default(),
            read: u64::MAX,
        }
    }

    /// The table columns of a flavour, with their slots.
    pub fn columns(flavor: AccessFlavor) -> Vec<ColumnSpec> {
        let text = FieldType::Text;
        let mut cols = vec![
            ColumnSpec::slot("client", text, 0).required(),
            ColumnSpec::slot("ident", text, 1),
            ColumnSpec::slot("remote_user", text, 2),
            ColumnSpec::slot("ts", FieldType::Timestamp, 3).required(),
            ColumnSpec::slot("request", text, 4).required(),
        ];
        cols.extend(ColumnSpec::request_parts(4));
        cols.push(ColumnSpec::slot("status", FieldType::Int32, 5));
        cols.push(ColumnSpec::slot("bytes", FieldType::Int64, 6));
        if flavor == AccessFlavor::Combined {
            cols.push(ColumnSpec::slot("referer", text, 7));
            cols.push(ColumnSpec::slot("user_agent", text, 8));
        }
        cols
    }
}

/// The highest slot the head of a line fills (bytes).
const LAST_HEAD_SLOT: usize = 6;

impl AccessParser {
    /// Writes the slots read among 0..=6 from the parsed head of `line`.
    #[inline(always)]
    fn fill_head(&self, line: &[u8], out: &mut Record) {
        // Every slot read is written (here and in `fill_tail`), so the record only needs its
        // size; slots nobody reads keep whatever they held.
        if out.values.len() != FIELD_COUNT {
            out.reset(FIELD_COUNT);
        }
        let rec = &self.rec;
        let read = |slot: usize| self.read & (1 << slot) != 0;
        if read(0) {
            out.values[0] = text_value(rec, line, Field::Client, false);
        }
        if read(1) {
            out.values[1] = text_value(rec, line, Field::Ident, true);
        }
        if read(2) {
            out.values[2] = text_value(rec, line, Field::User, true);
        }
        if read(3) {
            out.values[3] = Value::Time(rec.ts_nanos);
        }
        if read(4) {
            out.values[4] = text_value(rec, line, Field::Request, false);
        }
        if read(5) {
            out.values[5] = rec.status.map_or(Value::Null, |s| Value::Int(i64::from(s)));
        }
        if read(6) {
            out.values[6] = rec.bytes.map_or(Value::Null, Value::Int);
        }
    }

    /// Writes slots 7 and 8, if read, from the parsed tail of `line`.
    #[inline(always)]
    fn fill_tail(&self, line: &[u8], out: &mut Record) {
        if self.read & (0b11 << 7) == 0 {
            return;
        }
        if self.flavor == AccessFlavor::Combined {
            out.values[7] = text_value(&self.rec, line, Field::Referer, true);
            out.values[8] = text_value(&self.rec, line, Field::UserAgent, true);
        } else {
            out.values[7] = Value::Null;
            out.values[8] = Value::Null;
        }
    }
}

/// A text field's value: a span of the line, or NULL for `-` where that means "none".
#[inline(always)]
fn text_value(rec: &AccessRecord, line: &[u8], field: Field, dash_null: bool) -> Value {
    let (a, b) = rec.span(field);
    if dash_null && &line[a..b] == b"-" {
        Value::Null
    } else {
        let escapes = if rec.is_escaped(field) {
            Escapes::Backslash
        } else {
            Escapes::None
        };
        Value::Span(a as u32, b as u32, escapes)
    }
}

impl LineParser for AccessParser {
    fn read_only_slots(&mut self, slots: u64) {
        self.read = slots;
    }

    #[inline]
    fn parse(&mut self, line: &[u8], out: &mut Record) -> Result<Parsed, RejectReason> {
        parse_access_line(self.flavor, line, &mut self.rec)?;
        self.fill_head(line, out);
        self.fill_tail(line, out);
        Ok(Parsed::Row)
    }

    /// Tests `check` after the head when it reads only the head's slots: a line that fails
    /// it skips the quoted referer and user agent, most of a combined line's bytes.
    #[inline]
    fn parse_checked(
        &mut self,
        line: &[u8],
        out: &mut Record,
        check: &dyn RowCheck,
    ) -> Result<Parsed, RejectReason> {
        if check.last_slot() > LAST_HEAD_SLOT {
            let parsed = self.parse(line, out)?;
            return Ok(if check.passes(out) {
                parsed
            } else {
                Parsed::Skipped
            });
        }
        let time = if check.reads_slot(Field::Time as usize) {
            Time::Now
        } else {
            Time::Later
        };
        let pos = parse_head(line, &mut self.rec, time)?;
        // With the time left for later, slot 3 holds a stale instant until it is parsed.
        self.fill_head(line, out);
        if !check.passes(out) {
            return Ok(Parsed::Skipped);
        }
        if time == Time::Later {
            parse_time(line, &mut self.rec)?;
            if self.read & (1 << Field::Time as u64) != 0 {
                out.values[Field::Time as usize] = Value::Time(self.rec.ts_nanos);
            }
        }
        parse_tail(self.flavor, line, pos, &mut self.rec)?;
        self.fill_tail(line, out);
        Ok(Parsed::Row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::record::testing::{
        assert_checked_agrees, combined_checks, example_lines_with_damage, SlotIs,
    };
    use AccessFlavor::{Combined, Common};

    fn ok(flavor: AccessFlavor, line: &str) -> AccessRecord {
        let mut rec = AccessRecord::default();
        parse_access_line(flavor, line.as_bytes(), &mut rec)
            .unwrap_or_else(|e| panic!("{line:?} rejected: {e}"));
        rec
    }

    fn err(flavor: AccessFlavor, line: &[u8]) -> RejectReason {
        let mut rec = AccessRecord::default();
        parse_access_line(flavor, line, &mut rec).expect_err("should be rejected")
    }

    fn field<'a>(rec: &AccessRecord, line: &'a str, f: Field) -> &'a str {
        let (a, b) = rec.span(f);
        &line[a..b]
    }

    const COMBINED: &str = r#"203.0.113.9 - alice [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#;

    #[test]
    fn combined_fields() {
        let rec = ok(Combined, COMBINED);
        assert_eq!(field(&rec, COMBINED, Field::Client), "203.0.113.9");
        assert_eq!(field(&rec, COMBINED, Field::Ident), "-");
        assert_eq!(field(&rec, COMBINED, Field::User), "alice");
        assert_eq!(
            field(&rec, COMBINED, Field::Request),
            "GET /apache_pb.gif HTTP/1.0"
        );
        assert_eq!(
            field(&rec, COMBINED, Field::Referer),
            "http://www.example.com/start.html"
        );
        assert_eq!(
            field(&rec, COMBINED, Field::UserAgent),
            "Mozilla/4.08 [en] (Win98; I ;Nav)"
        );
        assert_eq!((rec.status, rec.bytes), (Some(200), Some(2326)));
        assert_eq!(rec.ts_nanos, 971_211_336 * 1_000_000_000);
    }

    #[test]
    fn common_accepts_combined_lines_and_ignores_the_rest() {
        let rec = ok(Common, COMBINED);
        assert_eq!(rec.bytes, Some(2326));
    }

    #[test]
    fn nasa_dns_client_and_http09() {
        let line =
            r#"piweba3y.prodigy.com - - [01/Aug/1995:00:00:01 -0400] "GET /ksc.html" 200 7280"#;
        let rec = ok(Common, line);
        assert_eq!(field(&rec, line, Field::Client), "piweba3y.prodigy.com");
        assert_eq!(field(&rec, line, Field::Request), "GET /ksc.html");
    }

    #[test]
    fn dashes_and_empty_quotes() {
        let line = r#"::1 - - [01/Jan/2025:00:00:00 +0000] "-" - - "" "-""#;
        let rec = ok(Combined, line);
        assert_eq!((rec.status, rec.bytes), (None, None));
        assert_eq!(field(&rec, line, Field::Request), "-");
        assert_eq!(field(&rec, line, Field::Referer), "");
        assert_eq!(field(&rec, line, Field::UserAgent), "-");
    }

    #[test]
    fn escaped_quotes_inside_fields() {
        let line = r#"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET /q?a=\"x\" HTTP/1.1" 200 5 "-" "UA \"quoted\" \\ end""#;
        let rec = ok(Combined, line);
        assert_eq!(
            field(&rec, line, Field::Request),
            r#"GET /q?a=\"x\" HTTP/1.1"#
        );
        assert!(rec.is_escaped(Field::Request));
        assert!(!rec.is_escaped(Field::Referer));
        assert_eq!(
            field(&rec, line, Field::UserAgent),
            r#"UA \"quoted\" \\ end"#
        );
    }

    #[test]
    fn tls_handshake_request() {
        let line = r#"5.6.7.8 - - [01/Jan/2025:00:00:00 +0000] "\x16\x03\x01\x00\xA5\x01" 400 166 "-" "-""#;
        let rec = ok(Combined, line);
        assert!(rec.is_escaped(Field::Request));
        assert_eq!(rec.status, Some(400));
    }

    #[test]
    fn nginx_main_extra_field() {
        let line = r#"10.0.0.1 - - [01/Jan/2025:00:00:00 +0330] "GET / HTTP/1.1" 200 612 "-" "curl/8.0" "1.2.3.4, 10.10.1.1""#;
        let rec = ok(Combined, line);
        assert_eq!(field(&rec, line, Field::UserAgent), "curl/8.0");
    }

    #[test]
    fn user_with_email_and_ipv6_client() {
        let line = r#"2001:db8::1 - bob@example.com [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 304 0 "-" "-""#;
        let rec = ok(Combined, line);
        assert_eq!(field(&rec, line, Field::Client), "2001:db8::1");
        assert_eq!(field(&rec, line, Field::User), "bob@example.com");
        assert_eq!(rec.bytes, Some(0));
    }

    #[test]
    fn bare_quote_not_followed_by_space_is_content() {
        let line = r##"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET /a"b HTTP/1.1" 200 1 "-" "Mozilla "x""##;
        let rec = ok(Combined, line);
        assert_eq!(field(&rec, line, Field::Request), r#"GET /a"b HTTP/1.1"#);
        assert_eq!(field(&rec, line, Field::UserAgent), r#"Mozilla "x"#);
    }

    #[test]
    fn a_user_agent_ends_at_a_quote_only_before_whole_extra_fields() {
        let line = r##"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "Mozilla "x" y""##;
        let rec = ok(Combined, line);
        assert_eq!(field(&rec, line, Field::UserAgent), r#"Mozilla "x" y"#);
        // Quoted extra fields after it (nginx's X-Forwarded-For) pair their quotes.
        let line = r##"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "curl" "10.0.0.1, 10.0.0.2" 0.003"##;
        let rec = ok(Combined, line);
        assert_eq!(field(&rec, line, Field::UserAgent), "curl");
        let line = r##"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "a \" b" "x\"""##;
        let rec = ok(Combined, line);
        assert_eq!(field(&rec, line, Field::UserAgent), r#"a \" b"#);
        // An escaped backslash before a quote leaves the quote bare, as in the field itself.
        let line = r##"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "curl" "C:\\" 0.1"##;
        let rec = ok(Combined, line);
        assert_eq!(field(&rec, line, Field::UserAgent), "curl");
        // Many quote-space pairs whose quotes cannot all pair up: the line is read, in one
        // pass (a rescan per quote took milliseconds).
        let ua = "a\" ".repeat(3999);
        let line = format!(
            r#"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "{ua}x""#
        );
        let rec = ok(Combined, &line);
        assert!(field(&rec, &line, Field::UserAgent).starts_with("a\" a"));
    }

    #[test]
    fn a_referer_ends_only_at_a_quote_before_the_user_agent_quote() {
        let line =
            r##"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "a" b" "Mozilla""##;
        let rec = ok(Combined, line);
        assert_eq!(field(&rec, line, Field::Referer), r#"a" b"#);
        assert_eq!(field(&rec, line, Field::UserAgent), "Mozilla");
    }

    #[test]
    fn rejects() {
        let cases: &[(&[u8], RejectReason)] = &[
            (b"", RejectReason::Empty),
            (b"garbage", RejectReason::Truncated),
            (b"\x00\x00\x00\xff\xfe binary", RejectReason::Truncated),
            (br#"1.2.3.4 - - [99/Foo/2025:99:99:99 +0000] "GET / HTTP/1.1" 200 1 "-" "-""#, RejectReason::BadTimestamp),
            (br#"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "Mozilla/5.0 (X11; Li"#, RejectReason::UnterminatedQuote),
            (br#"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 200 1"#, RejectReason::MissingReferer),
            (br#"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" abc 1 "-" "-""#, RejectReason::BadStatus),
            (br#"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 200 1x "-" "-""#, RejectReason::BadBytes),
            (br#"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HT"#, RejectReason::UnterminatedQuote),
            (br#"1.2.3.4 - - [01/Jan/2025:00:0"#, RejectReason::BadTimestamp),
            (br#"1.2.3.4 - - 01/Jan/2025:00:00:00 +0000 "GET / HTTP/1.1" 200 1"#, RejectReason::MissingTimestamp),
            (br#" - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-""#, RejectReason::MissingClient),
        ];
        for (line, want) in cases {
            assert_eq!(
                err(Combined, line),
                *want,
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        assert_eq!(
            err(
                Common,
                br#"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 200 1x"#
            ),
            RejectReason::BadBytes
        );
    }

    /// Status and size fields of every length, digits or not, as a line of either flavour
    /// ends or continues after them: the value `str::parse` gives, `-` as NULL, else a reject.
    #[test]
    fn status_and_bytes_of_every_length() {
        let head = r#"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" "#;
        let numbers = "90817263540192837465";
        for len in 0..=20 {
            for digits in [numbers[..len].to_string(), format!("{}x", &numbers[..len])] {
                let want = |max: usize| match digits.parse::<i64>() {
                    Ok(n) if !digits.is_empty() && digits.len() <= max => Ok(Some(n)),
                    _ => Err(()),
                };
                for (flavor, tail) in [(Common, ""), (Combined, r#" "-" "-""#)] {
                    let as_status = format!("{head}{digits} 1{tail}");
                    let got = parse_line(flavor, as_status.as_bytes());
                    let got = got.map(|r| r.status.map(i64::from)).map_err(|_| ());
                    assert_eq!(got, want(3), "{as_status}");
                    let as_bytes = format!("{head}200 {digits}{tail}");
                    let got = parse_line(flavor, as_bytes.as_bytes());
                    assert_eq!(got.map(|r| r.bytes).map_err(|_| ()), want(18), "{as_bytes}");
                }
            }
        }
        let dashes = format!("{head}- -");
        let rec = parse_line(Common, dashes.as_bytes()).unwrap();
        assert_eq!((rec.status, rec.bytes), (None, None));
    }

    fn parse_line(flavor: AccessFlavor, line: &[u8]) -> Result<AccessRecord, RejectReason> {
        let mut rec = AccessRecord::default();
        parse_access_line(flavor, line, &mut rec).map(|()| rec)
    }

    #[test]
    fn common_line_cut_after_status() {
        assert_eq!(
            err(
                Common,
                br#"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 200"#
            ),
            RejectReason::MissingBytes
        );
    }

    /// `parse_checked` agrees with `parse` then the check on every line of the bundled log
    /// and on damaged copies of them: the same rows with the same values; a line that fails
    /// the check is skipped, and only a line that fails it may hide its reject.
    #[test]
    fn parse_checked_agrees_with_parse_then_check() {
        let lines = example_lines_with_damage();
        for flavor in [Combined, Common] {
            let mut plain = AccessParser::new(flavor);
            let mut checked = AccessParser::new(flavor);
            let hidden =
                assert_checked_agrees(&mut plain, &mut checked, &lines, &combined_checks());
            if flavor == Combined {
                assert!(
                    hidden > 0,
                    "cut user agents of other statuses are skipped unread"
                );
            }
        }
    }

    /// A filter on the status drops a line before its time is read, so a bad time there is
    /// no reject; on a line the filter keeps, or under a filter on the time, it is.
    #[test]
    fn a_line_the_filter_drops_is_not_timed() {
        let line = br#"1.2.3.4 - - [01/Jan/2025:99:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "ua""#;
        let mut parser = AccessParser::new(Combined);
        let mut rec = Record::default();
        let mut check = |slot, value| {
            parser.parse_checked(
                line,
                &mut rec,
                &SlotIs {
                    slot,
                    value: Some(value),
                },
            )
        };
        assert_eq!(check(5, 404), Ok(Parsed::Skipped));
        assert_eq!(check(5, 200), Err(RejectReason::BadTimestamp));
        assert_eq!(check(3, 0), Err(RejectReason::BadTimestamp));
    }

    /// A parser told which slots are read fills those as a full parser does, and accepts and
    /// rejects the same lines, whichever slots they are.
    #[test]
    fn reading_some_slots_changes_no_row_and_no_reject() {
        let log = include_bytes!("../../examples/access.log");
        let mut lines: Vec<&[u8]> = log.split(|&b| b == b'\n').collect();
        let damaged: Vec<Vec<u8>> = lines
            .iter()
            .step_by(5)
            .map(|l| l[..l.len() / 2].to_vec())
            .collect();
        lines.extend(damaged.iter().map(Vec::as_slice));
        for slots in [1u64 << 5, 1 << 3 | 1 << 8, 1 << 0 | 1 << 4 | 1 << 7, 0] {
            for flavor in [Combined, Common] {
                let mut full = AccessParser::new(flavor);
                let mut some = AccessParser::new(flavor);
                some.read_only_slots(slots);
                let (mut a, mut b) = (Record::default(), Record::default());
                for line in &lines {
                    let parsed = full.parse(line, &mut a);
                    assert_eq!(parsed, some.parse(line, &mut b));
                    if parsed.is_ok() {
                        for slot in (0..FIELD_COUNT).filter(|s| slots & (1 << s) != 0) {
                            assert_eq!(a.values[slot], b.values[slot], "slot {slot}");
                        }
                    }
                }
            }
        }
    }
}
