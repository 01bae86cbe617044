//! Linux namespaces for the sandbox, entered without root: a user namespace makes this
//! process the owner of the namespaces it creates next (a network namespace per check, and
//! the launcher's PID and mount namespaces), which is all the privilege they need.
//!
//! As root, the user namespace also maps the host's unused ids programs run as (never 0:
//! uid 0 owns every root-owned file and escapes the process limit), which only a process
//! left outside can write: a helper forked before the unshare.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::thread::{UnshareFlags, unshare_unsafe};

/// The host user ids a root harness's programs run as (`other_user::user_of`: 2e9 plus a
/// launcher's pid) and the groups (`other_user::group_of`: 3e9 plus a harness's pid):
/// owned by nobody, one per pid the kernel can give (pid_max is at most 2^22).
const PROGRAM_UIDS: u32 = 2_000_000_000;
const PROGRAM_GIDS: u32 = 3_000_000_000;
const PIDS: u32 = 1 << 22;

static PROGRAM_IDS_MAPPED: AtomicBool = AtomicBool::new(false);

/// Whether this process's user namespace maps the programs' ids (root): the launcher then
/// runs each program as one of them.
pub fn program_ids_mapped() -> bool {
    PROGRAM_IDS_MAPPED.load(Ordering::Relaxed)
}

/// Enter a new user namespace, keeping this process's user and group ids (mapped to
/// themselves), so files stay as accessible as they were. Only possible while the process
/// has a single thread.
pub fn enter_user_namespace() -> Result<(), String> {
    let uid = rustix::process::getuid().as_raw();
    let gid = rustix::process::getgid().as_raw();
    if uid == 0 {
        // Root sees files as root does (DAC capabilities kept: root's programs write files
        // it must read and remove), and the programs' ids are mapped too.
        return enter_as_root(gid);
    }
    unshare(UnshareFlags::NEWUSER)
        .map_err(|e| format!("user namespaces are not available here ({e})"))?;
    map_ids(uid, uid, gid, gid).map_err(|e| format!("could not map this user's id ({e})"))?;
    see_files_as_the_user().map_err(|e| format!("could not give up capabilities ({e})"))
}

/// Root's user namespace: 0 is 0, and the programs' ids are themselves, written by a
/// helper that stays outside (a process may only map its own id in a namespace it just
/// entered). Where the helper cannot (root of a container that lacks those ids), only 0
/// is mapped, as for an ordinary user, and programs run as that.
fn enter_as_root(gid: u32) -> Result<(), String> {
    let (go_read, go_write) = rustix::pipe::pipe().map_err(|e| format!("pipe: {e}"))?;
    let parent = std::process::id();
    #[allow(unsafe_code)]
    // SAFETY: init runs while this process has one thread: the child may do anything.
    let helper = unsafe { libc::fork() };
    if helper < 0 {
        return Err(format!("fork: {}", io::Error::last_os_error()));
    }
    if helper == 0 {
        drop(go_write);
        let mut byte = [0u8; 1];
        // The parent says go once it unshared; end of file means it gave up.
        let ok = matches!(rustix::io::read(&go_read, &mut byte), Ok(1))
            && write_program_maps(parent).is_ok();
        #[allow(unsafe_code)]
        // SAFETY: _exit ends this forked helper without running the parent's atexit
        // handlers or flushing its buffers twice.
        unsafe {
            libc::_exit(if ok { 0 } else { 1 })
        }
    }
    drop(go_read);
    let unshared = unshare(UnshareFlags::NEWUSER);
    let _ = rustix::io::write(&go_write, b"g");
    drop(go_write);
    let helped = wait_child(helper);
    unshared.map_err(|e| format!("user namespaces are not available here ({e})"))?;
    if helped {
        PROGRAM_IDS_MAPPED.store(true, Ordering::Relaxed);
        return Ok(());
    }
    map_ids(0, 0, gid, gid).map_err(|e| format!("could not map this user's id ({e})"))
}

fn write_program_maps(pid: u32) -> io::Result<()> {
    std::fs::write(
        format!("/proc/{pid}/uid_map"),
        format!("0 0 1\n{PROGRAM_UIDS} {PROGRAM_UIDS} {PIDS}\n"),
    )?;
    std::fs::write(
        format!("/proc/{pid}/gid_map"),
        format!("0 0 1\n{PROGRAM_GIDS} {PROGRAM_GIDS} {PIDS}\n"),
    )
}

/// Wait for the helper; true if it mapped the ids.
fn wait_child(pid: libc::pid_t) -> bool {
    let Some(pid) = rustix::process::Pid::from_raw(pid) else {
        return false;
    };
    loop {
        match rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty()) {
            Err(rustix::io::Errno::INTR) => continue,
            Ok(Some((_, status))) => return status.exit_status() == Some(0),
            _ => return false,
        }
    }
}

