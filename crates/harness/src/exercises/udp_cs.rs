//! Checks for udp_cs: the echo server (`udp_server`) against harness clients and the
//! reference client, the client (`udp_client`) against awkward peers (silent, lossy,
//! duplicating, with a stranger) and the reference server, and the student's pair together.
//! Each check looks at one behaviour, so one mistake fails one check.

use std::net::SocketAddr;
use std::time::Duration;

use crate::check::{self, Check, Ctx, Exercise, Failure};
use crate::expect;
use crate::peers::udp::{Behaviour, Client, EchoPeer, many_clients};
use crate::process::{Cmd, Output, Running};

pub static EXERCISE: Exercise = Exercise {
    name: "udp_cs",
    bins: &["udp_server", "udp_client"],
    chapter: "udp_cs.md",
    checks: CHECKS,
};

/// How long a server may take to print its `listening on` line.
const START: Duration = Duration::from_secs(5);
/// How long a check waits for one echo: generous, since a loaded machine is slow, and
/// spent in full only when something is wrong.
const REPLY: Duration = Duration::from_secs(2);
/// The wall-clock limit of one client run; the short `--timeout`s the checks pass keep a
/// correct client far below it.
const CLIENT_RUN: Duration = Duration::from_secs(3);
/// The largest UDP payload over IPv4: 65,535 - 20 (IP header) - 8 (UDP header).
const LARGEST: usize = 65_507;

static CHECKS: &[Check] = &[
    Check::new("server_ready_line", "#the-ready-line", server_ready_line),
    Check::new(
        "server_echoes_bytes",
        "#one-socket-many-clients",
        server_echoes_bytes,
    ),
    Check::new(
        "server_empty_datagram",
        "#datagrams-are-bytes",
        server_empty_datagram,
    ),
    Check::new(
        "server_largest_datagram",
        "#how-big-a-datagram-can-be",
        server_largest_datagram,
    ),
    Check::new(
        "server_binary_payload",
        "#datagrams-are-bytes",
        server_binary_payload,
    ),
    Check::new(
        "server_many_clients_at_once",
        "#one-socket-many-clients",
        server_many_clients_at_once,
    ),
    Check::new(
        "server_survives_vanished_client",
        "#when-a-client-goes-away",
        server_survives_vanished_client,
    ),
    Check::new(
        "server_works_with_reference_client",
        "#one-socket-many-clients",
        server_works_with_reference_client,
    ),
    Check::new(
        "client_message_words_joined",
        "#the-command-line",
        client_message_words_joined,
    ),
    Check::new(
        "client_stdin_lines_in_order",
        "#the-command-line",
        client_stdin_lines_in_order,
    ),
    Check::new(
        "client_no_reply_gives_up",
        "#timeouts-and-retries",
        client_no_reply_gives_up,
    ),
    Check::new(
        "client_retries_lost_datagram",
        "#timeouts-and-retries",
        client_retries_lost_datagram,
    ),
    Check::new(
        "client_ignores_stranger",
        "#what-connect-does-on-a-udp-socket",
        client_ignores_stranger,
    ),
    Check::new(
        "client_duplicate_reply_printed_once",
        "#duplicates-and-late-replies",
        client_duplicate_reply_printed_once,
    ),
    Check::new(
        "client_bad_options_usage_error",
        "#the-command-line",
        client_bad_options_usage_error,
    ),
    Check::new(
        "client_works_with_reference_server",
        "#what-connect-does-on-a-udp-socket",
        client_works_with_reference_server,
    ),
    Check::new(
        "pair_client_and_server",
        "#the-checks",
        pair_client_and_server,
    ),
];

// ---- helpers ---------------------------------------------------------------------------

/// Start the student's server on 127.0.0.1:0 and read its address.
fn student_server(ctx: &Ctx) -> Result<(Running, SocketAddr), Failure> {
    check::start_server(ctx.student("udp_server").arg("127.0.0.1:0"), START)
}

/// Run `test` against the student's server; a failure shows what the server printed.
fn with_server(
    ctx: &Ctx,
    test: impl FnOnce(SocketAddr) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let (server, addr) = student_server(ctx)?;
    test(addr).map_err(|failure| failure.with_run(&server.kill()))
}

/// Bytes for a message: short ones quoted (non-ASCII bytes escaped), long ones summed up.
fn show(bytes: &[u8]) -> String {
    if bytes.len() <= 48 {
        format!("{} bytes \"{}\"", bytes.len(), bytes.escape_ascii())
    } else {
        format!(
            "{} bytes starting \"{}\"",
            bytes.len(),
            bytes[..24].escape_ascii()
        )
    }
}

