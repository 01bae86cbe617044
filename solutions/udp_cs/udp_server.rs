//! Reference solution for udp_server: a UDP echo server. One socket, one loop, any number
//! of clients: every datagram goes back, byte for byte, to the address it came from.

use std::net::UdpSocket;
use std::process::ExitCode;

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
    // Go: net.ResolveUDPAddr + net.ListenUDP. `bind` resolves ("localhost:8003" works too)
    // and binds in one call.
    let socket = match UdpSocket::bind(&addr) {
        Ok(socket) => socket,
        Err(err) => {
            eprintln!("error: cannot listen on {addr}: {err}");
            return ExitCode::FAILURE;
        }
    };
    // Print the address the socket really got: with port 0 the OS picks a free port, and
    // whoever started us can only find it here.
    match socket.local_addr() {
        Ok(local) => println!("listening on {local}"),
        Err(err) => {
            eprintln!("error: cannot read the bound address: {err}");
            return ExitCode::FAILURE;
        }
    }
    // ANCHOR_END: bind
    serve(&socket)
}

// ANCHOR: serve
/// Echo every datagram to its sender, forever.
fn serve(socket: &UdpSocket) -> ! {
    // Bigger than any UDP payload (65,507 bytes over IPv4). A datagram longer than the
    // buffer is cut to fit without any error, so a small buffer silently loses data.
    let mut buf = vec![0u8; 65_536];
    loop {
        // Go: conn.ReadFromUDP(buf). No connection: each datagram says who sent it.
        let (len, peer) = match socket.recv_from(&mut buf) {
            Ok(received) => received,
            Err(err) => {
                // One bad datagram must not stop the server. On Windows a client that went
                // away makes the *next* recv_from fail with ConnectionReset (WSAECONNRESET).
                eprintln!("error: receive: {err}");
                continue;
            }
        };
        // The payload is bytes, not text: send it back untouched, whatever it holds.
        // Go: conn.WriteToUDP(buf[:n], addr).
        if let Err(err) = socket.send_to(&buf[..len], peer) {
            eprintln!("error: reply to {peer}: {err}");
        }
    }
}
// ANCHOR_END: serve
