//! The starters as committed: what netlab ships in exercises/, read from git's HEAD, not
//! from the working tree, where a student's work (solved, half-written, not compiling)
//! replaces them. The maintainers' tests check the starter contract on these.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::build::{Workspace, copy_tree};

/// Make `dest` a copy of the checkout as a fresh clone holds it: the working tree's files
/// (not `target/` or `.git/`), but every exercise's `src/` as committed, with `overlay`
/// (paths relative to the checkout) laid over. Only files that differ are written, so
/// that cargo rebuilds only what changed, and files not in the copy are removed. The
/// tests that run `cargo test -p`, grade or the export in a checkout use it: a maintainer's
/// or student's own work in exercises/ changes none of their results.
pub fn mirror_checkout(
    workspace: &Workspace,
    dest: &Path,
    overlay: BTreeMap<PathBuf, Vec<u8>>,
) -> io::Result<()> {
    let root = workspace.root();
    let mut wanted = BTreeMap::new();
    for (path, from) in files(root) {
        if !is_exercise_source(&path) {
            wanted.insert(path, fs::read(from)?);
        }
    }
    let starters = tempfile::tempdir()?;
    write_committed(workspace, starters.path())?;
    for (path, from) in files(starters.path()) {
        wanted.insert(Path::new("exercises").join(path), fs::read(from)?);
    }
    wanted.extend(overlay);
    crate::build::sync(dest, &wanted)
}

/// The regular files under `dir` (relative paths, with where they are), but `target/` and
/// `.git/` at its top.
fn files(dir: &Path) -> BTreeMap<PathBuf, PathBuf> {
    let mut found = BTreeMap::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let Ok(entries) = fs::read_dir(dir.join(&relative)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = relative.join(entry.file_name());
            if path == Path::new("target") || path == Path::new(".git") {
                continue;
            }
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => pending.push(path),
                Ok(kind) if kind.is_file() => {
                    found.insert(path, entry.path());
                }
                _ => {}
            }
        }
    }
    found
}

/// `exercises/<exercise>/src/...`: a student's files, taken as committed instead.
fn is_exercise_source(path: &Path) -> bool {
    let parts: Vec<_> = path.components().map(|c| c.as_os_str()).collect();
    parts.len() > 3 && parts[0] == "exercises" && parts[2] == "src"
}

/// Write every exercise's `src/` as committed into `dest/<exercise>/src/`, shaped like a
/// submission. Outside a git checkout (a source tarball), the files in exercises/ are the
/// ones shipped: those are taken.
pub fn write_committed(workspace: &Workspace, dest: &Path) -> io::Result<()> {
    if dest.exists() {
        fs::remove_dir_all(dest)?;
    }
    let root = workspace.root();
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| output.stdout)
    };
    let listed = git(&[
        "ls-tree",
        "-r",
        "-z",
        "--name-only",
        "HEAD",
        "--",
        "exercises",
    ]);
    for exercise in crate::exercises() {
        let src = Path::new("exercises").join(exercise.name).join("src");
        let committed: Vec<&str> = listed
            .iter()
            .flat_map(|names| names.split(|&b| b == 0))
            .filter_map(|name| std::str::from_utf8(name).ok())
            .filter(|name| Path::new(name).starts_with(&src))
            .collect();
        if committed.is_empty() {
            copy_tree(&root.join(&src), &dest.join(exercise.name).join("src"))?;
            continue;
        }
        for name in committed {
            let bytes = git(&["show", &format!("HEAD:{name}")])
                .ok_or_else(|| io::Error::other(format!("git show HEAD:{name} failed")))?;
            let inside = Path::new(name)
                .strip_prefix("exercises")
                .unwrap_or(Path::new(name));
            let path = dest.join(inside);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(path, bytes)?;
        }
    }
    Ok(())
}
