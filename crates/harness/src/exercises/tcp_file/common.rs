//! Helpers the tcp_file checks share: a temporary folder with the receiver's DIR inside,
//! the student's receiver started on port 0, the `saved` line, file contents compared byte
//! for byte, the test data, and the protocol's first steps done by the peer sender.

use std::collections::BTreeSet;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::check::{self, Ctx, Failure};
use crate::peers::tcp_file::{self as peer, Sender};
use crate::process::Running;

/// How long a receiver has to print its `listening on` line.
pub(super) const START: Duration = Duration::from_secs(5);
/// How long a `saved` line may take to appear after the sender's last byte.
pub(super) const SAVE: Duration = Duration::from_secs(5);
/// The memory a program moving a 64 MiB file may use at its peak.
pub(super) const MEMORY_LIMIT: u64 = 32 << 20;
pub(super) const BIG: usize = 64 << 20;
/// The idle timeout passed to the receiver in the idle check.
pub(super) const IDLE_MS: u64 = 300;

/// A temporary folder with an empty `inbox/` inside, the receiver's DIR: whatever lands
/// beside `inbox/` came from a name that climbed out of it.
pub(super) struct Folder {
    root: TempDir,
}

impl Folder {
    pub(super) fn new() -> Result<Folder, Failure> {
        let root = tempfile::tempdir()?;
        fs::create_dir(root.path().join("inbox"))?;
        Ok(Folder { root })
    }

    pub(super) fn root(&self) -> &Path {
        self.root.path()
    }

    pub(super) fn inbox(&self) -> PathBuf {
        self.root().join("inbox")
    }

    /// Write a file under the root (for a sender to send), folders included.
    pub(super) fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), Failure> {
        let path = self.root().join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        Ok(fs::write(path, bytes)?)
    }
}

/// The names in a folder, sorted.
pub(super) fn entries(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .map(|list| {
            list.filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// Wait until `dir` has an entry, at most `timeout`; returns what it holds then.
pub(super) fn wait_for_entry(dir: &Path, timeout: Duration) -> BTreeSet<String> {
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
pub(super) fn with_receiver(
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
pub(super) fn saved_line(server: &Running, name: &str, bytes: usize) -> Result<(), Failure> {
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
pub(super) fn same_file(path: &Path, wanted: &[u8], what: &str) -> Result<(), Failure> {
    let got = fs::read(path).map_err(|e| {
        Failure::expected(
            format!("{what} saved as {}", path.display()),
            format!("it cannot be read: {e}"),
        )
    })?;
    same_bytes(&got, wanted, what)
}

/// Compare two byte strings; on a difference say where the first one is.
pub(super) fn same_bytes(got: &[u8], wanted: &[u8], what: &str) -> Result<(), Failure> {
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
pub(super) fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
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
pub(super) fn big_data() -> &'static [u8] {
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

pub(super) const TEXT: &[u8] =
    b"Dear receiver,\nthis is a plain text file.\nIt ends with a newline.\n";

pub(super) fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
}

/// Send a file with the peer sender; a refusal is a failure.
pub(super) fn peer_send(addr: SocketAddr, name: &str, data: &[u8]) -> Result<(), Failure> {
    let reply = peer::send_file(addr, name.as_bytes(), data)
        .map_err(|e| Failure::expected(format!("the receiver takes {name} and then closes"), e))?;
    expect_ok(name, &reply)
}

/// Connect with the peer sender and send `name`; the receiver must answer `ok`. For the
/// checks that then send the bytes their own way (slowly, half, not at all).
pub(super) fn sender_past_ok(addr: SocketAddr, name: &str) -> Result<Sender, Failure> {
    let mut sender = Sender::connect(addr).map_err(could_not_talk)?;
    sender.send_name(name.as_bytes()).map_err(could_not_talk)?;
    let reply = sender.reply().map_err(could_not_talk)?;
    expect_ok(name, &reply)?;
    Ok(sender)
}

pub(super) fn expect_ok(name: &str, reply: &[u8]) -> Result<(), Failure> {
    if reply.starts_with(b"ok") {
        return Ok(());
    }
    Err(Failure::expected(
        format!("the reply `ok` to the name {name:?}"),
        format!("{:?}", String::from_utf8_lossy(reply)),
    ))
}

/// The check's own side failed (the receiver vanished, a reset): said as such.
pub(super) fn could_not_talk(e: std::io::Error) -> Failure {
    Failure::new(format!("the check could not talk to the receiver: {e}"))
}
