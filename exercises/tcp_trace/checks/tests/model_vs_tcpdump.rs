//! The model is right: every capture the generated checks draw, under several seeds, is
//! printed by `tcpdump -n -t -r` exactly as the model says (skipped, with the reason,
//! where tcpdump is not installed), a file cut in the middle of a record gets the lines
//! of the records before the cut; and a capture read back by `model::decode` prints the
//! same lines and summary (whole captures: the segments it was written from).

use std::path::Path;
use std::process::Command;

use tcp_trace_checks::generated::{every_capture, every_cut_file};
use tcp_trace_checks::model::{self, Cut};

/// Seeds tried: every class is in every seed, these vary the values inside.
const SEEDS: u64 = 16;

/// Whether tcpdump is here; if not, `test` says it is skipped.
fn tcpdump_here(test: &str) -> bool {
    // tcpdump, the judge of the model: not a program under test.
    let found = Command::new("tcpdump").arg("--version").output();
    let here = found.is_ok_and(|o| o.status.success());
    if !here {
        eprintln!("skipped {test}: tcpdump is not installed here");
    }
    here
}

/// `bytes` written to `path` and read back by `tcpdump -n -t -r`: its stdout and stderr.
fn tcpdump_reads(path: &Path, bytes: &[u8]) -> (String, String) {
    std::fs::write(path, bytes).unwrap();
    // tcpdump again: not a program under test.
    let output = Command::new("tcpdump")
        .args(["-n", "-t", "-r"])
        .arg(path)
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn tcpdump_prints_the_models_lines() {
    if !tcpdump_here("tcpdump_prints_the_models_lines") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    for seed in 1..=SEEDS {
        let mut rng = fastrand::Rng::with_seed(seed);
        for (check, name, capture) in every_capture(&mut rng) {
            let trace = capture.trace();
            let path = dir.path().join(format!("{seed}-{name}"));
            let (stdout, _) = tcpdump_reads(&path, &trace.pcap);
            let theirs: Vec<&str> = stdout.lines().collect();
            let at = (0..theirs.len().max(trace.lines.len()))
                .find(|&k| theirs.get(k).copied() != trace.lines.get(k).map(String::as_str));
            if let Some(k) = at {
                problems.push(format!(
                    "seed {seed}, {check}, {name} ({}), line {}:\n    model: {:?}\n  tcpdump: {:?}",
                    capture.encoding,
                    k + 1,
                    trace.lines.get(k),
                    theirs.get(k)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn tcpdump_prints_the_lines_before_a_cut() {
    if !tcpdump_here("tcpdump_prints_the_lines_before_a_cut") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for seed in 1..=SEEDS {
        let mut rng = fastrand::Rng::with_seed(seed);
        for (name, bytes, lines) in every_cut_file(&mut rng) {
            let path = dir.path().join(format!("{seed}-{name}"));
            let (stdout, stderr) = tcpdump_reads(&path, &bytes);
            let theirs: Vec<&str> = stdout.lines().collect();
            assert_eq!(theirs, lines, "seed {seed}, {name}");
            assert!(
                stderr.contains("truncated"),
                "seed {seed}, {name}: {stderr}"
            );
        }
    }
}

#[test]
fn decode_reads_back_what_encode_wrote() {
    for seed in 1..=SEEDS {
        let mut rng = fastrand::Rng::with_seed(seed);
        for (check, name, capture) in every_capture(&mut rng) {
            let at = format!("seed {seed}, {check}, {name}");
            let trace = capture.trace();
            // A cut in the link or IP header leaves no addresses to decode.
            let headers_cut = capture.segments.iter().any(|s| match s.cut {
                Cut::Link(_) => true,
                Cut::Packet(kept) => kept < s.ip_header_len(),
                Cut::Whole => false,
            });
            let decoded = match model::decode(&trace.pcap) {
                Ok(decoded) => decoded,
                Err(_) if headers_cut => continue,
                Err(why) => panic!("{at}: {why}"),
            };
            assert_eq!(decoded.encoding, capture.encoding, "{at}");
            // Read back, the same lines and summary.
            let again = decoded.trace();
            assert_eq!(again.lines, trace.lines, "{at}");
            assert_eq!(again.summary, trace.summary, "{at}");
            // What a live capture holds (whole, honest headers) comes back as it was.
            let clean = capture.segments.iter().all(|s| {
                s.tcp().is_none_or(|t| {
                    t.offset.is_none()
                        && !t
                            .options
                            .iter()
                            .any(|o| matches!(o, model::TcpOption::BadLength(..)))
                }) && s.cut == Cut::Whole
            });
            if clean {
                let kept = |s: &model::Segment| model::Segment {
                    at_ns: match capture.encoding.nanoseconds {
                        true => s.at_ns,
                        false => s.at_ns / 1000 * 1000,
                    },
                    ..s.clone()
                };
                let wanted: Vec<model::Segment> = capture.segments.iter().map(kept).collect();
                assert_eq!(decoded.segments, wanted, "{at}");
            }
        }
    }
}
