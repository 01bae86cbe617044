//! Runs the tcp_states checks against this package's binaries: `cargo test -p tcp_states`.
//! The checks themselves live in checks/ (the package tcp_states_checks), shared with `grade`.

fn main() -> std::process::ExitCode {
    harness::cli::run_exercise(
        &tcp_states_checks::EXERCISE,
        env!("CARGO_BIN_EXE_tcp_states"),
    )
}
