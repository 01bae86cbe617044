//! The model of TCP segments in a capture: the checks' own account of what a pcap file
//! holds, from which they write the file (`encode`), the lines tcpdump 4.99 prints for it
//! with `-n -t` (`lines`, `options`), and `--summary`'s blocks (`summary`), each computed
//! from the segments' fields, never by reading the bytes back. `decode` turns a live
//! capture into segments, so that its expected lines come from the model too.
//! `tests/model_vs_tcpdump.rs` proves the lines against tcpdump itself.

mod decode;
mod encode;
mod lines;
mod options;
mod summary;

use std::fmt;
use std::net::IpAddr;

pub use decode::decode;

/// The link layer of a capture: pcap's link type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// LINKTYPE_ETHERNET (1): 14 bytes.
    Ethernet,
    /// LINKTYPE_LINUX_SLL (113), `tcpdump -i any`: 16 bytes.
    Cooked,
    /// LINKTYPE_RAW (101): no link header at all.
    RawIp,
}

impl Link {
    pub const ALL: [Link; 3] = [Link::Ethernet, Link::Cooked, Link::RawIp];

    pub fn number(self) -> u32 {
        match self {
            Link::Ethernet => 1,
            Link::Cooked => 113,
            Link::RawIp => 101,
        }
    }

    pub fn header_len(self) -> usize {
        match self {
            Link::Ethernet => 14,
            Link::Cooked => 16,
            Link::RawIp => 0,
        }
    }
}

/// How a capture file is written: byte order, stamps, link type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encoding {
    pub big_endian: bool,
    pub nanoseconds: bool,
    pub link: Link,
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (magic, stamps) = match self.nanoseconds {
            true => ("a1b23c4d", "nanosecond"),
            false => ("a1b2c3d4", "microsecond"),
        };
        let order = if self.big_endian { "big" } else { "little" };
        let link = match self.link {
            Link::Ethernet => "Ethernet",
            Link::Cooked => "Linux cooked",
            Link::RawIp => "raw IP",
        };
        write!(
            f,
            "{order}-endian, {stamps} stamps (magic {magic}), link type {} ({link})",
            self.link.number()
        )
    }
}

/// One end of a connection: `ADDR.PORT` as tcpdump prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct End {
    pub ip: IpAddr,
    pub port: u16,
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.ip, self.port)
    }
}

/// One packet of the capture: IP, what it carries, and how much of it the record kept.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    /// Nanoseconds since 1970; a microsecond file keeps only whole microseconds.
    pub at_ns: u64,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Bytes of IPv4 options (a multiple of 4, up to 40): nops, then an eol.
    pub ip_options: usize,
    pub body: Body,
    pub cut: Cut,
}

/// What the IP packet carries.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Tcp(Tcp),
    Udp {
        src_port: u16,
        dst_port: u16,
        data: usize,
    },
    /// A protocol tcpdump has no printer for: `data` bytes after the IP header.
    Other {
        protocol: u8,
        data: usize,
    },
}

/// A TCP header and the length of its data.
#[derive(Clone, Debug, PartialEq)]
pub struct Tcp {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    /// FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80.
    pub flags: u8,
    pub window: u16,
    pub urgent: u16,
    pub options: Vec<TcpOption>,
    /// A data offset (in 32-bit words) that lies about the header's length.
    pub offset: Option<u8>,
    /// Bytes of data on the wire.
    pub data: usize,
}

pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;
pub const URG: u8 = 0x20;
pub const ECE: u8 = 0x40;
pub const CWR: u8 = 0x80;

/// A TCP option as it is on the wire.
#[derive(Clone, Debug, PartialEq)]
pub enum TcpOption {
    Eol,
    Nop,
    Mss(u16),
    Wscale(u8),
    SackOk,
    Sack(Vec<(u32, u32)>),
    Timestamps(u32, u32),
    /// A kind tcpdump has no name for, and its value.
    Unknown(u8, Vec<u8>),
    /// A kind and a length byte that cannot be (under 2, or past the header's end).
    BadLength(u8, u8),
}

