//! Assertions on a finished run that fail with a message a student can act on: which line
//! or exit code was expected, what the program printed instead, and the run itself.

use crate::bytes::{QUOTE_LIMIT, first_difference, show, window};
use crate::check::Failure;
use crate::memory;
use crate::output::Output;

/// The program exited with `code` (and was not killed).
pub fn exit_code(output: &Output, code: i32, why: &str) -> Result<(), Failure> {
    if output.code() == Some(code) && !output.timed_out {
        return Ok(());
    }
    Err(Failure::expected(format!("exit code {code} ({why})"), output.ending()).with_run(output))
}

/// Stdout has the line `wanted`, exactly. When it is missing, the failure quotes the line
/// that starts the same way (up to its first `:`), which is usually the one that is wrong.
pub fn line(output: &Output, wanted: &str, why: &str) -> Result<(), Failure> {
    let lines = output.stdout_lines();
    if lines.iter().any(|l| l == wanted) {
        return Ok(());
    }
    let label = wanted.split_once(':').map_or(wanted, |(label, _)| label);
    let got = match lines.iter().find(|l| l.starts_with(label)) {
        Some(near) => format!("{near:?}"),
        None => format!("no line starting with {label:?}"),
    };
    Err(Failure::expected(format!("the line {wanted:?} ({why})"), got).with_run(output))
}

/// Stdout has every line of `wanted`, in that order (other lines may come between).
pub fn lines_in_order(output: &Output, wanted: &[String], why: &str) -> Result<(), Failure> {
    for w in wanted {
        line(output, w, why)?;
    }
    let lines = output.stdout_lines();
    let positions: Vec<usize> = wanted
        .iter()
        .filter_map(|w| lines.iter().position(|l| l == w))
        .collect();
    match positions.windows(2).position(|pair| pair[0] > pair[1]) {
        None => Ok(()),
        Some(i) => Err(Failure::expected(
            format!("{:?} before {:?} ({why})", wanted[i], wanted[i + 1]),
            "them the other way round",
        )
        .with_run(output)),
    }
}

/// Stdout has no line starting with `prefix`.
pub fn no_line_starting(output: &Output, prefix: &str, why: &str) -> Result<(), Failure> {
    match output
        .stdout_lines()
        .into_iter()
        .find(|l| l.starts_with(prefix))
    {
        None => Ok(()),
        Some(extra) => Err(Failure::expected(
            format!("no line starting with {prefix:?} ({why})"),
            format!("{extra:?}"),
        )
        .with_run(output)),
    }
}

/// Stderr has a line starting with `prefix`.
pub fn stderr_line_starting(output: &Output, prefix: &str, why: &str) -> Result<(), Failure> {
    if output.stderr_text().lines().any(|l| l.starts_with(prefix)) {
        return Ok(());
    }
    Err(Failure::expected(
        format!("a line on stderr starting with {prefix:?} ({why})"),
        "no such line",
    )
    .with_run(output))
}

/// Stdout is exactly `wanted`, byte for byte: no line missing, none extra, the final
/// newline included. The failure shows where the first difference is.
pub fn stdout_is(output: &Output, wanted: &[u8], why: &str) -> Result<(), Failure> {
    same_bytes(&format!("stdout ({why})"), wanted, &output.stdout)
        .map_err(|failure| failure.with_run(output))
}

/// A usage error: exit code 2 and a `usage: <bin> ...` line on stderr.
pub fn usage_error(output: &Output, bin: &str, why: &str) -> Result<(), Failure> {
    exit_code(output, 2, why)?;
    stderr_line_starting(
        output,
        &format!("usage: {bin}"),
        "tell the user how to call it",
    )
}

/// A clean error: exit code 1 and a line on stderr starting `error: ` (a panic is caught
/// by the check runner whatever the check looks at).
pub fn clean_error(output: &Output, why: &str) -> Result<(), Failure> {
    exit_code(output, 1, why)?;
    stderr_line_starting(output, "error: ", "errors go to stderr as `error: ...`")
}

