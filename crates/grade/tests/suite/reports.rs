//! The report formats platforms read, from the real grade binary: JUnit XML with a suite
//! per submission and exercise, Gradescope's results.json for a submission whose name is
//! not even UTF-8.

use std::ffi::OsStr;
use std::fs;

use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::Value;

use crate::common::{fixture_submission, grade, root, scratch};

pub fn junit_report_parses_with_a_suite_per_submission_and_exercise() {
    let out = scratch("junit");
    let class = scratch("junit-class");
    let _ = fs::remove_dir_all(&class);
    let output = grade(&[
        "--format".into(),
        "junit".into(),
        "--exercise".into(),
        "os_args".into(),
        "--scratch".into(),
        out.clone().into_os_string(),
        fixture_submission("os_args-skips-argv0", &class.join("os_args-skips-argv0"))
            .into_os_string(),
        fixture_submission("os_args-splits-words", &class.join("os_args-splits-words"))
            .into_os_string(),
    ]);
    assert_eq!(output.code(), Some(0), "{}", output.report());
    let xml = output.stdout_text();
    let mut reader = Reader::from_str(&xml);
    let (mut suites, mut cases, mut failures) = (Vec::new(), 0, 0);
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(Event::Start(e) | Event::Empty(e)) => match e.name().as_ref() {
                b"testsuite" => {
                    let name = e
                        .try_get_attribute("name")
                        .unwrap()
                        .expect("a suite has a name")
                        .unescape_value()
                        .unwrap()
                        .into_owned();
                    suites.push(name);
                }
                b"testcase" => cases += 1,
                b"failure" => failures += 1,
                _ => {}
            },
            Ok(_) => {}
            Err(e) => panic!("the JUnit report is not XML: {e}\n{xml}"),
        }
    }
    assert_eq!(
        suites,
        [
            "os_args-skips-argv0.os_args",
            "os_args-splits-words.os_args"
        ]
    );
    let per_exercise = grading::exercise("os_args").unwrap().checks().len();
    assert_eq!(cases, 2 * per_exercise);
    let must_fail = |name: &str| {
        grading::fixture::expectation(&root().join("tests/fixtures").join(name))
            .unwrap()
            .must_fail
            .len()
    };
    assert_eq!(
        failures,
        must_fail("os_args-skips-argv0") + must_fail("os_args-splits-words"),
        "a failure per check each fixture's expect.txt names"
    );
}

pub fn gradescope_results_for_a_submission_whose_name_is_not_utf8() {
    let out = scratch("gradescope");
    // A submission folder named with a byte that is not UTF-8, holding a known mistake.
    #[cfg(unix)]
    let name: std::ffi::OsString = {
        use std::os::unix::ffi::OsStringExt;
        std::ffi::OsString::from_vec(b"student-\xff".to_vec())
    };
    #[cfg(not(unix))]
    let name = std::ffi::OsString::from("student");
    let submission = out.join("submissions-in").join(name);
    let _ = fs::remove_dir_all(&submission);
    fixture_submission("os_args-skips-argv0", &submission);
    let results = out.join("results.json");
    let output = grade(&[
        "--format=gradescope".into(),
        "--exercise=os_args".into(),
        "--scratch".into(),
        out.clone().into_os_string(),
        "--out".into(),
        results.clone().into_os_string(),
        submission.clone().into_os_string(),
    ]);
    assert_eq!(output.code(), Some(0), "{}", output.report());
    let checks = grading::exercise("os_args").unwrap().checks().len();
    let failing = grading::fixture::expectation(&root().join("tests/fixtures/os_args-skips-argv0"))
        .unwrap()
        .must_fail
        .len();
    let (want_score, want_max) = ((checks - failing) as u64, checks as u64);
    let shown = format!("{want_score}/{want_max}");
    assert!(output.stdout_text().contains(&shown), "{}", output.report());
    let results: Value = serde_json::from_slice(&fs::read(results).unwrap()).unwrap();
    let tests = results["tests"].as_array().expect("tests[]");
    assert_eq!(tests.len(), checks);
    let (mut score, mut max) = (0, 0);
    for test in tests {
        for field in ["name", "output", "status"] {
            assert!(test[field].is_string(), "{field} in {test}");
        }
        score += test["score"].as_u64().expect("score");
        max += test["max_score"].as_u64().expect("max_score");
        let status = test["status"].as_str().unwrap();
        assert!(status == "passed" || status == "failed", "{test}");
        assert_eq!(status == "passed", test["score"] == test["max_score"]);
    }
    assert_eq!(results["score"].as_u64(), Some(score));
    assert_eq!((score, max), (want_score, want_max));
    let failed: Vec<&Value> = tests.iter().filter(|t| t["status"] == "failed").collect();
    assert_eq!(failed[0]["name"], "os_args: argv0_is_the_program");
    assert!(
        failed[0]["output"]
            .as_str()
            .unwrap()
            .contains("read: book/src/os_args.md#")
    );

    // Gradescope's file is for one submission.
    let two = grade(&[
        OsStr::new("--format=gradescope"),
        OsStr::new("--exercise=os_args"),
        submission.as_os_str(),
        submission.as_os_str(),
    ]);
    assert_eq!(two.code(), Some(1), "{}", two.report());
    assert!(two.stderr_text().starts_with("error: "), "{}", two.report());
}
