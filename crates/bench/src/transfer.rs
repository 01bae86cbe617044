//! File transfer over loopback: tcp_send_sol to tcp_recv_sol (with and without their Linux
//! fast paths), nc and socat moving the same file, and two ceilings: iperf3 memory to
//! memory, and writing a new file from memory. Time runs from starting the sender until the
//! whole file is on the receiver's disk (page cache) and both sides are done.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use harness::Cmd;

use crate::Options;
use crate::measure::{PeakMemory, READY_LIMIT, free_port, max, wait_ready};
use crate::table::{NEW_FILE_CEILING, REFERENCE, REFERENCE_PORTABLE, Report, Transfer};

const RUN_LIMIT: Duration = Duration::from_secs(120);

/// One way of moving the file, measured once per round.
struct Entry<'a> {
    name: &'static str,
    run: Box<dyn FnMut() -> Result<Sample> + 'a>,
    samples: Vec<Sample>,
}

struct Sample {
    seconds: f64,
    sender_mib: Option<f64>,
    receiver_mib: Option<f64>,
}

pub fn run(bins: &Path, options: &Options, report: &mut Report) -> Result<()> {
    let scratch = tempfile::tempdir().context("making a scratch folder")?;
    let payload = scratch.path().join("payload.bin");
    let size = options.size_mib << 20;
    eprintln!("writing a {} MiB test file ...", options.size_mib);
    write_payload(&payload, size)?;
    let received = scratch.path().join("received");
    fs::create_dir(&received)?;
    let out = received.join("payload.bin");

    let mut entries = vec![
        Entry::new(REFERENCE, || {
            reference(bins, &payload, &received, size, false)
        }),
        Entry::new(REFERENCE_PORTABLE, || {
            reference(bins, &payload, &received, size, true)
        }),
    ];
    if report.installed("nc", "skipped (apt install netcat-openbsd)") {
        entries.push(Entry::new("nc (openbsd)", || {
            external(
                size,
                Some(&out),
                // nc -l announces "Listening on ..." on stderr; the data goes to the file.
                |port| {
                    Cmd::new("sh")
                        .args(["-c", &format!("exec nc -lv 127.0.0.1 {port} 2>&1 >\"$0\"")])
                        .arg(&out)
                },
                |port| {
                    Cmd::new("sh")
                        .args(["-c", &format!("exec nc -N 127.0.0.1 {port} <\"$0\"")])
                        .arg(&payload)
                },
            )
        }));
    }
    if report.installed("socat", "skipped (apt install socat)") {
        entries.push(Entry::new("socat", || {
            external(
                size,
                Some(&out),
                |port| {
                    let listen = format!("TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr");
                    let sink = format!("CREATE:{}", out.display());
                    Cmd::new("sh").args([
                        "-c",
                        "exec socat -d -d -u \"$0\" \"$1\" 2>&1",
                        &listen,
                        &sink,
                    ])
                },
                |port| {
                    let source = format!("OPEN:{}", payload.display());
                    Cmd::new("socat").args(["-u", &source, &format!("TCP:127.0.0.1:{port}")])
                },
            )
        }));
    }
    if report.installed("iperf3", "no loopback ceiling (apt install iperf3)") {
        entries.push(Entry::new("ceiling: iperf3, memory to memory", || {
            external(
                size,
                None,
                |port| {
                    Cmd::new("iperf3").args(["-s", "-1", "--forceflush", "-p", &port.to_string()])
                },
                |port| {
                    Cmd::new("iperf3")
                        .args(["-c", "127.0.0.1", "-p", &port.to_string(), "-n"])
                        .arg(size.to_string())
                },
            )
        }));
    }
    entries.push(Entry::new(NEW_FILE_CEILING, || write_new_file(&out, size)));

    // Round after round, each entry once per round, starting one further each time: a
    // machine that slows down or speeds up mid-run (other load, its host, memory being
    // handed back) then weighs on every entry alike, not on whichever ran last. Round 0
    // warms up (first runs pay for cold caches and fresh memory) and is not counted.
    for round in 0..=options.runs {
        match round {
            0 => eprintln!("transfer: warm-up round"),
            _ => eprintln!("transfer: round {round} of {}", options.runs),
        }
        for k in 0..entries.len() {
            let i = (round + k) % entries.len();
            let entry = &mut entries[i];
            let sample = (entry.run)().with_context(|| entry.name)?;
            let gib = size as f64 / f64::from(1u32 << 30);
            eprintln!("  {:5.2} GiB/s  {}", gib / sample.seconds, entry.name);
            if round > 0 {
                entry.samples.push(sample);
            }
        }
    }
    if let Some(note) = page_reporting_note() {
        report.notes.push(note);
    }
    for entry in entries {
        let seconds = entry.samples.iter().map(|s| s.seconds).collect();
        let sender: Vec<_> = entry.samples.iter().map(|s| s.sender_mib).collect();
        let receiver: Vec<_> = entry.samples.iter().map(|s| s.receiver_mib).collect();
        report.transfers.push(Transfer::new(
            entry.name,
            size,
            seconds,
            max(&sender),
            max(&receiver),
        ));
    }
    Ok(())
}

impl<'a> Entry<'a> {
    fn new(name: &'static str, run: impl FnMut() -> Result<Sample> + 'a) -> Self {
        Entry {
            name,
            run: Box::new(run),
            samples: Vec::new(),
        }
    }
}

