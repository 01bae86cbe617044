//! Reference solution for tcp_trace's packet printer: `tcp_peek FILE.pcap`
//! prints each TCP segment of a capture exactly as `tcpdump -n -t -r FILE`
//! does, reading the file and every header by hand (std only: the headers
//! are the lesson).

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::process::ExitCode;

mod pcap;
mod summary;
use pcap::{FileHeader, Link, read_file_header};
use summary::{Segment, summarise};

const USAGE: &str = "usage: tcp_peek [--summary] FILE.pcap";

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let (summary, path) = match args.as_slice() {
        [flag, path] if flag == "--summary" => (true, path),
        [path]
            if path != "--summary" && !path.to_string_lossy().starts_with("--") =>
        {
            (false, path)
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let name = path.to_string_lossy();
    // A folder opens on Linux: only reading it fails.
    let file = match File::open(path) {
        Ok(file) if file.metadata().is_ok_and(|m| m.is_dir()) => {
            eprintln!("error: {name} is a folder");
            return ExitCode::FAILURE;
        }
        Ok(file) => file,
        Err(e) => {
            eprintln!("error: cannot open {name}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut input = BufReader::new(file);
    let header = match read_file_header(&mut input) {
        Ok(header) => header,
        Err(why) => {
            eprintln!("error: {name} is not a capture tcp_peek reads: {why}");
            return ExitCode::from(2);
        }
    };
    let mut out = BufWriter::new(io::stdout().lock());
    let mut peek = Peek::default();
    let result = print_records(&header, &mut input, &mut out, summary, &mut peek);
    if summary {
        // Of the records read, even when the file is cut short.
        let _ = out.write_all(summarise(&peek.seen).as_bytes());
    }
    // A closed stdout (`| head`) is not an error worth a message.
    let _ = out.flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("error: {name}: {why}");
            ExitCode::FAILURE
        }
    }
}

// ANCHOR: records
/// Every record's line (or, for `--summary`, only what the summary needs).
fn print_records(
    header: &FileHeader,
    input: &mut impl Read,
    out: &mut impl Write,
    summary: bool,
    peek: &mut Peek,
) -> Result<(), String> {
    let mut data = Vec::new();
    for number in 1.. {
        let Some(stamp) = header.next_record(input, number, &mut data)? else {
            return Ok(());
        };
        peek.stamp = stamp;
        let line = describe(header.link, &data, peek);
        if !summary && writeln!(out, "{line}").is_err() {
            return Ok(()); // nobody reads any more
        }
    }
    Ok(())
}
// ANCHOR_END: records

/// Bytes of one frame as captured; reading past them is "truncated".
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&self, at: usize) -> Option<u8> {
        self.0.get(at).copied()
    }
    fn u16(&self, at: usize) -> Option<u16> {
        Some(u16::from_be_bytes([self.u8(at)?, self.u8(at + 1)?]))
    }
    fn u32(&self, at: usize) -> Option<u32> {
        Some(u32::from_be_bytes(self.0.get(at..at + 4)?.try_into().ok()?))
    }
}

// ANCHOR: describe
/// The line for one frame, as captured (perhaps cut by the snap length).
fn describe(link: Link, frame: &[u8], peek: &mut Peek) -> String {
    if frame.is_empty() {
        return "[Invalid header: caplen==0]".to_string();
    }
    let (ethertype, skip) = match link {
        Link::Ethernet => (Bytes(frame).u16(12), 14),
        Link::LinuxCooked => (Bytes(frame).u16(14), 16),
        Link::RawIp => match frame.first().map(|b| b >> 4) {
            Some(6) => (Some(0x86dd), 0),
            _ => (Some(0x0800), 0),
        },
    };
    let Some(ethertype) = ethertype else {
        return format!(" [|{}]", if skip == 14 { "ether" } else { "sll" });
    };
    let packet = &frame[skip.min(frame.len())..];
    let mut line = String::new();
    match ethertype {
        0x0800 => ipv4(&mut line, packet, peek),
        0x86dd => ipv6(&mut line, packet, peek),
        other => {
            let _ = write!(line, "ethertype 0x{other:04x}, not IP");
        }
    }
    line
}
// ANCHOR_END: describe

