//! The entry point of every `exercises/<ex>/tests/checks.rs`: the exercise's checks as
//! standard test cases (one line each, filter by name: `cargo test -p <exercise> -- <words of a name>`).

use std::process::ExitCode;

use libtest_mimic::{Arguments, Completion, Failed, Trial};

use crate::check::{Binaries, Exercise};
use crate::run::{CHECKS_AT_ONCE, run_check};

/// A test function that fails by panicking (assert!) as a trial of a libtest-mimic binary
/// (one that runs its tests [`arguments`]' many at a time), named `module::function` as
/// libtest would name it: `harness::trial!(module::function)`.
#[macro_export]
macro_rules! trial {
    ($module:ident :: $test:ident) => {
        $crate::cli::trial(
            concat!(stringify!($module), "::", stringify!($test)),
            $module::$test,
        )
    };
}

/// What [`trial!`] makes: `test` under `name`, failing when it panics.
pub fn trial(name: &'static str, test: fn()) -> Trial {
    Trial::test(name, move || {
        test();
        Ok(())
    })
}

/// The test binary's command line, with [`CHECKS_AT_ONCE`] checks at a time unless
/// `--test-threads` or `RUST_TEST_THREADS` says otherwise (libtest-mimic reads only the
/// first, and defaults to one per core).
pub fn arguments() -> Arguments {
    let mut args = Arguments::from_args();
    let from_env = std::env::var("RUST_TEST_THREADS").ok();
    args.test_threads = args
        .test_threads
        .or_else(|| from_env.and_then(|n| n.parse().ok()))
        .or(Some(CHECKS_AT_ONCE));
    args
}

/// Run `exercise`'s checks against the binaries beside `one_bin` (pass
/// `env!("CARGO_BIN_EXE_<bin>")`: cargo builds them before the test).
pub fn run_exercise(exercise: &'static Exercise, one_bin: &str) -> ExitCode {
    // First, while this process has one thread (and to be the launcher, if that is what
    // this process was started as).
    let sandbox = crate::sandbox::init();
    let name = exercise.name;
    // Ctrl-C reaches cargo and this process, but not the programs under test: they lead
    // process groups of their own: on_termination kills those before going.
    crate::signals::on_termination(crate::sandbox::clean_up);
    let bins = Binaries::beside(exercise, one_bin);
    let args = arguments();
    if !args.list {
        if sandbox.mode == crate::sandbox::Mode::Unsandboxed {
            eprintln!(
                "netlab: your programs run unsandboxed here ({}): fine for your own code",
                sandbox
                    .why_not
                    .as_deref()
                    .unwrap_or("no sandbox on this system")
            );
        }
        // On stderr: test listers (nextest) read stdout.
        let seed = crate::seed::run_seed();
        eprintln!(
            "netlab: inputs drawn with seed {seed}; {}={seed} cargo test -p {name} draws them again",
            crate::seed::VAR
        );
    }
    let trials = exercise
        .checks()
        .iter()
        .map(|check| {
            let bins = bins.clone();
            Trial::ignorable_test(check.name, move || {
                let result = run_check(exercise, check, &bins);
                if result.skipped {
                    // `ignored (graded by your instructor)`: no pass, no failure.
                    Ok(Completion::ignored_with(&result.message))
                } else if result.passed() {
                    Ok(Completion::Completed)
                } else {
                    Err(Failed::from(result.explanation()))
                }
            })
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    crate::sandbox::clean_up();
    conclusion.exit_code()
}
