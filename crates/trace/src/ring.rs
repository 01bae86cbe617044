//! A receive ring shared with the kernel (PACKET_RX_RING, TPACKET_V3), as libpcap uses:
//! the kernel writes frames into blocks of a mapping trace reads, so a burst waits there
//! rather than in the socket's receive buffer, which net.core.rmem_max caps (212992 bytes
//! on most systems: three 64 KiB loopback frames). A file sent as fast as the loopback
//! goes then loses nothing while trace writes and prints.

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

/// 32 blocks of 1 MiB: each holds at least fifteen 64 KiB frames, and the whole a burst
/// of 32 MiB (a 50 MiB file sent at loopback speed lost no frame here, printing every
/// line). The kernel hands a block over once it is full, or after 10 ms with frames in
/// it, so lines still appear while COMMAND runs.
const BLOCK_SIZE: u32 = 1 << 20;
const BLOCKS: u32 = 32;
const FRAME_SIZE: u32 = 2048; // required by the call; V3's frames take what they need
const RETIRE_MS: u32 = 10;

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
    next: u32,
}

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
    pub fn new(fd: RawFd) -> io::Result<Ring> {
        let request = Request {
            block_size: BLOCK_SIZE,
            block_nr: BLOCKS,
            frame_size: FRAME_SIZE,
            frame_nr: BLOCK_SIZE / FRAME_SIZE * BLOCKS,
            retire_blk_tov: RETIRE_MS,
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
                (BLOCK_SIZE * BLOCKS) as usize,
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
        Ok(Ring { base, next: 0 })
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
            self.next = (self.next + 1) % BLOCKS;
        }
        count
    }

    /// Block `index`'s status word (offset 8 in it), with which the kernel and trace
    /// hand the block over.
    fn status(&self, index: u32) -> &AtomicU32 {
        #[allow(unsafe_code)]
        // SAFETY: the word is inside the mapping, which lives as long as self, and
        // 4-byte aligned (blocks start on pages); trace only accesses it atomically, and
        // the kernel orders its writes with barriers.
        unsafe {
            &*(self.base.as_ptr().add((index * BLOCK_SIZE) as usize + 8) as *const AtomicU32)
        }
    }

    /// Block `index`'s bytes. Only while its status says user space has it: the kernel
    /// does not write it until `read_filled` gives it back, after the slice is gone.
    fn block(&self, index: u32) -> &[u8] {
        #[allow(unsafe_code)]
        // SAFETY: the mapping holds BLOCKS blocks of BLOCK_SIZE bytes and lives as long
        // as self; the caller holds the block (see above).
        unsafe {
            std::slice::from_raw_parts(
                self.base.as_ptr().add((index * BLOCK_SIZE) as usize),
                BLOCK_SIZE as usize,
            )
        }
    }
}

fn word(bytes: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

impl Drop for Ring {
    fn drop(&mut self) {
        #[allow(unsafe_code)]
        // SAFETY: unmaps the mapping made in `new`; no slice of it outlives self.
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), (BLOCK_SIZE * BLOCKS) as usize);
        }
    }
}
