//! The captures `--summary` is tried on (P12-P19), each with every class of its rows:
//! who opened a connection (or nobody seen), initial numbers captured or not, round trips
//! in both stamp precisions, bytes with retransmissions and cut records, each close
//! order and resets, zero-window episodes.

use fastrand::Rng;

use super::classes::{Named, conversation};
use super::talk::{NO_WRAP, Talk, stamp, tcp};
use crate::model::{ACK, Capture, Cut, Encoding, FIN, Link, PSH, RST, SYN, Segment};

/// A little-endian Ethernet file of `segments`, its stamps in nanoseconds or not:
/// encodings are `encodings_read`'s business.
fn file(name: &str, nanoseconds: bool, segments: Vec<Segment>) -> Named {
    let encoding = Encoding {
        big_endian: false,
        nanoseconds,
        link: Link::Ethernet,
    };
    (format!("{name}.pcap"), Capture { encoding, segments })
}

/// P12: two whole conversations interleaved, one over IPv6.
pub fn blocks(rng: &mut Rng) -> Vec<Named> {
    let mut v4 = Talk::any(rng, false);
    let mut v6 = Talk::any(rng, true);
    let lists = vec![conversation(rng, &mut v4), conversation(rng, &mut v6)];
    let mut segments = super::talk::interleave(rng, lists);
    stamp(rng, &mut segments, 3_000_000);
    vec![file("two-connections", false, segments)]
}

/// P13, P14: a whole handshake; a connection caught mid-way (its first segment from the
/// server); a SYN whose SYN-ACK was not captured, the SYN sent again.
pub fn openers(rng: &mut Rng) -> Vec<Named> {
    // The server's number near 2^32, not so near that the conversation wraps.
    let isn = [rng.u32(..NO_WRAP), u32::MAX - rng.u32(20_000..1_000_000)];
    let mut whole = Talk::new(rng, false, isn);
    let whole = conversation(rng, &mut whole);
    let mut midway = Talk::any(rng, false);
    let mut caught = vec![midway.send(false, PSH | ACK, rng.usize(1..500))];
    caught.push(midway.send(true, ACK, 0));
    caught.push(midway.send(true, PSH | ACK, rng.usize(1..500)));
    caught.push(midway.send(false, ACK, 0));
    // A reset without ACK: a segment without ACK that is no SYN, and opens nothing.
    caught.push(midway.send(true, RST, 0));
    let mut lost = Talk::any(rng, false);
    let mut unanswered = lost.handshake(rng);
    // The SYN again, the SYN-ACK never seen, the rest as it came.
    unanswered[1] = unanswered[0].clone();
    // The SYN-ACK caught first, then the client's SYN sent again: the client still
    // opened it, and its end comes first.
    let mut late = Talk::any(rng, false);
    let mut answered_first = late.handshake(rng);
    answered_first.swap(0, 1);
    let segments = vec![caught, whole, unanswered, answered_first];
    let mut segments = super::talk::interleave(rng, segments);
    stamp(rng, &mut segments, 3_000_000);
    vec![file("openers", false, segments)]
}

/// A second, in nanoseconds.
const SECOND: u64 = 1_000_000_000;

/// P15: round trips of drawn nanoseconds in a nanosecond file and in a microsecond one
/// (rounded down to whole microseconds either way), and a SYN never answered.
pub fn round_trips(rng: &mut Rng) -> Vec<Named> {
    let mut out = vec![];
    for nanoseconds in [true, false] {
        let mut talk = Talk::any(rng, false);
        let answered = conversation(rng, &mut talk);
        let mut lone = Talk::any(rng, false);
        let unanswered = vec![lone.send(true, SYN, 0), lone.send(true, SYN, 0)];
        // The handshake's SYN and SYN-ACK first, nothing between them.
        let mut segments = answered[..2].to_vec();
        let rest = vec![answered[2..].to_vec(), unanswered];
        segments.extend(super::talk::interleave(rng, rest));
        stamp(rng, &mut segments, 3_000_000);
        // The SYN-ACK a drawn time after the SYN, with a part below a microsecond: under
        // a second in the nanosecond file, over one in the microsecond file; in both the
        // SYN late in its second, so that the stamps' seconds differ (a reader ignoring
        // them, or the fraction, is wrong in every run).
        let rtt = match nanoseconds {
            true => rng.u64(1_000..900_000_000),
            false => rng.u64(1_000_000_000..5_000_000_000),
        } + rng.u64(1..1000);
        let delta = (segments[0].at_ns + rtt) as i128 - segments[1].at_ns as i128;
        for segment in &mut segments[1..] {
            segment.at_ns = (segment.at_ns as i128 + delta) as u64;
        }
        let late = SECOND - rng.u64(1..=(rtt % SECOND).max(1));
        let shift = SECOND + late - segments[0].at_ns % SECOND;
        for segment in &mut segments {
            segment.at_ns += shift;
        }
        let name = if nanoseconds { "rtt-nano" } else { "rtt-micro" };
        out.push(file(name, nanoseconds, segments));
    }
    out
}

