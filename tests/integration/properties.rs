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

/// Sorted rows of every visible column of `log`, and (rejected, lines) as the scan counted
/// them, over `partitions` partitions and ranges of at least `min_split` bytes.
fn scan_all(log: &std::path::Path, partitions: usize, min_split: u64) -> (Vec<String>, u64, u64) {
    use datafusion::physical_plan::collect;
    use datafusion::prelude::SessionContext;
    let combined = FormatRegistry::builtin().get("combined").unwrap().clone();
    let table = logsql::LogTable::open(&[log.to_path_buf()], logsql::FormatChoice::Fixed(combined))
        .unwrap()
        .with_min_split_bytes(min_split);
    let visible: Vec<usize> = (0..table.format().columns().len()).collect();
    let plan = table
        .scan_plan(Some(visible.as_slice()), &[], None, partitions)
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let batches = runtime
        .block_on(collect(
            std::sync::Arc::new(plan),
            SessionContext::new().task_ctx(),
        ))
        .unwrap();
    // One string per row (a cell may hold a newline, so no pretty-printed table).
    let mut rows: Vec<String> = Vec::new();
    for batch in &batches {
        for row in 0..batch.num_rows() {
            let cells: Vec<String> = batch
                .columns()
                .iter()
                .map(|c| arrow::util::display::array_value_to_string(c, row).unwrap())
                .collect();
            rows.push(cells.join("\u{1f}"));
        }
    }
    rows.sort();
    (rows, table.stats().rejected(), table.stats().lines())
}

/// A line of a log file: a valid combined line, or damage of the kinds real files have.
fn file_line() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => valid_line().prop_map(|(l, _, _)| l),
        1 => "[ -~]{0,60}",
        1 => valid_line().prop_map(|(l, _, _)| l[..l.len() / 2].to_string()),
        1 => Just(String::new()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// However a file is cut into ranges and partitions, the scan yields the same rows and
    /// counts the same rejects as one partition, and every line is one or the other.
    #[test]
    fn any_partitioning_gives_the_same_rows_and_rejects(
        lines in prop::collection::vec(file_line(), 1..60),
        final_newline in any::<bool>(),
        partitions in 1usize..=16,
        min_split in 1u64..400,
    ) {
        let dir = crate::util::Scratch::new("prop-partitions");
        let mut text = lines.join("\n");
        if final_newline {
            text.push('\n');
        }
        let log = dir.write("access.log", text.as_bytes());
        let whole = scan_all(&log, 1, u64::MAX);
        let split = scan_all(&log, partitions, min_split);
        prop_assert_eq!(&split, &whole);
        // Against the reference: the rows are the lines it parses, the rest are rejects.
        let reference = Reference::new(true);
        let parsed = lines.iter().filter(|l| reference.parse(l.as_bytes()).is_some()).count();
        // Without a final newline, an empty last line is no line at all.
        let dropped = !final_newline && lines.last().is_some_and(|l| l.is_empty());
        let line_count = lines.len() - usize::from(dropped);
        prop_assert_eq!(whole.0.len(), parsed);
        prop_assert_eq!(whole.1 + parsed as u64, whole.2);
        prop_assert_eq!(whole.2, line_count as u64);
    }

    /// Common lines (combined lines without referer and user agent) against the reference.
    #[test]
    fn common_lines_agree_with_the_reference((line, status, bytes) in valid_line()) {
        let body = line.strip_suffix('\r').unwrap_or(&line);
        // The line up to its bytes field: quoted fields may end in a space, so cut by the span.
        let mut combined = AccessRecord::default();
        parse_access_line(AccessFlavor::Combined, body.as_bytes(), &mut combined).unwrap();
        let common = &body[..combined.span(Field::Bytes).1];
        let reference = Reference::new(false).parse(common.as_bytes()).expect("reference parses");
        let mut rec = AccessRecord::default();
        prop_assert!(parse_access_line(AccessFlavor::Common, common.as_bytes(), &mut rec).is_ok(), "{}", common);
        prop_assert_eq!(rec.status, Some(status as i32));
        prop_assert_eq!(rec.bytes, bytes.parse::<i64>().ok());
        prop_assert_eq!(rec.ts_nanos, reference.ts * 1_000_000_000);
        prop_assert_eq!(rec.raw(common.as_bytes(), Field::Request), &reference.request[..]);
    }
}

