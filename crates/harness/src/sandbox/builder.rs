//! The walls round a build: cargo and rustc read whatever their user can (`include_bytes!`,
//! `include!`, `option_env!`), so a submission is compiled where nothing of the grader can
//! be read. grade starts itself again as
//! `<grade> --netlab-sandbox build WALL WORKSPACE TOOLCHAIN REGISTRY LIMITS -- CARGO-ARGS`:
//!
//! - with namespaces: new user, mount, PID, network (nothing up) and IPC namespaces; an
//!   empty root showing the system folders, the toolchain (`/rust`) and the registry
//!   (`/home/build/.cargo/registry`) read-only, the scratch workspace at `/build`
//!   read-only but for its `target/` and `Cargo.lock`, an empty home and /tmp; the
//!   environment cleared; limits; cargo as an ordinary user without capabilities. As
//!   root, the build's user is an unused user id, not the host's root.
//! - as another user (root without namespaces): cargo runs as an unused user id whose
//!   group alone may enter this submission's sources, with the same limits and
//!   environment; the reference binaries and staged uploads are root's alone. It still
//!   reads what every user may (a world-readable checkout's solutions/, /tmp).

use std::ffi::OsString;
use std::fs::{self, File};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{PermissionsExt, lchown, symlink};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use rustix::mount::{MountFlags, UnmountFlags, mount, mount_bind, mount_remount, unmount};
use rustix::process::{Resource, Rlimit, setrlimit};
use rustix::thread::UnshareFlags;

use super::Limits;
use super::launcher::{base_view, exit_as, fail, fork_first, tell_ending};
use super::linux::{map_ids, unshare};

/// Where the view shows the pieces of a build.
const WORKSPACE: &str = "/build";
const TOOLCHAIN: &str = "/rust";
const HOME: &str = "/home/build";
/// The user cargo runs as inside its namespaces.
const INSIDE_UID: u32 = 1000;
/// The first user id and group id of the ranges grade maps when it runs as root, and
/// their length (one per possible process id): the ranges the other-user sandbox's
/// programs use (`other_user::user_of`, `group_of`); a build takes the pair of its
/// launcher's pid, unique while it lives.
pub const BUILD_UIDS: (u32, u32) = (2_000_000_000, 1 << 22);
pub const BUILD_GIDS: u32 = 3_000_000_000;

/// The user id a build launched by process `pid` runs as, when grade runs as root.
pub fn build_uid(pid: u32) -> u32 {
    BUILD_UIDS.0 + pid % BUILD_UIDS.1
}

/// Its group.
pub fn build_gid(pid: u32) -> u32 {
    BUILD_GIDS + pid % BUILD_UIDS.1
}

/// `build WALL WORKSPACE TOOLCHAIN REGISTRY LIMITS -- CARGO-ARGS...` (REGISTRY may be
/// empty: no crates to show).
pub fn main(args: &[OsString]) -> ! {
    let [
        wall,
        workspace,
        toolchain,
        registry,
        limits,
        dashes,
        cargo_args @ ..,
    ] = args
    else {
        fail("the build launcher was called with the wrong arguments")
    };
    if dashes != "--" {
        fail("the build launcher was called with the wrong arguments");
    }
    let limits = Limits::parse(&limits.to_string_lossy())
        .unwrap_or_else(|e| fail(&format!("bad limits: {e}")));
    let registry = (!registry.is_empty()).then(|| PathBuf::from(registry));
    let paths = Paths {
        workspace: PathBuf::from(workspace),
        toolchain: PathBuf::from(toolchain),
        registry,
    };
    match wall.to_str() {
        Some("namespaces") => in_namespaces(&paths, &limits, cargo_args),
        Some("user") => as_other_user(&paths, &limits, cargo_args),
        _ => fail("the build launcher was called with the wrong arguments"),
    }
}

struct Paths {
    workspace: PathBuf,
    toolchain: PathBuf,
    registry: Option<PathBuf>,
}

