//! What watch mode shows: one screen per round (an exercise's score and the one thing to
//! fix next, or the list of every exercise), and the line of keys under it. Text only;
//! the caller decides whether a screen replaces the last one (a terminal) or follows it
//! (a pipe).

use std::fmt::Write as _;

use crate::report::{CheckReport, ExerciseReport, Status};

/// The one line of keys, under every screen.
pub const KEYS: &str =
    "keys: Enter check again, n/p next/previous exercise, l list, r new inputs, q quit";

/// Where the session stands: which exercise of how many, the inputs' seed, the folder
/// watched.
pub struct Place<'a> {
    pub position: usize,
    pub count: usize,
    pub seed: u64,
    /// `exercises/os_args/src/`, as the student finds it.
    pub watched: &'a str,
    /// The exercise after this one, if any.
    pub next: Option<&'a str>,
}

/// The check to fix next: the first that ran and failed.
fn first_failing(ex: &ExerciseReport) -> Option<&CheckReport> {
    ex.checks
        .iter()
        .find(|c| c.failed() && c.not_compiled.is_none())
}

/// Full marks: every check that ran here passed.
pub fn is_done(ex: &ExerciseReport) -> bool {
    ex.status == Status::Graded && ex.score == ex.max_score && first_failing(ex).is_none()
}

/// The screen of one exercise's round, under `note` (what just happened, or nothing).
pub fn exercise(ex: &ExerciseReport, place: &Place, note: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {}/{} (exercise {} of {}; inputs drawn with seed {})",
        ex.name, ex.score, ex.max_score, place.position, place.count, place.seed
    );
    if !note.is_empty() {
        let _ = writeln!(out, "{note}");
    }
    out.push('\n');
    match ex.status {
        Status::NotSubmitted => {
            let why = ex.checks.first().map_or("", |c| c.message.as_str());
            let _ = writeln!(out, "{why}");
        }
        Status::DoesNotCompile => {
            let programs = match ex.not_compiled.is_empty() {
                true => ex.name.clone(),
                false => ex.not_compiled.join(", "),
            };
            let _ = writeln!(
                out,
                "does not compile: {programs} (the compiler's first error, as cargo shows it)\n"
            );
            // grade quotes paths from the exercise's folder; cargo run at the checkout's
            // root names them from there, and editors' terminals open what it names.
            let error = ex.build_error.as_deref().unwrap_or("").trim_end();
            let from_root = format!("--> exercises/{}/src/", ex.name);
            let _ = writeln!(out, "{}", error.replace("--> src/", &from_root));
        }
        Status::Graded => match (first_failing(ex), place.next) {
            (Some(check), _) => {
                let _ = writeln!(out, "next: {}", check.name);
                let _ = writeln!(out, "{}", check.message.trim_end());
                let _ = writeln!(out, "{}", check.footer());
            }
            (None, Some(next)) => {
                let _ = writeln!(out, "full marks: n goes on to {next}");
            }
            (None, None) => {
                let _ = writeln!(out, "full marks: this is the last exercise");
            }
        },
    }
    let _ = writeln!(
        out,
        "\nwatching {}: save a file there to check again",
        place.watched
    );
    let _ = writeln!(out, "{KEYS}");
    out
}

/// Every exercise with its score and next check, the current one marked.
pub fn list(exercises: &[ExerciseReport], current: usize, seed: u64) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "your exercises (inputs drawn with seed {seed}):");
    let width = exercises.iter().map(|e| e.name.len()).max().unwrap_or(0);
    for (i, ex) in exercises.iter().enumerate() {
        let mark = if i == current { '>' } else { ' ' };
        let score = format!("{}/{}", ex.score, ex.max_score);
        let state = match ex.status {
            Status::NotSubmitted => "not submitted".to_string(),
            Status::DoesNotCompile => "does not compile".to_string(),
            Status::Graded => match first_failing(ex) {
                Some(check) => format!("next: {}", check.name),
                None => "done".to_string(),
            },
        };
        let _ = writeln!(out, "{mark} {:<width$}  {score:>5}  {state}", ex.name);
    }
    let score: u32 = exercises.iter().map(|e| e.score).sum();
    let max: u32 = exercises.iter().map(|e| e.max_score).sum();
    let _ = writeln!(
        out,
        "  {:<width$}  {:>5}",
        "total",
        format!("{score}/{max}")
    );
    let _ = writeln!(out, "\n(Enter goes back to the exercise marked >)");
    let _ = writeln!(out, "{KEYS}");
    out
}

/// A round that gave no results: what grade said.
pub fn trouble(name: &str, why: &str) -> String {
    format!("{name}: could not be checked:\n{why}\n\n{KEYS}\n")
}

/// Every exercise of the session has full marks.
pub fn all_done(count: usize) -> String {
    format!(
        "every exercise ({count}) has full marks: well done.\n\
         Saves are still checked; p goes back, l lists them.\n\n{KEYS}\n"
    )
}
