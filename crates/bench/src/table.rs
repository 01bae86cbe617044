//! The results as markdown tables with the targets checked, and the writing of them into
//! the book: the tables into the performance chapter (between its `<!-- bench:begin -->`
//! and `<!-- bench:end -->` marks), where students read them as an example; the targets
//! and the notes about the machine into the maintainers' appendix (between
//! `<!-- bench:targets:begin -->` and `<!-- bench:targets:end -->`).

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::Options;
use crate::measure::median;

/// What the table calls the reference programs, zero-copy path and portable path: the
/// rows its targets are measured on (the transfer module names its rows with these).
pub const REFERENCE: &str = "tcp_send_sol → tcp_recv_sol";
pub const REFERENCE_PORTABLE: &str = "tcp_send_sol → tcp_recv_sol, portable path";
/// What no transfer that saves a new file can beat, measured in the same rounds.
pub const NEW_FILE_CEILING: &str = "ceiling: writing a new file from memory";

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

/// A packet printer's speed on the bench's capture: packets per second, median run and
/// best run.
pub struct Decoding {
    pub name: String,
    pub packets: u64,
    pub per_second: f64,
    pub best_per_second: f64,
}

impl Decoding {
    pub fn new(name: &str, packets: u64, mut seconds: Vec<f64>) -> Self {
        let fastest = seconds.iter().copied().reduce(f64::min).unwrap_or(f64::NAN);
        Decoding {
            name: name.to_string(),
            packets,
            per_second: packets as f64 / median(&mut seconds),
            best_per_second: packets as f64 / fastest,
        }
    }
}

pub struct Report {
    pub transfers: Vec<Transfer>,
    pub echoes: Vec<Echo>,
    pub grading: Vec<(String, f64)>,
    /// Maintainers' figures, so shown in the appendix beside the targets.
    pub decodings: Vec<Decoding>,
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
            decodings: Vec::new(),
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

    /// The whole report, as the terminal shows it: the tables, then the targets.
    pub fn markdown(&self) -> String {
        format!("{}\n\n{}", self.results(), self.targets_and_notes())
            .trim()
            .to_string()
    }

    /// The machine and the tables: what the performance chapter shows students.
    pub fn results(&self) -> String {
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
        md.trim_end().to_string()
    }

