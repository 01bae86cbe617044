//! Runs the fs_meta checks against this package's binaries: `cargo test -p fs_meta`.
//! The checks themselves live in checks/ (the package fs_meta_checks), shared with `grade`.

fn main() -> std::process::ExitCode {
    harness::cli::run_exercise(&fs_meta_checks::EXERCISE, env!("CARGO_BIN_EXE_fs_meta"))
}
