//! Checks for fs_meta: a `name:`/`size:`/`kind:` block per path, like Go's os.Stat, with
//! `--no-follow` for os.Lstat, per-path errors on stderr, and exit codes 0, 1 and 2.
//! Every check runs in a fresh temporary folder it fills itself.

use std::collections::BTreeMap;
use std::fs;
use std::time::Duration;

use tempfile::TempDir;

use crate::check::{Check, Ctx, Exercise, Failure};
use crate::expect;
use crate::process::Output;

pub static EXERCISE: Exercise = Exercise {
    name: "fs_meta",
    bins: &["fs_meta"],
    chapter: "fs_meta.md",
    checks: CHECKS,
};

static CHECKS: &[Check] = &[
    Check::new(
        "regular_file_name_and_size",
        "#what-stat-tells-you",
        regular_file_name_and_size,
    ),
    Check::new("empty_file", "#what-stat-tells-you", empty_file),
    Check::new("sparse_5gib_file", "#sizes-are-u64", sparse_5gib_file),
    Check::new("directory_kind", "#what-stat-tells-you", directory_kind),
    Check::new(
        "symlink_followed_by_default",
        "#stat-and-lstat",
        symlink_followed_by_default,
    ),
    Check::new(
        "no_follow_reports_symlink",
        "#stat-and-lstat",
        no_follow_reports_symlink,
    ),
    Check::new(
        "several_paths_in_order",
        "#one-bad-path-among-many",
        several_paths_in_order,
    ),
    Check::new(
        "name_is_final_component",
        "#the-name-is-the-last-component",
        name_is_final_component,
    ),
    Check::new(
        "missing_path_reported_others_still_print",
        "#one-bad-path-among-many",
        missing_path_reported_others_still_print,
    ),
    Check::new(
        "no_path_is_usage_error",
        "#usage-errors",
        no_path_is_usage_error,
    ),
    // macOS and Windows file systems refuse names that are not valid Unicode.
    #[cfg(target_os = "linux")]
    Check::new(
        "non_utf8_file_name",
        "#file-names-that-are-not-utf-8",
        non_utf8_file_name,
    ),
];

/// A temporary folder to run fs_meta in, with files made by the check.
fn folder() -> Result<TempDir, Failure> {
    Ok(tempfile::tempdir()?)
}

fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> Result<(), Failure> {
    let path = dir.path().join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    Ok(fs::write(path, bytes)?)
}

/// A few stat calls take a program milliseconds; this bounds one that never ends.
const RUN_LIMIT: Duration = Duration::from_secs(2);

/// fs_meta, to run in `dir`.
fn fs_meta(ctx: &Ctx, dir: &TempDir) -> crate::process::Cmd {
    ctx.student("fs_meta").cwd(dir.path()).timeout(RUN_LIMIT)
}

/// Run fs_meta in `dir` with `args`.
fn run(ctx: &Ctx, dir: &TempDir, args: &[&str]) -> Result<Output, Failure> {
    Ok(fs_meta(ctx, dir).args(args).run()?)
}

/// Stdout as blocks separated by blank lines, each a map from label to value.
fn blocks(output: &Output) -> Result<Vec<BTreeMap<String, String>>, Failure> {
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
fn expect_block(
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
            return Err(
                Failure::expected(format!("{label}: {value} ({why})"), got).with_run(output)
            );
        }
    }
    Ok(())
}

fn regular_file_name_and_size(ctx: &Ctx) -> Result<(), Failure> {
    let dir = folder()?;
    write(&dir, "hello.txt", b"hello, world\n")?;
    let output = run(ctx, &dir, &["hello.txt"])?;
    expect::exit_code(&output, 0, "the path exists")?;
    expect_block(
        &output,
        0,
        &[("name", "hello.txt"), ("size", "13"), ("kind", "file")],
        "a 13-byte regular file",
    )
}

fn empty_file(ctx: &Ctx) -> Result<(), Failure> {
    let dir = folder()?;
    write(&dir, "empty", b"")?;
    let output = run(ctx, &dir, &["empty"])?;
    expect::exit_code(&output, 0, "the path exists")?;
    expect_block(
        &output,
        0,
        &[("name", "empty"), ("size", "0"), ("kind", "file")],
        "an empty file is still a file",
    )
}

fn sparse_5gib_file(ctx: &Ctx) -> Result<(), Failure> {
    let dir = folder()?;
    // Sparse: five GiB long, but no disk blocks written.
    fs::File::create(dir.path().join("big.img"))?.set_len(5 << 30)?;
    let output = run(ctx, &dir, &["big.img"])?;
    expect::exit_code(&output, 0, "the path exists")?;
    expect_block(
        &output,
        0,
        &[("size", "5368709120")],
        "a 5 GiB file: its size does not fit in 32 bits",
    )
}

