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

/// Installs the handlers on `runtime`; from now on Ctrl-C, SIGTERM and SIGHUP remove the
/// listed temporary files and exit with 128 + the signal's number ([`INTERRUPTED`] for
/// Ctrl-C).
pub fn exit_on_signals(runtime: &tokio::runtime::Runtime) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::SignalKind;
        let ignored = ignored_signals();
        for (number, status) in [(2, INTERRUPTED), (15, 128 + 15), (1, 128 + 1)] {
            // A signal the parent ignores (`nohup`, a shell's background job) stays ignored:
            // a handler would end a run it was meant to spare.
            if ignored & (1 << (number - 1)) != 0 {
                continue;
            }
            // Registered here, before any temporary file exists, not when the task first runs.
            let mut signal = {
                let _entered = runtime.enter();
                tokio::signal::unix::signal(SignalKind::from_raw(number))?
            };
            runtime.spawn(async move {
                if signal.recv().await.is_some() {
                    exit_removing_temp_files(status);
                }
            });
        }
    }
    #[cfg(not(unix))]
    runtime.spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            exit_removing_temp_files(INTERRUPTED);
        }
    });
    Ok(())
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
