//! A maintainer's test: tcpdump, where it is installed, still prints for every recorded
//! trace (traces/NAME.pcap) exactly the lines stored beside it (NAME.tcpdump), the lines
//! the recorded checks hold a student's tcp_peek to. A trace re-made while its lines were
//! not, or a tcpdump that prints them otherwise, fails here, not in a student's check. Skipped, saying so, where tcpdump is not installed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use harness::{Cmd, Output};

/// tcpdump with `args`, under a deadline; None when it cannot be started.
fn tcpdump(args: &[&std::ffi::OsStr]) -> Option<Output> {
    // tcpdump is not a program under test: it is the tool the stored lines came from.
    Cmd::new("tcpdump")
        .args(args)
        .timeout(Duration::from_secs(10))
        .run()
        .ok()
}

fn traces() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces");
    let mut pcaps: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| Some(entry.ok()?.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "pcap"))
        .collect();
    pcaps.sort();
    pcaps
}

#[test]
fn tcpdump_prints_the_stored_lines() {
    let version = match tcpdump(&["--version".as_ref()]) {
        Some(output) if output.code() == Some(0) => output,
        _ => {
            eprintln!(
                "skipped tcpdump_prints_the_stored_lines: tcpdump is not installed here (the \
                 recorded checks still compare tcp_peek with the stored lines)"
            );
            return;
        }
    };
    let version = String::from_utf8_lossy(&version.stdout);
    let version = version.lines().next().unwrap_or("an unknown version");
    let pcaps = traces();
    assert!(
        pcaps.len() >= 8,
        "only {} traces in traces/: recorded.rs embeds 8",
        pcaps.len()
    );
    let mut differ = Vec::new();
    for pcap in &pcaps {
        let output = tcpdump(&["-n".as_ref(), "-t".as_ref(), "-r".as_ref(), pcap.as_ref()])
            .expect("tcpdump ran a moment ago");
        let name = pcap.file_name().unwrap_or_default().to_string_lossy();
        assert_eq!(
            output.code(),
            Some(0),
            "tcpdump could not read {name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stored_path = pcap.with_extension("tcpdump");
        let stored = std::fs::read(&stored_path)
            .unwrap_or_else(|e| panic!("{name} has no lines beside it: {e}"));
        if output.stdout == stored {
            continue;
        }
        let (printed, stored) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&stored),
        );
        let at = printed
            .lines()
            .zip(stored.lines())
            .position(|(p, s)| p != s)
            .unwrap_or(printed.lines().count().min(stored.lines().count()));
        differ.push(format!(
            "{name}, line {}: tcpdump prints {:?}, {} holds {:?}",
            at + 1,
            printed.lines().nth(at).unwrap_or("nothing"),
            stored_path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy(),
            stored.lines().nth(at).unwrap_or("nothing"),
        ));
    }
    assert!(
        differ.is_empty(),
        "tcpdump here ({version}; the lines were stored from tcpdump 4.99.3) prints \
         otherwise than the stored lines:\n{}\nre-make them (traces/README.md) if the trace \
         changed; if tcpdump did, tcp_peek follows 4.99.3",
        differ.join("\n")
    );
}
