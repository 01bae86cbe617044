//! tcp_states: list TCP sockets and their states, like `netstat -an | grep PORT`, from
//! Linux's /proc/net/tcp and /proc/net/tcp6; `--demo` walks one loopback connection
//! through handshake, half-close and close. Book chapter: "tcp_states".
//! Check your work with `cargo test -p tcp_states`.
//!
//! Usage:
//!
//! ```text
//! tcp_states [PORT]              sockets from /proc, only those on PORT (local or remote)
//! tcp_states --file PATH [PORT]  the same, from a saved copy of /proc/net/tcp or tcp6
//! tcp_states --demo              the walk-through
//! ```
//!
//! Listing output: the header line `proto local remote state`, once, then one line per
//! socket and nothing else, four columns separated by spaces: `tcp` (IPv4) or `tcp6`
//! (IPv6), local address, remote address, state:
//!
//! ```text
//! proto local                   remote                  state
//! tcp   127.0.0.1:8000          0.0.0.0:0               LISTEN
//! tcp   127.0.0.1:41236         127.0.0.1:8000          FIN_WAIT2
//! tcp6  [::1]:8000              [::]:0                  LISTEN
//! tcp6  [::ffff:127.0.0.1]:8000 [::ffff:127.0.0.1]:4123 ESTABLISHED
//! ```
//!
//! Addresses print as Rust's `SocketAddr` does (`{}`); a v4-mapped IPv6 address stays
//! IPv6: `[::ffff:127.0.0.1]:8000`, as `ss` shows it.
//!
//! Demo output: first `demo: ... server ADDR` (the listener's address), then lines
//! `step N: client STATE server STATE`, with `-` for an end the kernel does not list (not
//! there yet, or gone); after the handshake, name the client's address (`the client is
//! ADDR`). The checks look for that connection in /proc/net/tcp: read the states from
//! there, never print them from a script. Other lines start with two spaces or `window:`.

fn main() {
    // Step 1. Arguments (`std::env::args_os().skip(1)`): none, `PORT` (decimal u16),
    //         `--file PATH [PORT]`, or `--demo`. Anything else (a port that is not a
    //         number from 0 to 65535, an unknown option, an extra argument): print the usage line
    //         `usage: tcp_states [PORT] | tcp_states --file PATH [PORT] | tcp_states --demo`
    //         to stderr and exit 2. A file that cannot be read: `error: ...`, exit 1.
    //
    // Step 2. Parse the table, a pure function `fn parse_table(text: &str) -> Vec<Socket>`.
    //         A line of /proc/net/tcp looks like
    //           `  0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 ...`
    //         slot, local address, remote address, state, ... Split on whitespace.
    //         - The port after `:` is hex: `u16::from_str_radix("1F40", 16)` is 8000.
    //         - The address is hex too, but it is the kernel's 32-bit word printed in the
    //           machine's byte order: 0100007F is 127.0.0.1, not 1.0.0.127. 8 digits:
    //           IPv4; 32 digits: IPv6, four such words (`u32::to_ne_bytes` helps).
    //         - The state is a hex code from 01 (ESTABLISHED) to 0B (CLOSING): ESTABLISHED
    //           SYN_SENT SYN_RECV FIN_WAIT1 FIN_WAIT2 TIME_WAIT CLOSE CLOSE_WAIT LAST_ACK
    //           LISTEN CLOSING.
    //         - The header line, and any line you cannot read, is skipped. Never unwrap:
    //           return Option from a `parse_line` and use `?`.
    //
    // Step 3. Read /proc/net/tcp AND /proc/net/tcp6 (`std::fs::read`, then
    //         `String::from_utf8_lossy`), or the `--file`. Print the header and the sockets
    //         whose local or remote port is PORT. No /proc/net/tcp (macOS, Windows):
    //         `error: ...` saying this needs Linux's /proc and to try `netstat -an`, exit 1.
    //
    // Step 4. `--demo`: TcpListener::bind("127.0.0.1:0"), TcpStream::connect, accept,
    //         write and read a few bytes, `shutdown(Shutdown::Write)` on the client, drop
    //         the server's stream. After each step read both ends' states from /proc with
    //         your parser (poll for a moment, with a deadline, until they change: the
    //         kernel is a little behind your calls) and print
    //           step 1: client - server LISTEN
    //           step 2: client ESTABLISHED server ESTABLISHED
    //           step 3: client ESTABLISHED server ESTABLISHED
    //           step 4: client FIN_WAIT2 server CLOSE_WAIT
    //           step 5: client TIME_WAIT server -
    //         Then the window: a second connection whose server does not read; the client
    //         `set_nonblocking(true)` and writes until `ErrorKind::WouldBlock`. Print
    //           window: the client wrote N bytes, then write would block
    //         then the two sockets' queues, found with your parser by their addresses:
    //           window: /proc/net/tcp shows X bytes not yet acknowledged in the client's
    //           send queue (tx_queue), Y not yet read in the server's (rx_queue)
    //         (one line), then the kernel's starting buffer sizes, the
    //         middle figures of /proc/sys/net/ipv4/tcp_wmem and tcp_rmem, read from there:
    //           window: buffers start at W bytes to send (tcp_wmem) and R to receive (tcp_rmem)
    //         then let the server read all N bytes, write again and print
    //           window: the server read N bytes; the client then wrote M more
    todo!("list TCP sockets from /proc/net/tcp and tcp6, and the --demo")
}
