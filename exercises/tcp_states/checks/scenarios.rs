//! The scenario check: whole saved tables, drawn, composing every awkward shape at once
//! (both families, every state, every kind of address, ports at their edges, tables
//! larger than one read returns, CRLF and a last line without its newline, filters that
//! match the local end, the remote end or nothing), each with the listing it must give
//! computed here; and the check's own sockets, more than a page of /proc, listed live.
//! Every class appears in every run: scenario i takes class i of each kind (mod its
//! count); only the values inside come from the seed.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use fastrand::Rng;
use tempfile::TempDir;

use super::listing::{Wanted, expect_live_listing, expect_whole_listing};
use super::table::{self, HEADER, HEADER6, LISTEN, Row, Sock, Table};
use harness::{Ctx, Failure};

/// Which saved table: /proc/net/tcp, /proc/net/tcp6, or both one after the other (`cat`).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Family {
    V4,
    V6,
    Both,
}

/// How big: the header alone, under a page, over a page (4096 bytes: what one read of
/// /proc returns), over 65536 bytes (a buffer one might think big enough).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Size {
    HeaderOnly,
    Small,
    OverPage,
    OverBuffer,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Ending {
    Lf,
    CrLf,
    NoFinalNewline,
}

/// The PORT argument: none, a drawn port at the local end of some sockets and the remote
/// end of others (with decoys around it), the edge values 0 (every listener's remote
/// port), 1 and 65535, and a port no socket has.
#[derive(Clone, Copy, Debug, PartialEq)]
enum PortClass {
    None,
    Drawn,
    Zero,
    One,
    Max,
    NoMatch,
}

const FAMILIES: [Family; 3] = [Family::V4, Family::V6, Family::Both];
const SIZES: [Size; 4] = [
    Size::HeaderOnly,
    Size::Small,
    Size::OverPage,
    Size::OverBuffer,
];
const PORTS: [PortClass; 6] = [
    PortClass::None,
    PortClass::Drawn,
    PortClass::Zero,
    PortClass::One,
    PortClass::Max,
    PortClass::NoMatch,
];
/// Enough scenarios for every class of each kind (6 PORT classes, 4 sizes), table i
/// taking class i of each.
const TABLES: usize = 8;
/// The line ends of table i, chosen rather than cycled: the tables over 65536 bytes
/// (i = 3 and 7, whose last socket is listed) end their last line, so that a program
/// reading one buffer is told so, and tables 1 and 6 (a listed last socket, under
/// 65536 bytes) do not, so that one dropping the last line is told that.
const ENDING_OF_TABLE: [Ending; TABLES] = [
    Ending::Lf,
    Ending::NoFinalNewline,
    Ending::CrLf,
    Ending::Lf,
    Ending::CrLf,
    Ending::Lf,
    Ending::NoFinalNewline,
    Ending::CrLf,
];

/// One saved table, the PORT asked for, and the listing that must come out.
pub(super) struct TableScenario {
    family: Family,
    size: Size,
    ending: Ending,
    port_class: PortClass,
    port: Option<u16>,
    table: Table,
    wanted: Vec<Row>,
}

/// The check's own sockets, listed by the program without a PORT.
pub(super) struct LiveScenario {
    v4_listeners: usize,
    v6_listeners: usize,
}

pub(super) enum Scenario {
    Table(TableScenario),
    Live(LiveScenario),
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scenario::Table(s) => {
                let family = match s.family {
                    Family::V4 => "a saved /proc/net/tcp",
                    Family::V6 => "a saved /proc/net/tcp6",
                    Family::Both => "saved /proc/net/tcp and tcp6 one after the other",
                };
                let ending = match s.ending {
                    Ending::Lf => "lines ending in \\n",
                    Ending::CrLf => "lines ending in \\r\\n",
                    Ending::NoFinalNewline => "no newline after the last line",
                };
                let port = match (s.port_class, s.port) {
                    (_, None) => "no PORT".to_string(),
                    (PortClass::NoMatch, Some(p)) => format!("PORT {p} (no socket has it)"),
                    (_, Some(p)) => format!("PORT {p}"),
                };
                write!(
                    f,
                    "{family}, {} sockets in {} bytes, {ending}, {port}: {} lines to list",
                    s.table.lines.len(),
                    s.table.text.len(),
                    s.wanted.len()
                )
            }
            Scenario::Live(s) => write!(
                f,
                "the check's own {} IPv4 and {} IPv6 listeners, connections established, \
                 half-closed and in TIME_WAIT (more than a page of /proc/net/tcp and of \
                 tcp6), `tcp_states` with no PORT",
                s.v4_listeners, s.v6_listeners
            ),
        }
    }
}

/// A port of a drawn kind: registered, ephemeral (high), or low.
fn any_port(rng: &mut Rng, i: usize) -> u16 {
    match i % 3 {
        0 => rng.u16(1024..49152),
        1 => rng.u16(49152..=65535),
        _ => rng.u16(2..1024),
    }
}

