//! What a finished program did, and the words for it: its ending ("exit code 1",
//! "killed by signal 9", "stopped: it used more than 1 GiB of memory") and the excerpt of
//! its output a failure message shows under `ran:`.

use std::fmt::Write as _;
use std::process::ExitStatus;
use std::time::Duration;

use crate::panic::Panic;

/// What a finished run did.
#[derive(Clone, Debug)]
pub struct Output {
    /// The command as a shell would take it (`echo_server 127.0.0.1:0 /tmp/x`), for the
    /// `ran:` line of a failure: a student can paste it and run their program the same way.
    pub command_line: String,
    /// None only if the process could not be reaped.
    pub status: Option<ExitStatus>,
    /// Killed by the harness because its deadline passed.
    pub timed_out: bool,
    /// From start to exit (or kill): checks about time (a timeout honoured, an idle
    /// connection closed) read it.
    pub elapsed: Duration,
    /// What it wrote, up to [`crate::process::OUTPUT_CAP`] bytes each: a program that
    /// prints forever costs neither memory nor a stuck check.
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Bytes read past the cap and thrown away, so a failure can say "and N bytes more".
    pub stdout_dropped: u64,
    pub stderr_dropped: u64,
    /// For a program under test that hit one of the sandbox's limits, the words for it
    /// ("stopped: it used more than 1 GiB of memory (the sandbox's limit)"): the process
    /// that ran it knows its limits, the words must not depend on who shows them.
    pub stopped_by: Option<String>,
}

impl Output {
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    pub fn stdout_lines(&self) -> Vec<String> {
        self.stdout_text().lines().map(str::to_string).collect()
    }

    pub fn panic(&self) -> Option<Panic> {
        Panic::find(&self.stderr_text())
    }

    /// How the run ended, in words: "exit code 1", "killed after the 5000 ms limit", ...
    pub fn ending(&self) -> String {
        if let Some(limit) = &self.stopped_by {
            return limit.clone();
        }
        if self.timed_out {
            return format!(
                "still running after {} ms, killed",
                self.elapsed.as_millis()
            );
        }
        match self.status {
            None => "could not be reaped".to_string(),
            Some(status) => match status.code() {
                Some(code) => format!("exit code {code}"),
                None => describe_signal(status),
            },
        }
    }

    /// The run, for a failure message: command, ending, and the start of each stream.
    pub fn report(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(text, "     ran: {}", self.command_line);
        let _ = writeln!(text, "   ended: {}", self.ending());
        for (name, bytes, dropped) in [
            ("stdout", &self.stdout, self.stdout_dropped),
            ("stderr", &self.stderr, self.stderr_dropped),
        ] {
            let _ = writeln!(text, "  {name}: {}", excerpt(bytes, dropped));
        }
        text.trim_end().to_string()
    }
}

/// The first lines of a stream, indented to sit under a `report` label.
pub fn excerpt(bytes: &[u8], dropped: u64) -> String {
    const MAX_LINES: usize = 12;
    const MAX_LINE: usize = 200;
    if bytes.is_empty() && dropped == 0 {
        return "(nothing)".to_string();
    }
    // Split on b'\n' (and drop a '\r' before it), as `str::lines` would, but keep the
    // bytes: a byte that is not UTF-8 shows as `\xff`, the way crate::bytes shows it.
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|last| last.is_empty()) {
        lines.pop();
    }
    let mut shown: Vec<String> = lines
        .iter()
        .take(MAX_LINES)
        .map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let text = crate::bytes::escape(line);
            let cut: String = text.chars().take(MAX_LINE).collect();
            let more = if cut.len() < text.len() { "..." } else { "" };
            format!("\"{cut}\"{more}")
        })
        .collect();
    if lines.len() > MAX_LINES {
        shown.push(format!("... {} more lines", lines.len() - MAX_LINES));
    }
    if dropped > 0 {
        shown.push(format!("... and {dropped} bytes past the capture limit"));
    }
    shown.join("\n          ")
}

#[cfg(unix)]
fn describe_signal(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        Some(signal) => format!("killed by signal {signal}"),
        None => status.to_string(),
    }
}

#[cfg(not(unix))]
fn describe_signal(status: ExitStatus) -> String {
    status.to_string()
}
