//! SIGTERM, SIGINT and SIGHUP (the terminal gone: an SSH session dropped, an editor's
//! terminal closed) noticed rather than obeyed on the spot: the handler only sets a flag
//! (all a signal handler may safely do), and a thread that watches it kills every process
//! group this process started before it exits, so no student program outlives grade.

use std::sync::atomic::{AtomicI32, Ordering};
use std::thread;
use std::time::Duration;

/// The signal received, 0 for none.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

#[cfg(unix)]
extern "C" fn on_signal(signal: libc::c_int) {
    RECEIVED.store(signal, Ordering::SeqCst);
}

/// Catch SIGTERM, SIGINT and SIGHUP from now on. A caught signal goes back to its default on
/// exec, so the programs this process starts are not affected.
fn catch() {
    #[cfg(unix)]
    {
        let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        #[allow(unsafe_code)]
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(libc::SIGTERM, handler);
            libc::signal(libc::SIGINT, handler);
            libc::signal(libc::SIGHUP, handler);
        }
    }
}

fn received() -> bool {
    RECEIVED.load(Ordering::SeqCst) != 0
}

/// After a signal, block this thread for good: the thread [`on_termination`] started is
/// stopping everything and will exit the process, and what this thread was about to report
/// (a program that died of that signal) is not a result. Returns at once otherwise.
pub fn halt_if_interrupted() {
    while received() {
        thread::park();
    }
}

/// Catch the signals, and on one: `cleanup`, then SIGKILL every process group this process
/// started that is still live, then exit with 128 + the signal's number (130 for Ctrl-C,
/// 143 for SIGTERM, 129 for a hang-up), as the shell reports a process killed by it.
pub fn on_termination(cleanup: impl FnOnce() + Send + 'static) {
    catch();
    thread::spawn(move || {
        // Polling, as nothing in std waits for a signal; a look every 25 ms, for ever.
        while !received() {
            crate::wait::on_purpose(Duration::from_millis(25), "a signal has no event in std");
        }
        // A cleanup that panics (an eprintln! to a terminal that hung up fails) must not
        // keep this thread from the exit every other thread is parked waiting for.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(cleanup));
        crate::groups::kill_all_groups();
        std::process::exit(128 + RECEIVED.load(Ordering::SeqCst));
    });
}
