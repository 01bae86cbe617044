//! fs_meta: print the name, size and kind of each path given, like Go's os.Stat.
//! Book chapter: "fs_meta". Check your work with `cargo test -p fs_meta`.
//!
//! Expected output for `fs_meta notes.txt photos`:
//!
//! ```text
//! name: notes.txt
//! size: 1234
//! kind: file
//!
//! name: photos
//! size: 4096
//! kind: dir
//! ```

fn main() {
    // Step 1. Read the arguments with `std::env::args_os().skip(1)` (Go: os.Args[1:]).
    //         If the first one is `--no-follow`, remember that and drop it.
    //
    // Step 2. No path left, or the first one starts with `-` (an option you do not
    //         know, like `-x`)? Print `usage: fs_meta [--no-follow] PATH...` to stderr
    //         and exit with code 2: `return std::process::ExitCode::from(2)` from a
    //         `fn main() -> ExitCode`.
    //
    // Step 3. For each path, get its metadata:
    //           Go os.Stat(path)   ->  std::fs::metadata(path)          (follows symlinks)
    //           Go os.Lstat(path)  ->  std::fs::symlink_metadata(path)  (looks at the link)
    //         and print three lines, with a blank line between two paths' blocks:
    //           name: FileInfo.Name()  ->  the path's last component, as written:
    //                 `Path::file_name` for most paths, but it is None for `.`, `..`
    //                 and `/`, which Go names `.`, `..` and `/` (see the book)
    //           size: Size()           ->  `meta.len()`, a u64 (files over 4 GiB exist)
    //           kind: file | dir | symlink | other
    //                 IsDir()          ->  `meta.is_dir()`
    //                 Mode()&ModeSymlink -> `meta.file_type().is_symlink()`
    //         A file name need not be UTF-8: print it with `.to_string_lossy()`.
    //
    // Step 4. A path that fails (missing, no permission): print
    //         `error: <path>: <the error>` to stderr and go on with the next path.
    //         At the end, exit with code 1 if any path failed.
    todo!("print name, size and kind for each path")
}
