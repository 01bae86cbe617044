//! Checks of the student's sender (tcp_send): it meets the peer receiver of
//! peers/tcp_file.rs, which can delay `ok`, refuse, hold its close and watch memory, and
//! the reference receiver; then it meets the student's own receiver.

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::peer::{self, Answer, IO_TIMEOUT, Received};
use harness::draw;
use harness::expect;
use harness::memory;
use harness::{Ctx, Failure, Output, start_server};

use super::common::{
    Folder, MEMORY_LIMIT, START, big_data, data, file_name, quoted, same_file, saved_line, text,
    with_receiver,
};
use super::names;

/// Run the student's sender on `file` (relative to `cwd`) against `addr`.
fn sender_cmd(ctx: &Ctx, cwd: &Path, file: &str, addr: SocketAddr) -> harness::Cmd {
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
    let shown = match file.len() {
        0..=64 => file.to_string(),
        _ => quoted(file.as_bytes()),
    };
    ctx.step(format!(
        "tcp_send {shown} started against the peer receiver"
    ));
    let running = sender_cmd(ctx, cwd, file, receiver.addr()?).spawn()?;
    let pending = receiver.serve_one(answer(running.id()));
    let output = running.wait();
    let got = pending.result(IO_TIMEOUT);
    if let Ok(got) = &got {
        ctx.step(format!(
            "the peer receiver got {} before its reply and {} after",
            quoted(&got.before_ok),
            got.after_ok.len()
        ));
    }
    Ok((output, got))
}

/// What the peer receiver got, or why not.
fn received(output: &Output, got: Result<Received, String>) -> Result<Received, Failure> {
    got.map_err(|e| Failure::expected("a transfer following the protocol", e).with_run(output))
}

/// Exit code 0 and the whole stdout exactly `sent NAME (N bytes)` and a newline.
fn sent_ok(output: &Output, name: &str, bytes: usize) -> Result<(), Failure> {
    expect::exit_code(output, 0, "the file was taken")?;
    expect::stdout_is(
        output,
        format!("sent {name} ({bytes} bytes)\n").as_bytes(),
        "the one line `sent NAME (N bytes)` once the receiver has closed",
    )
}

pub(super) fn send_base_name_only(ctx: &Ctx) -> Result<(), Failure> {
    // Every run: a plain name, one with a space, one of wider characters: each still one
    // component, under two drawn folders.
    let paths: Vec<(String, String)> = {
        let mut rng = ctx.rng();
        let names = [
            file_name(&mut rng),
            format!("{} {}", draw::short_word(&mut rng), file_name(&mut rng)),
            format!("{}.txt", draw::unicode_text(&mut rng, 6)),
        ];
        names
            .into_iter()
            .map(|name| {
                let dirs = format!(
                    "{}/{}",
                    draw::short_word(&mut rng),
                    draw::short_word(&mut rng)
                );
                (format!("{dirs}/{name}"), name)
            })
            .collect()
    };
    let folder = Folder::new()?;
    for (path, name) in &paths {
        folder.write(path, b"")?;
        let (output, got) = send_to_peer(ctx, folder.root(), path, |_| Answer::default())?;
        let got = received(&output, got)?;
        if got.before_ok != name.as_bytes() {
            return Err(Failure::expected(
                format!(
                    "the name {}: the last component only, like Go's FileInfo.Name()",
                    quoted(name.as_bytes())
                ),
                quoted(&got.before_ok),
            )
            .with_run(&output));
        }
        sent_ok(&output, name, 0)?;
    }
    Ok(())
}

/// Legal names that look odd (spaces, wide characters, exactly 255 bytes, a leading
/// dash, dots) are sent as they are. Each path is given as `./NAME`, so that a name
/// starting with a dash is not taken for an option.
pub(super) fn send_unusual_names(ctx: &Ctx) -> Result<(), Failure> {
    let files: Vec<(String, &str, Vec<u8>)> = {
        let mut rng = ctx.rng();
        names::unusual(&mut rng)
            .into_iter()
            .map(|(name, what)| {
                let data = data(&mut rng, 0..=2_000);
                (name, what, data)
            })
            .collect()
    };
    let folder = Folder::new()?;
    for (name, what, data) in &files {
        folder.write(name, data)?;
        let path = format!("./{name}");
        let (output, got) = send_to_peer(ctx, folder.root(), &path, |_| Answer::default())?;
        let legal = |failure: Failure| {
            Failure::new(format!(
                "{name:?} is {what}: a legal name ({} bytes, no `/`, `\\` or NUL), to be sent \
                 as it is\n{failure}",
                name.len()
            ))
        };
        let got = received(&output, got).map_err(legal)?;
        if got.before_ok != name.as_bytes() {
            return Err(legal(
                Failure::expected(
                    format!("the name {}", quoted(name.as_bytes())),
                    quoted(&got.before_ok),
                )
                .with_run(&output),
            ));
        }
        harness::expect::same_bytes("the bytes after `ok`", data, &got.after_ok)
            .map_err(|f| legal(f.with_run(&output)))?;
        sent_ok(&output, name, data.len()).map_err(legal)?;
    }
    Ok(())
}

