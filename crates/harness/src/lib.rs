//! netlab's grading harness: the checks of every exercise, the process control and peers
//! they use, and the runners that `cargo test -p <exercise>` and `grade` share.

pub mod build;
pub mod bytes;
#[cfg(feature = "grading")]
pub mod cargo_messages;
pub mod check;
pub mod cli;
pub mod cpu;
pub mod draw;
pub mod exercises;
pub mod expect;
pub mod fixture;
pub mod groups;
pub mod memory;
pub mod panic;
pub mod peers;
pub mod process;
pub mod sandbox;
pub mod seed;
pub mod signals;

pub use check::{
    Binaries, Check, CheckResult, Ctx, Exercise, Failure, run_check, run_check_seeded,
};
pub use process::{Cmd, Output, Running};

/// Every exercise, in the order the book teaches them.
pub fn exercises() -> &'static [&'static Exercise] {
    exercises::ALL
}

/// The exercise with package name `name`.
pub fn exercise(name: &str) -> Option<&'static Exercise> {
    exercises().iter().copied().find(|e| e.name == name)
}
