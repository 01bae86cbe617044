//! What watch mode looks at to notice a save: the Rust files under an exercise's `src/`,
//! read as a list of (path, size, modification time, inode, change time) every tenth of
//! a second. Polling with std, not a platform's watch API: an exercise holds a handful of
//! small files, so a look costs microseconds; every editor's way of saving (written in
//! place, written beside and renamed over, deleted and made again) changes the list; and
//! it sees saves where watch APIs miss them (network and WSL file systems, folders shared
//! with a container). No crate to build either.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// How deep folders under `src/` are followed (a link loop must not hang the watch).
const DEEPEST: usize = 8;

/// One look at a folder's Rust files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot(BTreeMap<PathBuf, Stamp>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct Stamp {
    size: u64,
    modified: Option<SystemTime>,
    /// The inode and the change time: a file renamed over another of the same size and
    /// time is still a change.
    inode: u64,
    changed: i64,
    changed_ns: i64,
}

impl Snapshot {
    /// The Rust files under `dir` now (none if it cannot be read: a folder being
    /// replaced reads as a change, and the next look sees it back).
    pub fn of(dir: &Path) -> Snapshot {
        let mut files = BTreeMap::new();
        look(dir, 0, &mut files);
        Snapshot(files)
    }
}

/// A file a student edits, not an editor's swap, backup or lock file (`.x.rs.swp`,
/// `x.rs~`, `#x.rs#`, `.#x.rs`): those change while the student types, not when they save.
fn is_source(name: &str) -> bool {
    name.ends_with(".rs") && !name.starts_with('.') && !name.starts_with('#')
}

fn look(dir: &Path, depth: usize, files: &mut BTreeMap<PathBuf, Stamp>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // Not following links: a link's own change is seen, a loop is not walked.
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if meta.is_dir() {
            if depth < DEEPEST && !name.starts_with('.') {
                look(&path, depth + 1, files);
            }
            continue;
        }
        if !is_source(&name) {
            continue;
        }
        files.insert(path, stamp(&meta));
    }
}

fn stamp(meta: &fs::Metadata) -> Stamp {
    #[cfg(unix)]
    let (inode, changed, changed_ns) = {
        use std::os::unix::fs::MetadataExt;
        (meta.ino(), meta.ctime(), meta.ctime_nsec())
    };
    #[cfg(not(unix))]
    let (inode, changed, changed_ns) = (0, 0, 0);
    Stamp {
        size: meta.len(),
        modified: meta.modified().ok(),
        inode,
        changed,
        changed_ns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sees_writes_renames_and_removals_but_not_swap_files() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        fs::create_dir(&bin).unwrap();
        let file = bin.join("a.rs");
        fs::write(&file, "fn main() {}").unwrap();
        let first = Snapshot::of(dir.path());
        assert_eq!(first.0.len(), 1);
        fs::write(bin.join(".a.rs.swp"), "typing").unwrap();
        fs::write(bin.join("a.rs~"), "backup").unwrap();
        assert_eq!(Snapshot::of(dir.path()), first);
        // Written beside and renamed over, same size: a save all the same.
        fs::write(bin.join("a.rs.new"), "fn main() {}").unwrap();
        fs::rename(bin.join("a.rs.new"), &file).unwrap();
        let renamed = Snapshot::of(dir.path());
        assert_ne!(renamed, first);
        fs::remove_file(&file).unwrap();
        assert!(Snapshot::of(dir.path()).0.is_empty());
    }

    #[test]
    fn a_missing_folder_is_no_files() {
        assert_eq!(
            Snapshot::of(Path::new("/nonexistent/netlab")),
            Snapshot::default()
        );
    }
}
