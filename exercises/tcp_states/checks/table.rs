//! Recorded /proc/net/tcp and tcp6 tables, drawn per run (addresses, ports, states, slot
//! numbers), written the way the kernel writes them; the listing a program prints, read
//! back as rows; and the comparison of the two, which names the decoding mistake when it
//! recognises one (bytes of a word reversed, port bytes swapped, hex read as decimal).

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use fastrand::Rng;

use harness::Output;

pub(super) const HEADER: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
pub(super) const HEADER6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";

/// The names ss and netstat use for codes 01..0B (include/net/tcp_states.h).
pub(super) const STATE_NAMES: [&str; 11] = [
    "ESTABLISHED",
    "SYN_SENT",
    "SYN_RECV",
    "FIN_WAIT1",
    "FIN_WAIT2",
    "TIME_WAIT",
    "CLOSE",
    "CLOSE_WAIT",
    "LAST_ACK",
    "LISTEN",
    "CLOSING",
];
pub(super) const LISTEN: u8 = 0x0A;
pub(super) const FIN_WAIT2: u8 = 0x05;
pub(super) const TIME_WAIT: u8 = 0x06;
pub(super) const CLOSE_WAIT: u8 = 0x08;

/// One socket: what a table line says and what the listing must show for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Sock {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub code: u8,
}

impl Sock {
    pub fn new(local: SocketAddr, remote: SocketAddr, code: u8) -> Sock {
        Sock {
            local,
            remote,
            code,
        }
    }

    pub fn state(&self) -> &'static str {
        STATE_NAMES[usize::from(self.code) - 1]
    }

    pub fn row(&self) -> Row {
        Row::new(
            if self.local.is_ipv4() { "tcp" } else { "tcp6" },
            &self.local.to_string(),
            &self.remote.to_string(),
            self.state(),
        )
    }
}

/// An address as the kernel writes it: each 32-bit word of the address printed as a hex
/// number in the machine's byte order (so 127.0.0.1 is 0100007F on x86), then the port
/// as plain hex.
pub(super) fn proc_addr(addr: SocketAddr) -> String {
    let octets = match addr.ip() {
        IpAddr::V4(ip) => ip.octets().to_vec(),
        IpAddr::V6(ip) => ip.octets().to_vec(),
    };
    let mut text = String::new();
    for word in octets.chunks_exact(4) {
        let word = u32::from_ne_bytes([word[0], word[1], word[2], word[3]]);
        let _ = write!(text, "{word:08X}");
    }
    let _ = write!(text, ":{:04X}", addr.port());
    text
}

