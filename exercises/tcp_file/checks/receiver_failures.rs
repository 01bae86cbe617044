//! Checks of a receiver when transfers go wrong: a half-arrived file never shows under
//! its name, a reset (mid-file or before the first byte) leaves nothing, idle connections
//! are dropped, two senders of one new name do not clobber each other, and a DIR that
//! vanishes fails the transfer without stopping the receiver.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::peer::{IO_TIMEOUT, Sender};
use harness::beneath::{self, Kind};
use harness::{Ctx, Failure, Running, Stream};

use super::common::{
    Folder, IDLE_LATE_MS, IDLE_MS, ON_STDERR, Order, SAVE, could_not_talk, data, entries,
    file_name, peer_send, quoted, same_file, saved_line, sender_past_ok, text, wait_for_entry,
    with_receiver, with_receiver_shown,
};

pub(super) fn recv_no_partial_file_under_final_name(ctx: &Ctx) -> Result<(), Failure> {
    let (name, data) = {
        let mut rng = ctx.rng();
        (file_name(&mut rng), data(&mut rng, 150_000..=250_000))
    };
    let half = data.len() / 2;
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    with_receiver(ctx, &[], &inbox, |server, addr| {
        let mut sender = sender_past_ok(ctx, addr, &name)?;
        sender.send(&data[..half]).map_err(could_not_talk)?;
        ctx.step(format!("peer sender streamed {half} bytes and paused"));
        // Half the file is out; the sender pauses. Whatever the receiver has put in DIR
        // by now must not carry the final name.
        let seen = wait_for_entry(&folder, Duration::from_millis(500));
        if seen.contains(&name) {
            return Err(Failure::expected(
                format!(
                    "no {name:?} in DIR while only half of it has arrived (write to a \
                     temporary name, give it its name at the end)"
                ),
                format!("DIR holds {seen:?} mid-transfer"),
            ));
        }
        sender.send(&data[half..]).map_err(could_not_talk)?;
        ctx.step(format!(
            "peer sender streamed the other {} bytes and half-closed",
            data.len() - half
        ));
        sender
            .finish(IO_TIMEOUT)
            .map_err(|e| Failure::expected(format!("the receiver closes after {name:?}"), e))?;
        saved_line(server, &name, data.len())?;
        same_file(&folder, &name, &data, &name)
    })
}

#[cfg(unix)]
pub(super) fn recv_reset_mid_file_leaves_nothing(ctx: &Ctx) -> Result<(), Failure> {
    reset_after(ctx, 50_000..=150_000)
}

#[cfg(unix)]
pub(super) fn recv_reset_before_first_byte(ctx: &Ctx) -> Result<(), Failure> {
    reset_after(ctx, 0..=0)
}

/// The peer sender gets `ok`, streams a drawn number of bytes (maybe none), then resets
/// the connection: nothing may stay in DIR, no `saved` line, and the receiver serves on.
#[cfg(unix)]
fn reset_after(ctx: &Ctx, sent: std::ops::RangeInclusive<usize>) -> Result<(), Failure> {
    let (name, data, after_name, after) = {
        let mut rng = ctx.rng();
        let name = file_name(&mut rng);
        let data = data(&mut rng, sent);
        let after_name = format!("after-{}", file_name(&mut rng));
        (name, data, after_name, text(&mut rng))
    };
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    with_receiver(ctx, &[], &inbox, |server, addr| {
        let mut sender = sender_past_ok(ctx, addr, &name)?;
        sender.send(&data).map_err(could_not_talk)?;
        // Let the receiver take in what was sent (a file in DIR of that size: then the
        // reset finds nothing unread, and what a wrong receiver saves is the same every
        // run), then pull the plug.
        let had_file = holds_bytes(&folder, data.len(), Duration::from_millis(500));
        sender.abort().map_err(could_not_talk)?;
        ctx.step(format!(
            "peer sender streamed {} bytes, then reset the connection",
            data.len()
        ));
        nothing_left(server, &folder, &name, had_file)?;
        // And the receiver still serves.
        peer_send(ctx, addr, &after_name, &after)?;
        saved_line(server, &after_name, after.len())
    })
}