/// What the view needs of the host, opened before this process becomes someone else.
struct Opened {
    workspace: File,
    target: File,
    lock: File,
    toolchain: File,
    registry: Option<File>,
}

fn open(paths: &Paths) -> io::Result<Opened> {
    let open_dir = |path: &Path| {
        File::open(path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
    };
    Ok(Opened {
        workspace: open_dir(&paths.workspace)?,
        target: open_dir(&paths.workspace.join("target"))?,
        lock: open_dir(&paths.workspace.join("Cargo.lock"))?,
        toolchain: open_dir(&paths.toolchain)?,
        registry: paths.registry.as_deref().map(open_dir).transpose()?,
    })
}

fn in_namespaces(paths: &Paths, limits: &Limits, cargo_args: &[OsString]) -> ! {
    // grade killed (SIGKILL, a test's deadline) takes its builds with it: this process,
    // then its child, the PID namespace's first process, and with it everything in it.
    die_with_parent();
    // As root, the build runs as an unused user id (grade's user namespace maps the range,
    // see linux.rs), owning its target folder alone, not every root-owned file; it
    // becomes that user once the view is built, so the view's mounts stay root's.
    let root = rustix::process::getuid().is_root();
    let uid = rustix::process::getuid().as_raw();
    let gid = rustix::process::getgid().as_raw();
    let build_user = build_uid(std::process::id());
    let build_group = build_gid(std::process::id());
    if root {
        hand_over(paths, build_user, build_group)
            .unwrap_or_else(|e| fail(&format!("could not hand the target folder over: {e}")));
    }
    let mut namespaces =
        UnshareFlags::NEWNS | UnshareFlags::NEWPID | UnshareFlags::NEWNET | UnshareFlags::NEWIPC;
    if !root {
        namespaces |= UnshareFlags::NEWUSER;
    }
    unshare(namespaces).unwrap_or_else(|e| fail(&format!("could not make the namespaces: {e}")));
    if !root {
        map_ids(0, uid, 0, gid).unwrap_or_else(|e| fail(&format!("could not map ids: {e}")));
    }
    fork_first("fork", |ending| {
        die_with_parent();
        // Opened here, in this mount namespace: a bind mount takes only its own.
        let opened = open(paths).unwrap_or_else(|e| fail(&format!("could not open {e}")));
        view(&opened).unwrap_or_else(|e| fail(&format!("could not build the view: {e}")));
        drop(opened);
        set_limits(limits).unwrap_or_else(|e| fail(&format!("could not set limits: {e}")));
        // No capability left once cargo execs: it cannot undo the view.
        let dropped = if root {
            become_user(build_user, build_group)
        } else {
            unshare(UnshareFlags::NEWUSER).and_then(|()| map_ids(INSIDE_UID, 0, INSIDE_UID, 0))
        };
        dropped.unwrap_or_else(|e| fail(&format!("could not drop root: {e}")));
        let cargo = Path::new(TOOLCHAIN).join("bin").join("cargo");
        let status = cargo_command(&cargo, Path::new(TOOLCHAIN), cargo_args)
            .current_dir(WORKSPACE)
            .status()
            .unwrap_or_else(|e| fail(&format!("could not run cargo: {e}")));
        tell_ending(ending, status)
    })
}

fn die_with_parent() {
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL));
}

/// cargo with nothing of the grader's environment: its home an empty folder, its
/// toolchain the real one (no rustup proxy, so no rustup settings are read), offline.
fn cargo_command(cargo: &Path, toolchain: &Path, cargo_args: &[OsString]) -> Command {
    let home = Path::new(HOME);
    let mut command = Command::new(cargo);
    command
        .args(cargo_args)
        .arg("--offline")
        .env_clear()
        .env(
            "PATH",
            format!("{}/bin:/usr/local/bin:/usr/bin:/bin", toolchain.display()),
        )
        .env("HOME", home)
        .env("CARGO_HOME", home.join(".cargo"))
        .env("RUSTC", toolchain.join("bin").join("rustc"))
        .env("TMPDIR", "/tmp")
        .env("LANG", "C.UTF-8")
        .env("CARGO_TERM_COLOR", "never");
    command
}

