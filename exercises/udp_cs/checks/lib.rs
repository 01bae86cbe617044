//! Checks for udp_cs: the echo server (`udp_server`, in server.rs) against harness clients
//! and the reference client, the client (`udp_client`, in client.rs) against awkward peers
//! (silent, lossy, duplicating, with a stranger, a closed port) and the reference server,
//! and the student's pair together. Each check looks at one behaviour, so one mistake fails
//! one check; every payload, word and line is drawn from the check's seeded generator.

mod peer;

mod client;
mod client_waits;
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
    Check::new("server_ready_line", "#the-ready-line", server::ready_line),
    #[cfg(target_os = "linux")]
    Check::new(
        "server_bound_where_announced",
        "#the-ready-line",
        server::bound_where_announced,
    ),
    Check::new(
        "server_default_address",
        "#when-the-address-is-taken",
        server::default_address,
    ),
    Check::new(
        "server_port_in_use",
        "#when-the-address-is-taken",
        server::port_in_use,
    ),
    Check::new(
        "server_extra_argument_usage_error",
        "#the-command-line",
        server::extra_argument_usage_error,
    ),
    Check::new(
        "server_echoes_bytes",
        "#one-socket-many-clients",
        server::echoes_bytes,
    ),
    Check::new(
        "server_empty_datagram",
        "#datagrams-are-bytes",
        server::empty_datagram,
    ),
    Check::new(
        "server_largest_datagram",
        "#how-big-a-datagram-can-be",
        server::largest_datagram,
    ),
    Check::new(
        "server_binary_payload",
        "#datagrams-are-bytes",
        server::binary_payload,
    ),
    Check::new(
        "server_many_clients_at_once",
        "#one-socket-many-clients",
        server::many_clients_at_once,
    ),
    Check::new(
        "server_survives_vanished_client",
        "#when-a-client-goes-away",
        server::survives_vanished_client,
    ),
    Check::new("server_ipv6_loopback", "#ipv6", server::ipv6_loopback),
    Check::new(
        "server_works_with_reference_client",
        "#one-socket-many-clients",
        server::works_with_reference_client,
    )
    .uses_reference(),
    Check::new(
        "client_message_words_joined",
        "#the-command-line",
        client::message_words_joined,
    ),
    Check::new(
        "client_reply_printed_as_is",
        "#printing-the-reply",
        client::reply_printed_as_is,
    ),
    Check::new(
        "client_long_reply",
        "#printing-the-reply",
        client::long_reply,
    ),
    Check::new(
        "client_message_too_long_error",
        "#how-big-a-datagram-can-be",
        client::message_too_long_error,
    ),
    Check::new(
        "client_stdin_lines_in_order",
        "#the-command-line",
        client::stdin_lines_in_order,
    ),
    Check::new(
        "client_stdin_not_utf8",
        "#printing-the-reply",
        client::stdin_not_utf8,
    ),
    Check::new(
        "client_timeout_in_milliseconds",
        "#timeouts-and-retries",
        client_waits::timeout_in_milliseconds,
    ),
    Check::new(
        "client_no_reply_gives_up",
        "#timeouts-and-retries",
        client_waits::no_reply_gives_up,
    ),
    Check::new(
        "client_closed_port_keeps_trying",
        "#a-closed-port",
        client_waits::closed_port_keeps_trying,
    ),
    Check::new(
        "client_retries_lost_datagram",
        "#timeouts-and-retries",
        client_waits::retries_lost_datagram,
    ),
    Check::new(
        "client_ignores_stranger",
        "#what-connect-does-on-a-udp-socket",
        client_waits::ignores_stranger,
    ),
    Check::new(
        "client_duplicate_reply_printed_once",
        "#duplicates-and-late-replies",
        client_waits::duplicate_reply_printed_once,
    ),
    Check::new(
        "client_bad_options_usage_error",
        "#the-command-line",
        client::bad_options_usage_error,
    ),
    Check::new("client_ipv6_loopback", "#ipv6", client::ipv6_loopback),
    Check::new(
        "client_works_with_reference_server",
        "#what-connect-does-on-a-udp-socket",
        client::works_with_reference_server,
    )
    .uses_reference(),
    Check::new("pair_client_and_server", "#the-checks", client::pair),
];

/// Words joined by single spaces, as the client joins its MESSAGE words.
fn words(rng: &mut fastrand::Rng, count: usize) -> Vec<String> {
    (0..count).map(|_| harness::draw::short_word(rng)).collect()
}
