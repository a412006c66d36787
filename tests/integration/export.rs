//! `-o FILE` exports, `COPY ... TO`, and `logsql report`.

use std::path::Path;

use datafusion::prelude::{ParquetReadOptions, SessionContext};
use logsql::{register_log, FormatChoice};

use crate::queries::generated;
use crate::util::{logsql, Scratch};

fn run(log: &Path, extra: &[&str]) -> crate::util::Run {
    let log = log.display().to_string();
    let mut args = vec![log.as_str()];
    args.extend_from_slice(extra);
    logsql(&args)
}

/// Files in `dir` (to check that nothing, not even a temporary file, was left behind).
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn csv_export_round_trips_quotes_commas_and_newlines() {
    let dir = Scratch::new("export-csv");
    let (log, _, rows) = generated(&dir, 1500, 21);
    let out = dir.path("out.csv");
    let sql = "SELECT client, uri, status, bytes, referer, user_agent FROM logs \
               UNION ALL SELECT 'multi' || chr(10) || 'line', 'a,b', 0, NULL, 'say \"hi\"', ''";
    let run = run(&log, &["-e", sql, "-o", out.to_str().unwrap()]);
    run.ok();
    assert!(
        run.stderr
            .contains(&format!("wrote {} rows", rows.len() + 1)),
        "{}",
        run.stderr
    );
    let mut reader = csv::Reader::from_path(&out).unwrap();
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["client", "uri", "status", "bytes", "referer", "user_agent"]
    );
    let mut got: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut want: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.client.clone(),
                opt(&r.uri),
                r.status.to_string(),
                r.bytes.map(|b| b.to_string()).unwrap_or_default(),
                opt(&r.referer),
                opt(&r.user_agent),
            ]
        })
        .collect();
    want.push(vec![
        "multi\nline".into(),
        "a,b".into(),
        "0".into(),
        "".into(),
        "say \"hi\"".into(),
        "".into(),
    ]);
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert!(want
        .iter()
        .any(|r| r[5].contains(", like Gecko") && r[5].contains("KHTML")));
    assert!(want.iter().any(|r| r[5].contains("\"quoted\"")));
}

#[test]
fn parquet_export_round_trips_rows_and_types() {
    let dir = Scratch::new("export-parquet");
    let (log, truth, _) = generated(&dir, 3000, 22);
    let out = dir.path("all.parquet");
    run(
        &log,
        &["-e", "SELECT * FROM logs", "-o", out.to_str().unwrap()],
    )
    .ok();

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // DataFusion reads Parquet strings as Utf8View by default; ask for the stored types.
        let config = datafusion::prelude::SessionConfig::new().set_bool(
            "datafusion.execution.parquet.schema_force_view_types",
            false,
        );
        let ctx = SessionContext::new_with_config(config);
        register_log(&ctx, "logs", std::slice::from_ref(&log), FormatChoice::Auto).unwrap();
        ctx.register_parquet("p", out.to_str().unwrap(), ParquetReadOptions::default())
            .await
            .unwrap();
        // The library's table also has the hidden _file/_line (only the CLI rewrites `*`).
        let original = ctx
            .sql("SELECT * EXCLUDE (_file, _line) FROM logs")
            .await
            .unwrap();
        let back = ctx
            .read_parquet(out.to_str().unwrap(), ParquetReadOptions::default())
            .await
            .unwrap();
        let types = |s: &datafusion::common::DFSchema| -> Vec<(String, String)> {
            s.fields()
                .iter()
                .map(|f| (f.name().clone(), f.data_type().to_string()))
                .collect()
        };
        assert_eq!(types(back.schema()), types(original.schema()));
        let order = "ORDER BY ts, client, request, status, bytes, referer, user_agent, remote_user";
        let a = ctx
            .sql(&format!(
                "SELECT * EXCLUDE (_file, _line) FROM logs {order}"
            ))
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let b = ctx
            .sql(&format!("SELECT * FROM p {order}"))
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let a = arrow::util::pretty::pretty_format_batches(&a)
            .unwrap()
            .to_string();
        let b = arrow::util::pretty::pretty_format_batches(&b)
            .unwrap()
            .to_string();
        assert!(a == b, "parquet rows differ");
        let n = ctx
            .sql("SELECT count(*) FROM p")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let n = arrow::util::pretty::pretty_format_batches(&n)
            .unwrap()
            .to_string();
        assert!(n.contains(&format!("| {} ", truth.rows)), "{n}");
    });
}

