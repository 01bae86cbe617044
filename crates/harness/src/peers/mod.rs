//! Peers: awkward clients and servers, written in Rust, that checks put the student's
//! programs up against (loss, duplication, strangers, slow or hostile senders).
pub mod http;
pub mod tcp_file;
pub mod udp;
