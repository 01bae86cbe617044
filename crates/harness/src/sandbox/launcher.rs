//! The launcher: how one program under test is started inside the walls. The check runner
//! starts itself again as `<runner> --netlab-sandbox outer SCRATCH LIMITS -- PROGRAM ARGS`:
//!
//! 1. `outer` (in the check's network namespace) makes new user, mount, PID and IPC
//!    namespaces and forks `inner`, the first process (PID 1) of the new PID namespace; it
//!    waits for it and exits the way the program did. When the harness is root (stage
//!    `outer-root`), it first becomes a host user id of its own, in the harness's group
//!    (as in the other-user mode), so that the program is never the host's root: it owns
//!    no file of the host, and the process limit holds.
//! 2. `inner` builds the program's view of the files on an empty file system: the system
//!    folders read-only, a fresh /proc (its /proc/sys read-only, the kernel's knobs and
//!    secrets masked), a few devices (no /dev/tty), the program's own binary and the
//!    check folders its command names in a small scratch of its own (nosuid, nodev: the
//!    only places it may write), and nothing else (no home, no checkout, no reference
//!    programs, no other check's folders); it sets the limits, gives up its privileges by
//!    entering one more user namespace as an ordinary user, starts the program (in a
//!    session of its own, behind the seccomp filter: `seccomp.rs`) and waits for it. When
//!    it exits, the kernel kills every other process of the PID namespace: nothing the
//!    program started (a new session, a double fork) outlives it. The program is not PID 1
//!    itself because the kernel spares PID 1 the signals of the limits (SIGXFSZ, SIGXCPU).
//!
//! `inner` tells `outer` how the program ended through a pipe, so that "killed by signal
//! 25" reaches the check as such, not as an exit code of the launcher.

use std::convert::Infallible;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::symlink;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use rustix::mount::{
    MountFlags, MountPropagationFlags, UnmountFlags, mount, mount_bind, mount_bind_recursive,
    mount_change, mount_remount, unmount,
};
use rustix::process::{Resource, Rlimit, setrlimit};
use rustix::thread::UnshareFlags;

use super::linux::{map_ids, program_ids_mapped, unshare};
use super::seccomp::Walls;
use super::{LAUNCHER_ARG, Limits, Mode, Setup, other_user, proc_view};

/// The user id the program has inside its namespaces: an ordinary user, not root.
const INSIDE_UID: u32 = 1000;

/// The command that runs `program` in the sandbox; its arguments go after it.
pub fn command(setup: &Setup, program: &Path, limits: &Limits) -> Option<Command> {
    let exe = std::env::current_exe().ok()?;
    let stage = match setup.mode {
        Mode::Namespaces if program_ids_mapped() => "outer-root",
        Mode::Namespaces => "outer",
        Mode::OtherUser => "user",
        Mode::Unsandboxed => return None,
    };
    let mut command = Command::new(exe);
    command
        .arg(LAUNCHER_ARG)
        .arg(stage)
        .arg(setup.scratch.as_ref()?)
        .arg(limits.to_arg())
        .arg("--")
        .arg(program);
    Some(command)
}

/// `--netlab-sandbox STAGE SCRATCH LIMITS -- PROGRAM ARGS...`, STAGE being `outer`
/// (namespaces) or `user` (another user).
pub fn main(args: Vec<OsString>) -> ! {
    let wrong = || -> ! { fail("the sandbox's launcher was called with the wrong arguments") };
    let [stage, scratch, limits, dashes, program, rest @ ..] = &args[..] else {
        wrong()
    };
    if dashes != "--" {
        wrong();
    }
    let limits = Limits::parse(&limits.to_string_lossy())
        .unwrap_or_else(|e| fail(&format!("bad limits: {e}")));
    let (scratch, program) = (PathBuf::from(scratch), PathBuf::from(program));
    match stage.to_str() {
        Some("outer") => outer(&scratch, &limits, &program, rest, false),
        Some("outer-root") => outer(&scratch, &limits, &program, rest, true),
        Some("user") => other_user::run(&scratch, &limits, &program, rest),
        _ => wrong(),
    }
}

/// Errors of the launcher are the harness's, not the program's: say so.
pub(super) fn fail(message: &str) -> ! {
    eprintln!("netlab sandbox: {message} (a netlab problem, not the program's)");
    std::process::exit(125)
}

