//! `tcp_peek --summary`'s blocks (the contract's P12-P19), from the model's segments: one
//! per connection in the order their first segments come, each end as `ADDR.PORT`.

use std::fmt::Write as _;

use super::{ACK, End, FIN, RST, SYN, Segment, Tcp};

/// What one connection's segments said, as they came.
struct Connection {
    /// The opener's end first: the first SYN's sender, else the first segment's.
    ends: [End; 2],
    opened: bool,
    /// Each end's first SYN: (sequence number, stamp).
    syn: [Option<(u32, u64)>; 2],
    /// The first SYN without ACK and the first SYN-ACK after it, for the round trip.
    first_syn_at: Option<u64>,
    first_syn_ack_at: Option<u64>,
    bytes: [u64; 2],
    first_fin: Option<usize>,
    resets: [u32; 2],
    zero_windows: [u32; 2],
    in_zero_window: [bool; 2],
}

impl Connection {
    fn new(from: End, to: End) -> Connection {
        Connection {
            ends: [from, to],
            opened: false,
            syn: [None; 2],
            first_syn_at: None,
            first_syn_ack_at: None,
            bytes: [0; 2],
            first_fin: None,
            resets: [0; 2],
            zero_windows: [0; 2],
            in_zero_window: [false; 2],
        }
    }

    fn holds(&self, from: End, to: End) -> bool {
        self.ends == [from, to] || self.ends == [to, from]
    }

    fn add(&mut self, from: End, at_ns: u64, tcp: &Tcp) {
        let has = |flag: u8| tcp.flags & flag != 0;
        if has(SYN) && !has(ACK) && !self.opened {
            // The first SYN names the opener, even after segments of the other end.
            self.opened = true;
            if self.ends[0] != from {
                self.swap();
            }
            self.first_syn_at = Some(at_ns);
        }
        let me = usize::from(self.ends[1] == from);
        if has(SYN) && self.syn[me].is_none() {
            self.syn[me] = Some((tcp.seq, at_ns));
        }
        if has(SYN) && has(ACK) && self.first_syn_at.is_some() && self.first_syn_ack_at.is_none() {
            self.first_syn_ack_at = Some(at_ns);
        }
        self.bytes[me] += tcp.data as u64;
        if has(FIN) && self.first_fin.is_none() {
            self.first_fin = Some(me);
        }
        if has(RST) {
            self.resets[me] += 1;
        } else if tcp.window == 0 {
            if !self.in_zero_window[me] {
                self.zero_windows[me] += 1;
            }
            self.in_zero_window[me] = true;
        } else {
            self.in_zero_window[me] = false;
        }
    }

    fn swap(&mut self) {
        self.ends.swap(0, 1);
        self.syn.swap(0, 1);
        self.bytes.swap(0, 1);
        self.first_fin = self.first_fin.map(|end| 1 - end);
        self.resets.swap(0, 1);
        self.zero_windows.swap(0, 1);
        self.in_zero_window.swap(0, 1);
    }

    fn block(&self) -> String {
        let [a, b] = self.ends;
        let mut block = format!("connection {a} > {b}\n");
        let opener = match self.opened {
            true => a.to_string(),
            false => "not captured".into(),
        };
        let _ = writeln!(block, "  opened by: {opener}");
        let isn = |end: usize| match self.syn[end] {
            Some((seq, _)) => seq.to_string(),
            None => "not captured".into(),
        };
        let _ = writeln!(
            block,
            "  initial sequence numbers: {a} {}, {b} {}",
            isn(0),
            isn(1)
        );
        let round_trip = match (self.first_syn_at, self.first_syn_ack_at) {
            (Some(syn), Some(syn_ack)) => format!("{} us", syn_ack.saturating_sub(syn) / 1000),
            _ => "not captured".into(),
        };
        let _ = writeln!(block, "  handshake round trip: {round_trip}");
        let _ = writeln!(
            block,
            "  bytes: {a} sent {}, {b} sent {}",
            self.bytes[0], self.bytes[1]
        );
        let fin = match self.first_fin {
            Some(end) => format!("{} (it waits in TIME_WAIT)", self.ends[end]),
            None => "none".into(),
        };
        let _ = writeln!(block, "  first FIN: {fin}");
        let _ = writeln!(
            block,
            "  resets: {a} sent {}, {b} sent {}",
            self.resets[0], self.resets[1]
        );
        let _ = writeln!(
            block,
            "  zero-window episodes: {a} {}, {b} {}",
            self.zero_windows[0], self.zero_windows[1]
        );
        block
    }
}

fn gather(segments: &[Segment]) -> Vec<Connection> {
    let mut connections: Vec<Connection> = Vec::new();
    for segment in segments {
        let Some(tcp) = segment.tcp() else { continue };
        let (from, to) = super::ends(segment, tcp);
        let at = match connections.iter().position(|c| c.holds(from, to)) {
            Some(at) => at,
            None => {
                connections.push(Connection::new(from, to));
                connections.len() - 1
            }
        };
        connections[at].add(from, segment.at_ns, tcp);
    }
    connections
}

/// The blocks, separated by an empty line.
pub(super) fn summary(segments: &[Segment]) -> String {
    let blocks: Vec<String> = gather(segments).iter().map(Connection::block).collect();
    blocks.join("\n")
}

/// Each connection's ends, the opener's first.
pub(super) fn connections(segments: &[Segment]) -> Vec<(End, End)> {
    gather(segments)
        .iter()
        .map(|c| (c.ends[0], c.ends[1]))
        .collect()
}
