//! One connection's segments turned into what the diagram draws: each direction's own
//! byte numbering (relative to its first sequence number, as tcpdump and Wireshark count),
//! time since the connection's first segment, the other side's acknowledgements and
//! window in that numbering, and which segments are retransmissions, window probes or
//! zero-window advertisements.

use std::net::SocketAddr;

use crate::segment::{ACK, FIN, RST, SYN, Segment};

/// A segment, placed: `direction` 0 is the side that sent the connection's first segment.
pub struct Placed {
    pub direction: usize,
    pub nanos: u64,
    /// In the sender's own numbering: where the segment's bytes start.
    pub seq: i64,
    pub len: u32,
    pub flags: u8,
    /// In the other side's numbering: the next byte this segment asks for (ACK set).
    pub ack: Option<i64>,
    /// How far past `ack` the sender lets the other side send, in bytes, when the
    /// window's scale is known (both SYNs seen). A SYN's window is never scaled.
    pub window: Option<u64>,
    pub zero_window: bool,
    /// Data (or a FIN) that the sender had sent before: all of it lies below its highest.
    pub retransmission: bool,
    /// A bare segment sent below what the other side has acknowledged: Linux's
    /// zero-window probe (and a keepalive) asks for an ACK this way.
    pub probe: bool,
}

pub struct Connection {
    /// `ends[0]` sent the first segment seen.
    pub ends: [SocketAddr; 2],
    pub segments: Vec<Placed>,
}

/// Relative sequence numbers that keep counting past 2^32: each new value is taken as
/// the nearest one to the last, forward or back.
struct Unwrap {
    raw: u32,
    value: i64,
}

impl Unwrap {
    fn from(base: u32) -> Self {
        Unwrap {
            raw: base,
            value: 0,
        }
    }

    fn at(&mut self, raw: u32) -> i64 {
        self.value += i64::from(raw.wrapping_sub(self.raw) as i32);
        self.raw = raw;
        self.value
    }
}

fn same_connection(segment: &Segment, ends: [SocketAddr; 2]) -> Option<usize> {
    if segment.from == ends[0] && segment.to == ends[1] {
        Some(0)
    } else if segment.from == ends[1] && segment.to == ends[0] {
        Some(1)
    } else {
        None
    }
}

/// The first connection among `segments`, or the first with `port` at either end.
pub fn pick(segments: &[Segment], port: Option<u16>) -> Option<Connection> {
    let first = segments
        .iter()
        .find(|s| port.is_none_or(|p| s.from.port() == p || s.to.port() == p))?;
    let ends = [first.from, first.to];
    let mine: Vec<(usize, &Segment)> = segments
        .iter()
        .filter_map(|s| same_connection(s, ends).map(|d| (d, s)))
        .collect();
    Some(place(ends, &mine))
}

fn place(ends: [SocketAddr; 2], mine: &[(usize, &Segment)]) -> Connection {
    let start = mine.first().map_or(0, |(_, s)| s.nanos);
    // A side's numbering starts at its first sequence number; a side that never sent
    // starts where the other side's first acknowledgement says.
    let base = |d: usize| {
        let sent = mine.iter().find(|(sd, _)| *sd == d).map(|(_, s)| s.seq);
        let asked = mine
            .iter()
            .find(|(sd, s)| *sd != d && s.has(ACK))
            .map(|(_, s)| s.ack);
        sent.or(asked).unwrap_or(0)
    };
    let bases = [base(0), base(1)];
    let syn_scale = |d: usize| {
        mine.iter()
            .find(|(sd, s)| *sd == d && s.has(SYN))
            .map(|(_, s)| s.window_scale)
    };
    // Scaling holds only when both SYNs offered it; unknown when a SYN was not captured.
    let scales = match (syn_scale(0), syn_scale(1)) {
        (Some(Some(a)), Some(Some(b))) => Some([a.min(14), b.min(14)]),
        (Some(_), Some(_)) => Some([0, 0]),
        _ => None,
    };
    let mut seqs = [Unwrap::from(bases[0]), Unwrap::from(bases[1])];
    let mut acks = [Unwrap::from(bases[1]), Unwrap::from(bases[0])];
    let mut highest_sent = [None::<i64>; 2];
    let mut highest_acked = [None::<i64>; 2];
    let mut placed = Vec::with_capacity(mine.len());
    for &(d, s) in mine {
        let seq = seqs[d].at(s.seq);
        let ack = s.has(ACK).then(|| acks[d].at(s.ack));
        let window = match scales {
            _ if s.has(SYN) => Some(u64::from(s.window)),
            Some(shifts) => Some(u64::from(s.window) << shifts[d]),
            None => None,
        };
        let occupies = i64::from(s.len) + i64::from(s.has(SYN)) + i64::from(s.has(FIN));
        let end = seq + occupies;
        let retransmission = occupies > 0 && highest_sent[d].is_some_and(|h| end <= h);
        let bare = occupies == 0 && !s.has(RST);
        let probe = bare && highest_acked[1 - d].is_some_and(|a| seq < a);
        if occupies > 0 {
            highest_sent[d] = Some(highest_sent[d].map_or(end, |h| h.max(end)));
        }
        if let Some(ack) = ack {
            highest_acked[d] = Some(highest_acked[d].map_or(ack, |h| h.max(ack)));
        }
        placed.push(Placed {
            direction: d,
            nanos: s.nanos.saturating_sub(start),
            seq,
            len: s.len,
            flags: s.flags,
            ack,
            window,
            zero_window: s.window == 0 && !s.has(RST),
            retransmission,
            probe,
        });
    }
    Connection {
        ends,
        segments: placed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(from: &str, to: &str, seq: u32, ack: u32, flags: u8, len: u32) -> Segment {
        Segment {
            nanos: 1000 + u64::from(seq % 7),
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
            seq,
            ack,
            flags,
            window: if len == 99 { 0 } else { 512 },
            window_scale: Some(2),
            len,
        }
    }

    #[test]
    fn numbers_each_side_from_its_first_sequence_number_across_2_to_the_32() {
        let (c, s) = ("10.0.0.1:5000", "10.0.0.2:80");
        let segments = [
            segment("10.0.0.9:1", "10.0.0.8:2", 1, 0, SYN, 0),
            segment(c, s, u32::MAX - 1, 0, SYN, 0),
            segment(s, c, 500, u32::MAX, SYN | ACK, 0),
            segment(c, s, u32::MAX, 501, ACK, 10),
            segment(c, s, u32::MAX, 501, ACK, 10),
            segment(s, c, 501, 9, ACK, 99),
            segment(c, s, 8, 501, ACK, 0),
        ];
        let connection = pick(&segments, Some(80)).unwrap();
        assert_eq!(connection.ends[1], s.parse().unwrap());
        let placed = &connection.segments;
        assert_eq!(placed.len(), 6);
        assert_eq!((placed[2].seq, placed[2].ack), (1, Some(1)));
        assert!(!placed[2].retransmission && placed[3].retransmission);
        assert_eq!(placed[4].ack, Some(11));
        assert_eq!(placed[4].window, Some(0));
        assert!(placed[4].zero_window);
        assert_eq!(placed[1].window, Some(512), "a SYN's window is not scaled");
        assert_eq!(placed[2].window, Some(2048));
        assert!(
            placed[5].probe,
            "sent below what the other side acknowledged"
        );
        assert!(pick(&segments, Some(443)).is_none());
    }
}
