//! contrib/gradescope's scripts run as Gradescope runs them, against a simulated
//! `/autograder` in a temporary root (AUTOGRADER_ROOT), with uploads as students make
//! them: the results.json Gradescope would read is valid, scored, has a test per check and
//! shows no path of the autograder's own. Also: setup.sh's health check, and make-zip.sh
//! creating the folder it writes into.

use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use std::time::Duration;

use harness::{Cmd, Output};
use serde_json::Value;

use crate::common::{root, scratch, solution, write};

/// A simulated /autograder: `submission/` made by `upload`, `results/` for Gradescope.
struct Autograder {
    root: tempfile::TempDir,
}

impl Autograder {
    fn new(upload: impl FnOnce(&Path)) -> Autograder {
        let root = tempfile::tempdir().unwrap();
        let submission = root.path().join("submission");
        fs::create_dir_all(&submission).unwrap();
        upload(&submission);
        Autograder { root }
    }

    /// Run one of the scripts as Gradescope does, with `options` for grade.
    fn run(&self, script: &str, options: &str) -> Output {
        Cmd::new("bash")
            .arg(root().join("contrib/gradescope").join(script))
            .env("AUTOGRADER_ROOT", self.root.path())
            .env("NETLAB_CHECKOUT", root())
            .env("NETLAB_GRADE", env!("CARGO_BIN_EXE_grade"))
            .env("GRADE_OPTIONS", options)
            .cwd(self.root.path())
            .timeout(Duration::from_secs(600))
            .run()
            .expect("bash starts")
    }

    /// What Gradescope reads, checked as it would be: valid JSON, a score that is the
    /// tests' sum, each test well formed, and no path of this machine anywhere in it.
    fn results(&self, hidden: &[&Path]) -> Value {
        let path = self.root.path().join("results/results.json");
        let text = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("no results.json for Gradescope: {e}"));
        let results: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("results.json is not JSON: {e}\n{text}"));
        let tests = results["tests"].as_array().expect("tests[]");
        let sum: u64 = tests.iter().map(|t| t["score"].as_u64().unwrap()).sum();
        assert_eq!(results["score"].as_u64(), Some(sum), "{results:#}");
        for test in tests {
            assert!(
                test["name"].is_string() && test["output"].is_string(),
                "{test}"
            );
            assert!(test["max_score"].as_u64().is_some(), "{test}");
        }
        let mut hidden: Vec<&Path> = hidden.to_vec();
        hidden.push(self.root.path());
        let root = root();
        hidden.push(&root);
        for path in hidden {
            let path = path.to_string_lossy();
            assert!(
                !text.contains(path.as_ref()),
                "{path} in results.json:\n{text}"
            );
        }
        assert!(!text.contains("/autograder"), "{text}");
        results
    }
}

/// The issue's own example: `udp_server.rs` and `udp_client.rs` dragged into Gradescope.
pub fn bare_udp_cs_files_get_full_marks() {
    let autograder = Autograder::new(|submission| {
        write(
            &submission.join("udp_server.rs"),
            solution("udp_cs", "udp_server"),
        );
        write(
            &submission.join("udp_client.rs"),
            solution("udp_cs", "udp_client"),
        );
    });
    let out = scratch("bare-udp_cs");
    let options = format!("--exercise udp_cs --scratch {}", out.display());
    let run = autograder.run("run_autograder", &options);
    assert_eq!(run.code(), Some(0), "{}", run.report());
    let results = autograder.results(&[&out]);
    let max = grading::exercise("udp_cs").unwrap().max_points() as u64;
    assert_eq!(results["score"].as_u64(), Some(max), "{results:#}");
    let tests = results["tests"].as_array().unwrap();
    assert_eq!(
        tests.len(),
        grading::exercise("udp_cs").unwrap().checks().len()
    );
    let output = results["output"].as_str().unwrap();
    assert!(
        output.contains("udp_cs: found udp_server.rs and udp_client.rs (at the top of the upload)"),
        "{output}"
    );

    // Only the server: its checks are graded, the client's say what is missing.
    let half = Autograder::new(|submission| {
        let bin = submission.join("netlab-main/exercises/udp_cs/src/bin");
        write(&bin.join("udp_server.rs"), solution("udp_cs", "udp_server"));
    });
    let run = half.run("run_autograder", &options);
    assert_eq!(run.code(), Some(0), "{}", run.report());
    let results = half.results(&[&out]);
    let output = results["output"].as_str().unwrap();
    assert!(
        output.contains(
            "udp_cs: found udp_server.rs (in netlab-main/exercises/udp_cs/src/bin/), \
             no udp_client.rs: expected both udp_server.rs and udp_client.rs"
        ),
        "{output}"
    );
    let tests = results["tests"].as_array().unwrap();
    let (server, client): (Vec<&Value>, Vec<&Value>) = tests
        .iter()
        .filter(|t| !t["name"].as_str().unwrap().contains("pair_"))
        .partition(|t| t["name"].as_str().unwrap().starts_with("udp_cs: server_"));
    assert!(!server.is_empty() && !client.is_empty());
    for test in server {
        assert_eq!(test["status"], "passed", "{test}");
    }
    for test in client {
        assert_eq!(test["score"], 0, "{test}");
        assert!(
            test["output"]
                .as_str()
                .unwrap()
                .starts_with("not submitted: your upload has no udp_client.rs"),
            "{test}"
        );
    }
}