/// Send `payload` to the server from a fresh socket; the reply must be the same bytes.
fn expect_echo(addr: SocketAddr, payload: &[u8], why: &str) -> Result<(), Failure> {
    let client = Client::connect(addr)?;
    match client.exchange(payload, REPLY) {
        Ok(reply) if reply == payload => Ok(()),
        Ok(reply) => Err(Failure::expected(
            format!("the same {} back ({why})", show(payload)),
            show(&reply),
        )),
        Err(problem) => Err(Failure::expected(
            format!("the same {} back ({why})", show(payload)),
            problem,
        )),
    }
}

/// The student's client, with a wall-clock limit.
fn student_client(ctx: &Ctx) -> Cmd {
    ctx.student("udp_client").timeout(CLIENT_RUN)
}

/// Stdout is exactly `wanted`, byte for byte.
fn exact_stdout(output: &Output, wanted: &str, why: &str) -> Result<(), Failure> {
    if output.stdout == wanted.as_bytes() {
        return Ok(());
    }
    Err(Failure::expected(
        format!("stdout {wanted:?} ({why})"),
        format!("{:?}", output.stdout_text()),
    )
    .with_run(output))
}

/// A client that ran out of time is told so before anything else.
fn not_hung(output: &Output, why: &str) -> Result<(), Failure> {
    if !output.timed_out {
        return Ok(());
    }
    Err(Failure::expected(
        format!("the client to finish ({why})"),
        format!(
            "still running after {} ms: does recv wait forever? Set a read timeout",
            output.elapsed.as_millis()
        ),
    )
    .with_run(output))
}

/// What the peer received, for a failure message.
fn datagrams(received: &[Vec<u8>]) -> String {
    if received.is_empty() {
        return "no datagram".to_string();
    }
    let shown: Vec<String> = received.iter().map(|r| show(r)).collect();
    format!("{} datagram(s): {}", received.len(), shown.join(", "))
}

/// The peer received exactly these payloads, in order.
fn peer_got(peer: &EchoPeer, wanted: &[&str], why: &str, output: &Output) -> Result<(), Failure> {
    let received = peer.received();
    let payloads: Vec<&[u8]> = received.iter().map(Vec::as_slice).collect();
    let wanted_bytes: Vec<&[u8]> = wanted.iter().map(|w| w.as_bytes()).collect();
    if payloads == wanted_bytes {
        return Ok(());
    }
    let wanted: Vec<String> = wanted.iter().map(|w| show(w.as_bytes())).collect();
    Err(Failure::expected(
        format!(
            "the server to receive {} datagram(s): {} ({why})",
            wanted.len(),
            wanted.join(", ")
        ),
        format!("it received {}", datagrams(&received)),
    )
    .with_run(output))
}

// ---- server checks ---------------------------------------------------------------------

fn server_ready_line(ctx: &Ctx) -> Result<(), Failure> {
    let (server, addr) = student_server(ctx)?;
    if addr.port() == 0 || !addr.ip().is_loopback() {
        return Err(Failure::expected(
            "`listening on 127.0.0.1:PORT` with the port the OS picked (socket.local_addr())",
            format!("`listening on {addr}`"),
        )
        .with_run(&server.kill()));
    }
    Ok(())
}

fn server_echoes_bytes(ctx: &Ctx) -> Result<(), Failure> {
    with_server(ctx, |addr| {
        expect_echo(
            addr,
            b"hello, udp",
            "an echo server sends every datagram back",
        )
    })
}

fn server_empty_datagram(ctx: &Ctx) -> Result<(), Failure> {
    with_server(ctx, |addr| {
        expect_echo(
            addr,
            b"",
            "an empty datagram is still a datagram, and its echo is empty too",
        )
    })
}

fn server_largest_datagram(ctx: &Ctx) -> Result<(), Failure> {
    // Printable, so that only the size of the buffer matters here, not how bytes are read.
    let payload: Vec<u8> = (0..LARGEST).map(|i| b'a' + (i % 26) as u8).collect();
    with_server(ctx, |addr| {
        expect_echo(
            addr,
            &payload,
            "65,507 bytes is the largest UDP payload; a smaller buffer cuts the datagram",
        )
    })
}