/// As root, before becoming `uid`: the build's target folder and lock file are its own.
fn hand_over(paths: &Paths, uid: u32, gid: u32) -> io::Result<()> {
    // An earlier build of this scratch workspace in the other-user mode closed the sources
    // to its own group: readable again (an other-user build closes them anew after this).
    let sources = paths.workspace.join("exercises");
    if sources.is_dir() {
        lchown(&sources, None, Some(0))?;
        fs::set_permissions(&sources, fs::Permissions::from_mode(0o755))?;
    }
    lchown(paths.workspace.join("Cargo.lock"), Some(uid), Some(gid))?;
    chown_tree(&paths.workspace.join("target"), uid, gid)
}

/// lchown everything under `dir` (links themselves, never what they point at).
fn chown_tree(dir: &Path, uid: u32, gid: u32) -> io::Result<()> {
    lchown(dir, Some(uid), Some(gid))?;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            chown_tree(&entry.path(), uid, gid)?;
        } else {
            lchown(entry.path(), Some(uid), Some(gid))?;
        }
    }
    Ok(())
}

fn become_user(uid: u32, gid: u32) -> io::Result<()> {
    use rustix::process::{Gid, Uid};
    rustix::thread::set_thread_groups(&[])?;
    // The launcher has one thread: the thread's ids are the process's.
    rustix::thread::set_thread_res_gid(Gid::from_raw(gid), Gid::from_raw(gid), Gid::from_raw(gid))?;
    rustix::thread::set_thread_res_uid(Uid::from_raw(uid), Uid::from_raw(uid), Uid::from_raw(uid))?;
    // Leaving root made /proc/self root's; the build's own again, so that it may write
    // its namespace's id maps.
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::Dumpable)?;
    Ok(())
}

fn view(opened: &Opened) -> io::Result<()> {
    let fd_path = |file: &File| format!("/proc/self/fd/{}", file.as_raw_fd());
    let root = Path::new("/tmp");
    base_view(root, c"mode=0755,size=16m")?;
    // Scratch space for the linker, and an empty home; both bounded.
    for (dir, options) in [
        ("tmp", c"mode=1777,size=512m"),
        ("home/build", c"mode=0777,size=64m"),
    ] {
        let inside = root.join(dir);
        fs::create_dir_all(&inside)?;
        mount(
            "tmpfs",
            &inside,
            "tmpfs",
            MountFlags::NOSUID | MountFlags::NODEV,
            options,
        )?;
    }
    let bind_read_only = |from: &File, inside: &Path| -> io::Result<()> {
        fs::create_dir_all(inside)?;
        mount_bind(fd_path(from), inside)?;
        mount_remount(
            inside,
            MountFlags::BIND | MountFlags::RDONLY | MountFlags::NOSUID | MountFlags::NODEV,
            "",
        )?;
        Ok(())
    };
    bind_read_only(&opened.toolchain, &root.join(&TOOLCHAIN[1..]))
        .map_err(|e| step("the toolchain", e))?;
    if let Some(registry) = &opened.registry {
        let cargo_home = root.join(&HOME[1..]).join(".cargo");
        bind_read_only(registry, &cargo_home.join("registry"))
            .map_err(|e| step("the registry", e))?;
    }
    let workspace = root.join(&WORKSPACE[1..]);
    bind_read_only(&opened.workspace, &workspace).map_err(|e| step("the workspace", e))?;
    // The two things cargo writes: target/, and the lock file it trims to these exercises.
    for (file, inside) in [
        (&opened.target, workspace.join("target")),
        (&opened.lock, workspace.join("Cargo.lock")),
    ] {
        mount_bind(fd_path(file), &inside).map_err(|e| step("target/", e))?;
        mount_remount(
            &inside,
            MountFlags::BIND | MountFlags::NOSUID | MountFlags::NODEV,
            "",
        )
        .map_err(|e| step("target/ writable", e))?;
    }
    fs::create_dir(root.join(".old"))?;
    mount_remount(
        root,
        MountFlags::RDONLY | MountFlags::NOSUID | MountFlags::NODEV,
        "mode=0755",
    )?;
    rustix::process::pivot_root(root, root.join(".old")).map_err(|e| step("pivot_root", e))?;
    std::env::set_current_dir("/")?;
    unmount("/.old", UnmountFlags::DETACH)?;
    Ok(())
}

