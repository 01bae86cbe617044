//! A registry of the process groups the harness started and has not yet finished with.
//! Programs under test run in process groups of their own, so killing the caller's group
//! does not reach them; a process that must stop early (grade's worker at its deadline, or
//! on SIGTERM) calls [`kill_all_groups`] first and leaves nothing behind.

use std::collections::BTreeSet;
use std::io;
use std::process::{Child, Command};
use std::sync::{Mutex, MutexGuard};

use std::time::Duration;

struct Registry {
    live: BTreeSet<u32>,
    /// Set by [`kill_all_groups`]: from then on nothing new may start.
    closed: bool,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    live: BTreeSet::new(),
    closed: false,
});

fn lock() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Spawn `command` (which must make the child lead a new process group) and register
/// the group. Spawning and registering happen under one lock, so [`kill_all_groups`]
/// never misses a program that was starting at that moment.
pub(crate) fn spawn(command: &mut Command) -> io::Result<Child> {
    let mut registry = lock();
    if registry.closed {
        return Err(io::Error::other(
            "the harness is shutting down: no new program may start",
        ));
    }
    let child = command.spawn()?;
    registry.live.insert(child.id());
    Ok(child)
}

/// The group led by `pgid` has been killed and its leader reaped.
pub(crate) fn forget(pgid: u32) {
    lock().live.remove(&pgid);
}

#[derive(Clone, Copy)]
pub(crate) enum Signal {
    Term,
    Kill,
}

/// Send `signal` to the process group `pgid`.
pub(crate) fn signal(pgid: u32, signal: Signal) {
    #[cfg(unix)]
    {
        let number = match signal {
            Signal::Term => libc::SIGTERM,
            Signal::Kill => libc::SIGKILL,
        };
        #[allow(unsafe_code)]
        // SAFETY: kill(2) takes plain integers; a negative pid names a process group.
        unsafe {
            libc::kill(-(pgid as libc::pid_t), number);
        }
    }
    #[cfg(not(unix))]
    let _ = (pgid, signal);
}

/// How many process groups started by this process are still live.
fn live_groups() -> usize {
    lock().live.len()
}

/// SIGKILL every live process group this process started, and refuse to start any new
/// program from now on. Returns how many groups were killed. Call it just before exiting.
pub fn kill_all_groups() -> usize {
    let mut registry = lock();
    registry.closed = true;
    for &pgid in &registry.live {
        signal(pgid, Signal::Kill);
    }
    registry.live.len()
}

/// SIGTERM every live process group, wait up to `grace` for their leaders to be reaped
/// (by the threads that own them), then [`kill_all_groups`]. For groups that clean up after
/// themselves on SIGTERM, such as grade's workers.
pub fn terminate_all_groups(grace: Duration) -> usize {
    for &pgid in &lock().live {
        signal(pgid, Signal::Term);
    }
    // The owning threads reap their children within a few milliseconds of their end.
    let _ = crate::wait::until(grace, || (live_groups() == 0).then_some(()));
    kill_all_groups()
}
