//! Reports that a submission cannot forge, graded by the real `grade` binary: a panic
//! whose message holds escape sequences, a CR, a newline and a fake full-marks row
//! (tests/fixtures/sandbox-forged-panic), and an upload whose folder and file names hold
//! escape bytes and a newline. In every format the raw bytes are absent and the escaped
//! form (`\u{1b}`) is there: one function escapes them for all
//! (`harness::bytes::printable`, applied by `feedback::make_printable`).

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{fixture_submission, grade, scratch, solution, write};

/// The formats grade writes, each for one submission.
const FORMATS: &[&str] = &[
    "table",
    "json",
    "junit",
    "markdown",
    "gradescope",
    "classroom",
];

/// What must never reach a report from a submission: controls other than newline and
/// tab (ESC, CR, BS, BEL, DEL, C1) and the bidi override, as bytes.
fn raw_controls(report: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(report);
    text.char_indices()
        .filter(|(_, c)| {
            (c.is_control() && *c != '\n' && *c != '\t') || matches!(c, '\u{202a}'..='\u{202e}')
        })
        .map(|(at, c)| {
            let start = text[..at]
                .char_indices()
                .rev()
                .nth(60)
                .map_or(0, |(i, _)| i);
            format!("U+{:04X} after {:?}", c as u32, &text[start..at])
        })
        .collect()
}

/// Grade `submission` in every format; each report holds no raw control, shows
/// `escaped` (text only the escaping writes), and starts no line with `forged`.
fn every_format_escapes(submission: &Path, out: &Path, escaped: &str, forged: &str) {
    let mut wrong = Vec::new();
    for format in FORMATS {
        let output = grade(&[
            submission.as_os_str(),
            "--exercise=os_args".as_ref(),
            format!("--format={format}").as_ref(),
            "--scratch".as_ref(),
            out.as_os_str(),
        ]);
        assert!(
            output.code().is_some_and(|c| c == 0 || c == 1),
            "{format}:\n{}",
            output.report()
        );
        for found in raw_controls(&output.stdout) {
            wrong.push(format!(
                "{format}: a raw control reached the report: {found}"
            ));
        }
        let text = String::from_utf8_lossy(&output.stdout);
        if text
            .lines()
            .any(|line| line.trim_start().starts_with(forged))
        {
            wrong.push(format!(
                "{format}: a line of the report starts with {forged:?}:\n{text}"
            ));
        }
        if !text.contains(escaped) {
            wrong.push(format!(
                "{format}: the escaped form {escaped:?} is not in the report:\n{}",
                output.stdout_text()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

pub fn a_panic_cannot_steer_the_terminal_or_draw_a_row() {
    let class = scratch("forged-panic-class");
    let _ = fs::remove_dir_all(&class);
    let submission = fixture_submission("sandbox-forged-panic", &class.join("s"));
    every_format_escapes(
        &submission,
        &scratch("forged-panic"),
        "u{1b}",
        "| sandbox-forged-panic",
    );
}

pub fn an_uploads_names_cannot_steer_the_terminal_or_start_a_row() {
    let class = scratch("forged-names-class");
    let _ = fs::remove_dir_all(&class);
    // The upload's folder is the submission's name; two candidates for os_args.rs, one in
    // a folder whose name holds a title-setting sequence and a newline, make the upload
    // notes name both.
    let upload: PathBuf = class.join("evil\x1b[2J\x1b[H\r\n| x | 134 of 134 |\u{202e}");
    write(&upload.join("os_args.rs"), solution("os_args", "os_args"));
    write(
        &upload
            .join("a\x1b]0;pwned\x07\n| forged | 9/9 |")
            .join("os_args.rs"),
        solution("os_args", "os_args"),
    );
    every_format_escapes(&upload, &scratch("forged-names"), "u{1b}", "| forged");
}
