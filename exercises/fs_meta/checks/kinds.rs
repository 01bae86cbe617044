//! fs_meta on one path of each kind: a file with its size, an empty one, a sparse one
//! past 4 GiB (sizes are u64), a folder, and what is none of those (a socket, a FIFO,
//! a device).

use std::fs;
use std::path::Path;

use harness::draw;
use harness::expect;
use harness::{Ctx, Failure};

use super::common::*;

pub(super) fn regular_file_name_and_size(ctx: &Ctx) -> Result<(), Failure> {
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

pub(super) fn empty_file(ctx: &Ctx) -> Result<(), Failure> {
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

pub(super) fn sparse_5gib_file(ctx: &Ctx) -> Result<(), Failure> {
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

pub(super) fn directory_kind(ctx: &Ctx) -> Result<(), Failure> {
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
pub(super) fn other_kinds(ctx: &Ctx) -> Result<(), Failure> {
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
    // std makes no FIFO without unsafe code; coreutils' mkfifo does, where it exists
    // (a tool of the check's own, not a program under test).
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
