//! udp_cs server checks: the ready line and the address really bound, the default
//! address and a taken port, echoes of drawn payloads (empty, largest, binary, IPv6), many
//! clients, vanished clients, and the reference client against the student's server.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::Mutex;
use std::time::Duration;

use super::{CLIENT_RUN, LARGEST, REPLY, START, words};
use crate::peer::{Client, many_clients};
use harness::bytes::show;
use harness::draw;
use harness::expect;
use harness::net::has_ipv6;
use harness::{Ctx, Failure, Output, Running, start_server};

/// The contract's default address.
const DEFAULT_ADDR: &str = "127.0.0.1:8003";

/// Start the student's server on `addr` (port 0) and read its address.
fn student_server_on(ctx: &Ctx, addr: &str) -> Result<(Running, SocketAddr), Failure> {
    start_server(ctx.student("udp_server").arg(addr), START)
}

/// Run `test` against the student's server on 127.0.0.1:0; a failure shows what the
/// server printed.
fn with_server(
    ctx: &Ctx,
    test: impl FnOnce(SocketAddr) -> Result<(), Failure>,
) -> Result<(), Failure> {
    harness::with_server(ctx.student("udp_server").arg("127.0.0.1:0"), START, test)
}

/// Send each payload in turn from one fresh socket; each reply must be the same bytes.
/// One socket for all, so that every echo after the first also proves that whatever the
/// server did with the earlier datagrams (on stderr too) is over.
fn expect_echoes(
    ctx: &Ctx,
    addr: SocketAddr,
    payloads: &[Vec<u8>],
    why: &str,
) -> Result<(), Failure> {
    let client = Client::connect(addr)?;
    for payload in payloads {
        let got = client.exchange(payload, REPLY);
        match got {
            Ok(reply) if reply == *payload => {
                ctx.step(format!("sent {}, got the same back", show(payload)));
            }
            Ok(reply) => {
                return Err(harness::expect::same_bytes(
                    &format!("the echo of {} ({why})", show(payload)),
                    payload,
                    &reply,
                )
                .err()
                .unwrap_or_else(|| Failure::new("the echo differs")));
            }
            Err(problem) => {
                return Err(Failure::expected(
                    format!("the same {} back ({why})", show(payload)),
                    problem,
                ));
            }
        }
    }
    Ok(())
}

/// The OS's words for "address in use", as `UdpSocket::bind` reports them here: an error
/// about a taken port must say this (it is the cause the contract asks to print).
fn addr_in_use_words() -> Option<String> {
    let holder = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).ok()?;
    let taken = holder.local_addr().ok()?;
    UdpSocket::bind(taken).err().map(|e| e.to_string())
}

pub fn ready_line(ctx: &Ctx) -> Result<(), Failure> {
    let (server, addr) = student_server_on(ctx, "127.0.0.1:0")?;
    if addr.port() == 0 || addr.ip() != Ipv4Addr::LOCALHOST {
        return Err(Failure::expected(
            "`listening on 127.0.0.1:PORT` with the port the OS picked (socket.local_addr())",
            format!("`listening on {addr}`"),
        )
        .with_run(&server.kill()));
    }
    Ok(())
}

/// Announcing `127.0.0.1:PORT` while bound to `0.0.0.0:PORT` (every address, reachable
/// from other machines) passes any check that talks to the announced address. The kernel
/// knows better: /proc/net/udp and udp6 list every socket's local address. Where they
/// show nothing on the port (another network namespace), a datagram to 127.0.0.2 (also
/// loopback on Linux) tells: a server bound to 127.0.0.1 never sees it.
#[cfg(target_os = "linux")]
pub fn bound_where_announced(ctx: &Ctx) -> Result<(), Failure> {
    let (server, addr) = student_server_on(ctx, "127.0.0.1:0")?;
    if addr.ip() != Ipv4Addr::LOCALHOST || addr.port() == 0 {
        // server_ready_line says what is wrong with the line itself.
        return Ok(());
    }
    let bound = crate::proc_net::local_addrs(addr.port());
    ctx.step(format!(
        "the server announced {addr}; the kernel lists {} on port {}",
        match bound.is_empty() {
            true => "no socket of this namespace".to_string(),
            false => bound
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        },
        addr.port()
    ));
    let wanted = format!(
        "the server's socket bound to 127.0.0.1 only: it was given 127.0.0.1:0 and \
         announced {addr}"
    );
    if let Some(any) = bound.iter().find(|a| a.is_unspecified()) {
        return Err(Failure::expected(
            wanted,
            format!(
                "a socket on port {} bound to {any}, every address of the machine \
                 (reachable from other machines too), not to the 127.0.0.1 it announced. \
                 Bind the address you were given and print socket.local_addr()",
                addr.port()
            ),
        )
        .with_run(&server.kill()));
    }
    if !bound.is_empty() {
        return Ok(());
    }
    let payload = {
        let mut rng = ctx.rng();
        draw::short_word(&mut rng).into_bytes()
    };
    // Unconnected: a server bound to 0.0.0.0 answers from 127.0.0.1, not 127.0.0.2.
    let probe = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
    let elsewhere = SocketAddr::from((Ipv4Addr::new(127, 0, 0, 2), addr.port()));
    probe.send_to(&payload, elsewhere)?;
    probe.set_read_timeout(Some(Duration::from_millis(300)))?;
    let mut buf = [0u8; 64];
    match probe.recv_from(&mut buf) {
        Ok((_, from)) if from.port() == addr.port() => Err(Failure::expected(
            wanted,
            format!(
                "an echo of a datagram sent to {elsewhere}: the socket is bound to every \
                 address (0.0.0.0, reachable from other machines too), not to the \
                 127.0.0.1 it announced. Bind the address you were given and print \
                 socket.local_addr()"
            ),
        )
        .with_run(&server.kill())),
        _ => Ok(()),
    }
}

