//! The binary on real logs, checked against the slow reference parser.

use std::collections::BTreeMap;
use std::path::Path;

use crate::reference::Reference;
use crate::util::{query_csv, real_fixture};

/// What the reference parser says about a file.
struct Expected {
    rows: u64,
    rejects: u64,
    status: BTreeMap<String, u64>,
    min_ts: i64,
    max_ts: i64,
    bytes: i64,
}

fn expected(path: &Path, combined: bool) -> Expected {
    let data = std::fs::read(path).unwrap();
    let reference = Reference::new(combined);
    let mut e = Expected {
        rows: 0,
        rejects: 0,
        status: BTreeMap::new(),
        min_ts: i64::MAX,
        max_ts: i64::MIN,
        bytes: 0,
    };
    let data = data.strip_suffix(b"\n").unwrap_or(&data);
    for line in data.split(|b| *b == b'\n') {
        match reference.parse(line) {
            Some(row) => {
                e.rows += 1;
                let key = row.status.map_or(String::new(), |s| s.to_string());
                *e.status.entry(key).or_default() += 1;
                e.min_ts = e.min_ts.min(row.ts);
                e.max_ts = e.max_ts.max(row.ts);
                e.bytes += row.bytes.unwrap_or(0);
            }
            None => e.rejects += 1,
        }
    }
    e
}

fn check(name: &str, combined: bool, format: &str) {
    let Some(path) = real_fixture(name) else {
        return;
    };
    let want = expected(&path, combined);
    let run = query_csv(
        &[&path],
        &[],
        "SELECT count(*), CAST(to_unixtime(min(ts)) AS BIGINT), CAST(to_unixtime(max(ts)) AS BIGINT), \
         coalesce(sum(bytes), 0) FROM logs",
    );
    let row = &run.csv_rows()[0];
    assert_eq!(
        row,
        &[
            want.rows.to_string(),
            want.min_ts.to_string(),
            want.max_ts.to_string(),
            want.bytes.to_string()
        ],
        "{name}"
    );

    let run = query_csv(
        &[&path],
        &[],
        "SELECT status, count(*) FROM logs GROUP BY status ORDER BY status",
    );
    let got: BTreeMap<String, u64> = run
        .csv_rows()
        .into_iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap()))
        .collect();
    assert_eq!(got, want.status, "{name}");
    // A status filter is pushed into the scan, which tests it as soon as the status is read.
    for (status, n) in want.status.iter().filter(|(s, _)| !s.is_empty()) {
        let sql = format!("SELECT count(*) FROM logs WHERE status = {status}");
        let run = query_csv(&[&path], &[], &sql);
        assert_eq!(run.csv_rows()[0][0], n.to_string(), "{name}: {sql}");
    }

    let run = query_csv(&[&path], &[], "SELECT count(*) FROM logs_rejects");
    assert_eq!(run.csv_rows()[0][0], want.rejects.to_string(), "{name}");

    let run = query_csv(&[&path], &[], "EXPLAIN SELECT count(*) FROM logs");
    assert!(
        run.ok().contains(&format!("format={format}")),
        "{name}: detected format"
    );
}

#[test]
fn nasa_common_log() {
    check("nasa_aug95_common.log", false, "common");
}

#[test]
fn nginx_main_log() {
    // Combined plus X-Forwarded-For: detected as nginx's main format.
    check("nginx_main_shop.log", true, "nginx_main");
}

#[test]
fn nasa_cut_off_last_line_is_the_only_reject() {
    let Some(path) = real_fixture("nasa_aug95_common.log") else {
        return;
    };
    let run = query_csv(
        &[&path],
        &[],
        "SELECT line_number, line, reason FROM logs_rejects",
    );
    let rows = run.csv_rows();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][0], "1881");
    assert_eq!(rows[0][1], "miriwo");
}

#[test]
fn nasa_http09_requests_split_without_protocol() {
    let Some(path) = real_fixture("nasa_aug95_common.log") else {
        return;
    };
    let run = query_csv(
        &[&path],
        &[],
        "SELECT count(*) FROM logs WHERE protocol IS NULL AND method = 'GET' AND uri = '/ksc.html'",
    );
    let n: u64 = run.csv_rows()[0][0].parse().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(n, text.matches("\"GET /ksc.html\"").count() as u64);
    assert!(n > 0);
}

#[test]
fn nginx_half_hour_offset_is_applied() {
    let Some(path) = real_fixture("nginx_main_shop.log") else {
        return;
    };
    // The first line is 22/Jan/2019:03:56:14 +0330, i.e. 00:26:14 UTC.
    let run = query_csv(
        &[&path],
        &["--partitions", "1"],
        "SELECT ts, client FROM logs LIMIT 1",
    );
    let rows = run.csv_rows();
    assert!(rows[0][0].starts_with("2019-01-22T00:26:14"), "{rows:?}");
    assert_eq!(rows[0][1], "54.36.149.41");
}
