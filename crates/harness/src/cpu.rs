//! How much CPU time a running program has used, with every process it started (a program
//! under test runs under the sandbox's launchers): from `/proc/<pid>/stat` on Linux. A
//! check uses it to tell a program that waits from one that spins.

use std::time::Duration;

/// User and system CPU time of `pid` and everything it started, so far. None where it
/// cannot be read (not Linux, or the process is gone).
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let own = parse_ticks(&stat)?;
    let ticks = crate::memory::children(pid)
        .into_iter()
        .filter_map(cpu_time)
        .fold(Duration::from_millis(own * 10), |sum, child| sum + child);
    Some(ticks)
}

/// utime + stime (fields 14 and 15) of a stat line, in clock ticks (100 a second on
/// Linux). The command name (field 2) may hold spaces, so fields count from its `)`.
fn parse_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_user_and_system_ticks() {
        let stat = "42 (a b) S 1 42 42 0 -1 4194304 100 0 0 0 7 3 0 0 20 0 1 0 5 0 0";
        assert_eq!(parse_ticks(stat), Some(10));
        if cfg!(target_os = "linux") {
            assert!(cpu_time(std::process::id()).is_some());
        }
    }
}