/// Wait until a file in `dir` has `len` bytes (or, for `len` 0, any file is there);
/// false if none has by `timeout`.
#[cfg(unix)]
pub(super) fn holds_bytes(folder: &Folder, len: usize, timeout: Duration) -> bool {
    harness::wait::until(timeout, || {
        entries(folder)
            .iter()
            .any(|name| folder.files().file_len(&format!("inbox/{name}")) == Some(len as u64))
            .then_some(())
    })
    .is_ok()
}

/// Until DIR is empty again; a receiver that kept nothing on disk gets a while more to
/// show whether it saves the half file anyway.
#[cfg(unix)]
pub(super) fn nothing_left(
    server: &Running,
    folder: &Folder,
    name: &str,
    had_file: bool,
) -> Result<(), Failure> {
    let deadline = Instant::now() + SAVE;
    let mut empty_since: Option<Instant> = None;
    let settle = if had_file {
        Duration::ZERO
    } else {
        Duration::from_millis(200)
    };
    let settled = harness::wait::until_deadline(deadline, || {
        let now = Instant::now();
        if entries(folder).is_empty() {
            let since = *empty_since.get_or_insert(now);
            if now - since >= settle {
                return Some(Ok(()));
            }
        } else {
            empty_since = None;
        }
        let saved = server
            .stdout_so_far()
            .lines()
            .find(|l| l.starts_with(&format!("saved {name}")))
            .map(str::to_string);
        saved.map(|line| {
            Err(Failure::expected(
                "no `saved` line for a transfer that was reset (a read error is not the \
                 end of the file)",
                format!("{line:?}"),
            ))
        })
    });
    settled.unwrap_or_else(|_| {
        let left = entries(folder);
        let why = if left.contains(name) {
            "part of a file under its final name"
        } else {
            "a temporary file left behind: remove it when a transfer fails"
        };
        Err(Failure::expected(
            "nothing in DIR after the sender reset the connection",
            format!("DIR holds {left:?}: {why}"),
        ))
    })
}

/// With `--idle-timeout IDLE_MS`: a connection that never sends its name and one that
/// stops mid-file are each closed, not before about IDLE_MS and not long after; a sender
/// whose every pause is shorter than IDLE_MS, but whose whole transfer takes longer, is
/// served to the end (the timeout is for one read, not for the connection).
pub(super) fn recv_idle_connection_closed(ctx: &Ctx) -> Result<(), Failure> {
    let (name, steady_name, steady) = {
        let mut rng = ctx.rng();
        let name = file_name(&mut rng);
        let steady_name = format!("steady-{}", file_name(&mut rng));
        (name, steady_name, data(&mut rng, 600..=1_200))
    };
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    let idle = IDLE_MS.to_string();
    with_receiver(ctx, &["--idle-timeout", &idle], &inbox, |server, addr| {
        let too_late = Duration::from_millis(IDLE_MS + IDLE_LATE_MS);
        let too_soon = Duration::from_millis(IDLE_MS * 3 / 4);
        // One sender connects and says nothing...
        let mut silent = Sender::connect(addr).map_err(could_not_talk)?;
        let silent_since = Instant::now();
        ctx.step("a peer sender connected and said nothing");
        // ...another gets its ok, sends a few bytes, and goes quiet...
        let mut stalled = sender_past_ok(ctx, addr, &name)?;
        stalled.send(b"first words").map_err(could_not_talk)?;
        let stalled_since = Instant::now();
        ctx.step("peer sender streamed 11 bytes and went quiet");
        // ...and a third sends its file in pieces, each pause well under the timeout,
        // the whole well over it, meanwhile.
        let pieces = 6;
        let pause = Duration::from_millis(IDLE_MS / 4);
        let mut steady_sender = sender_past_ok(ctx, addr, &steady_name)?;
        ctx.step(format!(
            "peer sender streams {} bytes of {steady_name:?} in {pieces} pieces, {} ms \
             apart ({} ms in all), while the check watches the other two",
            steady.len(),
            pause.as_millis(),
            pause.as_millis() * (pieces - 1)
        ));
        let steady_result = std::thread::scope(|scope| {
            let steady_done =
                scope.spawn(|| send_steadily(&mut steady_sender, &steady, pieces, pause));
            for (sender, since, what) in [
                (
                    &mut silent,
                    silent_since,
                    "a connection that never sent a name",
                ),
                (
                    &mut stalled,
                    stalled_since,
                    "a connection that stopped sending mid-file",
                ),
            ] {
                let left = (too_late * 3).saturating_sub(since.elapsed());
                let closed = sender.wait_closed(left);
                let after = since.elapsed();
                if closed.is_err() || after > too_late {
                    return Err(Failure::expected(
                        format!(
                            "{what} closed by the receiver about {IDLE_MS} ms after its last \
                             byte (--idle-timeout {IDLE_MS}: every read waits that long at most)"
                        ),
                        match closed {
                            Err(e) => e,
                            Ok(_) => format!("closed after {} ms", after.as_millis()),
                        },
                    ));
                }
                if after < too_soon {
                    return Err(Failure::expected(
                        format!("{what} kept open for about {IDLE_MS} ms"),
                        format!("closed after {} ms", after.as_millis()),
                    ));
                }
            }
            ctx.step(format!(
                "the receiver closed both after about {IDLE_MS} ms of silence"
            ));
            Ok(steady_done
                .join()
                .unwrap_or_else(|_| Err(Steady::Cut("the sender thread crashed".into()))))
        })?;
        // When this side itself paused past the timeout (a machine too busy to run it on
        // time), the receiver was right to close: send the file again, twice at most.
        let mut steady_result = steady_result;
        let mut name = steady_name.clone();
        for again in 1..=2 {
            if !matches!(steady_result, Err(Steady::Overran)) {
                break;
            }
            name = format!("again-{again}-{steady_name}");
            ctx.step(format!(
                "the check's own pause overran the timeout: {name:?} sent the same way"
            ));
            let mut sender = sender_past_ok(ctx, addr, &name)?;
            steady_result = send_steadily(&mut sender, &steady, pieces, pause);
        }
        steady_result.map_err(|e| {
            Failure::expected(
                format!(
                    "{name:?} taken whole: each pause was {} ms, under --idle-timeout \
                     {IDLE_MS}; the timeout is for one read, not a deadline for the whole \
                     connection",
                    pause.as_millis()
                ),
                match e {
                    Steady::Cut(e) => e,
                    Steady::Overran => "the check could not keep its pauses short".into(),
                },
            )
        })?;
        ctx.step(format!("the receiver closed {name:?}'s connection"));
        saved_line(server, &name, steady.len())?;
        same_file(&folder, &name, &steady, &name)
    })
}