/// The inverse of [`proc_addr`], for the check's own look at the live tables.
fn parse_proc_addr(field: &str) -> Option<SocketAddr> {
    let (ip, port) = field.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |i: usize| -> Option<[u8; 4]> {
        Some(
            u32::from_str_radix(ip.get(i * 8..i * 8 + 8)?, 16)
                .ok()?
                .to_ne_bytes(),
        )
    };
    let ip: IpAddr = match ip.len() {
        8 => Ipv4Addr::from(word(0)?).into(),
        32 => {
            let mut octets = [0u8; 16];
            for i in 0..4 {
                octets[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            Ipv6Addr::from(octets).into()
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// Every socket the kernel lists now, IPv4 and IPv6: the check's own view, to know what
/// a listing must hold.
pub(super) fn kernel_sockets() -> Vec<Sock> {
    let mut found = Vec::new();
    // thread-self: the check's thread may be in a network namespace of its own (the
    // sandbox); /proc/net is the whole process's, which may be another.
    for file in ["/proc/thread-self/net/tcp", "/proc/thread-self/net/tcp6"] {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        found.extend(text.lines().filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let code = u8::from_str_radix(f.get(3)?, 16).ok()?;
            (1..=11).contains(&code).then_some(())?;
            Some(Sock::new(
                parse_proc_addr(f.get(1)?)?,
                parse_proc_addr(f.get(2)?)?,
                code,
            ))
        }));
    }
    found
}

/// A port whose two bytes differ (so that swapping them shows) and that is not 8000 (the
/// book's example, which a program might have kept).
pub(super) fn port(rng: &mut Rng) -> u16 {
    loop {
        let port = rng.u16(1024..=65535);
        if port >> 8 != port & 0xff && port != 8000 {
            return port;
        }
    }
}

/// Ports all different from each other and from `taken`.
pub(super) fn ports(rng: &mut Rng, n: usize, taken: &[u16]) -> Vec<u16> {
    let mut found: Vec<u16> = Vec::new();
    while found.len() < n {
        let p = port(rng);
        if !found.contains(&p) && !taken.contains(&p) {
            found.push(p);
        }
    }
    found
}

/// An IPv4 unicast address whose bytes read differently backwards.
pub(super) fn ipv4(rng: &mut Rng) -> Ipv4Addr {
    loop {
        let o = [rng.u8(1..=223), rng.u8(..), rng.u8(..), rng.u8(1..=254)];
        if o != [o[3], o[2], o[1], o[0]] && o[0] != 127 {
            return Ipv4Addr::from(o);
        }
    }
}

/// An IPv6 address: documentation or unique-local, with a run of 1 to 4 zero groups in
/// the middle and drawn groups around it.
pub(super) fn ipv6(rng: &mut Rng) -> Ipv6Addr {
    let zeros = rng.usize(1..=4);
    ipv6_with_zeros(rng, zeros)
}

/// A documentation or unique-local address with one run of `zeros` zero groups (1 to 4)
/// in the middle, every other group not zero: one zero group prints `:0:`, a run of two
/// or more `::`.
pub(super) fn ipv6_with_zeros(rng: &mut Rng, zeros: usize) -> Ipv6Addr {
    let mut g = [0u16; 8].map(|_| rng.u16(1..));
    if rng.bool() {
        (g[0], g[1]) = (0x2001, 0x0db8);
    } else {
        g[0] = 0xfd00 | rng.u16(1..0x100);
    }
    let zeros = zeros.clamp(1, 4);
    let start = rng.usize(2..=7 - zeros);
    g[start..start + zeros].fill(0);
    Ipv6Addr::from(g)
}

/// IPv4 addresses of every shape a table holds, shape `i` (mod their count): drawn,
/// loopback, a last byte over 127 (the word printed is over 0x7FFFFFFF: not an i32), a
/// private one.
pub(super) fn ipv4_shape(rng: &mut Rng, i: usize) -> Ipv4Addr {
    match i % 4 {
        0 => ipv4(rng),
        1 => Ipv4Addr::LOCALHOST,
        2 => Ipv4Addr::new(rng.u8(1..=223), rng.u8(..), rng.u8(..), rng.u8(128..=254)),
        _ => Ipv4Addr::new(10, rng.u8(..), rng.u8(..), rng.u8(1..=254)),
    }
}

/// IPv6 addresses of every shape, shape `i` (mod their count): one zero group (`:0:`),
/// a run of them (`::`), loopback, v4-mapped loopback and drawn, eight groups none zero,
/// link-local.
pub(super) fn ipv6_shape(rng: &mut Rng, i: usize) -> Ipv6Addr {
    match i % 7 {
        0 => ipv6_with_zeros(rng, 1),
        1 => {
            let zeros = rng.usize(2..=4);
            ipv6_with_zeros(rng, zeros)
        }
        2 => Ipv6Addr::LOCALHOST,
        3 => Ipv4Addr::LOCALHOST.to_ipv6_mapped(),
        4 => ipv4(rng).to_ipv6_mapped(),
        5 => Ipv6Addr::from([0u16; 8].map(|_| rng.u16(1..))),
        _ => Ipv6Addr::new(
            0xfe80,
            0,
            0,
            0,
            rng.u16(..),
            rng.u16(..),
            rng.u16(..),
            rng.u16(1..),
        ),
    }
}

/// An address of either family, drawn, loopback or any: the mix a real table has.
pub(super) fn any_ip(rng: &mut Rng, v6: bool) -> IpAddr {
    match (v6, rng.u8(..4)) {
        (false, 0) => Ipv4Addr::LOCALHOST.into(),
        (false, _) => ipv4(rng).into(),
        (true, 0) => Ipv6Addr::LOCALHOST.into(),
        (true, _) => ipv6(rng).into(),
    }
}

/// A state code from 01 to 09: the same whether read as hex or as decimal, so that a
/// check about addresses or filtering does not also fail a program whose only mistake is
/// the state codes (every_state_named is the check for that).
pub(super) fn plain_code(rng: &mut Rng) -> u8 {
    rng.u8(1..=9)
}

/// The text of a recorded table, line by line, with the socket lines remembered.
pub(super) struct Table {
    pub text: Vec<u8>,
    pub lines: Vec<(Sock, String)>,
    slot: u32,
}

impl Table {
    pub fn new(rng: &mut Rng, header: &str) -> Table {
        let mut table = Table {
            text: Vec::new(),
            lines: Vec::new(),
            slot: rng.u32(0..40),
        };
        table.raw(header.as_bytes());
        table
    }

    /// The next slot number: increasing, with gaps, as in a table the kernel wrote while
    /// sockets came and went.
    fn slot(&mut self, rng: &mut Rng) -> u32 {
        self.slot += rng.u32(1..=3);
        self.slot
    }

    /// A socket line as the kernel writes it.
    pub fn socket(&mut self, rng: &mut Rng, sock: Sock) {
        let slot = self.slot(rng);
        let line = format!(
            "{slot:>4}: {} {} {:02X} {:08X}:{:08X} 00:00000000 00000000 {:>5}        0 {} 1 0000000000000000 100 0 0 10 0",
            proc_addr(sock.local),
            proc_addr(sock.remote),
            sock.code,
            rng.u32(..0x1000),
            rng.u32(..0x1000),
            rng.u32(0..2000),
            rng.u32(10_000..999_999),
        );
        self.raw(line.as_bytes());
        self.lines.push((sock, line));
    }

    /// A socket line with `fields` after the slot, for the lines that are not sockets.
    pub fn broken(&mut self, rng: &mut Rng, fields: &[u8]) -> String {
        let mut line = format!("{:>4}: ", self.slot(rng)).into_bytes();
        line.extend_from_slice(fields);
        self.raw(&line);
        String::from_utf8_lossy(&line).into_owned()
    }

    pub fn raw(&mut self, line: &[u8]) {
        self.text.extend_from_slice(line);
        self.text.push(b'\n');
    }

    pub fn rows(&self) -> Vec<Row> {
        self.lines.iter().map(|(s, _)| s.row()).collect()
    }

    /// The table line a row comes from.
    pub fn line_of(&self, row: &Row) -> Option<&str> {
        self.lines
            .iter()
            .find(|(s, _)| &s.row() == row)
            .map(|(_, line)| line.as_str())
    }
}

/// One socket as a listing shows it: proto, local, remote, state.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Row {
    pub proto: String,
    pub local: String,
    pub remote: String,
    pub state: String,
}

impl Row {
    pub fn new(proto: &str, local: &str, remote: &str, state: &str) -> Row {
        Row {
            proto: proto.into(),
            local: local.into(),
            remote: remote.into(),
            state: state.into(),
        }
    }

    pub fn line(&self) -> String {
        format!(
            "{} {} {} {}",
            self.proto, self.local, self.remote, self.state
        )
    }

    /// Proto and addresses: the part the address checks judge.
    pub fn addresses(&self) -> String {
        format!("{} {} {}", self.proto, self.local, self.remote)
    }

    /// Proto and ports: the part the filter and the skipping of broken lines are about,
    /// so that a program that decodes addresses wrong fails only the address checks.
    pub fn ports(&self) -> String {
        let port = |addr: &str| Row::port(addr).map_or("?".to_string(), |p| p.to_string());
        format!(
            "{} port {} to port {}",
            self.proto,
            port(&self.local),
            port(&self.remote)
        )
    }

    /// The port after the last `:` of an address as printed.
    pub fn port(addr: &str) -> Option<u16> {
        addr.rsplit_once(':')?.1.parse().ok()
    }
}

/// A listing line read as a socket: four fields, the first `tcp` or `tcp6`.
pub(super) fn as_row(line: &str) -> Option<Row> {
    match line.split_whitespace().collect::<Vec<_>>()[..] {
        [proto @ ("tcp" | "tcp6"), local, remote, state] => {
            Some(Row::new(proto, local, remote, state))
        }
        _ => None,
    }
}

/// The socket lines of a listing. The header and anything else are not sockets.
pub(super) fn rows(output: &Output) -> Vec<Row> {
    output
        .stdout_lines()
        .iter()
        .filter_map(|l| as_row(l))
        .collect()
}

/// What `got` has too few of and too many of, compared with `wanted`, by `key`: (the
/// wanted rows missing, the rows printed that were not wanted).
pub(super) fn difference(
    wanted: &[Row],
    got: &[Row],
    key: impl Fn(&Row) -> String,
) -> (Vec<Row>, Vec<Row>) {
    let mut extra: Vec<Row> = got.to_vec();
    let mut missing = Vec::new();
    for want in wanted {
        match extra.iter().position(|g| key(g) == key(want)) {
            Some(i) => {
                extra.remove(i);
            }
            None => missing.push(want.clone()),
        }
    }
    (missing, extra)
}

/// Rows as a list for a message: one per line, quoted, at most `max`.
pub(super) fn show_rows(rows: &[Row], show: impl Fn(&Row) -> String, max: usize) -> String {
    let mut text: Vec<String> = rows
        .iter()
        .take(max)
        .map(|r| format!("`{}`", show(r)))
        .collect();
    if rows.len() > max {
        text.push(format!("and {} more", rows.len() - max));
    }
    text.join(", ")
}

/// The decoding mistake that turns the address `want` into `got`, when it is a common one.
pub(super) fn address_mistake(want: &str, got: &str) -> Option<&'static str> {
    // An address printed right is no mistake, even one that reads the same backwards
    // (0.0.0.0): a difference elsewhere in its line is another mistake's.
    if want == got {
        return None;
    }
    let want: SocketAddr = want.parse().ok()?;
    if want.is_ipv6() && got == format!("{}:{}", want.ip(), want.port()) {
        return Some(
            "an IPv6 address prints in brackets before its port, [addr]:port, as SocketAddr \
             shows it: without them the port reads as one more group of the address",
        );
    }
    let port = want.port();
    let same_port = |ip: IpAddr| SocketAddr::new(ip, port).to_string() == got;
    let same_ip = |port: u16| SocketAddr::new(want.ip(), port).to_string() == got;
    let octets = match want.ip() {
        IpAddr::V4(ip) => ip.octets().to_vec(),
        IpAddr::V6(ip) => ip.octets().to_vec(),
    };
    let rebuild = |octets: Vec<u8>| -> IpAddr {
        match <[u8; 4]>::try_from(octets.as_slice()) {
            Ok(v4) => Ipv4Addr::from(v4).into(),
            Err(_) => {
                Ipv6Addr::from(<[u8; 16]>::try_from(octets.as_slice()).unwrap_or([0; 16])).into()
            }
        }
    };
    let each_word_reversed: Vec<u8> = octets
        .chunks(4)
        .flat_map(|w| w.iter().rev().copied())
        .collect();
    let words_reversed: Vec<u8> = octets.chunks(4).rev().flatten().copied().collect();
    let all_reversed: Vec<u8> = octets.iter().rev().copied().collect();
    let words_flipped = same_port(rebuild(each_word_reversed));
    if words_flipped && octets.len() == 4 {
        return Some(
            "the address's bytes are reversed: /proc prints the 32-bit word in the machine's \
             byte order, so 0100007F is the bytes 7F 00 00 01, 127.0.0.1 (u32::to_ne_bytes)",
        );
    }
    if words_flipped {
        return Some(
            "the bytes inside each of the four 32-bit words are reversed: each word is \
             printed in the machine's byte order (u32::to_ne_bytes per word)",
        );
    }
    if octets.len() == 16
        && (same_port(rebuild(words_reversed)) || same_port(rebuild(all_reversed)))
    {
        return Some(
            "the four 32-bit words of the IPv6 address are in the wrong order: they come \
             first to last; only the bytes inside each word are in the machine's order",
        );
    }
    if same_ip(port.swap_bytes()) {
        return Some(
            "the port's two bytes are swapped: the port is printed as a plain hex number \
             (1F40 is 8000), there is no byte order to undo",
        );
    }
    let hex_digits = format!("{port:04X}");
    if got.ends_with(&format!(":{hex_digits}")) || got.ends_with(&format!(":{port:X}")) {
        return Some("the port is printed in hex: print it as a decimal number");
    }
    None
}

/// For a message: each missing row with the table line it comes from, and what was printed
/// instead; with the mistake named when the first pair shows a known one.
pub(super) fn explain_difference(
    table: &Table,
    missing: &[Row],
    extra: &[Row],
    show: impl Fn(&Row) -> String,
) -> String {
    let mut text = String::new();
    if let Some(first) = missing.first() {
        let from = table.line_of(first).map_or(String::new(), |l| {
            format!(" (from the line `{}`)", l.trim())
        });
        let _ = write!(text, "missing `{}`{from}", show(first));
        if missing.len() > 1 {
            let _ = write!(text, ", and {} more", missing.len() - 1);
        }
    }
    if !extra.is_empty() {
        if !text.is_empty() {
            text.push_str("; ");
        }
        let _ = write!(text, "printed instead: {}", show_rows(extra, &show, 3));
    }
    if let (Some(want), Some(got)) = (missing.first(), extra.first()) {
        let hint = proto_mistake(want, got)
            .or_else(|| address_mistake(&want.local, &got.local).map(str::to_string))
            .or_else(|| address_mistake(&want.remote, &got.remote).map(str::to_string));
        if let Some(hint) = hint {
            let _ = write!(text, "\n          ({hint})");
        }
    }
    text
}

/// The wrong proto label, when the addresses are right and only the label differs.
pub(super) fn proto_mistake(want: &Row, got: &Row) -> Option<String> {
    (want.local == got.local && want.remote == got.remote && want.proto != got.proto).then(|| {
        format!(
            "the proto is `{}`, not `{}`: `tcp` for an IPv4 address, `tcp6` for an IPv6 one, \
             v4-mapped addresses included (they stay IPv6)",
            want.proto, got.proto
        )
    })
}
