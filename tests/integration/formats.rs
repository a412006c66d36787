//! Every format through the real binary: generated files with known answers, detection,
//! format files, and the `formats` command.

use std::collections::BTreeMap;
use std::path::Path;

use logsql::generate::{GenFormat, GenOptions, Truth};

use crate::util::{logsql, logsql_piped, query_csv, real_fixture, Scratch};

fn generated(
    dir: &Scratch,
    format: GenFormat,
    lines: u64,
    seed: u64,
) -> (std::path::PathBuf, Truth) {
    dir.generated(
        &format!("{}.log", format.name()),
        &GenOptions {
            lines,
            seed,
            format,
            ..GenOptions::default()
        },
    )
}

/// One value of a one-row result.
fn scalar(files: &[&Path], format: &str, sql: &str) -> String {
    let run = query_csv(files, &["--format", format], sql);
    let rows = run.csv_rows();
    assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
    rows[0][0].clone()
}

fn status_counts(path: &Path, format: &str) -> BTreeMap<i32, u64> {
    query_csv(
        &[path],
        &["--format", format],
        "SELECT status, count(*) FROM logs GROUP BY status",
    )
    .csv_rows()
    .into_iter()
    .map(|r| (r[0].parse().unwrap(), r[1].parse().unwrap()))
    .collect()
}

/// Rows, statuses, rejects, durations and the slow requests of a generated file, read with
/// `format` (a definition or name), where durations are in column `duration` (an SQL
/// expression in milliseconds).
fn check_timed(format: GenFormat, spec: &str, duration: &str, bytes: &str) {
    let dir = Scratch::new(format.name());
    let (log, truth) = generated(&dir, format, 4000, 7);
    let files = [log.as_path()];
    assert_eq!(
        scalar(&files, spec, "SELECT count(*) FROM logs"),
        truth.rows.to_string(),
        "{spec}"
    );
    assert_eq!(status_counts(&log, spec), truth.status, "{spec}");
    assert_eq!(
        scalar(&files, spec, &format!("SELECT sum({bytes}) FROM logs")),
        truth.bytes_sum.to_string(),
        "{spec}"
    );
    let sum: f64 = scalar(&files, spec, &format!("SELECT sum({duration}) FROM logs"))
        .parse()
        .unwrap();
    assert!(
        (sum - truth.duration_ms_sum as f64).abs() < 1e-3,
        "{spec}: {sum} vs {}",
        truth.duration_ms_sum
    );
    let slow = query_csv(
        &files,
        &["--format", spec],
        &format!("SELECT uri FROM logs WHERE {duration} > 1000"),
    );
    assert_eq!(slow.csv_rows().len() as u64, truth.slow, "{spec}");
    assert_eq!(
        scalar(&files, spec, "SELECT count(*) FROM logs_rejects"),
        truth.rejects.to_string(),
        "{spec}"
    );
    assert!(
        truth.slow > 0 && truth.rejects > 0,
        "the generator wrote slow requests and bad lines"
    );
}

#[test]
fn apache_logformat_with_microsecond_durations() {
    check_timed(
        GenFormat::ApacheTimed,
        GenFormat::ApacheTimed.format_spec(),
        "duration_ms",
        "bytes",
    );
}

#[test]
fn nginx_log_format_with_request_and_upstream_times() {
    let spec = GenFormat::NginxTimed.format_spec();
    check_timed(GenFormat::NginxTimed, spec, "duration_ms", "bytes");
    // `-` upstream times are NULL, lists are summed.
    let dir = Scratch::new("upstream");
    let (log, truth) = generated(&dir, GenFormat::NginxTimed, 2000, 3);
    let nulls: u64 = scalar(
        &[&log],
        spec,
        "SELECT count(*) FROM logs WHERE upstream_response_time_ms IS NULL",
    )
    .parse()
    .unwrap();
    assert!(nulls > 0 && nulls < truth.rows);
    let listed = scalar(
        &[&log],
        spec,
        "SELECT count(*) FROM logs WHERE upstream_response_time_ms = 14",
    );
    assert!(listed.parse::<u64>().unwrap() > 0, "0.004, 0.010 is 14 ms");
}

