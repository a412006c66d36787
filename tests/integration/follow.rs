//! Follow mode: the real binary as a child process (stdout piped, read on a thread) while the
//! test appends to, rotates and truncates its log. Expectations poll for output with generous
//! timeouts, so a loaded machine only makes the tests slower.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use crate::util::Scratch;

const PATIENCE: Duration = Duration::from_secs(15);

/// A combined-format line for `/u{i}` with `status`, at second `i % 60`.
fn line(i: usize, status: u16) -> String {
    format!(
        "10.0.0.{} - - [01/Mar/2025:10:00:{:02} +0000] \"GET /u{i} HTTP/1.1\" {status} 10 \"-\" \"test\"\n",
        i % 250,
        i % 60
    )
}

fn append(path: &Path, text: &str) {
    let mut f = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// A running `logsql --follow`, its stdout lines arriving on a channel.
struct Follower {
    child: Child,
    lines: Receiver<String>,
    /// Every stdout line received so far.
    seen: Vec<String>,
}

impl Follower {
    fn start(args: &[&str]) -> Follower {
        let mut child = Command::new(env!("CARGO_BIN_EXE_logsql"))
            .arg("--follow")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env_remove("RUST_BACKTRACE")
            .spawn()
            .expect("run logsql --follow");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Follower {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits until the lines received satisfy `done`; panics with everything seen if not.
    #[track_caller]
    fn wait_until(&mut self, what: &str, done: impl Fn(&[String]) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !done(&self.seen) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left.max(Duration::from_millis(1))) {
                Ok(line) => self.seen.push(line),
                Err(_) => {
                    let _ = self.child.kill();
                    let err = self.stderr();
                    panic!(
                        "timed out waiting for {what}; stdout so far:\n{}\nstderr:\n{err}",
                        self.seen.join("\n")
                    );
                }
            }
        }
    }

    /// Waits for exactly `want` as the lines after the first `skip`.
    #[track_caller]
    fn expect_rows(&mut self, skip: usize, want: &[String]) {
        self.wait_until(&format!("{want:?}"), |seen| seen.len() >= skip + want.len());
        assert_eq!(&self.seen[skip..], want, "rows after line {skip}");
    }

    /// Collects whatever arrives within `quiet`.
    fn drain_for(&mut self, quiet: Duration) {
        let until = Instant::now() + quiet;
        while let Ok(line) = self
            .lines
            .recv_timeout(until.saturating_duration_since(Instant::now()))
        {
            self.seen.push(line);
        }
    }

    /// Sends SIGINT (Ctrl-C) and returns the exit code and stderr.
    fn interrupt(mut self) -> (Option<i32>, String, Vec<String>) {
        crate::util::signal(self.child.id(), "-INT");
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("logsql --follow did not stop on SIGINT");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        self.drain_for(Duration::from_millis(200));
        let err = self.stderr();
        (status.code(), err, self.seen)
    }

    fn stderr(&mut self) -> String {
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        err
    }
}

fn uri(i: usize) -> String {
    format!("/u{i}")
}

#[test]
fn appended_matching_lines_stream_once_in_order_across_partial_lines_rotation_and_truncation() {
    let dir = Scratch::new("follow-rotate");
    let log = dir.path("access.log");
    // Existing content is not shown without --from-start.
    let old: String = (0..50).map(|i| line(i, 500)).collect();
    append(&log, &old);
    let log_s = log.to_str().unwrap();
    let mut f = Follower::start(&[
        log_s,
        "--format",
        "combined",
        "--out-format",
        "csv",
        "-e",
        "SELECT uri FROM logs WHERE status >= 500",
    ]);
    // The header comes once, when the file is open and its end taken.
    f.wait_until("the CSV header", |s| !s.is_empty());
    assert_eq!(f.seen, ["uri"]);
    let mut want = Vec::new();

    // Appended lines: only the 5xx ones, in order.
    let mut batch = String::new();
    for i in 100..120 {
        let status = if i % 3 == 0 { 503 } else { 200 };
        batch.push_str(&line(i, status));
        if status >= 500 {
            want.push(uri(i));
        }
    }
    append(&log, &batch);
    f.expect_rows(1, &want);

    // A partial line is held until its newline arrives.
    let partial = line(200, 500);
    let (head, rest) = partial.split_at(30);
    append(&log, head);
    f.drain_for(Duration::from_millis(600));
    assert_eq!(&f.seen[1..], want.as_slice(), "a partial line was emitted");
    append(&log, rest);
    want.push(uri(200));
    f.expect_rows(1, &want);

    // Rotation (rename + create): lines the writer still appends to the old file after the
    // rename, even after the new file appeared (until the server reopens), come first, then
    // the new file from its start.
    std::fs::rename(&log, dir.path("access.log.1")).unwrap();
    append(&dir.path("access.log.1"), &line(300, 500));
    want.push(uri(300));
    append(&log, &(line(301, 502) + &line(302, 200) + &line(303, 504)));
    std::thread::sleep(Duration::from_millis(300));
    append(&dir.path("access.log.1"), &line(304, 501));
    want.extend([uri(304), uri(301), uri(303)]);
    f.expect_rows(1, &want);

    // Copytruncate: the file is emptied in place and written again from the top.
    let file = OpenOptions::new().write(true).open(&log).unwrap();
    file.set_len(0).unwrap();
    drop(file);
    append(&log, &line(400, 500));
    want.push(uri(400));
    f.expect_rows(1, &want);

    // The file disappears and comes back.
    std::fs::remove_file(&log).unwrap();
    f.drain_for(Duration::from_millis(400));
    append(&log, &line(500, 599));
    want.push(uri(500));
    f.expect_rows(1, &want);

    let (code, err, seen) = f.interrupt();
    assert_eq!(code, Some(0), "Ctrl-C is a clean exit; stderr: {err}");
    assert!(!err.contains("error"), "{err}");
    assert_eq!(seen[0], "uri");
    assert_eq!(
        &seen[1..],
        want.as_slice(),
        "every matching line exactly once"
    );
}

/// Following from the start, a byte-order mark opening the file is not data.
#[test]
fn from_start_skips_a_byte_order_mark() {
    let dir = Scratch::new("follow-bom");
    let log = dir.path("access.log");
    append(&log, &format!("\u{FEFF}{}", line(1, 200)));
    let mut f = follow_csv_with(&["--from-start"], &log, "SELECT client, uri FROM logs");
    f.expect_rows(0, &["client,uri".into(), "10.0.0.1,/u1".into()]);
    let (code, err, _) = f.interrupt();
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn from_start_reads_existing_lines_then_follows_as_ndjson() {
    let dir = Scratch::new("follow-start");
    let log = dir.path("access.log");
    append(&log, &(line(1, 200) + &line(2, 404) + &line(3, 200)));
    let mut f = Follower::start(&[
        log.to_str().unwrap(),
        "--from-start",
        "--out-format",
        "ndjson",
        "-e",
        "SELECT uri, status FROM logs WHERE status <> 404",
    ]);
    let row = |i: usize, s: u16| format!(r#"{{"uri":"/u{i}","status":{s}}}"#);
    f.expect_rows(0, &[row(1, 200), row(3, 200)]);
    append(&log, &(line(4, 301) + &line(5, 404)));
    f.expect_rows(0, &[row(1, 200), row(3, 200), row(4, 301)]);
    let (code, err, _) = f.interrupt();
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn a_limit_ends_the_stream_by_itself() {
    let dir = Scratch::new("follow-limit");
    let log = dir.path("access.log");
    append(&log, &(line(1, 200) + &line(2, 200)));
    let mut f = Follower::start(&[
        log.to_str().unwrap(),
        "--out-format",
        "csv",
        "-e",
        "SELECT uri FROM logs LIMIT 2",
    ]);
    f.wait_until("the header", |s| !s.is_empty());
    append(&log, &(line(7, 200) + &line(8, 200) + &line(9, 200)));
    f.expect_rows(0, &["uri".into(), uri(7), uri(8)]);
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(s) = f.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "LIMIT 2 did not end the run");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success());
}

/// A saved query's parameter defaults apply in follow mode as they do without it.
#[test]
fn a_saved_querys_defaults_apply_when_following() {
    let dir = Scratch::new("follow-saved");
    let log = dir.path("access.log");
    append(
        &log,
        &(line(1, 200) + &line(2, 404) + &line(3, 404) + &line(4, 404)),
    );
    let query = dir.write(
        "first.sql",
        b"-- first matching rows\n-- $n rows (default 2)\nSELECT uri FROM logs WHERE status = $status LIMIT $n\n",
    );
    let run = crate::util::logsql(&[
        "--follow",
        "--from-start",
        log.to_str().unwrap(),
        "-f",
        query.to_str().unwrap(),
        "--param",
        "status=404",
        "--out-format",
        "csv",
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(run.stdout, format!("uri\n{}\n{}\n", uri(2), uri(3)));
}

/// Parses `status,n` CSV blocks (each starts with its header) into maps.
fn csv_blocks(lines: &[String]) -> Vec<Vec<(u16, u64)>> {
    let mut blocks: Vec<Vec<(u16, u64)>> = Vec::new();
    for l in lines {
        if l == "status,n" {
            blocks.push(Vec::new());
        } else if let (Some(block), Some((s, n))) = (blocks.last_mut(), l.split_once(',')) {
            block.push((s.parse().unwrap(), n.parse().unwrap()));
        }
    }
    blocks
}

#[test]
fn an_aggregate_is_refreshed_as_a_new_block_when_not_on_a_terminal() {
    let dir = Scratch::new("follow-agg");
    let log = dir.path("access.log");
    append(&log, &(line(1, 200) + &line(2, 404) + &line(3, 200)));
    let mut f = Follower::start(&[
        log.to_str().unwrap(),
        "--from-start",
        "--interval",
        "0.3",
        "--out-format",
        "csv",
        "-e",
        "SELECT status, count(*) AS n FROM logs GROUP BY status ORDER BY status",
    ]);
    let first = vec![(200, 2), (404, 1)];
    f.wait_until("the first block", |s| csv_blocks(s).contains(&first));
    append(&log, &(line(4, 404) + &line(5, 500)));
    let second = vec![(200, 2), (404, 2), (500, 1)];
    f.wait_until("a refreshed block", |s| csv_blocks(s).contains(&second));
    let (code, err, seen) = f.interrupt();
    assert_eq!(code, Some(0), "{err}");
    // Blocks only ever grow: each is the first or the second state (none torn or doubled).
    for block in csv_blocks(&seen) {
        assert!(block == first || block == second, "{block:?}");
    }
}

/// Follows `log` (created empty) with `sql`, printing CSV every 0.2 s; returns once the
/// header is printed.
fn follow_csv(log: &Path, sql: &str) -> Follower {
    follow_csv_with(&[], log, sql)
}

/// [`follow_csv`] with `options` before the path.
fn follow_csv_with(options: &[&str], log: &Path, sql: &str) -> Follower {
    append(log, "");
    let mut args = options.to_vec();
    args.extend([
        log.to_str().unwrap(),
        "--format",
        "combined",
        "--interval",
        "0.2",
        "--out-format",
        "csv",
        "-e",
        sql,
    ]);
    let mut f = Follower::start(&args);
    f.wait_until("the header", |s| !s.is_empty());
    f
}

/// Follows a per-minute aggregate `sql` whose third column is max(status) (or a function of
/// it that is the same on these lines); returns stderr.
fn windows_close_once(name: &str, sql: &str) -> String {
    let dir = Scratch::new(name);
    let log = dir.path("access.log");
    let at = |min: u32, sec: u32, status: u16| {
        format!(
            "10.0.0.1 - - [01/Mar/2025:10:{min:02}:{sec:02} +0000] \"GET /w HTTP/1.1\" {status} 10 \"-\" \"t\"\n"
        )
    };
    let mut f = follow_csv(&log, sql);
    assert_eq!(f.seen, ["minute,n,worst"]);
    append(&log, &(at(0, 1, 200) + &at(0, 30, 500)));
    f.drain_for(Duration::from_millis(800));
    assert_eq!(
        f.seen.len(),
        1,
        "a window printed before it closed: {:?}",
        f.seen
    );
    append(&log, &at(1, 5, 200));
    f.expect_rows(1, &["2025-03-01T10:00:00Z,2,500".into()]);
    // A late row for the printed window changes nothing; the next window closes in turn.
    append(&log, &(at(0, 59, 599) + &at(1, 50, 404)));
    f.drain_for(Duration::from_millis(500));
    append(&log, &at(2, 0, 200));
    f.expect_rows(
        1,
        &[
            "2025-03-01T10:00:00Z,2,500".into(),
            "2025-03-01T10:01:00Z,2,404".into(),
        ],
    );
    let (code, err, seen) = f.interrupt();
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(seen.len(), 3, "each window once: {seen:?}");
    err
}

/// The log functions work in follow mode, streamed and aggregated (the follow contexts had
/// DataFusion's functions only: "Invalid function 'url_param'").
#[test]
fn log_functions_work_in_follow_mode() {
    let dir = Scratch::new("follow-functions");
    let log = dir.path("access.log");
    let mut f = follow_csv(
        &log,
        "SELECT url_param(uri, 'q') AS q, ua_browser(user_agent) AS b FROM logs",
    );
    append(
        &log,
        "1.2.3.4 - - [01/Mar/2025:10:00:00 +0000] \"GET /s?q=red HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0\"\n",
    );
    f.expect_rows(1, &["red,Firefox".to_string()]);
    let (code, err, _) = f.interrupt();
    assert_eq!(code, Some(0), "{err}");
}

/// `read_log` in a followed query knows the user's format files, as outside follow mode.
#[test]
fn read_log_knows_user_formats_in_follow_mode() {
    let dir = Scratch::new("follow-user-format");
    let formats = dir.path("formats");
    std::fs::create_dir(&formats).unwrap();
    std::fs::write(
        formats.join("app.toml"),
        "name = \"app\"\ndefinition = 'regex:^(?P<ts>\\S+) (?P<level>[A-Z]+) (?P<msg>.*)$'\n",
    )
    .unwrap();
    let app = dir.write("app.log", b"2024-05-01T10:00:00Z WARN slow\n");
    let log = dir.path("access.log");
    let sql = format!(
        "SELECT client, (SELECT count(*) FROM read_log('{}', 'app')) AS n FROM logs",
        app.display()
    );
    // Appended as soon as the header is out: the scan (the join's probe side, run after the
    // subquery) started at the file's end as it was when the plan was made, so it sees it.
    let mut f = follow_csv_with(&["--formats-dir", formats.to_str().unwrap()], &log, &sql);
    append(
        &log,
        "1.2.3.4 - - [01/Mar/2025:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"t\"\n",
    );
    f.expect_rows(1, &["1.2.3.4,1".to_string()]);
    let (code, err, _) = f.interrupt();
    assert_eq!(code, Some(0), "{err}");
}

/// Windows that close in one refresh print oldest first, also without an ORDER BY (the
/// grouping leaves them in hash order).
#[test]
fn windows_that_close_together_print_in_time_order() {
    let dir = Scratch::new("follow-window-order");
    let log = dir.path("access.log");
    let mut f = follow_csv(
        &log,
        "SELECT date_trunc('minute', ts) AS minute, count(*) AS n FROM logs GROUP BY 1",
    );
    let lines: String = (0..12)
        .map(|min| {
            format!(
                "10.0.0.1 - - [01/Mar/2025:10:{min:02}:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"t\"\n"
            )
        })
        .collect();
    append(&log, &lines);
    let want: Vec<String> = (0..11)
        .map(|min| format!("2025-03-01T10:{min:02}:00Z,1"))
        .collect();
    f.expect_rows(1, &want);
    let (code, err, _) = f.interrupt();
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn a_time_window_prints_each_window_once_when_it_closes() {
    let err = windows_close_once(
        "follow-window",
        "SELECT date_trunc('minute', ts) AS minute, count(*) AS n, max(status) AS worst \
         FROM logs GROUP BY 1 ORDER BY 1",
    );
    assert!(err.contains("aggregated incrementally"), "{err}");
    let err = windows_close_once(
        "follow-window-rerun",
        "SELECT date_bin(INTERVAL '1 minute', ts) AS minute, count(*) AS n, \
         CAST(avg(status) * 0 + max(status) AS INT) AS worst FROM logs GROUP BY 1 ORDER BY 1",
    );
    assert!(
        err.contains("re-run over the rows of open windows"),
        "{err}"
    );
}

#[test]
fn queries_that_cannot_run_on_a_stream_are_refused_with_what_to_do() {
    let dir = Scratch::new("follow-order");
    let log = dir.write("access.log", line(1, 200).as_bytes());
    let run = crate::util::logsql(&[
        "--follow",
        log.to_str().unwrap(),
        "-e",
        "SELECT uri FROM logs ORDER BY ts",
    ]);
    assert_eq!(run.status, 1);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("add a LIMIT"), "{}", run.stderr);
    let run = crate::util::logsql(&[
        "--follow",
        log.to_str().unwrap(),
        "-e",
        "SELECT a.status, count(*) FROM logs a JOIN logs b ON a.uri = b.uri GROUP BY 1",
    ]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("reads logs 2 times"), "{}", run.stderr);
}

#[test]
fn compressed_files_and_missing_queries_are_refused() {
    let dir = Scratch::new("follow-refuse");
    let gz = dir.write(
        "access.log.gz",
        &[
            0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
    );
    let run = crate::util::logsql(&[
        "--follow",
        gz.to_str().unwrap(),
        "--format",
        "combined",
        "-e",
        "SELECT uri FROM logs",
    ]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("cannot follow") && run.stderr.contains("gzip"),
        "{}",
        run.stderr
    );
    let run = crate::util::logsql(&["--follow", gz.to_str().unwrap()]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("-e"), "{}", run.stderr);
}

/// A named pipe is refused at once (two readers would share its lines), not read in part.
#[cfg(unix)]
#[test]
fn a_named_pipe_is_refused() {
    let dir = Scratch::new("follow-fifo");
    let fifo = crate::util::fifo(&dir, "pipe");
    let writer = crate::util::feed(&fifo, line(1, 200));
    let run = crate::util::logsql(&[
        "--follow",
        fifo.to_str().unwrap(),
        "-e",
        "SELECT uri FROM logs",
    ]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("cannot follow") && run.stderr.contains("pipe"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    writer.join().unwrap().unwrap();
}

#[test]
fn the_shell_follows_a_query_until_ctrl_c_then_prompts_again() {
    use crate::repl::{enter, shell, wait};
    use expectrl::{ControlCode, Expect};
    let dir = Scratch::new("follow-repl");
    let log = dir.path("access.log");
    append(&log, &line(1, 500));
    let mut p = shell(&dir, &[log.to_str().unwrap()]);
    enter(&mut p, ".mode csv");
    p.expect("logsql> ").unwrap();
    enter(&mut p, ".follow SELECT uri FROM logs WHERE status >= 500;");
    wait(&mut p, "following; Ctrl-C stops");
    wait(&mut p, r"uri\r?\n");
    append(&log, &(line(2, 200) + &line(3, 502)));
    wait(&mut p, r"/u3\r?\n");
    p.send(ControlCode::EndOfText).unwrap();
    wait(&mut p, "cancelled");
    p.expect("logsql> ").unwrap();
    enter(&mut p, "SELECT count(*) AS n FROM logs;");
    wait(&mut p, r"n\r?\n3\r?\n");
}

/// Generated combined-format lines (no bad lines, a final newline).
fn generated(lines: u64, seed: u64) -> String {
    let opts = logsql::generate::GenOptions {
        lines,
        seed,
        bad_lines: false,
        no_final_newline: false,
        ..Default::default()
    };
    let mut out = Vec::new();
    logsql::generate::generate(&opts, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// The CSV blocks printed so far (each starts with `header`), as lines.
fn blocks<'a>(seen: &'a [String], header: &str) -> Vec<&'a [String]> {
    let starts: Vec<usize> = (0..seen.len()).filter(|&i| seen[i] == header).collect();
    starts
        .iter()
        .enumerate()
        .map(|(k, &s)| &seen[s..starts.get(k + 1).copied().unwrap_or(seen.len())])
        .collect()
}

/// Follows `sql` from the start while more lines are appended, and waits for a refresh that
/// equals the answer of the ordinary (bounded) query over the final file. Returns stderr.
fn refreshed_answer_matches_a_full_read(name: &str, sql: &str) -> String {
    let dir = Scratch::new(name);
    let log = dir.path("access.log");
    append(&log, &generated(300, 5));
    let mut f = Follower::start(&[
        log.to_str().unwrap(),
        "--from-start",
        "--interval",
        "0.2",
        "--out-format",
        "csv",
        "-e",
        sql,
    ]);
    f.wait_until("a first block", |s| !s.is_empty());
    // Three more chunks, each likely seen by a refresh of its own.
    for seed in 6..9 {
        append(&log, &generated(200, seed));
        f.drain_for(Duration::from_millis(300));
    }
    let want: Vec<String> = crate::util::query_csv(&[&log], &[], sql)
        .ok()
        .lines()
        .map(str::to_string)
        .collect();
    let header = want[0].clone();
    f.wait_until("the answer over the whole file", |s| {
        blocks(s, &header).contains(&want.as_slice())
    });
    let (code, err, _) = f.interrupt();
    assert_eq!(code, Some(0), "{err}");
    err
}

#[test]
fn decomposable_aggregates_merge_incrementally_to_the_full_answer() {
    let err = refreshed_answer_matches_a_full_read(
        "follow-merge",
        "SELECT status, count(*) AS n, sum(bytes) AS b, min(ts) AS first, max(uri) AS last \
         FROM logs WHERE status >= 200 GROUP BY status HAVING count(*) > 1 \
         ORDER BY n DESC, status LIMIT 5",
    );
    assert!(err.contains("aggregated incrementally"), "{err}");
    let err = refreshed_answer_matches_a_full_read(
        "follow-merge-global",
        "SELECT count(*) * 2 AS twice, sum(bytes) AS b, max(status) AS worst FROM logs",
    );
    assert!(err.contains("aggregated incrementally"), "{err}");
}

#[test]
fn other_aggregates_are_re_run_over_the_kept_rows_to_the_full_answer() {
    let err = refreshed_answer_matches_a_full_read(
        "follow-rerun",
        "SELECT method, round(avg(bytes), 3) AS mean, count(DISTINCT client) AS clients \
         FROM logs GROUP BY method ORDER BY method",
    );
    assert!(err.contains("re-run over the rows kept"), "{err}");
    // A top-N over the rows themselves, with a wildcard (which leaves out _file and _line).
    let err = refreshed_answer_matches_a_full_read(
        "follow-top",
        "SELECT * FROM logs WHERE status < 400 ORDER BY ts DESC, client, uri, bytes LIMIT 3",
    );
    assert!(err.contains("re-run over the rows kept"), "{err}");
}

/// The library API: a followed table is an unbounded DataFusion source.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_library_streams_a_followed_table() {
    use datafusion::physical_plan::execution_plan::Boundedness;
    use datafusion::prelude::{SessionConfig, SessionContext};
    use futures::StreamExt;
    use logsql::table::FollowOptions;
    use logsql::{register_table, FormatChoice, LogTable};

    let dir = Scratch::new("follow-lib");
    let log = dir.path("access.log");
    append(&log, &line(1, 500));
    let config = SessionConfig::new()
        .with_batch_size(1)
        .with_target_partitions(1);
    let ctx = SessionContext::new_with_config(config);
    let table = LogTable::open(std::slice::from_ref(&log), FormatChoice::Auto)
        .unwrap()
        .follow(FollowOptions::default())
        .unwrap();
    register_table(&ctx, "logs", std::sync::Arc::new(table)).unwrap();
    let df = ctx
        .sql("SELECT uri FROM logs WHERE status >= 500")
        .await
        .unwrap();
    let plan = df.clone().create_physical_plan().await.unwrap();
    assert!(matches!(
        plan.properties().boundedness,
        Boundedness::Unbounded {
            requires_infinite_memory: false
        }
    ));
    let mut rows = df.execute_stream().await.unwrap();
    append(&log, &(line(2, 200) + &line(3, 503)));
    let batch = tokio::time::timeout(PATIENCE, rows.next())
        .await
        .expect("a row within the timeout")
        .unwrap()
        .unwrap();
    let text = arrow::util::pretty::pretty_format_batches(&[batch])
        .unwrap()
        .to_string();
    assert!(text.contains("/u3") && !text.contains("/u1"), "{text}");
    // A plain aggregate over the endless table is refused by DataFusion, not left hanging.
    let err = ctx
        .sql("SELECT count(*) FROM logs")
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("pipeline breaking"), "{err}");
}

#[test]
fn on_a_terminal_an_aggregate_is_redrawn_in_place() {
    use expectrl::{Expect, Regex, Session};
    let dir = Scratch::new("follow-tty");
    let log = dir.path("access.log");
    append(&log, &(line(1, 200) + &line(2, 404)));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logsql"));
    cmd.args([
        "--follow",
        log.to_str().unwrap(),
        "--from-start",
        "--interval",
        "0.2",
        "-e",
        "SELECT count(*) AS hits FROM logs",
    ])
    .env("TERM", "xterm")
    .env_remove("RUST_BACKTRACE");
    let mut p = Session::spawn(cmd).expect("spawn logsql in a pty");
    p.set_expect_timeout(Some(PATIENCE));
    // Clear screen, home, a status line, then the table.
    p.expect(Regex(
        r"\x1b\[2J\x1b\[H[^\n]*2 rows so far[^\n]*\n[^|]*\| hits",
    ))
    .expect("the first drawing");
    p.expect(Regex(r"\| 2 +\|")).expect("the first count");
    append(&log, &line(3, 500));
    p.expect(Regex(r"\x1b\[2J\x1b\[H[^\n]*3 rows so far"))
        .expect("a redrawing");
    p.expect(Regex(r"\| 3 +\|")).expect("the new count");
    // Ctrl-C on the terminal ends it cleanly.
    p.send(expectrl::ControlCode::EndOfText).unwrap();
    p.expect(expectrl::Eof).expect("exit on Ctrl-C");
    let status = p.get_process().wait().unwrap();
    assert!(format!("{status:?}").ends_with(", 0)"), "{status:?}");
}
