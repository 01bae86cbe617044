//! udp_cs client checks: the message and stdin lines sent as they are (non-UTF-8 too),
//! the reply printed whole and as it came, usage errors, IPv6, and the student's client
//! against the reference server and the student's own. What the client does while it
//! waits (timeouts, retries, strangers, duplicates) is in client_waits.rs.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

use super::hints::{print_mistake, sent_mistake};
use super::{CLIENT_RUN, LARGEST, START, words};
use crate::peer::{Behaviour, EchoPeer};
use harness::bytes::show;
use harness::draw;
use harness::expect;
use harness::net::has_ipv6;
use harness::{Cmd, Ctx, Failure, Output, start_server, with_server};

/// The student's client, with a wall-clock limit.
pub(super) fn student_client(ctx: &Ctx) -> Cmd {
    ctx.student("udp_client").timeout(CLIENT_RUN)
}

/// What the client's stdout should be for these replies: each, then a newline.
pub(super) fn printed(replies: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for reply in replies {
        out.extend_from_slice(reply);
        out.push(b'\n');
    }
    out
}

/// Stdout is exactly the replies, each followed by a newline. When it is not, the
/// failure names the usual way of getting it wrong, where it can tell which.
pub(super) fn replies_printed(
    output: &Output,
    replies: &[&[u8]],
    why: &str,
) -> Result<(), Failure> {
    let wanted = printed(replies);
    let got = &output.stdout;
    if *got == wanted {
        return Ok(());
    }
    let hint = print_mistake(replies, got);
    let why = match hint {
        Some(hint) => format!("{why}; {hint}"),
        None => why.to_string(),
    };
    expect::stdout_is(output, &wanted, &why)
}

/// A client that ran out of time is told so before anything else. `tries`: the
/// `--timeout` and `--tries` it was given, when the run is about giving up in time.
pub(super) fn not_hung(
    output: &Output,
    why: &str,
    tries: Option<(u64, u64)>,
) -> Result<(), Failure> {
    if !output.timed_out {
        return Ok(());
    }
    let got = match tries {
        Some((timeout, tries)) => format!(
            "gave no answer within {} ms, for --timeout {timeout} --tries {tries} ({} ms in \
             all): is the timeout applied in milliseconds (Duration::from_millis, not \
             from_secs)? Or is no read timeout set at all, so recv waits forever \
             (socket.set_read_timeout)?",
            output.elapsed.as_millis(),
            timeout * tries
        ),
        None => format!(
            "still running after {} ms: does recv wait forever? Set a read timeout",
            output.elapsed.as_millis()
        ),
    };
    Err(Failure::expected(format!("the client to finish ({why})"), got).with_run(output))
}

/// What the peer received, for a failure message.
pub(super) fn datagrams(received: &[Vec<u8>]) -> String {
    if received.is_empty() {
        return "no datagram".to_string();
    }
    let shown: Vec<String> = received.iter().map(|r| show(r)).collect();
    format!("{} datagram(s): {}", received.len(), shown.join(", "))
}

/// The peer received exactly these payloads, in order.
pub(super) fn peer_got(
    peer: &EchoPeer,
    wanted: &[&[u8]],
    why: &str,
    output: &Output,
) -> Result<(), Failure> {
    let received = peer.received();
    if received
        .iter()
        .map(Vec::as_slice)
        .eq(wanted.iter().copied())
    {
        return Ok(());
    }
    let shown: Vec<String> = wanted.iter().map(|w| show(w)).collect();
    let hint = sent_mistake(wanted, &received).unwrap_or_default();
    Err(Failure::expected(
        format!(
            "the server to receive {} datagram(s): {} ({why})",
            wanted.len(),
            shown.join(", ")
        ),
        format!("it received {}{hint}", datagrams(&received)),
    )
    .with_run(output))
}

/// Stderr has exactly the give-up line.
pub(super) fn gave_up(output: &Output, addr: &str, tries: u64) -> Result<(), Failure> {
    let wanted = format!("error: no reply from {addr} after {tries} tries");
    if output.stderr_text().lines().any(|l| l == wanted) {
        return Ok(());
    }
    Err(Failure::expected(
        format!("the line {wanted:?} on stderr"),
        format!("{:?}", output.stderr_text().trim_end()),
    )
    .with_run(output))
}

/// The client against an echo peer that answers at once: started with `input` (MESSAGE
/// words or stdin) after the peer's address, it must send exactly `sent` (`why_sent`),
/// print each echo on its own line (`why_printed`), and exit 0 (`why_done`).
pub(super) fn echo_exchange(
    ctx: &Ctx,
    input: impl FnOnce(Cmd) -> Cmd,
    sent: &[&[u8]],
    [why_sent, why_printed, why_done]: [&str; 3],
) -> Result<(), Failure> {
    let peer = EchoPeer::echo()?;
    let output = input(student_client(ctx).arg(peer.addr().to_string())).run()?;
    not_hung(&output, "an echo server answers at once", None)?;
    peer_got(&peer, sent, why_sent, &output)?;
    replies_printed(&output, sent, why_printed)?;
    expect::exit_code(&output, 0, why_done)
}