pub(super) fn send_waits_for_ok(ctx: &Ctx) -> Result<(), Failure> {
    let (name, data) = {
        let mut rng = ctx.rng();
        (file_name(&mut rng), data(&mut rng, 50_000..=150_000))
    };
    let folder = Folder::new()?;
    folder.write(&name, &data)?;
    let delay = Duration::from_millis(200);
    let answer = Answer {
        ok_delay: delay,
        ..Answer::default()
    };
    let (output, got) = send_to_peer(ctx, folder.root(), &name, |_| answer)?;
    let got = received(&output, got)?;
    let name_bytes = name.as_bytes();
    if got.before_ok.len() > name_bytes.len() && got.before_ok.starts_with(name_bytes) {
        return Err(Failure::expected(
            format!(
                "nothing after the name until `ok` (the receiver waited {} ms before \
                 replying)",
                delay.as_millis()
            ),
            format!(
                "{} bytes of the file arrived before `ok`: glued to the name, a receiver \
                 reads them as part of it",
                got.before_ok.len() - name_bytes.len()
            ),
        )
        .with_run(&output));
    }
    if got.before_ok != name_bytes {
        return Err(Failure::expected(
            format!("the name {}", quoted(name_bytes)),
            quoted(&got.before_ok),
        )
        .with_run(&output));
    }
    harness::expect::same_bytes("the bytes after `ok`", &data, &got.after_ok)
        .map_err(|f| f.with_run(&output))?;
    sent_ok(&output, &name, data.len())
}

pub(super) fn send_big_file_flat_memory(ctx: &Ctx) -> Result<(), Failure> {
    let (name, data) = {
        let mut rng = ctx.rng();
        (file_name(&mut rng), big_data(&mut rng))
    };
    let folder = Folder::new()?;
    folder.write(&name, data)?;
    let answer = |sender| Answer {
        watch_pid: Some(sender),
        ..Answer::default()
    };
    let (output, got) = send_to_peer(ctx, folder.root(), &name, answer)?;
    let got = received(&output, got)?;
    // The name may have come glued to data; that is send_waits_for_ok's business.
    let all: Vec<u8>;
    let body = match got.before_ok.strip_prefix(name.as_bytes()) {
        Some(rest) if !rest.is_empty() => {
            all = [rest, &got.after_ok].concat();
            &all[..]
        }
        _ => &got.after_ok[..],
    };
    harness::expect::same_bytes("a big random file", data, body)
        .map_err(|f| f.with_run(&output))?;
    sent_ok(&output, &name, data.len())?;
    harness::expect::peak_memory_under(
        got.peak_rss,
        MEMORY_LIMIT,
        &format!("sending a file of {}", memory::mib(data.len() as u64)),
        "copy it through a buffer: std::io::copy",
    )
    .map_err(|f| f.with_run(&output))
}

