//! A whole listing compared with the one a scenario computed (header, every line, in
//! order, fields split on spaces), and a live listing held against the check's own
//! sockets; a failure names the first line that differs and, when it can be told, the
//! mistake behind it (a file read only in part, a last line without its newline, a PORT
//! not applied, a wrong proto label, an address decoded wrong).

use std::fmt::Write as _;

use super::table::{self, Row, Sock, Table};
use harness::{Failure, Output, expect};

const HEADER: [&str; 4] = ["proto", "local", "remote", "state"];

/// What a saved table must list, and what about the table can explain a difference.
pub(super) struct Wanted<'a> {
    pub table: &'a Table,
    /// The lines to list, in order.
    pub rows: &'a [Row],
    pub port: Option<u16>,
    /// The file is larger than one read returns (a page, or 65536 bytes).
    pub over_one_read: bool,
    pub crlf: bool,
    pub no_final_newline: bool,
}

/// The listing's lines, each split on whitespace.
fn fields(output: &Output) -> Vec<Vec<String>> {
    output
        .stdout_lines()
        .iter()
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

fn show(line: &[String]) -> String {
    format!("`{}`", line.join(" "))
}

fn row_fields(row: &Row) -> Vec<String> {
    vec![
        row.proto.clone(),
        row.local.clone(),
        row.remote.clone(),
        row.state.clone(),
    ]
}

/// Exactly the header and the scenario's lines, in the table's order.
pub(super) fn expect_whole_listing(output: &Output, s: &Wanted) -> Result<(), Failure> {
    expect::exit_code(output, 0, "the file exists and can be read")?;
    let got = fields(output);
    let wanted: Vec<Vec<String>> = std::iter::once(HEADER.map(str::to_string).to_vec())
        .chain(s.rows.iter().map(row_fields))
        .collect();
    if got == wanted {
        return Ok(());
    }
    let fail =
        |expected: String, got: String| Err(Failure::expected(expected, got).with_run(output));
    if got.first() != wanted.first() {
        return fail(
            "a first line `proto local remote state` (the header, once)".into(),
            got.first().map_or("no output".into(), |l| show(l)),
        );
    }
    let n = s.rows.len();
    let at = (1..wanted.len().max(got.len()))
        .find(|&i| wanted.get(i) != got.get(i))
        .unwrap_or(1);
    let expected = format!(
        "the header, then {n} socket lines in the table's order{}; line {}: {}",
        match s.port {
            Some(p) => format!(" (those with local or remote port {p})"),
            None => String::new(),
        },
        at + 1,
        wanted
            .get(at)
            .map_or("none: the listing ends".into(), |l| show(l))
    );
    let mut told = match got.get(at) {
        Some(line) => format!("line {}: {}", at + 1, show(line)),
        None => format!("the listing ends after {} socket lines", got.len() - 1),
    };
    if let Some(hint) = hint(s, &got, at) {
        let _ = write!(told, "\n          ({hint})");
    }
    fail(expected, told)
}

/// The mistake behind the first difference, at line `at`, when it can be told.
fn hint(s: &Wanted, got: &[Vec<String>], at: usize) -> Option<String> {
    let table = s.table;
    let all: Vec<Row> = table.rows();
    let printed: Vec<Row> = got[1..]
        .iter()
        .filter_map(|l| table::as_row(&l.join(" ")))
        .collect();
    let wanted = s.rows;
    if let Some(port) = s.port
        && printed.len() > wanted.len()
        && all.len() > wanted.len()
        && printed
            .iter()
            .map(Row::ports)
            .eq(all.iter().map(Row::ports))
    {
        return Some(format!(
            "every socket of the table was listed: PORT {port} was not applied (only the \
             sockets whose local or remote port is {port} are listed)"
        ));
    }
    let prefix = printed.len() < wanted.len()
        && printed
            .iter()
            .zip(wanted)
            .all(|(p, w)| p.ports() == w.ports());
    if prefix {
        let next = &wanted[printed.len()];
        let line = table.line_of(next).unwrap_or("");
        let last_line = table.lines.last().map(|(_, l)| l.as_str()) == Some(line);
        if s.no_final_newline && last_line {
            return Some(
                "the file's last line has no newline after it: it is a socket all the same".into(),
            );
        }
        if s.over_one_read {
            let offset = find(&table.text, line.as_bytes());
            return Some(format!(
                "the socket from byte {offset} of the file's {} is missing, and every one \
                 after it: the file was read only in part. One read() returns what is \
                 ready, a page of /proc or a buffer's worth of a file; read to the end \
                 (fs::read, read_to_end)",
                table.text.len()
            ));
        }
    }
    let want = wanted.get(at - 1)?;
    let got_row = printed.get(at - 1)?;
    if let Some(port) = s.port
        && want.ports() != got_row.ports()
    {
        let p = |a: &str| Row::port(a);
        if p(&got_row.local) != Some(port) && p(&got_row.remote) != Some(port) {
            return Some(format!(
                "`{}` has neither local nor remote port {port}",
                got_row.addresses()
            ));
        }
        for (end, only) in [("REMOTE", &want.remote), ("LOCAL", &want.local)] {
            let other = if end == "LOCAL" {
                &want.remote
            } else {
                &want.local
            };
            if p(only) == Some(port) && p(other) != Some(port) {
                return Some(format!(
                    "the line missing is `{}`: its {end} port is {port}",
                    want.addresses()
                ));
            }
        }
    }
    table::proto_mistake(want, got_row)
        .or_else(|| table::address_mistake(&want.local, &got_row.local).map(str::to_string))
        .or_else(|| table::address_mistake(&want.remote, &got_row.remote).map(str::to_string))
        .or_else(|| {
            let line = table.line_of(want)?;
            (want.addresses() == got_row.addresses() && want.state != got_row.state).then(|| {
                let code = line.split_whitespace().nth(3).unwrap_or("?");
                format!("the state code {code} is hex: {code} is {}", want.state)
            })
        })
        .or_else(|| {
            s.crlf.then(|| {
                "the file's lines end in \\r\\n: the \\r is not part of the last field".to_string()
            })
        })
}

/// Where `needle` starts in `haystack` (0 when it is not there).
fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len().max(1))
        .position(|w| w == needle)
        .unwrap_or(0)
}

