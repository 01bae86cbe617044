//! The runner of one check: gives it a [`Ctx`] in a network of its own, catches what it
//! does wrong, and words the outcome for the student ([`CheckResult`]): "not written yet"
//! for a `todo!()`, a panic quoted first, the steps, the seed that replays it; with
//! `NETLAB_TRACE=DIR`, the check's network captured whole into `DIR/<check>.pcap`, whose
//! last frames a failure shows (`wire/saved.rs`).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::check::{Binaries, Check, Ctx, Exercise, GRADED_BY_INSTRUCTOR};
use crate::seed;
use crate::transcript::Transcript;

/// How many checks run at once, in grade's workers and in `cargo test -p`: a check mostly
/// waits (for a reply, a deadline, a program to exit), so more run at once than there
/// are cores, and a failing one that waits out its deadline holds up no other.
pub const CHECKS_AT_ONCE: usize = 8;

/// `NETLAB_TRACE=DIR`: each check's loopback captured into `DIR/<check>.pcap` (DIR made
/// if missing).
const TRACE_VAR: &str = "NETLAB_TRACE";

/// How one check went.
#[derive(Clone, Debug)]
pub struct CheckResult {
    pub name: String,
    pub points: u32,
    pub awarded: u32,
    /// Empty when the check passed.
    pub message: String,
    /// The book section to read: `book/src/echo.md#what-echo-prints`.
    pub read: String,
    /// How to draw this check's inputs again (`seed: N (replay: NETLAB_SEED=N cargo test
    /// ...)`); empty when the check passed.
    pub replay: String,
    pub elapsed: Duration,
    /// Not run here, for want of a reference program ([`GRADED_BY_INSTRUCTOR`]): neither
    /// a pass nor a failure, and no points either way.
    pub skipped: bool,
    /// The student's binary this check needed that did not compile: the check did not
    /// run and scores 0; the compiler's error is the exercise's, shown once.
    pub not_compiled: Option<String>,
}

impl CheckResult {
    pub fn passed(&self) -> bool {
        !self.skipped && self.awarded == self.points && self.message.is_empty()
    }

    /// The message as a student reads it, with the book section under it.
    pub fn explanation(&self) -> String {
        match self.replay.is_empty() {
            // A check that did not run drew nothing.
            true => format!("{}\n    read: {}", self.message, self.read),
            false => format!(
                "{}\n    seed: {}\n    read: {}",
                self.message, self.replay, self.read
            ),
        }
    }
}

/// Run one check against `bins` with this run's seed ([`seed::run_seed`]).
pub fn run_check(exercise: &Exercise, check: &Check, bins: &Binaries) -> CheckResult {
    run_check_seeded(exercise, check, bins, seed::run_seed())
}

/// Run one check against `bins`, drawing its inputs from `seed`. Never panics: a panic
/// inside the check is reported as a failure, and every process the check started is
/// killed and reaped by then. A check whose program under test panicked fails, even when
/// what the check looked at was right.
pub fn run_check_seeded(
    exercise: &Exercise,
    check: &Check,
    bins: &Binaries,
    seed: u64,
) -> CheckResult {
    let skip = |message: String| CheckResult {
        name: check.name.to_string(),
        points: check.points,
        awarded: 0,
        message,
        read: exercise.read_about(check),
        replay: String::new(),
        elapsed: Duration::ZERO,
        skipped: true,
        not_compiled: None,
    };
    if check.uses_reference && bins.reference.is_empty() {
        return skip(GRADED_BY_INSTRUCTOR.to_string());
    }
    if let Some(why) = check.captures.then(why_no_capture).flatten() {
        return skip(format!(
            "skipped: this check captures its own network's packets, which needs Linux's \
             unprivileged user namespaces, and {why}"
        ));
    }
    let reference_only: Vec<&Path> = bins
        .reference
        .values()
        .filter(|path| !bins.student.values().any(|s| s == *path))
        .map(PathBuf::as_path)
        .collect();
    crate::sandbox::hide(&reference_only);
    let ctx = Ctx {
        bins: bins.clone(),
        uses_reference: check.uses_reference,
        transcript: Arc::new(Transcript::default()),
        rng: Mutex::new(seed::for_check(seed, check.name)),
        steps: Mutex::new(Vec::new()),
        not_compiled: Mutex::new(None),
    };
    // Unset, nothing is captured and nothing costs: no packet socket is opened.
    let trace_dir = std::env::var_os(TRACE_VAR)
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from);
    let no_capture = trace_dir.as_ref().and_then(|_| why_no_capture());
    let started = Instant::now();
    // In a network of its own where the sandbox allows: the check's peers, the reference
    // programs and the program under test meet on a loopback nobody else is on.
    let (outcome, wire) = crate::sandbox::in_own_network(|| {
        #[cfg(target_os = "linux")]
        let capture = (trace_dir.as_deref())
            .filter(|_| no_capture.is_none())
            .map(|dir| crate::wire::saved::start(dir, check.name));
        let outcome = catch_unwind(AssertUnwindSafe(|| (check.run)(&ctx)));
        #[cfg(target_os = "linux")]
        let wire = capture.map(|capture| capture.save());
        #[cfg(not(target_os = "linux"))]
        let wire: Option<String> = None;
        (outcome, wire)
    });
    let wire = wire.or(no_capture.map(|why| {
        format!("    wire: no capture ({TRACE_VAR}): the check had no network of its own: {why}")
    }));
    let elapsed = started.elapsed();
    let panics_told = matches!(&outcome, Ok(Err(failure)) if failure.panics_told);
    let failure = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(failure)) => Some(failure.message),
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            Some(format!(
                "the check itself crashed ({what}); this is a netlab bug"
            ))
        }
    };
    let steps = ctx.steps.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let not_compiled = ctx
        .not_compiled
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    let message = match (&not_compiled, failure) {
        (Some(bin), _) => Some(format!(
            "did not run: this check needs {bin}, which does not compile (the compiler's \
             error is shown once, with the exercise)"
        )),
        (None, failure) => match failure {
            Some(message) => explain(
                Some(with_steps(&steps, message)),
                &ctx.transcript,
                panics_told,
            ),
            None => explain(None, &ctx.transcript, false),
        },
    }
    .unwrap_or_default();
    let message = match (wire, &not_compiled) {
        (Some(wire), None) if !message.is_empty() => format!("{message}\n{wire}"),
        _ => message,
    };
    let replay = match message.is_empty() || not_compiled.is_some() {
        true => String::new(),
        false => seed::replay(seed, exercise.name, check.name),
    };
    CheckResult {
        name: check.name.to_string(),
        points: check.points,
        awarded: if message.is_empty() { check.points } else { 0 },
        message,
        read: exercise.read_about(check),
        replay,
        elapsed,
        skipped: false,
        not_compiled,
    }
}

