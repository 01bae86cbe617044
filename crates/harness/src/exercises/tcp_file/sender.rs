//! Checks of the student's sender (tcp_send): it meets the peer receiver of
//! peers/tcp_file.rs, which can delay `ok`, refuse, hold its close and watch memory, and
//! the reference receiver; then it meets the student's own receiver.

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use crate::check::{self, Ctx, Failure};
use crate::expect;
use crate::memory;
use crate::peers::tcp_file::{self as peer, Answer, IO_TIMEOUT, Received};
use crate::process::Output;

use super::common::{
    Folder, MEMORY_LIMIT, START, TEXT, big_data, mib, pseudo_random, same_bytes, same_file,
    saved_line, with_receiver,
};

/// Run the student's sender on `file` (relative to `cwd`) against `addr`.
fn sender_cmd(ctx: &Ctx, cwd: &Path, file: &str, addr: SocketAddr) -> crate::Cmd {
    ctx.student("tcp_send")
        .cwd(cwd)
        .arg(file)
        .arg(addr.to_string())
        .timeout(Duration::from_secs(15))
}

/// Run the sender against the peer receiver answering as `answer` says, given the
/// sender's pid (which the memory check watches).
fn send_to_peer(
    ctx: &Ctx,
    cwd: &Path,
    file: &str,
    answer: impl FnOnce(u32) -> Answer,
) -> Result<(Output, Result<Received, String>), Failure> {
    let receiver = peer::Receiver::bind()?;
    let running = sender_cmd(ctx, cwd, file, receiver.addr()?).spawn()?;
    let pending = receiver.serve_one(answer(running.id()));
    let output = running.wait();
    Ok((output, pending.result(IO_TIMEOUT)))
}

/// What the peer receiver got, or why not.
fn received(output: &Output, got: Result<Received, String>) -> Result<Received, Failure> {
    got.map_err(|e| Failure::expected("a transfer following the protocol", e).with_run(output))
}

/// The `sent NAME (N bytes)` line and exit code 0.
fn sent_ok(output: &Output, name: &str, bytes: usize) -> Result<(), Failure> {
    expect::exit_code(output, 0, "the file was taken")?;
    expect::line(
        output,
        &format!("sent {name} ({bytes} bytes)"),
        "once the receiver has closed",
    )
}

pub(super) fn send_base_name_only(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    folder.write("docs/notes/plan.txt", b"")?;
    let (output, got) = send_to_peer(ctx, folder.root(), "docs/notes/plan.txt", |_| {
        Answer::default()
    })?;
    let got = received(&output, got)?;
    if got.before_ok != b"plan.txt" {
        return Err(Failure::expected(
            "the name \"plan.txt\": the last component only, like Go's FileInfo.Name()",
            format!("{:?}", String::from_utf8_lossy(&got.before_ok)),
        )
        .with_run(&output));
    }
    sent_ok(&output, "plan.txt", 0)
}

pub(super) fn send_waits_for_ok(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    let data = pseudo_random(100_000, 6);
    folder.write("wait.bin", &data)?;
    let delay = Duration::from_millis(200);
    let answer = Answer {
        ok_delay: delay,
        ..Answer::default()
    };
    let (output, got) = send_to_peer(ctx, folder.root(), "wait.bin", |_| answer)?;
    let got = received(&output, got)?;
    if got.before_ok.len() > b"wait.bin".len() && got.before_ok.starts_with(b"wait.bin") {
        return Err(Failure::expected(
            format!(
                "nothing after the name until `ok` (the receiver waited {} ms before \
                 replying)",
                delay.as_millis()
            ),
            format!(
                "{} bytes of the file arrived before `ok`: glued to the name, a receiver \
                 reads them as part of it",
                got.before_ok.len() - b"wait.bin".len()
            ),
        )
        .with_run(&output));
    }
    if got.before_ok != b"wait.bin" {
        return Err(Failure::expected(
            "the name \"wait.bin\"",
            format!("{:?}", String::from_utf8_lossy(&got.before_ok)),
        )
        .with_run(&output));
    }
    same_bytes(&got.after_ok, &data, "the bytes after `ok`").map_err(|f| f.with_run(&output))?;
    sent_ok(&output, "wait.bin", data.len())
}

pub(super) fn send_big_file_flat_memory(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    let data = big_data();
    folder.write("big.bin", data)?;
    let answer = |sender| Answer {
        watch_pid: Some(sender),
        ..Answer::default()
    };
    let (output, got) = send_to_peer(ctx, folder.root(), "big.bin", answer)?;
    let got = received(&output, got)?;
    // The name may have come glued to data; that is send_waits_for_ok's business.
    let all: Vec<u8>;
    let body = match got.before_ok.strip_prefix(b"big.bin") {
        Some(rest) if !rest.is_empty() => {
            all = [rest, &got.after_ok].concat();
            &all[..]
        }
        _ => &got.after_ok[..],
    };
    same_bytes(body, data, "a 64 MiB random file").map_err(|f| f.with_run(&output))?;
    sent_ok(&output, "big.bin", data.len())?;
    if !memory::supported() {
        return Ok(());
    }
    match got.peak_rss {
        Some(peak) if peak < MEMORY_LIMIT => Ok(()),
        Some(peak) => Err(Failure::expected(
            format!(
                "peak memory under {} while sending a 64 MiB file (copy it through a \
                 buffer: std::io::copy)",
                mib(MEMORY_LIMIT)
            ),
            format!("{} (VmHWM)", mib(peak)),
        )
        .with_run(&output)),
        None => Err(
            Failure::new("the sender's memory could not be read while it was sending")
                .with_run(&output),
        ),
    }
}

