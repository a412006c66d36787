//! Ctrl-C, SIGTERM (`kill`, `timeout`) or SIGHUP (a closed terminal) during a one-shot run
//! (`-e`, `-f`, `report`): the process ends at once, as it would without a handler, but first
//! removes its temporary files (an `-o` file not yet renamed into place, standard input's
//! spool where it has a name), which an unhandled signal would leave behind.
//!
//! A signal the process was started with set to be ignored (`nohup` ignores SIGHUP) is left
//! so. The handler ends the process from a runtime thread, so it works even while the main
//! thread is blocked (waiting for piped input, say). The REPL and follow mode handle Ctrl-C
//! themselves: there it cancels a query or ends the follow, not the process.

use std::io::Write;

/// The exit status of a run ended by Ctrl-C: 128 + SIGINT, as shells report it.
pub const INTERRUPTED: i32 = 130;

/// Installs the handlers; from now on Ctrl-C, SIGTERM and SIGHUP remove the listed
/// temporary files and exit with 128 + the signal's number ([`INTERRUPTED`] for Ctrl-C).
///
/// They wait on a thread of their own, with a runtime of its own: a query whose operators
/// never yield (a nested-loop join) keeps every worker of the query's runtime busy, and a
/// handler waiting there would never run.
pub fn exit_on_signals() -> std::io::Result<()> {
    // Registered before any temporary file exists, not when the thread first runs.
    listen_on_own_thread("logsql-signals", wait_for_signals)
}

/// Counts Ctrl-Cs for the interactive shell, which cancels a query on one: seen from a thread
/// of its own, as in [`exit_on_signals`], so that a query that never yields can be cancelled.
/// From now on Ctrl-C no longer ends the process.
pub fn ctrl_c_count() -> std::io::Result<tokio::sync::watch::Receiver<u64>> {
    let (count, watch) = tokio::sync::watch::channel(0u64);
    listen_on_own_thread("logsql-ctrl-c", move |ready| async move {
        #[cfg(unix)]
        let mut signal = {
            use tokio::signal::unix::{signal, SignalKind};
            match signal(SignalKind::interrupt()) {
                Ok(signal) => signal,
                Err(e) => return ready.send(Err(e)).unwrap_or(()),
            }
        };
        let _ = ready.send(Ok(()));
        #[cfg(unix)]
        while signal.recv().await.is_some() {
            count.send_modify(|n| *n += 1);
        }
        #[cfg(not(unix))]
        while tokio::signal::ctrl_c().await.is_ok() {
            count.send_modify(|n| *n += 1);
        }
    })?;
    Ok(watch)
}

/// Says on it that a listener's handlers are registered (or why not).
type Ready = std::sync::mpsc::Sender<std::io::Result<()>>;

/// Runs `listen` on a thread named `name` with a runtime of its own, and returns once it has
/// said on its [`Ready`] that its handlers are registered.
fn listen_on_own_thread<F, L>(name: &str, listen: L) -> std::io::Result<()>
where
    L: FnOnce(Ready) -> F + Send + 'static,
    F: std::future::Future<Output = ()>,
{
    let (ready, registered) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            match runtime {
                Ok(runtime) => runtime.block_on(listen(ready)),
                Err(e) => ready.send(Err(e)).unwrap_or(()),
            }
        })?;
    registered.recv().map_err(std::io::Error::other)?
}

/// Registers the handlers, says so on `ready`, and exits on the first signal.
async fn wait_for_signals(ready: Ready) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::SignalKind;
        let ignored = ignored_signals();
        let mut waiting = Vec::new();
        // SIGINT, SIGTERM, SIGHUP: each exits with 128 + its number, as shells report it.
        for number in [2, 15, 1] {
            let status = 128 + number;
            // A signal the parent ignores (`nohup`, a shell's background job) stays ignored:
            // a handler would end a run it was meant to spare.
            if ignored & (1 << (number - 1)) != 0 {
                continue;
            }
            match tokio::signal::unix::signal(SignalKind::from_raw(number)) {
                Ok(signal) => waiting.push((signal, status)),
                Err(e) => return ready.send(Err(e)).unwrap_or(()),
            }
        }
        let _ = ready.send(Ok(()));
        if waiting.is_empty() {
            return; // every one ignored: nothing to wait for
        }
        let arrivals = waiting.into_iter().map(|(mut signal, status)| {
            Box::pin(async move { signal.recv().await.map(|_| status) })
        });
        if let (Some(status), _, _) = futures::future::select_all(arrivals).await {
            exit_removing_temp_files(status);
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ready.send(Ok(()));
        if tokio::signal::ctrl_c().await.is_ok() {
            exit_removing_temp_files(INTERRUPTED);
        }
    }
}

/// The signals this process was started with set to be ignored: bit `n - 1` for signal `n`
/// (Linux's `/proc/self/status`, `SigIgn`; none known elsewhere).
#[cfg(unix)]
fn ignored_signals() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("SigIgn:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .unwrap_or(0)
}

fn exit_removing_temp_files(status: i32) -> ! {
    logsql::temp_files::remove_all();
    if status == INTERRUPTED {
        let _ = writeln!(std::io::stderr(), "logsql: interrupted");
    }
    std::process::exit(status);
}
