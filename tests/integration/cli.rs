//! The binary on generated logs whose answers are known from the generator.

use logsql::generate::GenFormat;
use logsql::generate::GenOptions;

use crate::util::{logsql, query_csv, Scratch};

fn gen_opts(lines: u64, seed: u64) -> GenOptions {
    GenOptions {
        lines,
        seed,
        ..GenOptions::default()
    }
}

#[test]
fn status_counts_match_the_generator() {
    let dir = Scratch::new("status");
    let (log, truth) = dir.generated("access.log", &gen_opts(4000, 1));
    let run = query_csv(
        &[&log],
        &[],
        "SELECT status, count(*) AS n FROM logs GROUP BY status ORDER BY status",
    );
    let got: Vec<(i32, u64)> = run
        .csv_rows()
        .iter()
        .map(|r| (r[0].parse().unwrap(), r[1].parse().unwrap()))
        .collect();
    let want: Vec<(i32, u64)> = truth.status.iter().map(|(s, n)| (*s, *n)).collect();
    assert_eq!(got, want);
}

/// `logsql generate --visitors N`: the bench's realistic-traffic log, whose distinct clients
/// the generator counts.
#[test]
fn distinct_visitors_match_the_generator() {
    let dir = Scratch::new("visitors");
    let log = dir.path("visitors.log");
    let gen = logsql(&[
        "generate",
        "--lines",
        "6000",
        "--seed",
        "4",
        "--visitors",
        "800",
    ]);
    std::fs::write(&log, gen.ok()).unwrap();
    let opts = GenOptions {
        visitors: Some(800),
        ..gen_opts(6000, 4)
    };
    let truth = logsql::generate::generate(&opts, &mut Vec::new()).unwrap();
    assert!(truth.clients > 400, "{}", truth.clients);
    let run = query_csv(
        &[&log],
        &[],
        "SELECT count(DISTINCT client), count(*), sum(bytes) FROM logs",
    );
    let want = [truth.clients, truth.rows, truth.bytes_sum as u64].map(|n| n.to_string());
    assert_eq!(run.csv_rows()[0], want);
    assert!(logsql(&["generate", "--visitors", "0"])
        .stderr
        .contains("--visitors"));
}

#[test]
fn totals_bytes_times_and_unsplittable_requests() {
    let dir = Scratch::new("totals");
    let (log, truth) = dir.generated("access.log", &gen_opts(3000, 2));
    let run = query_csv(
        &[&log],
        &[],
        "SELECT count(*), sum(bytes), count(*) - count(bytes), \
         CAST(to_unixtime(min(ts)) AS BIGINT), CAST(to_unixtime(max(ts)) AS BIGINT), \
         count(*) - count(method) FROM logs",
    );
    let row = &run.csv_rows()[0];
    let got: Vec<i64> = row.iter().map(|v| v.parse().unwrap()).collect();
    assert_eq!(
        got,
        [
            truth.rows as i64,
            truth.bytes_sum,
            truth.bytes_null as i64,
            truth.min_ts,
            truth.max_ts,
            truth.method_null as i64
        ]
    );
}

#[test]
fn rejects_are_counted_reported_and_queryable() {
    let dir = Scratch::new("rejects");
    let (log, truth) = dir.generated("access.log", &gen_opts(3000, 3));
    assert!(truth.rejects > 0, "the generator should mix in bad lines");
    let run = query_csv(&[&log], &[], "SELECT count(*) FROM logs");
    assert_eq!(run.csv_rows()[0][0], truth.rows.to_string());
    assert!(
        run.stderr
            .contains(&format!("skipped {} lines", truth.rejects))
            && run.stderr.contains("logs_rejects"),
        "stderr: {}",
        run.stderr
    );

    let run = query_csv(
        &[&log],
        &[],
        "SELECT line_number, reason, file FROM logs_rejects ORDER BY line_number",
    );
    let rows = run.csv_rows();
    let numbers: Vec<u64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(numbers, truth.reject_lines);
    assert!(rows
        .iter()
        .all(|r| !r[1].is_empty() && r[2].ends_with("access.log")));
}

#[test]
fn top_404_uris() {
    let dir = Scratch::new("top404");
    let (log, truth) = dir.generated("access.log", &gen_opts(5000, 4));
    let run = query_csv(
        &[&log],
        &["--format", "combined"],
        "SELECT path, count(*) AS n FROM logs WHERE status = 404 GROUP BY path ORDER BY n DESC, path LIMIT 10",
    );
    let got: Vec<(String, u64)> = run
        .csv_rows()
        .into_iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap()))
        .collect();
    let mut want: Vec<(String, u64)> = truth.not_found_paths.into_iter().collect();
    want.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    want.truncate(10);
    assert_eq!(got, want);
}

