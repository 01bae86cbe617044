//! Linux namespaces for the sandbox, entered without root: a user namespace makes this
//! process the owner of the namespaces it creates next (a network namespace per check, and
//! the launcher's PID and mount namespaces), which is all the privilege they need.

use std::io;
use std::os::fd::AsRawFd;

use rustix::thread::{UnshareFlags, unshare_unsafe};

/// Enter a new user namespace, keeping this process's user and group ids (mapped to
/// themselves), so files stay as accessible as they were. Only possible while the process
/// has a single thread.
pub fn enter_user_namespace() -> Result<(), String> {
    let uid = rustix::process::getuid().as_raw();
    let gid = rustix::process::getgid().as_raw();
    if uid == 0 {
        // Root keeps the builds' user ids too: builds then run as none of the host's users.
        super::root_map::enter_user_namespace_as_root()?;
        return see_files_as_the_user()
            .map_err(|e| format!("could not give up capabilities ({e})"));
    }
    unshare(UnshareFlags::NEWUSER)
        .map_err(|e| format!("user namespaces are not available here ({e})"))?;
    map_ids(uid, uid, gid, gid).map_err(|e| format!("could not map this user's id ({e})"))?;
    see_files_as_the_user().map_err(|e| format!("could not give up capabilities ({e})"))
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
    unshare(UnshareFlags::NEWNET).map_err(|e| format!("unshare(CLONE_NEWNET): {e}"))?;
    loopback_up().map_err(|e| format!("could not bring the loopback up: {e}"))
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
/// loopback down, and 127.0.0.1 and ::1 unreachable.
fn loopback_up() -> io::Result<()> {
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