impl TcpOption {
    /// Bytes on the wire (a bad length's two: what follows is not its).
    pub fn size(&self) -> usize {
        match self {
            TcpOption::Eol | TcpOption::Nop => 1,
            TcpOption::Mss(_) => 4,
            TcpOption::Wscale(_) => 3,
            TcpOption::SackOk | TcpOption::BadLength(..) => 2,
            TcpOption::Sack(blocks) => 2 + 8 * blocks.len(),
            TcpOption::Timestamps(..) => 10,
            TcpOption::Unknown(_, value) => 2 + value.len(),
        }
    }
}

/// How much of a packet its record kept (the snap length's doing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    Whole,
    /// Only this many bytes of the link header.
    Link(usize),
    /// The link header and this many bytes of the IP packet.
    Packet(usize),
}

impl Segment {
    /// The TCP header, for a TCP segment.
    pub fn tcp(&self) -> Option<&Tcp> {
        match &self.body {
            Body::Tcp(tcp) => Some(tcp),
            _ => None,
        }
    }

    /// The IP header's length: 20 and the options for IPv4, 40 for IPv6.
    pub fn ip_header_len(&self) -> usize {
        match self.src {
            IpAddr::V4(_) => 20 + self.ip_options,
            IpAddr::V6(_) => 40,
        }
    }

    /// The bytes after the IP header, by the IP header's lengths.
    pub fn transport_len(&self) -> usize {
        match &self.body {
            Body::Tcp(tcp) => 20 + options::padded_len(&tcp.options) + tcp.data,
            Body::Udp { data, .. } => 8 + data,
            Body::Other { data, .. } => *data,
        }
    }
}

/// A capture the model made: its file, what tcpdump prints for it, and `--summary`.
pub struct Trace {
    pub pcap: Vec<u8>,
    pub lines: Vec<String>,
    pub summary: String,
    /// Where each record's 16-byte header starts in `pcap`.
    pub record_starts: Vec<usize>,
}

/// Segments and the encoding of their file.
#[derive(Clone, Debug)]
pub struct Capture {
    pub encoding: Encoding,
    pub segments: Vec<Segment>,
}

impl Capture {
    pub fn trace(&self) -> Trace {
        let (pcap, record_starts) = encode::pcap(self.encoding, &self.segments);
        Trace {
            pcap,
            lines: lines::lines(self.encoding.link, &self.segments),
            summary: self.summary(self.segments.len()),
            record_starts,
        }
    }

    /// `--summary` of the first `records` records, with stamps as the file keeps them.
    pub fn summary(&self, records: usize) -> String {
        let kept: Vec<Segment> = self.segments[..records.min(self.segments.len())]
            .iter()
            .map(|s| Segment {
                at_ns: encode::stamp_as_kept(self.encoding, s.at_ns),
                ..s.clone()
            })
            .collect();
        summary::summary(&kept)
    }

    /// What the file holds, in words, for a failure's steps.
    pub fn describe(&self) -> String {
        let tcp = self.segments.iter().filter(|s| s.tcp().is_some()).count();
        let connections = summary::connections(&self.segments);
        let mut text = format!(
            "{}; {} records, {tcp} TCP segments",
            self.encoding,
            self.segments.len()
        );
        if !connections.is_empty() {
            let shown: Vec<String> = connections
                .iter()
                .map(|(a, b)| format!("{a} <> {b}"))
                .collect();
            text.push_str(&format!(
                " in {} connection(s): {}",
                connections.len(),
                shown.join(", ")
            ));
        }
        text
    }
}

/// `ADDR.PORT` ends of a TCP segment: (from, to).
pub(crate) fn ends(segment: &Segment, tcp: &Tcp) -> (End, End) {
    (
        End {
            ip: segment.src,
            port: tcp.src_port,
        },
        End {
            ip: segment.dst,
            port: tcp.dst_port,
        },
    )
}
