//! grade away from where it was built, as an instructor's CI runs it: it finds the netlab
//! checkout from the current folder (or `--root`), builds in CARGO_TARGET_DIR, writes
//! every report format from one grading run, and the GitHub Classroom workflow's own
//! command grades a student repository into the results Classroom's reporter reads.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use grading::build::Workspace;
use harness::Cmd;
use serde_json::Value;

use crate::common::{grade_exe, grade_in, root, scratch};

/// A student repository (`exercises/os_args/src/...`) holding the reference os_args, or
/// the starter when `starter`.
fn os_args_repository(dest: &Path, starter: bool) -> PathBuf {
    let workspace = Workspace::locate().unwrap();
    let exercise = grading::exercise("os_args").unwrap();
    let folder = dest.join("exercises").join("os_args");
    if starter {
        let bin = folder.join("src").join("bin");
        fs::create_dir_all(&bin).unwrap();
        fs::copy(
            root().join("exercises/os_args/src/bin/os_args.rs"),
            bin.join("os_args.rs"),
        )
        .unwrap();
    } else {
        workspace
            .write_reference_submission(exercise, &folder)
            .unwrap();
    }
    dest.to_path_buf()
}

fn json_file(path: &Path) -> Value {
    let text = fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} was not written: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}\n{text}", path.display()))
}

pub fn it_grades_with_the_checkout_it_runs_in_and_builds_in_cargo_target_dir() {
    // Another checkout, elsewhere: its parts are the real ones, its folder is not.
    let elsewhere = tempfile::tempdir().unwrap();
    let checkout = elsewhere.path().join("netlab");
    fs::create_dir(&checkout).unwrap();
    for entry in fs::read_dir(root()).unwrap() {
        let name = entry.unwrap().file_name();
        if name != "target" && name != ".git" {
            std::os::unix::fs::symlink(root().join(&name), checkout.join(&name)).unwrap();
        }
    }
    let work = checkout.join("work");
    fs::create_dir(&work).unwrap();
    // Relative, as cargo reads it: from the current folder.
    let output = Cmd::new(grade_exe())
        .args(["--reference", "--exercise", "os_args", "--format", "json"])
        .cwd(&work)
        .env("CARGO_TARGET_DIR", "built-here")
        .timeout(Duration::from_secs(600))
        .run()
        .unwrap();
    assert_eq!(output.code(), Some(0), "{}", output.report());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let graded = report["submissions"][0]["path"].as_str().unwrap();
    assert!(
        graded.starts_with(&*checkout.to_string_lossy()),
        "grade used the checkout it was built in, {graded}, not the one it ran in"
    );
    assert_eq!(report["score"], report["max_score"]);
    assert!(
        work.join("built-here/netlab/grade/reference").is_dir(),
        "the reference was not built in CARGO_TARGET_DIR"
    );
    assert!(
        !checkout.join("target").exists(),
        "grade wrote into the checkout's target/ although CARGO_TARGET_DIR was set"
    );
}

pub fn away_from_any_checkout_it_asks_for_root() {
    // A copy of grade outside every checkout: nothing ties it to where it was built.
    let away = tempfile::tempdir().unwrap();
    let exe = away.path().join("grade");
    // Copied by `cp`, not by this process: a file this process held open for writing is
    // inherited by whatever another test thread starts at that moment, and running the
    // copy then fails with "Text file busy" until that program has exec'd.
    let copied = std::process::Command::new("cp")
        .arg(grade_exe())
        .arg(&exe)
        .status()
        .unwrap();
    assert!(copied.success(), "cp grade: {copied}");
    let lost = grade_in(&exe, away.path(), &["--reference", "--exercise", "os_args"]);
    assert_eq!(lost.code(), Some(1), "{}", lost.report());
    let said = lost.stderr_text();
    assert!(
        said.contains("not inside a netlab checkout") && said.contains("--root"),
        "{said}"
    );
    let scratch = scratch("root");
    let found = grade_in(
        &exe,
        away.path(),
        &[
            OsStr::new("--root"),
            root().as_os_str(),
            OsStr::new("--reference"),
            OsStr::new("--exercise=os_args"),
            OsStr::new("--scratch"),
            scratch.as_os_str(),
        ],
    );
    assert_eq!(found.code(), Some(0), "{}", found.report());
    assert!(found.stdout_text().contains("9/9"), "{}", found.report());
    let not_one = grade_in(
        &exe,
        away.path(),
        &[OsStr::new("--root"), away.path().as_os_str()],
    );
    assert_eq!(not_one.code(), Some(1), "{}", not_one.report());
    assert!(not_one.stderr_text().contains("is no netlab checkout"));
}

