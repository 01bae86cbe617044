//! Checks for tcp_states: the /proc/net/tcp parser on recorded tables (`--file`), the live
//! listing of sockets this check opens itself, and the `--demo` state walk and window.
//! Live and demo checks need Linux's /proc and are only registered on Linux.

use std::collections::BTreeSet;
use std::fs;

use tempfile::TempDir;

use crate::check::{Check, Ctx, Exercise, Failure};
use crate::expect;
use crate::process::Output;

pub static EXERCISE: Exercise = Exercise {
    name: "tcp_states",
    bins: &["tcp_states"],
    chapter: "tcp_states.md",
    checks: CHECKS,
};

static CHECKS: &[Check] = &[
    Check::new(
        "ipv4_addresses_decoded",
        "#reading-procnettcp",
        ipv4_addresses_decoded,
    ),
    Check::new(
        "ipv6_addresses_decoded",
        "#reading-procnettcp",
        ipv6_addresses_decoded,
    ),
    Check::new(
        "v4_mapped_addresses_shown",
        "#ipv4-mapped-addresses",
        v4_mapped_addresses_shown,
    ),
    Check::new("every_state_named", "#the-state-codes", every_state_named),
    Check::new(
        "malformed_lines_skipped",
        "#reading-procnettcp",
        malformed_lines_skipped,
    ),
    Check::new("filters_by_port", "#filtering-by-port", filters_by_port),
    Check::new("bad_port_is_usage_error", "#usage", bad_port_is_usage_error),
    Check::new(
        "missing_file_is_an_error",
        "#usage",
        missing_file_is_an_error,
    ),
    #[cfg(target_os = "linux")]
    Check::new(
        "live_listener_listed",
        "#reading-ss--tan-and-netstat--an",
        live::listener_listed,
    ),
    #[cfg(target_os = "linux")]
    Check::new(
        "live_half_close_states",
        "#half-close",
        live::half_close_states,
    ),
    #[cfg(target_os = "linux")]
    Check::new(
        "live_ipv6_listener_listed",
        "#reading-procnettcp",
        live::ipv6_listener_listed,
    ),
    #[cfg(target_os = "linux")]
    Check::new(
        "demo_states_in_order",
        "#the-demo",
        live::demo_states_in_order,
    ),
    #[cfg(target_os = "linux")]
    Check::new(
        "demo_window_fills_and_drains",
        "#the-sliding-window",
        live::demo_window_fills_and_drains,
    ),
];

const HEADER: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
const HEADER6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";

/// A /proc/net/tcp line for slot `n`, with the fields after the queues as the kernel
/// writes them.
fn proc_line(n: usize, local: &str, remote: &str, state: &str) -> String {
    format!(
        "{n:>4}: {local} {remote} {state} 00000000:00000000 00:00000000 00000000  1000        0 4{n:04} 1 0000000000000000 100 0 0 10 0"
    )
}

/// A recorded table: header, then the lines.
fn table(header: &str, lines: &[(&str, &str, &str)]) -> String {
    let mut text = format!("{header}\n");
    for (n, (local, remote, state)) in lines.iter().enumerate() {
        text.push_str(&proc_line(n, local, remote, state));
        text.push('\n');
    }
    text
}

/// One socket as the program printed it: proto, local, remote, state.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    proto: String,
    local: String,
    remote: String,
    state: String,
}

impl Row {
    fn new(proto: &str, local: &str, remote: &str, state: &str) -> Row {
        Row {
            proto: proto.into(),
            local: local.into(),
            remote: remote.into(),
            state: state.into(),
        }
    }

    fn line(&self) -> String {
        format!(
            "{} {} {} {}",
            self.proto, self.local, self.remote, self.state
        )
    }

    /// The port after the last `:` of an address as printed.
    fn port(addr: &str) -> Option<u16> {
        addr.rsplit_once(':')?.1.parse().ok()
    }
}

/// The socket lines of a listing: four fields, the first `tcp` or `tcp6`. The header and
/// anything else are not sockets.
fn rows(output: &Output) -> Vec<Row> {
    output
        .stdout_lines()
        .iter()
        .filter_map(
            |line| match line.split_whitespace().collect::<Vec<_>>()[..] {
                [proto @ ("tcp" | "tcp6"), local, remote, state] => {
                    Some(Row::new(proto, local, remote, state))
                }
                _ => None,
            },
        )
        .collect()
}

