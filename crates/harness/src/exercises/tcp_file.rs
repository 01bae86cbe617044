//! Checks for tcp_file: the Go course's file transfer (name in one write, `ok`, bytes,
//! half-close, close), byte-compatible with it, plus a receiver that hostile names, resets,
//! silent peers and many senders at once cannot hurt. The student's receiver meets the
//! peer sender of peers/tcp_file.rs and the reference sender; the student's sender meets
//! the peer receiver and the reference receiver; then the two meet each other.

use std::collections::BTreeSet;
use std::fs;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Barrier, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::check::{self, Check, Ctx, Exercise, Failure};
use crate::expect;
use crate::memory;
use crate::peers::tcp_file::{self as peer, Answer, IO_TIMEOUT, Received, Sender};
use crate::process::{Output, Running};

pub static EXERCISE: Exercise = Exercise {
    name: "tcp_file",
    bins: &["tcp_send", "tcp_recv"],
    chapter: "tcp_file.md",
    checks: CHECKS,
};

/// How long a receiver has to print its `listening on` line.
const START: Duration = Duration::from_secs(5);
/// How long a `saved` line may take to appear after the sender's last byte.
const SAVE: Duration = Duration::from_secs(5);
/// The memory a program moving a 64 MiB file may use at its peak.
const MEMORY_LIMIT: u64 = 32 << 20;
const BIG: usize = 64 << 20;
/// The idle timeout passed to the receiver in the idle check.
const IDLE_MS: u64 = 300;

static CHECKS: &[Check] = &[
    Check::new("recv_ready_line", "#the-protocol", recv_ready_line),
    Check::new(
        "recv_saves_text_file",
        "#the-receiver-step-by-step",
        recv_saves_text_file,
    ),
    Check::new(
        "recv_empty_file",
        "#the-receiver-step-by-step",
        recv_empty_file,
    ),
    Check::new(
        "recv_big_file_flat_memory",
        "#memory-stays-flat",
        recv_big_file_flat_memory,
    ),
    Check::new(
        "recv_replies_exactly_ok",
        "#why-wait-for-ok",
        recv_replies_exactly_ok,
    ),
    Check::new(
        "recv_refuses_hostile_names",
        "#names-from-the-wire-are-hostile",
        recv_refuses_hostile_names,
    ),
    Check::new(
        "recv_keeps_existing_file",
        "#never-show-a-half-written-file",
        recv_keeps_existing_file,
    ),
    Check::new(
        "recv_two_files_in_a_row",
        "#the-receiver-step-by-step",
        recv_two_files_in_a_row,
    ),
    Check::new(
        "recv_eight_senders_at_once",
        "#many-senders-at-once",
        recv_eight_senders_at_once,
    ),
    Check::new(
        "recv_slow_sender_does_not_block_others",
        "#many-senders-at-once",
        recv_slow_sender_does_not_block_others,
    ),
    Check::new(
        "recv_no_partial_file_under_final_name",
        "#never-show-a-half-written-file",
        recv_no_partial_file_under_final_name,
    ),
    // Resetting a connection on purpose takes SO_LINGER, set through libc.
    #[cfg(unix)]
    Check::new(
        "recv_reset_mid_file_leaves_nothing",
        "#a-read-error-is-not-the-end-of-the-file",
        recv_reset_mid_file_leaves_nothing,
    ),
    Check::new(
        "recv_idle_connection_closed",
        "#idle-connections",
        recv_idle_connection_closed,
    ),
    Check::new(
        "recv_works_with_reference_sender",
        "#the-protocol",
        recv_works_with_reference_sender,
    ),
    Check::new(
        "send_base_name_only",
        "#the-sender-step-by-step",
        send_base_name_only,
    ),
    Check::new("send_waits_for_ok", "#why-wait-for-ok", send_waits_for_ok),
    Check::new(
        "send_big_file_flat_memory",
        "#memory-stays-flat",
        send_big_file_flat_memory,
    ),
    Check::new(
        "send_waits_for_receiver_close",
        "#half-close-and-waiting-for-the-close",
        send_waits_for_receiver_close,
    ),
    Check::new(
        "send_refused_reports_reason",
        "#the-sender-step-by-step",
        send_refused_reports_reason,
    ),
    Check::new(
        "send_nobody_listening",
        "#errors-before-connecting",
        send_nobody_listening,
    ),
    Check::new(
        "send_missing_file_or_directory",
        "#errors-before-connecting",
        send_missing_file_or_directory,
    ),
    Check::new(
        "send_works_with_reference_receiver",
        "#the-protocol",
        send_works_with_reference_receiver,
    ),
    Check::new("pair_send_to_recv", "#the-protocol", pair_send_to_recv),
];

