//! The house rules that are about the tree rather than behaviour, as tests (in the manner
//! of rust-analyzer's tidy): where things live, what may name what, what the docs point
//! at. Each failure names the file and says how to fix it.

use std::fs;
use std::path::{Path, PathBuf};

use grading::build::Workspace;

mod tidy_layers;

fn root() -> PathBuf {
    Workspace::locate()
        .expect("the tests run in a checkout")
        .root()
        .to_path_buf()
}

/// Every file under `dir` whose name ends in `suffix`, but target/ and .git/.
fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            // Fixtures are edits of solutions, book/book is mdBook's output.
            if name == "target"
                || name == ".git"
                || name == "fixtures"
                || path.ends_with("book/book")
            {
                continue;
            }
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => pending.push(path),
                Ok(kind) if kind.is_file() && name.to_string_lossy().ends_with(suffix) => {
                    found.push(path)
                }
                _ => {}
            }
        }
    }
    found.sort();
    found
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn report(problems: Vec<String>, rule: &str) {
    assert!(
        problems.is_empty(),
        "{rule}:\n{}",
        problems
            .iter()
            .map(|p| format!("  {p}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The words that name an exercise: its package and its programs.
fn exercise_words() -> Vec<&'static str> {
    let mut words = Vec::new();
    for exercise in grading::exercises() {
        words.push(exercise.name);
        words.extend(exercise.bins.iter().copied());
    }
    words
}

fn has_word(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

#[test]
fn the_harness_names_no_exercise() {
    let harness = root().join("crates/harness/src");
    let words = exercise_words();
    let mut problems = Vec::new();
    for file in files(&harness, ".rs") {
        let text = fs::read_to_string(&file).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            if let Some(word) = words.iter().find(|w| has_word(line, w)) {
                problems.push(format!(
                    "{}:{}: names the exercise `{word}`: the harness is for every exercise; \
                     move it to exercises/<ex>/checks/, or use a made-up name in an example",
                    relative(&file),
                    n + 1
                ));
            }
        }
    }
    report(problems, "crates/harness/src must hold no exercise's name");
}

/// The source files of the project itself (the crates, each exercise's checks, the
/// solutions, the workspace tests); not the fixtures, which are edits of solutions.
fn project_sources() -> Vec<PathBuf> {
    let root = root();
    let mut all = Vec::new();
    for dir in ["crates", "exercises", "solutions", "tests"] {
        all.extend(files(&root.join(dir), ".rs"));
    }
    all
}

/// The most lines a source file may have: a file fits in a reader's head (STYLE.md).
const MOST_LINES: usize = 600;

#[test]
fn every_source_file_says_what_it_is_and_fits_in_a_head() {
    let mut problems = Vec::new();
    for file in project_sources() {
        let text = fs::read_to_string(&file).unwrap_or_default();
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        if !first.starts_with("//!") {
            problems.push(format!(
                "{}: opens with {first:?}: open with a `//!` line or two saying what it is \
                 and why it exists",
                relative(&file)
            ));
        }
        let lines = text.lines().count();
        if lines > MOST_LINES {
            problems.push(format!(
                "{}: {lines} lines: split it by concept (at most about {MOST_LINES})",
                relative(&file)
            ));
        }
    }
    report(problems, "STYLE.md's rules for source files");
}

#[test]
fn checks_start_programs_under_test_only_through_their_ctx() {
    let mut problems = Vec::new();
    for exercise in grading::exercises() {
        let dir = root().join("exercises").join(exercise.name).join("checks");
        for file in files(&dir, ".rs") {
            let text = fs::read_to_string(&file).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            for (n, line) in lines.iter().enumerate() {
                // A tool of the check's own (mkfifo) is no program under test, and says so.
                let said = n > 0 && lines[n - 1].contains("not a program under test");
                if (line.contains("Cmd::new") || line.contains("Command::new")) && !said {
                    problems.push(format!(
                        "{}:{}: starts a program itself: use ctx.student(bin), \
                         ctx.student_at(path) or ctx.reference(bin), so that it runs in the \
                         sandbox and its panics are seen",
                        relative(&file),
                        n + 1
                    ));
                }
            }
        }
    }
    report(problems, "checks start programs through their Ctx");
}

/// The check names a chapter's "## The checks" section lists: table rows
/// (`| `name` | ...`) and list items (`- `name`: ...`).
fn listed_checks(chapter: &str) -> Vec<String> {
    let mut listed = Vec::new();
    let mut inside = false;
    for line in chapter.lines() {
        if line.starts_with("## ") {
            inside = line.trim() == "## The checks";
            continue;
        }
        if !inside {
            continue;
        }
        let rest = line
            .strip_prefix("| `")
            .or_else(|| line.strip_prefix("- `"));
        if let Some(name) = rest.and_then(|r| r.split('`').next()) {
            listed.push(name.to_string());
        }
    }
    listed
}

#[test]
fn each_chapter_lists_exactly_its_exercises_checks() {
    let mut problems = Vec::new();
    for exercise in grading::exercises() {
        let path = root().join("book/src").join(exercise.chapter);
        let chapter = fs::read_to_string(&path).unwrap_or_default();
        let listed = listed_checks(&chapter);
        let names: Vec<&str> = exercise.checks().iter().map(|c| c.name).collect();
        for name in &names {
            if !listed.iter().any(|l| l == name) {
                problems.push(format!(
                    "book/src/{}: `{name}` is not in its \"## The checks\" list: add a line \
                     saying what it proves",
                    exercise.chapter
                ));
            }
        }
        for name in &listed {
            if !names.contains(&name.as_str()) {
                problems.push(format!(
                    "book/src/{}: lists `{name}`, which {} has no check of that name: \
                     rename or remove the line",
                    exercise.chapter, exercise.name
                ));
            }
        }
    }
    report(problems, "each chapter's list of checks is its exercise's");
}

/// Paths into the repository a text names: words that start with one of its top folders
/// or files, cut at the first character no path of ours has. Placeholders (`<ex>`,
/// `*`, `...`) are not paths to check.
fn named_paths(text: &str) -> Vec<String> {
    const TOPS: &[&str] = &[
        "crates/",
        "exercises/",
        "solutions/",
        "tests/",
        "book/src/",
        "contrib/",
        ".ci/",
    ];
    let mut found = Vec::new();
    for (at, _) in text.char_indices() {
        let rest = &text[at..];
        let starts_word = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || "_-./".contains(c)));
        if !starts_word || !TOPS.iter().any(|top| rest.starts_with(top)) {
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || "_-./<>*".contains(c)))
            .unwrap_or(rest.len());
        let path = rest[..end].trim_end_matches(['.', '/']);
        if path.contains(['<', '>', '*']) || path.contains("...") {
            continue;
        }
        found.push(path.to_string());
    }
    found
}