/// What the view is made of, opened before the new root is mounted over /tmp (where the
/// scratch folder usually is).
struct Sources {
    /// The check folders the command names (`check_folders`), each opened without
    /// following a link: another program may have put one in a check folder's place.
    folders: Vec<(PathBuf, File)>,
    program: File,
    /// The program's real path (a check may start it through a link, to choose its
    /// argv[0], and the link, in the scratch folder, must find it).
    real: PathBuf,
}

fn outer(scratch: &Path, limits: &Limits, program: &Path, args: &[OsString], root: bool) -> ! {
    let cwd = std::env::current_dir().ok();
    let named = super::check_folders::named(scratch, cwd.as_deref(), program, args);
    if root {
        become_programs_user(scratch, &named);
    }
    let uid = rustix::process::getuid().as_raw();
    let gid = rustix::process::getgid().as_raw();
    unshare(
        UnshareFlags::NEWUSER | UnshareFlags::NEWNS | UnshareFlags::NEWPID | UnshareFlags::NEWIPC,
    )
    .unwrap_or_else(|e| fail(&format!("could not make the namespaces: {e}")));
    // Opened in the new mount namespace (a bind from another's is refused), as the
    // program's user: what it cannot reach is not in its view.
    let sources = (|| -> io::Result<Sources> {
        let folders = named
            .into_iter()
            .map(|folder| {
                let fd = rustix::fs::open(
                    &folder,
                    rustix::fs::OFlags::RDONLY
                        | rustix::fs::OFlags::DIRECTORY
                        | rustix::fs::OFlags::NOFOLLOW
                        | rustix::fs::OFlags::CLOEXEC,
                    rustix::fs::Mode::empty(),
                )?;
                Ok((folder, File::from(fd)))
            })
            .collect::<io::Result<Vec<_>>>()?;
        Ok(Sources {
            folders,
            program: File::open(program)?,
            real: fs::canonicalize(program)?,
        })
    })()
    .unwrap_or_else(|e| fail(&format!("could not open what the view is made of: {e}")));
    map_ids(0, uid, 0, gid).unwrap_or_else(|e| fail(&format!("could not map ids: {e}")));
    // A fork, not a second exec of this (large) binary: a launch is paid once per program
    // a check starts, over a hundred per submission.
    fork_first("start the program", |ending| {
        inner(ending, sources, scratch, limits, program, args)
    })
}

/// Fork the first process of the new PID namespace, which runs `first` with the pipe it
/// tells its program's ending through ([`tell_ending`]), and exit as it says. `first`
/// never returns (`Infallible`: `!` is not a type a closure may name yet).
pub(super) fn fork_first(what: &str, first: impl FnOnce(File) -> Infallible) -> ! {
    let (ending_read, ending_write) =
        rustix::pipe::pipe().unwrap_or_else(|e| fail(&format!("pipe: {e}")));
    #[allow(unsafe_code)]
    // SAFETY: the launcher is a process of its own, started for this, with one thread:
    // the child may do anything the parent could.
    let child = unsafe { libc::fork() };
    match child {
        -1 => fail(&format!("could not {what}: {}", io::Error::last_os_error())),
        0 => {
            drop(ending_read);
            match first(File::from(ending_write)) {}
        }
        _ => {}
    }
    drop(ending_write);
    end_as_told(child, File::from(ending_read))
}

/// Wait for `child`, the first process of the PID namespace, and exit the way it says
/// (through `ending`, see [`tell_ending`]) the program it ran ended.
pub(super) fn end_as_told(child: libc::pid_t, mut ending: File) -> ! {
    let status = wait_for(child);
    let mut told = String::new();
    let _ = ending.read_to_string(&mut told);
    match told.split_once(' ') {
        Some(("code", code)) => std::process::exit(code.trim().parse().unwrap_or(125)),
        Some(("signal", signal)) => die_of(signal.trim().parse().unwrap_or(9)),
        // The first process itself was killed (the check's deadline): the same.
        _ => exit_as(status),
    }
}

/// Tell [`end_as_told`] how the program ended, and exit: that ends the PID namespace, and
/// everything the program left in it.
pub(super) fn tell_ending(mut ending: File, status: std::process::ExitStatus) -> ! {
    let _ = match status.signal() {
        Some(signal) => write!(ending, "signal {signal}"),
        None => write!(ending, "code {}", status.code().unwrap_or(125)),
    };
    std::process::exit(0)
}

