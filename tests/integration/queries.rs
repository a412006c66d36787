//! The bundled queries (`logsql -f NAME`) on a generated log, checked against answers computed
//! here from the log's lines with plain Rust (and against the generator's `Truth`), and their
//! parameters: defaults, `--param`, missing values, and values that look like SQL.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use logsql::generate::{GenOptions, Truth};

use crate::util::{logsql, Run, Scratch};

/// One parsed line of a generated combined log, parsed here without logsql.
#[derive(Debug, Clone)]
pub struct Row {
    pub client: String,
    pub ts: i64,
    pub method: Option<String>,
    pub uri: Option<String>,
    pub path: Option<String>,
    pub status: i32,
    pub bytes: Option<i64>,
    pub referer: Option<String>,
    pub user_agent: Option<String>,
}

/// A generated combined log without bad lines, its truth, and its rows parsed here.
pub fn generated(dir: &Scratch, lines: u64, seed: u64) -> (PathBuf, Truth, Vec<Row>) {
    let opts = GenOptions {
        lines,
        seed,
        bad_lines: false,
        ..GenOptions::default()
    };
    let (log, truth) = dir.generated("access.log", &opts);
    let rows = parse_log(&log);
    assert_eq!(
        rows.len() as u64,
        truth.rows,
        "the test's own parser disagrees with the generator"
    );
    (log, truth, rows)
}

pub fn parse_log(path: &Path) -> Vec<Row> {
    let data = std::fs::read(path).unwrap();
    data.split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| parse_line(l.strip_suffix(b"\r").unwrap_or(l)))
        .collect()
}

/// Reads a `"..."` field starting at `line[*at]` (the opening quote), undoing `\"`, `\\` and
/// `\xNN`.
fn quoted(line: &[u8], at: &mut usize) -> String {
    assert_eq!(line[*at], b'"');
    *at += 1;
    let mut out = Vec::new();
    while line[*at] != b'"' {
        if line[*at] == b'\\' && *at + 1 < line.len() {
            match line[*at + 1] {
                b'x' => {
                    let hex = std::str::from_utf8(&line[*at + 2..*at + 4]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    *at += 4;
                }
                c => {
                    out.push(c);
                    *at += 2;
                }
            }
        } else {
            out.push(line[*at]);
            *at += 1;
        }
    }
    *at += 1;
    String::from_utf8_lossy(&out).into_owned()
}

fn word<'a>(line: &'a [u8], at: &mut usize) -> &'a str {
    while line[*at] == b' ' {
        *at += 1;
    }
    let start = *at;
    while *at < line.len() && line[*at] != b' ' {
        *at += 1;
    }
    std::str::from_utf8(&line[start..*at]).unwrap()
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn parse_line(line: &[u8]) -> Row {
    let mut at = 0;
    let client = word(line, &mut at).to_string();
    word(line, &mut at);
    word(line, &mut at);
    // [14/Feb/2025:00:00:00 +0330]
    let open = line.iter().position(|b| *b == b'[').unwrap();
    let t = std::str::from_utf8(&line[open + 1..open + 27]).unwrap();
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = months.iter().position(|m| *m == &t[3..6]).unwrap() as i64 + 1;
    let n = |r: std::ops::Range<usize>| t[r].parse::<i64>().unwrap();
    let local = days_from_civil(n(7..11), month, n(0..2)) * 86_400
        + n(12..14) * 3600
        + n(15..17) * 60
        + n(18..20);
    let offset = (n(22..24) * 3600 + n(24..26) * 60) * if &t[21..22] == "-" { -1 } else { 1 };
    let ts = local - offset;
    at = open + 29;
    let request = quoted(line, &mut at);
    let status: i32 = word(line, &mut at).parse().unwrap();
    let bytes = match word(line, &mut at) {
        "-" => None,
        b => Some(b.parse().unwrap()),
    };
    at += 1;
    let referer = quoted(line, &mut at);
    at += 1;
    let user_agent = quoted(line, &mut at);
    let (method, uri) = if request == "-" || request.starts_with('\u{16}') {
        (None, None)
    } else {
        let (method, rest) = request.split_once(' ').unwrap();
        let target = match rest.rsplit_once(' ') {
            Some((target, proto)) if proto.starts_with("HTTP/") => target,
            _ => rest,
        };
        (Some(method.to_string()), Some(target.to_string()))
    };
    let path = uri
        .as_ref()
        .map(|u| u.split('?').next().unwrap().to_string());
    Row {
        client,
        ts,
        method,
        uri,
        path,
        status,
        bytes,
        referer: (referer != "-").then_some(referer),
        user_agent: (user_agent != "-").then_some(user_agent),
    }
}

