//! Embedding and SQL-level log tables: the built examples (`embed`, `udf`) checked against
//! answers computed another way, `read_log(...)` and `CREATE EXTERNAL TABLE ... STORED AS
//! LOG` through the real binary (`-e` and piped statements), their errors, and the log
//! functions on the real nginx fixture.

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

use logsql::generate::GenOptions;

use crate::util::{logsql, logsql_piped, query_csv, real_fixture, Run, Scratch};

fn bundled_log() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/access.log")
}

/// Runs a built example (`cargo test` builds them beside the binary, in `examples/`).
fn example(name: &str, args: &[&str]) -> Run {
    let bin = Path::new(env!("CARGO_BIN_EXE_logsql"))
        .parent()
        .unwrap()
        .join("examples")
        .join(name);
    let out = Command::new(&bin).args(args).output().unwrap_or_else(|e| {
        panic!(
            "run {}: {e} (a plain `cargo test` builds the examples)",
            bin.display()
        )
    });
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `logsql ARGS` with `stdin` piped in.
fn piped(args: &[&str], stdin: &str) -> Run {
    let mut args = args.to_vec();
    args.push("--no-history");
    logsql_piped(&args, &[], stdin)
}

/// The value after `label: ` on its own line of `text`.
fn labelled(text: &str, label: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(label)?.strip_prefix(": "))
        .unwrap_or_else(|| panic!("no '{label}:' line in:\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

/// The data rows of the aligned table printed after the line `title:` (header excluded).
fn table_after(text: &str, title: &str) -> Vec<Vec<String>> {
    let mut lines = text
        .lines()
        .skip_while(|l| *l != format!("{title}:"))
        .skip(1);
    let mut rows = Vec::new();
    let mut borders = 0;
    for line in lines.by_ref() {
        if line.starts_with('+') {
            borders += 1;
            if borders == 3 {
                break;
            }
            continue;
        }
        if borders == 2 {
            rows.push(
                line.trim_matches('|')
                    .split('|')
                    .map(|c| c.trim().to_string())
                    .collect(),
            );
        }
    }
    assert!(borders >= 2, "no table after '{title}:' in:\n{text}");
    rows
}

/// A one-value CSV query through the command line.
fn count_of(files: &[&Path], sql: &str) -> u64 {
    query_csv(files, &[], sql).csv_rows()[0][0].parse().unwrap()
}

fn quoted(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "''"))
}

#[test]
fn embed_example_agrees_with_the_file_and_the_command_line() {
    let log = bundled_log();
    let run = example("embed", &[]);
    let out = run.ok();
    let rows = labelled(out, "rows");
    let rejected = labelled(out, "rejected lines");
    // Every non-empty line of the file is a row or a rejected line.
    let text = String::from_utf8_lossy(&std::fs::read(&log).unwrap()).into_owned();
    let lines = text.lines().filter(|l| !l.is_empty()).count() as u64;
    assert_eq!(rows + rejected, lines);
    assert!(rejected > 0, "the bundled log has bad lines");
    assert_eq!(rows, count_of(&[&log], "SELECT count(*) FROM logs"));
    assert_eq!(
        rejected,
        count_of(&[&log], "SELECT count(*) FROM logs_rejects")
    );
    let expected = query_csv(
        &[&log],
        &[],
        "SELECT status, count(*) AS hits, sum(bytes) AS bytes FROM logs \
         GROUP BY status ORDER BY hits DESC, status LIMIT 5",
    )
    .csv_rows();
    assert_eq!(table_after(out, "top statuses"), expected);
    let first_rejects = table_after(out, "first rejected lines");
    assert_eq!(first_rejects.len(), 3);
    let expected_rejects = query_csv(
        &[&log],
        &[],
        "SELECT line_number, reason FROM logs_rejects ORDER BY line_number LIMIT 3",
    )
    .csv_rows();
    assert_eq!(first_rejects, expected_rejects);
}

/// What the generator's user agents are, written down by hand: (fragment, browser, bot).
const KNOWN_AGENTS: [(&str, Option<&str>, bool); 8] = [
    ("Chrome/120.0.0.0 Safari", Some("Chrome"), false),
    ("Firefox/121.0", Some("Firefox"), false),
    ("iPhone OS 17_2", Some("Safari"), false),
    ("Googlebot/2.1", Some("Googlebot"), true),
    ("bingbot/2.0", Some("bingbot"), true),
    ("curl/8.5.0", Some("HTTP Library"), true),
    ("python-requests/2.31.0", None, true),
    ("(evil;", None, false),
];

fn known_agent(agent: &str) -> (Option<&'static str>, bool) {
    KNOWN_AGENTS
        .iter()
        .find(|(fragment, _, _)| agent.contains(fragment))
        .map(|(_, browser, bot)| (*browser, *bot))
        .unwrap_or_else(|| panic!("user agent not in the hand-written table: {agent}"))
}

/// Requests per user agent (empty for NULL), through the command line's plain GROUP BY.
fn agents(log: &Path) -> Vec<(String, u64)> {
    query_csv(
        &[log],
        &[],
        "SELECT coalesce(user_agent, '') AS ua, count(*) FROM logs GROUP BY ua",
    )
    .csv_rows()
    .into_iter()
    .map(|r| (r[0].clone(), r[1].parse().unwrap()))
    .collect()
}

#[test]
fn udf_example_agrees_with_hand_classified_agents_and_masked_addresses() {
    let log = bundled_log();
    let run = example("udf", &[]);
    let out = run.ok();

    // Top browsers: the per-agent counts, classified by the table above.
    let mut browsers: BTreeMap<String, u64> = BTreeMap::new();
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    for (agent, n) in agents(&log) {
        let (browser, bot) = if agent.is_empty() {
            (None, false)
        } else {
            known_agent(&agent)
        };
        *browsers
            .entry(browser.unwrap_or("(unknown)").to_string())
            .or_default() += n;
        let kind = match (agent.is_empty(), bot) {
            (true, _) => "no user agent",
            (false, true) => "bot",
            (false, false) => "human",
        };
        *kinds.entry(kind.to_string()).or_default() += n;
    }
    let shown: BTreeMap<String, u64> = table_after(out, "top browsers")
        .into_iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap()))
        .collect();
    assert_eq!(shown, browsers);
    let shown_kinds: BTreeMap<String, u64> = table_after(out, "bots vs humans")
        .into_iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap()))
        .collect();
    assert_eq!(shown_kinds, kinds);

    // Clients in 66.0.0.0/8, by masking each client address in the test.
    let net = u32::from(Ipv4Addr::new(66, 0, 0, 0));
    let mut expected: Vec<(String, u64)> = query_csv(
        &[&log],
        &[],
        "SELECT client, count(*) FROM logs GROUP BY client",
    )
    .csv_rows()
    .into_iter()
    .filter(|r| {
        r[0].parse::<Ipv4Addr>()
            .is_ok_and(|ip| u32::from(ip) & 0xff00_0000 == net)
    })
    .map(|r| (r[0].clone(), r[1].parse().unwrap()))
    .collect();
    expected.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    assert!(!expected.is_empty(), "the bundled log has clients in 66/8");
    let shown: Vec<(String, u64)> = table_after(out, "clients in 66.0.0.0/8")
        .into_iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap()))
        .collect();
    assert_eq!(shown, expected);
}

