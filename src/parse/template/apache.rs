//! Apache `LogFormat` strings (`%h %l %u %t "%r" %>s %b`) to templates.
//!
//! Column names follow the built-in formats (`client`, `ts`, `status`, ...), so a query works
//! on any of them; headers become snake_case names (`%{User-Agent}i` is `user_agent`).
//! Durations are `duration_ms`, a DOUBLE in milliseconds, whatever unit the directive logs.

use super::{snake_case, FieldDef, Piece, Template};
use crate::parse::values::{strftime_is_valid, Conversion, TimeFormat};

/// The directives understood, for error messages and listings.
pub const DIRECTIVES: &str = "%h %a %A %l %u %t %{format}t %r %m %U %q %H %s %>s %b %B %D %T \
%{ms}T %{us}T %f %I %O %S %v %V %p %P %k %X %L %R %{Name}i %{Name}o %{Name}e %{Name}C %{Name}n %%";

/// Compiles an Apache `LogFormat` string.
pub fn compile(format: &str) -> Result<Template, String> {
    let mut pieces = Vec::new();
    let mut literal = Vec::new();
    let bytes = format.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // As httpd.conf writes them: `\"` inside the quoted format, `\t` and `\n`.
        if bytes[i] == b'\\' {
            let unescaped = match bytes.get(i + 1) {
                Some(b'"') => Some(b'"'),
                Some(b'\\') => Some(b'\\'),
                Some(b't') => Some(b'\t'),
                Some(b'n') => Some(b'\n'),
                _ => None,
            };
            if let Some(byte) = unescaped {
                literal.push(byte);
                i += 2;
                continue;
            }
        }
        if bytes[i] != b'%' {
            literal.push(bytes[i]);
            i += 1;
            continue;
        }
        i += 1;
        if bytes.get(i) == Some(&b'%') {
            literal.push(b'%');
            i += 1;
            continue;
        }
        // Modifiers: status conditions (`%!200,304{...}i`, `%400,501{...}i`) and `<`/`>`.
        while i < bytes.len() && (bytes[i].is_ascii_digit() || b"!,<>".contains(&bytes[i])) {
            i += 1;
        }
        let mut arg = None;
        if bytes.get(i) == Some(&b'{') {
            let close = format[i..]
                .find('}')
                .ok_or_else(|| "unclosed '{' in the format".to_string())?;
            arg = Some(&format[i + 1..i + close]);
            i += close + 1;
        }
        let Some(&letter) = bytes.get(i) else {
            return Err("the format ends with a bare '%'".into());
        };
        i += 1;
        if letter == b't' && merge_time(&mut pieces, &mut literal, arg) {
            continue;
        }
        let (lead, def, trail) = directive(letter as char, arg)?;
        literal.extend_from_slice(lead.as_bytes());
        if !literal.is_empty() {
            pieces.push(Piece::Literal(std::mem::take(&mut literal)));
        }
        pieces.push(Piece::Field(def));
        literal.extend_from_slice(trail.as_bytes());
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    Template::new(pieces)
}

/// A directive's field, with literal text Apache writes around it (`%t` writes brackets).
fn directive(
    letter: char,
    arg: Option<&str>,
) -> Result<(&'static str, FieldDef, &'static str), String> {
    let text = FieldDef::text;
    let int = |name: &str| FieldDef::new(name, Conversion::Int64);
    let ms = |scale: f64| FieldDef::new("duration_ms", Conversion::Float { scale });
    let named = |prefix: &str| -> Result<FieldDef, String> {
        let name = arg.ok_or_else(|| format!("%{letter} needs a name: %{{Name}}{letter}"))?;
        Ok(FieldDef::text(&format!("{prefix}{}", snake_case(name))))
    };
    let def = match letter {
        'h' => FieldDef::client(),
        'a' if arg == Some("c") => text("peer_ip"),
        'a' => text("client_ip"),
        'A' => text("server_ip"),
        'l' => text("ident"),
        'u' => text("remote_user"),
        't' => return time(arg),
        'r' => FieldDef::request("request"),
        'm' => text("method"),
        'U' => text("path"),
        'q' => text("query_string"),
        'H' => text("protocol"),
        's' => FieldDef::new("status", Conversion::Status),
        'b' | 'B' => FieldDef::new("bytes", Conversion::Count),
        'D' => ms(0.001),
        'T' => match arg {
            None | Some("s") => ms(1000.0),
            Some("ms") => ms(1.0),
            Some("us") => ms(0.001),
            Some(u) => return Err(format!("unknown unit in %{{{u}}}T (ms, us or s)")),
        },
        'f' => text("filename"),
        'I' => FieldDef::new("bytes_received", Conversion::Count),
        'O' => FieldDef::new("bytes_sent", Conversion::Count),
        'S' => FieldDef::new("bytes_transferred", Conversion::Count),
        'v' => text("vhost"),
        'V' => text("server_name"),
        'p' => match arg {
            Some("remote") => int("remote_port"),
            _ => int("server_port"),
        },
        'P' => match arg {
            Some("tid") | Some("hextid") => text("thread_id"),
            _ => int("pid"),
        },
        'k' => int("keepalive_requests"),
        'X' => text("connection_status"),
        'L' => text("log_id"),
        'R' => text("handler"),
        // Headers may be lists (`X-Forwarded-For: 1.2.3.4, 10.0.0.1`).
        'i' => named("")?.list(),
        'o' => named("resp_")?.list(),
        'e' => named("env_")?,
        'C' => named("cookie_")?,
        'n' => named("note_")?,
        other => {
            return Err(format!(
                "unknown LogFormat directive %{other} (supported: {DIRECTIVES})"
            ))
        }
    };
    Ok(("", def, ""))
}

