//! Shared by the workspace tests: where the checkout is, and the exercises built once per
//! test run (the starters as committed and the reference solutions, in target folders of
//! their own so the outer `cargo test` and these builds never wait on each other's lock).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use grading::build::{BuildError, Workspace};

/// The checkout, its submissions' builds held to 5 s of CPU time per process rather than
/// 20 (a cold build of every solution takes 2.2 s in all here): the fixture whose build
/// loops is stopped all the same, in seconds.
pub fn workspace() -> &'static Workspace {
    static WORKSPACE: OnceLock<Workspace> = OnceLock::new();
    WORKSPACE.get_or_init(|| {
        let limits = grading::build_walls::BUILD_LIMITS.with("cpu=5");
        Workspace::locate()
            .expect("the tests run inside a netlab checkout")
            .with_build_limits(limits.expect("a valid limit"))
    })
}

/// The target folder this test was built in (`<target>/debug/deps/<test>`), wherever it
/// is: CARGO_TARGET_DIR may be relative to the folder cargo was started in, which a test,
/// started in its package's folder, cannot know.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().ok();
    let found = exe
        .as_deref()
        .and_then(|exe| exe.parent()?.parent()?.parent());
    found.map_or_else(|| workspace().target_dir(), Path::to_path_buf)
}

/// Where the workspace tests build things: `<target>/netlab/<name>`.
pub fn scratch(name: &str) -> PathBuf {
    target_dir().join("netlab").join(name)
}

/// The folder holding every exercise's reference binaries (`<bin>_sol`), built once.
pub fn reference_bins() -> Result<&'static Path, &'static BuildError> {
    static BINS: OnceLock<Result<PathBuf, BuildError>> = OnceLock::new();
    BINS.get_or_init(|| workspace().build_reference(grading::exercises(), &scratch("workspace")))
        .as_ref()
        .map(PathBuf::as_path)
}

/// The folder holding every exercise's starter binaries as committed, built once: the
/// starter contract is about the starters netlab ships, not about a student's work in
/// exercises/ (solved, half-written, or not compiling).
pub fn starter_bins() -> Result<&'static Path, &'static BuildError> {
    static BINS: OnceLock<Result<PathBuf, BuildError>> = OnceLock::new();
    BINS.get_or_init(|| {
        let sources = scratch("starters-as-committed");
        grading::starters::write_committed(workspace(), &sources)
            .map_err(|e| BuildError::io("could not read the committed starters", e))?;
        let built =
            workspace().build_submission(grading::exercises(), &sources, &scratch("starters"))?;
        match built.failed.into_iter().next() {
            Some((program, error)) => Err(BuildError {
                first_error: format!("the starter {program}: {}", error.first_error),
                log: error.log,
            }),
            None => Ok(built.bin_dir),
        }
    })
    .as_ref()
    .map(PathBuf::as_path)
}