fn server_binary_payload(ctx: &Ctx) -> Result<(), Failure> {
    // Every byte value, 0x00 and the bytes that are never valid UTF-8 (0xc0, 0xff...).
    let mut payload: Vec<u8> = (0..=255u8).rev().collect();
    payload.extend_from_slice(b"\xc3\x28 \xed\xa0\x80");
    with_server(ctx, |addr| {
        expect_echo(
            addr,
            &payload,
            "a datagram is bytes, not text: it need not be valid UTF-8",
        )
    })
}

fn server_many_clients_at_once(ctx: &Ctx) -> Result<(), Failure> {
    with_server(ctx, |addr| {
        many_clients(addr, 16, 50, REPLY).map_err(|problem| {
            Failure::expected(
                "16 clients at once, 50 datagrams each: each client gets exactly its own \
                 datagrams back (reply to the address recv_from gave for that datagram)",
                problem,
            )
        })
    })
}

fn server_survives_vanished_client(ctx: &Ctx) -> Result<(), Failure> {
    with_server(ctx, |addr| {
        for round in 0..3 {
            // A client that sends and closes its socket before the echo comes back: the
            // echo hits a closed port (on Windows the next recv_from then fails).
            let gone = Client::connect(addr)?;
            gone.send(b"goodbye")?;
            drop(gone);
            expect_echo(
                addr,
                format!("still there? {round}").as_bytes(),
                "a client that went away must not stop the server",
            )?;
        }
        Ok(())
    })
}

fn server_works_with_reference_client(ctx: &Ctx) -> Result<(), Failure> {
    with_server(ctx, |addr| {
        let output = ctx
            .reference("udp_client")
            .timeout(CLIENT_RUN)
            .args(["--timeout", "1000", "--tries", "2"])
            .arg(addr.to_string())
            .args(["hello", "from", "the", "reference"])
            .run()?;
        exact_stdout(
            &output,
            "hello from the reference\n",
            "the reference client prints your server's echo",
        )?;
        expect::exit_code(&output, 0, "the reference client got its echo")
    })
}

// ---- client checks ---------------------------------------------------------------------

fn client_message_words_joined(ctx: &Ctx) -> Result<(), Failure> {
    let peer = EchoPeer::echo()?;
    let output = student_client(ctx)
        .arg(peer.addr().to_string())
        .args(["hello,", "UDP", "world"])
        .run()?;
    not_hung(&output, "an echo server answers at once")?;
    peer_got(
        &peer,
        &["hello, UDP world"],
        "the words joined by single spaces, sent as ONE datagram",
        &output,
    )?;
    exact_stdout(&output, "hello, UDP world\n", "the reply and a newline")?;
    expect::exit_code(&output, 0, "the server replied")
}

fn client_stdin_lines_in_order(ctx: &Ctx) -> Result<(), Failure> {
    let peer = EchoPeer::echo()?;
    let output = student_client(ctx)
        .arg(peer.addr().to_string())
        .stdin("first\nsecond line\nthird\n")
        .run()?;
    not_hung(&output, "an echo server answers at once")?;
    peer_got(
        &peer,
        &["first", "second line", "third"],
        "no MESSAGE words: one datagram per stdin line, without its newline",
        &output,
    )?;
    exact_stdout(
        &output,
        "first\nsecond line\nthird\n",
        "each reply on its own line, in order",
    )?;
    expect::exit_code(&output, 0, "every line got its reply")
}

fn client_no_reply_gives_up(ctx: &Ctx) -> Result<(), Failure> {
    let peer = EchoPeer::start(Behaviour {
        silent: true,
        ..Behaviour::default()
    })?;
    let addr = peer.addr().to_string();
    let output = student_client(ctx)
        .args(["--timeout", "100", "--tries", "3", &addr, "anyone there?"])
        .run()?;
    not_hung(&output, "3 tries of 100 ms each, then give up")?;
    let wanted = format!("error: no reply from {addr} after 3 tries");
    if !output.stderr_text().lines().any(|l| l == wanted) {
        return Err(Failure::expected(
            format!("the line {wanted:?} on stderr"),
            format!("{:?}", output.stderr_text()),
        )
        .with_run(&output));
    }
    expect::exit_code(&output, 1, "no reply is an error")?;
    peer_got(
        &peer,
        &["anyone there?"; 3],
        "--tries 3: the message sent 3 times in all",
        &output,
    )?;
    // Each try waits its whole timeout; process start-up only adds to the time.
    if output.elapsed < Duration::from_millis(270) {
        return Err(Failure::expected(
            "about 300 ms before giving up: each of the 3 tries waits the 100 ms timeout",
            format!("gave up after {} ms", output.elapsed.as_millis()),
        )
        .with_run(&output));
    }
    Ok(())
}