/// As root: become a host user id of its own (the one the other-user mode would give this
/// launcher), in the group of the harness's programs, which may use its scratch folder.
fn become_programs_user(scratch: &Path, folders: &[PathBuf]) {
    use rustix::process::{Gid, Uid};
    let user = other_user::user_of(std::process::id());
    let group = other_user::group_of(std::os::unix::process::parent_id());
    // Only the folders it is given (the rest of the scratch folder is not in its view):
    // the whole of it, every check's files, would be walked at every start.
    other_user::let_group_through(scratch, group)
        .and_then(|()| {
            folders
                .iter()
                .try_for_each(|folder| other_user::let_group_in(folder, group))
        })
        .unwrap_or_else(|e| fail(&format!("could not share the scratch folder: {e}")));
    let (uid, gid) = (Uid::from_raw(user), Gid::from_raw(group));
    rustix::thread::set_thread_groups(&[])
        .and_then(|()| rustix::thread::set_thread_res_gid(gid, gid, gid))
        .and_then(|()| rustix::thread::set_thread_res_uid(uid, uid, uid))
        // A change of user makes the process undumpable, its /proc files root's: it could
        // not write its own uid_map next.
        .and_then(|()| {
            rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::Dumpable)
        })
        .unwrap_or_else(|e| fail(&format!("could not become the program's user: {e}")));
}

/// Wait for the child `pid` to end.
fn wait_for(pid: libc::pid_t) -> std::process::ExitStatus {
    let pid =
        rustix::process::Pid::from_raw(pid).unwrap_or_else(|| fail("fork gave no process id"));
    loop {
        match rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty()) {
            Ok(Some((_, status))) => {
                return std::process::ExitStatus::from_raw(status.as_raw());
            }
            Err(rustix::io::Errno::INTR) => continue,
            Ok(None) | Err(_) => fail("lost the program's process"),
        }
    }
}

/// Exit the way `status` says a program ended: the same code, or the same signal.
pub(super) fn exit_as(status: std::process::ExitStatus) -> ! {
    match status.signal() {
        Some(signal) => die_of(signal),
        None => std::process::exit(status.code().unwrap_or(125)),
    }
}

/// Die of `signal`, as the program did, so the check sees "killed by signal 25".
fn die_of(signal: i32) -> ! {
    if let Some(signal) = rustix::process::Signal::from_named_raw(signal) {
        #[allow(unsafe_code)]
        // SAFETY: putting a signal's default action back is always sound; the process is
        // about to die of it.
        unsafe {
            libc::signal(signal.as_raw(), libc::SIG_DFL);
        }
        let _ = rustix::process::kill_process(rustix::process::getpid(), signal);
    }
    std::process::exit(128 + signal)
}

fn inner(
    ending: File,
    sources: Sources,
    scratch: &Path,
    limits: &Limits,
    program: &Path,
    args: &[OsString],
) -> ! {
    let cwd = std::env::current_dir().ok();
    build_view(scratch, &sources)
        .unwrap_or_else(|e| fail(&format!("could not build the view: {e}")));
    drop(sources);
    let walls = Walls::new().unwrap_or_else(|e| fail(&e.to_string()));
    // Where it was started, if that is inside the view (a check's folder); else the scratch.
    let cwd = cwd
        .filter(|dir| dir.starts_with(scratch))
        .unwrap_or(scratch.to_path_buf());
    std::env::set_current_dir(&cwd).unwrap_or_else(|e| fail(&format!("cd {}: {e}", cwd.display())));
    set_limits(limits).unwrap_or_else(|e| fail(&format!("could not set the limits: {e}")));
    // Root of these namespaces no more: one more user namespace, where the program is an
    // ordinary user with no capabilities once it execs, so it cannot undo the view.
    unshare(UnshareFlags::NEWUSER).unwrap_or_else(|e| fail(&format!("could not drop root: {e}")));
    map_ids(INSIDE_UID, 0, INSIDE_UID, 0)
        .unwrap_or_else(|e| fail(&format!("could not map ids: {e}")));
    let mut command = Command::new(program);
    command.args(args);
    {
        use std::os::unix::process::CommandExt;
        #[allow(unsafe_code)]
        // SAFETY: `enter` makes system calls only, no allocation or lock: sound between
        // fork and exec.
        unsafe {
            command.pre_exec(move || walls.enter());
        }
    }
    let status = match command.status() {
        Ok(status) => status,
        Err(error) => {
            // The words a shell would use.
            eprintln!(
                "netlab sandbox: could not run {}: {error}",
                program.display()
            );
            std::process::exit(127)
        }
    };
    tell_ending(ending, status)
}

