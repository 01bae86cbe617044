//! Peers for tcp_file, written against the wire protocol rather than the reference code:
//! a sender that goes through the steps one call at a time, so a check can misbehave at
//! any step (any name bytes, pauses between bytes, data before `ok`, a reset mid-file),
//! and a receiver that can delay `ok`, refuse with a reason, hold its close, watch the
//! sender's memory, and tell apart the bytes that came before `ok` from those after.
//! Every socket operation has a deadline.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use harness::memory;

/// The longest any single step of a peer waits for the other side.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// A sender driven step by step.
pub struct Sender {
    stream: TcpStream,
    /// The longest time between two writes of [`Sender::send_in_pieces`]: longer than
    /// asked for when the machine was too busy to run this side on time.
    pub longest_pause: Duration,
}

impl Sender {
    /// Connect to a receiver at `addr`.
    pub fn connect(addr: SocketAddr) -> io::Result<Sender> {
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(Sender {
            stream,
            longest_pause: Duration::ZERO,
        })
    }

    /// Write `bytes` in one write call (the protocol's name step). An empty name sends
    /// nothing at all: the receiver's read then returns 0 bytes once we half-close.
    pub fn send_name(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return self.stream.shutdown(Shutdown::Write);
        }
        self.stream.write_all(bytes)
    }

    /// The receiver's reply: whatever one read returns (empty when it just closed).
    pub fn reply(&mut self) -> io::Result<Vec<u8>> {
        let mut buf = [0u8; 1024];
        let n = read(&mut self.stream, &mut buf)?;
        Ok(buf[..n].to_vec())
    }

    /// Stream `data`.
    pub fn send(&mut self, data: &[u8]) -> io::Result<()> {
        self.stream.write_all(data)
    }

    /// Stream `data` one byte per write, `pause` between bytes.
    pub fn send_slowly(&mut self, data: &[u8], pause: Duration) -> io::Result<()> {
        self.stream.set_nodelay(true)?;
        for (i, byte) in data.iter().enumerate() {
            if i > 0 {
                harness::wait::on_purpose(pause, "a sender that writes slowly on purpose");
            }
            self.stream.write_all(std::slice::from_ref(byte))?;
        }
        Ok(())
    }

    /// Stream `data` in writes of `size` bytes, `pause` between them, each its own
    /// segment (no Nagle).
    pub fn send_in_pieces(&mut self, data: &[u8], size: usize, pause: Duration) -> io::Result<()> {
        self.stream.set_nodelay(true)?;
        let mut last = Instant::now();
        for (i, piece) in data.chunks(size.max(1)).enumerate() {
            if i > 0 && !pause.is_zero() {
                harness::wait::on_purpose(pause, "a sender that pauses on purpose");
            }
            self.longest_pause = self.longest_pause.max(last.elapsed());
            self.stream.write_all(piece)?;
            last = Instant::now();
        }
        Ok(())
    }

    /// [`Sender::finish`] for a sender the caller keeps (to read what it measured).
    pub fn wait_finished(&mut self, timeout: Duration) -> Result<Vec<u8>, String> {
        self.stream
            .shutdown(Shutdown::Write)
            .map_err(|e| format!("could not half-close: {e}"))?;
        self.wait_closed(timeout)
    }

    /// Half-close (the end of the file), then wait for the receiver to close. Returns
    /// anything it sent after `ok` (nothing, from a correct receiver).
    pub fn finish(mut self, timeout: Duration) -> Result<Vec<u8>, String> {
        self.stream
            .shutdown(Shutdown::Write)
            .map_err(|e| format!("could not half-close: {e}"))?;
        self.wait_closed(timeout)
    }

    /// Read until the receiver closes (end of file, or a reset: both mean it let go of
    /// the connection) and return what it sent meanwhile; an error when `timeout` passes
    /// first.
    pub fn wait_closed(&mut self, timeout: Duration) -> Result<Vec<u8>, String> {
        let deadline = Instant::now() + timeout;
        let mut extra = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left == Duration::ZERO {
                return Err(format!(
                    "the connection was still open {} ms later",
                    timeout.as_millis()
                ));
            }
            let _ = self.stream.set_read_timeout(Some(left));
            match read(&mut self.stream, &mut buf) {
                Ok(0) => return Ok(extra),
                Ok(n) => extra.extend_from_slice(&buf[..n]),
                Err(e) if closed_by_reset(&e) => return Ok(extra),
                Err(e) if timed_out(&e) => continue,
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    /// Whether the receiver has already let go of the connection (an end of file or a
    /// reset waiting to be read), looking without waiting.
    pub fn closed_already(&mut self) -> bool {
        let mut byte = [0u8; 1];
        let _ = self.stream.set_nonblocking(true);
        let closed = match self.stream.peek(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => !timed_out(&e) && e.kind() != io::ErrorKind::Interrupted,
        };
        let _ = self.stream.set_nonblocking(false);
        closed
    }

    /// Abort the transfer: close with SO_LINGER 0, so the kernel sends a reset (RST)
    /// instead of the end-of-file (FIN) of an orderly close. The receiver's next read
    /// fails with "connection reset", which is not the end of the file.
    #[cfg(unix)]
    pub fn abort(self) -> io::Result<()> {
        set_linger_zero(&self.stream)
        // Dropping the stream closes it, with the reset.
    }
}

/// SO_LINGER with a zero timeout: close() then resets the connection. std has
/// `TcpStream::set_linger` only on nightly, hence the system call.
#[cfg(unix)]
#[allow(unsafe_code)]
fn set_linger_zero(stream: &TcpStream) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: the descriptor is the stream's, open for this whole call; the option value
    // points at a live `linger` whose exact size we pass.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// One read, retried when a signal interrupts it (the test process gets signals).
fn read(stream: &mut TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match stream.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

fn closed_by_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
    )
}

