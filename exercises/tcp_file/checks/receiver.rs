//! Checks of the student's receiver (tcp_recv) doing its job: announcing the address it
//! bound, saving files whole under their names, flat memory, many senders at once, the
//! default address and a port already taken. It meets the peer sender of
//! peers/tcp_file.rs, which goes through the protocol one step at a time, and the
//! reference sender. Names are in receiver_names.rs, failures in receiver_failures.rs.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Barrier;
use std::thread;
use std::time::Duration;

use crate::peer::{self, IO_TIMEOUT};
use harness::expect;
use harness::memory;
use harness::{Ctx, Failure, start_server};

use super::common::{
    Folder, MEMORY_LIMIT, Order, START, big_data, could_not_talk, data, expect_ok, file_name,
    peer_send, same_file, saved_line, sender_past_ok, text, with_receiver, with_receiver_shown,
};

pub(super) fn recv_ready_line(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    // Two connections end at once, so a receiver's complaints about them come in any order.
    with_receiver_shown(ctx, &[], &folder.inbox(), Order::Sorted, |_, addr| {
        TcpStream::connect_timeout(&addr, IO_TIMEOUT).map_err(|e| {
            Failure::expected(
                format!("a connection to the announced address {addr}"),
                format!("it failed: {e}"),
            )
        })?;
        bound_only_loopback(addr)
    })?;
    ipv6_loopback(ctx, &folder)
}

/// ADDR `[::1]:0`, IPv6's loopback, is bound and announced as given (`listening on
/// [::1]:PORT`), where the machine has IPv6 at all.
fn ipv6_loopback(ctx: &Ctx, folder: &Folder) -> Result<(), Failure> {
    if TcpListener::bind("[::1]:0").is_err() {
        ctx.step("this machine has no IPv6 loopback: [::1] cannot be tried");
        return Ok(());
    }
    ctx.step("tcp_recv started on [::1]:0");
    let cmd = ctx
        .student("tcp_recv")
        .arg("[::1]:0")
        .arg(folder.inbox())
        .timeout(Duration::from_secs(30));
    let (server, addr) = start_server(cmd, START)?;
    let result = if addr.ip() != Ipv6Addr::LOCALHOST || addr.port() == 0 {
        Err(Failure::expected(
            "`listening on [::1]:PORT`, the port the system chose: ADDR [::1]:0 bound as given",
            format!("`listening on {addr}`"),
        ))
    } else {
        TcpStream::connect_timeout(&addr, IO_TIMEOUT)
            .map(drop)
            .map_err(|e| {
                Failure::expected(
                    format!("a connection to the announced address {addr}"),
                    format!("it failed: {e}"),
                )
            })
    };
    result.map_err(|failure| failure.with_run(&server.kill()))
}

/// Asked for 127.0.0.1, a receiver must not listen on every address (0.0.0.0), where
/// other machines reach it. On Linux all of 127.0.0.0/8 is this machine, so a connection
/// to 127.0.0.2 reaches a socket bound to 0.0.0.0 and is refused by one bound to
/// 127.0.0.1: whatever the announcement says.
fn bound_only_loopback(addr: SocketAddr) -> Result<(), Failure> {
    if !cfg!(target_os = "linux") {
        return Ok(());
    }
    let other = SocketAddr::from((Ipv4Addr::new(127, 0, 0, 2), addr.port()));
    match TcpStream::connect_timeout(&other, IO_TIMEOUT) {
        Err(_) => Ok(()),
        Ok(_) => Err(Failure::expected(
            format!("a socket bound to {addr}, the address asked for, and no other"),
            format!(
                "a connection to {}, same port, was taken too: the socket is bound to \
                 every address (0.0.0.0), where other machines can send it files; bind the \
                 ADDR argument as given",
                other.ip()
            ),
        )),
    }
}

