//! What a udp_cs client does while it waits: `--timeout` in milliseconds, giving up after
//! `--tries` against a silent server or a closed port, a lost datagram sent again, a
//! stranger's datagram ignored (a connected socket), a duplicated reply printed once.

use std::net::{Ipv4Addr, UdpSocket};
use std::time::Duration;

use super::client::*;
use super::words;
use crate::peer::{Behaviour, EchoPeer};
use harness::bytes::show;
use harness::draw;
use harness::expect;
use harness::{Ctx, Failure};

pub fn timeout_in_milliseconds(ctx: &Ctx) -> Result<(), Failure> {
    // 2 tries of 1 ms: done within a few ms. The same in seconds is 2 tries of 1000 ms,
    // which the peer sees as two datagrams a second apart, and which gives up by itself
    // after 2 s, before the run's limit: 3 s, room for a start slowed by a very busy
    // machine (the gap is what tells).
    let message = {
        let mut rng = ctx.rng();
        draw::short_word(&mut rng)
    };
    let peer = EchoPeer::start(Behaviour {
        silent: true,
        ..Behaviour::default()
    })?;
    let output = ctx
        .student("udp_client")
        .timeout(Duration::from_millis(3000))
        .args(["--timeout", "1", "--tries", "2"])
        .arg(peer.addr().to_string())
        .arg(&message)
        .run()?;
    let arrivals = peer.arrivals();
    let widest = arrivals
        .windows(2)
        .map(|pair| pair[1].0.duration_since(pair[0].0))
        .max();
    let wanted = "2 tries of 1 ms each (--timeout 1 --tries 2), so giving up within a few ms";
    match widest {
        Some(gap) if gap >= Duration::from_millis(500) => Err(Failure::expected(
            wanted,
            format!(
                "it waited {} ms between its tries: the timeout is applied in seconds, 1000 \
                 times too long. --timeout is in milliseconds: Duration::from_millis, not \
                 Duration::from_secs",
                gap.as_millis()
            ),
        )
        .with_run(&output)),
        _ if output.timed_out => Err(Failure::expected(
            wanted,
            format!(
                "it sent {}, then waited {} ms and was killed: does recv wait forever? Set \
                 a read timeout (socket.set_read_timeout), in milliseconds \
                 (Duration::from_millis)",
                datagrams(&peer.received()),
                output.elapsed.as_millis()
            ),
        )
        .with_run(&output)),
        _ => Ok(()),
    }
}

/// Noise a server sends that no check's payload equals: 0xfe never starts one.
pub(super) fn drawn_noise(rng: &mut fastrand::Rng) -> [u8; 8] {
    let mut noise = [0xfe; 8];
    rng.fill(&mut noise[1..]);
    noise
}

pub fn no_reply_gives_up(ctx: &Ctx) -> Result<(), Failure> {
    let (timeout, tries, message, noise) = {
        let mut rng = ctx.rng();
        let count = rng.usize(1..=3);
        (
            rng.u64(150..=200),
            rng.u64(2..=3),
            words(&mut rng, count).join(" "),
            drawn_noise(&mut rng),
        )
    };
    // The server never echoes, but chatters: a datagram of noise every eighth of the
    // timeout, which the client skips without waiting longer.
    // Often: a client whose wait starts again at every datagram must hang even if a
    // stall of a busy machine lets it out of a try (it then needs one in every try).
    let every = Duration::from_millis(timeout / 8);
    let peer = EchoPeer::start(Behaviour {
        silent: true,
        chatter: Some(every),
        noise,
        ..Behaviour::default()
    })?;
    let addr = peer.addr().to_string();
    let output = student_client(ctx)
        .args(["--timeout", &timeout.to_string()])
        .args(["--tries", &tries.to_string()])
        .arg(&addr)
        .arg(&message)
        .run()?;
    // Still waiting, with noise coming all the while: every skipped datagram started the
    // wait again. (A client with no read timeout at all ends its tries here, on the
    // noise: the other waiting checks catch that one.)
    if output.timed_out {
        return Err(Failure::expected(
            format!(
                "{tries} tries of {timeout} ms each, then giving up: a try ends {timeout} ms \
                 after its send, whatever arrives meanwhile"
            ),
            format!(
                "still running after {} ms, while the server sent a datagram of noise every \
                 {} ms and never the echo: each skipped datagram started the wait again (a \
                 timeout per recv, not per try). Compute the try's deadline before the first \
                 recv, and set the read timeout to what is left of it before each. (Or is \
                 the timeout in seconds?)",
                output.elapsed.as_millis(),
                every.as_millis()
            ),
        )
        .with_run(&output));
    }
    not_hung(
        &output,
        &format!("{tries} tries of {timeout} ms each, then give up"),
        Some((timeout, tries)),
    )?;
    if !output.stdout.is_empty() {
        return Err(Failure::expected(
            "nothing on stdout: the server never echoed, it only sent noise",
            format!(
                "stdout {}: a datagram that is not the echo of what was sent is no reply",
                show(&output.stdout)
            ),
        )
        .with_run(&output));
    }
    gave_up(&output, &addr, tries)?;
    expect::exit_code(&output, 1, "no reply is an error")?;
    let wanted = vec![message.as_bytes(); tries as usize];
    peer_got(
        &peer,
        &wanted,
        &format!("--tries {tries}: the message sent {tries} times in all"),
        &output,
    )?;
    // Each try waits its whole timeout; process start-up only adds to the time.
    let least = Duration::from_millis(timeout * tries * 9 / 10);
    if output.elapsed < least {
        return Err(Failure::expected(
            format!(
                "about {} ms before giving up: each of the {tries} tries waits the \
                 {timeout} ms timeout",
                timeout * tries
            ),
            format!("gave up after {} ms", output.elapsed.as_millis()),
        )
        .with_run(&output));
    }
    Ok(())
}

