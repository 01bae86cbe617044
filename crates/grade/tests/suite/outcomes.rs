//! What grade's outcome says, run as an instructor or CI would: a program that does not
//! compile costs only the checks that need it, its compiler error shown once; the exit
//! code fails a reference short of full marks and a class below `--fail-under`; the JUnit
//! report is what CI systems read (junit-10.xsd's structure, counts a reader agrees with).

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::Path;
use std::time::Duration;

use harness::Cmd;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde_json::Value;

use crate::common::{fixture_submission, grade, root, scratch};

pub fn a_server_that_does_not_compile_costs_only_the_server_checks() {
    let out = scratch("server-does-not-compile");
    let submission = fixture_submission(
        "udp_cs-server-does-not-compile",
        &scratch("server-does-not-compile-in").join("student"),
    );
    let junit_file = out.join("junit.xml");
    fs::create_dir_all(&out).unwrap();
    let _ = fs::remove_file(&junit_file);
    // os_args too, which this submission lacks: not submitted, skipped in JUnit.
    let args: Vec<OsString> = vec![
        "--exercise=udp_cs".into(),
        "--exercise=os_args".into(),
        "--format=junit".into(),
        "--out".into(),
        junit_file.clone().into(),
        "--scratch".into(),
        out.clone().into(),
        submission.clone().into(),
    ];
    let output = grade(&args);
    assert_eq!(output.code(), Some(0), "{}", output.report());

    // The terminal: the compiler's error once, where the student's file is, no scratch.
    let table = output.stdout_text();
    assert_eq!(table.matches("error[E0308]").count(), 1, "{table}");
    assert!(table.contains("does not compile: udp_server"), "{table}");
    assert!(table.contains("--> src/bin/udp_server.rs:"), "{table}");
    assert!(!table.contains(out.to_str().unwrap()), "{table}");
    assert!(!table.contains("/exercises/"), "{table}");

    // JUnit: one <error> for the build, the server's checks skipped, the client's passed.
    let xml = fs::read_to_string(&junit_file).unwrap();
    let suites = read_junit(&xml);
    junitparser_agrees(&junit_file, &suites);
    let udp = &suites["student.udp_cs"];
    let server_checks = grading::fixture::expectation(
        &root().join("tests/fixtures/udp_cs-server-does-not-compile"),
    )
    .unwrap()
    .must_fail;
    let checks = grading::exercise("udp_cs").unwrap().checks();
    assert_eq!(udp.cases.len(), checks.len() + 1, "{xml}");
    assert_eq!(udp.cases["build"], "error", "{xml}");
    for check in checks {
        let want = match server_checks.contains(check.name) {
            true => "skipped",
            false => "passed",
        };
        assert_eq!(udp.cases[check.name], want, "{}: {xml}", check.name);
    }
    assert_eq!(
        udp.properties["points"],
        (checks.len() - server_checks.len()).to_string()
    );
    assert_eq!(udp.properties["max_points"], checks.len().to_string());
    assert!(udp.error_text.contains("src/bin/udp_server.rs"), "{xml}");
    let os_args = &suites["student.os_args"];
    assert!(os_args.cases.values().all(|c| c == "skipped"), "{xml}");
    assert_eq!(os_args.properties["points"], "0");

    // JSON: each check says why it did not run; the error is the exercise's, once.
    let json = grade(&[
        OsStr::new("--exercise=udp_cs"),
        OsStr::new("--format=json"),
        OsStr::new("--scratch"),
        out.as_os_str(),
        submission.as_os_str(),
    ]);
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    let exercise = &report["submissions"][0]["exercises"][0];
    assert_eq!(exercise["status"], "does_not_compile");
    assert_eq!(exercise["not_compiled"], serde_json::json!(["udp_server"]));
    for check in exercise["checks"].as_array().unwrap() {
        let name = check["name"].as_str().unwrap();
        if server_checks.contains(name) {
            assert_eq!(check["awarded"], 0, "{check}");
            assert_eq!(check["not_compiled"], "udp_server", "{check}");
            let message = check["message"].as_str().unwrap();
            assert!(message.contains("needs udp_server, which does not compile"));
            assert!(
                !message.contains("E0308"),
                "the error is shown once: {check}"
            );
        } else {
            assert_eq!(check["passed"], true, "{check}");
        }
    }
}

