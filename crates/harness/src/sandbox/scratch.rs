//! The scratch folder's two walls of its own: a total size (RLIMIT_FSIZE bounds one file,
//! not how many: 8 GiB took 21 ms) and removal even when the harness is killed.
//!
//! In grade's workers (`SCRATCH_TOTAL_VAR`), where they may make a mount namespace
//! (namespaces, or root), the scratch folder is a tmpfs of `Limits::disk` bytes mounted
//! over it in a mount namespace of the worker's own: every file a check, a reference
//! program or a program under test writes there counts (ENOSPC past it), and when the last
//! process of the namespace ends, however it ends, the tmpfs and everything in it are gone.
//! Only the empty folder is left on the host; folders of harnesses that died are swept by
//! the next one to start ([`sweep`]).

use std::fs;
use std::io;
use std::path::Path;

/// The prefix of a harness's scratch folder: `netlab-scratch-<pid>-<random>`.
pub const PREFIX: &str = "netlab-scratch-";

/// Mount a tmpfs of `bytes` over `dir` in a new mount namespace of this process's own. Call
/// while the process has one thread. Err where mount namespaces cannot be had: the folder
/// then has no total, only the per-file limit.
pub fn limit_total(dir: &Path, bytes: u64) -> io::Result<()> {
    use rustix::mount::{MountFlags, MountPropagationFlags, mount, mount_change};
    super::linux::unshare(rustix::thread::UnshareFlags::NEWNS)?;
    // Nothing mounted from here on reaches the host's namespace (as root, / is shared).
    mount_change(
        "/",
        MountPropagationFlags::DOWNSTREAM | MountPropagationFlags::REC,
    )?;
    let options = std::ffi::CString::new(format!("size={bytes},mode=0711"))
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    mount(
        "netlab-scratch",
        dir,
        "tmpfs",
        MountFlags::NOSUID | MountFlags::NODEV,
        options.as_c_str(),
    )?;
    Ok(())
}

/// Remove the scratch folders of harnesses that are gone (killed before they could clean
/// up) from `tmp`: those named for a process that no longer runs, and this user's.
pub fn sweep(tmp: &Path) {
    let Ok(entries) = fs::read_dir(tmp) else {
        return;
    };
    let me = rustix::process::geteuid().as_raw();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        use std::os::unix::fs::MetadataExt;
        let mine = entry.metadata().is_ok_and(|m| m.is_dir() && m.uid() == me);
        // A live harness's folder may look empty from here (its tmpfs is in its own
        // namespace): never touched. A reused pid only delays the sweep.
        let alive = Path::new("/proc").join(pid.to_string()).exists();
        if mine && !alive {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}
