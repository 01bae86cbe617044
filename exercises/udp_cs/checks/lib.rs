//! Checks for udp_cs: the echo server (`udp_server`, in server.rs) against harness clients
//! and the reference client, the client (`udp_client`, in client.rs) against awkward peers
//! (silent, lossy, duplicating, with a stranger, a closed port) and the reference server,
//! and the student's pair together. Each check looks at one behaviour, so one mistake fails
//! one check; every payload, word and line is drawn from the check's seeded generator.

mod peer;
mod scenario_peer;

mod client;
mod client_waits;
mod hints;
#[cfg(target_os = "linux")]
mod proc_net;
mod scenarios;
mod server;

use std::time::Duration;

use harness::{Check, Exercise};

pub static EXERCISE: Exercise = Exercise {
    name: "udp_cs",
    bins: &["udp_server", "udp_client"],
    chapter: "udp_cs.md",
    checks: CHECKS,
    contract: include_str!("contract.md"),
    matrix: include_str!("matrix.md"),
};

/// How long a server may take to print its `listening on` line.
const START: Duration = Duration::from_secs(5);
/// How long a check waits for one echo: generous, since a loaded machine is slow, and
/// spent in full only when something is wrong.
const REPLY: Duration = Duration::from_secs(2);
/// The wall-clock limit of one client run; the short `--timeout`s the checks pass keep a
/// correct client far below it.
const CLIENT_RUN: Duration = Duration::from_secs(3);
/// The largest UDP payload over IPv4: 65,535 - 20 (IP header) - 8 (UDP header).
const LARGEST: usize = 65_507;

static CHECKS: &[Check] = &[
    Check::new("server_ready_line", "#the-ready-line", server::ready_line).covers(&["U1", "U3"]),
    #[cfg(target_os = "linux")]
    Check::new(
        "server_bound_where_announced",
        "#the-ready-line",
        server::bound_where_announced,
    )
    .covers(&["U2"]),
    Check::new(
        "server_default_address",
        "#when-the-address-is-taken",
        server::default_address,
    )
    .covers(&["U4", "U5"]),
    Check::new(
        "server_port_in_use",
        "#when-the-address-is-taken",
        server::port_in_use,
    )
    .covers(&["U5"]),
    Check::new(
        "server_extra_argument_usage_error",
        "#the-command-line",
        server::extra_argument_usage_error,
    )
    .covers(&["U6"]),
    Check::new(
        "server_echoes_bytes",
        "#one-socket-many-clients",
        server::echoes_bytes,
    )
    .covers(&["U7"]),
    Check::new(
        "server_empty_datagram",
        "#datagrams-are-bytes",
        server::empty_datagram,
    )
    .covers(&["U9"]),
    Check::new(
        "server_largest_datagram",
        "#how-big-a-datagram-can-be",
        server::largest_datagram,
    )
    .covers(&["U10"]),
    Check::new(
        "server_binary_payload",
        "#datagrams-are-bytes",
        server::binary_payload,
    )
    .covers(&["U8", "U12"]),
    Check::new(
        "server_many_clients_at_once",
        "#one-socket-many-clients",
        server::many_clients_at_once,
    )
    .covers(&["U7", "U11"]),
    Check::new(
        "server_survives_vanished_client",
        "#when-a-client-goes-away",
        server::survives_vanished_client,
    )
    .covers(&["U12"]),
    Check::new("server_host_name", "#the-ready-line", server::host_name).covers(&["U3"]),
    Check::new("server_ipv6_loopback", "#ipv6", server::ipv6_loopback).covers(&["U1", "U3"]),
    Check::new(
        "server_works_with_reference_client",
        "#one-socket-many-clients",
        server::works_with_reference_client,
    )
    .covers(&["U31"])
    .uses_reference(),
    Check::new(
        "client_message_words_joined",
        "#the-command-line",
        client::message_words_joined,
    )
    .covers(&["U13", "U15", "U16"]),
    Check::new(
        "client_reply_printed_as_is",
        "#printing-the-reply",
        client::reply_printed_as_is,
    )
    .covers(&["U16"]),
    Check::new(
        "client_long_reply",
        "#printing-the-reply",
        client::long_reply,
    )
    .covers(&["U17"]),
    Check::new(
        "client_message_too_long_error",
        "#how-big-a-datagram-can-be",
        client::message_too_long_error,
    )
    .covers(&["U28"]),
    Check::new(
        "client_stdin_lines_in_order",
        "#the-command-line",
        client::stdin_lines_in_order,
    )
    .covers(&["U18", "U19", "U20", "U21", "U22"]),
    Check::new(
        "client_stdin_not_utf8",
        "#printing-the-reply",
        client::stdin_not_utf8,
    )
    .covers(&["U16", "U18"]),
    Check::new(
        "client_timeout_in_milliseconds",
        "#timeouts-and-retries",
        client_waits::timeout_in_milliseconds,
    )
    .covers(&["U24"]),
    Check::new(
        "client_no_reply_gives_up",
        "#timeouts-and-retries",
        client_waits::no_reply_gives_up,
    )
    .covers(&["U24", "U25", "U26"]),
    Check::new(
        "client_closed_port_keeps_trying",
        "#a-closed-port",
        client_waits::closed_port_keeps_trying,
    )
    .covers(&["U26", "U27"]),
    Check::new(
        "client_retries_lost_datagram",
        "#timeouts-and-retries",
        client_waits::retries_lost_datagram,
    )
    .covers(&["U25"]),
    Check::new(
        "client_ignores_stranger",
        "#what-connect-does-on-a-udp-socket",
        client_waits::ignores_stranger,
    )
    .covers(&["U14"]),
    Check::new(
        "client_duplicate_reply_printed_once",
        "#duplicates-and-late-replies",
        client_waits::duplicate_reply_printed_once,
    )
    .covers(&["U23"]),
    Check::new(
        "client_bad_options_usage_error",
        "#the-command-line",
        client::bad_options_usage_error,
    )
    .covers(&["U30"]),
    Check::new(
        "client_option_values",
        "#the-command-line",
        client_waits::option_values,
    )
    .covers(&["U13", "U24", "U25", "U29"]),
    Check::new(
        "client_scenarios",
        "#duplicates-and-late-replies",
        scenarios::client_scenarios,
    )
    .covers(&[
        "U14", "U18", "U19", "U20", "U21", "U22", "U23", "U24", "U25", "U26",
    ]),
    Check::new(
        "client_host_name",
        "#what-connect-does-on-a-udp-socket",
        client::host_name,
    )
    .covers(&["U15"]),
    Check::new("client_ipv6_loopback", "#ipv6", client::ipv6_loopback).covers(&["U15"]),
    Check::new(
        "client_works_with_reference_server",
        "#what-connect-does-on-a-udp-socket",
        client::works_with_reference_server,
    )
    .covers(&["U31"])
    .uses_reference(),
    Check::new("pair_client_and_server", "#the-checks", client::pair).covers(&["U31"]),
];

/// Words joined by single spaces, as the client joins its MESSAGE words.
fn words(rng: &mut fastrand::Rng, count: usize) -> Vec<String> {
    (0..count).map(|_| harness::draw::short_word(rng)).collect()
}
