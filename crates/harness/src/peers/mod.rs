//! Peers: awkward clients and servers, written in Rust, that checks put the student's
//! programs up against (loss, duplication, strangers, slow or hostile senders).
pub mod http;
pub mod tcp_file;
pub mod udp;

use std::io;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// Accept one connection within `timeout`, or until `stop` is set and none is waiting.
/// std's accept has no deadline, so the listener is polled in non-blocking mode with a
/// short, bounded pause. The connection is handed back blocking.
pub fn accept(
    listener: &TcpListener,
    timeout: Duration,
    stop: &AtomicBool,
) -> Result<TcpStream, String> {
    let deadline = Instant::now() + timeout;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("could not poll the listener: {e}"))?;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream
                    .set_nonblocking(false)
                    .map_err(|e| format!("could not set up the connection: {e}"))?;
                return Ok(stream);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if stop.load(Ordering::SeqCst) {
                    return Err("nobody connected".to_string());
                }
                if Instant::now() >= deadline {
                    return Err(format!(
                        "nobody connected within {} ms",
                        timeout.as_millis()
                    ));
                }
                thread::sleep(Duration::from_millis(2));
            }
            Err(e) => return Err(format!("accept failed: {e}")),
        }
    }
}

/// Whether anybody has connected to `listener` (without waiting): a program that must
/// not connect (a bad argument) did.
pub fn anybody_connected(listener: &TcpListener) -> bool {
    listener.set_nonblocking(true).is_ok() && listener.accept().is_ok()
}

/// Whether this machine has an IPv6 loopback (a container may have none); without one
/// the IPv6 checks make the same exchange over IPv4, so that they still look at something.
pub fn has_ipv6() -> bool {
    std::net::UdpSocket::bind("[::1]:0").is_ok()
}
