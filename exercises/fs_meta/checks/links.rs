//! Symbolic links: followed by default like Go's os.Stat, reported as links with
//! `--no-follow` like os.Lstat, and a dangling link an error only when followed.

use std::fs;

use harness::expect;
use harness::{Ctx, Failure};

use super::common::*;

/// Make `link` in `dir` point at `target` (which need not exist).
pub(super) fn symlink(dir: &Folder, target: &str, link: &str) -> Result<(), Failure> {
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
pub(super) fn with_symlinks(ctx: &Ctx) -> Result<(Folder, [String; 4], usize), Failure> {
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

pub(super) fn symlink_followed_by_default(ctx: &Ctx) -> Result<(), Failure> {
    let (dir, [_, folder_name, file_link, dir_link], size) = with_symlinks(ctx)?;
    // And a link to a link: followed to the end of the chain.
    let chain = format!("{file_link}~");
    symlink(&dir, &file_link, &chain)?;
    let output = run(ctx, &dir, &[&file_link, &dir_link, &chain])?;
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
    )?;
    expect_block(
        &output,
        2,
        &[
            ("name", &chain),
            ("size", &size.to_string()),
            ("kind", "file"),
        ],
        &format!("a link to a link is followed to the end: the {size}-byte file"),
    )
}

pub(super) fn no_follow_reports_symlink(ctx: &Ctx) -> Result<(), Failure> {
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
pub(super) fn with_dangling_link(ctx: &Ctx) -> Result<(Folder, [String; 3], String), Failure> {
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

pub(super) fn dangling_symlink_followed_is_an_error(ctx: &Ctx) -> Result<(), Failure> {
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

pub(super) fn no_follow_dangling_symlink(ctx: &Ctx) -> Result<(), Failure> {
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
