//! `grade --export-assignment DIR`: the class edition of the checkout, a repository to hand
//! to students. It holds the starters, the harness and its checks, grade (for the progress
//! view) and the book, and none of the reference code: no solutions/, no `<bin>_sol`
//! binaries, no listing of a solution in the book. Checks that need a reference program are
//! skipped there ("graded by your instructor"); the instructor's checkout runs them all.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};
use grading::build::Workspace;
use harness::Cmd;

/// The folders of the checkout the class edition carries (tests/, the bench and contrib/
/// are the maintainers' and the instructor's, and tests/fixtures are edits of the
/// reference). crates/grade/tests grades those fixtures, so it stays out too.
const EXPORTED: &[&str] = &[
    "crates/harness",
    "crates/grading",
    "crates/grade",
    // The capture command: students record their own programs' packets with it.
    "crates/trace",
    "exercises",
    "book",
];
/// book/book is mdbook's output: built in the checkout, it quotes every solution. trace's
/// tcpdump test runs a reference packet printer.
const LEFT_OUT: &[&str] = &[
    "crates/grade/tests",
    "book/book",
    "crates/trace/tests/tcpdump_lines.rs",
];

/// What the book shows where the checkout's chapter quotes a solution.
const NOTE: &str = "> The reference code for this part is shown after the due date: write \
                    yours from this section's explanation.";

/// What an export wrote, for the message grade prints.
pub struct Exported {
    pub files: usize,
    pub book_listings_removed: usize,
}

/// Write the class edition of `workspace` into `dest`, a folder that does not exist or is
/// empty. On any failure nothing is left in `dest`.
pub fn export(workspace: &Workspace, dest: &Path) -> Result<Exported> {
    match fs::read_dir(dest) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                bail!(
                    "{} exists and is not empty: give a new or empty folder (nothing was written)",
                    dest.display()
                );
            }
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) if e.kind() == ErrorKind::NotADirectory => {
            bail!("{} exists and is not a folder", dest.display())
        }
        Err(e) => return Err(e).with_context(|| format!("could not read {}", dest.display())),
    }
    let root = workspace.root();
    let dest_abs = std::path::absolute(dest)?;
    if EXPORTED
        .iter()
        .any(|dir| dest_abs.starts_with(root.join(dir)))
    {
        bail!(
            "{} is inside a folder the export copies: choose a folder outside the checkout",
            dest.display()
        );
    }
    let files = class_edition(root)?;
    fs::create_dir_all(dest).with_context(|| format!("could not create {}", dest.display()))?;
    let written = write_all(dest, &files.files, root).and_then(|()| {
        prune_lock_file(dest);
        leak_check(root, dest)
    });
    if let Err(error) = written {
        let _ = clear(dest);
        return Err(error.context(format!("nothing was left in {}", dest.display())));
    }
    Ok(Exported {
        files: files.files.len(),
        book_listings_removed: files.listings_removed,
    })
}

struct Edition {
    files: BTreeMap<PathBuf, Vec<u8>>,
    listings_removed: usize,
}

/// Every file of the class edition, by its path in the export.
fn class_edition(root: &Path) -> Result<Edition> {
    let mut files = BTreeMap::new();
    for dir in EXPORTED {
        collect(&root.join(dir), Path::new(dir), &mut files)
            .with_context(|| format!("could not read {dir}/ in {}", root.display()))?;
    }
    files.retain(|path, _| !LEFT_OUT.iter().any(|out| path.starts_with(out)));
    let mut listings_removed = 0;
    for (path, bytes) in files.iter_mut() {
        let Ok(text) = std::str::from_utf8(bytes) else {
            continue;
        };
        let manifest_with_references =
            path.starts_with("exercises") || path.starts_with("crates/trace");
        let edited = if manifest_with_references && path.ends_with("Cargo.toml") {
            let edited = without_reference_bins(text);
            if edited.contains("_sol\"") {
                bail!(
                    "{}: a reference binary is left after the edit (a netlab bug)",
                    path.display()
                );
            }
            edited
        } else if path == Path::new("crates/grade/Cargo.toml") {
            // Its tests stay out (LEFT_OUT), so does the target naming them.
            without_blocks_naming(text, "[[test]]")
        } else if path.starts_with("book") && path.extension().is_some_and(|e| e == "md") {
            let (edited, removed) = without_listings(path, text);
            listings_removed += removed;
            edited
        } else {
            continue;
        };
        *bytes = edited.into_bytes();
    }
    let manifest = fs::read_to_string(root.join("Cargo.toml")).context("reading Cargo.toml")?;
    files.insert(
        "Cargo.toml".into(),
        workspace_manifest(&manifest)?.into_bytes(),
    );
    if let Ok(lock) = fs::read(root.join("Cargo.lock")) {
        files.insert("Cargo.lock".into(), lock);
    }
    files.insert(".gitignore".into(), b"/target\n/book/book\n".to_vec());
    files.insert("README.md".into(), readme().into_bytes());
    Ok(Edition {
        files,
        listings_removed,
    })
}