/// Why a check here has no loopback of its own to capture; None when it has one. The
/// machine's own may only be captured by root, and holds everybody's traffic.
fn why_no_capture() -> Option<String> {
    use crate::sandbox::Mode;
    let why_not = crate::sandbox::setup().and_then(|setup| setup.why_not.clone());
    match crate::sandbox::mode() {
        Mode::Namespaces => None,
        Mode::OtherUser => Some(
            "the sandbox runs programs as other users here, without namespaces (root \
             without user namespaces): the checks share this machine's loopback"
                .to_string(),
        ),
        Mode::Unsandboxed => Some(format!(
            "the checks run unsandboxed here ({}), on this machine's loopback",
            why_not.as_deref().unwrap_or("no sandbox on this system")
        )),
    }
}

/// The steps a check took, numbered, above its failure.
fn with_steps(steps: &[String], message: String) -> String {
    if steps.is_empty() {
        return message;
    }
    let mut text = String::from("what happened:\n");
    for (i, step) in steps.iter().enumerate() {
        text.push_str(&format!("  {}. {step}\n", i + 1));
    }
    text + &message
}

/// Put what the student most needs to hear first: a `todo!()` reached means "not written
/// yet"; any other panic is quoted above the details. `failure` is None when the check
/// passed: then a panic (a server's worker thread, say) is the failure, quoted alone.
fn explain(failure: Option<String>, transcript: &Transcript, panics_told: bool) -> Option<String> {
    let mut panics: Vec<_> = transcript
        .runs()
        .into_iter()
        .filter_map(|run| run.panic.map(|p| (run.command_line, p)))
        .collect();
    // Runs made at once (a check's peers, its scenarios) end in any order: the one
    // quoted must not depend on which ended first, so that a seed shows the same words.
    panics.sort_by(|a, b| {
        (&a.1.location, &a.1.message, &a.0).cmp(&(&b.1.location, &b.1.message, &b.0))
    });
    if let Some((_, todo)) = panics.iter().find(|(_, p)| p.todo_text().is_some()) {
        let text = todo.todo_text().unwrap_or_default();
        return Some(format!(
            "not written yet: {text} (todo!() at {})",
            todo.location
        ));
    }
    if panics_told {
        return failure;
    }
    match (panics.first(), failure) {
        (Some((command, panic)), Some(message)) => Some(format!(
            "your program panicked at {}: {}\n     ran: {command}\n{message}",
            panic.location, panic.message
        )),
        (Some((command, panic)), None) => Some(format!(
            "your program panicked at {}: {}\n     ran: {command}\n\
             (what this check looked at was right, but a panic is never: a program must \
             handle every input, and a server thread that dies serves nobody)",
            panic.location, panic.message
        )),
        (None, message) => message,
    }
}
