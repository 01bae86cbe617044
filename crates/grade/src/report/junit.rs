//! JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test reporters): valid against
//! Jenkins' junit-10.xsd, a testsuite per submission and exercise with its points as
//! properties, a testcase per check. A program that does not compile is one `<error>` on a
//! testcase of its own, and the checks it kept from running are `<skipped>`, like those
//! of an exercise not submitted: a CI page then shows one red build, not 17 red checks.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Result;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::{CheckReport, ExerciseReport, Report, Status};

/// The name of the testcase that carries an exercise's compile error.
pub const BUILD_CASE: &str = "build";

/// How one check reads in JUnit.
enum Outcome<'a> {
    Passed,
    Failed,
    /// Did not run, for the reason given: not submitted, needs a program that did not
    /// compile, or needs a reference program a class edition does not have. Scores 0 like a failure, but the failure is elsewhere (or nobody's).
    Skipped(&'a str),
}

fn outcome<'a>(ex: &ExerciseReport, check: &'a CheckReport) -> Outcome<'a> {
    if check.passed {
        Outcome::Passed
    } else if ex.status == Status::NotSubmitted || check.not_compiled.is_some() || check.skipped {
        Outcome::Skipped(&check.message)
    } else {
        Outcome::Failed
    }
}

/// JUnit XML for `report`, stamped now and with this machine's name.
pub fn junit(report: &Report) -> Result<String> {
    junit_at(report, &timestamp(SystemTime::now()), &hostname())
}

fn junit_at(report: &Report, timestamp: &str, hostname: &str) -> Result<String> {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let suites: Vec<(String, &ExerciseReport)> = report
        .submissions
        .iter()
        .flat_map(|sub| {
            sub.exercises
                .iter()
                .map(move |ex| (xml_text(&format!("{}.{}", sub.name, ex.name)), ex))
        })
        .collect();
    let counts: Vec<Counts> = suites.iter().map(|(_, ex)| Counts::of(ex)).collect();
    let total = counts.iter().fold(Counts::default(), |a, b| a.plus(b));
    // junit-10.xsd allows only these attributes on testsuites: skipped, timestamp and
    // hostname go on each testsuite.
    let mut root = BytesStart::new("testsuites");
    root.push_attribute(("name", "netlab"));
    let tests = total.tests + report.not_graded.len();
    root.push_attribute(("tests", tests.to_string().as_str()));
    root.push_attribute(("failures", total.failures.to_string().as_str()));
    root.push_attribute(("errors", total.errors.to_string().as_str()));
    root.push_attribute(("time", seconds(total.ms).as_str()));
    writer.write_event(Event::Start(root))?;
    for ((suite_name, ex), counts) in suites.iter().zip(&counts) {
        let mut suite = BytesStart::new("testsuite");
        suite.push_attribute(("name", suite_name.as_str()));
        suite.push_attribute(("tests", counts.tests.to_string().as_str()));
        suite.push_attribute(("failures", counts.failures.to_string().as_str()));
        suite.push_attribute(("errors", counts.errors.to_string().as_str()));
        suite.push_attribute(("skipped", counts.skipped.to_string().as_str()));
        suite.push_attribute(("time", seconds(counts.ms).as_str()));
        suite.push_attribute(("timestamp", timestamp));
        suite.push_attribute(("hostname", hostname));
        writer.write_event(Event::Start(suite))?;
        writer.write_event(Event::Start(BytesStart::new("properties")))?;
        for (name, value) in [
            ("points", ex.score.to_string()),
            ("max_points", ex.max_score.to_string()),
            ("status", super::status_word(ex.status).to_string()),
        ] {
            let mut property = BytesStart::new("property");
            property.push_attribute(("name", name));
            property.push_attribute(("value", value.as_str()));
            writer.write_event(Event::Empty(property))?;
        }
        writer.write_event(Event::End(BytesEnd::new("properties")))?;
        if let Some(error) = &ex.build_error {
            let error = xml_text(error);
            let programs = match ex.not_compiled.is_empty() {
                true => ex.name.clone(),
                false => ex.not_compiled.join(", "),
            };
            let headline = error.lines().next().unwrap_or("");
            let message = format!("{programs} does not compile: {headline}");
            let body = Element::new("error", &message, "compile_error", &error);
            testcase(&mut writer, BUILD_CASE, suite_name, 0, Some(body))?;
        }
        for check in &ex.checks {
            let message = xml_text(&check.message);
            let headline = message.lines().next().unwrap_or("");
            let body = match outcome(ex, check) {
                Outcome::Passed => None,
                Outcome::Failed => {
                    let text = format!("{message}\n{}", xml_text(&check.footer()));
                    Some(Element::new("failure", headline, "check_failed", &text))
                }
                Outcome::Skipped(reason) => {
                    let reason = xml_text(reason);
                    let headline = reason.lines().next().unwrap_or("").to_string();
                    Some(Element::new("skipped", &headline, "", ""))
                }
            };
            testcase(&mut writer, &check.name, suite_name, check.elapsed_ms, body)?;
        }
        writer.write_event(Event::End(BytesEnd::new("testsuite")))?;
    }
    not_graded_suite(&mut writer, report, timestamp, hostname)?;
    writer.write_event(Event::End(BytesEnd::new("testsuites")))?;
    let mut xml = String::from_utf8(writer.into_inner())?;
    xml.push('\n');
    Ok(xml)
}