/// P16: data both ways, a segment sent twice (counted twice), a segment larger than the
/// MTU, a record cut in its data (counted by the IP header).
pub fn bytes(rng: &mut Rng) -> Vec<Named> {
    let mut talk = Talk::any(rng, false);
    let mut segments = talk.handshake(rng);
    for _ in 0..rng.usize(2..5) {
        segments.push(talk.send(true, PSH | ACK, rng.usize(1..1400)));
        segments.push(talk.send(false, PSH | ACK, rng.usize(1..1400)));
    }
    let sent = talk.send(true, PSH | ACK, rng.usize(1..1400));
    segments.push(sent.clone());
    segments.push(sent);
    segments.push(talk.send(false, ACK, 0));
    segments.push(talk.send(false, PSH | ACK, rng.usize(1500..60000)));
    let mut cut = talk.send(true, PSH | ACK, rng.usize(200..9000));
    cut.cut = Cut::Packet(cut.ip_header_len() + 20 + rng.usize(1..100));
    segments.push(cut);
    segments.push(talk.send(false, FIN | ACK, 0));
    segments.push(talk.send(true, FIN | ACK, 0));
    segments.push(talk.send(false, ACK, 0));
    stamp(rng, &mut segments, 3_000_000);
    vec![file("bytes", false, segments)]
}

/// P17, P18: the client closing first, the server closing first, a connection reset by
/// one end (no FIN), and one reset by both.
pub fn closes(rng: &mut Rng) -> Vec<Named> {
    let mut lists = vec![];
    for client_first in [true, false] {
        let mut talk = Talk::any(rng, false);
        let mut segments = talk.handshake(rng);
        segments.push(talk.send(true, PSH | ACK, rng.usize(1..1000)));
        segments.push(talk.send(false, ACK, 0));
        segments.push(talk.send(client_first, FIN | ACK, 0));
        segments.push(talk.send(!client_first, FIN | ACK, 0));
        segments.push(talk.send(client_first, ACK, 0));
        lists.push(segments);
    }
    for both in [false, true] {
        let mut talk = Talk::any(rng, false);
        let mut segments = talk.handshake(rng);
        segments.push(talk.send(true, PSH | ACK, rng.usize(1..1000)));
        let resetter = rng.bool();
        segments.push(talk.send(resetter, RST | ACK, 0));
        if both {
            segments.push(talk.send(!resetter, RST, 0));
            segments.push(talk.send(resetter, RST, 0));
        }
        lists.push(segments);
    }
    let mut segments = super::talk::interleave(rng, lists);
    stamp(rng, &mut segments, 3_000_000);
    vec![file("closes", false, segments)]
}

/// P19: the server's window 0, then open, then 0 again (two episodes, each of several
/// segments, the client's probes between); a reset with window 0 (no episode).
pub fn zero_windows(rng: &mut Rng) -> Vec<Named> {
    let mut talk = Talk::any(rng, false);
    let mut segments = talk.handshake(rng);
    let open = talk.window[1];
    for _ in 0..2 {
        for _ in 0..rng.usize(2..5) {
            segments.push(talk.send(true, PSH | ACK, rng.usize(100..1400)));
        }
        talk.window[1] = 0;
        for probe in 0..rng.usize(2..4) {
            if probe > 0 {
                // A window probe: one byte the server does not take.
                let mut one = talk.send(true, ACK, 1);
                talk.next[0] = tcp(&mut one).seq;
                segments.push(one);
            }
            segments.push(talk.send(false, ACK, 0));
        }
        talk.window[1] = open;
        segments.push(talk.send(false, ACK, 0));
    }
    talk.window[0] = 0;
    segments.push(talk.send(true, RST | ACK, 0));
    stamp(rng, &mut segments, 3_000_000);
    vec![file("zero-window", false, segments)]
}
