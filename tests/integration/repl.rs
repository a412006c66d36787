//! The interactive shell, driven through a pseudo-terminal like a person would, and its
//! non-terminal form (statements piped on stdin).
//!
//! Expectations wait for text (generous timeouts, no sleeps), so slow machines only make the
//! tests slower.

use std::process::Command;
use std::time::Duration;

use expectrl::{ControlCode, Eof, Expect, Regex, Session};
use logsql::generate::GenOptions;

use crate::util::{logsql, logsql_piped, Scratch};

pub(crate) type Shell = expectrl::session::OsSession;

/// Starts `logsql ARGS` in a pseudo-terminal, with HOME and the data dir in `dir` and no
/// history, and waits for the first prompt.
pub(crate) fn shell(dir: &Scratch, args: &[&str]) -> Shell {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logsql"));
    cmd.args(args)
        .arg("--no-history")
        .env("HOME", &dir.0)
        .env("XDG_DATA_HOME", dir.path("data"))
        .env("TERM", "xterm")
        .env_remove("RUST_BACKTRACE");
    let mut p = Session::spawn(cmd).expect("spawn logsql in a pty");
    let _ = p.get_process_mut().set_window_size(200, 50);
    p.set_expect_timeout(Some(Duration::from_secs(20)));
    p.expect("logsql> ").expect("first prompt");
    p
}

/// Types `text` and Enter.
pub(crate) fn enter(p: &mut Shell, text: &str) {
    p.send(text).unwrap();
    p.send("\r").unwrap();
}

/// Waits for `needle` (a regex) and returns the text it matched.
pub(crate) fn wait(p: &mut Shell, needle: &str) -> String {
    match p.expect(Regex(needle)) {
        Ok(c) => String::from_utf8_lossy(c.get(0).unwrap_or_default()).into_owned(),
        Err(e) => panic!("waiting for /{needle}/: {e}"),
    }
}

/// `-` with stdin a terminal is an error at once, not a wait for typed log lines.
#[test]
fn a_terminal_is_not_taken_for_piped_input() {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logsql"));
    cmd.args(["-", "-e", "SELECT count(*) FROM logs"])
        .env("TERM", "xterm")
        .env_remove("RUST_BACKTRACE");
    let mut p = Session::spawn(cmd).expect("spawn logsql in a pty");
    p.set_expect_timeout(Some(Duration::from_secs(20)));
    p.expect("standard input is a terminal, not a log")
        .expect("the error, without waiting for input");
    p.expect(Eof).unwrap();
    let status = p.get_process().wait().unwrap();
    assert!(format!("{status:?}").ends_with(", 1)"), "{status:?}");
}

/// Ctrl-D at an empty prompt ends the shell with status 0.
fn quit_with_ctrl_d(mut p: Shell) {
    p.expect("logsql> ").unwrap();
    p.send(ControlCode::EndOfTransmission).unwrap();
    p.expect(Eof).expect("the shell should exit on Ctrl-D");
    let status = p.get_process().wait().unwrap();
    assert!(
        format!("{status:?}").contains("Exited") && format!("{status:?}").ends_with(", 0)"),
        "{status:?}"
    );
}

