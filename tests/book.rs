//! Every listing in the book comes from a real file: each `{{#include}}` and
//! `{{#rustdoc_include}}` in book/src names a file that exists and, when it names an
//! anchor, that file has the matching `ANCHOR:` and `ANCHOR_END:` marks. And every line
//! a reader sees in a listing fits the page.

use std::fs;
use std::path::{Path, PathBuf};

use netlab_tests::workspace;

mod contracts;

fn markdown_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("book/src is readable") {
        let path = entry.expect("book/src is readable").path();
        if path.is_dir() {
            markdown_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "md") {
            found.push(path);
        }
    }
}

/// The `{{#include ...}}` directives of a chapter: (line number, argument).
fn includes(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(start) = rest.find("{{#") {
            let after = &rest[start + 3..];
            let Some(end) = after.find("}}") else { break };
            let directive = &after[..end];
            for kind in ["include ", "rustdoc_include "] {
                if let Some(arg) = directive.strip_prefix(kind) {
                    found.push((n + 1, arg.trim().to_string()));
                }
            }
            rest = &after[end..];
        }
    }
    found
}

fn problems_in(chapter: &Path) -> Vec<String> {
    let text = fs::read_to_string(chapter).expect("chapter is readable");
    let dir = chapter.parent().expect("chapter has a folder");
    let mut problems = Vec::new();
    for (line, arg) in includes(&text) {
        let at = format!("{}:{line}: {{{{#include {arg}}}}}", chapter.display());
        let (file, anchor) = match arg.split_once(':') {
            Some((file, anchor)) => (file, Some(anchor)),
            None => (arg.as_str(), None),
        };
        let Ok(source) = fs::read_to_string(dir.join(file)) else {
            problems.push(format!("{at}: no file {file}"));
            continue;
        };
        let Some(anchor) = anchor else { continue };
        if anchor.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            problems.push(format!(
                "{at}: line numbers break when the file changes; use an ANCHOR"
            ));
        } else if !source.contains(&format!("ANCHOR: {anchor}\n"))
            || !source.contains(&format!("ANCHOR_END: {anchor}\n"))
        {
            problems.push(format!(
                "{at}: {file} has no ANCHOR: {anchor} ... ANCHOR_END: {anchor}"
            ));
        }
    }
    problems
}

#[test]
fn every_include_resolves() {
    let mut chapters = Vec::new();
    markdown_files(&workspace().root().join("book").join("src"), &mut chapters);
    assert!(!chapters.is_empty(), "the book has chapters");
    let problems: Vec<String> = chapters.iter().flat_map(|c| problems_in(c)).collect();
    assert!(
        problems.is_empty(),
        "broken listings:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_exercise_has_a_chapter_with_listings() {
    let src = workspace().root().join("book").join("src");
    for exercise in grading::exercises() {
        let chapter = src.join(exercise.chapter);
        let text =
            fs::read_to_string(&chapter).unwrap_or_else(|e| panic!("{}: {e}", chapter.display()));
        let solutions = format!("solutions/{}/", exercise.name);
        assert!(
            includes(&text)
                .iter()
                .any(|(_, arg)| arg.contains(&solutions)),
            "{} quotes nothing from {solutions}",
            chapter.display()
        );
    }
}

#[test]
fn the_include_parser_finds_directives() {
    let found = includes("x {{#include ../../solutions/a.rs:main}} y {{#rustdoc_include b.rs}}");
    assert_eq!(
        found,
        [
            (1, "../../solutions/a.rs:main".to_string()),
            (1, "b.rs".to_string())
        ]
    );
}

/// mdbook's id for a heading: lower case; letters, digits, `_` and `-` kept; white space
/// turned into `-`; everything else dropped.
fn heading_id(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .filter_map(|c| match c {
            c if c.is_alphanumeric() || c == '_' || c == '-' => Some(c.to_ascii_lowercase()),
            c if c.is_whitespace() => Some('-'),
            _ => None,
        })
        .collect()
}

/// The ids of a chapter's headings (outside code blocks).
fn heading_ids(text: &str) -> Vec<String> {
    let mut in_code = false;
    let mut ids = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            ids.push(heading_id(line.trim_start_matches('#')));
        }
    }
    ids
}