/// Only one check at a time plays with the default port: fixtures run their checks side
/// by side, and two of these racing for 8003 would see each other's servers.
static DEFAULT_PORT: Mutex<()> = Mutex::new(());

/// The same between processes (two `cargo test`s on one machine): an abstract Unix socket
/// (Linux) only one process can bind, released when it is dropped or its process dies.
/// After a deadline the check goes on without it.
#[cfg(target_os = "linux")]
fn machine_turn() -> Option<std::os::unix::net::UnixDatagram> {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::{SocketAddr as UnixAddr, UnixDatagram};
    let name = UnixAddr::from_abstract_name(b"netlab-udp_cs-default-port").ok()?;
    harness::wait::until(Duration::from_secs(10), || {
        match UnixDatagram::bind_addr(&name) {
            Ok(turn) => Some(Some(turn)),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => None,
            Err(_) => Some(None),
        }
    })
    .ok()
    .flatten()
}

#[cfg(not(target_os = "linux"))]
fn machine_turn() -> Option<()> {
    None
}

pub fn default_address(ctx: &Ctx) -> Result<(), Failure> {
    let _turn = DEFAULT_PORT.lock().unwrap_or_else(|e| e.into_inner());
    let _machine_turn = machine_turn();
    let in_use = addr_in_use_words();
    // First while the port is free (if it is), then while the check holds it itself.
    let free = UdpSocket::bind(DEFAULT_ADDR).is_ok();
    if free {
        ctx.step(format!(
            "{DEFAULT_ADDR} was free; started udp_server with no ADDR"
        ));
        default_run(ctx, false, in_use.as_deref())?;
    }
    let holder = UdpSocket::bind(DEFAULT_ADDR).ok();
    ctx.step(match holder {
        Some(_) => format!("the check took {DEFAULT_ADDR}; started udp_server with no ADDR"),
        None => format!("{DEFAULT_ADDR} is taken on this machine; started udp_server with no ADDR"),
    });
    default_run(ctx, holder.is_some(), in_use.as_deref())
}

/// One run of the server with no ADDR: `listening on 127.0.0.1:8003`, or (the port being
/// taken) a clean error about that.
fn default_run(ctx: &Ctx, held: bool, in_use: Option<&str>) -> Result<(), Failure> {
    let wanted = format!("listening on {DEFAULT_ADDR}");
    let server = ctx.student("udp_server").spawn()?;
    if let Some(line) = server.first_line(START) {
        let output = server.kill();
        if line == wanted && !held {
            return Ok(());
        }
        let why = match held {
            true => format!(
                "the check holds {DEFAULT_ADDR}, so binding it must fail: `error: ...` on \
                 stderr, exit code 1"
            ),
            false => format!("`{wanted}`: with no ADDR the server binds {DEFAULT_ADDR}"),
        };
        return Err(Failure::expected(why, format!("first line {line:?}")).with_run(&output));
    }
    let output = server.wait_for_exit(START);
    if output.code() == Some(2) {
        return Err(Failure::expected(
            format!(
                "no ADDR is not a usage error: the server binds {DEFAULT_ADDR}, or says \
                 `error: ...` (exit code 1) when that port is taken"
            ),
            output.ending(),
        )
        .with_run(&output));
    }
    expect::clean_error(
        &output,
        &format!("{DEFAULT_ADDR} is taken, so the server cannot listen"),
    )?;
    in_use_said(&output, DEFAULT_ADDR, in_use)
}

