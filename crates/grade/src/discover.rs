//! Which submissions the paths on the command line hold. A submission is a folder shaped
//! like exercises/ (`<exercise>/src/`), or a repository holding one (`exercises/<exercise>/src/`);
//! a folder whose subfolders are submissions is a class, expanded into them.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use harness::Exercise;

#[derive(Clone, Debug)]
pub struct Submission {
    /// How reports name it: the folder's name, made unique.
    pub name: String,
    /// The path as found (for the report).
    pub path: PathBuf,
    /// The folder shaped like exercises/.
    pub root: PathBuf,
    /// A name safe for a scratch folder, unique among the submissions.
    pub key: String,
}

/// The folder shaped like exercises/ that `dir` is or holds, if any.
fn shape(dir: &Path, exercises: &[&Exercise]) -> Option<PathBuf> {
    let holds = |root: &Path| {
        exercises
            .iter()
            .any(|e| root.join(e.name).join("src").is_dir())
    };
    if holds(dir) {
        Some(dir.to_path_buf())
    } else if holds(&dir.join("exercises")) {
        Some(dir.join("exercises"))
    } else {
        None
    }
}

fn folder_name(path: &Path) -> String {
    if let Some(name) = path.file_name() {
        return name.to_string_lossy().into_owned();
    }
    // `.` or `..`: name it after the folder it really is.
    path.canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| path.to_string_lossy().into_owned())
}

/// The submissions in `paths`, in the order given (a class folder's in name order).
pub fn discover(paths: &[PathBuf], exercises: &[&Exercise]) -> Result<Vec<Submission>> {
    let mut found: Vec<(PathBuf, PathBuf)> = Vec::new();
    for path in paths {
        let shown = path.display();
        if !path.exists() {
            bail!("{shown}: no such file or folder");
        }
        if !path.is_dir() {
            bail!("{shown}: not a folder (a submission is a folder shaped like exercises/)");
        }
        if let Some(root) = shape(path, exercises) {
            found.push((path.clone(), root));
            continue;
        }
        let mut subfolders: Vec<PathBuf> = fs::read_dir(path)
            .map_err(|e| anyhow::anyhow!("{shown}: {e}"))?
            .filter_map(|entry| entry.ok())
            .filter(|entry| !entry.file_name().as_encoded_bytes().starts_with(b"."))
            .map(|entry| entry.path())
            .filter(|p| p.is_dir())
            .collect();
        subfolders.sort();
        if !subfolders.iter().any(|sub| shape(sub, exercises).is_some()) {
            let names: Vec<&str> = exercises.iter().map(|e| e.name).collect();
            bail!(
                "{shown} holds no submission: expected <exercise>/src/ or \
                 exercises/<exercise>/src/ in it or in its subfolders (exercises: {})",
                names.join(", ")
            );
        }
        // A class: every subfolder is a student's, even one that holds nothing gradable
        // (it scores zero rather than vanishing from the report).
        for sub in subfolders {
            let root = shape(&sub, exercises).unwrap_or_else(|| sub.clone());
            found.push((sub, root));
        }
    }
    let mut names = BTreeSet::new();
    let mut keys = BTreeSet::new();
    Ok(found
        .into_iter()
        .map(|(path, root)| {
            let name = unique(&mut names, folder_name(&path));
            let key = unique(&mut keys, safe(&name));
            Submission {
                name,
                path,
                root,
                key,
            }
        })
        .collect())
}

/// `name`, or `name-2`, `name-3`... whichever is not taken yet.
fn unique(taken: &mut BTreeSet<String>, name: String) -> String {
    let mut candidate = name.clone();
    let mut n = 2;
    while !taken.insert(candidate.clone()) {
        candidate = format!("{name}-{n}");
        n += 1;
    }
    candidate
}

/// A folder name made of safe characters only.
fn safe(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.is_empty() || safe.starts_with('.') {
        format!("_{safe}")
    } else {
        safe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_safe() {
        let mut taken = BTreeSet::new();
        assert_eq!(unique(&mut taken, "a".into()), "a");
        assert_eq!(unique(&mut taken, "a".into()), "a-2");
        assert_eq!(safe("a b/\u{fffd}"), "a_b__");
        assert_eq!(safe(".."), "_..");
    }
}
