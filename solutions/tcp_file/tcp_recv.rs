//! Reference solution for tcp_file's receiver: the Go course's protocol,
//! plus what the course leaves out: hostile names are refused, a half-written
//! file never shows under its final name, nothing is overwritten, and many
//! senders are served at once.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

const USAGE: &str = "usage: tcp_recv [--idle-timeout MS] [ADDR] [DIR]";
/// The Go course's port.
const DEFAULT_ADDR: &str = "127.0.0.1:8000";
const DEFAULT_IDLE: Duration = Duration::from_secs(30);

fn main() -> ExitCode {
    let Some((addr, dir, idle)) = parse_args() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    if !dir.is_dir() {
        eprintln!("error: {}: not a directory", dir.display());
        return ExitCode::FAILURE;
    }
    // ANCHOR: accept
    // Go: net.Listen("tcp", addr), then
    // `for { conn, _ := ln.Accept(); go handle(conn) }`.
    let listener = match TcpListener::bind(&addr) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(bound) => println!("listening on {bound}"),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    // How long to wait before accepting again, after accept failed.
    let mut pause = Duration::ZERO;
    for conn in listener.incoming() {
        let stream = match conn {
            Ok(stream) => stream,
            // A failed accept (too many open files, a connection reset while
            // queued) is no reason to stop serving everybody else, nor to try
            // again at once: out of files, accept fails until a connection closes,
            // and a loop would spin. Like Go's net/http: wait 5 ms, doubling
            // up to 1 s, and say so once.
            Err(e) => {
                if pause.is_zero() {
                    eprintln!("error: accept: {e}; trying again, more slowly");
                }
                pause = (pause * 2)
                    .clamp(Duration::from_millis(5), Duration::from_secs(1));
                thread::sleep(pause);
                continue;
            }
        };
        pause = Duration::ZERO;
        let dir = dir.clone();
        // A thread per connection: a slow sender only holds up its own thread.
        thread::spawn(move || {
            let peer = stream
                .peer_addr()
                .map_or_else(|_| "?".to_string(), |a| a.to_string());
            if let Err(e) = receive(stream, &dir, idle) {
                eprintln!("error: {peer}: {e}");
            }
        });
    }
    // ANCHOR_END: accept
    ExitCode::SUCCESS
}

/// `[--idle-timeout MS] [ADDR] [DIR]`; None on a usage error.
fn parse_args() -> Option<(String, PathBuf, Duration)> {
    let mut args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let mut idle = DEFAULT_IDLE;
    if args.first().is_some_and(|a| a == "--idle-timeout") {
        let ms: u64 = args.get(1)?.to_str()?.parse().ok()?;
        idle = Duration::from_millis(ms.max(1));
        args.drain(..2);
    }
    let mut args = args.into_iter();
    let addr = match args.next() {
        Some(addr) => addr.into_string().ok()?,
        None => DEFAULT_ADDR.to_string(),
    };
    let dir = PathBuf::from(args.next().unwrap_or_else(|| ".".into()));
    if args.next().is_some() || addr.starts_with('-') {
        return None;
    }
    Some((addr, dir, idle))
}

// ANCHOR: receive
/// One connection: read the name, answer, receive the bytes, save them.
fn receive(mut stream: TcpStream, dir: &Path, idle: Duration) -> io::Result<()> {
    // A sender that connects and says nothing (or stops halfway) must not hold a
    // thread forever: every read gives up after `idle`, with an error.
    stream.set_read_timeout(Some(idle))?;

    // Go: n, _ := conn.Read(buf); name := string(buf[:n]). One read, as
    // the protocol says; the buffer is bigger than 255 so that a longer
    // name is seen, not cut.
    let mut buf = vec![0u8; 64 * 1024];
    let n = stream.read(&mut buf)?;
    let name = match check_name(&buf[..n], dir) {
        Ok(name) => name.to_string(),
        Err(reason) => {
            eprintln!("refused: {reason}");
            return refuse(&mut stream, &reason);
        }
    };

    // The bytes go to a temporary file: until the last one has arrived, nobody must
    // see a file under `name`.
    let (part, mut file) = match Partial::create(dir) {
        Ok(created) => created,
        Err(e) => {
            refuse(&mut stream, &format!("cannot save: {e}"))?;
            return Err(e);
        }
    };
    stream.write_all(b"ok")?;
    // On Linux, zero_copy (at the end of this file) lets the kernel move the bytes.
    let bytes = match zero_copy::splice_to_eof(&stream, &file) {
        Some(received) => received?,
        None => copy_to_eof(&mut stream, &mut file, &mut buf)?,
    };

    // hard_link, not rename: rename replaces an existing file, hard_link
    // fails if the name exists, so a file saved meanwhile by another
    // connection is never clobbered.
    fs::hard_link(&part.path, dir.join(&name))?;
    println!("saved {name} ({bytes} bytes)");
    Ok(())
    // Dropping `part` removes the temporary name (the file lives on under `name`);
    // dropping `stream` closes the connection, which tells the sender we are done.
}

