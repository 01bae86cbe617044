//! TCP options: their bytes (padded with zeros, each an eol, to the header's 4-byte
//! words) and tcpdump's `, options [...]` for them, cut where the record's bytes end.

use std::fmt::Write as _;

use super::TcpOption;

/// The options' bytes on the wire, padded to a multiple of 4.
pub(super) fn encode(options: &[TcpOption]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for option in options {
        match option {
            TcpOption::Eol => bytes.push(0),
            TcpOption::Nop => bytes.push(1),
            TcpOption::Mss(mss) => {
                bytes.extend([2, 4]);
                bytes.extend(mss.to_be_bytes());
            }
            TcpOption::Wscale(shift) => bytes.extend([3, 3, *shift]),
            TcpOption::SackOk => bytes.extend([4, 2]),
            TcpOption::Sack(blocks) => {
                bytes.extend([5, (2 + 8 * blocks.len()) as u8]);
                for (start, end) in blocks {
                    bytes.extend(start.to_be_bytes());
                    bytes.extend(end.to_be_bytes());
                }
            }
            TcpOption::Timestamps(val, ecr) => {
                bytes.extend([8, 10]);
                bytes.extend(val.to_be_bytes());
                bytes.extend(ecr.to_be_bytes());
            }
            TcpOption::Unknown(kind, value) => {
                bytes.extend([*kind, (2 + value.len()) as u8]);
                bytes.extend(value);
            }
            TcpOption::BadLength(kind, len) => bytes.extend([*kind, *len]),
        }
    }
    while bytes.len() % 4 != 0 {
        bytes.push(0);
    }
    bytes
}

/// The options' bytes with their padding.
pub(super) fn padded_len(options: &[TcpOption]) -> usize {
    let len: usize = options.iter().map(TcpOption::size).sum();
    len.div_ceil(4) * 4
}

/// Where the printing of a header stopped.
pub(super) enum Ended {
    /// `]`: the line goes on with its length.
    Closed,
    /// `[bad opt]` or the snap length's `[|tcp]`: the line ends here.
    Early,
}

/// tcpdump's `, options [...]` for `options`, of which `captured` bytes were kept;
/// `sack_base` is what SACK blocks count from (the receiver's first number).
pub(super) fn print(
    line: &mut String,
    options: &[TcpOption],
    captured: usize,
    sack_base: u32,
) -> Ended {
    line.push_str(", options [");
    // The padding's zeros read as an eol after the last option.
    let padding = padded_len(options) - options.iter().map(TcpOption::size).sum::<usize>();
    let ends_by_itself = matches!(
        options.last(),
        Some(TcpOption::Eol | TcpOption::BadLength(..))
    );
    let eol = [TcpOption::Eol];
    let implicit = if padding > 0 && !ends_by_itself {
        &eol[..]
    } else {
        &[]
    };
    let mut at = 0;
    for (i, option) in options.iter().chain(implicit).enumerate() {
        let first = i == 0;
        if !first {
            line.push(',');
        }
        let has_length = !matches!(option, TcpOption::Eol | TcpOption::Nop);
        // Kind and length are read before anything is printed: no stray mark.
        if at >= captured || (has_length && at + 1 >= captured) {
            line.push_str(" [|tcp]");
            return Ended::Early;
        }
        let value = at + 2;
        let whole = |len: usize| value + len <= captured;
        match option {
            TcpOption::Eol => line.push_str("eol"),
            TcpOption::Nop => line.push_str("nop"),
            TcpOption::SackOk => line.push_str("sackOK"),
            TcpOption::BadLength(..) => {
                // tcpdump closes the list only when an option came before.
                line.push_str(if first { "[bad opt]" } else { "[bad opt]]" });
                return Ended::Early;
            }
            TcpOption::Mss(mss) => {
                line.push_str("mss");
                if !whole(2) {
                    return value_cut(line, first);
                }
                let _ = write!(line, " {mss}");
            }
            TcpOption::Wscale(shift) => {
                line.push_str("wscale");
                if !whole(1) {
                    return value_cut(line, first);
                }
                let _ = write!(line, " {shift}");
            }
            TcpOption::Timestamps(val, ecr) => {
                line.push_str("TS");
                if !whole(8) {
                    return value_cut(line, first);
                }
                let _ = write!(line, " val {val} ecr {ecr}");
            }
            TcpOption::Sack(blocks) => {
                let _ = write!(line, "sack {} ", blocks.len());
                for (j, (start, end)) in blocks.iter().enumerate() {
                    if !whole(8 * (j + 1)) {
                        return value_cut(line, first);
                    }
                    let (start, end) = (start.wrapping_sub(sack_base), end.wrapping_sub(sack_base));
                    let _ = write!(line, "{{{start}:{end}}}");
                }
            }
            TcpOption::Unknown(kind, bytes) => {
                let _ = write!(line, "unknown-{kind}");
                if !bytes.is_empty() {
                    line.push_str(" 0x");
                }
                for (j, byte) in bytes.iter().enumerate() {
                    if value + j >= captured {
                        return value_cut(line, first);
                    }
                    let _ = write!(line, "{byte:02x}");
                }
            }
        }
        if *option == TcpOption::Eol {
            break;
        }
        at += option.size();
    }
    line.push(']');
    Ended::Closed
}

/// An option's value cut by the snap length: tcpdump's mark, and after the first option
/// a `>` it prints for an unfinished list.
fn value_cut(line: &mut String, first: bool) -> Ended {
    line.push_str(" [|tcp]");
    if !first {
        line.push('>');
    }
    Ended::Early
}
