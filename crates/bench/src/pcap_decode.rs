//! Decoding a pcap: packets per second of tcp_peek_sol, tcp_trace's reference packet
//! printer, against `tcpdump -n -t -r`, the program whose lines it copies, on one large
//! capture of a bulk transfer written here (a handshake, 100-byte segments each
//! acknowledged, sequence numbers across 2^32, a teardown). Both print to /dev/null: the
//! time is reading and formatting, not a terminal.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use harness::Cmd;

use crate::Options;
use crate::table::{Decoding, Report};

/// The package whose binaries hold tcp_peek_sol: the tcp_trace exercise's.
pub const PEEK_PACKAGE: &str = "tcp_trace";
pub const PEEK: &str = "tcp_peek_sol";
pub const TCPDUMP: &str = "tcpdump -n -t -r";

/// Frames in the capture: 3 of handshake, this many segments and their ACKs, 3 to close.
const DATA_SEGMENTS: u32 = 99_997;
pub const FRAMES: u32 = 3 + 2 * DATA_SEGMENTS + 3;
const PAYLOAD: u32 = 100;
const RUN_LIMIT: Duration = Duration::from_secs(120);

/// A program that prints the capture's lines, and how it is called.
struct Decoder {
    name: &'static str,
    program: PathBuf,
    args: Vec<OsString>,
}

impl Decoder {
    /// The decoder run by a shell that sends its lines to `$OUT`.
    fn cmd(&self, out: &Path) -> Cmd {
        Cmd::new("sh")
            .args(["-c", "exec \"$0\" \"$@\" >\"$OUT\""])
            .arg(&self.program)
            .args(&self.args)
            .env("OUT", out)
            .timeout(RUN_LIMIT)
    }

    /// One run; its time in seconds.
    fn time(&self, out: &Path) -> Result<f64> {
        let started = Instant::now();
        let output = self.cmd(out).run()?;
        let took = started.elapsed().as_secs_f64();
        if output.code() != Some(0) {
            bail!("{} failed: {}", self.name, output.stderr_text());
        }
        Ok(took)
    }
}

pub fn run(bins: &Path, options: &Options, report: &mut Report) -> Result<()> {
    let scratch = tempfile::tempdir().context("making a scratch folder")?;
    let capture = scratch.path().join("bulk.pcap");
    eprintln!("writing a capture of {FRAMES} frames ...");
    write_capture(&capture).with_context(|| format!("writing {}", capture.display()))?;
    let mut decoders = vec![Decoder {
        name: PEEK,
        program: bins.join(PEEK),
        args: vec![capture.clone().into()],
    }];
    if report.installed(
        "tcpdump",
        "the pcap decoding row has no tcpdump to compare with",
    ) {
        decoders.push(Decoder {
            name: TCPDUMP,
            program: "tcpdump".into(),
            args: vec![
                "-n".into(),
                "-t".into(),
                "-r".into(),
                capture.clone().into(),
            ],
        });
    }
    same_lines(&decoders, scratch.path())?;
    // Rounds taking turns, the first a warm-up (the file into the page cache), as the
    // transfers do.
    let null = Path::new("/dev/null");
    let mut seconds = vec![Vec::new(); decoders.len()];
    for round in 0..=options.runs {
        match round {
            0 => eprintln!("pcap decoding: warm-up round"),
            _ => eprintln!("pcap decoding: round {round} of {}", options.runs),
        }
        for k in 0..decoders.len() {
            let i = (round + k) % decoders.len();
            let took = decoders[i].time(null)?;
            let rate = f64::from(FRAMES) / took;
            eprintln!("  {rate:9.0} packets/s  {}", decoders[i].name);
            if round > 0 {
                seconds[i].push(took);
            }
        }
    }
    for (decoder, seconds) in decoders.iter().zip(seconds) {
        report
            .decodings
            .push(Decoding::new(decoder.name, u64::from(FRAMES), seconds));
    }
    Ok(())
}

/// A race is fair only if both print the same: tcpdump's lines must begin tcp_peek's
/// (which may add a summary after them).
fn same_lines(decoders: &[Decoder], scratch: &Path) -> Result<()> {
    let mut printed = Vec::new();
    for decoder in decoders {
        let out = scratch.join(format!("{}.txt", printed.len()));
        decoder.time(&out)?;
        let lines = fs::read_to_string(&out).with_context(|| format!("{}'s lines", decoder.name));
        printed.push(lines?);
    }
    if let [peek, tcpdump] = printed.as_slice() {
        let lines = tcpdump.lines().count();
        if lines != FRAMES as usize || !peek.starts_with(tcpdump.as_str()) {
            bail!(
                "{PEEK} and {TCPDUMP} print different lines for the benchmark's capture \
                 ({lines} lines from tcpdump): the race would not be fair"
            );
        }
    }
    Ok(())
}