#[test]
fn multi_line_query_completion_modes_output_and_ctrl_d() {
    let dir = Scratch::new("repl");
    let opts = GenOptions {
        lines: 800,
        seed: 61,
        ..GenOptions::default()
    };
    let (log, truth) = dir.generated("access.log", &opts);
    let mut p = shell(&dir, &[log.to_str().unwrap()]);

    // A statement typed over three lines runs once its `;` is typed.
    enter(&mut p, "SELECT status,");
    enter(&mut p, "  count(*) AS hits");
    enter(&mut p, "FROM logs GROUP BY status ORDER BY status;");
    let footer = wait(&mut p, r"\d+ rows? \(\d+\.\d+ s\)");
    assert!(
        footer.starts_with(&truth.status.len().to_string()),
        "{footer}"
    );

    // Tab completes a column name.
    p.expect("logsql> ").unwrap();
    p.send("SELECT count(user_a").unwrap();
    p.send("\t").unwrap();
    wait(&mut p, "user_agent");
    enter(&mut p, ") AS with_ua FROM logs;");
    let got = wait(&mut p, r"1 row \(|Error[^\r\n]*");
    assert!(
        got.starts_with("1 row"),
        "completion did not give a valid query: {got}"
    );

    // .mode csv prints CSV.
    p.expect("logsql> ").unwrap();
    enter(&mut p, ".mode csv");
    p.expect("logsql> ").unwrap();
    enter(&mut p, "SELECT count(*) AS n FROM logs;");
    wait(&mut p, &format!(r"\nn\r?\n{}\r?\n", truth.rows));

    // .output FILE sends results there; .output alone comes back to the screen.
    let out = dir.path("result.csv");
    p.expect("logsql> ").unwrap();
    enter(&mut p, &format!(".output {}", out.display()));
    p.expect("logsql> ").unwrap();
    enter(
        &mut p,
        "SELECT status, count(*) AS n FROM logs GROUP BY status ORDER BY status;",
    );
    wait(&mut p, "rows written to");
    p.expect("logsql> ").unwrap();
    enter(&mut p, ".output");
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("status,n"));
    let got: Vec<(i32, u64)> = lines
        .map(|l| {
            let (s, n) = l.split_once(',').unwrap();
            (s.parse().unwrap(), n.parse().unwrap())
        })
        .collect();
    let want: Vec<(i32, u64)> = truth.status.iter().map(|(s, n)| (*s, *n)).collect();
    assert_eq!(got, want);

    // A table written to a file keeps whole cells (the screen's are cut to fit).
    let out = dir.path("result.txt");
    p.expect("logsql> ").unwrap();
    enter(&mut p, ".mode table");
    p.expect("logsql> ").unwrap();
    enter(&mut p, &format!(".output {}", out.display()));
    p.expect("logsql> ").unwrap();
    enter(
        &mut p,
        "SELECT user_agent FROM logs ORDER BY length(user_agent) DESC NULLS LAST LIMIT 1;",
    );
    wait(&mut p, "row written to");
    p.expect("logsql> ").unwrap();
    enter(&mut p, ".output");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains('…'), "{text}");
    assert!(text.lines().any(|l| l.len() > 100), "{text}");
    p.expect("logsql> ").unwrap();
    enter(&mut p, ".mode csv");

    // Back on the screen, and an error leaves the session going.
    p.expect("logsql> ").unwrap();
    enter(&mut p, "SELECT nope FROM logs;");
    wait(&mut p, "Error: [^\r\n]*nope");
    p.expect("logsql> ").unwrap();
    enter(&mut p, "SELECT 6 * 7 AS answer;");
    wait(&mut p, r"answer\r?\n42\r?\n");
    quit_with_ctrl_d(p);
}

/// A query whose operators never yield (a nested-loop join keeps every worker busy) is
/// cancelled too: Ctrl-C is seen on a thread of its own.
#[test]
fn ctrl_c_cancels_a_query_that_never_yields() {
    let dir = Scratch::new("repl-cancel-busy");
    let opts = GenOptions {
        lines: 200_000,
        seed: 63,
        ..GenOptions::default()
    };
    let (log, _) = dir.generated("access.log", &opts);
    let mut p = shell(&dir, &[log.to_str().unwrap()]);
    enter(
        &mut p,
        "SELECT count(*) FROM logs a JOIN logs b ON a.bytes < b.bytes;",
    );
    std::thread::sleep(Duration::from_millis(2500));
    p.send(ControlCode::EndOfText).unwrap();
    p.set_expect_timeout(Some(Duration::from_secs(5)));
    wait(&mut p, "cancelled");
    p.expect("logsql> ").unwrap();
    p.set_expect_timeout(Some(Duration::from_secs(20)));
    enter(&mut p, "SELECT 6 * 7 AS answer;");
    wait(&mut p, "42");
    quit_with_ctrl_d(p);
}

#[test]
fn ctrl_c_cancels_a_long_query_and_the_shell_goes_on() {
    let dir = Scratch::new("repl-cancel");
    let opts = GenOptions {
        lines: 3000,
        seed: 62,
        ..GenOptions::default()
    };
    let (log, _) = dir.generated("access.log", &opts);
    let mut p = shell(&dir, &[log.to_str().unwrap()]);

    // 27 billion row triples: this never ends on its own.
    enter(
        &mut p,
        "SELECT count(*) FROM logs a CROSS JOIN logs b CROSS JOIN logs c WHERE a.bytes + b.bytes + c.bytes < 0;",
    );
    // The progress line says the scan is under way (and the terminal is out of raw mode).
    wait(&mut p, "Ctrl-C cancels");
    p.send(ControlCode::EndOfText).unwrap();
    wait(&mut p, "cancelled");
    p.expect("logsql> ").unwrap();
    enter(
        &mut p,
        "SELECT count(*) AS n FROM logs WHERE status IS NOT NULL OR status IS NULL;",
    );
    wait(&mut p, r"1 row \(");

    // Ctrl-C at the prompt drops the half-typed line.
    p.expect("logsql> ").unwrap();
    p.send("SELECT garbage").unwrap();
    p.send(ControlCode::EndOfText).unwrap();
    p.expect("logsql> ").unwrap();
    enter(&mut p, ".tables");
    wait(&mut p, "logs_rejects");
    quit_with_ctrl_d(p);
}

