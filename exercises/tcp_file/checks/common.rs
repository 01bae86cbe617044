//! Helpers the tcp_file checks share: a temporary folder with the receiver's DIR inside,
//! the student's receiver started on port 0 (and what its announcement says), the `saved`
//! line, file contents compared byte for byte, the drawn names and data, and the protocol's
//! steps done by the peer sender, each recorded with `ctx.step`.

use std::collections::BTreeSet;
use std::fs;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use fastrand::Rng;
use tempfile::TempDir;

use crate::peer::{IO_TIMEOUT, Sender};
use harness::beneath::{self, Beneath};
use harness::bytes;
use harness::draw;
use harness::seed;
use harness::{Cmd, Ctx, Failure, Output, Running, Stream, start_server};

/// How long a receiver has to print its `listening on` line.
pub(super) const START: Duration = Duration::from_secs(5);
/// How long a `saved` line may take to appear after the sender's last byte.
pub(super) const SAVE: Duration = Duration::from_secs(5);
/// The memory a program moving a big file (63 to 64 MiB) may use at its peak.
pub(super) const MEMORY_LIMIT: u64 = 32 << 20;
/// The idle timeout passed to the receiver in the idle check.
pub(super) const IDLE_MS: u64 = 400;
/// How long past its idle timeout a receiver may take to close a silent connection: a
/// timer late by a busy machine, not a timeout for the wrong thing or in the wrong unit.
pub(super) const IDLE_LATE_MS: u64 = 1_000;

/// A temporary folder with an empty `inbox/` inside, the receiver's DIR: whatever lands
/// beside `inbox/` came from a name that climbed out of it. Opened once when made: what
/// the check reads back after a program ran there is read below it, links refused
/// ([`Beneath`]).
pub(super) struct Folder {
    root: TempDir,
    files: Beneath,
}

impl Folder {
    pub(super) fn new() -> Result<Folder, Failure> {
        Folder::in_dir(tempfile::tempdir()?)
    }

    /// A folder no program under test can see or change, for the reference receiver.
    pub(super) fn private() -> Result<Folder, Failure> {
        Folder::in_dir(beneath::private_folder()?)
    }

    fn in_dir(root: TempDir) -> Result<Folder, Failure> {
        fs::create_dir(root.path().join("inbox"))?;
        let files = Beneath::open(root.path())?;
        Ok(Folder { root, files })
    }

    /// The check's folder, opened: read and write below it through this.
    pub(super) fn files(&self) -> &Beneath {
        &self.files
    }

    pub(super) fn root(&self) -> &Path {
        self.root.path()
    }

    pub(super) fn inbox(&self) -> PathBuf {
        self.root().join("inbox")
    }

    /// Write a file under the root (for a sender to send), folders included; a program
    /// that ran here before cannot redirect it with a link.
    pub(super) fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), Failure> {
        let mut made = String::new();
        for folder in rel
            .split('/')
            .rev()
            .skip(1)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            made = if made.is_empty() {
                folder.to_string()
            } else {
                format!("{made}/{folder}")
            };
            match self.files.create_dir(&made) {
                Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e.into()),
                _ => {}
            }
        }
        Ok(self.files.write(rel, bytes)?)
    }
}

/// The names in the folder's inbox, sorted (none if a link stands in its place).
pub(super) fn entries(folder: &Folder) -> BTreeSet<String> {
    folder.files.names("inbox")
}

/// Wait until the inbox has an entry, at most `timeout`; returns what it holds then.
pub(super) fn wait_for_entry(folder: &Folder, timeout: Duration) -> BTreeSet<String> {
    harness::wait::until(timeout, || {
        Some(entries(folder)).filter(|found| !found.is_empty())
    })
    .unwrap_or_else(|_| entries(folder))
}

/// Start the student's receiver on port 0 serving `dir`, make sure it announced the
/// address it really got, run `body` against it, and on failure attach what the receiver
/// printed.
pub(super) fn with_receiver(
    ctx: &Ctx,
    options: &[&str],
    dir: &Path,
    body: impl FnOnce(&Running, SocketAddr) -> Result<(), Failure>,
) -> Result<(), Failure> {
    with_receiver_shown(ctx, options, dir, Order::AsPrinted, body)
}

/// [`with_receiver`], with the receiver's output shown in `order` on failure.
pub(super) fn with_receiver_shown(
    ctx: &Ctx,
    options: &[&str],
    dir: &Path,
    order: Order,
    body: impl FnOnce(&Running, SocketAddr) -> Result<(), Failure>,
) -> Result<(), Failure> {
    with_receiver_cmd(ctx, options, dir, order, |cmd| cmd, body)
}

/// [`with_receiver_shown`], with the receiver's command changed by `adjust` first (its
/// limits, say).
pub(super) fn with_receiver_cmd(
    ctx: &Ctx,
    options: &[&str],
    dir: &Path,
    order: Order,
    adjust: impl FnOnce(Cmd) -> Cmd,
    body: impl FnOnce(&Running, SocketAddr) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let cmd = ctx
        .student("tcp_recv")
        .args(options)
        .arg("127.0.0.1:0")
        .arg(dir)
        .timeout(Duration::from_secs(60));
    let (server, addr) = start_server(adjust(cmd), START)?;
    announced(addr)
        .and_then(|()| body(&server, addr))
        .map_err(|failure| failure.with_run(&settled(server, order)))
}

