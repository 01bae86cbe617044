//! One short line per frame, shaped like tcpdump's: `IP 127.0.0.1.41234 >
//! 127.0.0.1.8000: Flags [S.], seq 1, ack 2, win 65483, length 0`, after the time since the
//! first frame where there is one. Sequence numbers are the wire's (absolute, not
//! tcpdump's relative ones), so the handshake's "ack = their seq + 1" shows as it is.
//! The capture tool prints one per frame as it runs; a failing check shows its last ones.

use std::fmt::Write;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The line for one Ethernet frame seen `since_first` seconds after the first one: the
/// time, then [`segment`]'s words.
pub fn describe(since_first: f64, frame: &[u8]) -> String {
    format!("{since_first:.6} {}", segment(frame))
}

/// What one Ethernet frame is, without a time: `IP 127.0.0.1.41234 > 127.0.0.1.8000:
/// Flags [S], seq 1, win 65495, length 0`.
pub fn segment(frame: &[u8]) -> String {
    let mut line = String::new();
    match ethernet(frame) {
        Some((0x0800, packet)) => ipv4(&mut line, packet),
        Some((0x86dd, packet)) => ipv6(&mut line, packet),
        Some((0x0806, _)) => {
            let _ = write!(line, "ARP, length {}", frame.len());
        }
        Some((ethertype, _)) => {
            let _ = write!(line, "ethertype 0x{ethertype:04x}, length {}", frame.len());
        }
        None => {
            let _ = write!(
                line,
                "frame shorter than an Ethernet header, length {}",
                frame.len()
            );
        }
    }
    line
}

fn ethernet(frame: &[u8]) -> Option<(u16, &[u8])> {
    let ethertype = u16::from_be_bytes(frame.get(12..14)?.try_into().ok()?);
    Some((ethertype, &frame[14..]))
}

fn ipv4(line: &mut String, packet: &[u8]) {
    let header_len = packet.first().map_or(0, |b| usize::from(b & 0x0f) * 4);
    if packet.len() < 20 || header_len < 20 || packet.len() < header_len {
        line.push_str("IP, truncated header");
        return;
    }
    let total = usize::from(u16::from_be_bytes([packet[2], packet[3]]));
    let payload = &packet[header_len..total.clamp(header_len, packet.len())];
    let src = Ipv4Addr::from(<[u8; 4]>::try_from(&packet[12..16]).unwrap_or_default());
    let dst = Ipv4Addr::from(<[u8; 4]>::try_from(&packet[16..20]).unwrap_or_default());
    // A fragment after the first carries no transport header.
    let later_fragment = u16::from_be_bytes([packet[6], packet[7]]) & 0x1fff != 0;
    let protocol = if later_fragment { 0xff } else { packet[9] };
    transport(
        line,
        "IP",
        &src.to_string(),
        &dst.to_string(),
        protocol,
        payload,
    );
}

fn ipv6(line: &mut String, packet: &[u8]) {
    if packet.len() < 40 {
        line.push_str("IP6, truncated header");
        return;
    }
    let payload_len = usize::from(u16::from_be_bytes([packet[4], packet[5]]));
    let payload = &packet[40..(40 + payload_len).min(packet.len())];
    let src = Ipv6Addr::from(<[u8; 16]>::try_from(&packet[8..24]).unwrap_or_default());
    let dst = Ipv6Addr::from(<[u8; 16]>::try_from(&packet[24..40]).unwrap_or_default());
    // Extension headers are not followed: the loopback's traffic has none.
    transport(
        line,
        "IP6",
        &src.to_string(),
        &dst.to_string(),
        packet[6],
        payload,
    );
}

