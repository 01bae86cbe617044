//! The command line, read with clap (already built for every netlab build: the checks'
//! test runner uses it), then checked for what clap cannot say: which `--out` is which
//! format, files given twice, options that exclude each other. Paths stay `OsString`s, so
//! a file name that is not UTF-8 is a path like any other.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, Parser, ValueEnum};

const ABOUT: &str = "\
Grade netlab exercises with the checks `cargo test -p <exercise>` runs.

With no PATH, grades your exercises/ (your progress). Each PATH is a
submission: a folder shaped like exercises/ (holding <exercise>/src/), a
repository holding one, a folder holding the program files (udp_server.rs...),
or a folder of such submissions. A path that holds none is listed as not graded.";

const AFTER_HELP: &str = "\
--watch (-w) checks the first of your exercises short of full marks, again
each time you save a file in its src/, until it has them, then the next.
Keys: Enter checks again, n/p the next/previous exercise, l lists them all,
r draws new inputs, q quits. Without a terminal it prints plain lines, and
stops once its input ends.

Formats: table (default), json, junit, markdown (or md), and for one
submission gradescope (Gradescope's results.json) or classroom (GitHub
Classroom's results). --out FILE writes --format's report to FILE (the table
still goes to the terminal); --out FORMAT=FILE writes that format there:
repeat it to write several from one grading run.

Exit status: 0 when graded (whatever the scores); 1 when --reference falls
short of full marks, a submission is below --fail-under, or grading could not
be done (the message says which); 2 for a usage error.";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Junit,
    Gradescope,
    #[value(alias = "md")]
    Markdown,
    Classroom,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Junit => "junit",
            Format::Gradescope => "gradescope",
            Format::Markdown => "markdown",
            Format::Classroom => "classroom",
        }
    }

    fn named(name: &str) -> Option<Format> {
        Format::from_str(name, false).ok()
    }

    /// Formats that describe one submission only.
    pub fn one_submission(self) -> bool {
        matches!(self, Format::Gradescope | Format::Classroom)
    }
}

/// The command line as clap reads it; [`parse`] turns it into [`Options`].
#[derive(Parser, Debug)]
#[command(
    name = "grade",
    about = ABOUT,
    after_help = AFTER_HELP,
    override_usage = "grade [OPTIONS] [PATH]...\n       grade --watch [-e NAME]\n       grade [--root DIR] --export-assignment DIR"
)]
struct Cli {
    /// Watch your exercises/: check the first one
    /// short of full marks again on every save
    #[arg(short, long, verbatim_doc_comment)]
    watch: bool,
    /// Grade the reference solutions (a health
    /// check: full marks)
    #[arg(long, verbatim_doc_comment)]
    reference: bool,
    /// Write the class edition into DIR (new or
    /// empty): no solutions, the rest for students
    #[arg(long, value_name = "DIR", verbatim_doc_comment)]
    export_assignment: Option<PathBuf>,
    /// Grade only this exercise (repeat it, or
    /// separate names with commas)
    #[arg(
        short,
        long = "exercise",
        value_name = "NAME",
        value_delimiter = ',',
        verbatim_doc_comment
    )]
    exercises: Vec<String>,
    /// The report's format (see below)
    /// [default: table]
    #[arg(
        short,
        long,
        value_name = "FORMAT",
        default_value = "table",
        hide_default_value = true,
        hide_possible_values = true,
        verbatim_doc_comment
    )]
    format: Format,
    /// Write the report to FILE; FORMAT=FILE writes
    /// that format there (repeat it: see below)
    #[arg(
        short,
        long = "out",
        value_name = "[FORMAT=]FILE",
        verbatim_doc_comment
    )]
    outs: Vec<OsString>,
    /// Submissions graded at once [default: the
    /// number of CPUs]
    #[arg(short, long, value_name = "N", verbatim_doc_comment, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    jobs: Option<u64>,
    /// Wall-clock limit for one exercise of one
    /// submission
    #[arg(long, verbatim_doc_comment, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    timeout: u64,
    /// The netlab checkout whose checks grade
    /// [default: the one holding the current folder,
    /// else the one grade was built in]
    #[arg(long, value_name = "DIR", verbatim_doc_comment)]
    root: Option<PathBuf>,
    /// Where builds happen [default: netlab/grade
    /// in the target folder, or CARGO_TARGET_DIR]
    #[arg(long, value_name = "DIR", verbatim_doc_comment)]
    scratch: Option<PathBuf>,
    /// Show every failing check's message, not
    /// only the next one
    #[arg(short, long, verbatim_doc_comment)]
    verbose: bool,
    /// What a program under test may use, e.g.
    /// memory=2G,cpu=120 [default: memory=1G,
    /// file-size=256M,processes=256,open-files=256,
    /// cpu=60,disk=2G]
    #[arg(
        long,
        value_name = "LIMITS",
        value_parser = harness::sandbox::Limits::parse,
        verbatim_doc_comment
    )]
    limits: Option<harness::sandbox::Limits>,
    /// What one process of a submission's build
    /// may use, e.g. cpu=60 (a slower machine)
    /// [default: memory=2G,file-size=512M,
    /// processes=256,open-files=1024,cpu=20,disk=2G]
    #[arg(
        long,
        value_name = "LIMITS",
        value_parser = |text: &str| grading::build_walls::BUILD_LIMITS.with(text),
        verbatim_doc_comment
    )]
    build_limits: Option<harness::sandbox::Limits>,
    /// Grade other people's code even where no
    /// sandbox can be had: it then runs with your
    /// rights (the report says so)
    #[arg(long, verbatim_doc_comment)]
    unsandboxed: bool,
    /// Exit 1 when a submission's total is below
    /// PERCENT of its points
    #[arg(
        long,
        value_name = "PERCENT",
        value_parser = crate::verdict::parse_percent,
        verbatim_doc_comment
    )]
    fail_under: Option<f64>,
    /// Link feedback to the book published at URL
    /// (URL/os_args.html#...), not book/src/...
    #[arg(long, value_name = "URL", value_parser = book_url, verbatim_doc_comment)]
    book_url: Option<String>,
    /// Submissions to grade (see above)
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
}