/// An error of one step of the view, saying which.
fn step(what: &str, error: impl Into<io::Error>) -> io::Error {
    let error = error.into();
    io::Error::new(error.kind(), format!("{what}: {error}"))
}

/// The build's limits, each rustc and linker held to them on its own.
fn set_limits(limits: &Limits) -> io::Result<()> {
    for (resource, value) in [
        (Resource::Data, limits.memory),
        (Resource::Fsize, limits.file_size),
        (Resource::Nproc, limits.processes),
        (Resource::Nofile, limits.open_files),
        (Resource::Cpu, limits.cpu_seconds),
        (Resource::Core, 0),
    ] {
        // CPU time: SIGXCPU at the limit (a signal cargo names), SIGKILL a little later.
        let hard = if resource == Resource::Cpu {
            value + 5
        } else {
            value
        };
        setrlimit(
            resource,
            Rlimit {
                current: Some(value),
                maximum: Some(hard),
            },
        )?;
    }
    Ok(())
}

/// Root without namespaces: cargo runs as an unused user id in a group that alone may
/// enter this submission's scratch workspace (`hide_for_user_build` closed the rest).
fn as_other_user(paths: &Paths, limits: &Limits, cargo_args: &[OsString]) -> ! {
    let uid = build_uid(std::process::id());
    let gid = build_gid(std::process::id());
    let prepare = || -> io::Result<()> {
        hand_over(paths, uid, gid)?;
        // The sources stay root's (read-only for the build); their folder lets in the
        // build's group only, so no other build (another user id) can read them. The
        // workspace itself stays open: the checks run the binaries in its target/.
        fs::set_permissions(&paths.workspace, fs::Permissions::from_mode(0o755))?;
        let sources = paths.workspace.join("exercises");
        lchown(&sources, None, Some(gid))?;
        fs::set_permissions(&sources, fs::Permissions::from_mode(0o750))?;
        // grade's scratch folder (`<scratch>/submissions/<key>` is the workspace): its
        // reference binaries and staged uploads are root's alone.
        if let Some(scratch) = paths.workspace.parent().and_then(Path::parent) {
            for private in ["reference", "uploads"] {
                let dir = scratch.join(private);
                if dir.is_dir() {
                    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))?;
                }
            }
        }
        let home = paths.workspace.join("target").join("home");
        fs::create_dir_all(home.join(".cargo"))?;
        chown_tree(&home, uid, gid)?;
        if let Some(registry) = &paths.registry {
            // Made again each time: a build of the same scratch by an earlier grade left a
            // link to that grade's copy of the registry, gone with it.
            let link = home.join(".cargo").join("registry");
            if fs::read_link(&link).ok().as_deref() != Some(registry.as_path()) {
                let _ = fs::remove_file(&link);
                symlink(registry, &link)?;
            }
        }
        Ok(())
    };
    prepare().unwrap_or_else(|e| fail(&format!("could not prepare the build: {e}")));
    set_limits(limits).unwrap_or_else(|e| fail(&format!("could not set limits: {e}")));
    let home = paths.workspace.join("target").join("home");
    let cargo = paths.toolchain.join("bin").join("cargo");
    let status = cargo_command(&cargo, &paths.toolchain, cargo_args)
        .env("HOME", &home)
        .env("CARGO_HOME", home.join(".cargo"))
        .env("TMPDIR", paths.workspace.join("target"))
        .current_dir(&paths.workspace)
        .uid(uid)
        .gid(gid)
        .status()
        .unwrap_or_else(|e| fail(&format!("could not run cargo: {e}")));
    exit_as(status)
}