/// The error names the cause: the OS's "address in use" text, or at least the address.
fn in_use_said(output: &Output, addr: &str, in_use: Option<&str>) -> Result<(), Failure> {
    let stderr = output.stderr_text();
    let port = addr.rsplit(':').next().unwrap_or(addr);
    let said = stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .any(|l| in_use.is_some_and(|words| l.contains(words)) || l.contains(port));
    if said {
        return Ok(());
    }
    Err(Failure::expected(
        format!(
            "an `error: ...` line that says why: the address {addr} and the OS's reason ({})",
            in_use.unwrap_or("address in use")
        ),
        format!("{:?}", stderr.trim_end()),
    )
    .with_run(output))
}

pub fn port_in_use(ctx: &Ctx) -> Result<(), Failure> {
    let holder = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
    let taken = holder.local_addr()?.to_string();
    let in_use = addr_in_use_words();
    ctx.step(format!(
        "the check bound {taken}; started udp_server {taken}"
    ));
    let server = ctx.student("udp_server").arg(&taken).spawn()?;
    if let Some(line) = server.first_line(START) {
        return Err(Failure::expected(
            format!("`error: ...` and exit code 1: {taken} is taken, so bind must fail"),
            format!("first line {line:?}: a server cannot listen on a port that is taken"),
        )
        .with_run(&server.kill()));
    }
    let output = server.wait_for_exit(START);
    expect::clean_error(
        &output,
        &format!("{taken} is taken: bind fails, and the server says so and exits"),
    )?;
    in_use_said(&output, &taken, in_use.as_deref())
}

pub fn extra_argument_usage_error(ctx: &Ctx) -> Result<(), Failure> {
    let extra = {
        let mut rng = ctx.rng();
        draw::short_word(&mut rng)
    };
    let output = ctx
        .student("udp_server")
        .timeout(Duration::from_secs(2))
        .args(["127.0.0.1:0", &extra])
        .run()?;
    expect::usage_error(
        &output,
        "udp_server",
        "`udp_server [ADDR]` takes one argument at most: a second one is a usage error",
    )
}

pub fn echoes_bytes(ctx: &Ctx) -> Result<(), Failure> {
    let payload = {
        let mut rng = ctx.rng();
        let count = rng.usize(2..=5);
        let mut text = words(&mut rng, count).join(" ");
        let chars = rng.usize(2..=6);
        text.push(' ');
        text.push_str(&draw::unicode_text(&mut rng, chars));
        // A trailing newline is part of the payload too: nothing is trimmed.
        text.push('\n');
        text.into_bytes()
    };
    with_server(ctx, |addr| {
        expect_echoes(
            ctx,
            addr,
            &[payload],
            "an echo server sends every datagram back, byte for byte",
        )
    })
}

pub fn empty_datagram(ctx: &Ctx) -> Result<(), Failure> {
    with_server(ctx, |addr| {
        expect_echoes(
            ctx,
            addr,
            &[Vec::new()],
            "an empty datagram is still a datagram, and its echo is empty too",
        )
    })
}

pub fn largest_datagram(ctx: &Ctx) -> Result<(), Failure> {
    // Printable, so that only the size of the buffer matters here, not how bytes are read.
    let payload: Vec<u8> = {
        let mut rng = ctx.rng();
        (0..LARGEST).map(|_| rng.u8(b'a'..=b'z')).collect()
    };
    with_server(ctx, |addr| {
        expect_echoes(
            ctx,
            addr,
            &[payload],
            "65,507 bytes is the largest UDP payload; a smaller buffer cuts the datagram",
        )
    })
}

pub fn binary_payload(ctx: &Ctx) -> Result<(), Failure> {
    let payloads = {
        let mut rng = ctx.rng();
        // Every byte value once, in a drawn order, then bytes that are never UTF-8.
        let mut every = draw::shuffled(&mut rng, (0..=255u8).collect());
        every.extend_from_slice(&draw::not_utf8(&mut rng).0);
        // Under 1024 bytes: the size of a buffer is server_largest_datagram's business.
        let len = rng.usize(1..=1000);
        let random = draw::bytes(&mut rng, len);
        let (mut last, _) = draw::not_utf8(&mut rng);
        last.push(b'\n');
        vec![every, random, last]
    };
    with_server(ctx, |addr| {
        expect_echoes(
            ctx,
            addr,
            &payloads,
            "a datagram is bytes, not text: it need not be valid UTF-8",
        )
    })
}

