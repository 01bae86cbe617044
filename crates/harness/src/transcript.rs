//! The transcript of one check: every program it ran, how each ended and whether it
//! panicked, so that the check runner can tell "not written yet" and panics apart from
//! wrong answers, whatever the check itself looked at.

use std::sync::Mutex;

use crate::output::Output;
use crate::panic::Panic;

/// The runs made during one check: how each ended and whether it panicked. The check
/// runner reads it to tell "not written yet" and panics apart from wrong answers.
#[derive(Default)]
pub struct Transcript {
    runs: Mutex<Vec<Run>>,
}

#[derive(Clone, Debug)]
pub struct Run {
    pub command_line: String,
    pub ending: String,
    pub panic: Option<Panic>,
}

impl Transcript {
    pub(crate) fn record(&self, output: &Output) {
        let run = Run {
            command_line: output.command_line.clone(),
            ending: output.ending(),
            panic: output.panic(),
        };
        self.runs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(run);
    }

    pub fn runs(&self) -> Vec<Run> {
        self.runs.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
