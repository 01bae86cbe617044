//! Runs the tcp_file checks against this package's binaries: `cargo test -p tcp_file`.
//! The checks themselves live in crates/harness, shared with the `grade` command.

fn main() -> std::process::ExitCode {
    harness::cli::run_exercise(&tcp_file_checks::EXERCISE, env!("CARGO_BIN_EXE_tcp_send"))
}
