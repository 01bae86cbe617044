//! How much memory a running program has used at most: its peak resident set size, read
//! from `/proc/<pid>/status` (VmHWM, the "high water mark") on Linux. Checks use it to prove
//! a program streams a big file instead of holding it whole. Elsewhere there is no reading.

/// The peak resident memory of process `pid` or of any process it started (a program
/// under test runs under the sandbox's launchers), in bytes: the largest. None when it
/// cannot be read: not on Linux, or the process has already exited (a zombie keeps no
/// memory figures).
pub fn peak_rss(pid: u32) -> Option<u64> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let own = parse_vmhwm(&status);
    children(pid)
        .into_iter()
        .filter_map(peak_rss)
        .fold(own, |peak, child| peak.max(Some(child)))
}

/// The processes `pid` started that are still running (Linux; none elsewhere).
pub(crate) fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|child| child.parse().ok())
        .collect()
}

/// Whether [`peak_rss`] can ever answer on this system.
pub fn supported() -> bool {
    cfg!(target_os = "linux")
}

/// Bytes in MiB, one decimal: `31.5 MiB`.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
}

/// `VmHWM:     2508 kB` in a status file, in bytes.
fn parse_vmhwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let mut words = line["VmHWM:".len()..].split_whitespace();
    let value: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") => Some(value * 1024),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_high_water_mark() {
        let status =
            "Name:\ttcp_recv\nVmPeak:\t  10000 kB\nVmHWM:\t    2508 kB\nVmRSS:\t 2000 kB\n";
        assert_eq!(parse_vmhwm(status), Some(2508 * 1024));
        assert_eq!(parse_vmhwm("Name:\tzombie\nState:\tZ (zombie)\n"), None);
    }

    #[test]
    fn reads_this_process() {
        if supported() {
            assert!(peak_rss(std::process::id()).is_some_and(|bytes| bytes > 0));
        }
    }
}
