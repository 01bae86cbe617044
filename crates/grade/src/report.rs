//! The results of a grading run, and the ways to write them: a table for the terminal
//! (a progress view for one submission), JSON (the schema book/src/instructors.md
//! documents), JUnit XML, Gradescope's results.json, and Markdown for a pull request.

use std::fmt::Write as _;

use anyhow::{Result, bail};
use harness::{CheckResult, Exercise};
use serde::{Deserialize, Serialize};
use serde_json::json;

mod junit;
pub use junit::junit;
mod uploads;
pub use uploads::{NotGraded, UploadNote};

/// The `schema` field: bumped when a field changes meaning or disappears.
pub const SCHEMA: &str = "netlab-grade/1";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    /// The seed every check drew its inputs from: `NETLAB_SEED=<seed>` draws them again.
    #[serde(default)]
    pub seed: u64,
    /// How the programs under test were walled in: `sandboxed (...)` or `unsandboxed`.
    #[serde(default)]
    pub sandbox: String,
    pub score: u32,
    pub max_score: u32,
    pub submissions: Vec<SubmissionReport>,
    /// Paths among those given that hold no submission (a stray file, an unreadable
    /// folder), with the reason.
    #[serde(default)]
    pub not_graded: Vec<NotGraded>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SubmissionReport {
    pub name: String,
    pub path: String,
    pub score: u32,
    pub max_score: u32,
    pub exercises: Vec<ExerciseReport>,
    /// What grade found in the upload, exercise by exercise.
    #[serde(default)]
    pub upload: Vec<UploadNote>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Built and every check ran.
    Graded,
    /// A program of the exercise did not compile: the checks that need it score 0
    /// (`not_compiled` on the check), the others ran.
    DoesNotCompile,
    /// The submission has no `<exercise>/src/`: every check scores 0.
    NotSubmitted,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExerciseReport {
    pub name: String,
    pub chapter: String,
    pub status: Status,
    pub score: u32,
    pub max_score: u32,
    /// The first compiler error, when the status is `does_not_compile`.
    pub build_error: Option<String>,
    /// The programs that did not compile, when the status is `does_not_compile`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_compiled: Vec<String>,
    pub checks: Vec<CheckReport>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckReport {
    pub name: String,
    pub points: u32,
    pub awarded: u32,
    pub passed: bool,
    /// Why it failed: what was expected, what happened. Empty when it passed.
    pub message: String,
    /// The book section that explains it: `book/src/os_args.md#argument-zero`.
    pub read: String,
    /// How to draw the check's inputs again: `N (replay: NETLAB_SEED=N cargo test ...)`.
    /// Empty when it passed.
    #[serde(default)]
    pub replay: String,
    pub elapsed_ms: u64,
    /// Not run: this checkout has no reference program for it (a class edition); the
    /// message says "graded by your instructor". No points either way.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
    /// The program this check needed that did not compile: it did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_compiled: Option<String>,
}

impl CheckReport {
    pub fn from_result(result: &CheckResult) -> Self {
        CheckReport {
            name: result.name.clone(),
            points: result.points,
            awarded: result.awarded,
            passed: result.passed(),
            message: result.message.clone(),
            read: result.read.clone(),
            replay: result.replay.clone(),
            elapsed_ms: result.elapsed.as_millis() as u64,
            skipped: result.skipped,
            not_compiled: result.not_compiled.clone(),
        }
    }

    /// A check that did not run, or whose result is forced to 0, with `message`.
    pub fn zero(exercise: &Exercise, check: &harness::Check, message: &str) -> Self {
        CheckReport {
            name: check.name.to_string(),
            points: check.points,
            awarded: 0,
            passed: false,
            message: message.to_string(),
            read: exercise.read_about(check),
            replay: String::new(),
            elapsed_ms: 0,
            skipped: false,
            not_compiled: None,
        }
    }

    /// Ran and lost its points (a skipped check did neither).
    pub fn failed(&self) -> bool {
        !self.passed && !self.skipped
    }

    /// The failure's lines after the message: how to replay it, where to read.
    pub fn footer(&self) -> String {
        match self.replay.is_empty() {
            true => format!("read: {}", self.read),
            false => format!("seed: {}\nread: {}", self.replay, self.read),
        }
    }
}

impl ExerciseReport {
    pub fn new(
        exercise: &Exercise,
        status: Status,
        build_error: Option<String>,
        checks: Vec<CheckReport>,
    ) -> Self {
        ExerciseReport {
            name: exercise.name.to_string(),
            chapter: format!("book/src/{}", exercise.chapter),
            status,
            score: checks.iter().map(|c| c.awarded).sum(),
            // Skipped checks are graded elsewhere: they are no points lost here.
            max_score: checks.iter().filter(|c| !c.skipped).map(|c| c.points).sum(),
            build_error,
            not_compiled: Vec::new(),
            checks,
        }
    }

    /// Every check scores 0 with the same `message`.
    pub fn all_zero(
        exercise: &Exercise,
        status: Status,
        build_error: Option<String>,
        message: &str,
    ) -> Self {
        let checks = exercise
            .checks()
            .iter()
            .map(|check| CheckReport::zero(exercise, check, message))
            .collect();
        ExerciseReport::new(exercise, status, build_error, checks)
    }

    /// The checks that ran and failed (not those a compile error kept from running).
    fn failing(&self) -> Vec<&CheckReport> {
        self.checks
            .iter()
            .filter(|c| c.failed() && c.not_compiled.is_none())
            .collect()
    }

    /// Points of the checks skipped here, for the instructor's copy to grade.
    fn skipped_points(&self) -> u32 {
        self.checks
            .iter()
            .filter(|c| c.skipped)
            .map(|c| c.points)
            .sum()
    }
}

impl SubmissionReport {
    pub fn new(name: String, path: String, exercises: Vec<ExerciseReport>) -> Self {
        SubmissionReport {
            name,
            path,
            score: exercises.iter().map(|e| e.score).sum(),
            max_score: exercises.iter().map(|e| e.max_score).sum(),
            exercises,
            upload: Vec::new(),
        }
    }
}

impl Report {
    pub fn new(submissions: Vec<SubmissionReport>) -> Self {
        Report {
            schema: SCHEMA.to_string(),
            seed: harness::seed::run_seed(),
            sandbox: harness::sandbox::mode().to_string(),
            score: submissions.iter().map(|s| s.score).sum(),
            max_score: submissions.iter().map(|s| s.max_score).sum(),
            submissions,
            not_graded: Vec::new(),
        }
    }
}

pub fn json(report: &Report) -> Result<String> {
    Ok(serde_json::to_string_pretty(report)? + "\n")
}

/// `message`, indented by `indent` spaces on every line.
fn indented(message: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    message
        .lines()
        .map(|line| format!("{pad}{line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The terminal view. One submission: a progress view, each exercise's score and its
/// next failing check with the message and the book section. Several: one row each.
pub fn table(report: &Report, verbose: bool) -> String {
    let table = match &report.submissions[..] {
        [one] => format!("{}{}", uploads::found_lines(one), progress(one, verbose)),
        many => format!(
            "{}{}",
            class_table(many, verbose),
            uploads::problem_lines(many)
        ),
    };
    let not_graded = uploads::not_graded_lines(report);
    format!(
        "{table}{not_graded}seed {seed} (inputs are drawn per run; {var}={seed} draws these again)\n\
         programs under test ran {sandbox}\n",
        seed = report.seed,
        var = harness::seed::VAR,
        sandbox = report.sandbox,
    )
}

fn progress(sub: &SubmissionReport, verbose: bool) -> String {
    let mut out = String::new();
    let width = sub
        .exercises
        .iter()
        .map(|e| e.name.len())
        .max()
        .unwrap_or(0);
    let _ = writeln!(out, "{}", sub.name);
    for ex in &sub.exercises {
        let score = format!("{}/{}", ex.score, ex.max_score);
        let _ = write!(out, "  {:<width$}  {score:>5}  ", ex.name);
        match ex.status {
            Status::NotSubmitted => {
                // Every check holds the same reason: what the upload lacks.
                let why = ex
                    .checks
                    .first()
                    .map_or("not submitted", |c| c.message.as_str());
                let _ = writeln!(out, "{why}");
            }
            Status::DoesNotCompile => {
                let error = ex.build_error.as_deref().unwrap_or("");
                let _ = writeln!(
                    out,
                    "does not compile: {} (the checks that need it score 0)\n{}",
                    programs(ex),
                    indented(error, 6)
                );
                if !ex.failing().is_empty() {
                    let _ = write!(out, "    ");
                    next_failures(&mut out, &ex.failing(), verbose, "");
                }
            }
            Status::Graded => match ex.failing()[..] {
                [] => {
                    let _ = writeln!(out, "done{}", graded_elsewhere(ex));
                }
                ref failing => next_failures(&mut out, failing, verbose, &graded_elsewhere(ex)),
            },
        }
    }
    let total = format!("{}/{}", sub.score, sub.max_score);
    let _ = writeln!(out, "  {:<width$}  {total:>5}", "total");
    out
}

/// `; 2 checks (2 points) graded by your instructor`, or nothing.
fn graded_elsewhere(ex: &ExerciseReport) -> String {
    let count = ex.checks.iter().filter(|c| c.skipped).count();
    match count {
        0 => String::new(),
        _ => format!(
            "; {count} check{} ({} points) {}",
            if count == 1 { "" } else { "s" },
            ex.skipped_points(),
            harness::GRADED_BY_INSTRUCTOR
        ),
    }
}

/// The programs of `ex` that did not compile, or the exercise's name when not known.
fn programs(ex: &ExerciseReport) -> String {
    match ex.not_compiled.is_empty() {
        true => ex.name.clone(),
        false => ex.not_compiled.join(", "),
    }
}

/// The next failing check with its message (every one with `verbose`).
/// `suffix` follows the check's name (see [`graded_elsewhere`]).
fn next_failures(out: &mut String, failing: &[&CheckReport], verbose: bool, suffix: &str) {
    let Some(next) = failing.first() else {
        return;
    };
    let _ = writeln!(out, "next: {}{suffix}", next.name);
    let shown = if verbose { failing } else { &failing[..1] };
    for (i, check) in shown.iter().enumerate() {
        if i > 0 {
            let _ = writeln!(out, "    then: {}", check.name);
        }
        let _ = writeln!(out, "{}", indented(&check.message, 6));
        if !check.replay.is_empty() {
            let _ = writeln!(out, "      seed: {}", check.replay);
        }
        let _ = writeln!(out, "      read: {}", check.read);
    }
}

fn class_table(subs: &[SubmissionReport], verbose: bool) -> String {
    let exercises: Vec<&str> = subs
        .first()
        .map(|s| s.exercises.iter().map(|e| e.name.as_str()).collect())
        .unwrap_or_default();
    let mut rows: Vec<Vec<String>> = vec![
        std::iter::once("submission".to_string())
            .chain(exercises.iter().map(|e| e.to_string()))
            .chain(std::iter::once("total".to_string()))
            .collect(),
    ];
    for sub in subs {
        let mut row = vec![sub.name.clone()];
        for ex in &sub.exercises {
            let mark = match ex.status {
                Status::Graded => "",
                Status::DoesNotCompile => " !",
                Status::NotSubmitted => " -",
            };
            row.push(format!("{}/{}{mark}", ex.score, ex.max_score));
        }
        row.push(format!("{}/{}", sub.score, sub.max_score));
        rows.push(row);
    }
    let columns = rows[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c == 0 {
                let _ = write!(line, "{cell}{}", " ".repeat(pad));
            } else {
                let _ = write!(line, "  {}{cell}", " ".repeat(pad));
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let mut notes = String::new();
    for sub in subs {
        for ex in &sub.exercises {
            if let (Status::DoesNotCompile, Some(error)) = (ex.status, &ex.build_error) {
                let _ = writeln!(
                    notes,
                    "{} {}: does not compile: {}\n{}",
                    sub.name,
                    ex.name,
                    programs(ex),
                    indented(error, 4)
                );
            }
            if verbose && ex.status != Status::NotSubmitted {
                for check in ex.failing() {
                    let _ = writeln!(notes, "{} {}::{}:", sub.name, ex.name, check.name);
                    let _ = writeln!(notes, "{}", indented(&check.message, 4));
                    let _ = writeln!(notes, "    read: {}", check.read);
                }
            }
        }
    }
    let marked = subs
        .iter()
        .flat_map(|s| &s.exercises)
        .any(|e| e.status != Status::Graded);
    if marked {
        let _ = writeln!(out, "\n(! does not compile, - not submitted)");
    }
    if !notes.is_empty() {
        let _ = write!(out, "\n{notes}");
    }
    out
}

/// A cell of a Markdown table: no pipes, no HTML, one line.
fn md_cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

/// A table for a pull-request comment, failing checks folded under it.
pub fn markdown(report: &Report) -> String {
    let mut out = String::from("### netlab grades\n\n");
    let exercises: Vec<&str> = report
        .submissions
        .first()
        .map(|s| s.exercises.iter().map(|e| e.name.as_str()).collect())
        .unwrap_or_default();
    let _ = writeln!(out, "| submission | {} | total |", exercises.join(" | "));
    let _ = writeln!(out, "| --- |{} ---: |", " ---: |".repeat(exercises.len()));
    for sub in &report.submissions {
        let cells: Vec<String> = sub
            .exercises
            .iter()
            .map(|ex| {
                let score = format!("{}/{}", ex.score, ex.max_score);
                match ex.status {
                    Status::Graded if ex.score == ex.max_score => format!("{score} ✅"),
                    Status::Graded => score,
                    Status::DoesNotCompile => format!("{score} (does not compile)"),
                    Status::NotSubmitted => format!("{score} (not submitted)"),
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | **{}/{}** |",
            md_cell(&sub.name),
            cells.join(" | "),
            sub.score,
            sub.max_score
        );
    }
    for sub in &report.submissions {
        let failing: Vec<(&ExerciseReport, &CheckReport)> = sub
            .exercises
            .iter()
            .filter(|ex| ex.status != Status::NotSubmitted)
            .flat_map(|ex| ex.failing().into_iter().map(move |c| (ex, c)))
            .collect();
        let broken: Vec<&ExerciseReport> = sub
            .exercises
            .iter()
            .filter(|ex| ex.status == Status::DoesNotCompile)
            .collect();
        if failing.is_empty() && broken.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "\n<details><summary>{}: {} failing checks</summary>\n",
            md_cell(&sub.name),
            failing.len()
                + broken
                    .iter()
                    .map(|ex| ex
                        .checks
                        .iter()
                        .filter(|c| c.not_compiled.is_some())
                        .count())
                    .sum::<usize>()
        );
        for ex in broken {
            // The error's headline and where it is; the snippet does not fit a line.
            let error = ex.build_error.as_deref().unwrap_or("");
            let headline: Vec<&str> = error.lines().take(2).map(str::trim).collect();
            let _ = writeln!(
                out,
                "- `{}` does not compile ({}): {}",
                ex.name,
                md_cell(&programs(ex)),
                md_cell(&headline.join(" "))
            );
        }
        for (ex, check) in failing {
            let first = check.message.lines().next().unwrap_or("");
            let _ = writeln!(
                out,
                "- `{}::{}`: {} ({})",
                ex.name,
                check.name,
                md_cell(first),
                check.read
            );
        }
        let _ = writeln!(out, "\n</details>");
    }
    out.push_str(&uploads::markdown(report));
    out
}

/// Gradescope's results.json for one submission: the score, and a test per check with
/// its score, max_score, status and output.
pub fn gradescope(report: &Report) -> Result<String> {
    let [sub] = &report.submissions[..] else {
        bail!(
            "--format gradescope writes the results.json of one submission, but {} were graded",
            report.submissions.len()
        );
    };
    let mut tests = Vec::new();
    for ex in &sub.exercises {
        for check in ex.checks.iter().filter(|c| !c.skipped) {
            let output = if check.passed {
                String::new()
            } else {
                format!("{}\n{}", check.message, check.footer())
            };
            tests.push(json!({
                "name": format!("{}: {}", ex.name, check.name),
                "score": check.awarded,
                "max_score": check.points,
                "status": if check.passed { "passed" } else { "failed" },
                "output": output,
                "visibility": "visible",
            }));
        }
    }
    let output = table(report, false);
    let results = json!({
        "score": sub.score,
        "output": output,
        "stdout_visibility": "visible",
        "tests": tests,
    });
    Ok(serde_json::to_string_pretty(&results)? + "\n")
}

/// A status as the reports' machine-readable fields spell it.
fn status_word(status: Status) -> &'static str {
    match status {
        Status::Graded => "graded",
        Status::DoesNotCompile => "does_not_compile",
        Status::NotSubmitted => "not_submitted",
    }
}
