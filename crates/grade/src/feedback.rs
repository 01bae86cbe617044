//! What a report tells a student beyond the checks' own results: what was found in their
//! upload, why an exercise counts as not submitted, book links as URLs when the
//! instructor publishes the book (`--book-url`), and, when grade cannot grade at all, a
//! Gradescope results.json that says so (score 0 and the reason, no internal paths).

use std::path::Path;

use anyhow::Result;
use serde_json::json;

use crate::discover::Submission;
use crate::report::{NotGraded, Report, Status};

/// Put what discovery learnt into the report graded from `submissions` (same order).
pub fn apply_uploads(report: &mut Report, submissions: &[Submission], not_graded: Vec<NotGraded>) {
    for (sub, found) in report.submissions.iter_mut().zip(submissions) {
        sub.upload = found.notes.clone();
        for ex in &mut sub.exercises {
            // A program the upload lacks ran as the starter: say so, not "todo!() at ...".
            for (exercise, file) in found.absent.iter().filter(|(e, _)| *e == ex.name) {
                let starter = format!("todo!() at exercises/{exercise}/src/bin/{file}:");
                for check in ex
                    .checks
                    .iter_mut()
                    .filter(|c| c.message.contains(&starter))
                {
                    check.message =
                        format!("not submitted: your upload has no {file}, and this check runs it");
                }
            }
            if ex.status != Status::NotSubmitted {
                continue;
            }
            if let Some(why) = found.missing.get(&ex.name) {
                // It names the upload's files: on one line, whatever their names hold.
                let why = harness::bytes::printable_line(why);
                for check in &mut ex.checks {
                    check.message = format!("not submitted: {why}");
                }
            }
        }
    }
    report.not_graded = not_graded;
}

/// Replace this machine's folders in what the checks report (a program printing its own
/// path prints the scratch folder's) by words: `(path, word)` in order, the innermost
/// folder first. A student reads the feedback; the autograder's layout is none of theirs.
pub fn hide_paths(report: &mut Report, hide: &[(&Path, &str)]) {
    let hide: Vec<(String, &str)> = hide
        .iter()
        .map(|(path, word)| (path.to_string_lossy().into_owned(), *word))
        .filter(|(path, _)| path.len() > 1)
        .collect();
    let clean = |text: &mut String| {
        for (path, word) in &hide {
            if text.contains(path.as_str()) {
                *text = text.replace(path.as_str(), word);
            }
        }
    };
    for sub in &mut report.submissions {
        for ex in &mut sub.exercises {
            if let Some(error) = &mut ex.build_error {
                clean(error);
            }
            for check in &mut ex.checks {
                clean(&mut check.message);
            }
        }
    }
}

/// Every text in the report that a submission could have chosen (its name and path, what
/// was found in its upload, compile errors, the checks' messages with the programs' output
/// and panics) made printable the one way every format shows it
/// ([`harness::bytes::printable`]): controls and invisible reordering characters escaped,
/// names on one line. Called once, before any format is written.
pub fn make_printable(report: &mut Report) {
    use harness::bytes::{printable, printable_line};
    let line = |text: &mut String| *text = printable_line(text);
    let block = |text: &mut String| *text = printable(text);
    for sub in &mut report.submissions {
        line(&mut sub.name);
        line(&mut sub.path);
        for note in &mut sub.upload {
            line(&mut note.exercise);
            line(&mut note.note);
        }
        for ex in &mut sub.exercises {
            if let Some(error) = &mut ex.build_error {
                block(error);
            }
            ex.not_compiled.iter_mut().for_each(line);
            for check in &mut ex.checks {
                block(&mut check.message);
                check.not_compiled.iter_mut().for_each(line);
            }
        }
    }
    for skipped in &mut report.not_graded {
        line(&mut skipped.path);
        line(&mut skipped.reason);
    }
}

/// `book/src/tcp_file.md#the-protocol` as a page of the book published at `url`:
/// `URL/tcp_file.html#the-protocol`. Anything else is left as it is.
pub fn book_link(read: &str, url: &str) -> String {
    let Some(rest) = read.strip_prefix("book/src/") else {
        return read.to_string();
    };
    let (page, anchor) = rest.split_at(rest.find('#').unwrap_or(rest.len()));
    let page = page
        .strip_suffix(".md")
        .map_or(page.to_string(), |p| format!("{p}.html"));
    format!("{}/{page}{anchor}", url.trim_end_matches('/'))
}

/// Every book link in `report` made a URL under `url`.
pub fn apply_book_url(report: &mut Report, url: &str) {
    for sub in &mut report.submissions {
        for ex in &mut sub.exercises {
            ex.chapter = book_link(&ex.chapter, url);
            for check in &mut ex.checks {
                check.read = book_link(&check.read, url);
            }
        }
    }
}

/// Gradescope's results.json when grade could not grade the upload: score 0 and why, with
/// the paths of this machine (the upload's, the checkout's) replaced by words.
pub fn gradescope_fallback(error: &str, hide: &[(&Path, &str)]) -> Result<String> {
    // The error may quote an upload's file names.
    let mut reason = harness::bytes::printable(error);
    for (path, word) in hide {
        let path = path.to_string_lossy();
        if path.len() > 1 {
            reason = reason.replace(path.as_ref(), word);
        }
    }
    let results = json!({
        "score": 0,
        "output": format!(
            "The autograder could not grade this upload, so it scores 0 for now:\n{reason}\n\
             If your upload looks right, tell your instructor."
        ),
        "stdout_visibility": "visible",
        "tests": [],
    });
    Ok(serde_json::to_string_pretty(&results)? + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn book_links_become_urls() {
        let url = "https://example.edu/netlab/";
        assert_eq!(
            book_link("book/src/tcp_file.md#the-protocol", url),
            "https://example.edu/netlab/tcp_file.html#the-protocol"
        );
        assert_eq!(
            book_link("book/src/os_args.md", url),
            "https://example.edu/netlab/os_args.html"
        );
        assert_eq!(book_link("elsewhere.md#x", url), "elsewhere.md#x");
    }
}