#[test]
fn every_path_the_docs_and_manifests_name_exists() {
    let root = root();
    let mut texts: Vec<PathBuf> = [
        "ARCHITECTURE.md",
        "CONTRIBUTING.md",
        "STYLE.md",
        "README.md",
    ]
    .iter()
    .map(|f| root.join(f))
    .collect();
    texts.extend(files(&root.join("book/src"), ".md"));
    let manifests: Vec<PathBuf> = files(&root, "Cargo.toml");
    let mut problems = Vec::new();
    for file in texts.iter().chain(&manifests) {
        let text = fs::read_to_string(file).unwrap_or_default();
        let is_manifest = file.ends_with("Cargo.toml");
        let mut fenced = false;
        for (n, line) in text.lines().enumerate() {
            if line.starts_with("```") {
                fenced = !fenced;
            }
            // In a tree drawn in a listing, an indented row is relative to the row above.
            if fenced && line.starts_with(' ') {
                continue;
            }
            // In a manifest, only the comments are prose; `path = ...` is cargo's to check.
            let prose = if is_manifest {
                match line.find('#') {
                    Some(at) => &line[at..],
                    None => continue,
                }
            } else {
                line
            };
            for path in named_paths(prose) {
                if !root.join(&path).exists() {
                    problems.push(format!(
                        "{}:{}: names `{path}`, which does not exist: point it at where the \
                         thing is now",
                        relative(file),
                        n + 1
                    ));
                }
            }
        }
    }
    report(problems, "paths named in docs and manifests");
}

