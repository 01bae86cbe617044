//! Checks for tcp_file: the Go course's file transfer (name in one write, `ok`, bytes,
//! half-close, close), byte-compatible with it, plus a receiver that hostile names, resets,
//! silent peers and many senders at once cannot hurt. The student's receiver meets the
//! peer sender of peers/tcp_file.rs and the reference sender; the student's sender meets
//! the peer receiver and the reference receiver; then the two meet each other.
//!
//! The checks live in files of one concept: `receiver` (the student's tcp_recv doing its
//! job), `receiver_names` (hostile and unusual names, drawn by `names`),
//! `receiver_failures` (resets, idle peers, races, a vanishing DIR), `sender` (the
//! student's tcp_send, and the two meeting), `scenarios` (whole transfers drawn and
//! played at once, either side, each knowing its outcome), and `common` (folders, drawn
//! data, the protocol's steps).

mod peer;

mod common;
mod names;
mod receiver;
mod receiver_failures;
#[cfg(target_os = "linux")]
mod receiver_limits;
mod receiver_names;
#[cfg(unix)]
mod scenarios;
#[cfg(unix)]
mod scenarios_recv;
#[cfg(unix)]
mod scenarios_send;
mod sender;

use harness::{Check, Exercise};

use receiver::*;
use receiver_failures::*;
#[cfg(target_os = "linux")]
use receiver_limits::*;
use receiver_names::*;
#[cfg(unix)]
use scenarios::*;
use sender::*;

pub static EXERCISE: Exercise = Exercise {
    name: "tcp_file",
    bins: &["tcp_send", "tcp_recv"],
    chapter: "tcp_file.md",
    checks: CHECKS,
    contract: include_str!("contract.md"),
    matrix: include_str!("matrix.md"),
};