/// An exercise's manifest without its `<bin>_sol` targets: every blank-line-separated
/// block naming one goes (the `[[bin]]` and the comment above it that shows how to run
/// it), and so does a comment about the reference's own dependencies, and a dependency on
/// the workspace tests (`netlab-tests`, which build the references: never exported).
fn without_reference_bins(manifest: &str) -> String {
    let manifest = without_blocks_naming(manifest, "netlab-tests");
    let mut out: String = without_blocks_naming(&manifest, "_sol\"")
        .lines()
        .filter(|line| !(line.trim_start().starts_with('#') && line.contains("reference")))
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    out
}

/// `manifest` without its paragraphs (blocks between blank lines) that hold `word`.
fn without_blocks_naming(manifest: &str, word: &str) -> String {
    let kept: Vec<&str> = manifest
        .split("\n\n")
        .filter(|block| !block.contains(word))
        .collect();
    kept.join("\n\n")
}

/// A book page without listings of what the class edition does not carry: a fenced block
/// that is only an include of a solution becomes [`NOTE`]; an include of another file left
/// out (contrib/) says where it is. Returns the page and how many listings of solutions
/// went.
fn without_listings(page: &Path, text: &str) -> (String, usize) {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::new();
    let mut removed = 0;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim_start().starts_with("```") {
            let close = (i + 1..lines.len()).find(|&j| lines[j].trim_start().starts_with("```"));
            if let Some(close) = close {
                let body = &lines[i + 1..close];
                let targets: Vec<Option<PathBuf>> =
                    body.iter().map(|l| left_out_include(page, l)).collect();
                let all_left_out = !body.is_empty()
                    && body
                        .iter()
                        .zip(&targets)
                        .all(|(l, t)| t.is_some() || l.trim().is_empty());
                if all_left_out {
                    let first = targets.iter().flatten().next().cloned().unwrap_or_default();
                    out.push_str(&note_for(&first));
                    out.push('\n');
                    removed += usize::from(first.starts_with("solutions"));
                    i = close + 1;
                    continue;
                }
                out.push_str(line);
                for (body_line, target) in body.iter().zip(&targets) {
                    match target {
                        Some(target) if target.starts_with("solutions") => {
                            out.push_str("// (the reference code is shown after the due date)\n");
                            removed += 1;
                        }
                        Some(target) => out.push_str(&format!(
                            "// ({} is in your instructor's copy of netlab)\n",
                            target.display()
                        )),
                        None => out.push_str(body_line),
                    }
                }
                out.push_str(lines[close]);
                i = close + 1;
                continue;
            }
        }
        match left_out_include(page, line) {
            Some(target) => {
                out.push_str(&note_for(&target));
                out.push('\n');
                removed += usize::from(target.starts_with("solutions"));
            }
            None => out.push_str(line),
        }
        i += 1;
    }
    (out, removed)
}

fn note_for(target: &Path) -> String {
    if target.starts_with("solutions") {
        NOTE.to_string()
    } else {
        format!(
            "> This listing (`{}`) is in your instructor's copy of netlab.",
            target.display()
        )
    }
}

/// The file a `{{#include ...}}` (or `rustdoc_include`, `playground`) on `line` of `page`
/// names, relative to the checkout, when the class edition does not carry it.
fn left_out_include(page: &Path, line: &str) -> Option<PathBuf> {
    let start = line.find("{{#")?;
    let rest = &line[start + 3..];
    let (_, rest) = rest.split_once(char::is_whitespace)?;
    let target = rest
        .trim_start()
        .split(|c: char| c == ':' || c == '}' || c.is_whitespace())
        .next()?;
    let mut path = PathBuf::new();
    for part in page.parent()?.join(target).components() {
        match part {
            Component::ParentDir => {
                path.pop();
            }
            Component::Normal(name) => path.push(name),
            _ => {}
        }
    }
    let carried = EXPORTED.iter().any(|dir| path.starts_with(dir))
        && !LEFT_OUT.iter().any(|dir| path.starts_with(dir));
    (!carried).then_some(path)
}