pub fn many_clients_at_once(ctx: &Ctx) -> Result<(), Failure> {
    let tag = {
        let mut rng = ctx.rng();
        draw::short_word(&mut rng)
    };
    with_server(ctx, |addr| {
        many_clients(addr, 16, 50, REPLY, &tag).map_err(|problem| {
            Failure::expected(
                "every client gets exactly its own datagrams back, 16 clients in turn, then \
                 16 at once with 50 datagrams each (reply to the address recv_from gave for \
                 that datagram)",
                problem,
            )
        })
    })
}

pub fn survives_vanished_client(ctx: &Ctx) -> Result<(), Failure> {
    let (goodbye, hello) = {
        let mut rng = ctx.rng();
        (draw::short_word(&mut rng), draw::short_word(&mut rng))
    };
    with_server(ctx, |addr| {
        for round in 0..3 {
            // A client that sends and closes its socket before the echo comes back: the
            // echo hits a closed port (on Windows the next recv_from then fails).
            let gone = Client::connect(addr)?;
            gone.send(goodbye.as_bytes())?;
            drop(gone);
            ctx.step(format!(
                "a client sent {} and closed its socket",
                show(goodbye.as_bytes())
            ));
            expect_echoes(
                ctx,
                addr,
                &[format!("{hello} {round}").into_bytes()],
                "a client that went away must not stop the server",
            )?;
        }
        Ok(())
    })
}

pub fn host_name(ctx: &Ctx) -> Result<(), Failure> {
    let payload = {
        let mut rng = ctx.rng();
        let count = rng.usize(2..=4);
        words(&mut rng, count).join(" ").into_bytes()
    };
    // Where `localhost` leads here: any of its addresses will do.
    let given = "localhost:0";
    let resolved: Vec<IpAddr> = given
        .to_socket_addrs()
        .map(|addrs| addrs.map(|a| a.ip()).collect())
        .unwrap_or_default();
    let server = ctx.student("udp_server").arg(given).spawn()?;
    let addr = match server.listening_addr(START) {
        Ok(addr) => addr,
        Err(problem) => {
            let output = server.kill();
            let got = match output.code() {
                Some(_) => format!("no `listening on` line: it ended, {}", output.ending()),
                None => problem,
            };
            return Err(Failure::expected(
                format!(
                    "`listening on ADDR`: ADDR may be a host name and port ({given}), which \
                     the server resolves (UdpSocket::bind does: do not parse it as an IP \
                     address)"
                ),
                got,
            )
            .with_run(&output));
        }
    };
    if addr.port() == 0 || !resolved.contains(&addr.ip()) {
        return Err(Failure::expected(
            "`listening on ADDR` with an address of localhost, and the port the OS picked",
            format!("`listening on {addr}`"),
        )
        .with_run(&server.kill()));
    }
    expect_echoes(
        ctx,
        addr,
        &[payload],
        "a server started on a host name echoes too",
    )
    .map_err(|failure| failure.with_run(&server.kill()))
}

pub fn ipv6_loopback(ctx: &Ctx) -> Result<(), Failure> {
    let payload = {
        let mut rng = ctx.rng();
        let count = rng.usize(2..=4);
        words(&mut rng, count).join(" ").into_bytes()
    };
    // A machine without an IPv6 loopback (some containers) gets the same over IPv4.
    let (given, loopback) = match has_ipv6() {
        true => ("[::1]:0", IpAddr::V6(Ipv6Addr::LOCALHOST)),
        false => ("127.0.0.1:0", IpAddr::V4(Ipv4Addr::LOCALHOST)),
    };
    let (server, addr) = student_server_on(ctx, given)?;
    if addr.port() == 0 || addr.ip() != loopback {
        return Err(Failure::expected(
            format!(
                "`listening on {}`: given {given}, the server binds that loopback address",
                SocketAddr::new(loopback, 0)
                    .to_string()
                    .replace(":0", ":PORT")
            ),
            format!("`listening on {addr}`"),
        )
        .with_run(&server.kill()));
    }
    expect_echoes(
        ctx,
        addr,
        &[payload],
        "an IPv6 client gets its echo like any other",
    )
    .map_err(|failure| failure.with_run(&server.kill()))
}

pub fn works_with_reference_client(ctx: &Ctx) -> Result<(), Failure> {
    let message = {
        let mut rng = ctx.rng();
        let count = rng.usize(2..=5);
        words(&mut rng, count)
    };
    with_server(ctx, |addr| {
        let output = ctx
            .reference("udp_client")
            .timeout(CLIENT_RUN)
            .args(["--timeout", "1000", "--tries", "2"])
            .arg(addr.to_string())
            .args(&message)
            .run()?;
        expect::stdout_is(
            &output,
            format!("{}\n", message.join(" ")).as_bytes(),
            "the reference client prints your server's echo",
        )?;
        expect::exit_code(&output, 0, "the reference client got its echo")
    })
}