pub fn message_words_joined(ctx: &Ctx) -> Result<(), Failure> {
    let (message, stdin) = {
        let mut rng = ctx.rng();
        let count = rng.usize(2..=4);
        let mut message = words(&mut rng, count);
        let chars = rng.usize(2..=5);
        message.insert(1, draw::unicode_text(&mut rng, chars));
        // After ADDR every argument is a word, one that looks like an option too.
        let dashed = format!("--{}", draw::short_word(&mut rng));
        message.insert(2, dashed);
        // Lines on stdin that are not to be read: the message is on the command line.
        let stdin = format!("{}\n", words(&mut rng, 2).join("\n"));
        (message, stdin)
    };
    let joined = message.join(" ");
    echo_exchange(
        ctx,
        |cmd| cmd.args(&message).stdin(stdin),
        &[joined.as_bytes()],
        [
            "the words after ADDR (`--` ones too) joined by single spaces, sent as ONE \
             datagram; with MESSAGE words, stdin is not read",
            "the reply and a newline",
            "the server replied",
        ],
    )
}

pub fn reply_printed_as_is(ctx: &Ctx) -> Result<(), Failure> {
    // A first word that starts with a space, a last one ending in spaces, a tab and a
    // newline: the reply starts and ends the same way, and printing it as it is gives a
    // blank-looking line.
    let message = {
        let mut rng = ctx.rng();
        let count = rng.usize(2..=4);
        let mut message = words(&mut rng, count);
        message[0].insert(0, ' ');
        if let Some(last) = message.last_mut() {
            last.push_str(" \t\n");
        }
        message
    };
    let joined = message.join(" ");
    echo_exchange(
        ctx,
        |cmd| cmd.args(&message),
        &[joined.as_bytes()],
        [
            "the words joined by single spaces, the first one's space and the last one's \
             newline included",
            "the reply as it came (its spaces and its own newline included), then a newline",
            "the server replied",
        ],
    )
}

pub fn long_reply(ctx: &Ctx) -> Result<(), Failure> {
    // The largest datagram, far over 1 KiB: any buffer short of 65,507 bytes cuts it.
    // One stdin line, so that the command line in a failure stays short.
    let line = {
        let mut rng = ctx.rng();
        let total = LARGEST;
        let mut line = draw::word(&mut rng, 8);
        while line.len() < total {
            let word_len = rng.usize(1..=12).min(total - line.len()).max(1);
            line.push(' ');
            line.push_str(&draw::word(&mut rng, word_len));
        }
        line.truncate(total);
        // Never a blank at the end: trimming is client_reply_printed_as_is's business.
        if line.ends_with(' ') {
            line.pop();
            line.push(rng.lowercase());
        }
        line.into_bytes()
    };
    let peer = EchoPeer::echo()?;
    let (timeout, tries) = (200, 2);
    let output = student_client(ctx)
        .args([
            "--timeout",
            &timeout.to_string(),
            "--tries",
            &tries.to_string(),
        ])
        .arg(peer.addr().to_string())
        .stdin(printed(&[&line]))
        .run()?;
    not_hung(
        &output,
        "an echo server answers at once",
        Some((timeout, tries)),
    )?;
    let wanted = format!(
        "the {}-byte reply to a {}-byte stdin line printed whole, then a newline",
        line.len(),
        line.len()
    );
    let echoed = peer.received().iter().filter(|r| **r == line).count();
    if output.stdout.is_empty() && echoed > 0 {
        return Err(Failure::expected(
            wanted,
            format!(
                "nothing printed, though the server echoed all {} bytes {echoed} time(s): is \
                 the client's receive buffer smaller than the reply? recv cuts a longer \
                 datagram to the buffer's size, so the cut reply never equals what was \
                 sent. Use a 65,536-byte buffer",
                line.len()
            ),
        )
        .with_run(&output));
    }
    let cut = output.stdout.strip_suffix(b"\n").unwrap_or(&output.stdout);
    if !cut.is_empty() && cut.len() < line.len() && line.starts_with(cut) {
        return Err(Failure::expected(
            wanted,
            format!(
                "only its first {} bytes: the client's receive buffer is {} bytes, and recv \
                 cuts a longer datagram to the buffer's size. Use a 65,536-byte buffer",
                cut.len(),
                cut.len()
            ),
        )
        .with_run(&output));
    }
    replies_printed(&output, &[&line], "the whole reply and a newline")?;
    expect::exit_code(&output, 0, "the server replied")
}