/// A `%{...}t` that goes on the time before it, as Apache's own example does
/// (`%{%d/%b/%Y %T}t.%{msec_frac}t %{%z}t`): its part of the pattern (`%3f` for `msec_frac`).
fn time_part(arg: &str) -> Option<String> {
    match strip_when(arg) {
        "msec_frac" => Some("%3f".into()),
        "usec_frac" => Some("%6f".into()),
        a if a.contains('%') => Some(a.to_string()),
        _ => None,
    }
}

/// `begin:` and `end:` (when the request began or ended) make no difference to the format.
fn strip_when(arg: &str) -> &str {
    arg.strip_prefix("begin:")
        .or_else(|| arg.strip_prefix("end:"))
        .unwrap_or(arg)
}

/// Folds a `%{...}t` into a strftime time that only literal text separates it from: one
/// `ts` with its fraction and zone, where three columns would each fail to parse alone.
/// Returns whether it did.
fn merge_time(pieces: &mut [Piece], literal: &mut Vec<u8>, arg: Option<&str>) -> bool {
    let Some(part) = arg.and_then(time_part) else {
        return false;
    };
    let Some(Piece::Field(FieldDef {
        conv: Conversion::Time(TimeFormat::Strftime(pattern)),
        ..
    })) = pieces.last_mut()
    else {
        return false;
    };
    pattern.push_str(&String::from_utf8_lossy(literal).replace('%', "%%"));
    pattern.push_str(&part);
    literal.clear();
    true
}

