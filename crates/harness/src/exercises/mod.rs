//! The checks of each exercise, one module per exercise, in the book's order.

use crate::check::Exercise;

pub mod fs_meta;
pub mod http_get;
pub mod os_args;
pub mod tcp_file;
pub mod tcp_states;
pub mod udp_cs;

pub static ALL: &[&Exercise] = &[
    &os_args::EXERCISE,
    &fs_meta::EXERCISE,
    &udp_cs::EXERCISE,
    &tcp_states::EXERCISE,
    &tcp_file::EXERCISE,
    &http_get::EXERCISE,
];
