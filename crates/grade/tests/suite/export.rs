//! The class edition, as an instructor makes it and a student uses it: `grade
//! --export-assignment` writes it once (a build of it costs time), and one test then checks
//! that it holds no reference code, that its `cargo test -p udp_cs` fails on the starter
//! and passes with a correct program, the checks that need a reference program skipped as
//! "graded by your instructor", and that its grade shows progress but grades no class.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use harness::{Cmd, Output};

use crate::common::root;

fn grade<S: AsRef<OsStr>>(cwd: &Path, args: &[S]) -> Output {
    Cmd::new(env!("CARGO_BIN_EXE_grade"))
        .args(args)
        .cwd(cwd)
        .timeout(Duration::from_secs(300))
        .run()
        .expect("grade starts")
}

/// `cargo <args>` in the built copy of the export (`grading::build::mirror_tree`), into
/// its own target folder: nothing else builds there, so no reference binary of the
/// checkout can be found in it.
fn cargo_in(export: &Path, args: &[&str]) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Cmd::new(cargo)
        .args(args)
        .cwd(export)
        .env("CARGO_TARGET_DIR", export.join("target"))
        .timeout(Duration::from_secs(900))
        .run()
        .expect("cargo starts")
}

/// Every file under `dir`, by its path under it.
fn files(dir: &Path, rel: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = rel.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            files(&entry.path(), &path, out);
        } else {
            out.push(path);
        }
    }
}

/// Runs of three consecutive lines, trimmed, leaving out blank lines and lines of only
/// brackets and punctuation (`}`, `});`): every Rust file has runs of those, so they
/// would match everything and prove nothing.
fn triples(text: &str) -> Vec<[String; 3]> {
    let lines: Vec<String> = text
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| l.chars().any(char::is_alphanumeric))
        .collect();
    lines
        .windows(3)
        .map(|w| [w[0].clone(), w[1].clone(), w[2].clone()])
        .collect()
}

/// Every file of `export` that holds three consecutive lines of a solution file, with the
/// solution file and the lines.
fn reference_code_in(export: &Path) -> Vec<String> {
    let mut solution_files = Vec::new();
    files(
        &root().join("solutions"),
        Path::new("solutions"),
        &mut solution_files,
    );
    assert!(!solution_files.is_empty(), "the checkout has solutions");
    let mut known = HashMap::new();
    for file in &solution_files {
        let text = fs::read_to_string(root().join(file)).unwrap();
        for triple in triples(&text) {
            known.insert(triple, file.clone());
        }
    }
    let mut exported = Vec::new();
    files(export, Path::new(""), &mut exported);
    let mut found = Vec::new();
    for file in exported.iter().filter(|f| !f.starts_with("target")) {
        let text = String::from_utf8_lossy(&fs::read(export.join(file)).unwrap()).into_owned();
        if let Some((triple, from)) = triples(&text)
            .into_iter()
            .find_map(|t| known.get(&t).map(|from| (t.clone(), from)))
        {
            found.push(format!(
                "{} holds lines of {}: {triple:?}",
                file.display(),
                from.display()
            ));
        }
    }
    found
}

/// What libtest printed for `check`: `ok`, `FAILED`, `ignored (why)`.
fn outcome<'a>(stdout: &'a str, check: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|line| {
            let rest = line.strip_prefix("test ")?.strip_prefix(check)?;
            rest.trim_start().strip_prefix("... ")
        })
        .unwrap_or("(not run)")
}

