//! The walls round a submission's build, tried through the real grade binary by the
//! tests/fixtures/sandbox-build-* fixtures, with the paths they aim at filled in: the
//! reference binaries grade built, a solution, a file of the grader's (fake) home, the
//! grader's environment, a classmate's upload, memory and CPU hogs, and an upload's cargo
//! configuration. Each scores what it deserves, and nothing of the grader reaches any
//! report format.

use std::ffi::OsString;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use harness::{Cmd, Output};
use serde_json::Value;

use crate::common::{fake_home, fixture_submission, json_of, root, scratch};

const ENV_CANARY: &str = "netlab-env-canary-5551";
const CLASSMATE_CANARY: &str = "netlab-classmate-canary-5552";
const FIXTURES: &[&str] = &[
    "sandbox-build-includes-reference",
    "sandbox-build-quotes-solution",
    "sandbox-build-includes-home-secret",
    "sandbox-build-reads-env",
    "sandbox-build-includes-classmate",
    "sandbox-build-memory-hog",
    "sandbox-build-time-hog",
];

/// grade with HOME the fake home, a canary in its environment, in `cwd`.
fn grade(home: &Path, cwd: &Path, args: &[OsString], mode: &str) -> Output {
    crate::common::grade_with_home(home, mode)
        .args(args)
        .arg("--root")
        .arg(root())
        .env("NETLAB_BUILD_CANARY", ENV_CANARY)
        .cwd(cwd)
        .timeout(Duration::from_secs(600))
        .run()
        .expect("grade starts")
}

/// Every line of a solution long enough to mean something.
fn solution_lines() -> Vec<String> {
    let text = fs::read_to_string(root().join("solutions/os_args/os_args.rs")).unwrap();
    text.lines()
        .map(str::trim)
        .filter(|l| l.len() >= 20)
        .map(String::from)
        .collect()
}

/// `text` (a report) holds nothing of the grader.
fn holds_nothing(what: &str, text: &str, secret: &str) {
    for canary in [secret, ENV_CANARY, CLASSMATE_CANARY] {
        assert!(
            !text.contains(canary),
            "{what}: {canary} reached it:\n{text}"
        );
    }
    for line in solution_lines() {
        assert!(
            !text.contains(&line),
            "{what}: a solution line reached it: {line}"
        );
    }
}

/// The class of hostile builds, their paths filled in, in `class`.
fn hostile_class(class: &Path, out: &Path, home: &Path) {
    let _ = fs::remove_dir_all(class);
    for name in FIXTURES {
        let dest = fixture_submission(name, &class.join(name));
        let program = dest.join("os_args/src/bin/os_args.rs");
        let text = fs::read_to_string(&program).unwrap();
        let text = text
            .replace("@SCRATCH@", &out.display().to_string())
            .replace("@ROOT@", &root().display().to_string())
            .replace("@HOME@", &home.display().to_string())
            .replace("@CLASS@", &class.display().to_string());
        fs::write(&program, text).unwrap();
    }
    let classmate = fixture_submission("os_args-skips-argv0", &class.join("classmate"));
    let program = classmate.join("os_args/src/bin/os_args.rs");
    let mut text = fs::read_to_string(&program).unwrap();
    text.push_str(&format!("// {CLASSMATE_CANARY}\n"));
    fs::write(&program, text).unwrap();
    // As a class folder is kept (in the instructor's home): the other-user mode relies
    // on it; namespaces do not.
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(class, fs::Permissions::from_mode(0o700)).unwrap();
}

