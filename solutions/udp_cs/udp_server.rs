//! Reference solution for udp_server: a UDP echo server. One socket, one
//! loop, any number of clients: every datagram goes back, byte for byte,
//! to the address it came from.

use std::net::UdpSocket;
use std::process::ExitCode;
use std::thread;

const USAGE: &str = "usage: udp_server [ADDR]";
/// The Go course's port.
const DEFAULT_ADDR: &str = "127.0.0.1:8003";

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let addr = match args.as_slice() {
        [] => DEFAULT_ADDR.to_string(),
        [addr] => match addr.to_str() {
            Some(addr) => addr.to_string(),
            None => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };

    // ANCHOR: bind
    // Go: net.ResolveUDPAddr + net.ListenUDP. `bind` resolves ("localhost:8003"
    // works too) and binds in one call. On Linux, per_core (at the end of this
    // file) binds one socket per core to the address instead.
    let bound = match per_core::bind(&addr) {
        Some(sockets) => sockets,
        None => UdpSocket::bind(&addr).map(|socket| vec![socket]),
    };
    let sockets = match bound {
        Ok(sockets) => sockets,
        Err(err) => {
            eprintln!("error: cannot listen on {addr}: {err}");
            return ExitCode::FAILURE;
        }
    };
    let Some((first, others)) = sockets.split_first() else {
        eprintln!("error: cannot listen on {addr}: no socket");
        return ExitCode::FAILURE;
    };
    // Print the address the socket really got: with port 0 the OS picks a free
    // port, and whoever started us can only find it here.
    match first.local_addr() {
        Ok(local) => println!("listening on {local}"),
        Err(err) => {
            eprintln!("error: cannot read the bound address: {err}");
            return ExitCode::FAILURE;
        }
    }
    // ANCHOR_END: bind

    // One thread per socket, each running the same loop; usually there is just one.
    thread::scope(|scope| {
        for socket in others {
            scope.spawn(move || serve(socket));
        }
        serve(first)
    })
}

// ANCHOR: serve
/// Echo every datagram to its sender, forever.
fn serve(socket: &UdpSocket) -> ! {
    // Bigger than any UDP payload (65,507 bytes over IPv4). A datagram
    // longer than the buffer is cut to fit without any error, so a small
    // buffer silently loses data.
    let mut buf = vec![0u8; 65_536];
    loop {
        // Go: conn.ReadFromUDP(buf). No connection: each datagram says who sent it.
        let (len, peer) = match socket.recv_from(&mut buf) {
            Ok(received) => received,
            Err(err) => {
                // One bad datagram must not stop the server. On Windows a
                // client that went away makes the *next* recv_from fail with
                // ConnectionReset (WSAECONNRESET).
                eprintln!("error: receive: {err}");
                continue;
            }
        };
        // The payload is bytes, not text: send it back untouched, whatever it
        // holds. Go: conn.WriteToUDP(buf[:n], addr).
        if let Err(err) = socket.send_to(&buf[..len], peer) {
            eprintln!("error: reply to {peer}: {err}");
        }
    }
}
// ANCHOR_END: serve

// ANCHOR: per_core
/// The fast path: one loop answers on one core, however many clients there are.
/// Linux lets several sockets share one address when each sets SO_REUSEPORT before
/// binding; it then spreads the clients over them (by their address), so one
/// socket and one thread per core answer side by side, with no queue or lock shared
/// between them. std cannot set the option before `bind`, so the sockets are made
/// with socket2, the crate std's own networking grew out of.
#[cfg(target_os = "linux")]
mod per_core {
    use std::io;
    use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};

    use socket2::{Domain, Socket, Type};

    /// One socket per core, all bound to `addr`. None: one core, so
    /// one plain socket will do.
    pub fn bind(addr: &str) -> Option<io::Result<Vec<UdpSocket>>> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        if cores == 1 {
            return None;
        }
        Some(bind_many(addr, cores))
    }

    fn bind_many(addr: &str, count: usize) -> io::Result<Vec<UdpSocket>> {
        let Some(mut addr) = addr.to_socket_addrs()?.next() else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "it names no host",
            ));
        };
        let mut sockets = Vec::with_capacity(count);
        for _ in 0..count {
            let socket = bind_shared(addr)?;
            // Port 0 picks a free port: the others must join the port
            // the first one got.
            addr = socket.local_addr()?;
            sockets.push(socket);
        }
        Ok(sockets)
    }

    fn bind_shared(addr: SocketAddr) -> io::Result<UdpSocket> {
        let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, None)?;
        socket.set_reuse_port(true)?;
        socket.bind(&addr.into())?;
        Ok(socket.into())
    }
}

/// Elsewhere, one socket: UdpSocket::bind.
#[cfg(not(target_os = "linux"))]
mod per_core {
    pub fn bind(_: &str) -> Option<std::io::Result<Vec<std::net::UdpSocket>>> {
        None
    }
}
// ANCHOR_END: per_core