/// The folders a program needs to run, read-only; symbolic links where the system has
/// them (/bin -> usr/bin).
const SYSTEM: &[&str] = &[
    "usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc",
];
const ETC_SECRETS: &[&str] = &[
    "etc/shadow",
    "etc/shadow-",
    "etc/gshadow",
    "etc/gshadow-",
    "etc/sudoers",
    "etc/sudoers.d",
    "etc/ssh",
    "etc/ssl/private",
];
/// No /dev/tty: a program under test has no terminal (and no session that has one).
const DEVICES: &[&str] = &["null", "zero", "full", "random", "urandom"];

/// What every view holds, for a program under test and for a build (builder.rs): on an
/// empty tmpfs at `root` (mounted with `options`), the system folders read-only and
/// without /etc's secrets, a few devices (no terminal), and a /proc of this PID namespace
/// with its knobs walled off. Nothing mounted from here on is seen outside these
/// namespaces.
pub(super) fn base_view(root: &Path, options: &std::ffi::CStr) -> io::Result<()> {
    mount_change(
        "/",
        MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
    )?;
    mount(
        "tmpfs",
        root,
        "tmpfs",
        MountFlags::NOSUID | MountFlags::NODEV,
        options,
    )?;

    for name in SYSTEM {
        let host = Path::new("/").join(name);
        let inside = root.join(name);
        match fs::symlink_metadata(&host) {
            Ok(meta) if meta.file_type().is_symlink() => symlink(fs::read_link(&host)?, &inside)?,
            Ok(meta) if meta.is_dir() => {
                fs::create_dir(&inside)?;
                mount_bind_recursive(&host, &inside)?;
                rebind(&inside, &rustix::fs::statvfs(&host)?, MountFlags::RDONLY)?;
            }
            _ => {}
        }
    }
    // Secrets /etc may hold, readable when grading runs as root: empty in the view.
    for secret in ETC_SECRETS {
        let inside = root.join(secret);
        match fs::symlink_metadata(&inside) {
            Ok(meta) if meta.is_dir() => {
                mount("tmpfs", &inside, "tmpfs", MountFlags::RDONLY, c"mode=0755")?
            }
            Ok(meta) if meta.is_file() => mount_bind("/dev/null", &inside)?,
            _ => {}
        }
    }
    let dev = root.join("dev");
    fs::create_dir(&dev)?;
    let dev_flags = rustix::fs::statvfs("/dev")?;
    for name in DEVICES {
        let host = Path::new("/dev").join(name);
        if host.exists() {
            File::create(dev.join(name))?;
            mount_bind(&host, dev.join(name))?;
            rebind(&dev.join(name), &dev_flags, MountFlags::NOEXEC)?;
        }
    }
    for (name, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        symlink(target, dev.join(name))?;
    }
    fs::create_dir(root.join("proc"))?;
    // This process is the first of its own PID namespace: this /proc shows only it and
    // what it starts.
    mount(
        "proc",
        root.join("proc"),
        "proc",
        MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC,
        None,
    )?;
    proc_view::wall_off(&root.join("proc"))?;
    Ok(())
}

