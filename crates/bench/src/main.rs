//! `cargo run --release -p bench`: the reference programs measured side by side with the
//! tools people would use instead (nc, socat, iperf3, tcpdump), several runs each, and
//! the tables written into the book's performance chapter, the targets and notes into its
//! appendix for maintainers. Missing tools are skipped with a note. Numbers, not timed
//! tests: nothing here fails a build.

mod grading;
mod measure;
mod pcap_decode;
mod table;
mod transfer;
mod udp_echo;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use harness::Cmd;

/// What to measure and how much.
pub struct Options {
    pub runs: usize,
    pub size_mib: u64,
    pub udp_seconds: u64,
    pub copies: usize,
    pub only: Option<String>,
    pub write_book: bool,
}

/// What to measure, as clap reads it from the command line.
#[derive(clap::Parser)]
#[command(
    name = "bench",
    about = "Benchmarks of the reference programs and of grading, written into the book"
)]
struct Cli {
    /// Timed runs of each transfer (after a warm-up run)
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = above_zero)]
    runs: u64,
    /// Size of the file each transfer sends
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = above_zero)]
    size_mib: u64,
    /// Length of each UDP echo run
    #[arg(long = "seconds", value_name = "N", default_value_t = 2, value_parser = above_zero)]
    udp_seconds: u64,
    /// Reference copies graded as a class
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = above_zero)]
    copies: u64,
    /// Measure only this
    #[arg(long, value_enum)]
    only: Option<Only>,
    /// Print the tables without writing them into the book
    #[arg(long)]
    no_write: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Only {
    Transfer,
    Udp,
    Grade,
    Pcap,
}

fn above_zero(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("takes a whole number above 0".to_string()),
    }
}

fn main() -> ExitCode {
    let cli = match <Cli as clap::Parser>::try_parse() {
        Ok(cli) => cli,
        // The help (exit 0) or a usage error (exit 2), printed where each belongs.
        Err(stop) => {
            let _ = stop.print();
            return ExitCode::from(u8::try_from(stop.exit_code()).unwrap_or(2));
        }
    };
    let options = Options {
        runs: cli.runs as usize,
        size_mib: cli.size_mib,
        udp_seconds: cli.udp_seconds,
        copies: cli.copies as usize,
        only: cli.only.map(|only| {
            match only {
                Only::Transfer => "transfer",
                Only::Udp => "udp",
                Only::Grade => "grade",
                Only::Pcap => "pcap",
            }
            .to_string()
        }),
        write_book: !cli.no_write,
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options) -> Result<()> {
    let workspace = ::grading::build::Workspace::locate().context("finding the checkout")?;
    let bins = build_release(workspace.root())?;
    let wanted = |what: &str| options.only.as_deref().is_none_or(|only| only == what);
    let mut report = table::Report::new(options);
    if wanted("transfer") {
        transfer::run(&bins, options, &mut report)?;
    }
    if wanted("udp") {
        udp_echo::run(&bins, options, &mut report)?;
    }
    if wanted("grade") {
        grading::run(&bins, &workspace, options, &mut report)?;
    }
    if wanted("pcap") {
        pcap_decode::run(&bins, options, &mut report)?;
    }
    let markdown = report.markdown();
    println!("\n{markdown}");
    if options.write_book {
        let book = workspace.root().join("book/src");
        let chapter = book.join("performance.md");
        table::write_into(&chapter, "bench", &report.results())?;
        eprintln!("wrote the tables into {}", chapter.display());
        let appendix = book.join("appendix-bench.md");
        table::write_into(&appendix, "bench:targets", &report.targets_and_notes())?;
        eprintln!("wrote the targets and notes into {}", appendix.display());
    }
    Ok(())
}

/// Build the reference programs and `grade` with optimisations, in a target folder of the
/// bench's own (so it never waits on another cargo's lock). Returns the binaries' folder.
fn build_release(root: &Path) -> Result<PathBuf> {
    let target = root.join("target/netlab/bench");
    eprintln!("building the reference programs (release) ...");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Cmd::new(cargo)
        .args(["build", "--release", "--bins", "--quiet"])
        .args(["-p", "tcp_file", "-p", "udp_cs", "-p", "grade"])
        .args(["-p", pcap_decode::PEEK_PACKAGE])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .timeout(Duration::from_secs(1200))
        .run()?;
    if output.code() != Some(0) {
        bail!("cargo build failed:\n{}", output.stderr_text());
    }
    Ok(target.join("release"))
}
