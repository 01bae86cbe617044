//! Runs the tcp_states checks against this package's binaries: `cargo test -p tcp_states`.
//! The checks themselves live in crates/harness, shared with the `grade` command.

fn main() -> std::process::ExitCode {
    harness::cli::run_exercise(
        &tcp_states_checks::EXERCISE,
        env!("CARGO_BIN_EXE_tcp_states"),
    )
}
