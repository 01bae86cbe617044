//! Reference solution for tcp_file's sender: the Go course's protocol byte
//! for byte (the bare name in one write, wait for `ok`, stream the bytes,
//! half-close, wait for the close).

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: tcp_send FILE [ADDR]";
/// The Go course's port.
const DEFAULT_ADDR: &str = "127.0.0.1:8000";
/// A receiver that drops SYNs (a firewall, a full backlog) must
/// not hang us for minutes.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A receiver that goes silent (no reply, never closes) must not
/// hang us forever either.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let (file, addr) = match args.as_slice() {
        [file] => (file, Some(DEFAULT_ADDR)),
        [file, addr] => (file, addr.to_str()),
        _ => (&OsString::new(), None),
    };
    let Some(addr) = addr.filter(|_| !file.is_empty()) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match send(Path::new(file), addr) {
        Ok((name, bytes)) => {
            println!("sent {name} ({bytes} bytes)");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Send one file; returns the name it went under and how many bytes were sent.
fn send(path: &Path, addr: &str) -> Result<(String, u64), String> {
    // ANCHOR: open
    // Go: os.Open + file.Stat(). Everything that can go wrong with the file goes
    // wrong here, before we connect: the receiver never sees a name we cannot send.
    let shown = path.display();
    let mut file = File::open(path).map_err(|e| format!("{shown}: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("{shown}: {e}"))?;
    if !meta.is_file() {
        // File::open succeeds on a directory on Unix; reading it then fails.
        return Err(format!("{shown}: not a regular file"));
    }
    // Go: FileInfo.Name(), the last component. Sending `dir/file.txt` would ask the
    // receiver to write into a folder of its own called `dir`.
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| format!("{shown}: the file name is not UTF-8"))?;
    if name.len() > 255 {
        return Err(format!("{shown}: the name is longer than 255 bytes"));
    }
    // ANCHOR_END: open

    // ANCHOR: handshake
    // Go: net.Dial("tcp", addr), with a deadline.
    let addr = resolve(addr)?;
    let mut stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(READ_TIMEOUT))
        .map_err(|e| e.to_string())?;

    // Go: conn.Write([]byte(name)). One write, no terminator: the receiver reads
    // the name with one read, so nothing else may travel with it.
    stream
        .write_all(name.as_bytes())
        .map_err(|e| format!("{addr}: sending the name: {e}"))?;

    // Go: n, _ := conn.Read(buf); string(buf[:n]) == "ok". Until the receiver says
    // ok, not one byte of the file may go out: it would be glued to the name.
    // Room for a reason that quotes a name of 255 bytes (`exists: NAME`).
    let mut reply = [0u8; 1024];
    let n = stream
        .read(&mut reply)
        .map_err(|e| format!("{addr}: waiting for ok: {e}"))?;
    match &reply[..n] {
        b"ok" => {}
        [] => return Err(format!("{addr} closed the connection without a reply")),
        reason => {
            let reason = String::from_utf8_lossy(reason);
            return Err(format!("{addr} refused {name}: {}", reason.trim()));
        }
    }
    // ANCHOR_END: handshake

    // ANCHOR: stream
    // Go: io.Copy(conn, file), or a loop of file.Read / conn.Write. io::copy
    // moves the bytes through one 8 KiB buffer, whatever the file's size:
    // memory stays flat. On Linux, zero_copy (at the end of this file)
    // lets the kernel do it instead.
    let bytes = match zero_copy::send_file(&file, &stream) {
        Some(sent) => sent,
        None => io::copy(&mut file, &mut stream),
    }
    .map_err(|e| format!("{addr}: sending: {e}"))?;

    // Half-close: a FIN says "that was the last byte", which the receiver reads as
    // EOF. The socket stays open for reading.
    stream
        .shutdown(Shutdown::Write)
        .map_err(|e| format!("{addr}: {e}"))?;

    // Wait for the receiver's close. Our FIN only means the bytes left our socket;
    // the receiver closes after it has saved the file, so exiting now would be
    // claiming a success we do not know about yet.
    io::copy(&mut stream, &mut io::sink())
        .map_err(|e| format!("{addr}: waiting for the receiver to finish: {e}"))?;
    // ANCHOR_END: stream
    Ok((name.to_string(), bytes))
}

/// The first address `addr` names (`127.0.0.1:8000`, `localhost:8000`).
fn resolve(addr: &str) -> Result<SocketAddr, String> {
    addr.to_socket_addrs()
        .map_err(|e| format!("bad address {addr:?}: {e}"))?
        .next()
        .ok_or_else(|| format!("bad address {addr:?}: it names no host"))
}

// ANCHOR: zero_copy
/// The fast path: Linux's `sendfile(2)` moves the file into the socket inside
/// the kernel, from the page cache, without copying it through this process.
/// std's io::copy will not do it for a file into a socket (pages still queued
/// in the socket would show later changes to the file), and a file being sent
/// is not being changed here, so we ask.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
mod zero_copy {
    use std::fs::File;
    use std::io;
    use std::net::TcpStream;
    use std::os::fd::AsRawFd;

    /// Send the rest of `file` into `stream`. None: this kernel cannot sendfile
    /// between these two, and nothing was sent; the caller copies instead.
    pub fn send_file(file: &File, stream: &TcpStream) -> Option<io::Result<u64>> {
        // The bench sets it to measure the portable path beside this one.
        if std::env::var_os("NETLAB_NO_ZERO_COPY").is_some() {
            return None;
        }
        let mut sent = 0;
        loop {
            // SAFETY: both descriptors are borrowed, so open for the whole
            // call; a null offset makes the kernel read from, and advance,
            // the file's own position.
            let n = unsafe {
                libc::sendfile(
                    stream.as_raw_fd(),
                    file.as_raw_fd(),
                    std::ptr::null_mut(),
                    1 << 30,
                )
            };
            match n {
                0 => return Some(Ok(sent)),
                1.. => sent += n as u64,
                _ => {
                    let err = io::Error::last_os_error();
                    match err.raw_os_error() {
                        Some(libc::EINTR) => continue,
                        Some(libc::EINVAL | libc::ENOSYS) if sent == 0 => {
                            return None;
                        }
                        _ => return Some(Err(err)),
                    }
                }
            }
        }
    }
}

/// Elsewhere there is no fast path: io::copy does the work.
#[cfg(not(target_os = "linux"))]
mod zero_copy {
    pub fn send_file(
        _: &std::fs::File,
        _: &std::net::TcpStream,
    ) -> Option<std::io::Result<u64>> {
        None
    }
}
// ANCHOR_END: zero_copy