pub(super) fn recv_saves_text_file(ctx: &Ctx) -> Result<(), Failure> {
    let (name, text) = {
        let mut rng = ctx.rng();
        (file_name(&mut rng), text(&mut rng))
    };
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    with_receiver(ctx, &[], &inbox, |server, addr| {
        peer_send(ctx, addr, &name, &text)?;
        saved_line(server, &name, text.len())?;
        same_file(&folder, &name, &text, &name)
    })
}

pub(super) fn recv_empty_file(ctx: &Ctx) -> Result<(), Failure> {
    let name = file_name(&mut ctx.rng());
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    with_receiver(ctx, &[], &inbox, |server, addr| {
        peer_send(ctx, addr, &name, b"")?;
        saved_line(server, &name, 0)?;
        same_file(&folder, &name, b"", "an empty file")
    })
}

pub(super) fn recv_big_file_flat_memory(ctx: &Ctx) -> Result<(), Failure> {
    let (name, data) = {
        let mut rng = ctx.rng();
        (file_name(&mut rng), big_data(&mut rng))
    };
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    with_receiver(ctx, &[], &inbox, |server, addr| {
        peer_send(ctx, addr, &name, data)?;
        saved_line(server, &name, data.len())?;
        same_file(&folder, &name, data, "a big random file")?;
        harness::expect::peak_memory_under(
            memory::peak_rss(server.id()),
            MEMORY_LIMIT,
            &format!("receiving a file of {}", memory::mib(data.len() as u64)),
            "stream it through a buffer",
        )
    })
}

pub(super) fn recv_replies_exactly_ok(ctx: &Ctx) -> Result<(), Failure> {
    let (name, text) = {
        let mut rng = ctx.rng();
        (file_name(&mut rng), text(&mut rng))
    };
    let folder = Folder::new()?;
    with_receiver(ctx, &[], &folder.inbox(), |_, addr| {
        let all = peer::send_file(addr, name.as_bytes(), &text).map_err(|e| {
            Failure::expected(format!("the receiver takes {name:?} and then closes"), e)
        })?;
        if all == b"ok" {
            return Ok(());
        }
        Err(Failure::expected(
            "the two bytes `ok` and nothing else on the whole connection (a Go sender \
             compares the reply with \"ok\")",
            harness::bytes::show(&all),
        ))
    })
}

pub(super) fn recv_two_files_in_a_row(ctx: &Ctx) -> Result<(), Failure> {
    let files = {
        let mut rng = ctx.rng();
        let first = (file_name(&mut rng), text(&mut rng));
        let mut second = (file_name(&mut rng), data(&mut rng, 50_000..=150_000));
        if second.0 == first.0 {
            second.0.insert(0, '2');
        }
        [first, second]
    };
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    with_receiver(ctx, &[], &inbox, |server, addr| {
        for (name, data) in &files {
            peer_send(ctx, addr, name, data)?;
            saved_line(server, name, data.len())?;
        }
        for (name, data) in &files {
            same_file(&folder, name, data, name)?;
        }
        Ok(())
    })
}

