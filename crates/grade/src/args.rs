//! The command line, parsed by hand (a handful of options does not need a parser crate).
//! Paths stay `OsString`s, so a file name that is not UTF-8 is a path like any other.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

pub const USAGE: &str = "\
usage: grade [--reference] [--exercise NAME]... [--format FORMAT] [--out [FORMAT=]FILE]...
             [--jobs N] [--timeout SECS] [--root DIR] [--scratch DIR] [--verbose]
             [--limits LIMITS] [--unsandboxed] [--fail-under PERCENT]
             [--book-url URL] [PATH...]
       grade [--root DIR] --export-assignment DIR

With no PATH, grades your exercises/ (your progress). Each PATH is a submission: a folder
shaped like exercises/ (holding <exercise>/src/), a repository holding one, a folder
holding the program files (udp_server.rs...), or a folder of such submissions. A path that
holds none is listed as not graded.

  --reference        grade the reference solutions (a health check: full marks)
  --export-assignment DIR
                     write the class edition into DIR (new or empty): the starters,
                     checks, grade and book, without the reference solutions
  --exercise NAME    grade only this exercise (repeat for several)
  --format FORMAT    table (default), json, junit, markdown, gradescope or classroom (the
                     last two for one submission: Gradescope's results.json, GitHub
                     Classroom's autograding results)
  --out FILE         write the report to FILE (the table still goes to the terminal);
                     --out FORMAT=FILE writes that format there: repeat it to write
                     several formats from one grading run
  --jobs N           submissions graded at once (default: the number of CPUs)
  --timeout SECS     wall-clock limit for one exercise of one submission (default 60)
  --root DIR         the netlab checkout whose checks grade (default: the one holding the
                     current folder, else the one grade was built in)
  --scratch DIR      where builds happen (default netlab/grade in the checkout's target
                     folder, or in CARGO_TARGET_DIR when set)
  --verbose          show every failing check's message, not only the next one
  --limits LIMITS    what a program under test may use, e.g. memory=2G,cpu=120 (defaults:
                     memory=1G,file-size=256M,processes=256,open-files=256,cpu=60)
  --unsandboxed      grade other people's code even where no sandbox can be had (the
                     report says so): their programs then run with your rights
  --fail-under PERCENT
                     exit 1 when a submission's total is below PERCENT of its points
  --book-url URL     link feedback to the book published at URL (URL/os_args.html#...)
                     instead of book/src/os_args.md#...

Exit status: 0 when graded (whatever the scores); 1 when --reference falls short of
full marks, a submission is below --fail-under, or grading could not be done (the
message says which); 2 for a usage error.";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Junit,
    Gradescope,
    Markdown,
    Classroom,
}

impl Format {
    const ALL: [Format; 6] = [
        Format::Table,
        Format::Json,
        Format::Junit,
        Format::Markdown,
        Format::Gradescope,
        Format::Classroom,
    ];

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
        let name = if name == "md" { "markdown" } else { name };
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Formats that describe one submission only.
    pub fn one_submission(self) -> bool {
        matches!(self, Format::Gradescope | Format::Classroom)
    }
}

const FORMATS: &str = "table, json, junit, markdown, gradescope or classroom";

