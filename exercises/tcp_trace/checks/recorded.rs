//! The checks on recorded traces: captures of real connections on a loopback, made with
//! `trace` (traces/README.md says how: traces/make.py re-makes them), fed to tcp_peek as
//! they are. Its lines must be tcpdump's own for the same file (stored beside each trace;
//! tests/tcpdump_agrees.rs asks tcpdump again), its `--summary` the one traces/summary.py
//! computed. The traces are compiled in: grade runs the checks where the checkout is
//! not. A trace is what a real connection sent, the same in every run; only the file's
//! name is drawn (the seeded model's traces are what cannot be memorised).
//!
//! All traces but `options` were made without the timestamp option and ECN, and only
//! `ipv6` is IPv6, so that a mistake in options, the ECN flags or IPv6 fails one check.

use harness::draw;
use harness::expect;
use harness::{Ctx, Failure, Output};

use super::difference::{first_different_line, what_differs};
use super::peek::{lines_of, run_on};

/// One recorded trace and what tcp_peek must print for it.
pub(super) struct Recorded {
    /// Its file's name in traces/, less `.pcap`.
    name: &'static str,
    /// What its connections did, for a failure's reader.
    about: &'static str,
    pcap: &'static [u8],
    /// `tcpdump -n -t -r` of it, exactly.
    tcpdump: &'static str,
    /// What `tcp_peek --summary` prints for it.
    summary: &'static str,
}

macro_rules! recorded {
    ($name:literal, $about:literal) => {
        Recorded {
            name: $name,
            about: $about,
            pcap: include_bytes!(concat!("traces/", $name, ".pcap")),
            tcpdump: include_str!(concat!("traces/", $name, ".tcpdump")),
            summary: include_str!(concat!("traces/", $name, ".summary")),
        }
    };
}

static CLIENT_CLOSES: Recorded = recorded!(
    "client_closes",
    "a handshake, 20000 bytes from the client, the client's FIN first"
);
static SERVER_CLOSES: Recorded = recorded!(
    "server_closes",
    "a 300-byte request, a 5000-byte answer, the server's FIN first"
);
static RESETS: Recorded = recorded!(
    "resets",
    "a SYN to a closed port answered by RST-ACK; a client aborting with SO_LINGER 0 \
     (RST-ACK); data sent to a server that had closed, refused by a RST without ACK"
);
static ZERO_WINDOW: Recorded = recorded!(
    "zero_window",
    "a receiver with a 4 KiB buffer not reading for 0.7 s: its window falls to 0, the \
     sender probes it twice (bare ACKs), a window update reopens it"
);
static IPV6: Recorded = recorded!(
    "ipv6",
    "a connection on ::1: a 200-byte request, a 3000-byte answer, the client's FIN first"
);
static OPTIONS: Recorded = recorded!(
    "options",
    "timestamps, SACK blocks after losses, window scale, ECN's flags (SEW, S.E, then .W), \
     retransmissions; then a connection whose IPv4 headers carry an option (28 bytes)"
);
static LARGE: Recorded = recorded!(
    "large",
    "20000 bytes in segments of 7300 bytes, larger than the loopback's MTU of 1500 \
     (segmentation offload)"
);
static CUT: Recorded = recorded!(
    "cut",
    "the `large` trace cut to 60 bytes a record (snap length 60): payloads not kept, the \
     SYNs' options cut"
);

/// Every trace, in the order `recorded_summaries` tries them: plain connections first.
static ALL: [&Recorded; 8] = [
    &CLIENT_CLOSES,
    &SERVER_CLOSES,
    &RESETS,
    &ZERO_WINDOW,
    &IPV6,
    &OPTIONS,
    &LARGE,
    &CUT,
];

/// tcp_peek run on `trace` (with `--summary` when `summary`), the file under a drawn name;
/// `judge` looks at what it printed. A failure starts with the trace it was fed: a check
/// feeds several, and the one that went wrong is what the reader needs first.
fn feed(
    ctx: &Ctx,
    trace: &Recorded,
    summary: bool,
    judge: impl FnOnce(&Output) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let dir = tempfile::tempdir()?;
    let name = format!("{}.pcap", draw::short_word(&mut ctx.rng()));
    let output = run_on(ctx, dir.path(), &name, trace.pcap, summary)?;
    judge(&output).map_err(|failure| {
        let option = if summary { "--summary " } else { "" };
        Failure::new(format!(
            "fed {name}, a copy of the recorded trace {t}.pcap: {about}. See it yourself: \
             cargo run -p tcp_trace -- {option}exercises/tcp_trace/checks/traces/{t}.pcap \
             (what it must print is {t}.{want} beside it)\n{failure}",
            t = trace.name,
            about = trace.about,
            want = if summary { "summary" } else { "tcpdump" },
        ))
    })
}

/// tcp_peek's stdout for `trace` is exactly `tcpdump -n -t -r`'s, and it exits 0.
fn lines_are_tcpdumps(ctx: &Ctx, trace: &Recorded) -> Result<(), Failure> {
    feed(ctx, trace, false, |output| {
        let wanted: Vec<&str> = trace.tcpdump.lines().collect();
        let why = match first_different_line(&wanted, &output.stdout) {
            Some((_, want, Some(got))) => format!(
                "tcpdump's line for that record; {}",
                what_differs(want, &got)
            ),
            _ => format!("`tcpdump -n -t -r {}.pcap` prints that", trace.name),
        };
        expect::stdout_lines_exact(output, &lines_of(wanted.iter().copied()), &why)?;
        expect::exit_code(output, 0, "a whole capture read: exit 0")
    })
}

pub(super) fn recorded_handshake_and_close(ctx: &Ctx) -> Result<(), Failure> {
    lines_are_tcpdumps(ctx, &CLIENT_CLOSES)?;
    lines_are_tcpdumps(ctx, &SERVER_CLOSES)
}

pub(super) fn recorded_reset(ctx: &Ctx) -> Result<(), Failure> {
    lines_are_tcpdumps(ctx, &RESETS)
}

pub(super) fn recorded_zero_window(ctx: &Ctx) -> Result<(), Failure> {
    lines_are_tcpdumps(ctx, &ZERO_WINDOW)
}

pub(super) fn recorded_ipv6(ctx: &Ctx) -> Result<(), Failure> {
    lines_are_tcpdumps(ctx, &IPV6)
}

pub(super) fn recorded_options(ctx: &Ctx) -> Result<(), Failure> {
    lines_are_tcpdumps(ctx, &OPTIONS)
}

pub(super) fn recorded_large_and_cut(ctx: &Ctx) -> Result<(), Failure> {
    lines_are_tcpdumps(ctx, &LARGE)?;
    lines_are_tcpdumps(ctx, &CUT)
}

pub(super) fn recorded_summaries(ctx: &Ctx) -> Result<(), Failure> {
    for trace in ALL {
        feed(ctx, trace, true, |output| {
            let why = "one block per connection, an empty line between blocks";
            expect::stdout_lines_exact(output, &lines_of(trace.summary.lines()), why)?;
            expect::exit_code(output, 0, "a whole capture summarised: exit 0")
        })?;
    }
    Ok(())
}
