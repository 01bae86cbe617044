//! udp_client: send a message to a UDP echo server and print its reply, retrying when a
//! datagram is lost. Book chapter: "udp_cs". Check your work with `cargo test -p udp_cs`.
//!
//! ```text
//! $ udp_client 127.0.0.1:8003 hello UDP world
//! hello UDP world
//! $ printf 'one\ntwo\n' | udp_client --timeout 500 --tries 5 127.0.0.1:8003
//! one
//! two
//! ```

fn main() {
    // Step 1. Arguments: `[--timeout MS] [--tries N] ADDR [MESSAGE...]`. The timeout is in
    //         milliseconds (default 1000), tries is how many times to send before giving
    //         up (default 3); both must be whole numbers of at least 1. A bad value, an
    //         unknown `--option` or no ADDR: print
    //         `usage: udp_client [--timeout MS] [--tries N] ADDR [MESSAGE...]` to stderr and
    //         exit with code 2.
    //
    // Step 2. Go: conn, err := net.Dial("udp", addr). Rust takes two steps:
    //           let socket = UdpSocket::bind("0.0.0.0:0")?;   // any free local port
    //           socket.connect(addr)?;                        // ADDR: ToSocketAddrs
    //         A connected UDP socket sends only to ADDR and the kernel drops datagrams from
    //         anybody else, so a stranger cannot answer in the server's place. An IPv6 ADDR
    //         such as [::1]:8003 needs an IPv6 socket: bind "[::]:0" for it.
    //
    // Step 3. The message is the remaining words joined by one space, sent as ONE datagram:
    //           Go: conn.Write(msg)  ->  socket.send(msg)
    //           Go: conn.Read(buf)   ->  socket.recv(&mut buf)
    //         Print the reply and a newline. No MESSAGE words: do that for every line of
    //         stdin (without its newline), printing the replies in order.
    //         Lines and replies are bytes, not text: read stdin with
    //         `BufRead::split(b'\n')`, print with `stdout.write_all(&reply)`, nothing
    //         trimmed or replaced. The receive buffer must hold any datagram: 65,536 bytes.
    //
    // Step 4. UDP loses datagrams, and then recv waits forever. Go sets
    //         conn.SetReadDeadline; Rust: `socket.set_read_timeout(Some(duration))`, after
    //         which recv fails with ErrorKind::WouldBlock (TimedOut on Windows). Then send
    //         again, up to N tries in all; after that print
    //         `error: no reply from ADDR after N tries` to stderr and exit with code 1.
    //         The timeout is in milliseconds (Duration::from_millis). When nothing listens
    //         on ADDR, recv fails with ErrorKind::ConnectionRefused: that is one more try
    //         without an answer, not the end.
    //
    // Step 5. A reply can come twice, or late. A datagram that is not the echo of what you
    //         just sent is stale: skip it and keep waiting, or line 2 gets line 1's reply.
    todo!("send each message as one datagram from a connected socket and print the reply")
}
