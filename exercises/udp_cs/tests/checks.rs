//! Runs the udp_cs checks against this package's binaries: `cargo test -p udp_cs`.
//! The checks themselves live in crates/harness, shared with the `grade` command.

fn main() -> std::process::ExitCode {
    harness::cli::run_exercise(&udp_cs_checks::EXERCISE, env!("CARGO_BIN_EXE_udp_server"))
}