pub(super) fn send_waits_for_receiver_close(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    folder.write("close.txt", TEXT)?;
    let receiver = peer::Receiver::bind()?;
    let mut running = sender_cmd(ctx, folder.root(), "close.txt", receiver.addr()?).spawn()?;
    let pending = receiver.serve_one(Answer {
        hold_close: true,
        ..Answer::default()
    });
    let until = Instant::now() + IO_TIMEOUT;
    let at_eof = loop {
        if pending.wait_for_eof(Duration::from_millis(10)) {
            break true;
        }
        if running.has_exited() {
            // Its end of file may still be on the way to the peer.
            break pending.wait_for_eof(Duration::from_millis(200));
        }
        if Instant::now() >= until {
            break false;
        }
    };
    if !at_eof {
        let output = running.wait_for_exit(Duration::ZERO);
        let got = pending.result(IO_TIMEOUT);
        received(&output, got)?;
        return Err(
            Failure::expected("the file, then a half-close", "no end of file").with_run(&output),
        );
    }
    // The receiver has every byte but has not closed yet: it could still fail to save.
    let hold = Duration::from_millis(300);
    let held_since = Instant::now();
    while held_since.elapsed() < hold {
        if running.has_exited() {
            let output = running.wait();
            return Err(Failure::expected(
                "tcp_send still running while the receiver has not closed: until then \
                 nobody knows the file was saved",
                format!(
                    "it exited {} ms after its last byte, before the receiver closed",
                    held_since.elapsed().as_millis()
                ),
            )
            .with_run(&output));
        }
        thread::sleep(Duration::from_millis(5));
    }
    pending.release();
    let output = running.wait_for_exit(IO_TIMEOUT);
    let got = pending.result(IO_TIMEOUT);
    received(&output, got)?;
    sent_ok(&output, "close.txt", TEXT.len())
}

pub(super) fn send_refused_reports_reason(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    folder.write("taken.txt", TEXT)?;
    let reason = "exists: taken.txt";
    let answer = Answer {
        refuse: Some(reason.to_string()),
        ..Answer::default()
    };
    let (output, got) = send_to_peer(ctx, folder.root(), "taken.txt", |_| answer)?;
    received(&output, got)?;
    expect::exit_code(&output, 1, "the receiver refused the file")?;
    if !output
        .stderr_text()
        .lines()
        .any(|l| l.starts_with("error:") && l.contains(reason))
    {
        return Err(Failure::expected(
            format!("an `error: ...` line on stderr quoting the receiver's reason {reason:?}"),
            "no such line",
        )
        .with_run(&output));
    }
    expect::no_line_starting(&output, "sent", "nothing was sent")
}

pub(super) fn send_nobody_listening(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    folder.write("lonely.txt", TEXT)?;
    // A port that was free a moment ago: nobody listens there now.
    let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let output = sender_cmd(ctx, folder.root(), "lonely.txt", addr)
        .timeout(Duration::from_secs(4))
        .run()?;
    expect::exit_code(&output, 1, "nobody listens at that address")?;
    expect::stderr_line_starting(&output, "error:", "say what went wrong")
}

pub(super) fn send_missing_file_or_directory(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    fs::create_dir(folder.root().join("photos"))?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    for (file, what) in [
        ("missing.txt", "the file does not exist"),
        ("photos", "a directory is not a file to send"),
    ] {
        let output = sender_cmd(ctx, folder.root(), file, addr).run()?;
        expect::exit_code(&output, 1, what)?;
        expect::stderr_line_starting(&output, "error:", what)?;
        if peer::anybody_connected(&listener) {
            return Err(Failure::expected(
                format!("no connection at all ({what}: find out before connecting)"),
                "tcp_send connected to the receiver first",
            )
            .with_run(&output));
        }
    }
    Ok(())
}

pub(super) fn send_works_with_reference_receiver(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    let data = pseudo_random(300_000, 8);
    folder.write("song.ogg", &data)?;
    let cmd = ctx
        .reference("tcp_recv")
        .arg("127.0.0.1:0")
        .arg(&inbox)
        .timeout(Duration::from_secs(60));
    let (server, addr) = check::start_server(cmd, START)?;
    let output = sender_cmd(ctx, folder.root(), "song.ogg", addr).run()?;
    sent_ok(&output, "song.ogg", data.len())?;
    saved_line(&server, "song.ogg", data.len())
        .map_err(|f| Failure::new(format!("the reference receiver: {f}")).with_run(&output))?;
    same_file(&inbox.join("song.ogg"), &data, "song.ogg").map_err(|f| f.with_run(&output))
}

pub(super) fn pair_send_to_recv(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    let data = pseudo_random(500_000, 9);
    folder.write("pair.bin", &data)?;
    with_receiver(ctx, &[], &inbox, |server, addr| {
        let output = sender_cmd(ctx, folder.root(), "pair.bin", addr).run()?;
        sent_ok(&output, "pair.bin", data.len())?;
        saved_line(server, "pair.bin", data.len()).map_err(|f| f.with_run(&output))?;
        same_file(&inbox.join("pair.bin"), &data, "pair.bin")
    })
}
