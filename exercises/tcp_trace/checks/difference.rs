//! Where a line tcp_peek printed differs from tcpdump's, field by field: a failure that
//! says "the flags: `[S]` where tcpdump prints `[SEW]`" names the mistake, where two
//! 200-character lines side by side leave the reader to find it.

/// The first line of `got` (stdout) that is not `wanted`'s, as (line number from 1,
/// tcpdump's line, the printed one if any); None when all of `wanted` came out (more
/// output after it is not a line difference).
pub(super) fn first_different_line<'a>(
    wanted: &[&'a str],
    got: &'a [u8],
) -> Option<(usize, &'a str, Option<String>)> {
    let mut printed = got
        .split_inclusive(|&b| b == b'\n')
        .map(|l| String::from_utf8_lossy(l.strip_suffix(b"\n").unwrap_or(l)).into_owned());
    for (n, want) in wanted.iter().enumerate() {
        let line = printed.next();
        if line.as_deref() != Some(*want) {
            return Some((n + 1, want, line));
        }
    }
    None
}

/// The first field of `got` that is not `wanted`'s, in words, with what tcpdump does there.
pub(super) fn what_differs(wanted: &str, got: &str) -> String {
    let (want_fields, got_fields) = (fields(wanted), fields(got));
    // A wrong length moves the end of `seq FIRST:END` too: the length is the mistake.
    let first =
        |fields: &[&str]| field(fields, "seq").map(|f| f.split(':').next().map(str::to_string));
    if let (Some(want), Some(got)) = (field(&want_fields, "length"), field(&got_fields, "length")) {
        if want != got && first(&want_fields) == first(&got_fields) {
            return format!("`{got}` where tcpdump prints `{want}`{}", hint("length"));
        }
    }
    for (k, want) in want_fields.iter().enumerate() {
        let key = key(want);
        match got_fields.iter().find(|g| self::key(g) == key) {
            Some(field) if field == want => {}
            Some(field) if key == "the ends" => {
                return format!(
                    "`{field}` where tcpdump prints `{want}`{}",
                    ends_hint(want, field)
                );
            }
            Some(field) => return format!("`{field}` where tcpdump prints `{want}`{}", hint(key)),
            None if k == 0 => return format!("the line starts `{}`", start(got)),
            None => {
                return format!(
                    "no `{key}` field where tcpdump prints `{want}`{}",
                    hint(key)
                );
            }
        }
    }
    match got_fields
        .iter()
        .find(|g| !want_fields.iter().any(|w| key(w) == key(g)))
    {
        Some(extra) => format!(
            "`{extra}`, which tcpdump does not print on this line{}",
            hint(key(extra))
        ),
        None => "the fields come in another order than tcpdump's".to_string(),
    }
}

/// A line's fields: what comes before the first `: ` (the protocol and both ends), then
/// each `, `-separated field outside brackets (`options [mss 1460,nop]` is one).
fn fields(line: &str) -> Vec<&str> {
    let (ends, rest) = line.split_once(": ").unwrap_or((line, ""));
    let mut fields = vec![ends];
    let (mut depth, mut from) = (0i32, 0);
    let bytes = rest.as_bytes();
    for (at, &b) in bytes.iter().enumerate() {
        match b {
            b'[' | b'{' => depth += 1,
            b']' | b'}' => depth -= 1,
            b',' if depth == 0 && bytes.get(at + 1) == Some(&b' ') => {
                fields.push(&rest[from..at]);
                from = at + 2;
            }
            _ => {}
        }
    }
    if from < rest.len() {
        fields.push(&rest[from..]);
    }
    fields
}

/// The field named `name` among `fields`.
fn field<'a>(fields: &[&'a str], name: &str) -> Option<&'a str> {
    fields.iter().find(|f| key(f) == name).copied()
}

/// A field's name: its first word (`Flags`, `seq`, `options`...), or the line's ends.
fn key(field: &str) -> &str {
    if field.contains(" > ") || field.starts_with("IP") {
        return "the ends";
    }
    field.split(' ').next().unwrap_or(field)
}

