//! What a submission's build needs from outside its walls (`sandbox/builder.rs` puts them
//! up): the real toolchain (not the rustup proxy, which would read the grader's rustup
//! settings), the registry of the crates the exercises may use, the limits a build runs
//! under and the words for one a limit stopped, and compiler errors cut to what the
//! student's own files say.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use harness::sandbox::Limits;
use harness::{Cmd, Output};

/// Where a walled build sees its workspace (see sandbox/builder.rs).
pub const WORKSPACE_INSIDE: &str = "/build";

/// What one rustc (or linker, or cargo) of a submission's build may use. A cold build of
/// every reference solution (libc and socket2 included) peaks at 210 MiB in its largest
/// process and takes 4.7 s of CPU in all, on the machine this was written on: a tenth of
/// each limit. An 8 GiB const array is refused in 0.1 s, `include_bytes!("/dev/zero")`
/// stopped in 1.5 s, and a const loop after 20 s of CPU, not at the 600 s timeout.
pub const BUILD_LIMITS: Limits = Limits {
    memory: 2 * 1024 * 1024 * 1024,
    file_size: 512 * 1024 * 1024,
    processes: 256,
    open_files: 1024,
    cpu_seconds: 20,
    // Not a tmpfs: the build's target folder is on the grader's disk, each file bounded by
    // file_size and the whole by what 20 s of CPU per process can write.
    disk: 2 * 1024 * 1024 * 1024,
};

/// The most of a compiler error a report quotes.
pub const ERROR_CAP: usize = 4 * 1024;

/// The real toolchain and the registry, found once per process.
#[derive(Debug)]
pub struct Toolchain {
    /// `rustc --print sysroot`: holds bin/cargo, bin/rustc and the standard library.
    pub sysroot: PathBuf,
    /// `$CARGO_HOME/registry`, when there is one.
    pub registry: Option<PathBuf>,
}

/// The toolchain this checkout builds with, asked from its root (where a
/// rust-toolchain.toml of the checkout, never of an upload, is read).
pub fn toolchain(root: &Path) -> Result<&'static Toolchain, String> {
    static FOUND: OnceLock<Result<Toolchain, String>> = OnceLock::new();
    FOUND
        .get_or_init(|| find_toolchain(root))
        .as_ref()
        .map_err(Clone::clone)
}

fn find_toolchain(root: &Path) -> Result<Toolchain, String> {
    let output = Cmd::new("rustc")
        .args(["--print", "sysroot"])
        .cwd(root)
        .timeout(Duration::from_secs(60))
        .run()
        .map_err(|e| format!("could not ask rustc for its toolchain: {e}"))?;
    let sysroot = PathBuf::from(output.stdout_text().trim());
    if output.code() != Some(0) || !sysroot.join("bin").join("cargo").is_file() {
        return Err(format!(
            "rustc --print sysroot names no toolchain with cargo in it:\n{}",
            output.report()
        ));
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")));
    let registry = cargo_home
        .map(|home| home.join("registry"))
        .filter(|dir| dir.is_dir());
    Ok(Toolchain { sysroot, registry })
}

/// `cargo ARGS` on the scratch workspace `workspace`, inside the build's walls; None when
/// this process has no sandbox (the build then runs as today, see build.rs).
pub fn walled_cargo(toolchain: &Toolchain, workspace: &Path, limits: &Limits) -> Option<Cmd> {
    let wall = match harness::sandbox::mode() {
        harness::sandbox::Mode::Namespaces => "namespaces",
        harness::sandbox::Mode::OtherUser if others_may_use(toolchain) => "user",
        harness::sandbox::Mode::OtherUser if shared_toolchain(toolchain).is_some() => {
            return walled_cargo(shared_toolchain(toolchain)?, workspace, limits);
        }
        harness::sandbox::Mode::OtherUser => {
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                eprintln!(
                    "warning: the toolchain {} (or the registry) is not readable by other \
                     users and could not be shared, so submissions are built as you, \
                     outside the walls (their programs still run as users of their own); \
                     install Rust where others may read it (RUSTUP_HOME and CARGO_HOME \
                     under /opt, say) to build them as users of their own",
                    toolchain.sysroot.display()
                );
            });
            return None;
        }
        harness::sandbox::Mode::Unsandboxed => return None,
    };
    let exe = std::env::current_exe().ok()?;
    let registry = toolchain.registry.clone().unwrap_or_default();
    Some(
        Cmd::new(exe)
            .args([harness::sandbox::LAUNCHER_ARG, "build", wall])
            .arg(workspace)
            .arg(&toolchain.sysroot)
            .arg(registry)
            .arg(limits.to_arg())
            .arg("--"),
    )
}

