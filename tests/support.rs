//! Shared by the workspace tests: where the checkout is, and the exercises built once per
//! test run (starters and reference solutions, in a target folder of their own so the
//! outer `cargo test` and these builds never wait on each other's lock).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use harness::build::{BuildError, Workspace};

pub fn workspace() -> &'static Workspace {
    static WORKSPACE: OnceLock<Workspace> = OnceLock::new();
    WORKSPACE.get_or_init(|| Workspace::locate().expect("the tests run inside a netlab checkout"))
}

/// Where the workspace tests build things: `target/netlab/<name>` (in CARGO_TARGET_DIR
/// when set).
pub fn scratch(name: &str) -> PathBuf {
    workspace().target_dir().join("netlab").join(name)
}

/// The folder holding every exercise's starter and reference binaries, built once.
pub fn exercise_bins() -> Result<&'static Path, &'static BuildError> {
    static BINS: OnceLock<Result<PathBuf, BuildError>> = OnceLock::new();
    BINS.get_or_init(|| workspace().build_in_place(harness::exercises(), &scratch("workspace")))
        .as_ref()
        .map(PathBuf::as_path)
}