// ---------------------------------------------------------------------------------------
// Helpers

/// A temporary folder with an empty `inbox/` inside, the receiver's DIR: whatever lands
/// beside `inbox/` came from a name that climbed out of it.
struct Folder {
    root: TempDir,
}

impl Folder {
    fn new() -> Result<Folder, Failure> {
        let root = tempfile::tempdir()?;
        fs::create_dir(root.path().join("inbox"))?;
        Ok(Folder { root })
    }

    fn root(&self) -> &Path {
        self.root.path()
    }

    fn inbox(&self) -> PathBuf {
        self.root().join("inbox")
    }

    /// Write a file under the root (for a sender to send), folders included.
    fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), Failure> {
        let path = self.root().join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        Ok(fs::write(path, bytes)?)
    }
}

/// The names in a folder, sorted.
fn entries(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .map(|list| {
            list.filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// Wait until `dir` has an entry, at most `timeout`; returns what it holds then.
fn wait_for_entry(dir: &Path, timeout: Duration) -> BTreeSet<String> {
    let deadline = Instant::now() + timeout;
    loop {
        let found = entries(dir);
        if !found.is_empty() || Instant::now() >= deadline {
            return found;
        }
        thread::sleep(Duration::from_millis(2));
    }
}

/// Start the student's receiver on port 0 serving `dir`, run `body` against it, and on
/// failure attach what the receiver printed.
fn with_receiver(
    ctx: &Ctx,
    options: &[&str],
    dir: &Path,
    body: impl FnOnce(&Running, SocketAddr) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let cmd = ctx
        .student("tcp_recv")
        .args(options)
        .arg("127.0.0.1:0")
        .arg(dir)
        .timeout(Duration::from_secs(60));
    let (server, addr) = check::start_server(cmd, START)?;
    body(&server, addr).map_err(|failure| failure.with_run(&server.kill()))
}

/// The receiver prints `saved NAME (N bytes)` within `SAVE`.
fn saved_line(server: &Running, name: &str, bytes: usize) -> Result<(), Failure> {
    let wanted = format!("saved {name} ({bytes} bytes)");
    match server.wait_for_line(SAVE, |line| line == wanted) {
        Some(_) => Ok(()),
        None => {
            let near = server
                .stdout_so_far()
                .lines()
                .find(|l| l.starts_with(&format!("saved {name}")))
                .map_or_else(
                    || format!("no such line within {} ms", SAVE.as_millis()),
                    |l| format!("{l:?}"),
                );
            Err(Failure::expected(
                format!("the line {wanted:?} once the file is in"),
                near,
            ))
        }
    }
}

/// `path` holds exactly `wanted`.
fn same_file(path: &Path, wanted: &[u8], what: &str) -> Result<(), Failure> {
    let got = fs::read(path).map_err(|e| {
        Failure::expected(
            format!("{what} saved as {}", path.display()),
            format!("it cannot be read: {e}"),
        )
    })?;
    same_bytes(&got, wanted, what)
}

/// Compare two byte strings; on a difference say where the first one is.
fn same_bytes(got: &[u8], wanted: &[u8], what: &str) -> Result<(), Failure> {
    if got == wanted {
        return Ok(());
    }
    let first = got
        .iter()
        .zip(wanted)
        .position(|(a, b)| a != b)
        .unwrap_or(got.len().min(wanted.len()));
    Err(Failure::expected(
        format!("{what}: {} bytes, identical to what was sent", wanted.len()),
        format!(
            "{} bytes, the first difference at byte {first}{}",
            got.len(),
            if got.len() < 200 {
                format!(" ({:?})", String::from_utf8_lossy(got))
            } else {
                String::new()
            }
        ),
    ))
}

/// Bytes that look random (xorshift), the same for the same seed.
fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for chunk in bytes.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    bytes
}

/// 64 MiB of random-looking bytes, made once per process: 64 different rotations of one
/// random MiB, so no two MiB are alike (a lost, doubled or swapped block shows) while the
/// checks, built without optimisation, do not spend a second making them.
fn big_data() -> &'static [u8] {
    static DATA: OnceLock<Vec<u8>> = OnceLock::new();
    DATA.get_or_init(|| {
        const BLOCK: usize = 1 << 20;
        let base = pseudo_random(BLOCK, 64);
        let mut data = Vec::with_capacity(BIG);
        for i in 0..BIG / BLOCK {
            let at = (i * 104_729 + 1) % BLOCK; // a prime step: 64 distinct offsets
            data.extend_from_slice(&base[at..]);
            data.extend_from_slice(&base[..at]);
        }
        data
    })
}

const TEXT: &[u8] = b"Dear receiver,\nthis is a plain text file.\nIt ends with a newline.\n";

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
}

