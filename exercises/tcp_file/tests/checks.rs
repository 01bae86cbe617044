//! Runs the tcp_file checks against this package's binaries: `cargo test -p tcp_file`.
//! The checks themselves live in checks/ (the package tcp_file_checks), shared with `grade`.

fn main() -> std::process::ExitCode {
    harness::cli::run_exercise(&tcp_file_checks::EXERCISE, env!("CARGO_BIN_EXE_tcp_send"))
}
