//! Helpers: a scratch directory, running the binary, generating logs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use logsql::generate::{generate, GenOptions, Truth};

/// A fresh directory under the target dir, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "logsql-test-{}-{}-{name}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn write(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, data).unwrap();
        p
    }

    /// Writes a generated log and returns its path and the answers.
    pub fn generated(&self, name: &str, opts: &GenOptions) -> (PathBuf, Truth) {
        let p = self.path(name);
        let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
        let truth = generate(opts, &mut f).unwrap();
        drop(f);
        (p, truth)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The result of one run of the binary.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// What a finished process left.
    pub fn of(out: Output) -> Run {
        Run {
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Asserts success and returns stdout, printing everything on failure.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(
            self.status, 0,
            "logsql failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        &self.stdout
    }

    /// CSV output as rows of fields, header excluded.
    #[track_caller]
    pub fn csv_rows(&self) -> Vec<Vec<String>> {
        let mut reader = csv::Reader::from_reader(self.ok().as_bytes());
        reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    }
}

pub fn logsql(args: &[&str]) -> Run {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_logsql"))
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("run logsql");
    Run::of(out)
}

/// Runs `logsql ARGS` in the directory `cwd` (for relative paths and patterns).
pub fn logsql_in(cwd: &Path, args: &[&str]) -> Run {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_logsql"))
        .args(args)
        .current_dir(cwd)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("run logsql");
    Run::of(out)
}

/// Starts `logsql ARGS` with `envs` set and stdin, stdout and stderr piped.
pub fn spawn_piped(args: &[&str], envs: &[(&str, &Path)]) -> std::process::Child {
    use std::process::Stdio;
    Command::new(env!("CARGO_BIN_EXE_logsql"))
        .args(args)
        .envs(envs.iter().copied())
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run logsql")
}

/// Runs `logsql ARGS` with `stdin` piped in and `envs` set.
pub fn logsql_piped(args: &[&str], envs: &[(&str, &Path)], stdin: impl AsRef<[u8]>) -> Run {
    use std::io::Write;
    let mut child = spawn_piped(args, envs);
    let written = child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(stdin.as_ref());
    // logsql may be done (a refusal, a LIMIT) before it has read all of its input.
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
    }
    Run::of(child.wait_with_output().expect("wait for logsql"))
}

/// A named pipe at `dir/name`, as a shell's `<(cmd)` gives.
#[cfg(unix)]
pub fn fifo(dir: &Scratch, name: &str) -> PathBuf {
    let path = dir.path(name);
    let made = Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("run mkfifo");
    assert!(made.success(), "mkfifo {}", path.display());
    path
}

/// Writes `data` into the pipe `fifo` on a thread of its own: a pipe's writer waits for a
/// reader.
#[cfg(unix)]
pub fn feed(fifo: &Path, data: impl Into<Vec<u8>>) -> std::thread::JoinHandle<std::io::Result<()>> {
    let (fifo, data) = (fifo.to_path_buf(), data.into());
    std::thread::spawn(move || std::fs::write(fifo, data))
}

/// Runs one query as CSV on `files`.
pub fn query_csv(files: &[&Path], extra: &[&str], sql: &str) -> Run {
    let mut args: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(["--out-format".into(), "csv".into(), "-e".into(), sql.into()]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    logsql(&refs)
}

/// `../shared/fixtures/real/<name>`, or `None` (and a note) on machines without it.
pub fn real_fixture(name: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/real")
        .join(name);
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "skipping: {} not present (../shared/ is only beside the repository in CI)",
            p.display()
        );
        None
    }
}

/// Sends `signal` (`-INT`, `-TERM`, `-HUP`) to the process `pid`, as `kill` does.
pub fn signal(pid: u32, signal: &str) {
    let sent = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill {signal} {pid}");
}
