//! Checks of time: every phase of a fetch that stalls (the connect, the answer, the
//! head, the body) ends in an error not before `--timeout` and not long after; and the
//! timeout bounds each wait, not the whole transfer, so a slow body that keeps coming
//! is fetched whole.

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use socket2::{Domain, Socket, Type};

use crate::peer::{self as http, Server, Step};
use harness::expect;
use harness::{Ctx, Failure, Output};

use super::{HANG, body_is, fetch, not_hung, shown, target, text};

/// How much later than `--timeout` a program may give up, measured from the server's
/// last byte (or from its start, less a quick fetch's time, where nobody accepts):
/// a busy machine's delays. A program that counts the timeout in seconds, or waits
/// several times over, is past it.
const SLACK: Duration = Duration::from_millis(1_500);
/// The limit of a stalled run: past the bound above, for its message to be the one seen.
const STALLED: Duration = Duration::from_secs(4);

/// A listener that never completes a connection: its queue of one (backlog 0) is taken
/// by a connection of our own, so the kernel drops every further SYN, and a connect to
/// it waits until the client gives up. Keep both alive while the client runs.
fn stalled_listener() -> std::io::Result<(Socket, TcpStream, SocketAddr)> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
    socket.listen(0)?;
    let addr = socket
        .local_addr()?
        .as_socket()
        .ok_or_else(|| std::io::Error::other("no address"))?;
    let filler = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    Ok((socket, filler, addr))
}

/// Where a stalled fetch points: a server (or a listener that never accepts), and what it
/// does, in words.
struct Stall {
    server: Option<Server>,
    url: String,
    what: String,
}

pub(super) fn timeout_honoured(ctx: &Ctx) -> Result<(), Failure> {
    let (target, timeout, body, cut) = {
        let mut rng = ctx.rng();
        let body = text(&mut rng);
        let cut = rng.usize(1..body.len());
        (target(&mut rng), rng.u64(200..=400), body, cut)
    };
    let (_socket, _filler, stalled) = stalled_listener()?;
    let head = http::head(200, "OK", &[("Content-Length", body.len().to_string())]);
    // All but the empty line: whole lines, so that only waiting is tried here (a line cut
    // across reads is head_one_byte_at_a_time's, and the scenarios').
    let head_cut = head.len() - 2;
    let mut stalls = vec![Stall {
        server: None,
        url: format!("http://{stalled}{target}"),
        what: "nobody accepts the connection (the listener's queue is full)".into(),
    }];
    let scripts = [
        (
            vec![Step::Hold],
            "the server accepts the connection, reads the request, and never answers".to_string(),
        ),
        (
            vec![Step::Write(head[..head_cut].to_vec()), Step::Hold],
            format!(
                "the server sends {} of its head (all but the empty line), and nothing more",
                shown(&head[..head_cut])
            ),
        ),
        (
            vec![
                Step::Write(head.clone()),
                Step::Write(body[..cut].to_vec()),
                Step::Hold,
            ],
            format!(
                "the server sends its head (`Content-Length: {}`) and {cut} bytes of the \
                 body, and nothing more",
                body.len()
            ),
        ),
    ];
    for (steps, what) in scripts {
        let server = Server::always("127.0.0.1:0", steps)?;
        let url = format!("http://{}{target}", server.addr());
        stalls.push(Stall {
            server: Some(server),
            url,
            what,
        });
    }
    // A quick fetch beside them: how long starting a program and a fetch take on this
    // machine now, so that a busy machine does not fail a program that gave up in time.
    let quick = Server::always(
        "127.0.0.1:0",
        vec![Step::Write(http::response(200, "OK", &[], &body))],
    )?;
    let quick_url = format!("http://{}{target}", quick.addr());
    let options = ["--timeout".to_string(), timeout.to_string()];
    for stall in &stalls {
        ctx.step(format!(
            "http_get --timeout {timeout} {}: {}",
            stall.url, stall.what
        ));
    }
    ctx.step(format!(
        "the four run at once, and beside them http_get --timeout {timeout} {quick_url}: \
         a server that answers at once"
    ));
    let urls: Vec<&str> = stalls
        .iter()
        .map(|s| s.url.as_str())
        .chain([quick_url.as_str()])
        .collect();
    let mut outputs: Vec<Output> = std::thread::scope(|scope| {
        let runs: Vec<_> = urls
            .iter()
            .map(|url| {
                let cmd = ctx
                    .student("http_get")
                    .args(&options)
                    .arg(url)
                    .timeout(STALLED);
                scope.spawn(move || cmd.run())
            })
            .collect();
        runs.into_iter()
            .map(|run| {
                run.join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("panicked")))
            })
            .collect::<std::io::Result<Vec<Output>>>()
    })?;
    let quick_output = outputs.pop().expect("the quick run");
    quick.finish();
    body_is(
        &quick_output,
        &body,
        "the body of a server that answers at once",
    )?;
    let baseline = quick_output.elapsed;
    for (stall, output) in stalls.into_iter().zip(outputs) {
        // From the server's last byte to the client's close, where there is a server;
        // from the program's start where nobody ever accepted.
        // Not less than the timeout: the program's whole run, which is longer than any of
        // its waits (a busy machine can make it only longer). Not long after: from the
        // server's last byte to the client's close, where there is a server; where nobody
        // ever accepted, the run less the quick fetch's.
        let waited = match stall.server.map(Server::finish) {
            Some(served) => {
                let waited = served.closed_after.first().copied().flatten();
                (output.elapsed, waited.unwrap_or(output.elapsed))
            }
            None => (output.elapsed, output.elapsed.saturating_sub(baseline)),
        };
        let within =
            |failure: Failure| Failure::new(format!("when {}:\n{}", stall.what, failure.message()));
        gave_up_in_time(&output, waited, timeout).map_err(within)?;
    }
    Ok(())
}

