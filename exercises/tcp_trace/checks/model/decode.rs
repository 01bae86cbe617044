//! A capture's bytes read back into the model's segments: what a live capture (trace's
//! Ethernet frames, IPv4 or IPv6, TCP with the options Linux sends) holds, so that its
//! lines and summary come from the model like a generated trace's. Records cut in their
//! TCP header and lying data offsets read too (what was not kept becomes zeros, which no
//! line shows); what the model cannot hold (a cut link or IP header, an IPv4 fragment, an
//! option of a known kind with a wrong size) is an error: a live capture has none.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Body, Capture, Cut, Encoding, Link, Segment, Tcp, TcpOption};

/// The capture in `pcap`, or why the model cannot hold it.
pub fn decode(pcap: &[u8]) -> Result<Capture, String> {
    let header = pcap.get(..24).ok_or("shorter than a pcap header")?;
    let magic = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    let (big_endian, nanoseconds) = match magic {
        0xa1b2_c3d4 => (false, false),
        0xa1b2_3c4d => (false, true),
        0xd4c3_b2a1 => (true, false),
        0x4d3c_b2a1 => (true, true),
        _ => return Err(format!("magic number 0x{magic:08x} is not pcap's")),
    };
    let word = |bytes: &[u8]| {
        let word = [bytes[0], bytes[1], bytes[2], bytes[3]];
        match big_endian {
            true => u32::from_be_bytes(word),
            false => u32::from_le_bytes(word),
        }
    };
    let link = match word(&header[20..24]) & 0x0fff_ffff {
        1 => Link::Ethernet,
        113 => Link::Cooked,
        101 => Link::RawIp,
        other => return Err(format!("link type {other}")),
    };
    let encoding = Encoding {
        big_endian,
        nanoseconds,
        link,
    };
    let mut segments = Vec::new();
    let mut rest = &pcap[24..];
    while !rest.is_empty() {
        let number = segments.len() + 1;
        let record = rest
            .get(..16)
            .ok_or(format!("record {number}'s header is cut short"))?;
        let (seconds, fraction) = (
            u64::from(word(&record[..4])),
            u64::from(word(&record[4..8])),
        );
        let (kept, wire) = (
            word(&record[8..12]) as usize,
            word(&record[12..16]) as usize,
        );
        let frame = rest
            .get(16..16 + kept)
            .ok_or(format!("record {number} is cut short"))?;
        rest = &rest[16 + kept..];
        let at_ns = seconds * 1_000_000_000
            + if nanoseconds {
                fraction
            } else {
                fraction * 1000
            };
        let segment = packet(link, frame, kept < wire, at_ns)
            .map_err(|why| format!("record {number}: {why}"))?;
        segments.push(segment);
    }
    Ok(Capture { encoding, segments })
}

/// Big-endian fields of a header, or an error naming it when they are not there.
struct Fields<'a>(&'a [u8], &'static str);

impl Fields<'_> {
    fn u8(&self, at: usize) -> Result<u8, String> {
        self.0
            .get(at)
            .copied()
            .ok_or_else(|| format!("the {} header is cut short", self.1))
    }
    fn u16(&self, at: usize) -> Result<u16, String> {
        Ok(u16::from_be_bytes([self.u8(at)?, self.u8(at + 1)?]))
    }
    fn u32(&self, at: usize) -> Result<u32, String> {
        Ok((u32::from(self.u16(at)?) << 16) | u32::from(self.u16(at + 2)?))
    }
    fn bytes<const N: usize>(&self, at: usize) -> Result<[u8; N], String> {
        let mut out = [0; N];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = self.u8(at + i)?;
        }
        Ok(out)
    }
}

fn packet(link: Link, frame: &[u8], cut: bool, at_ns: u64) -> Result<Segment, String> {
    let skip = link.header_len();
    let ip = frame.get(skip..).ok_or("the link header is cut short")?;
    let fields = Fields(ip, "IP");
    let version = fields.u8(0)? >> 4;
    let (src, dst, header_len, protocol, length): (IpAddr, IpAddr, usize, u8, usize) = match version
    {
        4 => {
            let header_len = 4 * usize::from(fields.u8(0)? & 0x0f);
            let total = usize::from(fields.u16(2)?);
            if fields.u16(6)? & 0x3fff != 0 {
                return Err("an IPv4 fragment".into());
            }
            if header_len < 20 || total < header_len {
                return Err("IPv4 lengths that cannot be".into());
            }
            let src = Ipv4Addr::from(fields.bytes::<4>(12)?).into();
            let dst = Ipv4Addr::from(fields.bytes::<4>(16)?).into();
            (src, dst, header_len, fields.u8(9)?, total - header_len)
        }
        6 => {
            let src = Ipv6Addr::from(fields.bytes::<16>(8)?).into();
            let dst = Ipv6Addr::from(fields.bytes::<16>(24)?).into();
            (src, dst, 40, fields.u8(6)?, usize::from(fields.u16(4)?))
        }
        other => return Err(format!("IP version {other}")),
    };
    let body_kept = ip.get(header_len..).unwrap_or_default();
    let body = match protocol {
        6 => Body::Tcp(tcp(body_kept, length)?),
        17 => {
            let udp = Fields(body_kept, "UDP");
            Body::Udp {
                src_port: udp.u16(0)?,
                dst_port: udp.u16(2)?,
                data: length
                    .checked_sub(8)
                    .ok_or("a UDP datagram under 8 bytes")?,
            }
        }
        protocol => Body::Other {
            protocol,
            data: length,
        },
    };
    Ok(Segment {
        at_ns,
        src,
        dst,
        ip_options: header_len.saturating_sub(20) * usize::from(version == 4),
        body,
        cut: match cut {
            true => Cut::Packet(ip.len()),
            false => Cut::Whole,
        },
    })
}