    /// The targets, met or missed, the pcap decoding table, and the notes (tools
    /// missing, the machine's memory): what the maintainers' appendix shows.
    pub fn targets_and_notes(&self) -> String {
        let mut md = String::new();
        if let Some(first) = self.decodings.first() {
            let _ = writeln!(
                md,
                "**Decoding a pcap**, {} frames of a bulk transfer written by the bench, output to /dev/null, median of {} runs after a warm-up run, taken in turns.\n",
                first.packets, self.runs
            );
            let _ = writeln!(md, "| decoder | packets/s | best run packets/s |");
            let _ = writeln!(md, "|---|---:|---:|");
            for d in &self.decodings {
                let _ = writeln!(
                    md,
                    "| {} | {:.0} | {:.0} |",
                    d.name, d.per_second, d.best_per_second
                );
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
        let reference = self.transfers.iter().find(|t| t.name == REFERENCE);
        if let Some(r) = reference {
            let ceiling = self
                .transfers
                .iter()
                .find(|t| t.name == NEW_FILE_CEILING)
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

/// Replace what stands between the chapter's `<!-- {mark}:begin -->` and
/// `<!-- {mark}:end -->` with `markdown`.
pub fn write_into(chapter: &Path, mark: &str, markdown: &str) -> Result<()> {
    let text =
        fs::read_to_string(chapter).with_context(|| format!("reading {}", chapter.display()))?;
    let updated = between_marks(&text, mark, markdown)
        .with_context(|| format!("writing into {}", chapter.display()))?;
    fs::write(chapter, updated).with_context(|| format!("writing {}", chapter.display()))
}

/// `text` with what stands between its `mark` marks replaced by `markdown`. A mark is a
/// line of its own, so that prose naming it (`<!-- bench:begin -->` in backticks) is not
/// taken for it.
fn between_marks(text: &str, mark: &str, markdown: &str) -> Result<String> {
    let begin_mark = format!("<!-- {mark}:begin -->");
    let end_mark = format!("<!-- {mark}:end -->");
    let line_at = |wanted: &str| {
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            if line.trim_end() == wanted {
                return Some(offset);
            }
            offset += line.len();
        }
        None
    };
    let (Some(begin), Some(end)) = (line_at(&begin_mark), line_at(&end_mark)) else {
        bail!("no {begin_mark} ... {end_mark} lines to write between");
    };
    if end < begin {
        bail!("{end_mark} comes before {begin_mark}");
    }
    Ok(format!(
        "{}{begin_mark}\n{markdown}\n{}",
        &text[..begin],
        &text[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_between_its_own_marks_only() {
        let text = "intro\n<!-- bench:begin -->\nold\n<!-- bench:end -->\n\
                    <!-- bench:targets:begin -->\nkept\n<!-- bench:targets:end -->\n";
        let updated = between_marks(text, "bench", "new\ntable").unwrap();
        assert_eq!(
            updated,
            "intro\n<!-- bench:begin -->\nnew\ntable\n<!-- bench:end -->\n\
             <!-- bench:targets:begin -->\nkept\n<!-- bench:targets:end -->\n"
        );
        let updated = between_marks(&updated, "bench:targets", "met").unwrap();
        assert!(updated.contains("<!-- bench:targets:begin -->\nmet\n<!-- bench:targets:end"));
        assert!(updated.contains("new\ntable"));
    }

    #[test]
    fn marks_named_in_prose_are_not_marks() {
        let text = "write between `<!-- bench:begin -->` and `<!-- bench:end -->`:\n\
                    <!-- bench:begin -->\nold\n<!-- bench:end -->\n";
        let updated = between_marks(text, "bench", "new").unwrap();
        assert_eq!(
            updated,
            "write between `<!-- bench:begin -->` and `<!-- bench:end -->`:\n\
             <!-- bench:begin -->\nnew\n<!-- bench:end -->\n"
        );
    }

    #[test]
    fn refuses_a_text_without_marks_or_with_them_reversed() {
        assert!(between_marks("no marks", "bench", "x").is_err());
        let reversed = "<!-- bench:end -->\n<!-- bench:begin -->\n";
        assert!(between_marks(reversed, "bench", "x").is_err());
    }

    #[test]
    fn students_see_the_tables_and_maintainers_the_targets() {
        let options = Options {
            runs: 1,
            size_mib: 1,
            udp_seconds: 1,
            copies: 1,
            only: None,
            write_book: false,
        };
        let mut report = Report::new(&options);
        report.transfers.push(Transfer::new(
            REFERENCE,
            1 << 30,
            vec![2.0],
            Some(2.0),
            Some(2.0),
        ));
        report.notes.push("socat is not installed: skipped".into());
        let (results, targets) = (report.results(), report.targets_and_notes());
        assert!(results.contains("| 0.50 |"), "{results}");
        assert!(
            !results.contains("missed") && !results.contains("socat"),
            "{results}"
        );
        assert!(targets.contains("**missed**"), "{targets}");
        assert!(targets.contains("socat is not installed"), "{targets}");
        assert!(!targets.contains("Decoding a pcap"), "{targets}");
        report
            .decodings
            .push(Decoding::new("tcp_peek_sol", 1000, vec![0.5, 0.25, 1.0]));
        let targets = report.targets_and_notes();
        assert!(
            targets.contains("| tcp_peek_sol | 2000 | 4000 |"),
            "{targets}"
        );
        assert!(!report.results().contains("Decoding"));
        assert!(report.markdown().contains(&results));
        assert!(report.markdown().contains(&targets));
    }
}
