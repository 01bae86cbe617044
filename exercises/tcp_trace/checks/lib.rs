//! Checks for tcp_trace's `tcp_peek`: a pcap capture's segments printed as tcpdump's
//! `-n -t` lines, byte for byte, and `--summary`'s block per connection. What it is fed
//! cannot be memorised: recorded captures of real connections with tcpdump's own lines
//! stored beside them, captures a seeded model writes per run (expecting the lines it
//! computes itself), and a live capture made in the check's own network namespace.
//!
//! Files of one concept: `usage` (arguments, files that are not captures, files cut
//! short).

mod usage;

use harness::{Check, Exercise};

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
];
