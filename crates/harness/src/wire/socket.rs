//! The packet socket that sees every frame on a network namespace's loopback: AF_PACKET,
//! SOCK_RAW, ETH_P_ALL, bound to `lo`. A loopback frame passes the interface twice (sent,
//! then received): PACKET_IGNORE_OUTGOING keeps only the second, so each is seen once.
//! Frames come through a ring shared with the kernel (`ring.rs`), or where it cannot be
//! made, one recvfrom(2) each. The socket belongs to the namespace of the thread that
//! opened it, whichever thread reads it.

use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::ring::{Ring, RingFrame, Shape};

/// From linux/if_packet.h (not all in libc's stable modules).
const PACKET_STATISTICS: libc::c_int = 6;
const PACKET_IGNORE_OUTGOING: libc::c_int = 23;
const PACKET_OUTGOING: u8 = 4;
/// SIOCGSTAMP (SIOCGSTAMP_OLD): the kernel's timestamp of the last frame read, a timeval.
const SIOCGSTAMP: libc::c_ulong = 0x8906;
/// The receive buffer asked for without a ring: a burst of 64 KiB loopback frames (a
/// file sent as fast as the loopback goes) must wait there while the reader works.
const RECEIVE_BUFFER: libc::c_int = 32 << 20;

/// One frame read: when the kernel saw it, its bytes, its length on the wire.
pub struct FrameRef<'a> {
    /// The kernel's timestamp of the frame, not the time it was read: the ring's
    /// tp_sec/tp_nsec (the kernel's receive time), or without the ring SIOCGSTAMP's; the
    /// time of the read only where the kernel gives none.
    pub stamp: Duration,
    pub data: &'a [u8],
    pub original_len: usize,
}

/// The open packet socket, and where its frames are read.
pub struct PacketSocket {
    fd: OwnedFd,
    frames: Frames,
}

enum Frames {
    Ring(Ring),
    /// One copy each, into a buffer a frame fits in.
    Copied(Vec<u8>),
}

impl PacketSocket {
    /// Open the socket on the calling thread's network namespace's `lo`, with a ring of
    /// `shape` (None: one recvfrom(2) a frame); frames queue from now on. Needs
    /// CAP_NET_RAW in that namespace.
    pub fn open_loopback(ring: Option<Shape>) -> io::Result<PacketSocket> {
        #[allow(unsafe_code)]
        // SAFETY: the name is a NUL-terminated string that outlives the call.
        let index = unsafe { libc::if_nametoindex(c"lo".as_ptr()) };
        match i32::try_from(index) {
            Ok(0) => Err(io::Error::last_os_error()),
            Ok(index) => PacketSocket::open(index, ring),
            Err(_) => Err(io::Error::other("lo's interface index is too large")),
        }
    }

    /// Open the socket on the interface `ifindex`, as [`PacketSocket::open_loopback`].
    pub fn open(ifindex: i32, ring: Option<Shape>) -> io::Result<PacketSocket> {
        // Protocol 0: no frame reaches the socket until `bind` names ETH_P_ALL. Opened with
        // ETH_P_ALL, it would receive at once, and the kernel would take it off the
        // interface again to set the ring up, then to bind it, each time waiting for
        // every CPU to let go of it (synchronize_net: about 10 ms each).
        #[allow(unsafe_code)]
        // SAFETY: socket(2) takes plain integers; a descriptor it returns is new and ours.
        let fd = unsafe {
            let fd = libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0);
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            OwnedFd::from_raw_fd(fd)
        };
        let raw = fd.as_raw_fd();
        // Linux 4.20 and later; before, the frames sent are skipped as they are read.
        let _ = set_option(raw, libc::SOL_PACKET, PACKET_IGNORE_OUTGOING, 1);
        let ring = match ring {
            Some(shape) => Ring::new(raw, shape),
            None => Err(io::ErrorKind::Unsupported.into()),
        };
        let frames = match ring {
            Ok(ring) => Frames::Ring(ring),
            Err(_) => {
                // Without a ring, the socket's buffer, as large as net.core.rmem_max lets.
                let _ = set_option(raw, libc::SOL_SOCKET, libc::SO_RCVBUF, RECEIVE_BUFFER);
                // Turns the kernel's timestamps on (see `stamp`) before the first frame.
                stamp(raw);
                Frames::Copied(vec![0; super::pcap::SNAPLEN as usize])
            }
        };
        bind(raw, ifindex)?;
        Ok(PacketSocket { fd, frames })
    }

    /// Wait up to `wait` for a frame, then hand `each` every frame queued, without waiting
    /// again. Returns how many there were. A signal ends the wait early.
    pub fn read_ready(
        &mut self,
        wait: Duration,
        each: impl FnMut(FrameRef<'_>),
    ) -> io::Result<usize> {
        let fd = self.fd.as_raw_fd();
        match &mut self.frames {
            Frames::Ring(ring) => read_ring(ring, fd, wait, each),
            Frames::Copied(buffer) => read_copies(fd, buffer, wait, each),
        }
    }

    /// Whether frames may be waiting that a read does not give yet: in the ring's block
    /// the kernel is filling, handed over within the ring's `retire_ms`.
    pub fn has_pending(&self) -> bool {
        match &self.frames {
            Frames::Ring(ring) => ring.has_pending(),
            Frames::Copied(_) => false,
        }
    }

    /// Frames the kernel dropped because the ring or the receive buffer was full
    /// (PACKET_STATISTICS, which counts since the last time it was asked).
    pub fn dropped(&self) -> u32 {
        let mut stats = [0u32; 2]; // struct tpacket_stats { tp_packets, tp_drops }
        let mut len = size_of::<[u32; 2]>() as libc::socklen_t;
        #[allow(unsafe_code)]
        // SAFETY: the kernel writes at most `len` bytes into `stats`, which outlives the
        // call.
        let done = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                PACKET_STATISTICS,
                stats.as_mut_ptr().cast(),
                &mut len,
            )
        };
        if done == 0 { stats[1] } else { 0 }
    }
}

