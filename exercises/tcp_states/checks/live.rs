//! The live checks: the check opens sockets of its own (a listener, a half-closed
//! connection, an IPv6 listener), waits until the kernel shows them in the states it
//! expects, then asks the student's program for that port. The listing must hold exactly
//! the check's sockets on that port, plus at most the ones the kernel itself showed the
//! check (a TIME_WAIT left by an earlier connection on a reused port), no others.

use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use super::table::{
    self, CLOSE_WAIT, FIN_WAIT2, LISTEN, Row, Sock, difference, kernel_sockets, show_rows,
};
use harness::expect;
use harness::{Ctx, Failure, Output};

/// How long the kernel may take to reach a state after the call that causes it.
const SETTLE: Duration = Duration::from_secs(3);

/// Wait (bounded) until the kernel shows every socket of `wanted`.
fn settle(wanted: &[Sock]) -> Result<(), Failure> {
    let reached = harness::wait::until(SETTLE, || {
        let now = kernel_sockets();
        wanted.iter().all(|w| now.contains(w)).then_some(())
    });
    reached.map_err(|_| {
        Failure::new(format!(
            "the check's own sockets did not reach the states {} within {} ms; this is a \
                 netlab problem or a very slow machine, not your program",
            show_rows(
                &wanted.iter().map(Sock::row).collect::<Vec<_>>(),
                Row::line,
                4
            ),
            SETTLE.as_millis()
        ))
    })
}

/// The sockets on `port` (local or remote) the kernel lists now.
fn on_port(port: u16) -> Vec<Row> {
    kernel_sockets()
        .into_iter()
        .filter(|s| s.local.port() == port || s.remote.port() == port)
        .map(|s| s.row())
        .collect()
}

/// Run `tcp_states PORT` and expect exactly `wanted` (the check's sockets), plus any of
/// the other sockets on that port the kernel showed the check just before or after.
fn expect_listing(ctx: &Ctx, port: u16, wanted: &[Sock], why: &str) -> Result<(), Failure> {
    let before = on_port(port);
    let output = run_port(ctx, port)?;
    let after = on_port(port);
    let wanted: Vec<Row> = wanted.iter().map(Sock::row).collect();
    // The kernel lists sockets in no fixed order: sort what was printed (by state first,
    // which the ports do not change), so the message is the same every run.
    // Sockets on the port that are not the check's (a TIME_WAIT left by an earlier
    // connection whose port number came round again) may be listed or not.
    let other = |r: &Row| {
        let at = |k: &Row| k.ports() == r.ports();
        !wanted.iter().any(at) && (before.iter().any(at) || after.iter().any(at))
    };
    // The kernel writes /proc/net/tcp in pieces, and a socket opened or closed elsewhere
    // between two pieces can make it list another socket twice: a line repeated is the
    // kernel's doing (listing_is_exact counts the lines of a recorded table).
    let mut printed: Vec<Row> = sorted(table::rows(&output))
        .into_iter()
        .filter(|r| !other(r))
        .collect();
    printed.dedup();
    let (missing, extra) = difference(&wanted, &printed, Row::line);
    if missing.is_empty() && extra.is_empty() {
        return Ok(());
    }
    let got = match (missing.first(), extra.first()) {
        (Some(m), Some(e)) => {
            let hint = table::proto_mistake(m, e)
                .or_else(|| table::address_mistake(&m.local, &e.local).map(str::to_string))
                .map_or(String::new(), |h| format!(" ({h})"));
            format!("no line `{}`; printed `{}`{hint}", m.line(), e.line())
        }
        (Some(m), None) => match printed
            .iter()
            .find(|r| r.local == m.local && r.remote == m.remote)
        {
            Some(r) => format!("`{}`", r.line()),
            None => format!("no line `{}`", m.line()),
        },
        (None, Some(e)) => format!(
            "also `{}`, a socket the kernel does not list on port {port}",
            e.line()
        ),
        (None, None) => unreachable!("a difference"),
    };
    Err(Failure::new(format!(
        "expected: exactly the lines {} ({why})\n     got: {got}\n     ran: {}\n   ended: {}\n  \
         listed: {}",
        show_rows(&wanted, Row::line, 4),
        output.command_line,
        output.ending(),
        match printed.is_empty() {
            true => "no socket lines".to_string(),
            false => show_rows(&printed, Row::line, 8),
        }
    )))
}

