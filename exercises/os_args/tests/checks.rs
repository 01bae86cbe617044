//! Runs the os_args checks against this package's binaries: `cargo test -p os_args`.
//! The checks themselves live in checks/ (the package os_args_checks), shared with `grade`.

fn main() -> std::process::ExitCode {
    harness::cli::run_exercise(&os_args_checks::EXERCISE, env!("CARGO_BIN_EXE_os_args"))
}
