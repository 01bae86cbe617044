//! What every test of the grade binary shares: where the checkout is, a scratch folder,
//! grade run as a user runs it (with a deadline), its JSON, and a fixture made into a
//! submission.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use harness::{Cmd, Output};
use serde_json::Value;

/// The netlab checkout the tests run grade in: a copy of this one as a fresh clone holds
/// it (the starters as committed, see `grading::starters::mirror_checkout`), so that
/// exercises a maintainer or student solved or broke here change no result.
pub fn root() -> PathBuf {
    static ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| {
        let workspace = grading::build::Workspace::locate().expect("the tests run in a checkout");
        let copy = Path::new(env!("CARGO_TARGET_TMPDIR")).join("grade-tests-checkout");
        grading::starters::mirror_checkout(&workspace, &copy, Default::default())
            .expect("the checkout can be copied");
        copy
    })
    .clone()
}

/// A scratch folder for `name`, which one test alone uses: tests run at the same time,
/// and a folder kept between runs keeps that test's builds warm.
/// Canonical, as grade takes a scratch folder: with a relative CARGO_TARGET_DIR, cargo's
/// paths hold `checkout/../target`, which a process's command line would not show.
pub fn scratch(name: &str) -> PathBuf {
    let all = Path::new(env!("CARGO_TARGET_TMPDIR")).join("grade-tests");
    fs::create_dir_all(&all).expect("the tests' scratch folder can be made");
    all.canonicalize().unwrap_or(all).join(name)
}

pub fn grade_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_grade"))
}

/// `exe` run in `cwd` with `args`, within ten minutes (a cold build of every exercise).
pub fn grade_in<S: AsRef<OsStr>>(exe: &Path, cwd: &Path, args: &[S]) -> Output {
    Cmd::new(exe)
        .args(args)
        .cwd(cwd)
        .timeout(Duration::from_secs(600))
        .run()
        .expect("grade starts")
}

/// grade run from the checkout's root.
pub fn grade<S: AsRef<OsStr>>(args: &[S]) -> Output {
    grade_in(&grade_exe(), &root(), args)
}

/// The JSON report on stdout of a run that must have succeeded.
pub fn json_of(output: &Output) -> Value {
    assert_eq!(output.code(), Some(0), "grade failed:\n{}", output.report());
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("grade's JSON does not parse: {e}\n{}", output.report());
    })
}

/// The fixture `name` made into a submission at `dest` (a folder shaped like exercises/):
/// the reference solution with the recorded mistake in it.
pub fn fixture_submission(name: &str, dest: &Path) -> PathBuf {
    let fixture = root().join("tests/fixtures").join(name);
    let exercise = grading::fixture::exercise_of(&fixture).expect("a fixture holds an exercise");
    let workspace = grading::build::Workspace::locate().unwrap();
    let _ = fs::remove_dir_all(dest);
    grading::fixture::submission(&workspace, exercise, &fixture, &dest.join(exercise.name))
        .unwrap();
    dest.to_path_buf()
}

/// Write `bytes` at `path`, making its folders.
pub fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

/// The reference solution of `bin`, as a student would upload it.
pub fn solution(exercise: &str, bin: &str) -> Vec<u8> {
    fs::read(
        root()
            .join("solutions")
            .join(exercise)
            .join(format!("{bin}.rs")),
    )
    .unwrap()
}

/// A fake home as homes are (mode 700, which the other-user sandbox relies on), holding
/// `netlab-secret.txt` with a secret no report may show; the secret names `test`, so that
/// one test's secret is never another's (they run in one process).
pub fn fake_home(test: &str) -> (tempfile::TempDir, String) {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::Builder::new()
        .permissions(fs::Permissions::from_mode(0o700))
        .tempdir()
        .unwrap();
    let secret = format!("netlab-secret-{}-{test}", std::process::id());
    fs::write(home.path().join("netlab-secret.txt"), &secret).unwrap();
    (home, secret)
}

/// What one process of a build may use in these tests: 5 s of CPU time, not 20 (a cold
/// build of every solution takes 2.2 s of CPU in all here), so that the fixture whose
/// build loops costs seconds. The limit stops the build all the same, and says which.
pub const BUILD_LIMITS: &str = "--build-limits=cpu=5";

/// Held by each test that grades the sandbox-* fixtures whose programs are marked
/// `987...` (processes left behind, a mark written in /tmp): each looks for what those
/// leave, and must not find what another test's are doing at that moment.
pub static HOSTILE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// One test at a time that grades the marked hostile fixtures (see [`HOSTILE`]).
pub fn hostile_alone() -> std::sync::MutexGuard<'static, ()> {
    HOSTILE.lock().unwrap_or_else(|e| e.into_inner())
}

/// grade as an instructor runs it, but with HOME a fake home (a canary's place): cargo
/// and rustup keep their real homes, which they find through HOME unless told. The
/// sandbox's mode is forced to `mode` unless it is empty. Builds get [`BUILD_LIMITS`].
pub fn grade_with_home(home: &Path, mode: &str) -> Cmd {
    with_home(Cmd::new(grade_exe()), home, mode).arg(BUILD_LIMITS)
}

/// `cmd` (a grade, or what starts one) with [`grade_with_home`]'s environment.
pub fn with_home(mut cmd: Cmd, home: &Path, mode: &str) -> Cmd {
    let real = PathBuf::from(std::env::var_os("HOME").unwrap_or_default());
    for (var, default) in [("CARGO_HOME", ".cargo"), ("RUSTUP_HOME", ".rustup")] {
        let dir = std::env::var_os(var).map_or_else(|| real.join(default), PathBuf::from);
        cmd = cmd.env(var, dir);
    }
    if !mode.is_empty() {
        cmd = cmd.env(harness::sandbox::VAR, mode);
    }
    cmd.env("HOME", home)
}

/// Every process whose command line mentions `needle`, as `pid: command line`.
pub fn processes_mentioning(needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(cmdline) = fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if cmdline.windows(needle.len()).any(|w| w == needle) {
            let line = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            found.push(format!("{}: {line}", entry.file_name().to_string_lossy()));
        }
    }
    found
}
