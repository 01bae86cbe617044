//! Several paths in one run: blocks in order, the name as the path's last component, a
//! path that fails among good ones, the whole stdout byte for byte, and file names that
//! are not UTF-8.

use std::fs;

use harness::draw;
use harness::expect;
use harness::{Ctx, Failure};

use super::common::*;

pub(super) fn several_paths_in_order(ctx: &Ctx) -> Result<(), Failure> {
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

pub(super) fn name_is_final_component(ctx: &Ctx) -> Result<(), Failure> {
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

pub(super) fn dot_dotdot_and_root_names(ctx: &Ctx) -> Result<(), Failure> {
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
        // The root a sandboxed program sees is not the machine's, nor is the folder
        // above the check's (it holds the check's folder alone): their sizes are their own.
        if path != "/" && path != ".." {
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

pub(super) fn missing_path_reported_others_still_print(ctx: &Ctx) -> Result<(), Failure> {
    // Paths that fail first, among the others and last; missing, and one under a file
    // (not a directory: an error that is not "not found").
    let [first_missing, a, missing, b, last_missing, inner] = {
        let names = file_names(&mut ctx.rng(), 6);
        [0, 1, 2, 3, 4, 5].map(|i| names[i].clone())
    };
    let dir = folder()?;
    write(&dir, &a, b"a")?;
    write(&dir, &b, b"b")?;
    let under_file = format!("{a}/{inner}");
    // What the OS says for each path, in the words of this platform: asked before the
    // run, as a program could put links in the folder (trusted code follows none).
    let failing = [&first_missing, &missing, &under_file, &last_missing];
    let errors: Vec<(String, String)> = failing
        .iter()
        .map(|path| {
            let error = fs::metadata(dir.path().join(path))
                .err()
                .map_or_else(|| "an error".to_string(), |e| e.to_string());
            (path.to_string(), error)
        })
        .collect();
    let output = run(
        ctx,
        &dir,
        &[&first_missing, &a, &missing, &under_file, &b, &last_missing],
    )?;
    let error_line = |gone: &str| -> Result<(), Failure> {
        let error = errors
            .iter()
            .find(|(path, _)| path == gone)
            .map_or("an error", |(_, error)| error.as_str());
        let wanted = format!("error: {gone}: {error}");
        if output.stderr_text().lines().any(|l| l == wanted) {
            return Ok(());
        }
        Err(Failure::expected(
            format!(
                "the line {wanted:?} on stderr (the path that failed, then the OS's error \
                 as io::Error prints it: each kind of failure has its own words)"
            ),
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
    error_line(&under_file)?;
    error_line(&last_missing)?;
    expect::no_line_starting(
        &output,
        "error:",
        "errors go to stderr: stdout holds only the blocks",
    )?;
    let mut wanted = block_lines(&dir, &a, &a, "file")?;
    wanted.push(Vec::new());
    wanted.extend(block_lines(&dir, &b, &b, "file")?);
    expect::stdout_lines_exact(
        &output,
        &wanted,
        "stdout is the blocks of the paths that worked, one blank line between them: none \
         for the paths that failed, first, among them or last",
    )?;
    expect::exit_code(&output, 1, "a path failed")
}

/// The lines of the block fs_meta prints for `path` in `dir` (named `name`).
pub(super) fn block_lines(
    dir: &Folder,
    path: &str,
    name: &str,
    kind: &str,
) -> Result<Vec<Vec<u8>>, Failure> {
    Ok([
        format!("name: {name}"),
        format!("size: {}", size_of(dir, path, true)?),
        format!("kind: {kind}"),
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect())
}

pub(super) fn whole_stdout_exact(ctx: &Ctx) -> Result<(), Failure> {
    // Every run: a file with bytes in it, an empty one and a folder, in a drawn order.
    let paths: Vec<(String, &str, usize)> = {
        let mut rng = ctx.rng();
        let names = file_names(&mut rng, 3);
        let mut paths = vec![
            (names[0].clone(), "file", rng.usize(1..=2000)),
            (names[1].clone(), "file", 0),
            (names[2].clone(), "dir", 0),
        ];
        rng.shuffle(&mut paths);
        paths
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

#[cfg(target_os = "linux")]
pub(super) fn non_utf8_file_name(ctx: &Ctx) -> Result<(), Failure> {
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
            harness::bytes::show(&bytes)
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