// ANCHOR: ip
fn ipv4(line: &mut String, packet: &[u8], peek: &mut Peek) {
    if packet.is_empty() {
        line.push_str(" [|ip]");
        return;
    }
    line.push_str("IP ");
    if packet.len() < 20 {
        line.push_str(" [|ip]");
        return;
    }
    let ip = Bytes(packet);
    if packet[0] >> 4 != 4 {
        let _ = write!(line, "IP{} ", packet[0] >> 4);
    }
    let header_len = usize::from(packet[0] & 0x0f) * 4;
    if header_len < 20 {
        let _ = write!(line, "bad-hlen {header_len}");
        return;
    }
    if packet.len() < header_len {
        let kept = packet.len();
        let _ = write!(
            line,
            " [remaining caplen({kept}) < header length({header_len})] [|ip]"
        );
        return;
    }
    let total = usize::from(ip.u16(2).unwrap_or(0));
    if total < header_len {
        let _ = write!(line, "bad-len {total}");
        return;
    }
    let src = Ipv4Addr::from(ip.u32(12).unwrap_or(0));
    let dst = Ipv4Addr::from(ip.u32(16).unwrap_or(0));
    // A later fragment has no header of its protocol.
    let fragment = ip.u16(6).unwrap_or(0) & 0x1fff != 0;
    let protocol = if fragment { 0 } else { packet[9] };
    let body = &packet[header_len..];
    let addresses = (src.into(), dst.into());
    transport(line, protocol, body, total - header_len, addresses, peek);
}

fn ipv6(line: &mut String, packet: &[u8], peek: &mut Peek) {
    // Unlike IPv4's, a cut IPv6 header prints no `IP6` first.
    let (Some(src), Some(dst)) = (packet.get(8..24), packet.get(24..40)) else {
        line.push_str(" [|ip6]");
        return;
    };
    line.push_str("IP6 ");
    let ip = Bytes(packet);
    let (payload, next) = (ip.u16(4).unwrap_or(0), packet[6]);
    let src = Ipv6Addr::from(<[u8; 16]>::try_from(src).unwrap_or_default());
    let dst = Ipv6Addr::from(<[u8; 16]>::try_from(dst).unwrap_or_default());
    // Extension headers are not followed: the loopback's TCP has none.
    let body = packet.get(40..).unwrap_or(&[]);
    let addresses = (src.into(), dst.into());
    transport(line, next, body, usize::from(payload), addresses, peek);
}

/// What the IP header carries: TCP, a short line for UDP, a shorter one for the
/// rest. `length` is the IP header's count of the bytes after it.
fn transport(
    line: &mut String,
    protocol: u8,
    body: &[u8],
    length: usize,
    (src, dst): (IpAddr, IpAddr),
    peek: &mut Peek,
) {
    let udp = Bytes(body);
    match protocol {
        6 => tcp(line, body, length, (src, dst), peek),
        // The length is read only with the whole 8-byte header captured.
        17 => match (
            udp.u16(0),
            udp.u16(2),
            udp.u16(4).filter(|_| body.len() >= 8),
        ) {
            (Some(from), Some(to), _) if length < 8 => {
                let _ = write!(
                    line,
                    "{src}.{from} > {dst}.{to}: truncated-udp {length}"
                );
            }
            (Some(from), Some(to), Some(size)) if size >= 8 => {
                let data = usize::from(size - 8).min(length - 8);
                let _ =
                    write!(line, "{src}.{from} > {dst}.{to}: UDP, length {data}");
            }
            (Some(from), Some(to), Some(size)) => {
                let _ = write!(
                    line,
                    "{src}.{from} > {dst}.{to}: truncated-udplength {size}"
                );
            }
            (Some(from), Some(to), None) => {
                let _ = write!(line, "{src}.{from} > {dst}.{to}:  [|udp]");
            }
            _ => {
                let _ = write!(line, "{src} > {dst}:  [|udp]");
            }
        },
        _ => {
            let _ = write!(line, "{src} > {dst}:  ip-proto-{protocol} {length}");
        }
    }
}
// ANCHOR_END: ip

// ANCHOR: relative
/// tcpdump's relative sequence numbers. Per connection, one entry for both
/// directions: its ends in tcpdump's order (the lower port first; for equal
/// ports, the lower address), and the first sequence number of each, taken
/// from the first segment with ACK set (the SYN-ACK, if it was captured).
type Conversations = HashMap<((IpAddr, u16), (IpAddr, u16)), (u32, u32)>;