fn generated(
    dir: &Scratch,
    name: &str,
    lines: u64,
    seed: u64,
) -> (PathBuf, logsql::generate::Truth) {
    dir.generated(
        name,
        &GenOptions {
            lines,
            seed,
            ..GenOptions::default()
        },
    )
}

#[test]
fn read_log_in_from_with_and_without_a_format_and_its_rejects() {
    let dir = Scratch::new("read_log");
    let (log, truth) = generated(&dir, "a.log", 2000, 7);
    let sql = format!(
        "SELECT (SELECT count(*) FROM read_log({p})) AS rows, \
                (SELECT count(*) FROM read_log({p}, 'combined')) AS combined_rows, \
                (SELECT count(*) FROM read_log_rejects({p})) AS rejects",
        p = quoted(&log)
    );
    let rows = query_csv(&[], &[], &sql).csv_rows();
    assert_eq!(
        rows,
        [[
            truth.rows.to_string(),
            truth.rows.to_string(),
            truth.rejects.to_string()
        ]]
    );
    // Status counts through read_log equal the generator's.
    let by_status = query_csv(
        &[],
        &[],
        &format!(
            "SELECT status, count(*) FROM read_log({}) WHERE status IS NOT NULL GROUP BY status ORDER BY status",
            quoted(&log)
        ),
    )
    .csv_rows();
    let expected: Vec<Vec<String>> = truth
        .status
        .iter()
        .map(|(s, n)| vec![s.to_string(), n.to_string()])
        .collect();
    assert_eq!(by_status, expected);
    // A glob, and SELECT * leaves the hidden columns out as for `logs`.
    let glob = dir.0.join("*.log");
    let run = query_csv(
        &[],
        &[],
        &format!("SELECT * FROM read_log({}) LIMIT 1", quoted(&glob)),
    );
    let header = run.ok().lines().next().unwrap().to_string();
    assert!(
        header.starts_with("client,") && !header.contains("_file"),
        "{header}"
    );
}

