//! The model's segments written as a classic pcap file, in any encoding: the 24-byte file
//! header, then per record its 16-byte header (stamp, bytes kept, bytes on the wire) and
//! the bytes kept of its frame.

use std::net::IpAddr;

use super::{Body, Cut, Encoding, Link, Segment, Tcp, options};

/// The file's bytes, and where each record starts in them.
pub(super) fn pcap(encoding: Encoding, segments: &[Segment]) -> (Vec<u8>, Vec<usize>) {
    let word = |n: u32| match encoding.big_endian {
        true => n.to_be_bytes(),
        false => n.to_le_bytes(),
    };
    let half = |n: u16| match encoding.big_endian {
        true => n.to_be_bytes(),
        false => n.to_le_bytes(),
    };
    let magic: u32 = match encoding.nanoseconds {
        true => 0xa1b2_3c4d,
        false => 0xa1b2_c3d4,
    };
    let mut out = Vec::new();
    out.extend(word(magic));
    out.extend(half(2));
    out.extend(half(4));
    out.extend([0; 8]);
    out.extend(word(262_144));
    out.extend(word(encoding.link.number()));
    let mut starts = Vec::with_capacity(segments.len());
    for segment in segments {
        starts.push(out.len());
        let frame = frame(encoding.link, segment);
        let kept = match segment.cut {
            Cut::Whole => frame.len(),
            Cut::Link(bytes) => bytes,
            Cut::Packet(bytes) => encoding.link.header_len() + bytes,
        }
        .min(frame.len());
        let stamp = stamp_as_kept(encoding, segment.at_ns);
        let fraction = match encoding.nanoseconds {
            true => stamp % 1_000_000_000,
            false => stamp % 1_000_000_000 / 1000,
        };
        out.extend(word((stamp / 1_000_000_000) as u32));
        out.extend(word(fraction as u32));
        out.extend(word(kept as u32));
        out.extend(word(frame.len() as u32));
        out.extend_from_slice(&frame[..kept]);
    }
    (out, starts)
}

/// A stamp as the file keeps it: whole microseconds in a microsecond file.
pub(super) fn stamp_as_kept(encoding: Encoding, at_ns: u64) -> u64 {
    match encoding.nanoseconds {
        true => at_ns,
        false => at_ns / 1000 * 1000,
    }
}

/// The whole frame: link header, IP header, transport.
pub(super) fn frame(link: Link, segment: &Segment) -> Vec<u8> {
    let ethertype: u16 = match segment.src {
        IpAddr::V4(_) => 0x0800,
        IpAddr::V6(_) => 0x86dd,
    };
    let mut frame = match link {
        // Loopback's frames: both addresses zero.
        Link::Ethernet => vec![0; 12],
        // Sent to us, ARPHRD_LOOPBACK (772), a 6-byte address of zeros in 8 bytes.
        Link::Cooked => vec![0, 0, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0],
        Link::RawIp => vec![],
    };
    if link != Link::RawIp {
        frame.extend(ethertype.to_be_bytes());
    }
    let transport = transport(segment);
    frame.extend(ip_header(segment, transport.len()));
    frame.extend(transport);
    frame
}

fn ip_header(segment: &Segment, transport_len: usize) -> Vec<u8> {
    let protocol = match &segment.body {
        Body::Tcp(_) => 6,
        Body::Udp { .. } => 17,
        Body::Other { protocol, .. } => *protocol,
    };
    match (segment.src, segment.dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            let header_len = segment.ip_header_len();
            let total = (header_len + transport_len) as u16;
            let mut header = vec![0x40 | (header_len / 4) as u8, 0];
            header.extend(total.to_be_bytes());
            // An id from the stamp, don't fragment, TTL 64, the checksum zero for now.
            header.extend(((segment.at_ns / 1000) as u16).to_be_bytes());
            header.extend([0x40, 0, 64, protocol, 0, 0]);
            header.extend(src.octets());
            header.extend(dst.octets());
            if segment.ip_options > 0 {
                header.extend(std::iter::repeat_n(1, segment.ip_options - 1));
                header.push(0);
            }
            let sum = checksum(&header);
            header[10..12].copy_from_slice(&sum.to_be_bytes());
            header
        }
        (src, dst) => {
            let mut header = vec![0x60, 0, 0, 0];
            header.extend((transport_len as u16).to_be_bytes());
            header.extend([protocol, 64]);
            header.extend(v6_octets(src));
            header.extend(v6_octets(dst));
            header
        }
    }
}

fn v6_octets(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V6(ip) => ip.octets(),
        IpAddr::V4(ip) => ip.to_ipv6_mapped().octets(),
    }
}

/// The Internet checksum of an IPv4 header (tcpdump does not look; Wireshark does).
fn checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn transport(segment: &Segment) -> Vec<u8> {
    match &segment.body {
        Body::Tcp(tcp) => tcp_bytes(tcp),
        Body::Other { data, .. } => payload(*data).collect(),
        Body::Udp {
            src_port,
            dst_port,
            data,
        } => {
            let mut datagram = Vec::with_capacity(8 + data);
            datagram.extend(src_port.to_be_bytes());
            datagram.extend(dst_port.to_be_bytes());
            datagram.extend(((8 + data) as u16).to_be_bytes());
            datagram.extend([0, 0]);
            datagram.extend(payload(*data));
            datagram
        }
    }
}

fn tcp_bytes(tcp: &Tcp) -> Vec<u8> {
    let options = options::encode(&tcp.options);
    let offset = tcp.offset.unwrap_or(((20 + options.len()) / 4) as u8);
    let mut segment = Vec::with_capacity(20 + options.len() + tcp.data);
    segment.extend(tcp.src_port.to_be_bytes());
    segment.extend(tcp.dst_port.to_be_bytes());
    segment.extend(tcp.seq.to_be_bytes());
    segment.extend(tcp.ack.to_be_bytes());
    segment.extend([offset << 4, tcp.flags]);
    segment.extend(tcp.window.to_be_bytes());
    segment.extend([0, 0]);
    segment.extend(tcp.urgent.to_be_bytes());
    segment.extend(options);
    segment.extend(payload(tcp.data));
    segment
}

/// Data of no meaning: the lowercase alphabet over and over.
fn payload(len: usize) -> impl Iterator<Item = u8> {
    (b'a'..=b'z').cycle().take(len)
}
