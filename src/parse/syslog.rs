//! Syslog: RFC 5424 (`<34>1 2003-10-11T22:14:15.003Z host app 123 ID47 [sd] msg`) and
//! RFC 3164 / BSD files (`<34>Oct 11 22:14:15 host app[123]: msg`, the `<PRI>` optional, as
//! in `/var/log/syslog`; also rsyslog's ISO-timestamp file format).
//!
//! RFC 3164 timestamps have neither year nor zone: they are read as UTC, in the most recent
//! year that does not put them more than a day in the future.

use super::record::{ColumnSpec, Escapes, FieldType, LineParser, Parsed, Record, Value};
use super::reject::RejectReason;
use super::timestamp::{month_number, to_utc_nanos};
use super::values::{parse_int, parse_iso8601};

const TS: usize = 0;
const PRIORITY: usize = 1;
const FACILITY: usize = 2;
const SEVERITY: usize = 3;
const HOST: usize = 4;
const APP: usize = 5;
const PID: usize = 6;
const MSGID: usize = 7;
const STRUCTURED: usize = 8;
const MESSAGE: usize = 9;
const SLOTS: usize = 10;

const FACILITIES: [&str; 24] = [
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];
const SEVERITIES: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

/// The columns of the `syslog` format.
pub fn columns() -> Vec<ColumnSpec> {
    use FieldType::*;
    vec![
        // NULL for RFC 5424's `-`: a sender without a clock.
        ColumnSpec::slot("ts", Timestamp, TS),
        ColumnSpec::slot("priority", Int32, PRIORITY),
        ColumnSpec::slot("facility", Text, FACILITY),
        ColumnSpec::slot("severity", Text, SEVERITY),
        ColumnSpec::slot("host", Text, HOST),
        ColumnSpec::slot("app", Text, APP),
        ColumnSpec::slot("pid", Int64, PID),
        ColumnSpec::slot("msgid", Text, MSGID),
        ColumnSpec::slot("structured_data", Text, STRUCTURED),
        ColumnSpec::slot("message", Text, MESSAGE),
    ]
}

/// Parses syslog lines of either RFC.
pub struct SyslogParser {
    /// The year RFC 3164 dates are placed in, and "now" to check against, in UTC seconds.
    now_secs: i64,
    year: i64,
}

impl Default for SyslogParser {
    fn default() -> Self {
        let now = chrono::Utc::now();
        SyslogParser {
            now_secs: now.timestamp(),
            year: i64::from(chrono::Datelike::year(&now)),
        }
    }
}

impl LineParser for SyslogParser {
    fn parse(&mut self, line: &[u8], rec: &mut Record) -> Result<Parsed, RejectReason> {
        if line.is_empty() {
            return Err(RejectReason::Empty);
        }
        rec.reset(SLOTS);
        let mut pos = 0;
        if line[0] == b'<' {
            let close =
                memchr::memchr(b'>', &line[..line.len().min(5)]).ok_or(RejectReason::NotSyslog)?;
            let pri = parse_int(&line[1..close])
                .filter(|p| (0..=191).contains(p))
                .ok_or(RejectReason::NotSyslog)?;
            rec.values[PRIORITY] = Value::Int(pri);
            rec.set_owned(FACILITY, FACILITIES[(pri / 8) as usize].as_bytes());
            rec.set_owned(SEVERITY, SEVERITIES[(pri % 8) as usize].as_bytes());
            pos = close + 1;
            if line[pos..].starts_with(b"1 ") {
                return self.rfc5424(line, pos + 2, rec);
            }
        }
        self.rfc3164(line, pos, rec)
    }
}

