//! Grading time: N copies of the reference solutions graded as a class with the release
//! `grade`, and one exercise of one submission graded warm.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use grading::build::Workspace;
use harness::Cmd;

use crate::Options;
use crate::table::Report;

pub fn run(
    bins: &Path,
    workspace: &Workspace,
    options: &Options,
    report: &mut Report,
) -> Result<()> {
    let grade = bins.join(format!("grade{}", std::env::consts::EXE_SUFFIX));
    if !grade.is_file() {
        report
            .notes
            .push("no grade binary was built: grading time not measured".into());
        return Ok(());
    }
    let class = tempfile::tempdir()?;
    for n in 1..=options.copies {
        copy_reference_as_submission(workspace, &class.path().join(format!("student{n:02}")))?;
    }
    let out = class.path().join("report.json");
    eprintln!(
        "grading {} copies of the reference solutions ...",
        options.copies
    );
    let class_run = Cmd::new(&grade)
        .args(["--format", "json", "--out"])
        .arg(&out)
        .arg(class.path());
    let whole = time(class_run.clone())?;
    report.grading.push((
        format!("{} submissions, every exercise", options.copies),
        whole,
    ));
    // What the sandbox costs: the same class again, built already, with and without it.
    let sandboxed = time(class_run.clone())?;
    report
        .grading
        .push(("the same again, built, sandboxed".to_string(), sandboxed));
    let unsandboxed = time(
        class_run
            .env(harness::sandbox::VAR, "off")
            .arg("--unsandboxed"),
    )?;
    report.grading.push((
        "the same again, built, unsandboxed".to_string(),
        unsandboxed,
    ));
    let one = class.path().join("student01");
    for exercise in grading::exercises() {
        // The first run builds; the second is the warm figure a student sees.
        let cmd = Cmd::new(&grade)
            .args(["--exercise", exercise.name])
            .arg(&one);
        time(cmd.clone())?;
        let warm = time(cmd)?;
        report
            .grading
            .push((format!("1 submission, {} only, warm", exercise.name), warm));
    }
    Ok(())
}

fn time(cmd: Cmd) -> Result<f64> {
    let started = Instant::now();
    let output = cmd.timeout(Duration::from_secs(1800)).run()?;
    let seconds = started.elapsed().as_secs_f64();
    if output.code() != Some(0) {
        bail!(
            "grade did not give full marks to the reference solutions:\n{}",
            output.report()
        );
    }
    Ok(seconds)
}

/// A submission folder shaped like exercises/: every exercise's reference solution.
fn copy_reference_as_submission(workspace: &Workspace, submission: &Path) -> Result<()> {
    for exercise in grading::exercises() {
        workspace
            .write_reference_submission(exercise, &submission.join(exercise.name))
            .with_context(|| format!("copying the {} solution", exercise.name))?;
    }
    Ok(())
}