/// Say no: the reason (never starting with "ok"), then a half-close. A sender that
/// did not wait for `ok` may still be sending; closing with its bytes unread would
/// reset the connection, and a reset can swallow the reason before the sender reads
/// it. So read and drop what comes, up to a limit, until the sender closes too.
fn refuse(stream: &mut TcpStream, reason: &str) -> io::Result<()> {
    const DRAIN_LIMIT: u64 = 4 << 20;
    stream.write_all(reason.as_bytes())?;
    stream.shutdown(Shutdown::Write)?;
    let mut unread = (&*stream).take(DRAIN_LIMIT);
    let _ = io::copy(&mut unread, &mut io::sink());
    Ok(())
}
// ANCHOR_END: receive

// ANCHOR: copy
/// Go: `for { n, err := conn.Read(buf); if err == io.EOF { break };`
/// `file.Write(buf[:n]) }`.
fn copy_to_eof(
    stream: &mut TcpStream,
    file: &mut File,
    buf: &mut [u8],
) -> io::Result<u64> {
    let mut total = 0;
    loop {
        let n = match stream.read(buf) {
            // Go's io.EOF: the sender shut down its write half; the
            // file is complete.
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // A reset, or the idle timeout. This is NOT the end of the file:
            // treating it as one would save a truncated file as if it were whole.
            Err(e) => return Err(e),
        };
        file.write_all(&buf[..n])?;
        total += n as u64;
    }
}
// ANCHOR_END: copy

// ANCHOR: check_name
/// The name as text, or the reason it is refused. Whatever comes off the
/// wire is hostile until proved otherwise: `../../.bashrc` or `/etc/passwd`
/// joined onto `dir` would write outside it (`Path::join` with an absolute
/// path replaces the base).
fn check_name<'a>(bytes: &'a [u8], dir: &Path) -> Result<&'a str, String> {
    let name = std::str::from_utf8(bytes)
        .map_err(|_| "bad name: not UTF-8".to_string())?;
    if name.is_empty() {
        return Err("bad name: empty".into());
    }
    if name.len() > 255 {
        return Err(format!("bad name: {} bytes, at most 255", name.len()));
    }
    if name.contains(['/', '\\', '\0']) || name == "." || name == ".." {
        return Err(format!("bad name: {name:?} is not a plain file name"));
    }
    // symlink_metadata: a dangling symlink is taken too.
    if dir.join(name).symlink_metadata().is_ok() {
        return Err(format!("exists: {name}"));
    }
    Ok(name)
}
// ANCHOR_END: check_name

// ANCHOR: partial
/// The name of a temporary file in the target directory, removed when dropped,
/// whatever happened: an error, a reset, a timeout, even a panic.
struct Partial {
    path: PathBuf,
}