pub fn reference_short_of_full_marks_exits_1_naming_what_failed() {
    // One open file is too few for anything to run: the reference cannot score.
    let out = scratch("reference-short");
    let output = grade(&[
        OsStr::new("--reference"),
        OsStr::new("--exercise=os_args"),
        OsStr::new("--limits=open-files=1"),
        OsStr::new("--scratch"),
        out.as_os_str(),
    ]);
    assert_eq!(output.code(), Some(1), "{}", output.report());
    let stderr = output.stderr_text();
    assert!(stderr.contains("not full marks"), "{stderr}");
    assert!(
        stderr.contains("os_args::argc_counts_every_argument"),
        "{stderr}"
    );
    // The report is still written: a failed CI job has it to show.
    assert!(
        output.stdout_text().contains("os_args"),
        "{}",
        output.report()
    );

    let healthy = grade(&[
        OsStr::new("--reference"),
        OsStr::new("--exercise=os_args"),
        OsStr::new("--scratch"),
        out.as_os_str(),
    ]);
    assert_eq!(healthy.code(), Some(0), "{}", healthy.report());
}

pub fn fail_under_fails_the_run_naming_each_submission_below() {
    let out = scratch("fail-under");
    let class = scratch("fail-under-class");
    let _ = fs::remove_dir_all(&class);
    let weak = fixture_submission("os_args-skips-argv0", &class.join("weak"));
    let strong = class.join("strong");
    let workspace = grading::build::Workspace::locate().unwrap();
    let os_args = grading::exercise("os_args").unwrap();
    workspace
        .write_reference_submission(os_args, &strong.join("os_args"))
        .unwrap();
    let checks = grading::exercise("os_args").unwrap().checks().len();
    let failing = grading::fixture::expectation(&root().join("tests/fixtures/os_args-skips-argv0"))
        .unwrap()
        .must_fail
        .len();
    let weak_percent = 100.0 * (checks - failing) as f64 / checks as f64;
    let run = |percent: f64| {
        grade(&[
            OsString::from("--exercise=os_args"),
            OsString::from(format!("--fail-under={percent}")),
            "--scratch".into(),
            out.clone().into(),
            weak.clone().into(),
            strong.clone().into(),
        ])
    };
    let below = run(weak_percent + 1.0);
    assert_eq!(below.code(), Some(1), "{}", below.report());
    let stderr = below.stderr_text();
    assert!(stderr.contains("weak scored"), "{stderr}");
    assert!(stderr.contains("below --fail-under"), "{stderr}");
    assert!(!stderr.contains("strong"), "{stderr}");
    assert!(
        below.stdout_text().contains("weak"),
        "the table is still shown"
    );
    let at = run(weak_percent.floor());
    assert_eq!(at.code(), Some(0), "{}", at.report());
}

pub fn usage_errors_exit_2() {
    for bad in [
        &["--fail-under"][..],
        &["--fail-under", "120"],
        &["--fail-under", "lots"],
        &["--format", "xml"],
    ] {
        let output = grade(bad);
        assert_eq!(output.code(), Some(2), "{bad:?}: {}", output.report());
        assert!(output.stderr_text().contains("Usage: grade"), "{bad:?}");
    }
    let help = grade(&["--help"]);
    assert!(
        help.stdout_text().contains("Exit status: 0"),
        "{}",
        help.report()
    );
}

/// One testsuite as a CI system reads it.
#[derive(Default, Debug)]
struct Suite {
    /// Testcase name: passed, failure, error or skipped.
    cases: BTreeMap<String, String>,
    properties: BTreeMap<String, String>,
    error_text: String,
    attributes: BTreeMap<String, String>,
}

