//! The walls around a program under test. Submissions are code written by strangers who
//! want a good score; the harness runs it, so nothing it runs may outlive its check, see
//! the reference programs or the user's files, reach beyond loopback, reach the user's
//! terminal, be the host's root, or touch a report.
//!
//! Three modes, chosen once per process by [`init`] (or forced with `NETLAB_SANDBOX`):
//! - [`Mode::Namespaces`] (Linux, unprivileged user namespaces, no root needed): each check
//!   runs in a network namespace of its own (loopback only, shared by the check's peers,
//!   the reference programs and the program under test); each program under test runs in
//!   PID, mount, IPC and user namespaces of its own, sees only the system folders
//!   (read-only), a walled /proc (`proc_view.rs`), its own binary and the check folders
//!   its command names (`check_folders.rs`; nosuid, nodev), and is held to [`Limits`].
//!   When it ends, or is killed, everything it started dies with it (the kernel ends a PID
//!   namespace with its first process). As root, each program runs as a host user id of
//!   its own, never 0 (`linux.rs` maps those ids, the launcher becomes one).
//! - [`Mode::OtherUser`] (root without user namespaces, as in some containers): the program
//!   runs as a user id of its own with the limits, and everything that user id runs is
//!   killed when the check ends. It sees what every user may see (other_user.rs says what
//!   that leaves open).
//! - [`Mode::Unsandboxed`]: deadlines and process groups only. Fine for a student's own
//!   code; grade refuses other people's submissions in this mode unless told
//!   `--unsandboxed`.
//!
//! In both sandboxed modes the program starts in a session of its own (no controlling
//! terminal), with none of the harness's environment but PATH, HOME, TMPDIR and the locale
//! (`process.rs` clears the rest: a grader's tokens and passwords are no stranger's
//! business), with a fresh empty session keyring, behind a seccomp filter (`seccomp.rs`:
//! no new namespaces or mounts, no memory the limits do not count, no io_uring, bpf,
//! ptrace...). A grade worker's scratch folder is a tmpfs of a fixed size where it can
//! make a mount namespace (`scratch.rs`); a scratch folder left by a harness that was
//! killed is swept at the next start.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::OnceLock;

#[cfg(target_os = "linux")]
mod builder;
#[cfg(target_os = "linux")]
mod check_folders;
#[cfg(target_os = "linux")]
mod launcher;
mod limits;
#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
mod other_user;
#[cfg(target_os = "linux")]
mod proc_view;
#[cfg(target_os = "linux")]
mod scratch;
#[cfg(target_os = "linux")]
mod seccomp;

pub use limits::{Limits, VAR as LIMITS_VAR};
#[cfg(target_os = "linux")]
pub use linux::{enter_network_namespace, loopback_up};

/// Forces a mode: `namespaces`, `user` or `off`.
pub const VAR: &str = "NETLAB_SANDBOX";
/// Set (to anything) by grade for its workers: their scratch folder gets a total size
/// (`Limits::disk`, `scratch.rs`). Not for `cargo test -p`, whose messages show folder
/// sizes as the student's file system has them.
pub const SCRATCH_TOTAL_VAR: &str = "NETLAB_SCRATCH_TOTAL";
/// The first argument that makes a check runner act as the sandbox's launcher.
pub const LAUNCHER_ARG: &str = "--netlab-sandbox";

/// How programs under test are walled in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Namespaces,
    OtherUser,
    Unsandboxed,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Namespaces => "sandboxed (user, PID, network and mount namespaces, limits)",
            Mode::OtherUser => "sandboxed (a user id of its own, limits; no namespaces)",
            Mode::Unsandboxed => "unsandboxed",
        })
    }
}

/// What [`init`] settled on for this process.
#[derive(Debug)]
pub struct Setup {
    pub mode: Mode,
    /// Why a stronger mode was not possible (shown with the warning).
    pub why_not: Option<String>,
    /// The folder every check's temporary files go in (`TMPDIR`): the only place a program
    /// under test may write.
    pub scratch: Option<PathBuf>,
    /// The temporary folder this process had before `scratch` took its place in `TMPDIR`:
    /// for processes it starts that are not under test (a shell a test runs as a user
    /// would, whose programs must not share the checks' scratch).
    pub outer_temp_dir: PathBuf,
    pub limits: Limits,
}