impl SyslogParser {
    fn rfc5424(
        &self,
        line: &[u8],
        mut pos: usize,
        rec: &mut Record,
    ) -> Result<Parsed, RejectReason> {
        let (ts, next) = word(line, pos)?;
        if ts != b"-" {
            rec.values[TS] = Value::Time(parse_iso8601(ts).ok_or(RejectReason::BadTimestamp)?);
        }
        pos = next;
        for slot in [HOST, APP, PID, MSGID] {
            let (w, next) = word(line, pos)?;
            if w != b"-" {
                match slot {
                    PID => match parse_int(w) {
                        Some(pid) => rec.values[PID] = Value::Int(pid),
                        None => rec.set_span(PID, pos, next - 1, Escapes::None),
                    },
                    _ => rec.set_span(slot, pos, pos + w.len(), Escapes::None),
                }
            }
            pos = next;
        }
        // Structured data: `-` or `[id k="v" ...][...]`, where `\]` and `\"` are content.
        if line.get(pos) == Some(&b'-') {
            pos += 1;
        } else if line.get(pos) == Some(&b'[') {
            let start = pos;
            while line.get(pos) == Some(&b'[') {
                let mut i = pos + 1;
                let mut in_quotes = false;
                loop {
                    match line.get(i) {
                        None => return Err(RejectReason::NotSyslog),
                        Some(b'\\') => i += 1,
                        Some(b'"') => in_quotes = !in_quotes,
                        Some(b']') if !in_quotes => break,
                        _ => {}
                    }
                    i += 1;
                }
                pos = i + 1;
            }
            rec.set_span(STRUCTURED, start, pos, Escapes::None);
        } else {
            return Err(RejectReason::NotSyslog);
        }
        if pos < line.len() {
            if line[pos] != b' ' {
                return Err(RejectReason::NotSyslog);
            }
            let mut start = pos + 1;
            if line[start..].starts_with("\u{feff}".as_bytes()) {
                start += 3;
            }
            rec.set_span(MESSAGE, start, line.len(), Escapes::None);
        }
        Ok(Parsed::Row)
    }

    fn rfc3164(
        &self,
        line: &[u8],
        mut pos: usize,
        rec: &mut Record,
    ) -> Result<Parsed, RejectReason> {
        let rest = &line[pos..];
        let iso = rest.first().is_some_and(u8::is_ascii_digit);
        if iso {
            // rsyslog's file format: an RFC 3339 timestamp.
            let (ts, next) = word(line, pos)?;
            rec.values[TS] = Value::Time(parse_iso8601(ts).ok_or(RejectReason::BadTimestamp)?);
            pos = next;
        } else {
            // `Mmm dd hh:mm:ss ` (day padded with a space).
            if rest.len() < 16 || rest[3] != b' ' || rest[15] != b' ' {
                return Err(RejectReason::NotSyslog);
            }
            let month = month_number(&rest[..3]).ok_or(RejectReason::NotSyslog)?;
            let day = std::str::from_utf8(&rest[4..6])
                .ok()
                .and_then(|d| d.trim().parse::<u32>().ok());
            let hms = &rest[7..15];
            let num = |a: usize| {
                std::str::from_utf8(&hms[a..a + 2])
                    .ok()?
                    .parse::<u32>()
                    .ok()
            };
            let (Some(day), Some(h), Some(m), Some(s)) = (day, num(0), num(3), num(6)) else {
                return Err(RejectReason::BadTimestamp);
            };
            if hms[2] != b':' || hms[5] != b':' {
                return Err(RejectReason::BadTimestamp);
            }
            // The most recent year the date exists in (Feb 29: the last leap year) that is
            // not in the future.
            let nanos = (0..8)
                .filter_map(|back| to_utc_nanos(self.year - back, month, day, h, m, s, 0))
                .find(|n| n / 1_000_000_000 <= self.now_secs + 86_400);
            rec.values[TS] = Value::Time(nanos.ok_or(RejectReason::BadTimestamp)?);
            pos += 16;
        }
        let (host, next) = word(line, pos)?;
        rec.set_span(HOST, pos, pos + host.len(), Escapes::None);
        pos = next;
        // `tag[pid]: message` or `tag: message`; without a tag the rest is the message.
        let rest = &line[pos..];
        let tag_len = rest
            .iter()
            .position(|b| matches!(b, b'[' | b':' | b' '))
            .unwrap_or(rest.len());
        let mut msg_start = pos;
        let mut tagged = false;
        if tag_len > 0 && tag_len < rest.len() {
            match rest[tag_len] {
                b':' => {
                    rec.set_span(APP, pos, pos + tag_len, Escapes::None);
                    msg_start = pos + tag_len + 1;
                    tagged = true;
                }
                b'[' => {
                    if let Some(close) = memchr::memchr(b']', &rest[tag_len..]) {
                        let pid = &rest[tag_len + 1..tag_len + close];
                        if rest.get(tag_len + close + 1) == Some(&b':') {
                            rec.set_span(APP, pos, pos + tag_len, Escapes::None);
                            match parse_int(pid) {
                                Some(p) => rec.values[PID] = Value::Int(p),
                                None => rec.values[PID] = Value::Null,
                            }
                            msg_start = pos + tag_len + close + 2;
                            tagged = true;
                        }
                    }
                }
                _ => {}
            }
        }
        // An ISO timestamp and two words is too common a shape to call syslog without the
        // `tag:` that rsyslog always writes.
        if iso && !tagged {
            return Err(RejectReason::NotSyslog);
        }
        if line.get(msg_start) == Some(&b' ') {
            msg_start += 1;
        }
        rec.set_span(
            MESSAGE,
            msg_start.min(line.len()),
            line.len(),
            Escapes::None,
        );
        Ok(Parsed::Row)
    }
}