#[derive(Debug)]
pub struct Options {
    /// `--watch`: the student's loop (watch/), not one grading run.
    pub watch: bool,
    pub reference: bool,
    /// `--export-assignment DIR`: write the class edition there instead of grading.
    pub export: Option<PathBuf>,
    pub exercises: Vec<String>,
    pub format: Format,
    /// Where to write which report; `--out FILE` alone takes `--format`'s.
    pub outs: Vec<(Format, PathBuf)>,
    pub jobs: usize,
    pub timeout: Duration,
    pub root: Option<PathBuf>,
    pub scratch: Option<PathBuf>,
    pub verbose: bool,
    pub limits: Option<harness::sandbox::Limits>,
    pub build_limits: Option<harness::sandbox::Limits>,
    pub unsandboxed: bool,
    /// `--fail-under`: exit 1 when a submission's total is below this percentage.
    pub fail_under: Option<f64>,
    /// `--book-url`: where the book is published, for the links in feedback.
    pub book_url: Option<String>,
    pub paths: Vec<PathBuf>,
}

impl Options {
    /// The formats this run writes: each `--out`'s, or `--format`'s to the terminal.
    pub fn formats(&self) -> Vec<Format> {
        match self.outs.is_empty() {
            true => vec![self.format],
            false => self.outs.iter().map(|(format, _)| *format).collect(),
        }
    }
}

/// The usage lines, for an error found after parsing (an unknown exercise).
pub fn usage() -> String {
    Cli::command().render_usage().to_string()
}

/// Parse the arguments after the program name. `Err` is clap's: a usage error (print it,
/// exit 2) or the help (print it, exit 0); `print` and `exit_code` tell which.
pub fn parse(args: Vec<OsString>) -> Result<Options, clap::Error> {
    let cli = Cli::try_parse_from(std::iter::once(OsString::from("grade")).chain(args))
        .map_err(with_usage)?;
    let refuse = |message: &str| Cli::command().error(ErrorKind::ArgumentConflict, message);
    if cli.reference && !cli.paths.is_empty() {
        return Err(refuse(
            "--reference grades the reference solutions: give no PATH with it",
        ));
    }
    if cli.watch
        && (cli.reference
            || cli.export_assignment.is_some()
            || !cli.paths.is_empty()
            || !cli.outs.is_empty()
            || cli.format != Format::Table)
    {
        return Err(refuse(
            "--watch checks your own exercises/ on the terminal: give no PATH, --reference, \
             --export-assignment, --out or --format with it",
        ));
    }
    if cli.export_assignment.is_some() && (cli.reference || !cli.paths.is_empty()) {
        return Err(refuse(
            "--export-assignment writes the class edition: give no PATH or --reference with it",
        ));
    }
    // `--out FILE` without a format takes `--format`'s, wherever `--format` is.
    let (named, plain): (Vec<_>, Vec<_>) = cli
        .outs
        .into_iter()
        .map(format_and_file)
        .partition(|(format, _)| format.is_some());
    let outs: Vec<(Format, PathBuf)> = named
        .into_iter()
        .chain(plain)
        .map(|(format, file)| (format.unwrap_or(cli.format), file))
        .collect();
    if let Some((_, file)) = outs
        .iter()
        .enumerate()
        .find(|(i, (_, file))| outs[..*i].iter().any(|(_, f)| f == file))
        .map(|(_, out)| out)
    {
        return Err(refuse(&format!(
            "--out {} is given twice: each report needs a file of its own",
            file.display()
        )));
    }
    Ok(Options {
        watch: cli.watch,
        reference: cli.reference,
        export: cli.export_assignment,
        exercises: cli.exercises.iter().map(|n| n.trim().to_string()).collect(),
        format: cli.format,
        outs,
        jobs: cli.jobs.map_or_else(
            || std::thread::available_parallelism().map_or(1, |n| n.get()),
            |n| n as usize,
        ),
        timeout: Duration::from_secs(cli.timeout),
        root: cli.root,
        scratch: cli.scratch,
        verbose: cli.verbose,
        limits: cli.limits,
        build_limits: cli.build_limits,
        unsandboxed: cli.unsandboxed,
        fail_under: cli.fail_under,
        book_url: cli.book_url,
        paths: cli.paths,
    })
}