pub fn closed_port_keeps_trying(ctx: &Ctx) -> Result<(), Failure> {
    let (timeout, tries, message) = {
        let mut rng = ctx.rng();
        (rng.u64(50..=80), rng.u64(2..=3), draw::short_word(&mut rng))
    };
    // A closed port that stays closed: the check holds it with a socket connected to
    // another port (9), so no other program's port 0 can land on it, and the kernel,
    // finding no socket that takes the client's datagrams, answers them with ICMP "port
    // unreachable" as for a port nobody holds.
    let holder = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
    holder.connect((Ipv4Addr::LOCALHOST, 9))?;
    let addr = holder.local_addr()?.to_string();
    ctx.step(format!("nothing listens on {addr}"));
    let output = student_client(ctx)
        .args(["--timeout", &timeout.to_string()])
        .args(["--tries", &tries.to_string()])
        .arg(&addr)
        .arg(&message)
        .run()?;
    not_hung(
        &output,
        &format!("{tries} tries of {timeout} ms each, then give up"),
        Some((timeout, tries)),
    )?;
    let stderr = output.stderr_text();
    let wanted_line = format!("error: no reply from {addr} after {tries} tries");
    let wanted = format!(
        "{tries} tries of {timeout} ms (about {} ms), then {wanted_line:?}",
        timeout * tries
    );
    if !stderr.lines().any(|l| l == wanted_line) && stderr.to_lowercase().contains("refused") {
        return Err(Failure::expected(
            wanted,
            format!(
                "gave up after {} ms, on a refused connection: nothing listens there, so \
                 the kernel's ICMP \"port unreachable\" makes send or recv on a connected \
                 socket fail with ConnectionRefused. That is one more try without an \
                 answer, not the end: wait out the try's timeout, then try again",
                output.elapsed.as_millis()
            ),
        )
        .with_run(&output));
    }
    gave_up(&output, &addr, tries)?;
    expect::exit_code(&output, 1, "no reply is an error")?;
    let least = Duration::from_millis(timeout * tries * 9 / 10);
    if output.elapsed < least {
        return Err(Failure::expected(
            wanted,
            format!(
                "gave up after {} ms: each try waits its whole timeout, even when recv \
                 fails at once with ConnectionRefused (a closed port): keep receiving until \
                 the try's deadline",
                output.elapsed.as_millis()
            ),
        )
        .with_run(&output));
    }
    Ok(())
}

pub fn retries_lost_datagram(ctx: &Ctx) -> Result<(), Failure> {
    let message = {
        let mut rng = ctx.rng();
        let count = rng.usize(2..=4);
        words(&mut rng, count)
    };
    let joined = message.join(" ");
    let peer = EchoPeer::start(Behaviour {
        drop_first: 1,
        ..Behaviour::default()
    })?;
    let (timeout, tries) = (150, 3);
    let output = student_client(ctx)
        .args([
            "--timeout",
            &timeout.to_string(),
            "--tries",
            &tries.to_string(),
        ])
        .arg(peer.addr().to_string())
        .args(&message)
        .run()?;
    not_hung(
        &output,
        "the first datagram is lost: wait the timeout, then send it again",
        Some((timeout, tries)),
    )?;
    replies_printed(
        &output,
        &[joined.as_bytes()],
        "the first datagram was lost; the second try gets its echo",
    )?;
    expect::exit_code(&output, 0, "the retry got a reply")
}

pub fn ignores_stranger(ctx: &Ctx) -> Result<(), Failure> {
    let message = {
        let mut rng = ctx.rng();
        draw::short_word(&mut rng)
    };
    // The server never answers, but a stranger sends back a copy of every datagram.
    let peer = EchoPeer::start(Behaviour {
        silent: true,
        stranger_copies: true,
        ..Behaviour::default()
    })?;
    let (timeout, tries) = (150, 2);
    let output = student_client(ctx)
        .args([
            "--timeout",
            &timeout.to_string(),
            "--tries",
            &tries.to_string(),
        ])
        .arg(peer.addr().to_string())
        .arg(&message)
        .run()?;
    not_hung(
        &output,
        "2 tries of 150 ms each, then give up",
        Some((timeout, tries)),
    )?;
    if !output.stdout.is_empty() {
        return Err(Failure::expected(
            format!(
                "no reply printed: the server at {} never answered; {} (a stranger) sent \
                 the copies. A connected socket (socket.connect) only hears the server",
                peer.addr(),
                peer.stranger_addr()
            ),
            format!("stdout {}", show(&output.stdout)),
        )
        .with_run(&output));
    }
    expect::exit_code(&output, 1, "the server never replied")
}

