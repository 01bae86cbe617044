//! The frames on a network namespace's loopback, captured without root where the process
//! holds CAP_NET_RAW in that namespace (as the sandbox's user namespace gives it): the
//! capture tool (`crates/trace`) records a command's traffic with it, and a check run with
//! `NETLAB_TRACE=DIR` its own (`saved.rs`), so that a failure can show what went over the
//! wire. Linux only: AF_PACKET (`socket.rs`), a receive ring shared with the kernel
//! (`ring.rs`), classic pcap written by hand (`pcap.rs`), one line per frame (`line.rs`).
//!
//! [`Capture`] is the simple form a check uses: started on the calling thread's namespace,
//! read by a thread of its own into memory, stopped for every frame so far.

mod line;
mod pcap;
mod ring;
pub(crate) mod saved;
mod socket;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

pub use line::describe;
pub use pcap::{LINKTYPE_ETHERNET, MAGIC_MICROSECONDS, PcapWriter, SNAPLEN, global_header};
pub use ring::Shape;
pub use socket::{FrameRef, PacketSocket};

/// One frame captured: when the kernel saw it, the bytes kept, its length on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Nanoseconds since the Unix epoch.
    pub nanos: u64,
    /// The frame from its Ethernet header on; shorter than `wire_len` only past
    /// [`KEPT_WHOLE`].
    pub data: Vec<u8>,
    pub wire_len: u32,
}

/// The bytes of frames a capture keeps whole; past them, only each frame's first
/// [`KEPT_PAST_LIMIT`] bytes (its headers), so that a check that sends gigabytes does not
/// hold them all in memory. The pcap file says each frame's real length.
pub const KEPT_WHOLE: usize = 64 << 20;
/// Ethernet (14), IPv6 (40) and TCP with every option (60) fit.
pub const KEPT_PAST_LIMIT: usize = 128;

/// How long the reader thread waits for frames before it looks whether it is asked to stop.
const LOOK_EVERY: Duration = Duration::from_millis(5);
/// How long [`Capture::stop`] may wait for the frames the kernel holds back (a block of
/// the ring not full yet: handed over within its `retire_ms`).
const DRAIN_LIMIT: Duration = Duration::from_millis(250);
/// How long a reader that copies a frame at a time may take to move what it read.
const HANDOVER_LIMIT: Duration = Duration::from_secs(5);

/// A capture running on the loopback of the network namespace of the thread that started
/// it (and of every thread and process started from there).
pub struct Capture {
    stop: Arc<AtomicBool>,
    recording: Receiver<io::Result<Recording>>,
}

/// What a stopped capture holds.
#[derive(Debug, Default)]
pub struct Recording {
    /// In the order the kernel saw them.
    pub frames: Vec<Frame>,
    /// Frames the kernel had no room for: the reader fell behind.
    pub lost: u32,
}

impl Capture {
    /// Start capturing on the calling thread's network namespace's `lo`. Needs CAP_NET_RAW
    /// in that namespace: a check's namespace gives it, the host's only to root. Takes
    /// about 10 ms: the kernel waits for every CPU to see the ring.
    pub fn start() -> io::Result<Capture> {
        let socket = PacketSocket::open_loopback(Some(Shape::CHECK))?;
        let stop = Arc::new(AtomicBool::new(false));
        let asked = Arc::clone(&stop);
        let (send, recording) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("netlab-wire".to_string())
            .spawn(move || {
                let mut socket = socket;
                let _ = send.send(read_until_stopped(&mut socket, &asked));
                // Closed once its frames are handed over: closing takes the kernel three
                // times as long as opening (30 ms), and nobody needs to wait for it.
                drop(socket);
            })?;
        Ok(Capture { stop, recording })
    }

    /// Stop, and return every frame so far, in order.
    pub fn finish(self) -> io::Result<Vec<Frame>> {
        self.stop().map(|recording| recording.frames)
    }

    /// Stop, and return every frame so far with the count of those lost. Frames already
    /// sent are not lost to the stop: those the kernel still holds are waited for.
    pub fn stop(self) -> io::Result<Recording> {
        self.stop.store(true, Ordering::SeqCst);
        match self
            .recording
            .recv_timeout(LOOK_EVERY + DRAIN_LIMIT + HANDOVER_LIMIT)
        {
            Ok(recording) => recording,
            Err(RecvTimeoutError::Timeout) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the capture's reader did not hand its frames over",
            )),
            Err(RecvTimeoutError::Disconnected) => {
                Err(io::Error::other("the capture's reader panicked"))
            }
        }
    }
}

impl Drop for Capture {
    /// A capture dropped unfinished still ends its reader (within [`LOOK_EVERY`] and the
    /// drain), which closes the socket.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// The reader thread: frames copied as they come, then those still held when stopped.
fn read_until_stopped(socket: &mut PacketSocket, stop: &AtomicBool) -> io::Result<Recording> {
    let mut recording = Recording::default();
    let mut kept = 0usize;
    let mut keep = |frame: FrameRef<'_>| {
        let room = if kept < KEPT_WHOLE {
            frame.data.len()
        } else {
            KEPT_PAST_LIMIT
        };
        let data = frame.data[..frame.data.len().min(room)].to_vec();
        kept += data.len();
        recording.frames.push(Frame {
            nanos: u64::try_from(frame.stamp.as_nanos()).unwrap_or(u64::MAX),
            data,
            wire_len: u32::try_from(frame.original_len).unwrap_or(u32::MAX),
        });
    };
    while !stop.load(Ordering::SeqCst) {
        socket.read_ready(LOOK_EVERY, &mut keep)?;
    }
    // The frames the kernel still holds: in a block of the ring not handed over yet.
    let limit = Instant::now() + DRAIN_LIMIT;
    loop {
        let read = socket.read_ready(Duration::from_millis(1), &mut keep)?;
        if read == 0 && !socket.has_pending() || Instant::now() >= limit {
            break;
        }
    }
    recording.lost = socket.dropped();
    Ok(recording)
}

/// The frames as a classic pcap file: LINKTYPE_ETHERNET, microsecond stamps, snap length
/// [`SNAPLEN`]; tcpdump and Wireshark read it.
pub fn pcap_file(frames: &[Frame]) -> Vec<u8> {
    let kept = |frame: &Frame| frame.data.len().min(SNAPLEN as usize);
    let mut file = Vec::with_capacity(24 + frames.iter().map(|f| 16 + kept(f)).sum::<usize>());
    file.extend_from_slice(&global_header());
    for frame in frames {
        let stamp = Duration::from_nanos(frame.nanos);
        file.extend_from_slice(&pcap::record_header(
            stamp,
            kept(frame),
            frame.wire_len as usize,
        ));
        file.extend_from_slice(&frame.data[..kept(frame)]);
    }
    file
}

/// The capture tool's short line for one frame, without its time (the caller says since
/// what): `IP 127.0.0.1.41234 > 127.0.0.1.8000: Flags [S], seq 1, win 65495, length 0`.
pub fn segment_line(frame: &Frame) -> String {
    line::segment(&frame.data)
}
