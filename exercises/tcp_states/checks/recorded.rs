//! The checks on recorded tables (`tcp_states --file PATH [PORT]`): the parser as a pure
//! function of the text. Every table is drawn per run (addresses, ports, states, slot
//! numbers, which lines are broken and how), and every row the program prints is compared
//! with the set the table holds: none missing, none extra.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use fastrand::Rng;
use tempfile::TempDir;

use super::table::{
    self, HEADER, HEADER6, LISTEN, Row, STATE_NAMES, Sock, Table, difference, explain_difference,
    rows, show_rows,
};
use harness::expect;
use harness::{Ctx, Failure, Output};

/// Run `tcp_states --file <table> [PORT]`, expecting exit code 0.
fn run_file(ctx: &Ctx, table: &Table, port: Option<u16>) -> Result<Output, Failure> {
    run_file_why(ctx, table, port, "the file exists and can be read")
}

pub(super) fn run_file_why(
    ctx: &Ctx,
    table: &Table,
    port: Option<u16>,
    why: &str,
) -> Result<Output, Failure> {
    let dir = TempDir::new()?;
    let path = dir.path().join("tcp");
    std::fs::write(&path, &table.text)?;
    let mut cmd = ctx.student("tcp_states").arg("--file").arg(&path);
    if let Some(port) = port {
        cmd = cmd.arg(port.to_string());
    }
    let output = cmd.run()?;
    expect::exit_code(&output, 0, why)?;
    Ok(output)
}

/// The listing holds exactly the table's sockets, judged on proto and addresses (states
/// are every_state_named's business).
fn expect_addresses(output: &Output, table: &Table, why: &str) -> Result<(), Failure> {
    let wanted = table.rows();
    let (missing, extra) = difference(&wanted, &table::rows(output), Row::addresses);
    if missing.is_empty() && extra.is_empty() {
        return Ok(());
    }
    Err(Failure::expected(
        format!(
            "one line per socket of the table, {} in all ({why}): {}",
            wanted.len(),
            show_rows(&wanted, |r| format!("{} <state>", r.addresses()), 8)
        ),
        explain_difference(table, &missing, &extra, Row::addresses),
    )
    .with_run(output))
}

/// A socket of one family with drawn addresses and ports; about one in three a listener
/// (remote address "any", port 0).
fn draw_socket(rng: &mut Rng, v6: bool) -> Sock {
    let [lp, rp] = table::ports(rng, 2, &[])[..] else {
        unreachable!("two ports")
    };
    let local = SocketAddr::new(table::any_ip(rng, v6), lp);
    let remote = match rng.u8(..3) {
        0 if v6 => SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), 0),
        0 => SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0),
        _ => SocketAddr::new(table::any_ip(rng, v6), rp),
    };
    Sock::new(local, remote, table::plain_code(rng))
}

/// Sockets of one family with every shape of address in every run: the local address
/// takes shape j, the remote end is a listener's `any:0` or an address of another shape.
fn family_table(ctx: &Ctx, v6: bool) -> Table {
    let mut rng = ctx.rng();
    let mut table = Table::new(&mut rng, if v6 { HEADER6 } else { HEADER });
    // Not the v4-mapped shapes (3 and 4): v4_mapped_addresses_shown is about those.
    const V6_SHAPES: [usize; 5] = [0, 1, 2, 5, 6];
    let shapes = if v6 { V6_SHAPES.len() } else { 4 };
    let ip = |rng: &mut Rng, k: usize| -> IpAddr {
        match v6 {
            true => table::ipv6_shape(rng, V6_SHAPES[k % V6_SHAPES.len()]).into(),
            false => table::ipv4_shape(rng, k).into(),
        }
    };
    let first = rng.usize(..shapes);
    for j in 0..shapes {
        let [lp, rp] = table::ports(&mut rng, 2, &[])[..] else {
            unreachable!("two ports")
        };
        let local = SocketAddr::new(ip(&mut rng, first + j), lp);
        let remote = match j % 3 {
            0 if v6 => SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), 0),
            0 => SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0),
            _ => SocketAddr::new(ip(&mut rng, first + j + 1 + j % 2), rp),
        };
        let code = table::plain_code(&mut rng);
        table.socket(&mut rng, Sock::new(local, remote, code));
    }
    table
}

