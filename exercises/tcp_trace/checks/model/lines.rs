//! The lines `tcpdump -n -t -r` prints for the model's segments (tcpdump 4.99), computed
//! from their fields: where the record's bytes end decides which mark ends a line, the
//! IP header's lengths give the TCP length, and a table of connections turns sequence
//! and acknowledgement numbers into tcpdump's relative ones.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::options::{self, Ended};
use super::{ACK, Body, Cut, End, FIN, Link, RST, SYN, Segment, Tcp, URG};

pub(super) fn lines(link: Link, segments: &[Segment]) -> Vec<String> {
    let mut relative = Relative::default();
    segments
        .iter()
        .map(|segment| line(link, segment, &mut relative))
        .collect()
}

fn line(link: Link, segment: &Segment, relative: &mut Relative) -> String {
    let kept = match segment.cut {
        Cut::Whole => usize::MAX,
        Cut::Link(_) if link == Link::Cooked => return " [|sll]".into(),
        Cut::Link(_) => return " [|ether]".into(),
        Cut::Packet(bytes) => bytes,
    };
    let header_len = segment.ip_header_len();
    let mut line = String::new();
    if segment.src.is_ipv4() {
        if kept == 0 {
            return " [|ip]".into();
        }
        // A cut IPv4 header still says IP first, and a space for the addresses.
        if kept < 20 {
            return "IP  [|ip]".into();
        }
        if kept < header_len {
            return format!("IP  [remaining caplen({kept}) < header length({header_len})] [|ip]");
        }
        line.push_str("IP ");
    } else {
        if kept < header_len {
            return " [|ip6]".into();
        }
        line.push_str("IP6 ");
    }
    let kept = kept - header_len;
    let (src, dst) = (segment.src, segment.dst);
    let length = segment.transport_len();
    match &segment.body {
        Body::Tcp(tcp) => self::tcp(&mut line, segment, tcp, kept, relative),
        Body::Udp {
            src_port,
            dst_port,
            data,
        } => {
            let _ = write!(
                line,
                "{src}.{src_port} > {dst}.{dst_port}: UDP, length {data}"
            );
        }
        Body::Other { protocol, .. } => {
            let _ = write!(line, "{src} > {dst}:  ip-proto-{protocol} {length}");
        }
    }
    line
}

/// `SRC.PORT > DST.PORT: Flags [..], seq .., ack .., win .., options [..], length N`,
/// of which `kept` bytes of the segment were captured.
fn tcp(line: &mut String, segment: &Segment, tcp: &Tcp, kept: usize, relative: &mut Relative) {
    let (from, to) = super::ends(segment, tcp);
    if kept < 4 {
        let _ = write!(line, "{} > {}: [|tcp]", segment.src, segment.dst);
        return;
    }
    let _ = write!(line, "{from} > {to}: ");
    if kept < 20 {
        line.push_str(" [|tcp]");
        return;
    }
    let length = segment.transport_len();
    let options_len = length - 20 - tcp.data;
    let header_len = tcp
        .offset
        .map_or(20 + options_len, |words| 4 * usize::from(words));
    if header_len < 20 {
        let _ = write!(
            line,
            " tcp {} [bad hdr length {header_len} - too short, < 20]",
            length - header_len
        );
        return;
    }
    let _ = write!(line, "Flags [{}]", flag_names(tcp.flags));
    let has = |flag: u8| tcp.flags & flag != 0;
    let (seq, ack, sack_base) = match has(ACK) {
        true => relative.numbers(from, to, tcp.seq, tcp.ack, has(SYN)),
        false => (tcp.seq, tcp.ack, 0),
    };
    if header_len > length {
        line.push_str(&format!(
            " [bad hdr length {header_len} - too long, > {length}]"
        ));
        return;
    }
    if tcp.data > 0 {
        let _ = write!(line, ", seq {seq}:{}", seq.wrapping_add(tcp.data as u32));
    } else if has(SYN) || has(FIN) || has(RST) {
        let _ = write!(line, ", seq {seq}");
    }
    if has(ACK) {
        let _ = write!(line, ", ack {ack}");
    }
    let _ = write!(line, ", win {}", tcp.window);
    if has(URG) {
        let _ = write!(line, ", urg {}", tcp.urgent);
    }
    if options_len > 0 {
        let captured = kept.min(header_len) - 20;
        if let Ended::Early = options::print(line, &tcp.options, captured, sack_base) {
            return;
        }
    }
    let _ = write!(line, ", length {}", tcp.data);
}

/// `[S.]`: tcpdump's letters in its order, FIN first; `none` for none.
fn flag_names(flags: u8) -> String {
    let names: String = ['F', 'S', 'R', 'P', '.', 'U', 'E', 'W']
        .iter()
        .enumerate()
        .filter(|(bit, _)| flags & (1 << bit) != 0)
        .map(|(_, name)| name)
        .collect();
    match names.is_empty() {
        true => "none".into(),
        false => names,
    }
}

/// tcpdump's table of connections, for relative numbers: a connection's two ends in
/// its order (the lower port first, the lower address between equal ports), each with
/// the number it counts from.
#[derive(Default)]
struct Relative {
    bases: HashMap<(End, End), [u32; 2]>,
}

impl Relative {
    /// (seq, ack, SACK base) as printed for a segment with ACK set: a segment starting a
    /// connection (the first seen with ACK, or a SYN-ACK) sets both ends' bases, its own
    /// sequence number and the other's acknowledged one less one, and prints its numbers
    /// as they are; later ones print their distance from those bases, modulo 2^32.
    fn numbers(&mut self, from: End, to: End, seq: u32, ack: u32, syn: bool) -> (u32, u32, u32) {
        let sender_is_low = (from.port, from.ip) <= (to.port, to.ip);
        let (key, sender, receiver) = match sender_is_low {
            true => ((from, to), 0, 1),
            false => ((to, from), 1, 0),
        };
        match self.bases.get(&key) {
            Some(bases) if !syn => (
                seq.wrapping_sub(bases[sender]),
                ack.wrapping_sub(bases[receiver]),
                bases[receiver],
            ),
            _ => {
                let mut bases = [0; 2];
                bases[sender] = seq;
                bases[receiver] = ack.wrapping_sub(1);
                self.bases.insert(key, bases);
                (seq, ack, bases[receiver])
            }
        }
    }
}
