//! One frame's TCP segment, as far as the plot needs it: the two ends, sequence and
//! acknowledgement numbers, flags, window, the window-scale option and the payload's
//! length. Everything else in the headers is skipped; a frame that is not TCP, or is cut
//! before the end of its TCP header, is no segment.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::pcap::Link;

pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const ACK: u8 = 0x10;

#[derive(Clone, Debug)]
pub struct Segment {
    pub nanos: u64,
    pub from: SocketAddr,
    pub to: SocketAddr,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    /// The window-scale option's shift, when the segment carries one (SYNs only).
    pub window_scale: Option<u8>,
    /// Payload bytes, from the IP header's length (the capture may have kept fewer).
    pub len: u32,
}

impl Segment {
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const PROTOCOL_TCP: u8 = 6;

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]))
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let four = bytes.get(at..at + 4)?;
    Some(u32::from_be_bytes([four[0], four[1], four[2], four[3]]))
}

/// The TCP segment in a frame of `link`, if it holds one.
pub fn decode(link: Link, nanos: u64, frame: &[u8]) -> Option<Segment> {
    let (ethertype, ip) = match link {
        Link::Ethernet => {
            let mut ethertype = be16(frame, 12)?;
            let mut at = 14;
            if ethertype == ETHERTYPE_VLAN {
                ethertype = be16(frame, 16)?;
                at = 18;
            }
            (Some(ethertype), frame.get(at..)?)
        }
        Link::LinuxCooked => (Some(be16(frame, 14)?), frame.get(16..)?),
        Link::LinuxCooked2 => (Some(be16(frame, 0)?), frame.get(20..)?),
        Link::RawIp | Link::Null => {
            let ip = if link == Link::Null {
                frame.get(4..)?
            } else {
                frame
            };
            (None, ip)
        }
    };
    let version = ip.first()? >> 4;
    match (ethertype, version) {
        (Some(ETHERTYPE_IPV4) | None, 4) => ipv4(nanos, ip),
        (Some(ETHERTYPE_IPV6) | None, 6) => ipv6(nanos, ip),
        _ => None,
    }
}

fn ipv4(nanos: u64, ip: &[u8]) -> Option<Segment> {
    let header_len = usize::from(ip.first()? & 0x0f) * 4;
    let total_len = usize::from(be16(ip, 2)?);
    let fragment = be16(ip, 6)? & 0x1fff;
    if ip.get(9)? != &PROTOCOL_TCP || fragment != 0 || header_len < 20 {
        return None;
    }
    let src = Ipv4Addr::from(be32(ip, 12)?);
    let dst = Ipv4Addr::from(be32(ip, 16)?);
    // A zero total length is what segmentation offload leaves: the capture's length is
    // then all there is to go by.
    let ip_len = if total_len == 0 { ip.len() } else { total_len };
    let tcp_len = ip_len.checked_sub(header_len)?;
    tcp(
        nanos,
        src.into(),
        dst.into(),
        ip.get(header_len..)?,
        tcp_len,
    )
}

fn ipv6(nanos: u64, ip: &[u8]) -> Option<Segment> {
    let payload_len = usize::from(be16(ip, 4)?);
    let src = Ipv6Addr::from(u128::from_be_bytes(ip.get(8..24)?.try_into().ok()?));
    let dst = Ipv6Addr::from(u128::from_be_bytes(ip.get(24..40)?.try_into().ok()?));
    let mut next = *ip.get(6)?;
    let mut at = 40;
    // Extension headers: hop-by-hop, routing, destination options, and a fragment header
    // when it holds the first fragment.
    loop {
        match next {
            PROTOCOL_TCP => break,
            0 | 43 | 60 => {
                let len = (usize::from(*ip.get(at + 1)?) + 1) * 8;
                next = *ip.get(at)?;
                at += len;
            }
            44 => {
                if be16(ip, at + 2)? & 0xfff8 != 0 {
                    return None;
                }
                next = *ip.get(at)?;
                at += 8;
            }
            _ => return None,
        }
    }
    let tcp_len = (40 + payload_len).checked_sub(at)?;
    tcp(nanos, src.into(), dst.into(), ip.get(at..)?, tcp_len)
}

