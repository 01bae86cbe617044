//! The demo checks. `tcp_states --demo` reports on itself, so what it prints is compared
//! with what the kernel shows: the connection it names must leave a real TIME_WAIT socket
//! behind (a canned transcript opens none), and its window figures must agree with the
//! queues and the buffer sizes in /proc. Each check judges one part: the states check
//! reads the step lines as they stream and stops before the window part, so a demo that
//! hangs in the window fails only the window check.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use super::table::{self, Sock, TIME_WAIT, kernel_sockets};
use harness::expect;
use harness::{Ctx, Failure, Output, Running};

/// How long the demo may take to reach the end of its state walk (a demo that waits up to
/// three seconds for each of its five steps, and misses them all, still gets there).
const WALK_LIMIT: Duration = Duration::from_secs(20);
/// How long the whole demo may take: a demo that waits up to three seconds for each state
/// (and misses some) still gets to its window part.
const WHOLE_DEMO_LIMIT: Duration = Duration::from_secs(25);
/// How long the window part may take once the state walk is over: the reference's takes
/// milliseconds (it stops writing at the first WouldBlock and reads /proc once), 2 s at
/// most (its last write retries for 2 s while the ACKs that free its buffer come in).
const WINDOW_LIMIT: Duration = Duration::from_secs(3);
/// How long the client's end may take to show TIME_WAIT once the demo said it does.
const SETTLE: Duration = Duration::from_secs(2);

fn start_demo(ctx: &Ctx, limit: Duration) -> Result<Running, Failure> {
    Ok(ctx
        .student("tcp_states")
        .arg("--demo")
        .timeout(limit)
        .spawn()?)
}

/// `step N: client C server S` as (C, S).
fn step(line: &str) -> Option<(String, String)> {
    let (label, rest) = line.split_once(": ")?;
    label.strip_prefix("step ")?.parse::<u32>().ok()?;
    match rest.split_whitespace().collect::<Vec<_>>()[..] {
        ["client", c, "server", s] => Some((c.to_string(), s.to_string())),
        _ => None,
    }
}

/// `step N: client - server -`: the demo found neither of its sockets in /proc.
fn found_neither(line: &str) -> bool {
    step(line).is_some_and(|(c, s)| c == "-" && s == "-")
}

/// Read the demo's lines until its state walk is over (step 5, or the first `window:` line,
/// or a step that found neither socket, or the end of output), within the limit; then stop
/// the demo. The lines before the window part, the run so far, and the sockets the kernel
/// listed when the check stopped reading (the demo still running).
fn state_walk(ctx: &Ctx, stop_at_empty_step: bool) -> Result<Walk, Failure> {
    let demo = start_demo(ctx, WHOLE_DEMO_LIMIT)?;
    // For the states, a step that finds neither socket ends the walk too: the rest would be
    // as empty, and waiting for it costs the demo's every deadline.
    let end = |line: &str| {
        line.starts_with("window:")
            || line.starts_with("step 5:")
            || (stop_at_empty_step && found_neither(line))
    };
    demo.wait_for_line(WALK_LIMIT, end);
    let kernel = kernel_sockets();
    let mut output = demo.kill();
    // What the check read, up to the line it stopped at: whatever the demo printed in the
    // moment before it was stopped differs from run to run.
    let mut at = 0;
    for line in output.stdout.split_inclusive(|&b| b == b'\n') {
        at += line.len();
        if end(&String::from_utf8_lossy(line)) {
            output.stdout.truncate(at);
            break;
        }
    }
    let lines = output
        .stdout_lines()
        .into_iter()
        .take_while(|line| !line.starts_with("window:"))
        .collect();
    Ok(Walk {
        lines,
        output,
        kernel,
    })
}

struct Walk {
    lines: Vec<String>,
    output: Output,
    kernel: Vec<Sock>,
}

/// The run of a state walk, for a failure: what the demo printed up to where the check
/// stopped reading (how it ended is the check's doing, not the demo's).
trait WithWalk {
    fn with_walk(self, output: &Output, stop_at_empty_step: bool) -> Failure;
}

impl WithWalk for Failure {
    fn with_walk(self, output: &Output, stop_at_empty_step: bool) -> Failure {
        let stops = match stop_at_empty_step {
            true => "step 5, the first `window:` line or a step finding neither socket",
            false => "step 5 or the first `window:` line",
        };
        Failure::new(format!(
            "{self}\n     ran: {}\n  stdout: {}\n          (the check read up to {stops}, then \
             stopped the demo)",
            output.command_line,
            harness::excerpt(&output.stdout, 0)
        ))
    }
}