#[test]
fn json_lines_inferred_and_typed() {
    let dir = Scratch::new("json");
    let (log, truth) = generated(&dir, GenFormat::Json, 3000, 11);
    let files = [log.as_path()];
    // Detected without --format, and every value (written as a string) typed from the sample.
    let run = query_csv(
        &files,
        &[],
        "SELECT count(*), sum(body_bytes_sent), min(time), max(time) FROM logs",
    );
    let row = &run.csv_rows()[0];
    assert_eq!(row[0], truth.rows.to_string());
    assert_eq!(row[1], truth.bytes_sum.to_string());
    let ts = |s: &str| logsql::parse::values::parse_iso8601(s.as_bytes()).unwrap() / 1_000_000_000;
    assert_eq!(ts(&row[2]), truth.min_ts);
    assert_eq!(ts(&row[3]), truth.max_ts);
    assert_eq!(status_counts(&log, "json"), truth.status);
    let slow = scalar(
        &files,
        "json",
        "SELECT count(*) FROM logs WHERE request_time > 1",
    );
    assert_eq!(slow, truth.slow.to_string());
    let sum: f64 = scalar(&files, "json", "SELECT sum(request_time) * 1000 FROM logs")
        .parse()
        .unwrap();
    assert!((sum - truth.duration_ms_sum as f64).abs() < 1e-3);
    assert_eq!(
        scalar(&files, "json", "SELECT count(*) FROM logs_rejects"),
        truth.rejects.to_string()
    );
    // JSON escapes are decoded.
    let n = scalar(
        &files,
        "json",
        r#"SELECT count(*) FROM logs WHERE http_user_agent = 'say "hi" é'"#,
    );
    assert!(n.parse::<u64>().unwrap() > 0);
}

/// nginx `escape=json` upstream times are numbers summed over a retry's list, also when a
/// list (`, `, or ` : ` between upstream groups) is among the lines the types come from.
#[test]
fn json_upstream_time_lists_in_the_sample_are_summed() {
    let dir = Scratch::new("json-upstream");
    let log = dir.write(
        "up.log",
        br#"{"ts":1711845000,"upstream_response_time":"0.004","status":200}
{"ts":1711845000,"upstream_response_time":"0.004, 0.010","status":200}
{"ts":1711845000,"upstream_response_time":"-","status":200}
{"ts":1711845000,"upstream_response_time":"","status":200}
{"ts":1711845000,"upstream_response_time":"0.004, 0.010 : 0.5","status":200}
"#,
    );
    let run = query_csv(
        &[&log],
        &[],
        "SELECT data_type FROM information_schema.columns WHERE column_name = 'upstream_response_time'",
    );
    assert_eq!(run.csv_rows(), vec![vec!["Float64".to_string()]]);
    let run = query_csv(
        &[&log],
        &[],
        "SELECT _line, CAST(round(upstream_response_time * 1000) AS INT) FROM logs ORDER BY _line",
    );
    let rows: Vec<String> = run.csv_rows().iter().map(|r| r.join(" ")).collect();
    assert_eq!(rows, ["1 4", "2 14", "3 ", "4 ", "5 514"]);
}

#[test]
fn syslog_rfc5424_detected_with_severities() {
    let dir = Scratch::new("syslog");
    let (log, truth) = generated(&dir, GenFormat::Syslog, 3000, 5);
    let run = query_csv(
        &[&log],
        &[],
        "SELECT severity, count(*) FROM logs GROUP BY severity",
    );
    let got: BTreeMap<String, u64> = run
        .csv_rows()
        .into_iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap()))
        .collect();
    assert_eq!(got, truth.severities);
    let row = &query_csv(
        &[&log],
        &[],
        "SELECT count(*), count(DISTINCT app), min(ts) FROM logs",
    )
    .csv_rows()[0];
    assert_eq!(row[0], truth.rows.to_string());
    assert_eq!(row[1], "3");
    assert_eq!(
        logsql::parse::values::parse_iso8601(row[2].as_bytes()).unwrap() / 1_000_000_000,
        truth.min_ts
    );
    let slow = scalar(
        &[&log],
        "syslog",
        "SELECT count(*) FROM logs WHERE CAST(split_part(message, 'duration_ms=', 2) AS BIGINT) > 1000",
    );
    assert_eq!(slow, truth.slow.to_string());
    assert_eq!(
        scalar(&[&log], "syslog", "SELECT count(*) FROM logs_rejects"),
        truth.rejects.to_string()
    );
}