pub fn class_edition_has_no_answers_and_grades_the_students_work() {
    let scratch = tempfile::tempdir().unwrap();
    let export = scratch.path().join("class");

    // A folder that is not empty is refused, and left as it was.
    let taken = scratch.path().join("taken");
    fs::create_dir(&taken).unwrap();
    fs::write(taken.join("notes.txt"), "mine").unwrap();
    let refused = grade(
        &root(),
        &[OsStr::new("--export-assignment"), taken.as_os_str()],
    );
    assert_eq!(refused.code(), Some(1), "{}", refused.report());
    assert!(
        refused.stderr_text().contains("exists and is not empty"),
        "{}",
        refused.report()
    );
    assert_eq!(fs::read_dir(&taken).unwrap().count(), 1);

    let made = grade(
        &root(),
        &[OsStr::new("--export-assignment"), export.as_os_str()],
    );
    assert_eq!(made.code(), Some(0), "{}", made.report());

    // What is in it, and what is not.
    for there in [
        "README.md",
        "Cargo.toml",
        "Cargo.lock",
        "crates/harness/src/check.rs",
        "crates/grade/src/main.rs",
        "exercises/udp_cs/src/bin/udp_server.rs",
        "exercises/udp_cs/tests/checks.rs",
        "book/src/udp_cs.md",
    ] {
        assert!(export.join(there).is_file(), "the export lacks {there}");
    }
    for absent in [
        "solutions",
        "tests",
        "crates/bench",
        "contrib",
        "crates/grade/tests",
    ] {
        assert!(!export.join(absent).exists(), "the export holds {absent}");
    }
    let mut exported = Vec::new();
    files(&export, Path::new(""), &mut exported);
    for file in &exported {
        let text = String::from_utf8_lossy(&fs::read(export.join(file)).unwrap()).into_owned();
        if file.extension().is_some_and(|e| e == "toml") {
            assert!(
                !text.contains("_sol"),
                "{} names a _sol binary",
                file.display()
            );
            assert!(
                !text.contains("solutions/"),
                "{} points into solutions/",
                file.display()
            );
        }
        // Every include of the export's book resolves in the export.
        if file.starts_with("book") {
            for include in text
                .match_indices("{{#include ")
                .map(|(i, _)| &text[i + 11..])
            {
                let target = include.split([':', '}']).next().unwrap();
                let mut path = export.join(file).parent().unwrap().to_path_buf();
                for part in Path::new(target).components() {
                    match part {
                        Component::ParentDir => {
                            path.pop();
                        }
                        part => path.push(part),
                    }
                }
                assert!(path.is_file(), "{} includes {target}", file.display());
            }
        }
    }
    let leaks = reference_code_in(&export);
    assert!(
        leaks.is_empty(),
        "reference code in the export:\n{leaks:#?}"
    );
    // The chapters keep every line of their explanations; the listings are notes.
    let book = fs::read_to_string(export.join("book/src/udp_cs.md")).unwrap();
    assert!(book.contains("shown after the due date"), "{book}");
    let original = fs::read_to_string(root().join("book/src/udp_cs.md")).unwrap();
    let mut in_listing = false;
    for line in original.lines() {
        if line.starts_with("```") {
            in_listing = !in_listing;
        } else if !in_listing {
            assert!(book.contains(line), "the export's udp_cs.md lost {line:?}");
        }
    }

    // The starter: fails, with "not written yet", and the checks that need a reference
    // skipped, not failed. Built in a copy that stays between runs, written only where it
    // changed (`mirror_tree`): a second run rebuilds only what changed.
    let export = {
        let built = crate::common::scratch("class-edition");
        grading::build::mirror_tree(&export, &built).unwrap();
        built
    };
    let lock = fs::read(export.join("Cargo.lock")).unwrap();
    let starter = cargo_in(&export, &["test", "-p", "udp_cs"]);
    // The lock file was already what cargo makes of it: a student's first build leaves
    // the repository clean.
    assert!(
        fs::read(export.join("Cargo.lock")).unwrap() == lock,
        "Cargo.lock changed"
    );
    let text = starter.stdout_text();
    assert_ne!(starter.code(), Some(0), "{}", starter.report());
    assert!(text.contains("not written yet"), "{}", starter.report());
    for skipped in [
        "server_works_with_reference_client",
        "client_works_with_reference_server",
    ] {
        assert_eq!(
            outcome(&text, skipped),
            "ignored (graded by your instructor)",
            "{}",
            starter.report()
        );
    }

    // A correct program (the reference, copied over the starters) passes everything that
    // runs here.
    for bin in ["udp_server", "udp_client"] {
        fs::copy(
            root().join(format!("solutions/udp_cs/{bin}.rs")),
            export.join(format!("exercises/udp_cs/src/bin/{bin}.rs")),
        )
        .unwrap();
    }
    // The leak detector is not blind: it sees the copied solutions.
    let copied = reference_code_in(&export);
    assert!(
        copied
            .iter()
            .any(|l| l.starts_with("exercises/udp_cs/src/bin/udp_server.rs")),
        "{copied:#?}"
    );
    let solved = cargo_in(&export, &["test", "-p", "udp_cs"]);
    let text = solved.stdout_text();
    assert_eq!(solved.code(), Some(0), "{}", solved.report());
    assert!(
        text.contains(" 0 failed; 2 ignored;"),
        "{}",
        solved.report()
    );
    assert_eq!(
        outcome(&text, "client_works_with_reference_server"),
        "ignored (graded by your instructor)",
        "{text}"
    );

    // The export's grade: the student's progress, the skipped checks no points lost.
    // (It builds in a scratch folder that stays, so that a second run rebuilds nothing.)
    let scratch = export.join("target").join("grade-scratch");
    let scratch = scratch.to_str().expect("a UTF-8 target folder");
    let progress = cargo_in(
        &export,
        &[
            "run",
            "-q",
            "-p",
            "grade",
            "--",
            "--exercise",
            "udp_cs",
            "--scratch",
            scratch,
        ],
    );
    let table = progress.stdout_text();
    assert_eq!(progress.code(), Some(0), "{}", progress.report());
    assert!(
        table.contains("done; 2 checks (2 points) graded by your instructor"),
        "{}",
        progress.report()
    );
    let max: u32 = grading::exercise("udp_cs").unwrap().max_points() - 2;
    assert!(table.contains(&format!("{max}/{max}")), "{table}");

    // ... but it grades no class: that needs the instructor's checkout, where every check
    // runs.
    let class = cargo_in(&export, &["run", "-q", "-p", "grade", "--", "exercises"]);
    assert_eq!(class.code(), Some(1), "{}", class.report());
    assert!(
        class.stderr_text().contains("has no reference solutions"),
        "{}",
        class.report()
    );
}
