//! `tcp_peek --summary`: one block per TCP connection of the capture, from
//! the segments tcp_peek.rs read (who opened it, both initial numbers, the
//! handshake's round trip, bytes, the first FIN, resets, zero windows).

use std::net::IpAddr;

// ANCHOR: summary
/// One end of a connection: its address and port.
pub type End = (IpAddr, u16);

/// What the summary needs of a segment: its ends (sender first), the
/// record's stamp in nanoseconds, and its header's numbers.
pub struct Segment {
    pub ends: (End, End),
    pub stamp: u64,
    pub flags: u8,
    pub seq: u32,
    pub window: u16,
    pub data: u32,
}

/// One block per connection, in the order their first segments came.
pub fn summarise(seen: &[Segment]) -> String {
    let mut order: Vec<(End, End)> = Vec::new();
    for s in seen {
        let (a, b) = s.ends;
        if !order.contains(&(a, b)) && !order.contains(&(b, a)) {
            order.push((a, b));
        }
    }
    let blocks: Vec<String> =
        order.iter().map(|&(a, b)| block(seen, a, b)).collect();
    blocks.join("\n")
}

fn block(seen: &[Segment], a: End, b: End) -> String {
    let ours: Vec<&Segment> = seen
        .iter()
        .filter(|s| s.ends == (a, b) || s.ends == (b, a))
        .collect();
    let has = |s: &Segment, bit: u8| s.flags & bit != 0;
    let syn = ours.iter().find(|s| has(s, 0x02) && !has(s, 0x10));
    // The opener's end first; without its SYN, the first sender's.
    let (one, two) = match syn {
        Some(s) if s.ends.0 == b => (b, a),
        _ => (a, b),
    };
    let end = |e: End| format!("{}.{}", e.0, e.1);
    let from = |e: End| ours.iter().filter(move |s| s.ends.0 == e);
    let isn = |e: End| match from(e).find(|s| has(s, 0x02)) {
        Some(s) => format!("{} {}", end(e), s.seq),
        None => format!("{} not captured", end(e)),
    };
    let synack = ours.iter().find(|s| has(s, 0x02) && has(s, 0x10));
    let round_trip = match (syn, synack) {
        (Some(syn), Some(ack)) => {
            format!("{} us", ack.stamp.saturating_sub(syn.stamp) / 1000)
        }
        _ => "not captured".to_string(),
    };
    let bytes = |e: End| from(e).map(|s| u64::from(s.data)).sum::<u64>();
    let fin = match ours.iter().find(|s| has(s, 0x01)) {
        Some(s) => format!("{} (it waits in TIME_WAIT)", end(s.ends.0)),
        None => "none".to_string(),
    };
    let resets = |e: End| from(e).filter(|s| has(s, 0x04)).count();
    // A run of zero windows is one episode; a reset's window means nothing.
    let episodes = |e: End| {
        let (mut count, mut closed) = (0, false);
        for s in from(e).filter(|s| !has(s, 0x04)) {
            if s.window == 0 && !closed {
                count += 1;
            }
            closed = s.window == 0;
        }
        count
    };
    let (a, b) = (end(one), end(two));
    let opener = syn.map_or("not captured".to_string(), |s| end(s.ends.0));
    [
        format!("connection {a} > {b}"),
        format!("  opened by: {opener}"),
        format!("  initial sequence numbers: {}, {}", isn(one), isn(two)),
        format!("  handshake round trip: {round_trip}"),
        format!("  bytes: {a} sent {}, {b} sent {}", bytes(one), bytes(two)),
        format!("  first FIN: {fin}"),
        format!(
            "  resets: {a} sent {}, {b} sent {}",
            resets(one),
            resets(two)
        ),
        format!(
            "  zero-window episodes: {a} {}, {b} {}",
            episodes(one),
            episodes(two)
        ),
    ]
    .map(|line| line + "\n")
    .concat()
}
// ANCHOR_END: summary