pub(super) fn send_waits_for_receiver_close(ctx: &Ctx) -> Result<(), Failure> {
    let (name, text) = {
        let mut rng = ctx.rng();
        (file_name(&mut rng), text(&mut rng))
    };
    let folder = Folder::new()?;
    folder.write(&name, &text)?;
    let receiver = peer::Receiver::bind()?;
    ctx.step(format!("tcp_send {name} started against the peer receiver"));
    let mut running = sender_cmd(ctx, folder.root(), &name, receiver.addr()?).spawn()?;
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
    ctx.step("the peer receiver replied `ok`, got the file and the half-close, and waits");
    // The receiver has every byte but has not closed yet: it could still fail to save.
    let hold = Duration::from_millis(300);
    let held_since = Instant::now();
    if harness::wait::until(hold, || running.has_exited().then_some(())).is_ok() {
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
    pending.release();
    ctx.step("the peer receiver closed the connection");
    let output = running.wait_for_exit(IO_TIMEOUT);
    let got = pending.result(IO_TIMEOUT);
    received(&output, got)?;
    sent_ok(&output, &name, text.len())
}

pub(super) fn send_refused_reports_reason(ctx: &Ctx) -> Result<(), Failure> {
    let (name, reason) = {
        let mut rng = ctx.rng();
        let name = file_name(&mut rng);
        let reason = match rng.u8(..3) {
            0 => format!("exists: {name}"),
            1 => format!("no room for {name}: {}", draw::short_word(&mut rng)),
            _ => format!("bad name: {}", draw::short_word(&mut rng)),
        };
        (name, reason)
    };
    let folder = Folder::new()?;
    folder.write(&name, &text(&mut ctx.rng()))?;
    let answer = Answer {
        refuse: Some(reason.clone()),
        ..Answer::default()
    };
    let (output, got) = send_to_peer(ctx, folder.root(), &name, |_| answer)?;
    received(&output, got)?;
    expect::exit_code(&output, 1, "the receiver refused the file")?;
    if !output
        .stderr_text()
        .lines()
        .any(|l| l.starts_with("error:") && l.contains(&reason))
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
    let (name, text) = {
        let mut rng = ctx.rng();
        (file_name(&mut rng), text(&mut rng))
    };
    let folder = Folder::new()?;
    folder.write(&name, &text)?;
    // A port a connected socket holds, on which nobody listens. (Not a port freed by
    // closing a listener: a process another check forks meanwhile holds the listener
    // open until its exec, and the connection would be accepted.)
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let holder = std::net::TcpStream::connect(listener.local_addr()?)?;
    let _held = listener.accept()?;
    let addr = holder.local_addr()?;
    let output = sender_cmd(ctx, folder.root(), &name, addr)
        .timeout(Duration::from_secs(4))
        .run()?;
    expect::exit_code(&output, 1, "nobody listens at that address")?;
    expect::stderr_line_starting(&output, "error:", "say what went wrong")
}

pub(super) fn send_missing_file_or_directory(ctx: &Ctx) -> Result<(), Failure> {
    let (missing, dir) = {
        let mut rng = ctx.rng();
        (file_name(&mut rng), draw::short_word(&mut rng))
    };
    let folder = Folder::new()?;
    fs::create_dir(folder.root().join(&dir))?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    for (file, what) in [
        (&missing, "the file does not exist"),
        (&dir, "a directory is not a file to send"),
    ] {
        let output = sender_cmd(ctx, folder.root(), file, addr).run()?;
        expect::clean_error(&output, what)?;
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

/// A local file whose name is not UTF-8: the name on the wire must be UTF-8, so the
/// sender refuses before connecting (`error: ...`, exit 1), without a panic and without
/// sending a name altered by a lossy conversion.
#[cfg(target_os = "linux")]
pub(super) fn send_name_not_utf8(ctx: &Ctx) -> Result<(), Failure> {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let (raw, text) = {
        let mut rng = ctx.rng();
        let (raw, _) = draw::not_utf8(&mut rng);
        (raw, text(&mut rng))
    };
    let name = OsStr::from_bytes(&raw);
    let folder = Folder::new()?;
    fs::write(folder.root().join(name), &text)?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    ctx.step(format!(
        "tcp_send started on a file named {} (not UTF-8)",
        quoted(&raw)
    ));
    let output = ctx
        .student("tcp_send")
        .cwd(folder.root())
        .arg(name)
        .arg(addr.to_string())
        .timeout(Duration::from_secs(15))
        .run()?;
    let connected = peer::anybody_connected(&listener);
    expect::clean_error(
        &output,
        "the file's name is not UTF-8, and the protocol sends names as UTF-8",
    )?;
    if connected {
        return Err(Failure::expected(
            "no connection at all (the name cannot be sent: find out before connecting)",
            "tcp_send connected to the receiver first",
        )
        .with_run(&output));
    }
    Ok(())
}

pub(super) fn send_works_with_reference_receiver(ctx: &Ctx) -> Result<(), Failure> {
    let (name, data) = {
        let mut rng = ctx.rng();
        (file_name(&mut rng), data(&mut rng, 200_000..=400_000))
    };
    let folder = Folder::new()?;
    folder.write(&name, &data)?;
    // The reference runs unsandboxed, as the grader: its DIR is where the sender cannot
    // reach (swapped for a link, it would write wherever the link points).
    let reference_folder = Folder::private()?;
    let cmd = ctx
        .reference("tcp_recv")
        .arg("127.0.0.1:0")
        .arg(reference_folder.inbox())
        .timeout(Duration::from_secs(60));
    let (server, addr) = start_server(cmd, START)?;
    ctx.step(format!(
        "tcp_send {name} ({} bytes) started against the reference receiver",
        data.len()
    ));
    let output = sender_cmd(ctx, folder.root(), &name, addr).run()?;
    sent_ok(&output, &name, data.len())?;
    saved_line(&server, &name, data.len())
        .map_err(|f| Failure::new(format!("the reference receiver: {f}")).with_run(&output))?;
    same_file(&reference_folder, &name, &data, &name).map_err(|f| f.with_run(&output))
}

pub(super) fn pair_send_to_recv(ctx: &Ctx) -> Result<(), Failure> {
    let (name, data) = {
        let mut rng = ctx.rng();
        (file_name(&mut rng), data(&mut rng, 300_000..=600_000))
    };
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    folder.write(&name, &data)?;
    with_receiver(ctx, &[], &inbox, |server, addr| {
        ctx.step(format!(
            "tcp_send {name} ({} bytes) started against tcp_recv",
            data.len()
        ));
        let output = sender_cmd(ctx, folder.root(), &name, addr).run()?;
        sent_ok(&output, &name, data.len())?;
        saved_line(server, &name, data.len()).map_err(|f| f.with_run(&output))?;
        same_file(&folder, &name, &data, &name)
    })
}
