//! The sandbox where namespaces cannot be had but the harness is root (a container such as
//! Gradescope's or GitHub Actions'): the program runs as a user id of its own, which owns
//! nothing on the machine, in a group that may use this harness's scratch folder, with the
//! limits. When its check ends, every process of that user id is killed, wherever it went.
//! Closed to it: other submissions' check folders (its harness's group only, umask 007),
//! grade's builds (mode 700: it runs through a descriptor), the reference's folders.
//! Weaker than namespaces, and no mount namespace to change that: it sees every
//! world-readable file (a checkout or a target/ outside a private folder included), every
//! process's command line in /proc (hidepid needs a /proc of its own), the machine's
//! loopback (other submissions' servers too) and IPC, the folders of the checks running
//! beside it (one group per harness process), and may write where anyone may (/tmp,
//! /dev/shm); the instructors' chapter says so.

use std::fs;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::{PermissionsExt, lchown};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use rustix::fs::{AtFlags, FileType, Gid, Mode, OFlags};

use super::launcher::{fail, set_limits};
use super::seccomp::Walls;
use super::{LAUNCHER_ARG, Limits};

/// The user id a launcher's program runs as: unique while the launcher lives, as its pid is.
pub fn user_of(launcher_pid: u32) -> u32 {
    2_000_000_000 + launcher_pid
}

/// The group of one harness process's programs: they may use its scratch folder.
pub fn group_of(harness_pid: u32) -> u32 {
    3_000_000_000 + harness_pid
}

/// Make what this harness process writes in `scratch` from now on usable by its
/// programs, which run as other users in its group: the folder belongs to the group and
/// passes it on (setgid), and files are made group-writable (umask 002). Sticky: a
/// program may add files, but not rename or remove the check folders the harness made
/// (to put a link in one's place). A check that makes a folder while the program runs
/// (DIR made again) needs no grant.
pub fn share(scratch: &Path) {
    let group = group_of(std::process::id());
    let _ = lchown(scratch, None, Some(group));
    let _ = fs::set_permissions(scratch, fs::Permissions::from_mode(0o3771));
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o002));
}

/// The `user` stage: let the group into the scratch folder, set the limits, run the
/// program as its own user (in a session of its own, behind the seccomp filter), and exit
/// as it did.
pub fn run(scratch: &Path, limits: &Limits, program: &Path, args: &[std::ffi::OsString]) -> ! {
    let group = group_of(std::os::unix::process::parent_id());
    let user = user_of(std::process::id());
    // The harness made the check's files since the last program ran.
    let_group_in(scratch, group)
        .unwrap_or_else(|e| fail(&format!("could not share the scratch folder: {e}")));
    set_limits(limits).unwrap_or_else(|e| fail(&format!("could not set the limits: {e}")));
    // What the program makes is its group's (the check's other programs) and nobody
    // else's: the programs of other submissions, in other groups, read none of it even
    // when a command line gives its path away.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o007));
    // Where it was started if that is a check's folder; else the scratch folder, the one
    // place it may write.
    let cwd = std::env::current_dir()
        .ok()
        .filter(|dir| dir.starts_with(scratch));
    let cwd = cwd.unwrap_or(scratch.to_path_buf());
    let walls = Walls::new().unwrap_or_else(|e| fail(&e.to_string()));
    // Opened here, as root, and run through its descriptor: the program's user needs no
    // way to its binary, so the folders of the builds (its classmates' sources and
    // binaries, the reference's) can be closed to it.
    let binary = fs::File::open(program)
        .unwrap_or_else(|e| fail(&format!("could not open {}: {e}", program.display())));
    rustix::io::fcntl_setfd(&binary, rustix::io::FdFlags::empty())
        .unwrap_or_else(|e| fail(&format!("could not pass on the program: {e}")));
    let mut command = Command::new(format!("/proc/self/fd/{}", binary.as_raw_fd()));
    #[allow(unsafe_code)]
    // SAFETY: prctl(2) is a single system call, safe between fork and exec.
    unsafe {
        // Run after the uid changed, which made /proc/self root's (not dumpable): the
        // program's own descriptor must be reachable again; exec resets it anyway.
        command.pre_exec(|| {
            rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::Dumpable)
                .map_err(io::Error::from)
        });
    }
    #[allow(unsafe_code)]
    // SAFETY: `enter` makes system calls only, no allocation or lock: sound between fork
    // and exec (where std runs it after setuid, and after the call above).
    unsafe {
        command.pre_exec(move || walls.enter());
    }
    let status = command
        .arg0(program)
        .current_dir(cwd)
        .args(args)
        .uid(user)
        .gid(group)
        .status()
        .unwrap_or_else(|e| fail(&format!("could not run {}: {e}", program.display())));
    super::launcher::exit_as(status)
}