pub fn message_too_long_error(ctx: &Ctx) -> Result<(), Failure> {
    // Over 65,507 bytes: no UDP datagram over IPv4 can carry it, and send says so.
    let line = {
        let mut rng = ctx.rng();
        let len = rng.usize(65_508..=70_000);
        (0..len).map(|_| rng.u8(b'a'..=b'z')).collect::<Vec<u8>>()
    };
    let peer = EchoPeer::echo()?;
    let addr = peer.addr().to_string();
    let (timeout, tries) = (100, 2);
    let output = student_client(ctx)
        .args([
            "--timeout",
            &timeout.to_string(),
            "--tries",
            &tries.to_string(),
        ])
        .arg(&addr)
        .stdin(printed(&[&line]))
        .run()?;
    not_hung(
        &output,
        "sending fails at once: there is nothing to wait for",
        Some((timeout, tries)),
    )?;
    let wanted = format!(
        "`error: ...` saying why the {}-byte line could not be sent (send fails: \
         \"Message too long\"), and exit code 1",
        line.len()
    );
    let stderr = output.stderr_text();
    if stderr.lines().any(|l| l.starts_with("error: no reply")) {
        return Err(Failure::expected(
            wanted,
            format!(
                "{:?}: nothing was ever sent, so the server's silence is not what went \
                 wrong. An error from send (other than ConnectionRefused) ends the \
                 exchange: report it",
                stderr.trim_end()
            ),
        )
        .with_run(&output));
    }
    expect::clean_error(&output, &wanted)
}

pub fn stdin_lines_in_order(ctx: &Ctx) -> Result<(), Failure> {
    let (lines, crlf_at, empty_at) = {
        let mut rng = ctx.rng();
        let count = rng.usize(4..=6);
        let mut lines: Vec<String> = (0..count)
            .map(|_| {
                let n = rng.usize(1..=3);
                words(&mut rng, n).join(" ")
            })
            .collect();
        // An empty line, never the last (which has no line end), and a line that ends
        // in \r\n, in every run; that one has spaces at both ends, kept.
        let empty_at = rng.usize(..count - 1);
        lines[empty_at] = String::new();
        let crlf_at = (empty_at + 1 + rng.usize(..count - 2)) % (count - 1);
        lines[crlf_at] = format!("  {} ", lines[crlf_at]);
        (lines, crlf_at, empty_at)
    };
    // The last line without a line end, in every run (an editor's file, `printf`): still
    // a line. The other stdin checks end theirs with one.
    let mut stdin = String::new();
    for (i, line) in lines.iter().enumerate() {
        stdin.push_str(line);
        if i == crlf_at {
            stdin.push('\r');
        }
        if i + 1 < lines.len() {
            stdin.push('\n');
        }
    }
    let wanted: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
    let why_sent = format!(
        "no MESSAGE words: one datagram per stdin line, without its line end (\\n, or \
         \\r\\n as line {} has: drop the \\r too), nothing else taken off; line {} is \
         empty: an empty datagram; a last line without a line end is a line too",
        crlf_at + 1,
        empty_at + 1
    );
    echo_exchange(
        ctx,
        |cmd| cmd.stdin(stdin),
        &wanted,
        [
            &why_sent,
            "each reply on its own line, in order, the empty line's reply an empty line",
            "every line got its reply",
        ],
    )
}

pub fn stdin_not_utf8(ctx: &Ctx) -> Result<(), Failure> {
    let lines: Vec<Vec<u8>> = {
        let mut rng = ctx.rng();
        let first = draw::short_word(&mut rng).into_bytes();
        let (bad, _) = draw::not_utf8(&mut rng);
        let chars = rng.usize(2..=5);
        let wide = draw::unicode_text(&mut rng, chars).into_bytes();
        vec![first, bad, wide]
    };
    let stdin: Vec<u8> = printed(&lines.iter().map(Vec::as_slice).collect::<Vec<_>>());
    let wanted: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
    echo_exchange(
        ctx,
        |cmd| cmd.stdin(stdin),
        &wanted,
        [
            "a line that is not UTF-8 is bytes to send as they are: read stdin as bytes \
             (BufRead::split(b'\\n') or read_until), not lines(), which stops at such a line",
            "each reply's bytes as they came, UTF-8 or not, then a newline",
            "every line got its reply",
        ],
    )
}