#[test]
fn w3c_fields_directive_changes_mid_file() {
    let dir = Scratch::new("w3c");
    let (log, truth) = generated(&dir, GenFormat::W3c, 4000, 9);
    check_answers_w3c(&log, &truth, &[]);
    // Split across partitions or not, the directives apply to the lines after them.
    check_answers_w3c(&log, &truth, &["--partitions", "4"]);
    // Rejects are the bad lines, by line number; directive lines are neither rows nor rejects.
    let rows = query_csv(
        &[&log],
        &[],
        "SELECT line_number FROM logs_rejects ORDER BY line_number",
    )
    .csv_rows();
    let got: Vec<u64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(got, truth.reject_lines);
    assert_eq!(truth.lines, truth.rows + truth.rejects + truth.directives);
}

fn check_answers_w3c(log: &Path, truth: &Truth, extra: &[&str]) {
    let run = query_csv(
        &[log],
        extra,
        "SELECT count(*), sum(bytes), sum(duration_ms), count(*) FILTER (WHERE duration_ms > 1000), min(ts), max(ts) FROM logs",
    );
    let row = &run.csv_rows()[0];
    assert_eq!(row[0], truth.rows.to_string());
    assert_eq!(row[1], truth.bytes_sum.to_string());
    assert_eq!(row[2].parse::<f64>().unwrap(), truth.duration_ms_sum as f64);
    assert_eq!(row[3], truth.slow.to_string());
    let ts = |s: &str| logsql::parse::values::parse_iso8601(s.as_bytes()).unwrap() / 1_000_000_000;
    assert_eq!((ts(&row[4]), ts(&row[5])), (truth.min_ts, truth.max_ts));
    assert_eq!(status_counts(log, "w3c"), truth.status);
}

#[test]
fn detection_names_the_format_and_explains_failure() {
    let dir = Scratch::new("detect");
    let mut paths = Vec::new();
    for format in GenFormat::ALL {
        let (log, _) = generated(&dir, format, 300, 1);
        paths.push((format, log));
    }
    let args: Vec<String> = std::iter::once("formats".to_string())
        .chain(paths.iter().map(|(_, p)| p.display().to_string()))
        .collect();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = logsql(&refs).ok().to_string();
    for (format, path) in &paths {
        // Extra trailing fields (%D, timings) are not part of any built-in: the classic
        // layouts parse them leniently.
        let want = match format {
            GenFormat::ApacheTimed | GenFormat::NginxTimed => "combined",
            other => other.name(),
        };
        let line = out
            .lines()
            .find(|l| l.starts_with(&path.display().to_string()))
            .unwrap_or_else(|| panic!("{out}"));
        assert!(line.contains(&format!(": {want} (")), "{line}");
    }
    let junk = dir.write("junk.txt", b"hello\nworld\n");
    let run = query_csv(&[&junk], &[], "SELECT 1");
    assert_eq!(run.status, 1);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    for needle in [
        "junk.txt",
        "tried combined, common, nginx_main",
        "--format",
        "apache:",
    ] {
        assert!(run.stderr.contains(needle), "{needle}: {}", run.stderr);
    }
    let run = query_csv(&[&junk], &["--format", "xml"], "SELECT 1");
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("unknown format 'xml'"),
        "{}",
        run.stderr
    );
    let run = query_csv(&[&junk], &["--format", "apache:%h %Q"], "SELECT 1");
    assert!(
        run.stderr.contains("unknown LogFormat directive %Q"),
        "{}",
        run.stderr
    );
}

#[test]
fn real_nginx_main_file_is_detected_with_its_zone() {
    let Some(path) = real_fixture("nginx_main_shop.log") else {
        return;
    };
    let out = logsql(&["formats", &path.display().to_string()])
        .ok()
        .to_string();
    assert!(out.contains(": nginx_main ("), "{out}");
    // Piped, as the query command takes it.
    let piped = logsql_piped(&["formats", "-"], &[], std::fs::read(&path).unwrap());
    assert!(
        piped.ok().starts_with("<stdin>: nginx_main ("),
        "{}",
        piped.stdout
    );
    // 22/Jan/2019:03:56:14 +0330 is 00:26:14 UTC; X-Forwarded-For is a column.
    let run = query_csv(
        &[&path],
        &[],
        "SELECT min(ts), count(x_forwarded_for) FROM logs",
    );
    let row = &run.csv_rows()[0];
    assert!(row[0].starts_with("2019-01-22T00:26:14"), "{row:?}");
}

