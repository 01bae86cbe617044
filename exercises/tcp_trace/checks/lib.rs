//! Checks for tcp_trace's `tcp_peek`: a pcap capture's segments printed as tcpdump's
//! `-n -t` lines, byte for byte, and `--summary`'s block per connection. What it is fed
//! cannot be memorised: recorded captures of real connections with tcpdump's own lines
//! stored beside them, captures a seeded model writes per run (expecting the lines it
//! computes itself), and a live capture made in the check's own network namespace.
//!
//! Files of one concept: `usage` (arguments, files that are not captures, files cut
//! short), `model` (the segments, their file, tcpdump's lines and the summary computed
//! from them), `generated` (the checks fed by the model).

pub mod generated;
pub mod model;
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
    // The checks fed by the seeded model (generated/).
    Check::new("encodings_read", SECTION, generated::encodings_read).covers(&["P1", "P2"]),
    Check::new("link_types_read", SECTION, generated::link_types_read).covers(&["P3", "P9"]),
    Check::new("ip_headers_read", SECTION, generated::ip_headers_read).covers(&["P4"]),
    Check::new("flags_printed", SECTION, generated::flags_printed).covers(&["P5"]),
    Check::new("relative_numbers", SECTION, generated::relative_numbers).covers(&["P6"]),
    Check::new(
        "sack_blocks_relative",
        SECTION,
        generated::sack_blocks_relative,
    )
    .covers(&["P6", "P8"]),
    Check::new(
        "lengths_from_ip_header",
        SECTION,
        generated::lengths_from_ip_header,
    )
    .covers(&["P7"]),
    Check::new(
        "tcp_options_printed",
        SECTION,
        generated::tcp_options_printed,
    )
    .covers(&["P8"]),
    Check::new(
        "snap_length_cuts_marked",
        SECTION,
        generated::snap_length_cuts_marked,
    )
    .covers(&["P9"]),
    Check::new("bad_data_offsets", SECTION, generated::bad_data_offsets).covers(&["P10"]),
    Check::new(
        "other_protocols_lines",
        SECTION,
        generated::other_protocols_lines,
    )
    .covers(&["P11"]),
    Check::new(
        "cut_files_end_in_error",
        SECTION,
        generated::cut_files_end_in_error,
    )
    .covers(&["P23"]),
    Check::new(
        "summary_of_cut_file",
        SECTION,
        generated::summary_of_cut_file,
    )
    .covers(&["P12", "P23"]),
    Check::new("summary_blocks", SECTION, generated::summary_blocks).covers(&["P12"]),
    Check::new("summary_openers", SECTION, generated::summary_openers).covers(&["P13", "P14"]),
    Check::new(
        "summary_round_trips",
        SECTION,
        generated::summary_round_trips,
    )
    .covers(&["P15"]),
    Check::new("summary_bytes", SECTION, generated::summary_bytes).covers(&["P16"]),
    Check::new("summary_closes", SECTION, generated::summary_closes).covers(&["P17", "P18"]),
    Check::new(
        "summary_zero_windows",
        SECTION,
        generated::summary_zero_windows,
    )
    .covers(&["P19"]),
];

/// Where the chapter explains what the generated checks try: its contract.
const SECTION: &str = "#the-contract";