fn grade_hostile_class(mode: &str, name: &str) {
    let (home, secret) = fake_home("build-walls");
    let class = scratch(&format!("{name}-class"));
    let out = scratch(name);
    hostile_class(&class, &out, home.path());
    let reports = scratch(&format!("{name}-reports"));
    fs::create_dir_all(&reports).unwrap();
    let mut args: Vec<OsString> = vec![
        class.clone().into(),
        "--exercise=os_args".into(),
        "--jobs=2".into(),
        "--scratch".into(),
        out.clone().into(),
    ];
    for format in ["json", "junit", "markdown"] {
        args.push(format!("--out={format}={}/{format}", reports.display()).into());
    }
    let started = Instant::now();
    let output = grade(home.path(), &root(), &args, mode);
    let elapsed = started.elapsed();
    assert_eq!(output.code(), Some(0), "{}", output.report());
    if output
        .stderr_text()
        .contains("is not readable by other users")
    {
        // The other-user mode cannot show a toolchain in root's home to another user:
        // grade builds as itself there, and says so (the book's table says it too).
        eprintln!("the toolchain is root's alone: builds are not walled in this mode here");
        return;
    }
    holds_nothing("the table", &output.stdout_text(), &secret);
    holds_nothing("grade's stderr", &output.stderr_text(), &secret);
    for format in ["json", "junit", "markdown"] {
        let text = fs::read_to_string(reports.join(format)).unwrap();
        holds_nothing(format, &text, &secret);
    }
    assert!(
        !Path::new("/tmp/netlab-pwned-987005").exists(),
        "a hook ran"
    );
    let report: Value =
        serde_json::from_str(&fs::read_to_string(reports.join("json")).unwrap()).unwrap();
    let exercise = |name: &str| -> Value {
        report["submissions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("{name} is not in the report"))["exercises"][0]
            .clone()
    };
    for name in FIXTURES {
        let exercise = exercise(name);
        let expect =
            grading::fixture::expectation(&root().join("tests/fixtures").join(name)).unwrap();
        if expect.build_fails {
            assert_eq!(exercise["status"], "does_not_compile", "{name}: {exercise}");
            assert_eq!(exercise["score"], 0, "{name}: {exercise}");
        } else {
            assert_eq!(
                exercise["score"], exercise["max_score"],
                "{name}: {exercise}"
            );
        }
    }
    let build_error = |name: &str| exercise(name)["build_error"].as_str().unwrap().to_string();
    let memory = build_error("sandbox-build-memory-hog");
    assert!(
        memory.contains("memory") && memory.contains("limit"),
        "{memory}"
    );
    // Stopped at the CPU time the tests give a build (common::BUILD_LIMITS), and said so.
    let cpu = build_error("sandbox-build-time-hog");
    assert!(
        cpu.contains("more than 5 s of CPU time") && cpu.contains("limit"),
        "{cpu}"
    );
    assert!(
        elapsed < Duration::from_secs(300),
        "grading took {elapsed:?}"
    );

    // The formats of one submission, for those with something to hide.
    for name in [
        "sandbox-build-quotes-solution",
        "sandbox-build-includes-home-secret",
        "sandbox-build-reads-env",
        "sandbox-build-includes-classmate",
    ] {
        for format in ["gradescope", "classroom"] {
            let output = grade(
                home.path(),
                &root(),
                &[
                    class.join(name).into(),
                    "--exercise=os_args".into(),
                    format!("--format={format}").into(),
                    "--scratch".into(),
                    out.clone().into(),
                ],
                mode,
            );
            holds_nothing(&format!("{name} {format}"), &output.stdout_text(), &secret);
        }
    }
}

/// With namespaces (as root or as an ordinary user): no build sees the grader's files.
#[cfg(target_os = "linux")]
pub fn hostile_builds_get_nothing_of_the_grader() {
    grade_hostile_class("", "build-walls");
}

/// As root in the other-user mode: builds run as a user id of their own.
#[cfg(target_os = "linux")]
pub fn hostile_builds_get_nothing_of_the_grader_as_another_user() {
    if !rustix_is_root() {
        eprintln!("not root: the other-user sandbox is root's; nothing to prove here");
        return;
    }
    grade_hostile_class("user", "build-walls-user");
}

fn rustix_is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(1) == 0
}

