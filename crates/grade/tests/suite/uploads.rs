//! Uploads as students make them, graded by the real `grade` binary: bare program files, a
//! folder shaped like exercises/, a whole repository, a macOS zip unpacked (`netlab-main/`
//! and `__MACOSX/`), one level deeper, files found by name, two candidates for one program;
//! stray paths among the submissions listed as not graded in every format; `--book-url`.
//! os_args is graded where the shape is what is tested: its checks take 0.1 s.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{grade, json_of, root, scratch, solution, write};

/// A file macOS's zip puts in `__MACOSX/` or beside a file: not Rust.
const APPLE_DOUBLE: &[u8] = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ";

fn by_name<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no submission {name} in {report:#}"))
}

fn notes(sub: &Value) -> String {
    sub["upload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["note"].as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every shape of upload in one class folder, each holding the reference os_args (full
/// marks when found) or a mistake in how it was uploaded.
pub fn every_upload_shape_is_found_and_matched_by_name() {
    let class = scratch("shapes-class");
    let _ = fs::remove_dir_all(&class);
    let good = solution("os_args", "os_args");
    let shaped = "os_args/src/bin/os_args.rs";
    // Dragged in alone, with Finder's litter beside it.
    write(&class.join("bare/os_args.rs"), &good);
    write(&class.join("bare/.DS_Store"), APPLE_DOUBLE);
    write(&class.join("bare/._os_args.rs"), APPLE_DOUBLE);
    // Their exercises/ folder's contents.
    write(&class.join("folder").join(shaped), &good);
    // A whole repository: .git and target/ hold copies that are not the submission.
    let repo = class.join("repository");
    write(&repo.join("exercises").join(shaped), &good);
    write(&repo.join(".git/objects/os_args.rs"), b"not this one");
    write(&repo.join("exercises/target/os_args.rs"), b"nor this one");
    write(&repo.join("README.md"), b"# my netlab");
    // A fork of netlab holds its test fixtures, shaped like exercises/ too.
    write(
        &repo.join("tests/fixtures/os_args-broken").join(shaped),
        b"fn main() { broken }",
    );
    write(&repo.join("solutions/os_args/os_args.rs"), b"fn main() {}");
    // GitHub's "Download ZIP" unpacked on a Mac: netlab-main/ and __MACOSX/.
    let zip = class.join("macos-zip");
    write(&zip.join("netlab-main/exercises").join(shaped), &good);
    write(
        &zip.join("__MACOSX/netlab-main/exercises/os_args/src/bin/._os_args.rs"),
        APPLE_DOUBLE,
    );
    write(
        &zip.join("netlab-main/exercises/os_args/src/bin/._os_args.rs"),
        APPLE_DOUBLE,
    );
    // The same, one level deeper.
    write(
        &class
            .join("deeper/submission/netlab-main/exercises")
            .join(shaped),
        &good,
    );
    // A file in a folder of its own choosing: matched by its name.
    write(&class.join("loose/week1/os_args.rs"), &good);
    // A folder named in bytes that are not UTF-8, and a zip inside the upload.
    let odd: OsString = {
        use std::os::unix::ffi::OsStringExt;
        OsString::from_vec(b"caf\xe9".to_vec())
    };
    write(
        &class.join("odd-names").join(&odd).join("os_args.rs"),
        &good,
    );
    write(&class.join("zipped/netlab-main.zip"), b"PK\x03\x04");
    // A file too large to be anyone's program.
    write(&class.join("huge/os_args.rs"), vec![b'/'; 2 << 20]);
    // Two candidates: neither is graded, both are named.
    write(&class.join("ambiguous/old/os_args.rs"), &good);
    write(&class.join("ambiguous/new/os_args.rs"), &good);
    // Nothing gradable: scores 0 and says what it holds.
    write(&class.join("nothing/notes.txt"), b"I did not finish");
    // A stray file in the class folder is not a student.
    write(&class.join("roster.csv"), b"name\n");

    let out = scratch("shapes");
    let report = json_of(&grade(&[
        class.as_os_str(),
        OsStr::new("--exercise=os_args"),
        OsStr::new("--format=json"),
        OsStr::new("--jobs=2"),
        OsStr::new("--scratch"),
        out.as_os_str(),
    ]));
    let max = grading::exercise("os_args").unwrap().max_points() as u64;
    for (name, found) in [
        ("bare", "found os_args.rs (at the top of the upload)"),
        ("folder", "found os_args.rs (in os_args/src/bin/)"),
        (
            "repository",
            "found os_args.rs (in exercises/os_args/src/bin/)",
        ),
        (
            "macos-zip",
            "found os_args.rs (in netlab-main/exercises/os_args/src/bin/)",
        ),
        (
            "deeper",
            "found os_args.rs (in submission/netlab-main/exercises/os_args/src/bin/)",
        ),
        ("loose", "found os_args.rs (in week1/)"),
        ("odd-names", "found os_args.rs (in caf\u{fffd}/)"),
    ] {
        let sub = by_name(&report, name);
        assert_eq!(sub["score"].as_u64(), Some(max), "{name}: {sub:#}");
        assert_eq!(notes(sub), found, "{name}");
    }
    let ambiguous = by_name(&report, "ambiguous");
    assert_eq!(ambiguous["score"], 0);
    let exercise = &ambiguous["exercises"][0];
    assert_eq!(exercise["status"], "not_submitted");
    let message = exercise["checks"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("two files named os_args.rs (new/os_args.rs and old/os_args.rs)"),
        "{message}"
    );
    assert!(message.contains("grades neither"), "{message}");
    let nothing = by_name(&report, "nothing");
    assert_eq!(nothing["score"], 0);
    assert!(
        notes(nothing).contains("found nothing to grade: the upload holds notes.txt"),
        "{nothing:#}"
    );
    assert_eq!(
        nothing["exercises"][0]["checks"][0]["message"],
        "not submitted: found no os_args.rs and no os_args/src/ folder: expected os_args.rs"
    );
    let huge = by_name(&report, "huge");
    assert_eq!(huge["score"], 0);
    assert!(
        notes(huge).contains("os_args.rs (at the top of the upload) is larger than 1 MiB"),
        "{huge:#}"
    );
    let zipped = notes(by_name(&report, "zipped"));
    assert!(
        zipped.contains("the upload holds netlab-main.zip;")
            && zipped.contains("a .zip inside the upload is not opened"),
        "{zipped}"
    );
    let [stray] = &report["not_graded"].as_array().unwrap()[..] else {
        panic!("one path not graded: {report:#}");
    };
    assert!(stray["path"].as_str().unwrap().ends_with("roster.csv"));
    assert_eq!(
        stray["reason"],
        "a file in a class folder, not a student's folder"
    );
    // Nothing of the autograder's own folders in what a student reads.
    let text = report.to_string();
    assert!(!text.contains(&format!("{}/", out.display())), "{report:#}");
}

/// `grade students/*` with a notes file, an unreadable folder, a file named in bytes that
/// are not UTF-8 and a zip among the students: they are listed as not graded with the
/// reason, in every format, and the rest is graded.
pub fn stray_paths_are_not_graded_in_every_format_and_the_rest_is() {
    let students = scratch("stray-students");
    use std::os::unix::fs::PermissionsExt;
    // A run stopped half-way leaves the locked folder locked: open it to clear up.
    let _ = fs::set_permissions(students.join("locked"), fs::Permissions::from_mode(0o755));
    let _ = fs::remove_dir_all(&students);
    write(
        &students.join("ada/os_args.rs"),
        solution("os_args", "os_args"),
    );
    // Two tries in folders of their own: one student's, not a class of two.
    write(&students.join("margaret/week1/os_args.rs"), b"fn main() {}");
    write(&students.join("margaret/final/os_args.rs"), b"fn main() {}");
    write(&students.join("notes.txt"), b"grade by friday");
    write(&students.join("late.zip"), b"PK\x03\x04");
    let not_utf8: OsString = {
        use std::os::unix::ffi::OsStringExt;
        OsString::from_vec(b"caf\xe9.txt".to_vec())
    };
    write(&students.join(&not_utf8), b"x");
    // A folder grade cannot read: a link that leads to itself (as root, which reads any
    // folder whatever its mode, the only kind there is).
    let looped = students.join("looped");
    std::os::unix::fs::symlink(&looped, &looped).unwrap();
    let locked = students.join("locked");
    write(&locked.join("os_args.rs"), b"fn main() {}");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let locked_out = fs::read_dir(&locked).is_err();

    let mut paths: Vec<PathBuf> = fs::read_dir(&students)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let out = scratch("stray");
    let run_on = |format: &str, extra: &[&str], paths: &[PathBuf]| {
        let mut args: Vec<OsString> = vec![
            "--exercise=os_args".into(),
            format!("--format={format}").into(),
            "--scratch".into(),
            out.clone().into(),
        ];
        args.extend(extra.iter().map(OsString::from));
        args.extend(paths.iter().map(|p| p.clone().into_os_string()));
        grade(&args)
    };
    let run = |format: &str, extra: &[&str]| run_on(format, extra, &paths);
    let json = json_of(&run("json", &[]));
    let reasons: Vec<(String, String)> = json["not_graded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let path = Path::new(n["path"].as_str().unwrap());
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, n["reason"].as_str().unwrap().to_string())
        })
        .collect();
    let reason = |name: &str| {
        reasons
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r.as_str())
            .unwrap_or_else(|| panic!("{name} should be listed as not graded: {json:#}"))
    };
    assert!(reason("notes.txt").starts_with("a file, not a folder"));
    assert!(reason("late.zip").starts_with("a .zip file: unzip it first"));
    assert!(reason("caf\u{fffd}.txt").starts_with("a file, not a folder"));
    assert!(reason("looped").starts_with("cannot be read: "), "{json:#}");
    if locked_out {
        assert!(reason("locked").contains("ermission denied"), "{json:#}");
    }
    let ada = by_name(&json, "ada");
    let max = grading::exercise("os_args").unwrap().max_points() as u64;
    assert_eq!(ada["score"].as_u64(), Some(max), "{json:#}");

    let margaret = by_name(&json, "margaret");
    assert_eq!(margaret["score"], 0);
    assert!(
        notes(margaret)
            .contains("two files named os_args.rs (final/os_args.rs and week1/os_args.rs)"),
        "{json:#}"
    );

    let table = run("table", &[]);
    assert_eq!(table.code(), Some(0), "{}", table.report());
    let table = table.stdout_text();
    assert!(table.contains("not graded: "), "{table}");
    assert!(table.contains("notes.txt: a file, not a folder"), "{table}");
    let markdown = run("markdown", &[]);
    let markdown = markdown.stdout_text();
    assert!(markdown.contains("**Not graded**"), "{markdown}");
    assert!(markdown.contains("late.zip: a .zip file"), "{markdown}");
    let junit = run("junit", &[]).stdout_text();
    assert!(junit.contains(r#"<testsuite name="not graded""#), "{junit}");
    assert!(
        junit.contains("<skipped message=\"a file, not a folder"),
        "{junit}"
    );
    // Gradescope's file is one student's: the stray paths are beside it, not a second.
    let results = scratch("stray").join("results.json");
    let gradescope = run_on(
        "gradescope",
        &["--out", results.to_str().unwrap()],
        &[
            students.join("ada"),
            students.join("notes.txt"),
            looped.clone(),
        ],
    );
    assert_eq!(gradescope.code(), Some(0), "{}", gradescope.report());
    let results: Value = serde_json::from_slice(&fs::read(&results).unwrap()).unwrap();
    assert_eq!(results["score"].as_u64(), Some(max));
    assert!(
        results["output"].as_str().unwrap().contains("not graded: "),
        "{results:#}"
    );
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();

    // Only stray paths: nothing to grade is an error that names each.
    let none = grade(&[
        OsStr::new("--exercise=os_args"),
        students.join("notes.txt").as_os_str(),
        looped.as_os_str(),
    ]);
    assert_eq!(none.code(), Some(1), "{}", none.report());
    let error = none.stderr_text();
    assert!(error.starts_with("error: nothing to grade: "), "{error}");
    assert!(error.contains("notes.txt: a file, not a folder"), "{error}");
    assert!(none.panic().is_none());
}

/// With `--book-url` every report's book links are pages of the published book; without
/// it they stay paths in the checkout.
pub fn book_url_makes_feedback_links_urls() {
    let upload = scratch("book-url-upload");
    let _ = fs::remove_dir_all(&upload);
    // A starter's os_args: every check fails and points at the book.
    write(
        &upload.join("os_args.rs"),
        fs::read(root().join("exercises/os_args/src/bin/os_args.rs")).unwrap(),
    );
    let out = scratch("book-url");
    let run = |format: &str, url: Option<&str>| {
        let mut args: Vec<OsString> = vec![
            "--exercise=os_args".into(),
            format!("--format={format}").into(),
            "--scratch".into(),
            out.clone().into(),
            upload.clone().into(),
        ];
        if let Some(url) = url {
            args.extend(["--book-url".into(), url.into()]);
        }
        let output = grade(&args);
        assert_eq!(output.code(), Some(0), "{}", output.report());
        output.stdout_text()
    };
    let url = "https://example.edu/netlab/";
    let json: Value = serde_json::from_str(&run("json", Some(url))).unwrap();
    let exercise = &json["submissions"][0]["exercises"][0];
    assert_eq!(
        exercise["chapter"],
        "https://example.edu/netlab/os_args.html"
    );
    for check in exercise["checks"].as_array().unwrap() {
        let read = check["read"].as_str().unwrap();
        assert!(
            read.starts_with("https://example.edu/netlab/os_args.html#"),
            "{read}"
        );
    }
    for format in ["table", "markdown", "junit", "gradescope"] {
        let text = run(format, Some(url));
        assert!(
            text.contains("https://example.edu/netlab/os_args.html#"),
            "{format}: {text}"
        );
        assert!(!text.contains("book/src/"), "{format}: {text}");
    }
    let plain = run("table", None);
    assert!(plain.contains("read: book/src/os_args.md#"), "{plain}");
}
