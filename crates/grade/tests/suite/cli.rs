//! The real `grade` binary, run as an instructor or a student would: the reference gets
//! full marks, the untouched starters zero, every fixture in tests/fixtures exactly the
//! per-check result its expect.txt records (hostile ones included, in bounded time and
//! leaving no process behind), and the JUnit and Gradescope reports hold what their
//! readers look for.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use harness::{Cmd, Output};
use serde_json::Value;

use crate::common::{fixture_submission, grade, json_of, processes_mentioning, root, scratch};

fn checks(exercise: &Value) -> &Vec<Value> {
    exercise["checks"].as_array().expect("checks is a list")
}

pub fn reference_gets_full_marks() {
    let out = scratch("reference");
    let report = json_of(&grade(&[
        OsStr::new("--reference"),
        OsStr::new("--format=json"),
        OsStr::new("--scratch"),
        out.as_os_str(),
    ]));
    assert_eq!(report["schema"], "netlab-grade/1");
    let [sub] = &report["submissions"].as_array().unwrap()[..] else {
        panic!("one submission");
    };
    assert_eq!(
        sub["exercises"].as_array().unwrap().len(),
        grading::exercises().len()
    );
    for exercise in sub["exercises"].as_array().unwrap() {
        for check in checks(exercise) {
            assert_eq!(check["passed"], true, "reference fails {check}");
        }
    }
    assert!(report["max_score"].as_u64().unwrap() > 0);
    assert_eq!(report["score"], report["max_score"]);
}

pub fn untouched_starters_score_zero() {
    let out = scratch("starters");
    // The starters as committed, not this checkout's exercises/ (a student's work), in a
    // folder of the same name every run: grade's scratch folder for a submission is named
    // after it, and one new each run was a cold build (and 50 MiB more) every time.
    let starters = scratch("starters-as-committed");
    let workspace = grading::build::Workspace::locate().unwrap();
    grading::starters::write_committed(&workspace, &starters).unwrap();
    let output = grade(&[
        OsStr::new("--scratch"),
        out.as_os_str(),
        starters.as_os_str(),
    ]);
    let table = output.stdout_text();
    assert!(table.contains("next: "), "progress view:\n{table}");
    assert!(table.contains("not written yet"), "progress view:\n{table}");
    let report = json_of(&grade(&[
        OsStr::new("--format"),
        OsStr::new("json"),
        OsStr::new("--scratch"),
        out.as_os_str(),
        starters.as_os_str(),
    ]));
    assert_eq!(report["score"], 0);
    for exercise in report["submissions"][0]["exercises"].as_array().unwrap() {
        for check in checks(exercise) {
            assert_eq!(check["awarded"], 0, "{check}");
            let message = check["message"].as_str().unwrap();
            assert!(message.starts_with("not written yet: "), "{check}");
        }
    }
}

