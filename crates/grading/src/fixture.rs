//! Recorded mistakes (tests/fixtures/<name>/): a fixture is the reference solution with
//! the mistake made in it. A `<bin>.rs.edit` file says which text of the reference becomes
//! what; a plain file (a hostile program written from scratch) replaces the reference's.
//! An edit whose reference text is gone from the solution fails loudly, so fixtures cannot
//! silently drift from the solutions they were made from.
//!
//! ```text
//! <<<<<<< reference
//!     for (i, arg) in args.iter().enumerate() {
//! =======
//!     for (i, arg) in args.iter().enumerate().skip(1) {
//! >>>>>>> mistake
//! ```

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::Path;

use crate::build::{Workspace, copy_tree};
use harness::Exercise;

const REFERENCE: &str = "<<<<<<< reference\n";
const DIVIDER: &str = "=======\n";
const MISTAKE: &str = ">>>>>>> mistake\n";

/// What a fixture's `expect.txt` records: comment lines (`#`), then the name of every check
/// the mistake must fail, every other check passing; or one of two special lines.
#[derive(Debug, Default)]
pub struct Expectation {
    /// `build fails`: the submission must not compile.
    pub build_fails: bool,
    /// `does not compile: BIN`: that program must not compile and the others must; the
    /// checks named are those needing it (they score 0), every other check passes.
    pub not_compiled: BTreeSet<String>,
    /// `no check fails`: a hostile program whose harm is not in its output, or the
    /// reference's portable path: every check must pass.
    pub none_fails: bool,
    pub must_fail: BTreeSet<String>,
}

/// Read `fixture/expect.txt`.
pub fn expectation(fixture: &Path) -> io::Result<Expectation> {
    let text = fs::read_to_string(fixture.join("expect.txt"))?;
    let mut expectation = Expectation::default();
    for line in text.lines().map(str::trim) {
        match line {
            "" => {}
            _ if line.starts_with('#') => {}
            "build fails" => expectation.build_fails = true,
            _ if line.starts_with("does not compile:") => {
                let bin = line.trim_start_matches("does not compile:").trim();
                expectation.not_compiled.insert(bin.to_string());
            }
            "no check fails" => expectation.none_fails = true,
            check => {
                expectation.must_fail.insert(check.to_string());
            }
        }
    }
    Ok(expectation)
}

/// The exercise a fixture is about: its one exercise folder. None if it has none or more.
pub fn exercise_of(fixture: &Path) -> Option<&'static Exercise> {
    let mut found = crate::exercises()
        .iter()
        .copied()
        .filter(|e| fixture.join(e.name).is_dir());
    match (found.next(), found.next()) {
        (Some(exercise), None) => Some(exercise),
        _ => None,
    }
}

/// Lay out `fixture`'s version of `exercise` in `dest` (shaped like a submission's
/// exercise folder): the reference solution, with the fixture's files and edits applied.
pub fn submission(
    workspace: &Workspace,
    exercise: &Exercise,
    fixture: &Path,
    dest: &Path,
) -> io::Result<()> {
    workspace.write_reference_submission(exercise, dest)?;
    copy_tree(&fixture.join(exercise.name), dest)?;
    apply_edit_files(dest)
}

/// Apply every `*.edit` under `dir` to the file beside it, then remove the `.edit` file.
fn apply_edit_files(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            apply_edit_files(&path)?;
            continue;
        }
        if path.extension().is_none_or(|ext| ext != "edit") {
            continue;
        }
        // Path methods, not text: the folder's name need not be UTF-8.
        let target = path.with_extension("");
        let edits = fs::read_to_string(&path)?;
        let reference = fs::read_to_string(&target)?;
        let edited = apply_edits(&reference, &edits)
            .map_err(|problem| io::Error::other(format!("{}: {problem}", path.display())))?;
        fs::write(&target, edited)?;
        fs::remove_file(&path)?;
    }
    Ok(())
}

/// Apply the `reference` → `mistake` blocks of `edits` to `text`. Each block's reference
/// text must occur in `text` exactly once.
pub fn apply_edits(text: &str, edits: &str) -> Result<String, String> {
    let mut text = text.to_string();
    let mut rest = edits;
    let mut blocks = 0;
    while let Some(start) = rest.find(REFERENCE) {
        let after = &rest[start + REFERENCE.len()..];
        let divider = after.find(DIVIDER).ok_or("a block has no ======= line")?;
        let end = after
            .find(MISTAKE)
            .ok_or("a block has no >>>>>>> mistake line")?;
        if end < divider {
            return Err("a block's >>>>>>> line comes before its ======= line".into());
        }
        let (from, to) = (&after[..divider], &after[divider + DIVIDER.len()..end]);
        match text.matches(from).count() {
            1 => text = text.replacen(from, to, 1),
            0 => return Err(format!("the reference no longer has this text:\n{from}")),
            n => {
                return Err(format!(
                    "this text stands {n} times in the reference:\n{from}"
                ));
            }
        }
        rest = &after[end + MISTAKE.len()..];
        blocks += 1;
    }
    if blocks == 0 {
        return Err("no <<<<<<< reference block".into());
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::apply_edits;

    #[test]
    fn replaces_each_block_once() {
        let edits = "why\n<<<<<<< reference\nb\n=======\nB\n>>>>>>> mistake\n\
                     <<<<<<< reference\nd\n=======\n>>>>>>> mistake\n";
        assert_eq!(apply_edits("a\nb\nc\nd\n", edits).unwrap(), "a\nB\nc\n");
    }

    #[test]
    fn missing_or_ambiguous_reference_text_is_an_error() {
        let edit = "<<<<<<< reference\nx\n=======\ny\n>>>>>>> mistake\n";
        assert!(apply_edits("a\n", edit).unwrap_err().contains("no longer"));
        assert!(apply_edits("x\nx\n", edit).unwrap_err().contains("2 times"));
        assert!(apply_edits("a\n", "nothing here").is_err());
    }
}