/// How the receiver's output is shown with a failure.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Order {
    AsPrinted,
    /// Sorted after the first line: many senders at once finish in any order, and a
    /// recorded failure must read the same every run.
    Sorted,
}

/// Stop a receiver whose check failed, once its output has settled: when a check fails,
/// its connections close, and what the receiver prints about them (a `saved` line, an
/// error) belongs in the failure, every time, not only when it was quick enough.
pub(super) fn settled(server: Running, order: Order) -> Output {
    harness::wait::settled(Duration::from_millis(200), Duration::from_secs(2), || {
        (server.stdout_so_far().len(), server.stderr_so_far().len())
    });
    let mut output = server.kill();
    if order == Order::Sorted {
        output.stdout = sorted(&output.stdout, 1);
        output.stderr = sorted(&output.stderr, 0);
    }
    output
}

/// The lines of `bytes` sorted, the first `keep` left where they are.
fn sorted(bytes: &[u8], keep: usize) -> Vec<u8> {
    let mut lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
    if lines.len() > keep {
        lines[keep..].sort_unstable();
    }
    lines.concat()
}

/// The receiver was asked for `127.0.0.1:0`: its announcement must carry that IP and the
/// port the system chose. Port 0 there means it printed what it was asked for.
fn announced(addr: SocketAddr) -> Result<(), Failure> {
    if addr.port() == 0 {
        return Err(Failure::expected(
            "`listening on 127.0.0.1:PORT` with the port the system chose (asked for port \
             0, the system picks a free one)",
            format!(
                "`listening on {addr}`: port 0 is what was asked for, nobody can connect to \
                 it; print the bound address, listener.local_addr()"
            ),
        ));
    }
    if addr.ip() != Ipv4Addr::LOCALHOST {
        return Err(Failure::expected(
            "`listening on 127.0.0.1:PORT`: the address asked for (127.0.0.1:0), bound as \
             given",
            format!("`listening on {addr}`"),
        ));
    }
    Ok(())
}

/// What a failure says of a contract's line that came on stderr.
pub(super) const ON_STDERR: &str = "on stderr: the lines the contract names go to stdout \
                                    (println!), where a script reads them; stderr is for errors";