/// Run `tcp_states --file <recorded table> [PORT]`, expecting exit code 0.
fn run_file(ctx: &Ctx, contents: &[u8], port: Option<&str>) -> Result<Output, Failure> {
    let dir = TempDir::new()?;
    let path = dir.path().join("tcp");
    fs::write(&path, contents)?;
    let mut cmd = ctx.student("tcp_states").arg("--file").arg(&path);
    if let Some(port) = port {
        cmd = cmd.arg(port);
    }
    let output = cmd.run()?;
    expect::exit_code(&output, 0, "the file exists and can be read")?;
    Ok(output)
}

/// Every socket in `wanted` is listed with those addresses (its state is another check's
/// business).
fn expect_addresses(output: &Output, wanted: &[Row], why: &str) -> Result<(), Failure> {
    let got = rows(output);
    for want in wanted {
        let same = |r: &&Row| r.proto == want.proto && r.local == want.local;
        if got.iter().any(|r| same(&r) && r.remote == want.remote) {
            continue;
        }
        let near = got.iter().find(same).or_else(|| got.first());
        let near = near.map_or("no socket lines at all".to_string(), |r| {
            format!("{:?}", r.line())
        });
        return Err(Failure::expected(
            format!(
                "a line `{} {} {} <state>` ({why})",
                want.proto, want.local, want.remote
            ),
            near,
        )
        .with_run(output));
    }
    Ok(())
}

fn ipv4_addresses_decoded(ctx: &Ctx) -> Result<(), Failure> {
    let text = table(
        HEADER,
        &[
            ("0100007F:1F40", "00000000:0000", "0A"),
            ("0100007F:A0D4", "0100007F:1F40", "01"),
            ("0202A8C0:C350", "22D8B85D:01BB", "01"),
        ],
    );
    let output = run_file(ctx, text.as_bytes(), None)?;
    expect_addresses(
        &output,
        &[
            Row::new("tcp", "127.0.0.1:8000", "0.0.0.0:0", ""),
            Row::new("tcp", "127.0.0.1:41172", "127.0.0.1:8000", ""),
            Row::new("tcp", "192.168.2.2:50000", "93.184.216.34:443", ""),
        ],
        "0202A8C0 is the bytes C0 A8 02 02 of a little-endian word: 192.168.2.2; ports are \
         plain hex: 1F40 is 8000",
    )
}

fn ipv6_addresses_decoded(ctx: &Ctx) -> Result<(), Failure> {
    let text = table(
        HEADER6,
        &[
            (
                "00000000000000000000000001000000:1F41",
                "00000000000000000000000000000000:0000",
                "0A",
            ),
            (
                "B80D0120000000000000000001000000:01BB",
                "B80D0120000000000000000002000000:D431",
                "01",
            ),
        ],
    );
    let output = run_file(ctx, text.as_bytes(), None)?;
    expect_addresses(
        &output,
        &[
            Row::new("tcp6", "[::1]:8001", "[::]:0", ""),
            Row::new("tcp6", "[2001:db8::1]:443", "[2001:db8::2]:54321", ""),
        ],
        "an IPv6 address is four 32-bit words, each in host byte order: B80D0120 is 20 01 0D B8",
    )
}

fn v4_mapped_addresses_shown(ctx: &Ctx) -> Result<(), Failure> {
    let text = table(
        HEADER6,
        &[
            (
                "0000000000000000FFFF00000100007F:1F40",
                "0000000000000000FFFF00000100007F:9A46",
                "01",
            ),
            (
                "0000000000000000FFFF00000202A8C0:01BB",
                "0000000000000000FFFF000022D8B85D:C350",
                "01",
            ),
        ],
    );
    let output = run_file(ctx, text.as_bytes(), None)?;
    expect_addresses(
        &output,
        &[
            Row::new(
                "tcp6",
                "[::ffff:127.0.0.1]:8000",
                "[::ffff:127.0.0.1]:39494",
                "",
            ),
            Row::new(
                "tcp6",
                "[::ffff:192.168.2.2]:443",
                "[::ffff:93.184.216.34]:50000",
                "",
            ),
        ],
        "an IPv6 socket talking to an IPv4 peer: its address stays IPv6, printed as `ss` does",
    )
}