/// `%t` and `%{format}t`; a strftime pattern that chrono cannot read (`%Q`) is an error
/// here rather than a reject of every line.
fn time(arg: Option<&str>) -> Result<(&'static str, FieldDef, &'static str), String> {
    let ts = |f: TimeFormat| FieldDef::new("ts", Conversion::Time(f));
    Ok(match arg {
        None => ("[", ts(TimeFormat::Clf), "]"),
        // A fraction with no time before it to belong to: its digits.
        Some(a) if matches!(strip_when(a), "msec_frac" | "usec_frac") => {
            ("", FieldDef::new(strip_when(a), Conversion::Int64), "")
        }
        Some(a) => {
            let a = strip_when(a);
            let format = match a {
                "sec" => TimeFormat::EpochSeconds,
                "msec" => TimeFormat::EpochMillis,
                "usec" => TimeFormat::EpochMicros,
                "%Y-%m-%dT%H:%M:%S%z" | "%FT%T%z" => TimeFormat::Iso8601,
                other if !strftime_is_valid(other) => {
                    return Err(format!(
                        "%{{{other}}}t is not a time pattern strftime knows"
                    ))
                }
                other => TimeFormat::Strftime(other.to_string()),
            };
            ("", ts(format), "")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::record::{Record, Value};
    use crate::parse::values::Converter;

    fn names(t: &Template) -> Vec<&str> {
        t.columns().iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn combined_with_duration() {
        let t = compile(r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D"#).unwrap();
        assert_eq!(
            names(&t),
            [
                "client",
                "ident",
                "remote_user",
                "ts",
                "request",
                "method",
                "uri",
                "path",
                "query",
                "protocol",
                "status",
                "bytes",
                "referer",
                "user_agent",
                "duration_ms"
            ]
        );
        // From the Apache documentation, with %D added.
        let line = br#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)" 1532"#;
        let mut rec = Record::default();
        t.parse(line, &mut rec, &mut Converter::default()).unwrap();
        assert_eq!(rec.values[3], Value::Time(971_211_336_000_000_000));
        assert_eq!(rec.values[5], Value::Int(200));
        assert_eq!(rec.values[9], Value::Float(1.532));
        assert_eq!(rec.values[1], Value::Null);
    }

    #[test]
    fn vhost_and_port() {
        let t = compile(r#"%v:%p %h %l %u %t "%r" %>s %O"#).unwrap();
        let line = br#"www.example.com:443 10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 512"#;
        let mut rec = Record::default();
        t.parse(line, &mut rec, &mut Converter::default()).unwrap();
        assert_eq!(rec.raw_text(line, 0).unwrap().0, b"www.example.com");
        assert_eq!(rec.values[1], Value::Int(443));
        assert_eq!(rec.values[8], Value::Int(512));
    }

    #[test]
    fn time_variants_and_errors() {
        let t = compile("%{%Y-%m-%d %H:%M:%S}t %{ms}T %{msec}t").unwrap();
        let line = b"2000-10-10 20:55:36 17 971211336123";
        let mut rec = Record::default();
        t.parse(line, &mut rec, &mut Converter::default()).unwrap();
        assert_eq!(rec.values[0], Value::Time(971_211_336_000_000_000));
        assert_eq!(rec.values[1], Value::Float(17.0));
        assert_eq!(rec.values[2], Value::Time(971_211_336_123_000_000));
        assert!(compile("%h %Z")
            .unwrap_err()
            .contains("unknown LogFormat directive %Z"));
        assert!(compile("%{Referer").is_err());
        assert!(compile("%h%u").unwrap_err().contains("nothing between"));
    }

    /// A strftime time with a space, followed by a literal longer than one byte: the field
    /// ends at the literal after the time's own space, even where that space is not followed
    /// by the literal's rest.
    #[test]
    fn spaced_strftime_time_before_a_quote() {
        let t = compile(r#"%h %{%Y-%m-%d %H:%M:%S}t "%r" %>s %b"#).unwrap();
        let line = br#"1.2.3.4 2000-10-10 20:55:36 "GET / HTTP/1.1" 200 5"#;
        let mut rec = Record::default();
        t.parse(line, &mut rec, &mut Converter::default()).unwrap();
        assert_eq!(rec.values[1], Value::Time(971_211_336_000_000_000));
        assert_eq!(rec.raw_text(line, 2).unwrap().0, b"GET / HTTP/1.1");
        assert_eq!(rec.values[3], Value::Int(200));
    }

    /// A strftime time whose day is padded with a space (`%e`, and `%c`, which holds one)
    /// ends after its own spaces, one more on the 1st to the 9th: such lines are rows.
    #[test]
    fn padded_strftime_times_unbracketed() {
        for format in [
            r#"%h %{%a %b %e %H:%M:%S %Y}t %>s"#,
            r#"%h %{%c}t %>s"#,
            r#"%h %{%c}t "%r" %>s"#,
        ] {
            let t = compile(format).unwrap();
            let request = if format.contains("%r") {
                r#" "GET / HTTP/1.1""#
            } else {
                ""
            };
            for (time, day) in [("Sat Dec  6", 6), ("Tue Dec 16", 16), ("Sat Dec 6", 6)] {
                let line = format!("1.2.3.4 {time} 10:00:00 2025{request} 200");
                let mut rec = Record::default();
                t.parse(line.as_bytes(), &mut rec, &mut Converter::default())
                    .unwrap_or_else(|e| panic!("{format}: {line}: {e}"));
                let dec_1 = 1_764_547_200_000_000_000 + 10 * 3_600_000_000_000;
                let want = dec_1 + (day - 1) * 86_400_000_000_000;
                assert_eq!(rec.values[1], Value::Time(want), "{format}: {line}");
                let status = if request.is_empty() { 2 } else { 3 };
                assert_eq!(rec.values[status], Value::Int(200), "{format}: {line}");
            }
        }
    }

    /// An unquoted header holding a list (`X-Forwarded-For` behind two proxies) is one field.
    #[test]
    fn unquoted_header_list() {
        let t = compile(r#"%{X-Forwarded-For}i %l %u %t "%r" %>s %b"#).unwrap();
        let line = br#"1.2.3.4, 10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5"#;
        let mut rec = Record::default();
        t.parse(line, &mut rec, &mut Converter::default()).unwrap();
        assert_eq!(rec.raw_text(line, 0).unwrap().0, b"1.2.3.4, 10.0.0.1");
        assert_eq!(rec.values[3], Value::Time(971_211_336_000_000_000));
        assert_eq!(rec.values[5], Value::Int(200));
    }

    /// A format pasted from httpd.conf, its quotes escaped, is the same format.
    #[test]
    fn escaped_quotes_as_httpd_conf_writes_them() {
        let pasted = compile(r#"%h %l %u %t \"%r\" %>s %b"#).unwrap();
        assert_eq!(pasted, compile(r#"%h %l %u %t "%r" %>s %b"#).unwrap());
    }

    /// Apache's own example of a time in pieces: one `ts`, with its milliseconds and zone.
    #[test]
    fn time_in_pieces_is_one_instant() {
        let t = compile(r#"%h [%{%d/%b/%Y %T}t.%{msec_frac}t %{%z}t] "%r" %>s"#).unwrap();
        assert_eq!(names(&t)[..3], ["client", "ts", "request"]);
        let line = br#"1.2.3.4 [10/Oct/2000 13:55:36.250 -0700] "GET / HTTP/1.1" 200"#;
        let mut rec = Record::default();
        t.parse(line, &mut rec, &mut Converter::default()).unwrap();
        assert_eq!(rec.values[1], Value::Time(971_211_336_250_000_000));
        assert_eq!(rec.values[3], Value::Int(200));
        let t = compile("%{%Y-%m-%dT%H:%M:%S}t.%{usec_frac}t%{%z}t %h").unwrap();
        let line = b"2000-10-10T20:55:36.000250+0000 1.2.3.4";
        t.parse(line, &mut rec, &mut Converter::default()).unwrap();
        assert_eq!(rec.values[0], Value::Time(971_211_336_000_250_000));
        // A fraction alone is its digits.
        let t = compile("%{sec}t.%{msec_frac}t %h").unwrap();
        assert_eq!(names(&t)[..2], ["ts", "msec_frac"]);
    }

    #[test]
    fn bad_values_are_rejects() {
        let t = compile(r#"%h "%r" %>s %D"#).unwrap();
        let mut rec = Record::default();
        let err = t
            .parse(
                br#"1.2.3.4 "GET / HTTP/1.1" 200 fast"#,
                &mut rec,
                &mut Converter::default(),
            )
            .unwrap_err();
        assert_eq!(
            err.describe(|s| t
                .columns()
                .iter()
                .find(|c| c.source == crate::parse::record::ColumnSource::Slot(s))
                .map(|c| c.name.clone())),
            "invalid duration_ms (expected a number)"
        );
    }

    /// A time pattern strftime does not know is an error when the format is compiled, not a
    /// format that rejects every line.
    #[test]
    fn unknown_time_patterns_are_errors() {
        let err = compile("%h %{%Q}t").unwrap_err();
        assert!(err.contains("%{%Q}t"), "{err}");
        assert!(compile("%h %{%e %b %Y}t").is_ok());
        assert!(compile("%h %{%d/%b/%Y %T}t.%{msec_frac}t %{%z}t").is_ok());
    }

    /// A number or time left empty is a reject, not a NULL (`-` is the NULL): with a status
    /// missing, the size would otherwise have been read where the status stands in the line.
    #[test]
    fn empty_numbers_and_times_are_rejects() {
        let t = compile(r#"%h %t "%r" %>s %B"#).unwrap();
        let parse = |line: &str| {
            let mut rec = Record::default();
            t.parse(line.as_bytes(), &mut rec, &mut Converter::default())
                .ok()
                .map(|_| rec.values[3..5].to_vec())
        };
        let head = r#"1.2.3.4 [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1""#;
        assert_eq!(
            parse(&format!("{head} 200 5")),
            Some(vec![Value::Int(200), Value::Int(5)])
        );
        assert_eq!(
            parse(&format!("{head} - -")),
            Some(vec![Value::Null, Value::Null])
        );
        assert_eq!(parse(&format!("{head}  200")), None, "status left out");
        assert_eq!(parse(&format!("{head} 200 ")), None, "size left out");
        assert_eq!(
            parse(r#"1.2.3.4 [] "GET / HTTP/1.1" 200 5"#),
            None,
            "time left out"
        );
    }

    /// The last quoted field ends as `combined` ends its user agent: at a quote that ends the
    /// line, or that a space and quotes that pair up follow (another quoted field: a reject,
    /// as any extra field is); a bare quote inside the field is content.
    #[test]
    fn the_last_quoted_field_ends_where_combined_ends_it() {
        let t = compile(r#"%h "%r" "%{User-agent}i""#).unwrap();
        let agent = |line: &str| {
            let mut rec = Record::default();
            t.parse(line.as_bytes(), &mut rec, &mut Converter::default())
                .ok()
                .map(|_| match rec.values[2] {
                    Value::Span(a, b, _) => line[a as usize..b as usize].to_string(),
                    other => format!("{other:?}"),
                })
        };
        let head = r#"1.2.3.4 "GET / HTTP/1.1""#;
        assert_eq!(agent(&format!(r#"{head} "curl""#)).as_deref(), Some("curl"));
        assert_eq!(
            agent(&format!(r#"{head} "Mozilla "x" y""#)).as_deref(),
            Some(r#"Mozilla "x" y"#)
        );
        assert_eq!(
            agent(&format!(r#"{head} "a" b""#)).as_deref(),
            Some(r#"a" b"#)
        );
        assert_eq!(
            agent(&format!(r#"{head} "curl" "10.0.0.1, 10.0.0.2""#)),
            None
        );
    }
}
