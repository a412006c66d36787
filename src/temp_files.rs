//! The temporary files a run has open (an export before it is renamed into place; standard
//! input's spool where it cannot be a file without a name), listed so that a signal handler,
//! or the end of `main` while scans still run, can remove them before the process ends: a
//! `NamedTempFile` removes its file when dropped, and neither an unhandled signal nor
//! `std::process::exit` drops anything.
//!
//! The library installs no signal handler; the `logsql` command line calls [`remove_all`] from
//! its own, and a program embedding logsql can do the same from its.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

static LISTED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn listed() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    LISTED.lock().unwrap_or_else(|e| e.into_inner())
}

/// Keeps a temporary file's path on the list while it lives.
#[derive(Debug)]
pub struct Listed(PathBuf);

impl Listed {
    /// Lists `path` until the guard is dropped.
    pub fn new(path: &Path) -> Listed {
        listed().push(path.to_path_buf());
        Listed(path.to_path_buf())
    }
}

impl Drop for Listed {
    fn drop(&mut self) {
        let mut list = listed();
        if let Some(i) = list.iter().position(|p| *p == self.0) {
            list.swap_remove(i);
        }
    }
}

/// Removes every listed temporary file (for a handler about to end the process).
pub fn remove_all() {
    for path in std::mem::take(&mut *listed()) {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_files_are_removed_and_unlisted_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, "a").unwrap();
        std::fs::write(&b, "b").unwrap();
        let _kept = Listed::new(&a);
        drop(Listed::new(&b));
        remove_all();
        assert!(!a.exists(), "listed: removed");
        assert!(b.exists(), "unlisted when its guard was dropped: kept");
    }
}
