//! The captures the line checks feed tcp_peek, one builder per check, each holding every
//! class of its matrix rows in every run (the values inside a class drawn): encodings,
//! link types, IP headers, flags, relative numbers, SACK, lengths, options, snap-length
//! cuts, bad data offsets, other protocols.

use fastrand::Rng;

use super::talk::{self, Talk, isn_below_wrap, stamp, tcp};
use crate::model::{
    ACK, Body, CWR, Capture, Cut, ECE, Encoding, FIN, Link, PSH, RST, SYN, Segment, TcpOption, URG,
};

/// A capture's file name (shown in the command line) and the capture.
pub type Named = (String, Capture);

fn ethernet() -> Encoding {
    Encoding {
        big_endian: false,
        nanoseconds: false,
        link: Link::Ethernet,
    }
}

fn capture(name: &str, encoding: Encoding, segments: Vec<Segment>) -> Named {
    (format!("{name}.pcap"), Capture { encoding, segments })
}

/// A whole conversation: handshake, data both ways, both FINs.
pub fn conversation(rng: &mut Rng, talk: &mut Talk) -> Vec<Segment> {
    let mut segments = talk.handshake(rng);
    for _ in 0..rng.usize(2..5) {
        let from_a = rng.bool();
        segments.push(talk.send(from_a, PSH | ACK, rng.usize(1..1400)));
        segments.push(talk.send(!from_a, ACK, 0));
    }
    segments.push(talk.send(true, FIN | ACK, 0));
    segments.push(talk.send(false, FIN | ACK, 0));
    segments.push(talk.send(true, ACK, 0));
    segments
}

/// P2: the same conversation in both byte orders, with micro- and nanosecond stamps.
pub fn encodings(rng: &mut Rng) -> Vec<Named> {
    let mut talk = Talk::any(rng, false);
    let mut segments = conversation(rng, &mut talk);
    stamp(rng, &mut segments, 2_000_000);
    let mut out = Vec::new();
    for big_endian in [false, true] {
        for nanoseconds in [false, true] {
            let encoding = Encoding {
                big_endian,
                nanoseconds,
                link: Link::Ethernet,
            };
            let name = format!(
                "{}-{}",
                if big_endian { "big" } else { "little" },
                if nanoseconds { "nano" } else { "micro" }
            );
            out.push(capture(&name, encoding, segments.clone()));
        }
    }
    out
}

/// P3: an IPv4 and an IPv6 conversation under each link type; in Ethernet and Linux
/// cooked, a record cut in the link header (P9: its mark names the link).
pub fn link_types(rng: &mut Rng) -> Vec<Named> {
    let mut v4 = Talk::any(rng, false);
    let mut v6 = Talk::any(rng, true);
    let lists = vec![conversation(rng, &mut v4), conversation(rng, &mut v6)];
    let mut segments = talk::interleave(rng, lists);
    let cut_at = rng.usize(1..segments.len());
    stamp(rng, &mut segments, 2_000_000);
    let names = ["ethernet", "linux-cooked", "raw-ip"];
    Link::ALL
        .iter()
        .zip(names)
        .map(|(&link, name)| {
            let encoding = Encoding { link, ..ethernet() };
            let mut segments = segments.clone();
            if link != Link::RawIp {
                let mut cut = segments[cut_at].clone();
                cut.cut = Cut::Link(rng.usize(1..link.header_len()));
                segments.insert(cut_at, cut);
            }
            capture(name, encoding, segments)
        })
        .collect()
}

