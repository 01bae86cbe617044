//! The resource limits a program under test runs with, how an instructor changes them
//! (`NETLAB_LIMITS=memory=2G,cpu=120`, or grade's `--limits`), and the words for a program
//! the kernel stopped at one of them.

use std::process::ExitStatus;

/// Changes the limits: `memory=1G,file-size=256M,processes=256,open-files=256,cpu=60,
/// disk=2G`.
pub const VAR: &str = "NETLAB_LIMITS";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of data memory (RLIMIT_DATA: heap and anonymous mappings).
    pub memory: u64,
    /// The largest file it may write, in bytes (RLIMIT_FSIZE).
    pub file_size: u64,
    /// Processes and threads of its user in its namespace (RLIMIT_NPROC).
    pub processes: u64,
    /// Open file descriptors (RLIMIT_NOFILE).
    pub open_files: u64,
    /// Seconds of CPU time (RLIMIT_CPU).
    pub cpu_seconds: u64,
    /// Bytes in the scratch folder altogether, per check runner (a tmpfs of that size over
    /// it, where a mount namespace can be had: `scratch.rs`).
    pub disk: u64,
}

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

impl Limits {
    /// Far above what any exercise needs (the largest file a check sends is 64 MiB), far
    /// below what hurts the machine.
    pub const DEFAULT: Limits = Limits {
        memory: GIB,
        file_size: 256 * MIB,
        processes: 256,
        open_files: 256,
        cpu_seconds: 60,
        disk: 2 * GIB,
    };

    /// The limits `NETLAB_LIMITS` asks for, over the defaults.
    pub fn from_env() -> Result<Limits, String> {
        match std::env::var(VAR) {
            Ok(text) => Limits::parse(&text),
            Err(_) => Ok(Limits::DEFAULT),
        }
    }

    /// `memory=2G,cpu=120`: the named limits changed, the others the defaults.
    pub fn parse(text: &str) -> Result<Limits, String> {
        Limits::DEFAULT.with(text)
    }

    /// These limits with those named in `text` (`cpu=5`) changed.
    pub fn with(self, text: &str) -> Result<Limits, String> {
        let mut limits = self;
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?} is not NAME=VALUE"))?;
            let value = parse_size(value)
                .ok_or_else(|| format!("{value:?} is not a number (sizes may end in K, M or G)"))?;
            if value == 0 {
                return Err(format!("{name} must be more than 0"));
            }
            match name {
                "memory" => limits.memory = value,
                "file-size" => limits.file_size = value,
                "processes" => limits.processes = value,
                "open-files" => limits.open_files = value,
                "cpu" => limits.cpu_seconds = value,
                "disk" => limits.disk = value,
                other => {
                    return Err(format!(
                        "no limit {other:?}: memory, file-size, processes, open-files, cpu, disk"
                    ));
                }
            }
        }
        Ok(limits)
    }

    /// The same limits as [`Limits::parse`] reads them.
    pub fn to_arg(&self) -> String {
        format!(
            "memory={},file-size={},processes={},open-files={},cpu={},disk={}",
            self.memory,
            self.file_size,
            self.processes,
            self.open_files,
            self.cpu_seconds,
            self.disk
        )
    }

    /// When a run that ended with `status`, having written `stderr`, ended because it hit
    /// one of these limits, the words for it.
    pub fn explain(&self, status: Option<ExitStatus>, stderr: &[u8]) -> Option<String> {
        let stderr = String::from_utf8_lossy(stderr);
        let signal = status.and_then(signal_of);
        if signal == Some(24) {
            return Some(format!(
                "stopped: it used more than {} s of CPU time (the sandbox's limit)",
                self.cpu_seconds
            ));
        }
        if signal == Some(25) {
            return Some(format!(
                "stopped: it wrote a file larger than {} (the sandbox's limit)",
                size(self.file_size)
            ));
        }
        // Rust aborts when an allocation fails (SIGABRT, or SIGSEGV when even the abort
        // finds no memory).
        if signal.is_some() && stderr.contains("memory allocation of") {
            return Some(format!(
                "stopped: it used more than {} of memory (the sandbox's limit)",
                size(self.memory)
            ));
        }
        None
    }
}

fn signal_of(status: ExitStatus) -> Option<i32> {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        status.signal()
    }
    #[cfg(not(unix))]
    {
        let _ = status;
        None
    }
}

/// `1G`, `256M`, `64K`, `1000`.
fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().last()? {
        (i, 'K' | 'k') => (&text[..i], KIB),
        (i, 'M' | 'm') => (&text[..i], MIB),
        (i, 'G' | 'g') => (&text[..i], GIB),
        _ => (text, 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(unit)
}

/// `1 GiB`, `256 MiB`, `1000 bytes`.
fn size(bytes: u64) -> String {
    match bytes {
        b if b % GIB == 0 => format!("{} GiB", b / GIB),
        b if b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b % KIB == 0 => format!("{} KiB", b / KIB),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_back() {
        let limits = Limits::parse("memory=2G, cpu=5,open-files=64").unwrap();
        assert_eq!(limits.memory, 2 * GIB);
        assert_eq!(limits.cpu_seconds, 5);
        assert_eq!(limits.open_files, 64);
        assert_eq!(limits.file_size, Limits::DEFAULT.file_size);
        assert_eq!(Limits::parse(&limits.to_arg()).unwrap(), limits);
        assert!(Limits::parse("memory=lots").is_err());
        assert!(Limits::parse("swap=1G").is_err());
        assert_eq!(Limits::parse("disk=512M").unwrap().disk, 512 * MIB);
        assert!(Limits::parse("cpu=0").is_err());
        assert_eq!(size(GIB), "1 GiB");
    }
}
