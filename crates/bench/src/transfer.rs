//! File transfer over loopback: tcp_send_sol to tcp_recv_sol, then nc and socat moving the
//! same file, and iperf3's memory-to-memory ceiling. Time runs from starting the sender
//! until the whole file is on the receiver's disk (page cache) and both sides are done.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use harness::{Cmd, Running};

use crate::Options;
use crate::measure::{PeakMemory, free_port, max, which};
use crate::table::{Report, Transfer};

const RUN_LIMIT: Duration = Duration::from_secs(120);
const READY_LIMIT: Duration = Duration::from_secs(5);

pub fn run(bins: &Path, options: &Options, report: &mut Report) -> Result<()> {
    let scratch = tempfile::tempdir().context("making a scratch folder")?;
    let payload = scratch.path().join("payload.bin");
    let size = options.size_mib << 20;
    eprintln!("writing a {} MiB test file ...", options.size_mib);
    write_payload(&payload, size)?;
    let received = scratch.path().join("received");
    fs::create_dir(&received)?;

    eprintln!("transfer: tcp_send_sol -> tcp_recv_sol");
    report
        .transfers
        .push(reference(bins, &payload, &received, size, options.runs)?);

    let out = received.join("payload.bin");
    match which("nc") {
        None => report
            .notes
            .push("nc is not installed: skipped (apt install netcat-openbsd)".into()),
        Some(_) => {
            eprintln!("transfer: nc -> nc -l");
            let transfer = external(
                "nc (openbsd)",
                options.runs,
                size,
                &out,
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
            )?;
            report.transfers.push(transfer);
        }
    }
    match which("socat") {
        None => report
            .notes
            .push("socat is not installed: skipped (apt install socat)".into()),
        Some(_) => {
            eprintln!("transfer: socat -> socat");
            let transfer = external(
                "socat",
                options.runs,
                size,
                &out,
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
            )?;
            report.transfers.push(transfer);
        }
    }
    match which("iperf3") {
        None => report
            .notes
            .push("iperf3 is not installed: no loopback ceiling (apt install iperf3)".into()),
        Some(_) => {
            eprintln!("transfer: iperf3 (memory to memory, no files)");
            let transfer = external(
                "iperf3 (ceiling: no files)",
                options.runs,
                size,
                Path::new(""),
                |port| {
                    Cmd::new("iperf3").args(["-s", "-1", "--forceflush", "-p", &port.to_string()])
                },
                |port| {
                    Cmd::new("iperf3")
                        .args(["-c", "127.0.0.1", "-p", &port.to_string(), "-n"])
                        .arg(size.to_string())
                },
            )?;
            report.transfers.push(transfer);
        }
    }
    Ok(())
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
    out.flush()?;
    Ok(())
}

fn reference(
    bins: &Path,
    payload: &Path,
    received: &Path,
    size: u64,
    runs: usize,
) -> Result<Transfer> {
    let receiver = Cmd::new(bins.join("tcp_recv_sol"))
        .arg("127.0.0.1:0")
        .arg(received)
        .timeout(RUN_LIMIT * runs as u32)
        .spawn()?;
    let addr = receiver
        .listening_addr(READY_LIMIT)
        .map_err(|e| anyhow::anyhow!("tcp_recv_sol did not start: {e}"))?;
    let receiver_memory = PeakMemory::watch(receiver.id());
    let saved = received.join("payload.bin");
    let mut seconds = Vec::new();
    let mut sender_memory = Vec::new();
    for _ in 0..runs {
        let _ = fs::remove_file(&saved);
        let started = Instant::now();
        let sender = Cmd::new(bins.join("tcp_send_sol"))
            .arg(payload)
            .arg(addr.to_string())
            .timeout(RUN_LIMIT)
            .spawn()?;
        let memory = PeakMemory::watch(sender.id());
        let output = sender.wait();
        seconds.push(started.elapsed().as_secs_f64());
        sender_memory.push(memory.finish());
        if output.code() != Some(0) {
            bail!("tcp_send_sol failed:\n{}", output.report());
        }
        // The sender exits only after the receiver closed, i.e. after it saved the file.
        check_size(&saved, size)?;
    }
    let receiver_peak = receiver_memory.finish();
    drop(receiver);
    Ok(Transfer::new(
        "tcp_send_sol → tcp_recv_sol",
        size,
        seconds,
        max(&sender_memory),
        receiver_peak,
    ))
}

/// A transfer between two external tools that know nothing of `listening on`: the receiver
/// is started first and announces itself on stdout (or on stderr sent there), and the run
/// ends when both have exited.
fn external(
    name: &str,
    runs: usize,
    size: u64,
    out: &Path,
    receiver: impl Fn(u16) -> Cmd,
    sender: impl Fn(u16) -> Cmd,
) -> Result<Transfer> {
    let mut seconds = Vec::new();
    let (mut sender_memory, mut receiver_memory) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        if !out.as_os_str().is_empty() {
            let _ = fs::remove_file(out);
        }
        let port = free_port()?;
        let listener = receiver(port).timeout(RUN_LIMIT).spawn()?;
        wait_ready(&listener, name)?;
        let listener_memory = PeakMemory::watch(listener.id());
        let started = Instant::now();
        let client = sender(port).timeout(RUN_LIMIT).spawn()?;
        let client_memory = PeakMemory::watch(client.id());
        let client_output = client.wait();
        let listener_output = listener.wait();
        seconds.push(started.elapsed().as_secs_f64());
        sender_memory.push(client_memory.finish());
        receiver_memory.push(listener_memory.finish());
        for output in [&client_output, &listener_output] {
            if output.code() != Some(0) {
                bail!("{name} failed:\n{}", output.report());
            }
        }
        if !out.as_os_str().is_empty() {
            check_size(out, size)?;
        }
    }
    Ok(Transfer::new(
        name,
        size,
        seconds,
        max(&sender_memory),
        max(&receiver_memory),
    ))
}

fn wait_ready(listener: &Running, name: &str) -> Result<()> {
    let ready = |line: &str| {
        let line = line.to_ascii_lowercase();
        line.contains("listening on")
    };
    match listener.wait_for_line(READY_LIMIT, ready) {
        Some(_) => Ok(()),
        None => bail!(
            "{name} did not say it was listening: {:?}",
            listener.stdout_so_far()
        ),
    }
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
