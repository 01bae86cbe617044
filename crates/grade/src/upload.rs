//! One student's upload, as students really make them (bare `.rs` files, a folder shaped
//! like exercises/, a whole repository, a macOS zip unpacked with `__MACOSX/` beside it),
//! matched to the exercises by name and copied into a folder shaped like exercises/ that
//! the build reads. Feedback names what was found where, relative to the upload, never
//! the autograder's own paths.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use harness::Exercise;

use crate::report::UploadNote;

/// How deep into an upload grade looks, and how many entries it reads at most: a zip of a
/// whole home folder is still walked in bounded time.
const MAX_DEPTH: usize = 8;
const MAX_ENTRIES: usize = 20_000;
/// A source file larger than this is no student's program (and is not copied).
const MAX_FILE: u64 = 1 << 20;
/// Files copied from one `<exercise>/src/` at most (an exercise needs a handful).
const MAX_COPIED: usize = 1_000;

/// What an upload holds and how it was read.
pub struct Staged {
    /// The folder shaped like exercises/ the build reads (in the scratch folder).
    pub root: PathBuf,
    /// What was found for each exercise, in words a student understands.
    pub notes: Vec<UploadNote>,
    /// Why an exercise with nothing gradable is not submitted, by exercise.
    pub missing: BTreeMap<String, String>,
    /// The programs of graded exercises the upload lacks, as (exercise, `<bin>.rs`): the
    /// build puts the starter in their place, so their checks score 0.
    pub absent: Vec<(String, String)>,
}

/// Names that are never a student's work: macOS's zip litter, version control, builds.
pub fn is_junk(name: &OsStr) -> bool {
    let bytes = name.as_encoded_bytes();
    bytes == b"__MACOSX" || bytes == b"target" || bytes.starts_with(b".")
}

/// What a walk of an upload found: folders `<exercise>/src/` and files `<bin>.rs`, by
/// their path relative to the upload.
#[derive(Default)]
struct Walk {
    src_dirs: BTreeMap<&'static str, Vec<PathBuf>>,
    files: BTreeMap<&'static str, Vec<PathBuf>>,
    /// The upload's first level, for "found nothing" feedback.
    top: Vec<String>,
}

fn walk(upload: &Path, exercises: &[&'static Exercise]) -> Walk {
    let mut found = Walk::default();
    let mut queue = vec![(PathBuf::new(), 0usize)];
    let mut seen = 0;
    while let Some((rel, depth)) = queue.pop() {
        let Ok(entries) = fs::read_dir(upload.join(&rel)) else {
            continue;
        };
        let mut entries: Vec<fs::DirEntry> = entries.filter_map(|e| e.ok()).collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            seen += 1;
            if seen > MAX_ENTRIES {
                return found;
            }
            let name = entry.file_name();
            if is_junk(&name) {
                continue;
            }
            // The entry's own type: a link is never followed out of the upload.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = rel.join(&name);
            if depth == 0 {
                let slash = if kind.is_dir() { "/" } else { "" };
                found.top.push(format!("{}{slash}", name.to_string_lossy()));
            }
            if kind.is_dir() {
                if let Some(ex) = exercises.iter().find(|e| name == e.name)
                    && is_real_dir(&upload.join(&path).join("src"))
                {
                    found
                        .src_dirs
                        .entry(ex.name)
                        .or_default()
                        .push(path.clone());
                }
                if depth + 1 < MAX_DEPTH {
                    queue.push((path, depth + 1));
                }
            } else if kind.is_file() {
                for bin in exercises.iter().flat_map(|e| e.bins) {
                    if name.as_encoded_bytes() == format!("{bin}.rs").as_bytes() {
                        found.files.entry(bin).or_default().push(path.clone());
                    }
                }
            }
        }
    }
    for paths in found.src_dirs.values_mut().chain(found.files.values_mut()) {
        paths.sort();
    }
    found
}

