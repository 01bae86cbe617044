//! A receive ring shared with the kernel (PACKET_RX_RING, TPACKET_V3), as libpcap uses:
//! the kernel writes frames into blocks of a mapping the capture reads, so a burst waits
//! there rather than in the socket's receive buffer, which net.core.rmem_max caps (212992
//! bytes on most systems: three 64 KiB loopback frames). A file sent as fast as the
//! loopback goes then loses nothing while the reader writes and prints.

use std::io;
use std::mem::size_of;
use std::os::fd::RawFd;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// From linux/if_packet.h.
const PACKET_RX_RING: libc::c_int = 5;
const PACKET_VERSION: libc::c_int = 10;
const TPACKET_V3: libc::c_int = 2;
const TP_STATUS_KERNEL: u32 = 0;
const TP_STATUS_USER: u32 = 1;

/// Blocks of 1 MiB: each holds at least fifteen 64 KiB frames.
const BLOCK_SIZE: u32 = 1 << 20;
const FRAME_SIZE: u32 = 2048; // required by the call; V3's frames take what they need

/// How big a ring, and how soon a block with frames in it is handed over when it is not
/// full (the kernel hands a full one over at once).
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub blocks: u32,
    pub retire_ms: u32,
}

impl Shape {
    /// The capture tool's: 32 MiB, a burst a reader that also prints may fall behind by (a
    /// 50 MiB file sent at loopback speed lost no frame, printing every line); lines
    /// still appear within 10 ms while COMMAND runs.
    pub const TOOL: Shape = Shape {
        blocks: 32,
        retire_ms: 10,
    };
    /// A check's (`NETLAB_TRACE`): read by a thread that only copies, so half as much
    /// room, for up to [`crate::CHECKS_AT_ONCE`] checks at once; blocks handed over
    /// sooner, so that the end of a check waits less for its last frames.
    pub const CHECK: Shape = Shape {
        blocks: 16,
        retire_ms: 4,
    };
}

/// struct tpacket_req3.
#[repr(C)]
struct Request {
    block_size: u32,
    block_nr: u32,
    frame_size: u32,
    frame_nr: u32,
    retire_blk_tov: u32,
    sizeof_priv: u32,
    feature_req_word: u32,
}

/// The mapped ring, and the next block to read.
pub struct Ring {
    base: NonNull<u8>,
    blocks: u32,
    next: u32,
}

// The mapping is this value's alone (nothing else holds its address), so it may move to
// the thread that reads it; it is not Sync: reading takes `&mut self`.
#[allow(unsafe_code)]
// SAFETY: the pointer is to memory owned by the Ring, valid for its life on any thread.
unsafe impl Send for Ring {}

/// One frame in a block: when the kernel saw it, its bytes, its length on the wire.
pub struct RingFrame<'a> {
    pub stamp: Duration,
    pub data: &'a [u8],
    pub original_len: usize,
    /// The packet type (sll_pkttype): PACKET_OUTGOING for a frame sent, which a kernel
    /// before 4.20 gives despite PACKET_IGNORE_OUTGOING.
    pub direction: u8,
}