/// Runs a bundled query (or file) as CSV with extra arguments.
fn run_query(log: &Path, query: &str, extra: &[&str]) -> Run {
    let log = log.display().to_string();
    let mut args = vec![log.as_str(), "--out-format", "csv", "-f", query];
    args.extend_from_slice(extra);
    logsql(&args)
}

/// Counts per key, ordered by count descending then key, the first `limit`.
fn top<K: Ord + Clone>(counts: &BTreeMap<K, i64>, limit: usize) -> Vec<(K, i64)> {
    let mut v: Vec<(K, i64)> = counts.iter().map(|(k, n)| (k.clone(), *n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(limit);
    v
}

fn int(s: &str) -> i64 {
    s.parse()
        .unwrap_or_else(|_| panic!("not an integer: {s:?}"))
}

fn hour_prefix(t: i64) -> String {
    // "2025-02-14T05" for the hour holding t.
    let days = t.div_euclid(86_400);
    let (mut y, mut m, mut d) = (1970, 1, 1);
    // Walk from a known day: cheap enough for a week of hours.
    let base = days_from_civil(2025, 1, 1);
    if days >= base {
        y = 2025;
        let mut left = days - base;
        let lengths = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        m = 1;
        while left >= lengths[m - 1] {
            left -= lengths[m - 1];
            m += 1;
        }
        d = left + 1;
    }
    format!("{y:04}-{m:02}-{d:02}T{:02}", t.rem_euclid(86_400) / 3600)
}

#[test]
fn every_bundled_query_is_listed_and_described() {
    let out = logsql(&["queries"]).ok().to_string();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".sql") else {
            continue;
        };
        files += 1;
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(stem));
        let line = line.unwrap_or_else(|| panic!("{stem} not listed:\n{out}"));
        assert!(line.len() > stem.len() + 20, "no description: {line}");
    }
    assert!(files >= 12, "only {files} bundled queries");
}

/// A query file saved with a byte-order mark (as Windows editors do) reads as without one,
/// its header's defaults included.
#[test]
fn a_query_file_with_a_byte_order_mark() {
    let dir = Scratch::new("bom");
    let (log, truth, _) = generated(&dir, 300, 5);
    let text = "-- rows plus n\n-- $n added (default 1)\nSELECT count(*) + $n AS c FROM logs\n";
    let plain = dir.write("plain.sql", text.as_bytes());
    let bom = dir.write("bom.sql", format!("\u{feff}{text}").as_bytes());
    let want = vec![vec![(truth.rows + 1).to_string()]];
    for file in [plain, bom] {
        assert_eq!(
            run_query(&log, file.to_str().unwrap(), &[]).csv_rows(),
            want
        );
    }
}

