//! A private network of our own, entered without root: a new user namespace makes this
//! process the owner of a new network namespace, whose only interface is a loopback we
//! bring up. The command trace runs inherits both, so every packet it sends stays there,
//! where nobody else's traffic is, and where capturing needs no privilege on the host.

use std::io;

use rustix::io::Errno;
use rustix::thread::{UnshareFlags, unshare_unsafe};

/// Why the namespaces could not be made, in words for the user.
pub struct Unavailable(pub String);

/// Enter a new user and network namespace (this user is root inside, and nowhere else),
/// bring the loopback up, and return its interface index. Must run while the process has
/// one thread: the kernel refuses a new user namespace to a process with several.
pub fn enter() -> Result<i32, Unavailable> {
    let uid = rustix::process::getuid().as_raw();
    let gid = rustix::process::getgid().as_raw();
    match unshare(UnshareFlags::NEWUSER | UnshareFlags::NEWNET) {
        Ok(()) => map_to_root(uid, gid).map_err(|e| {
            Unavailable(format!(
                "could not map your user id in the new user namespace ({e})"
            ))
        })?,
        // Root without user namespaces (a container's root, say) may still have its own
        // network namespace.
        Err(_) if uid == 0 && unshare(UnshareFlags::NEWNET).is_ok() => {}
        Err(e) => return Err(Unavailable(why_no_namespace(e))),
    }
    loopback_up().map_err(|e| {
        Unavailable(format!(
            "could not bring up the loopback of the new network namespace ({e}): the \
             system gives user namespaces no capabilities (Ubuntu's \
             kernel.apparmor_restrict_unprivileged_userns=1 does that)"
        ))
    })
}

fn why_no_namespace(e: Errno) -> String {
    let cause = match e {
        Errno::PERM | Errno::ACCESS => {
            "unprivileged user namespaces are turned off here (sysctl \
             kernel.unprivileged_userns_clone=0, an AppArmor or SELinux policy, or a \
             container that forbids them)"
        }
        Errno::NOSPC | Errno::USERS => {
            "no user namespace may be made: user.max_user_namespaces is 0 or used up"
        }
        Errno::INVAL => "this kernel has no user or network namespaces",
        Errno::NOSYS => "this kernel has no unshare(2) (a sandbox such as gVisor?)",
        _ => "the kernel refused a new user and network namespace",
    };
    format!("{cause} (unshare: {})", io::Error::from(e))
}

/// unshare(2), with the flags trace uses.
fn unshare(flags: UnshareFlags) -> Result<(), Errno> {
    #[allow(unsafe_code)]
    // SAFETY: rustix marks unshare unsafe only for UnshareFlags::FILES (threads losing
    // each other's file descriptors), which is not passed; this process has one thread.
    unsafe {
        unshare_unsafe(flags)
    }
}

/// Inside, this user is 0 (root of the namespace, so it may configure the loopback and
/// open a packet socket); outside, still itself: files it makes are the user's.
fn map_to_root(uid: u32, gid: u32) -> io::Result<()> {
    // An unprivileged process may only map its group once it gave up setgroups(2).
    match std::fs::write("/proc/self/setgroups", "deny") {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    std::fs::write("/proc/self/uid_map", format!("0 {uid} 1\n"))?;
    std::fs::write("/proc/self/gid_map", format!("0 {gid} 1\n"))
}

/// `ip link set lo up` (the harness's sandbox does the same for every check's network),
/// then lo's index, which the packet socket binds to.
fn loopback_up() -> io::Result<i32> {
    harness::sandbox::loopback_up()?;
    #[allow(unsafe_code)]
    // SAFETY: the name is a NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(c"lo".as_ptr()) };
    match index {
        0 => Err(io::Error::last_os_error()),
        index => i32::try_from(index).map_err(|_| io::Error::other("lo's index is too large")),
    }
}