/// The word at `pos` and the position after the space that ends it.
fn word(line: &[u8], pos: usize) -> Result<(&[u8], usize), RejectReason> {
    let rest = line.get(pos..).ok_or(RejectReason::NotSyslog)?;
    let len = memchr::memchr(b' ', rest).ok_or(RejectReason::NotSyslog)?;
    if len == 0 {
        return Err(RejectReason::NotSyslog);
    }
    Ok((&rest[..len], pos + len + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &[u8]) -> Record {
        let mut rec = Record::default();
        SyslogParser {
            now_secs: 1_700_000_000,
            year: 2023,
        }
        .parse(line, &mut rec)
        .unwrap_or_else(|e| panic!("{}: {e}", String::from_utf8_lossy(line)));
        rec
    }

    fn text<'a>(rec: &'a Record, line: &'a [u8], slot: usize) -> &'a str {
        std::str::from_utf8(rec.raw_text(line, slot).map(|t| t.0).unwrap_or(b"<null>")).unwrap()
    }

    #[test]
    fn rfc5424_examples() {
        // From RFC 5424, section 6.5.
        let line = "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \u{feff}'su root' failed for lonvick on /dev/pts/8".as_bytes();
        let rec = parse(line);
        assert_eq!(rec.values[TS], Value::Time(1_065_910_455_003_000_000));
        assert_eq!(rec.values[PRIORITY], Value::Int(34));
        assert_eq!(text(&rec, line, FACILITY), "auth");
        assert_eq!(text(&rec, line, SEVERITY), "crit");
        assert_eq!(text(&rec, line, HOST), "mymachine.example.com");
        assert_eq!(text(&rec, line, APP), "su");
        assert_eq!(rec.values[PID], Value::Null);
        assert_eq!(text(&rec, line, MSGID), "ID47");
        assert_eq!(
            text(&rec, line, MESSAGE),
            "'su root' failed for lonvick on /dev/pts/8"
        );
        let line = br#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event"#;
        let rec = parse(line);
        assert_eq!(
            text(&rec, line, STRUCTURED),
            r#"[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]"#
        );
        assert_eq!(text(&rec, line, MESSAGE), "An application event");
        // NILVALUE for the time: a sender without a clock (RFC 5424, 6.2.3).
        let line = b"<13>1 - host app 42 - - no clock";
        let rec = parse(line);
        assert_eq!(rec.values[TS], Value::Null);
        assert_eq!(rec.values[PID], Value::Int(42));
        assert_eq!(text(&rec, line, MESSAGE), "no clock");
    }

    #[test]
    fn rfc3164_and_files() {
        let line = b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8";
        let rec = parse(line);
        assert_eq!(rec.values[TS], Value::Time(1_697_062_455_000_000_000)); // 2023-10-11
        assert_eq!(text(&rec, line, APP), "su");
        let line = b"Jan  5 03:04:05 web1 sshd[4242]: Accepted publickey for deploy";
        let rec = parse(line);
        assert_eq!(rec.values[PID], Value::Int(4242));
        assert_eq!(rec.values[PRIORITY], Value::Null);
        assert_eq!(text(&rec, line, MESSAGE), "Accepted publickey for deploy");
        // December seen in January: last year.
        let rec = parse(b"Dec 31 23:59:59 web1 cron[1]: x");
        assert_eq!(rec.values[TS], Value::Time(1_672_531_199_000_000_000));
        // Feb 29 in a year that has none: the last leap year.
        let rec = parse(b"Feb 29 12:00:00 web1 cron[1]: x");
        assert_eq!(rec.values[TS], Value::Time(1_582_977_600_000_000_000));
        let line = b"2023-01-22T03:56:14.123+03:30 web1 kernel: [  1.0] booting";
        let rec = parse(line);
        assert_eq!(text(&rec, line, APP), "kernel");
        assert_eq!(text(&rec, line, MESSAGE), "[  1.0] booting");
    }

    #[test]
    fn not_syslog() {
        let mut rec = Record::default();
        let mut p = SyslogParser::default();
        for bad in [
            &b"hello world"[..],
            b"<999>1 x",
            b"Foo 11 22:14:15 host x",
            b"{\"a\":1}",
        ] {
            assert!(
                p.parse(bad, &mut rec).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