/// How a steady transfer went wrong.
enum Steady {
    /// The receiver let go mid-file: why, as the failure says it.
    Cut(String),
    /// This side paused past the idle timeout itself: the receiver was right to close.
    Overran,
}

/// Send `data` in `pieces`, `pause` apart, then half-close and wait for the close.
fn send_steadily(
    sender: &mut Sender,
    data: &[u8],
    pieces: u128,
    pause: Duration,
) -> Result<(), Steady> {
    let started = Instant::now();
    let mut last = started;
    let size = data.len().div_ceil(pieces as usize);
    for (i, piece) in data.chunks(size).enumerate() {
        if i > 0 {
            harness::wait::on_purpose(pause, "a sender that pauses, under the timeout");
        }
        let closed = sender.closed_already();
        if closed && last.elapsed() >= Duration::from_millis(IDLE_MS * 3 / 4) {
            return Err(Steady::Overran);
        }
        if closed {
            return Err(Steady::Cut(format!(
                "the receiver closed the connection {} ms into the transfer, mid-file \
                 (each pause was under the timeout)",
                started.elapsed().as_millis()
            )));
        }
        sender
            .send(piece)
            .map_err(|e| Steady::Cut(format!("sending failed mid-file: {e}")))?;
        last = Instant::now();
    }
    sender
        .wait_finished(IO_TIMEOUT)
        .map(drop)
        .map_err(Steady::Cut)
}