static SETUP: OnceLock<Setup> = OnceLock::new();

/// Set the sandbox up for this process. Call it first thing in `main` of every program
/// that runs checks, while the process has one thread (a user namespace can only be
/// entered then). If this process was started as the sandbox's launcher, it runs the
/// program under test instead and never returns.
pub fn init() -> &'static Setup {
    launch_if_asked();
    SETUP.get_or_init(|| {
        let limits = Limits::from_env().unwrap_or_else(|e| {
            eprintln!("error: {}: {e}", limits::VAR);
            std::process::exit(2)
        });
        let (mode, why_not) = choose();
        let outer_temp_dir = std::env::temp_dir();
        let scratch = if mode == Mode::Unsandboxed {
            None
        } else {
            Some(make_scratch(mode, &limits))
        };
        Setup {
            mode,
            why_not,
            scratch,
            outer_temp_dir,
            limits,
        }
    })
}

/// The mode of this process (unsandboxed if [`init`] was never called).
pub fn mode() -> Mode {
    SETUP.get().map_or(Mode::Unsandboxed, |s| s.mode)
}

pub(crate) fn setup() -> Option<&'static Setup> {
    SETUP.get()
}

/// If argv says this process is the launcher, be it: never returns. `kill-user` (another
/// user's processes, `other_user.rs`) and `build` (a build's walls, `builder.rs`) are
/// stages of their own; the rest start a program (`launcher.rs`).
fn launch_if_asked() {
    let mut args = std::env::args_os().skip(1);
    if args.next().is_some_and(|a| a == LAUNCHER_ARG) {
        #[cfg(target_os = "linux")]
        {
            let args: Vec<std::ffi::OsString> = args.collect();
            match args.first().and_then(|a| a.to_str()) {
                Some("kill-user") => other_user::kill_user(),
                Some("build") => builder::main(&args[1..]),
                _ => launcher::main(args),
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            eprintln!("error: the sandbox's launcher runs on Linux only");
            std::process::exit(2);
        }
    }
}

fn choose() -> (Mode, Option<String>) {
    let forced = std::env::var(VAR).unwrap_or_default();
    let namespaces = || -> Result<(), String> {
        #[cfg(target_os = "linux")]
        return linux::enter_user_namespace();
        #[cfg(not(target_os = "linux"))]
        Err("namespaces are a Linux feature".to_string())
    };
    let root = is_root();
    match forced.as_str() {
        "namespaces" => match namespaces() {
            Ok(()) => (Mode::Namespaces, None),
            Err(why) => fail(&format!("{VAR}=namespaces, but {why}")),
        },
        "user" if root => (Mode::OtherUser, None),
        "user" => fail(&format!(
            "{VAR}=user needs root (it runs programs as other users)"
        )),
        "off" => (Mode::Unsandboxed, Some(format!("{VAR}=off"))),
        "" | "auto" => match namespaces() {
            Ok(()) => (Mode::Namespaces, None),
            Err(_) if root => (Mode::OtherUser, None),
            Err(why) => (Mode::Unsandboxed, Some(why)),
        },
        other => fail(&format!(
            "{VAR}={other:?}: say namespaces, user, off, or leave it unset"
        )),
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2)
}

fn is_root() -> bool {
    #[cfg(target_os = "linux")]
    return rustix::process::geteuid().is_root();
    #[cfg(not(target_os = "linux"))]
    false
}

/// A fresh folder for this process's temporary files, made the process's `TMPDIR` so that
/// every check's `tempfile::tempdir()` lands in it.
fn make_scratch(mode: Mode, limits: &Limits) -> PathBuf {
    #[cfg(target_os = "linux")]
    scratch::sweep(&std::env::temp_dir());
    #[cfg(target_os = "linux")]
    let prefix = format!("{}{}-", scratch::PREFIX, std::process::id());
    #[cfg(not(target_os = "linux"))]
    let prefix = "netlab-";
    let dir = tempfile::Builder::new()
        .prefix(&prefix)
        .tempdir()
        .map(tempfile::TempDir::keep)
        .unwrap_or_else(|e| fail(&format!("could not make a scratch folder: {e}")));
    // A total for everything written there, gone with this process however it ends; where
    // no mount namespace can be had, the per-file limit and the next start's sweep only.
    #[cfg(target_os = "linux")]
    if std::env::var_os(SCRATCH_TOTAL_VAR).is_some() {
        let _ = scratch::limit_total(&dir, limits.disk);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = limits;
    // Nobody else may list it; as another user, a program still has to pass through it to
    // reach the scratch folder of a grade worker inside.
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o711));
        // Programs run as other users in these two: as root in namespaces, each as a host
        // user id of its own (never root), in this process's group.
        if mode == Mode::OtherUser || (mode == Mode::Namespaces && linux::program_ids_mapped()) {
            other_user::share(&dir);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = mode;
    #[allow(unsafe_code)]
    // SAFETY: init runs first thing in main, before any thread exists that could read the
    // environment at the same time.
    unsafe {
        std::env::set_var("TMPDIR", &dir);
    }
    dir
}

/// Remove this process's scratch folder: call it before exiting.
pub fn clean_up() {
    if let Some(dir) = SETUP.get().and_then(|s| s.scratch.as_ref()) {
        let _ = std::fs::remove_dir_all(dir);
        // The tmpfs over it (scratch.rs) keeps the folder until it is unmounted.
        #[cfg(target_os = "linux")]
        if rustix::mount::unmount(dir, rustix::mount::UnmountFlags::DETACH).is_ok() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Run `check` where it gets a network of its own (a loopback nobody else is on), when the
/// mode allows it; otherwise just run it.
pub(crate) fn in_own_network<T: Send>(check: impl FnOnce() -> T + Send) -> T {
    #[cfg(target_os = "linux")]
    if mode() == Mode::Namespaces {
        return std::thread::scope(|scope| {
            scope
                .spawn(|| match linux::enter_network_namespace() {
                    Ok(()) => check(),
                    Err(why) => fail(&format!("could not give the check a network: {why}")),
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
    }
    check()
}

/// The command that runs `program` inside the walls: the launcher (this very executable)
/// with the program after it. None when unsandboxed: run it directly.
pub(crate) fn wrap(
    program: &std::path::Path,
    limits: Option<Limits>,
) -> Option<std::process::Command> {
    #[cfg(target_os = "linux")]
    {
        let setup = setup()?;
        if setup.mode == Mode::Unsandboxed {
            return None;
        }
        launcher::command(setup, program, &limits.unwrap_or(setup.limits))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (program, limits);
        None
    }
}

/// The limits programs under test run with here.
pub fn limits() -> Limits {
    setup().map_or(Limits::DEFAULT, |s| s.limits)
}

/// Set `limits` on a program already running unsandboxed (Linux: prlimit(2); elsewhere
/// nothing can).
pub(crate) fn limit_running(pid: u32, limits: &Limits) {
    #[cfg(target_os = "linux")]
    launcher::limit_process(pid, limits);
    #[cfg(not(target_os = "linux"))]
    let _ = (pid, limits);
}

/// Keep `paths` (the reference binaries no program under test is) out of reach of the
/// programs under test, where the walls do not already hide them (as another user, they
/// would be world-readable files).
pub(crate) fn hide(paths: &[&Path]) {
    #[cfg(target_os = "linux")]
    if mode() == Mode::OtherUser {
        other_user::hide(paths);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = paths;
}

/// Kill the program a launcher started (and so, with its PID namespace, everything it
/// started), even if it left the launcher's process group.
pub(crate) fn kill_program(launched: u32) {
    #[cfg(target_os = "linux")]
    if mode() != Mode::Unsandboxed {
        launcher::kill_program(mode(), launched);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = launched;
}

/// When a program under test ended because it hit one of this process's limits, the
/// words for it: "stopped: it used more than 1 GiB of memory".
pub(crate) fn stopped_by_limit(status: Option<ExitStatus>, stderr: &[u8]) -> Option<String> {
    let limits = setup().map_or(Limits::DEFAULT, |s| s.limits);
    limits.explain(status, stderr)
}