#[test]
fn formats_listing_and_sample_check() {
    let out = logsql(&["formats"]).ok().to_string();
    for name in [
        "combined",
        "common",
        "nginx_main",
        "vhost_combined",
        "vhost_common",
        "json",
        "syslog",
        "w3c",
    ] {
        assert!(out.contains(&format!("{name}: ")), "{name}: {out}");
    }
    assert!(out.contains("status int"), "{out}");
    let out = logsql(&["formats", "--check"]).ok().to_string();
    assert!(out.contains(", 0 failed"), "{out}");
    // Files named with --check are detected too, not ignored.
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/access.log");
    let out = logsql(&["formats", "--check", example]).ok().to_string();
    assert!(
        out.contains(", 0 failed") && out.contains("combined"),
        "{out}"
    );
    assert!(out.lines().count() > 1, "{out}");
}

#[test]
fn user_format_files_define_and_detect_formats() {
    let dir = Scratch::new("userfmt");
    let formats = dir.path("formats");
    std::fs::create_dir(&formats).unwrap();
    std::fs::write(
        formats.join("app.toml"),
        r#"
name = "app"
description = "our app's log"
definition = 'regex:^(?P<ts>\S+) (?P<level>[A-Z]+) \[(?P<module>[^\]]+)\] took=(?P<took_ms>\d+)ms (?P<msg>.*)$'
[types]
took_ms = "int"
[[sample]]
line = "2024-05-01T10:00:00Z WARN [db] took=1200ms slow query"
[sample.expect]
level = "WARN"
took_ms = 1200
ts = "2024-05-01T10:00:00Z"
"#,
    )
    .unwrap();
    let log = dir.write(
        "app.log",
        b"2024-05-01T10:00:00Z WARN [db] took=1200ms slow query\n2024-05-01T10:00:01Z INFO [http] took=3ms ok\nnot a line\n",
    );
    let fdir = formats.display().to_string();
    let run = query_csv(
        &[&log],
        &["--formats-dir", &fdir],
        "SELECT module, took_ms FROM logs WHERE took_ms > 1000",
    );
    assert_eq!(
        run.csv_rows(),
        vec![vec!["db".to_string(), "1200".to_string()]]
    );
    let run = query_csv(
        &[&log],
        &["--formats-dir", &fdir],
        "SELECT reason FROM logs_rejects",
    );
    assert_eq!(
        run.csv_rows(),
        vec![vec!["line does not match the pattern".to_string()]]
    );
    let out = logsql(&["formats", "--formats-dir", &fdir, "--check"])
        .ok()
        .to_string();
    assert!(out.contains("checked, 0 failed"), "{out}");
    // SQL names and detects the user's formats as --format does.
    let path = log.display().to_string().replace('\'', "''");
    for sql in [
        format!("SELECT module FROM read_log('{path}', 'app') WHERE took_ms > 1000"),
        format!("SELECT module FROM read_log('{path}') WHERE took_ms > 1000"),
        format!(
            "CREATE EXTERNAL TABLE t STORED AS LOG LOCATION '{path}' OPTIONS ('format' 'app'); \
             SELECT module FROM t WHERE took_ms > 1000"
        ),
    ] {
        let run = logsql(&["--formats-dir", &fdir, "--out-format", "csv", "-e", &sql]);
        assert_eq!(run.ok(), "module\ndb\n", "{sql}");
    }
    // A broken file is a one-line error naming it.
    std::fs::write(
        formats.join("bad.toml"),
        "name = \"bad\"\ndefinition = 'apache:%h %Q'\n",
    )
    .unwrap();
    let run = query_csv(&[&log], &["--formats-dir", &fdir], "SELECT 1");
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("bad.toml") && run.stderr.contains("%Q"),
        "{}",
        run.stderr
    );
}

