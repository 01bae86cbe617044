//! What no submission may reach through the harness or beside it, graded by the real
//! `grade` binary with a fake home holding a canary, in namespaces and (as root) in the
//! other-user mode:
//! - links a program plants are never followed by code that runs as the grader: a
//!   receiver that saves files as links to the canary (sandbox-recv-saves-link) fails
//!   naming the link, and a sender that swaps DIR for a link to the home
//!   (sandbox-send-swaps-inbox) gets nothing written there;
//! - a program that hunts for other submissions (sandbox-reads-others) finds neither a
//!   classmate's canary nor a reference binary among the builds.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use harness::Output;
use serde_json::Value;

use crate::common::{fixture_submission, json_of, root, scratch, write};

/// A home as homes are (mode 700), holding a canary file.
struct Home {
    dir: tempfile::TempDir,
    canary: String,
}

impl Home {
    fn new() -> Home {
        let (dir, canary) = crate::common::fake_home("links");
        // Where sandbox-send-swaps-inbox points the receiver's DIR.
        fs::create_dir(dir.path().join("netlab-inbox")).unwrap();
        Home { dir, canary }
    }

    /// grade with HOME the fake home, in `mode` (NETLAB_SANDBOX, "" for the default).
    fn grade(&self, args: &[OsString], mode: &str) -> Output {
        crate::common::grade_with_home(self.dir.path(), mode)
            .args(args)
            .cwd(root())
            .timeout(Duration::from_secs(600))
            .run()
            .expect("grade starts")
    }

    /// The canary is in no report, and nothing but it is in the home.
    fn held(&self, reports: &[(&str, String)]) {
        for (format, report) in reports {
            assert!(
                !report.contains(&self.canary),
                "the canary reached the {format} report:\n{report}"
            );
        }
        let names = |dir: &Path| -> BTreeSet<String> {
            fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(
            names(self.dir.path()),
            BTreeSet::from(["netlab-secret.txt".to_string(), "netlab-inbox".to_string()]),
            "something was written in the grader's home"
        );
        assert_eq!(
            names(&self.dir.path().join("netlab-inbox")),
            BTreeSet::new(),
            "something was written in the grader's home"
        );
    }
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The modes to prove a wall in here: namespaces, and as root the other-user mode.
fn modes() -> Vec<&'static str> {
    match is_root() {
        true => vec!["", "user"],
        false => {
            eprintln!("not root: the other-user mode is root's; namespaces only");
            vec![""]
        }
    }
}

/// A class folder readable by the grader alone, as the book asks of one.
fn class_folder(name: &str) -> PathBuf {
    let class = scratch(name);
    let _ = fs::remove_dir_all(&class);
    fs::create_dir_all(&class).unwrap();
    fs::set_permissions(&class, fs::Permissions::from_mode(0o700)).unwrap();
    class
}

fn check<'a>(report: &'a Value, submission: &str, name: &str) -> &'a Value {
    report["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == submission)
        .and_then(|s| s["exercises"][0]["checks"].as_array())
        .and_then(|checks| checks.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no check {name} of {submission} in {report:#}"))
}

/// `submissions` graded once in `mode` into each of `formats` (`--out FORMAT=FILE`), in
/// the scratch folder `others-out-{mode}`: the table, then each report.
fn graded_into(
    home: &Home,
    submissions: &Path,
    mode: &str,
    formats: &[&'static str],
) -> Vec<(&'static str, String)> {
    let out = scratch(&format!("others-out-{mode}"));
    let _ = fs::create_dir_all(&out);
    let files = scratch(&format!("others-reports-{mode}"));
    let _ = fs::remove_dir_all(&files);
    fs::create_dir_all(&files).unwrap();
    let mut args: Vec<OsString> = vec![
        submissions.into(),
        "--exercise=tcp_file".into(),
        "--scratch".into(),
        out.into(),
    ];
    for format in formats {
        args.push("--out".into());
        args.push(format!("{format}={}", files.join(format).display()).into());
    }
    let output = home.grade(&args, mode);
    assert_eq!(output.code(), Some(0), "{}", output.report());
    let mut reports = vec![("table", output.stdout_text())];
    for format in formats {
        reports.push((*format, fs::read_to_string(files.join(format)).unwrap()));
    }
    reports
}

/// A class's reports: the table, json, junit and markdown.
fn graded_in_every_format(
    home: &Home,
    submissions: &Path,
    mode: &str,
) -> Vec<(&'static str, String)> {
    graded_into(home, submissions, mode, &["json", "junit", "markdown"])
}

pub fn planted_links_are_refused_and_followed_nowhere() {
    for mode in modes() {
        let home = Home::new();
        let class = class_folder(&format!("links-class-{mode}"));
        for name in ["sandbox-recv-saves-link", "sandbox-send-swaps-inbox"] {
            fixture_submission(name, &class.join(name));
        }
        let reports = graded_in_every_format(&home, &class, mode);
        home.held(&reports);
        let report: Value = serde_json::from_str(&reports[1].1).unwrap();
        let refused = check(&report, "sandbox-recv-saves-link", "recv_saves_text_file");
        let message = refused["message"].as_str().unwrap();
        assert!(
            refused["passed"] == false && message.contains("is a symbolic link (to "),
            "{mode}: the link is not named: {refused:#}"
        );
        // The reference receiver's DIR is out of the sender's reach: it saved the file.
        let reference = check(
            &report,
            "sandbox-send-swaps-inbox",
            "send_works_with_reference_receiver",
        );
        assert_eq!(reference["passed"], true, "{mode}: {reference:#}");
        // One upload alone, for the formats of one submission, from one grading run.
        let one = class.join("sandbox-recv-saves-link");
        let reports = graded_into(&home, &one, mode, &["gradescope", "classroom"]);
        home.held(&reports);
    }
}

pub fn other_submissions_and_the_reference_binaries_are_out_of_reach() {
    for mode in modes() {
        let home = Home::new();
        let class = class_folder(&format!("others-class-{mode}"));
        fixture_submission("sandbox-reads-others", &class.join("thief"));
        // A classmate: the reference, with a canary in its source (and so in its build's
        // copy of it).
        let canary = format!("netlab-classmate-canary-{}", std::process::id());
        let mut source = crate::common::solution("os_args", "os_args");
        source.extend_from_slice(format!("// {canary}\n").as_bytes());
        write(&class.join("classmate/os_args/src/bin/os_args.rs"), &source);
        let out = scratch(&format!("others-scratch-{mode}"));
        let output = home.grade(
            &[
                class.clone().into(),
                "--exercise=os_args".into(),
                "--format=json".into(),
                "--scratch".into(),
                out.into(),
            ],
            mode,
        );
        let report = json_of(&output);
        let text = output.stdout_text();
        assert!(
            !text.contains(&canary),
            "{mode}: a classmate's canary reached the report:\n{text}"
        );
        // Among grade's builds (shown as <scratch>): none. Elsewhere on the machine, as
        // another user, a world-readable target/ is not grade's to close (the book says so).
        let wanted = match mode {
            "" => "stolen: a reference binary",
            _ => "stolen: a reference binary at <scratch>",
        };
        assert!(
            !text.contains(wanted),
            "{mode}: a reference binary was found:\n{text}"
        );
        let thief = report["submissions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "thief")
            .unwrap();
        // In namespaces nothing at all is in its view; as another user, what the machine
        // leaves world-readable elsewhere (another checkout's target/, say) is not ours
        // to close, and may cost it points.
        if mode.is_empty() {
            assert_eq!(thief["score"], thief["max_score"], "{thief:#}");
        }
    }
}