/// The receiver prints exactly `saved NAME (N bytes)` on stdout within `SAVE`.
pub(super) fn saved_line(server: &Running, name: &str, bytes: usize) -> Result<(), Failure> {
    let wanted = format!("saved {name} ({bytes} bytes)");
    match server.wait_for_line_on_either(SAVE, |line| line == wanted) {
        Some(Stream::Stdout) => return Ok(()),
        Some(Stream::Stderr) => {
            return Err(Failure::expected(
                format!("the line {wanted:?} on stdout once the file is in"),
                format!("{wanted:?} {ON_STDERR}"),
            ));
        }
        None => {}
    }
    let stdout = server.stdout_so_far();
    // The saved lines with this size if any (other transfers may have their own), in a
    // stable order: senders at once finish in any order.
    let mut saved: Vec<&str> = stdout.lines().filter(|l| l.starts_with("saved")).collect();
    let size = format!("({bytes} bytes)");
    if saved.iter().any(|l| l.ends_with(&size)) {
        saved.retain(|l| l.ends_with(&size));
    }
    saved.sort_unstable();
    let got = match saved.as_slice() {
        [] => format!("no `saved` line within {} ms", SAVE.as_millis()),
        lines => format!(
            "{}: the name as it came from the sender (not a path), and the number of bytes",
            lines
                .iter()
                .map(|l| format!("{l:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Err(Failure::expected(
        format!("the line {wanted:?} once the file is in"),
        got,
    ))
}

/// The file `name` in the folder's inbox holds exactly `wanted`; a link there is refused,
/// never followed.
pub(super) fn same_file(
    folder: &Folder,
    name: &str,
    wanted: &[u8],
    what: &str,
) -> Result<(), Failure> {
    let got = beneath::received(&folder.files, &format!("inbox/{name}"), what)?;
    harness::expect::same_bytes(what, wanted, &got)
}

/// A file name a sender might send: a drawn word, mostly with an extension.
pub(super) fn file_name(rng: &mut Rng) -> String {
    const EXTENSIONS: &[&str] = &["txt", "bin", "jpg", "pdf", "ogg", "csv", "tar.gz", "md"];
    let word = draw::short_word(rng);
    match rng.usize(..=EXTENSIONS.len()) {
        0 => word,
        i => format!("{word}.{}", EXTENSIONS[i - 1]),
    }
}

/// Bytes of any value, a drawn number of them in `len`.
pub(super) fn data(rng: &mut Rng, len: std::ops::RangeInclusive<usize>) -> Vec<u8> {
    let len = rng.usize(len);
    draw::bytes(rng, len)
}

/// A few lines of drawn words, each ending in a newline: a text file.
pub(super) fn text(rng: &mut Rng) -> Vec<u8> {
    let lines = rng.usize(1..=6);
    let mut text = String::new();
    for _ in 0..lines {
        let words = rng.usize(1..=8);
        let line: Vec<String> = (0..words).map(|_| draw::short_word(rng)).collect();
        text.push_str(&line.join(" "));
        text.push('\n');
    }
    text.into_bytes()
}

/// A big file, 63 to 64 MiB, cut at a drawn offset out of data made once per process
/// from the run's seed: its name, size and bytes differ from run to run (and replay with
/// the seed), yet the checks, built without optimisation, do not spend a second making it.
pub(super) fn big_data(rng: &mut Rng) -> &'static [u8] {
    const BLOCK: usize = 1 << 20;
    static DATA: OnceLock<Vec<u8>> = OnceLock::new();
    let pool = DATA.get_or_init(|| {
        // 65 rotations of one random MiB, each at its own offset: no two MiB alike, so a
        // lost, doubled or swapped block shows.
        let base = draw::bytes(&mut Rng::with_seed(seed::run_seed()), BLOCK);
        let mut data = Vec::with_capacity(65 * BLOCK);
        for i in 0..65 {
            let at = (i * 104_729 + 1) % BLOCK; // a prime step: distinct offsets
            data.extend_from_slice(&base[at..]);
            data.extend_from_slice(&base[..at]);
        }
        data
    });
    let at = rng.usize(..BLOCK);
    let len = 63 * BLOCK + rng.usize(..=BLOCK);
    &pool[at..at + len]
}

/// The sizes a file is drawn from: the empty file, one byte, either side of the buffer
/// sizes a program is likely to use, and more than any buffer.
pub(super) const SIZE_CLASSES: usize = 6;

/// A size of class `class` (0 to SIZE_CLASSES - 1), and what it is.
pub(super) fn size_of_class(rng: &mut Rng, class: usize) -> (usize, &'static str) {
    let around = |rng: &mut Rng, n: usize| n - 1 + rng.usize(..=2);
    match class % SIZE_CLASSES {
        0 => (0, "empty"),
        1 => (1, "one byte"),
        2 => (around(rng, 4096), "around 4 KiB"),
        3 => (around(rng, 8192), "around 8 KiB"),
        4 => (around(rng, 65536), "around 64 KiB"),
        _ => (rng.usize(200_000..=1_000_000), "more than any buffer"),
    }
}

/// A name as the steps and failures quote it.
pub(super) fn quoted(name: &[u8]) -> String {
    bytes::show(name)
}

/// Send a file with the peer sender, recording each step; a refusal is a failure.
pub(super) fn peer_send(
    ctx: &Ctx,
    addr: SocketAddr,
    name: &str,
    data: &[u8],
) -> Result<(), Failure> {
    let mut sender = sender_past_ok(ctx, addr, name)?;
    sender.send(data).map_err(|e| {
        Failure::expected(
            format!("the receiver takes the {} bytes of {name:?}", data.len()),
            format!("sending them failed: {e}"),
        )
    })?;
    ctx.step(format!(
        "peer sender streamed {} bytes, then half-closed",
        data.len()
    ));
    sender.finish(IO_TIMEOUT).map_err(|e| {
        Failure::expected(
            format!("the receiver closes once {name:?} is saved"),
            format!("after the last byte and a half-close, {e}"),
        )
    })?;
    ctx.step("receiver closed the connection");
    Ok(())
}

/// Connect with the peer sender and send `name`; the receiver must answer `ok`. For the
/// checks that then send the bytes their own way (slowly, half, not at all).
pub(super) fn sender_past_ok(ctx: &Ctx, addr: SocketAddr, name: &str) -> Result<Sender, Failure> {
    let mut sender = Sender::connect(addr).map_err(could_not_talk)?;
    sender.send_name(name.as_bytes()).map_err(could_not_talk)?;
    ctx.step(format!(
        "peer sender sent the name {}",
        quoted(name.as_bytes())
    ));
    let reply = sender.reply().map_err(|e| {
        Failure::expected(
            format!("the reply `ok` to the name {name:?}"),
            format!("no reply: {e}"),
        )
    })?;
    ctx.step(format!("receiver replied {}", quoted(&reply)));
    expect_ok(name, &reply)?;
    Ok(sender)
}

pub(super) fn expect_ok(name: &str, reply: &[u8]) -> Result<(), Failure> {
    if reply.starts_with(b"ok") {
        return Ok(());
    }
    Err(Failure::expected(
        format!("the reply `ok` to the name {name:?}"),
        quoted(reply),
    ))
}

/// The check's own side failed (the receiver vanished, a reset): said as such.
pub(super) fn could_not_talk(e: std::io::Error) -> Failure {
    Failure::new(format!("the check could not talk to the receiver: {e}"))
}