/// The sockets of one family: codes 01..0B in a drawn order, over and over, so that a
/// table of 11 sockets or more has every state; listeners' remote ends are `any:0`.
fn draw_socks(rng: &mut Rng, v6: bool, count: usize, first: usize) -> Vec<Sock> {
    let codes: Vec<u8> = harness::draw::shuffled(rng, (1..=11).collect());
    (0..count)
        .map(|j| {
            let i = first + j;
            let ip = |rng: &mut Rng, k: usize| -> IpAddr {
                match v6 {
                    true => table::ipv6_shape(rng, k).into(),
                    false => table::ipv4_shape(rng, k).into(),
                }
            };
            let code = codes[i % codes.len()];
            let local = SocketAddr::new(ip(rng, i), any_port(rng, i));
            let remote = match (code, v6) {
                (LISTEN, false) => SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0),
                (LISTEN, true) => SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), 0),
                _ => SocketAddr::new(ip(rng, i / 2 + 1), any_port(rng, i + 1)),
            };
            Sock::new(local, remote, code)
        })
        .collect()
}

/// Put `port` at the local end of some sockets and the remote end of others (never on a
/// listener's remote end, which stays `any:0`); for a drawn port, decoys around it too.
fn plant_port(rng: &mut Rng, socks: &mut [Sock], port: u16, decoys: bool) {
    let n = socks.len();
    if n == 0 {
        return;
    }
    // The last socket always: a program that reads only the start of a big table must
    // miss one, whatever the seed.
    for k in 0..n.min(6) {
        let at = if k == 0 { n - 1 } else { rng.usize(..n) };
        let sock = &mut socks[at];
        if k % 2 == 0 || sock.code == LISTEN {
            sock.local.set_port(port);
        } else {
            sock.remote.set_port(port);
        }
    }
    if decoys && port < 6553 {
        let looks_alike = [
            port * 10 + rng.u16(0..=9),
            u16::from_str_radix(&port.to_string(), 16).unwrap_or(1),
            port.swap_bytes(),
        ];
        for decoy in looks_alike.into_iter().filter(|&d| d != port && d != 0) {
            let at = rng.usize(..n);
            if socks[at].local.port() != port && socks[at].remote.port() != port {
                socks[at].local.set_port(decoy);
            }
        }
    }
}

/// Move every port equal to `port` elsewhere, so that no socket has it.
fn clear_port(socks: &mut [Sock], port: u16) {
    for sock in socks {
        for end in [&mut sock.local, &mut sock.remote] {
            if end.port() == port {
                end.set_port(port.wrapping_add(1).max(2));
            }
        }
    }
}

/// How many sockets make a table of `size`, drawn.
fn socket_count(rng: &mut Rng, size: Size, v6: bool) -> usize {
    // A socket line is at least 129 bytes in tcp, 177 in tcp6 (see Table::socket): the
    // counts below make a table at least as big as its class says.
    let line = if v6 { 177 } else { 129 };
    match size {
        Size::HeaderOnly => 0,
        Size::Small => rng.usize(3..=10),
        Size::OverPage => rng.usize(4096 / line + 2..=12_000 / line),
        Size::OverBuffer => rng.usize(65_536 / line + 5..=90_000 / line),
    }
}

fn draw_table(rng: &mut Rng, i: usize) -> TableScenario {
    let family = FAMILIES[i % FAMILIES.len()];
    let size = SIZES[i % SIZES.len()];
    let ending = ENDING_OF_TABLE[i % TABLES];
    let port_class = PORTS[i % PORTS.len()];
    let (n4, n6) = match family {
        Family::V4 => (socket_count(rng, size, false), 0),
        Family::V6 => (0, socket_count(rng, size, true)),
        // Each half over the size: one read must not be enough for either.
        Family::Both => (
            socket_count(rng, size, false),
            socket_count(rng, size, true),
        ),
    };
    let (first4, first6) = (rng.usize(..12), rng.usize(..12));
    let mut v4 = draw_socks(rng, false, n4, first4);
    let mut v6 = draw_socks(rng, true, n6, first6);
    let port = match port_class {
        PortClass::None => None,
        PortClass::Drawn => Some(loop {
            let p = table::port(rng);
            if p < 6553 && u16::from_str_radix(&p.to_string(), 16).is_ok() {
                break p;
            }
        }),
        PortClass::Zero => Some(0),
        PortClass::One => Some(1),
        PortClass::Max => Some(65535),
        PortClass::NoMatch => Some(any_port(rng, i)),
    };
    match (port_class, port) {
        (PortClass::NoMatch, Some(p)) => {
            clear_port(&mut v4, p);
            clear_port(&mut v6, p);
        }
        (PortClass::Zero | PortClass::None, _) => {}
        (_, Some(p)) => {
            let decoys = port_class == PortClass::Drawn;
            plant_port(rng, &mut v4, p, decoys);
            plant_port(rng, &mut v6, p, decoys);
        }
        _ => {}
    }
    let mut table = Table::new(
        rng,
        if family == Family::V6 {
            HEADER6
        } else {
            HEADER
        },
    );
    for sock in v4 {
        table.socket(rng, sock);
    }
    if family == Family::Both {
        table.raw(HEADER6.as_bytes());
    }
    for sock in v6 {
        table.socket(rng, sock);
    }
    match ending {
        Ending::Lf => {}
        Ending::CrLf => {
            table.text = String::from_utf8_lossy(&table.text)
                .replace('\n', "\r\n")
                .into_bytes();
        }
        Ending::NoFinalNewline => {
            table.text.pop();
        }
    }
    let wanted = table
        .lines
        .iter()
        .map(|(s, _)| s)
        .filter(|s| port.is_none_or(|p| s.local.port() == p || s.remote.port() == p))
        .map(Sock::row)
        .collect();
    TableScenario {
        family,
        size,
        ending,
        port_class,
        port,
        table,
        wanted,
    }
}

