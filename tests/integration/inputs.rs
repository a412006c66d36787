//! Many files, directories, globs, compressed files and stdin: one table, same answers.

use std::io::Write;
use std::path::Path;

use logsql::generate::GenOptions;

use crate::util::{logsql_in, logsql_piped, query_csv, spawn_piped, Run, Scratch};

const QUERIES: [&str; 3] = [
    "SELECT count(*), sum(bytes), min(ts), max(ts), count(DISTINCT client) FROM logs",
    "SELECT status, count(*) FROM logs GROUP BY status ORDER BY status",
    "SELECT count(*), min(reason), count(DISTINCT line) FROM logs_rejects",
];

fn answers(paths: &[&Path], extra: &[&str]) -> Vec<Vec<Vec<String>>> {
    QUERIES
        .iter()
        .map(|q| query_csv(paths, extra, q).csv_rows())
        .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Writes the rotations of one log: plain, multi-member gzip, zstd, bzip2, xz.
fn rotations(dir: &Scratch) -> Vec<Vec<u8>> {
    let parts: Vec<Vec<u8>> = (0..5u64)
        .map(|i| {
            let mut buf = Vec::new();
            let opts = GenOptions {
                lines: 700,
                seed: 100 + i,
                no_final_newline: false,
                ..Default::default()
            };
            logsql::generate::generate(&opts, &mut buf).unwrap();
            buf
        })
        .collect();
    let logs = dir.path("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("access.log"), &parts[0]).unwrap();
    // Two gzip members, as `cat a.gz b.gz` or logrotate with delaycompress produce.
    let (a, b) = parts[1].split_at(parts[1].len() / 2);
    let mut multi = gzip(a);
    multi.extend(gzip(b));
    std::fs::write(logs.join("access.log.1.gz"), multi).unwrap();
    std::fs::write(
        logs.join("access.log.2.zst"),
        zstd::encode_all(&parts[2][..], 3).unwrap(),
    )
    .unwrap();
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    bz.write_all(&parts[3]).unwrap();
    std::fs::write(logs.join("access.log.3.bz2"), bz.finish().unwrap()).unwrap();
    let mut xz = xz2::write::XzEncoder::new(Vec::new(), 1);
    xz.write_all(&parts[4]).unwrap();
    std::fs::write(logs.join("access.log.4.xz"), xz.finish().unwrap()).unwrap();
    std::fs::write(logs.join("error.log"), b"[error] not an access log\n").unwrap();
    parts
}

#[test]
fn compressed_rotations_in_a_directory_equal_the_plain_concatenation() {
    let dir = Scratch::new("rotations");
    let parts = rotations(&dir);
    let all = dir.write("all.log", &parts.concat());
    let want = answers(&[&all], &[]);
    assert_eq!(
        answers(&[&dir.path("logs")], &["--include", "access.log*"]),
        want
    );
    let glob = dir.path("logs/access.log*");
    assert_eq!(answers(&[&glob], &[]), want);
}

#[test]
fn a_single_compressed_file_is_detected_by_content() {
    let dir = Scratch::new("gz-content");
    let parts = rotations(&dir);
    // No telling extension: the content says gzip.
    let renamed = dir.write(
        "mystery",
        &std::fs::read(dir.path("logs/access.log.1.gz")).unwrap(),
    );
    let plain = dir.write("plain.log", &parts[1]);
    assert_eq!(answers(&[&renamed], &[]), answers(&[&plain], &[]));
}

/// A zstd file written with a window above the decoder's default limit of 128 MiB (`zstd
/// --long=28`, and up to `--long=31`) is intact: it is read whole, as `zstd -d --long=31`
/// reads it, not reported as damaged.
#[test]
fn a_zstd_file_with_a_long_window_is_read() {
    let dir = Scratch::new("zstd-long");
    let parts = rotations(&dir);
    let plain = dir.write("plain.log", &parts[2]);
    for window_log in [28, 31] {
        let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        e.long_distance_matching(true).unwrap();
        e.window_log(window_log).unwrap();
        e.write_all(&parts[2]).unwrap();
        let zst = dir.write("access.log.zst", &e.finish().unwrap());
        for sql in QUERIES {
            let run = query_csv(&[&zst], &[], sql);
            assert_eq!(
                run.ok(),
                query_csv(&[&plain], &[], sql).ok(),
                "--long={window_log}"
            );
        }
    }
}

#[test]
fn stdin_gives_the_same_answers_as_the_file() {
    let dir = Scratch::new("stdin");
    let (log, _) = dir.generated(
        "access.log",
        &GenOptions {
            lines: 2000,
            seed: 41,
            ..Default::default()
        },
    );
    let data = std::fs::read(&log).unwrap();
    for sql in QUERIES {
        let piped = logsql_piped(&["-", "--out-format", "csv", "-e", sql], &[], &data);
        let file_answer = query_csv(&[&log], &[], sql);
        assert_eq!(piped.ok(), file_answer.ok(), "{sql}");
    }
}

/// A file named twice, or reached again through its directory or a link to it (symbolic or
/// hard), is read once: the answers are the file's own.
#[cfg(unix)]
#[test]
fn a_file_reached_twice_is_read_once() {
    let dir = Scratch::new("twice");
    let parts = rotations(&dir);
    let log = dir.path("logs/access.log");
    std::os::unix::fs::symlink(&log, dir.path("link.log")).unwrap();
    std::fs::hard_link(&log, dir.path("hard.log")).unwrap();
    let want = answers(&[&dir.write("plain.log", &parts[0])], &[]);
    assert_eq!(answers(&[&log, &log], &[]), want);
    assert_eq!(answers(&[&log, &dir.path("link.log")], &[]), want);
    assert_eq!(answers(&[&dir.path("hard.log"), &log], &[]), want);
    let logs = dir.path("logs");
    let twice = answers(&[&logs, &log], &["--include", "access.log"]);
    assert_eq!(twice, answers(&[&logs], &["--include", "access.log"]));
}

/// Rotations written before and after a `log_format` change (common, then combined) are
/// read in the format that fits both, not in the richer one that leaves one file rejected.
#[test]
fn files_in_two_formats_are_read_in_the_one_that_fits_both() {
    let dir = Scratch::new("two-formats");
    let opts = |format, seed| GenOptions {
        lines: 500,
        seed,
        format,
        bad_lines: false,
        ..Default::default()
    };
    let (new, a) = dir.generated(
        "access.log",
        &opts(logsql::generate::GenFormat::Combined, 1),
    );
    let (old, b) = dir.generated(
        "access.log.1",
        &opts(logsql::generate::GenFormat::Common, 2),
    );
    let sql = "SELECT count(*), count(DISTINCT _file) FROM logs";
    let want = vec![vec![(a.rows + b.rows).to_string(), "2".to_string()]];
    let run = query_csv(&[&new, &old], &[], sql);
    assert_eq!(run.csv_rows(), want);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    assert_eq!(
        query_csv(&[&new, &old], &["--format", "common"], sql).csv_rows(),
        want
    );
}

/// A file in a format the others' does not read (a JSON log beside access logs) is named
/// in a warning, since its lines will all be rejects.
#[test]
fn a_file_the_detected_format_cannot_read_is_named() {
    let dir = Scratch::new("mixed-formats");
    let (log, truth) = dir.generated("access.log", &GenOptions::default());
    let json = dir.write(
        "app.json",
        b"{\"level\":\"info\",\"msg\":\"up\"}\n{\"level\":\"warn\"}\n",
    );
    let run = query_csv(&[&log, &json], &[], "SELECT count(*) AS n FROM logs");
    assert_eq!(run.csv_rows(), [[truth.rows.to_string()]]);
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("warning"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", run.stderr);
    assert!(
        warnings[0].contains("app.json: none of its first lines parse as combined"),
        "{}",
        run.stderr
    );
    // read_log's files too.
    let sql = format!("SELECT count(*) AS n FROM read_log('{}')", dir.0.display());
    let run = crate::util::logsql(&["--out-format", "csv", "-e", &sql]);
    assert_eq!(run.ok(), format!("n\n{}\n", truth.rows));
    assert!(
        run.stderr
            .contains("app.json: none of its first lines parse as combined")
            && run.stderr.contains("in read_log("),
        "{}",
        run.stderr
    );
    // A call named twice (a self-join) is reported once.
    let sql = format!(
        "SELECT count(*) FROM read_log('{0}') a JOIN read_log('{0}') b USING (_line)",
        dir.0.display()
    );
    let run = crate::util::logsql(&["-e", &sql]);
    run.ok();
    assert_eq!(run.stderr.matches("skipped").count(), 1, "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("none of its").count(),
        1,
        "{}",
        run.stderr
    );
}

/// A named pipe given as a path (`logsql <(zcat access.log.gz)`) is read once, like `-`:
/// format detection and the scan see the same lines, gzip on the pipe is recognised, and
/// every answer equals the file's.
#[cfg(unix)]
#[test]
fn a_named_pipe_gives_the_same_answers_as_the_file() {
    let dir = Scratch::new("fifo");
    let (log, _) = dir.generated(
        "access.log",
        &GenOptions {
            lines: 2000,
            seed: 43,
            ..Default::default()
        },
    );
    let zipped = gzip(&std::fs::read(&log).unwrap());
    let fifo = crate::util::fifo(&dir, "pipe");
    for sql in QUERIES {
        let writer = crate::util::feed(&fifo, zipped.clone());
        let piped = query_csv(&[&fifo], &[], sql);
        writer.join().unwrap().unwrap();
        assert_eq!(piped.ok(), query_csv(&[&log], &[], sql).ok(), "{sql}");
    }
}

/// A query over piped input reads the lines as they come: `LIMIT 1` answers while the pipe
/// is still open (the input is not copied to its end first), and the process then ends
/// without waiting for the rest, also when the limit could not be pushed into the scan (which
/// is then still waiting for more input).
#[test]
fn piped_input_is_queried_while_it_is_still_arriving() {
    let dir = Scratch::new("stdin-live");
    let (log, _) = dir.generated(
        "access.log",
        &GenOptions {
            // One batch and a part: the scan hands on a batch, then waits for more input.
            lines: 10_000,
            seed: 43,
            ..Default::default()
        },
    );
    let data = std::fs::read(&log).unwrap();
    for sql in [
        "SELECT client, ts, status FROM logs LIMIT 1",
        "SELECT count(*) AS n FROM (SELECT client FROM logs WHERE lower(user_agent) LIKE '%a%' LIMIT 5)",
    ] {
        let mut child = spawn_piped(&["-", "--out-format", "csv", "-e", sql], &[]);
        let mut stdin = child.stdin.take().unwrap();
        // More than format detection samples (64 KB) and than a batch (8192 rows), then
        // nothing, with the pipe left open. logsql may answer and end before it has read it
        // all (what this test is about): the rest of the write then meets a closed pipe.
        if let Err(e) = stdin.write_all(&data).and_then(|()| stdin.flush()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(child.wait_with_output()));
        let out = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no answer while stdin was open: {sql}"))
            .unwrap();
        drop(stdin);
        let from_file = query_csv(&[&log], &[], sql);
        assert_eq!(Run::of(out).ok(), from_file.ok(), "{sql}");
        assert_eq!(from_file.csv_rows().len(), 1);
    }
}

/// The shell reads its statements from stdin, so it refuses stdin as its log (the two would
/// share the pipe's bytes).
#[test]
fn the_shell_does_not_take_stdin_as_its_log() {
    let run = logsql_piped(&["-"], &[], "SELECT 1;\n");
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("'-' cannot be a log here"),
        "{}",
        run.stderr
    );
}

/// Statements after the first read the copy of stdin again, in whole: the same answers as
/// the file, rejects included.
#[test]
fn every_statement_over_piped_input_sees_all_of_it() {
    let dir = Scratch::new("stdin-twice");
    let (log, truth) = dir.generated(
        "access.log",
        &GenOptions {
            lines: 3000,
            seed: 44,
            ..Default::default()
        },
    );
    let data = std::fs::read(&log).unwrap();
    let args = [
        "-",
        "--out-format",
        "tsv",
        "-e",
        "SELECT count(*) FROM logs",
        "-e",
        "SELECT count(*) FROM logs_rejects",
        "-e",
        "SELECT count(*) FROM logs WHERE status = 200",
    ];
    let piped = logsql_piped(&args, &[], &data);
    let counts: Vec<u64> = piped.ok().lines().filter_map(|l| l.parse().ok()).collect();
    let ok_200 = truth.status.get(&200).copied().unwrap_or(0);
    assert!(truth.rejects > 0 && ok_200 > 0);
    assert_eq!(
        counts,
        [truth.rows, truth.rejects, ok_200],
        "{}",
        piped.stdout
    );
}

#[test]
fn hidden_file_and_line_columns_point_at_the_source_line() {
    let dir = Scratch::new("file-line");
    let parts = rotations(&dir);
    let logs = dir.path("logs");
    let run = query_csv(
        &[&logs],
        &["--include", "access.log*"],
        "SELECT _file, _line, client, status, bytes FROM logs WHERE status = 503 ORDER BY _file, _line",
    );
    let rows = run.csv_rows();
    assert!(!rows.is_empty());
    let names = [
        "access.log",
        "access.log.1.gz",
        "access.log.2.zst",
        "access.log.3.bz2",
        "access.log.4.xz",
    ];
    for row in &rows {
        let index = names
            .iter()
            .position(|n| row[0].ends_with(n))
            .expect("a known file");
        let number: usize = row[1].parse().unwrap();
        let text = String::from_utf8_lossy(&parts[index]).into_owned();
        let line = text.lines().nth(number - 1).unwrap();
        assert!(line.starts_with(&format!("{} ", row[2])), "{line}");
        assert!(line.contains(&format!("\" 503 {} ", row[4])), "{line}");
    }
    // Not in SELECT *, and not built unless asked for.
    let star = query_csv(
        &[&logs],
        &["--include", "access.log*"],
        "SELECT * FROM logs LIMIT 1",
    );
    assert!(!star.ok().lines().next().unwrap().contains("_file"));
    // Nor in the `*` of a join, a list of relations, or a `*` with its own EXCLUDE; named,
    // they are there.
    for (sql, header) in [
        (
            "SELECT * FROM logs a JOIN logs b ON a.client = b.client LIMIT 1",
            "status,bytes,referer,user_agent,client,ident",
        ),
        (
            "SELECT * FROM logs, (SELECT 1 AS x) LIMIT 1",
            "user_agent,x",
        ),
        ("SELECT * EXCLUDE (request) FROM logs LIMIT 1", "ts,method"),
        (
            "SELECT *, a._line FROM logs a, logs b LIMIT 1",
            "user_agent,_line",
        ),
        (
            "SELECT * FROM logs a LEFT SEMI JOIN logs b ON a._line = b._line LIMIT 1",
            "referer,user_agent",
        ),
        (
            "SELECT * FROM (logs a JOIN logs b ON a._line = b._line) LIMIT 1",
            "user_agent,client",
        ),
        (
            "WITH logs AS (SELECT * FROM logs LIMIT 2) SELECT * FROM logs",
            "referer,user_agent",
        ),
    ] {
        let run = query_csv(&[&logs], &["--include", "access.log*"], sql);
        let first = run.ok().lines().next().unwrap();
        assert!(
            !first.contains("_file") && first.contains(header),
            "{sql}: {first}"
        );
    }
    // Another relation's own `_file` stays.
    let run = query_csv(
        &[&logs],
        &["--include", "access.log*"],
        "SELECT * FROM logs a JOIN (SELECT _file, count(*) AS n FROM logs GROUP BY _file) s \
         ON a._file = s._file LIMIT 1",
    );
    assert!(run.ok().starts_with("client,") && run.stdout.contains("user_agent,_file,n\n"));
    let plan = query_csv(
        &[&logs],
        &["--include", "access.log*"],
        "EXPLAIN SELECT count(*) FROM logs",
    );
    assert!(!plan.ok().contains("_line"), "{}", plan.stdout);
}

/// `SELECT count(*)` over `paths` with `extra` options.
fn count(paths: &[&Path], extra: &[&str]) -> String {
    let rows = query_csv(paths, extra, "SELECT count(*) FROM logs").csv_rows();
    rows[0][0].clone()
}

/// Writes the same small log as `g/top.log`, `g/x/a.log` and `g/y/b.log`; returns its
/// count of rows.
fn glob_tree(dir: &Scratch) -> usize {
    let mut log = Vec::new();
    let opts = GenOptions {
        lines: 50,
        bad_lines: false,
        ..Default::default()
    };
    logsql::generate::generate(&opts, &mut log).unwrap();
    for name in ["g/top.log", "g/x/a.log", "g/y/b.log"] {
        let p = dir.path(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, &log).unwrap();
    }
    50
}

/// A quoted glob walks the directories it matches, as the shell's unquoted glob passes
/// them to be walked: both give the same answer.
#[test]
fn a_quoted_glob_walks_the_directories_it_matches() {
    let dir = Scratch::new("glob-dirs");
    let lines = glob_tree(&dir);
    let (top, x, y) = (dir.path("g/top.log"), dir.path("g/x"), dir.path("g/y"));
    let unquoted = count(&[&top, &x, &y], &[]);
    assert_eq!(unquoted, (3 * lines).to_string());
    assert_eq!(count(&[&dir.path("g/*")], &[]), unquoted);
    assert_eq!(count(&[&dir.path("g/[xy]")], &[]), (2 * lines).to_string());
    // --include applies inside the directories, not to the files the glob names.
    let include = ["--include", "a.log"];
    assert_eq!(
        count(&[&dir.path("g/*")], &include),
        (2 * lines).to_string()
    );
    // A glob that matches only directories without log files reads nothing: an error.
    std::fs::create_dir_all(dir.path("e/empty")).unwrap();
    let run = query_csv(&[&dir.path("e/*")], &[], "SELECT count(*) FROM logs");
    assert!(
        run.status == 1 && run.stderr.contains("no files match"),
        "{}",
        run.stderr
    );
}

/// `.*` matches `.` and `..` besides dot-files: the directory is not walked again, nor its
/// parent.
#[test]
fn a_glob_for_dot_files_does_not_walk_the_parent() {
    let dir = Scratch::new("glob-dots");
    let lines = glob_tree(&dir);
    std::fs::copy(dir.path("g/top.log"), dir.path("g/x/.hidden.log")).unwrap();
    assert_eq!(count(&[&dir.path("g/x/.*")], &[]), lines.to_string());
}

/// A relative glob with a `.` or `..` of its own takes the files the shell's unquoted glob
/// names: its `.*` walks neither `.` nor `..`, wherever the pattern spells one elsewhere.
#[test]
fn a_glob_with_a_dot_of_its_own_does_not_walk_dot_entries() {
    let dir = Scratch::new("glob-own-dots");
    let names = [
        "x/a.log", "x/b.log", "x/.h.log", "top.log", "y/y.log", ".dot.log",
    ];
    for name in names {
        let p = dir.path(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "{\"n\": 1}\n").unwrap();
    }
    let files = |pattern: &str| {
        let sql = "SELECT DISTINCT _file FROM logs ORDER BY 1";
        let run = logsql_in(&dir.0, &[pattern, "--out-format", "csv", "-e", sql]);
        let rows = run.csv_rows().into_iter().map(|row| row[0].clone());
        rows.collect::<Vec<_>>()
    };
    let own = dir.0.file_name().unwrap().to_str().unwrap();
    let parent = format!("../{own}/x/.*");
    for (pattern, want) in [
        ("./.*", ".dot.log".to_string()),
        (".*", ".dot.log".to_string()),
        ("./x/.*", "x/.h.log".to_string()),
        ("x/.*", "x/.h.log".to_string()),
        ("x/../x/.*", "x/../x/.h.log".to_string()),
        (&parent, format!("../{own}/x/.h.log")),
        ("**/.h.log", "x/.h.log".to_string()),
    ] {
        assert_eq!(files(pattern), [want], "{pattern}");
    }
}

/// A quoted glob does not match a leading dot, as the shell's does not, nor the walk of a
/// directory; a pattern that spells the dot does.
#[test]
fn a_quoted_glob_skips_dot_files_unless_it_spells_the_dot() {
    let dir = Scratch::new("glob-dot");
    let lines = glob_tree(&dir);
    std::fs::copy(dir.path("g/top.log"), dir.path("g/.hidden.log")).unwrap();
    std::fs::copy(dir.path("g/top.log"), dir.path("g/x/.hidden.log")).unwrap();
    let top = lines.to_string();
    assert_eq!(count(&[&dir.path("g/*.log")], &[]), top);
    assert_eq!(count(&[&dir.path("g/*")], &[]), (3 * lines).to_string());
    assert_eq!(count(&[&dir.path("g/.*")], &[]), top);
    assert_eq!(count(&[&dir.path("g/x/.*.log")], &[]), top);
}

/// An `--include` that matches no file of a directory says how many files it left out, and
/// that it matches names, not paths, when it holds a `/`.
#[test]
fn an_include_that_matches_nothing_says_so() {
    let dir = Scratch::new("include-none");
    glob_tree(&dir);
    let g = dir.path("g");
    let run = query_csv(
        &[&g],
        &["--include", "x/*.log"],
        "SELECT count(*) FROM logs",
    );
    assert_eq!(run.status, 1, "{}", run.stderr);
    let want = "3 files in this directory, but none matches --include 'x/*.log' \
                (--include matches file names, not paths)";
    assert!(run.stderr.contains(want), "{}", run.stderr);
}

/// A glob with a `[` meant literally (a directory named `app[prod]`) says to write it `[[]`.
#[test]
fn a_literal_bracket_in_a_glob_gets_a_hint() {
    let dir = Scratch::new("glob-bracket");
    let lines = glob_tree(&dir);
    std::fs::rename(dir.path("g/x"), dir.path("g/app[prod]")).unwrap();
    let hint = "a literal '[' is written '[[]' in a pattern";
    for pattern in ["g/app[prod]/*.log", "g/app[prod/*.log"] {
        let run = query_csv(&[&dir.path(pattern)], &[], "SELECT count(*) FROM logs");
        assert_eq!(run.status, 1, "{}", run.stderr);
        assert!(run.stderr.contains(hint), "{pattern}: {}", run.stderr);
    }
    let escaped = dir.path("g/app[[]prod]/*.log");
    assert_eq!(count(&[&escaped], &[]), lines.to_string());
}

/// A UTF-8 byte-order mark opening a file (IIS and Windows editors write one) is not data:
/// not part of the first field, not a reject, not hiding a W3C directive; in a plain file
/// (split or not), a compressed one and piped input alike, with the first line still line 1.
#[test]
fn a_byte_order_mark_opening_a_file_is_not_data() {
    let dir = Scratch::new("bom");
    let access = b"\xEF\xBB\xBF187.212.0.45 - - [14/Feb/2025:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"-\"\n\
        1.2.3.4 - - [14/Feb/2025:10:00:01 +0000] \"GET /b HTTP/1.1\" 404 7 \"-\" \"-\"\n";
    let plain = dir.write("access.log", access);
    let gz = dir.write("access.log.gz", &gzip(access));
    let sql = "SELECT _line, client FROM logs WHERE client = '187.212.0.45'";
    for log in [&plain, &gz] {
        assert_eq!(
            query_csv(&[log], &[], sql).csv_rows(),
            [["1", "187.212.0.45"]]
        );
    }
    let piped = logsql_piped(&["-", "--out-format", "csv", "-e", sql], &[], access);
    assert_eq!(piped.csv_rows(), [["1", "187.212.0.45"]]);
    let split = format!(
        "SELECT count(*), min(client) FROM read_log('{}', 'combined', 'min_split_bytes=1')",
        plain.display()
    );
    assert_eq!(
        query_csv(&[&plain], &[], &split).csv_rows(),
        [["2", "1.2.3.4"]]
    );

    let json = dir.write(
        "app.log",
        b"\xEF\xBB\xBF{\"level\":\"info\",\"msg\":\"a\"}\n{\"level\":\"warn\",\"msg\":\"b\"}\n",
    );
    let counts =
        "SELECT (SELECT count(*) FROM logs) AS n, (SELECT count(*) FROM logs_rejects) AS r";
    assert_eq!(query_csv(&[&json], &[], counts).csv_rows(), [["2", "0"]]);
    // IIS: the mark before the only `#Fields` directive.
    let w3c = dir.write(
        "u_ex250214.log",
        b"\xEF\xBB\xBF#Fields: date time c-ip cs-method cs-uri-stem sc-status\n\
          2025-02-14 10:00:00 1.2.3.4 GET / 200\n",
    );
    assert_eq!(query_csv(&[&w3c], &[], counts).csv_rows(), [["1", "0"]]);
    // A first line that is a reject is shown as it is, without the mark.
    let junk = dir.write("junk.log", b"\xEF\xBB\xBFnot a request\n");
    let rejects = query_csv(
        &[&junk],
        &["--format", "combined"],
        "SELECT line_number, line FROM logs_rejects",
    );
    assert_eq!(rejects.csv_rows(), [["1", "not a request"]]);
}

/// The copy of piped input, and an `-o` file not yet in place, do not outlive the process:
/// not when it is ended by SIGTERM or SIGHUP while the pipe is still open, nor when the
/// reader of its output goes away before the answer is whole.
#[cfg(unix)]
#[test]
fn no_temporary_file_outlives_the_process() {
    use std::io::{BufRead, BufReader};
    let tmp = Scratch::new("spool-tmp");
    let out = Scratch::new("spool-out");
    let (log, _) = tmp.generated(
        "access.log",
        &GenOptions {
            lines: 20_000,
            seed: 7,
            ..Default::default()
        },
    );
    let data = std::fs::read(&log).unwrap();
    std::fs::remove_file(&log).unwrap();
    let left = |dir: &Scratch| -> Vec<String> {
        std::fs::read_dir(&dir.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let target = out.path("out.csv");
    let sql = "SELECT count(*) FROM logs";
    for (signal, status) in [("-TERM", 143), ("-HUP", 129)] {
        for extra in [&[][..], &["-o", target.to_str().unwrap()][..]] {
            let mut args = vec!["-", "-e", sql];
            args.extend(extra);
            let mut child = spawn_piped(&args, &[("TMPDIR", &tmp.0)]);
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(&data).unwrap();
            // Copied in part (the pipe stays open): the query waits for the rest.
            std::thread::sleep(std::time::Duration::from_millis(500));
            crate::util::signal(child.id(), signal);
            let run = Run::of(child.wait_with_output().unwrap());
            assert_eq!(run.status, status, "{signal} {extra:?}: {}", run.stderr);
            assert!(
                left(&tmp).is_empty(),
                "{signal} {extra:?}: {:?}",
                left(&tmp)
            );
            assert!(
                left(&out).is_empty(),
                "{signal} {extra:?}: {:?}",
                left(&out)
            );
        }
    }
    // The reader takes one line and goes.
    let mut child = spawn_piped(&["-", "-e", "SELECT * FROM logs"], &[("TMPDIR", &tmp.0)]);
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(&data));
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    drop(stdout);
    let run = Run::of(child.wait_with_output().unwrap());
    let _ = feeder.join();
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(left(&tmp).is_empty(), "{:?}", left(&tmp));
}

/// A signal the parent set to be ignored (`nohup`, `trap '' HUP`) stays ignored: the run
/// goes on to its answer instead of ending with status 129.
#[test]
fn an_ignored_hangup_stays_ignored() {
    let dir = Scratch::new("nohup");
    let (log, truth) = dir.generated(
        "access.log",
        &GenOptions {
            lines: 2_000,
            seed: 8,
            ..Default::default()
        },
    );
    let data = std::fs::read(&log).unwrap();
    let script = format!(
        "trap '' HUP; exec {} - --out-format csv -e 'SELECT count(*) FROM logs'",
        env!("CARGO_BIN_EXE_logsql")
    );
    let mut child = std::process::Command::new("sh")
        .args(["-c", &script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&data[..data.len() / 2]).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    crate::util::signal(child.id(), "-HUP");
    stdin.write_all(&data[data.len() / 2..]).unwrap();
    drop(stdin);
    let run = Run::of(child.wait_with_output().unwrap());
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(run.csv_rows(), [[truth.rows.to_string()]]);
}