#[test]
fn dot_quit_and_backslash_commands() {
    let dir = Scratch::new("repl-meta");
    let (log, _) = dir.generated(
        "access.log",
        &GenOptions {
            lines: 200,
            seed: 63,
            ..GenOptions::default()
        },
    );
    let mut p = shell(&dir, &[log.to_str().unwrap()]);
    enter(&mut p, "\\d logs");
    wait(&mut p, "rejected lines: \\d+");
    p.expect("logsql> ").unwrap();
    enter(&mut p, ".open missing.log AS other");
    wait(&mut p, "Error: [^\r\n]*missing.log");
    p.expect("logsql> ").unwrap();
    enter(&mut p, ".quit");
    p.expect(Eof).unwrap();
}

/// Runs `logsql ARGS` with `stdin` piped in.
fn piped(dir: &Scratch, args: &[&str], stdin: &str) -> (i32, String, String) {
    let data = dir.path("data");
    let run = logsql_piped(args, &[("HOME", &dir.0), ("XDG_DATA_HOME", &data)], stdin);
    (run.status, run.stdout, run.stderr)
}

#[test]
fn statements_piped_on_stdin() {
    let dir = Scratch::new("repl-pipe");
    let (log, truth) = dir.generated(
        "access.log",
        &GenOptions {
            lines: 500,
            seed: 64,
            ..GenOptions::default()
        },
    );
    let log = log.to_str().unwrap();

    let script = ".mode csv\n-- how many\nSELECT count(*) AS n\n  FROM logs;\nSELECT 'a;b' AS s;\n";
    let (status, stdout, stderr) = piped(&dir, &[log], script);
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(stdout, format!("n\n{}\ns\na;b\n", truth.rows));

    let script = "SELECT 1 AS one;\nSELEC oops;\nSELECT 2 AS two;\n";
    let (status, stdout, stderr) = piped(&dir, &[log, "--out-format", "csv"], script);
    assert_eq!(status, 1, "{stderr}");
    assert_eq!(stdout, "one\n1\ntwo\n2\n");
    assert!(
        stderr.contains("SELEC") && stderr.contains("Line: 1, Column"),
        "{stderr}"
    );
    assert!(stderr.contains("1 statement failed"), "{stderr}");

    // A table-mode script gets every row and whole cells, as -e does.
    let sql = "SELECT _line, user_agent FROM logs ORDER BY _line";
    let (status, stdout, stderr) = piped(&dir, &[log], &format!("{sql};\n"));
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(stdout, logsql(&[log, "-e", sql]).stdout);
    assert_eq!(stdout.lines().count(), truth.rows as usize + 4);

    // A statement without a result prints nothing, in a script as with -e.
    let ddl = "CREATE VIEW v AS SELECT status FROM logs; SELECT count(*) AS n FROM v;";
    for mode in ["table", "markdown", "csv"] {
        let (status, stdout, stderr) = piped(&dir, &[log], &format!(".mode {mode}\n{ddl}\n"));
        assert_eq!(status, 0, "{stderr}");
        let want = logsql(&[log, "--out-format", mode, "-e", ddl]).stdout;
        assert_eq!(stdout, want, "{mode}");
    }

    // Every row (.maxrows 0) streams, as -e prints it.
    for mode in ["markdown", "table"] {
        let script = format!(".mode {mode}\n.maxrows 0\n{sql};\n");
        let (status, stdout, stderr) = piped(&dir, &[log], &script);
        assert_eq!(status, 0, "{stderr}");
        let want = logsql(&[log, "--out-format", mode, "-e", sql]).stdout;
        assert_eq!(stdout, want, "{mode}");
    }

    // A script's own .maxrows cuts the table, and says so on stderr.
    let (status, stdout, stderr) = piped(&dir, &[log], &format!(".maxrows 3\n{sql};\n"));
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 3 + 4);
    assert!(
        stderr.contains(&format!(
            "{} rows, 3 shown, {} omitted",
            truth.rows,
            truth.rows - 3
        )),
        "{stderr}"
    );
}
