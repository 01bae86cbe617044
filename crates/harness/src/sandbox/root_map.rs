//! grade run as root enters its user namespace with more than its own id mapped: the
//! ranges of user and group ids builds run as ([`super::builder::BUILD_UIDS`], the ranges
//! of the other-user sandbox's programs), so that a build is none of the host's users. Only a process outside the new namespace, with CAP_SETUID
//! there, may write such a map: a child forked before the unshare writes it.

use std::fs::File;
use std::io::{Read, Write};

use rustix::thread::UnshareFlags;

use super::builder::{BUILD_GIDS, BUILD_UIDS};
use super::linux::unshare;

/// Enter a new user namespace mapping root to itself and the builds' range to itself.
/// Only while this process has one thread.
pub fn enter_user_namespace_as_root() -> Result<(), String> {
    let (go_read, go_write) = rustix::pipe::pipe().map_err(|e| format!("pipe: {e}"))?;
    let (done_read, done_write) = rustix::pipe::pipe().map_err(|e| format!("pipe: {e}"))?;
    let parent = std::process::id();
    #[allow(unsafe_code)]
    // SAFETY: called while the process has one thread (sandbox::init), so the child may
    // do anything the parent could; it only writes two files and exits.
    let child = unsafe { libc::fork() };
    if child == -1 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if child == 0 {
        drop((go_write, done_read));
        let mut byte = [0u8];
        let mut go = File::from(go_read);
        let ok = go.read_exact(&mut byte).is_ok() && byte[0] == b'1' && write_maps(parent);
        let _ = File::from(done_write).write_all(if ok { b"1" } else { b"0" });
        // No destructor, no atexit handler of the parent's: just go.
        #[allow(unsafe_code)]
        // SAFETY: _exit ends this process at once; always sound.
        unsafe {
            libc::_exit(0)
        };
    }
    drop((go_read, done_write));
    let entered = unshare(UnshareFlags::NEWUSER);
    let _ = File::from(go_write).write_all(if entered.is_ok() { b"1" } else { b"0" });
    let mut answer = [0u8];
    let mapped = File::from(done_read).read_exact(&mut answer).is_ok() && answer[0] == b'1';
    if let Some(pid) = rustix::process::Pid::from_raw(child) {
        let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty());
    }
    entered.map_err(|e| format!("user namespaces are not available here ({e})"))?;
    if !mapped {
        return Err("could not map root's and the builds' user ids".to_string());
    }
    Ok(())
}

/// From outside: map 0 and the builds' range in `pid`'s new user namespace.
fn write_maps(pid: u32) -> bool {
    let (first, count) = BUILD_UIDS;
    let uids = format!("0 0 1\n{first} {first} {count}\n");
    let gids = format!("0 0 1\n{BUILD_GIDS} {BUILD_GIDS} {count}\n");
    std::fs::write(format!("/proc/{pid}/uid_map"), uids).is_ok()
        && std::fs::write(format!("/proc/{pid}/gid_map"), gids).is_ok()
}
