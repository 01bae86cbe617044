//! udp_server: a UDP echo server. Every datagram that arrives goes back, byte for byte, to
//! the address it came from. Book chapter: "udp_cs". Check your work with `cargo test -p udp_cs`.
//!
//! ```text
//! $ udp_server 127.0.0.1:8003
//! listening on 127.0.0.1:8003
//! ```

fn main() {
    // Step 1. The listen address is the first argument, `127.0.0.1:8003` when there is
    //         none. More than one argument: print `usage: udp_server [ADDR]` to stderr and
    //         exit with code 2.
    //
    // Step 2. Go: net.ResolveUDPAddr("udp", addr) then net.ListenUDP("udp", udpAddr).
    //         Rust: `std::net::UdpSocket::bind(addr)` does both (it takes anything that
    //         implements `ToSocketAddrs`, such as "127.0.0.1:8003" or "[::1]:0"). On error
    //         (the port is taken, say) print `error: ...` with the reason to stderr and
    //         exit with code 1: no unwrap, and no `?` out of main, which prints `Error: ...`.
    //
    // Step 3. Print `listening on <ADDR>`, where ADDR is `socket.local_addr()`: when the
    //         port asked for is 0, the OS picks one, and this line is how others find it.
    //         Bind the address you were given, not 0.0.0.0.
    //
    // Step 4. Loop forever:
    //           Go: n, addr, err := conn.ReadFromUDP(buf)  ->  socket.recv_from(&mut buf)
    //           Go: conn.WriteToUDP(buf[:n], addr)          ->  socket.send_to(&buf[..n], addr)
    //         - The buffer must hold the largest datagram, 65,507 bytes: a longer datagram
    //           is cut to the buffer's size without any error.
    //         - Send the bytes back as they are. They are not text: no String::from_utf8.
    //         - Reply to the address recv_from gave you for *this* datagram: many clients
    //           share the one socket.
    //         - An error from recv_from or send_to: print `error: ...` and go on with the
    //           next datagram. (On Windows, a client that went away makes the next
    //           recv_from fail with ConnectionReset; that must not stop the server.)
    todo!("bind a UDP socket, print `listening on ADDR`, echo every datagram to its sender")
}