/// (seq, ack) as tcpdump prints them, and what SACK blocks count from: the
/// receiver's first number.
fn relative(
    seqs: &mut Conversations,
    (from, to): ((IpAddr, u16), (IpAddr, u16)),
    (seq, ack): (u32, u32),
    syn: bool,
) -> (u32, u32, u32) {
    let reversed = (from.1, from.0) > (to.1, to.0);
    let (key, new) = if reversed {
        ((to, from), (ack.wrapping_sub(1), seq))
    } else {
        ((from, to), (seq, ack.wrapping_sub(1)))
    };
    let (low, high) = match seqs.get(&key).copied() {
        Some(known) if !syn => known,
        _ => {
            // A new connection (or a SYN-ACK starting one again): this
            // segment's numbers print as they are.
            seqs.insert(key, new);
            return (seq, ack, if reversed { new.0 } else { new.1 });
        }
    };
    if reversed {
        (seq.wrapping_sub(high), ack.wrapping_sub(low), low)
    } else {
        (seq.wrapping_sub(low), ack.wrapping_sub(high), high)
    }
}
// ANCHOR_END: relative

// ANCHOR: tcp
/// `ADDR.PORT > ADDR.PORT: Flags [S.], seq 1, ack 2, win 3, options [...],
/// length 0`; `length` is the segment's length by the IP header.
fn tcp(
    line: &mut String,
    segment: &[u8],
    length: usize,
    (src, dst): (IpAddr, IpAddr),
    peek: &mut Peek,
) {
    let tcp = Bytes(segment);
    let (Some(from), Some(to)) = (tcp.u16(0), tcp.u16(2)) else {
        let _ = write!(line, "{src} > {dst}: [|tcp]");
        return;
    };
    let _ = write!(line, "{src}.{from} > {dst}.{to}: ");
    if segment.len() < 20 {
        line.push_str(" [|tcp]");
        return;
    }
    let header_len = usize::from(segment[12] >> 4) * 4;
    if header_len < 20 {
        let data = length.wrapping_sub(header_len) as u32;
        let _ = write!(
            line,
            " tcp {data} [bad hdr length {header_len} - too short, < 20]"
        );
        return;
    }
    let (seq, ack, flags) = (
        tcp.u32(4).unwrap_or(0),
        tcp.u32(8).unwrap_or(0),
        segment[13],
    );
    let window = tcp.u16(14).unwrap_or(0);
    let urgent = tcp.u16(18).unwrap_or(0);
    let names = ["F", "S", "R", "P", ".", "U", "E", "W"];
    let shown: String = (0..8)
        .filter(|bit| flags & (1 << bit) != 0)
        .map(|bit| names[bit])
        .collect();
    let _ = write!(
        line,
        "Flags [{}]",
        if shown.is_empty() { "none" } else { &shown }
    );
    let (syn, fin, rst, has_ack) = (
        flags & 0x02 != 0,
        flags & 0x01 != 0,
        flags & 0x04 != 0,
        flags & 0x10 != 0,
    );
    let first_seq = seq;
    let (seq, ack, sack_base) = if has_ack {
        relative(&mut peek.seqs, ((src, from), (dst, to)), (seq, ack), syn)
    } else {
        (seq, ack, 0)
    };
    if header_len > length {
        let _ = write!(
            line,
            " [bad hdr length {header_len} - too long, > {length}]"
        );
        return;
    }
    let data = (length - header_len) as u32;
    peek.seen.push(Segment {
        ends: ((src, from), (dst, to)),
        stamp: peek.stamp,
        flags,
        seq: first_seq,
        window,
        data,
    });
    if data > 0 || syn || fin || rst {
        let _ = write!(line, ", seq {seq}");
        if data > 0 {
            let _ = write!(line, ":{}", seq.wrapping_add(data));
        }
    }
    if has_ack {
        let _ = write!(line, ", ack {ack}");
    }
    let _ = write!(line, ", win {window}");
    if flags & 0x20 != 0 {
        let _ = write!(line, ", urg {urgent}");
    }
    if header_len > 20 {
        let kept = &segment[20..segment.len().min(header_len)];
        if !options(line, kept, header_len - 20, sack_base) {
            return;
        }
    }
    let _ = write!(line, ", length {data}");
}
// ANCHOR_END: tcp