impl Ring {
    /// Set up the ring on the packet socket `fd` (before it is bound, as the kernel
    /// wants), and map it.
    pub fn new(fd: RawFd, shape: Shape) -> io::Result<Ring> {
        let blocks = shape.blocks;
        let request = Request {
            block_size: BLOCK_SIZE,
            block_nr: blocks,
            frame_size: FRAME_SIZE,
            frame_nr: BLOCK_SIZE / FRAME_SIZE * blocks,
            retire_blk_tov: shape.retire_ms,
            sizeof_priv: 0,
            feature_req_word: 0,
        };
        #[allow(unsafe_code)]
        // SAFETY: the kernel reads an int, then `size_of::<Request>()` bytes of a live,
        // initialised tpacket_req3; mmap makes a new mapping that nothing else aliases.
        let base = unsafe {
            if libc::setsockopt(
                fd,
                libc::SOL_PACKET,
                PACKET_VERSION,
                (&TPACKET_V3 as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
            if libc::setsockopt(
                fd,
                libc::SOL_PACKET,
                PACKET_RX_RING,
                (&request as *const Request).cast(),
                size_of::<Request>() as libc::socklen_t,
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
            libc::mmap(
                std::ptr::null_mut(),
                mapping_len(blocks),
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = NonNull::new(base.cast()).ok_or_else(io::Error::last_os_error)?;
        Ok(Ring {
            base,
            blocks,
            next: 0,
        })
    }

    /// Hand `each` every frame of the blocks the kernel has filled, oldest first, and
    /// give the blocks back. Returns how many frames there were.
    pub fn read_filled(&mut self, mut each: impl FnMut(RingFrame<'_>)) -> usize {
        let mut count = 0;
        while self.status(self.next).load(Ordering::Acquire) & TP_STATUS_USER != 0 {
            let block = self.block(self.next);
            // struct tpacket_block_desc: version, offset_to_priv, then tpacket_hdr_v1:
            // block_status (8), num_pkts (12), offset_to_first_pkt (16).
            let mut at = word(block, 16) as usize;
            for _ in 0..word(block, 12) {
                // struct tpacket3_hdr: tp_next_offset (0), tp_sec (4), tp_nsec (8),
                // tp_snaplen (12), tp_len (16), tp_mac (24, u16); 48 bytes, then the
                // sockaddr_ll, whose sll_pkttype (at 10) says which way the frame went.
                let header = &block[at..];
                let mac = usize::from(u16::from_ne_bytes([header[24], header[25]]));
                let kept = word(header, 12) as usize;
                each(RingFrame {
                    stamp: Duration::new(u64::from(word(header, 4)), word(header, 8)),
                    data: &header[mac..mac + kept],
                    original_len: word(header, 16) as usize,
                    direction: header[48 + 10],
                });
                count += 1;
                at += word(header, 0) as usize;
            }
            self.status(self.next)
                .store(TP_STATUS_KERNEL, Ordering::Release);
            self.next = (self.next + 1) % self.blocks;
        }
        count
    }

    /// Whether the block the kernel fills now holds frames it has not handed over yet (it
    /// will within the shape's `retire_ms`). Once the reader has caught up, that block is
    /// the next one to read; the kernel zeroes its count when it starts it. A count read
    /// while the kernel writes it is only a hint, which is all the caller needs.
    pub fn has_pending(&self) -> bool {
        // tpacket_hdr_v1's num_pkts, at 12 in the block, as `read_filled` reads it.
        #[allow(unsafe_code)]
        // SAFETY: as `status`: a 4-byte aligned word inside the mapping, read atomically.
        let count = unsafe {
            &*(self
                .base
                .as_ptr()
                .add((self.next * BLOCK_SIZE) as usize + 12) as *const AtomicU32)
        };
        self.status(self.next).load(Ordering::Acquire) & TP_STATUS_USER != 0
            || count.load(Ordering::Relaxed) > 0
    }

    /// Block `index`'s status word (offset 8 in it), with which the kernel and the reader
    /// hand the block over.
    fn status(&self, index: u32) -> &AtomicU32 {
        #[allow(unsafe_code)]
        // SAFETY: the word is inside the mapping, which lives as long as self, and
        // 4-byte aligned (blocks start on pages); the reader only accesses it atomically, and
        // the kernel orders its writes with barriers.
        unsafe {
            &*(self.base.as_ptr().add((index * BLOCK_SIZE) as usize + 8) as *const AtomicU32)
        }
    }

    /// Block `index`'s bytes. Only while its status says user space has it: the kernel
    /// does not write it until `read_filled` gives it back, after the slice is gone.
    fn block(&self, index: u32) -> &[u8] {
        #[allow(unsafe_code)]
        // SAFETY: the mapping holds `blocks` blocks of BLOCK_SIZE bytes and lives as long
        // as self; the caller holds the block (see above).
        unsafe {
            std::slice::from_raw_parts(
                self.base.as_ptr().add((index * BLOCK_SIZE) as usize),
                BLOCK_SIZE as usize,
            )
        }
    }
}

/// The mapping's length in bytes.
fn mapping_len(blocks: u32) -> usize {
    (BLOCK_SIZE * blocks) as usize
}

fn word(bytes: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

impl Drop for Ring {
    fn drop(&mut self) {
        #[allow(unsafe_code)]
        // SAFETY: unmaps the mapping made in `new`; no slice of it outlives self.
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), mapping_len(self.blocks));
        }
    }
}
