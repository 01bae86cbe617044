//! Reference solution for udp_client: send a message to a UDP echo server and print
//! the reply, retrying when the network (or the server) loses a datagram. With no
//! message on the command line, every line of stdin is one datagram.

use std::io::{self, BufRead, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const USAGE: &str =
    "usage: udp_client [--timeout MS] [--tries N] ADDR [MESSAGE...]";

/// What the command line asked for.
struct Options {
    timeout: Duration,
    tries: u32,
    addr: String,
    /// The words of the message, or None for "read lines from stdin".
    message: Option<String>,
}

fn main() -> ExitCode {
    let Some(options) = parse_args() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

// ANCHOR: args
/// `[--timeout MS] [--tries N] ADDR [MESSAGE...]`, or None for a usage error.
fn parse_args() -> Option<Options> {
    let mut args = std::env::args_os().skip(1);
    let mut timeout = Duration::from_millis(1000);
    let mut tries = 3;
    let addr = loop {
        let arg = args.next()?.into_string().ok()?;
        match arg.as_str() {
            // Zero is refused too: zero tries never sends, and a zero timeout is an
            // error for set_read_timeout.
            "--timeout" => {
                let ms: u32 =
                    args.next()?.to_str()?.parse().ok().filter(|&ms| ms > 0)?;
                timeout = Duration::from_millis(ms.into());
            }
            "--tries" => {
                tries = args
                    .next()?
                    .to_str()?
                    .parse()
                    .ok()
                    .filter(|&n: &u32| n > 0)?;
            }
            option if option.starts_with("--") => return None,
            _ => break arg,
        }
    };
    // Words joined by one space, like Go's strings.Join(os.Args[2:], " ").
    let words: Vec<String> =
        args.map(|w| w.to_string_lossy().into_owned()).collect();
    let message = (!words.is_empty()).then(|| words.join(" "));
    Some(Options {
        timeout,
        tries,
        addr,
        message,
    })
}
// ANCHOR_END: args

fn run(options: &Options) -> Result<(), String> {
    // ANCHOR: connect
    // Go: net.Dial("udp", addr). Resolve, bind any free local port of the same
    // family, then connect: send/recv now talk to that one address, and the kernel
    // drops datagrams from anybody else. No packet goes out: UDP has no handshake.
    let server: SocketAddr = options
        .addr
        .to_socket_addrs()
        .map_err(|err| format!("cannot resolve {}: {err}", options.addr))?
        .next()
        .ok_or_else(|| format!("{} resolves to no address", options.addr))?;
    let local = if server.is_ipv4() {
        SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))
    } else {
        SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0))
    };
    let socket =
        UdpSocket::bind(local).map_err(|err| format!("cannot bind: {err}"))?;
    socket
        .connect(server)
        .map_err(|err| format!("cannot connect to {}: {err}", options.addr))?;
    // ANCHOR_END: connect

    // ANCHOR: modes
    match &options.message {
        Some(message) => {
            print_reply(&exchange(&socket, message.as_bytes(), options)?)
        }
        None => {
            // One datagram per line, one reply per datagram, in order.
            for line in io::stdin().lock().split(b'\n') {
                let mut line =
                    line.map_err(|err| format!("cannot read stdin: {err}"))?;
                if line.last() == Some(&b'\r') {
                    line.pop(); // a Windows line ending is not part of the message
                }
                print_reply(&exchange(&socket, &line, options)?)?;
            }
            Ok(())
        }
    }
    // ANCHOR_END: modes
}

/// The reply is bytes: print them as they came, then a newline.
fn print_reply(reply: &[u8]) -> Result<(), String> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(reply)
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush())
        .map_err(|err| format!("cannot write to stdout: {err}"))
}

// ANCHOR: exchange
/// Send `message` and wait for the server to echo it, up to `tries` times.
fn exchange(
    socket: &UdpSocket,
    message: &[u8],
    options: &Options,
) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; 65_536];
    for _ in 0..options.tries {
        match socket.send(message) {
            // A connected socket learns from ICMP that nobody listens there; that
            // is just one more try without an answer.
            Err(err) if err.kind() == io::ErrorKind::ConnectionRefused => {}
            Err(err) => {
                return Err(format!("cannot send to {}: {err}", options.addr));
            }
            Ok(_) => {}
        }
        // Wait at most `timeout` for this try, however many stray datagrams arrive.
        let deadline = Instant::now() + options.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            socket
                .set_read_timeout(Some(left))
                .map_err(|err| format!("cannot set a timeout: {err}"))?;
            match socket.recv(&mut buf) {
                // The echo of what we just sent: done.
                Ok(len) if buf[..len] == *message => return Ok(buf[..len].to_vec()),
                // A late or duplicated reply to an earlier message:
                // not ours, skip it.
                Ok(_) => {}
                // The timeout ran out (WouldBlock on Unix, TimedOut on Windows).
                Err(err)
                    if matches!(
                        err.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    break;
                }
                Err(err) if err.kind() == io::ErrorKind::ConnectionRefused => {}
                Err(err) => {
                    return Err(format!(
                        "cannot receive from {}: {err}",
                        options.addr
                    ));
                }
            }
        }
    }
    Err(format!(
        "no reply from {} after {} tries",
        options.addr, options.tries
    ))
}
// ANCHOR_END: exchange
