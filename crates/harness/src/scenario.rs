//! Scenario peers: a check that composes an exercise's awkward behaviours into whole
//! conversations (drawn from its seed, each computing its own right outcome) plays them
//! several at once and names the first that went wrong in one line, with the seed that
//! draws the same scenarios again.

use std::fmt::Display;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::check::{Ctx, Failure};

/// Play every scenario, `at_once` at a time, each by `play`. A failure names the scenario
/// (its `Display`: one line that says everything drawn) and says what went wrong in it;
/// of several, the one earliest in the list. Every scenario is played even after one
/// failed: which ones ran, and so what the check's report quotes, never depends on
/// timing, and the same seed shows the same words.
pub fn play_all<S: Display + Sync>(
    ctx: &Ctx,
    scenarios: &[S],
    at_once: usize,
    play: impl Fn(&S) -> Result<(), Failure> + Sync,
) -> Result<(), Failure> {
    let next = AtomicUsize::new(0);
    let failures: Mutex<Vec<(usize, Failure)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..at_once.clamp(1, scenarios.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(scenario) = scenarios.get(i) else {
                        break;
                    };
                    if let Err(failure) = play(scenario) {
                        let mut failures = failures.lock().unwrap_or_else(|e| e.into_inner());
                        failures.push((i, failure));
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap_or_else(|e| e.into_inner());
    failures.sort_by_key(|(i, _)| *i);
    match failures.into_iter().next() {
        None => {
            ctx.step(format!(
                "played {} scenarios, each as it should go",
                scenarios.len()
            ));
            Ok(())
        }
        // The failing scenario's own words say what its run did; a panic of another
        // scenario's run, quoted above them, would depend on which ended first.
        Some((i, failure)) => Err(Failure::new(format!(
            "in scenario {} of {}: {}\n{}",
            i + 1,
            scenarios.len(),
            scenarios[i],
            failure.message()
        ))
        .panics_told()),
    }
}
