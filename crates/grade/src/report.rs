//! The results of a grading run (the schema book/src/instructors.md documents, written
//! as JSON here) and, one module each, the other ways to write them: `table` for the
//! terminal, `markdown`, `junit`, `gradescope` and `classroom` for the platforms.

use anyhow::Result;
use harness::{CheckResult, Exercise};
use serde::{Deserialize, Serialize};

mod classroom;
mod gradescope;
mod junit;
mod markdown;
mod table;
mod uploads;

pub use classroom::classroom;
pub use gradescope::gradescope;
pub use junit::junit;
pub use markdown::markdown;
pub use table::table;
pub use uploads::{NotGraded, UploadNote};

/// The `schema` field: bumped when a field changes meaning or disappears.
pub const SCHEMA: &str = "netlab-grade/1";

/// One grading run: what every report format is written from, and what the JSON format is.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA`]: a consumer checks it before trusting the fields' meaning.
    pub schema: String,
    /// The seed every check drew its inputs from: `NETLAB_SEED=<seed>` draws them again.
    #[serde(default)]
    pub seed: u64,
    /// How the programs under test were walled in: `sandboxed (...)` or `unsandboxed`.
    #[serde(default)]
    pub sandbox: String,
    /// Points of every submission together, and what they could have been.
    pub score: u32,
    pub max_score: u32,
    /// One per student, in the order the paths named them.
    pub submissions: Vec<SubmissionReport>,
    /// Paths among those given that hold no submission (a stray file, an unreadable
    /// folder), with the reason.
    #[serde(default)]
    pub not_graded: Vec<NotGraded>,
}

/// One student's submission.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SubmissionReport {
    /// What the instructor calls it: the folder's name (`ada`), shown in every format.
    pub name: String,
    /// Where it was, as given: for the instructor, never shown to the student.
    pub path: String,
    /// Its points, skipped checks left out of both.
    pub score: u32,
    pub max_score: u32,
    /// Every exercise graded, submitted or not, so that no row silently goes missing.
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

/// One exercise of one submission.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExerciseReport {
    /// The exercise's package name: `udp_cs`.
    pub name: String,
    /// Its chapter (`book/src/udp_cs.md`, or a URL with `--book-url`).
    pub chapter: String,
    pub status: Status,
    pub score: u32,
    pub max_score: u32,
    /// The first compiler error, when the status is `does_not_compile`.
    pub build_error: Option<String>,
    /// The programs that did not compile, when the status is `does_not_compile`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_compiled: Vec<String>,
    /// Every check of the exercise, whatever the status, in the order they run.
    pub checks: Vec<CheckReport>,
}

/// One check of one exercise of one submission.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckReport {
    /// The check's name, what a student filters on: `cargo test -p udp_cs -- <name>`.
    pub name: String,
    /// What it is worth, and what was given (all or nothing today).
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
    /// How long it ran: a slow check in a class shows where grading time goes.
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

/// The programs of `ex` that did not compile, or the exercise's name when not known.
fn programs(ex: &ExerciseReport) -> String {
    match ex.not_compiled.is_empty() {
        true => ex.name.clone(),
        false => ex.not_compiled.join(", "),
    }
}

/// A status as the reports' machine-readable fields spell it.
fn status_word(status: Status) -> &'static str {
    match status {
        Status::Graded => "graded",
        Status::DoesNotCompile => "does_not_compile",
        Status::NotSubmitted => "not_submitted",
    }
}