impl Partial {
    fn create(dir: &Path) -> io::Result<(Partial, File)> {
        // Unique per process and connection; a dot file, so `ls` does not show it.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path =
                dir.join(format!(".tcp_recv-{}-{n}.part", std::process::id()));
            // create_new: never open a file somebody else is writing.
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => return Ok((Partial { path }, file)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}
// ANCHOR_END: partial

// ANCHOR: zero_copy
/// The fast path: Linux's `splice(2)` moves bytes between a pipe and anything
/// else inside the kernel, so socket -> pipe -> file never copies them through
/// this process (the pipe holds references to the socket's pages, not a copy).
/// Same contract as `copy_to_eof`: only the sender's FIN ends the file; a reset
/// or the idle timeout is an error.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
mod zero_copy {
    use std::fs::File;
    use std::io::{self, Read};
    use std::net::TcpStream;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

    /// How much one splice moves at most: a pipe's default capacity, and the
    /// portable loop's buffer. Growing the pipe (fcntl F_SETPIPE_SZ) was measured
    /// slower, not faster: each write into the file then takes a whole pipe, and
    /// the page cache asks for bigger blocks of memory at once, which virtual
    /// machines are slow to hand out.
    const CHUNK: usize = 64 * 1024;

    // ANCHOR: splice_loop
    /// Receive until EOF into `file`. None: this kernel cannot splice between
    /// these, and nothing was read; the caller copies instead.
    pub fn splice_to_eof(
        stream: &TcpStream,
        file: &File,
    ) -> Option<io::Result<u64>> {
        // The bench sets it to measure the portable path beside this one.
        if std::env::var_os("NETLAB_NO_ZERO_COPY").is_some() {
            return None;
        }
        let (pipe_out, pipe_in) = match pipe() {
            Ok(ends) => ends,
            Err(_) => return None,
        };
        let mut received = 0;
        loop {
            let n = match splice(stream.as_raw_fd(), pipe_in.as_raw_fd(), CHUNK) {
                Ok(0) => return Some(Ok(received)),
                Ok(n) => n,
                // No splice from this socket: nothing was taken from it,
                // the caller copies.
                Err(e) if unsupported(&e) && received == 0 => return None,
                Err(e) => return Some(Err(e)),
            };
            // Empty the pipe into the file before taking more from the socket.
            let mut left = n;
            while left > 0 {
                match splice(pipe_out.as_raw_fd(), file.as_raw_fd(), left) {
                    Ok(0) => return Some(Err(io::ErrorKind::WriteZero.into())),
                    Ok(written) => left -= written,
                    // A file system that takes no splice (rare). These bytes
                    // are out of the socket already, so they must not be lost:
                    // move the rest by hand.
                    Err(e) if unsupported(&e) => {
                        let moved = received + (n - left) as u64;
                        return Some(
                            by_hand(pipe_out, left, stream, file)
                                .map(|m| moved + m),
                        );
                    }
                    Err(e) => return Some(Err(e)),
                }
            }
            received += n as u64;
        }
    }

    // ANCHOR_END: splice_loop

    fn unsupported(e: &io::Error) -> bool {
        matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS))
    }

    /// The slow way, from where the fast one stopped: `in_pipe` bytes still in
    /// the pipe, then the socket to its end.
    fn by_hand(
        pipe: OwnedFd,
        in_pipe: usize,
        stream: &TcpStream,
        file: &File,
    ) -> io::Result<u64> {
        let (mut stream, mut file) = (stream, file);
        let pending =
            io::copy(&mut File::from(pipe).take(in_pipe as u64), &mut file)?;
        Ok(pending + io::copy(&mut stream, &mut file)?)
    }

    /// A pipe: (read end, write end).
    fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
        let mut fds = [0; 2];
        // SAFETY: pipe2 writes two descriptors into `fds`, which has room for two.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: both were just opened, and nothing else owns them.
        Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
    }

    /// One splice(2) of up to `len` bytes, at the descriptors' own positions;
    /// retried when a signal interrupts it.
    fn splice(from: RawFd, to: RawFd, len: usize) -> io::Result<usize> {
        loop {
            // SAFETY: both descriptors are open for the call (the caller borrows
            // them); null offsets mean "the descriptor's own position".
            let n = unsafe {
                libc::splice(
                    from,
                    std::ptr::null_mut(),
                    to,
                    std::ptr::null_mut(),
                    len,
                    libc::SPLICE_F_MOVE,
                )
            };
            if n >= 0 {
                return Ok(n as usize);
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
    }
}

/// Elsewhere there is no fast path: copy_to_eof does the work.
#[cfg(not(target_os = "linux"))]
mod zero_copy {
    pub fn splice_to_eof(
        _: &std::net::TcpStream,
        _: &std::fs::File,
    ) -> Option<std::io::Result<u64>> {
        None
    }
}
// ANCHOR_END: zero_copy