/// Stdout is exactly the lines `wanted`, each ended by `\n`, byte for byte (as
/// [`stdout_is`], for output made of lines). The failure names the first line that
/// differs, or the missing final newline, or what came after the last line, with lines
/// quoted the way [`crate::bytes::escape`] shows bytes.
pub fn stdout_lines_exact(output: &Output, wanted: &[Vec<u8>], why: &str) -> Result<(), Failure> {
    let whole: Vec<u8> = wanted
        .iter()
        .flat_map(|line| line.iter().copied().chain([b'\n']))
        .collect();
    let got = &output.stdout;
    if *got == whole {
        return Ok(());
    }
    let last = wanted.last().map_or(String::new(), |l| quote_line(l));
    let (expected, found) = if whole.strip_suffix(b"\n") == Some(&got[..]) {
        (
            format!("a newline after the last line {last} too ({why})"),
            "stdout ends without it (print! where println! was meant?)".to_string(),
        )
    } else if let Some(more) = got.strip_prefix(&whole[..]) {
        (
            format!("nothing after the last line {last} ({why})"),
            format!("more output: {}", show(more)),
        )
    } else {
        let got_lines: Vec<&[u8]> = got.split_inclusive(|&b| b == b'\n').collect();
        let wanted_lines: Vec<&[u8]> = whole.split_inclusive(|&b| b == b'\n').collect();
        let k = (0..)
            .find(|&k| got_lines.get(k) != wanted_lines.get(k))
            .unwrap_or_default();
        let wanted_line = wanted_lines.get(k).map_or(&[][..], |l| &l[..l.len() - 1]);
        let found = match got_lines.get(k) {
            None => format!("stdout ends after line {k}"),
            Some(line) => match line.strip_suffix(b"\n") {
                Some(text) => quote_line(text),
                None => format!("{} and no newline after it", quote_line(line)),
            },
        };
        (
            format!(
                "line {} of stdout to be {} ({why})",
                k + 1,
                quote_line(wanted_line)
            ),
            found,
        )
    };
    Err(Failure::expected(expected, found).with_run(output))
}

/// A line quoted as every failure shows text: UTF-8 as it is, the rest escaped.
fn quote_line(line: &[u8]) -> String {
    format!("\"{}\"", crate::bytes::escape(line))
}

/// `what` must be exactly `wanted`. The failure gives both lengths and, for long data,
/// the bytes around the first difference in each.
pub fn same_bytes(what: &str, wanted: &[u8], got: &[u8]) -> Result<(), Failure> {
    let Some(at) = first_difference(wanted, got) else {
        return Ok(());
    };
    if wanted.len() <= QUOTE_LIMIT && got.len() <= QUOTE_LIMIT {
        return Err(Failure::expected(
            format!("{what}: {}", show(wanted)),
            show(got),
        ));
    }
    let got_text = if at >= got.len() {
        format!(
            "{} bytes: the first {at} are right, then it ends",
            got.len()
        )
    } else {
        format!(
            "{} bytes, the first difference at byte {at}: {} where {} was expected",
            got.len(),
            window(got, at),
            window(wanted, at)
        )
    };
    Err(Failure::expected(
        format!("{what}: {} bytes, identical to what was sent", wanted.len()),
        got_text,
    ))
}

/// A program moving a big file kept its peak memory (`peak`, from [`memory::peak_rss`]) under
/// `limit`; `doing` says what it was doing ("sending a 64 MiB file"), `how` how to stay
/// under (`copy it through a buffer: std::io::copy`). Passes where memory cannot be read
/// at all ([`memory::supported`]); a reading that is missing where it can be read fails.
pub fn peak_memory_under(
    peak: Option<u64>,
    limit: u64,
    doing: &str,
    how: &str,
) -> Result<(), Failure> {
    if !memory::supported() {
        return Ok(());
    }
    match peak {
        Some(peak) if peak < limit => Ok(()),
        Some(peak) => Err(Failure::expected(
            format!(
                "peak memory under {} while {doing} ({how})",
                memory::mib(limit)
            ),
            format!("{} (VmHWM)", memory::mib(peak)),
        )),
        None => Err(Failure::new(format!(
            "the program's memory could not be read while {doing}: did it exit?"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_data_shows_a_window_at_the_first_difference() {
        let wanted = vec![b'a'; 1000];
        let mut got = wanted.clone();
        got[500] = b'b';
        let message = same_bytes("the file", &wanted, &got)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("first difference at byte 500"),
            "{message}"
        );
        assert!(message.contains("[b]"), "{message}");
        let short = same_bytes("the file", &wanted, &wanted[..10])
            .unwrap_err()
            .to_string();
        assert!(
            short.contains("the first 10 are right, then it ends"),
            "{short}"
        );
        assert!(same_bytes("x", b"abc", b"abc").is_ok());
    }
}