/// Send a file with the peer sender; a refusal is a failure.
fn peer_send(addr: SocketAddr, name: &str, data: &[u8]) -> Result<(), Failure> {
    let reply = peer::send_file(addr, name.as_bytes(), data)
        .map_err(|e| Failure::expected(format!("the receiver takes {name} and then closes"), e))?;
    expect_ok(name, &reply)
}

/// Connect with the peer sender and send `name`; the receiver must answer `ok`. For the
/// checks that then send the bytes their own way (slowly, half, not at all).
fn sender_past_ok(addr: SocketAddr, name: &str) -> Result<Sender, Failure> {
    let mut sender = Sender::connect(addr).map_err(could_not_talk)?;
    sender.send_name(name.as_bytes()).map_err(could_not_talk)?;
    let reply = sender.reply().map_err(could_not_talk)?;
    expect_ok(name, &reply)?;
    Ok(sender)
}

fn expect_ok(name: &str, reply: &[u8]) -> Result<(), Failure> {
    if reply.starts_with(b"ok") {
        return Ok(());
    }
    Err(Failure::expected(
        format!("the reply `ok` to the name {name:?}"),
        format!("{:?}", String::from_utf8_lossy(reply)),
    ))
}

/// The check's own side failed (the receiver vanished, a reset): said as such.
fn could_not_talk(e: std::io::Error) -> Failure {
    Failure::new(format!("the check could not talk to the receiver: {e}"))
}

// ---------------------------------------------------------------------------------------
// The receiver

fn recv_ready_line(ctx: &Ctx) -> Result<(), Failure> {
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

fn recv_saves_text_file(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    with_receiver(ctx, &[], &inbox, |server, addr| {
        peer_send(addr, "hello.txt", TEXT)?;
        saved_line(server, "hello.txt", TEXT.len())?;
        same_file(&inbox.join("hello.txt"), TEXT, "hello.txt")
    })
}

fn recv_empty_file(ctx: &Ctx) -> Result<(), Failure> {
    let folder = Folder::new()?;
    let inbox = folder.inbox();
    with_receiver(ctx, &[], &inbox, |server, addr| {
        peer_send(addr, "empty.txt", b"")?;
        saved_line(server, "empty.txt", 0)?;
        same_file(&inbox.join("empty.txt"), b"", "an empty file")
    })
}

fn recv_big_file_flat_memory(ctx: &Ctx) -> Result<(), Failure> {
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

fn recv_replies_exactly_ok(ctx: &Ctx) -> Result<(), Failure> {
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

fn recv_refuses_hostile_names(ctx: &Ctx) -> Result<(), Failure> {
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

fn recv_keeps_existing_file(ctx: &Ctx) -> Result<(), Failure> {
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

fn recv_two_files_in_a_row(ctx: &Ctx) -> Result<(), Failure> {
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

fn recv_eight_senders_at_once(ctx: &Ctx) -> Result<(), Failure> {
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

fn recv_slow_sender_does_not_block_others(ctx: &Ctx) -> Result<(), Failure> {
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

fn recv_no_partial_file_under_final_name(ctx: &Ctx) -> Result<(), Failure> {
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
fn recv_reset_mid_file_leaves_nothing(ctx: &Ctx) -> Result<(), Failure> {
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

fn recv_idle_connection_closed(ctx: &Ctx) -> Result<(), Failure> {
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

fn recv_works_with_reference_sender(ctx: &Ctx) -> Result<(), Failure> {
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

// ---------------------------------------------------------------------------------------
// The sender

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

fn send_base_name_only(ctx: &Ctx) -> Result<(), Failure> {
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

fn send_waits_for_ok(ctx: &Ctx) -> Result<(), Failure> {
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

fn send_big_file_flat_memory(ctx: &Ctx) -> Result<(), Failure> {
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

fn send_waits_for_receiver_close(ctx: &Ctx) -> Result<(), Failure> {
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

fn send_refused_reports_reason(ctx: &Ctx) -> Result<(), Failure> {
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

fn send_nobody_listening(ctx: &Ctx) -> Result<(), Failure> {
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

fn send_missing_file_or_directory(ctx: &Ctx) -> Result<(), Failure> {
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

fn send_works_with_reference_receiver(ctx: &Ctx) -> Result<(), Failure> {
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

fn pair_send_to_recv(ctx: &Ctx) -> Result<(), Failure> {
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
