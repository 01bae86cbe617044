//! The classic pcap file format, written by hand: a 24-byte global header, then a 16-byte
//! header before each frame. It is all tcpdump and Wireshark need, and no pcap crate
//! (they pull heavy dependencies) is worth 40 bytes of headers. The capture tool (`trace`)
//! writes its file with it as frames come; a check's capture (`NETLAB_TRACE`) once, whole.

use std::io::{self, Write};
use std::time::Duration;

/// Microsecond timestamps. Written in this machine's byte order, as libpcap writes it:
/// readers tell the order from how the magic number reads.
pub const MAGIC_MICROSECONDS: u32 = 0xa1b2_c3d4;
/// The most bytes of a frame kept: libpcap's default, more than any loopback frame
/// (the loopback's MTU is 65536).
pub const SNAPLEN: u32 = 262_144;
/// The frames on Linux's `lo` carry an Ethernet header (both addresses zero).
pub const LINKTYPE_ETHERNET: u32 = 1;

/// The file's first 24 bytes: magic, version 2.4, time zone 0, accuracy 0, snap length,
/// link type.
pub fn global_header() -> [u8; 24] {
    let mut header = [0u8; 24];
    header[0..4].copy_from_slice(&MAGIC_MICROSECONDS.to_ne_bytes());
    header[4..6].copy_from_slice(&2u16.to_ne_bytes());
    header[6..8].copy_from_slice(&4u16.to_ne_bytes());
    // 8..16: thiszone and sigfigs, both 0 as every writer sets them.
    header[16..20].copy_from_slice(&SNAPLEN.to_ne_bytes());
    header[20..24].copy_from_slice(&LINKTYPE_ETHERNET.to_ne_bytes());
    header
}

/// The 16 bytes before a frame seen at `stamp` (since the Unix epoch) of which `kept`
/// bytes (at most [`SNAPLEN`]) follow, `original_len` long on the wire.
pub fn record_header(stamp: Duration, kept: usize, original_len: usize) -> [u8; 16] {
    let mut header = [0u8; 16];
    // Seconds as u32 last until 2106, as the format does.
    header[0..4].copy_from_slice(&(stamp.as_secs() as u32).to_ne_bytes());
    header[4..8].copy_from_slice(&stamp.subsec_micros().to_ne_bytes());
    header[8..12].copy_from_slice(&(kept as u32).to_ne_bytes());
    let original = original_len.max(kept).min(u32::MAX as usize) as u32;
    header[12..16].copy_from_slice(&original.to_ne_bytes());
    header
}

/// A pcap file being written, one frame at a time.
pub struct PcapWriter<W: Write> {
    out: W,
    frames: u64,
}

impl<W: Write> PcapWriter<W> {
    /// Start the file: writes the global header.
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(&global_header())?;
        Ok(PcapWriter { out, frames: 0 })
    }

    /// One frame seen at `stamp` (since the Unix epoch): `data` is what was kept of it,
    /// `original_len` how long it was on the wire.
    pub fn frame(&mut self, stamp: Duration, data: &[u8], original_len: usize) -> io::Result<()> {
        let kept = &data[..data.len().min(SNAPLEN as usize)];
        self.out
            .write_all(&record_header(stamp, kept.len(), original_len))?;
        self.out.write_all(kept)?;
        self.frames += 1;
        Ok(())
    }

    /// How many frames were written.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Flush what is buffered, and give the writer back.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_is_a_16_byte_header_then_its_bytes() {
        let mut file = PcapWriter::new(Vec::new()).unwrap();
        let stamp = Duration::new(1_700_000_000, 123_456_789);
        file.frame(stamp, b"abc", 60).unwrap();
        let bytes = file.finish().unwrap();
        assert_eq!(bytes.len(), 24 + 16 + 3);
        let word = |at: usize| u32::from_ne_bytes(bytes[at..at + 4].try_into().unwrap());
        assert_eq!(
            [word(24), word(28), word(32), word(36)],
            [1_700_000_000, 123_456, 3, 60]
        );
        assert_eq!(&bytes[40..], b"abc");
    }
}
