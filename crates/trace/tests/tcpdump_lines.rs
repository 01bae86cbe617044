//! tcp_peek (solutions/tcp_trace/tcp_peek.rs, the tcp_trace exercise's reference)
//! prints what `tcpdump -n -t -r` prints, byte for byte: on live captures made with trace
//! (a connection over IPv4 and IPv6, a reset), on made-up segments (sequence numbers
//! across 2^32, every flag, known, unknown and malformed options, SACK blocks, headers
//! too short or too long, a connection caught in the middle, IP options, UDP and a
//! protocol of no name), on every cut of them a snap length could make, and in every
//! encoding (both byte orders, micro- and nanoseconds, Ethernet, Linux cooked and raw
//! IP). Skipped where tcpdump is absent; the live part also where there are no user
//! namespaces. Its own errors need neither.

#![cfg(target_os = "linux")]

mod common;

use std::path::Path;
use std::process::Command;

use common::{Encoding, pcap_bytes, read_pcap, skip_without_namespaces, trace};

/// Not a test: the program trace runs in the live test (with TRACE_TEST_TALK set).
#[test]
#[ignore = "the helper the live test runs inside trace"]
fn talk_helper() {
    common::talk_if_asked();
}

/// tcp_trace's reference, built once per run as the workspace tests build it.
fn tcp_peek() -> Command {
    let bins = netlab_tests::reference_bins().expect("the reference solutions build");
    Command::new(bins.join("tcp_peek_sol"))
}

fn skip_without_tcpdump(test: &str) -> bool {
    let found = Command::new("tcpdump").arg("--version").output();
    let here = found.is_ok_and(|o| o.status.success());
    if !here {
        eprintln!("skipped {test}: tcpdump is not installed here");
    }
    !here
}

/// Every encoding tcp_peek reads.
fn encodings() -> Vec<Encoding> {
    let mut all = Vec::new();
    for linktype in [1, 113, 101] {
        for (big_endian, nanoseconds) in
            [(false, false), (true, false), (false, true), (true, true)]
        {
            all.push(Encoding {
                big_endian,
                nanoseconds,
                linktype,
            });
        }
    }
    all
}