static CHECKS: &[Check] = &[
    Check::new("recv_ready_line", "#the-protocol", recv_ready_line).covers(&["F1"]),
    Check::new(
        "recv_saves_text_file",
        "#the-receiver-step-by-step",
        recv_saves_text_file,
    )
    .covers(&["F5", "F8", "F9"]),
    Check::new(
        "recv_empty_file",
        "#the-receiver-step-by-step",
        recv_empty_file,
    )
    .covers(&["F8", "F9"]),
    Check::new(
        "recv_big_file_flat_memory",
        "#memory-stays-flat",
        recv_big_file_flat_memory,
    )
    .covers(&["F8", "F17"]),
    Check::new(
        "recv_replies_exactly_ok",
        "#why-wait-for-ok",
        recv_replies_exactly_ok,
    )
    .covers(&["F5", "F9"]),
    Check::new(
        "recv_refuses_hostile_names",
        "#names-from-the-wire-are-hostile",
        recv_refuses_hostile_names,
    )
    .covers(&["F6", "F7"]),
    Check::new(
        "recv_accepts_unusual_names",
        "#names-from-the-wire-are-hostile",
        recv_accepts_unusual_names,
    )
    .covers(&["F6", "F9"]),
    Check::new(
        "recv_keeps_existing_file",
        "#never-show-a-half-written-file",
        recv_keeps_existing_file,
    )
    .covers(&["F6", "F12"]),
    Check::new(
        "recv_two_files_in_a_row",
        "#the-receiver-step-by-step",
        recv_two_files_in_a_row,
    )
    .covers(&["F8", "F9", "F14"]),
    Check::new(
        "recv_eight_senders_at_once",
        "#many-senders-at-once",
        recv_eight_senders_at_once,
    )
    .covers(&["F8", "F14"]),
    Check::new(
        "recv_slow_sender_does_not_block_others",
        "#many-senders-at-once",
        recv_slow_sender_does_not_block_others,
    )
    .covers(&["F14"]),
    Check::new(
        "recv_no_partial_file_under_final_name",
        "#never-show-a-half-written-file",
        recv_no_partial_file_under_final_name,
    )
    .covers(&["F10"]),
    // Resetting a connection on purpose takes SO_LINGER, set through libc.
    #[cfg(unix)]
    Check::new(
        "recv_reset_mid_file_leaves_nothing",
        "#a-read-error-is-not-the-end-of-the-file",
        recv_reset_mid_file_leaves_nothing,
    )
    .covers(&["F11", "F14", "F18"]),
    #[cfg(unix)]
    Check::new(
        "recv_reset_before_first_byte",
        "#a-read-error-is-not-the-end-of-the-file",
        recv_reset_before_first_byte,
    )
    .covers(&["F11", "F18"]),
    Check::new(
        "recv_same_name_at_once",
        "#never-show-a-half-written-file",
        recv_same_name_at_once,
    )
    .covers(&["F9", "F12"]),
    Check::new(
        "recv_folder_vanishes",
        "#when-dir-vanishes",
        recv_folder_vanishes,
    )
    .covers(&["F15"]),
    Check::new(
        "recv_idle_connection_closed",
        "#idle-connections",
        recv_idle_connection_closed,
    )
    .covers(&["F13"]),
    // Fewer open files for the program under test: prlimit(2) or the sandbox, on Linux.
    #[cfg(target_os = "linux")]
    Check::new(
        "recv_out_of_files_backs_off",
        "#when-accept-fails",
        recv_out_of_files_backs_off,
    )
    .covers(&["F16"]),
    Check::new(
        "recv_works_with_reference_sender",
        "#the-protocol",
        recv_works_with_reference_sender,
    )
    .covers(&["F25"])
    .uses_reference(),
    Check::new("recv_port_in_use", "#the-address", recv_port_in_use).covers(&["F3"]),
    Check::new(
        "recv_dir_not_a_folder",
        "#when-dir-vanishes",
        recv_dir_not_a_folder,
    )
    .covers(&["F26"]),
    Check::new("usage_errors", "#the-address", usage_errors).covers(&["F4"]),
    Check::new(
        "send_base_name_only",
        "#the-sender-step-by-step",
        send_base_name_only,
    )
    .covers(&["F20"]),
    Check::new(
        "send_unusual_names",
        "#names-from-the-wire-are-hostile",
        send_unusual_names,
    )
    .covers(&["F20", "F21"]),
    Check::new("send_waits_for_ok", "#why-wait-for-ok", send_waits_for_ok).covers(&["F20", "F21"]),
    Check::new(
        "send_big_file_flat_memory",
        "#memory-stays-flat",
        send_big_file_flat_memory,
    )
    .covers(&["F17", "F21"]),
    Check::new(
        "send_waits_for_receiver_close",
        "#half-close-and-waiting-for-the-close",
        send_waits_for_receiver_close,
    )
    .covers(&["F22"]),
    Check::new(
        "send_refused_reports_reason",
        "#the-sender-step-by-step",
        send_refused_reports_reason,
    )
    .covers(&["F23"]),
    Check::new(
        "send_nobody_listening",
        "#errors-before-connecting",
        send_nobody_listening,
    )
    .covers(&["F24"]),
    Check::new(
        "send_missing_file_or_directory",
        "#errors-before-connecting",
        send_missing_file_or_directory,
    )
    .covers(&["F19"]),
    // Linux file names are any bytes; macOS and Windows ones are always Unicode.
    #[cfg(target_os = "linux")]
    Check::new(
        "send_name_not_utf8",
        "#errors-before-connecting",
        send_name_not_utf8,
    )
    .covers(&["F19", "F18"]),
    Check::new(
        "send_works_with_reference_receiver",
        "#the-protocol",
        send_works_with_reference_receiver,
    )
    .covers(&["F25"])
    .uses_reference(),
    Check::new("pair_send_to_recv", "#the-protocol", pair_send_to_recv).covers(&["F25"]),
    Check::new("pair_default_address", "#the-address", pair_default_address).covers(&["F2"]),
    // Resets on purpose take SO_LINGER, set through libc.
    #[cfg(unix)]
    Check::new("scenarios_transfers", "#the-checks", scenarios_transfers).covers(&[
        "F5", "F6", "F7", "F8", "F9", "F10", "F11", "F13", "F14", "F18", "F20", "F21", "F22", "F23",
    ]),
];
