//! nginx `log_format` strings (`$remote_addr - $remote_user [$time_local] "$request" ...`) to
//! templates.
//!
//! Variables get the built-in formats' column names where one exists (`$remote_addr` is
//! `client`, `$body_bytes_sent` is `bytes`); times in seconds (`$request_time`,
//! `$upstream_response_time`) become DOUBLE milliseconds; any other variable is a text column
//! named after it (`$http_x_forwarded_for` is `x_forwarded_for`).

use super::{FieldDef, Piece, Template};
use crate::parse::values::{Conversion, TimeFormat};

/// Compiles an nginx `log_format` string.
pub fn compile(format: &str) -> Result<Template, String> {
    let mut pieces = Vec::new();
    let mut literal = Vec::new();
    let bytes = format.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            literal.push(bytes[i]);
            i += 1;
            continue;
        }
        let (name, next) = if bytes.get(i + 1) == Some(&b'{') {
            let close = format[i..]
                .find('}')
                .ok_or_else(|| "unclosed '${' in the format".to_string())?;
            (&format[i + 2..i + close], i + close + 1)
        } else {
            let len = bytes[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count();
            (&format[i + 1..i + 1 + len], i + 1 + len)
        };
        if name.is_empty() {
            literal.push(b'$');
            i += 1;
            continue;
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(std::mem::take(&mut literal)));
        }
        pieces.push(Piece::Field(variable(name)));
        i = next;
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    Template::new(pieces)
}

