//! The last walls put up in the program's own process, just before it runs (both sandboxed
//! modes): a session of its own with no controlling terminal, a fresh empty session
//! keyring, and a seccomp filter refusing the system calls no exercise needs. They are
//! what is left to refuse once the view and the ids are set: a way to the instructor's
//! terminal (TIOCSTI), memory the limits do not count (shared mappings, memfd, SysV
//! shared memory, a tmpfs in a namespace of its own), and the kernel's widest doors
//! (io_uring, bpf, ptrace, perf events, keyrings, mounts, new namespaces).

use std::collections::BTreeMap;
use std::io;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

/// Refused outright (EPERM): no exercise calls them, and each opens a door the other walls
/// do not close.
const REFUSED: &[libc::c_long] = &[
    // New namespaces would let it mount a tmpfs the memory limit does not count, and
    // undo the view's read-only flags.
    libc::SYS_unshare,
    libc::SYS_setns,
    libc::SYS_mount,
    libc::SYS_umount2,
    libc::SYS_pivot_root,
    libc::SYS_open_tree,
    libc::SYS_move_mount,
    libc::SYS_fsopen,
    libc::SYS_fsconfig,
    libc::SYS_fsmount,
    libc::SYS_fspick,
    libc::SYS_mount_setattr,
    // Memory no limit counts.
    libc::SYS_memfd_create,
    libc::SYS_shmget,
    libc::SYS_shmat,
    // The kernel's widest doors, and other processes' memory.
    libc::SYS_io_uring_setup,
    libc::SYS_io_uring_enter,
    libc::SYS_io_uring_register,
    libc::SYS_bpf,
    libc::SYS_perf_event_open,
    libc::SYS_userfaultfd,
    libc::SYS_ptrace,
    libc::SYS_process_vm_readv,
    libc::SYS_process_vm_writev,
    libc::SYS_kexec_load,
    libc::SYS_kexec_file_load,
    libc::SYS_init_module,
    libc::SYS_finit_module,
    libc::SYS_delete_module,
    libc::SYS_personality,
    libc::SYS_acct,
    libc::SYS_swapon,
    libc::SYS_swapoff,
    libc::SYS_reboot,
    libc::SYS_quotactl,
    libc::SYS_open_by_handle_at,
    libc::SYS_name_to_handle_at,
    // The keyrings: the session's is fresh and empty, and the user's is the grader's.
    libc::SYS_keyctl,
    libc::SYS_add_key,
    libc::SYS_request_key,
];

/// clone(2) flags that make new namespaces (not CLONE_NEWTIME: clone's low byte is the
/// exit signal).
const NEW_NAMESPACES: &[u64] = &[
    libc::CLONE_NEWNS as u64,
    libc::CLONE_NEWUSER as u64,
    libc::CLONE_NEWPID as u64,
    libc::CLONE_NEWNET as u64,
    libc::CLONE_NEWUTS as u64,
    libc::CLONE_NEWIPC as u64,
    libc::CLONE_NEWCGROUP as u64,
];

/// The compiled filters: made before the fork, installed in the child just before exec.
pub struct Walls {
    refuse: BpfProgram,
    /// clone3 answers ENOSYS, so that libc falls back to clone, whose flags the filter
    /// can read (clone3's are behind a pointer).
    no_clone3: BpfProgram,
}

impl Walls {
    pub fn new() -> io::Result<Walls> {
        let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(other)?;
        let mut rules: BTreeMap<i64, Vec<SeccompRule>> =
            REFUSED.iter().map(|&call| (call, Vec::new())).collect();
        let mut clone = Vec::new();
        for &flag in NEW_NAMESPACES {
            // The flags are clone's first argument on every architecture the sandbox runs
            // on (s390 alone swaps the first two).
            clone.push(rule(0, flag, flag)?);
        }
        rules.insert(libc::SYS_clone, clone);
        // mmap(MAP_SHARED | MAP_ANONYMOUS): memory RLIMIT_DATA does not count.
        let shared_anonymous = (libc::MAP_SHARED | libc::MAP_ANONYMOUS) as u64;
        rules.insert(
            libc::SYS_mmap,
            vec![rule(3, shared_anonymous, shared_anonymous)?],
        );
        let refuse = compile(rules, libc::EPERM, arch)?;
        let no_clone3 = compile(
            BTreeMap::from([(libc::SYS_clone3, Vec::new())]),
            libc::ENOSYS,
            arch,
        )?;
        Ok(Walls { refuse, no_clone3 })
    }

    /// In the program's process, between fork and exec: a new session (no controlling
    /// terminal: /dev/tty cannot be opened, TIOCSTI has no terminal to push into), a new
    /// empty session keyring, then the filters (which set no_new_privs: no setuid file
    /// gives it more than it has). Async-signal-safe: no allocation.
    pub fn enter(&self) -> io::Result<()> {
        rustix::process::setsid()?;
        #[allow(unsafe_code)]
        // SAFETY: keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL) takes no pointer but the null
        // name, and only replaces this process's session keyring with a new anonymous one.
        let joined = unsafe {
            libc::syscall(
                libc::SYS_keyctl,
                libc::KEYCTL_JOIN_SESSION_KEYRING,
                std::ptr::null::<libc::c_char>(),
            )
        };
        // A kernel without keyrings has nothing to read either.
        if joined < 0 && io::Error::last_os_error().raw_os_error() != Some(libc::ENOSYS) {
            return Err(io::Error::last_os_error());
        }
        seccompiler::apply_filter(&self.no_clone3).map_err(other)?;
        seccompiler::apply_filter(&self.refuse).map_err(other)
    }
}

/// Matches when `arg & mask == value`.
fn rule(arg: u8, mask: u64, value: u64) -> io::Result<SeccompRule> {
    let condition = SeccompCondition::new(
        arg,
        SeccompCmpArgLen::Qword,
        SeccompCmpOp::MaskedEq(mask),
        value,
    )
    .map_err(other)?;
    SeccompRule::new(vec![condition]).map_err(other)
}

fn compile(
    rules: BTreeMap<i64, Vec<SeccompRule>>,
    errno: i32,
    arch: TargetArch,
) -> io::Result<BpfProgram> {
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(errno as u32),
        arch,
    )
    .map_err(other)?;
    BpfProgram::try_from(filter).map_err(other)
}

fn other(error: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("seccomp: {error}"))
}

#[cfg(test)]
mod tests {
    /// The filter compiles on this machine's architecture: without it, every launch fails.
    #[test]
    fn the_filter_compiles() {
        super::Walls::new().unwrap();
    }
}
