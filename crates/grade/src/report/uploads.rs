//! What the reports say about the uploads themselves: what grade found in each (so a
//! student sees which of their files were graded, and why one was not), and the paths
//! that were not graded at all (a stray file among the submissions, an unreadable folder).

use std::fmt::Write as _;

use anyhow::Result;
use quick_xml::Writer;
use quick_xml::events::{BytesEnd, BytesStart, Event};
use serde::{Deserialize, Serialize};

use super::junit::xml_text;
use super::markdown::md_cell;
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

fn line(note: &UploadNote) -> String {
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

pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let problems: Vec<String> = report
        .submissions
        .iter()
        .flat_map(|sub| {
            sub.upload
                .iter()
                .filter(|n| n.problem)
                .map(move |n| format!("- {}: {}", md_cell(&sub.name), md_cell(&line(n))))
        })
        .collect();
    if !problems.is_empty() {
        let _ = writeln!(out, "\n**Uploads**\n\n{}", problems.join("\n"));
    }
    if !report.not_graded.is_empty() {
        let _ = writeln!(out, "\n**Not graded**\n");
        for skipped in &report.not_graded {
            let _ = writeln!(
                out,
                "- {}: {}",
                md_cell(&skipped.path),
                md_cell(&skipped.reason)
            );
        }
    }
    out
}

/// A suite `not graded`, a skipped test case per path, the reason as its message.
pub fn junit(
    writer: &mut Writer<Vec<u8>>,
    report: &Report,
    timestamp: &str,
    hostname: &str,
) -> Result<()> {
    if report.not_graded.is_empty() {
        return Ok(());
    }
    let count = report.not_graded.len().to_string();
    let mut suite = BytesStart::new("testsuite");
    suite.push_attribute(("name", "not graded"));
    suite.push_attribute(("tests", count.as_str()));
    suite.push_attribute(("failures", "0"));
    suite.push_attribute(("errors", "0"));
    suite.push_attribute(("skipped", count.as_str()));
    suite.push_attribute(("time", "0.000"));
    suite.push_attribute(("timestamp", timestamp));
    suite.push_attribute(("hostname", hostname));
    writer.write_event(Event::Start(suite))?;
    for skipped in &report.not_graded {
        let mut case = BytesStart::new("testcase");
        let path = xml_text(&skipped.path);
        case.push_attribute(("name", path.as_str()));
        case.push_attribute(("classname", "not graded"));
        case.push_attribute(("time", "0.000"));
        writer.write_event(Event::Start(case))?;
        let mut skip = BytesStart::new("skipped");
        let reason = xml_text(&skipped.reason);
        skip.push_attribute(("message", reason.as_str()));
        writer.write_event(Event::Empty(skip))?;
        writer.write_event(Event::End(BytesEnd::new("testcase")))?;
    }
    writer.write_event(Event::End(BytesEnd::new("testsuite")))?;
    Ok(())
}
