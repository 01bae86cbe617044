//! Which of the scratch folder's check folders a program under test is given: only those
//! its command names (its current folder, its own path, an argument), not the whole
//! scratch folder, where the folders of every check running at once lie, and where a
//! program could read another check's files or swap another program's DIR for a link.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// The first folder below `scratch` of `cwd`, of `program` and of every argument that is
/// a path below `scratch` (or, relative, below `cwd`), each once.
pub fn named(
    scratch: &Path,
    cwd: Option<&Path>,
    program: &Path,
    args: &[OsString],
) -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = Vec::new();
    let paths = cwd
        .map(Path::to_path_buf)
        .into_iter()
        .chain([program.to_path_buf()])
        .chain(args.iter().map(|arg| match cwd {
            Some(cwd) => cwd.join(arg),
            None => PathBuf::from(arg),
        }));
    for path in paths {
        let Ok(below) = path.strip_prefix(scratch) else {
            continue;
        };
        // A plain name only: `..` would climb out of the scratch folder.
        let Some(Component::Normal(first)) = below.components().next() else {
            continue;
        };
        let folder = scratch.join(first);
        if !folders.contains(&folder) {
            folders.push(folder);
        }
    }
    folders
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_folders_the_command_names() {
        let scratch = Path::new("/tmp/netlab-x");
        let args: Vec<OsString> = [
            "127.0.0.1:0",
            "/tmp/netlab-x/.tmpA/inbox",
            "./b.txt",
            "/tmp/netlab-x/../etc",
            "/elsewhere",
        ]
        .map(OsString::from)
        .to_vec();
        let found = named(
            scratch,
            Some(Path::new("/tmp/netlab-x/.tmpB")),
            Path::new("/tmp/netlab-x/.tmpC/echo"),
            &args,
        );
        let want: Vec<PathBuf> = [".tmpB", ".tmpC", ".tmpA"]
            .map(|f| scratch.join(f))
            .to_vec();
        assert_eq!(found, want);
        assert!(named(scratch, None, Path::new("/bin/true"), &[]).is_empty());
    }
}