pub fn states_in_order(ctx: &Ctx) -> Result<(), Failure> {
    let Walk {
        lines,
        output,
        kernel,
    } = state_walk(ctx, true)?;
    if let Some(empty) = lines.iter().find(|l| found_neither(l)) {
        // What the kernel listed for the server the demo named, as /proc writes it: the
        // line its lookup missed.
        let server = addresses(&lines).into_iter().next();
        let listed = server.and_then(|server| kernel.iter().find(|s| s.local == server));
        let why = match listed {
            Some(sock) => format!(
                "yet /proc/net/tcp listed the demo's server {} right then, its address \
                 written `{}`, its state `{:02X}` ({}): the demo's lookup missed that line. \
                 Decode it as the listing does (each address word in the machine's byte \
                 order, the state code hex) and compare with the address the socket reports",
                sock.local,
                table::proc_addr(sock.local)
                    .split(':')
                    .next()
                    .unwrap_or_default(),
                sock.code,
                sock.state()
            ),
            None => "the demo found neither of its sockets in /proc/net/tcp: look them up by \
                     their local address (and the peer's), decoded as the listing decodes them"
                .to_string(),
        };
        return Err(Failure::expected(
            "every step line showing at least one of the demo's two sockets: from listen() \
             on, /proc/net/tcp lists the server's, and the client's from connect() on"
                .to_string(),
            format!("`{}`: {why}", empty.trim()),
        )
        .with_walk(&output, true));
    }
    let steps: Vec<(String, String)> = lines.iter().filter_map(|l| step(l)).collect();
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
    let Some((c, s)) = next.next() else {
        return Ok(());
    };
    let seen: Vec<String> = steps
        .iter()
        .map(|(c, s)| format!("client {c} server {s}"))
        .collect();
    Err(Failure::expected(
        format!(
            "lines `step N: client C server S` going through listen, handshake, half-close \
             and close in this order: {}; missing `client {c} server {s}`",
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
    .with_walk(&output, true))
}

/// Every `address:port` the lines name (`server 127.0.0.1:40051`, `is 127.0.0.1:49242;`).
fn addresses(lines: &[String]) -> Vec<SocketAddr> {
    let mut found = Vec::new();
    for word in lines.iter().flat_map(|l| l.split_whitespace()) {
        let word = word.trim_matches(|c: char| ",;()`'\"".contains(c));
        let word = word.strip_suffix('.').unwrap_or(word);
        if let Ok(addr) = word.parse::<SocketAddr>()
            && !found.contains(&addr)
        {
            found.push(addr);
        }
    }
    found
}

/// (local, remote) of every TIME_WAIT socket now.
fn time_waits() -> BTreeSet<(SocketAddr, SocketAddr)> {
    kernel_sockets()
        .into_iter()
        .filter(|s| s.code == TIME_WAIT)
        .map(|s| (s.local, s.remote))
        .collect()
}

pub fn connection_is_real(ctx: &Ctx) -> Result<(), Failure> {
    // A connection the demo really walked to its end leaves the client's socket in
    // TIME_WAIT for 60 s after the demo exits: a trace no transcript can fake. It must be
    // new (not there before the demo started) and join two addresses the demo printed.
    let before = time_waits();
    // Not stopped at a step finding neither socket: the connection may be real all the
    // same (its states are demo_states_in_order's business).
    let Walk { lines, output, .. } = state_walk(ctx, false)?;
    let printed = addresses(&lines);
    let shown = printed
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if printed.len() < 2 {
        return Err(Failure::expected(
            "the demo names its server's address (`demo: ... server 127.0.0.1:PORT`) and \
             its client's (`... the client is 127.0.0.1:PORT`) before the window part",
            if printed.is_empty() {
                "no address".to_string()
            } else {
                format!("only {shown}")
            },
        )
        .with_walk(&output, false));
    }
    let found = harness::wait::until(SETTLE, || {
        time_waits()
            .into_iter()
            .any(|(local, remote)| {
                printed.contains(&local)
                    && printed.contains(&remote)
                    && !before.contains(&(local, remote))
            })
            .then_some(())
    });
    if found.is_ok() {
        return Ok(());
    }
    Err(Failure::expected(
        "a real connection between the addresses the demo printed: once its client has \
         seen the server's FIN, /proc/net/tcp lists the client's socket in TIME_WAIT (06), \
         local = the client, remote = the server, for 60 s",
        format!(
            "no new TIME_WAIT socket between any two of {shown}: the steps printed are not \
             those of a connection this demo made (the states must be read from \
             /proc/net/tcp, not printed from a script)"
        ),
    )
    .with_walk(&output, false))
}

/// The number `text` starts with: `4096 bytes` gives 4096.
fn leading_number(text: &str) -> Option<u64> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The numbers in `text`, in order.
fn numbers(text: &str) -> Vec<u64> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect()
}

/// The first line starting with `prefix`, without it.
fn after<'a>(lines: &'a [String], prefix: &str) -> Option<&'a str> {
    lines.iter().find_map(|l| l.strip_prefix(prefix))
}

/// `min default max` of /proc/sys/net/ipv4/<name>.
fn sysctl(name: &str) -> Result<[u64; 3], Failure> {
    let path = format!("/proc/sys/net/ipv4/{name}");
    let text = std::fs::read_to_string(&path)?;
    match numbers(&text)[..] {
        [min, default, max] => Ok([min, default, max]),
        _ => Err(Failure::new(format!(
            "the check could not read {path}: {text:?}"
        ))),
    }
}

