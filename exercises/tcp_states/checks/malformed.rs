//! The check on lines that are not sockets (`malformed_lines_skipped`): every kind of
//! broken line in every run (bad hex, wrong lengths, lines cut short, codes that name no
//! state, bytes that are not UTF-8, headers, empty lines, words), between good sockets
//! whose rows must all come out.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use fastrand::Rng;

use super::recorded::run_file_why;
use super::table::{self, HEADER, HEADER6, Row, Sock, Table, explain_difference, rows};
use harness::{Ctx, Failure};

/// One kind of line that is not a socket: its text after the slot (given a local address
/// field to spoil) and why it is not one.
type Broken = (Vec<u8>, String);

fn broken_lines(rng: &mut Rng, local: String, remote: String) -> Vec<Broken> {
    let tail = "00000000:00000000 00:00000000 00000000  1000        0 12345 1";
    let good = |local: &str, remote: &str, code: &str| -> Vec<u8> {
        format!("{local} {remote} {code} {tail}").into_bytes()
    };
    let (ip, port) = local.split_once(':').unwrap_or(("0100007F", "1F40"));
    let bad_hex: String = {
        let mut chars: Vec<char> = ip.chars().collect();
        let at = rng.usize(..chars.len());
        chars[at] = ['G', 'Z', 'x', '-'][rng.usize(..4)];
        chars.into_iter().collect()
    };
    let above = ["0C", "0F", "FF"][rng.usize(..3)];
    // Digits only: a program reading the code as decimal takes it for a state.
    let decimal = ["10", "11"][rng.usize(..2)];
    let mut lines: Vec<Broken> = vec![
        (
            good(&format!("{bad_hex}:{port}"), &remote, "01"),
            "the address is not hex".to_string(),
        ),
        (
            local.clone().into_bytes(),
            "a line cut short: no remote address, no state".to_string(),
        ),
        (
            good(&format!("{}:{port}", &ip[1..]), &remote, "01"),
            "an address of 7 hex digits is neither IPv4 (8) nor IPv6 (32)".to_string(),
        ),
        (
            good(&format!("{ip}:{port}{:02X}", rng.u8(..)), &remote, "01"),
            "a port of 6 hex digits does not fit in 16 bits".to_string(),
        ),
        (
            good(&local, &remote, ["XY", "Z1", "-1"][rng.usize(..3)]),
            "the state is not a hex number".to_string(),
        ),
        (
            good(&local, &remote, decimal),
            format!(
                "state codes are hex: {decimal} is {}, and there is no state {} (codes \
                 run from 01 to 0B)",
                u8::from_str_radix(decimal, 16).unwrap_or(0),
                u8::from_str_radix(decimal, 16).unwrap_or(0),
            ),
        ),
        (
            good(&local, &remote, "00"),
            "there is no state 00: codes run from 01 to 0B".to_string(),
        ),
        (
            good(&local, &remote, above),
            "a state code above 0B names no state".to_string(),
        ),
        (
            format!("{local} {remote} 01").into_bytes(),
            "no tx_queue:rx_queue field after the state".to_string(),
        ),
        (
            good(&format!("+{}:{port}", &ip[1..]), &remote, "01"),
            "`+` is not a hex digit (from_str_radix would take a leading `+`)".to_string(),
        ),
    ];
    // Bytes that are not UTF-8 inside the remote address.
    let mut stray = format!("{local} ").into_bytes();
    stray.extend_from_slice(&remote.as_bytes()[..2]);
    stray.push(harness::draw::invalid_utf8_byte(rng));
    stray.extend_from_slice(&remote.as_bytes()[3..]);
    stray.extend_from_slice(format!(" 01 {tail}").as_bytes());
    lines.push((
        stray,
        "a byte that is not UTF-8 in the remote address".to_string(),
    ));
    // 32 bytes that are not 32 characters: slicing by position would panic.
    let wide = harness::draw::wide_char(rng);
    let wide = format!("0000000{wide}{}:{port}", "0".repeat(25 - wide.len_utf8()));
    lines.push((
        good(&wide, &format!("{}:0000", "0".repeat(32)), "01"),
        "a character that is not a hex digit, several bytes long, inside an IPv6 address"
            .to_string(),
    ));
    lines
}

