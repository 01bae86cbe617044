//! trace run for real: it captures a TCP connection made by a small program (this test
//! binary itself, run as `talk_helper` inside trace), and the pcap file read back here
//! shows the handshake, the data both ways and a FIN each way, each frame once; tcpdump
//! reads the file where it is installed. Skipped, with the reason, where this system
//! makes no user namespaces.

#![cfg(target_os = "linux")]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{
    ACK, FIN, SYN, Segment, read_pcap, reply, request, run_trace, skip_without_namespaces, trace,
};

/// Not a test: the program trace runs in the other tests (with TRACE_TEST_TALK set).
#[test]
#[ignore = "the helper the capture tests run inside trace"]
fn talk_helper() {
    common::talk_if_asked();
}

/// trace's arguments that run `talk_helper` in it, writing `file`.
fn talk_under_trace(file: &Path) -> std::process::Output {
    let me = std::env::current_exe().unwrap();
    let me = me.to_str().unwrap();
    let file = file.to_str().unwrap();
    let args = [
        "-t",
        "20",
        "-w",
        file,
        "--",
        me,
        "--exact",
        "talk_helper",
        "--ignored",
        "--test-threads=1",
    ];
    let output = trace()
        .args(args)
        .env("TRACE_TEST_TALK", "v4")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "trace or the helper failed: {:?}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The payload one side sent, put together by sequence number.
fn bytes_sent(segments: &[&Segment], first_seq: u32) -> Vec<u8> {
    let mut data = Vec::new();
    for segment in segments.iter().filter(|s| !s.payload.is_empty()) {
        let at = segment.seq.wrapping_sub(first_seq) as usize;
        if data.len() < at + segment.payload.len() {
            data.resize(at + segment.payload.len(), 0);
        }
        data[at..at + segment.payload.len()].copy_from_slice(&segment.payload);
    }
    data
}

#[test]
fn a_connection_shows_its_handshake_data_and_both_fins_each_frame_once() {
    if skip_without_namespaces("a_connection_shows_...") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("talk.pcap");
    let output = talk_under_trace(&file);
    let (_, records) = read_pcap(&file);
    for (i, a) in records.iter().enumerate() {
        assert_eq!(a.data.len() as u32, a.original_len, "frame {i} was cut");
        assert!(
            a.micros < 1_000_000 && a.seconds > 1_600_000_000,
            "frame {i}'s time"
        );
        let duplicate = records[i + 1..].iter().position(|b| b.data == a.data);
        assert_eq!(duplicate, None, "frame {i} was recorded twice");
    }
    let all: Vec<Segment> = records
        .iter()
        .filter_map(|r| Segment::parse(&r.data))
        .collect();
    assert_eq!(all.len(), records.len(), "frames that are no TCP over IPv4");
    let [syn, syn_ack, third] = &all[..3] else {
        panic!("fewer than three segments: {all:?}")
    };
    let (client, server) = (syn.from, syn.to);
    assert!(syn.flags == SYN && syn.payload.is_empty(), "first: {syn:?}");
    assert!(
        syn_ack.flags == SYN | ACK && syn_ack.from == server,
        "second: {syn_ack:?}"
    );
    assert_eq!(
        syn_ack.ack,
        syn.seq.wrapping_add(1),
        "the SYN-ACK acknowledges the SYN"
    );
    assert!(
        third.from == client && third.has(ACK) && !third.has(SYN),
        "third: {third:?}"
    );
    assert_eq!(
        (third.seq, third.ack),
        (syn.seq.wrapping_add(1), syn_ack.seq.wrapping_add(1))
    );
    assert_eq!(
        all.iter().filter(|s| s.has(SYN)).count(),
        2,
        "one SYN each way"
    );
    let from = |port: u16| all.iter().filter(|s| s.from == port).collect::<Vec<_>>();
    let (upstream, downstream) = (from(client), from(server));
    assert_eq!(bytes_sent(&upstream, syn.seq.wrapping_add(1)), request());
    assert_eq!(
        bytes_sent(&downstream, syn_ack.seq.wrapping_add(1)),
        reply()
    );
    for (side, sent, isn, length, others) in [
        ("client", &upstream, syn.seq, request().len(), &downstream),
        ("server", &downstream, syn_ack.seq, reply().len(), &upstream),
    ] {
        let fins: Vec<_> = sent.iter().filter(|s| s.has(FIN)).collect();
        assert_eq!(fins.len(), 1, "the {side}'s FINs: {fins:?}");
        let fin_seq = isn.wrapping_add(1).wrapping_add(length as u32);
        assert_eq!(
            fins[0].seq, fin_seq,
            "the {side}'s FIN comes after its data"
        );
        assert!(
            others
                .iter()
                .any(|s| s.has(ACK) && s.ack == fin_seq.wrapping_add(1)),
            "the {side}'s FIN is acknowledged"
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().filter(|l| l.contains(" IP ")).collect();
    assert_eq!(lines.len(), records.len(), "one line per frame:\n{stdout}");
    assert!(lines[0].contains(&format!(".{client} > 127.0.0.1.{server}: Flags [S], seq ")));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let summary = format!("trace: {} frames written to", records.len());
    assert!(stderr.contains(&summary), "{stderr}");
}

#[test]
fn the_global_header_is_classic_pcap_microseconds_ethernet() {
    if skip_without_namespaces("the_global_header_...") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("empty.pcap");
    let output = run_trace(&["-w", file.to_str().unwrap(), "--", "true"]);
    assert!(output.status.success(), "{output:?}");
    let mut expected = Vec::new();
    expected.extend(0xa1b2_c3d4u32.to_ne_bytes());
    expected.extend(2u16.to_ne_bytes());
    expected.extend(4u16.to_ne_bytes());
    expected.extend(0i32.to_ne_bytes()); // thiszone
    expected.extend(0u32.to_ne_bytes()); // sigfigs
    expected.extend(262_144u32.to_ne_bytes()); // snaplen
    expected.extend(1u32.to_ne_bytes()); // LINKTYPE_ETHERNET
    assert_eq!(
        std::fs::read(&file).unwrap(),
        expected,
        "nothing was sent: a header only"
    );
}

#[test]
fn tcpdump_reads_the_file_and_shows_the_handshake() {
    let tcpdump = Command::new("tcpdump").arg("--version").output();
    if !tcpdump.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped tcpdump_reads_the_file...: tcpdump is not installed here");
        return;
    }
    if skip_without_namespaces("tcpdump_reads_the_file...") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("talk.pcap");
    talk_under_trace(&file);
    let (_, records) = read_pcap(&file);
    let read = Command::new("tcpdump")
        .arg("-nr")
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&read.stdout);
    let stderr = String::from_utf8_lossy(&read.stderr);
    assert!(read.status.success(), "tcpdump -nr failed: {stderr}");
    assert!(
        stderr.contains("link-type EN10MB (Ethernet), snapshot length 262144"),
        "{stderr}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), records.len(), "{stdout}");
    for (line, flags) in lines
        .iter()
        .zip(["Flags [S],", "Flags [S.],", "Flags [.],"])
    {
        assert!(line.contains(flags), "expected {flags} in {line}\n{stdout}");
    }
    assert!(
        !stdout.contains("truncated") && !stdout.contains("[|"),
        "{stdout}"
    );
}

#[test]
fn command_exit_code_is_traces_and_what_it_left_running_is_killed() {
    if skip_without_namespaces("command_exit_code_...") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("exit.pcap");
    let output = run_trace(&[
        "-w",
        file.to_str().unwrap(),
        "sh",
        "-c",
        "sleep 60 & echo $!; exit 7",
    ]);
    assert_eq!(output.status.code(), Some(7), "{output:?}");
    let pid = String::from_utf8_lossy(&output.stdout).trim().to_string();
    // Once trace is back, the sleep was killed: gone, or a zombie its new parent reaps.
    let deadline = Instant::now() + Duration::from_secs(5);
    let stat = format!("/proc/{pid}/stat");
    while let Ok(text) = std::fs::read_to_string(&stat) {
        let state = text.rsplit(')').next().unwrap_or("").trim_start();
        if state.starts_with('Z') || !text.contains("(sleep)") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the background sleep {pid} still runs"
        );
        std::thread::yield_now();
    }
}

#[test]
fn ctrl_c_stops_the_command_and_still_writes_the_capture() {
    if skip_without_namespaces("ctrl_c_stops_...") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("interrupted.pcap");
    let me = std::env::current_exe().unwrap();
    let script = format!(
        "'{}' --exact talk_helper --ignored --test-threads=1 >/dev/null; echo talked; sleep 60",
        me.display()
    );
    let mut child = trace()
        .args([
            "-t",
            "30",
            "-w",
            file.to_str().unwrap(),
            "sh",
            "-c",
            &script,
        ])
        .env("TRACE_TEST_TALK", "v4")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, seen) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    loop {
        match seen.recv_timeout(Duration::from_secs(10)) {
            Ok(line) if line == "talked" => break,
            Ok(_) => {}
            Err(e) => {
                let _ = child.kill();
                panic!("no `talked` line from the command under trace: {e}");
            }
        }
    }
    interrupt(child.id());
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("trace did not end within 5 s of Ctrl-C");
        }
        let _ = seen.recv_timeout(Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(130), "128 + SIGINT");
    let (_, records) = read_pcap(&file);
    let segments: Vec<Segment> = records
        .iter()
        .filter_map(|r| Segment::parse(&r.data))
        .collect();
    assert!(
        segments.iter().any(|s| s.flags == SYN),
        "the capture lost the handshake"
    );
    assert_eq!(
        segments.iter().filter(|s| s.has(FIN)).count(),
        2,
        "both FINs"
    );
}