pub fn window_fills_and_drains(ctx: &Ctx) -> Result<(), Failure> {
    let wmem = sysctl("tcp_wmem")?;
    let rmem = sysctl("tcp_rmem")?;
    let demo = start_demo(ctx, WHOLE_DEMO_LIMIT)?;
    // The walk may take its time (a demo that misses its states waits for each); the
    // window part after it may not.
    let walked = demo
        .wait_for_line(WALK_LIMIT, |l| {
            l.starts_with("window:") || l.starts_with("step 5:")
        })
        .is_some();
    let output = match walked {
        true => demo.wait_for_exit(WINDOW_LIMIT),
        false => demo.wait(),
    };
    let lines = output.stdout_lines();
    if output.timed_out {
        let part = match lines.iter().rposition(|l| l.starts_with("window:")) {
            Some(_) => "in its window part",
            None if lines.iter().any(|l| step(l).is_some()) => {
                "after its state walk, before any `window:` line"
            }
            None => "before its first step",
        };
        return Err(Failure::expected(
            format!(
                "the demo to finish within {} s, its window part within {} s of the state \
                 walk: the window's client is non-blocking (set_nonblocking) and stops at \
                 WouldBlock; every wait has a deadline",
                WHOLE_DEMO_LIMIT.as_secs(),
                WINDOW_LIMIT.as_secs()
            ),
            format!("it hung {part}, killed"),
        )
        .with_run(&output));
    }
    expect::exit_code(&output, 0, "the demo runs to the end, window part included")?;
    let fail =
        |expected: String, got: String| Err(Failure::expected(expected, got).with_run(&output));

    let filled = after(&lines, "window: the client wrote ").and_then(leading_number);
    let Some(filled) = filled.filter(|&n| n > 0) else {
        return fail(
            "a line `window: the client wrote N bytes, then write would block`, N > 0".into(),
            format!("{filled:?}"),
        );
    };
    // The kernel takes at least its smallest send buffer before a write would block, and
    // at most the largest send buffer plus the largest receive buffer (and a little).
    let (least, most) = (wmem[0], wmem[2] + rmem[2] + (1 << 20));
    if filled < least || filled > most {
        return fail(
            format!(
                "N between {least} (tcp_wmem's minimum) and {most} (the largest send and \
                 receive buffers together): the bytes written until write would block, \
                 counted from what each write returned"
            ),
            format!("N = {filled}"),
        );
    }
    // The queues, read with the demo's own parser: each holds part of what was written,
    // so neither can exceed it, and together they hold about all of it (what the server
    // received but did not acknowledge yet counts in both): at least half, whatever moved
    // while /proc was being read.
    let queues = after(&lines, "window: /proc/net/tcp shows ").map(numbers);
    let Some(&[sent, unread, ..]) = queues.as_deref() else {
        return fail(
            "a line `window: /proc/net/tcp shows X bytes not yet acknowledged in the \
             client's send queue (tx_queue), Y not yet read in the server's (rx_queue)`, \
             the window connection's two sockets found in /proc/net/tcp by their addresses"
                .into(),
            "no such line".into(),
        );
    };
    if sent > filled || unread > filled || 2 * (sent + unread) < filled {
        return fail(
            format!(
                "tx_queue and rx_queue of the window's connection, read from /proc/net/tcp \
                 while the writer is blocked: each at most the {filled} bytes the client \
                 wrote, together about all of them (the client's socket and the server's, \
                 found by both addresses)"
            ),
            format!("tx_queue {sent}, rx_queue {unread}"),
        );
    }
    let buffers = after(&lines, "window: buffers start at ").map(numbers);
    let want = [wmem[1], rmem[1]];
    if buffers.as_deref().map(|b| b.get(..2)) != Some(Some(&want[..])) {
        return fail(
            format!(
                "a line `window: buffers start at {} bytes to send (tcp_wmem) and {} to \
                 receive (tcp_rmem)`: the middle figures of /proc/sys/net/ipv4/tcp_wmem and \
                 tcp_rmem on this machine, read from those files",
                want[0], want[1]
            ),
            match after(&lines, "window: buffers start at ") {
                Some(rest) => format!("{:?}", format!("window: buffers start at {rest}")),
                None => "no such line".into(),
            },
        );
    }
    let drained = after(&lines, "window: the server read ").and_then(|rest| {
        let (read, more) = rest.split_once("; the client then wrote ")?;
        Some((leading_number(read)?, leading_number(more)?))
    });
    match drained {
        Some((read, more)) if read == filled && more > 0 => Ok(()),
        Some((read, _)) if read != filled => fail(
            format!("the server reads all {filled} bytes the client wrote"),
            format!("`window: the server read {read} bytes ...`"),
        ),
        _ => fail(
            "a line `window: the server read N bytes; the client then wrote M more`, M > 0: \
             once the server reads, the window opens and the writer moves on"
                .into(),
            format!("{drained:?}"),
        ),
    }
}