fn client_retries_lost_datagram(ctx: &Ctx) -> Result<(), Failure> {
    let peer = EchoPeer::start(Behaviour {
        drop_first: 1,
        ..Behaviour::default()
    })?;
    let output = student_client(ctx)
        .args(["--timeout", "200", "--tries", "3"])
        .arg(peer.addr().to_string())
        .arg("second time lucky")
        .run()?;
    not_hung(
        &output,
        "the first datagram is lost: wait 200 ms, then send it again",
    )?;
    exact_stdout(
        &output,
        "second time lucky\n",
        "the first datagram was lost; the second try gets its echo",
    )?;
    expect::exit_code(&output, 0, "the retry got a reply")
}

fn client_ignores_stranger(ctx: &Ctx) -> Result<(), Failure> {
    // The server never answers, but a stranger sends back a copy of every datagram.
    let peer = EchoPeer::start(Behaviour {
        silent: true,
        stranger_copies: true,
        ..Behaviour::default()
    })?;
    let output = student_client(ctx)
        .args(["--timeout", "150", "--tries", "2"])
        .arg(peer.addr().to_string())
        .arg("is it you?")
        .run()?;
    not_hung(&output, "2 tries of 150 ms each, then give up")?;
    if !output.stdout.is_empty() {
        return Err(Failure::expected(
            format!(
                "no reply printed: the server at {} never answered; {} (a stranger) sent \
                 the copies. A connected socket (socket.connect) only hears the server",
                peer.addr(),
                peer.stranger_addr()
            ),
            format!("stdout {:?}", output.stdout_text()),
        )
        .with_run(&output));
    }
    expect::exit_code(&output, 1, "the server never replied")
}

fn client_duplicate_reply_printed_once(ctx: &Ctx) -> Result<(), Failure> {
    let peer = EchoPeer::start(Behaviour {
        twice: true,
        ..Behaviour::default()
    })?;
    let output = student_client(ctx)
        .arg(peer.addr().to_string())
        .stdin("one\ntwo\nthree\n")
        .run()?;
    not_hung(&output, "every line is echoed (twice)")?;
    exact_stdout(
        &output,
        "one\ntwo\nthree\n",
        "the server sends each echo twice; the second copy of `one` is not the reply to \
         `two`: skip datagrams that are not the echo of what you just sent",
    )?;
    expect::exit_code(&output, 0, "every line got its reply")
}

fn client_bad_options_usage_error(ctx: &Ctx) -> Result<(), Failure> {
    let peer = EchoPeer::echo()?;
    let addr = peer.addr().to_string();
    let cases: [&[&str]; 6] = [
        &["--timeout", "soon", &addr, "x"],
        &["--timeout", "-5", &addr, "x"],
        &["--timeout", "0", &addr, "x"],
        &["--tries", "0", &addr, "x"],
        &["--tries", "many", &addr, "x"],
        &[],
    ];
    for args in cases {
        let output = student_client(ctx).args(args).run()?;
        expect::exit_code(
            &output,
            2,
            "a bad option value, or no ADDR, is a usage error",
        )?;
        expect::stderr_line_starting(&output, "usage: udp_client", "tell the user how to call it")?;
    }
    Ok(())
}

fn client_works_with_reference_server(ctx: &Ctx) -> Result<(), Failure> {
    let (server, addr) =
        check::start_server(ctx.reference("udp_server").arg("127.0.0.1:0"), START)?;
    let output = student_client(ctx)
        .arg(addr.to_string())
        .args(["hello", "reference", "server"])
        .run()?;
    drop(server);
    not_hung(&output, "the reference server answers at once")?;
    exact_stdout(
        &output,
        "hello reference server\n",
        "the reference server's echo",
    )?;
    expect::exit_code(&output, 0, "the server replied")
}

fn pair_client_and_server(ctx: &Ctx) -> Result<(), Failure> {
    with_server(ctx, |addr| {
        let output = student_client(ctx)
            .arg(addr.to_string())
            .stdin("ping\nyour own server\n")
            .run()?;
        not_hung(&output, "your server answers at once")?;
        exact_stdout(
            &output,
            "ping\nyour own server\n",
            "your client prints your server's echoes, in order",
        )?;
        expect::exit_code(&output, 0, "every line got its reply")
    })
}
