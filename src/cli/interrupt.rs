//! Ctrl-C during a one-shot run (`-e`, `-f`, `report`): the process ends at once, as it would
//! without a handler, but first removes its temporary files (an `-o` file not yet renamed
//! into place, standard input's spool), which an unhandled SIGINT would leave behind.
//!
//! The handler ends the process from a runtime thread, so it works even while the main
//! thread is blocked (waiting for piped input, say). The REPL and follow mode handle Ctrl-C
//! themselves: there it cancels a query or ends the follow, not the process.

use std::io::Write;

/// The exit status of a run ended by Ctrl-C: 128 + SIGINT, as shells report it.
pub const INTERRUPTED: i32 = 130;

/// Installs the handler on `runtime`; from now on Ctrl-C removes the listed temporary files
/// and exits with [`INTERRUPTED`].
pub fn exit_on_ctrl_c(runtime: &tokio::runtime::Runtime) -> std::io::Result<()> {
    // Registered here, before any temporary file exists, not when the task first runs.
    #[cfg(unix)]
    let mut signal = {
        let _entered = runtime.enter();
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?
    };
    runtime.spawn(async move {
        #[cfg(unix)]
        let received = signal.recv().await.is_some();
        #[cfg(not(unix))]
        let received = tokio::signal::ctrl_c().await.is_ok();
        if received {
            logsql::temp_files::remove_all();
            let _ = writeln!(std::io::stderr(), "logsql: interrupted");
            std::process::exit(INTERRUPTED);
        }
    });
    Ok(())
}