fn transport(line: &mut String, ip: &str, src: &str, dst: &str, protocol: u8, payload: &[u8]) {
    let port = |at: usize| u16::from_be_bytes([payload[at], payload[at + 1]]);
    match protocol {
        6 if payload.len() >= 20 => {
            let _ = write!(line, "{ip} {src}.{} > {dst}.{}: ", port(0), port(2));
            tcp(line, payload);
        }
        17 if payload.len() >= 8 => {
            let _ = write!(
                line,
                "{ip} {src}.{} > {dst}.{}: UDP, length {}",
                port(0),
                port(2),
                payload.len() - 8
            );
        }
        1 | 58 if payload.len() >= 2 => {
            let icmp = if protocol == 1 { "ICMP" } else { "ICMP6" };
            let _ = write!(
                line,
                "{ip} {src} > {dst}: {icmp} type {} code {}, length {}",
                payload[0],
                payload[1],
                payload.len()
            );
        }
        0xff => {
            let _ = write!(
                line,
                "{ip} {src} > {dst}: fragment, length {}",
                payload.len()
            );
        }
        _ => {
            let _ = write!(
                line,
                "{ip} {src} > {dst}: protocol {protocol}, length {}",
                payload.len()
            );
        }
    }
}

/// `Flags [S.], seq 1000, ack 2001, win 65483, length 0`; data shows as `seq 1001:1101`.
fn tcp(line: &mut String, segment: &[u8]) {
    let word = |at: usize| u32::from_be_bytes([0, 1, 2, 3].map(|i| segment[at + i]));
    let (seq, ack) = (word(4), word(8));
    let header_len = usize::from(segment[12] >> 4) * 4;
    let flags = segment[13];
    let window = u16::from_be_bytes([segment[14], segment[15]]);
    let data = segment.len().saturating_sub(header_len);
    // tcpdump's order: FIN SYN RST PSH ACK URG ECE CWR.
    let names = [
        (0x01, 'F'),
        (0x02, 'S'),
        (0x04, 'R'),
        (0x08, 'P'),
        (0x10, '.'),
        (0x20, 'U'),
        (0x40, 'E'),
        (0x80, 'W'),
    ];
    let shown: String = names
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, name)| name)
        .collect();
    let shown = if shown.is_empty() { "none" } else { &shown };
    let _ = write!(line, "Flags [{shown}], seq {seq}");
    if data > 0 {
        let _ = write!(line, ":{}", seq.wrapping_add(data as u32));
    }
    if flags & 0x10 != 0 {
        let _ = write!(line, ", ack {ack}");
    }
    let _ = write!(line, ", win {window}, length {data}");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ethernet frame holding an IPv4 TCP segment with `data` bytes of payload.
    fn tcp_frame(flags: u8, seq: u32, ack: u32, data: usize) -> Vec<u8> {
        let mut frame = vec![0u8; 12];
        frame.extend([0x08, 0x00]);
        let total = (20 + 20 + data) as u16;
        frame.extend([
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
        ]);
        frame.extend([127, 0, 0, 1, 127, 0, 0, 2]);
        frame.extend(41234u16.to_be_bytes());
        frame.extend(8000u16.to_be_bytes());
        frame.extend(seq.to_be_bytes());
        frame.extend(ack.to_be_bytes());
        frame.extend([0x50, flags, 0xff, 0xd7, 0, 0, 0, 0]);
        frame.extend(std::iter::repeat_n(b'x', data));
        frame
    }

    #[test]
    fn a_syn_ack_shows_its_flags_seq_and_ack() {
        let line = describe(0.0123456, &tcp_frame(0x12, 7, 4_294_967_295, 0));
        assert_eq!(
            line,
            "0.012346 IP 127.0.0.1.41234 > 127.0.0.2.8000: Flags [S.], seq 7, \
             ack 4294967295, win 65495, length 0"
        );
    }

    #[test]
    fn data_shows_the_range_it_covers_even_across_2_to_the_32() {
        let line = describe(1.0, &tcp_frame(0x18, u32::MAX - 1, 1, 5));
        assert!(
            line.contains("Flags [P.], seq 4294967294:3, ack 1, win 65495, length 5"),
            "{line}"
        );
    }

    #[test]
    fn frames_that_are_no_tcp_or_too_short_get_a_line_too() {
        assert_eq!(
            describe(0.0, &[0; 5]),
            "0.000000 frame shorter than an Ethernet header, length 5"
        );
        let mut arp = vec![0u8; 12];
        arp.extend([0x08, 0x06, 0, 1]);
        assert_eq!(describe(0.0, &arp), "0.000000 ARP, length 16");
        let mut short = tcp_frame(0x02, 1, 0, 0);
        short.truncate(14 + 10);
        assert!(describe(0.0, &short).contains("IP, truncated header"));
    }
}