fn sorted(mut rows: Vec<Row>) -> Vec<Row> {
    rows.sort_by(|a, b| (&a.state, &a.proto, a.line()).cmp(&(&b.state, &b.proto, b.line())));
    rows
}

fn run_port(ctx: &Ctx, port: u16) -> Result<Output, Failure> {
    let output = ctx.student("tcp_states").arg(port.to_string()).run()?;
    expect::exit_code(&output, 0, "Linux has /proc/net/tcp")?;
    Ok(output)
}

pub fn listener_listed(ctx: &Ctx) -> Result<(), Failure> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let local = listener.local_addr()?;
    let any: SocketAddr = "0.0.0.0:0".parse().expect("an address");
    let sockets = [Sock::new(local, any, LISTEN)];
    settle(&sockets)?;
    expect_listing(
        ctx,
        local.port(),
        &sockets,
        "the check is listening on this port",
    )
}

pub fn ipv6_listener_listed(ctx: &Ctx) -> Result<(), Failure> {
    // [::1] where the machine has an IPv6 loopback; containers often do not, but still
    // let a program listen on [::] (every address, IPv6 and v4-mapped IPv4).
    let listener = TcpListener::bind("[::1]:0")
        .or_else(|_| TcpListener::bind("[::]:0"))
        .map_err(|e| {
            Failure::new(format!(
                "this machine has no IPv6 at all ({e}), so this check cannot run; your \
                 program is not at fault"
            ))
        })?;
    let local = listener.local_addr()?;
    let any: SocketAddr = "[::]:0".parse().expect("an address");
    let sockets = [Sock::new(local, any, LISTEN)];
    settle(&sockets)?;
    expect_listing(
        ctx,
        local.port(),
        &sockets,
        "the check is listening on IPv6; IPv6 sockets are in /proc/net/tcp6, read it \
         whether or not a port is given",
    )
}

pub fn half_close_states(ctx: &Ctx) -> Result<(), Failure> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let server = listener.local_addr()?;
    let client = TcpStream::connect(server)?;
    let (_conn, client_addr) = listener.accept()?;
    client.shutdown(Shutdown::Write)?;
    let any: SocketAddr = "0.0.0.0:0".parse().expect("an address");
    let sockets = [
        Sock::new(server, any, LISTEN),
        Sock::new(client_addr, server, FIN_WAIT2),
        Sock::new(server, client_addr, CLOSE_WAIT),
    ];
    settle(&sockets)?;
    expect_listing(
        ctx,
        server.port(),
        &sockets,
        "the check's client shut down writing; its server has not closed yet",
    )
}

pub fn all_sockets_listed(ctx: &Ctx) -> Result<(), Failure> {
    // Without a PORT, every socket: among them an IPv4 and an IPv6 listener of the check's.
    let v4 = TcpListener::bind("127.0.0.1:0")?;
    let v6 = TcpListener::bind("[::1]:0").or_else(|_| TcpListener::bind("[::]:0"))?;
    let any4: SocketAddr = "0.0.0.0:0".parse().expect("an address");
    let any6: SocketAddr = "[::]:0".parse().expect("an address");
    let sockets = [
        Sock::new(v4.local_addr()?, any4, LISTEN),
        Sock::new(v6.local_addr()?, any6, LISTEN),
    ];
    settle(&sockets)?;
    let output = ctx
        .student("tcp_states")
        .timeout(Duration::from_secs(5))
        .run()?;
    expect::exit_code(&output, 0, "no PORT: list every socket")?;
    let printed = table::rows(&output);
    for sock in &sockets {
        let want = sock.row();
        if !printed.contains(&want) {
            return Err(Failure::expected(
                format!(
                    "among all the sockets, the line `{}` (with no PORT, every socket of \
                     /proc/net/tcp and /proc/net/tcp6 is listed)",
                    want.line()
                ),
                // Not the listing itself: it holds every socket of the machine, which
                // differs from run to run.
                format!(
                    "no such line among the socket lines listed\n     ran: {}",
                    output.command_line
                ),
            ));
        }
    }
    Ok(())
}