#[test]
fn other_formats_by_extension_and_out_format() {
    let dir = Scratch::new("export-formats");
    let (log, truth, _) = generated(&dir, 300, 23);
    let sql = "SELECT count(*) AS n FROM logs";
    for (name, want) in [
        ("a.json", format!("[{{\"n\":{}}}]", truth.rows)),
        ("a.ndjson", format!("{{\"n\":{}}}\n", truth.rows)),
        ("a.jsonl", format!("{{\"n\":{}}}\n", truth.rows)),
        ("a.tsv", format!("n\n{}\n", truth.rows)),
    ] {
        let out = dir.path(name);
        run(&log, &["-e", sql, "-o", out.to_str().unwrap()]).ok();
        assert_eq!(
            std::fs::read_to_string(&out).unwrap().trim_end(),
            want.trim_end(),
            "{name}"
        );
    }
    // An unknown extension needs --out-format.
    let out = dir.path("a.dat");
    let r = run(&log, &["-e", sql, "-o", out.to_str().unwrap()]);
    assert_eq!(r.status, 1);
    assert!(r.stderr.contains("--out-format"), "{}", r.stderr);
    run(
        &log,
        &[
            "-e",
            sql,
            "-o",
            out.to_str().unwrap(),
            "--out-format",
            "csv",
        ],
    )
    .ok();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!("n\n{}\n", truth.rows)
    );
    // Parquet never goes to stdout.
    let r = run(&log, &["-e", sql, "--out-format", "parquet"]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("-o"), "{}", r.stderr);
    // With several statements, earlier results print and the last one is written.
    let out = dir.path("last.csv");
    let r = run(
        &log,
        &[
            "-e",
            "SELECT 1 AS one; SELECT 2 AS two",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert!(r.ok().contains("one"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "two\n2\n");
    // A bundled query exports the same way.
    let out = dir.path("status.csv");
    run(&log, &["-f", "status_summary", "-o", out.to_str().unwrap()]).ok();
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let total: u64 = reader
        .records()
        .map(|r| r.unwrap()[1].parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, truth.rows);
}

#[test]
fn existing_files_are_kept_without_force() {
    let dir = Scratch::new("export-force");
    let (log, truth, _) = generated(&dir, 200, 24);
    let out = dir.write("out.csv", b"precious\n");
    let r = run(
        &log,
        &[
            "-e",
            "SELECT count(*) AS n FROM logs",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.status, 1);
    assert!(
        r.stderr.contains("already exists") && r.stderr.contains("--force"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "precious\n");
    run(
        &log,
        &[
            "-e",
            "SELECT count(*) AS n FROM logs",
            "-o",
            out.to_str().unwrap(),
            "--force",
        ],
    )
    .ok();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!("n\n{}\n", truth.rows)
    );
    assert_eq!(listing(&dir.0), ["access.log", "out.csv"]);
}

/// An exported file has the permissions any new file gets (not a temporary file's 0600), a
/// replaced file keeps its own, a link is written through, and `/dev/stdout` redirected to
/// a file is written there.
#[cfg(unix)]
#[test]
fn output_files_permissions_links_and_dev_stdout() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Scratch::new("export-modes");
    let (log, _, _) = generated(&dir, 50, 3);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let plain = dir.write("plain", b"");
    let out = dir.path("out.csv");
    let sql = |n: u32| format!("SELECT {n} AS n");
    let export = |n, target: &Path, extra: &[&str]| {
        let (sql, target) = (sql(n), target.to_str().unwrap().to_string());
        let mut args = vec!["-e", sql.as_str(), "-o", target.as_str()];
        args.extend_from_slice(extra);
        run(&log, &args).ok().to_string()
    };
    export(1, &out, &[]);
    assert_eq!(mode(&out), mode(&plain));
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).unwrap();
    export(2, &out, &["--force"]);
    assert_eq!(mode(&out), 0o640);
    let link = dir.path("link.csv");
    std::os::unix::fs::symlink(&out, &link).unwrap();
    export(3, &link, &["--force"]);
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "n\n3\n");

    let redirected = std::fs::File::create(dir.path("stdout.csv")).unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_logsql"))
        .args([log.to_str().unwrap(), "-e", &sql(4), "-o", "/dev/stdout"])
        .args(["--out-format", "csv"])
        .stdout(redirected)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        std::fs::read_to_string(dir.path("stdout.csv")).unwrap(),
        "n\n4\n"
    );
}

