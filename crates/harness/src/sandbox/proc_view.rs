//! The program's /proc, walled as container runtimes wall theirs: /proc/sys read-only (a
//! uid that owned its files could set the host's core_pattern), and the files and folders
//! that reach the kernel or its secrets masked. Done on the launcher's fresh /proc, before
//! the program runs; it cannot undo a mount (no capability in the mount namespace).

use std::fs;
use std::io;
use std::path::Path;

use rustix::mount::{MountFlags, mount, mount_bind};

/// Read-only: what a container may read but never set.
const READ_ONLY: &[&str] = &["sys", "sysrq-trigger", "irq", "bus", "fs"];
/// Files that read the kernel's memory or secrets, or act on it: /dev/null over them.
const MASKED_FILES: &[&str] = &[
    "kcore",
    "keys",
    "key-users",
    "timer_list",
    "sched_debug",
    "latency_stats",
    "kallsyms",
    "kmsg",
];
/// Folders of the machine's hardware: an empty, read-only folder over them.
const MASKED_FOLDERS: &[&str] = &["acpi", "scsi", "driver"];

/// Wall off the /proc mounted at `proc` (not yet the program's root: /dev/null is the
/// host's).
pub fn wall_off(proc: &Path) -> io::Result<()> {
    let sealed = MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC;
    for name in READ_ONLY {
        let path = proc.join(name);
        if path.exists() {
            mount_bind(&path, &path)?;
            super::launcher::rebind(
                &path,
                &rustix::fs::statvfs(&path)?,
                sealed | MountFlags::RDONLY,
            )?;
        }
    }
    for name in MASKED_FILES {
        let path = proc.join(name);
        if path.exists() {
            mount_bind("/dev/null", &path)?;
        }
    }
    for name in MASKED_FOLDERS {
        let path = proc.join(name);
        if fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            mount(
                "tmpfs",
                &path,
                "tmpfs",
                sealed | MountFlags::RDONLY,
                c"size=0",
            )?;
        }
    }
    Ok(())
}
