//! The starters as committed: what netlab ships in exercises/, read from git's HEAD, not
//! from the working tree, where a student's work (solved, half-written, not compiling)
//! replaces them. The maintainers' tests check the starter contract on these.

use std::fs;
use std::io;
use std::path::Path;
use std::process::Command;

use crate::build::{Workspace, copy_tree};

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