fn attributes(element: &BytesStart) -> BTreeMap<String, String> {
    element
        .attributes()
        .map(|a| {
            let a = a.expect("well-formed attribute");
            let key = String::from_utf8(a.key.as_ref().to_vec()).unwrap();
            (key, a.unescape_value().unwrap().into_owned())
        })
        .collect()
}

/// junit-10.xsd (Jenkins): the attributes each element may have, and those it must.
fn allowed(element: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match element {
        "testsuites" => (&["name", "time", "tests", "failures", "errors"], &[]),
        "testsuite" => (
            &[
                "name",
                "tests",
                "failures",
                "errors",
                "group",
                "time",
                "skipped",
                "timestamp",
                "hostname",
                "id",
                "package",
                "file",
                "log",
                "url",
            ],
            &["name", "tests", "failures", "errors"],
        ),
        "properties" => (&[], &[]),
        "property" => (&["name", "value"], &["name", "value"]),
        "testcase" => (&["name", "time", "classname", "group"], &["name"]),
        "failure" | "error" | "skipped" => (&["type", "message"], &[]),
        other => panic!("junit-10.xsd has no element <{other}> where grade wrote one"),
    }
}

/// The children each element may have in junit-10.xsd.
fn may_hold(parent: &str, child: &str) -> bool {
    matches!(
        (parent, child),
        ("", "testsuites")
            | ("testsuites", "testsuite")
            | ("testsuite", "testsuite" | "properties" | "testcase")
            | ("properties", "property")
            | ("testcase", "failure" | "error" | "skipped")
    )
}

/// SUREFIRE_TIME, the time pattern of junit-10.xsd, for the values grade writes: digits,
/// a dot, digits.
fn is_surefire_time(text: &str) -> bool {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    !whole.is_empty()
        && whole.len() <= 3 * 4
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// Read `xml` as a CI system does, checking junit-10.xsd's structure on the way and that
/// every count attribute agrees with the testcases under it.
fn read_junit(xml: &str) -> BTreeMap<String, Suite> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut suites: BTreeMap<String, Suite> = BTreeMap::new();
    let mut suite = String::new();
    let mut case = String::new();
    let mut totals = BTreeMap::new();
    let mut root = BTreeMap::new();
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|e| panic!("not XML: {e}\n{xml}"));
        let (element, empty) = match &event {
            Event::Eof => break,
            Event::Start(e) => (e.clone(), false),
            Event::Empty(e) => (e.clone(), true),
            Event::End(_) => {
                stack.pop();
                continue;
            }
            Event::Text(t) => {
                if stack.last().is_some_and(|s| s == "error") {
                    let text = t.decode().unwrap().into_owned();
                    suites.get_mut(&suite).unwrap().error_text.push_str(&text);
                }
                continue;
            }
            _ => continue,
        };
        let name = String::from_utf8(element.name().as_ref().to_vec()).unwrap();
        let parent = stack.last().map_or("", String::as_str);
        assert!(may_hold(parent, &name), "<{name}> inside <{parent}>\n{xml}");
        let attrs = attributes(&element);
        let (may, must) = allowed(&name);
        for key in attrs.keys() {
            assert!(
                may.contains(&key.as_str()),
                "<{name} {key}=...> is not in the XSD"
            );
        }
        for key in must {
            assert!(attrs.contains_key(*key), "<{name}> lacks {key}");
        }
        if let Some(time) = attrs.get("time") {
            assert!(is_surefire_time(time), "time={time:?}");
        }
        match name.as_str() {
            "testsuites" => root = attrs.clone(),
            "testsuite" => {
                suite = attrs["name"].clone();
                assert!(!attrs["timestamp"].is_empty() && !attrs["hostname"].is_empty());
                suites.entry(suite.clone()).or_default().attributes = attrs.clone();
            }
            "property" => {
                let properties = &mut suites.get_mut(&suite).unwrap().properties;
                properties.insert(attrs["name"].clone(), attrs["value"].clone());
            }
            "testcase" => {
                case = attrs["name"].clone();
                let cases = &mut suites.get_mut(&suite).unwrap().cases;
                assert!(
                    cases.insert(case.clone(), "passed".into()).is_none(),
                    "{case} twice"
                );
            }
            "failure" | "error" | "skipped" => {
                let cases = &mut suites.get_mut(&suite).unwrap().cases;
                assert_eq!(cases[&case], "passed", "{case}: two outcomes");
                cases.insert(case.clone(), name.clone());
            }
            _ => {}
        }
        if !empty {
            stack.push(name);
        }
    }
    for (name, suite) in &suites {
        let count = |what: &str| suite.cases.values().filter(|c| *c == what).count();
        let counted = [
            ("tests", suite.cases.len()),
            ("failures", count("failure")),
            ("errors", count("error")),
            ("skipped", count("skipped")),
        ];
        for (attribute, n) in counted {
            assert_eq!(
                suite.attributes[attribute],
                n.to_string(),
                "{name} {attribute}"
            );
            *totals.entry(attribute).or_insert(0) += n;
        }
    }
    for attribute in ["tests", "failures", "errors"] {
        assert_eq!(
            root[attribute],
            totals[attribute].to_string(),
            "testsuites {attribute}"
        );
    }
    suites
}