fn directory_kind(ctx: &Ctx) -> Result<(), Failure> {
    let dir = folder()?;
    fs::create_dir(dir.path().join("photos"))?;
    let output = run(ctx, &dir, &["photos"])?;
    expect::exit_code(&output, 0, "the path exists")?;
    expect_block(
        &output,
        0,
        &[("name", "photos"), ("kind", "dir")],
        "a directory",
    )
}

/// A folder holding `target.txt` (5 bytes) and `link` pointing at it.
fn with_symlink() -> Result<TempDir, Failure> {
    let dir = folder()?;
    write(&dir, "target.txt", b"12345")?;
    let link = dir.path().join("link");
    #[cfg(unix)]
    let made = std::os::unix::fs::symlink("target.txt", &link);
    #[cfg(windows)]
    let made = std::os::windows::fs::symlink_file("target.txt", &link);
    made.map_err(|e| {
        Failure::new(format!(
            "the check could not create a symlink here ({e}); on Windows, turn on Developer Mode"
        ))
    })?;
    Ok(dir)
}

fn symlink_followed_by_default(ctx: &Ctx) -> Result<(), Failure> {
    let dir = with_symlink()?;
    let output = run(ctx, &dir, &["link"])?;
    expect::exit_code(&output, 0, "the link and its target exist")?;
    expect_block(
        &output,
        0,
        &[("name", "link"), ("size", "5"), ("kind", "file")],
        "like os.Stat, the link is followed to the 5-byte file it points at",
    )
}

fn no_follow_reports_symlink(ctx: &Ctx) -> Result<(), Failure> {
    let dir = with_symlink()?;
    let output = run(ctx, &dir, &["--no-follow", "link"])?;
    expect::exit_code(&output, 0, "the link exists")?;
    expect_block(
        &output,
        0,
        &[("name", "link"), ("kind", "symlink")],
        "like os.Lstat, --no-follow describes the link itself",
    )
}

fn several_paths_in_order(ctx: &Ctx) -> Result<(), Failure> {
    let dir = folder()?;
    write(&dir, "c.txt", b"c")?;
    write(&dir, "a.txt", b"aa")?;
    write(&dir, "b.txt", b"bbb")?;
    let output = run(ctx, &dir, &["c.txt", "a.txt", "b.txt"])?;
    expect::exit_code(&output, 0, "every path exists")?;
    for (n, (name, size)) in [("c.txt", "1"), ("a.txt", "2"), ("b.txt", "3")]
        .into_iter()
        .enumerate()
    {
        expect_block(
            &output,
            n,
            &[("name", name), ("size", size)],
            "one block per path, in the order given",
        )?;
    }
    Ok(())
}

fn name_is_final_component(ctx: &Ctx) -> Result<(), Failure> {
    let dir = folder()?;
    write(&dir, "dir/sub/file.txt", b"x")?;
    let output = run(ctx, &dir, &["dir/sub/file.txt", "dir/sub/"])?;
    expect::exit_code(&output, 0, "both paths exist")?;
    expect_block(
        &output,
        0,
        &[("name", "file.txt")],
        "FileInfo.Name() is the last component, not the whole path",
    )?;
    expect_block(
        &output,
        1,
        &[("name", "sub")],
        "a trailing slash does not change the last component",
    )
}

fn missing_path_reported_others_still_print(ctx: &Ctx) -> Result<(), Failure> {
    let dir = folder()?;
    write(&dir, "a.txt", b"a")?;
    write(&dir, "b.txt", b"b")?;
    let output = run(ctx, &dir, &["a.txt", "nope.txt", "b.txt"])?;
    expect::stderr_line_starting(
        &output,
        "error: nope.txt: ",
        "the path that failed, then the OS error",
    )?;
    expect_block(
        &output,
        0,
        &[("name", "a.txt")],
        "the path before the missing one",
    )?;
    expect_block(
        &output,
        1,
        &[("name", "b.txt")],
        "the path after the missing one still prints",
    )?;
    expect::exit_code(&output, 1, "a path failed")
}

fn no_path_is_usage_error(ctx: &Ctx) -> Result<(), Failure> {
    let dir = folder()?;
    let output = run(ctx, &dir, &[])?;
    expect::exit_code(&output, 2, "no path given is a usage error")?;
    expect::stderr_line_starting(&output, "usage: fs_meta", "tell the user how to call it")
}

#[cfg(target_os = "linux")]
fn non_utf8_file_name(ctx: &Ctx) -> Result<(), Failure> {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    let dir = folder()?;
    let name = OsString::from_vec(b"caf\xe9.txt".to_vec());
    fs::write(dir.path().join(&name), b"abc")?;
    let output = fs_meta(ctx, &dir).arg(&name).run()?;
    expect::exit_code(&output, 0, "a Latin-1 file name is a legal Linux file name")?;
    expect_block(
        &output,
        0,
        &[("name", "caf\u{FFFD}.txt"), ("size", "3")],
        "the name printed lossily, with U+FFFD for the bad byte",
    )
}