/// A copy of the toolchain (its bin/cargo, bin/rustc and lib/) and the registry that other
/// users may read, for the other-user mode where they live in root's home: hard links in
/// this process's scratch folder (removed when grade ends), copies where links cannot be
/// made. None if it cannot be made or is still unreadable.
fn shared_toolchain(toolchain: &Toolchain) -> Option<&'static Toolchain> {
    static SHARED: OnceLock<Option<Toolchain>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            let dest = std::env::temp_dir().join("netlab-toolchain");
            let sysroot = dest.join("sysroot");
            let made = (|| -> std::io::Result<Option<PathBuf>> {
                for part in ["bin/cargo", "bin/rustc", "lib"] {
                    link_tree(&toolchain.sysroot.join(part), &sysroot.join(part))?;
                }
                let Some(registry) = &toolchain.registry else {
                    return Ok(None);
                };
                link_tree(registry, &dest.join("registry"))?;
                Ok(Some(dest.join("registry")))
            })();
            let shared = Toolchain {
                sysroot,
                registry: made.ok()?,
            };
            others_may_use(&shared).then_some(shared)
        })
        .as_ref()
}

/// Hard-link (or copy) the tree at `from` to `to`, folders readable by everyone.
fn link_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(from)?;
    if meta.file_type().is_symlink() {
        std::os::unix::fs::symlink(std::fs::read_link(from)?, to)
    } else if meta.is_dir() {
        std::fs::create_dir_all(to)?;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o755))?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            link_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
            std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o755))?;
        }
        if std::fs::hard_link(from, to).is_err() {
            std::fs::copy(from, to)?;
        }
        Ok(())
    }
}

/// Whether a user id of its own can reach the toolchain and the registry (every folder
/// above them searchable by others): the other-user mode has no view to show them in.
fn others_may_use(toolchain: &Toolchain) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let searchable = |path: &Path| {
        path.ancestors().all(|dir| {
            std::fs::metadata(dir).is_ok_and(|meta| meta.permissions().mode() & 0o001 != 0)
        })
    };
    searchable(&toolchain.sysroot.join("lib"))
        && toolchain.registry.as_deref().is_none_or(searchable)
}

/// In the other-user mode, make the checkout's solutions/ the grader's alone (mode 700,
/// as the reference binaries are): a build or a program running as another user id
/// would otherwise read them wherever the checkout is readable by everyone. Namespaces
/// need no such change: the checkout is not in their view.
pub fn hide_solutions(root: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if harness::sandbox::mode() == harness::sandbox::Mode::OtherUser {
        let solutions = root.join("solutions");
        if solutions.is_dir() {
            let _ = std::fs::set_permissions(&solutions, std::fs::Permissions::from_mode(0o700));
        }
    }
}

/// The workspace as cargo names it in its messages: inside the walls, or where it is.
pub fn workspace_as_seen(workspace: &Path) -> PathBuf {
    match harness::sandbox::mode() {
        harness::sandbox::Mode::Namespaces => PathBuf::from(WORKSPACE_INSIDE),
        _ => workspace.to_path_buf(),
    }
}

/// When the build of binary `bin` ended at one of its `limits` ([`BUILD_LIMITS`] unless
/// grade was told `--build-limits`), the words for it.
/// `own_error` is the compiler's error for `bin`, if it gave one: a limit that killed its
/// rustc shows in cargo's log, on the line naming the crate (`--crate-name bin`); one
/// that made an allocation fail, in rustc's own error.
pub fn stopped_by_limit(
    output: &Output,
    bin: &str,
    own_error: Option<&str>,
    limits: &Limits,
) -> Option<String> {
    let log = output.stderr_text();
    let crate_name = format!("--crate-name {bin} ");
    let its_line = log
        .lines()
        .find(|line| line.contains("didn't exit successfully") && line.contains(&crate_name));
    let killed_by = |names: &[&str]| its_line.is_some_and(|l| names.iter().any(|n| l.contains(n)));
    let allocation_failed = own_error.is_some_and(|e| {
        e.contains("more memory than available to compiler") || e.contains(": out of memory")
    }) || (killed_by(&["SIGABRT", "SIGSEGV", "signal: 6", "signal: 11"])
        && log.contains("memory allocation of"));
    if allocation_failed {
        return Some(format!(
            "error: the build used more than {} GiB of memory (grade's limit for a build)",
            limits.memory / (1024 * 1024 * 1024)
        ));
    }
    if killed_by(&["SIGXCPU", "signal: 24"]) {
        return Some(format!(
            "error: the build used more than {} s of CPU time in one process (grade's limit \
             for a build)",
            limits.cpu_seconds
        ));
    }
    if killed_by(&["SIGXFSZ", "signal: 25"]) {
        return Some(format!(
            "error: the build wrote a file larger than {} MiB (grade's limit for a build)",
            limits.file_size / (1024 * 1024)
        ));
    }
    if own_error.is_none() && log.contains("No space left on device") {
        return Some(
            "error: the build filled its temporary space (grade's limit for a build)".to_string(),
        );
    }
    if own_error.is_none() && log.contains("Resource temporarily unavailable") {
        return Some(format!(
            "error: the build started more than {} processes and threads (grade's limit for \
             a build)",
            limits.processes
        ));
    }
    None
}

