//! The hidden `grade --worker` mode: run every check of one exercise against one set of
//! binaries and print the results as JSON. grade runs each (submission, exercise) in a
//! worker of its own, because a check runs in a thread, and a thread stuck past its
//! deadline cannot be stopped from outside; a process can. At its deadline (or on
//! SIGTERM) the worker kills every process group it started, reports what finished, and
//! exits, leaving nothing behind.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use harness::{Binaries, run_check};

use crate::report::CheckReport;
use harness::signals;

/// `grade --worker EXERCISE STUDENT_DIR REFERENCE_DIR TIMEOUT_MS [--as-reference]
/// [--not-compiled BIN]...`
pub fn main(args: &[OsString]) -> ExitCode {
    // Whatever the checks started dies with the worker.
    signals::on_termination(|| {});
    let [name, student, reference, timeout, rest @ ..] = args else {
        eprintln!("error: grade --worker EXERCISE STUDENT_DIR REFERENCE_DIR TIMEOUT_MS");
        return ExitCode::from(2);
    };
    let exercise = name.to_str().and_then(grading::exercise);
    let timeout = timeout.to_str().and_then(|t| t.parse::<u64>().ok());
    let (Some(exercise), Some(timeout)) = (exercise, timeout) else {
        eprintln!("error: grade --worker: bad exercise name or timeout");
        return ExitCode::from(2);
    };
    let (student, reference) = (PathBuf::from(student), PathBuf::from(reference));
    let mut bins = if rest.iter().any(|a| a == "--as-reference") {
        Binaries::reference_as_student(exercise, &reference)
    } else if reference.as_os_str().is_empty() {
        // A class edition (see Plan::reference_bins); grade refuses anything but the
        // student's own progress there, so no instructor's grading skips a check.
        Binaries::without_reference(exercise, &student)
    } else {
        Binaries::in_dirs(exercise, &student, &reference)
    };
    let mut rest = rest.iter();
    while let Some(arg) = rest.next() {
        if arg == "--not-compiled" {
            let bin = rest.next().and_then(|b| b.to_str());
            bins.not_compiled.extend(bin.map(str::to_string));
        }
    }
    let deadline = Instant::now() + Duration::from_millis(timeout);

    let checks = exercise.checks();
    // Reversed, so that `pop` hands out the checks in their order.
    let queue = Arc::new(Mutex::new((0..checks.len()).rev().collect::<Vec<_>>()));
    let (sender, results) = mpsc::channel();
    for _ in 0..harness::CHECKS_AT_ONCE.min(checks.len()) {
        let (queue, sender, bins, checks) =
            (Arc::clone(&queue), sender.clone(), bins.clone(), checks);
        thread::spawn(move || {
            loop {
                let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop();
                let Some(i) = next else { break };
                let result = run_check(exercise, &checks[i], &bins);
                if sender.send((i, CheckReport::from_result(&result))).is_err() {
                    break;
                }
            }
        });
    }
    drop(sender);

    let mut done: Vec<Option<CheckReport>> = vec![None; checks.len()];
    let mut timed_out = false;
    while done.iter().any(Option::is_none) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            timed_out = true;
            break;
        }
        match results.recv_timeout(left.min(Duration::from_millis(100))) {
            Ok((i, report)) => done[i] = Some(report),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    if timed_out {
        // Checks still running may be stuck for good: stop everything they started.
        harness::groups::kill_all_groups();
    }
    let message = format!(
        "the check did not finish within the {} s limit for this exercise, and was stopped \
         (a program that never exits or never answers does this)",
        timeout / 1000
    );
    let reports: Vec<CheckReport> = done
        .into_iter()
        .zip(checks)
        .map(|(report, check)| {
            report.unwrap_or_else(|| CheckReport::zero(exercise, check, &message))
        })
        .collect();
    let json = match serde_json::to_string(&reports) {
        Ok(json) => json,
        Err(e) => {
            eprintln!("error: could not write the results: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    let written = writeln!(stdout, "{json}").and_then(|()| stdout.flush());
    if timed_out {
        // Threads may still be stuck in a check; exit without waiting for them.
        std::process::exit(if written.is_ok() { 0 } else { 1 });
    }
    if written.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