/// Two senders of the same new name at once. Both may get `ok` (the name is free when
/// each asks); the first to finish wins, the other is refused or fails; the file holds
/// exactly one sender's bytes, whole, and one `saved` line says so.
pub(super) fn recv_same_name_at_once(ctx: &Ctx) -> Result<(), Failure> {
    let (name, first, second) = {
        let mut rng = ctx.rng();
        let first = data(&mut rng, 100_000..=200_000);
        let mut second = data(&mut rng, 100_000..=200_000);
        if second.len() == first.len() {
            second.push(0);
        }
        (file_name(&mut rng), first, second)
    };
    let half = first.len() / 2;
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    with_receiver(ctx, &[], &inbox, |server, addr| {
        let mut one = sender_past_ok(ctx, addr, &name)?;
        one.send(&first[..half]).map_err(could_not_talk)?;
        ctx.step(format!("peer sender 1 streamed {half} bytes and paused"));
        let second_taken = second_sender(ctx, addr, &name, &second)?;
        one.send(&first[half..]).map_err(could_not_talk)?;
        ctx.step(format!(
            "peer sender 1 streamed its other {} bytes and half-closed",
            first.len() - half
        ));
        let _ = one.finish(IO_TIMEOUT);
        ctx.step("receiver closed sender 1's connection");
        // A `saved` line printed just before a close may still be on its way through the
        // pipe: give each its moment.
        let prefix = format!("saved {name} (");
        let on_stderr = second_taken
            && server.wait_for_line_on_either(SAVE, |l| l.starts_with(&prefix))
                == Some(Stream::Stderr);
        let first_saved = format!("saved {name} ({} bytes)", first.len());
        server.wait_for_line(Duration::from_millis(300), |l| l == first_saved);
        let stdout = server.stdout_so_far();
        let saved: Vec<&str> = stdout.lines().filter(|l| l.starts_with(&prefix)).collect();
        // A link in the name's place is refused, never followed.
        let rel = format!("inbox/{name}");
        let held = match beneath::received(folder.files(), &rel, &name) {
            Ok(bytes) => Some(bytes),
            Err(link) if folder.files().kind(&rel) == Some(Kind::Symlink) => return Err(link),
            Err(_) => None,
        };
        let whole_one = held
            .as_deref()
            .is_some_and(|bytes| bytes == first.as_slice() || bytes == second.as_slice());
        let got = match held.as_deref() {
            None => "no such file".to_string(),
            Some(bytes) if bytes == first.as_slice() => "sender 1's bytes".to_string(),
            Some(bytes) if bytes == second.as_slice() => "sender 2's bytes".to_string(),
            Some(bytes) => format!(
                "{} bytes that are neither sender's file: clobbered",
                bytes.len()
            ),
        };
        if saved.len() != 1 || !whole_one {
            return Err(Failure::expected(
                format!(
                    "one `saved {name} (...)` line and {name:?} holding one sender's \
                     bytes, whole (sender 1: {} bytes, sender 2: {} bytes{})",
                    first.len(),
                    second.len(),
                    if second_taken { "" } else { ", refused" }
                ),
                format!(
                    "{} `saved` lines {saved:?}; the file: {got}{}",
                    saved.len(),
                    if on_stderr {
                        format!(" (a `saved` line came {ON_STDERR})")
                    } else if saved.len() > 1 {
                        why_saved_twice(&saved, held.as_deref(), &first, &second)
                    } else {
                        String::new()
                    }
                ),
            ));
        }
        Ok(())
    })
}

/// Why a receiver printed more than one `saved` line for one name, told from which
/// sender's bytes the file holds: the sender whose line came last (its save replaced the
/// other's), the one whose line came first (the last line was printed for a save that
/// failed), or a line whose count is neither sender's (printed before its transfer
/// ended).
fn why_saved_twice(saved: &[&str], held: Option<&[u8]>, first: &[u8], second: &[u8]) -> String {
    let count = |line: &str| -> Option<usize> {
        let inside = line.rsplit_once(" (")?.1.strip_suffix(" bytes)")?;
        inside.parse().ok()
    };
    let counts: Vec<Option<usize>> = saved.iter().map(|l| count(l)).collect();
    let sizes = [first.len(), second.len()];
    if counts
        .iter()
        .any(|c| !c.is_some_and(|c| sizes.contains(&c)))
    {
        return " (a `saved` line whose count is neither sender's: print `saved` only once \
                the transfer has ended and the file has its name)"
            .to_string();
    }
    let held_len = held
        .filter(|bytes| *bytes == first || *bytes == second)
        .map(<[u8]>::len);
    match held_len {
        Some(len) if counts.last() == Some(&Some(len)) => " (the second save replaced the \
             first: give the name with fs::hard_link, which fails when the name exists, or \
             create_new; fs::rename replaces)"
            .to_string(),
        Some(_) => " (the file holds the bytes of the first `saved` line: the later line \
             was printed for a save that failed; print `saved` only once the file has its \
             name, after fs::hard_link succeeded)"
            .to_string(),
        None => String::new(),
    }
}

