//! Measuring helpers: which tools are installed, a free port, a peak-memory sampler that
//! reads VmHWM from /proc while a process runs, and medians.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use harness::Running;

/// The path of `tool` on PATH, if installed.
pub fn which(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|candidate| candidate.is_file())
}

/// How long any server, ours or another tool, has to say it listens.
pub const READY_LIMIT: Duration = Duration::from_secs(5);

/// Wait for a tool that knows nothing of netlab to say it listens: a line with
/// "listening on" in any case (nc says "Listening on", socat "listening on").
pub fn wait_ready(listener: &Running) -> anyhow::Result<()> {
    let ready = |line: &str| line.to_ascii_lowercase().contains("listening on");
    match listener.wait_for_line(READY_LIMIT, ready) {
        Some(_) => Ok(()),
        None => anyhow::bail!(
            "{} did not say it was listening: {:?}",
            listener.command_line(),
            listener.stdout_so_far()
        ),
    }
}

/// A port that was free a moment ago, for tools that cannot be told to take port 0.
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Peak resident memory (VmHWM) of a process, read from /proc every few ms while it
/// runs. VmHWM is the kernel's own high-water mark, so sampling only risks missing the very
/// last milliseconds of a process's life. None where /proc is missing.
pub struct PeakMemory {
    stop: Arc<AtomicBool>,
    sampler: JoinHandle<Option<u64>>,
}

impl PeakMemory {
    pub fn watch(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let sampler = thread::spawn(move || {
            let mut peak = None;
            loop {
                // Read before checking `stopped`, so one last sample is always taken.
                if let Some(bytes) = harness::memory::peak_rss(pid) {
                    peak = Some(peak.unwrap_or(0).max(bytes));
                }
                if stopped.load(Ordering::Relaxed) {
                    return peak;
                }
                harness::wait::on_purpose(Duration::from_millis(2), "a sample every 2 ms");
            }
        });
        PeakMemory { stop, sampler }
    }

    /// Stop sampling; the peak in MiB.
    pub fn finish(self) -> Option<f64> {
        self.stop.store(true, Ordering::Relaxed);
        let bytes = self.sampler.join().ok().flatten()?;
        Some(bytes as f64 / f64::from(1u32 << 20))
    }
}

pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

pub fn max(values: &[Option<f64>]) -> Option<f64> {
    values.iter().flatten().copied().reduce(f64::max)
}