#[test]
fn write_errors_are_one_line_and_leave_no_file() {
    let dir = Scratch::new("export-errors");
    let (log, _, _) = generated(&dir, 500, 25);
    // A full disk.
    let r = run(
        &log,
        &[
            "-e",
            "SELECT * FROM logs",
            "-o",
            "/dev/full",
            "--out-format",
            "csv",
        ],
    );
    assert_eq!(r.status, 1);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.starts_with("logsql: error:") && r.stderr.contains("No space left on device"),
        "{}",
        r.stderr
    );

    // A directory that cannot be written (as root, permissions do not stop us: use /proc).
    let locked = dir.path("locked");
    std::fs::create_dir(&locked).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
    let probe = locked.join("probe");
    let target = if std::fs::write(&probe, b"").is_ok() {
        std::fs::remove_file(&probe).unwrap();
        Path::new("/proc/logsql-export-test.csv").to_path_buf()
    } else {
        locked.join("out.csv")
    };
    let r = run(
        &log,
        &["-e", "SELECT * FROM logs", "-o", target.to_str().unwrap()],
    );
    assert_eq!(r.status, 1);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("cannot write"), "{}", r.stderr);
    assert!(!target.exists());
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();

    // A directory that does not exist.
    let r = run(
        &log,
        &[
            "-e",
            "SELECT 1",
            "-o",
            dir.path("nope/out.csv").to_str().unwrap(),
        ],
    );
    assert_eq!(r.status, 1);
    assert!(r.stderr.contains("cannot write"), "{}", r.stderr);

    // A query that fails half-way: nothing under the target name, no temporary file left.
    let out = dir.path("half.csv");
    let r = run(
        &log,
        &[
            "-e",
            "SELECT uri, CAST(CASE WHEN status = 404 THEN 'x' ELSE '1' END AS INT) FROM logs",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.status, 1, "{}", r.stdout);
    assert!(!out.exists());
    assert_eq!(listing(&dir.0), ["access.log", "locked"]);
}

#[test]
fn copy_to_writes_csv_json_and_parquet() {
    let dir = Scratch::new("copy-to");
    let (log, truth, _) = generated(&dir, 1000, 26);
    let csv_out = dir.path("status.csv");
    let pq_out = dir.path("status.parquet");
    let json_out = dir.path("status.json");
    let sql = format!(
        "COPY (SELECT status, count(*) AS n FROM logs GROUP BY status ORDER BY status) TO '{}'; \
         COPY (SELECT status, count(*) AS n FROM logs GROUP BY status ORDER BY status) TO '{}'; \
         COPY (SELECT status, count(*) AS n FROM logs GROUP BY status ORDER BY status) TO '{}'",
        csv_out.display(),
        pq_out.display(),
        json_out.display()
    );
    run(&log, &["-e", &sql]).ok();
    let mut reader = csv::Reader::from_path(&csv_out).unwrap();
    let got: Vec<(i32, u64)> = reader
        .records()
        .map(|r| r.unwrap())
        .map(|r| (r[0].parse().unwrap(), r[1].parse().unwrap()))
        .collect();
    let want: Vec<(i32, u64)> = truth.status.iter().map(|(s, n)| (*s, *n)).collect();
    assert_eq!(got, want);
    assert!(std::fs::read_to_string(&json_out)
        .unwrap()
        .contains("\"status\":200"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ctx = SessionContext::new();
        let df = ctx
            .read_parquet(pq_out.to_str().unwrap(), ParquetReadOptions::default())
            .await
            .unwrap();
        assert_eq!(df.count().await.unwrap(), truth.status.len());
    });
}