pub fn ipv4_addresses_decoded(ctx: &Ctx) -> Result<(), Failure> {
    let table = family_table(ctx, false);
    let output = run_file(ctx, &table, None)?;
    expect_addresses(
        &output,
        &table,
        "an address is a 32-bit word in the machine's byte order: 0100007F is 127.0.0.1; \
         a port is plain hex: 1F40 is 8000",
    )
}

pub fn ipv6_addresses_decoded(ctx: &Ctx) -> Result<(), Failure> {
    let table = family_table(ctx, true);
    let output = run_file(ctx, &table, None)?;
    expect_addresses(
        &output,
        &table,
        "an IPv6 address is four 32-bit words, first to last, each in the machine's byte \
         order: B80D0120 is 20 01 0D B8",
    )
}

pub fn v4_mapped_addresses_shown(ctx: &Ctx) -> Result<(), Failure> {
    let table = {
        let mut rng = ctx.rng();
        let mut table = Table::new(&mut rng, HEADER6);
        for j in 0..4 {
            let [lp, rp] = table::ports(&mut rng, 2, &[])[..] else {
                unreachable!("two ports")
            };
            // Loopback and drawn, at both ends, in every run.
            let mapped = |rng: &mut Rng, k: usize| match k % 2 {
                0 => Ipv4Addr::LOCALHOST.to_ipv6_mapped(),
                _ => table::ipv4(rng).to_ipv6_mapped(),
            };
            let local = SocketAddr::new(mapped(&mut rng, j).into(), lp);
            let remote = SocketAddr::new(mapped(&mut rng, j / 2 + 1).into(), rp);
            let code = table::plain_code(&mut rng);
            table.socket(&mut rng, Sock::new(local, remote, code));
        }
        table
    };
    let output = run_file(ctx, &table, None)?;
    expect_addresses(
        &output,
        &table,
        "an IPv6 socket talking to an IPv4 peer: its address stays IPv6 and prints as `ss` \
         shows it, [::ffff:a.b.c.d]:port",
    )
}

pub fn every_state_named(ctx: &Ctx) -> Result<(), Failure> {
    // Every code once (and a few twice), in a drawn order, each socket on a port of its own.
    let table = {
        let mut rng = ctx.rng();
        let mut codes: Vec<u8> = (1..=11).collect();
        for _ in 0..rng.usize(1..=3) {
            codes.push(rng.u8(1..=11));
        }
        rng.shuffle(&mut codes);
        let ports = table::ports(&mut rng, codes.len() + 1, &[]);
        let server = SocketAddr::new(table::ipv4(&mut rng).into(), ports[0]);
        let mut table = Table::new(&mut rng, HEADER);
        for (code, port) in codes.into_iter().zip(&ports[1..]) {
            let local = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), *port);
            let remote = match code {
                LISTEN => SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0),
                _ => server,
            };
            table.socket(&mut rng, Sock::new(local, remote, code));
        }
        table
    };
    let output = run_file(ctx, &table, None)?;
    let got = rows(&output);
    let by_port = |port: u16| got.iter().find(|r| Row::port(&r.local) == Some(port));
    let mut missing = Vec::new();
    for (sock, line) in &table.lines {
        match by_port(sock.local.port()) {
            Some(row) if row.state == sock.state() => {}
            Some(row) => {
                return Err(Failure::expected(
                    format!(
                        "state {} for the line `{}`: its code {:02X} is hex, and codes run \
                         from 01 (ESTABLISHED) to 0B (CLOSING), so {:02X} is {}",
                        sock.state(),
                        line.trim(),
                        sock.code,
                        sock.code,
                        sock.state()
                    ),
                    format!("`{}`", row.line()),
                )
                .with_run(&output));
            }
            None => missing.push((sock, line)),
        }
    }
    let Some((sock, line)) = missing.first() else {
        return Ok(());
    };
    if missing.iter().all(|(s, _)| s.code >= 0x0A) {
        let codes: Vec<String> = missing
            .iter()
            .map(|(s, _)| format!("{:02X}", s.code))
            .collect();
        return Err(Failure::expected(
            format!(
                "a line for every socket, those with state codes {} too: a state code is \
                 hex, 0A is 10 (LISTEN) and 0B is 11 (CLOSING); read as a decimal number \
                 (`parse::<u8>()`) they fail",
                codes.join(" and ")
            ),
            format!(
                "no line for the sockets with state codes {}, such as `{}`",
                codes.join(", "),
                line.trim()
            ),
        )
        .with_run(&output));
    }
    if missing.len() < table.lines.len() {
        return Err(Failure::expected(
            format!(
                "a line with state {} for `{}` (code {:02X})",
                sock.state(),
                line.trim(),
                sock.code
            ),
            format!("no line for local port {}", sock.local.port()),
        )
        .with_run(&output));
    }
    // No local port came out right: the addresses are another check's business, so judge
    // the state names alone, as a multiset.
    let mut want: Vec<&str> = table.lines.iter().map(|(s, _)| s.state()).collect();
    let mut names: Vec<&str> = got.iter().map(|r| r.state.as_str()).collect();
    want.sort_unstable();
    names.sort_unstable();
    if want == names {
        return Ok(());
    }
    Err(Failure::expected(
        format!(
            "the states {} (codes 01 to 0B, hex, in the table's order: {})",
            want.join(" "),
            STATE_NAMES.join(" ")
        ),
        format!("the states {}", names.join(" ")),
    )
    .with_run(&output))
}

