//! The walls a program under test cannot see from inside, proved from outside through the
//! real grade binary: graded under a pseudo-terminal, sandbox-terminal reaches neither its
//! screen nor its input; the setuid file sandbox-setuid-plant leaves in its folder is
//! never setuid-root. Each in every mode this machine has (the other-user mode as root).

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use harness::Cmd;
use serde_json::Value;

use crate::common::{fixture_submission, grade_exe, root, scratch};

fn is_root() -> bool {
    fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(1) == 0
}

/// The modes to grade in: the default (namespaces where the machine has them) and, as
/// root, the other-user mode.
fn modes() -> Vec<&'static str> {
    if is_root() {
        vec!["", "user"]
    } else {
        eprintln!("not root: the other-user mode is root's; graded in the default mode only");
        vec![""]
    }
}

/// grade's environment: HOME a fake home (cargo and rustup keep theirs), the mode forced
/// unless it is empty.
fn with_env(cmd: Cmd, mode: &str, home: &Path) -> Cmd {
    crate::common::with_home(cmd, home, mode)
        .cwd(root())
        .timeout(Duration::from_secs(600))
}

/// grade's arguments: `submission`'s os_args, as JSON, built in `out`.
fn grade_args(submission: &Path, out: &Path) -> Vec<OsString> {
    let mut args = vec![submission.as_os_str().to_owned()];
    args.extend(["--exercise=os_args", "--format=json", "--scratch"].map(OsString::from));
    args.push(out.as_os_str().to_owned());
    args
}

fn full_marks(report: &str, what: &str) {
    let report: Value = serde_json::from_str(report)
        .unwrap_or_else(|e| panic!("{what}: grade's JSON does not parse: {e}\n{report}"));
    assert_eq!(report["score"], report["max_score"], "{what}: {report}");
    assert!(
        report["sandbox"].as_str().unwrap().starts_with("sandboxed"),
        "{what}: {report}"
    );
}

fn quoted(arg: &std::ffi::OsStr) -> String {
    format!("'{}'", arg.to_string_lossy().replace('\'', r"'\''"))
}

/// Graded under a pseudo-terminal (script(1)), with the shell reading what is left in the
/// terminal's input afterwards: nothing sandbox-terminal wrote or pushed (TIOCSTI) shows
/// on the terminal, which echoes pushed input.
pub fn no_program_reaches_the_graders_terminal() {
    let _one_at_a_time = crate::common::hostile_alone();
    if Cmd::new("script").arg("--version").run().is_err() {
        eprintln!("no script(1) here to make a pseudo-terminal with: nothing proved");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let class = scratch("terminal-class");
    let submission = fixture_submission("sandbox-terminal", &class.join("s"));
    for mode in modes() {
        let out = scratch("terminal");
        let report = scratch("terminal-report.json");
        let mut line = vec![quoted(grade_exe().as_os_str())];
        line.extend(grade_args(&submission, &out).iter().map(|a| quoted(a)));
        let shell = format!(
            "{} >{} 2>&1 </dev/null; bash -c 'read -r -t 1 line; echo \"input left: $line\"'",
            line.join(" "),
            quoted(report.as_os_str())
        );
        let script = Cmd::new("script").args(["-qec", &shell, "/dev/null"]);
        let terminal = with_env(script, mode, home.path())
            .run()
            .expect("script starts");
        let seen = terminal.stdout_text();
        for mark in ["netlab-tty-987010", "netlab-pwned-987005"] {
            assert!(
                !seen.contains(mark),
                "mode {mode:?}: {mark} reached the terminal:\n{seen}"
            );
        }
        assert!(
            seen.contains("input left"),
            "mode {mode:?}: the shell after grade did not run:\n{}",
            terminal.report()
        );
        full_marks(&fs::read_to_string(&report).unwrap(), mode);
        assert!(!Path::new("/tmp/netlab-pwned-987005").exists());
    }
}

/// The setuid copy of `id` sandbox-setuid-plant leaves in its folder, looked for while
/// grade runs: as another user it is found, and belongs to the program's user, never root;
/// in namespaces it never leaves the program's own scratch, a tmpfs gone with it.
pub fn a_planted_setuid_file_is_never_setuid_root() {
    let _one_at_a_time = crate::common::hostile_alone();
    let home = tempfile::tempdir().unwrap();
    let class = scratch("setuid-class");
    let submission = fixture_submission("sandbox-setuid-plant", &class.join("s"));
    for mode in modes() {
        let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let out = scratch("setuid");
        let grade = Cmd::new(grade_exe()).args(grade_args(&submission, &out));
        let mut running = with_env(grade, mode, home.path())
            .env("TMPDIR", tmp.path())
            .spawn()
            .expect("grade starts");
        let mut found = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(300);
        while !running.has_exited() && Instant::now() < deadline {
            for planted in planted_below(tmp.path(), running.id()) {
                if found.contains(&planted) {
                    continue;
                }
                if let Ok(meta) = fs::symlink_metadata(&planted) {
                    assert!(
                        !(meta.uid() == 0 && meta.mode() & 0o4000 != 0),
                        "mode {mode:?}: {} is setuid-root",
                        planted.display()
                    );
                    if is_root() {
                        assert_ne!(meta.uid(), 0, "mode {mode:?}: the program ran as root");
                    }
                    let _ = fs::write(planted.with_extension("seen"), "");
                    found.push(planted);
                }
            }
            // Polling the folder: the program waits for the mark, a second at most.
            harness::wait::on_purpose(Duration::from_millis(10), "a look every 10 ms");
        }
        let output = running.wait();
        full_marks(&output.stdout_text(), mode);
        if mode.is_empty() {
            // In namespaces a program whose command names no check folder writes in a
            // small scratch of its own (sandbox/check_folders.rs), gone with it: what it
            // planted is nowhere anybody else could run it.
            assert!(
                found.is_empty(),
                "mode {mode:?}: a planted file left the program's own scratch: {found:?}"
            );
        } else {
            assert!(
                !found.is_empty(),
                "mode {mode:?}: no planted file was seen, nothing proved:\n{}",
                output.report()
            );
        }
    }
}

/// Every `netlab-suid-987008` below `dir`, as grade's workers see it: each mounts its
/// scratch folder's tmpfs in a mount namespace of its own (/proc/PID/root is its view).
fn planted_below(dir: &Path, grade: u32) -> Vec<PathBuf> {
    let mut found = Vec::new();
    // Started by any of grade's threads.
    let mut workers = String::new();
    for task in fs::read_dir(format!("/proc/{grade}/task"))
        .into_iter()
        .flatten()
    {
        let children = task.map(|t| t.path().join("children"));
        workers += &children.and_then(fs::read_to_string).unwrap_or_default();
        workers.push(' ');
    }
    let mut folders: Vec<PathBuf> = workers
        .split_whitespace()
        .map(|pid| Path::new("/proc").join(pid).join("root"))
        .map(|root| root.join(dir.strip_prefix("/").unwrap_or(dir)))
        .collect();
    folders.push(dir.to_path_buf());
    while let Some(folder) = folders.pop() {
        let Ok(entries) = fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                folders.push(path);
            } else if entry.file_name() == "netlab-suid-987008" {
                found.push(path);
            }
        }
    }
    found
}