/// Lines `read_log` skipped are reported as for `logs`, with the query that lists them.
#[test]
fn read_log_reports_the_lines_it_skipped() {
    let dir = Scratch::new("read_log_skipped");
    let (log, truth) = generated(&dir, "a.log", 2000, 9);
    assert!(truth.rejects > 1);
    let run = query_csv(
        &[],
        &[],
        &format!(
            "SELECT count(*) FROM read_log({}, 'combined')",
            quoted(&log)
        ),
    );
    assert_eq!(run.csv_rows(), [[truth.rows.to_string()]]);
    let said = format!(
        "logsql: skipped {} lines of read_log({}, 'combined') that did not parse as combined; see them with: SELECT * FROM read_log_rejects({}, 'combined')",
        truth.rejects,
        quoted(&log),
        quoted(&log)
    );
    assert!(run.stderr.contains(&said), "{}", run.stderr);
    // The query it suggests lists exactly those lines.
    let listed = query_csv(
        &[],
        &[],
        &format!(
            "SELECT count(*) FROM read_log_rejects({}, 'combined')",
            quoted(&log)
        ),
    );
    assert_eq!(listed.csv_rows(), [[truth.rejects.to_string()]]);
    // Damage cut short in a read_log table is named too.
    let gz = dir.0.join("cut.log.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut encoder, &std::fs::read(&log).unwrap()).unwrap();
    let bytes = encoder.finish().unwrap();
    std::fs::write(&gz, &bytes[..bytes.len() / 2]).unwrap();
    let run = query_csv(
        &[],
        &[],
        &format!("SELECT count(*) FROM read_log({}, 'combined')", quoted(&gz)),
    );
    let warning = format!("logsql: warning: {}", gz.display());
    assert!(
        run.stderr.contains(&warning) && run.stderr.contains("damaged"),
        "{}",
        run.stderr
    );
    assert_eq!(run.status, 3, "partial answer: {}", run.stderr);
    // ... and so is damage in a table that SQL created.
    let sql = format!(
        "CREATE EXTERNAL TABLE cut STORED AS LOG LOCATION {} OPTIONS ('format' 'combined');\n\
         SELECT count(*) AS n FROM cut;\n",
        quoted(&gz)
    );
    let run = piped(&["--out-format", "csv"], &sql);
    assert!(
        run.stderr.contains(&warning) && run.stderr.contains("damaged"),
        "{}",
        run.stderr
    );
    assert_eq!(run.status, 3, "partial answer: {}", run.stderr);
}

#[test]
fn a_join_of_two_read_log_calls() {
    let dir = Scratch::new("read_log_join");
    let (a, _) = generated(&dir, "a.log", 1500, 11);
    let (b, _) = generated(&dir, "b.log", 1500, 12);
    // Expected: per-client counts of each file (the plain command line), multiplied.
    let per_client = |log: &Path| -> HashMap<String, u64> {
        query_csv(
            &[log],
            &[],
            "SELECT client, count(*) FROM logs GROUP BY client",
        )
        .csv_rows()
        .into_iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap()))
        .collect()
    };
    let (ca, cb) = (per_client(&a), per_client(&b));
    let expected: u64 = ca
        .iter()
        .filter_map(|(client, n)| cb.get(client).map(|m| n * m))
        .sum();
    assert!(expected > 0, "the two generated logs share clients");
    let sql = format!(
        "SELECT count(*) FROM read_log({}) x JOIN read_log({}, 'combined') y ON x.client = y.client",
        quoted(&a),
        quoted(&b)
    );
    assert_eq!(count_of(&[], &sql), expected);
}