fn timed_out(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// The whole exchange, done right: the name in one write, the reply, and when the reply
/// starts with `ok` the data, the half-close and the wait for the receiver's close.
/// Returns the reply (its start and anything sent after it).
pub fn send_file(addr: SocketAddr, name: &[u8], data: &[u8]) -> Result<Vec<u8>, String> {
    let mut sender = Sender::connect(addr).map_err(|e| format!("could not connect: {e}"))?;
    sender
        .send_name(name)
        .map_err(|e| format!("could not send the name: {e}"))?;
    let mut reply = sender.reply().map_err(|e| match timed_out(&e) {
        true => format!("no reply to the name within {} ms", IO_TIMEOUT.as_millis()),
        false => format!("no reply to the name: {e}"),
    })?;
    if !reply.starts_with(b"ok") {
        return Ok(reply);
    }
    sender
        .send(data)
        .map_err(|e| format!("sending the data failed: {e}"))?;
    let extra = sender
        .finish(IO_TIMEOUT)
        .map_err(|e| format!("after the last byte and a half-close, {e}"))?;
    reply.extend_from_slice(&extra);
    Ok(reply)
}

/// How the peer receiver answers.
#[derive(Clone, Debug, Default)]
pub struct Answer {
    /// Keep reading for this long after the first bytes before replying `ok`: whatever
    /// arrives meanwhile is in [`Received::before_ok`].
    pub ok_delay: Duration,
    /// Refuse with this reason instead of `ok`.
    pub refuse: Option<String>,
    /// At end of file, hold the connection open until [`Pending::release`].
    pub hold_close: bool,
    /// Sample the peak memory of this process as the bytes come in.
    pub watch_pid: Option<u32>,
    /// Take the file in reads of at most this many bytes, pausing this long after each:
    /// a receiver slower than the sender, whose writes then wait (or come back short).
    pub slow_reads: Option<(usize, Duration)>,
    /// Close without a word instead of replying.
    pub close_silently: bool,
    /// At end of file, reset the connection instead of closing it: the receiver failed.
    pub reset_at_eof: bool,
}

/// What the peer receiver saw.
#[derive(Debug, Default)]
pub struct Received {
    /// Everything that arrived before the reply: the name, and nothing else from a
    /// sender that waits for `ok`.
    pub before_ok: Vec<u8>,
    /// Everything after `ok`, up to the end of file.
    pub after_ok: Vec<u8>,
    /// The largest peak memory seen for `watch_pid`.
    pub peak_rss: Option<u64>,
}

/// A receiver peer listening on a loopback port.
pub struct Receiver {
    listener: TcpListener,
}

/// A receiver serving one connection in its own thread.
pub struct Pending {
    result: mpsc::Receiver<Result<Received, String>>,
    /// Set when the other side is known to be done: stop waiting for a connection.
    stop: Arc<AtomicBool>,
    at_eof: mpsc::Receiver<()>,
    release: mpsc::Sender<()>,
}

impl Receiver {
    pub fn bind() -> io::Result<Receiver> {
        Ok(Receiver {
            listener: TcpListener::bind("127.0.0.1:0")?,
        })
    }

    /// Listen on `addr` itself: a default port, which may be taken.
    pub fn bind_to(addr: SocketAddr) -> io::Result<Receiver> {
        Ok(Receiver {
            listener: TcpListener::bind(addr)?,
        })
    }

    pub fn addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accept one connection (within `IO_TIMEOUT`) and answer it as `answer` says.
    pub fn serve_one(self, answer: Answer) -> Pending {
        let (result_tx, result) = mpsc::channel();
        let (eof_tx, at_eof) = mpsc::channel();
        let (release, release_rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stop_accepting = Arc::clone(&stop);
        thread::spawn(move || {
            let outcome = self.serve(&answer, &stop_accepting, &eof_tx, &release_rx);
            let _ = result_tx.send(outcome);
        });
        Pending {
            result,
            stop,
            at_eof,
            release,
        }
    }

    fn serve(
        self,
        answer: &Answer,
        stop: &AtomicBool,
        eof_tx: &mpsc::Sender<()>,
        release: &mpsc::Receiver<()>,
    ) -> Result<Received, String> {
        let mut stream = accept(&self.listener, IO_TIMEOUT, stop)?;
        let mut got = Received::default();
        let mut buf = vec![0u8; 64 * 1024];
        let read_err = |e: io::Error| format!("reading from the sender failed: {e}");

        // The name: the first read, then (with a delay) whatever else comes before ok.
        stream
            .set_read_timeout(Some(IO_TIMEOUT))
            .map_err(read_err)?;
        let n = read(&mut stream, &mut buf).map_err(read_err)?;
        got.before_ok.extend_from_slice(&buf[..n]);
        let reply_at = Instant::now() + answer.ok_delay;
        let mut open = n > 0;
        while open {
            let left = reply_at.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            stream.set_read_timeout(Some(left)).map_err(read_err)?;
            match read(&mut stream, &mut buf) {
                Ok(0) => open = false,
                Ok(n) => got.before_ok.extend_from_slice(&buf[..n]),
                Err(e) if timed_out(&e) => break,
                Err(e) => return Err(read_err(e)),
            }
        }
        stream
            .set_read_timeout(Some(IO_TIMEOUT))
            .map_err(read_err)?;

        if let Some(reason) = &answer.refuse {
            stream
                .write_all(reason.as_bytes())
                .map_err(|e| format!("could not send the refusal: {e}"))?;
            // An orderly refusal: half-close, and drain what the sender still sends so
            // that our close is a FIN, not a reset that could swallow the reason.
            let _ = stream.shutdown(Shutdown::Write);
            let _ = stream.read_to_end(&mut got.after_ok);
            return Ok(got);
        }
        if answer.close_silently {
            return Ok(got);
        }

        stream
            .write_all(b"ok")
            .map_err(|e| format!("could not send ok: {e}"))?;
        let mut next_reading = 0;
        let chunk = answer
            .slow_reads
            .map_or(buf.len(), |(chunk, _)| chunk.clamp(1, buf.len()));
        loop {
            if let Some((_, pause)) = answer.slow_reads {
                harness::wait::on_purpose(pause, "a receiver that reads slowly on purpose");
            }
            match read(&mut stream, &mut buf[..chunk]) {
                Ok(0) => break,
                Ok(n) => got.after_ok.extend_from_slice(&buf[..n]),
                Err(e) => {
                    return Err(format!(
                        "after {} bytes of data, the read failed ({e}) instead of ending \
                         with the sender's half-close",
                        got.after_ok.len()
                    ));
                }
            }
            if let Some(pid) = answer.watch_pid {
                if got.after_ok.len() >= next_reading {
                    got.read_rss(pid);
                    next_reading = got.after_ok.len() + (2 << 20);
                }
            }
        }
        if let Some(pid) = answer.watch_pid {
            got.read_rss(pid);
        }
        if answer.hold_close {
            let _ = eof_tx.send(());
            let _ = release.recv_timeout(IO_TIMEOUT);
        }
        #[cfg(unix)]
        if answer.reset_at_eof {
            let _ = set_linger_zero(&stream);
        }
        Ok(got)
        // The stream is dropped here: the close the sender waits for.
    }
}

impl Received {
    fn read_rss(&mut self, pid: u32) {
        if let Some(bytes) = memory::peak_rss(pid) {
            self.peak_rss = self.peak_rss.max(Some(bytes));
        }
    }
}

impl Pending {
    /// With `hold_close`: wait until the sender's end of file has arrived.
    pub fn wait_for_eof(&self, timeout: Duration) -> bool {
        self.at_eof.recv_timeout(timeout).is_ok()
    }

    /// With `hold_close`: close the connection now.
    pub fn release(&self) {
        let _ = self.release.send(());
    }

    /// What the receiver saw, once the connection is over. Call it when the sender has
    /// exited: a connection it made is already waiting, and no other will come.
    pub fn result(self, timeout: Duration) -> Result<Received, String> {
        self.stop.store(true, Ordering::SeqCst);
        self.release();
        self.result.recv_timeout(timeout).unwrap_or_else(|_| {
            Err(format!(
                "the exchange had not ended {} ms later",
                timeout.as_millis()
            ))
        })
    }
}

use harness::net::accept;
pub use harness::net::anybody_connected;