pub fn listing_is_exact(ctx: &Ctx) -> Result<(), Failure> {
    let table = {
        let mut rng = ctx.rng();
        let mut table = Table::new(&mut rng, HEADER);
        for _ in 0..rng.usize(2..=4) {
            let sock = draw_socket(&mut rng, false);
            table.socket(&mut rng, sock);
        }
        // Both families in one table, as `cat /proc/net/tcp /proc/net/tcp6` minus the
        // second header (headers in the middle are malformed_lines_skipped's business).
        for _ in 0..rng.usize(1..=3) {
            let sock = draw_socket(&mut rng, true);
            table.socket(&mut rng, sock);
        }
        table
    };
    let output = run_file(ctx, &table, None)?;
    let lines = output.stdout_lines();
    let header = ["proto", "local", "remote", "state"];
    let first: Vec<&str> = lines
        .first()
        .map_or(vec![], |l| l.split_whitespace().collect());
    if first != header {
        return Err(Failure::expected(
            "a first line `proto local remote state` (the header, once)",
            lines
                .first()
                .map_or("no output".to_string(), |l| format!("{l:?}")),
        )
        .with_run(&output));
    }
    if let Some((n, line)) = lines
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, l)| table::as_row(l).is_none())
    {
        return Err(Failure::expected(
            "after the header, only socket lines `tcp|tcp6 LOCAL REMOTE STATE`: no second \
             header, no blank or debugging line",
            format!("line {}: {line:?}", n + 1),
        )
        .with_run(&output));
    }
    let rows = lines.len() - 1;
    if rows != table.lines.len() {
        return Err(Failure::expected(
            format!(
                "{} socket lines, one per socket in the table",
                table.lines.len()
            ),
            format!("{rows}"),
        )
        .with_run(&output));
    }
    Ok(())
}

