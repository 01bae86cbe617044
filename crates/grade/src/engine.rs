//! Grading: build each submission (one cargo invocation for all its exercises), then run
//! each exercise's checks in a worker process with a deadline, `--jobs` submissions at a
//! time, and collect the results.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use grading::build::Workspace;
use harness::{Cmd, Exercise};
use indicatif::{ProgressBar, ProgressStyle};

use crate::discover::Submission;
use crate::report::{CheckReport, ExerciseReport, Report, Status, SubmissionReport};

pub struct Plan {
    pub workspace: Workspace,
    pub exercises: Vec<&'static Exercise>,
    pub jobs: usize,
    /// Wall-clock limit for one exercise of one submission.
    pub timeout: Duration,
    pub scratch: PathBuf,
    pub progress: bool,
    /// What a program under test may use (the workers' sandbox).
    pub limits: harness::sandbox::Limits,
}

impl Plan {
    /// The folder of reference binaries; an empty path in a class edition, which has none
    /// (the worker then skips the checks that need one).
    fn reference_bins(&self) -> Result<PathBuf> {
        if !self.workspace.has_reference() {
            return Ok(PathBuf::new());
        }
        self.workspace
            .build_reference(&self.exercises, &self.scratch.join("reference"))
            .map_err(|e| anyhow::anyhow!("the reference solutions do not build: {e}\n{}", e.log))
    }
}

/// Grade the reference solutions as if a student had written them.
pub fn grade_reference(plan: &Plan) -> Result<Report> {
    let reference = plan.reference_bins()?;
    // Here the reference programs are the programs under test: as root, each launcher
    // opens its program as the program's own user, who must pass through the folder the
    // grader otherwise keeps to itself (no submission is graded in this run).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let folder = plan.scratch.join("reference");
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o711))
            .with_context(|| format!("{}: could not open it to the programs", folder.display()))?;
    }
    let exercises = plan
        .exercises
        .iter()
        .map(|exercise| run_worker(plan, exercise, &reference, &reference, true, &[]))
        .collect();
    let root = plan.workspace.root().join("solutions");
    Ok(Report::new(vec![SubmissionReport::new(
        "reference".to_string(),
        root.to_string_lossy().into_owned(),
        exercises,
    )]))
}

/// Grade every submission, `plan.jobs` at a time.
pub fn grade_submissions(plan: &Plan, submissions: &[Submission]) -> Result<Report> {
    let reference = plan.reference_bins()?;
    let bar = if plan.progress && submissions.len() > 1 {
        let bar = ProgressBar::new(submissions.len() as u64);
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed} {msg}") {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<SubmissionReport>>> = Mutex::new(vec![None; submissions.len()]);
    std::thread::scope(|scope| {
        for _ in 0..plan.jobs.min(submissions.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(submission) = submissions.get(i) else {
                        break;
                    };
                    bar.set_message(submission.name.clone());
                    let report = grade_one(plan, submission, &reference);
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(report);
                    bar.inc(1);
                }
            });
        }
    });
    bar.finish_and_clear();
    let reports = results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect();
    Ok(Report::new(reports))
}

fn grade_one(plan: &Plan, submission: &Submission, reference: &Path) -> SubmissionReport {
    let present: Vec<&'static Exercise> = plan
        .exercises
        .iter()
        .copied()
        .filter(|e| submission.root.join(e.name).join("src").is_dir())
        .collect();
    let build = if present.is_empty() {
        None
    } else {
        let scratch = plan.scratch.join("submissions").join(&submission.key);
        Some(
            plan.workspace
                .build_submission(&present, &submission.root, &scratch),
        )
    };
    let exercises = plan
        .exercises
        .iter()
        .map(|exercise| {
            let submitted = present.iter().any(|e| e.name == exercise.name);
            match &build {
                Some(Err(error)) if submitted => {
                    let mut report = ExerciseReport::all_zero(
                        exercise,
                        Status::DoesNotCompile,
                        Some(error.first_error.clone()),
                        &format!("did not run: {} does not compile", exercise.name),
                    );
                    report.not_compiled = exercise.bins.iter().map(|b| b.to_string()).collect();
                    for check in &mut report.checks {
                        check.not_compiled = Some(report.not_compiled.join(", "));
                    }
                    report
                }
                Some(Ok(built)) if submitted => {
                    // Every check runs; one that asks for a program that did not compile
                    // stops there and scores 0 (see harness::Ctx::student_path), so a
                    // broken server leaves the client's checks their points.
                    let broken = built.not_compiled(exercise);
                    let mut report =
                        run_worker(plan, exercise, &built.bin_dir, reference, false, &broken);
                    if let Some(error) = built.first_error(exercise) {
                        report.status = Status::DoesNotCompile;
                        report.build_error = Some(error.first_error.clone());
                        report.not_compiled = broken.iter().map(|b| b.to_string()).collect();
                    }
                    report
                }
                _ => ExerciseReport::all_zero(
                    exercise,
                    Status::NotSubmitted,
                    None,
                    &format!(
                        "not submitted: the submission has no {}/src/ folder",
                        exercise.name
                    ),
                ),
            }
        })
        .collect();
    SubmissionReport::new(
        submission.name.clone(),
        submission.path.to_string_lossy().into_owned(),
        exercises,
    )
}

/// Run one exercise's checks in a worker process (see worker.rs), with a deadline.
fn run_worker(
    plan: &Plan,
    exercise: &'static Exercise,
    student: &Path,
    reference: &Path,
    as_reference: bool,
    not_compiled: &[&str],
) -> ExerciseReport {
    let failed = |why: String| {
        ExerciseReport::all_zero(
            exercise,
            Status::Graded,
            None,
            &format!("grade could not run this exercise's checks (a netlab bug): {why}"),
        )
    };
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return failed(format!("where is grade itself? {e}")),
    };
    let mut cmd = Cmd::new(exe)
        .arg("--worker")
        .arg(exercise.name)
        .arg(student)
        .arg(reference)
        .arg(plan.timeout.as_millis().to_string())
        // One seed for the whole run, so the report's seed replays every exercise.
        .env(harness::seed::VAR, harness::seed::run_seed().to_string())
        .env(harness::sandbox::LIMITS_VAR, plan.limits.to_arg())
        // A total for everything written in the worker's scratch folder.
        .env(harness::sandbox::SCRATCH_TOTAL_VAR, "1")
        // The worker stops itself at its deadline; this is the backstop, and SIGTERM
        // first lets it kill the process groups it started.
        .timeout(plan.timeout + Duration::from_secs(10))
        .grace(Duration::from_secs(3));
    if as_reference {
        cmd = cmd.arg("--as-reference");
    }
    for bin in not_compiled {
        cmd = cmd.arg("--not-compiled").arg(bin);
    }
    let output = match cmd.run() {
        Ok(output) => output,
        Err(e) => return failed(e.to_string()),
    };
    let parsed: Result<Vec<CheckReport>> = serde_json::from_slice(&output.stdout)
        .with_context(|| format!("its output was not results:\n{}", output.report()));
    match parsed {
        Ok(checks) if output.code() == Some(0) => {
            let expected: Vec<&str> = exercise.checks().iter().map(|c| c.name).collect();
            let got: Vec<&str> = checks.iter().map(|c| c.name.as_str()).collect();
            if expected == got {
                ExerciseReport::new(exercise, Status::Graded, None, checks)
            } else {
                failed(format!("the worker reported checks {got:?}"))
            }
        }
        Ok(_) => failed(format!("the worker failed:\n{}", output.report())),
        Err(e) => failed(format!("{e:#}")),
    }
}
