//! Checks for tcp_trace's `tcp_peek`: a pcap capture's segments printed as tcpdump's
//! `-n -t` lines, byte for byte, and `--summary`'s block per connection. What it is fed
//! cannot be memorised: recorded captures of real connections with tcpdump's own lines
//! stored beside them, captures a seeded model writes per run (expecting the lines it
//! computes itself), and a live capture made in the check's own network namespace.
//!
//! Files of one concept: `usage` (arguments, files that are not captures, files cut
//! short), `recorded` (captures of real connections, tcpdump's lines stored beside them)
//! and `difference` (which field of a line differs from tcpdump's).

mod difference;
mod recorded;
mod usage;

use harness::{Check, Exercise};

use recorded::*;
use usage::*;

pub static EXERCISE: Exercise = Exercise {
    name: "tcp_trace",
    bins: &["tcp_peek"],
    chapter: "tcp_trace.md",
    checks: CHECKS,
    contract: include_str!("contract.md"),
    matrix: include_str!("matrix.md"),
};

static CHECKS: &[Check] = &[
    Check::new("usage_errors", "#usage", usage_errors).covers(&["P20"]),
    Check::new(
        "missing_file_is_an_error",
        "#usage",
        missing_file_is_an_error,
    )
    .covers(&["P21"]),
    Check::new(
        "not_a_capture_is_refused",
        "#the-file-header",
        not_a_capture_is_refused,
    )
    .covers(&["P22"]),
    // Recorded traces of real connections (recorded.rs).
    Check::new(
        "recorded_handshake_and_close",
        "#the-handshake",
        recorded_handshake_and_close,
    )
    .covers(&["P1", "P3", "P4", "P5", "P6", "P8"]),
    Check::new("recorded_reset", "#relative-sequence-numbers", recorded_reset).covers(&["P5", "P6"]),
    Check::new(
        "recorded_zero_window",
        "#the-window-that-makes-write-block",
        recorded_zero_window,
    )
    .covers(&["P5", "P6"]),
    Check::new("recorded_ipv6", "#link-ip-and-tcp-headers", recorded_ipv6).covers(&["P3", "P4", "P5"]),
    Check::new("recorded_options", "#options", recorded_options)
        .covers(&["P4", "P5", "P6", "P8"]),
    Check::new(
        "recorded_large_and_cut",
        "#cut-records",
        recorded_large_and_cut,
    )
    .covers(&["P7", "P9"]),
    Check::new("recorded_summaries", "#the-summary", recorded_summaries)
        .covers(&["P12", "P13", "P14", "P15", "P16", "P17", "P18", "P19"]),
];