pub fn filters_by_port(ctx: &Ctx) -> Result<(), Failure> {
    // The port asked for, sockets on it at either end and in both families, and ports that
    // only look like it: a decimal superstring, its digits read as hex, its bytes swapped.
    let (table, port, decoys) = {
        let mut rng = ctx.rng();
        let port = loop {
            let p = table::port(&mut rng);
            if p < 6553 && u16::from_str_radix(&p.to_string(), 16).is_ok() {
                break p;
            }
        };
        let mut decoys: Vec<(u16, &str)> = vec![
            (
                format!("{}{port}", rng.u8(1..=5)).parse().unwrap_or(1),
                "ends in the same digits",
            ),
            (port * 10 + rng.u16(0..=9), "starts with the same digits"),
            (
                u16::from_str_radix(&port.to_string(), 16).unwrap_or(1),
                "its hex digits are the port's decimal digits",
            ),
            (port.swap_bytes(), "its bytes are the port's, swapped"),
        ];
        decoys.retain(|(p, _)| *p != port && *p != 0);
        let others = table::ports(&mut rng, 4, &[port]);
        let v4 = |rng: &mut Rng| IpAddr::from(table::ipv4(rng));
        let v6 = |rng: &mut Rng| IpAddr::from(table::ipv6(rng));
        let any4 = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0);
        let any6 = SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), 0);
        let server4 = SocketAddr::new(v4(&mut rng), port);
        let client4 = SocketAddr::new(v4(&mut rng), others[0]);
        let server6 = SocketAddr::new(v6(&mut rng), port);
        let client6 = SocketAddr::new(v6(&mut rng), others[1]);
        let mut socks = vec![
            Sock::new(server4, any4, table::plain_code(&mut rng)),
            Sock::new(server4, client4, table::plain_code(&mut rng)),
            Sock::new(client4, server4, table::plain_code(&mut rng)),
            Sock::new(server6, any6, table::plain_code(&mut rng)),
            Sock::new(client6, server6, table::plain_code(&mut rng)),
            Sock::new(
                SocketAddr::new(v4(&mut rng), others[2]),
                SocketAddr::new(v4(&mut rng), others[3]),
                table::plain_code(&mut rng),
            ),
        ];
        for (decoy, _) in &decoys {
            let at = SocketAddr::new(v4(&mut rng), *decoy);
            // The decoys at the local end and at the remote end, in every run.
            socks.push(match socks.len() % 2 {
                0 => Sock::new(at, any4, table::plain_code(&mut rng)),
                _ => Sock::new(SocketAddr::new(v4(&mut rng), others[3]), at, 1),
            });
        }
        rng.shuffle(&mut socks);
        // Both families in one file, IPv4 first, as `cat /proc/net/tcp /proc/net/tcp6`.
        socks.sort_by_key(|s| s.local.is_ipv6());
        let mut table = Table::new(&mut rng, HEADER);
        for sock in socks {
            table.socket(&mut rng, sock);
        }
        (table, port, decoys)
    };
    let output = run_file(ctx, &table, Some(port))?;
    let wanted: Vec<Row> = table
        .lines
        .iter()
        .filter(|(s, _)| s.local.port() == port || s.remote.port() == port)
        .map(|(s, _)| s.row())
        .collect();
    let printed = rows(&output);
    let (missing, extra) = difference(&wanted, &printed, Row::ports);
    if missing.is_empty() && extra.is_empty() {
        return Ok(());
    }
    // Every socket of the table listed: the filter is not there at all, whatever the
    // decoys among them look like.
    let all = table.rows();
    let (not_listed, _) = difference(&all, &printed, Row::ports);
    if not_listed.is_empty() {
        return Err(Failure::expected(
            format!(
                "only the {} sockets whose local or remote port is {port}: {}",
                wanted.len(),
                show_rows(&wanted, Row::addresses, 8)
            ),
            format!(
                "every socket of the table, {} lines: PORT {port} was not applied (the \
                 program took the argument, then listed as without it)",
                printed.len()
            ),
        )
        .with_run(&output));
    }
    let why = |row: &Row| {
        let ports = [Row::port(&row.local), Row::port(&row.remote)];
        if Row::port(&row.remote) == Some(port) {
            format!("{}: its REMOTE port is {port}", row.addresses())
        } else if let Some((p, what)) = decoys.iter().find(|(p, _)| ports.contains(&Some(*p))) {
            format!("{}: port {p} is not {port}, {what}", row.addresses())
        } else {
            row.addresses()
        }
    };
    Err(Failure::expected(
        format!(
            "only the {} sockets whose local or remote port is {port} (compared as numbers), \
             IPv4 and IPv6: {}",
            wanted.len(),
            show_rows(&wanted, Row::addresses, 8)
        ),
        format!(
            "{}{}{}",
            match missing.first() {
                Some(row) => format!("missing `{}`", why(row)),
                None => String::new(),
            },
            if !missing.is_empty() && !extra.is_empty() {
                "; "
            } else {
                ""
            },
            match extra.first() {
                Some(row) => format!("printed `{}`", why(row)),
                None => String::new(),
            },
        ),
    )
    .with_run(&output))
}