/// 1234567 -> "1,234,567", as the report prints counts.
fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn report_text_and_html() {
    let dir = Scratch::new("report");
    let opts = logsql::generate::GenOptions {
        lines: 3000,
        seed: 27,
        ..Default::default()
    };
    let (log, truth) = dir.generated("access.log", &opts);
    let r = logsql(&["report", log.to_str().unwrap()]);
    let text = r.ok();
    assert!(
        text.contains(&format!("requests          {}", group(truth.rows))),
        "{text}"
    );
    assert!(
        text.contains(&format!("rejected lines    {}", truth.rejects)),
        "{text}"
    );
    assert!(
        text.contains("Top 404s") && text.contains("Errors per hour"),
        "{text}"
    );

    let html = dir.path("report.html");
    logsql(&[
        "report",
        log.to_str().unwrap(),
        "-o",
        html.to_str().unwrap(),
    ])
    .ok();
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(
        page.contains(&format!("<div class=\"value\">{}</div>", group(truth.rows))),
        "requests total"
    );
    assert!(
        page.contains(&format!(
            "<div class=\"note\">{}</div>",
            group(truth.bytes_sum as u64)
        )),
        "bytes total"
    );
    assert!(
        page.contains(&format!("<div class=\"value\">{}</div>", truth.rejects)),
        "rejects"
    );
    assert!(page.contains("<svg") && page.contains("Top 404s") && page.contains("Status classes"));
    assert!(
        !page.contains("<script") && !page.contains("src="),
        "self-contained: no scripts, nothing fetched"
    );
    // No overwrite without --force.
    let again = logsql(&[
        "report",
        log.to_str().unwrap(),
        "-o",
        html.to_str().unwrap(),
    ]);
    assert_eq!(again.status, 1);
    logsql(&[
        "report",
        log.to_str().unwrap(),
        "-o",
        html.to_str().unwrap(),
        "--force",
    ])
    .ok();
}

/// A report over damaged compressed input says so on its page, as stderr and the exit status
/// do: its figures cover only the lines before the damage.
#[test]
fn report_names_damaged_input() {
    use std::io::Write;
    let dir = Scratch::new("report-damaged");
    let (log, _) = dir.generated("access.log", &logsql::generate::GenOptions::default());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read(&log).unwrap()).unwrap();
    let gz = gz.finish().unwrap();
    let cut = dir.write("access.log.gz", &gz[..gz.len() / 2]);
    let text = logsql(&["report", cut.to_str().unwrap()]);
    assert_eq!(text.status, 3, "{}", text.stderr);
    assert!(
        text.stdout.contains("damaged input     ") && text.stdout.contains("access.log.gz"),
        "{}",
        text.stdout
    );
    let html = dir.path("report.html");
    let page = logsql(&[
        "report",
        cut.to_str().unwrap(),
        "-o",
        html.to_str().unwrap(),
    ]);
    assert_eq!(page.status, 3, "{}", page.stderr);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("Damaged input:</strong>"), "{page}");
}

