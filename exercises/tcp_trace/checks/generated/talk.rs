//! Drawing the model's segments: addresses and ports of every shape tcpdump prints, and
//! `Talk`, one connection's two ends keeping their sequence numbers as TCP does, so that
//! a drawn conversation is one a kernel could have sent.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use fastrand::Rng;

use crate::model::{ACK, Body, Cut, End, SYN, Segment, Tcp, TcpOption};

/// An IPv4 address: loopback's 127/8, or a private network's.
pub fn ipv4(rng: &mut Rng) -> IpAddr {
    match rng.u8(..3) {
        0 => Ipv4Addr::new(127, rng.u8(..), rng.u8(..), rng.u8(1..255)),
        1 => Ipv4Addr::new(10, rng.u8(..), rng.u8(..), rng.u8(1..255)),
        _ => Ipv4Addr::new(192, 168, rng.u8(..), rng.u8(1..255)),
    }
    .into()
}

/// An IPv6 address of a shape tcpdump compresses in its own way: `::1`, a run of zero
/// groups in the middle, a single zero group (not compressed), none at all.
pub fn ipv6(rng: &mut Rng, shape: usize) -> IpAddr {
    let g = |rng: &mut Rng| rng.u16(1..);
    let fd = 0xfd00 | u16::from(rng.u8(..));
    match shape % 4 {
        0 => Ipv6Addr::LOCALHOST,
        1 => Ipv6Addr::new(fd, g(rng), 0, 0, 0, 0, g(rng), g(rng)),
        2 => Ipv6Addr::new(0x2001, 0xdb8, g(rng), 0, g(rng), g(rng), 0, 0),
        _ => Ipv6Addr::new(fd, g(rng), g(rng), g(rng), 0, g(rng), g(rng), g(rng)),
    }
    .into()
}

/// Two addresses of one family for a connection (maybe the same, as on loopback); for
/// IPv6, a run of zeros in the middle and `::1` (the other shapes are `ip_headers`').
pub fn pair(rng: &mut Rng, v6: bool) -> (IpAddr, IpAddr) {
    match (v6, rng.bool()) {
        (false, true) => {
            let ip = ipv4(rng);
            (ip, ip)
        }
        (false, false) => (ipv4(rng), ipv4(rng)),
        (true, _) => (ipv6(rng, 1), ipv6(rng, 0)),
    }
}

/// A client's port (Linux's ephemeral range) and a server's (a registered one).
pub fn ports(rng: &mut Rng) -> (u16, u16) {
    (rng.u16(32768..61000), rng.u16(1024..32768))
}

/// An initial sequence number this far below 2^32 at most: its connection's numbers
/// wrap round after that many bytes.
pub fn isn_below_wrap(rng: &mut Rng, most: u32) -> u32 {
    u32::MAX - rng.u32(..most)
}

/// What Linux puts in a SYN: mss, sackOK, timestamps, nop, wscale.
pub fn linux_syn_options(rng: &mut Rng) -> Vec<TcpOption> {
    vec![
        TcpOption::Mss(rng.u16(536..=65495)),
        TcpOption::SackOk,
        TcpOption::Timestamps(rng.u32(..), 0),
        TcpOption::Nop,
        TcpOption::Wscale(rng.u8(..=14)),
    ]
}

/// Initial numbers under this leave a conversation of a MiB before 2^32.
pub const NO_WRAP: u32 = u32::MAX - (1 << 20);

/// One connection: its ends (`a` the client) and the next sequence number of each.
pub struct Talk {
    pub a: End,
    pub b: End,
    pub next: [u32; 2],
    pub window: [u16; 2],
}

impl Talk {
    /// A connection between drawn ends; `isn` the initial sequence numbers (a, b).
    pub fn new(rng: &mut Rng, v6: bool, isn: [u32; 2]) -> Talk {
        let (ip_a, ip_b) = pair(rng, v6);
        let (port_a, port_b) = ports(rng);
        Talk {
            a: End {
                ip: ip_a,
                port: port_a,
            },
            b: End {
                ip: ip_b,
                port: port_b,
            },
            next: isn,
            window: [rng.u16(512..), rng.u16(512..)],
        }
    }

    /// A connection between drawn ends, with drawn initial sequence numbers a MiB or more
    /// below 2^32: its numbers wrap only where a check means them to.
    pub fn any(rng: &mut Rng, v6: bool) -> Talk {
        let isn = [rng.u32(..NO_WRAP), rng.u32(..NO_WRAP)];
        Talk::new(rng, v6, isn)
    }

    /// A segment from a (`from_a`) or b: its sequence number the sender's next, its
    /// acknowledgement the other's next (when ACK is set); the sender's next moves on by
    /// the data, and by one for SYN and for FIN.
    pub fn send(&mut self, from_a: bool, flags: u8, data: usize) -> Segment {
        let (me, other) = if from_a { (0, 1) } else { (1, 0) };
        let ends = [self.a, self.b];
        let seq = self.next[me];
        let ack = if flags & ACK != 0 {
            self.next[other]
        } else {
            0
        };
        let control = u32::from(flags & (SYN | crate::model::FIN) != 0);
        self.next[me] = seq.wrapping_add(data as u32).wrapping_add(control);
        Segment {
            at_ns: 0,
            src: ends[me].ip,
            dst: ends[other].ip,
            ip_options: 0,
            body: Body::Tcp(Tcp {
                src_port: ends[me].port,
                dst_port: ends[other].port,
                seq,
                ack,
                flags,
                window: self.window[me],
                urgent: 0,
                options: vec![],
                offset: None,
                data,
            }),
            cut: Cut::Whole,
        }
    }

    /// SYN (Linux's options), SYN-ACK, ACK.
    pub fn handshake(&mut self, rng: &mut Rng) -> Vec<Segment> {
        let mut syn = self.send(true, SYN, 0);
        tcp(&mut syn).options = linux_syn_options(rng);
        let mut syn_ack = self.send(false, SYN | ACK, 0);
        tcp(&mut syn_ack).options = linux_syn_options(rng);
        vec![syn, syn_ack, self.send(true, ACK, 0)]
    }
}

/// The TCP header of a segment the caller made as TCP.
pub fn tcp(segment: &mut Segment) -> &mut Tcp {
    match &mut segment.body {
        Body::Tcp(tcp) => tcp,
        _ => unreachable!("a TCP segment made by Talk"),
    }
}

/// Stamps in the segments' order, a drawn gap apart (up to `most_gap_ns`), from a drawn
/// time this year or so.
pub fn stamp(rng: &mut Rng, segments: &mut [Segment], most_gap_ns: u64) {
    let mut at = rng.u64(1_750_000_000..1_800_000_000) * 1_000_000_000 + rng.u64(..1_000_000_000);
    for segment in segments {
        at += rng.u64(1..=most_gap_ns);
        segment.at_ns = at;
    }
}

/// Segments of several lists merged in a drawn order, each list's order kept.
pub fn interleave(rng: &mut Rng, lists: Vec<Vec<Segment>>) -> Vec<Segment> {
    let mut lists: Vec<std::collections::VecDeque<Segment>> =
        lists.into_iter().map(Into::into).collect();
    let mut out = Vec::new();
    loop {
        let left: Vec<usize> = (0..lists.len()).filter(|&i| !lists[i].is_empty()).collect();
        if left.is_empty() {
            return out;
        }
        let pick = left[rng.usize(..left.len())];
        out.extend(lists[pick].pop_front());
    }
}