/// A compiler error as a report may quote it: the snippets rustc shows from the student's
/// own files (`exercises/<ex>/src/`, already made relative) stay; a message about any
/// other file keeps its first line only, so that no line of a file the build could read
/// (the standard library, a crate, anything else) is quoted; the whole capped at
/// [`ERROR_CAP`].
pub fn own_files_only(rendered: &str, own_src: &str) -> String {
    let mut kept = String::new();
    let mut lines = rendered.lines();
    if let Some(first) = lines.next() {
        kept.push_str(first);
        kept.push('\n');
    }
    // Quoting goes on while the last `--> file` named one of the student's files. The
    // message's own further lines (before the first `-->`) are cut: a `compile_error!`
    // of a file read at compile time is all message.
    let mut quoting = false;
    let mut cut = false;
    for line in lines {
        let trimmed = line.trim_start();
        if let Some(file) = trimmed
            .strip_prefix("--> ")
            .or_else(|| trimmed.strip_prefix("::: "))
        {
            quoting = file.starts_with(own_src);
        }
        if !quoting && !line.trim().is_empty() {
            cut = true;
        }
        if quoting {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    if cut {
        kept.push_str("(lines that are not from your own files: left out)\n");
    }
    cap(kept.trim_end())
}

/// `text` without any line that stands in a reference solution (`solution_lines`, trimmed,
/// the short ones left out): whatever the build could read, no line of the reference
/// reaches a report.
pub fn without_solution_lines(text: &str, solution_lines: &BTreeSet<String>) -> String {
    let mut kept = String::new();
    for line in text.lines() {
        let bare = line.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ' || c == '|');
        let bare = bare.trim_start_matches("error: ").trim();
        if bare.len() >= 12 && solution_lines.contains(bare) {
            kept.push_str("(a line of a reference solution: left out)\n");
        } else {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    kept.trim_end().to_string()
}

/// Every line of the reference solutions of `root`, trimmed, 12 bytes or longer.
pub fn solution_lines(root: &Path) -> BTreeSet<String> {
    let mut lines = BTreeSet::new();
    let mut folders = vec![root.join("solutions")];
    while let Some(dir) = folders.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                lines.extend(
                    text.lines()
                        .map(str::trim)
                        .filter(|l| l.len() >= 12)
                        .map(String::from),
                );
            }
        }
    }
    lines
}

fn cap(text: &str) -> String {
    if text.len() <= ERROR_CAP {
        return text.to_string();
    }
    let mut end = ERROR_CAP;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}\n... (cut: {} more bytes)",
        &text[..end],
        text.len() - end
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_the_students_files_and_caps() {
        let rendered = "error: the secret line\nmore secret\n  --> /home/prof/secret.rs:1:1\n   |\n1 | \
                        secret\n\nerror[E0425]: x\n  --> src/bin/a.rs:2:3\n   |\n2 | mine\n";
        let kept = own_files_only(rendered, "src/");
        assert!(
            !kept.contains("| secret") && !kept.contains("more"),
            "{kept}"
        );
        assert!(kept.contains("error: the secret line"));
        assert!(kept.contains("2 | mine"), "{kept}");
        let long = format!("error: x\n  --> src/a.rs:1:1\n{}", "é".repeat(5000));
        let capped = own_files_only(&long, "src/");
        assert!(capped.len() < ERROR_CAP + 100 && capped.contains("cut: "));
    }
}
