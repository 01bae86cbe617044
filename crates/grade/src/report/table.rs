//! The terminal view: for one submission a progress view (each exercise's score and its
//! next failing check, with the message and the book section), for a class a row per
//! submission with the failures under it.

use std::fmt::Write as _;

use super::{CheckReport, ExerciseReport, Report, Status, SubmissionReport, programs, uploads};

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
    // Widths as a terminal shows them (a name such as 张伟 takes four columns).
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    table.add_rows(rows);
    for (c, column) in table.column_iter_mut().enumerate() {
        if c == 0 {
            column.set_padding((0, 0));
        } else {
            column.set_padding((2, 0));
            column.set_cell_alignment(comfy_table::CellAlignment::Right);
        }
    }
    let mut out = String::new();
    for line in table.lines() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Report;

    fn submission(name: &str) -> SubmissionReport {
        let exercise = grading::exercise("os_args").unwrap();
        let checks = exercise
            .checks()
            .iter()
            .map(|check| CheckReport::zero(exercise, check, "wrong"))
            .collect();
        let exercises = vec![ExerciseReport::new(exercise, Status::Graded, None, checks)];
        SubmissionReport::new(name.into(), name.into(), exercises)
    }

    /// Columns line up as a terminal shows them: 张伟 is two characters but four columns
    /// wide, Zoë's ë may be two characters (e and a combining mark) in one column.
    #[test]
    fn wide_and_combining_names_keep_the_columns() {
        let names = ["ada", "张伟", "Zoe\u{308}"];
        let report = Report::new(names.iter().map(|n| submission(n)).collect());
        let table = class_table(&report.submissions, false);
        let lines: Vec<&str> = table.lines().take(4).collect();
        let width = |line: &str| unicode_width::UnicodeWidthStr::width(line);
        assert!(lines[0].starts_with("submission  os_args"), "{table}");
        assert!(lines.iter().all(|l| width(l) == width(lines[0])), "{table}");
        assert!(lines.iter().all(|l| !l.ends_with(' ')), "{table}");
    }
}