#[test]
fn every_check_points_at_a_real_section() {
    let src = workspace().root().join("book").join("src");
    let mut missing = Vec::new();
    for exercise in grading::exercises() {
        let text = fs::read_to_string(src.join(exercise.chapter)).unwrap_or_default();
        let ids = heading_ids(&text);
        for check in exercise.checks() {
            let id = check.section.trim_start_matches('#');
            if !ids.iter().any(|i| i == id) {
                missing.push(format!(
                    "{}::{} -> {}{}",
                    exercise.name, check.name, exercise.chapter, check.section
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "checks whose book section does not exist:\n{}",
        missing.join("\n")
    );
}

#[test]
fn heading_ids_match_mdbook() {
    assert_eq!(
        heading_id(" Text that is not UTF-8"),
        "text-that-is-not-utf-8"
    );
    assert_eq!(
        heading_id(" os_args: the program's arguments"),
        "os_args-the-programs-arguments"
    );
}

/// The widest line a listing may have: what mdBook's default theme shows at 1280 px
/// without scrolling sideways (STYLE.md, "Listings fit the page").
const PAGE_COLUMNS: usize = 84;

/// How wide `line` is on the page: characters, not bytes (`→` is one column), a tab 4.
fn columns(line: &str) -> usize {
    line.chars().map(|c| if c == '\t' { 4 } else { 1 }).sum()
}

/// A code fence's marker (three or more backticks or tildes) when `line` is one.
fn fence(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let mark = line.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let run = line.len() - line.trim_start_matches(mark).len();
    (run >= 3).then(|| &line[..run])
}

/// Whether `line` holds an `ANCHOR:` or `ANCHOR_END:` mark named `name` (mdBook allows
/// spaces after the colon).
fn is_anchor(line: &str, kind: &str, name: &str) -> bool {
    line.split(kind)
        .skip(1)
        .any(|after| after.trim_start().split(|c: char| c.is_whitespace()).next() == Some(name))
}

/// The lines an include brings into a listing, as (line number in `source`, text): the
/// whole file, or the region between an anchor's marks without any line holding a mark
/// (mdBook drops those, nested anchors' too).
fn included_lines<'a>(source: &'a str, anchor: Option<&str>) -> Vec<(usize, &'a str)> {
    let numbered = source.lines().enumerate().map(|(n, line)| (n + 1, line));
    let Some(anchor) = anchor else {
        return numbered.collect();
    };
    let mut inside = false;
    let mut lines = Vec::new();
    for (n, line) in numbered {
        if !inside {
            inside = is_anchor(line, "ANCHOR:", anchor);
        } else if is_anchor(line, "ANCHOR_END:", anchor) {
            inside = false;
        } else if !line.contains("ANCHOR:") && !line.contains("ANCHOR_END:") {
            lines.push((n, line));
        }
    }
    lines
}

/// Every line a reader sees in a chapter's listings that is wider than the page, as
/// `file:line: N columns: text`: the chapter's own lines inside code fences, and the
/// lines each include inside a fence brings in, named by the file they come from.
fn wide_lines_in(chapter: &Path, root: &Path) -> Vec<String> {
    let text = fs::read_to_string(chapter).expect("chapter is readable");
    let dir = chapter.parent().expect("chapter has a folder");
    let shown = |path: &Path| {
        let path = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let root = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        path.strip_prefix(&root)
            .unwrap_or(&path)
            .display()
            .to_string()
    };
    let mut wide = Vec::new();
    let mut report = |file: &str, n: usize, line: &str| {
        let width = columns(line);
        if width > PAGE_COLUMNS {
            wide.push(format!("{file}:{n}: {width} columns: {line}"));
        }
    };
    let mut open_fence: Option<String> = None;
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        match (&open_fence, fence(line)) {
            (None, Some(mark)) => open_fence = Some(mark.to_string()),
            (None, None) => {}
            (Some(open), Some(mark))
                if mark.starts_with(open.as_str())
                    && line.trim_start()[mark.len()..].trim().is_empty() =>
            {
                open_fence = None;
            }
            (Some(_), _) => {
                let directives = includes(line);
                if directives.is_empty() {
                    report(&shown(chapter), n, line);
                }
                for (_, arg) in directives {
                    let (file, anchor) = match arg.split_once(':') {
                        Some((file, anchor)) => (file, Some(anchor)),
                        None => (arg.as_str(), None),
                    };
                    // A missing file or anchor is every_include_resolves's to report.
                    let path = dir.join(file);
                    let Ok(source) = fs::read_to_string(&path) else {
                        continue;
                    };
                    for (m, included) in included_lines(&source, anchor) {
                        report(&shown(&path), m, included);
                    }
                }
            }
        }
    }
    wide
}

#[test]
fn listings_fit_the_page() {
    let root = workspace().root();
    let mut chapters = Vec::new();
    markdown_files(&root.join("book").join("src"), &mut chapters);
    chapters.sort();
    let mut wide: Vec<String> = Vec::new();
    for line in chapters.iter().flat_map(|c| wide_lines_in(c, root)) {
        // A region included twice is one line to fix.
        if !wide.contains(&line) {
            wide.push(line);
        }
    }
    assert!(
        wide.is_empty(),
        "{} lines of listings are wider than the page ({PAGE_COLUMNS} columns, STYLE.md \
         \"Listings fit the page\"); rewrap them:\n{}",
        wide.len(),
        wide.join("\n")
    );
}

#[test]
fn listing_lines_are_measured_as_a_reader_sees_them() {
    assert_eq!(columns("a→b"), 3);
    assert_eq!(columns("\tx"), 5);
    assert_eq!(fence("  ```rust"), Some("```"));
    assert_eq!(fence("~~~~"), Some("~~~~"));
    assert_eq!(fence("`` x"), None);
    let source = "a\n// ANCHOR: outer\nb\n// ANCHOR: inner\nc\n// ANCHOR_END: inner\n\
                  // ANCHOR_END: outer\nd\n";
    assert_eq!(included_lines(source, Some("outer")), [(3, "b"), (5, "c")]);
    assert_eq!(included_lines(source, Some("inner")), [(5, "c")]);
    assert_eq!(included_lines(source, Some("in")), []);
    assert_eq!(included_lines(source, None).len(), 8);
}

/// `cargo run --release -p bench` writes between these marks (crates/bench/src/table.rs)
/// and fails, after minutes of measuring, when one is missing: each must stand once, on
/// a line of its own, begin before end.
#[test]
fn the_bench_finds_its_marks() {
    let src = workspace().root().join("book").join("src");
    for (chapter, mark) in [
        ("performance.md", "bench"),
        ("appendix-bench.md", "bench:targets"),
    ] {
        let text = fs::read_to_string(src.join(chapter)).unwrap_or_default();
        let line_of = |wanted: String| {
            let found: Vec<usize> = text
                .lines()
                .enumerate()
                .filter(|(_, line)| line.trim_end() == wanted)
                .map(|(n, _)| n)
                .collect();
            assert_eq!(
                found.len(),
                1,
                "{chapter}: `{wanted}` once on a line of its own"
            );
            found[0]
        };
        let begin = line_of(format!("<!-- {mark}:begin -->"));
        let end = line_of(format!("<!-- {mark}:end -->"));
        assert!(
            begin < end,
            "{chapter}: {mark}:begin comes before {mark}:end"
        );
    }
}