/// The root manifest with only the exported packages as members.
fn workspace_manifest(manifest: &str) -> Result<String> {
    let mut out = String::new();
    let (mut members, mut defaults) = (false, false);
    for line in manifest.lines() {
        if line.starts_with("members") {
            out.push_str(
                "members = [\"crates/harness\", \"crates/grading\", \"crates/grade\", \"crates/trace\", \"exercises/*\", \"exercises/*/checks\"]\n",
            );
            members = true;
        } else if line.starts_with("default-members") {
            out.push_str(
                "default-members = [\"crates/harness\", \"crates/grading\", \"crates/grade\"]\n",
            );
            defaults = true;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !(members && defaults) {
        bail!("the root Cargo.toml has no members/default-members line to rewrite");
    }
    Ok(out)
}

/// Cargo drops the lock file's entries for packages the export no longer has (the bench's,
/// the tests'), keeping every other version: done now, so a student's first build does
/// not change a file of the repository. Best effort: cargo redoes it at the first build.
fn prune_lock_file(dest: &Path) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let _ = Cmd::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--manifest-path",
        ])
        .arg(dest.join("Cargo.toml"))
        .timeout(std::time::Duration::from_secs(120))
        .run();
}

/// The last line of defence: no three consecutive significant lines of any solution file
/// in any exported file. Significant: not blank, and not only brackets and punctuation
/// (`}`, `});`), which every Rust file has in runs of three.
pub fn leak_check(root: &Path, dest: &Path) -> Result<()> {
    let mut windows: HashSet<[String; 3]> = HashSet::new();
    let mut solutions = BTreeMap::new();
    collect(
        &root.join("solutions"),
        Path::new("solutions"),
        &mut solutions,
    )
    .or_else(|e| match e.kind() {
        ErrorKind::NotFound => Ok(()),
        _ => Err(e),
    })?;
    for bytes in solutions.values() {
        windows.extend(triples(&String::from_utf8_lossy(bytes)));
    }
    let mut exported = BTreeMap::new();
    collect(dest, Path::new(""), &mut exported)?;
    for (path, bytes) in &exported {
        if path.starts_with("target") {
            continue;
        }
        let text = String::from_utf8_lossy(bytes);
        if let Some(found) = triples(&text).find(|t| windows.contains(t)) {
            bail!(
                "{} holds reference code:\n  {}\nThe export was not made: is your exercises/ \
                 the starters, as committed?",
                path.display(),
                found.join("\n  ")
            );
        }
    }
    Ok(())
}

/// Every run of three consecutive significant lines of `text`, trimmed.
pub fn triples(text: &str) -> impl Iterator<Item = [String; 3]> {
    let lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.chars().any(char::is_alphanumeric))
        .map(str::to_string)
        .collect();
    (0..lines.len().saturating_sub(2))
        .map(move |i| [lines[i].clone(), lines[i + 1].clone(), lines[i + 2].clone()])
}

fn readme() -> String {
    let mut exercises = String::new();
    for exercise in grading::exercises() {
        exercises.push_str(&format!(
            "| `{}` | `{}` | `book/src/{}` |\n",
            exercise.name,
            exercise.bins.join("`, `"),
            exercise.chapter
        ));
    }
    format!(
        "# netlab: network programming in Rust (class edition)\n\
         \n\
         You write small network programs; a harness runs them, process against process, \
         over real sockets on loopback, and tells you what works and what does not yet.\n\
         \n\
         | exercise | you write | read first |\n\
         |---|---|---|\n\
         {exercises}\n\
         ## Working\n\
         \n\
         You need Rust 1.85 or newer (<https://rustup.rs>).\n\
         \n\
         1. Read the exercise's chapter in `book/src/` (or build the book: `mdbook serve book`).\n\
         2. Edit `exercises/<exercise>/src/bin/<program>.rs`; each starter compiles and \
         stops at `todo!()`, with numbered steps saying what to write.\n\
         3. `cargo test -p <exercise>` runs that exercise's checks; a failing check says what \
         was expected, what your program did, and which section of the book explains it.\n\
         4. `cargo run -p grade` shows your progress on every exercise.\n\
         \n\
         ## What is graded where\n\
         \n\
         This edition has no reference solutions. A few checks run your program against the \
         reference one (a reference client against your server, say); here they are \
         skipped, reported as `ignored (graded by your instructor)`, and they cost you \
         nothing in `cargo run -p grade`. Your instructor's copy runs every check, so make \
         your programs follow the contract in the chapter to the letter. (The book's \
         commands that run a `<program>_sol` binary need the reference too: they work in \
         your instructor's copy only.)\n\
         \n\
         Only your `exercises/<exercise>/src/` folders are graded: changes to checks, \
         manifests or the harness are not taken.\n"
    )
}