#[test]
fn common_format_has_twelve_columns_and_same_answers() {
    let dir = Scratch::new("common");
    let opts = GenOptions {
        format: GenFormat::Common,
        ..gen_opts(2000, 5)
    };
    let (log, truth) = dir.generated("common.log", &opts);
    let run = query_csv(&[&log], &[], "SELECT * FROM logs LIMIT 1");
    let header = run.ok().lines().next().unwrap().to_string();
    assert_eq!(
        header,
        "client,ident,remote_user,ts,request,method,uri,path,query,protocol,status,bytes"
    );
    let run = query_csv(&[&log], &[], "SELECT count(*), sum(bytes) FROM logs");
    assert_eq!(
        run.csv_rows()[0],
        [truth.rows.to_string(), truth.bytes_sum.to_string()]
    );
}

#[test]
fn several_files_are_one_table() {
    let dir = Scratch::new("multi");
    let (a, ta) = dir.generated("a.log", &gen_opts(1000, 6));
    let (b, tb) = dir.generated("b.log", &gen_opts(1500, 7));
    let run = query_csv(&[&a, &b], &[], "SELECT count(*) FROM logs");
    assert_eq!(run.csv_rows()[0][0], (ta.rows + tb.rows).to_string());
    let run = query_csv(&[&a, &b], &[], "SELECT count(*) FROM logs_rejects");
    assert_eq!(run.csv_rows()[0][0], (ta.rejects + tb.rejects).to_string());
}

#[test]
fn projection_in_any_order_gives_the_same_values() {
    let dir = Scratch::new("proj");
    let (log, _) = dir.generated("access.log", &gen_opts(1500, 8));
    let a = query_csv(
        &[&log],
        &["--partitions", "1"],
        "SELECT client, status, bytes, user_agent, ts FROM logs",
    )
    .csv_rows();
    let b = query_csv(
        &[&log],
        &["--partitions", "1"],
        "SELECT ts, user_agent, bytes, status, client FROM logs",
    )
    .csv_rows();
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        let mut y = y.clone();
        y.reverse();
        assert_eq!(*x, y);
    }
}

#[test]
fn table_name_is_configurable() {
    let dir = Scratch::new("tname");
    let (log, truth) = dir.generated("access.log", &gen_opts(500, 9));
    let run = query_csv(
        &[&log],
        &["--table", "access"],
        "SELECT count(*) FROM access",
    );
    assert_eq!(run.csv_rows()[0][0], truth.rows.to_string());
    let run = query_csv(
        &[&log],
        &["--table", "access"],
        "SELECT count(*) FROM access_rejects",
    );
    assert_eq!(run.csv_rows()[0][0], truth.rejects.to_string());
}

#[test]
fn several_statements_run_in_order() {
    let dir = Scratch::new("multi-stmt");
    let (log, truth) = dir.generated("access.log", &gen_opts(300, 10));
    let run = query_csv(
        &[&log],
        &[],
        "SELECT count(*) AS a FROM logs; SELECT 1 + 1 AS b",
    );
    assert_eq!(run.ok(), format!("a\n{}\nb\n2\n", truth.rows));
}