/// The grade command of contrib/github-classroom/classroom.yml, word by word, its `../`
/// (the folder holding the two checkouts) made `parent`.
fn workflow_command(parent: &Path) -> Vec<String> {
    let workflow = fs::read_to_string(root().join("contrib/github-classroom/classroom.yml"))
        .expect("the Classroom workflow exists");
    let lines: Vec<&str> = workflow.lines().map(str::trim).collect();
    let start = lines
        .iter()
        .position(|line| line.starts_with("./target/release/grade "))
        .expect("the workflow runs ./target/release/grade");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("target/release/grade "))
            .count(),
        1,
        "the workflow grades once"
    );
    // The command, its `\`-continued lines joined.
    let mut line = String::new();
    for part in &lines[start..] {
        match part.strip_suffix('\\') {
            Some(part) => line.push_str(part),
            None => {
                line.push_str(part);
                break;
            }
        }
    }
    line.split_whitespace()
        .skip(1)
        .map(|word| word.replace("../", &format!("{}/", parent.display())))
        .collect()
}

pub fn the_classroom_workflow_grades_once_into_every_report() {
    let workflow = fs::read_to_string(root().join("contrib/github-classroom/classroom.yml"))
        .expect("the Classroom workflow exists");
    for needed in [
        "checks: write",
        "repository_dispatch",
        "classroom-resources/autograding-grading-reporter@v1",
        "NETLAB_RESULTS:",
        "runners: netlab",
        "actions/cache@",
    ] {
        assert!(workflow.contains(needed), "the workflow lacks {needed}");
    }
    // Only os_args is submitted: whatever os_args scores, the status is `fail`.
    for starter in [false, true] {
        let parent = tempfile::tempdir().unwrap();
        os_args_repository(&parent.path().join("submission"), starter);
        let mut args = workflow_command(parent.path());
        let scratch = scratch(if starter { "starter" } else { "reference" });
        args.extend(["--scratch".into(), scratch.to_string_lossy().into_owned()]);
        let output = grade_in(&grade_exe(), &root(), &args);
        assert_eq!(output.code(), Some(0), "{}", output.report());

        // Classroom's reporter: version 1, a status, the points, a test per check.
        let classroom = json_file(&parent.path().join("classroom.json"));
        assert_eq!(classroom["version"], 1);
        assert_eq!(classroom["status"], "fail");
        let tests = classroom["tests"].as_array().unwrap();
        let total: u64 = grading::exercises()
            .iter()
            .flat_map(|e| e.checks())
            .map(|c| u64::from(c.points))
            .sum();
        assert_eq!(classroom["max_score"], total);
        let checks: usize = grading::exercises().iter().map(|e| e.checks().len()).sum();
        assert_eq!(tests.len(), checks);
        let scored: u64 = tests.iter().map(|t| t["score"].as_u64().unwrap()).sum();
        let passed = tests.iter().filter(|t| t["status"] == "pass").count() as u64;
        assert_eq!(scored, passed, "a passed check is worth its point");
        let os_args: Vec<&Value> = tests
            .iter()
            .filter(|t| t["name"].as_str().unwrap().starts_with("os_args: "))
            .collect();
        let os_args_checks = grading::exercise("os_args").unwrap().checks().len();
        assert_eq!(os_args.len(), os_args_checks);
        let wanted = if starter { 0 } else { os_args_checks };
        assert_eq!(
            os_args.iter().filter(|t| t["status"] == "pass").count(),
            wanted
        );
        for test in tests.iter().filter(|t| t["status"] == "fail") {
            assert!(
                !test["message"].as_str().unwrap().is_empty(),
                "a failed test says why: {test}"
            );
        }
        // The other two reports of the same run agree with it.
        let junit = fs::read_to_string(parent.path().join("grade.xml")).unwrap();
        assert!(junit.starts_with("<?xml"), "{junit}");
        let markdown = fs::read_to_string(parent.path().join("grade.md")).unwrap();
        assert!(
            markdown.contains(&format!("{scored}/{total}")),
            "markdown has {scored}/{total}:\n{markdown}"
        );
    }
}

pub fn one_submission_formats_refuse_a_class() {
    let class = tempfile::tempdir().unwrap();
    for name in ["ada", "grace"] {
        os_args_repository(&class.path().join(name), false);
    }
    let out = class.path().join("c.json");
    let mut out_arg = std::ffi::OsString::from("classroom=");
    out_arg.push(&out);
    let output = grade_in(
        &grade_exe(),
        &root(),
        &[
            OsStr::new("--exercise=os_args"),
            OsStr::new("--out"),
            &out_arg,
            class.path().as_os_str(),
        ],
    );
    assert_eq!(output.code(), Some(1), "{}", output.report());
    assert!(
        output.stderr_text().contains(
            "--format classroom writes the results of one submission, but the paths hold 2"
        ),
        "{}",
        output.report()
    );
    assert!(!out.exists());
}
