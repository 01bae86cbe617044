//! One checking round of watch mode: grade's own student mode (`grade -e <exercise>
//! --format json`, the same build, workers, sandbox and seed as `cargo run -p grade`),
//! run as a child process so that a save can cancel it whole. The child is SIGTERMed,
//! and stops everything it started (its builds' and workers' process groups) before it
//! exits, as it does on Ctrl-C; SIGKILL follows if it does not.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use harness::{Cmd, Running};

use crate::report::{ExerciseReport, Report};

/// How long a cancelled round may take to stop what it started before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// The backstop for a round: grade's own deadlines (the build's, each exercise's) come
/// first.
const LONGEST_ROUND: Duration = Duration::from_secs(3600);

/// How every round's grade is started.
pub struct Grade {
    pub exe: PathBuf,
    /// The options a round passes on (`--root`, `--scratch`, `--timeout`, the limits).
    pub options: Vec<OsString>,
}

/// What a round checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// One exercise, by its index in the session's list.
    Exercise(usize),
    /// Every exercise of the session, for the list.
    All,
}

/// A round under way. Dropped unfinished, it is cancelled.
pub struct Round {
    pub target: Target,
    running: Option<Running>,
}

impl Round {
    /// Start grade on `names` (every exercise when empty) with `seed`.
    pub fn start(
        grade: &Grade,
        target: Target,
        names: &[&str],
        seed: u64,
    ) -> Result<Round, String> {
        let mut cmd = Cmd::new(&grade.exe)
            .args(&grade.options)
            .args(["--format", "json"])
            .env(harness::seed::VAR, seed.to_string())
            .timeout(LONGEST_ROUND)
            .grace(STOP_GRACE);
        for name in names {
            cmd = cmd.arg("--exercise").arg(name);
        }
        let running = cmd
            .spawn()
            .map_err(|e| format!("could not start grade: {e}"))?;
        Ok(Round {
            target,
            running: Some(running),
        })
    }

    /// Whether the round is over (its results are ready for [`Round::results`]).
    pub fn is_over(&mut self) -> bool {
        self.running.as_mut().is_none_or(Running::has_exited)
    }

    /// The exercises' results, or what went wrong.
    pub fn results(mut self) -> Result<Vec<ExerciseReport>, String> {
        let Some(running) = self.running.take() else {
            return Err("the round was cancelled".to_string());
        };
        let output = running.wait();
        let report: Report = match output.code() {
            Some(0) => serde_json::from_slice(&output.stdout)
                .map_err(|e| format!("grade's report does not parse ({e}); {}", output.report()))?,
            _ => {
                let said = output.stderr_text();
                return Err(match said.trim().is_empty() {
                    true => format!("grade failed:\n{}", output.report()),
                    false => said.trim_end().to_string(),
                });
            }
        };
        report
            .submissions
            .into_iter()
            .next()
            .map(|s| s.exercises)
            .ok_or_else(|| "grade's report holds no submission".to_string())
    }

    /// Stop the round and everything it started.
    pub fn cancel(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            // Past its deadline now: SIGTERM, the grace to stop its own groups, SIGKILL.
            let _ = running.wait_for_exit(Duration::ZERO);
        }
    }
}

impl Drop for Round {
    fn drop(&mut self) {
        self.stop();
    }
}
