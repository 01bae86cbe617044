//! GitHub Classroom's autograding results: the JSON its grader actions hand to
//! `classroom-resources/autograding-grading-reporter` (base64-encoded, in a step output),
//! which prints each test and posts "Points X/Y" for the Classroom dashboard. grade writes
//! it directly, so one grading run reports every check, not one pass/fail per command.

use anyhow::{Result, bail};
use serde_json::json;

use super::Report;

/// The results of the one submission in `report`, in the reporter's format (version 1):
/// `status` is `pass` only with full marks, and each check is a test worth its points.
pub fn classroom(report: &Report) -> Result<String> {
    let [sub] = &report.submissions[..] else {
        bail!(
            "--format classroom writes the results of one submission, but {} were graded",
            report.submissions.len()
        );
    };
    let mut tests = Vec::new();
    for exercise in &sub.exercises {
        // The reporter shows tests only: the compiler's error goes, once, with the first
        // check it kept from running.
        let mut build_error = exercise.build_error.as_deref();
        // A check skipped for want of a reference (a class edition) is no test here.
        for check in exercise.checks.iter().filter(|c| !c.skipped) {
            let mut message = match check.passed {
                true => String::new(),
                false => format!("{}\n{}", check.message, check.footer()),
            };
            if let (Some(_), Some(error)) = (&check.not_compiled, build_error) {
                message = format!("{message}\n{error}");
                build_error = None;
            }
            tests.push(json!({
                "name": format!("{}: {}", exercise.name, check.name),
                "status": if check.passed { "pass" } else { "fail" },
                "score": check.awarded,
                "max_score": check.points,
                "message": message,
                "line_no": 0,
                "execution_time": format!("{:.2}s", check.elapsed_ms as f64 / 1000.0),
            }));
        }
    }
    let results = json!({
        "version": 1,
        "status": if sub.score == sub.max_score { "pass" } else { "fail" },
        "max_score": sub.max_score,
        "tests": tests,
    });
    Ok(serde_json::to_string(&results)? + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{CheckReport, ExerciseReport, Status, SubmissionReport};
    use serde_json::Value;

    fn graded(passed: &[bool]) -> Value {
        let exercise = grading::exercise("os_args").unwrap();
        let checks = exercise
            .checks()
            .iter()
            .zip(passed)
            .map(|(check, &passed)| {
                let mut report = CheckReport::zero(exercise, check, "wrong");
                report.passed = passed;
                report.awarded = u32::from(passed);
                report
            })
            .collect();
        let exercises = vec![ExerciseReport::new(exercise, Status::Graded, None, checks)];
        let sub = SubmissionReport::new("ada".into(), "ada".into(), exercises);
        serde_json::from_str(&classroom(&Report::new(vec![sub])).unwrap()).unwrap()
    }

    #[test]
    fn pass_only_with_full_marks() {
        let all = graded(&[true, true]);
        assert_eq!(all["status"], "pass");
        assert_eq!(all["max_score"], 2);
        let one = graded(&[true, false]);
        assert_eq!(one["status"], "fail");
        assert_eq!(one["tests"][0]["status"], "pass");
        assert_eq!(one["tests"][1]["status"], "fail");
        assert_eq!(one["tests"][1]["score"], 0);
        assert!(
            one["tests"][1]["message"]
                .as_str()
                .unwrap()
                .starts_with("wrong\nread: ")
        );
    }
}
