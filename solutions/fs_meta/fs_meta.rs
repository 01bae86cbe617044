//! Reference solution for fs_meta: the name, size and kind of each
//! path, like Go's `os.Stat` (or `os.Lstat` with `--no-follow`). One bad
//! path never stops the others.

use std::fs;
use std::io;
use std::path::{MAIN_SEPARATOR_STR, Path, is_separator};
use std::process::ExitCode;

const USAGE: &str = "usage: fs_meta [--no-follow] PATH...";

// ANCHOR: main
fn main() -> ExitCode {
    // args_os, not args: a file name need not be valid UTF-8 on Unix.
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    // The option, if any, comes first: `fs_meta [--no-follow] PATH...`.
    let (follow, paths) = match args.split_first() {
        Some((first, rest)) if first == "--no-follow" => (false, rest),
        _ => (true, &args[..]),
    };
    // No path, or an option this program does not know (`-x`, `--bogus`) where the
    // paths start, is a usage error. A file named `-x` is still `./-x`.
    if paths
        .first()
        .is_none_or(|first| first.as_encoded_bytes().starts_with(b"-"))
    {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }

    let mut failed = false;
    let mut first_block = true;
    for arg in paths {
        let path = Path::new(arg);
        match describe(path, follow) {
            Ok(block) => {
                // A blank line between blocks, not after the last one.
                if !first_block {
                    println!();
                }
                first_block = false;
                print!("{block}");
            }
            Err(err) => {
                // Report and carry on: the other paths still deserve an answer.
                eprintln!("error: {}: {err}", path.display());
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
// ANCHOR_END: main

// ANCHOR: describe
/// The `name:`, `size:` and `kind:` lines for one path.
fn describe(path: &Path, follow: bool) -> io::Result<String> {
    // Go's os.Stat follows a symlink to what it points at; os.Lstat
    // looks at the link.
    let meta = if follow {
        fs::metadata(path)?
    } else {
        fs::symlink_metadata(path)?
    };

    // FileInfo.Name() is the last element of the path as given, trailing slashes
    // dropped: `file.txt` for `dir/sub/file.txt`, `sub` for `dir/sub/`, `.` for
    // `.` and `dir/.`, `..` for `..`, `/` for `/`; `link` for a symlink even when
    // it is followed. (`Path::file_name` has no answer for `.`, `..` and `/`, and
    // `components()` drops a `.` at the end.)
    let text = path.to_string_lossy();
    let trimmed = text.trim_end_matches(is_separator);
    let name = match trimmed.rsplit_once(is_separator) {
        Some((_, last)) => last,
        None if trimmed.is_empty() => MAIN_SEPARATOR_STR, // `/`, `//`: the root
        None => trimmed,
    };

    let file_type = meta.file_type();
    let kind = if file_type.is_symlink() {
        "symlink"
    } else if file_type.is_dir() {
        "dir"
    } else if file_type.is_file() {
        "file"
    } else {
        "other" // sockets, pipes, devices
    };

    // len() is a u64, like Go's Size() int64: files over 4 GiB are common.
    Ok(format!(
        "name: {name}\nsize: {}\nkind: {kind}\n",
        meta.len()
    ))
}
// ANCHOR_END: describe
