//! What grading needs beyond the harness: the list of exercises (each exercise's checks
//! live in its own folder, `exercises/<ex>/checks/`), and the builds of code other than
//! the workspace's own (a submission, a fixture, the starters as committed). grade, bench
//! and the workspace's tests use it; a student's `cargo test -p <ex>` never builds it.

pub mod build;
mod build_record;
pub mod build_walls;
pub mod cargo_messages;
pub mod fixture;
mod manifests;
pub mod starters;

use harness::Exercise;

/// Every exercise, in the order the book teaches them: the one list of exercises.
pub static EXERCISES: &[&Exercise] = &[
    &os_args_checks::EXERCISE,
    &fs_meta_checks::EXERCISE,
    &udp_cs_checks::EXERCISE,
    &tcp_states_checks::EXERCISE,
    &tcp_trace_checks::EXERCISE,
    &tcp_file_checks::EXERCISE,
    &http_get_checks::EXERCISE,
];

/// Every exercise, in the order the book teaches them.
pub fn exercises() -> &'static [&'static Exercise] {
    EXERCISES
}

/// The exercise with package name `name`.
pub fn exercise(name: &str) -> Option<&'static Exercise> {
    exercises().iter().copied().find(|e| e.name == name)
}
