//! Checks of the student's receiver (tcp_recv): it meets the peer sender of
//! peers/tcp_file.rs, which can misbehave at any step, and the reference sender.

use std::collections::BTreeSet;
use std::fs;
use std::net::{SocketAddr, TcpStream};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use crate::check::{Ctx, Failure};
use crate::expect;
use crate::memory;
use crate::peers::tcp_file::{self as peer, IO_TIMEOUT, Sender};

use super::common::{
    Folder, IDLE_MS, MEMORY_LIMIT, SAVE, TEXT, big_data, could_not_talk, entries, mib, peer_send,
    pseudo_random, same_file, saved_line, sender_past_ok, wait_for_entry, with_receiver,
};

pub(super) fn recv_ready_line(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    with_receiver(ctx, &[], &folder.inbox(), |_, addr| {
        TcpStream::connect_timeout(&addr, IO_TIMEOUT).map_err(|e| {
            Failure::expected(
                format!("a connection to the announced address {addr}"),
                format!("it failed: {e}"),
            )
        })?;
        Ok(())
    })
}

pub(super) fn recv_saves_text_file(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    with_receiver(ctx, &[], &inbox, |server, addr| {
        peer_send(addr, "hello.txt", TEXT)?;
        saved_line(server, "hello.txt", TEXT.len())?;
        same_file(&inbox.join("hello.txt"), TEXT, "hello.txt")
    })
}

pub(super) fn recv_empty_file(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    with_receiver(ctx, &[], &inbox, |server, addr| {
        peer_send(addr, "empty.txt", b"")?;
        saved_line(server, "empty.txt", 0)?;
        same_file(&inbox.join("empty.txt"), b"", "an empty file")
    })
}

pub(super) fn recv_big_file_flat_memory(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    let data = big_data();
    with_receiver(ctx, &[], &inbox, |server, addr| {
        peer_send(addr, "big.bin", data)?;
        saved_line(server, "big.bin", data.len())?;
        same_file(&inbox.join("big.bin"), data, "a 64 MiB random file")?;
        if !memory::supported() {
            return Ok(()); // the transfer is checked; memory only where /proc tells it
        }
        match memory::peak_rss(server.id()) {
            Some(peak) if peak < MEMORY_LIMIT => Ok(()),
            Some(peak) => Err(Failure::expected(
                format!(
                    "peak memory under {} while receiving a 64 MiB file (stream it \
                     through a buffer)",
                    mib(MEMORY_LIMIT)
                ),
                format!("{} (VmHWM)", mib(peak)),
            )),
            None => Err(Failure::new(
                "the receiver's memory could not be read: did it exit?",
            )),
        }
    })
}

pub(super) fn recv_replies_exactly_ok(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    with_receiver(ctx, &[], &folder.inbox(), |_, addr| {
        let all = peer::send_file(addr, b"reply.txt", TEXT)
            .map_err(|e| Failure::expected("the receiver takes reply.txt and then closes", e))?;
        if all == b"ok" {
            return Ok(());
        }
        Err(Failure::expected(
            "the two bytes `ok` and nothing else on the whole connection (a Go sender \
             compares the reply with \"ok\")",
            format!("{:?}", String::from_utf8_lossy(&all)),
        ))
    })
}