pub fn bad_options_usage_error(ctx: &Ctx) -> Result<(), Failure> {
    // Letters only: a drawn `614` would be a fine number of milliseconds.
    let word = {
        let mut rng = ctx.rng();
        let len = rng.usize(3..=8);
        let mut word: String = (0..len).map(|_| rng.lowercase()).collect();
        if word == "timeout" || word == "tries" {
            word.push('s');
        }
        word
    };
    let unknown = format!("--{word}");
    let peer = EchoPeer::echo()?;
    let addr = peer.addr().to_string();
    let cases: [&[&str]; 11] = [
        &["--timeout", &word, &addr, "x"],
        &["--timeout", "-5", &addr, "x"],
        &["--timeout", "0", &addr, "x"],
        &["--timeout", "1.5", &addr, "x"],
        &["--tries", "0", &addr, "x"],
        &["--tries", "-1", &addr, "x"],
        &["--tries", &word, &addr, "x"],
        &[&unknown, &addr, "x"],
        &["--timeout"],
        &["--tries"],
        &[],
    ];
    for args in cases {
        let output = student_client(ctx).args(args).run()?;
        expect::usage_error(
            &output,
            "udp_client",
            "a bad option value, an unknown option, or no ADDR is a usage error",
        )?;
    }
    Ok(())
}

pub fn host_name(ctx: &Ctx) -> Result<(), Failure> {
    let message = {
        let mut rng = ctx.rng();
        let count = rng.usize(1..=3);
        words(&mut rng, count)
    };
    let joined = message.join(" ");
    // Where `localhost` leads here: the peer listens on its first address.
    let first = ("localhost", 0)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .unwrap_or(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
    let peer = EchoPeer::start_on(first, Behaviour::default())?;
    let addr = format!("localhost:{}", peer.addr().port());
    ctx.step(format!("the server listens on {}", peer.addr()));
    let output = student_client(ctx).arg(&addr).args(&message).run()?;
    not_hung(&output, "an echo server answers at once", None)?;
    let why = format!(
        "ADDR may be a host name and port ({addr}): resolve it (ToSocketAddrs, as \
         UdpSocket::connect does), do not parse it as an IP address"
    );
    if output.stdout.is_empty() && output.code() != Some(0) {
        return Err(Failure::expected(
            format!("the echo of {}, then a newline", show(joined.as_bytes())),
            format!("{}: {why}", output.ending()),
        )
        .with_run(&output));
    }
    replies_printed(&output, &[joined.as_bytes()], &why)?;
    expect::exit_code(&output, 0, "the server replied")
}

pub fn ipv6_loopback(ctx: &Ctx) -> Result<(), Failure> {
    let message = {
        let mut rng = ctx.rng();
        let count = rng.usize(2..=4);
        words(&mut rng, count)
    };
    let joined = message.join(" ");
    // A machine without an IPv6 loopback (some containers) gets the same over IPv4.
    let loopback = match has_ipv6() {
        true => SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
        false => SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
    };
    let peer = EchoPeer::start_on(loopback, Behaviour::default())?;
    let output = student_client(ctx)
        .arg(peer.addr().to_string())
        .args(&message)
        .run()?;
    not_hung(&output, "an echo server answers at once", None)?;
    let why = format!(
        "an IPv6 ADDR ({}) needs an IPv6 socket: bind [::]:0 for it (0.0.0.0:0 only for an \
         IPv4 ADDR), then connect",
        peer.addr()
    );
    replies_printed(&output, &[joined.as_bytes()], &why)?;
    expect::exit_code(&output, 0, "the server replied")
}

pub fn works_with_reference_server(ctx: &Ctx) -> Result<(), Failure> {
    let message = {
        let mut rng = ctx.rng();
        let count = rng.usize(2..=4);
        words(&mut rng, count)
    };
    let joined = message.join(" ");
    let (server, addr) = start_server(ctx.reference("udp_server").arg("127.0.0.1:0"), START)?;
    let output = student_client(ctx)
        .arg(addr.to_string())
        .args(&message)
        .run()?;
    drop(server);
    not_hung(&output, "the reference server answers at once", None)?;
    replies_printed(&output, &[joined.as_bytes()], "the reference server's echo")?;
    expect::exit_code(&output, 0, "the server replied")
}

pub fn pair(ctx: &Ctx) -> Result<(), Failure> {
    let lines = {
        let mut rng = ctx.rng();
        let count = rng.usize(2..=4);
        words(&mut rng, count)
    };
    let stdin: String = lines.iter().map(|l| format!("{l}\n")).collect();
    with_server(
        ctx.student("udp_server").arg("127.0.0.1:0"),
        START,
        |addr| {
            let output = student_client(ctx)
                .arg(addr.to_string())
                .stdin(stdin)
                .run()?;
            not_hung(&output, "your server answers at once", None)?;
            let wanted: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
            replies_printed(
                &output,
                &wanted,
                "your client prints your server's echoes, in order",
            )?;
            expect::exit_code(&output, 0, "every line got its reply")
        },
    )
}
