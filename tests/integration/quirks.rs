//! Each quirk of real access logs (`../shared/QUIRKS.md`) through the real binary.

use crate::util::{logsql, query_csv, Scratch};
use logsql::generate::GenOptions;

/// Runs `sql` over a log made of `lines` (joined with `\n`) and returns CSV rows.
fn rows_of(lines: &[&[u8]], sql: &str) -> Vec<Vec<String>> {
    let dir = Scratch::new("quirk");
    let log = dir.write("q.log", &lines.join(&b"\n"[..]));
    query_csv(&[&log], &["--format", "combined"], sql).csv_rows()
}

#[test]
fn raw_non_utf8_and_nul_bytes_become_replacement_characters() {
    let rows = rows_of(
        &[b"1.2.3.4 - - [14/Feb/2025:10:00:00 +0000] \"GET /caf\xe9 HTTP/1.1\" 200 5 \"-\" \"bad\x00agent \xad\""],
        "SELECT path, user_agent FROM logs",
    );
    assert_eq!(rows, [["/caf\u{FFFD}", "bad\u{0}agent \u{FFFD}"]]);
}

#[test]
fn escaped_bytes_are_decoded_then_made_valid_text() {
    let rows = rows_of(
        &[br#"1.2.3.4 - - [14/Feb/2025:10:00:00 +0000] "GET /caf\xc3\xa9?q=\"x\" HTTP/1.1" 200 5 "-" "a\\b""#],
        "SELECT path, query, user_agent, request FROM logs",
    );
    assert_eq!(
        rows,
        [["/café", "q=\"x\"", "a\\b", "GET /café?q=\"x\" HTTP/1.1"]]
    );
}

#[test]
fn very_long_uri() {
    let uri = format!("/search?q={}", "a".repeat(20_000));
    let line =
        format!(r#"1.2.3.4 - - [14/Feb/2025:10:00:00 +0000] "GET {uri} HTTP/1.1" 200 5 "-" "-""#);
    let rows = rows_of(&[line.as_bytes()], "SELECT uri, length(query) FROM logs");
    assert_eq!(rows, [[uri, "20002".to_string()]]);
}

#[test]
fn offsets_differ_line_to_line_and_times_are_out_of_order() {
    let rows = rows_of(
        &[
            br#"a - - [14/Feb/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-""#,
            br#"b - - [14/Feb/2025:13:30:00 +0330] "GET / HTTP/1.1" 200 1 "-" "-""#,
            br#"c - - [14/Feb/2025:05:59:59 -0400] "GET / HTTP/1.1" 200 1 "-" "-""#,
            br#"d - - [14/Feb/2025:15:45:00 +0545] "GET / HTTP/1.1" 200 1 "-" "-""#,
        ],
        "SELECT client, CAST(to_unixtime(ts) AS BIGINT) - 1739527200 FROM logs ORDER BY ts, client",
    );
    assert_eq!(rows, [["c", "-1"], ["a", "0"], ["b", "0"], ["d", "0"]]);
}

#[test]
fn request_lines_that_cannot_be_split() {
    let rows = rows_of(
        &[
            br#"a - - [14/Feb/2025:10:00:00 +0000] "-" 400 0 "-" "-""#,
            br#"b - - [14/Feb/2025:10:00:00 +0000] "" 400 0 "-" "-""#,
            br#"c - - [14/Feb/2025:10:00:00 +0000] "\x16\x03\x01\x00\xa5" 400 0 "-" "-""#,
            br#"d - - [14/Feb/2025:10:00:00 +0000] "GET /a b c HTTP/1.1" 200 1 "-" "-""#,
            br#"e - - [14/Feb/2025:10:00:00 +0000] "GET /ksc.html" 200 1 "-" "-""#,
        ],
        "SELECT client, coalesce(method, 'NULL'), coalesce(uri, 'NULL'), coalesce(protocol, 'NULL'), length(request) FROM logs ORDER BY client",
    );
    assert_eq!(
        rows,
        [
            ["a", "NULL", "NULL", "NULL", "1"],
            ["b", "NULL", "NULL", "NULL", "0"],
            ["c", "NULL", "NULL", "NULL", "5"],
            ["d", "GET", "/a b c", "HTTP/1.1", "19"],
            ["e", "GET", "/ksc.html", "NULL", "13"],
        ]
    );
}

#[test]
fn dash_and_empty_fields() {
    let rows = rows_of(
        &[br#"::1 - - [14/Feb/2025:10:00:00 +0000] "GET / HTTP/1.1" - - "" "-""#],
        "SELECT ident IS NULL, remote_user IS NULL, status IS NULL, bytes IS NULL, referer, referer IS NULL, user_agent IS NULL FROM logs",
    );
    assert_eq!(
        rows,
        [["true", "true", "true", "true", "", "false", "true"]]
    );
}

#[test]
fn crlf_endings_and_missing_final_newline_are_not_rejects() {
    let dir = Scratch::new("crlf");
    let log = dir.write(
        "crlf.log",
        b"1.2.3.4 - - [14/Feb/2025:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"ua\"\r\n\
          1.2.3.4 - - [14/Feb/2025:10:00:01 +0000] \"GET / HTTP/1.1\" 200 2 \"-\" \"ua\"",
    );
    let run = query_csv(&[&log], &[], "SELECT user_agent, bytes FROM logs");
    assert_eq!(run.csv_rows(), [["ua", "1"], ["ua", "2"]]);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn a_file_damaged_by_copying_loses_no_line() {
    // A newline inserted every 4096 bytes splits records in two: the halves are rejects, the
    // rest are rows, and every line of the damaged file is one or the other.
    let dir = Scratch::new("damaged");
    let (log, truth) = dir.generated(
        "orig.log",
        &GenOptions {
            lines: 2000,
            seed: 31,
            ..Default::default()
        },
    );
    let data = std::fs::read(&log).unwrap();
    let mut damaged = Vec::with_capacity(data.len() + data.len() / 4096 + 1);
    for chunk in data.chunks(4096) {
        damaged.extend_from_slice(chunk);
        damaged.push(b'\n');
    }
    let cuts = data.len().div_ceil(4096) as u64;
    let path = dir.write("damaged.log", &damaged);
    let lines = damaged.split(|b| *b == b'\n').count() as u64 - u64::from(damaged.ends_with(b"\n"));

    let run = query_csv(
        &[&path],
        &[],
        "SELECT (SELECT count(*) FROM logs) AS r, (SELECT count(*) FROM logs_rejects) AS j",
    );
    let row: Vec<u64> = run.csv_rows()[0]
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
    let (rows, rejects) = (row[0], row[1]);
    assert_eq!(rows + rejects, lines, "every line is a row or a reject");
    assert!(
        rows <= truth.rows && rows + cuts >= truth.rows,
        "rows {rows}, original {}",
        truth.rows
    );
}

#[test]
fn a_file_of_only_rejects_and_an_empty_file() {
    let dir = Scratch::new("only-rejects");
    let bad = dir.write("bad.log", b"junk one\njunk two\n");
    let run = query_csv(
        &[&bad],
        &["--format", "common"],
        "SELECT count(*) FROM logs",
    );
    assert_eq!(run.csv_rows(), [["0"]]);
    assert!(run.stderr.contains("skipped 2 lines"), "{}", run.stderr);

    let empty = dir.write("empty.log", b"");
    let run = logsql(&[
        empty.to_str().unwrap(),
        "--out-format",
        "csv",
        "-e",
        "SELECT count(*) AS n FROM logs",
    ]);
    assert_eq!(run.ok(), "n\n0\n");
}