pub fn the_cli_grades_fixtures_to_their_recorded_result_in_bounded_time_leaving_nothing() {
    let fixtures_dir = root().join("tests").join("fixtures");
    let mut fixtures: Vec<PathBuf> = fs::read_dir(&fixtures_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    // Every fixture's per-check result is proven in tests/grading.rs through run_check;
    // here the whole path through the CLI (workers, deadlines, reports) is proven on the
    // fixtures of the two quick exercises, which include every hostile kind.
    // The sandbox-* fixtures try each wall of the sandbox; they are graded here with a
    // fake home holding a secret, a listener on this machine's loopback, and a low process
    // limit, and the walls are checked below.
    // (The sandbox-* fixtures of other exercises are graded in others.rs: one more
    // exercise here would list every submission's checks of it, not submitted.)
    fixtures.retain(|f| {
        let name = f.file_name().unwrap().to_string_lossy();
        let quick = grading::fixture::exercise_of(f)
            .is_some_and(|e| e.name == "os_args" || e.name == "fs_meta");
        // The sandbox-build-* fixtures never compile, so each run builds them again:
        // build_walls.rs grades them through grade, in both modes.
        name.starts_with("os_args-")
            || name.starts_with("fs_meta-")
            || (name.starts_with("sandbox-") && !name.starts_with("sandbox-build-") && quick)
    });
    let _one_at_a_time = crate::common::hostile_alone();
    let walls = Walls::new();
    fixtures.sort();
    // Only the exercises some fixture is about: the others would all be "not submitted".
    let exercise_of = |fixture: &Path| {
        grading::fixture::exercise_of(fixture)
            .unwrap_or_else(|| panic!("{} holds no exercise", fixture.display()))
    };
    let wanted: BTreeSet<&str> = fixtures.iter().map(|f| exercise_of(f).name).collect();
    // Each fixture made into a submission (the reference with the mistake), as
    // tests/grading.rs does, and the lot graded as one class.
    let class = scratch("fixture-class");
    let _ = fs::remove_dir_all(&class);
    let workspace = grading::build::Workspace::locate().unwrap();
    for fixture in &fixtures {
        let exercise = exercise_of(fixture);
        let submission = class.join(fixture.file_name().unwrap()).join(exercise.name);
        grading::fixture::submission(&workspace, exercise, fixture, &submission).unwrap();
    }
    let out = scratch("fixtures");
    let mut args = vec![
        class.clone().into_os_string(),
        "--format=json".into(),
        "--jobs=2".into(),
        "--timeout=60".into(),
        "--scratch".into(),
        out.clone().into_os_string(),
    ];
    for name in &wanted {
        args.push(format!("--exercise={name}").into());
    }
    let started = Instant::now();
    let output = walls.grade(&args);
    let elapsed = started.elapsed();
    walls.held(&output.stdout_text());
    // Whatever a submission started is gone when grade returns: nothing runs from the
    // scratch folder, and the child `sleep 987654` of os_args-leaves-children is dead.
    #[cfg(target_os = "linux")]
    {
        let left: Vec<String> = processes_mentioning(out.as_os_str().as_encoded_bytes())
            .into_iter()
            .chain(processes_mentioning(b"sleep\x00987654"))
            .chain(processes_mentioning(b"98700"))
            .collect();
        assert!(
            left.is_empty(),
            "processes left behind:\n{}",
            left.join("\n")
        );
    }
    assert!(
        elapsed < Duration::from_secs(150),
        "grading the fixtures took {elapsed:?}"
    );
    let report = json_of(&output);
    let submissions = report["submissions"].as_array().unwrap();
    assert_eq!(submissions.len(), fixtures.len());
    let mut wrong = Vec::new();
    for (fixture, sub) in fixtures.iter().zip(submissions) {
        let name = fixture.file_name().unwrap().to_string_lossy();
        assert_eq!(sub["name"], *name);
        let exercise_name = exercise_of(fixture).name;
        let exercises = sub["exercises"].as_array().unwrap();
        let exercise = exercises
            .iter()
            .find(|e| e["name"] == exercise_name)
            .unwrap();
        let expect = grading::fixture::expectation(fixture).expect("expect.txt");
        if expect.build_fails {
            if exercise["status"] != "does_not_compile"
                || !exercise["build_error"].as_str().unwrap().contains("error")
                || exercise["score"] != 0
            {
                wrong.push(format!("{name}: should not compile, got {exercise}"));
            }
        } else {
            let failed: BTreeSet<String> = checks(exercise)
                .iter()
                .filter(|c| c["passed"] == false)
                .map(|c| c["name"].as_str().unwrap().to_string())
                .collect();
            if failed != expect.must_fail || exercise["status"] != "graded" {
                wrong.push(format!(
                    "{name}: expected failures {:?}, got {failed:?}",
                    expect.must_fail
                ));
            }
        }
        for other in exercises.iter().filter(|e| e["name"] != exercise_name) {
            assert_eq!(other["status"], "not_submitted", "{name}: {other}");
            assert_eq!(other["score"], 0);
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// What the sandbox-* fixtures try to reach, and the proof that they did not.
struct Walls {
    home: tempfile::TempDir,
    secret: String,
    listener: std::net::TcpListener,
}

impl Walls {
    fn new() -> Walls {
        let (home, secret) = crate::common::fake_home("walls");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Walls {
            home,
            secret,
            listener,
        }
    }

    /// grade, with HOME the fake home, the listener named for sandbox-host-listener, a
    /// process limit sandbox-many-children goes past and a scratch total sandbox-disk-hog
    /// fills quickly.
    fn grade(&self, args: &[std::ffi::OsString]) -> Output {
        self.grade_in_mode(args, "")
    }

    /// The same, with NETLAB_SANDBOX set to `mode` (unless it is empty).
    fn grade_in_mode(&self, args: &[std::ffi::OsString], mode: &str) -> Output {
        crate::common::grade_with_home(self.home.path(), mode)
            .args(args)
            .arg("--limits=processes=32,disk=256M")
            .env(
                "NETLAB_TEST_LISTENER",
                self.listener.local_addr().unwrap().to_string(),
            )
            .cwd(root())
            .timeout(Duration::from_secs(600))
            .run()
            .expect("grade starts")
    }

    /// The secret is nowhere in `report`.
    fn held_as_another_user(&self, report: &str) {
        if let Some(at) = report.find(&self.secret) {
            let start = report[..at]
                .char_indices()
                .rev()
                .nth(300)
                .map_or(0, |(i, _)| i);
            panic!(
                "the secret reached the report: ...{}",
                &report[start..at + self.secret.len()]
            );
        }
    }

    /// Nothing read, written or reached; `report` (and every other report) holds no secret.
    fn held(&self, report: &str) {
        self.held_as_another_user(report);
        match self.listener.accept() {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("a program under test reached the host's loopback: {other:?}"),
        }
        let pwned = "netlab-pwned-987005";
        let mut places = vec![
            PathBuf::from("/tmp").join(pwned),
            self.home.path().join(pwned),
            root().join(pwned),
        ];
        places.extend(
            Path::new(env!("CARGO_TARGET_TMPDIR"))
                .ancestors()
                .map(|dir| dir.join(pwned)),
        );
        for place in places {
            assert!(
                !place.exists(),
                "a program under test wrote {}",
                place.display()
            );
        }
    }
}

/// The secret of sandbox-reads-home-secret is in no report format, and the report says how
/// the programs were walled in.
#[cfg(target_os = "linux")]
pub fn no_report_format_holds_what_a_submission_read() {
    let walls = Walls::new();
    let class = scratch("secret-class");
    let _ = fs::remove_dir_all(&class);
    let submission = fixture_submission("sandbox-reads-home-secret", &class.join("s"));
    let out = scratch("secret");
    for format in ["table", "json", "junit", "gradescope", "markdown"] {
        let output = walls.grade(&[
            submission.clone().into_os_string(),
            "--exercise=os_args".into(),
            format!("--format={format}").into(),
            "--scratch".into(),
            out.clone().into_os_string(),
        ]);
        assert_eq!(output.code(), Some(0), "{format}:\n{}", output.report());
        walls.held(&output.stdout_text());
        if format == "json" {
            let report: Value = serde_json::from_slice(&output.stdout).unwrap();
            assert_eq!(report["score"], report["max_score"], "{report}");
            assert!(
                report["sandbox"].as_str().unwrap().starts_with("sandboxed"),
                "{report}"
            );
        }
    }
}

/// As root where namespaces cannot be had (forced here with NETLAB_SANDBOX=user), each
/// program runs as a user id of its own: whatever it starts dies with its check, the limits
/// hold, and the grader's home stays unread. (The walls that only namespaces put up, the
/// host's loopback and a read-only /tmp, do not stand in this mode; the book says so.)
#[cfg(target_os = "linux")]
pub fn as_root_without_namespaces_programs_run_as_a_user_of_their_own() {
    use std::os::unix::fs::MetadataExt;
    if fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(1) != 0 {
        eprintln!("not root: the other-user sandbox is root's; nothing to prove here");
        return;
    }
    let _one_at_a_time = crate::common::hostile_alone();
    let walls = Walls::new();
    let class = scratch("other-user-class");
    let _ = fs::remove_dir_all(&class);
    let fixtures = [
        "sandbox-new-session",
        "sandbox-new-group",
        "sandbox-double-fork",
        "sandbox-many-children",
        "sandbox-reads-home-secret",
        "sandbox-memory-hog",
        "sandbox-file-size-hog",
        "sandbox-terminal",
        "sandbox-proc-sys",
        "sandbox-chmod-device",
        "sandbox-many-threads",
        "sandbox-shared-memory",
        "sandbox-nested-namespace",
        "sandbox-kernel-doors",
        "sandbox-keyring",
        "sandbox-disk-hog",
    ];
    for name in fixtures {
        fixture_submission(name, &class.join(name));
    }
    let out = scratch("other-user");
    let output = walls.grade_in_mode(
        &[
            class.clone().into_os_string(),
            "--exercise=os_args".into(),
            "--format=json".into(),
            "--scratch".into(),
            out.into_os_string(),
        ],
        "user",
    );
    walls.held_as_another_user(&output.stdout_text());
    let left = processes_mentioning(b"98700");
    assert!(
        left.is_empty(),
        "processes left behind:\n{}",
        left.join("\n")
    );
    let report = json_of(&output);
    assert!(
        report["sandbox"]
            .as_str()
            .unwrap()
            .contains("a user id of its own"),
        "{report}"
    );
    for name in fixtures {
        let sub = report["submissions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|sub| sub["name"] == name)
            .unwrap_or_else(|| panic!("{name} is not in the report"));
        let expect =
            grading::fixture::expectation(&root().join("tests/fixtures").join(name)).unwrap();
        let failed: BTreeSet<String> = checks(&sub["exercises"][0])
            .iter()
            .filter(|c| c["passed"] == false)
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(failed, expect.must_fail, "{name}: {sub}");
    }
}

/// Where no sandbox can be had (forced here with NETLAB_SANDBOX=off), grade refuses other
/// people's code unless told --unsandboxed, and then says so in the report; the reference
/// and a student's own exercises are graded either way.
pub fn without_a_sandbox_other_peoples_code_needs_a_flag() {
    let class = scratch("unsandboxed-class");
    let _ = fs::remove_dir_all(&class);
    let submission = fixture_submission("os_args-skips-argv0", &class.join("s"));
    let out = scratch("unsandboxed");
    let run = |extra: &[&str]| {
        Cmd::new(env!("CARGO_BIN_EXE_grade"))
            .arg(&submission)
            .args(["--exercise=os_args", "--format=json", "--scratch"])
            .arg(&out)
            .args(extra)
            .env(harness::sandbox::VAR, "off")
            .cwd(root())
            .timeout(Duration::from_secs(600))
            .run()
            .expect("grade starts")
    };
    let refused = run(&[]);
    assert_eq!(refused.code(), Some(2), "{}", refused.report());
    assert!(
        refused.stderr_text().contains("--unsandboxed"),
        "{}",
        refused.report()
    );
    assert!(refused.stdout.is_empty(), "{}", refused.report());
    let report = json_of(&run(&["--unsandboxed"]));
    assert_eq!(report["sandbox"], "unsandboxed", "{report}");
    assert!(report["max_score"].as_u64().unwrap() > 0);
    let reference = Cmd::new(env!("CARGO_BIN_EXE_grade"))
        .args([
            "--reference",
            "--exercise=os_args",
            "--format=json",
            "--scratch",
        ])
        .arg(&out)
        .env(harness::sandbox::VAR, "off")
        .cwd(root())
        .timeout(Duration::from_secs(600))
        .run()
        .expect("grade starts");
    let report = json_of(&reference);
    assert_eq!(report["score"], report["max_score"], "{report}");
}

/// Ctrl-C in the middle of grading: grade says it was interrupted, exits 130, leaves no
/// process behind, and does not report the checks its own interrupt cut short (they used to
/// show as "a netlab bug").
#[cfg(target_os = "linux")]
pub fn ctrl_c_mid_grading_stops_everything_and_reports_nothing() {
    let class = scratch("interrupted-class");
    let _ = fs::remove_dir_all(&class);
    // A submission that is surely still being graded: its program sleeps for good.
    fixture_submission("os_args-sleeps-instead-of-answering", &class.join("s"));
    let out = scratch("interrupted");
    let grading = Cmd::new(env!("CARGO_BIN_EXE_grade"))
        .arg(&class)
        .args(["--exercise=os_args", "--format=json", "--scratch"])
        .arg(&out)
        .cwd(root())
        .timeout(Duration::from_secs(600))
        .spawn()
        .expect("grade starts");
    // The student's program running shows that checks are under way. Nothing announces
    // it, so look for it under a deadline.
    let student_bin = out.join("submissions/s/target/debug/os_args");
    let started = harness::wait::until(Duration::from_secs(300), || {
        (!processes_mentioning(student_bin.as_os_str().as_encoded_bytes()).is_empty()).then_some(())
    });
    assert!(started.is_ok(), "the student's program never started");
    let sent = std::process::Command::new("kill")
        .args(["-INT", &grading.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let output = grading.wait_for_exit(Duration::from_secs(20));
    assert_eq!(output.code(), Some(130), "{}", output.report());
    assert!(
        output.stderr_text().contains("interrupted"),
        "{}",
        output.report()
    );
    assert!(
        !output.stdout_text().contains("netlab bug")
            && !output.stderr_text().contains("netlab bug"),
        "the interrupted checks were reported as results:\n{}",
        output.report()
    );
    let left = processes_mentioning(out.as_os_str().as_encoded_bytes());
    assert!(
        left.is_empty(),
        "processes left behind:\n{}",
        left.join("\n")
    );
}

pub fn usage_and_path_errors_never_panic() {
    for bad in [
        &["--format", "xml"][..],
        &["--jobs", "0"],
        &["--exercise", "nope"],
        &["--frobnicate"],
        &["--reference", "somewhere"],
        &["--out"],
    ] {
        let output = grade(bad);
        assert_eq!(output.code(), Some(2), "{bad:?}: {}", output.report());
        assert!(output.stderr_text().contains("Usage: grade"), "{bad:?}");
        assert!(output.panic().is_none(), "{bad:?}: {}", output.report());
    }
    let empty = scratch("empty-class");
    fs::create_dir_all(empty.join("nothing-here")).unwrap();
    #[cfg(unix)]
    let missing: std::ffi::OsString = {
        use std::os::unix::ffi::OsStringExt;
        std::ffi::OsString::from_vec(b"/no/such/\xfe\xff".to_vec())
    };
    #[cfg(not(unix))]
    let missing = std::ffi::OsString::from("/no/such/folder");
    for bad in [
        missing,
        empty.into_os_string(),
        root().join("Cargo.toml").into(),
    ] {
        let output = grade(std::slice::from_ref(&bad));
        assert_eq!(output.code(), Some(1), "{bad:?}: {}", output.report());
        assert!(output.stderr_text().starts_with("error: "), "{bad:?}");
        assert!(output.panic().is_none(), "{bad:?}: {}", output.report());
    }
    let help = grade(&["--help"]);
    assert_eq!(help.code(), Some(0));
    assert!(
        help.stdout_text().contains("Usage: grade"),
        "{}",
        help.report()
    );
}