/// W3C and nginx JSON logs name their columns otherwise (`path`, `remote_addr`,
/// `body_bytes_sent`, the URI inside `request`): the report finds them and gives the same
/// totals; an application log without status, bytes or clients gets the parts it can have.
#[test]
fn report_reads_w3c_json_and_app_logs() {
    use logsql::generate::GenFormat;
    let dir = Scratch::new("report-formats");
    for format in [GenFormat::W3c, GenFormat::Json] {
        let opts = logsql::generate::GenOptions {
            lines: 2000,
            seed: 31,
            format,
            ..Default::default()
        };
        let (log, truth) = dir.generated(&format!("{}.log", format.name()), &opts);
        let text = logsql(&["report", log.to_str().unwrap()]).ok().to_string();
        let errors = |class: std::ops::RangeInclusive<i32>| {
            truth.status.range(class).map(|(_, n)| n).sum::<u64>()
        };
        for expected in [
            format!("requests          {}", group(truth.rows)),
            format!("bytes             {} (", group(truth.bytes_sum as u64)),
            format!("rejected lines    {}", truth.rejects),
            format!(
                "4xx / 5xx         {} / {}",
                group(errors(400..=499)),
                group(errors(500..=599))
            ),
        ] {
            assert!(
                text.contains(&expected),
                "{}: {expected}\n{text}",
                format.name()
            );
        }
        let section = &text[text.find("Top 404s").unwrap()..];
        let first: Vec<&str> = section.lines().nth(2).unwrap().split_whitespace().collect();
        // The URI comes with its query string, as `uri` gives it: W3C's joins cs-uri-stem
        // and cs-uri-query, JSON's comes out of `request`.
        let path = first[1].split('?').next().unwrap();
        assert!(truth.not_found_paths.contains_key(path), "{section}");
        assert!(!text.contains("no column for"), "{text}");
    }
    let app = dir.write(
        "app.json",
        b"{\"ts\":\"2026-11-30T10:00:00Z\",\"level\":\"info\",\"msg\":\"up\"}\n\
          {\"ts\":\"2026-11-30T11:30:00Z\",\"level\":\"warn\",\"msg\":\"slow\"}\n",
    );
    let text = logsql(&["report", app.to_str().unwrap()]).ok().to_string();
    assert!(text.contains("requests          2"), "{text}");
    assert!(
        text.contains("last request      2026-11-30 11:30:00 UTC"),
        "{text}"
    );
    assert!(
        text.contains("no column for     status, bytes, client, uri"),
        "{text}"
    );
    assert!(!text.contains("Top URIs"), "{text}");
    // Statuses without times still count; a column named like an alias changes nothing.
    let untimed = dir.write(
        "untimed.json",
        b"{\"key\":\"a\",\"uri\":\"/x\",\"status\":404}\n\
          {\"key\":\"b\",\"uri\":\"/x\",\"status\":404}\n\
          {\"key\":\"b\",\"uri\":\"/y\",\"status\":500}\n",
    );
    let text = logsql(&["report", untimed.to_str().unwrap()])
        .ok()
        .to_string();
    assert!(text.contains("4xx / 5xx         2 / 1"), "{text}");
    // No time column: no blank first and last request.
    assert!(!text.contains("first request"), "{text}");
    let top = &text[text.find("Top URIs").unwrap()..];
    assert_eq!(
        top.lines()
            .nth(2)
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["2", "/x"],
        "{top}"
    );
}

/// Ctrl-C while an export waits for piped input: exit status 130, no `-o` file, and neither
/// the export's temporary file nor standard input's spool left behind.
#[cfg(unix)]
#[test]
fn ctrl_c_during_an_export_leaves_no_file_behind() {
    use std::io::Write;
    use std::time::{Duration, Instant};
    let dir = Scratch::new("export-ctrl-c");
    let tmp = dir.path("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let out = dir.path("out.csv");
    let mut child = crate::util::spawn_piped(
        &["-", "-e", "SELECT * FROM logs", "-o", out.to_str().unwrap()],
        &[("TMPDIR", &tmp)],
    );
    // Some lines, and the pipe kept open: the query waits for the rest.
    let mut stdin = child.stdin.take().unwrap();
    let line =
        "10.0.0.1 - - [10/Oct/2023:13:55:36 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl\"\n";
    stdin.write_all(line.repeat(50).as_bytes()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    // The export's temporary file exists once the run has started (standard input's spool
    // has no name on Linux, so it is not waited for).
    while listing(dir.path("").as_path()).len() < 2 {
        assert!(Instant::now() < deadline, "the run did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    crate::util::signal(child.id(), "-INT");
    let run = crate::util::Run::of(child.wait_with_output().unwrap());
    drop(stdin);
    assert_eq!(run.status, 130, "{}", run.stderr);
    assert_eq!(
        listing(dir.path("").as_path()),
        ["tmp"],
        "no out.csv, no .out.csv.*.tmp"
    );
    assert!(listing(&tmp).is_empty(), "no spool: {:?}", listing(&tmp));
}