/// Every usage error shows the usage, not only those clap adds it to.
fn with_usage(mut error: clap::Error) -> clap::Error {
    if error.exit_code() == 2 && error.get(ContextKind::Usage).is_none() {
        error.insert(
            ContextKind::Usage,
            ContextValue::StyledStr(Cli::command().render_usage()),
        );
    }
    error
}

fn book_url(url: &str) -> Result<String, String> {
    if !url.contains("://") || url.contains(char::is_whitespace) {
        return Err(format!(
            "takes the address the book is published at, such as https://example.edu/netlab, \
             not {url:?}"
        ));
    }
    Ok(url.to_string())
}

/// `json=report.json` is the JSON report to report.json; anything else is a file for
/// `--format`'s report (`./json=x` for a file really named so).
fn format_and_file(value: OsString) -> (Option<Format>, PathBuf) {
    let named = value
        .to_str()
        .and_then(|v| v.split_once('='))
        .filter(|(_, file)| !file.is_empty())
        .and_then(|(name, file)| Some((Format::named(name)?, PathBuf::from(file))));
    match named {
        Some((format, file)) => (Some(format), file),
        None => (None, PathBuf::from(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Options, clap::Error> {
        parse(args.iter().map(OsString::from).collect())
    }

    #[test]
    fn options_and_paths() {
        let Ok(o) = parse_strs(&[
            "--format=json",
            "-e",
            "os_args,fs_meta",
            "--jobs",
            "3",
            "a",
            "--",
            "--b",
        ]) else {
            panic!("should parse");
        };
        assert_eq!(o.format, Format::Json);
        assert_eq!(o.exercises, ["os_args", "fs_meta"]);
        assert_eq!(o.jobs, 3);
        assert_eq!(o.paths, [PathBuf::from("a"), PathBuf::from("--b")]);
    }

    #[test]
    fn one_out_per_format() {
        let Ok(o) = parse_strs(&[
            "--out",
            "plain.txt",
            "--out=junit=grade.xml",
            "-o",
            "classroom=c.json",
            "--out",
            "./json=odd",
            "--format",
            "markdown",
        ]) else {
            panic!("should parse");
        };
        assert_eq!(
            o.outs,
            [
                (Format::Junit, PathBuf::from("grade.xml")),
                (Format::Classroom, PathBuf::from("c.json")),
                (Format::Markdown, PathBuf::from("plain.txt")),
                (Format::Markdown, PathBuf::from("./json=odd")),
            ]
        );
    }

    #[test]
    fn usage_errors() {
        for bad in [
            &["--format", "xml"][..],
            &["--jobs", "0"],
            &["--jobs"],
            &["--nope"],
            &["--reference", "x"],
            &["--timeout", "-1"],
            &["--fail-under", "101"],
            &["--fail-under"],
            &["--book-url", "book"],
            &["--book-url"],
            &["--out", "a", "--out", "junit=a"],
            &["--root"],
            &["--export-assignment"],
            &["--export-assignment", "out", "submissions"],
            &["--watch", "submissions"],
            &["--watch", "--reference"],
            &["-w", "--format=json"],
            &["-w", "--out", "a.json"],
        ] {
            let error = parse_strs(bad).expect_err(&format!("{bad:?} should be a usage error"));
            assert_eq!(error.exit_code(), 2, "{bad:?}: {error}");
        }
    }

    #[test]
    fn help_is_not_an_error() {
        let help = parse_strs(&["--help"]).expect_err("help stops parsing");
        assert_eq!(help.exit_code(), 0);
        let text = help.render().to_string();
        for said in [
            "--watch",
            "--export-assignment",
            "--fail-under",
            "Exit status: 0",
            "PATH",
        ] {
            assert!(text.contains(said), "{said} missing from the help:\n{text}");
        }
        // The defaults the help gives are the ones used.
        let words: String = text.split_whitespace().collect();
        for (default, limits) in [
            (
                "memory=1G,file-size=256M,processes=256,open-files=256,cpu=60,disk=2G",
                harness::sandbox::Limits::DEFAULT,
            ),
            (
                "memory=2G,file-size=512M,processes=256,open-files=1024,cpu=20,disk=2G",
                grading::build_walls::BUILD_LIMITS,
            ),
        ] {
            assert!(words.contains(default), "{default} missing from the help");
            assert_eq!(harness::sandbox::Limits::parse(default), Ok(limits));
        }
    }

    #[test]
    fn md_is_markdown_and_paths_need_not_be_text() {
        use std::os::unix::ffi::OsStringExt;
        let odd = OsString::from_vec(b"class/\xfe\xff".to_vec());
        let Ok(o) = parse(vec!["-f".into(), "md".into(), odd.clone()]) else {
            panic!("should parse");
        };
        assert_eq!(o.format, Format::Markdown);
        assert_eq!(o.paths, [PathBuf::from(odd)]);
    }
}
