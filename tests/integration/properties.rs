//! Property tests: the fast parser against the slow reference, and no panic on any bytes.

use logsql::parse::{parse_access_line, AccessFlavor, AccessRecord, Field};
use logsql::parse::{Format, FormatRegistry, Record};
use logsql::table::batch::BatchBuilder;
use proptest::prelude::*;

use crate::reference::Reference;

/// Text of a quoted field as Apache writes it: printable ASCII with `"` and `\` escaped,
/// and some `\xNN` escapes.
fn quoted_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            8 => "[ -!#-\\[\\]-~]".prop_map(|s| s.to_string()),
            1 => Just("\\\"".to_string()),
            1 => Just("\\\\".to_string()),
            1 => "[0-9a-f]{2}".prop_map(|h| format!("\\x{h}")),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

prop_compose! {
    fn valid_line()(
        client in "[a-z0-9.:]{1,20}",
        user in prop_oneof![Just("-".to_string()), "[a-z@.]{1,12}"],
        day in 1u32..=28, month in 0usize..12, year in 1990u32..2030,
        hour in 0u32..24, minute in 0u32..60, second in 0u32..60,
        sign in prop_oneof![Just('+'), Just('-')], off_h in 0u32..=14, off_m in prop_oneof![Just(0u32), Just(30), Just(45)],
        request in quoted_text(),
        status in 100u32..600,
        bytes in prop_oneof![Just("-".to_string()), (0u64..10_000_000).prop_map(|b| b.to_string())],
        referer in quoted_text(), agent in quoted_text(),
        crlf in any::<bool>(),
    ) -> (String, u32, String) {
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let line = format!(
            "{client} - {user} [{day:02}/{}/{year}:{hour:02}:{minute:02}:{second:02} {sign}{off_h:02}{off_m:02}] \"{request}\" {status} {bytes} \"{referer}\" \"{agent}\"{}",
            MONTHS[month],
            if crlf { "\r" } else { "" }
        );
        (line, status, bytes)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn fast_parser_agrees_with_the_reference((line, status, bytes) in valid_line()) {
        let reference = Reference::new(true).parse(line.as_bytes()).expect("reference parses generated lines");
        let body = line.strip_suffix('\r').unwrap_or(&line);
        let mut rec = AccessRecord::default();
        prop_assert!(parse_access_line(AccessFlavor::Combined, body.as_bytes(), &mut rec).is_ok(), "{line}");
        prop_assert_eq!(rec.status, Some(status as i32));
        prop_assert_eq!(rec.bytes, bytes.parse::<i64>().ok());
        prop_assert_eq!(rec.ts_nanos, reference.ts * 1_000_000_000);
        prop_assert_eq!(rec.raw(body.as_bytes(), Field::Client), reference.client.as_bytes());
        prop_assert_eq!(rec.raw(body.as_bytes(), Field::Request), &reference.request[..]);
    }

    #[test]
    fn any_bytes_are_a_row_or_a_reject_never_a_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let line: Vec<u8> = bytes.into_iter().filter(|b| *b != b'\n').collect();
        for format in every_format() {
            append_if_row(&format, &line)?;
        }
    }

    #[test]
    fn json_like_bytes_never_panic(body in "[{}\\[\\]\":,a-z0-9 .\\\\u-]{0,80}") {
        let line = format!("{{{body}");
        for format in every_format() {
            append_if_row(&format, line.as_bytes())?;
        }
    }

    #[test]
    fn damaged_valid_lines_never_panic((line, _, _) in valid_line(), cut in 0usize..400, byte in any::<u8>()) {
        // Truncate a valid line and flip one byte: still a row or a reject.
        let mut damaged = line.into_bytes();
        let at = cut % (damaged.len() + 1);
        damaged.truncate(at.max(1));
        if let Some(last) = damaged.last_mut() {
            *last = if byte == b'\n' { b' ' } else { byte };
        }
        for format in every_format() {
            append_if_row(&format, &damaged)?;
        }
    }
}

/// Every built-in format (JSON and W3C settled on small samples), plus format strings.
fn every_format() -> Vec<Format> {
    let registry = FormatRegistry::builtin();
    let mut formats: Vec<Format> = registry
        .formats()
        .map(|f| {
            f.settle(&[
                br#"{"time":"2025-01-01T00:00:00Z","status":200,"a":{"b":"x"},"n":1.5,"ok":true}"#,
                b"#Fields: date time c-ip cs-method cs-uri-stem sc-status time-taken",
            ])
            .or_else(|_| {
                f.settle(&[b"#Fields: date time c-ip cs-method cs-uri-stem sc-status time-taken"])
            })
            .unwrap()
        })
        .collect();
    for def in [
        r#"apache:%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D"#,
        r#"nginx:$remote_addr [$time_iso8601] "$request" $status $request_time $upstream_response_time"#,
        r#"regex:^(?P<client>\S+) .*?"(?P<request>[^"]*)" (?P<status>\d{3})"#,
    ] {
        formats.push(Format::adhoc(def).unwrap());
    }
    formats
}

/// Parses `line` with `format`; a row is appended to a batch of every column, which must
/// build.
fn append_if_row(format: &Format, line: &[u8]) -> Result<(), TestCaseError> {
    let mut parser = format.parser();
    let mut rec = Record::default();
    let columns = format.all_columns();
    let mut builder = BatchBuilder::new(&columns, 4);
    if let Ok(logsql::parse::Parsed::Row) = parser.parse(line, &mut rec) {
        builder.append(line, &rec, "f", 1);
    }
    let batch = builder.finish();
    prop_assert!(batch.is_ok(), "{}: {:?}", format.name(), batch.err());
    Ok(())
}