/// The other shapes, graded on os_args: a macOS zip (top folder and __MACOSX/), nested one
/// level deeper, half an exercise, two candidates, an empty upload.
pub fn every_upload_shape_gets_a_results_json_gradescope_reads() {
    let good = solution("os_args", "os_args");
    let max = grading::exercise("os_args").unwrap().max_points() as u64;
    let out = scratch("gradescope-shapes");
    let options = format!("--exercise os_args --scratch {}", out.display());
    let zip = |under: &str| {
        let good = good.clone();
        let under = under.to_string();
        move |submission: &Path| {
            let top = submission.join(&under);
            write(
                &top.join("netlab-main/exercises/os_args/src/bin/os_args.rs"),
                &good,
            );
            write(&top.join("netlab-main/.DS_Store"), b"\x00\x00\x00\x01Bud1");
            write(
                &top.join("__MACOSX/netlab-main/exercises/os_args/src/bin/._os_args.rs"),
                b"\x00\x05\x16\x07",
            );
        }
    };
    for (what, autograder) in [
        ("macos zip", Autograder::new(zip(""))),
        ("one level deeper", Autograder::new(zip("my-upload"))),
    ] {
        let run = autograder.run("run_autograder", &options);
        assert_eq!(run.code(), Some(0), "{what}: {}", run.report());
        let results = autograder.results(&[&out]);
        assert_eq!(results["score"].as_u64(), Some(max), "{what}: {results:#}");
        assert!(
            results["output"]
                .as_str()
                .unwrap()
                .contains("netlab-main/exercises/os_args/src/bin/)"),
            "{what}: {results:#}"
        );
    }

    let twice = Autograder::new(|submission| {
        write(&submission.join("os_args.rs"), &good);
        write(&submission.join("backup/os_args.rs"), &good);
    });
    let run = twice.run("run_autograder", &options);
    assert_eq!(run.code(), Some(0), "{}", run.report());
    let results = twice.results(&[&out]);
    assert_eq!(results["score"], 0);
    let output = results["tests"][0]["output"].as_str().unwrap();
    assert!(
        output.contains("two files named os_args.rs (backup/os_args.rs and os_args.rs)"),
        "{output}"
    );

    // A program that prints where it runs from: the scratch folder's path is hidden.
    let debug = Autograder::new(|submission| {
        write(
            &submission.join("os_args.rs"),
            "fn main() { println!(\"{:?}\", std::env::current_exe().unwrap()); }",
        );
    });
    let run = debug.run("run_autograder", &options);
    assert_eq!(run.code(), Some(0), "{}", run.report());
    let results = debug.results(&[&out]);
    let text = results.to_string();
    assert!(text.contains("<scratch>/submissions/"), "{results:#}");

    let empty = Autograder::new(|submission| {
        write(&submission.join("README.md"), b"hi");
    });
    let run = empty.run("run_autograder", &options);
    assert_eq!(run.code(), Some(0), "{}", run.report());
    let results = empty.results(&[&out]);
    assert_eq!(results["score"], 0);
    let output = results["output"].as_str().unwrap();
    assert!(
        output.contains("found nothing to grade: the upload holds README.md"),
        "{output}"
    );
    assert!(
        results["tests"][0]["output"]
            .as_str()
            .unwrap()
            .starts_with("not submitted: found no os_args.rs and no os_args/src/ folder"),
        "{results:#}"
    );
}

/// When grade cannot grade at all (here: a scratch folder it cannot create), it still
/// writes the results.json Gradescope shows: score 0 and why, no internal path.
pub fn grade_writes_the_fallback_results_json_itself() {
    let autograder = Autograder::new(|submission| {
        write(
            &submission.join("os_args.rs"),
            solution("os_args", "os_args"),
        );
    });
    let blocker = scratch("fallback-file");
    write(&blocker, b"a file where a folder should be");
    let options = format!("--exercise os_args --scratch {}/under", blocker.display());
    let run = autograder.run("run_autograder", &options);
    assert_eq!(run.code(), Some(1), "{}", run.report());
    let results = autograder.results(&[&blocker]);
    assert_eq!(results["score"], 0);
    assert_eq!(results["tests"], Value::Array(Vec::new()));
    let output = results["output"].as_str().unwrap();
    assert!(
        output.starts_with("The autograder could not grade this upload"),
        "{output}"
    );
}

/// setup.sh's health check (with the toolchain and build already there), and make-zip.sh
/// writing into a folder that does not exist yet.
pub fn setup_checks_the_reference_and_make_zip_creates_its_folder() {
    let autograder = Autograder::new(|_| {});
    let out = scratch("setup");
    let setup = autograder.run(
        "setup.sh",
        &format!("--exercise os_args --scratch {}", out.display()),
    );
    assert_eq!(setup.code(), Some(0), "{}", setup.report());
    assert!(
        setup.stdout_text().contains("reference"),
        "{}",
        setup.report()
    );

    if Cmd::new("zip").arg("-v").run().is_err() {
        eprintln!("no zip command here: make-zip.sh not tried");
        return;
    }
    let zip = autograder.root.path().join("new/folder/autograder.zip");
    // The zip holds the checkout the script is in (here the tests' copy, which is no git
    // repository, wherever CARGO_TARGET_DIR puts it), not the repository above it.
    let marker = root().join("only-in-this-copy.txt");
    write(&marker, "made from the copy");
    let made = Cmd::new("bash")
        .arg(root().join("contrib/gradescope/make-zip.sh"))
        .arg(&zip)
        .timeout(Duration::from_secs(300))
        .run()
        .unwrap();
    let _ = std::fs::remove_file(&marker);
    assert_eq!(made.code(), Some(0), "{}", made.report());
    let listing = Cmd::new("unzip")
        .args([OsStr::new("-l"), zip.as_os_str()])
        .run()
        .unwrap()
        .stdout_text();
    for entry in [
        "setup.sh",
        "run_autograder",
        "netlab/Cargo.toml",
        "netlab/only-in-this-copy.txt",
    ] {
        assert!(
            listing.contains(entry),
            "{entry} not in the zip:\n{listing}"
        );
    }
}