#[derive(Debug)]
pub struct Options {
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

pub enum Parsed {
    Help,
    // Boxed: the options are large next to `Help`.
    Run(Box<Options>),
}

/// Parse the arguments after the program name. `Err` is a usage error, in words.
pub fn parse(args: Vec<OsString>) -> Result<Parsed, String> {
    let mut options = Options {
        reference: false,
        export: None,
        exercises: Vec::new(),
        format: Format::Table,
        outs: Vec::new(),
        jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
        timeout: Duration::from_secs(60),
        root: None,
        scratch: None,
        verbose: false,
        limits: None,
        unsandboxed: false,
        fail_under: None,
        book_url: None,
        paths: Vec::new(),
    };
    let mut args = args.into_iter();
    let mut only_paths = false;
    // `--out FILE` without a format, resolved once `--format` (wherever it is) is known.
    let mut plain_outs = Vec::new();
    while let Some(arg) = args.next() {
        let bytes = arg.as_encoded_bytes();
        if only_paths || !bytes.starts_with(b"-") || bytes == b"-" {
            options.paths.push(PathBuf::from(arg));
            continue;
        }
        let Some(text) = arg.to_str() else {
            return Err(format!("unknown option {:?}", arg.to_string_lossy()));
        };
        // `--name=value` and `--name value` both work.
        let (name, inline) = match text.split_once('=') {
            Some((name, value)) => (name, Some(OsString::from(value))),
            None => (text, None),
        };
        let mut value = |what: &str| -> Result<OsString, String> {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs {what}"))
        };
        match name {
            "--" => only_paths = true,
            "-h" | "--help" => return Ok(Parsed::Help),
            "--reference" => options.reference = true,
            "--verbose" | "-v" => options.verbose = true,
            "--unsandboxed" => options.unsandboxed = true,
            "--limits" => {
                let text = text_value(value("limits such as memory=2G")?, name)?;
                let limits =
                    harness::sandbox::Limits::parse(&text).map_err(|e| format!("--limits: {e}"))?;
                options.limits = Some(limits);
            }
            "--exercise" | "-e" => {
                let names = text_value(value("an exercise name")?, name)?;
                options
                    .exercises
                    .extend(names.split(',').map(|n| n.trim().to_string()));
            }
            "--format" | "-f" => {
                let format = text_value(value("a format")?, name)?;
                options.format = Format::named(&format)
                    .ok_or_else(|| format!("unknown format {format:?}: use {FORMATS}"))?;
            }
            "--export-assignment" => options.export = Some(PathBuf::from(value("a folder")?)),
            "--book-url" => {
                let url = text_value(value("the book's address")?, name)?;
                if !url.contains("://") || url.contains(char::is_whitespace) {
                    return Err(format!(
                        "--book-url takes the address the book is published at, such as \
                         https://example.edu/netlab, not {url:?}"
                    ));
                }
                options.book_url = Some(url);
            }
            "--fail-under" => {
                let text = text_value(value("a percentage")?, name)?;
                options.fail_under = Some(crate::verdict::parse_percent(&text)?);
            }
            "--out" | "-o" => match format_and_file(value("a file")?) {
                (Some(format), file) => options.outs.push((format, file)),
                (None, file) => plain_outs.push(file),
            },
            "--root" => options.root = Some(PathBuf::from(value("a folder")?)),
            "--scratch" => options.scratch = Some(PathBuf::from(value("a folder")?)),
            "--jobs" | "-j" => {
                options.jobs = positive(&text_value(value("a number")?, name)?, name)?;
            }
            "--timeout" => {
                let secs = positive(&text_value(value("a number of seconds")?, name)?, name)?;
                options.timeout = Duration::from_secs(secs as u64);
            }
            _ => return Err(format!("unknown option {text:?}")),
        }
    }
    if options.reference && !options.paths.is_empty() {
        return Err("--reference grades the reference solutions: give no PATH with it".into());
    }
    let format = options.format;
    options
        .outs
        .extend(plain_outs.into_iter().map(|file| (format, file)));
    if let Some((_, file)) = options
        .outs
        .iter()
        .enumerate()
        .find(|(i, (_, file))| options.outs[..*i].iter().any(|(_, f)| f == file))
        .map(|(_, out)| out)
    {
        return Err(format!(
            "--out {} is given twice: each report needs a file of its own",
            file.display()
        ));
    }
    if options.export.is_some() && (options.reference || !options.paths.is_empty()) {
        return Err(
            "--export-assignment writes the class edition: give no PATH or --reference with it"
                .into(),
        );
    }
    Ok(Parsed::Run(Box::new(options)))
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

fn text_value(value: OsString, option: &str) -> Result<String, String> {
    value
        .into_string()
        .map_err(|v| format!("{option} got {:?}, which is not text", v.to_string_lossy()))
}

fn positive(text: &str, option: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 && n <= 100_000 => Ok(n),
        _ => Err(format!(
            "{option} takes a whole number from 1, not {text:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Parsed, String> {
        parse(args.iter().map(OsString::from).collect())
    }

    #[test]
    fn options_and_paths() {
        let Ok(Parsed::Run(o)) = parse_strs(&[
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
        let Ok(Parsed::Run(o)) = parse_strs(&[
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
        ] {
            assert!(parse_strs(bad).is_err(), "{bad:?} should be a usage error");
        }
    }
}