/// In a user namespace of its own this process holds every capability over the user's
/// files, and would read what the user cannot (a folder of mode 000 among a class's
/// submissions, which must be reported as unreadable). Only the namespaces' capabilities
/// are needed: give up the two that bypass file permissions.
fn see_files_as_the_user() -> io::Result<()> {
    use rustix::thread::{CapabilitySet, capabilities, set_capabilities};
    let bypass = CapabilitySet::DAC_OVERRIDE | CapabilitySet::DAC_READ_SEARCH;
    let mut sets = capabilities(None)?;
    sets.effective -= bypass;
    sets.permitted -= bypass;
    sets.inheritable -= bypass;
    set_capabilities(None, sets)?;
    Ok(())
}

/// In a user namespace this process just entered: user `inside` is `outside` outside.
pub fn map_ids(
    inside_uid: u32,
    outside_uid: u32,
    inside_gid: u32,
    outside_gid: u32,
) -> io::Result<()> {
    // An unprivileged process may only map its own group once it gave up setgroups(2).
    match std::fs::write("/proc/self/setgroups", "deny") {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    std::fs::write(
        "/proc/self/uid_map",
        format!("{inside_uid} {outside_uid} 1\n"),
    )?;
    std::fs::write(
        "/proc/self/gid_map",
        format!("{inside_gid} {outside_gid} 1\n"),
    )
}

/// Move the calling thread (and what it starts from now on) into a new network
/// namespace whose loopback is up: a network of its own, with nothing else on it.
pub fn enter_network_namespace() -> Result<(), String> {
    // Made from the parent below when there is one: a namespace made from the host's
    // shares the host's table of TCP connections (262,144 buckets on a 24 GiB machine),
    // which every read of /proc/net/tcp walks whole: 2 ms a read, and a check that watches
    // socket states reads it hundreds of times. One made from the parent gets a table of
    // its own: 0.1 ms a read.
    if let Some(parent) = parent_network() {
        rustix::thread::move_into_link_name_space(
            parent.as_fd(),
            Some(rustix::thread::LinkNameSpaceType::Network),
        )
        .map_err(|e| format!("setns(the checks' parent network): {e}"))?;
    }
    unshare(UnshareFlags::NEWNET).map_err(|e| format!("unshare(CLONE_NEWNET): {e}"))?;
    loopback_up().map_err(|e| format!("could not bring the loopback up: {e}"))
}

/// A network namespace made once per process, whose children get small tables of TCP
/// connections (`tcp_child_ehash_entries`, a setting of the parent: /proc/sys/net is the
/// calling thread's namespace's). Making it once, not for every check, halves the
/// namespaces made (each costs about a millisecond of the kernel's time to make and as
/// much to take down). None where the setting cannot be written (a kernel before 6.1):
/// checks' namespaces are then made from the host's.
fn parent_network() -> Option<&'static OwnedFd> {
    static PARENT: OnceLock<Option<OwnedFd>> = OnceLock::new();
    PARENT
        .get_or_init(|| {
            // In a thread of its own, which ends once the namespace is held by the fd.
            std::thread::spawn(|| {
                unshare(UnshareFlags::NEWNET).ok()?;
                std::fs::write("/proc/sys/net/ipv4/tcp_child_ehash_entries", "1024").ok()?;
                std::fs::File::open("/proc/thread-self/ns/net")
                    .ok()
                    .map(OwnedFd::from)
            })
            .join()
            .ok()
            .flatten()
        })
        .as_ref()
}

/// unshare(2) for the namespaces the sandbox uses.
pub fn unshare(flags: UnshareFlags) -> io::Result<()> {
    debug_assert!(!flags.contains(UnshareFlags::FILES));
    #[allow(unsafe_code)]
    // SAFETY: rustix marks unshare unsafe only for UnshareFlags::FILES (threads losing
    // each other's file descriptors); no caller passes it.
    unsafe { unshare_unsafe(flags) }.map_err(io::Error::from)
}

/// `ip link set lo up`, the one ioctl it takes: a new network namespace starts with its
/// loopback down, and 127.0.0.1 and ::1 unreachable. Also the capture tool's (`trace`).
pub fn loopback_up() -> io::Result<()> {
    // Any socket of the namespace will do to talk to its interfaces.
    let socket = std::net::UdpSocket::bind("0.0.0.0:0")?;
    #[allow(unsafe_code)]
    // SAFETY: ifreq is plain data (zeroed is a valid value); the name is NUL-terminated;
    // both ioctls read and write only that struct, which outlives them.
    unsafe {
        let mut request: libc::ifreq = std::mem::zeroed();
        for (slot, byte) in request.ifr_name.iter_mut().zip(b"lo\0") {
            *slot = *byte as libc::c_char;
        }
        if libc::ioctl(socket.as_raw_fd(), libc::SIOCGIFFLAGS, &mut request) < 0 {
            return Err(io::Error::last_os_error());
        }
        request.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
        if libc::ioctl(socket.as_raw_fd(), libc::SIOCSIFFLAGS, &request) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