#[test]
fn output_formats() {
    let dir = Scratch::new("formats");
    let log = dir.write(
        "q.log",
        br#"1.2.3.4 - - [14/Feb/2025:10:00:00 +0000] "GET /a,b?x=\"y\" HTTP/1.1" 200 5 "-" "UA, with comma"
"#,
    );
    let log = log.display().to_string();
    let sql = "SELECT uri, status, bytes, referer, user_agent, ts FROM logs";

    // `-o -` is stdout, not a file named `-`.
    let cwd = Scratch::new("dash-output");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_logsql"))
        .args([
            &log,
            "-o",
            "-",
            "--out-format",
            "csv",
            "-e",
            "SELECT status FROM logs",
        ])
        .current_dir(&cwd.0)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout), "status\n200\n");
    assert!(!cwd.path("-").exists());

    // The table shows NULL (referer `-`) apart from an empty string.
    let table = logsql(&[&log, "-e", "SELECT referer, '' AS empty FROM logs"]);
    assert!(
        table.ok().contains("| NULL    |       |"),
        "{}",
        table.stdout
    );

    let csv = logsql(&[&log, "--out-format", "csv", "-e", sql]);
    let mut reader = csv::Reader::from_reader(csv.ok().as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["uri", "status", "bytes", "referer", "user_agent", "ts"]
    );
    let row = reader.records().next().unwrap().unwrap();
    assert_eq!(&row[0], r#"/a,b?x="y""#);
    assert_eq!(&row[3], "");
    assert_eq!(&row[4], "UA, with comma");
    assert!(row[5].starts_with("2025-02-14T10:00:00"), "{}", &row[5]);

    let tsv = logsql(&[
        &log,
        "--out-format",
        "tsv",
        "-e",
        "SELECT status, bytes FROM logs",
    ]);
    assert_eq!(tsv.ok(), "status\tbytes\n200\t5\n");

    let json = logsql(&[&log, "--out-format", "json", "-e", sql]);
    assert!(json.ok().ends_with("]\n"), "{}", json.ok());
    let v: serde_json::Value = serde_json::from_str(json.ok()).unwrap();
    assert_eq!(v[0]["uri"], r#"/a,b?x="y""#);
    assert_eq!(v[0]["status"], 200);
    assert!(v[0]["referer"].is_null());

    let nd = logsql(&[
        &log,
        "--out-format",
        "ndjson",
        "-e",
        "SELECT status FROM logs UNION ALL SELECT 404",
    ]);
    let lines: Vec<serde_json::Value> = nd
        .ok()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);

    let table = logsql(&[&log, "-e", "SELECT status, bytes FROM logs"]);
    let out = table.ok();
    assert!(
        out.contains("| status | bytes |") && out.contains("| 200    | 5     |"),
        "{out}"
    );

    let empty = logsql(&[
        &log,
        "--out-format",
        "csv",
        "-e",
        "SELECT status FROM logs WHERE status = 999",
    ]);
    assert_eq!(empty.ok(), "status\n");
}

/// A reader that stops early (`| head -1`) ends the answer quietly: exit 0, no error.
#[test]
fn a_reader_that_goes_away_is_not_an_error() {
    use std::io::BufRead;
    let dir = Scratch::new("head");
    let (log, _) = dir.generated("access.log", &gen_opts(50_000, 12));
    for format in ["csv", "table", "ndjson"] {
        let mut child = crate::util::spawn_piped(
            &[
                log.to_str().unwrap(),
                "--out-format",
                format,
                "-e",
                "SELECT * FROM logs",
            ],
            &[],
        );
        drop(child.stdin.take());
        let mut first = String::new();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        out.read_line(&mut first).unwrap();
        drop(out);
        let run = crate::util::Run::of(child.wait_with_output().unwrap());
        assert_eq!((run.status, run.stderr.as_str()), (0, ""), "{format}");
    }
}