/// A testsuite's numbers, as its attributes state them.
#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    ms: u64,
}

impl Counts {
    fn of(ex: &ExerciseReport) -> Counts {
        let mut counts = Counts {
            tests: ex.checks.len(),
            ms: ex.checks.iter().map(|c| c.elapsed_ms).sum(),
            ..Counts::default()
        };
        if ex.build_error.is_some() {
            counts.tests += 1;
            counts.errors += 1;
        }
        for check in &ex.checks {
            match outcome(ex, check) {
                Outcome::Passed => {}
                Outcome::Failed => counts.failures += 1,
                Outcome::Skipped(_) => counts.skipped += 1,
            }
        }
        counts
    }

    fn plus(self, other: &Counts) -> Counts {
        Counts {
            tests: self.tests + other.tests,
            failures: self.failures + other.failures,
            errors: self.errors + other.errors,
            skipped: self.skipped + other.skipped,
            ms: self.ms + other.ms,
        }
    }
}

/// A testcase's one child: failure, error or skipped.
struct Element {
    tag: &'static str,
    message: String,
    kind: &'static str,
    text: String,
}

impl Element {
    fn new(tag: &'static str, message: &str, kind: &'static str, text: &str) -> Self {
        Element {
            tag,
            message: message.to_string(),
            kind,
            text: text.to_string(),
        }
    }
}

fn testcase(
    writer: &mut Writer<Vec<u8>>,
    name: &str,
    classname: &str,
    ms: u64,
    body: Option<Element>,
) -> Result<()> {
    let name = xml_text(name);
    let mut case = BytesStart::new("testcase");
    case.push_attribute(("name", name.as_str()));
    case.push_attribute(("classname", classname));
    case.push_attribute(("time", seconds(ms).as_str()));
    let Some(body) = body else {
        writer.write_event(Event::Empty(case))?;
        return Ok(());
    };
    writer.write_event(Event::Start(case))?;
    let mut element = BytesStart::new(body.tag);
    element.push_attribute(("message", body.message.as_str()));
    if !body.kind.is_empty() {
        element.push_attribute(("type", body.kind));
    }
    if body.text.is_empty() {
        writer.write_event(Event::Empty(element))?;
    } else {
        writer.write_event(Event::Start(element))?;
        writer.write_event(Event::Text(BytesText::new(&body.text)))?;
        writer.write_event(Event::End(BytesEnd::new(body.tag)))?;
    }
    writer.write_event(Event::End(BytesEnd::new("testcase")))?;
    Ok(())
}

/// Text XML 1.0 can hold: control characters other than tab and newlines are replaced.
pub(super) fn xml_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// Seconds with milliseconds, as junit-10.xsd's SUREFIRE_TIME allows: `1.250`.
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// ISO 8601 in UTC, to the second, as JUnit writers stamp a suite: `2026-11-22T08:15:00`.
fn timestamp(at: SystemTime) -> String {
    let secs = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// The calendar date `days` after 1970-01-01 (Howard Hinnant's civil_from_days).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// This machine's name, for the report's `hostname`; `localhost` when it cannot be read.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|name| xml_text(name.trim()))
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

/// A suite `not graded`, a skipped test case per path, the reason as its message.
fn not_graded_suite(
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_iso_8601_utc() {
        let at = |secs| timestamp(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01T00:00:00");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00");
        assert_eq!(at(1_795_334_399), "2026-11-22T07:59:59");
    }
}