/// With the ring: the blocks the kernel has filled, or those it fills within `wait`
/// (a block with frames is handed over after at most 10 ms).
fn read_ring(
    ring: &mut Ring,
    fd: RawFd,
    wait: Duration,
    mut each: impl FnMut(FrameRef<'_>),
) -> io::Result<usize> {
    let mut give = |frame: RingFrame<'_>| {
        if frame.direction != PACKET_OUTGOING {
            each(FrameRef {
                stamp: frame.stamp,
                data: frame.data,
                original_len: frame.original_len,
            });
        }
    };
    let count = ring.read_filled(&mut give);
    if count > 0 {
        return Ok(count);
    }
    let mut ready = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let millis = wait.as_millis().clamp(1, i32::MAX as u128) as libc::c_int;
    #[allow(unsafe_code)]
    // SAFETY: poll reads and writes the one pollfd given, which outlives the call.
    let polled = unsafe { libc::poll(&mut ready, 1, millis) };
    if polled < 0 {
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    Ok(ring.read_filled(&mut give))
}

/// Without the ring: one recvfrom(2) a frame, the first waiting up to `wait` (the socket's
/// receive timeout, SO_RCVTIMEO).
fn read_copies(
    fd: RawFd,
    buffer: &mut [u8],
    wait: Duration,
    mut each: impl FnMut(FrameRef<'_>),
) -> io::Result<usize> {
    read_timeout(fd, wait.max(Duration::from_millis(1)))?;
    let mut flags = 0;
    let mut count = 0;
    loop {
        match receive(fd, buffer, flags) {
            Ok((_, _, PACKET_OUTGOING)) => {} // a kernel before 4.20 ignored the option
            Ok((kept, original_len, _)) => {
                each(FrameRef {
                    stamp: stamp(fd),
                    data: &buffer[..kept],
                    original_len,
                });
                count += 1;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                return Ok(count);
            }
            Err(e) => return Err(e),
        }
        flags = libc::MSG_DONTWAIT;
    }
}

/// SO_RCVTIMEO: how long a blocking recvfrom(2) waits.
fn read_timeout(fd: RawFd, wait: Duration) -> io::Result<()> {
    let time = libc::timeval {
        tv_sec: wait.as_secs().min(i32::MAX as u64) as libc::time_t,
        tv_usec: wait.subsec_micros() as libc::suseconds_t,
    };
    #[allow(unsafe_code)]
    // SAFETY: the option's value is a timeval the kernel only reads, for the call's length.
    let done = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&time as *const libc::timeval).cast(),
            size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    if done == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn set_option(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    #[allow(unsafe_code)]
    // SAFETY: the option's value is an int the kernel only reads, for the call's length.
    let done = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if done == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Receive only `ifindex`'s frames.
fn bind(fd: RawFd, ifindex: i32) -> io::Result<()> {
    #[allow(unsafe_code)]
    // SAFETY: sockaddr_ll is plain data (zeroed is valid); bind reads `len` bytes of it.
    let done = unsafe {
        let mut address: libc::sockaddr_ll = zeroed();
        address.sll_family = libc::AF_PACKET as u16;
        address.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
        address.sll_ifindex = ifindex;
        libc::bind(
            fd,
            (&address as *const libc::sockaddr_ll).cast(),
            size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if done == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// recvfrom(2) of one frame: (bytes kept, length on the wire, packet type). MSG_TRUNC
/// makes a packet socket return the frame's real length even when the buffer is
/// shorter; the address says which way the frame went.
fn receive(fd: RawFd, buffer: &mut [u8], flags: libc::c_int) -> io::Result<(usize, usize, u8)> {
    #[allow(unsafe_code)]
    // SAFETY: the kernel writes at most buffer.len() bytes into the buffer and at most
    // `len` into the address; both outlive the call.
    let (got, address) = unsafe {
        let mut address: libc::sockaddr_ll = zeroed();
        let mut len = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        let got = libc::recvfrom(
            fd,
            buffer.as_mut_ptr().cast(),
            buffer.len(),
            flags | libc::MSG_TRUNC,
            (&mut address as *mut libc::sockaddr_ll).cast(),
            &mut len,
        );
        (got, address)
    };
    if got < 0 {
        return Err(io::Error::last_os_error());
    }
    let original = got as usize;
    Ok((original.min(buffer.len()), original, address.sll_pkttype))
}

/// When the frame just read reached the loopback: the kernel's own timestamp of it
/// (SIOCGSTAMP; the first call turns the kernel's timestamps on, so at worst the first
/// frame gets the time of that call). Where the kernel gives none: the time of the read.
fn stamp(fd: RawFd) -> Duration {
    let mut time = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    #[allow(unsafe_code)]
    // SAFETY: SIOCGSTAMP writes one timeval into `time`, which outlives the call.
    let done = unsafe { libc::ioctl(fd, SIOCGSTAMP as _, &mut time) };
    if done == 0 && time.tv_sec > 0 {
        Duration::new(time.tv_sec as u64, time.tv_usec as u32 * 1000)
    } else {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
    }
}