/// A JUnit reader nobody here wrote, Python's junitparser (as CI dashboards and LMS
/// importers read the file), must see the same suites, cases and outcomes as
/// [`read_junit`]. Where it is not installed the test says so and goes on, unless
/// NETLAB_REQUIRE_JUNITPARSER is set (.ci/run installs it and sets it).
fn junitparser_agrees(file: &Path, suites: &BTreeMap<String, Suite>) {
    const READ: &str = r#"
import sys, junitparser
for suite in junitparser.JUnitXml.fromfile(sys.argv[1]):
    print("suite", suite.name, suite.tests, suite.failures, suite.errors, suite.skipped, sep="\t")
    for case in suite:
        kinds = [type(r).__name__.lower() for r in case.result] or ["passed"]
        print("case", suite.name, case.name, kinds[0], sep="\t")
"#;
    let output = Cmd::new("python3")
        .args([OsStr::new("-c"), OsStr::new(READ), file.as_os_str()])
        .timeout(Duration::from_secs(30))
        .run();
    let output = match output {
        Ok(output) if output.code() == Some(0) => output,
        other => {
            let why = other.map_or_else(|e| e.to_string(), |o| o.report());
            assert!(
                std::env::var_os("NETLAB_REQUIRE_JUNITPARSER").is_none(),
                "junitparser could not read the report:\n{why}"
            );
            eprintln!("note: python3 with junitparser not available; JUnit read by quick-xml only");
            return;
        }
    };
    let mut seen = 0;
    for line in output.stdout_text().lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields[..] {
            ["suite", name, tests, failures, errors, skipped] => {
                let ours = &suites[name];
                let count = |kind: &str| ours.cases.values().filter(|c| *c == kind).count();
                assert_eq!(tests, ours.cases.len().to_string(), "{name}: tests");
                assert_eq!(failures, count("failure").to_string(), "{name}: failures");
                assert_eq!(errors, count("error").to_string(), "{name}: errors");
                assert_eq!(skipped, count("skipped").to_string(), "{name}: skipped");
            }
            ["case", suite, case, kind] => {
                assert_eq!(suites[suite].cases[case], kind, "{suite}.{case}");
                seen += 1;
            }
            _ => panic!("junitparser printed {line:?}"),
        }
    }
    let ours: usize = suites.values().map(|s| s.cases.len()).sum();
    assert_eq!(
        seen, ours,
        "junitparser read {seen} testcases, quick-xml {ours}"
    );
}
