//! What every fs_meta check shares: a fresh folder it fills with drawn names, fs_meta run
//! in it under a deadline, and its stdout read as `label: value` blocks.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::Duration;

use fastrand::Rng;
use tempfile::TempDir;

use harness::bytes;
use harness::draw;
use harness::{Ctx, Failure, Output};

/// A temporary folder to run fs_meta in, with files made by the check, alone in a folder
/// of its own: `..` is stable while the program and the check each look at it (where the
/// scratch folder is a tmpfs, a folder's size follows its entries, which other checks
/// make and remove).
pub(super) struct Folder {
    dir: TempDir,
    _parent: TempDir,
}

impl Folder {
    pub(super) fn path(&self) -> &Path {
        self.dir.path()
    }
}

pub(super) fn folder() -> Result<Folder, Failure> {
    let parent = tempfile::tempdir()?;
    Ok(Folder {
        dir: tempfile::tempdir_in(parent.path())?,
        _parent: parent,
    })
}

pub(super) fn write(dir: &Folder, name: &str, bytes: &[u8]) -> Result<(), Failure> {
    let path = dir.path().join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    Ok(fs::write(path, bytes)?)
}

/// The kinds of file name people make, every one tried wherever a check has room for
/// several names (never `/`, never starting with `-` or `.`).
#[derive(Clone, Copy)]
enum NameKind {
    /// `my notes€.txt`: a space, characters of several bytes and an extension at once.
    Everything,
    /// `notes`: a word alone, no extension.
    Word,
    /// `notes.txt`.
    Extension,
    /// `my notes`.
    Space,
}

fn name_of_kind(rng: &mut Rng, kind: NameKind) -> String {
    let word = draw::short_word(rng);
    match kind {
        NameKind::Word => word,
        NameKind::Extension => format!("{word}.{}", draw::word(rng, 3)),
        NameKind::Space => format!("{word} {}", draw::short_word(rng)),
        NameKind::Everything => {
            let chars = rng.usize(2..=6);
            let other = draw::short_word(rng);
            let text = draw::unicode_text(rng, chars);
            format!("{word} {other}{text}.{}", draw::word(rng, 3))
        }
    }
}

/// A file name with every feature at once (a space, characters of several bytes, an
/// extension), so that a check of one name tries them all in every run.
pub(super) fn file_name(rng: &mut Rng) -> String {
    name_of_kind(rng, NameKind::Everything)
}

/// `n` different file names, of every kind in turn (the first has every feature).
pub(super) fn file_names(rng: &mut Rng, n: usize) -> Vec<String> {
    const KINDS: [NameKind; 4] = [
        NameKind::Everything,
        NameKind::Word,
        NameKind::Extension,
        NameKind::Space,
    ];
    let mut names: Vec<String> = Vec::new();
    while names.len() < n {
        let name = name_of_kind(rng, KINDS[names.len() % KINDS.len()]);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// A few stat calls take a program milliseconds; this bounds one that never ends (or
/// that opens a FIFO to look at it, and waits for a writer forever).
pub(super) const RUN_LIMIT: Duration = Duration::from_secs(2);

/// fs_meta, to run in `dir`.
pub(super) fn fs_meta(ctx: &Ctx, dir: &Folder) -> harness::Cmd {
    ctx.student("fs_meta").cwd(dir.path()).timeout(RUN_LIMIT)
}

/// Run fs_meta in `dir` with `args`.
pub(super) fn run(ctx: &Ctx, dir: &Folder, args: &[&str]) -> Result<Output, Failure> {
    Ok(fs_meta(ctx, dir).args(args).run()?)
}

/// Stdout as blocks separated by blank lines, each a map from label to value.
pub(super) fn blocks(output: &Output) -> Result<Vec<BTreeMap<String, String>>, Failure> {
    let text = output.stdout_text();
    let mut blocks = Vec::new();
    for chunk in text.split("\n\n").filter(|c| !c.trim().is_empty()) {
        let mut block = BTreeMap::new();
        for line in chunk.lines() {
            let Some((label, value)) = line.split_once(": ") else {
                return Err(Failure::expected(
                    "lines of the form `label: value` (name, size, kind)",
                    format!("{line:?}"),
                )
                .with_run(output));
            };
            if block.insert(label.to_string(), value.to_string()).is_some() {
                return Err(Failure::expected(
                    "a blank line between the blocks of two paths",
                    format!("two {label:?} lines in one block"),
                )
                .with_run(output));
            }
        }
        blocks.push(block);
    }
    Ok(blocks)
}

/// The `n`th block (from 0) has these `label: value` lines.
pub(super) fn expect_block(
    output: &Output,
    n: usize,
    fields: &[(&str, &str)],
    why: &str,
) -> Result<(), Failure> {
    let blocks = blocks(output)?;
    let Some(block) = blocks.get(n) else {
        return Err(Failure::expected(
            format!("at least {} block(s) of name/size/kind ({why})", n + 1),
            format!("{} block(s)", blocks.len()),
        )
        .with_run(output));
    };
    for (label, value) in fields {
        let got = block.get(*label);
        if got.map(String::as_str) != Some(*value) {
            let got = got.map_or_else(|| format!("no {label:?} line"), |g| format!("{label}: {g}"));
            return Err(Failure::expected(
                format!("{label}: {value} in block {} ({why})", n + 1),
                got,
            )
            .with_run(output));
        }
    }
    Ok(())
}

/// Exactly `n` blocks.
pub(super) fn expect_block_count(output: &Output, n: usize, why: &str) -> Result<(), Failure> {
    let found = blocks(output)?.len();
    if found == n {
        return Ok(());
    }
    Err(
        Failure::expected(format!("{n} block(s) ({why})"), format!("{found} block(s)"))
            .with_run(output),
    )
}

/// The size `fs::metadata` (or `symlink_metadata`) gives for `path` in `dir`, as text.
/// Asked once the program ran in `dir`: a link it put in place of what the check made is
/// refused, not followed (its target's size would tell the program about a grader's file).
pub(super) fn size_of(dir: &Folder, path: &str, follow: bool) -> Result<String, Failure> {
    let mut walked = dir.path().to_path_buf();
    // The check never asks through a link it made: every link on the way is the program's.
    for part in std::path::Path::new(path).components() {
        let std::path::Component::Normal(name) = part else {
            break;
        };
        walked.push(name);
        if fs::symlink_metadata(&walked).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(Failure::new(format!(
                "`{path}` in the check's folder is now a symbolic link (to {}): the program \
                 replaced what the check made; fs_meta only reads the paths it is given",
                fs::read_link(&walked).map_or("somewhere".to_string(), |t| format!(
                    "\"{}\"",
                    bytes::escape(t.as_os_str().as_encoded_bytes())
                ))
            )));
        }
    }
    let path = dir.path().join(path);
    let meta = match follow {
        true => fs::metadata(path)?,
        false => fs::symlink_metadata(path)?,
    };
    Ok(meta.len().to_string())
}
