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
//! 2. [`run_check`] (`run.rs`) gives the check a [`Ctx`] (`check.rs`): the [`Binaries`]
//!    under test, a generator seeded for this run and check ([`seed`], [`draw`]), a
//!    transcript of what it runs, its steps. It runs the check's function in a network of
//!    its own (`sandbox::in_own_network`), catching a panic; with `NETLAB_TRACE=DIR`,
//!    that network's loopback is captured for the whole check (`wire`, Linux) into
//!    `DIR/<check>.pcap`, and a failure ends with the file and its last frames.
//! 3. The check starts programs: the student's through [`Ctx::student`], a [`Cmd`]
//!    marked untrusted, which [`Cmd::spawn`] starts through the sandbox's launcher
//!    ([`sandbox`]); the reference's through [`Ctx::reference`]; the exercise's peers. A
//!    [`Running`] program is waited for with deadlines (`listening on ADDR`,
//!    [`start_server`]) and always killed and reaped ([`groups`]).
//! 4. What a program did is an [`Output`]: status, ending in words (a limit of the
//!    sandbox it hit, worded by the process that ran it), stdout and stderr up to a cap.
//!    The check compares ([`expect`], shown with [`bytes`]) and returns `Ok(())` or a
//!    [`Failure`]: what was expected, what happened, the run.
//! 5. [`run_check`] adds what the transcript shows (a `todo!()` is "not written yet", a
//!    panic in any program under test fails the check: `panic.rs`), the steps, the seed
//!    that replays it and the book section: a [`CheckResult`], which `cli` prints as a
//!    test's failure and grade's worker sends to grade's report as JSON.
//!
//! Builds of code other than the workspace's own (a submission, a fixture) are the
//! `grading` crate's; their walls are the sandbox's (`sandbox/builder.rs`).
//!
//! # Layers
//!
//! Imports point down only, from the runners to the walls (`tests/tidy.rs` holds it):
//!
//! ```text
//! run, cli                         the runners
//! scenario                         drawn conversations, played at once
//! check, beneath, expect, net      the check author's vocabulary
//! process                          runs programs, through the sandbox
//! output, transcript               what a run did
//! wait, seed, bytes, panic, groups, signals, draw, memory, cpu, contract, shell   leaves
//! wire                             the frames on a loopback, captured (Linux; NETLAB_TRACE)
//! sandbox                          the walls: they import nothing else of the crate
//! ```
//!
//! Each item has one public path: the root for types and the functions every check uses,
//! a module for a family of helpers. `check`, `output`, `process`, `run`, `transcript` and
//! `panic` are private.

// The check author's API: what `exercises/<ex>/checks/` is written with.
pub use check::{Check, Ctx, Exercise, Failure, start_server, with_server};
pub use contract::{Cell, Clause};
pub use output::{Output, excerpt};
pub use process::{Cmd, Running, Stream};
pub mod beneath;
pub mod bytes;
pub mod cpu;
pub mod draw;
pub mod expect;
pub mod memory;
pub mod net;
pub mod scenario;
pub mod wait;

// The runners' API: what `cargo test -p <ex>`, grade, the bench and the root tests run
// checks with.
pub use check::{Binaries, GRADED_BY_INSTRUCTOR};
pub use run::{CHECKS_AT_ONCE, CheckResult, run_check, run_check_seeded};
pub mod cli;
pub mod contract;
pub mod groups;
pub mod sandbox;
pub mod seed;
pub mod signals;
#[cfg(target_os = "linux")]
pub mod wire;

// Internals: their items are reached through the paths above, and only there.
mod check;
mod output;
mod panic;
mod process;
mod run;
mod shell;
mod transcript;