/// The scenarios of one run: every class of each kind in turn, then the live one.
pub(super) fn draw(rng: &mut Rng) -> Vec<Scenario> {
    // The live one first: it waits for the kernel while the tables are played. Linux
    // only: elsewhere there is no /proc to list.
    let mut scenarios = Vec::new();
    if cfg!(target_os = "linux") {
        scenarios.push(Scenario::Live(LiveScenario {
            v4_listeners: rng.usize(34..=40),
            v6_listeners: rng.usize(26..=30),
        }));
    }
    scenarios.extend((0..TABLES).map(|i| Scenario::Table(draw_table(rng, i))));
    scenarios
}

pub fn proc_tables(ctx: &Ctx) -> Result<(), Failure> {
    let scenarios = draw(&mut ctx.rng());
    harness::scenario::play_all(ctx, &scenarios, 4, |scenario| match scenario {
        Scenario::Table(s) => play_table(ctx, s),
        Scenario::Live(s) => play_live(ctx, s),
    })
}

fn play_table(ctx: &Ctx, s: &TableScenario) -> Result<(), Failure> {
    let dir = TempDir::new()?;
    let path = dir.path().join(match s.family {
        Family::V6 => "tcp6",
        _ => "tcp",
    });
    std::fs::write(&path, &s.table.text)?;
    let mut cmd = ctx.student("tcp_states").arg("--file").arg(&path);
    if let Some(port) = s.port {
        cmd = cmd.arg(port.to_string());
    }
    let output = cmd.run()?;
    let wanted = Wanted {
        table: &s.table,
        rows: &s.wanted,
        port: s.port,
        over_one_read: matches!(s.size, Size::OverPage | Size::OverBuffer),
        crlf: s.ending == Ending::CrLf,
        no_final_newline: s.ending == Ending::NoFinalNewline,
    };
    expect_whole_listing(&output, &wanted)
}

fn play_live(ctx: &Ctx, s: &LiveScenario) -> Result<(), Failure> {
    let any4: SocketAddr = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0);
    let any6: SocketAddr = SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), 0);
    let mut keep: Vec<TcpListener> = Vec::new();
    let mut streams: Vec<TcpStream> = Vec::new();
    let mut wanted: Vec<Sock> = Vec::new();
    for _ in 0..s.v4_listeners {
        let l = TcpListener::bind("127.0.0.1:0")?;
        wanted.push(Sock::new(l.local_addr()?, any4, LISTEN));
        keep.push(l);
    }
    for _ in 0..s.v6_listeners {
        let l = TcpListener::bind("[::1]:0").or_else(|_| TcpListener::bind("[::]:0"))?;
        wanted.push(Sock::new(l.local_addr()?, any6, LISTEN));
        keep.push(l);
    }
    // On the first listener: a connection established, one half-closed, and one closed
    // by the client first, then the server, which leaves the client's end in TIME_WAIT
    // (the server's is gone).
    let server = keep[0].local_addr()?;
    for step in 0..3 {
        let client = TcpStream::connect(server)?;
        let (conn, client_addr) = keep[0].accept()?;
        if step > 0 {
            client.shutdown(Shutdown::Write)?;
        }
        match step {
            0 => {
                wanted.push(Sock::new(client_addr, server, 1));
                wanted.push(Sock::new(server, client_addr, 1));
            }
            1 => {
                wanted.push(Sock::new(client_addr, server, table::FIN_WAIT2));
                wanted.push(Sock::new(server, client_addr, table::CLOSE_WAIT));
            }
            _ => {
                drop(conn);
                wanted.push(Sock::new(client_addr, server, table::TIME_WAIT));
                streams.push(client);
                continue;
            }
        }
        streams.extend([client, conn]);
    }
    let settled = harness::wait::until(Duration::from_secs(3), || {
        let now = table::kernel_sockets();
        wanted.iter().all(|w| now.contains(w)).then_some(())
    });
    if settled.is_err() {
        return Err(Failure::new(
            "the check's own sockets did not reach their states within 3 s; this is a \
             netlab problem or a very slow machine, not your program",
        ));
    }
    let output = ctx
        .student("tcp_states")
        .timeout(Duration::from_secs(5))
        .run()?;
    expect_live_listing(&output, &wanted)
}
