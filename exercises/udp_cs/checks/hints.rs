//! The common mistakes a udp_cs client check can name from what it saw: how a wrong
//! client prints replies (without newlines, Debug-quoted, lossy, trimmed) and how it turns
//! stdin into datagrams (a `\r` kept, an empty line or the last line not sent).

/// Which printing mistake turns `replies` into `got`, if it is a common one.
pub(super) fn print_mistake(replies: &[&[u8]], got: &[u8]) -> Option<&'static str> {
    let concat =
        |f: &dyn Fn(&[u8]) -> Vec<u8>| -> Vec<u8> { replies.iter().flat_map(|r| f(r)).collect() };
    let lossy = |r: &[u8]| -> Vec<u8> {
        let mut v = String::from_utf8_lossy(r).into_owned().into_bytes();
        v.push(b'\n');
        v
    };
    let debug =
        |r: &[u8]| -> Vec<u8> { format!("{:?}\n", String::from_utf8_lossy(r)).into_bytes() };
    let bare = |r: &[u8]| -> Vec<u8> { r.to_vec() };
    let trimmed = |r: &[u8]| -> Vec<u8> {
        let mut v = r.trim_ascii().to_vec();
        v.push(b'\n');
        v
    };
    let trimmed_end = |r: &[u8]| -> Vec<u8> {
        let mut v = r.trim_ascii_end().to_vec();
        v.push(b'\n');
        v
    };
    if got == concat(&bare) {
        Some("each reply is there but not its newline: print the reply, then \"\\n\"")
    } else if got == concat(&debug) {
        Some(
            "the replies came out quoted and escaped, Debug formatting ({:?}): write the \
             bytes themselves (stdout.write_all)",
        )
    } else if got == concat(&lossy) {
        Some(
            "bytes that are not UTF-8 came out as U+FFFD (\\xef\\xbf\\xbd), as \
             String::from_utf8_lossy makes them: write the reply's bytes as they are \
             (stdout.write_all)",
        )
    } else if got == concat(&trimmed) || got == concat(&trimmed_end) {
        Some(
            "the spaces or newline at the end of a reply are part of it: print it without \
             trimming",
        )
    } else {
        None
    }
}

/// Which stdin mistake turns the lines `wanted` into the datagrams `received`, in words.
pub(super) fn sent_mistake(wanted: &[&[u8]], received: &[Vec<u8>]) -> Option<&'static str> {
    let with_cr = received.iter().any(|r| {
        r.strip_suffix(b"\r")
            .is_some_and(|line| wanted.contains(&line))
    });
    let empty_wanted = wanted.iter().any(|w| w.is_empty());
    let empty_sent = received.iter().any(Vec::is_empty);
    if with_cr {
        Some(
            ": a line went out with the \\r of its \\r\\n line end, which is not part of \
             the line (drop a \\r before the \\n too)",
        )
    } else if empty_wanted && !empty_sent {
        Some(": the empty line was not sent (an empty line is an empty datagram)")
    } else if received.len() + 1 == wanted.len() && received.iter().zip(wanted).all(|(r, w)| r == w)
    {
        Some(": all but the last line, which has no line end: it is a line all the same")
    } else {
        None
    }
}