/// Every column of `line` as `format` parses it (name = value), or `None` for a reject.
fn cells(format: &Format, line: &[u8]) -> Option<Vec<String>> {
    let mut rec = Record::default();
    let Ok(logsql::parse::Parsed::Row) = format.parser().parse(line, &mut rec) else {
        return None;
    };
    let columns = format.all_columns();
    let mut builder = BatchBuilder::new(&columns, 1);
    builder.append(line, &rec, "f", 1);
    let batch = builder.finish().unwrap();
    let schema = batch.schema();
    let mut cells: Vec<String> = (0..batch.num_columns())
        .map(|i| {
            let value = arrow::util::display::array_value_to_string(batch.column(i), 0).unwrap();
            format!("{} = {value}", schema.field(i).name())
        })
        .collect();
    cells.sort();
    Some(cells)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// A parser compiled from the combined `LogFormat` string and the hand-written `combined`
    /// parser give every column the same value (escapes, `-`, times, request parts), and
    /// accept and reject the same lines, cut anywhere or with a raw quote put in.
    #[test]
    fn the_combined_logformat_agrees_with_the_combined_parser(
        (line, _, _) in valid_line(),
        cut in 0usize..400,
        quote_at in 0usize..400,
        sign in 0usize..6,
    ) {
        let combined = FormatRegistry::builtin().get("combined").unwrap().clone();
        // Lower-case header names: the exact combined string is handed to the `combined`
        // parser itself, and this test is about the compiled template.
        let logformat =
            Format::adhoc(r#"apache:%h %l %u %t "%r" %>s %b "%{referer}i" "%{user-agent}i""#).unwrap();
        let body = line.strip_suffix('\r').unwrap_or(&line).as_bytes();
        let want = cells(&combined, body);
        prop_assert!(want.is_some(), "{}", line);
        prop_assert_eq!(cells(&logformat, body), want);
        let cut = &body[..cut.min(body.len())];
        prop_assert_eq!(cells(&logformat, cut).is_some(), cells(&combined, cut).is_some(), "{:?}", String::from_utf8_lossy(cut));
        // A raw quote (not every server escapes them) put in before the user agent: the same
        // row or the same reject, unless the quote moves where `combined` sees the user agent
        // start. Then they part by design: `combined` takes what follows a closing quote and a
        // space as extra fields, a template has none.
        let agent = |line: &[u8]| {
            let mut rec = AccessRecord::default();
            parse_access_line(AccessFlavor::Combined, line, &mut rec).ok()?;
            Some(rec.raw(line, Field::UserAgent).to_vec())
        };
        // A sign or a leading zero put before the status or the size: the same row or the
        // same reject (`0200` and `+200` are no status, `-5` no size).
        let mut rec = AccessRecord::default();
        parse_access_line(AccessFlavor::Combined, body, &mut rec).unwrap();
        let field = [Field::Status, Field::Bytes][sign / 3];
        let mut signed = body.to_vec();
        signed.insert(rec.span(field).0, b"+-0"[sign % 3]);
        prop_assert_eq!(cells(&logformat, &signed), cells(&combined, &signed), "{:?}", String::from_utf8_lossy(&signed));
        let original = agent(body).unwrap();
        let mut quoted = body.to_vec();
        quoted.insert(quote_at % (body.len() - original.len() - 1), b'"');
        prop_assume!(agent(&quoted).is_none_or(|a| a == original));
        prop_assert_eq!(cells(&logformat, &quoted), cells(&combined, &quoted), "{:?}", String::from_utf8_lossy(&quoted));
    }
}