/// P4: IPv4 headers with options of 4 bytes, several lengths between, and 40 (the
/// most); an IPv6 conversation beside.
pub fn ip_headers(rng: &mut Rng) -> Vec<Named> {
    let mut v4 = Talk::any(rng, false);
    let mut with_options = conversation(rng, &mut v4);
    let count = with_options.len();
    for (i, segment) in with_options.iter_mut().enumerate() {
        segment.ip_options = match i {
            0 => 4,
            _ if i == count - 1 => 40,
            _ if i % 3 == 0 => 0,
            _ => 4 * rng.usize(2..10),
        };
    }
    let mut v6 = Talk::any(rng, true);
    // The other shapes of address: a zero group alone, runs of zeros at the end.
    let mut shapes = Talk::any(rng, true);
    (shapes.a.ip, shapes.b.ip) = (talk::ipv6(rng, 2), talk::ipv6(rng, 3));
    let lists = vec![
        with_options,
        conversation(rng, &mut v6),
        conversation(rng, &mut shapes),
    ];
    let mut segments = talk::interleave(rng, lists);
    stamp(rng, &mut segments, 2_000_000);
    vec![capture("ip-headers", ethernet(), segments)]
}

/// P5: each flag alone, flags together, all eight, none; URG with its pointer.
pub fn flags(rng: &mut Rng) -> Vec<Named> {
    let mut talk = Talk::any(rng, false);
    let mut segments = talk.handshake(rng);
    let alone = [FIN, SYN, RST, PSH, ACK, URG, ECE, CWR];
    let together = [
        SYN | ECE | CWR,
        SYN | ACK | ECE,
        FIN | PSH | ACK,
        RST | ACK,
        PSH | ACK | URG,
        0xff,
        0,
    ];
    let mut all: Vec<u8> = alone.iter().chain(&together).copied().collect();
    rng.shuffle(&mut all);
    // Data where neither SYN, FIN nor RST would print `seq`, and with FIN, and none with
    // each of those alone.
    let with_data = [PSH, ACK, ECE, PSH | ACK | URG, FIN | PSH | ACK, 0xff];
    for flags in all {
        let data = match with_data.contains(&flags) {
            true => rng.usize(1..200),
            false => 0,
        };
        let mut segment = talk.send(rng.bool(), flags, data);
        tcp(&mut segment).urgent = rng.u16(1..);
        segments.push(segment);
    }
    stamp(rng, &mut segments, 2_000_000);
    vec![capture("flags", ethernet(), segments)]
}

/// P6: initial numbers just below 2^32 on both sides, so that both sequence and
/// acknowledgement numbers wrap, the client's port above the server's and below it;
/// a connection caught mid-way; one whose two ports are the same.
pub fn relative_numbers(rng: &mut Rng) -> Vec<Named> {
    let near_wrap = |rng: &mut Rng| [isn_below_wrap(rng, 3000), isn_below_wrap(rng, 3000)];
    let isn = near_wrap(rng);
    let mut wrap = Talk::new(rng, false, isn);
    // Both ends at one address (as on loopback) here, at two in the connection caught
    // mid-way: each shape in every run, only the addresses drawn.
    wrap.b.ip = wrap.a.ip;
    let isn = near_wrap(rng);
    let mut wrap6 = Talk::new(rng, true, isn);
    // The client's port the lower: tcpdump's table has the client first.
    wrap6.a.port = rng.u16(1024..wrap6.b.port);
    let mut lists = vec![];
    for talk in [&mut wrap, &mut wrap6] {
        let mut segments = talk.handshake(rng);
        for _ in 0..rng.usize(3..6) {
            segments.push(talk.send(true, PSH | ACK, rng.usize(600..1400)));
            segments.push(talk.send(false, PSH | ACK, rng.usize(600..1400)));
        }
        segments.push(talk.send(false, FIN | ACK, 0));
        segments.push(talk.send(true, FIN | ACK, 0));
        segments.push(talk.send(false, ACK, 0));
        lists.push(segments);
    }
    // Caught mid-way: no SYN, its first segment with ACK sets both bases.
    let mut midway = Talk::any(rng, false);
    if midway.a.ip == midway.b.ip {
        midway.b.ip = talk::ipv4(rng);
    }
    let mut segments = vec![];
    for _ in 0..rng.usize(3..6) {
        let from_a = rng.bool();
        segments.push(midway.send(from_a, PSH | ACK, rng.usize(1..1000)));
        segments.push(midway.send(!from_a, ACK, 0));
    }
    lists.push(segments);
    // Both ports alike: the lower address goes first in the table.
    let isn = near_wrap(rng);
    let mut same = Talk::new(rng, false, isn);
    same.b.port = same.a.port;
    if same.a.ip == same.b.ip {
        same.b.ip = talk::ipv4(rng);
    }
    lists.push(conversation(rng, &mut same));
    let mut segments = talk::interleave(rng, lists);
    stamp(rng, &mut segments, 2_000_000);
    vec![capture("relative-numbers", ethernet(), segments)]
}