#[test]
fn create_external_table_stored_as_log_with_e_and_piped() {
    let dir = Scratch::new("create_external");
    let (log, truth) = generated(&dir, "access.log", 1200, 5);
    let create = format!(
        "CREATE EXTERNAL TABLE access STORED AS LOG LOCATION {} OPTIONS ('format' 'combined')",
        quoted(&log)
    );
    // -e: several statements in order, no path on the command line.
    let run = logsql(&[
        "--out-format",
        "csv",
        "-e",
        &format!(
            "{create}; SELECT count(*) AS n FROM access; SELECT count(*) AS r FROM access_rejects; SELECT * FROM access LIMIT 1"
        ),
    ]);
    let out = run.ok();
    assert!(
        out.contains(&format!("n\n{}\n", truth.rows)),
        "{out}\n{}",
        run.stderr
    );
    assert!(out.contains(&format!("r\n{}\n", truth.rejects)), "{out}");
    // The rejects are reported as for a table opened on the command line.
    assert!(
        run.stderr.contains(&format!(
            "skipped {} lines that did not parse as combined; see them with: SELECT * FROM access_rejects",
            truth.rejects
        )),
        "{}",
        run.stderr
    );
    let header = out.lines().find(|l| l.starts_with("client,")).unwrap();
    assert!(!header.contains("_line"), "{header}");

    // Piped statements, with a glob location and the directory option.
    let dir_sql = format!(
        "CREATE EXTERNAL TABLE logs2 STORED AS LOG LOCATION {} OPTIONS ('include' '*.log', 'rejects' 'bad');\n\
         SELECT count(*) AS n FROM logs2;\nSELECT count(*) AS r FROM bad;\n",
        quoted(&dir.0)
    );
    let run = piped(&["--out-format", "csv"], &dir_sql);
    let out = run.ok();
    assert!(
        out.contains(&format!("n\n{}\n", truth.rows)),
        "{out}\n{}",
        run.stderr
    );
    assert!(out.contains(&format!("r\n{}\n", truth.rejects)), "{out}");
    // The hint names the rejects table the options chose, or none.
    assert!(
        run.stderr.contains("see them with: SELECT * FROM bad\n"),
        "{}",
        run.stderr
    );
    let none = piped(
        &["--out-format", "csv"],
        &dir_sql
            .replace("'bad'", "'none'")
            .replace("SELECT count(*) AS r FROM bad;", ""),
    );
    none.ok();
    assert!(
        none.stderr.contains(&format!(
            "skipped {} lines that did not parse as combined\n",
            truth.rejects
        )),
        "{}",
        none.stderr
    );
    // A table name SQL must quote is quoted in the hint.
    let run = logsql(&[
        log.to_str().unwrap(),
        "--table",
        "my-logs",
        "-e",
        "SELECT count(*) FROM \"my-logs\"",
    ]);
    run.ok();
    assert!(
        run.stderr.contains("SELECT * FROM \"my-logs_rejects\""),
        "{}",
        run.stderr
    );
    // A name SQL folds is reported once, folded.
    let run = logsql(&[
        log.to_str().unwrap(),
        "--table",
        "MyLogs",
        "-e",
        "SELECT count(*) FROM mylogs",
    ]);
    run.ok();
    assert_eq!(run.stderr.matches("skipped").count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("SELECT * FROM mylogs_rejects"),
        "{}",
        run.stderr
    );
}

