//! Captures of things cut short or lying: records cut by the snap length at every kind of
//! place in their headers (P9), TCP data offsets too short and too long (P10), and files
//! that end in the middle of a record (P23).

use fastrand::Rng;

use super::classes::{Named, conversation, unknown_kind};
use super::talk::{Talk, stamp, tcp};
use crate::model::{ACK, Capture, Cut, Encoding, Link, PSH, Segment, TcpOption};

/// P9: one record per place a snap length can end it, in an Ethernet file: in the link
/// header, the IP header (its fixed part, its options), the TCP ports,
/// the rest of the TCP header, each kind of place in its options, the data; and IPv6's
/// header.
pub fn snap_cuts(rng: &mut Rng) -> Vec<Named> {
    let mut talk = Talk::any(rng, false);
    let ip_options = 4 * rng.usize(1..=5);
    let ip = 20 + ip_options;
    // The IP header before a TCP header cut: 20 bytes, but for the record cut in its
    // options.
    let tcp_at = 20;
    // Options at known offsets: mss 0, nop 4 and 5, TS 6, sack 16 (two blocks), an
    // unknown kind 34 with 4 bytes of value: 40 bytes, the most a header has.
    let options = |rng: &mut Rng, base: u32| {
        let at = base.wrapping_add(rng.u32(1..10_000));
        vec![
            TcpOption::Mss(rng.u16(536..)),
            TcpOption::Nop,
            TcpOption::Nop,
            TcpOption::Timestamps(rng.u32(..), rng.u32(..)),
            TcpOption::Sack(vec![
                (at, at.wrapping_add(100)),
                (at.wrapping_add(300), at.wrapping_add(400)),
            ]),
            TcpOption::Unknown(unknown_kind(rng), harness::draw::bytes(rng, 4)),
        ]
    };
    let option = |o: usize| Cut::Packet(tcp_at + 20 + o);
    // In SNAP_PLACES' order.
    let places = [
        Cut::Link(rng.usize(1..14)),
        Cut::Packet(0),
        Cut::Packet(rng.usize(1..20)),
        Cut::Packet(rng.usize(20..ip)),
        Cut::Packet(tcp_at),
        Cut::Packet(tcp_at + rng.usize(1..4)),
        Cut::Packet(tcp_at + rng.usize(4..20)),
        option(0),
        option(rng.usize(2..4)),
        option([4, 5, 6, 16, 34][rng.usize(..5)]),
        option([7, 17, 35][rng.usize(..3)]),
        option(rng.usize(8..16)),
        option(rng.usize(26..34)),
        option(rng.usize(36..40)),
        Cut::Packet(tcp_at + 60 + rng.usize(..50)),
    ];
    let mut segments = vec![];
    for (i, cut) in places.into_iter().enumerate() {
        let from_a = rng.bool();
        let mut segment = talk.send(from_a, PSH | ACK, rng.usize(60..1000));
        let base = talk.next[usize::from(from_a)];
        // IP options on the record cut in them (IP_OPTIONS_CUT) only: the IP header's
        // length is ip_headers_read's business.
        segment.ip_options = if i == IP_OPTIONS_CUT { ip_options } else { 0 };
        tcp(&mut segment).options = options(rng, base);
        segment.cut = cut;
        segments.push(segment);
    }
    let mut v6 = Talk::any(rng, true);
    for cut in [
        rng.usize(1..40),
        40,
        40 + rng.usize(1..4),
        40 + rng.usize(4..20),
    ] {
        let mut segment = v6.send(rng.bool(), PSH | ACK, rng.usize(1..100));
        segment.cut = Cut::Packet(cut);
        segments.push(segment);
    }
    stamp(rng, &mut segments, 2_000_000);
    let encoding = Encoding {
        big_endian: false,
        nanoseconds: false,
        link: Link::Ethernet,
    };
    vec![("cuts.pcap".into(), Capture { encoding, segments })]
}

/// Which of snap_cuts' records is cut in its IP options.
const IP_OPTIONS_CUT: usize = 3;

/// What each record of `snap_cuts`' captures is cut in, for a failure's steps.
pub const SNAP_PLACES: &str = "in the link header; before the IP header; in the IP header's first 20 bytes; \
     in the IP options; at the IP header's end (no byte of TCP); in the TCP ports; in the TCP \
     header after the ports; before the TCP \
     options; in the first option's value (mss); at a later option's kind; at a later \
     option's length; in a later option's value (TS); in a SACK option's second block; in \
     an unknown option's value; in the data; then IPv6: in its 40-byte header, at its end, \
     in the TCP ports, after them";

/// P10: data offsets under 20 bytes and past the segment's end, with ACK and without.
pub fn bad_offsets(rng: &mut Rng) -> Vec<Named> {
    let mut talk = Talk::any(rng, false);
    let mut segments = talk.handshake(rng);
    for flags in [ACK, PSH | ACK, PSH] {
        let mut short = talk.send(rng.bool(), flags, rng.usize(0..200));
        tcp(&mut short).offset = Some(rng.u8(..5));
        segments.push(short);
        let data = rng.usize(0..36);
        let mut long = talk.send(rng.bool(), flags, data);
        let least = (20 + data) / 4 + 1;
        tcp(&mut long).offset = Some(rng.u8(least as u8..=15));
        segments.push(long);
        segments.push(talk.send(rng.bool(), ACK, 0));
    }
    stamp(rng, &mut segments, 2_000_000);
    let encoding = Encoding {
        big_endian: false,
        nanoseconds: false,
        link: Link::Ethernet,
    };
    vec![("bad-offsets.pcap".into(), Capture { encoding, segments })]
}

/// A file that ends in the middle of a record.
pub struct CutFile {
    pub name: String,
    pub capture: Capture,
    /// The file's bytes, cut.
    pub bytes: Vec<u8>,
    /// The whole records before the cut.
    pub records: usize,
    pub place: &'static str,
}

impl CutFile {
    /// What the file holds and where it was cut, for a check's steps.
    pub fn describe(&self) -> String {
        format!(
            "{}: {}; cut {} after {} whole records ({} bytes)",
            self.name,
            self.capture.describe(),
            self.place,
            self.records,
            self.bytes.len()
        )
    }
}

/// P23: a conversation's file cut in a record's 16-byte header, and in a record's data.
pub fn cut_files(rng: &mut Rng) -> Vec<CutFile> {
    let mut talk = Talk::any(rng, false);
    let mut segments: Vec<Segment> = conversation(rng, &mut talk);
    stamp(rng, &mut segments, 2_000_000);
    let encoding = Encoding {
        big_endian: false,
        nanoseconds: false,
        link: Link::Ethernet,
    };
    let capture = Capture { encoding, segments };
    let trace = capture.trace();
    let count = trace.record_starts.len();
    let mut out = vec![];
    for (name, place) in [
        ("cut-in-header", "in a record's 16-byte header"),
        ("cut-in-data", "in a record's data"),
    ] {
        let records = rng.usize(1..count);
        let start = trace.record_starts[records];
        let end = trace
            .record_starts
            .get(records + 1)
            .copied()
            .unwrap_or(trace.pcap.len());
        let at = match name {
            "cut-in-header" => start + rng.usize(1..16),
            _ => rng.usize(start + 17..end),
        };
        out.push(CutFile {
            name: format!("{name}.pcap"),
            capture: capture.clone(),
            bytes: trace.pcap[..at].to_vec(),
            records,
            place,
        });
    }
    out
}
