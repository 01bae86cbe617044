//! trace's refusals: bad arguments print a usage line and exit 2 before anything runs;
//! where user namespaces are unavailable it exits 2 saying why and what to do instead,
//! and writes no file. Never a panic. (trace is a Linux tool: elsewhere it only says so.)

#![cfg(target_os = "linux")]

mod common;

use std::process::{Command, Output};

use common::{namespaces_unavailable, run_trace, trace};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_refused(output: &Output, because: &str) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains(because), "expected {because:?} in {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_arguments_print_the_usage_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (args, because) in [
        (&[][..], "-w FILE.pcap"),
        (&["true"], "-w FILE.pcap"),
        (&["-w"], "-w needs a file name"),
        (&["-w", "x.pcap"], "no COMMAND"),
        (&["-w", "x.pcap", "--"], "no COMMAND"),
        (
            &["--bogus", "-w", "x.pcap", "true"],
            "unknown option --bogus",
        ),
        (
            &["-w", "x.pcap", "-t", "soon", "true"],
            "whole number of seconds",
        ),
    ] {
        let output = trace().args(args).current_dir(dir.path()).output().unwrap();
        assert_refused(&output, because);
        let usage = "usage: trace -w FILE.pcap [-q] [-t SECONDS] [--] COMMAND [ARG...]";
        assert!(text(&output.stderr).contains(usage), "{args:?}: {output:?}");
        assert!(output.stdout.is_empty(), "{args:?}: {output:?}");
    }
    assert!(
        !dir.path().join("x.pcap").exists(),
        "a refused run wrote its file"
    );
}

#[test]
fn help_prints_the_usage_on_stdout() {
    let output = run_trace(&["--help"]);
    assert!(output.status.success());
    assert!(text(&output.stdout).starts_with("usage: trace -w FILE.pcap"));
}

/// A user namespace whose own limit allows one more (`unshare -U`, made by util-linux's
/// unshare in a namespace that set user.max_user_namespaces to 1): trace's cannot be made.
#[test]
fn without_user_namespaces_it_says_why_and_what_to_do_instead() {
    if let Some(why) = namespaces_unavailable() {
        eprintln!("skipped without_user_namespaces...: {why} (the refusal is the real one)");
        return;
    }
    if !Command::new("unshare")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("skipped without_user_namespaces...: util-linux's unshare is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("never.pcap");
    let script = format!(
        "echo 1 > /proc/sys/user/max_user_namespaces && exec unshare -U '{}' -w '{}' -- true",
        env!("CARGO_BIN_EXE_trace"),
        file.display()
    );
    let output = Command::new("unshare")
        .args(["-Ur", "sh", "-c", &script])
        .output()
        .unwrap();
    assert_refused(&output, "trace cannot capture here without root");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("max_user_namespaces"),
        "the cause: {stderr}"
    );
    assert!(
        stderr.contains("sudo tcpdump -i lo -w"),
        "what to do instead: {stderr}"
    );
    assert!(!file.exists(), "a refused capture wrote its file");
}