/// P6 and P8: SACK blocks both ways across 2^32, and on the segment that starts the
/// table's entry (counted from its own acknowledgement).
pub fn sack_blocks(rng: &mut Rng) -> Vec<Named> {
    let isn = [isn_below_wrap(rng, 5000), isn_below_wrap(rng, 5000)];
    let mut talk = Talk::new(rng, false, isn);
    let mut segments = talk.handshake(rng);
    for round in 0..4 {
        let from_a = round % 2 == 0;
        let me = usize::from(!from_a);
        let start = talk.next[me];
        let sizes: Vec<usize> = (0..4).map(|_| rng.usize(100..1000)).collect();
        for &size in &sizes {
            segments.push(talk.send(from_a, PSH | ACK, size));
        }
        // The receiver has all but the first: one to four blocks after a hole.
        let blocks = 1 + round;
        let mut ack = talk.send(!from_a, ACK, 0);
        let mut at = start.wrapping_add(sizes[0] as u32);
        let mut sack = vec![];
        for _ in 0..blocks {
            let len = rng.u32(1..400);
            sack.push((at, at.wrapping_add(len)));
            at = at.wrapping_add(len + rng.u32(1..300));
        }
        tcp(&mut ack).ack = start;
        tcp(&mut ack).options = vec![TcpOption::Nop, TcpOption::Nop, TcpOption::Sack(sack)];
        segments.push(ack);
    }
    // A connection caught mid-way whose first segment carries a SACK block.
    let mut midway = Talk::any(rng, false);
    let mut first = midway.send(false, ACK, 0);
    let base = tcp(&mut first).ack;
    let from = base.wrapping_add(rng.u32(1..5000));
    tcp(&mut first).options = vec![
        TcpOption::Nop,
        TcpOption::Nop,
        TcpOption::Sack(vec![(from, from.wrapping_add(rng.u32(1..2000)))]),
    ];
    segments.push(first);
    segments.push(midway.send(true, PSH | ACK, rng.usize(1..500)));
    stamp(rng, &mut segments, 2_000_000);
    vec![capture("sack", ethernet(), segments)]
}

/// P7: segments larger than any MTU (IPv4 and IPv6), records whose bytes kept end in
/// the data or right after the TCP header.
pub fn lengths(rng: &mut Rng) -> Vec<Named> {
    let mut segments = vec![];
    for v6 in [false, true] {
        let mut talk = Talk::any(rng, v6);
        segments.extend(talk.handshake(rng));
        let big = talk.send(true, PSH | ACK, rng.usize(1500..65000));
        segments.push(big);
        segments.push(talk.send(false, ACK, 0));
        for kept_data in [0, rng.usize(1..60)] {
            let mut cut = talk.send(true, PSH | ACK, rng.usize(100..9000));
            let header = cut.ip_header_len() + 20;
            cut.cut = Cut::Packet(header + kept_data);
            segments.push(cut);
        }
        segments.push(talk.send(false, ACK, 0));
    }
    stamp(rng, &mut segments, 2_000_000);
    vec![capture("lengths", ethernet(), segments)]
}

/// A kind tcpdump has no name for.
pub fn unknown_kind(rng: &mut Rng) -> u8 {
    rng.u8(35..=250)
}