/// Every file under `dir`, by its path under `prefix`; target/ folders and hidden files
/// (an editor's swap file of a solution, `.DS_Store`) are skipped.
fn collect(
    dir: &Path,
    prefix: &Path,
    files: &mut BTreeMap<PathBuf, Vec<u8>>,
) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = prefix.join(entry.file_name());
        if entry.file_name().as_encoded_bytes().starts_with(b".") {
            continue;
        }
        if kind.is_dir() {
            if entry.file_name() != "target" {
                collect(&entry.path(), &path, files)?;
            }
        } else if kind.is_file() {
            files.insert(path, fs::read(entry.path())?);
        }
    }
    Ok(())
}

/// Write `files` into `dest`, each with the modification time of the checkout's file it
/// comes from: cargo goes by those times, so a build in an edition exported again (over a
/// target folder that built the last one) compiles only what changed in the checkout.
fn write_all(dest: &Path, files: &BTreeMap<PathBuf, Vec<u8>>, root: &Path) -> Result<()> {
    for (path, bytes) in files {
        let full = dest.join(path);
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&full, bytes).with_context(|| format!("could not write {}", full.display()))?;
        if let Ok(time) = fs::metadata(root.join(path)).and_then(|m| m.modified()) {
            // Only a later build's time saved is lost if this fails.
            let _ = fs::File::options()
                .write(true)
                .open(&full)
                .and_then(|file| file.set_modified(time));
        }
    }
    Ok(())
}

/// Empty `dest` (it was empty or absent before the export).
fn clear(dest: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(dest)? {
        let entry = entry?;
        match entry.file_type()?.is_dir() {
            true => fs::remove_dir_all(entry.path())?,
            false => fs::remove_file(entry.path())?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_bins_go_and_the_rest_stays() {
        let manifest = "[package]\nname = \"x\"\n\n# Yours.\n[[bin]]\nname = \"x\"\n\n\
                        # The reference solution: `cargo run --bin x_sol`.\n[[bin]]\n\
                        name = \"x_sol\"\npath = \"../../solutions/x/x.rs\"\n\n\
                        # Only the reference's fast path uses it.\n[dependencies]\nlibc = \"0.2\"\n";
        let out = without_reference_bins(manifest);
        assert!(!out.contains("_sol") && !out.contains("solutions"), "{out}");
        assert!(
            out.contains("name = \"x\"") && out.contains("libc = \"0.2\""),
            "{out}"
        );
    }

    #[test]
    fn three_lines_of_a_solution_stop_the_export() {
        let root = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        fs::create_dir(root.path().join("solutions")).unwrap();
        let solution =
            "fn main() {\n    let a = 1;\n    let b = a + 1;\n    println!(\"{b}\");\n}\n";
        fs::write(root.path().join("solutions/s.rs"), solution).unwrap();
        // Two lines, or three with others between them, are no copy.
        fs::write(
            dest.path().join("ok.rs"),
            "let a = 1;\nlet b = a + 1;\nlet c = 0;\n",
        )
        .unwrap();
        assert!(leak_check(root.path(), dest.path()).is_ok());
        // Indented differently, with blank lines and a lone brace between: still a copy.
        fs::write(
            dest.path().join("copy.rs"),
            "let a = 1;\n\n  }\nlet b = a + 1;\nprintln!(\"{b}\");",
        )
        .unwrap();
        let error = leak_check(root.path(), dest.path())
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("copy.rs holds reference code"), "{error}");
    }

    #[test]
    fn solution_listings_become_notes() {
        let page = "# T\n\nText.\n\n```rust,ignore\n{{#include ../../solutions/a/a.rs:main}}\n```\n\n\
                    ```rust\nlet kept = 1;\n{{#include ../../solutions/a/a.rs:x}}\n```\n\
                    ```bash\n{{#include ../../contrib/run.sh}}\n```\n\
                    ```rust\n{{#include ../../exercises/a/src/bin/a.rs}}\n```\n";
        let (out, removed) = without_listings(Path::new("book/src/a.md"), page);
        assert_eq!(removed, 2, "{out}");
        assert!(!out.contains("solutions") && !out.contains("{{#include ../../contrib"));
        assert!(out.contains("Text.") && out.contains("let kept = 1;") && out.contains(NOTE));
        assert!(
            out.contains("{{#include ../../exercises/a/src/bin/a.rs}}"),
            "{out}"
        );
    }
}