/// The capture: Ethernet, IPv4 and TCP with the timestamps option, 10 µs apart.
fn write_capture(path: &Path) -> std::io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    let mut header = Vec::new();
    header.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&4u16.to_le_bytes());
    header.extend_from_slice(&[0; 8]);
    header.extend_from_slice(&262_144u32.to_le_bytes());
    header.extend_from_slice(&1u32.to_le_bytes());
    out.write_all(&header)?;
    let (client, server) = (40_000u16, 8_000u16);
    // Initial sequence numbers near 2^32, so that the numbers wrap during the transfer.
    let (c_isn, s_isn) = (0xffff_0000u32, 0x7000_0000u32);
    let syn_options = [
        2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
    ];
    let mut frame = 0u32;
    let mut put = |from_client: bool, seq: u32, ack: u32, flags: u8, options: &[u8], len: u32| {
        let (sport, dport) = if from_client {
            (client, server)
        } else {
            (server, client)
        };
        let bytes = segment(sport, dport, seq, ack, flags, options, len);
        let micros = frame * 10;
        frame += 1;
        let mut record = Vec::with_capacity(16 + bytes.len());
        record.extend_from_slice(&(1_700_000_000 + micros / 1_000_000).to_le_bytes());
        record.extend_from_slice(&(micros % 1_000_000).to_le_bytes());
        record.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        record.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        record.extend_from_slice(&bytes);
        out.write_all(&record)
    };
    let timestamps = |value: u32| {
        let mut option = vec![1, 1, 8, 10];
        option.extend_from_slice(&value.to_be_bytes());
        option.extend_from_slice(&value.to_be_bytes());
        option
    };
    const FIN: u8 = 0x01;
    const SYN: u8 = 0x02;
    const PSH: u8 = 0x08;
    const ACK: u8 = 0x10;
    put(true, c_isn, 0, SYN, &syn_options, 0)?;
    put(
        false,
        s_isn,
        c_isn.wrapping_add(1),
        SYN | ACK,
        &syn_options,
        0,
    )?;
    let (c_next, s_next) = (c_isn.wrapping_add(1), s_isn.wrapping_add(1));
    put(true, c_next, s_next, ACK, &timestamps(1), 0)?;
    for i in 0..DATA_SEGMENTS {
        let seq = c_next.wrapping_add(i * PAYLOAD);
        let stamps = timestamps(2 + i / 100);
        put(true, seq, s_next, PSH | ACK, &stamps, PAYLOAD)?;
        put(false, s_next, seq.wrapping_add(PAYLOAD), ACK, &stamps, 0)?;
    }
    let c_end = c_next.wrapping_add(DATA_SEGMENTS * PAYLOAD);
    let stamps = timestamps(5_000);
    put(true, c_end, s_next, FIN | ACK, &stamps, 0)?;
    put(false, s_next, c_end.wrapping_add(1), FIN | ACK, &stamps, 0)?;
    put(
        true,
        c_end.wrapping_add(1),
        s_next.wrapping_add(1),
        ACK,
        &stamps,
        0,
    )?;
    out.flush()
}

/// One Ethernet frame holding an IPv4 packet holding a TCP segment of `len` bytes.
fn segment(
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    options: &[u8],
    len: u32,
) -> Vec<u8> {
    let tcp_len = 20 + options.len();
    let total = 20 + tcp_len + len as usize;
    let mut bytes = vec![0u8; 12];
    bytes.extend_from_slice(&0x0800u16.to_be_bytes());
    let mut ip = vec![0x45, 0];
    ip.extend_from_slice(&(total as u16).to_be_bytes());
    ip.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]);
    let sum = checksum(&ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    bytes.extend_from_slice(&ip);
    bytes.extend_from_slice(&sport.to_be_bytes());
    bytes.extend_from_slice(&dport.to_be_bytes());
    bytes.extend_from_slice(&seq.to_be_bytes());
    bytes.extend_from_slice(&ack.to_be_bytes());
    bytes.push(((tcp_len / 4) as u8) << 4);
    bytes.push(flags);
    bytes.extend_from_slice(&[0x02, 0x00, 0, 0, 0, 0]);
    bytes.extend_from_slice(options);
    bytes.resize(bytes.len() + len as usize, b'x');
    bytes
}

/// The IPv4 header checksum (tcpdump checks it only with -v; kept right regardless).
fn checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], pair[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}
