//! Runs the http_get checks against this package's binaries: `cargo test -p http_get`.
//! The checks themselves live in checks/ (the package http_get_checks), shared with `grade`.

fn main() -> std::process::ExitCode {
    harness::cli::run_exercise(&http_get_checks::EXERCISE, env!("CARGO_BIN_EXE_http_get"))
}
