//! A receiver out of file descriptors: accept fails (EMFILE) while connections wait in the
//! queue. Retrying at once spins a core and floods stderr (the reference once printed
//! 361,790 error lines in 2 s); Go's net/http server waits 5 ms, doubling up to 1 s, and
//! logs the error. The check runs the receiver allowed only a few open files.

use std::net::TcpStream;
use std::time::Duration;

use harness::sandbox::{self, Limits};
use harness::{Ctx, Failure};

use super::common::{
    Folder, Order, SAVE, data, file_name, peer_send, same_file, with_receiver_cmd,
};

/// Files the receiver may hold open: its stdio and listener, and about a dozen
/// connections.
const OPEN_FILES: u64 = 16;
/// How long the receiver is watched while accept keeps failing.
const WATCH: Duration = Duration::from_millis(500);
/// CPU time a receiver that waits between tries uses in [`WATCH`], at most; a tight loop
/// uses all of it.
const CPU_AT_MOST: Duration = Duration::from_millis(150);
/// Lines of stderr it may print in [`WATCH`]: one per try is still a flood when tries
/// come a thousand a second.
const LINES_AT_MOST: usize = 20;
/// How long a receiver may take to serve again once the connections close: its wait
/// between tries is at most 1 s.
const RECOVER: Duration = Duration::from_secs(3);

pub(super) fn recv_out_of_files_backs_off(ctx: &Ctx) -> Result<(), Failure> {
    let (name, data) = {
        let mut rng = ctx.rng();
        (file_name(&mut rng), data(&mut rng, 1_000..=20_000))
    };
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    let limits = Limits {
        open_files: OPEN_FILES,
        ..sandbox::limits()
    };
    // Long enough that the held connections are not dropped while the check watches.
    let options = ["--idle-timeout", "20000"];
    with_receiver_cmd(
        ctx,
        &options,
        &inbox,
        Order::AsPrinted,
        |cmd| cmd.limits(limits),
        |server, addr| {
            // Twice as many connections as the receiver has files: the kernel queues the
            // ones it cannot accept.
            let held: Vec<TcpStream> = (0..OPEN_FILES * 2)
                .map(|_| TcpStream::connect(addr))
                .collect::<Result<_, _>>()?;
            ctx.step(format!(
                "{} peer senders connected and said nothing; the receiver may hold {OPEN_FILES} files",
                held.len()
            ));
            let pid = server.id();
            let cpu_before = harness::cpu::cpu_time(pid);
            let lines_before = server.stderr_so_far().lines().count();
            harness::wait::on_purpose(WATCH, "the receiver's CPU and stderr, watched a while");
            let cpu = harness::cpu::cpu_time(pid)
                .zip(cpu_before)
                .map(|(after, before)| after.saturating_sub(before));
            let lines = server.stderr_so_far().lines().count() - lines_before;
            if cpu.is_some_and(|cpu| cpu > CPU_AT_MOST) || lines > LINES_AT_MOST {
                return Err(Failure::expected(
                    "a receiver out of file descriptors to wait before it accepts again \
                     (Go's net/http waits 5 ms, doubling up to 1 s) and to say so once",
                    format!(
                        "in {} ms it used {} ms of CPU and printed {lines} lines on stderr: \
                         accept is retried at once, in a tight loop",
                        WATCH.as_millis(),
                        cpu.unwrap_or_default().as_millis()
                    ),
                ));
            }
            drop(held);
            ctx.step("the peer senders closed their connections");
            // Back to normal: a sender is served again. Not at once, maybe: the receiver
            // still has the closed connections to accept and drop, and until then a file
            // may be refused for want of a descriptor. (Whether the `saved` line is exact
            // is recv_saves_text_file's business.)
            let mut refused = None;
            let served =
                harness::wait::until(RECOVER, || match peer_send(ctx, addr, &name, &data) {
                    Ok(()) => Some(()),
                    Err(failure) => {
                        refused = Some(failure);
                        None
                    }
                });
            if served.is_err() {
                return Err(refused.unwrap_or_else(|| Failure::new("no sender was served")));
            }
            server.wait_for_line(SAVE, |line| line.starts_with("saved "));
            same_file(&folder, &name, &data, &name)
        },
    )
}
