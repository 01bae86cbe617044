//! Runs the udp_cs checks against this package's binaries: `cargo test -p udp_cs`.
//! The checks themselves live in checks/ (the package udp_cs_checks), shared with `grade`.

fn main() -> std::process::ExitCode {
    harness::cli::run_exercise(&udp_cs_checks::EXERCISE, env!("CARGO_BIN_EXE_udp_server"))
}
