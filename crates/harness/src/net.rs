//! Socket helpers every exercise's peers share: accept with a deadline, whether anybody
//! connected, whether this machine has an IPv6 loopback. The peers themselves (awkward
//! clients and servers) live with their exercise's checks.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};

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
    let accepted = crate::wait::until_deadline(deadline, || match listener.accept() {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => stop
            .load(Ordering::SeqCst)
            .then(|| Err("nobody connected".to_string())),
        Err(e) => Some(Err(format!("accept failed: {e}"))),
        Ok((stream, _)) => Some(Ok(stream)),
    });
    let stream = match accepted {
        Ok(accepted) => accepted?,
        Err(_) => {
            return Err(format!(
                "nobody connected within {} ms",
                timeout.as_millis()
            ));
        }
    };
    stream
        .set_nonblocking(false)
        .map_err(|e| format!("could not set up the connection: {e}"))?;
    Ok(stream)
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