fn is_real_dir(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// Whether `dir` holds anything gradable anywhere in it (a class folder's test of its
/// subfolders).
pub fn holds_something(dir: &Path, exercises: &[&'static Exercise]) -> bool {
    let found = walk(dir, exercises);
    !found.src_dirs.is_empty() || !found.files.is_empty()
}

/// Whether `dir` is one upload by its look alone: `<exercise>/src/` or
/// `exercises/<exercise>/src/` in it, or a program's file at its top. (A lone folder in it
/// is not looked through: that is a class of one as much as an unzipped top folder.)
pub fn looks_like_one(dir: &Path, exercises: &[&'static Exercise]) -> bool {
    let here = |root: &Path| {
        exercises
            .iter()
            .any(|e| is_real_dir(&root.join(e.name).join("src")))
    };
    let bare = || {
        let files: Vec<String> = exercises
            .iter()
            .flat_map(|e| e.bins)
            .map(|bin| format!("{bin}.rs"))
            .collect();
        fs::read_dir(dir).is_ok_and(|entries| {
            entries.filter_map(|e| e.ok()).any(|e| {
                e.file_type().is_ok_and(|t| t.is_file())
                    && files
                        .iter()
                        .any(|f| e.file_name().as_encoded_bytes() == f.as_bytes())
            })
        })
    };
    here(dir) || here(&dir.join("exercises")) || bare()
}

/// `rel`'s folder as feedback names it: `(in netlab-main/exercises/)`.
fn place(rel: &Path) -> String {
    match rel.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => format!("(in {}/)", parent.to_string_lossy()),
        None => "(at the top of the upload)".to_string(),
    }
}

fn shown(rel: &Path) -> String {
    rel.to_string_lossy().into_owned()
}

/// Files with where they were found, those found in the same place named together:
/// `udp_server.rs and udp_client.rs (at the top of the upload)`.
fn grouped(got: &[(String, String)]) -> String {
    let mut groups: Vec<(Vec<String>, &str)> = Vec::new();
    for (file, place) in got {
        match groups.last_mut() {
            Some((files, last)) if last == place => files.push(file.clone()),
            _ => groups.push((vec![file.clone()], place)),
        }
    }
    let groups: Vec<String> = groups
        .iter()
        .map(|(files, place)| format!("{} {place}", and_list(files)))
        .collect();
    and_list(&groups)
}

/// "a.rs and b.rs", "a.rs, b.rs and c.rs".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Read `upload`, match what it holds to `exercises`, and copy what matched into `stage`
/// (emptied first).
pub fn stage(upload: &Path, exercises: &[&'static Exercise], stage: &Path) -> Result<Staged> {
    let prepare = || format!("could not prepare the scratch folder {}", stage.display());
    if stage.exists() {
        fs::remove_dir_all(stage).with_context(prepare)?;
    }
    fs::create_dir_all(stage).with_context(prepare)?;
    let found = walk(upload, exercises);
    let mut notes = Vec::new();
    let mut missing = BTreeMap::new();
    let mut lacking = Vec::new();
    let mut note = |exercise: &str, text: String, problem: bool| {
        notes.push(UploadNote {
            exercise: exercise.to_string(),
            note: text,
            problem,
        });
    };
    for exercise in exercises {
        let name = exercise.name;
        let all = found.src_dirs.get(name).map_or(&[][..], |v| &v[..]);
        // A repository holds other copies (a fork of netlab has its test fixtures'):
        // the one in a folder exercises/, when there is one, is the student's.
        let in_exercises: Vec<PathBuf> = all
            .iter()
            .filter(|p| p.parent().and_then(Path::file_name) == Some(OsStr::new("exercises")))
            .cloned()
            .collect();
        let src_dirs = if in_exercises.len() == 1 {
            &in_exercises[..]
        } else {
            all
        };
        // Each program: found (file, where), absent, or a problem with it.
        let mut got: Vec<(String, String)> = Vec::new();
        let mut absent = Vec::new();
        let mut problems = Vec::new();
        match src_dirs {
            [one] => {
                let to = stage.join(name).join("src");
                let mut budget = MAX_COPIED;
                let from = upload.join(one).join("src");
                for file in copy_tree(&from, &to, 0, &mut budget)? {
                    problems.push(format!("{name}/src/{file} is larger than 1 MiB: left out"));
                }
                if budget == 0 {
                    problems.push(format!(
                        "{name}/src/ holds {MAX_COPIED} files or more: any beyond left out"
                    ));
                }
                for bin in exercise.bins {
                    let file = format!("{bin}.rs");
                    if to.join("bin").join(&file).is_file() {
                        got.push((file, place(&one.join("src").join("bin").join(bin))));
                    } else {
                        absent.push(file);
                    }
                }
            }
            [a, b, ..] => {
                let why = format!(
                    "the upload holds {} folders {name}/src/ ({} and {}): grade cannot tell \
                     which is yours, so it grades neither; upload one",
                    src_dirs.len(),
                    shown(a),
                    shown(b)
                );
                note(name, why.clone(), true);
                missing.insert(name.to_string(), why);
                continue;
            }
            [] => {
                for bin in exercise.bins {
                    let file = format!("{bin}.rs");
                    match found.files.get(bin).map_or(&[][..], |v| &v[..]) {
                        [one] => {
                            let size = fs::metadata(upload.join(one)).map_or(0, |m| m.len());
                            let dest = stage.join(name).join("src").join("bin").join(&file);
                            if size > MAX_FILE {
                                problems.push(format!(
                                    "{file} {} is larger than 1 MiB: not graded",
                                    place(one)
                                ));
                            } else if copy_file(&upload.join(one), &dest).is_ok() {
                                got.push((file, place(one)));
                            } else {
                                problems.push(format!(
                                    "{file} {} cannot be read: not graded",
                                    place(one)
                                ));
                            }
                        }
                        [a, b, ..] => problems.push(format!(
                            "two files named {file} ({} and {}): grade cannot tell which is \
                             yours, so it grades neither; upload one",
                            shown(a),
                            shown(b)
                        )),
                        [] => absent.push(file),
                    }
                }
            }
        }
        let expected: Vec<String> = exercise.bins.iter().map(|b| format!("{b}.rs")).collect();
        let expected = match &expected[..] {
            [one] => format!("expected {one}"),
            many => format!("expected both {}", and_list(many)),
        };
        let nothing = got.is_empty() && problems.is_empty() && src_dirs.is_empty();
        let text = if nothing {
            let files = and_list(&absent).replace(" and ", " or ");
            format!("found no {files} and no {name}/src/ folder: {expected}")
        } else {
            let mut parts = Vec::new();
            if !got.is_empty() {
                parts.push(format!("found {}", grouped(&got)));
            }
            if !absent.is_empty() {
                parts.push(format!("no {}", absent.join(", no ")));
            }
            parts.extend(problems.iter().cloned());
            match absent.is_empty() && problems.is_empty() {
                true => parts.join(", "),
                false => format!("{}: {expected}", parts.join(", ")),
            }
        };
        if got.is_empty() && src_dirs.is_empty() {
            missing.insert(name.to_string(), text.clone());
        } else {
            lacking.extend(absent.iter().map(|file| (name.to_string(), file.clone())));
        }
        // An exercise simply left out is no problem of the upload's; a half-made one is.
        let problem = !nothing && (!absent.is_empty() || !problems.is_empty());
        note(name, text, problem);
    }
    if found.src_dirs.is_empty() && found.files.is_empty() {
        let holds = if found.top.is_empty() {
            "nothing".to_string()
        } else {
            let mut top = found.top.clone();
            if top.len() > 8 {
                top.truncate(8);
                top.push("...".to_string());
            }
            top.join(", ")
        };
        let zipped = found
            .top
            .iter()
            .any(|name| name.to_ascii_lowercase().ends_with(".zip"));
        let hint = match zipped {
            true => {
                " (a .zip inside the upload is not opened: upload the zip itself, or its files)"
            }
            false => "",
        };
        notes.insert(
            0,
            UploadNote {
                exercise: String::new(),
                note: format!(
                    "found nothing to grade: the upload holds {holds}; expected your programs' \
                     files ({}) or your exercises/ folder{hint}",
                    exercises
                        .iter()
                        .flat_map(|e| e.bins)
                        .map(|b| format!("{b}.rs"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                problem: true,
            },
        );
    }
    Ok(Staged {
        root: stage.to_path_buf(),
        notes,
        missing,
        absent: lacking,
    })
}

/// Copy a regular file's bytes (never through a link).
fn copy_file(from: &Path, to: &Path) -> std::io::Result<()> {
    if !fs::symlink_metadata(from)?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::copy(from, to).map(|_| ())
}

/// Copy a student's `src/` folder: regular files and folders only, no junk, nothing
/// larger than MAX_FILE (those are returned, relative to `from`), at most `budget` files.
fn copy_tree(from: &Path, to: &Path, depth: usize, budget: &mut usize) -> Result<Vec<String>> {
    fs::create_dir_all(to).with_context(|| format!("could not create {}", to.display()))?;
    let mut skipped = Vec::new();
    let Ok(entries) = fs::read_dir(from) else {
        return Ok(skipped);
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if is_junk(&name) {
            continue;
        }
        if kind.is_dir() && depth < MAX_DEPTH {
            for file in copy_tree(&entry.path(), &to.join(&name), depth + 1, budget)? {
                skipped.push(format!("{}/{file}", name.to_string_lossy()));
            }
        } else if kind.is_file() {
            if entry.metadata().is_ok_and(|m| m.len() > MAX_FILE) {
                skipped.push(name.to_string_lossy().into_owned());
                continue;
            }
            if *budget == 0 {
                break;
            }
            *budget -= 1;
            // An unreadable file is left out: the build then says what is missing.
            let _ = copy_file(&entry.path(), &to.join(&name));
        }
    }
    Ok(skipped)
}
