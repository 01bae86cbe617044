//! The results as markdown tables with the targets checked, and the writing of them into
//! the book's performance chapter between its `<!-- bench:begin -->`/`end` marks.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::Options;
use crate::measure::median;

pub struct Transfer {
    pub name: String,
    /// The median run's rate, and the best run's.
    pub gib_per_s: f64,
    pub best_gib_per_s: f64,
    pub sender_mib: Option<f64>,
    pub receiver_mib: Option<f64>,
}

impl Transfer {
    pub fn new(
        name: &str,
        bytes: u64,
        mut seconds: Vec<f64>,
        sender_mib: Option<f64>,
        receiver_mib: Option<f64>,
    ) -> Self {
        let gib = bytes as f64 / f64::from(1u32 << 30);
        let fastest = seconds.iter().copied().reduce(f64::min).unwrap_or(f64::NAN);
        Transfer {
            name: name.to_string(),
            gib_per_s: gib / median(&mut seconds),
            best_gib_per_s: gib / fastest,
            sender_mib,
            receiver_mib,
        }
    }
}

pub struct Echo {
    pub name: String,
    /// (client threads, round trips per second)
    pub per_threads: Vec<(usize, f64)>,
}

pub struct Report {
    pub transfers: Vec<Transfer>,
    pub echoes: Vec<Echo>,
    pub grading: Vec<(String, f64)>,
    pub notes: Vec<String>,
    size_mib: u64,
    runs: usize,
}

impl Report {
    pub fn new(options: &Options) -> Self {
        Report {
            transfers: Vec::new(),
            echoes: Vec::new(),
            grading: Vec::new(),
            notes: Vec::new(),
            size_mib: options.size_mib,
            runs: options.runs,
        }
    }

    /// Whether `tool` is on PATH; if not, a note under the table says what went without it.
    pub fn installed(&mut self, tool: &str, without: &str) -> bool {
        let found = crate::measure::which(tool).is_some();
        if !found {
            self.notes
                .push(format!("{tool} is not installed: {without}"));
        }
        found
    }

    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "Measured on: {}.\n", machine());
        if !self.transfers.is_empty() {
            let _ = writeln!(
                md,
                "**File transfer over loopback**, {} MiB, median of {} runs after a warm-up run, taken in turns; peak resident memory (VmHWM) of each side.\n",
                self.size_mib, self.runs
            );
            let _ = writeln!(
                md,
                "| transfer | GiB/s | best run GiB/s | sender peak MiB | receiver peak MiB |"
            );
            let _ = writeln!(md, "|---|---:|---:|---:|---:|");
            for t in &self.transfers {
                let _ = writeln!(
                    md,
                    "| {} | {:.2} | {:.2} | {} | {} |",
                    t.name,
                    t.gib_per_s,
                    t.best_gib_per_s,
                    mib(t.sender_mib),
                    mib(t.receiver_mib)
                );
            }
            md.push('\n');
        }
        if !self.echoes.is_empty() {
            let _ = writeln!(
                md,
                "**UDP echo**, 32-byte datagrams, one in flight per client thread; round trips per second.\n"
            );
            let _ = writeln!(md, "| echo server | 1 client | 4 clients |");
            let _ = writeln!(md, "|---|---:|---:|");
            for e in &self.echoes {
                let cells: Vec<String> = e
                    .per_threads
                    .iter()
                    .map(|(_, r)| format!("{r:.0}"))
                    .collect();
                let _ = writeln!(md, "| {} | {} |", e.name, cells.join(" | "));
            }
            md.push('\n');
        }
        if !self.grading.is_empty() {
            let _ = writeln!(md, "**Grading time** with the release `grade`.\n");
            let _ = writeln!(md, "| graded | seconds |");
            let _ = writeln!(md, "|---|---:|");
            for (what, seconds) in &self.grading {
                let _ = writeln!(md, "| {what} | {seconds:.1} |");
            }
            md.push('\n');
        }
        let targets = self.targets();
        if !targets.is_empty() {
            let _ = writeln!(md, "**Targets**\n");
            for line in targets {
                let _ = writeln!(md, "- {line}");
            }
            md.push('\n');
        }
        for note in &self.notes {
            let _ = writeln!(md, "> {note}\n");
        }
        md.trim_end().to_string()
    }

    fn targets(&self) -> Vec<String> {
        let verdict = |ok: bool| if ok { "met" } else { "**missed**" };
        let mut lines = Vec::new();
        let reference = self
            .transfers
            .iter()
            .find(|t| t.name == crate::transfer::REFERENCE);
        if let Some(r) = reference {
            let ceiling = self
                .transfers
                .iter()
                .find(|t| t.name == crate::transfer::NEW_FILE_CEILING)
                .map(|c| {
                    format!(
                        " (writing a new file alone: {:.2} GiB/s in the same rounds)",
                        c.gib_per_s
                    )
                })
                .unwrap_or_default();
            lines.push(format!(
                "reference transfer ≥ 1.5 GiB/s: {:.2} GiB/s, {}{ceiling}",
                r.gib_per_s,
                verdict(r.gib_per_s >= 1.5)
            ));
            if let Some(nc) = self.transfers.iter().find(|t| t.name.starts_with("nc")) {
                let ratio = r.gib_per_s / nc.gib_per_s;
                lines.push(format!(
                    "reference ≥ 1.4 × nc: {ratio:.2} ×, {}",
                    verdict(ratio >= 1.4)
                ));
            }
            let peak = r
                .sender_mib
                .unwrap_or(0.0)
                .max(r.receiver_mib.unwrap_or(0.0));
            if r.sender_mib.is_some() {
                lines.push(format!(
                    "≤ 8 MiB peak memory per side: {peak:.1} MiB, {}",
                    verdict(peak <= 8.0)
                ));
            }
        }
        let rate = |name: &str, threads: usize| {
            self.echoes
                .iter()
                .find(|e| e.name.starts_with(name))
                .and_then(|e| {
                    e.per_threads
                        .iter()
                        .find(|(t, _)| *t == threads)
                        .map(|(_, r)| *r)
                })
        };
        for threads in [1, 4] {
            if let (Some(ours), Some(socat)) =
                (rate("udp_server_sol", threads), rate("socat", threads))
            {
                lines.push(format!(
                    "udp_server_sol ≥ socat, {threads} client(s): {:.2} ×, {}",
                    ours / socat,
                    verdict(ours >= socat)
                ));
            }
        }
        lines
    }
}

fn mib(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| format!("{v:.1}"))
}

/// Cores, CPU model and kernel, so a reader can compare with their own machine.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| format!(", Linux {}", k.trim()))
        .unwrap_or_default();
    format!("{cores} cores, {cpu}{kernel}")
}

/// Replace what stands between the chapter's bench marks with `markdown`.
pub fn write_into(chapter: &Path, markdown: &str) -> Result<()> {
    const BEGIN: &str = "<!-- bench:begin -->";
    const END: &str = "<!-- bench:end -->";
    let text =
        fs::read_to_string(chapter).with_context(|| format!("reading {}", chapter.display()))?;
    let (Some(begin), Some(end)) = (text.find(BEGIN), text.find(END)) else {
        bail!(
            "{} has no {BEGIN} ... {END} marks to write between",
            chapter.display()
        );
    };
    if end < begin {
        bail!("{}: {END} comes before {BEGIN}", chapter.display());
    }
    let updated = format!("{}{BEGIN}\n{markdown}\n{}", &text[..begin], &text[end..]);
    fs::write(chapter, updated).with_context(|| format!("writing {}", chapter.display()))
}