/// Every one of the check's sockets among the lines listed (the machine's others may be
/// listed too, when the check shares the host's network).
pub(super) fn expect_live_listing(output: &Output, wanted: &[Sock]) -> Result<(), Failure> {
    expect::exit_code(output, 0, "no PORT: list every socket")?;
    let printed = table::rows(output);
    let missing: Vec<Row> = wanted
        .iter()
        .map(Sock::row)
        .filter(|w| !printed.contains(w))
        .collect();
    let Some(first) = missing.first() else {
        return Ok(());
    };
    let count = |proto: &str, rows: &[Row]| rows.iter().filter(|r| r.proto == proto).count();
    let wanted_rows: Vec<Row> = wanted.iter().map(Sock::row).collect();
    let numbers = |r: &Row| (Row::port(&r.local), Row::port(&r.remote));
    // A line that is one of the check's own sockets is accounted for: its port numbers
    // matching the missing one's is chance (an IPv4 and an IPv6 listener may share a port).
    let same_ports = printed
        .iter()
        .find(|r| numbers(r) == numbers(first) && !wanted_rows.contains(r));
    let listed_some = |proto: &str| count(proto, &missing) < count(proto, &wanted_rows);
    // No tcp6 line at all comes first: an IPv4 socket of the same port numbers (the OS
    // may give an IPv6 listener the port of an IPv4 one) is chance, not a mislabel.
    let hint = if count("tcp", &missing) == 0 && count("tcp6", &printed) == 0 {
        "no tcp6 line at all: IPv6 sockets are in /proc/net/tcp6, read it too".to_string()
    } else if let Some(got) = same_ports {
        table::proto_mistake(first, got)
            .or_else(|| table::address_mistake(&first.local, &got.local).map(str::to_string))
            .or_else(|| {
                (first.addresses() == got.addresses()).then(|| {
                    format!(
                        "state {} where the kernel lists {}: codes run from 01 \
                         (ESTABLISHED) to 0B (CLOSING), in hex",
                        got.state, first.state
                    )
                })
            })
            .map_or(format!("listed as `{}`", got.line()), |hint| {
                format!("listed as `{}`: {hint}", got.line())
            })
    } else if missing.iter().all(|r| r.state == "LISTEN")
        && count("tcp", &missing) > 0
        && wanted_rows.iter().any(|w| w.state != "LISTEN")
    {
        "every socket in state 0A (LISTEN) is missing, the others are there: the state code \
         is hex, 0A is 10"
            .to_string()
    } else if listed_some("tcp") || listed_some("tcp6") {
        format!(
            "{} socket lines listed, while the check alone has {} ({} IPv4, {} IPv6): \
             the kernel hands /proc/net/tcp out a page (about 4 KiB) per read(); read to \
             the end (fs::read, read_to_end)",
            printed.len(),
            wanted.len(),
            count("tcp", &wanted_rows),
            count("tcp6", &wanted_rows)
        )
    } else {
        "no line with its ports".to_string()
    };
    Err(Failure::new(format!(
        "expected: every one of the check's {} sockets listed (with no PORT, every socket of \
         /proc/net/tcp and /proc/net/tcp6), among them `{}`\n     got: {} of them missing, \
         `{}` the first ({hint})\n     ran: {}\n   ended: {}",
        wanted.len(),
        first.line(),
        missing.len(),
        first.line(),
        output.command_line,
        output.ending(),
    )))
}
