//! tcp_peek: a tcpdump of your own. Reads a classic pcap capture (from `trace`, tcpdump
//! or Wireshark) and prints each TCP segment as `tcpdump -n -t -r FILE` does, byte for
//! byte, reading every header by hand; `--summary` prints one block per connection
//! instead. Book chapter: "tcp_trace". Check your work with `cargo test -p tcp_trace`.
//!
//! Usage:
//!
//! ```text
//! tcp_peek FILE.pcap             one line per packet
//! tcp_peek --summary FILE.pcap   one block per TCP connection
//! ```
//!
//! A line, for a handshake's first segment:
//!
//! ```text
//! IP 127.0.0.1.41000 > 127.0.0.1.7000: Flags [S], seq 3735928559, win 65495, options [mss 65495,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0
//! ```
//!
//! The contract, clause by clause: exercises/tcp_trace/checks/contract.md (the chapter
//! shows it). No packet crate: the headers are the lesson. Go's `gopacket` does for you
//! what the steps below do by hand: `pcapgo.NewReader` is step 2, `gopacket.NewPacket`
//! with `layers.LayerTypeEthernet` is step 3, `layers.IPv4` / `layers.IPv6` step 4,
//! `layers.TCP` (with its `Options`) steps 5 and 6; tcpdump's relative numbers (step 7)
//! and the summary (step 8) are yours alone.

fn main() {
    // Step 1. Arguments (`std::env::args_os().skip(1)`): `FILE` or `--summary FILE`.
    //         Anything else: `usage: tcp_peek [--summary] FILE.pcap` on stderr, exit 2.
    //         A file that cannot be opened: `error: ...` naming it, exit 1.
    //
    // Step 2. The 24-byte file header. Its first 4 bytes, the magic number, say the byte
    //         order the writer used: read as little-endian they are a1b2c3d4 (or
    //         a1b23c4d: nanosecond stamps) when it wrote little-endian, d4c3b2a1 (or
    //         4d3cb2a1) when it wrote big-endian. Every number of the file after it is
    //         in that order: keep a `big_endian: bool` and one `fn u32(&[u8]) -> u32`.
    //         The link type is the last 4 bytes (its top 4 bits are flags: mask them):
    //         1 Ethernet, 113 Linux cooked, 101 raw IP. Anything else, a file shorter
    //         than 24 bytes, or another magic (0a0d0d0a is pcapng): `error: ...`, exit 2.
    //
    // Step 3. The records: each a 16-byte header (seconds, micro- or nanoseconds, bytes
    //         kept, bytes on the wire), then the bytes kept. `read_exact` tells you
    //         nothing about how much it read before the end: read what is there, and a
    //         record cut in the middle is `error: ...`, exit 1, AFTER the lines of the
    //         records before it. The link header: Ethernet is 14 bytes, the EtherType
    //         (0x0800 IPv4, 0x86dd IPv6) in its last two; Linux cooked 16, the protocol
    //         last; raw IP has none (the IP version is the first byte's top 4 bits).
    //
    // Step 4. IP. IPv4: the header is (first byte & 0x0f) * 4 bytes long (more than 20
    //         when it has options: skip them), the protocol is byte 9 (6 is TCP, 17 UDP),
    //         the total length bytes 2..4, the addresses 12..16 and 16..20. IPv6: 40
    //         bytes, the payload length 4..6, the next header byte 6, the addresses
    //         8..24 and 24..40. `Ipv4Addr` and `Ipv6Addr` print as tcpdump does.
    //         All numbers on the wire are big-endian: `u16::from_be_bytes`.
    //
    // Step 5. TCP: ports 0..2 and 2..4, sequence 4..8, acknowledgement 8..12, the header
    //         length (byte 12 >> 4) * 4, the flags byte 13 (FIN 1, SYN 2, RST 4, PSH 8,
    //         ACK 16, URG 32, ECE 64, CWR 128: tcpdump writes them `FSRP.UEW`), the
    //         window 14..16. The segment's length is the IP header's length less both
    //         headers: NOT the bytes captured (a capture may keep fewer).
    //
    // Step 6. Options, between byte 20 and the header length: kind 0 (eol) and 1 (nop)
    //         are one byte; every other kind has a length byte next, counting both:
    //         mss (2), wscale (3), sackOK (4), sack (5), timestamps (8). Print
    //         them as tcpdump does; a length that does not fit is `[bad opt]`.
    //
    // Step 7. tcpdump's relative numbers: per connection (both directions), remember
    //         each side's initial sequence number from the first segment with ACK set
    //         (the SYN-ACK) and print the others less it, `wrapping_sub`: numbers wrap
    //         at 2^32. A packet cut by the snap length prints what could be read, then
    //         tcpdump's `[|tcp]`. Compare with `tcpdump -n -t -r FILE` as you go.
    //
    // Step 8. `--summary`: per connection, who opened it, both initial sequence numbers,
    //         the handshake's round trip (the record stamps), bytes each way, who sent
    //         the first FIN (and so waits in TIME_WAIT), resets, zero-window episodes.
    todo!("read the pcap file and print each TCP segment as tcpdump -n -t does")
}