#[test]
fn errors_are_one_line_and_exit_non_zero() {
    let dir = Scratch::new("errors");
    let (log, _) = dir.generated("access.log", &gen_opts(100, 11));
    let log = log.display().to_string();
    let missing = dir.path("missing.log").display().to_string();
    let junk = dir
        .write("junk.log", b"hello\nworld\n")
        .display()
        .to_string();
    let empty_dir = dir.path("empty");
    std::fs::create_dir(&empty_dir).unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![&missing, "-e", "SELECT 1"], "No such file"),
        (
            vec![&log, "--format", "xml", "-e", "SELECT 1"],
            "unknown format 'xml'",
        ),
        (vec![&log, "-e", "SELECT nope FROM logs"], "nope"),
        (
            vec![&log, "-e", "SELEC status FROM logs"],
            "error: SQL error: Expected: an SQL statement, found: SELEC",
        ),
        (
            vec![&log, "-e", "SELECT * FROM other"],
            "error: table 'other' not found",
        ),
        (
            vec![&log, "-e", "SELECT * FROM logs WHERE ts > 'yesterday'"],
            "error: Parser error: Error parsing timestamp from 'yesterday'",
        ),
        (vec![&junk, "-e", "SELECT 1"], "no known log format"),
        (
            vec![empty_dir.to_str().unwrap(), "-e", "SELECT 1"],
            "no log files",
        ),
        (
            vec![&log, "--memory-limit", "lots", "-e", "SELECT 1"],
            "invalid size",
        ),
        (vec![&log], "no query given"),
        // Usage errors name the argument missing.
        (vec!["report"], "not provided: <PATH>"),
        (vec![&log, "--from-start", "-e", "SELECT 1"], "--follow"),
    ];
    for (args, needle) in cases {
        let run = logsql(&args);
        assert_ne!(run.status, 0, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("error: "), "{args:?}: {}", run.stderr);
        assert_eq!(
            run.stderr.trim_end().lines().count(),
            1,
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}

/// Options that do not fit together are usage errors (exit 2), like clap's own; SQL may
/// start with a `--` comment.
#[test]
fn usage_errors_exit_2() {
    let dir = Scratch::new("usage");
    let (log, truth) = dir.generated("access.log", &gen_opts(100, 12));
    let log = log.display().to_string();
    let out = dir.path("out.csv").display().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![&log, "--follow"], "--follow needs a query"),
        (
            vec![&log, "--follow", "-e", "SELECT 1; SELECT 2"],
            "one statement; 2 were given",
        ),
        (
            vec![&log, "--follow", "-e", "SELECT * FROM logs", "-o", &out],
            "-o is not supported",
        ),
        (
            vec![&log, "-e", "SELECT 1", "--out-format", "parquet"],
            "binary format",
        ),
        (vec![&log, "-o", &out], "-o needs a query"),
        (
            vec!["--format", "combined", "report", &log],
            "to run the report command, name it first",
        ),
        (
            vec![&log, "--time-ordered", "10m", "-e", "SELECT 1"],
            "--time-ordered=10m",
        ),
        (
            vec![&log, "-e", "--out-format", "csv", "-e", "SELECT 1"],
            "-e needs SQL; got the option --out-format",
        ),
        (vec![&log, "-e", "-f", "top_404"], "got the option -f"),
        (
            vec![&log, "--partitions", "0", "-e", "SELECT 1"],
            "a number from 1 to 256",
        ),
        (
            vec![&log, "--partitions", "100000", "-e", "SELECT 1"],
            "invalid value '100000' for '--partitions <N>': a number from 1 to 256",
        ),
    ];
    for (args, needle) in cases {
        let run = logsql(&args);
        assert_eq!(run.status, 2, "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
    let run = logsql(&[
        &log,
        "--out-format",
        "csv",
        "-e",
        "-- all rows\nSELECT count(*) AS n FROM logs",
    ]);
    assert_eq!(run.ok(), format!("n\n{}\n", truth.rows));
}

#[test]
fn explicit_format_wins_over_detection() {
    let dir = Scratch::new("fmt");
    // No bad lines: a combined line cut inside its user agent is a good common line.
    let opts = GenOptions {
        bad_lines: false,
        ..gen_opts(500, 12)
    };
    let (log, truth) = dir.generated("access.log", &opts);
    // Combined lines read as common: same rows, no referer/user_agent columns.
    let run = query_csv(
        &[&log],
        &["--format", "common"],
        "SELECT count(*) FROM logs",
    );
    assert_eq!(run.csv_rows()[0][0], truth.rows.to_string());
    let run = query_csv(
        &[&log],
        &["--format", "common"],
        "SELECT user_agent FROM logs",
    );
    assert_eq!(run.status, 1);
}

#[test]
fn explain_shows_projection_and_limit_pushed_into_the_scan() {
    let dir = Scratch::new("explain");
    let (log, _) = dir.generated("access.log", &gen_opts(100, 13));
    let run = query_csv(&[&log], &[], "EXPLAIN SELECT status FROM logs LIMIT 10");
    let out = run.ok();
    assert!(out.contains("LogScanExec: format=combined"), "{out}");
    assert!(out.contains("projection=[status], limit=10"), "{out}");
}

/// A grouping whose state outgrows `--memory-limit` spills to temporary files and still gives
/// the exact answer (150,000 lines of mostly distinct clients need about 30 MB of groups).
///
/// The limit is shared fairly among the spilling operators (a partial and a final aggregate per
/// partition), and a final aggregate that has spilled needs about 600 KB to merge its spill
/// files back. So the limit must leave each of the eight more than that even while all are
/// running: 4 MB did not (one run in 50 failed), 16 MB does.
#[test]
fn memory_limit_spills_large_groupings_with_the_same_answer() {
    let dir = Scratch::new("memspill");
    let (log, _) = dir.generated("access.log", &gen_opts(150_000, 14));
    let sql = "SELECT client, count(*) AS n, sum(bytes) AS b FROM logs GROUP BY client";
    let sorted = |out: &str| {
        let mut lines: Vec<String> = out.lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    let whole = sorted(query_csv(&[&log], &[], sql).ok());
    assert!(whole.len() > 100_000, "{} groups", whole.len());
    let limited = ["--memory-limit", "16M", "--partitions", "4"];
    assert_eq!(sorted(query_csv(&[&log], &limited, sql).ok()), whole);
    let analyze = query_csv(&[&log], &limited, &format!("EXPLAIN ANALYZE {sql}"))
        .ok()
        .to_string();
    let spills = analyze
        .split("spill_count=")
        .skip(1)
        .filter_map(|rest| rest.split(',').next()?.trim().parse::<u64>().ok());
    assert!(spills.sum::<u64>() > 0, "no operator spilled: {analyze}");
    // Sorted too: each sort partition's merge reserve is a share of the limit, not the
    // 10 MiB each that left a small limit nothing to sort with.
    let ordered = format!("{sql} ORDER BY client");
    let want = query_csv(&[&log], &[], &ordered);
    assert_eq!(query_csv(&[&log], &limited, &ordered).ok(), want.ok());
}

#[test]
fn memory_limit_fails_cleanly_instead_of_exhausting_the_machine() {
    let dir = Scratch::new("memlimit");
    let (log, _) = dir.generated("access.log", &gen_opts(30_000, 14));
    let sql = "SELECT count(DISTINCT request), count(DISTINCT client) FROM logs";
    let run = query_csv(&[&log], &["--memory-limit", "100K"], sql);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("more memory than --memory-limit"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.trim_end().lines().count(), 1);
    // The same query answers within a sensible limit, under the default one, and with none.
    let answer = query_csv(&[&log], &["--memory-limit", "512M"], sql)
        .ok()
        .to_string();
    assert_eq!(query_csv(&[&log], &[], sql).ok(), answer);
    assert_eq!(
        query_csv(&[&log], &["--memory-limit", "none"], sql).ok(),
        answer
    );
}

/// A table result too large to align in memory at once (here 80 MB of cells, in batches of
/// 100 rows) is drawn as consecutive tables, each aligned on its own, holding every row
/// between them.
#[test]
fn a_huge_table_result_is_drawn_in_blocks() {
    let dir = Scratch::new("table-blocks");
    let (log, truth) = dir.generated("access.log", &gen_opts(800, 5));
    let run = logsql(&[
        log.to_str().unwrap(),
        "-e",
        "SET datafusion.execution.batch_size = 100; \
         SELECT _line, repeat('x', 100000) AS pad FROM logs ORDER BY _line",
    ]);
    let out = run.ok();
    let headers = out.lines().filter(|l| l.starts_with("| _line")).count();
    assert_eq!(headers, 2, "{}", &out[..200]);
    let rows: Vec<u64> = out
        .lines()
        .filter(|l| l.ends_with("x |"))
        .map(|l| {
            l.trim_start_matches('|')
                .split('|')
                .next()
                .unwrap()
                .trim()
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(rows.len() as u64, truth.rows);
    assert!(
        rows.windows(2).all(|w| w[0] < w[1]),
        "rows in order, none twice"
    );
}

/// A grouping's result comes as slices of one large batch: measured by what each slice
/// holds, a result far under the table's block size is one table, not one per slice.
#[test]
fn a_grouped_result_is_one_table() {
    let dir = Scratch::new("grouped-table");
    let (log, _) = dir.generated("access.log", &gen_opts(10, 6));
    let run = logsql(&[
        log.to_str().unwrap(),
        "-e",
        "SELECT 'some/longer/uri/path/' || value AS k, count(*) AS n FROM range(300000) GROUP BY 1",
    ]);
    let out = run.ok();
    assert_eq!(out.lines().filter(|l| l.starts_with("| k ")).count(), 1);
    assert_eq!(
        out.lines().filter(|l| l.ends_with("| 1 |")).count(),
        300_000
    );
}

/// A signal ends a query whose operators never yield (a nested-loop join keeps every worker
/// busy): the handlers wait on a thread of their own.
#[test]
fn a_signal_ends_a_query_that_never_yields() {
    let dir = Scratch::new("signal-busy");
    let (log, _) = dir.generated("access.log", &gen_opts(200_000, 9));
    for (signal, status) in [("-INT", 130), ("-TERM", 143)] {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_logsql"))
            .args([
                log.to_str().unwrap(),
                "-e",
                "SELECT count(*) FROM logs a JOIN logs b ON a.bytes < b.bytes",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1500));
        crate::util::signal(child.id(), signal);
        let started = std::time::Instant::now();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(status), "{signal}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{signal}"
        );
    }
}