/// P8: every kind tcpdump names, an explicit eol, unknown kinds with and without a
/// value, lengths under 2 and past the header's end, first and after others.
pub fn tcp_options(rng: &mut Rng) -> Vec<Named> {
    let mut talk = Talk::any(rng, false);
    let mut segments = talk.handshake(rng);
    let value = |rng: &mut Rng| {
        let len = rng.usize(1..=8);
        harness::draw::bytes(rng, len)
    };
    let unknown = unknown_kind(rng);
    let lists: Vec<Vec<TcpOption>> = vec![
        vec![
            TcpOption::Nop,
            TcpOption::Nop,
            TcpOption::Timestamps(rng.u32(..), rng.u32(..)),
        ],
        vec![
            TcpOption::Mss(rng.u16(..)),
            TcpOption::Wscale(rng.u8(..)),
            TcpOption::SackOk,
        ],
        vec![TcpOption::Nop, TcpOption::Eol],
        vec![TcpOption::Unknown(unknown, value(rng))],
        vec![
            TcpOption::Nop,
            TcpOption::Unknown(unknown_kind(rng), vec![]),
        ],
        vec![
            TcpOption::Mss(rng.u16(..)),
            TcpOption::Unknown(unknown_kind(rng), value(rng)),
        ],
        vec![TcpOption::BadLength(unknown_kind(rng), rng.u8(..2))],
        vec![
            TcpOption::Nop,
            TcpOption::Mss(rng.u16(..)),
            TcpOption::BadLength(rng.u8(2..=8), rng.u8(..2)),
        ],
    ];
    for options in lists {
        let mut segment = talk.send(rng.bool(), ACK, rng.usize(0..100));
        tcp(&mut segment).options = options;
        segments.push(segment);
    }
    // A length past the header's end: counted from its kind to the header's end.
    for before in [vec![], vec![TcpOption::Nop, TcpOption::SackOk]] {
        let mut segment = talk.send(rng.bool(), ACK, 0);
        let used: usize = before.iter().map(TcpOption::size).sum();
        let mut options = before;
        let left = (used + 2).div_ceil(4) * 4 - used;
        options.push(TcpOption::BadLength(
            rng.u8(2..=8),
            rng.u8(left as u8 + 1..=40),
        ));
        tcp(&mut segment).options = options;
        segments.push(segment);
    }
    stamp(rng, &mut segments, 2_000_000);
    vec![capture("options", ethernet(), segments)]
}

/// P11: UDP over IPv4 and IPv6 and a protocol tcpdump has no name for, among TCP.
pub fn other_protocols(rng: &mut Rng) -> Vec<Named> {
    let mut talk = Talk::any(rng, false);
    let conversation = conversation(rng, &mut talk);
    let mut others = vec![];
    for v6 in [false, true] {
        let (src, dst) = talk::pair(rng, v6);
        let (src_port, dst_port) = talk::ports(rng);
        for (from, to, data) in [(src, dst, rng.usize(1..1400)), (dst, src, 0)] {
            others.push(Segment {
                at_ns: 0,
                src: from,
                dst: to,
                ip_options: 0,
                body: Body::Udp {
                    src_port: if from == src { src_port } else { dst_port },
                    dst_port: if from == src { dst_port } else { src_port },
                    data,
                },
                cut: Cut::Whole,
            });
        }
    }
    let (src, dst) = talk::pair(rng, false);
    others.push(Segment {
        at_ns: 0,
        src,
        dst,
        ip_options: 0,
        body: Body::Other {
            protocol: rng.u8(143..=252),
            data: rng.usize(0..500),
        },
        cut: Cut::Whole,
    });
    let mut segments = talk::interleave(rng, vec![conversation, others]);
    stamp(rng, &mut segments, 2_000_000);
    vec![capture("other-protocols", ethernet(), segments)]
}