/// Write `frames` in `encoding`, print them with both, and say where they differ.
fn compare(
    dir: &Path,
    name: &str,
    encoding: Encoding,
    frames: &[(&[u8], usize)],
) -> Option<String> {
    let file = dir.join(format!("{name}.pcap"));
    std::fs::write(&file, pcap_bytes(encoding, frames)).unwrap();
    let ours = tcp_peek().arg(&file).output().unwrap();
    let theirs = Command::new("tcpdump")
        .args(["-n", "-t", "-r"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(ours.status.success(), "tcp_peek failed on {name}: {ours:?}");
    assert!(
        theirs.status.success(),
        "tcpdump failed on {name}: {theirs:?}"
    );
    let (ours, theirs) = (
        String::from_utf8_lossy(&ours.stdout),
        String::from_utf8_lossy(&theirs.stdout),
    );
    let differ = ours.lines().zip(theirs.lines()).position(|(a, b)| a != b);
    match differ {
        None if ours.lines().count() == theirs.lines().count() => None,
        _ => {
            let at = differ.unwrap_or(ours.lines().count().min(theirs.lines().count()));
            Some(format!(
                "{name} ({encoding:?}), line {}:\n tcp_peek: {:?}\n  tcpdump: {:?}",
                at + 1,
                ours.lines().nth(at),
                theirs.lines().nth(at)
            ))
        }
    }
}

/// Each frame whole, in every encoding; then every cut of it up to its TCP options'
/// end, in each link type both ways round.
fn compare_all(dir: &Path, name: &str, frames: &[Vec<u8>]) -> Vec<String> {
    let whole: Vec<(&[u8], usize)> = frames.iter().map(|f| (&f[..], f.len())).collect();
    let mut problems: Vec<String> = encodings()
        .into_iter()
        .filter_map(|e| compare(dir, name, e, &whole))
        .collect();
    let mut cuts = Vec::new();
    for frame in frames {
        for kept in 0..frame.len().min(14 + 60 + 60) {
            cuts.push((&frame[..], kept));
        }
    }
    for linktype in [1, 113, 101] {
        for big_endian in [false, true] {
            let encoding = Encoding {
                big_endian,
                nanoseconds: false,
                linktype,
            };
            problems.extend(compare(dir, &format!("{name}-cut"), encoding, &cuts));
        }
    }
    problems
}

#[test]
fn live_captures_print_as_tcpdump_prints_them() {
    if skip_without_tcpdump("live_captures...") || skip_without_namespaces("live_captures...") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let me = std::env::current_exe().unwrap();
    let mut problems = Vec::new();
    for mode in ["v4", "v6", "reset"] {
        let file = dir.path().join(format!("{mode}.pcap"));
        let output = trace()
            .args(["-q", "-t", "20", "-w"])
            .arg(&file)
            .arg("--")
            .arg(&me)
            .args(["--exact", "talk_helper", "--ignored", "--test-threads=1"])
            .env("TRACE_TEST_TALK", mode)
            .output()
            .unwrap();
        assert!(output.status.success(), "{mode}: {output:?}");
        let (_, records) = read_pcap(&file);
        assert!(records.len() >= 5, "{mode}: {} frames", records.len());
        let frames: Vec<Vec<u8>> = records.into_iter().map(|r| r.data).collect();
        problems.extend(compare_all(dir.path(), mode, &frames));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

const SYN: u8 = 0x02;
const FIN: u8 = 0x01;
const RST: u8 = 0x04;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

/// One TCP segment in IPv4 in Ethernet, as tcpdump would see it on the wire.
struct Made<'a> {
    from: ([u8; 4], u16),
    to: ([u8; 4], u16),
    seq: u32,
    ack: u32,
    flags: u8,
    options: &'a [u8],
    data: usize,
    /// The data offset field, when not the header's real length.
    offset: Option<u8>,
}

impl Made<'_> {
    fn frame(&self) -> Vec<u8> {
        let mut tcp = Vec::new();
        tcp.extend(self.from.1.to_be_bytes());
        tcp.extend(self.to.1.to_be_bytes());
        tcp.extend(self.seq.to_be_bytes());
        tcp.extend(self.ack.to_be_bytes());
        let offset = self.offset.unwrap_or(((20 + self.options.len()) / 4) as u8);
        tcp.extend([offset << 4, self.flags, 2, 0, 0, 0, 0, 7]);
        tcp.extend_from_slice(self.options);
        tcp.extend(std::iter::repeat_n(b'x', self.data));
        ipv4_frame((self.from.0, self.to.0), 6, &[], &tcp)
    }
}

/// An IPv4 packet in an Ethernet frame: `body` as `protocol`, after the IP options.
fn ipv4_frame(
    (from, to): ([u8; 4], [u8; 4]),
    protocol: u8,
    ip_options: &[u8],
    body: &[u8],
) -> Vec<u8> {
    let header = 20 + ip_options.len();
    let total = (header + body.len()) as u16;
    let mut frame = vec![0; 12];
    frame.extend([0x08, 0x00, 0x40 | (header / 4) as u8, 0]);
    frame.extend(total.to_be_bytes());
    frame.extend([0, 1, 0x40, 0, 64, protocol, 0, 0]);
    frame.extend(from);
    frame.extend(to);
    frame.extend_from_slice(ip_options);
    frame.extend_from_slice(body);
    frame
}

fn udp(from: u16, to: u16, data: &[u8]) -> Vec<u8> {
    let mut datagram = Vec::new();
    datagram.extend(from.to_be_bytes());
    datagram.extend(to.to_be_bytes());
    datagram.extend((8 + data.len() as u16).to_be_bytes());
    datagram.extend([0, 0]);
    datagram.extend_from_slice(data);
    datagram
}

/// The same packet over IPv6 (addresses ::1 and ::2 by the IPv4 ones' last byte).
fn over_ipv6(frame: &[u8]) -> Vec<u8> {
    let body = &frame[14 + usize::from(frame[14] & 0x0f) * 4..];
    let mut out = vec![0; 12];
    out.extend([0x86, 0xdd, 0x60, 0, 0, 0]);
    out.extend((body.len() as u16).to_be_bytes());
    out.extend([frame[23], 64]);
    for last in [frame[29], frame[33]] {
        out.extend([0; 15]);
        out.push(last);
    }
    out.extend_from_slice(body);
    out
}

fn sack(blocks: &[(u32, u32)]) -> Vec<u8> {
    let mut option = vec![1, 1, 5, 2 + 8 * blocks.len() as u8];
    for (start, end) in blocks {
        option.extend(start.to_be_bytes());
        option.extend(end.to_be_bytes());
    }
    option
}

#[test]
fn made_up_segments_print_as_tcpdump_prints_them() {
    if skip_without_tcpdump("made_up_segments...") {
        return;
    }
    let (a, b) = ([127, 0, 0, 1], [127, 0, 0, 2]);
    // The client's first number just below 2^32: its data wraps round.
    let (client, server) = (u32::MAX - 15, 5u32);
    let c = |seq: u32| client.wrapping_add(seq);
    let up = |seq, ack, flags, options, data| Made {
        from: (a, 40000),
        to: (b, 9000),
        seq,
        ack,
        flags,
        options,
        data,
        offset: None,
    };
    let down = |seq, ack, flags, options, data| Made {
        from: (b, 9000),
        to: (a, 40000),
        ..up(seq, ack, flags, options, data)
    };
    let sacks = sack(&[(c(101), c(151)), (c(300), c(400))]);
    let linux_syn = [
        2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
    ];
    let made = [
        up(client, 0, SYN, &linux_syn, 0),
        down(server, c(1), SYN | ACK, &[2, 4, 5, 0xb4, 1, 1, 4, 2], 0),
        up(c(1), server + 1, ACK, &[], 0),
        up(c(1), server + 1, PSH | ACK, &[], 100),
        up(c(101), server + 1, PSH | ACK, &[], 50),
        down(server + 1, c(151), ACK, &sacks, 0),
        down(server + 1, c(151), ACK, &[99, 4, 1, 2, 200, 2, 0, 0], 0),
        down(server + 1, c(151), ACK, &[2, 3, 5, 0], 0),
        down(server + 1, c(151), ACK, &[1, 2, 1, 0], 0),
        down(
            server + 1,
            c(151),
            ACK,
            &[8, 12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0],
            0,
        ),
        down(server + 1, c(151), ACK, &[5, 5, 0, 0, 0, 0, 0, 0], 0),
        down(server + 1, c(151), ACK, &[3, 3, 14, 1], 0),
        down(server + 1, c(151), ACK, &[0, 1, 1, 1], 0),
        down(server + 1, c(151), 0xe0 | ACK, &[], 1),
        down(server + 1, c(151), 0, &[], 0),
        down(server + 1, 0, RST, &[], 0),
        up(c(151), server + 1, RST | ACK, &[], 0),
        up(c(151), server + 1, FIN | ACK, &[], 0),
        Made {
            offset: Some(4),
            ..up(1, 1, ACK, &[], 4)
        },
        Made {
            offset: Some(15),
            ..up(1, 1, ACK, &[], 0)
        },
        // Both ports alike: the lower address goes first in tcpdump's table.
        Made {
            from: (b, 7000),
            to: (a, 7000),
            ..up(10, 20, SYN | ACK, &[], 0)
        },
        Made {
            from: (a, 7000),
            to: (b, 7000),
            ..up(21, 11, ACK, &[], 1)
        },
        // Caught in the middle: the first segment with ACK sets the numbers.
        Made {
            from: (a, 41000),
            to: (b, 8000),
            ..up(1000, 2000, PSH | ACK, &[], 4)
        },
        Made {
            from: (b, 8000),
            to: (a, 41000),
            ..up(2000, 1004, ACK, &[], 0)
        },
        Made {
            from: (a, 41000),
            to: (b, 8000),
            ..up(1004, 2000, PSH | ACK, &[], 2)
        },
    ];
    let mut frames: Vec<Vec<u8>> = made.iter().map(Made::frame).collect();
    let syn = &made[0].frame()[34..];
    // IP options (nop and eol; record route), UDP both ways, a protocol of no name.
    let others = [
        ipv4_frame((a, b), 6, &[1, 1, 1, 0], syn),
        ipv4_frame((a, b), 6, &[7, 7, 4, 0, 0, 0, 0, 0], syn),
        ipv4_frame((a, b), 17, &[], &udp(40000, 9000, b"hello")),
        ipv4_frame((b, a), 17, &[], &udp(9000, 40000, b"")),
        ipv4_frame((a, b), 253, &[], b"xxxx"),
    ];
    frames.extend(others);
    let ipv6: Vec<Vec<u8>> = frames[..6]
        .iter()
        .chain(&frames[frames.len() - 3..])
        .map(|f| over_ipv6(f))
        .collect();
    frames.extend(ipv6);
    let dir = tempfile::tempdir().unwrap();
    let problems = compare_all(dir.path(), "made-up", &frames);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn what_is_no_pcap_or_is_cut_short_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let no_pcap = dir.path().join("notes.txt");
    std::fs::write(&no_pcap, "these are notes, not packets\n").unwrap();
    let output = tcp_peek().arg(&no_pcap).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not a capture tcp_peek reads"));
    let frame = Made {
        from: ([127, 0, 0, 1], 40000),
        to: ([127, 0, 0, 1], 9000),
        seq: 1,
        ack: 0,
        flags: SYN,
        options: &[],
        data: 0,
        offset: None,
    }
    .frame();
    let encoding = Encoding {
        big_endian: false,
        nanoseconds: false,
        linktype: 1,
    };
    let mut bytes = pcap_bytes(encoding, &[(&frame, frame.len()), (&frame, frame.len())]);
    bytes.truncate(bytes.len() - 5);
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, bytes).unwrap();
    let output = tcp_peek().arg(&cut).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).lines().count(),
        1,
        "the whole record"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("cut short in record 2"));
    let output = tcp_peek().output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "usage: tcp_peek [--summary] FILE.pcap\n"
    );
}