/// strftime times (`%{...}t`) with a zone name that says UTC, `Z` for `%z`, or a date and no
/// time are read; a zone abbreviation that could mean several offsets is a reject.
#[test]
fn strftime_zone_names_and_dates_in_logformat() {
    let dir = Scratch::new("strftime");
    let cases: [(&str, &[u8], &[&str]); 4] = [
        (
            "apache:%h [%{%Y-%m-%d %H:%M:%S %Z}t] %>s",
            b"1.2.3.4 [2024-10-10 13:55:36 UTC] 200\n1.2.3.4 [2024-10-10 13:55:36 GMT] 200\n1.2.3.4 [2024-10-10 13:55:36 CET] 200\n",
            &["2024-10-10T13:55:36Z", "2024-10-10T13:55:36Z"],
        ),
        (
            "apache:%h [%{%Y-%m-%d}t] %>s",
            b"1.2.3.4 [2024-10-10] 200\n",
            &["2024-10-10T00:00:00Z"],
        ),
        (
            "apache:%h %{%a %d %b %Y}t %>s",
            b"1.2.3.4 Thu 10 Oct 2024 200\n",
            &["2024-10-10T00:00:00Z"],
        ),
        (
            "apache:%h [%{%d/%b/%Y:%H:%M:%S}t %{%z}t] %>s",
            b"1.2.3.4 [10/Oct/2024:13:55:36 Z] 200\n1.2.3.4 [10/Oct/2024:15:55:36 +0200] 200\n",
            &["2024-10-10T13:55:36Z", "2024-10-10T13:55:36Z"],
        ),
    ];
    for (i, (format, lines, want)) in cases.iter().enumerate() {
        let log = dir.write(&format!("{i}.log"), lines);
        let run = query_csv(
            &[&log],
            &["--format", format],
            "SELECT ts, status FROM logs ORDER BY _line",
        );
        let got: Vec<String> = run.csv_rows().iter().map(|r| r[0].clone()).collect();
        assert_eq!(got, *want, "{format}");
        let rejects = lines.split(|b| *b == b'\n').count() - 1 - want.len();
        assert_eq!(
            run.stderr.contains("skipped 1 line"),
            rejects == 1,
            "{format}: {}",
            run.stderr
        );
    }
}

