//! Running tcp_peek on a capture, as every check does: the file written under a name of
//! the check's choosing in a folder of its own, the program run under a deadline, and
//! the lines a check expects turned into what `expect::stdout_lines_exact` compares.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use harness::{Ctx, Failure, Output};

/// tcp_peek run with `args` under a deadline.
pub(super) fn run(ctx: &Ctx, args: &[&OsStr]) -> Result<Output, Failure> {
    Ok(ctx
        .student("tcp_peek")
        .args(args)
        .timeout(Duration::from_secs(5))
        .run()?)
}

/// A file named `name` holding `bytes`, in `dir`.
pub(super) fn capture_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, Failure> {
    let path = dir.join(name);
    std::fs::write(&path, bytes)?;
    Ok(path)
}

/// `bytes` written as `name` in `dir`, and `tcp_peek FILE` (`--summary FILE` when
/// `summary`) run on it.
pub(super) fn run_on(
    ctx: &Ctx,
    dir: &Path,
    name: &str,
    bytes: &[u8],
    summary: bool,
) -> Result<Output, Failure> {
    let path = capture_file(dir, name, bytes)?;
    match summary {
        true => run(ctx, &["--summary".as_ref(), path.as_os_str()]),
        false => run(ctx, &[path.as_os_str()]),
    }
}

/// Lines of text as `expect::stdout_lines_exact` takes them.
pub(super) fn lines_of<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<Vec<u8>> {
    lines.into_iter().map(|l| l.as_bytes().to_vec()).collect()
}