#[test]
fn bundled_queries_give_the_right_answers() {
    let dir = Scratch::new("bundled");
    let (log, truth, rows) = generated(&dir, 6000, 11);

    // status_summary: the generator's own counts.
    let got: Vec<(i64, i64)> = run_query(&log, "status_summary", &[])
        .csv_rows()
        .iter()
        .map(|r| (int(&r[0]), int(&r[1])))
        .collect();
    let mut want: Vec<(i64, i64)> = truth
        .status
        .iter()
        .map(|(s, n)| (*s as i64, *n as i64))
        .collect();
    want.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    assert_eq!(got, want, "status_summary");

    // top_404: default limit 10, and --param limit=3.
    let mut not_found: BTreeMap<String, i64> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.status == 404) {
        *not_found
            .entry(r.uri.clone().unwrap_or_default())
            .or_default() += 1;
    }
    for (extra, limit) in [(&[][..], 10), (&["--param", "limit=3"][..], 3)] {
        let got: Vec<(String, i64)> = run_query(&log, "top_404", extra)
            .csv_rows()
            .iter()
            .map(|r| (r[0].clone(), int(&r[1])))
            .collect();
        assert_eq!(got, top(&not_found, limit), "top_404 {extra:?}");
    }
    // Its 404 total agrees with the generator's per-path truth.
    // (The generator counts only 404s whose request line has a path.)
    let with_path = rows
        .iter()
        .filter(|r| r.status == 404 && r.uri.is_some())
        .count() as u64;
    assert_eq!(with_path, truth.not_found_paths.values().sum::<u64>());

    // top_5xx: uri, hits, min and max status.
    let mut fives: BTreeMap<String, (i64, i32, i32)> = BTreeMap::new();
    for r in rows.iter().filter(|r| (500..=599).contains(&r.status)) {
        let e = fives
            .entry(r.uri.clone().unwrap_or_default())
            .or_insert((0, i32::MAX, i32::MIN));
        e.0 += 1;
        e.1 = e.1.min(r.status);
        e.2 = e.2.max(r.status);
    }
    let counts: BTreeMap<String, i64> = fives.iter().map(|(k, v)| (k.clone(), v.0)).collect();
    let want: Vec<Vec<String>> = top(&counts, 10)
        .into_iter()
        .map(|(u, n)| {
            vec![
                u.clone(),
                n.to_string(),
                fives[&u].1.to_string(),
                fives[&u].2.to_string(),
            ]
        })
        .collect();
    assert_eq!(run_query(&log, "top_5xx", &[]).csv_rows(), want, "top_5xx");

    // top_clients: requests, bytes, errors.
    let mut clients: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    for r in &rows {
        let e = clients.entry(r.client.clone()).or_default();
        e.0 += 1;
        e.1 += r.bytes.unwrap_or(0);
        e.2 += i64::from(r.status >= 400);
    }
    let counts: BTreeMap<String, i64> = clients.iter().map(|(k, v)| (k.clone(), v.0)).collect();
    let want: Vec<Vec<String>> = top(&counts, 5)
        .into_iter()
        .map(|(c, n)| {
            vec![
                c.clone(),
                n.to_string(),
                clients[&c].1.to_string(),
                clients[&c].2.to_string(),
            ]
        })
        .collect();
    assert_eq!(
        run_query(&log, "top_clients", &["--param", "limit=5"]).csv_rows(),
        want,
        "top_clients"
    );

    // Per hour: error_rate and bandwidth_per_hour.
    let mut hours: BTreeMap<i64, (i64, i64, i64, i64)> = BTreeMap::new();
    for r in &rows {
        let e = hours.entry(r.ts.div_euclid(3600) * 3600).or_default();
        e.0 += 1;
        e.1 += i64::from((400..=499).contains(&r.status));
        e.2 += i64::from((500..=599).contains(&r.status));
        e.3 += r.bytes.unwrap_or(0);
    }
    let got = run_query(&log, "error_rate", &[]).csv_rows();
    assert_eq!(got.len(), hours.len(), "error_rate hours");
    for (row, (hour, (n, e4, e5, _))) in got.iter().zip(&hours) {
        assert!(
            row[0].starts_with(&hour_prefix(*hour)),
            "{} vs {}",
            row[0],
            hour_prefix(*hour)
        );
        assert_eq!([int(&row[1]), int(&row[2]), int(&row[3])], [*n, *e4, *e5]);
        let pct: f64 = row[4].parse().unwrap();
        assert!(
            (pct - 100.0 * (e4 + e5) as f64 / *n as f64).abs() < 0.006,
            "{row:?}"
        );
    }
    // $since keeps the hours from that instant on.
    let since = truth.min_ts + 3 * 86_400;
    let since_hour = since.div_euclid(3600) * 3600;
    let got = run_query(
        &log,
        "error_rate",
        &[
            "--param",
            &format!("since={}:00:00Z", hour_prefix(since_hour)),
        ],
    )
    .csv_rows();
    assert_eq!(
        got.len(),
        hours.range(since_hour..).count(),
        "error_rate since"
    );
    assert!(got[0][0].starts_with(&hour_prefix(since_hour)));
    // The same instant in epoch seconds (it counted from 1970 when cast as nanoseconds).
    let epoch = run_query(
        &log,
        "error_rate",
        &["--param", &format!("since={since_hour}")],
    )
    .csv_rows();
    assert_eq!(epoch, got, "error_rate since epoch seconds");

    let got = run_query(&log, "bandwidth_per_hour", &[]).csv_rows();
    let want: Vec<(i64, i64)> = hours.values().map(|h| (h.0, h.3)).collect();
    assert_eq!(
        got.iter()
            .map(|r| (int(&r[1]), int(&r[2])))
            .collect::<Vec<_>>(),
        want,
        "bandwidth_per_hour"
    );
    assert_eq!(want.iter().map(|w| w.1).sum::<i64>(), truth.bytes_sum);

    // busiest_minutes: requests and distinct clients.
    let mut minutes: BTreeMap<i64, (i64, BTreeSet<String>)> = BTreeMap::new();
    for r in &rows {
        let e = minutes.entry(r.ts.div_euclid(60) * 60).or_default();
        e.0 += 1;
        e.1.insert(r.client.clone());
    }
    let counts: BTreeMap<i64, i64> = minutes.iter().map(|(k, v)| (*k, v.0)).collect();
    let want: Vec<(i64, usize)> = top(&counts, 10)
        .into_iter()
        .map(|(m, n)| (n, minutes[&m].1.len()))
        .collect();
    let got = run_query(&log, "busiest_minutes", &[]).csv_rows();
    assert_eq!(
        got.iter()
            .map(|r| (int(&r[1]), int(&r[2]) as usize))
            .collect::<Vec<_>>(),
        want,
        "busiest_minutes"
    );

    // daily_summary.
    let mut days: BTreeMap<i64, (i64, BTreeSet<String>, i64, i64, i64)> = BTreeMap::new();
    for r in &rows {
        let e = days.entry(r.ts.div_euclid(86_400)).or_default();
        e.0 += 1;
        e.1.insert(r.client.clone());
        e.2 += r.bytes.unwrap_or(0);
        e.3 += i64::from((400..=499).contains(&r.status));
        e.4 += i64::from((500..=599).contains(&r.status));
    }
    let got = run_query(&log, "daily_summary", &[]).csv_rows();
    let got: Vec<Vec<i64>> = got
        .iter()
        .map(|r| r[1..].iter().map(|v| int(v)).collect())
        .collect();
    let want: Vec<Vec<i64>> = days
        .values()
        .map(|d| vec![d.0, d.1.len() as i64, d.2, d.3, d.4])
        .collect();
    assert_eq!(got, want, "daily_summary");

    // methods: NULL (unsplittable requests) last among ties.
    let mut methods: BTreeMap<Option<String>, i64> = BTreeMap::new();
    for r in &rows {
        *methods.entry(r.method.clone()).or_default() += 1;
    }
    let got = run_query(&log, "methods", &[]).csv_rows();
    let mut want: Vec<(Option<String>, i64)> = methods.into_iter().collect();
    want.sort_by(|a, b| {
        b.1.cmp(&a.1).then_with(|| match (&a.0, &b.0) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, _) => std::cmp::Ordering::Greater,
            (_, None) => std::cmp::Ordering::Less,
            (x, y) => x.cmp(y),
        })
    });
    let got_pairs: Vec<(String, i64)> = got.iter().map(|r| (r[0].clone(), int(&r[1]))).collect();
    let want_pairs: Vec<(String, i64)> = want
        .iter()
        .map(|(m, n)| (m.clone().unwrap_or_default(), *n))
        .collect();
    assert_eq!(got_pairs, want_pairs, "methods");
    assert_eq!(
        want.iter().find(|w| w.0.is_none()).map_or(0, |w| w.1) as u64,
        truth.method_null
    );

    // crawlers: agents announcing a bot or a scripted client.
    let bot = |ua: &str| {
        let ua = ua.to_lowercase();
        [
            "bot",
            "crawl",
            "spider",
            "slurp",
            "curl/",
            "wget/",
            "python-requests",
            "go-http-client",
            "java/",
        ]
        .iter()
        .any(|p| ua.contains(p))
    };
    let mut crawlers: BTreeMap<String, (i64, BTreeSet<String>)> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| r.user_agent.as_deref().is_some_and(bot))
    {
        let e = crawlers.entry(r.user_agent.clone().unwrap()).or_default();
        e.0 += 1;
        e.1.insert(r.client.clone());
    }
    let counts: BTreeMap<String, i64> = crawlers.iter().map(|(k, v)| (k.clone(), v.0)).collect();
    let want: Vec<Vec<String>> = top(&counts, usize::MAX)
        .into_iter()
        .map(|(ua, n)| vec![ua.clone(), n.to_string(), crawlers[&ua].1.len().to_string()])
        .collect();
    assert_eq!(want.len(), 4, "Googlebot, bingbot, curl, python-requests");
    assert_eq!(
        run_query(&log, "crawlers", &[]).csv_rows(),
        want,
        "crawlers"
    );

    // attack_scans: /wp-login.php, /.env and `..` traversal (the generator's probes).
    let attack = |p: &str| {
        let l = p.to_lowercase();
        p.contains("..")
            || [
                "/wp-login.php",
                "/xmlrpc.php",
                "/.env",
                "/.git/config",
                "/phpmyadmin/",
                "/shell.php",
            ]
            .contains(&l.as_str())
            || l.starts_with("/wp-admin")
            || l.ends_with("/.env")
            || l.contains("/.git/")
    };
    let mut scans: BTreeMap<String, (i64, BTreeSet<String>, i64)> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| r.path.as_deref().is_some_and(attack))
    {
        let e = scans.entry(r.path.clone().unwrap()).or_default();
        e.0 += 1;
        e.1.insert(r.client.clone());
        e.2 += i64::from((200..=299).contains(&r.status));
    }
    let counts: BTreeMap<String, i64> = scans.iter().map(|(k, v)| (k.clone(), v.0)).collect();
    let want: Vec<Vec<String>> = top(&counts, usize::MAX)
        .into_iter()
        .map(|(p, n)| {
            vec![
                p.clone(),
                n.to_string(),
                scans[&p].1.len().to_string(),
                scans[&p].2.to_string(),
            ]
        })
        .collect();
    assert_eq!(want.len(), 3, "{want:?}");
    assert_eq!(
        run_query(&log, "attack_scans", &[]).csv_rows(),
        want,
        "attack_scans"
    );

    // top_referrers: no NULL (`-`) or empty referers.
    let mut referers: BTreeMap<String, i64> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| r.referer.as_deref().is_some_and(|s| !s.is_empty()))
    {
        *referers.entry(r.referer.clone().unwrap()).or_default() += 1;
    }
    let got: Vec<(String, i64)> = run_query(&log, "top_referrers", &[])
        .csv_rows()
        .iter()
        .map(|r| (r[0].clone(), int(&r[1])))
        .collect();
    assert_eq!(got, top(&referers, 10), "top_referrers");

    // user_agents: NULL last among ties; the quoted agent comes back unescaped.
    let mut agents: BTreeMap<String, i64> = BTreeMap::new();
    let mut null_agents = 0;
    for r in &rows {
        match &r.user_agent {
            Some(ua) => *agents.entry(ua.clone()).or_default() += 1,
            None => null_agents += 1,
        }
    }
    let got = run_query(&log, "user_agents", &["--param", "limit=20"]).csv_rows();
    let got_named: Vec<(String, i64)> = got
        .iter()
        .filter(|r| !r[0].is_empty())
        .map(|r| (r[0].clone(), int(&r[1])))
        .collect();
    assert_eq!(got_named, top(&agents, 20), "user_agents");
    assert_eq!(
        got.iter().find(|r| r[0].is_empty()).map(|r| int(&r[1])),
        Some(null_agents)
    );

    // requests_since: everything from an instant on.
    let since = truth.max_ts - 6 * 3600;
    let want = rows.iter().filter(|r| r.ts >= since).count();
    let got = run_query(
        &log,
        "requests_since",
        &[
            "--param",
            &format!("since={}", rfc3339(since)),
            "--param",
            "limit=100000",
        ],
    );
    assert_eq!(got.csv_rows().len(), want, "requests_since");
    let got = run_query(
        &log,
        "requests_since",
        &["--param", &format!("since={}", rfc3339(since))],
    );
    assert_eq!(
        got.csv_rows().len(),
        want.min(100),
        "requests_since default limit"
    );
}

