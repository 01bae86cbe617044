//! Checks for tcp_trace's `tcp_peek`: a pcap capture's segments printed as tcpdump's
//! `-n -t` lines, byte for byte, and `--summary`'s block per connection. What it is fed
//! cannot be memorised: recorded captures of real connections with tcpdump's own lines
//! stored beside them, captures a seeded model writes per run (expecting the lines it
//! computes itself), and a live capture made in the check's own network namespace.
//!
//! Files of one concept: `usage` (arguments, files that are not captures), `recorded`
//! (captures of real connections, tcpdump's lines stored beside them), `difference`
//! (which field of a line differs from tcpdump's), `model` (the segments, their file,
//! tcpdump's lines and the summary computed from them), `generated` (the checks fed by
//! the model) and `live` (a capture of the check's own connections, decoded by the model).

mod difference;
pub mod generated;
#[cfg(target_os = "linux")]
mod live;
pub mod model;
mod peek;
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
    Check::new(
        "recorded_reset",
        "#relative-sequence-numbers",
        recorded_reset,
    )
    .covers(&["P5", "P6"]),
    Check::new(
        "recorded_zero_window",
        "#the-window-that-makes-write-block",
        recorded_zero_window,
    )
    .covers(&["P5", "P6"]),
    Check::new("recorded_ipv6", "#link-ip-and-tcp-headers", recorded_ipv6)
        .covers(&["P3", "P4", "P5"]),
    Check::new("recorded_options", "#options", recorded_options).covers(&["P4", "P5", "P6", "P8"]),
    Check::new(
        "recorded_large_and_cut",
        "#cut-records",
        recorded_large_and_cut,
    )
    .covers(&["P7", "P9"]),
    Check::new("recorded_summaries", "#the-summary", recorded_summaries)
        .covers(&["P12", "P13", "P14", "P15", "P16", "P17", "P18", "P19"]),
    // The checks fed by the seeded model (generated/).
    Check::new(
        "encodings_read",
        "#the-file-header",
        generated::encodings_read,
    )
    .covers(&["P1", "P2"]),
    Check::new(
        "link_types_read",
        "#link-ip-and-tcp-headers",
        generated::link_types_read,
    )
    .covers(&["P3", "P9"]),
    Check::new(
        "ip_headers_read",
        "#link-ip-and-tcp-headers",
        generated::ip_headers_read,
    )
    .covers(&["P4"]),
    Check::new("flags_printed", "#the-handshake", generated::flags_printed).covers(&["P5"]),
    Check::new(
        "relative_numbers",
        "#relative-sequence-numbers",
        generated::relative_numbers,
    )
    .covers(&["P6"]),
    Check::new(
        "sack_blocks_relative",
        "#options",
        generated::sack_blocks_relative,
    )
    .covers(&["P6", "P8"]),
    Check::new(
        "lengths_from_ip_header",
        "#link-ip-and-tcp-headers",
        generated::lengths_from_ip_header,
    )
    .covers(&["P7"]),
    Check::new(
        "tcp_options_printed",
        "#options",
        generated::tcp_options_printed,
    )
    .covers(&["P8"]),
    Check::new(
        "snap_length_cuts_marked",
        "#cut-records",
        generated::snap_length_cuts_marked,
    )
    .covers(&["P9"]),
    Check::new("bad_data_offsets", "#options", generated::bad_data_offsets).covers(&["P10"]),
    Check::new(
        "other_protocols_lines",
        "#link-ip-and-tcp-headers",
        generated::other_protocols_lines,
    )
    .covers(&["P11"]),
    Check::new(
        "cut_files_end_in_error",
        "#records",
        generated::cut_files_end_in_error,
    )
    .covers(&["P23"]),
    Check::new(
        "summary_of_cut_file",
        "#records",
        generated::summary_of_cut_file,
    )
    .covers(&["P12", "P23"]),
    Check::new("summary_blocks", "#the-summary", generated::summary_blocks).covers(&["P12"]),
    Check::new(
        "summary_openers",
        "#the-summary",
        generated::summary_openers,
    )
    .covers(&["P13", "P14"]),
    Check::new(
        "summary_round_trips",
        "#the-summary",
        generated::summary_round_trips,
    )
    .covers(&["P15"]),
    Check::new("summary_bytes", "#the-summary", generated::summary_bytes).covers(&["P16"]),
    Check::new("summary_closes", "#the-summary", generated::summary_closes).covers(&["P17", "P18"]),
    Check::new(
        "summary_zero_windows",
        "#the-summary",
        generated::summary_zero_windows,
    )
    .covers(&["P19"]),
    // A capture of the check's own connections (live.rs): Linux's namespaces only.
    #[cfg(target_os = "linux")]
    Check::new(
        "live_capture_decoded",
        "#the-handshake",
        live::live_capture_decoded,
    )
    .covers(&[
        "P1", "P3", "P4", "P5", "P6", "P7", "P8", "P12", "P13", "P14", "P15", "P16", "P17", "P18",
        "P19",
    ])
    .captures(),
];