/// Group `group`, with read and write (and search, for folders), on everything in `dir`,
/// and nothing for anyone else (other submissions' programs run in other groups).
/// Root does this while other checks' programs run and may plant links in the scratch
/// folder: everything is opened without following links and changed through the opened
/// descriptor, never by path (a chmod by path follows a link swapped in meanwhile).
pub fn let_group_in(dir: &Path, group: u32) -> io::Result<()> {
    let at = rustix::fs::open(
        dir,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    match grant(at, group) {
        // Other checks make and remove their folders meanwhile: what is gone needs nothing.
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// [`let_group_in`] on `dir` itself, not what is in it: the way through to the folders
/// a program is given.
pub fn let_group_through(dir: &Path, group: u32) -> io::Result<()> {
    let at = rustix::fs::open(
        dir,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    grant_one(&at, group).map(|_| ())
}

/// [`let_group_in`] on what `fd` (opened with O_PATH, links not followed) is.
fn grant(fd: OwnedFd, group: u32) -> io::Result<()> {
    if grant_one(&fd, group)? == FileType::Directory {
        let dir = rustix::fs::openat(
            &fd,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        for entry in rustix::fs::Dir::read_from(&dir)? {
            let entry = entry?;
            let name = entry.file_name();
            if name == c"." || name == c".." {
                continue;
            }
            let child = rustix::fs::openat(
                &dir,
                name,
                OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            );
            match child
                .map_err(io::Error::from)
                .and_then(|child| grant(child, group))
            {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                other => other?,
            }
        }
    }
    Ok(())
}

/// The group's share of one file or folder (`fd`, O_PATH): what it is.
fn grant_one(fd: &OwnedFd, group: u32) -> io::Result<FileType> {
    let stat = rustix::fs::fstat(fd)?;
    let kind = FileType::from_raw_mode(stat.st_mode);
    if kind == FileType::Symlink {
        // The link itself, not its target (an O_PATH descriptor of a link is the link).
        rustix::fs::chownat(
            fd,
            "",
            None,
            Some(Gid::from_raw(group)),
            AtFlags::EMPTY_PATH | AtFlags::SYMLINK_NOFOLLOW,
        )?;
        return Ok(kind);
    }
    if stat.st_gid != group {
        rustix::fs::chownat(
            fd,
            "",
            None,
            Some(Gid::from_raw(group)),
            AtFlags::EMPTY_PATH,
        )?;
    }
    let mode = stat.st_mode & 0o7777;
    let wanted = (mode
        | 0o060
        | if kind == FileType::Directory || mode & 0o100 != 0 {
            0o010
        } else {
            0
        })
        & !0o007;
    if wanted != mode {
        // chmod has no "this descriptor" form for O_PATH; its /proc/self/fd entry names
        // exactly the opened file, whatever is at the path now.
        fs::set_permissions(
            format!("/proc/self/fd/{}", fd.as_raw_fd()),
            fs::Permissions::from_mode(wanted),
        )?;
    }
    Ok(kind)
}

/// Keep `programs` (the reference binaries) from the programs under test: readable and
/// runnable by root alone.
pub fn hide(programs: &[&Path]) {
    for program in programs {
        let _ = fs::set_permissions(program, fs::Permissions::from_mode(0o700));
    }
}

/// Kill every process the launcher `launcher_pid`'s program left, whatever session or group
/// it moved to: a process of its user id does kill(-1, SIGKILL).
pub fn kill_everything_of(launcher_pid: u32) {
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let user = user_of(launcher_pid);
    let _ = Command::new(exe)
        .args([LAUNCHER_ARG, "kill-user"])
        .uid(user)
        .gid(user)
        .status();
}

/// The `kill-user` stage, running as the program's user id: kill(-1) reaches every
/// process of that user id but this one.
pub fn kill_user() -> ! {
    #[allow(unsafe_code)]
    // SAFETY: kill(2) with plain integers; -1 means every process this one may signal,
    // which, running as the program's own user id, is exactly the program's.
    unsafe {
        libc::kill(-1, libc::SIGKILL);
    }
    std::process::exit(0)
}
