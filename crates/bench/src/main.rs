//! `cargo run --release -p bench`: the reference programs measured side by side with the
//! tools people would use instead (nc, socat, iperf3), on loopback, several runs each, and
//! the tables written into the book's performance chapter, the targets and notes into its
//! appendix for maintainers. Missing tools are skipped with a note. Numbers, not timed
//! tests: nothing here fails a build.

mod grading;
mod measure;
mod table;
mod transfer;
mod udp_echo;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use harness::Cmd;

const USAGE: &str = "usage: bench [--runs N] [--size-mib N] [--seconds N] [--copies N] \
                     [--only transfer|udp|grade] [--no-write]";

/// What to measure and how much.
pub struct Options {
    pub runs: usize,
    pub size_mib: u64,
    pub udp_seconds: u64,
    pub copies: usize,
    pub only: Option<String>,
    pub write_book: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        runs: 5,
        size_mib: 1024,
        udp_seconds: 2,
        copies: 30,
        only: None,
        write_book: true,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            let value = args.next().ok_or(format!("{name} needs a value"))?;
            match value.parse::<u64>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!(
                    "{name} takes a whole number above 0, not {value:?}"
                )),
            }
        };
        match arg.as_str() {
            "--runs" => options.runs = number("--runs")? as usize,
            "--size-mib" => options.size_mib = number("--size-mib")?,
            "--seconds" => options.udp_seconds = number("--seconds")?,
            "--copies" => options.copies = number("--copies")? as usize,
            "--no-write" => options.write_book = false,
            "--only" => {
                let what = args.next().ok_or("--only needs a value")?;
                if !["transfer", "udp", "grade"].contains(&what.as_str()) {
                    return Err(format!("--only takes transfer, udp or grade, not {what:?}"));
                }
                options.only = Some(what.clone());
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match parse(&args) {
        Ok(options) => options,
        Err(problem) => {
            eprintln!("error: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
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
    let workspace = harness::build::Workspace::locate().context("finding the checkout")?;
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
