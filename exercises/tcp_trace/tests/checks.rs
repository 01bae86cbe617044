//! Runs the tcp_trace checks against this package's binary: `cargo test -p tcp_trace`.
//! The checks themselves live in checks/ (the package tcp_trace_checks), shared with `grade`.

fn main() -> std::process::ExitCode {
    harness::cli::run_exercise(&tcp_trace_checks::EXERCISE, env!("CARGO_BIN_EXE_tcp_peek"))
}