/// `[types]` and `time_format` that the definition would ignore (a group the regex lacks, a
/// format string's columns) fail `formats --check` and queries with a line naming the file
/// and the key, where they were passed over before.
#[test]
fn format_file_options_that_change_nothing_are_errors() {
    let dir = Scratch::new("userfmt-options");
    let log = dir.write("app.log", b"1.2.3.4 200 1500\n");
    for (i, (text, says)) in [
        (
            "name = \"app\"\ndefinition = 'regex:^(?P<client>\\S+) (?P<status>\\d+) (?P<took>\\d+)$'\n[types]\ntook_ms = \"int\"\n",
            "'took_ms'",
        ),
        (
            "name = \"app\"\ndefinition = 'apache:%h %>s %D'\n[types]\nduration_ms = \"int\"\n",
            "'duration_ms'",
        ),
        (
            "name = \"app\"\ndefinition = 'apache:%h %>s %D'\ntime_format = \"epoch\"\n",
            "time_format",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let formats = dir.path(&format!("formats{i}"));
        std::fs::create_dir(&formats).unwrap();
        std::fs::write(formats.join("app.toml"), text).unwrap();
        let fdir = formats.display().to_string();
        for run in [
            logsql(&["formats", "--formats-dir", &fdir, "--check"]),
            query_csv(&[&log], &["--formats-dir", &fdir], "SELECT 1"),
        ] {
            assert_eq!(run.status, 1, "{text}");
            assert!(
                run.stderr.contains("app.toml") && run.stderr.contains(says),
                "{text}: {}",
                run.stderr
            );
            assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        }
    }
}

#[test]
fn bad_values_in_typed_fields_are_rejects_with_column_names() {
    let dir = Scratch::new("badvalues");
    let log = dir.write(
        "timed.log",
        br#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.1" 200 5 "-" "curl" 1500
1.2.3.4 - - [10/Oct/2000:13:55:37 -0700] "GET /b HTTP/1.1" 200 5 "-" "curl" fast
"#,
    );
    let spec = GenFormat::ApacheTimed.format_spec();
    let run = query_csv(
        &[&log],
        &["--format", spec],
        "SELECT line_number, reason FROM logs_rejects",
    );
    assert_eq!(
        run.csv_rows(),
        vec![vec![
            "2".to_string(),
            "invalid duration_ms (expected a number)".to_string()
        ]]
    );
    let run = query_csv(
        &[&log],
        &["--format", spec],
        "SELECT path, duration_ms FROM logs",
    );
    assert_eq!(
        run.csv_rows(),
        vec![vec!["/a".to_string(), "1.5".to_string()]]
    );
}

#[test]
fn detection_samples_every_file() {
    let dir = Scratch::new("each-file");
    dir.write("a.log", b"");
    dir.write(
        "b.log",
        br#"{"ts":"2024-05-01T10:00:00Z","status":200}
"#,
    );
    dir.write(
        "c.log",
        br#"{"ts":"2024-05-01T10:00:01Z","status":500,"error":"boom"}
"#,
    );
    // The `error` key is only in the second non-empty file, and still a column.
    let run = query_csv(&[&dir.0], &[], "SELECT status, error FROM logs ORDER BY ts");
    assert_eq!(
        run.csv_rows(),
        vec![
            vec!["200".to_string(), String::new()],
            vec!["500".to_string(), "boom".to_string()]
        ]
    );
}

/// A format pasted with its configuration's quoting reads the lines the bare format string
/// reads (it rejected every line).
#[test]
fn formats_pasted_from_server_configuration() {
    let dir = Scratch::new("pasted-formats");
    let log = dir.write(
        "access.log",
        b"1.2.3.4 - - [10/Oct/2024:13:55:36 +0000] \"GET /a HTTP/1.1\" 200 10 \"-\" \"curl\"\n",
    );
    for format in [
        r#"apache:LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"" combined"#,
        r#"nginx:log_format main '$remote_addr - $remote_user [$time_local] ' '"$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';"#,
    ] {
        let run = query_csv(
            &[&log],
            &["--format", format],
            "SELECT uri, status FROM logs",
        );
        assert_eq!(run.csv_rows(), [["/a", "200"]], "{format}: {}", run.stderr);
    }
    // A format that starts with a quoted field is no pasted string.
    let quoted = dir.write(
        "quoted.log",
        b"\"10.0.0.1\" 1.2.3.4 [10/Oct/2024:13:55:36 +0000] \"GET /a HTTP/1.1\" 200\n",
    );
    for format in [
        r#"apache:"%{X-Forwarded-For}i" %a %t "%r" %>s"#,
        r#"nginx:"$http_x_forwarded_for" $remote_addr [$time_local] "$request" $status"#,
    ] {
        let run = query_csv(
            &[&quoted],
            &["--format", format],
            "SELECT x_forwarded_for, uri, status FROM logs",
        );
        assert_eq!(
            run.csv_rows(),
            [["10.0.0.1", "/a", "200"]],
            "{format}: {}",
            run.stderr
        );
    }
    let run = query_csv(
        &[&log],
        &["--format", r#"nginx:escape=json '{"s":"$status"}'"#],
        "SELECT 1",
    );
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("--format json"), "{}", run.stderr);
}

/// A JSON `ts` typed from ISO strings takes a later ten-digit epoch, but a stray small
/// number is a reject naming the column, not an instant of 1970.
#[test]
fn a_stray_number_under_an_iso_time_is_a_reject() {
    let dir = Scratch::new("json-stray-ts");
    let mut text: String = (0..70)
        .map(|i| format!("{{\"ts\":\"2025-01-01T00:00:{:02}Z\",\"b\":1}}\n", i % 60))
        .collect();
    text.push_str("{\"ts\":5,\"b\":1}\n{\"ts\":1735689600,\"b\":1}\n");
    let log = dir.write("late.log", text.as_bytes());
    let run = query_csv(&[&log], &[], "SELECT min(ts), count(*) FROM logs");
    assert_eq!(
        run.csv_rows(),
        [["2025-01-01T00:00:00Z".to_string(), "71".to_string()]]
    );
    let rejects = query_csv(&[&log], &[], "SELECT line_number, reason FROM logs_rejects");
    let rows = rejects.csv_rows();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], "71");
    assert!(rows[0][1].contains("ts"), "{rows:?}");
}