pub(super) fn recv_refuses_hostile_names(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    // An absolute path nobody else uses, so that finding it proves who made it.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let absolute = std::env::temp_dir().join(format!(
        "netlab-tcp_file-{}-{nanos}.txt",
        std::process::id()
    ));
    let absolute_name = absolute.to_string_lossy().into_owned();
    let mut glued = b"notes.txt".to_vec();
    glued.extend(std::iter::repeat_n(0u8, 64 * 1024));
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"../x".to_vec(), "a path climbing out of the folder"),
        (absolute_name.clone().into_bytes(), "an absolute path"),
        (b"a/b".to_vec(), "a path with a folder"),
        (b"a\\b".to_vec(), "a Windows path with a folder"),
        (b"..".to_vec(), "the parent folder"),
        (b".".to_vec(), "the folder itself"),
        (Vec::new(), "an empty name (the sender half-closed at once)"),
        (vec![b'a'; 256], "a name of 256 bytes"),
        (b"a\0b.txt".to_vec(), "a name with a NUL byte"),
        (b"caf\xe9.txt".to_vec(), "a name that is not UTF-8"),
        (
            glued,
            "a name with 64 KiB of file glued on (a sender that did not wait for ok)",
        ),
    ];
    let result = with_receiver(ctx, &[], &inbox, |_, addr| {
        for (name, what) in &cases {
            let shown = format!(
                "{:?}, {what}",
                String::from_utf8_lossy(&name[..name.len().min(40)])
            );
            refuse_one(addr, name, &shown)?;
            let outside: BTreeSet<String> = entries(folder.root())
                .into_iter()
                .filter(|e| e != "inbox")
                .collect();
            let inside = entries(&inbox);
            if !inside.is_empty() || !outside.is_empty() || absolute.exists() {
                return Err(Failure::expected(
                    format!("nothing created anywhere for the name {shown}"),
                    format!(
                        "in DIR: {inside:?}; beside DIR: {outside:?}; {}: {}",
                        absolute.display(),
                        if absolute.exists() {
                            "exists"
                        } else {
                            "absent"
                        }
                    ),
                ));
            }
        }
        Ok(())
    });
    let _ = fs::remove_file(&absolute);
    result
}

/// Send one bad name; the receiver must answer with a reason (not `ok`) and close.
fn refuse_one(addr: SocketAddr, name: &[u8], shown: &str) -> Result<(), Failure> {
    let mut sender = Sender::connect(addr).map_err(could_not_talk)?;
    sender.send_name(name).map_err(could_not_talk)?;
    // A receiver that refuses while unread bytes wait (the glued case) resets the
    // connection, which may swallow its reason: then only "not ok" can be asked for.
    let glued = name.len() > 1024;
    let reply = match sender.reply() {
        Ok(reply) => reply,
        Err(_) if glued => Vec::new(),
        Err(e) => {
            return Err(Failure::expected(
                format!("a short reason for refusing the name {shown}"),
                format!("the read failed: {e}"),
            ));
        }
    };
    if reply.starts_with(b"ok") {
        // Go on like a sender would: whatever the receiver does with it shows below.
        let _ = sender.send(b"pwned\n");
        let _ = sender.finish(IO_TIMEOUT);
        return Err(Failure::expected(
            format!("a refusal (not `ok`) for the name {shown}"),
            format!("{:?}", String::from_utf8_lossy(&reply)),
        ));
    }
    if reply.is_empty() && !glued {
        return Err(Failure::expected(
            format!("a short reason for refusing the name {shown}"),
            "the connection closed without a word: the sender cannot tell the user why",
        ));
    }
    sender.wait_closed(IO_TIMEOUT).map_err(|e| {
        Failure::expected(
            format!("the receiver closes after refusing the name {shown}"),
            e,
        )
    })?;
    Ok(())
}

pub(super) fn recv_keeps_existing_file(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    fs::write(inbox.join("report.txt"), b"the original\n")?;
    with_receiver(ctx, &[], &inbox, |_, addr| {
        let reply = peer::send_file(addr, b"report.txt", b"a replacement\n")
            .map_err(|e| Failure::expected("a refusal: report.txt already exists in DIR", e))?;
        if reply.starts_with(b"ok") || reply.is_empty() {
            return Err(Failure::expected(
                "a short reason (not `ok`): report.txt already exists in DIR",
                format!("{:?}", String::from_utf8_lossy(&reply)),
            ));
        }
        same_file(
            &inbox.join("report.txt"),
            b"the original\n",
            "the existing report.txt, untouched",
        )?;
        let left = entries(&inbox);
        if left.len() != 1 {
            return Err(Failure::expected(
                "only report.txt in DIR",
                format!("{left:?}"),
            ));
        }
        Ok(())
    })
}