fn tcp(nanos: u64, src: IpAddr, dst: IpAddr, tcp: &[u8], tcp_len: usize) -> Option<Segment> {
    let header_len = usize::from(tcp.get(12)? >> 4) * 4;
    if header_len < 20 || header_len > tcp_len {
        return None;
    }
    let options = tcp.get(20..header_len).unwrap_or(&[]);
    Some(Segment {
        nanos,
        from: SocketAddr::new(src, be16(tcp, 0)?),
        to: SocketAddr::new(dst, be16(tcp, 2)?),
        seq: be32(tcp, 4)?,
        ack: be32(tcp, 8)?,
        flags: *tcp.get(13)?,
        window: be16(tcp, 14)?,
        window_scale: window_scale(options),
        len: u32::try_from(tcp_len - header_len).ok()?,
    })
}

/// The shift of a window-scale option (kind 3), if the options hold one whole.
fn window_scale(options: &[u8]) -> Option<u8> {
    let mut at = 0;
    while let Some(&kind) = options.get(at) {
        match kind {
            0 => return None,
            1 => at += 1,
            _ => {
                let len = usize::from(*options.get(at + 1)?);
                if len < 2 {
                    return None;
                }
                if kind == 3 && len == 3 {
                    return options.get(at + 2).copied();
                }
                at += len;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ipv4_syn(options: &[u8], payload: &[u8]) -> Vec<u8> {
        let tcp_header = 20 + options.len();
        let total = 20 + tcp_header + payload.len();
        let mut ip = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            0,
            0x40,
            0,
            64,
            6,
            0,
            0,
        ];
        ip.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 2]);
        ip.extend_from_slice(&[0x9c, 0x40, 0x1f, 0x40]); // ports 40000 -> 8000
        ip.extend_from_slice(&0xffff_fff0u32.to_be_bytes());
        ip.extend_from_slice(&7u32.to_be_bytes());
        ip.push(((tcp_header / 4) as u8) << 4);
        ip.push(SYN | ACK);
        ip.extend_from_slice(&[0xff, 0xd7, 0, 0, 0, 0]);
        ip.extend_from_slice(options);
        ip.extend_from_slice(payload);
        ip
    }

    #[test]
    fn decodes_a_raw_ipv4_segment_and_its_window_scale() {
        let frame = ipv4_syn(&[2, 4, 0xff, 0xd7, 1, 3, 3, 10], b"abc");
        let segment = decode(Link::RawIp, 5, &frame).unwrap();
        assert_eq!(segment.from, "127.0.0.1:40000".parse().unwrap());
        assert_eq!(segment.to, "127.0.0.2:8000".parse().unwrap());
        assert_eq!((segment.seq, segment.ack), (0xffff_fff0, 7));
        assert!(segment.has(SYN) && segment.has(ACK) && !segment.has(FIN));
        assert_eq!(
            (segment.window, segment.window_scale, segment.len),
            (65495, Some(10), 3)
        );
    }

    #[test]
    fn every_cut_of_a_frame_is_either_a_segment_or_none() {
        let frame = ipv4_syn(&[1, 3, 3, 7, 0, 0, 0, 0], b"payload");
        for cut in 0..frame.len() {
            if let Some(segment) = decode(Link::RawIp, 0, &frame[..cut]) {
                // Cut inside the payload: the length is still the one the header gives.
                assert_eq!(segment.len, 7);
            }
        }
        let mut ethernet = vec![0u8; 12];
        ethernet.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
        ethernet.extend_from_slice(&frame);
        assert_eq!(
            decode(Link::Ethernet, 0, &ethernet).unwrap().window_scale,
            Some(7)
        );
    }
}