#[track_caller]
fn one_line_failure(run: &Run, needles: &[&str]) {
    assert_eq!(
        run.status, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let stderr = run.stderr.trim_end();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("logsql: error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "'{needle}' not in: {stderr}");
    }
}

#[test]
fn bad_paths_formats_and_arguments_are_one_line_errors() {
    let dir = Scratch::new("read_log_errors");
    let missing = dir.path("missing.log");
    one_line_failure(
        &logsql(&[
            "-e",
            &format!("SELECT * FROM read_log({})", quoted(&missing)),
        ]),
        &["read_log", "missing.log"],
    );
    one_line_failure(
        &logsql(&[
            "-e",
            &format!("SELECT * FROM read_log({})", quoted(&dir.path("*.nothing"))),
        ]),
        &["read_log", "no files match"],
    );
    let log = dir.write(
        "a.log",
        b"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1\n",
    );
    one_line_failure(
        &logsql(&[
            "-e",
            &format!("SELECT * FROM read_log({}, 'yaml')", quoted(&log)),
        ]),
        &["read_log", "unknown format 'yaml'"],
    );
    one_line_failure(
        &logsql(&["-e", "SELECT * FROM read_log(42)"]),
        &["read_log", "text literals"],
    );
    one_line_failure(
        &logsql(&[
            "-e",
            &format!(
                "CREATE EXTERNAL TABLE t STORED AS LOG LOCATION {} OPTIONS ('colour' 'red')",
                quoted(&log)
            ),
        ]),
        &["unknown option 'colour'", "format"],
    );
    one_line_failure(
        &logsql(&[
            "-e",
            &format!(
                "CREATE EXTERNAL TABLE t STORED AS LOG LOCATION {}",
                quoted(&missing)
            ),
        ]),
        &["missing.log"],
    );
    // Piped: the failing statement is reported and the next one still runs.
    let run = piped(
        &["--out-format", "csv"],
        &format!(
            "SELECT * FROM read_log({});\nSELECT count(*) AS n FROM read_log({});\n",
            quoted(&missing),
            quoted(&log)
        ),
    );
    assert_eq!(run.status, 1);
    assert!(run.stdout.contains("n\n1\n"), "{}", run.stdout);
    assert!(
        run.stderr.contains("missing.log") && !run.stderr.contains("panicked"),
        "{}",
        run.stderr
    );
}

/// Bots in the real nginx log: every user agent that names itself a bot or crawler, plus
/// none other (its humans are browsers and Android apps).
#[test]
fn functions_on_the_real_nginx_log() {
    let Some(log) = real_fixture("nginx_main_shop.log") else {
        return;
    };
    let text = std::fs::read_to_string(&log).unwrap();
    let mut expected_bots = 0u64;
    let mut googlebot = 0u64;
    for line in text.lines() {
        let agent = line.split('"').nth(5).unwrap_or("");
        let lower = agent.to_ascii_lowercase();
        if lower.contains("bot") || lower.contains("crawl") {
            expected_bots += 1;
        }
        // Googlebot, its smartphone crawler and Googlebot-Image.
        if agent.contains("Googlebot") {
            googlebot += 1;
        }
    }
    let rows = query_csv(
        &[],
        &[],
        &format!(
            "SELECT count(*) FILTER (WHERE is_bot(user_agent)) AS bots, \
                    count(*) FILTER (WHERE ua_browser(user_agent) = 'Googlebot') AS googlebot \
             FROM read_log({})",
            quoted(&log)
        ),
    )
    .csv_rows();
    assert_eq!(rows, [[expected_bots.to_string(), googlebot.to_string()]]);
}

#[test]
fn custom_format_example_defines_checks_and_uses_a_format() {
    let out = example("custom_format", &[]).ok().to_string();
    assert!(out.contains("failed: 0"), "{out}");
    assert!(
        out.contains("columns: client text, ts timestamp, request text, method text"),
        "{out}"
    );
    assert!(out.contains("status int32"), "{out}");
    // Server errors per method, as the built-in combined format counts them.
    let log = bundled_log();
    let want = query_csv(
        &[&log],
        &[],
        "SELECT method, count(*) FROM logs WHERE status >= 500 GROUP BY method ORDER BY 2 DESC, 1",
    )
    .csv_rows();
    assert!(!want.is_empty());
    for row in want {
        let (method, n) = (&row[0], &row[1]);
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("| {method} ")))
            .unwrap_or_else(|| panic!("{method} missing: {out}"));
        assert!(
            line.contains(&format!("| {n} ")) || line.trim_end().ends_with(&format!(" {n} |")),
            "{line} vs {n}"
        );
    }
}