/// The run ended in a clean error, having waited not much less than `timeout` ms (the
/// first of `waited`) and not long after (the second).
fn gave_up_in_time(
    output: &Output,
    (at_least, at_most): (Duration, Duration),
    timeout: u64,
) -> Result<(), Failure> {
    not_hung(
        output,
        &format!(
            "nothing comes within --timeout {timeout}: every connect and every read has \
             the timeout (TcpStream::connect_timeout, stream.set_read_timeout)"
        ),
    )?;
    expect::clean_error(output, "the server stopped answering: an error")?;
    let waited = at_least.as_millis();
    if waited < u128::from(timeout) {
        return Err(Failure::expected(
            format!(
                "a wait of --timeout {timeout} ms before giving up: the server only \
                 paused, it did not close"
            ),
            format!("it gave up after {waited} ms, before the timeout"),
        )
        .with_run(output));
    }
    let bound = u128::from(timeout) + SLACK.as_millis();
    let waited = at_most.as_millis();
    if waited > bound {
        return Err(Failure::expected(
            format!(
                "giving up soon after --timeout {timeout} ms (within {bound} ms): the \
                 timeout is in milliseconds, once per wait"
            ),
            format!("it gave up after {waited} ms"),
        )
        .with_run(output));
    }
    Ok(())
}

pub(super) fn timeout_per_read(ctx: &Ctx) -> Result<(), Failure> {
    let (target, timeout, body, pieces) = {
        let mut rng = ctx.rng();
        let mut body = text(&mut rng);
        while body.len() < 64 {
            body.extend_from_slice(&text(&mut rng));
        }
        (target(&mut rng), rng.u64(500..=600), body, 7)
    };
    // Each pause a fifth of the timeout (room for a busy machine's delays); all of them
    // together 1.4 times it.
    let pause = Duration::from_millis(timeout / 5);
    let head = http::head(200, "OK", &[("Content-Length", body.len().to_string())]);
    let mut steps = vec![Step::Write(head)];
    let piece = body.len().div_ceil(pieces);
    for chunk in body.chunks(piece) {
        steps.push(Step::Pause(pause));
        steps.push(Step::Write(chunk.to_vec()));
    }
    let server = Server::always("127.0.0.1:0", steps)?;
    ctx.step(format!(
        "the server answers 200 with {} in {} pieces, {} ms apart: each pause well under \
         --timeout {timeout}, all of them together over it",
        shown(&body),
        body.len().div_ceil(piece),
        pause.as_millis()
    ));
    let options = ["--timeout".to_string(), timeout.to_string()];
    let fetched = fetch(ctx, server, &options, &target, HANG)?;
    let output = &fetched.output;
    not_hung(output, "the body comes, slowly but steadily")?;
    if output.code() != Some(0) {
        // Without the run's stdout: how much came before a program stopped depends on
        // the machine's speed, and the message must not.
        let stderr = output.stderr_text();
        let said = stderr.lines().next().unwrap_or("(nothing on stderr)");
        return Err(Failure::expected(
            format!(
                "the whole body ({} bytes), exit code 0: the timeout bounds each wait \
                 (set_read_timeout), not the whole transfer, which may take as long as the \
                 server keeps sending",
                body.len()
            ),
            format!(
                "{} after {} ms, before the body was complete: {said}",
                output.ending(),
                output.elapsed.as_millis()
            ),
        ));
    }
    body_is(
        &fetched.output,
        &body,
        "the whole body: the timeout bounds each wait (set_read_timeout), not the whole \
         transfer, which may take as long as the server keeps sending",
    )
}
