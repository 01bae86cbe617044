//! Markdown, for a pull request comment or a CI run's summary: a table of scores, the
//! failing checks folded under it.

use std::fmt::Write as _;

use super::{CheckReport, ExerciseReport, Report, Status, programs, uploads};

/// A cell of a Markdown table: no pipes, no HTML (entities included), no links or code
/// spans of a submission's making, one line.
pub(super) fn md_cell(text: &str) -> String {
    let mut cell = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '|' | '[' | ']' | '`' => {
                cell.push('\\');
                cell.push(c);
            }
            '&' => cell.push_str("&amp;"),
            '<' => cell.push_str("&lt;"),
            '>' => cell.push_str("&gt;"),
            '\n' | '\r' => cell.push(' '),
            c => cell.push(c),
        }
    }
    cell
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
    out.push_str(&uploads_section(report));
    out
}

/// What a student must act on in the uploads, and the paths not graded.
fn uploads_section(report: &Report) -> String {
    let mut out = String::new();
    let problems: Vec<String> = report
        .submissions
        .iter()
        .flat_map(|sub| {
            sub.upload
                .iter()
                .filter(|n| n.problem)
                .map(move |n| format!("- {}: {}", md_cell(&sub.name), md_cell(&uploads::line(n))))
        })
        .collect();
    if !problems.is_empty() {
        let _ = writeln!(out, "\n**Uploads**\n\n{}", problems.join("\n"));
    }
    if !report.not_graded.is_empty() {
        let _ = writeln!(out, "\n**Not graded**\n");
        for skipped in &report.not_graded {
            let _ = writeln!(
                out,
                "- {}: {}",
                md_cell(&skipped.path),
                md_cell(&skipped.reason)
            );
        }
    }
    out
}