pub(super) fn recv_two_files_in_a_row(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    let second = pseudo_random(100_000, 2);
    with_receiver(ctx, &[], &inbox, |server, addr| {
        peer_send(addr, "first.txt", TEXT)?;
        saved_line(server, "first.txt", TEXT.len())?;
        peer_send(addr, "second.bin", &second)?;
        saved_line(server, "second.bin", second.len())?;
        same_file(&inbox.join("first.txt"), TEXT, "the first file")?;
        same_file(&inbox.join("second.bin"), &second, "the second file")
    })
}

pub(super) fn recv_eight_senders_at_once(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    let files: Vec<(String, Vec<u8>)> = (0..8)
        .map(|i| (format!("part-{i}.bin"), pseudo_random(256 * 1024, 100 + i)))
        .collect();
    with_receiver(ctx, &[], &inbox, |server, addr| {
        let start = Barrier::new(files.len());
        let results: Vec<Result<(), Failure>> = thread::scope(|scope| {
            let handles: Vec<_> = files
                .iter()
                .map(|(name, data)| {
                    let start = &start;
                    scope.spawn(move || {
                        start.wait();
                        peer_send(addr, name, data)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(Failure::new("a sender thread crashed")))
                })
                .collect()
        });
        for result in results {
            result?;
        }
        for (name, data) in &files {
            saved_line(server, name, data.len())?;
            same_file(
                &inbox.join(name),
                data,
                &format!("{name}, one of eight sent at once"),
            )?;
        }
        Ok(())
    })
}

pub(super) fn recv_slow_sender_does_not_block_others(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    with_receiver(ctx, &[], &inbox, |server, addr| {
        // The slow sender gets its ok, sends a few bytes one by one, then pauses...
        let mut slow = sender_past_ok(addr, "slow.txt")?;
        slow.send_slowly(b"sl", Duration::from_millis(20))
            .map_err(could_not_talk)?;
        // ...and while it is paused mid-file, another sender must get through.
        let fast = pseudo_random(10_000, 7);
        peer_send(addr, "fast.bin", &fast).map_err(|failure| {
            Failure::new(format!(
                "while one sender was paused in the middle of its file, a second sender \
                 could not get through: serve each connection in its own thread\n{failure}"
            ))
        })?;
        saved_line(server, "fast.bin", fast.len())?;
        slow.send_slowly(b"ow\n", Duration::from_millis(20))
            .map_err(could_not_talk)?;
        slow.finish(IO_TIMEOUT)
            .map_err(|e| Failure::expected("the receiver closes after slow.txt", e))?;
        saved_line(server, "slow.txt", 5)?;
        same_file(&inbox.join("slow.txt"), b"slow\n", "slow.txt")?;
        same_file(&inbox.join("fast.bin"), &fast, "fast.bin")
    })
}

pub(super) fn recv_no_partial_file_under_final_name(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    let data = pseudo_random(200_000, 3);
    with_receiver(ctx, &[], &inbox, |server, addr| {
        let mut sender = sender_past_ok(addr, "draft.bin")?;
        sender.send(&data[..100_000]).map_err(could_not_talk)?;
        // Half the file is out; the sender pauses. Whatever the receiver has put in DIR
        // by now must not carry the final name.
        let seen = wait_for_entry(&inbox, Duration::from_millis(500));
        if seen.contains("draft.bin") {
            return Err(Failure::expected(
                "no draft.bin in DIR while only half of it has arrived (write to a \
                 temporary name, give it its name at the end)",
                format!("DIR holds {seen:?} mid-transfer"),
            ));
        }
        sender.send(&data[100_000..]).map_err(could_not_talk)?;
        sender
            .finish(IO_TIMEOUT)
            .map_err(|e| Failure::expected("the receiver closes after draft.bin", e))?;
        saved_line(server, "draft.bin", data.len())?;
        same_file(&inbox.join("draft.bin"), &data, "draft.bin")
    })
}

#[cfg(unix)]
pub(super) fn recv_reset_mid_file_leaves_nothing(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    let data = pseudo_random(200_000, 4);
    with_receiver(ctx, &[], &inbox, |server, addr| {
        let mut sender = sender_past_ok(addr, "partial.bin")?;
        sender.send(&data[..100_000]).map_err(could_not_talk)?;
        // Let the receiver start its temporary file, then pull the plug.
        let had_file = !wait_for_entry(&inbox, Duration::from_millis(500)).is_empty();
        sender.abort().map_err(could_not_talk)?;

        // Until DIR is empty again; a receiver that kept nothing on disk gets a while
        // more to show whether it saves the half file anyway.
        let deadline = Instant::now() + SAVE;
        let mut empty_since: Option<Instant> = None;
        let settle = if had_file {
            Duration::ZERO
        } else {
            Duration::from_millis(200)
        };
        loop {
            let left = entries(&inbox);
            let now = Instant::now();
            if left.is_empty() {
                let since = *empty_since.get_or_insert(now);
                if now - since >= settle {
                    break;
                }
            } else {
                empty_since = None;
            }
            let saved = server
                .stdout_so_far()
                .lines()
                .find(|l| l.starts_with("saved partial.bin"))
                .map(str::to_string);
            if let Some(line) = saved {
                return Err(Failure::expected(
                    "no `saved` line for a transfer that was reset half-way (a read \
                     error is not the end of the file)",
                    format!("{line:?}"),
                ));
            }
            if now >= deadline {
                let why = if left.contains("partial.bin") {
                    "half a file under its final name"
                } else {
                    "a temporary file left behind: remove it when a transfer fails"
                };
                return Err(Failure::expected(
                    "nothing in DIR after the sender reset the connection half-way",
                    format!("DIR holds {left:?}: {why}"),
                ));
            }
            thread::sleep(Duration::from_millis(5));
        }
        // And the receiver still serves.
        peer_send(addr, "after.txt", TEXT)?;
        saved_line(server, "after.txt", TEXT.len())
    })
}

pub(super) fn recv_idle_connection_closed(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    let idle = IDLE_MS.to_string();
    with_receiver(ctx, &["--idle-timeout", &idle], &inbox, |_, addr| {
        let window = Duration::from_millis(IDLE_MS * 10);
        let too_soon = Duration::from_millis(IDLE_MS * 3 / 4);
        // One sender connects and says nothing...
        let mut silent = Sender::connect(addr).map_err(could_not_talk)?;
        let silent_since = Instant::now();
        // ...another gets its ok, sends a few bytes, and goes quiet.
        let mut stalled = sender_past_ok(addr, "stalled.txt")?;
        stalled.send(b"first words").map_err(could_not_talk)?;
        let stalled_since = Instant::now();
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
            let left = window.saturating_sub(since.elapsed());
            sender.wait_closed(left).map_err(|e| {
                Failure::expected(
                    format!("{what} closed by the receiver after --idle-timeout {IDLE_MS}"),
                    e,
                )
            })?;
            if since.elapsed() < too_soon {
                return Err(Failure::expected(
                    format!("{what} kept open for about {IDLE_MS} ms"),
                    format!("closed after {} ms", since.elapsed().as_millis()),
                ));
            }
        }
        Ok(())
    })
}

pub(super) fn recv_works_with_reference_sender(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    let data = pseudo_random(300_000, 5);
    folder.write("outbox/photo.jpg", &data)?;
    with_receiver(ctx, &[], &inbox, |server, addr| {
        let output = ctx
            .reference("tcp_send")
            .cwd(folder.root())
            .arg("outbox/photo.jpg")
            .arg(addr.to_string())
            .run()?;
        expect::exit_code(
            &output,
            0,
            "the reference sender got `ok` and saw your receiver close",
        )?;
        saved_line(server, "photo.jpg", data.len())?;
        same_file(&inbox.join("photo.jpg"), &data, "photo.jpg")
    })
}
