//! Checks for fs_meta: a `name:`/`size:`/`kind:` block per path, like Go's os.Stat, with
//! `--no-follow` for os.Lstat, per-path errors on stderr, and exit codes 0, 1 and 2.
//! Every check runs in a fresh temporary folder it fills itself, with names and sizes
//! drawn per run (spaces and wide characters included, the big file over 4 GiB), and
//! takes the sizes it expects from the file system itself (a folder's size depends on
//! the file system). Only `whole_stdout_exact` compares stdout byte for byte; the others
//! read the blocks and look at the one thing they are about.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::Duration;

use fastrand::Rng;
use tempfile::TempDir;

use crate::check::{Check, Ctx, Exercise, Failure};
use crate::draw;
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
    // Sockets, pipes and devices: Unix file kinds.
    #[cfg(unix)]
    Check::new("other_kinds", "#what-stat-tells-you", other_kinds),
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
        "dangling_symlink_followed_is_an_error",
        "#stat-and-lstat",
        dangling_symlink_followed_is_an_error,
    ),
    Check::new(
        "no_follow_dangling_symlink",
        "#stat-and-lstat",
        no_follow_dangling_symlink,
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
        "dot_dotdot_and_root_names",
        "#the-name-is-the-last-component",
        dot_dotdot_and_root_names,
    ),
    Check::new(
        "missing_path_reported_others_still_print",
        "#one-bad-path-among-many",
        missing_path_reported_others_still_print,
    ),
    Check::new(
        "whole_stdout_exact",
        "#the-output-is-a-contract",
        whole_stdout_exact,
    ),
    Check::new(
        "no_path_is_usage_error",
        "#usage-errors",
        no_path_is_usage_error,
    ),
    Check::new(
        "no_follow_alone_is_usage_error",
        "#usage-errors",
        no_follow_alone_is_usage_error,
    ),
    Check::new(
        "unknown_option_is_usage_error",
        "#usage-errors",
        unknown_option_is_usage_error,
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

/// A file name as people make them: a word, maybe with an extension, spaces or
/// characters of several bytes; never `/`, never starting with `-` or `.`.
fn file_name(rng: &mut Rng) -> String {
    let word = draw::short_word(rng);
    match rng.u8(..4) {
        0 => word,
        1 => format!("{word}.{}", draw::word(rng, 3)),
        2 => {
            let other = draw::short_word(rng);
            format!("{word} {other}")
        }
        _ => {
            let chars = rng.usize(2..=6);
            format!("{word}{}", draw::unicode_text(rng, chars))
        }
    }
}

/// `n` different file names.
fn file_names(rng: &mut Rng, n: usize) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    while names.len() < n {
        let name = file_name(rng);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// A few stat calls take a program milliseconds; this bounds one that never ends (or
/// that opens a FIFO to look at it, and waits for a writer forever).
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
fn expect_block_count(output: &Output, n: usize, why: &str) -> Result<(), Failure> {
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
fn size_of(dir: &TempDir, path: &str, follow: bool) -> Result<String, Failure> {
    let path = dir.path().join(path);
    let meta = if follow {
        fs::metadata(path)?
    } else {
        fs::symlink_metadata(path)?
    };
    Ok(meta.len().to_string())
}

fn regular_file_name_and_size(ctx: &Ctx) -> Result<(), Failure> {
    let (name, contents) = {
        let mut rng = ctx.rng();
        let len = rng.usize(1..=100_000);
        (file_name(&mut rng), draw::bytes(&mut rng, len))
    };
    let dir = folder()?;
    write(&dir, &name, &contents)?;
    let output = run(ctx, &dir, &[&name])?;
    expect::exit_code(&output, 0, "the path exists")?;
    let size = contents.len().to_string();
    expect_block(
        &output,
        0,
        &[("name", &name), ("size", &size), ("kind", "file")],
        &format!("a regular file of {size} bytes"),
    )
}

fn empty_file(ctx: &Ctx) -> Result<(), Failure> {
    let name = file_name(&mut ctx.rng());
    let dir = folder()?;
    write(&dir, &name, b"")?;
    let output = run(ctx, &dir, &[&name])?;
    expect::exit_code(&output, 0, "the path exists")?;
    expect_block(
        &output,
        0,
        &[("name", &name), ("size", "0"), ("kind", "file")],
        "an empty file is still a file",
    )
}

fn sparse_5gib_file(ctx: &Ctx) -> Result<(), Failure> {
    let (name, size) = {
        let mut rng = ctx.rng();
        // 5 GiB and up to 1 GiB more: above 4 GiB, so 32 bits cannot hold it, and never
        // the same twice.
        (file_name(&mut rng), (5 << 30) + rng.u64(1..1 << 30))
    };
    let dir = folder()?;
    // Sparse: that long, but no disk blocks written.
    fs::File::create(dir.path().join(&name))?.set_len(size)?;
    let output = run(ctx, &dir, &[&name])?;
    expect::exit_code(&output, 0, "the path exists")?;
    expect_block(
        &output,
        0,
        &[("name", &name), ("size", &size.to_string())],
        "a sparse file over 4 GiB: its size does not fit in 32 bits",
    )
}

fn directory_kind(ctx: &Ctx) -> Result<(), Failure> {
    let (name, inside) = {
        let mut rng = ctx.rng();
        let n = rng.usize(0..=20);
        (file_name(&mut rng), file_names(&mut rng, n))
    };
    let dir = folder()?;
    fs::create_dir(dir.path().join(&name))?;
    for file in &inside {
        write(&dir, &format!("{name}/{file}"), b"x")?;
    }
    let output = run(ctx, &dir, &[&name])?;
    expect::exit_code(&output, 0, "the path exists")?;
    let size = size_of(&dir, &name, true)?;
    expect_block(
        &output,
        0,
        &[("name", &name), ("size", &size), ("kind", "dir")],
        "a directory, its size as the file system reports it",
    )
}

/// A socket, a named pipe (when `mkfifo` is there to make one) and `/dev/null`: none is
/// a file, a directory or a link.
#[cfg(unix)]
fn other_kinds(ctx: &Ctx) -> Result<(), Failure> {
    let (socket, fifo, order) = {
        let mut rng = ctx.rng();
        let socket = format!("{}.sock", draw::short_word(&mut rng));
        let fifo = format!("{}.pipe", draw::short_word(&mut rng));
        (socket, fifo, rng.u64(..))
    };
    let dir = folder()?;
    // The listener owns the socket file; it stays bound until the check ends.
    let _listener = std::os::unix::net::UnixListener::bind(dir.path().join(&socket))?;
    let mut paths = vec![socket, "/dev/null".to_string()];
    // std makes no FIFO without unsafe code; coreutils' mkfifo does, where it exists.
    let made_fifo = std::process::Command::new("mkfifo")
        .arg(dir.path().join(&fifo))
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if made_fifo {
        paths.push(fifo);
    }
    fastrand::Rng::with_seed(order).shuffle(&mut paths);
    let args: Vec<&str> = paths.iter().map(String::as_str).collect();
    let output = run(ctx, &dir, &args)?;
    expect::exit_code(
        &output,
        0,
        "every path exists; stat (fs::metadata) looks at a path without opening it, \
         and these are not for opening: a socket cannot be opened, and opening a named \
         pipe waits for a writer",
    )?;
    for (n, path) in paths.iter().enumerate() {
        let name = Path::new(path)
            .file_name()
            .map_or(path.clone(), |n| n.to_string_lossy().into_owned());
        let what = match path.as_str() {
            "/dev/null" => "a device",
            p if p.ends_with(".sock") => "a Unix socket",
            _ => "a named pipe (FIFO)",
        };
        expect_block(
            &output,
            n,
            &[
                ("name", &name),
                ("size", &size_of(&dir, path, true)?),
                ("kind", "other"),
            ],
            &format!("{path} is {what}: not a file, a directory or a symlink"),
        )?;
    }
    Ok(())
}

/// Make `link` in `dir` point at `target` (which need not exist).
fn symlink(dir: &TempDir, target: &str, link: &str) -> Result<(), Failure> {
    let link = dir.path().join(link);
    #[cfg(unix)]
    let made = std::os::unix::fs::symlink(target, &link);
    #[cfg(windows)]
    let made = if dir.path().join(target).is_dir() {
        std::os::windows::fs::symlink_dir(target, &link)
    } else {
        std::os::windows::fs::symlink_file(target, &link)
    };
    made.map_err(|e| {
        Failure::new(format!(
            "the check could not create a symlink here ({e}); on Windows, turn on Developer Mode"
        ))
    })
}

/// A folder holding a file of drawn size, a folder, and a link to each:
/// `(dir, [file, folder, link to file, link to folder], file size)`.
fn with_symlinks(ctx: &Ctx) -> Result<(TempDir, [String; 4], usize), Failure> {
    let (names, size) = {
        let mut rng = ctx.rng();
        let names = file_names(&mut rng, 4);
        (names, rng.usize(1..=5000))
    };
    let dir = folder()?;
    write(&dir, &names[0], &vec![b'x'; size])?;
    fs::create_dir(dir.path().join(&names[1]))?;
    symlink(&dir, &names[0], &names[2])?;
    symlink(&dir, &names[1], &names[3])?;
    let names = [
        names[0].clone(),
        names[1].clone(),
        names[2].clone(),
        names[3].clone(),
    ];
    Ok((dir, names, size))
}

fn symlink_followed_by_default(ctx: &Ctx) -> Result<(), Failure> {
    let (dir, [_, folder_name, file_link, dir_link], size) = with_symlinks(ctx)?;
    let output = run(ctx, &dir, &[&file_link, &dir_link])?;
    expect::exit_code(&output, 0, "the links and what they point at exist")?;
    expect_block(
        &output,
        0,
        &[
            ("name", &file_link),
            ("size", &size.to_string()),
            ("kind", "file"),
        ],
        &format!("like os.Stat, a link is followed to the {size}-byte file it points at"),
    )?;
    expect_block(
        &output,
        1,
        &[
            ("name", &dir_link),
            ("size", &size_of(&dir, &folder_name, true)?),
            ("kind", "dir"),
        ],
        "like os.Stat, a link to a folder is followed to the folder",
    )
}

fn no_follow_reports_symlink(ctx: &Ctx) -> Result<(), Failure> {
    let (dir, [file, folder_name, file_link, dir_link], _) = with_symlinks(ctx)?;
    let output = run(ctx, &dir, &["--no-follow", &file_link, &dir_link])?;
    expect::exit_code(&output, 0, "the links exist")?;
    for (n, (link, target)) in [(&file_link, &file), (&dir_link, &folder_name)]
        .into_iter()
        .enumerate()
    {
        expect_block(
            &output,
            n,
            &[
                ("name", link),
                ("size", &target.len().to_string()),
                ("kind", "symlink"),
            ],
            &format!(
                "like os.Lstat, --no-follow describes the link itself, whose size is that of \
                 the path it holds: `{target}`, {} bytes",
                target.len()
            ),
        )?;
    }
    Ok(())
}

/// A folder with two files and a link to a name that does not exist:
/// `(dir, [file, dangling link, file], the link's target)`.
fn with_dangling_link(ctx: &Ctx) -> Result<(TempDir, [String; 3], String), Failure> {
    let names = file_names(&mut ctx.rng(), 4);
    let dir = folder()?;
    write(&dir, &names[0], b"a")?;
    write(&dir, &names[2], b"bb")?;
    symlink(&dir, &names[3], &names[1])?;
    Ok((
        dir,
        [names[0].clone(), names[1].clone(), names[2].clone()],
        names[3].clone(),
    ))
}

fn dangling_symlink_followed_is_an_error(ctx: &Ctx) -> Result<(), Failure> {
    let (dir, [before, link, after], target) = with_dangling_link(ctx)?;
    let output = run(ctx, &dir, &[&before, &link, &after])?;
    let error = fs::metadata(dir.path().join(&link))
        .err()
        .map_or_else(|| "an error".to_string(), |e| e.to_string());
    let wanted = format!("error: {link}: {error}");
    if !output.stderr_text().lines().any(|l| l == wanted) {
        return Err(Failure::expected(
            format!(
                "the line {wanted:?} on stderr (the link points at `{target}`, which does not \
                 exist: os.Stat follows it and fails)"
            ),
            "no such line",
        )
        .with_run(&output));
    }
    expect_block(
        &output,
        0,
        &[("name", &before)],
        "the path before the dangling link",
    )?;
    expect_block(
        &output,
        1,
        &[("name", &after)],
        "the path after the dangling link still prints",
    )?;
    expect_block_count(
        &output,
        2,
        "no block for the link that could not be followed",
    )?;
    expect::exit_code(&output, 1, "a path failed")
}

fn no_follow_dangling_symlink(ctx: &Ctx) -> Result<(), Failure> {
    let (dir, [_, link, _], target) = with_dangling_link(ctx)?;
    let output = run(ctx, &dir, &["--no-follow", &link])?;
    expect::exit_code(
        &output,
        0,
        "with --no-follow a dangling link is still a link that exists",
    )?;
    expect_block(
        &output,
        0,
        &[
            ("name", &link),
            ("size", &target.len().to_string()),
            ("kind", "symlink"),
        ],
        &format!(
            "os.Lstat describes the link without looking where it points (`{target}`, which \
             does not exist)"
        ),
    )
}

fn several_paths_in_order(ctx: &Ctx) -> Result<(), Failure> {
    let files: Vec<(String, usize)> = {
        let mut rng = ctx.rng();
        let n = rng.usize(3..=6);
        let names = file_names(&mut rng, n);
        names
            .into_iter()
            .map(|name| (name, rng.usize(0..=300)))
            .collect()
    };
    let dir = folder()?;
    for (name, size) in &files {
        write(&dir, name, &vec![b'x'; *size])?;
    }
    let args: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    let output = run(ctx, &dir, &args)?;
    expect::exit_code(&output, 0, "every path exists")?;
    for (n, (name, size)) in files.iter().enumerate() {
        expect_block(
            &output,
            n,
            &[("name", name), ("size", &size.to_string())],
            "one block per path, in the order given",
        )?;
    }
    expect_block_count(&output, files.len(), "one block per path")
}

fn name_is_final_component(ctx: &Ctx) -> Result<(), Failure> {
    let [top, sub, file] = {
        let mut rng = ctx.rng();
        let names = file_names(&mut rng, 3);
        [names[0].clone(), names[1].clone(), names[2].clone()]
    };
    let dir = folder()?;
    write(&dir, &format!("{top}/{sub}/{file}"), b"x")?;
    let cases = [
        (
            format!("{top}/{sub}/{file}"),
            file.as_str(),
            "FileInfo.Name() is the last component, not the whole path",
        ),
        (
            format!("{top}/{sub}/"),
            sub.as_str(),
            "a trailing slash does not change the last component",
        ),
        (
            format!("./{top}//{sub}"),
            sub.as_str(),
            "`./` before and `//` inside do not change the last component",
        ),
    ];
    let args: Vec<&str> = cases.iter().map(|(path, _, _)| path.as_str()).collect();
    let output = run(ctx, &dir, &args)?;
    expect::exit_code(&output, 0, "every path exists")?;
    for (n, (_, name, why)) in cases.iter().enumerate() {
        expect_block(&output, n, &[("name", name)], why)?;
    }
    Ok(())
}

fn dot_dotdot_and_root_names(ctx: &Ctx) -> Result<(), Failure> {
    let (sub, order) = {
        let mut rng = ctx.rng();
        (file_name(&mut rng), rng.u64(..))
    };
    let dir = folder()?;
    fs::create_dir(dir.path().join(&sub))?;
    // Go's os.Stat(p).Name() for each: the last element as written, `/` for the root.
    let mut cases = vec![
        (".".to_string(), "."),
        ("..".to_string(), ".."),
        ("/".to_string(), "/"),
        (format!("{sub}/."), "."),
        (format!("{sub}/.."), ".."),
    ];
    fastrand::Rng::with_seed(order).shuffle(&mut cases);
    let args: Vec<&str> = cases.iter().map(|(path, _)| path.as_str()).collect();
    let output = run(ctx, &dir, &args)?;
    expect::exit_code(&output, 0, "every path exists")?;
    for (n, (path, name)) in cases.iter().enumerate() {
        let size = size_of(&dir, path, true)?;
        let mut fields = vec![("name", *name), ("kind", "dir")];
        // The root a sandboxed program sees is not the machine's: its size is its own.
        if path != "/" {
            fields.push(("size", &size));
        }
        expect_block(
            &output,
            n,
            &fields,
            &format!("`{path}` is named `{name}`, as Go's os.Stat(\"{path}\").Name() is"),
        )?;
    }
    Ok(())
}

fn missing_path_reported_others_still_print(ctx: &Ctx) -> Result<(), Failure> {
    let [first_missing, a, missing, b] = {
        let names = file_names(&mut ctx.rng(), 4);
        [
            names[0].clone(),
            names[1].clone(),
            names[2].clone(),
            names[3].clone(),
        ]
    };
    let dir = folder()?;
    write(&dir, &a, b"a")?;
    write(&dir, &b, b"b")?;
    let output = run(ctx, &dir, &[&first_missing, &a, &missing, &b])?;
    // What the OS says for a missing path, in the words of this platform.
    let error = fs::metadata(dir.path().join(&missing))
        .err()
        .map_or_else(|| "an error".to_string(), |e| e.to_string());
    let error_line = |gone: &str| -> Result<(), Failure> {
        let wanted = format!("error: {gone}: {error}");
        if output.stderr_text().lines().any(|l| l == wanted) {
            return Ok(());
        }
        Err(Failure::expected(
            format!("the line {wanted:?} on stderr (the path that failed, then the OS error)"),
            "no such line",
        )
        .with_run(&output))
    };
    error_line(&first_missing)?;
    if output.stdout.starts_with(b"\n") {
        return Err(Failure::expected(
            "stdout to start with the first block (the first path failed and printed no \
             block, so no blank line separates anything from it)",
            "a blank line first",
        )
        .with_run(&output));
    }
    let why = format!(
        "a path that fails is reported and the others still print: `{a}` and `{b}` come \
         after the missing `{first_missing}`"
    );
    expect_block(&output, 0, &[("name", &a)], &why)?;
    expect_block(&output, 1, &[("name", &b)], &why)?;
    error_line(&missing)?;
    expect::no_line_starting(
        &output,
        "error:",
        "errors go to stderr: stdout holds only the blocks",
    )?;
    expect::exit_code(&output, 1, "a path failed")
}

/// The lines of the block fs_meta prints for `path` in `dir` (named `name`).
fn block_lines(dir: &TempDir, path: &str, name: &str, kind: &str) -> Result<Vec<Vec<u8>>, Failure> {
    Ok([
        format!("name: {name}"),
        format!("size: {}", size_of(dir, path, true)?),
        format!("kind: {kind}"),
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect())
}

fn whole_stdout_exact(ctx: &Ctx) -> Result<(), Failure> {
    let paths: Vec<(String, &str, usize)> = {
        let mut rng = ctx.rng();
        let n = rng.usize(2..=4);
        let names = file_names(&mut rng, n);
        names
            .into_iter()
            .map(|name| {
                let kind = if rng.u8(..3) == 0 { "dir" } else { "file" };
                (name, kind, rng.usize(0..=2000))
            })
            .collect()
    };
    let dir = folder()?;
    let mut wanted: Vec<Vec<u8>> = Vec::new();
    for (n, (name, kind, size)) in paths.iter().enumerate() {
        if *kind == "dir" {
            fs::create_dir(dir.path().join(name))?;
        } else {
            write(&dir, name, &vec![b'x'; *size])?;
        }
        if n > 0 {
            wanted.push(Vec::new());
        }
        wanted.extend(block_lines(&dir, name, name, kind)?);
    }
    let args: Vec<&str> = paths.iter().map(|(name, _, _)| name.as_str()).collect();
    let output = run(ctx, &dir, &args)?;
    expect::exit_code(&output, 0, "every path exists")?;
    expect::stdout_lines_exact(
        &output,
        &wanted,
        "stdout is exactly the blocks: `name:`, `size:`, `kind:`, one blank line between two \
         blocks, none before the first or after the last, nothing else",
    )
}

fn no_path_is_usage_error(ctx: &Ctx) -> Result<(), Failure> {
    let dir = folder()?;
    let output = run(ctx, &dir, &[])?;
    expect::usage_error(&output, "fs_meta", "no path given is a usage error")
}

fn no_follow_alone_is_usage_error(ctx: &Ctx) -> Result<(), Failure> {
    let dir = folder()?;
    let output = run(ctx, &dir, &["--no-follow"])?;
    expect::usage_error(
        &output,
        "fs_meta",
        "`--no-follow` is an option, not a path: with no path after it, there is nothing \
         to describe",
    )
}

fn unknown_option_is_usage_error(ctx: &Ctx) -> Result<(), Failure> {
    let (option, name) = {
        let mut rng = ctx.rng();
        let word = draw::short_word(&mut rng);
        let option = if rng.bool() {
            format!("-{}", &word[..1])
        } else {
            format!("--{word}")
        };
        (option, file_name(&mut rng))
    };
    let dir = folder()?;
    write(&dir, &name, b"x")?;
    let output = run(ctx, &dir, &[&option, &name])?;
    expect::usage_error(
        &output,
        "fs_meta",
        &format!(
            "`{option}` is not an option fs_meta knows (only --no-follow), and options come \
             before the paths: a usage error, not a path to look up"
        ),
    )
}

#[cfg(target_os = "linux")]
fn non_utf8_file_name(ctx: &Ctx) -> Result<(), Failure> {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    let (bytes, size) = {
        let mut rng = ctx.rng();
        let (mut bytes, _) = draw::not_utf8(&mut rng);
        bytes.extend_from_slice(b".txt");
        (bytes, rng.usize(1..=100))
    };
    let dir = folder()?;
    let name = OsString::from_vec(bytes.clone());
    fs::write(dir.path().join(&name), vec![b'x'; size])?;
    let output = fs_meta(ctx, &dir).arg(&name).run()?;
    expect::exit_code(
        &output,
        0,
        &format!(
            "a file named {} is legal on Linux",
            crate::bytes::show(&bytes)
        ),
    )?;
    let lossy = String::from_utf8_lossy(&bytes);
    expect_block(
        &output,
        0,
        &[("name", &lossy), ("size", &size.to_string())],
        "the name printed lossily, with U+FFFD for the bad byte",
    )
}