#[test]
fn the_path_finder_finds_paths_and_skips_placeholders() {
    let found = named_paths(
        "see crates/harness/src/check.rs, `exercises/<ex>/checks/` and book/src/x.md#y; \
         not mycrates/x or tests/fixtures/<name>/",
    );
    assert_eq!(found, ["crates/harness/src/check.rs", "book/src/x.md"]);
}

#[test]
fn no_merge_conflict_is_left_in_the_tree() {
    let root = root();
    let mut texts = project_sources();
    for top in [
        "ARCHITECTURE.md",
        "CONTRIBUTING.md",
        "STYLE.md",
        "README.md",
    ] {
        texts.push(root.join(top));
    }
    texts.extend(files(&root.join("book/src"), ".md"));
    texts.extend(files(&root, "Cargo.toml"));
    let mut problems = Vec::new();
    for file in texts {
        let text = fs::read_to_string(&file).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            let marker = ["<<<<<<< ", ">>>>>>> ", "======="]
                .iter()
                .any(|m| line.starts_with(m) && (m.len() > 7 || line.len() == 7));
            if marker {
                problems.push(format!(
                    "{}:{}: a merge's conflict marker: resolve it",
                    relative(&file),
                    n + 1
                ));
            }
        }
    }
    report(
        problems,
        "no conflict markers (fixtures' edit blocks are not looked at)",
    );
}

/// The source folders of every crate: crates/*/src, each exercise's checks.
fn crate_sources() -> Vec<PathBuf> {
    let root = root();
    let mut all: Vec<PathBuf> = fs::read_dir(root.join("crates"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("src"))
        .collect();
    for exercise in grading::exercises() {
        all.push(root.join("exercises").join(exercise.name).join("checks"));
    }
    all.sort();
    all
}

#[test]
fn no_module_imports_a_sibling_that_imports_it_back() {
    let mut problems = Vec::new();
    for src in crate_sources() {
        let imports = tidy_layers::read(&src, &files(&src, ".rs"), relative);
        for circle in tidy_layers::circles(&tidy_layers::sibling_edges(&imports)) {
            problems.push(format!(
                "{}: {circle}: cut one (move what both need below both, or pass it in)",
                relative(&src)
            ));
        }
    }
    report(
        problems,
        "imports point one way (ARCHITECTURE.md, \"Layers\")",
    );
}

#[test]
fn the_harness_imports_only_down_the_layers_its_crate_doc_draws() {
    let src = root().join("crates/harness/src");
    let doc = fs::read_to_string(src.join("lib.rs")).unwrap_or_default();
    let layers = tidy_layers::layers(&doc);
    let layer_of = |module: &str| layers.iter().position(|l| l.iter().any(|m| m == module));
    let imports = tidy_layers::read(&src, &files(&src, ".rs"), relative);
    let mut problems = Vec::new();
    for module in imports
        .modules
        .iter()
        .filter(|m| !m.is_empty() && !m.contains("::"))
    {
        if layer_of(module).is_none() {
            problems.push(format!(
                "crates/harness/src/lib.rs: `# Layers` does not place the module `{module}`: \
                 add it to the layer whose modules it imports at most"
            ));
        }
    }
    for ((from, to), witness) in tidy_layers::sibling_edges(&imports) {
        if from.contains("::") || from.is_empty() {
            continue;
        }
        if let (Some(low), Some(high)) = (layer_of(&from), layer_of(&to))
            && high > low
        {
            problems.push(format!(
                "{witness}: `{from}` imports `{to}`, a layer above it: move what it needs \
                 down, or pass it in from above"
            ));
        }
    }
    assert!(
        !layers.is_empty(),
        "crates/harness/src/lib.rs draws no `# Layers`"
    );
    report(problems, "the harness's layers (crates/harness/src/lib.rs)");
}