/// The names ss and netstat use for codes 01..0B.
const STATE_NAMES: [&str; 11] = [
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

fn every_state_named(ctx: &Ctx) -> Result<(), Failure> {
    // Local port 7001 has state 01, 7002 state 02, ... 7011 state 0B.
    let lines: Vec<(String, String, String)> = (1..=11u16)
        .map(|code| {
            (
                format!("0100007F:{:04X}", 7000 + code),
                "0100007F:1F40".to_string(),
                format!("{code:02X}"),
            )
        })
        .collect();
    let borrowed: Vec<(&str, &str, &str)> = lines
        .iter()
        .map(|(l, r, s)| (l.as_str(), r.as_str(), s.as_str()))
        .collect();
    let output = run_file(ctx, table(HEADER, &borrowed).as_bytes(), None)?;
    let got = rows(&output);
    for (i, name) in STATE_NAMES.iter().enumerate() {
        let port = 7001 + i as u16;
        let state = got
            .iter()
            .find(|r| Row::port(&r.local) == Some(port))
            .map(|r| r.state.as_str());
        if state != Some(name) {
            return Err(Failure::expected(
                format!(
                    "state {name} for the socket on port {port} (code {:02X}; codes run from 01, ESTABLISHED, to 0B, CLOSING)",
                    i + 1
                ),
                state.map_or(format!("no line for port {port}"), |s| s.to_string()),
            )
            .with_run(&output));
        }
    }
    Ok(())
}

fn malformed_lines_skipped(ctx: &Ctx) -> Result<(), Failure> {
    let good = |n, port: &str| proc_line(n, &format!("0100007F:{port}"), "00000000:0000", "0A");
    let mut text = Vec::new();
    let mut line = |bytes: &[u8]| {
        text.extend_from_slice(bytes);
        text.push(b'\n');
    };
    line(HEADER.as_bytes());
    line(good(0, "2329").as_bytes()); // port 9001
    line(b"");
    line(b"   1: ZZZZZZZZ:1F40 00000000:0000 0A 00000000:00000000");
    line(b"   2: 0100007F:1F40");
    line(b"   3: 0100007F1F40 00000000:0000 0A 00000000:00000000");
    line(b"   4: 0100007:1F40 00000000:0000 0A 00000000:00000000");
    line(b"   5: 0100007F:1F4000 00000000:0000 0A 00000000:00000000");
    line(b"   6: 0100007F:1F40 00000000:0000 XY 00000000:00000000");
    line("   7: 0000000\u{e9}00000000000000000000000:1F40 00000000000000000000000000000000:0000 0A 00000000:00000000".as_bytes());
    line(b"   8: 0100007F:1F40 \xff\xfe\x00\x01:0000 0A 00000000:00000000");
    line(b"   9: 0100007F:1F40 00000000:0000 0A");
    line(b"garbage");
    line(HEADER6.as_bytes());
    line(good(10, "232A").as_bytes()); // port 9002
    let output = run_file(ctx, &text, None)?;
    let ports: Vec<Option<u16>> = rows(&output).iter().map(|r| Row::port(&r.local)).collect();
    if ports != [Some(9001), Some(9002)] {
        return Err(Failure::expected(
            "exactly two sockets, on ports 9001 and 9002: the lines that are not a socket \
             (header, empty, bad hex, too few fields, bad bytes) are skipped",
            format!("sockets on local ports {ports:?}"),
        )
        .with_run(&output));
    }
    Ok(())
}

fn filters_by_port(ctx: &Ctx) -> Result<(), Failure> {
    let text = table(
        HEADER,
        &[
            ("0100007F:1F40", "00000000:0000", "0A"), // 8000 listening: yes
            ("0100007F:A0D4", "0100007F:1F40", "01"), // 41172 -> 8000: yes (remote)
            ("0100007F:1F40", "0100007F:A0D4", "01"), // 8000 -> 41172: yes (local)
            ("0100007F:1F90", "00000000:0000", "0A"), // 8080: no
            ("0100007F:4650", "00000000:0000", "0A"), // 18000: no, though it ends in 8000
            ("0100007F:8000", "00000000:0000", "0A"), // 32768 (hex 8000): no
            ("0202A8C0:C350", "22D8B85D:01BB", "01"), // 50000 -> 443: no
            // One table may hold both kinds (`cat /proc/net/tcp /proc/net/tcp6`, minus
            // the second header): [::1]:8000 listening, yes.
            (
                "00000000000000000000000001000000:1F40",
                "00000000000000000000000000000000:0000",
                "0A",
            ),
        ],
    );
    let output = run_file(ctx, text.as_bytes(), Some("8000"))?;
    let got: BTreeSet<(Option<u16>, Option<u16>)> = rows(&output)
        .iter()
        .map(|r| (Row::port(&r.local), Row::port(&r.remote)))
        .collect();
    let want: BTreeSet<(Option<u16>, Option<u16>)> = [
        (Some(8000), Some(0)),
        (Some(41172), Some(8000)),
        (Some(8000), Some(41172)),
    ]
    .into_iter()
    .collect();
    let lines = rows(&output).len();
    if got != want || lines != 4 {
        return Err(Failure::expected(
            "only the 4 sockets whose local or remote port is 8000 (listeners on IPv4 and \
             IPv6, both ends of one connection), as (local port, remote port): \
             {(8000, 0), (8000, 41172), (41172, 8000)}",
            format!(
                "{lines} socket line(s), ports {{{}}}",
                got.iter()
                    .map(|(l, r)| {
                        let show = |p: &Option<u16>| p.map_or("?".to_string(), |p| p.to_string());
                        format!("({}, {})", show(l), show(r))
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .with_run(&output));
    }
    Ok(())
}

fn bad_port_is_usage_error(ctx: &Ctx) -> Result<(), Failure> {
    for bad in ["http", "70000", "-1"] {
        let output = ctx.student("tcp_states").arg(bad).run()?;
        expect::exit_code(&output, 2, &format!("{bad:?} is not a port number"))?;
        expect::stderr_line_starting(&output, "usage:", "show how to call the program")?;
    }
    Ok(())
}

fn missing_file_is_an_error(ctx: &Ctx) -> Result<(), Failure> {
    let dir = TempDir::new()?;
    let missing = dir.path().join("no-such-table");
    let output = ctx
        .student("tcp_states")
        .arg("--file")
        .arg(&missing)
        .run()?;
    expect::exit_code(&output, 1, "the file does not exist")?;
    expect::stderr_line_starting(&output, "error:", "say what went wrong")
}

/// Checks against the running kernel: sockets this check opens, and the demo.
#[cfg(target_os = "linux")]
mod live {
    use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
    use std::thread;
    use std::time::{Duration, Instant};

    use super::*;

    /// How long the kernel may take to reach a state after the call that causes it.
    const SETTLE: Duration = Duration::from_secs(3);

    /// (local port, remote port, state code) of every IPv4 socket now: just enough of
    /// /proc/net/tcp for the check to know the kernel got where it should before asking
    /// the student's program.
    fn kernel_states() -> Vec<(u16, u16, u8)> {
        let text = fs::read_to_string("/proc/net/tcp").unwrap_or_default();
        text.lines()
            .filter_map(|line| {
                let f: Vec<&str> = line.split_whitespace().collect();
                let port = |field: &str| u16::from_str_radix(field.split_once(':')?.1, 16).ok();
                Some((
                    port(f.get(1)?)?,
                    port(f.get(2)?)?,
                    u8::from_str_radix(f.get(3)?, 16).ok()?,
                ))
            })
            .collect()
    }

    /// Wait (bounded) until every (local port, remote port, state) in `wanted` shows.
    fn settle(wanted: &[(u16, u16, u8)]) -> Result<(), Failure> {
        let deadline = Instant::now() + SETTLE;
        loop {
            let now = kernel_states();
            if wanted.iter().all(|w| now.contains(w)) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Failure::new(format!(
                    "the check's own sockets did not reach the states {wanted:?} within {} ms; \
                     this is a netlab problem or a very slow machine, not your program",
                    SETTLE.as_millis()
                )));
            }
            thread::sleep(Duration::from_millis(2));
        }
    }

    fn expect_rows(output: &Output, wanted: &[Row], why: &str) -> Result<(), Failure> {
        let got = rows(output);
        for want in wanted {
            if got.contains(want) {
                continue;
            }
            let near = got
                .iter()
                .find(|r| r.local == want.local)
                .map_or("no line with that local address".to_string(), |r| {
                    format!("{:?}", r.line())
                });
            return Err(
                Failure::expected(format!("the line `{}` ({why})", want.line()), near)
                    .with_run(output),
            );
        }
        Ok(())
    }

    fn run_port(ctx: &Ctx, port: u16) -> Result<Output, Failure> {
        let output = ctx.student("tcp_states").arg(port.to_string()).run()?;
        expect::exit_code(&output, 0, "Linux has /proc/net/tcp")?;
        Ok(output)
    }

    pub fn listener_listed(ctx: &Ctx) -> Result<(), Failure> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let output = run_port(ctx, port)?;
        expect_rows(
            &output,
            &[Row::new(
                "tcp",
                &format!("127.0.0.1:{port}"),
                "0.0.0.0:0",
                "LISTEN",
            )],
            "the check is listening on this port",
        )
    }

    pub fn ipv6_listener_listed(ctx: &Ctx) -> Result<(), Failure> {
        // [::1] where the machine has an IPv6 loopback; containers often do not, but
        // still let a program listen on [::] (every address, IPv6 and v4-mapped IPv4).
        let listener = TcpListener::bind("[::1]:0")
            .or_else(|_| TcpListener::bind("[::]:0"))
            .map_err(|e| {
                Failure::new(format!(
                    "this machine has no IPv6 at all ({e}), so this check cannot run; \
                     your program is not at fault"
                ))
            })?;
        let local = listener.local_addr()?;
        let output = run_port(ctx, local.port())?;
        expect_rows(
            &output,
            &[Row::new("tcp6", &local.to_string(), "[::]:0", "LISTEN")],
            "the check is listening on IPv6; IPv6 sockets are in /proc/net/tcp6",
        )
    }

    pub fn half_close_states(ctx: &Ctx) -> Result<(), Failure> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let server: SocketAddr = listener.local_addr()?;
        let client = TcpStream::connect(server)?;
        let (_conn, client_addr) = listener.accept()?;
        client.shutdown(Shutdown::Write)?;
        let (p, c) = (server.port(), client_addr.port());
        // FIN_WAIT2 is 05, CLOSE_WAIT 08.
        settle(&[(c, p, 0x05), (p, c, 0x08)])?;
        let output = run_port(ctx, p)?;
        let (p, c) = (server.to_string(), client_addr.to_string());
        expect_rows(
            &output,
            &[
                Row::new("tcp", &c, &p, "FIN_WAIT2"),
                Row::new("tcp", &p, &c, "CLOSE_WAIT"),
            ],
            "the check's client shut down writing; its server has not closed yet",
        )
    }

    fn run_demo(ctx: &Ctx) -> Result<Output, Failure> {
        let output = ctx
            .student("tcp_states")
            .arg("--demo")
            .timeout(Duration::from_secs(10))
            .run()?;
        expect::exit_code(&output, 0, "the demo runs to the end")?;
        Ok(output)
    }

    pub fn demo_states_in_order(ctx: &Ctx) -> Result<(), Failure> {
        let output = run_demo(ctx)?;
        let steps: Vec<(String, String)> = output
            .stdout_lines()
            .iter()
            .filter_map(|line| {
                let (label, rest) = line.split_once(": ")?;
                label.strip_prefix("step ")?.parse::<u32>().ok()?;
                match rest.split_whitespace().collect::<Vec<_>>()[..] {
                    ["client", c, "server", s] => Some((c.to_string(), s.to_string())),
                    _ => None,
                }
            })
            .collect();
        let wanted = [
            ("-", "LISTEN"),
            ("ESTABLISHED", "ESTABLISHED"),
            ("FIN_WAIT2", "CLOSE_WAIT"),
            ("TIME_WAIT", "-"),
        ];
        let mut next = wanted.iter().peekable();
        for (c, s) in &steps {
            if next.peek().is_some_and(|(wc, ws)| c == wc && s == ws) {
                next.next();
            }
        }
        if let Some((c, s)) = next.next() {
            let seen: Vec<String> = steps
                .iter()
                .map(|(c, s)| format!("client {c} server {s}"))
                .collect();
            return Err(Failure::expected(
                format!(
                    "lines `step N: client C server S` going through listen, handshake, \
                     half-close and close in this order: {}; missing `client {c} server {s}`",
                    wanted
                        .iter()
                        .map(|(c, s)| format!("({c}, {s})"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                if seen.is_empty() {
                    "no step lines".to_string()
                } else {
                    seen.join(", ")
                },
            )
            .with_run(&output));
        }
        Ok(())
    }

    /// The number in a line `prefix<number><rest>`.
    fn number_after(output: &Output, prefix: &str) -> Option<u64> {
        output
            .stdout_lines()
            .iter()
            .find_map(|line| leading_number(line.strip_prefix(prefix)?))
    }

    /// The number `text` starts with: `4096 bytes` gives 4096.
    fn leading_number(text: &str) -> Option<u64> {
        let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    }

    pub fn demo_window_fills_and_drains(ctx: &Ctx) -> Result<(), Failure> {
        let output = run_demo(ctx)?;
        let filled = number_after(&output, "window: the client wrote ");
        if matches!(filled, None | Some(0)) {
            return Err(Failure::expected(
                "a line `window: the client wrote N bytes, then write would block`, N > 0",
                format!("{filled:?}"),
            )
            .with_run(&output));
        }
        let lines = output.stdout_lines();
        let drained = lines.iter().find_map(|line| {
            let rest = line.strip_prefix("window: the server read ")?;
            let (_, more) = rest.split_once("; the client then wrote ")?;
            leading_number(more)
        });
        if matches!(drained, None | Some(0)) {
            return Err(Failure::expected(
                "a line `window: the server read N bytes; the client then wrote M more`, M > 0: \
                 once the server reads, the window opens and the writer moves on",
                format!("{drained:?}"),
            )
            .with_run(&output));
        }
        Ok(())
    }
}
