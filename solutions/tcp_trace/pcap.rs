//! The classic pcap file format, read by hand: a 24-byte header saying the
//! byte order, the stamps' unit and the link type, then records, each a
//! 16-byte header and the bytes captured.

use std::io::{self, ErrorKind, Read};

/// libpcap refuses records longer than this (its largest snap length).
const MOST_BYTES: u32 = 256 * 1024 * 1024;

// ANCHOR: file_header
/// What the 24-byte global header says about the records after it.
pub struct FileHeader {
    big_endian: bool,
    nanoseconds: bool,
    pub link: Link,
}

#[derive(Clone, Copy)]
pub enum Link {
    /// LINKTYPE_ETHERNET (1): 14 bytes, the EtherType last.
    Ethernet,
    /// LINKTYPE_LINUX_SLL (113), `tcpdump -i any`: 16 bytes, the
    /// protocol last.
    LinuxCooked,
    /// LINKTYPE_RAW (101): the IP header comes first.
    RawIp,
}

pub fn read_file_header(input: &mut impl Read) -> Result<FileHeader, String> {
    let mut bytes = [0u8; 24];
    let got = read_up_to(input, &mut bytes).map_err(|e| e.to_string())?;
    if got < 24 {
        return Err(format!("{got} bytes, shorter than a pcap header"));
    }
    // The writer's byte order: the magic number reads right in one of them.
    // a1b2c3d4 stamps in microseconds, a1b23c4d in nanoseconds.
    let magic = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let big_endian = match magic {
        0xa1b2_c3d4 | 0xa1b2_3c4d => false,
        0xd4c3_b2a1 | 0x4d3c_b2a1 => true,
        0x0a0d_0d0a => return Err("a pcapng file (save it as pcap)".into()),
        _ => return Err(format!("magic number 0x{magic:08x} is not pcap's")),
    };
    let header = FileHeader {
        big_endian,
        nanoseconds: magic == 0xa1b2_3c4d || magic == 0x4d3c_b2a1,
        link: Link::Ethernet,
    };
    // The top bits may carry FCS information; the link type is the rest.
    let link = match header.u32(&bytes[20..24]) & 0x0fff_ffff {
        1 => Link::Ethernet,
        113 => Link::LinuxCooked,
        101 => Link::RawIp,
        other => {
            return Err(format!(
                "link type {other} (tcp_peek reads Ethernet (1), \
                 Linux cooked (113) and raw IP (101))"
            ));
        }
    };
    Ok(FileHeader { link, ..header })
}

impl FileHeader {
    pub fn u32(&self, bytes: &[u8]) -> u32 {
        let word = [bytes[0], bytes[1], bytes[2], bytes[3]];
        if self.big_endian {
            u32::from_be_bytes(word)
        } else {
            u32::from_le_bytes(word)
        }
    }
}
// ANCHOR_END: file_header

// ANCHOR: record
impl FileHeader {
    /// Record `number` into `data`: its stamp in nanoseconds, or None at the
    /// end of the file. Each record: a 16-byte header (seconds, fraction,
    /// bytes kept, bytes on the wire), then the bytes kept.
    pub fn next_record(
        &self,
        input: &mut impl Read,
        number: u32,
        data: &mut Vec<u8>,
    ) -> Result<Option<u64>, String> {
        let mut record = [0u8; 16];
        match read_up_to(input, &mut record).map_err(|e| e.to_string())? {
            0 => return Ok(None),
            16 => {}
            got => {
                return Err(format!(
                    "cut short in record {number}'s header ({got} of 16 bytes)"
                ));
            }
        }
        // The bytes on the wire (12..16) are not needed: the IP header's
        // lengths are what tcpdump prints.
        let kept = self.u32(&record[8..12]);
        if kept > MOST_BYTES {
            return Err(format!("record {number} claims {kept} bytes"));
        }
        data.resize(kept as usize, 0);
        let got = read_up_to(input, data).map_err(|e| e.to_string())?;
        if got < data.len() {
            return Err(format!(
                "cut short in record {number} ({got} of {kept} bytes)"
            ));
        }
        let fraction = u64::from(self.u32(&record[4..8]));
        let seconds = u64::from(self.u32(&record[0..4]));
        let nanos = if self.nanoseconds {
            fraction
        } else {
            fraction * 1000
        };
        Ok(Some(seconds * 1_000_000_000 + nanos))
    }
}

/// Fill `buf` as far as the input goes: how many bytes were read.
fn read_up_to(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}
// ANCHOR_END: record
