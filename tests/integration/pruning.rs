//! Time-range pruning (`--time-ordered`, `LogTable::with_time_ordered`): the same answers as a
//! full scan on logs in time order within the slack, fewer bytes read, and a warning when the
//! lines read break the order.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::{SessionConfig, SessionContext};
use logsql::generate::GenOptions;
use logsql::{register_table, FormatChoice, LogTable};
use proptest::prelude::*;

use crate::util::{logsql, logsql_piped, query_csv, Scratch};

/// 2025-02-14T00:00:00Z, where generated logs start; they span 7 days.
const START: i64 = 1_739_491_200;
const DAY: i64 = 86_400;

fn iso(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .expect("in range")
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn clf(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .expect("in range")
        .format("%d/%b/%Y:%H:%M:%S +0000")
        .to_string()
}

/// Runs `sql` over `path` through the library: the printed result and the bytes read.
async fn run(
    path: &Path,
    slack: Option<Duration>,
    partitions: usize,
    min_split: u64,
    sql: &str,
) -> (String, u64) {
    let ctx =
        SessionContext::new_with_config(SessionConfig::new().with_target_partitions(partitions));
    let mut table = LogTable::open(&[path.to_path_buf()], FormatChoice::Auto)
        .unwrap()
        .with_min_split_bytes(min_split);
    if let Some(slack) = slack {
        table = table.with_time_ordered(slack);
    }
    let table = Arc::new(table);
    register_table(&ctx, "logs", table.clone()).unwrap();
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    assert!(table.stats().disorder().is_empty(), "{sql}: disorder seen");
    (
        pretty_format_batches(&batches).unwrap().to_string(),
        table.stats().bytes(),
    )
}

/// The aggregates compared between pruned and full scans of the rows with `ts` in `range`.
fn summary(range: &str) -> String {
    format!(
        "SELECT count(*) AS n, sum(bytes) AS b, min(ts) AS first, max(ts) AS last, count(DISTINCT client) AS c, sum(status) AS s FROM logs WHERE {range}"
    )
}

/// A log in the Apache way: lines written in order of the requests' ends, stamped with their
/// starts, so out of order by up to `max_duration` seconds; one line in `junk_every` is junk.
fn apache_like(lines: usize, seed: u64, max_duration: u64, junk_every: usize) -> Vec<u8> {
    let mut rng = seed | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut out = String::new();
    let mut end = START;
    for i in 0..lines {
        end += (next() % 20) as i64;
        if junk_every > 0 && i % junk_every == junk_every / 2 {
            out.push_str("garbage that is not a log line\n");
            continue;
        }
        let started = end - (next() % (max_duration + 1)) as i64;
        let _ = writeln!(
            out,
            "10.0.{}.{} - - [{}] \"GET /p/{} HTTP/1.1\" {} {} \"-\" \"agent/{}\"",
            next() % 4,
            next() % 250,
            clf(started),
            next() % 1000,
            [200, 200, 200, 404, 500][(next() % 5) as usize],
            next() % 10_000,
            next() % 7
        );
    }
    out.into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Generated logs (in order within a minute, with rejects, CRLF and zone offsets) and
    /// Apache-like logs (out of order by up to the slack): pruned and full scans agree on
    /// `ts >= X`, `ts < Y` and `BETWEEN X AND Y`, over several partitions.
    #[test]
    fn pruned_scans_equal_full_scans(
        seed in 0u64..1000,
        lines in 2000u64..12_000,
        from in 0i64..(7 * DAY),
        width in 0i64..(2 * DAY),
        apache in any::<bool>(),
        partitions in 1usize..4,
    ) {
        let dir = Scratch::new("prune-prop");
        let (log, slack) = if apache {
            let max = 600;
            (dir.write("a.log", &apache_like(lines as usize, seed, max, 50)), max)
        } else {
            let opts = GenOptions { lines, seed, ..Default::default() };
            (dir.generated("g.log", &opts).0, 60)
        };
        let (lo, hi) = (iso(START + from), iso(START + from + width));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        for range in [
            format!("ts >= '{lo}'"),
            format!("ts < '{hi}'"),
            format!("ts BETWEEN '{lo}' AND '{hi}' AND status >= 200"),
        ] {
            let sql = summary(&range);
            let slack = Some(Duration::from_secs(slack));
            let (full, _) = runtime.block_on(run(&log, None, partitions, 4096, &sql));
            let (pruned, _) = runtime.block_on(run(&log, slack, partitions, 4096, &sql));
            prop_assert_eq!(&pruned, &full, "{}", sql);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruning_reads_only_the_time_range() {
    let dir = Scratch::new("prune-bytes");
    let (log, truth) = dir.generated(
        "access.log",
        &GenOptions {
            lines: 50_000,
            seed: 5,
            ..Default::default()
        },
    );
    let size = std::fs::metadata(&log).unwrap().len();
    let slack = Some(Duration::from_secs(300));
    // The last hour of the week, then six hours in the middle.
    for (range, share) in [
        (format!("ts >= '{}'", iso(START + 7 * DAY - 3600)), 168),
        (
            format!(
                "ts BETWEEN '{}' AND '{}'",
                iso(START + 3 * DAY),
                iso(START + 3 * DAY + 6 * 3600)
            ),
            28,
        ),
    ] {
        let sql = summary(&range);
        let (full, full_bytes) = run(&log, None, 2, 100_000, &sql).await;
        let (pruned, pruned_bytes) = run(&log, slack, 2, 100_000, &sql).await;
        assert_eq!(pruned, full, "{sql}");
        assert!(full_bytes >= size, "the full scan reads everything");
        // The range's share of the file, plus what the search's conservative stop and the
        // slack add (64 KiB at each end, and a little more), the order check's margin (64 KiB
        // at each end), plus what each of the two partitions reads past its range's end (a
        // read of up to 256 KiB).
        let expected = size / share + 4 * 64 * 1024 + size / 200 + 2 * 256 * 1024;
        assert!(
            pruned_bytes <= expected,
            "{sql}: read {pruned_bytes} of {size} bytes, expected at most {expected}"
        );
        assert!(pruned_bytes > 0);
    }
    // Bounds outside the file: nothing, or the whole file.
    let (n, bytes) = run(
        &log,
        slack,
        2,
        100_000,
        &summary(&format!("ts < '{}'", iso(START - DAY))),
    )
    .await;
    assert!(n.contains("| 0 "), "{n}");
    // Only the order check's margin after the first line (64 KiB, in one read).
    assert!(bytes <= 256 * 1024, "{bytes}");
    let (n, _) = run(
        &log,
        slack,
        2,
        100_000,
        &summary(&format!("ts >= '{}'", iso(START - DAY))),
    )
    .await;
    assert!(n.contains(&format!("| {} ", truth.rows)), "{n}");
}

/// A big generated log, queried through the binary with and without `--time-ordered`.
#[test]
fn the_binary_gives_the_same_answers_reading_less() {
    let dir = Scratch::new("prune-cli");
    let (log, _) = dir.generated(
        "access.log",
        &GenOptions {
            lines: 200_000,
            seed: 77,
            ..Default::default()
        },
    );
    let size = std::fs::metadata(&log).unwrap().len();
    let ranges = [
        format!("ts >= '{}'", iso(START + 7 * DAY - 3600)),
        format!(
            "ts BETWEEN '{}' AND '{}'",
            iso(START + 2 * DAY),
            iso(START + 2 * DAY + 7200)
        ),
        format!("ts < '{}' AND status = 404", iso(START + 3600)),
        format!("ts > '{}'", iso(START + 8 * DAY)),
    ];
    let sql: Vec<String> = ranges.iter().map(|r| summary(r)).collect();
    let sql = sql.join(";\n");
    let full = query_csv(&[&log], &[], &sql);
    let pruned = query_csv(&[&log], &["--time-ordered", "--partitions", "3"], &sql);
    assert_eq!(pruned.ok(), full.ok());
    assert!(full.ok().lines().count() >= 8, "{}", full.ok());
    assert!(
        !pruned.stderr.contains("time order"),
        "no disorder in an ordered log: {}",
        pruned.stderr
    );
    // EXPLAIN says how much is kept; without the option, nothing is said.
    let explain = format!("EXPLAIN {}", summary(&ranges[0]));
    let plan = query_csv(&[&log], &["--time-ordered=10m"], &explain);
    let (kept, total) = kept_bytes(plan.ok());
    assert_eq!(total, size);
    assert!(
        kept > 0 && kept < size / 50,
        "kept {kept} of {size}: {}",
        plan.ok()
    );
    assert!(plan.ok().contains("slack 10m"), "{}", plan.ok());
    let plan = query_csv(&[&log], &[], &explain);
    assert!(!plan.ok().contains("pruned="), "{}", plan.ok());
    // EXPLAIN ANALYZE counts what the scan read: the whole file, or the kept part of it.
    let analyze = format!("EXPLAIN ANALYZE {}", summary(&ranges[0]));
    let read = |args: &[&str]| {
        let out = query_csv(&[&log], args, &analyze);
        let metric = |name| metric_value(out.ok(), name);
        (metric("bytes_read"), metric("lines_read"))
    };
    let (full_bytes, full_lines) = read(&[]);
    assert!(
        (full_bytes - size as f64).abs() < size as f64 * 0.01,
        "{full_bytes} of {size}"
    );
    assert!((full_lines - 200_000.0).abs() < 2_000.0, "{full_lines}");
    let (pruned_bytes, pruned_lines) = read(&["--time-ordered=10m"]);
    assert!(
        pruned_bytes > 0.0 && pruned_bytes < size as f64 / 20.0,
        "{pruned_bytes}"
    );
    assert!(
        pruned_lines > 0.0 && pruned_lines < full_lines / 20.0,
        "{pruned_lines}"
    );
}

/// The value of metric `name` in an `EXPLAIN ANALYZE`, summed over the plan's scans as
/// DataFusion prints it (`bytes_read=959.6 M`: K, M, B units, rounded).
fn metric_value(plan: &str, name: &str) -> f64 {
    let key = format!("{name}=");
    let at = plan
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {plan}"));
    let mut words = plan[at + key.len()..].split([' ', ',', ']']);
    let number: f64 = words.next().unwrap().parse().unwrap();
    let unit = match words.next() {
        Some("K") => 1e3,
        Some("M") => 1e6,
        Some("B") => 1e9,
        _ => 1.0,
    };
    number * unit
}

/// `(kept, total)` from an `EXPLAIN`'s `pruned=[kept K of T bytes, ...]`.
fn kept_bytes(plan: &str) -> (u64, u64) {
    let at = plan
        .find("pruned=[kept ")
        .unwrap_or_else(|| panic!("no pruning in {plan}"));
    let words: Vec<&str> = plan[at + "pruned=[kept ".len()..]
        .split_whitespace()
        .take(3)
        .collect();
    (words[0].parse().unwrap(), words[2].parse().unwrap())
}

/// Writes `lines` CLF-stamped combined lines at the given seconds past START.
fn lines_at(times: impl IntoIterator<Item = i64>) -> Vec<u8> {
    let mut out = String::new();
    for (i, t) in times.into_iter().enumerate() {
        let _ = writeln!(
            out,
            "192.0.2.{} - - [{}] \"GET /i/{i} HTTP/1.1\" 200 {} \"-\" \"curl/8\"",
            i % 200,
            clf(START + t),
            i % 5000
        );
    }
    out.into_bytes()
}

#[test]
fn lines_out_of_order_in_the_part_read_give_a_warning() {
    let dir = Scratch::new("prune-disorder");
    // 30,000 lines ten seconds apart, then 50 lines three hours older than the last, then
    // 1,000 more. The query's bound is far before the late lines, so the search does not
    // meet them, but the scan reads them.
    let times = (0..30_000)
        .map(|i| i * 10)
        .chain((0..50).map(|i| 300_000 - 3 * 3600 + i))
        .chain((30_000..31_000).map(|i| i * 10));
    let log = dir.write("access.log", &lines_at(times));
    let sql = format!(
        "SELECT count(*) AS n FROM logs WHERE ts >= '{}'",
        iso(START + 200_000)
    );
    let full = query_csv(&[&log], &[], &sql);
    let pruned = query_csv(&[&log], &["--time-ordered"], &sql);
    // The late lines match either way: the answer is right, but the assumption is broken,
    // and said so.
    assert_eq!(pruned.stdout, full.ok());
    assert_eq!(pruned.status, 3, "{}", pruned.stderr);
    let warning = pruned
        .stderr
        .lines()
        .find(|l| l.contains("out of time order"))
        .unwrap_or_else(|| panic!("no warning: {}", pruned.stderr));
    assert!(
        warning.starts_with(&format!(
            "logsql: warning: {}: lines out of time order by more than 5m (by up to 2h59m50s, first near byte {})",
            log.display(),
            lines_at((0..30_000).map(|i| i * 10)).len()
        )) && warning.ends_with("; --time-ordered answers may miss lines"),
        "{warning}"
    );
    // A query that is not pruned reads nothing under the assumption: no warning.
    let plain = query_csv(&[&log], &["--time-ordered"], "SELECT count(*) FROM logs");
    assert!(!plain.stderr.contains("time order"), "{}", plain.stderr);
}

#[test]
fn where_pruning_does_not_apply_explain_says_why() {
    let dir = Scratch::new("prune-not");
    let (log, _) = dir.generated(
        "access.log",
        &GenOptions {
            lines: 5000,
            seed: 3,
            ..Default::default()
        },
    );
    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut e, &std::fs::read(&log).unwrap()).unwrap();
        dir.write("access.log.1.gz", &e.finish().unwrap())
    };
    let since = iso(START + 6 * DAY);
    let explain = |paths: &[&Path], sql: &str| {
        let run = query_csv(paths, &["--time-ordered"], &format!("EXPLAIN {sql}"));
        run.ok().to_string()
    };
    let plan = explain(&[&log], "SELECT count(*) FROM logs WHERE status = 404");
    assert!(
        plan.contains("pruned=none (no bound on the time column)"),
        "{plan}"
    );
    let plan = explain(
        &[&log],
        &format!("SELECT _line FROM logs WHERE ts >= '{since}'"),
    );
    assert!(plan.contains("pruned=none (_line"), "{plan}");
    let plan = explain(
        &[&gz],
        &format!("SELECT uri FROM logs WHERE ts >= '{since}'"),
    );
    assert!(plan.contains("pruned=none (compressed files)"), "{plan}");
    // A plain file beside a compressed one is still pruned.
    let plan = explain(
        &[&log, &gz],
        &format!("SELECT uri FROM logs WHERE ts >= '{since}'"),
    );
    assert!(plan.contains("1 file by ts order"), "{plan}");
    // With `_line`, both ways give the same rows.
    let sql = format!("SELECT _line, uri FROM logs WHERE ts >= '{since}' ORDER BY _line");
    let full = query_csv(&[&log], &[], &sql);
    let with = query_csv(&[&log], &["--time-ordered"], &sql);
    assert_eq!(with.ok(), full.ok());
}

#[test]
fn option_spellings_sql_read_log_and_stdin() {
    let dir = Scratch::new("prune-options");
    let (log, _) = dir.generated(
        "access.log",
        &GenOptions {
            lines: 20_000,
            seed: 9,
            bad_lines: false, // piped below as text
            ..Default::default()
        },
    );
    let path = log.display().to_string();
    let since = iso(START + 6 * DAY);
    let count = format!("SELECT count(*) AS n, sum(bytes) AS b FROM logs WHERE ts >= '{since}'");
    let expected = query_csv(&[&log], &[], &count).ok().to_string();
    // A bad slack is a usage error; the option does not take the path as its value.
    let bad = logsql(&[&path, "--time-ordered=soon", "-e", "SELECT 1"]);
    assert_eq!(bad.status, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("invalid duration 'soon'"),
        "{}",
        bad.stderr
    );
    let run = logsql(&["--time-ordered", &path, "--out-format", "csv", "-e", &count]);
    assert_eq!(run.ok(), expected);
    // CREATE EXTERNAL TABLE, with small splits: the kept bytes are shared by partitions.
    let create = format!(
        "CREATE EXTERNAL TABLE t STORED AS LOG LOCATION '{path}' OPTIONS ('time_ordered' '2m', 'min_split_bytes' '20000')"
    );
    let on_t = count.replace("FROM logs", "FROM t");
    let run = logsql(&[
        "--partitions",
        "3",
        "--out-format",
        "csv",
        "-e",
        &format!("{create}; EXPLAIN {on_t}; {on_t}"),
    ]);
    let out = run.ok();
    assert!(out.contains("slack 2m"), "{out}");
    assert!(out.contains("partitions=3"), "{out}");
    assert!(
        out.trim_end().ends_with(expected.lines().last().unwrap()),
        "{out}"
    );
    let bad = logsql(&[
        "-e",
        &format!("CREATE EXTERNAL TABLE u STORED AS LOG LOCATION '{path}' OPTIONS ('time_ordered' 'soon')"),
    ]);
    assert_eq!(bad.status, 1);
    assert!(bad.stderr.contains("'time_ordered'"), "{}", bad.stderr);
    // read_log, with the same options.
    let on_read_log = count.replace(
        "FROM logs",
        &format!("FROM read_log('{path}', 'auto', 'time_ordered=5m')"),
    );
    let run = logsql(&[
        "--out-format",
        "csv",
        "-e",
        &format!("EXPLAIN {on_read_log}; {on_read_log}"),
    ]);
    assert!(run.ok().contains("pruned=[kept"), "{}", run.ok());
    assert!(
        run.ok()
            .trim_end()
            .ends_with(expected.lines().last().unwrap()),
        "{}",
        run.ok()
    );
    for (option, error) in [
        ("time_ordered", "option 'time_ordered' is not key=value"),
        ("rejects=bad", "takes no 'rejects' option"),
        (
            "time_ordered=soon",
            "option 'time_ordered': 'soon' is not a slack",
        ),
    ] {
        let sql = format!("SELECT count(*) FROM read_log('{path}', 'auto', '{option}')");
        let run = logsql(&["-e", &sql]);
        assert_eq!(run.status, 1, "{option}");
        assert!(
            run.stderr.contains(&format!("read_log: {error}")),
            "{option}: {}",
            run.stderr
        );
    }
    // Piped input is copied to a file; a time-ordered table waits for the whole copy and
    // prunes it like a file.
    let data = std::fs::read_to_string(&log).unwrap();
    let piped = logsql_piped(
        &[
            "-",
            "--time-ordered",
            "--out-format",
            "csv",
            "-e",
            &format!("EXPLAIN {count}; {count}"),
        ],
        &[],
        &data,
    );
    assert!(piped.ok().contains("pruned=[kept"), "{}", piped.ok());
    assert!(
        piped
            .ok()
            .trim_end()
            .ends_with(expected.lines().last().unwrap()),
        "{}",
        piped.ok()
    );
}

/// Files out of the order `--time-ordered` assumes, by far more than the slack (each line up
/// to two hours off its place; the two halves of a day swapped): for every bound, the answer
/// is the full scan's, or it comes with exit status 3 and a warning. Never a different
/// answer in silence.
#[test]
fn files_out_of_order_never_give_a_silent_wrong_answer() {
    let dir = Scratch::new("prune-disorder");
    let n = 20_000i64;
    let line = |secs: i64| {
        format!(
            "10.0.0.1 - - [{}] \"GET / HTTP/1.1\" 200 5 \"-\" \"t\"\n",
            clf(secs)
        )
    };
    let mut seed = 7u64;
    let mut jitter = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as i64 % 7200 - 3600
    };
    let shuffled: String = (0..n).map(|i| line(START + i * 4 + 2 * jitter())).collect();
    let swapped: String = (n / 2..n)
        .chain(0..n / 2)
        .map(|i| line(START + i * 4))
        .collect();
    for (name, text) in [("shuffled.log", shuffled), ("swapped.log", swapped)] {
        let log = dir.write(name, text.as_bytes());
        for k in 1..12 {
            let bound = iso(START + k * n * 4 / 12);
            for cmp in ["<=", ">="] {
                let sql = format!("SELECT count(*) FROM logs WHERE ts {cmp} '{bound}'");
                let full = query_csv(&[&log], &[], &sql);
                let pruned = query_csv(&[&log], &["--time-ordered"], &sql);
                if pruned.status == 3 {
                    assert!(
                        pruned.stderr.contains("may miss lines"),
                        "{}",
                        pruned.stderr
                    );
                } else {
                    assert_eq!(pruned.ok(), full.ok(), "{name}: {sql}: {}", pruned.stderr);
                }
            }
        }
    }
}