/// The second sender of the same name: refused (false), or taken and sent whole (true).
fn second_sender(ctx: &Ctx, addr: SocketAddr, name: &str, data: &[u8]) -> Result<bool, Failure> {
    let mut two = Sender::connect(addr).map_err(could_not_talk)?;
    two.send_name(name.as_bytes()).map_err(could_not_talk)?;
    ctx.step(format!(
        "peer sender 2 sent the same name {}",
        quoted(name.as_bytes())
    ));
    let reply = two.reply().map_err(|e| {
        Failure::expected(
            "a reply to the second sender's name (`ok` or a reason) while the first is \
             mid-file: serve each connection in its own thread",
            format!("no reply: {e}"),
        )
    })?;
    ctx.step(format!("receiver replied {}", quoted(&reply)));
    if !reply.starts_with(b"ok") {
        return Ok(false);
    }
    two.send(data).map_err(could_not_talk)?;
    let _ = two.finish(IO_TIMEOUT);
    ctx.step(format!(
        "peer sender 2 streamed {} bytes, half-closed, and the receiver closed",
        data.len()
    ));
    Ok(true)
}

/// DIR removed after the receiver started: the next transfer fails (a refusal with a
/// reason, or an error after `ok`), no `saved` line; the receiver keeps serving, and once
/// DIR exists again saves there.
pub(super) fn recv_folder_vanishes(ctx: &Ctx) -> Result<(), Failure> {
    let (lost, lost_data, name, data) = {
        let mut rng = ctx.rng();
        let lost = file_name(&mut rng);
        let lost_data = text(&mut rng);
        (
            lost,
            lost_data,
            format!("again-{}", file_name(&mut rng)),
            text(&mut rng),
        )
    };
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    // Sorted when shown: the first connection's thread may print its error after the
    // second connection's line, and a recorded failure must read the same every run.
    with_receiver_shown(ctx, &[], &inbox, Order::Sorted, |server, addr| {
        folder.files().remove_dir("inbox")?;
        ctx.step("the check removed DIR after the receiver started");
        let mut sender = Sender::connect(addr).map_err(could_not_talk)?;
        sender.send_name(lost.as_bytes()).map_err(could_not_talk)?;
        ctx.step(format!(
            "peer sender sent the name {}",
            quoted(lost.as_bytes())
        ));
        // The transfer must END: a reason and a close, or `ok` and a close after the
        // bytes; a receiver stuck on the missing folder answers nothing.
        let ended = |e: String| {
            Failure::expected(
                format!(
                    "{lost:?} refused with a reason (DIR is gone: nothing can be saved), or \
                     taken and then the connection closed"
                ),
                e,
            )
        };
        let reply = sender.reply().map_err(|e| {
            ended(format!(
                "no reply within {} ms: {e}",
                IO_TIMEOUT.as_millis()
            ))
        })?;
        ctx.step(format!("receiver replied {}", quoted(&reply)));
        if reply.starts_with(b"ok") {
            let _ = sender.send(&lost_data);
            ctx.step(format!(
                "peer sender streamed {} bytes and half-closed",
                lost_data.len()
            ));
            sender.finish(IO_TIMEOUT).map_err(ended)?;
        } else {
            // Then let go: a receiver draining a refused connection waits for our close.
            sender.wait_closed(IO_TIMEOUT).map_err(ended)?;
            drop(sender);
        }
        ctx.step("receiver closed the connection");
        if let Some(line) = server
            .stdout_so_far()
            .lines()
            .find(|l| l.starts_with(&format!("saved {lost}")))
        {
            return Err(Failure::expected(
                format!("no `saved` line for {lost:?}: DIR was gone, nothing could be saved"),
                format!("{line:?}"),
            ));
        }
        folder.files().create_dir("inbox")?;
        ctx.step("the check made DIR again");
        peer_send(ctx, addr, &name, &data).map_err(|failure| {
            Failure::new(format!(
                "once DIR exists again, the receiver must save there: a transfer that \
                 failed is no reason to stop serving\n{failure}"
            ))
        })?;
        saved_line(server, &name, data.len())?;
        same_file(&folder, &name, &data, &name)
    })
}
