//! netlab's harness: what every exercise's checks are made of (processes, the sandbox,
//! seeds, expectations, byte display, waits, socket helpers) and the runners that
//! `cargo test -p <exercise>` and `grade` share. It knows no exercise: each one's checks
//! live in `exercises/<ex>/checks/`, the list of them in the `grading` crate.
//!
//! # Layout
//!
//! One check, from start to report (ARCHITECTURE.md tells the same walk with grade):
//!
//! 1. [`cli::run_exercise`] is what `exercises/<ex>/tests/checks.rs` calls: it starts the
//!    sandbox ([`sandbox::init`], first, while the process has one thread) and makes one
//!    test case per [`Check`] of the [`Exercise`] it is handed (`exercises/<ex>/checks`).
//! 2. [`run_check`] ([`check`]) gives the check a [`Ctx`]: the [`Binaries`] under test, a
//!    generator seeded for this run and check ([`seed`], [`draw`]), a [`Transcript`] of
//!    what it runs, its steps. It runs the check's function in a network of its own
//!    (`sandbox::in_own_network`), catching a panic.
//! 3. The check starts programs: the student's through [`Ctx::student`], a [`Cmd`]
//!    marked untrusted, which [`Cmd::spawn`] starts through the sandbox's launcher
//!    ([`sandbox`]); the reference's through [`Ctx::reference`]; the exercise's peers. A
//!    [`Running`] program is waited for with deadlines (`listening on ADDR`,
//!    [`check::start_server`]) and always killed and reaped ([`groups`]).
//! 4. What a program did is an [`Output`] ([`output`]): status, ending in words, stdout
//!    and stderr up to a cap. The check compares ([`expect`], [`bytes`]) and returns
//!    `Ok(())` or a [`Failure`]: what was expected, what happened, the run.
//! 5. [`run_check`] adds what the transcript shows (a `todo!()` is "not written yet", a
//!    panic in any program under test fails the check: [`mod@panic`]), the steps, the seed
//!    that replays it and the book section: a [`CheckResult`], which `cli` prints as a
//!    test's failure and grade's worker sends to grade's report as JSON.
//!
//! Builds of code other than the workspace's own (a submission, a fixture) are the
//! `grading` crate's; their walls are the sandbox's (`sandbox/builder.rs`).

pub mod beneath;
pub mod bytes;
pub mod check;
pub mod cli;
pub mod cpu;
pub mod draw;
pub mod expect;
pub mod groups;
pub mod memory;
pub mod net;
pub mod output;
pub mod panic;
pub mod process;
pub mod sandbox;
pub mod seed;
pub mod signals;
pub mod transcript;
pub mod wait;

pub use check::{
    Binaries, Check, CheckResult, Ctx, Exercise, Failure, GRADED_BY_INSTRUCTOR, run_check,
    run_check_seeded,
};
pub use output::Output;
pub use process::{Cmd, Running};
pub use transcript::Transcript;
