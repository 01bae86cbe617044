//! Waiting for what gives no signal when it happens (a process that may have exited, a file
//! that may have appeared, a socket that may have reached a state): ask again with a short,
//! growing pause until a deadline. The one place the harness sleeps to wait; clippy refuses
//! `thread::sleep` everywhere else (`clippy.toml`), but for a pause that is the point
//! (a peer that writes slowly on purpose), which says so through [`on_purpose`].

use std::fmt;
use std::time::{Duration, Instant};

/// The first pause between two looks, and the longest: short enough that a wait ends within
/// a few milliseconds of what it waits for, long enough not to spin a core.
const FIRST_PAUSE: Duration = Duration::from_millis(1);
const LONGEST_PAUSE: Duration = Duration::from_millis(20);

/// What [`until`] says when the deadline came first: how long it waited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimedOut {
    pub waited: Duration,
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not within {} ms", self.waited.as_millis())
    }
}

impl std::error::Error for TimedOut {}

/// Ask `probe` until it answers `Some`, for at most `timeout`; it is asked at least once,
/// and once more at the deadline.
pub fn until<T>(timeout: Duration, probe: impl FnMut() -> Option<T>) -> Result<T, TimedOut> {
    until_deadline(Instant::now() + timeout, probe)
}

/// [`until`] with the deadline as an instant, for a wait that shares one with others.
pub fn until_deadline<T>(
    deadline: Instant,
    mut probe: impl FnMut() -> Option<T>,
) -> Result<T, TimedOut> {
    let started = Instant::now();
    let mut pause = FIRST_PAUSE;
    loop {
        if let Some(answer) = probe() {
            return Ok(answer);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(TimedOut {
                waited: started.elapsed(),
            });
        }
        #[allow(clippy::disallowed_methods)]
        // The wait itself: bounded by the deadline, and by the longest pause.
        std::thread::sleep(pause.min(left));
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

/// Wait until `probe` has answered the same for `quiet`, at most `timeout`: output that has
/// settled. Returns the last answer either way.
pub fn settled<T: PartialEq>(
    quiet: Duration,
    timeout: Duration,
    mut probe: impl FnMut() -> T,
) -> T {
    let mut last = probe();
    let mut since = Instant::now();
    let give_up = Instant::now() + timeout;
    loop {
        let waited = until_deadline(give_up.min(since + quiet), || {
            let now = probe();
            (now != last).then_some(now)
        });
        match waited {
            Ok(changed) => {
                last = changed;
                since = Instant::now();
            }
            Err(_) => return last,
        }
    }
}

/// A pause that is the point, not a wait (a peer that sends slowly on purpose, a sampler
/// that looks every so often): `why` says which, for the reader of the call.
pub fn on_purpose(pause: Duration, why: &str) {
    let _ = why;
    #[allow(clippy::disallowed_methods)]
    // Asked for by name: the caller says why.
    std::thread::sleep(pause);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_as_soon_as_the_probe_does_and_times_out_otherwise() {
        let mut asked = 0;
        let answer = until(Duration::from_secs(5), || {
            asked += 1;
            (asked == 3).then_some("third")
        });
        assert_eq!(answer, Ok("third"));
        let started = Instant::now();
        let never = until(Duration::from_millis(30), || None::<()>);
        assert!(never.is_err());
        assert!(started.elapsed() >= Duration::from_millis(30));
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(never.unwrap_err().to_string().starts_with("not within "));
    }

    #[test]
    fn settles_when_the_answer_stops_changing() {
        let mut n = 0;
        let last = settled(Duration::from_millis(20), Duration::from_secs(5), || {
            n += 1;
            n.min(5)
        });
        assert_eq!(last, 5);
    }
}
