//! Gradescope's results.json for one submission: the score, and a test per check with
//! its points and, when it failed, the message.

use anyhow::{Result, bail};
use serde_json::json;

use super::{Report, table};

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