pub fn duplicate_reply_printed_once(ctx: &Ctx) -> Result<(), Failure> {
    let lines = {
        let mut rng = ctx.rng();
        words(&mut rng, 3)
    };
    let peer = EchoPeer::start(Behaviour {
        twice: true,
        ..Behaviour::default()
    })?;
    let stdin: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let output = student_client(ctx)
        .arg(peer.addr().to_string())
        .stdin(stdin)
        .run()?;
    not_hung(&output, "every line is echoed (twice)", None)?;
    let wanted: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
    replies_printed(
        &output,
        &wanted,
        &format!(
            "the server sends each echo twice, the second copy when the next line arrives; \
             that copy of `{}` is not the reply to `{}`: skip datagrams that are not the \
             echo of what you just sent (emptying the socket before sending is not enough)",
            lines[0], lines[1]
        ),
    )?;
    expect::exit_code(&output, 0, "every line got its reply")
}

/// The options at their edges: both at their largest and at 1, in either order, each
/// left out (its default: 3 tries, 1000 ms).
pub fn option_values(ctx: &Ctx) -> Result<(), Failure> {
    let messages: Vec<String> = {
        let mut rng = ctx.rng();
        (0..3).map(|_| draw::short_word(&mut rng)).collect()
    };
    let largest = u32::MAX.to_string();
    // Answered at once: one try whatever its timeout, and a try of 1 ms retried until
    // its echo comes in time.
    let answered: [(&[&str], &str); 2] = [
        (&["--tries", &largest, "--timeout", "1"], &messages[0]),
        (&["--timeout", &largest], &messages[1]),
    ];
    // The four runs at once: each waits on its own peer.
    std::thread::scope(|scope| {
        let runs: Vec<_> = answered
            .iter()
            .map(|(options, message)| scope.spawn(|| answered_at_once(ctx, options, message)))
            .chain([
                scope.spawn(|| default_tries(ctx, &messages[2])),
                scope.spawn(|| default_timeout(ctx, &messages[0])),
            ])
            .collect();
        // The first failure in the order above, whatever order they ended in.
        runs.into_iter()
            .map(|run| {
                run.join()
                    .unwrap_or_else(|_| Err(Failure::new("a run of the check panicked")))
            })
            .collect::<Vec<_>>()
            .into_iter()
            .collect::<Result<(), Failure>>()
    })
}

/// An echo server answers at once: with `options`, the client prints the echo.
fn answered_at_once(ctx: &Ctx, options: &[&str], message: &str) -> Result<(), Failure> {
    let peer = EchoPeer::echo()?;
    let output = student_client(ctx)
        .args(options)
        .arg(peer.addr().to_string())
        .arg(message)
        .run()?;
    not_hung(&output, "an echo server answers at once", None)?;
    let why = format!(
        "{} are whole numbers from 1 to {}, in either order (parse them as u32 or wider)",
        options.join(" "),
        u32::MAX
    );
    if output.code() == Some(2) {
        return Err(Failure::expected(
            format!("the echo printed: {why}"),
            "a usage error".to_string(),
        )
        .with_run(&output));
    }
    replies_printed(&output, &[message.as_bytes()], &why)?;
    expect::exit_code(&output, 0, "the server replied")
}

/// No --tries: 3 tries.
fn default_tries(ctx: &Ctx, message: &str) -> Result<(), Failure> {
    let peer = EchoPeer::start(Behaviour {
        silent: true,
        ..Behaviour::default()
    })?;
    let addr = peer.addr().to_string();
    let output = student_client(ctx)
        .args(["--timeout", "20", &addr, message])
        .run()?;
    not_hung(&output, "3 tries of 20 ms", Some((20, 3)))?;
    peer_got(
        &peer,
        &[message.as_bytes(); 3],
        "no --tries: 3 tries, the default",
        &output,
    )?;
    gave_up(&output, &addr, 3)
}

/// No --timeout: a try waits 1000 ms, so an echo 300 ms late is taken at the first try.
fn default_timeout(ctx: &Ctx, message: &str) -> Result<(), Failure> {
    let late = Duration::from_millis(300);
    let peer = EchoPeer::start(Behaviour {
        delay: Some(late),
        ..Behaviour::default()
    })?;
    let output = student_client(ctx)
        .args([&peer.addr().to_string(), message])
        .run()?;
    not_hung(&output, "the echo comes 300 ms after the message", None)?;
    peer_got(
        &peer,
        &[message.as_bytes()],
        "no --timeout: a try waits 1000 ms, the default, and the echo comes after 300 ms",
        &output,
    )?;
    replies_printed(&output, &[message.as_bytes()], "the echo, 300 ms late")?;
    expect::exit_code(&output, 0, "the server replied")
}
