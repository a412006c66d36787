//! How much memory a query may hold: `--memory-limit`, or by default a share of what the
//! machine (or the container) gives the process, so that a grouping with millions of groups
//! spills to disk instead of being killed by the OS.

use std::path::Path;

/// The limit a user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryLimit {
    Bytes(usize),
    /// `--memory-limit none`: DataFusion's unbounded pool.
    Unlimited,
}

/// The default limit's share of the available memory (DuckDB's default too): the rest is for
/// the process's own buffers, which the limit does not count, and for everything else.
const DEFAULT_SHARE: f64 = 0.8;

/// Parses `--memory-limit`: a size (`512M`, `2G`) or `none`.
pub fn parse_memory_limit(s: &str) -> Result<MemoryLimit, String> {
    if s.trim().eq_ignore_ascii_case("none") {
        return Ok(MemoryLimit::Unlimited);
    }
    super::args::parse_size(s).map(MemoryLimit::Bytes)
}

/// The pool size for a session: the asked limit, else 80% of the memory available to this
/// process, else (nothing readable) none.
pub fn pool_size(asked: Option<MemoryLimit>) -> Option<usize> {
    match asked {
        Some(MemoryLimit::Bytes(bytes)) => Some(bytes),
        Some(MemoryLimit::Unlimited) => None,
        None => available_memory().map(|bytes| (bytes as f64 * DEFAULT_SHARE) as usize),
    }
}

/// Physical memory, or the cgroup's limit when that is smaller (a container's `--memory`).
fn available_memory() -> Option<u64> {
    let read = |path: &str| std::fs::read_to_string(Path::new(path)).ok();
    let total = read("/proc/meminfo").as_deref().and_then(mem_total);
    let cgroup = read("/sys/fs/cgroup/memory.max")
        .or_else(|| read("/sys/fs/cgroup/memory/memory.limit_in_bytes"))
        .as_deref()
        .and_then(cgroup_limit);
    match (total, cgroup) {
        (Some(t), Some(c)) => Some(t.min(c)),
        (t, c) => t.or(c),
    }
}

/// `MemTotal` of `/proc/meminfo`, in bytes.
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut words = line["MemTotal:".len()..].split_whitespace();
    let kib: u64 = words.next()?.parse().ok()?;
    (words.next() == Some("kB")).then_some(kib * 1024)
}

/// A cgroup memory limit file's value in bytes: `None` for `max` (v2) or for v1's "no limit",
/// a number near `i64::MAX` rounded to pages.
fn cgroup_limit(text: &str) -> Option<u64> {
    let bytes: u64 = text.trim().parse().ok()?;
    (bytes < 1 << 60).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_sizes_or_none() {
        assert_eq!(
            parse_memory_limit("512M"),
            Ok(MemoryLimit::Bytes(512 << 20))
        );
        assert_eq!(parse_memory_limit("None"), Ok(MemoryLimit::Unlimited));
        assert!(parse_memory_limit("lots").is_err());
        assert_eq!(pool_size(Some(MemoryLimit::Bytes(1 << 30))), Some(1 << 30));
        assert_eq!(pool_size(Some(MemoryLimit::Unlimited)), None);
    }

    #[test]
    fn total_memory_from_meminfo() {
        let meminfo = "MemTotal:       24573984 kB\nMemFree:        1000 kB\n";
        assert_eq!(mem_total(meminfo), Some(24_573_984 * 1024));
        assert_eq!(mem_total("MemFree: 1000 kB\n"), None);
        assert_eq!(mem_total("MemTotal: lots kB\n"), None);
    }

    #[test]
    fn cgroup_limits_v1_and_v2() {
        assert_eq!(cgroup_limit("max\n"), None);
        assert_eq!(cgroup_limit("9223372036854771712\n"), None);
        assert_eq!(cgroup_limit("2147483648\n"), Some(2 << 30));
    }

    /// On Linux the default is a real share of a real figure, below what the machine has.
    #[cfg(target_os = "linux")]
    #[test]
    fn default_is_a_share_of_this_machine() {
        let total = available_memory().expect("/proc/meminfo is readable on Linux");
        let pool = pool_size(None).expect("a default");
        assert!(pool > 0 && (pool as u64) < total, "{pool} of {total}");
    }
}