/// A TCP header of which `kept` bytes were captured: the fields that were not are
/// zeros (tcpdump prints none of them), options cut short are completed (`cut_options`).
fn tcp(kept: &[u8], length: usize) -> Result<Tcp, String> {
    let byte = |at: usize| kept.get(at).copied().unwrap_or(0);
    let u16_at = |at: usize| u16::from_be_bytes([byte(at), byte(at + 1)]);
    let u32_at = |at: usize| (u32::from(u16_at(at)) << 16) | u32::from(u16_at(at + 2));
    // Without its offset byte, a header reads as 20 bytes: tcpdump stops before.
    let header_len = match kept.get(12) {
        Some(offset) => 4 * usize::from(offset >> 4),
        None => 20,
    };
    let data = length
        .checked_sub(20)
        .ok_or("a TCP segment under 20 bytes")?;
    let (options, offset, data) = if header_len < 20 || header_len > length {
        // A lying offset: the model's header is 20 bytes, the rest data.
        (vec![], Some((header_len / 4) as u8), data)
    } else {
        let captured = kept.get(20..).unwrap_or_default();
        let options = cut_options(captured, header_len - 20)?;
        (options, None, length - header_len)
    };
    Ok(Tcp {
        src_port: u16_at(0),
        dst_port: u16_at(2),
        seq: u32_at(4),
        ack: u32_at(8),
        flags: byte(13),
        window: u16_at(14),
        urgent: u16_at(18),
        options,
        offset,
        data,
    })
}

/// `total` bytes of options of which `captured` holds the first: those captured, the one
/// a cut goes through with its missing bytes zeros, and nops to the header's end (no line
/// shows what was not kept). An eol that is only padding is left to the encoder.
fn cut_options(captured: &[u8], total: usize) -> Result<Vec<TcpOption>, String> {
    let captured = &captured[..captured.len().min(total)];
    let mut list = Vec::new();
    let mut at = 0;
    while at < captured.len() {
        let kind = captured[at];
        if kind <= 1 {
            list.push([TcpOption::Eol, TcpOption::Nop][usize::from(kind)].clone());
            at += 1;
            if kind == 0 {
                break;
            }
            continue;
        }
        let Some(&size) = captured.get(at + 1) else {
            // Its length not captured: any option of the room left prints alike.
            let room = total - at;
            if room < 2 {
                return Err("an option cut in two at the header's end".into());
            }
            list.push(TcpOption::Unknown(kind, vec![0; room - 2]));
            at = total;
            break;
        };
        let size = usize::from(size);
        if size < 2 || at + size > total {
            list.push(TcpOption::BadLength(kind, size as u8));
            at += 2;
            break;
        }
        let mut value = captured[at + 2..captured.len().min(at + size)].to_vec();
        value.resize(size - 2, 0);
        list.push(one_option(kind, value)?);
        at += size;
    }
    let after = captured.get(at..).unwrap_or_default();
    if list.last() == Some(&TcpOption::Eol) && after.iter().all(|&b| b == 0) {
        let mut without = list.clone();
        without.pop();
        if super::options::padded_len(&without) == total {
            return Ok(without);
        }
    }
    let used: usize = list.iter().map(TcpOption::size).sum();
    if super::options::padded_len(&list) != total {
        list.extend(std::iter::repeat_n(
            TcpOption::Nop,
            total.saturating_sub(used),
        ));
    }
    Ok(list)
}

/// One option of a kind other than eol and nop, with its value.
fn one_option(kind: u8, value: Vec<u8>) -> Result<TcpOption, String> {
    let fields = Fields(&value, "option");
    let size = value.len() + 2;
    Ok(match (kind, size) {
        (2, 4) => TcpOption::Mss(fields.u16(0)?),
        (3, 3) => TcpOption::Wscale(value[0]),
        (4, 2) => TcpOption::SackOk,
        (5, _) if size % 8 == 2 && size > 2 => TcpOption::Sack(
            (0..(size - 2) / 8)
                .map(|j| Ok((fields.u32(8 * j)?, fields.u32(8 * j + 4)?)))
                .collect::<Result<_, String>>()?,
        ),
        (8, 10) => TcpOption::Timestamps(fields.u32(0)?, fields.u32(4)?),
        (2..=5 | 8, _) => return Err(format!("option {kind} of length {size}")),
        _ => TcpOption::Unknown(kind, value),
    })
}
