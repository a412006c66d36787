//! Ctrl-C, SIGTERM (`kill`, `timeout`) or SIGHUP (a closed terminal) during a one-shot run
//! (`-e`, `-f`, `report`): the process ends at once, as it would without a handler, but first
//! removes its temporary files (an `-o` file not yet renamed into place, standard input's
//! spool where it has a name), which an unhandled signal would leave behind.
//!
//! The handler ends the process from a runtime thread, so it works even while the main
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
        for (kind, status) in [
            (SignalKind::interrupt(), INTERRUPTED),
            (SignalKind::terminate(), 128 + 15),
            (SignalKind::hangup(), 128 + 1),
        ] {
            // Registered here, before any temporary file exists, not when the task first runs.
            let mut signal = {
                let _entered = runtime.enter();
                tokio::signal::unix::signal(kind)?
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

fn exit_removing_temp_files(status: i32) -> ! {
    logsql::temp_files::remove_all();
    if status == INTERRUPTED {
        let _ = writeln!(std::io::stderr(), "logsql: interrupted");
    }
    std::process::exit(status);
}
