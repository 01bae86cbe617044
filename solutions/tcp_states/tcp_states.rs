//! Reference solution for tcp_states: list TCP sockets and their states from
//! Linux's /proc/net/tcp and /proc/net/tcp6 (like `netstat -an | grep PORT`),
//! and `--demo`: walk one loopback connection through handshake, half-close,
//! close and a full send window.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream,
};
use std::path::PathBuf;
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

const USAGE: &str =
    "usage: tcp_states [PORT] | tcp_states --file PATH [PORT] | tcp_states --demo";

/// What the command line asked for.
enum Mode {
    /// List sockets from /proc, or from a recorded file, optionally
    /// only those on one port.
    List {
        file: Option<PathBuf>,
        port: Option<u16>,
    },
    Demo,
}

fn main() -> ExitCode {
    let args: Vec<OsString> = env::args_os().skip(1).collect();
    let Some(mode) = parse_args(&args) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match mode {
        Mode::List { file, port } => list(file, port),
        Mode::Demo => demo(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `[PORT]`, `--file PATH [PORT]` or `--demo`; None is a usage error.
fn parse_args(args: &[OsString]) -> Option<Mode> {
    // A port is a decimal number a person typed: 8000, not 1F40.
    let port = |arg: &OsString| arg.to_str()?.parse::<u16>().ok();
    match args {
        [] => Some(Mode::List {
            file: None,
            port: None,
        }),
        [flag] if flag == "--demo" => Some(Mode::Demo),
        [flag, path, rest @ ..] if flag == "--file" && rest.len() <= 1 => {
            Some(Mode::List {
                file: Some(PathBuf::from(path)),
                port: match rest.first() {
                    Some(arg) => Some(port(arg)?),
                    None => None,
                },
            })
        }
        [arg] => Some(Mode::List {
            file: None,
            port: Some(port(arg)?),
        }),
        _ => None,
    }
}

// ANCHOR: parse
/// One row of /proc/net/tcp or /proc/net/tcp6.
#[derive(Clone, Debug, PartialEq)]
struct Socket {
    local: SocketAddr,
    remote: SocketAddr,
    state: &'static str,
    /// Bytes sent but not yet acknowledged by the peer (`tx_queue`).
    send_queue: u64,
    /// Bytes received but not yet read by the program (`rx_queue`).
    recv_queue: u64,
}

/// The kernel's state codes 01..0B (include/net/tcp_states.h), in order, with the
/// names netstat and ss print. There is no state 00: index with `code - 1`.
const STATES: [&str; 11] = [
    "ESTABLISHED", // 01
    "SYN_SENT",    // 02
    "SYN_RECV",    // 03
    "FIN_WAIT1",   // 04
    "FIN_WAIT2",   // 05
    "TIME_WAIT",   // 06
    "CLOSE",       // 07
    "CLOSE_WAIT",  // 08
    "LAST_ACK",    // 09
    "LISTEN",      // 0A
    "CLOSING",     // 0B
];

/// Every socket in the text of /proc/net/tcp or tcp6 (or both, concatenated). A
/// pure function of the text: the header and any line it cannot read are skipped.
fn parse_table(text: &str) -> Vec<Socket> {
    text.lines().filter_map(parse_line).collect()
}

/// `  0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 ...`
/// (slot, local, remote, state, tx_queue:rx_queue, then fields we do not need).
fn parse_line(line: &str) -> Option<Socket> {
    let mut fields = line.split_whitespace();
    // The header starts with `sl`, not with a slot number and a colon.
    fields.next()?.strip_suffix(':')?.parse::<u32>().ok()?;
    let local = parse_addr(fields.next()?)?;
    let remote = parse_addr(fields.next()?)?;
    let code = usize::from(u8::from_str_radix(hex(fields.next()?)?, 16).ok()?);
    let state = STATES.get(code.checked_sub(1)?)?;
    let (tx, rx) = fields.next()?.split_once(':')?;
    Some(Socket {
        local,
        remote,
        state,
        send_queue: u64::from_str_radix(hex(tx)?, 16).ok()?,
        recv_queue: u64::from_str_radix(hex(rx)?, 16).ok()?,
    })
}

/// `0100007F:1F40` is 127.0.0.1:8000. The port is a plain hex number,
/// but the address is the kernel's 32-bit words printed as numbers in the
/// machine's own byte order: on x86 and ARM (little-endian) the bytes of
/// each word come out reversed.
fn parse_addr(field: &str) -> Option<SocketAddr> {
    let (ip, port) = field.split_once(':')?;
    let port = u16::from_str_radix(hex(port)?, 16).ok()?;
    let ip = hex(ip)?;
    let ip: IpAddr = match ip.len() {
        8 => Ipv4Addr::from(word(ip)?).into(),
        // IPv6: four such words. A v4-mapped address (an IPv6 socket
        // talking to an IPv4 peer) stays IPv6 and prints as ss prints it:
        // [::ffff:127.0.0.1]:8000.
        32 => {
            let mut bytes = [0u8; 16];
            for (i, chunk) in bytes.chunks_exact_mut(4).enumerate() {
                chunk.copy_from_slice(&word(&ip[i * 8..i * 8 + 8])?);
            }
            Ipv6Addr::from(bytes).into()
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// Eight hex digits, one 32-bit word in host byte order, as the
/// four bytes in memory.
fn word(hex: &str) -> Option<[u8; 4]> {
    Some(u32::from_str_radix(hex, 16).ok()?.to_ne_bytes())
}

/// The text if it is only hex digits (from_str_radix alone would take a leading
/// `+`, and slicing a string with multi-byte characters by position could panic).
fn hex(text: &str) -> Option<&str> {
    let ok = !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then_some(text)
}
// ANCHOR_END: parse

// ANCHOR: read
/// The kernel's socket tables now: /proc/net/tcp, then /proc/net/tcp6.
fn read_proc() -> io::Result<Vec<Socket>> {
    let v4 = fs::read("/proc/net/tcp").map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "cannot read /proc/net/tcp ({e}): tcp_states needs Linux's /proc; \
                 elsewhere run `netstat -an` (macOS, Windows) to see the same table"
            ),
        )
    })?;
    let mut sockets = parse_table(&String::from_utf8_lossy(&v4));
    // A kernel without IPv6 has no tcp6 table; that is not an error.
    match fs::read("/proc/net/tcp6") {
        Ok(v6) => sockets.extend(parse_table(&String::from_utf8_lossy(&v6))),
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => {
            return Err(io::Error::new(e.kind(), format!("/proc/net/tcp6: {e}")));
        }
    }
    Ok(sockets)
}
// ANCHOR_END: read

// ANCHOR: list
fn list(file: Option<PathBuf>, port: Option<u16>) -> io::Result<()> {
    let sockets = match file {
        Some(path) => {
            // A saved table is a few MB at most; the cap keeps `--file /dev/zero`
            // from eating all memory.
            let mut bytes = Vec::new();
            fs::File::open(&path)
                .and_then(|file| file.take(64 << 20).read_to_end(&mut bytes))
                .map_err(|e| {
                    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
                })?;
            // Lossy: a stray byte spoils one line, which is then
            // skipped, not the file.
            parse_table(&String::from_utf8_lossy(&bytes))
        }
        None => read_proc()?,
    };
    println!("{:<5} {:<23} {:<23} state", "proto", "local", "remote");
    for s in sockets {
        if port.is_some_and(|p| s.local.port() != p && s.remote.port() != p) {
            continue;
        }
        let proto = if s.local.is_ipv4() { "tcp" } else { "tcp6" };
        println!("{proto:<5} {:<23} {:<23} {}", s.local, s.remote, s.state);
    }
    Ok(())
}
// ANCHOR_END: list

// ANCHOR: watch
/// The state of the socket whose local address is `local` (and, when
/// given, whose peer is `remote`), or `-` when the kernel lists no such
/// socket (closed and gone).
fn state_of(
    local: SocketAddr,
    remote: Option<SocketAddr>,
) -> io::Result<&'static str> {
    Ok(read_proc()?
        .into_iter()
        .find(|s| s.local == local && remote.is_none_or(|r| s.remote == r))
        .map_or("-", |s| s.state))
}

/// Wait until the two ends show the states `want`: the kernel changes state when
/// packets arrive, a moment after our call returned. The wait is bounded; whatever
/// the kernel shows at the deadline is what gets printed.
fn settle(
    client: Option<(SocketAddr, SocketAddr)>,
    server: (SocketAddr, Option<SocketAddr>),
    want: (&str, &str),
) -> io::Result<(&'static str, &'static str)> {
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut pause = Duration::from_millis(1);
    loop {
        let c = match client {
            Some((local, remote)) => state_of(local, Some(remote))?,
            None => "-",
        };
        let s = state_of(server.0, server.1)?;
        if (c, s) == want || Instant::now() >= deadline {
            return Ok((c, s));
        }
        // Each look reads the kernel's whole table, thousands of lines on a busy
        // machine: look again soon, then less and less often, never in a spin.
        thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}
// ANCHOR_END: watch

// ANCHOR: demo
fn demo() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let server_addr = listener.local_addr()?;
    println!("demo: one connection on loopback, server {server_addr}");

    let (c, s) = settle(None, (server_addr, None), ("-", "LISTEN"))?;
    println!("step 1: client {c} server {s}");
    println!(
        "  the server called listen(): the kernel now answers SYNs on this port"
    );

    // connect() returns once the three-way handshake is done: SYN, SYN-ACK, ACK.
    let mut client = TcpStream::connect(server_addr)?;
    let (mut conn, client_addr) = listener.accept()?;
    let ends = (
        Some((client_addr, server_addr)),
        (server_addr, Some(client_addr)),
    );
    let (c, s) = settle(ends.0, ends.1, ("ESTABLISHED", "ESTABLISHED"))?;
    println!("step 2: client {c} server {s}");
    println!(
        "  connect() returned after SYN, SYN-ACK, ACK; the client is {client_addr}"
    );

    client.write_all(b"hello")?;
    let mut buf = [0u8; 5];
    conn.read_exact(&mut buf)?;
    let (c, s) = settle(ends.0, ends.1, ("ESTABLISHED", "ESTABLISHED"))?;
    println!("step 3: client {c} server {s}");
    println!("  the client wrote 5 bytes and the server read them; each was ACKed");

    // Half-close: the client says "no more data from me" (FIN) but can still read.
    client.shutdown(Shutdown::Write)?;
    let (c, s) = settle(ends.0, ends.1, ("FIN_WAIT2", "CLOSE_WAIT"))?;
    println!("step 4: client {c} server {s}");
    let eof = conn.read(&mut buf)?;
    println!(
        "  the client shut down writing (FIN, ACKed); \
         the server's read returns {eof}"
    );
    println!(
        "  (end of file) but it may still send: the connection is half-closed"
    );

    // The server closes: its FIN goes out (LAST_ACK, too brief to see on loopback),
    // the client ACKs it and keeps the connection's memory in TIME_WAIT.
    drop(conn);
    let (c, s) = settle(ends.0, ends.1, ("TIME_WAIT", "-"))?;
    println!("step 5: client {c} server {s}");
    println!(
        "  the server closed (FIN, then LAST_ACK until the client's ACK): \
         it is gone;"
    );
    println!(
        "  the client stays in TIME_WAIT for 2MSL, 60 s on Linux \
         (not waiting for it here)"
    );
    drop(client);

    window(&listener)
}
// ANCHOR_END: demo

// ANCHOR: window
/// A server that does not read, a client that writes until the
/// kernel will take no more.
fn window(listener: &TcpListener) -> io::Result<()> {
    let mut client = TcpStream::connect(listener.local_addr()?)?;
    let (mut conn, _) = listener.accept()?;
    client.set_nonblocking(true)?;

    let chunk = [b'x'; 64 * 1024];
    let accepted = write_until_blocked(&mut client, &chunk)?;
    println!("window: the client wrote {accepted} bytes, then write would block");
    let (local, remote) = (client.local_addr()?, client.peer_addr()?);
    let queues = read_proc()?;
    let queue = |local, remote| {
        queues
            .iter()
            .find(|s| s.local == local && s.remote == remote)
    };
    // Both ends are there while the connection is open: not finding them is a bug.
    let (Some(c), Some(s)) = (queue(local, remote), queue(remote, local)) else {
        return Err(io::Error::other(
            "the window's sockets are not in /proc/net/tcp",
        ));
    };
    println!(
        "window: /proc/net/tcp shows {} bytes not yet acknowledged in the client's \
         send queue (tx_queue), {} not yet read in the server's (rx_queue)",
        c.send_queue, s.recv_queue
    );
    // std cannot ask for SO_SNDBUF/SO_RCVBUF; these are the kernel's starting
    // sizes, which Linux grows per connection up to the third figure of each file.
    println!(
        "window: buffers start at {} bytes to send (tcp_wmem) \
         and {} to receive (tcp_rmem)",
        sysctl_default("/proc/sys/net/ipv4/tcp_wmem"),
        sysctl_default("/proc/sys/net/ipv4/tcp_rmem"),
    );

    // The server reads everything: the window opens again and the writer moves on.
    let mut sink = vec![0u8; accepted];
    conn.read_exact(&mut sink)?;
    let more = write_some(&mut client, &chunk)?;
    println!(
        "window: the server read {accepted} bytes; \
         the client then wrote {more} more"
    );
    Ok(())
}

/// Write `chunk` over and over until the socket says WouldBlock:
/// both buffers are full.
fn write_until_blocked(stream: &mut TcpStream, chunk: &[u8]) -> io::Result<usize> {
    let mut total = 0;
    loop {
        match stream.write(chunk) {
            Ok(n) => total += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(total),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// After the peer read, write again: the ACKs that free our buffer arrive a moment
/// later, so try until something is accepted, within a deadline.
fn write_some(stream: &mut TcpStream, chunk: &[u8]) -> io::Result<usize> {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        match stream.write(chunk) {
            Ok(n) => return Ok(n),
            Err(e)
                if e.kind() == ErrorKind::WouldBlock
                    && Instant::now() < deadline =>
            {
                thread::sleep(Duration::from_millis(2));
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(0),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// The middle figure (the default) of `min default max` in a
/// tcp_wmem/tcp_rmem file.
fn sysctl_default(path: &str) -> String {
    fs::read_to_string(path)
        .ok()
        .and_then(|text| text.split_whitespace().nth(1).map(str::to_string))
        .unwrap_or_else(|| "?".to_string())
}
// ANCHOR_END: window