/// SIGINT, as Ctrl-C sends it.
fn interrupt(pid: u32) {
    #[allow(unsafe_code)]
    // SAFETY: kill(2) with a plain pid and signal number touches no memory.
    let done = unsafe { libc::kill(pid as libc::pid_t, libc::SIGINT) };
    assert_eq!(done, 0, "kill -INT {pid}");
}

#[test]
fn a_burst_at_loopback_speed_loses_no_frame() {
    if skip_without_namespaces("a_burst_...") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bulk.pcap");
    let me = std::env::current_exe().unwrap();
    let output = trace()
        .args(["-t", "30", "-w"])
        .arg(&file)
        .arg("--")
        .arg(&me)
        .args(["--exact", "talk_helper", "--ignored", "--test-threads=1"])
        .env("TRACE_TEST_TALK", "bulk")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("lost"), "{stderr}");
    let (_, records) = read_pcap(&file);
    for (i, a) in records.iter().enumerate().skip(1) {
        assert!(
            a.data != records[i - 1].data,
            "frame {i} was recorded twice"
        );
    }
    let segments: Vec<Segment> = records
        .iter()
        .filter_map(|r| Segment::parse(&r.data))
        .collect();
    let syn = &segments[0];
    // The stream's bytes the capture holds (a segment TCP sent again counts once).
    let mut ranges: Vec<(usize, usize)> = segments
        .iter()
        .filter(|s| s.from == syn.from && !s.payload.is_empty())
        .map(|s| {
            let at = s.seq.wrapping_sub(syn.seq.wrapping_add(1)) as usize;
            (at, at + s.payload.len())
        })
        .collect();
    ranges.sort();
    let mut covered = 0;
    for (start, end) in ranges {
        assert!(
            start <= covered,
            "bytes {covered}..{start} are missing from the capture"
        );
        covered = covered.max(end);
    }
    assert_eq!(covered, common::BULK, "the bytes the capture holds");
}