/// `size` bytes of cheap pseudo-random data (xorshift), so nothing compresses or dedups.
fn write_payload(path: &Path, size: u64) -> Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut chunk = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        for word in chunk.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
        let n = left.min(chunk.len() as u64) as usize;
        out.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    // On the disk now, so that writing it back does not run during the measurements.
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(())
}

/// One run of the reference pair: a fresh receiver, the sender timed until it exits (after
/// the receiver has saved the file and closed). `portable` turns their Linux fast paths off.
fn reference(
    bins: &Path,
    payload: &Path,
    received: &Path,
    size: u64,
    portable: bool,
) -> Result<Sample> {
    let saved = received.join("payload.bin");
    let _ = fs::remove_file(&saved);
    let with_path = |cmd: Cmd| {
        if portable {
            cmd.env("NETLAB_NO_ZERO_COPY", "1")
        } else {
            cmd
        }
    };
    let receiver = with_path(Cmd::new(bins.join("tcp_recv_sol")))
        .arg("127.0.0.1:0")
        .arg(received)
        .timeout(RUN_LIMIT)
        .spawn()?;
    let addr = receiver
        .listening_addr(READY_LIMIT)
        .map_err(|e| anyhow::anyhow!("tcp_recv_sol did not start: {e}"))?;
    let receiver_memory = PeakMemory::watch(receiver.id());
    let started = Instant::now();
    let sender = with_path(Cmd::new(bins.join("tcp_send_sol")))
        .arg(payload)
        .arg(addr.to_string())
        .timeout(RUN_LIMIT)
        .spawn()?;
    let sender_memory = PeakMemory::watch(sender.id());
    let output = sender.wait();
    let seconds = started.elapsed().as_secs_f64();
    if output.code() != Some(0) {
        bail!("tcp_send_sol failed:\n{}", output.report());
    }
    // The sender exits only after the receiver closed, i.e. after it saved the file.
    check_size(&saved, size)?;
    let sample = Sample {
        seconds,
        sender_mib: sender_memory.finish(),
        receiver_mib: receiver_memory.finish(),
    };
    drop(receiver);
    Ok(sample)
}

/// One run of two external tools that know nothing of `listening on`: the receiver is
/// started first and announces itself on stdout (or on stderr sent there), and the run
/// ends when both have exited. `out`: the file the receiver writes, if any.
fn external(
    size: u64,
    out: Option<&Path>,
    receiver: impl Fn(u16) -> Cmd,
    sender: impl Fn(u16) -> Cmd,
) -> Result<Sample> {
    if let Some(out) = out {
        let _ = fs::remove_file(out);
    }
    let port = free_port()?;
    let listener = receiver(port).timeout(RUN_LIMIT).spawn()?;
    wait_ready(&listener)?;
    let listener_memory = PeakMemory::watch(listener.id());
    let started = Instant::now();
    let client = sender(port).timeout(RUN_LIMIT).spawn()?;
    let client_memory = PeakMemory::watch(client.id());
    let client_output = client.wait();
    let listener_output = listener.wait();
    let seconds = started.elapsed().as_secs_f64();
    for output in [&client_output, &listener_output] {
        if output.code() != Some(0) {
            bail!("a run failed:\n{}", output.report());
        }
    }
    if let Some(out) = out {
        check_size(out, size)?;
    }
    Ok(Sample {
        seconds,
        sender_mib: client_memory.finish(),
        receiver_mib: listener_memory.finish(),
    })
}

/// What the receiving side alone costs: a new file of `size` bytes written from memory,
/// into the same folder the transfers write to. No transfer that saves a new file can beat
/// it. 64 KiB writes, as the receivers make: 1 MiB writes make the page cache allocate
/// 1 MiB blocks, which some machines (virtual ones handing memory back to their host) make
/// several times slower, and the ceiling would then sit below what it bounds.
fn write_new_file(out: &Path, size: u64) -> Result<Sample> {
    let _ = fs::remove_file(out);
    let chunk = vec![0x5au8; 64 * 1024];
    let started = Instant::now();
    let mut file = File::create(out)?;
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        file.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    drop(file);
    Ok(Sample {
        seconds: started.elapsed().as_secs_f64(),
        sender_mib: None,
        receiver_mib: None,
    })
}

/// Virtual machines whose guest hands freed memory back to the host (virtio-balloon free
/// page reporting) make every new file slow and uneven to write: its page cache comes
/// from memory the host must fault in again. Worth a word under the table.
fn page_reporting_note() -> Option<String> {
    let order = "/sys/module/page_reporting/parameters/page_reporting_order";
    let order = fs::read_to_string(order).ok()?;
    fs::metadata("/sys/bus/virtio/drivers/virtio_balloon").ok()?;
    Some(format!(
        "This machine is a virtual machine that hands freed memory back to its host (free \
         page reporting, order {}): the page cache of every new file is memory the host \
         must hand back first, which makes writing a new file slow and uneven from run to \
         run. Compare each row with the new-file ceiling measured in the same rounds.",
        order.trim()
    ))
}

fn check_size(path: &Path, size: u64) -> Result<()> {
    let got = fs::metadata(path)
        .with_context(|| format!("{} was not received", path.display()))?
        .len();
    if got != size {
        bail!("{} has {got} bytes, expected {size}", path.display());
    }
    Ok(())
}
