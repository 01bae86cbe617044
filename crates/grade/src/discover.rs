//! Which submissions the paths on the command line hold. A submission is one student's
//! upload in any of the shapes upload.rs reads (a folder shaped like exercises/, a
//! repository holding one, bare program files, an unzipped folder); a folder whose
//! subfolders are uploads is a class, expanded into them. A path that cannot be graded (a
//! stray file, an unreadable folder, a folder holding nothing) is listed as not graded,
//! with the reason, and the rest is graded.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use harness::Exercise;

use crate::report::{NotGraded, UploadNote};
use crate::upload;

#[derive(Clone, Debug)]
pub struct Submission {
    /// How reports name it: the folder's name, made unique.
    pub name: String,
    /// The path as found (for the report).
    pub path: PathBuf,
    /// The folder shaped like exercises/ (a copy of what matched, in the scratch folder).
    pub root: PathBuf,
    /// A name safe for a scratch folder, unique among the submissions.
    pub key: String,
    /// What was found in the upload, exercise by exercise.
    pub notes: Vec<UploadNote>,
    /// Why an exercise is not submitted, by exercise, when the upload says more than
    /// "no such folder".
    pub missing: BTreeMap<String, String>,
    /// Programs of graded exercises the upload lacks: (exercise, `<bin>.rs`).
    pub absent: Vec<(String, String)>,
}

/// The submissions, and the paths that are none.
pub struct Found {
    pub submissions: Vec<Submission>,
    pub not_graded: Vec<NotGraded>,
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

/// Why `path` is no folder grade can read, if it is not.
fn unreadable(path: &Path) -> Option<String> {
    match fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Some("no such file or folder".to_string())
        }
        Err(e) => Some(format!("cannot be read: {e}")),
        Ok(meta) if !meta.is_dir() => {
            let zip = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
            Some(if zip {
                "a .zip file: unzip it first (grade reads folders; Gradescope and GitHub \
                 Classroom unzip uploads for you)"
                    .to_string()
            } else {
                "a file, not a folder: a submission is a folder (exercises/, a repository, \
                 or the program files)"
                    .to_string()
            })
        }
        Ok(_) => fs::read_dir(path)
            .err()
            .map(|e| format!("cannot be read: {e}")),
    }
}

fn not_graded(path: &Path, reason: String) -> NotGraded {
    NotGraded {
        path: path.to_string_lossy().into_owned(),
        reason,
    }
}

/// The submissions in `paths`, in the order given (a class folder's in name order), each
/// read into a folder of its own under `staging`. Only a path given alone can be a class
/// (`grade class/`): with several (`grade class/*`) each is a student's, and so is the one
/// folder of `one_upload` (Gradescope's). A student's folder holding `week1/os_args.rs`
/// and `final/os_args.rs` looks just like a class of two; how it was named tells them apart.
pub fn discover(
    paths: &[PathBuf],
    exercises: &[&'static Exercise],
    staging: &Path,
    one_upload: bool,
) -> Result<Found> {
    let one_upload = one_upload || paths.len() > 1;
    let mut found: Vec<PathBuf> = Vec::new();
    let mut skipped = Vec::new();
    for path in paths {
        if let Some(reason) = unreadable(path) {
            skipped.push(not_graded(path, reason));
            continue;
        }
        if one_upload || upload::looks_like_one(path, exercises) {
            found.push(path.clone());
            continue;
        }
        let mut entries: Vec<PathBuf> = fs::read_dir(path)
            .map(|entries| {
                entries
                    .filter_map(|entry| entry.ok())
                    .filter(|entry| !upload::is_junk(&entry.file_name()))
                    .map(|entry| entry.path())
                    .collect()
            })
            .unwrap_or_default();
        entries.sort();
        let (subfolders, files): (Vec<PathBuf>, Vec<PathBuf>) =
            entries.into_iter().partition(|p| p.is_dir());
        if !subfolders
            .iter()
            .any(|sub| upload::holds_something(sub, exercises))
        {
            let names: Vec<String> = exercises
                .iter()
                .flat_map(|e| e.bins)
                .map(|b| format!("{b}.rs"))
                .collect();
            skipped.push(not_graded(
                path,
                format!(
                    "holds no submission: expected <exercise>/src/, exercises/<exercise>/src/ \
                     or the program files ({}) in it or in its subfolders",
                    names.join(", ")
                ),
            ));
            continue;
        }
        // A class: every subfolder is a student's, even one that holds nothing gradable
        // (it scores zero rather than vanishing from the report); a file there is none.
        for file in files {
            skipped.push(not_graded(
                &file,
                "a file in a class folder, not a student's folder".to_string(),
            ));
        }
        for sub in subfolders {
            match unreadable(&sub) {
                Some(reason) => skipped.push(not_graded(&sub, reason)),
                None => found.push(sub),
            }
        }
    }
    let mut names = BTreeSet::new();
    let mut keys = BTreeSet::new();
    let mut submissions = Vec::new();
    for path in found {
        let name = unique(&mut names, folder_name(&path));
        let key = unique(&mut keys, safe(&name));
        let staged = upload::stage(&path, exercises, &staging.join(&key))?;
        submissions.push(Submission {
            name,
            path,
            root: staged.root,
            key,
            notes: staged.notes,
            missing: staged.missing,
            absent: staged.absent,
        });
    }
    if submissions.is_empty() {
        let reasons: Vec<String> = skipped
            .iter()
            .map(|n| format!("{}: {}", n.path, n.reason))
            .collect();
        bail!("nothing to grade: {}", reasons.join("; "));
    }
    Ok(Found {
        submissions,
        not_graded: skipped,
    })
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
