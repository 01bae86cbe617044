//! The live check: connections made in the check's own network namespace while it
//! captures its loopback (harness::wire), the capture handed to tcp_peek, and its lines
//! and summary compared with what the model decodes from the same bytes. Every run makes
//! the same conversations (an IPv4 transfer whose client closes first, an IPv6 one whose
//! server closes first, a connection refused with a reset, beside the connection holding
//! the refused port); the sizes, the bytes and every number the kernel picks change with
//! each run.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use harness::draw;
use harness::expect;
use harness::wire::{Capture, pcap_file};
use harness::{Ctx, Failure};

use super::model;
use super::peek::{lines_of, run_on};

/// How long one conversation may take on loopback before the check gives up.
const DEADLINE: Duration = Duration::from_secs(5);

pub(super) fn live_capture_decoded(ctx: &Ctx) -> Result<(), Failure> {
    let (there, back, name) = {
        let mut rng = ctx.rng();
        // Under the 65,483 bytes a loopback receiver's window starts at: sent as
        // segments far over the MTU, and never a zero window however late the reader
        // runs (which segments a zero window brings is the kernel's timing: a check's
        // verdict must not depend on it; summary_zero_windows tries those).
        let (big, small) = (rng.usize(20_000..60_000), rng.usize(1..3000));
        (
            draw::bytes(&mut rng, big),
            draw::bytes(&mut rng, small),
            format!("{}.pcap", draw::short_word(&mut rng)),
        )
    };
    let capture = Capture::start().map_err(|e| {
        Failure::new(format!(
            "netlab could not capture the check's loopback: {e}"
        ))
    })?;
    ctx.step(format!(
        "an IPv4 connection: {} bytes to the server, {} back, the client closes first",
        there.len(),
        back.len()
    ));
    converse("127.0.0.1:0", &there, &back, true)?;
    ctx.step(format!(
        "an IPv6 connection: {} bytes to the server, {} back, the server closes first",
        back.len(),
        there.len()
    ));
    converse("[::1]:0", &back, &there, false)?;
    ctx.step("a connection to a port nobody listens on: refused with a reset");
    refused()?;
    let frames = capture
        .finish()
        .map_err(|e| Failure::new(format!("netlab's capture failed: {e}")))?;
    let pcap = pcap_file(&frames);
    let expected = model::decode(&pcap)
        .map_err(|e| {
            Failure::new(format!(
                "netlab's model could not read its own capture (a netlab bug): {e}"
            ))
        })?
        .trace();
    let dir = tempfile::tempdir()?;
    ctx.step(format!(
        "captured {} frames of these connections into {name}",
        frames.len()
    ));
    let output = run_on(ctx, dir.path(), &name, &pcap, false)?;
    expect::exit_code(&output, 0, "a whole capture")?;
    let lines = lines_of(expected.lines.iter().map(String::as_str));
    expect::stdout_lines_exact(&output, &lines, "tcpdump -n -t's lines")?;
    let output = run_on(ctx, dir.path(), &name, &pcap, true)?;
    expect::exit_code(&output, 0, "a whole capture")?;
    let blocks = lines_of(expected.summary.lines());
    expect::stdout_lines_exact(&output, &blocks, "one block per connection")
}

/// One connection on `bind`: the client sends `there`, the server `back`; the client
/// half-closes first when `client_first`, else the server closes first.
fn converse(bind: &str, there: &[u8], back: &[u8], client_first: bool) -> Result<(), Failure> {
    let listener = TcpListener::bind(bind)?;
    let addr = listener.local_addr()?;
    let server = thread::scope(|scope| -> std::io::Result<()> {
        let client = scope.spawn(move || -> std::io::Result<()> {
            let mut stream = TcpStream::connect_timeout(&addr, DEADLINE)?;
            stream.set_read_timeout(Some(DEADLINE))?;
            stream.write_all(there)?;
            if client_first {
                stream.shutdown(Shutdown::Write)?;
            }
            let mut got = Vec::new();
            stream.read_to_end(&mut got)?;
            Ok(())
        });
        let (mut stream, _) = listener.accept()?;
        stream.set_read_timeout(Some(DEADLINE))?;
        let mut got = vec![0; there.len()];
        stream.read_exact(&mut got)?;
        stream.write_all(back)?;
        if client_first {
            // Read the client's end of file before closing: no reset.
            let mut rest = Vec::new();
            stream.read_to_end(&mut rest)?;
        }
        drop(stream);
        client
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("client panicked")))
    });
    server.map_err(|e| Failure::new(format!("netlab's own connection on {bind} failed: {e}")))
}

/// A connection refused: the SYN answered by a reset.
fn refused() -> Result<(), Failure> {
    // A port held by a connected socket, on which nobody listens. (Not a port freed by
    // closing a listener: a process another check forks meanwhile holds the listener
    // open until its exec, and the connection would be accepted.)
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let holder = TcpStream::connect_timeout(&listener.local_addr()?, DEADLINE)?;
    let _held = listener.accept()?;
    let port = holder.local_addr()?;
    match TcpStream::connect_timeout(&port, DEADLINE) {
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Ok(()),
        other => Err(Failure::new(format!(
            "netlab's connection to a port nobody listens on was not refused: {other:?}"
        ))),
    }
}
