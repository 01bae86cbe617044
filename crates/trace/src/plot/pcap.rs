//! Reading a classic pcap file into frames: the 24-byte file header (either byte order,
//! micro- or nanosecond stamps) and each record's header. seqplot's own reader, apart
//! from trace's writer and from the exercise's packet printer, so that the plot tool can
//! change without touching either.

/// How each frame begins: the link types a capture of TCP is likely to come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// LINKTYPE_ETHERNET (1): what trace writes.
    Ethernet,
    /// LINKTYPE_LINUX_SLL (113): `tcpdump -i any`.
    LinuxCooked,
    /// LINKTYPE_LINUX_SLL2 (276): newer `tcpdump -i any`.
    LinuxCooked2,
    /// LINKTYPE_RAW (101), and DLT_RAW's 12 and 14: the IP header first.
    RawIp,
    /// LINKTYPE_NULL (0): a BSD loopback's 4-byte address family, in the writer's order.
    Null,
}

/// One record: when it was captured (nanoseconds since the epoch) and the bytes kept.
pub struct Frame<'a> {
    pub nanos: u64,
    pub data: &'a [u8],
}

/// A file read: its link type, the frames, and why reading stopped early, if it did.
pub struct Capture<'a> {
    pub link: Link,
    pub frames: Vec<Frame<'a>>,
    pub cut_short: Option<String>,
}

const HEADER_LEN: usize = 24;
const RECORD_HEADER_LEN: usize = 16;
/// No link layer in use gives frames this large; a record claiming more is damage.
const LARGEST_RECORD: u32 = 1 << 20;

/// The frames of a pcap file, or why these bytes are not one.
pub fn read(bytes: &[u8]) -> Result<Capture<'_>, String> {
    let Some(header) = bytes.get(..HEADER_LEN) else {
        return Err(format!(
            "it is {} bytes long, shorter than a pcap file's 24-byte header",
            bytes.len()
        ));
    };
    let magic = [header[0], header[1], header[2], header[3]];
    let (big_endian, nanoseconds) = match magic {
        [0xa1, 0xb2, 0xc3, 0xd4] => (true, false),
        [0xd4, 0xc3, 0xb2, 0xa1] => (false, false),
        [0xa1, 0xb2, 0x3c, 0x4d] => (true, true),
        [0x4d, 0x3c, 0xb2, 0xa1] => (false, true),
        [0x0a, 0x0d, 0x0d, 0x0a] => {
            return Err("it is a pcapng file; save it as classic pcap \
                 (editcap -F pcap IN OUT, or Wireshark's Save As)"
                .to_string());
        }
        _ => return Err("it does not begin with a pcap file's magic number".to_string()),
    };
    let word = |at: usize| {
        let four = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
        if big_endian {
            u32::from_be_bytes(four)
        } else {
            u32::from_le_bytes(four)
        }
    };
    // The link type's upper bits carry an FCS length on some writers; the type is below.
    let link = match word(20) & 0x0fff_ffff {
        1 => Link::Ethernet,
        113 => Link::LinuxCooked,
        276 => Link::LinuxCooked2,
        12 | 14 | 101 => Link::RawIp,
        0 => Link::Null,
        other => return Err(format!("its link type is {other}, not one seqplot reads")),
    };
    let mut frames = Vec::new();
    let mut at = HEADER_LEN;
    let mut cut_short = None;
    while at < bytes.len() {
        if bytes.len() - at < RECORD_HEADER_LEN {
            cut_short = Some(format!(
                "the file ends inside the header of record {}",
                frames.len() + 1
            ));
            break;
        }
        let seconds = u64::from(word(at));
        let fraction = u64::from(word(at + 4));
        let kept = word(at + 8);
        if kept > LARGEST_RECORD {
            cut_short = Some(format!(
                "record {} claims {kept} bytes: the file is damaged there",
                frames.len() + 1
            ));
            break;
        }
        let start = at + RECORD_HEADER_LEN;
        let Some(data) = bytes.get(start..start + kept as usize) else {
            cut_short = Some(format!("the file ends inside record {}", frames.len() + 1));
            break;
        };
        let fraction_nanos = if nanoseconds {
            fraction
        } else {
            fraction * 1000
        };
        frames.push(Frame {
            nanos: seconds * 1_000_000_000 + fraction_nanos,
            data,
        });
        at = start + kept as usize;
    }
    Ok(Capture {
        link,
        frames,
        cut_short,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(magic: [u8; 4], big_endian: bool, records: &[(u32, u32, &[u8])]) -> Vec<u8> {
        let word = |n: u32| {
            if big_endian {
                n.to_be_bytes()
            } else {
                n.to_le_bytes()
            }
        };
        let mut out = magic.to_vec();
        out.extend_from_slice(&[0; 16]);
        out.extend_from_slice(&word(101));
        for (seconds, fraction, data) in records {
            out.extend_from_slice(&word(*seconds));
            out.extend_from_slice(&word(*fraction));
            out.extend_from_slice(&word(data.len() as u32));
            out.extend_from_slice(&word(data.len() as u32));
            out.extend_from_slice(data);
        }
        out
    }

    #[test]
    fn reads_either_byte_order_and_either_stamp() {
        let little = file([0xd4, 0xc3, 0xb2, 0xa1], false, &[(2, 5, b"ab")]);
        let read_back = read(&little).unwrap();
        assert_eq!(read_back.link, Link::RawIp);
        assert_eq!(read_back.frames[0].nanos, 2_000_005_000);
        assert_eq!(read_back.frames[0].data, b"ab");
        let big_nanos = file([0xa1, 0xb2, 0x3c, 0x4d], true, &[(2, 5, b"ab")]);
        assert_eq!(read(&big_nanos).unwrap().frames[0].nanos, 2_000_000_005);
    }

    #[test]
    fn a_file_cut_short_keeps_the_records_before_the_cut() {
        let whole = file(
            [0xd4, 0xc3, 0xb2, 0xa1],
            false,
            &[(1, 0, b"one"), (2, 0, b"two")],
        );
        for cut in HEADER_LEN + 19 + 1..whole.len() {
            let capture = read(&whole[..cut]).unwrap();
            assert_eq!(capture.frames.len(), 1, "cut at {cut}");
            assert!(capture.cut_short.is_some(), "cut at {cut}");
        }
        assert!(read(&whole).unwrap().cut_short.is_none());
    }

    #[test]
    fn refuses_what_is_not_a_pcap_file() {
        assert!(read(b"short").is_err());
        assert!(read(&[0u8; 40]).is_err());
        let pcapng = [0x0a, 0x0d, 0x0d, 0x0a].repeat(8);
        assert!(matches!(read(&pcapng), Err(why) if why.contains("pcapng")));
    }
}