/// `cd upload && grade .`: the upload's .cargo/config.toml (a rustc wrapper) is never
/// read, neither by the reference's build nor by the upload's.
#[cfg(target_os = "linux")]
pub fn an_uploads_cargo_configuration_is_never_read() {
    let _one_at_a_time = crate::common::hostile_alone();
    let (home, secret) = fake_home("build-walls");
    let upload = scratch("cargo-config-upload");
    fixture_submission("sandbox-build-cargo-config", &upload);
    let hostile = root().join("tests/fixtures/sandbox-build-cargo-config/upload");
    fs::create_dir_all(upload.join(".cargo")).unwrap();
    fs::copy(hostile.join("hook.sh"), upload.join("hook.sh")).unwrap();
    // Runnable, as an upload can ship it (the checkout's copy may not keep the mode).
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(upload.join("hook.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::copy(
        hostile.join(".cargo/config.toml"),
        upload.join(".cargo/config.toml"),
    )
    .unwrap();
    let mark = Path::new("/tmp/netlab-pwned-987005");
    let _ = fs::remove_file(mark);
    let out = scratch("cargo-config");
    let output = grade(
        home.path(),
        &upload,
        &[
            ".".into(),
            "--exercise=os_args".into(),
            "--format=json".into(),
            "--scratch".into(),
            out.into(),
        ],
        "",
    );
    let report = json_of(&output);
    holds_nothing("json", &output.stdout_text(), &secret);
    assert!(
        !mark.exists(),
        "the upload's rustc wrapper ran: {}",
        fs::read_to_string(mark).unwrap_or_default()
    );
    assert_eq!(report["score"], report["max_score"], "{report}");
}

/// What a build sees and may write, asked from inside by a build script (no submission
/// has one: only `src/` is taken; this probe is a crate of the test's own, built by the
/// real build launcher): every file of the view is read-only but target/ and /tmp, the
/// grader's folders are not there, no network, a cleared environment, and never uid 0.
#[cfg(target_os = "linux")]
pub fn a_build_writes_only_its_target_folder() {
    let probe = scratch("build-probe");
    let _ = fs::remove_dir_all(&probe);
    crate::common::write(
        &probe.join("Cargo.toml"),
        "[package]\nname = \"probe\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    crate::common::write(&probe.join("Cargo.lock"), "");
    crate::common::write(&probe.join("src/main.rs"), "fn main() {}\n");
    crate::common::write(&probe.join("build.rs"), PROBE);
    fs::create_dir_all(probe.join("target")).unwrap();
    let sysroot = Cmd::new("rustc")
        .args(["--print", "sysroot"])
        .cwd(root())
        .run()
        .unwrap()
        .stdout_text()
        .trim()
        .to_string();
    let output = Cmd::new(env!("CARGO_BIN_EXE_grade"))
        .args([harness::sandbox::LAUNCHER_ARG, "build", "namespaces"])
        .arg(&probe)
        .arg(sysroot)
        .arg("")
        .arg(grading::build_walls::BUILD_LIMITS.to_arg())
        .args(["--", "build", "--manifest-path", "/build/Cargo.toml"])
        .args(["--target-dir", "/build/target"])
        .env("NETLAB_BUILD_CANARY", ENV_CANARY)
        .timeout(Duration::from_secs(300))
        .run()
        .unwrap();
    let log = output.stderr_text();
    assert!(log.contains("probe: /build/target/x: written"), "{log}");
    assert!(log.contains("probe: /tmp/x: written"), "{log}");
    for line in log.lines().filter(|l| l.contains("probe: ")) {
        if line.contains("/build/target/x") || line.contains("/tmp/x") {
            continue;
        }
        assert!(
            !line.contains("written") && !line.contains("listed"),
            "{line}\n{log}"
        );
    }
    assert!(log.contains("probe: uid "), "{log}");
    assert!(
        !log.contains("probe: uid 0 "),
        "the build ran as root:\n{log}"
    );
    assert!(!log.contains(ENV_CANARY), "{log}");
}

const PROBE: &str = r#"
use std::fs::OpenOptions;
fn main() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let uid = status.lines().find(|l| l.starts_with("Uid:")).unwrap_or("");
    let mut out = format!("probe: uid {} \n", uid.split_whitespace().nth(1).unwrap_or("?"));
    for path in [
        "/rust/bin/rustc", "/build/Cargo.toml", "/build/src/main.rs", "/etc/passwd",
        "/proc/sys/kernel/core_pattern", "/usr/bin/x", "/build/target/x", "/tmp/x",
    ] {
        let opened = OpenOptions::new().write(true).create(true).open(path);
        let what = if opened.is_ok() { "written" } else { "refused" };
        out += &format!("probe: {path}: {what}\n");
    }
    for path in ["/root", "/home/cloudsdk", "/work"] {
        let what = if std::fs::read_dir(path).is_ok() { "listed" } else { "absent" };
        out += &format!("probe: {path}: {what}\n");
    }
    let net = std::net::TcpStream::connect("1.1.1.1:80").is_ok();
    out += &format!("probe: network: {}\n", if net { "written" } else { "refused" });
    for (key, value) in std::env::vars() {
        out += &format!("probe: env {key}={value}\n");
    }
    panic!("\n{out}");
}
"#;

/// Even where the build can read a solution (no sandbox, `--unsandboxed`), the compile
/// error a report quotes holds no line of it: `compile_error!(include_str!(...))` makes
/// the whole file the message, and reports keep only its first line, minus any line of a
/// reference solution.
pub fn a_solution_read_at_compile_time_is_never_quoted() {
    let (home, secret) = fake_home("build-walls");
    let class = scratch("quotes-solution-class");
    let _ = fs::remove_dir_all(&class);
    let dest = fixture_submission("sandbox-build-quotes-solution", &class.join("s"));
    let program = dest.join("os_args/src/bin/os_args.rs");
    let text = fs::read_to_string(&program).unwrap();
    fs::write(
        &program,
        text.replace("@ROOT@", &root().display().to_string()),
    )
    .unwrap();
    let out = scratch("quotes-solution");
    let output = grade(
        home.path(),
        &root(),
        &[
            dest.into(),
            "--exercise=os_args".into(),
            "--format=json".into(),
            "--unsandboxed".into(),
            "--scratch".into(),
            out.into(),
        ],
        "off",
    );
    let report = json_of(&output);
    let error = report["submissions"][0]["exercises"][0]["build_error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(error.contains("error"), "{report}");
    holds_nothing("json", &output.stdout_text(), &secret);
}