// ANCHOR: options
/// `, options [mss 65495,sackOK,TS val 1 ecr 0,nop,wscale 7]`. `kept` is
/// what was captured of the `len` option bytes; SACK blocks print relative
/// to `sack_base`. False when the line ends here (a malformed or cut
/// option), as tcpdump's does.
fn options(line: &mut String, kept: &[u8], len: usize, sack_base: u32) -> bool {
    let bytes = Bytes(kept);
    line.push_str(", options [");
    let (mut left, mut at, mut first) = (len, 0, true);
    while left > 0 {
        if !first {
            line.push(',');
        }
        // The kind, and for all but eol and nop the option's whole size.
        let Some(kind) = bytes.u8(at) else {
            return cut(line, false);
        };
        let size = if kind <= 1 {
            1
        } else {
            let Some(size) = bytes.u8(at + 1) else {
                return cut(line, false);
            };
            let size = usize::from(size);
            if size < 2 || size > left {
                return bad_option(line, first);
            }
            size
        };
        at += size.min(2);
        left -= size.min(2);
        line.push_str(match kind {
            0 => "eol",
            1 => "nop",
            2 => "mss",
            3 => "wscale",
            4 => "sackOK",
            5 => "sack",
            8 => "TS",
            _ => "unknown-",
        });
        // The value's bytes: those the kind has, or those the size says.
        let value_len = match kind {
            0 | 1 | 4 => 0,
            2 => 2,
            3 => 1,
            8 => 8,
            _ => size - 2,
        };
        if value_len > left {
            return bad_option(line, first);
        }
        let value = &kept[at.min(kept.len())..(at + value_len).min(kept.len())];
        let whole = value.len() == value_len;
        let value = Bytes(value);
        match kind {
            2 | 3 | 8 if !whole => return cut(line, !first),
            2 => write!(line, " {}", value.u16(0).unwrap_or(0)),
            3 => write!(line, " {}", value.u8(0).unwrap_or(0)),
            8 => write!(
                line,
                " val {} ecr {}",
                value.u32(0).unwrap_or(0),
                value.u32(4).unwrap_or(0)
            ),
            5 if value_len % 8 != 0 => write!(line, " invalid sack"),
            5 => {
                let _ = write!(line, " {} ", value_len / 8);
                for block in (0..value_len).step_by(8) {
                    let (Some(start), Some(end)) =
                        (value.u32(block), value.u32(block + 4))
                    else {
                        return cut(line, !first);
                    };
                    let (start, end) = (
                        start.wrapping_sub(sack_base),
                        end.wrapping_sub(sack_base),
                    );
                    let _ = write!(line, "{{{start}:{end}}}");
                }
                Ok(())
            }
            0 | 1 | 4 => Ok(()),
            _ => {
                let _ = write!(line, "{kind}");
                if value_len > 0 {
                    line.push_str(" 0x");
                }
                for byte in value.0 {
                    let _ = write!(line, "{byte:02x}");
                }
                if !whole {
                    return cut(line, !first);
                }
                Ok(())
            }
        }
        .ok();
        at += value_len;
        left -= value_len;
        if value_len + size.min(2) != size {
            let _ = write!(line, "[len {size}]");
        }
        first = false;
        if kind == 0 {
            break;
        }
    }
    line.push(']');
    true
}

/// tcpdump's mark for an option whose length is impossible.
fn bad_option(line: &mut String, first: bool) -> bool {
    line.push_str("[bad opt]");
    if !first {
        line.push(']');
    }
    false
}

/// tcpdump's mark for a header cut by the snap length (and, when it
/// noticed in an option's value after the first, a stray `>`).
fn cut(line: &mut String, stray: bool) -> bool {
    line.push_str(" [|tcp]");
    if stray {
        line.push('>');
    }
    false
}
// ANCHOR_END: options

/// What a line is made from, beyond the frame: per connection, tcpdump's
/// first numbers; the record's stamp, in nanoseconds; each TCP segment whose
/// header could be read, for `--summary`.
#[derive(Default)]
struct Peek {
    seqs: Conversations,
    stamp: u64,
    seen: Vec<Segment>,
}
