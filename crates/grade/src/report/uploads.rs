//! What the reports say about the uploads themselves: what grade found in each (so a
//! student sees which of their files were graded, and why one was not), and the paths
//! that were not graded at all (a stray file among the submissions, an unreadable folder):
//! the data and its plain lines. Each report format words it itself.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{Report, SubmissionReport};

/// A path given to grade that holds no submission, and why.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NotGraded {
    pub path: String,
    pub reason: String,
}

/// One thing found (or not) in an upload, relative to the upload: `found udp_server.rs
/// (in netlab-main/exercises/udp_cs/src/bin/), no udp_client.rs: expected both ...`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UploadNote {
    /// The exercise it is about; empty for the upload as a whole.
    pub exercise: String,
    pub note: String,
    /// Whether the student should act on it (a program missing or found twice).
    pub problem: bool,
}

/// A note as a line: `udp_cs: found ...`.
pub fn line(note: &UploadNote) -> String {
    match note.exercise.is_empty() {
        true => note.note.clone(),
        false => format!("{}: {}", note.exercise, note.note),
    }
}

/// One submission's view: everything found, above its scores.
pub fn found_lines(sub: &SubmissionReport) -> String {
    let mut out = String::new();
    if !sub.upload.is_empty() {
        let _ = writeln!(out, "in {}:", sub.name);
        for note in &sub.upload {
            let _ = writeln!(out, "  {}", line(note));
        }
    }
    out
}

/// A class's view: only what a student must act on, under the table.
pub fn problem_lines(subs: &[SubmissionReport]) -> String {
    let mut out = String::new();
    for sub in subs {
        for note in sub.upload.iter().filter(|n| n.problem) {
            let _ = writeln!(out, "{} {}", sub.name, line(note));
        }
    }
    if !out.is_empty() {
        out.insert(0, '\n');
    }
    out
}

pub fn not_graded_lines(report: &Report) -> String {
    let mut out = String::new();
    for skipped in &report.not_graded {
        let _ = writeln!(out, "not graded: {}: {}", skipped.path, skipped.reason);
    }
    if !out.is_empty() {
        out.insert(0, '\n');
    }
    out
}