pub fn malformed_lines_skipped(ctx: &Ctx) -> Result<(), Failure> {
    // Good sockets at drawn places among lines that are not sockets; each broken line has
    // a local port of its own, so a row printed for it can be traced back to it.
    let (table, broken) = {
        let mut rng = ctx.rng();
        let kinds = 12;
        let good_n = rng.usize(2..=4);
        let all_ports = table::ports(&mut rng, kinds + good_n + 1, &[]);
        let remote = table::proc_addr(SocketAddr::new(table::ipv4(&mut rng).into(), all_ports[0]));
        let mut broken: Vec<(Broken, u16)> = Vec::new();
        for port in &all_ports[1..=kinds] {
            let local = table::proc_addr(SocketAddr::new(table::ipv4(&mut rng).into(), *port));
            let mut lines = broken_lines(&mut rng, local, remote.clone());
            let pick = lines.swap_remove(broken.len() % lines.len());
            broken.push((pick, *port));
        }
        // The broken lines (Ok), and (Err) the other kinds of line, each in every run:
        // 0 empty, 1 a header, 2 a word, 3 a good socket; the rest of the good ones at
        // the end.
        let mut order: Vec<Result<usize, usize>> = (0..broken.len()).map(Ok).collect();
        order.extend((0..5).map(|k| Err(k % 4)));
        rng.shuffle(&mut order);
        let mut table = Table::new(&mut rng, HEADER);
        let mut good = all_ports[kinds + 1..].iter();
        let mut texts = Vec::new();
        for item in order {
            match item {
                Ok(i) => {
                    let text = table.broken(&mut rng, &broken[i].0.0);
                    texts.push((text, broken[i].0.1.clone(), broken[i].1));
                }
                Err(kind) => match kind {
                    0 => table.raw(b""),
                    1 => table.raw(HEADER6.as_bytes()),
                    2 => {
                        let word = harness::draw::short_word(&mut rng);
                        table.raw(word.as_bytes());
                    }
                    _ => {
                        if let Some(port) = good.next() {
                            let local = SocketAddr::new(table::ipv4(&mut rng).into(), *port);
                            let code = table::plain_code(&mut rng);
                            let far: SocketAddr =
                                SocketAddr::new(table::ipv4(&mut rng).into(), 443);
                            table.socket(&mut rng, Sock::new(local, far, code));
                        }
                    }
                },
            }
        }
        for port in good {
            let local = SocketAddr::new(IpAddr::V4(table::ipv4(&mut rng)), *port);
            let code = table::plain_code(&mut rng);
            let far = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0);
            table.socket(&mut rng, Sock::new(local, far, code));
        }
        (table, texts)
    };
    let output = run_file_why(
        ctx,
        &table,
        None,
        "the file can be read: a line holding a byte that is not UTF-8 is one line to skip, \
         not a file to refuse (read bytes, then String::from_utf8_lossy)",
    )?;
    // Each printed row is traced to its line by its local port (or that port with its bytes
    // swapped: a program that decodes ports wrong fails the address checks, not this one).
    let printed = rows(&output);
    let from = |row: &Row, port: u16| {
        Row::port(&row.local).is_some_and(|p| p == port || p == port.swap_bytes())
    };
    let traced = printed.iter().find_map(|row| {
        let line = broken.iter().find(|(_, _, port)| from(row, *port))?;
        Some((row, line))
    });
    if let Some((row, (text, why, _))) = traced {
        return Err(Failure::expected(
            format!(
                "no line for `{}`, which is not a socket: {why}",
                text.trim()
            ),
            format!("`{}`", row.line()),
        )
        .with_run(&output));
    }
    let missing: Vec<Row> = table
        .lines
        .iter()
        .filter(|(s, _)| !printed.iter().any(|row| from(row, s.local.port())))
        .map(|(s, _)| s.row())
        .collect();
    if !missing.is_empty() {
        return Err(Failure::expected(
            "every good line of the table listed: a line that is not a socket is skipped, \
             and the lines after it still count",
            explain_difference(&table, &missing, &[], Row::addresses),
        )
        .with_run(&output));
    }
    if printed.len() != table.lines.len() {
        return Err(Failure::expected(
            format!(
                "{} socket lines, one per good line of the table; lines that are not sockets \
                 (headers, empty, bad hex, cut short, stray bytes) are skipped",
                table.lines.len()
            ),
            format!("{}", printed.len()),
        )
        .with_run(&output));
    }
    Ok(())
}