fn start(line: &str) -> &str {
    line.split(": ").next().unwrap_or(line)
}

/// Why a line's ends may differ from tcpdump's: the same addresses with other ports is a
/// TCP header read from the wrong place.
fn ends_hint(wanted: &str, got: &str) -> &'static str {
    let addresses = |ends: &str| -> Vec<String> {
        ends.split(' ')
            .filter_map(|end| end.rsplit_once('.').map(|(address, _)| address.to_string()))
            .collect()
    };
    if addresses(wanted) == addresses(got) {
        " (the ports are the TCP header's first 4 bytes, and the TCP header starts where the \
         IP header ends: at its length, the low 4 bits of its first byte times 4, more than \
         20 when it carries options)"
    } else {
        " (each address as tcpdump writes it: IPv4 dotted, IPv6 compressed as Ipv6Addr \
         prints it; then `.` and the port)"
    }
}

/// What tcpdump does with a field, where a mistake there is common.
fn hint(key: &str) -> &'static str {
    match key {
        "Flags" => {
            " (tcpdump writes the flags in the order FSRP.UEW: FIN, SYN, RST, PSH, ACK, \
             URG, then E for ECE and W for CWR)"
        }
        "seq" | "ack" => {
            " (tcpdump's relative numbers: counted from each side's initial number as the \
             connection's first segment with ACK shows it; a segment without ACK, and the \
             first with it, print theirs as they are; `seq` only on segments with data, \
             SYN, FIN or RST)"
        }
        "length" => {
            " (the length on the wire: the IP header's length less the IP and TCP headers, \
             not the bytes the capture kept)"
        }
        "options" => {
            " (each option as tcpdump names it; SACK blocks relative to the receiver's \
             initial number, like its acks)"
        }
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_field_that_differs() {
        let want =
            "IP 1.2.3.4.5 > 6.7.8.9.10: Flags [SEW], seq 1, win 9, options [mss 1,nop], length 0";
        let got =
            "IP 1.2.3.4.5 > 6.7.8.9.10: Flags [S], seq 1, win 9, options [mss 1,nop], length 0";
        assert!(
            what_differs(want, got).starts_with("`Flags [S]` where tcpdump prints `Flags [SEW]`")
        );
        let got = "IP 1.2.3.4.5 > 6.7.8.9.10: Flags [SEW], win 9, options [mss 1,nop], length 0";
        assert!(what_differs(want, got).starts_with("no `seq` field"));
        let want = "IP 1.2.3.4.5 > 6.7.8.9.10: Flags [.], ack 1, win 9, length 0";
        let got = "IP 1.2.3.4.5 > 6.7.8.9.10: Flags [.], seq 7, ack 1, win 9, length 0";
        assert!(what_differs(want, got).starts_with("`seq 7`, which tcpdump does not print"));
        let want = "IP6 ::1.5 > ::1.6: Flags [.], ack 1, win 9, length 0";
        assert_eq!(
            what_differs(want, "ethertype 0x86dd, not IP"),
            "the line starts `ethertype 0x86dd, not IP`"
        );
        let want = "IP 1.2.3.4.5 > 6.7.8.9.10: Flags [P.], seq 1:7301, ack 1, win 9, length 7300";
        let got = "IP 1.2.3.4.5 > 6.7.8.9.10: Flags [P.], seq 1:7, ack 1, win 9, length 6";
        assert!(
            what_differs(want, got).starts_with("`length 6` where tcpdump prints `length 7300`")
        );
        let got = "IP 1.2.3.4.1799 > 6.7.8.9.2175:  tcp 32 [bad hdr length 16 - too short, < 20]";
        assert!(what_differs(want, got).contains("the TCP header starts where the IP header ends"));
    }

    #[test]
    fn finds_the_first_line_that_differs() {
        assert_eq!(first_different_line(&["a", "b"], b"a\nb\n"), None);
        assert_eq!(
            first_different_line(&["a", "b"], b"a\nc\n"),
            Some((2, "b", Some("c".to_string())))
        );
        assert_eq!(
            first_different_line(&["a", "b"], b"a\n"),
            Some((2, "b", None))
        );
    }
}