pub(super) fn recv_eight_senders_at_once(ctx: &Ctx) -> Result<(), Failure> {
    let files: Vec<(String, Vec<u8>)> = {
        let mut rng = ctx.rng();
        (0..8)
            .map(|i| {
                let name = format!("{i}-{}", file_name(&mut rng));
                (name, data(&mut rng, 128 * 1024..=384 * 1024))
            })
            .collect()
    };
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    with_receiver_shown(ctx, &[], &inbox, Order::Sorted, |server, addr| {
        let start = Barrier::new(files.len());
        // Eight at once: their steps would interleave differently every run, so they
        // are not recorded; a failure says which file.
        let results: Vec<Result<(), Failure>> = thread::scope(|scope| {
            let handles: Vec<_> = files
                .iter()
                .map(|(name, data)| {
                    let start = &start;
                    scope.spawn(move || {
                        start.wait();
                        let reply = peer::send_file(addr, name.as_bytes(), data).map_err(|e| {
                            Failure::expected(
                                format!("the receiver takes {name:?} and then closes"),
                                e,
                            )
                        })?;
                        expect_ok(name, &reply)
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
                &folder,
                name,
                data,
                &format!("{name}, one of eight sent at once"),
            )?;
        }
        Ok(())
    })
}

pub(super) fn recv_slow_sender_does_not_block_others(ctx: &Ctx) -> Result<(), Failure> {
    let (slow_name, slow_text, fast_name, fast) = {
        let mut rng = ctx.rng();
        let slow_name = format!("slow-{}", file_name(&mut rng));
        let slow_text = format!("{}\n", harness::draw::short_word(&mut rng)).into_bytes();
        let fast_name = format!("fast-{}", file_name(&mut rng));
        (
            slow_name,
            slow_text,
            fast_name,
            data(&mut rng, 5_000..=20_000),
        )
    };
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    // Held past the receiver's end when the fast sender fails: closed before, it would let
    // a receiver that serves one connection at a time go on to the fast sender's, and
    // print what that came to (a 0-byte save, or a reset) as timing has it.
    let mut held = None;
    with_receiver(ctx, &[], &inbox, |server, addr| {
        // The slow sender gets its ok, sends a few bytes one by one, then pauses...
        let slow = held.insert(sender_past_ok(ctx, addr, &slow_name)?);
        let (first, rest) = slow_text.split_at(2);
        slow.send_slowly(first, Duration::from_millis(20))
            .map_err(could_not_talk)?;
        ctx.step(format!(
            "peer sender sent 2 bytes of {slow_name:?}, one at a time, and paused"
        ));
        // ...and while it is paused mid-file, another sender must get through.
        peer_send(ctx, addr, &fast_name, &fast).map_err(|failure| {
            Failure::new(format!(
                "while one sender was paused in the middle of its file, a second sender \
                 could not get through: serve each connection in its own thread\n{failure}"
            ))
        })?;
        saved_line(server, &fast_name, fast.len())?;
        slow.send_slowly(rest, Duration::from_millis(20))
            .map_err(could_not_talk)?;
        ctx.step(format!(
            "peer sender sent the other {} bytes of {slow_name:?} and half-closed",
            rest.len()
        ));
        let slow = held.take().expect("held above");
        slow.finish(IO_TIMEOUT).map_err(|e| {
            Failure::expected(format!("the receiver closes after {slow_name:?}"), e)
        })?;
        saved_line(server, &slow_name, slow_text.len())?;
        same_file(&folder, &slow_name, &slow_text, &slow_name)?;
        same_file(&folder, &fast_name, &fast, &fast_name)
    })
}

pub(super) fn recv_works_with_reference_sender(ctx: &Ctx) -> Result<(), Failure> {
    let (name, data) = {
        let mut rng = ctx.rng();
        (file_name(&mut rng), data(&mut rng, 200_000..=400_000))
    };
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    folder.write(&format!("outbox/{name}"), &data)?;
    with_receiver(ctx, &[], &inbox, |server, addr| {
        ctx.step(format!(
            "the reference sender sends outbox/{name} ({} bytes)",
            data.len()
        ));
        let output = ctx
            .reference("tcp_send")
            .cwd(folder.root())
            .arg(format!("outbox/{name}"))
            .arg(addr.to_string())
            .run()?;
        expect::exit_code(
            &output,
            0,
            "the reference sender got `ok` and saw your receiver close",
        )?;
        saved_line(server, &name, data.len())?;
        same_file(&folder, &name, &data, &name)
    })
}

/// With no ADDR the receiver listens on 127.0.0.1:8000 and saves into the current folder;
/// with no ADDR the sender sends there. Port 8000 may be taken on this machine (by another
/// program, or by this check running for another copy of the exercise): then the receiver
/// must say so cleanly, `error: ...` and exit 1, not a usage error, and the sender's half
/// cannot be tried. Only the address is looked at, so that the outcome of every other
/// mistake does not depend on whether port 8000 happens to be free.
pub(super) fn pair_default_address(ctx: &Ctx) -> Result<(), Failure> {
    let (name, text) = {
        let mut rng = ctx.rng();
        (file_name(&mut rng), text(&mut rng))
    };
    let folder = Folder::new()?;
    folder.write(&name, &text)?;
    receiver_default_address(ctx, &folder.inbox())?;
    let default = SocketAddr::from((Ipv4Addr::LOCALHOST, 8000));
    let Ok(receiver) = peer::Receiver::bind_to(default) else {
        ctx.step("port 8000 is taken: the sender's default cannot be tried");
        return Ok(());
    };
    ctx.step(format!(
        "the peer receiver listens on {default}; tcp_send {name} started, with no ADDR"
    ));
    let running = ctx
        .student("tcp_send")
        .cwd(folder.root())
        .arg(&name)
        .timeout(Duration::from_secs(15))
        .spawn()?;
    let pending = receiver.serve_one(peer::Answer::default());
    let output = running.wait();
    if output.code() == Some(2) {
        return Err(Failure::expected(
            "with no ADDR: send to 127.0.0.1:8000 (ADDR is optional)",
            "a usage error (exit code 2)",
        )
        .with_run(&output));
    }
    match pending.result(IO_TIMEOUT) {
        Err(e) if e.starts_with("nobody connected") => Err(Failure::expected(
            "with no ADDR, a connection to 127.0.0.1:8000 (the default address)",
            "nobody connected there",
        )
        .with_run(&output)),
        _ => Ok(()),
    }
}

/// `tcp_recv` with no arguments, in `dir`: `listening on 127.0.0.1:8000`, or the clean
/// error of a port already taken.
fn receiver_default_address(ctx: &Ctx, dir: &std::path::Path) -> Result<(), Failure> {
    ctx.step("tcp_recv started with no arguments, in DIR");
    let server = ctx
        .student("tcp_recv")
        .cwd(dir)
        .timeout(Duration::from_secs(30))
        .spawn()?;
    let first = server.wait_for_line(START, |_| true);
    if first.is_some() {
        let output = server.kill();
        if first.as_deref() == Some("listening on 127.0.0.1:8000") {
            ctx.step("tcp_recv: `listening on 127.0.0.1:8000`; the check stopped it");
            return Ok(());
        }
        return Err(Failure::expected(
            "the first line `listening on 127.0.0.1:8000` (the default address)",
            format!("{:?}", first.unwrap_or_default()),
        )
        .with_run(&output));
    }
    let output = server.wait_for_exit(Duration::from_secs(2));
    if output.code() == Some(2) {
        return Err(Failure::expected(
            "with no arguments: listen on 127.0.0.1:8000 and save into the current folder \
             (ADDR and DIR are optional)",
            "a usage error (exit code 2)",
        )
        .with_run(&output));
    }
    expect::clean_error(
        &output,
        "port 8000 is taken on this machine: the only error allowed here",
    )?;
    let stderr = output.stderr_text();
    if stderr.contains("8000") || stderr.to_lowercase().contains("in use") {
        ctx.step("tcp_recv: port 8000 is taken, it said so and exited 1");
        return Ok(());
    }
    Err(Failure::expected(
        "`listening on 127.0.0.1:8000`, or (when port 8000 is taken) an error about that \
         address",
        "an error that is not about the address",
    )
    .with_run(&output))
}

/// A port another socket already listens on: bind fails, and the receiver says so and
/// exits 1, instead of panicking, hanging, or calling it a usage error.
pub(super) fn recv_port_in_use(ctx: &Ctx) -> Result<(), Failure> {
    let taken = TcpListener::bind("127.0.0.1:0")?;
    let addr = taken.local_addr()?;
    let folder = Folder::new()?;
    ctx.step(format!("the check listens on {addr} itself"));
    ctx.step(format!("tcp_recv started on {addr}"));
    let output = ctx
        .student("tcp_recv")
        .arg(addr.to_string())
        .arg(folder.inbox())
        .timeout(Duration::from_secs(5))
        .run()?;
    if output.timed_out {
        return Err(Failure::expected(
            format!("`error: ...` and exit code 1: {addr} is taken, bind fails"),
            "it was still running 5000 ms later",
        )
        .with_run(&output));
    }
    if output.code() == Some(2) {
        return Err(Failure::expected(
            format!("`error: ...` and exit code 1: {addr} is taken (the arguments were right)"),
            "a usage error (exit code 2)",
        )
        .with_run(&output));
    }
    expect::clean_error(&output, "the address is taken: bind fails")
}

/// Wrong usage of either program: an unknown option, an extra argument, a missing or
/// wrong option value, no FILE: the usage line and exit code 2, nothing else (a receiver
/// that starts anyway is killed after a while and fails).
pub(super) fn usage_errors(ctx: &Ctx) -> Result<(), Failure> {
    let (option, extra, not_a_number) = {
        let mut rng = ctx.rng();
        (
            format!("--{}", harness::draw::short_word(&mut rng)),
            harness::draw::short_word(&mut rng),
            // A number with a unit is not a number of milliseconds (a drawn word could
            // be all digits, and a valid MS).
            format!(
                "{}{}",
                rng.u32(1..10_000),
                ["ms", "s", "sec"][rng.usize(..3)]
            ),
        )
    };
    let folder = Folder::new()?;
    let inbox = folder.inbox().to_string_lossy().into_owned();
    let file = "file.txt";
    folder.write(file, b"")?;
    let cases: [(&str, Vec<&str>, &str); 6] = [
        ("tcp_recv", vec![&option], "an unknown option"),
        (
            "tcp_recv",
            vec!["127.0.0.1:0", &inbox, &extra],
            "an extra argument",
        ),
        (
            "tcp_recv",
            vec!["--idle-timeout"],
            "--idle-timeout without MS",
        ),
        (
            "tcp_recv",
            vec!["--idle-timeout", &not_a_number, "127.0.0.1:0", &inbox],
            "--idle-timeout with a unit after MS",
        ),
        ("tcp_send", vec![], "no FILE"),
        (
            "tcp_send",
            vec![file, "127.0.0.1:9", &extra],
            "an extra argument",
        ),
    ];
    for (bin, args, what) in cases {
        let output = ctx
            .student(bin)
            .cwd(folder.root())
            .args(&args)
            // Room for a machine busy elsewhere: a right program exits at once anyway.
            .timeout(Duration::from_secs(5))
            .run()?;
        expect::usage_error(&output, bin, &format!("{what} is a usage error"))?;
    }
    Ok(())
}

/// DIR missing, or a file rather than a folder, when the receiver starts: nothing could
/// ever be saved, so it says so and exits 1 at once (every kind, every run), rather than
/// listening and failing every transfer.
pub(super) fn recv_dir_not_a_folder(ctx: &Ctx) -> Result<(), Failure> {
    let (missing, file) = {
        let mut rng = ctx.rng();
        (
            format!("missing-{}", harness::draw::short_word(&mut rng)),
            file_name(&mut rng),
        )
    };
    let folder = Folder::new()?;
    folder.write(&file, b"not a folder\n")?;
    for (dir, what) in [
        (&missing, "DIR does not exist"),
        (&file, "DIR is a file, not a folder"),
    ] {
        ctx.step(format!(
            "tcp_recv started on 127.0.0.1:0 with DIR {dir:?} ({what})"
        ));
        let output = ctx
            .student("tcp_recv")
            .cwd(folder.root())
            .args(["127.0.0.1:0", dir.as_str()])
            .timeout(Duration::from_secs(5))
            .run()?;
        if output.timed_out {
            return Err(Failure::expected(
                format!("`error: ...` and exit code 1 at once: {what}, nothing can be saved"),
                "it was still running 5000 ms later (check DIR when starting)",
            )
            .with_run(&output));
        }
        expect::clean_error(&output, what)?;
    }
    Ok(())
}