fn rfc3339(t: i64) -> String {
    format!(
        "{}:{:02}:{:02}Z",
        hour_prefix(t),
        t.rem_euclid(3600) / 60,
        t.rem_euclid(60)
    )
}

#[test]
fn slow_requests_needs_a_duration_column() {
    let dir = Scratch::new("slow");
    let (log, _, _) = generated(&dir, 200, 12);
    let run = run_query(&log, "slow_requests", &[]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("duration_ms") && run.stderr.lines().count() == 1,
        "{}",
        run.stderr
    );
}

#[test]
fn slow_requests_on_a_w3c_log() {
    use logsql::generate::{GenFormat, GenOptions};
    let dir = Scratch::new("slow-w3c");
    let (log, _) = dir.generated(
        "u_ex.log",
        &GenOptions {
            lines: 1500,
            seed: 9,
            format: GenFormat::W3c,
            bad_lines: false,
            ..GenOptions::default()
        },
    );
    // Independently, following the #Fields directives: the slowest requests' uri is
    // cs-uri-stem?cs-uri-query, as an access log writes it.
    let text = String::from_utf8_lossy(&std::fs::read(&log).unwrap()).into_owned();
    let mut fields: Vec<&str> = Vec::new();
    let mut want: Vec<(i64, String)> = Vec::new();
    for line in text.lines() {
        if let Some(names) = line.strip_prefix("#Fields:") {
            fields = names.split_whitespace().collect();
            continue;
        }
        let values: Vec<&str> = line.split(' ').collect();
        let at = |name: &str| fields.iter().position(|f| *f == name).map(|i| values[i]);
        if line.starts_with('#') || values.len() != fields.len() {
            continue;
        }
        let (Some(stem), Some(taken)) = (at("cs-uri-stem"), at("time-taken")) else {
            continue;
        };
        let uri = match at("cs-uri-query") {
            None | Some("-") => stem.to_string(),
            Some(q) => format!("{stem}?{q}"),
        };
        if let Ok(taken) = taken.parse() {
            want.push((taken, uri));
        }
    }
    want.sort_by_key(|w| std::cmp::Reverse(w.0));
    want.truncate(3);
    let run = run_query(&log, "slow_requests", &["--param", "limit=3"]);
    let got: Vec<(i64, String)> = run
        .csv_rows()
        .iter()
        .map(|r| (r[4].parse::<f64>().unwrap() as i64, r[2].clone()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn slow_requests_on_a_log_with_durations() {
    use logsql::generate::{GenFormat, GenOptions};
    let dir = Scratch::new("slow-timed");
    let (log, _) = dir.generated(
        "timed.log",
        &GenOptions {
            lines: 2000,
            seed: 8,
            format: GenFormat::ApacheTimed,
            ..GenOptions::default()
        },
    );
    // Independently: the last field of every good line is %D, in microseconds.
    let text = std::fs::read(&log).unwrap();
    let mut want: Vec<f64> = text
        .split(|b| *b == b'\n')
        .filter_map(|l| {
            let l = std::str::from_utf8(l).ok()?.trim_end();
            l.rsplit(' ').next()?.parse::<i64>().ok()
        })
        .map(|us| us as f64 / 1000.0)
        .collect();
    want.sort_by(|a, b| b.total_cmp(a));
    want.truncate(5);
    let run = run_query(
        &log,
        "slow_requests",
        &[
            "--param",
            "limit=5",
            "--format",
            GenFormat::ApacheTimed.format_spec(),
        ],
    );
    let got: Vec<f64> = run
        .csv_rows()
        .iter()
        .map(|r| r[4].parse().unwrap())
        .collect();
    assert_eq!(got, want);
}

#[test]
fn a_missing_parameter_is_named() {
    let dir = Scratch::new("missing");
    let (log, _, _) = generated(&dir, 200, 13);
    let run = run_query(&log, "requests_since", &[]);
    assert_eq!(run.status, 1);
    assert!(run.stdout.is_empty());
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("missing parameter $since") && run.stderr.contains("--param since="),
        "{}",
        run.stderr
    );
    // The same for -e.
    let run = logsql(&[
        log.to_str().unwrap(),
        "-e",
        "SELECT count(*) FROM logs WHERE status = $code",
    ]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("missing parameter $code"),
        "{}",
        run.stderr
    );
}

#[test]
fn parameter_values_are_values_not_sql() {
    let dir = Scratch::new("inject");
    let (log, _, rows) = generated(&dir, 2000, 14);
    let file = dir.write("by_path.sql", b"-- Requests for one path.\n-- Needs: path.\nSELECT count(*) AS n FROM logs WHERE path = $p;\n");
    let count = |value: &str| -> Vec<Vec<String>> {
        run_query(
            &log,
            file.to_str().unwrap(),
            &["--param", &format!("p={value}")],
        )
        .csv_rows()
    };
    let about = rows
        .iter()
        .filter(|r| r.path.as_deref() == Some("/about"))
        .count();
    assert!(about > 0);
    assert_eq!(count("/about"), [[about.to_string()]]);
    let harmless = count("no-such-path");
    assert_eq!(harmless, [["0".to_string()]]);
    for evil in [
        "x' OR 1=1 --",
        "/about' OR '1'='1",
        "'; DROP TABLE logs; --",
        "$p",
        "\"/about\"",
    ] {
        assert_eq!(count(evil), harmless, "{evil}");
    }
    // A bundled query's $limit given as text is a value too: a clear error, never SQL.
    let run = run_query(&log, "top_404", &["--param", "limit=1; SELECT 1"]);
    assert_eq!(run.status, 1, "{}", run.stdout);
    assert!(run.stdout.is_empty());
}

/// A value takes the type of what the query compares it with: `007` stays the text `007` for
/// a text column (and where nothing types it), a number for a status, and a value that is no
/// status is a one-line error naming the parameter.
#[test]
fn parameter_values_take_the_type_the_query_gives_them() {
    let dir = Scratch::new("param-types");
    let log = dir.write(
        "codes.log",
        b"1.1.1.1 - 007 [10/Oct/2023:13:55:36 +0000] \"GET /a HTTP/1.1\" 404 5\n\
          1.1.1.1 - - [10/Oct/2023:13:55:37 +0000] \"GET /b HTTP/1.1\" 200 5\n",
    );
    let q = |sql: &str, param: &str| {
        logsql(&[
            log.to_str().unwrap(),
            "--out-format",
            "csv",
            "-e",
            sql,
            "--param",
            param,
        ])
    };
    let n = |sql: &str, param: &str| q(sql, param).csv_rows();
    let by_user = "SELECT count(*) FROM logs WHERE remote_user = $u";
    assert_eq!(
        n(by_user, "u=007"),
        [["1"]],
        "007 is the user 007, not the number 7"
    );
    assert_eq!(n("SELECT $x AS x", "x=007"), [["007"]]);
    assert_eq!(n("SELECT $x + 1 AS x", "x=41"), [["42"]]);
    let by_status = "SELECT count(*) FROM logs WHERE status = $s";
    assert_eq!(n(by_status, "s= 404"), [["1"]]);
    let bad = q(by_status, "s=abc");
    assert_eq!(bad.status, 1);
    assert_eq!(bad.stderr.lines().count(), 1, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("--param s=abc: not a value of type"),
        "{}",
        bad.stderr
    );
    // A value a function rejects, as the bundled queries' to_timestamp($since): named too.
    let bad = logsql(&[
        log.to_str().unwrap(),
        "-f",
        "error_rate",
        "--param",
        "since=garbage",
    ]);
    assert_eq!(bad.status, 1);
    assert_eq!(bad.stderr.lines().count(), 1, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("error: --param since=garbage: ") && bad.stderr.contains("'garbage'"),
        "{}",
        bad.stderr
    );
}

#[test]
fn file_of_several_statements_and_unused_parameters() {
    let dir = Scratch::new("multi");
    let (log, truth, _) = generated(&dir, 500, 15);
    let file = dir.write(
        "two.sql",
        b"-- Two answers.\nSELECT count(*) AS n FROM logs;\nSELECT sum(bytes) AS b FROM logs WHERE bytes >= $min;\n",
    );
    let run = run_query(
        &log,
        file.to_str().unwrap(),
        &["--param", "min=0", "--param", "unused=1"],
    );
    assert_eq!(
        run.ok(),
        format!("n\n{}\nb\n{}\n", truth.rows, truth.bytes_sum)
    );
    assert!(run.stderr.contains("--param unused"), "{}", run.stderr);
    // A name that is neither a file nor a bundled query.
    let run = run_query(&log, "no_such_query", &[]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr
            .contains("no such file or bundled query: no_such_query"),
        "{}",
        run.stderr
    );
}

/// Several `count(DISTINCT text)` at once (merged on every core, not by DataFusion's one
/// final set) count what a plain set of the log's own values counts, across partitions; and
/// EXPLAIN shows the parallel merge took the place of DataFusion's.
#[test]
fn several_distinct_counts_over_many_partitions() {
    let dir = Scratch::new("distinct-counts");
    let (log, truth, rows) = generated(&dir, 40_000, 31);
    let clients: BTreeSet<&str> = rows.iter().map(|r| r.client.as_str()).collect();
    let agents: BTreeSet<&str> = rows
        .iter()
        .filter_map(|r| r.user_agent.as_deref())
        .collect();
    let referers: BTreeSet<&str> = rows.iter().filter_map(|r| r.referer.as_deref()).collect();
    let sql = "SELECT count(DISTINCT client), count(DISTINCT user_agent), \
               count(DISTINCT referer), count(*), sum(bytes) FROM logs";
    let want = [
        clients.len() as u64,
        agents.len() as u64,
        referers.len() as u64,
        truth.rows,
        truth.bytes_sum as u64,
    ]
    .map(|n| n.to_string());
    let path = log.display().to_string();
    for partitions in ["1", "2", "7"] {
        let run = logsql(&[
            &path,
            "--out-format",
            "csv",
            "--partitions",
            partitions,
            "-e",
            sql,
        ]);
        assert_eq!(run.csv_rows()[0], want, "{partitions} partitions");
    }
    let plan = logsql(&[&path, "-e", &format!("EXPLAIN {sql}")]);
    assert!(
        plan.ok().contains("count_distinct_parallel"),
        "{}",
        plan.ok()
    );
}

/// A value that is no row count, for a placeholder that is a LIMIT, is an error naming the
/// parameter (it was DataFusion's "Expected LIMIT to be an integer", naming none).
#[test]
fn a_limit_parameter_must_be_a_row_count() {
    let dir = Scratch::new("limit-param");
    let (log, _) = dir.generated("access.log", &logsql::generate::GenOptions::default());
    for bad in ["abc", "-1", "2.5", "18446744073709551615"] {
        let run = run_query(&log, "top_404", &["--param", &format!("limit={bad}")]);
        assert_eq!(run.status, 1, "{}", run.stderr);
        assert!(
            run.stderr
                .contains(&format!("--param limit={bad}: $limit is a LIMIT")),
            "{}",
            run.stderr
        );
    }
    for good in ["2", "02", " 2"] {
        let run = run_query(&log, "top_404", &["--param", &format!("limit={good}")]);
        assert_eq!(run.csv_rows().len(), 2, "{good}: {}", run.stderr);
    }
}