/// The field of one variable.
fn variable(name: &str) -> FieldDef {
    let text = FieldDef::text;
    let int = |n: &str| FieldDef::new(n, Conversion::Int64);
    let ms = |n: &str| FieldDef::new(n, Conversion::Float { scale: 1000.0 });
    let ms_list = |n: &str| FieldDef::new(n, Conversion::FloatSum { scale: 1000.0 }).list();
    let ts = |f: TimeFormat| FieldDef::new("ts", Conversion::Time(f));
    match name {
        "remote_addr" => FieldDef::client(),
        "remote_user" => text("remote_user"),
        "time_local" => ts(TimeFormat::Clf),
        "time_iso8601" => ts(TimeFormat::Iso8601),
        "msec" => ts(TimeFormat::EpochSeconds),
        "request" => FieldDef::request("request"),
        "status" => FieldDef::new("status", Conversion::Status),
        "body_bytes_sent" => FieldDef::new("bytes", Conversion::Count),
        "bytes_sent" | "request_length" => FieldDef::new(name, Conversion::Count),
        "connection"
        | "connection_requests"
        | "remote_port"
        | "server_port"
        | "pid"
        | "content_length" => int(name),
        "request_time" => ms("duration_ms"),
        "upstream_response_time" | "upstream_connect_time" | "upstream_header_time" => {
            ms_list(&format!("{name}_ms"))
        }
        "gzip_ratio" => FieldDef::new(name, Conversion::Float { scale: 1.0 }),
        "request_method" => text("method"),
        "request_uri" => text("uri"),
        "uri" | "document_uri" => text("path"),
        "args" | "query_string" => text("query_string"),
        "server_protocol" => text("protocol"),
        "http_referer" => text("referer"),
        "http_user_agent" => text("user_agent"),
        // Headers, and the upstream tries of one request, may be lists.
        _ => match name.strip_prefix("http_") {
            Some(header) => text(header).list(),
            None => match name.strip_prefix("sent_http_") {
                Some(header) => text(&format!("resp_{header}")).list(),
                None if name.starts_with("upstream_") || name == "proxy_add_x_forwarded_for" => {
                    text(name).list()
                }
                None => text(name),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::record::{Record, Value};
    use crate::parse::values::Converter;

    /// `$status` and `$body_bytes_sent` take digits only, as the `combined` parser does: a
    /// line with `-5` bytes or a status of `0200` is a reject, not a row.
    #[test]
    fn statuses_and_sizes_as_nginx_writes_them() {
        let t =
            compile(r#"$remote_addr [$time_local] "$request" $status $body_bytes_sent"#).unwrap();
        let parse = |tail: &str| {
            let line = format!(r#"10.0.0.1 [22/Jan/2019:03:56:14 +0330] "GET / HTTP/1.1" {tail}"#);
            let mut rec = Record::default();
            t.parse(line.as_bytes(), &mut rec, &mut Converter::default())
                .ok()
                .map(|_| (rec.values[3], rec.values[4]))
        };
        assert_eq!(parse("200 157"), Some((Value::Int(200), Value::Int(157))));
        assert_eq!(parse("499 -"), Some((Value::Int(499), Value::Null)));
        for bad in ["200 -5", "0200 157", "+200 157", "200 +157"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn main_with_timings() {
        let t = compile(
            r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time"#,
        )
        .unwrap();
        let names: Vec<&str> = t.columns().iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "client",
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
                "duration_ms",
                "upstream_response_time_ms"
            ]
        );
        let line = br#"192.168.1.7 - - [22/Jan/2019:03:56:14 +0330] "GET /a?b=1 HTTP/1.1" 502 157 "-" "curl/8.0" 1.250 0.500, 0.750"#;
        let mut rec = Record::default();
        t.parse(line, &mut rec, &mut Converter::default()).unwrap();
        assert_eq!(rec.values[2], Value::Time(1_548_116_774_000_000_000));
        assert_eq!(rec.values[4], Value::Int(502));
        assert_eq!(rec.values[8], Value::Float(1250.0));
        assert_eq!(rec.values[9], Value::Float(1250.0));
        let line = br#"192.168.1.7 - - [22/Jan/2019:03:56:14 +0330] "GET / HTTP/1.1" 200 1 "-" "-" 0.001 -"#;
        t.parse(line, &mut rec, &mut Converter::default()).unwrap();
        assert_eq!(rec.values[9], Value::Null);
    }

    /// Upstream tries and header lists mid-format keep their `, ` and ` : ` separators.
    #[test]
    fn lists_before_a_space() {
        let t = compile(
            "$upstream_addr $upstream_response_time $http_x_forwarded_for $status $request_time",
        )
        .unwrap();
        let line = b"10.0.0.1:80, 10.0.0.2:80 : 10.0.1.1:80 0.010, 0.002 : 0.030 1.2.3.4, 5.6.7.8 502 0.050";
        let mut rec = Record::default();
        t.parse(line, &mut rec, &mut Converter::default()).unwrap();
        let text = |slot| String::from_utf8(rec.raw_text(line, slot).unwrap().0.to_vec()).unwrap();
        assert_eq!(text(0), "10.0.0.1:80, 10.0.0.2:80 : 10.0.1.1:80");
        assert!(matches!(rec.values[1], Value::Float(ms) if (ms - 42.0).abs() < 1e-9));
        assert_eq!(text(2), "1.2.3.4, 5.6.7.8");
        assert_eq!(rec.values[3], Value::Int(502));
        let one = b"10.0.0.1:80 0.010 - 200 0.011";
        t.parse(one, &mut rec, &mut Converter::default()).unwrap();
        assert_eq!(rec.values[2], Value::Null);
        assert_eq!(rec.values[3], Value::Int(200));
    }

    /// `$time_local` without brackets ends after the space inside it, not at it.
    #[test]
    fn unbracketed_local_time() {
        let t = compile("$time_local $remote_addr $status").unwrap();
        let line = b"22/Jan/2019:03:56:14 +0330 10.0.0.1 200";
        let mut rec = Record::default();
        t.parse(line, &mut rec, &mut Converter::default()).unwrap();
        assert_eq!(rec.values[0], Value::Time(1_548_116_774_000_000_000));
        assert_eq!(rec.raw_text(line, 1).unwrap().0, b"10.0.0.1");
        assert_eq!(rec.values[2], Value::Int(200));
    }

    #[test]
    fn iso_time_msec_and_braces() {
        let t = compile(r#"${msec} $time_iso8601 $host$request_uri"#);
        // Two variables touching: refused, nothing tells where the host ends.
        assert!(t.is_err());
        let t = compile(r#"$msec $time_iso8601 $host $request_uri $pipe"#).unwrap();
        let line = b"1548116774.123 2019-01-22T03:56:14+03:30 shop.example /x?y p";
        let mut rec = Record::default();
        t.parse(line, &mut rec, &mut Converter::default()).unwrap();
        assert_eq!(rec.values[0], Value::Time(1_548_116_774_123_000_000));
        assert_eq!(rec.values[1], Value::Time(1_548_116_774_000_000_000));
        assert_eq!(rec.raw_text(line, 4).unwrap().0, b"p");
    }
}