fn build_view(scratch: &Path, sources: &Sources) -> io::Result<()> {
    let (program_fd, real) = (&sources.program, &sources.real);
    let fd_path = |file: &File| format!("/proc/self/fd/{}", file.as_raw_fd());
    let root = Path::new("/tmp");
    base_view(root, c"mode=0755")?;

    // The scratch folder holds only the check folders the command names, not those of
    // the checks running beside it: a small folder of the program's own (its TMPDIR, and
    // its current folder when the check gave none), with those folders bound in.
    let scratch_inside = root.join(scratch.strip_prefix("/").unwrap_or(scratch));
    fs::create_dir_all(&scratch_inside)?;
    mount(
        "tmpfs",
        &scratch_inside,
        "tmpfs",
        MountFlags::NOSUID | MountFlags::NODEV,
        c"size=16m,nr_inodes=1024,mode=0777",
    )?;
    for (folder, fd) in &sources.folders {
        let inside = root.join(folder.strip_prefix("/").unwrap_or(folder));
        fs::create_dir_all(&inside)?;
        mount_bind(fd_path(fd), &inside)?;
        // No setuid file or device node planted there works.
        rebind(&inside, &rustix::fs::fstatvfs(fd)?, MountFlags::NODEV)?;
    }

    let program_inside = root.join(real.strip_prefix("/").unwrap_or(real));
    if let Some(parent) = program_inside.parent() {
        fs::create_dir_all(parent)?;
    }
    if !program_inside.exists() {
        File::create(&program_inside)?;
    }
    mount_bind(fd_path(program_fd), &program_inside)?;
    mount_remount(
        &program_inside,
        MountFlags::BIND | MountFlags::RDONLY | MountFlags::NOSUID,
        "",
    )?;

    fs::create_dir(root.join(".old"))?;
    mount_remount(
        root,
        MountFlags::RDONLY | MountFlags::NOSUID | MountFlags::NODEV,
        "mode=0755",
    )?;
    rustix::process::pivot_root(root, root.join(".old"))?;
    std::env::set_current_dir("/")?;
    unmount("/.old", UnmountFlags::DETACH)?;
    Ok(())
}

/// Remount the bind mount at `inside` nosuid with `extra` (read-only, nodev...), keeping
/// the flags the host's mount has (`host`: nosuid, nodev, noexec): a user namespace may
/// not clear them.
pub(super) fn rebind(
    inside: &Path,
    host: &rustix::fs::StatVfs,
    extra: MountFlags,
) -> io::Result<()> {
    let host_flags = host.f_flag;
    let mut flags = MountFlags::BIND | MountFlags::NOSUID | extra;
    for (statvfs_flag, mount_flag) in [
        (rustix::fs::StatVfsMountFlags::NODEV, MountFlags::NODEV),
        (rustix::fs::StatVfsMountFlags::NOEXEC, MountFlags::NOEXEC),
        (rustix::fs::StatVfsMountFlags::NOATIME, MountFlags::NOATIME),
        (
            rustix::fs::StatVfsMountFlags::NODIRATIME,
            MountFlags::NODIRATIME,
        ),
        (
            rustix::fs::StatVfsMountFlags::RELATIME,
            MountFlags::RELATIME,
        ),
    ] {
        if host_flags.contains(statvfs_flag) {
            flags |= mount_flag;
        }
    }
    mount_remount(inside, flags, "")?;
    Ok(())
}

pub(super) fn set_limits(limits: &Limits) -> io::Result<()> {
    for (resource, value) in resources(limits) {
        setrlimit(
            resource,
            Rlimit {
                current: Some(value),
                maximum: Some(value),
            },
        )?;
    }
    Ok(())
}

/// The same limits on another process, already running.
pub fn limit_process(pid: u32, limits: &Limits) {
    let Some(pid) = rustix::process::Pid::from_raw(pid as i32) else {
        return;
    };
    for (resource, value) in resources(limits) {
        let limit = Rlimit {
            current: Some(value),
            maximum: Some(value),
        };
        let _ = rustix::process::prlimit(Some(pid), resource, limit);
    }
}

fn resources(limits: &Limits) -> [(Resource, u64); 5] {
    [
        (Resource::Data, limits.memory),
        (Resource::Fsize, limits.file_size),
        (Resource::Nproc, limits.processes),
        (Resource::Nofile, limits.open_files),
        (Resource::Cpu, limits.cpu_seconds),
    ]
}

/// SIGKILL the program a launcher started and all it started: in namespaces, the
/// launcher's child, the first process of the PID namespace, whose death ends every other
/// process in it; as another user, every process of that user.
pub fn kill_program(mode: Mode, launched: u32) {
    if mode == Mode::OtherUser {
        return other_user::kill_everything_of(launched);
    }
    let Ok(children) = fs::read_to_string(format!("/proc/{launched}/task/{launched}/children"))
    else {
        return;
    };
    for pid in children
        .split_whitespace()
        .filter_map(|p| p.parse::<i32>().ok())
    {
        if let Some(pid) = rustix::process::Pid::from_raw(pid) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
    }
}
