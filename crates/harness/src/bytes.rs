//! Bytes shown one way in every failure message: the length, then the bytes as escaped
//! text (UTF-8 characters as they are, `\n` and other controls escaped, bytes that are not
//! UTF-8 as `\xff`), and for long data a window around the first difference.

/// How many bytes a message quotes in full; longer data is shown as a window.
pub(crate) const QUOTE_LIMIT: usize = 64;
/// Bytes shown on each side of the first difference.
const WINDOW: usize = 16;

/// Bytes as text a person can read and a terminal cannot be confused by: valid UTF-8
/// characters as they are (`é`, `🦀`), quotes, backslashes and control characters escaped
/// (`\"`, `\n`, `\u{1b}`), and each byte that is not UTF-8 as `\xNN`.
pub fn escape(bytes: &[u8]) -> String {
    let mut text = String::new();
    for chunk in bytes.utf8_chunks() {
        text.extend(chunk.valid().chars().flat_map(char::escape_debug));
        for byte in chunk.invalid() {
            text.push_str(&format!("\\x{byte:02x}"));
        }
    }
    text
}

/// Text that came from a submission (a panic line, a compile error, a file name), made
/// safe to show in any report: control characters (C0 but newline and tab, DEL, C1: ESC,
/// CR, backspace, bell, what a terminal obeys) and the invisible characters that reorder
/// or hide text (bidi overrides and isolates, zero-width space, line separators, BOM)
/// escaped as `\u{1b}`; everything else, backslashes included, as it is, so escaping twice
/// changes nothing. One function for every format: a table, Markdown, XML and JSON all
/// show the same text.
pub fn printable(text: &str) -> String {
    escape_chars(text, |c| c == '\n' || c == '\t')
}

/// [`printable`] for text that must stay on one line (a name, a path): newlines and tabs
/// escaped too, so a name cannot start a row of its own.
pub fn printable_line(text: &str) -> String {
    escape_chars(text, |_| false)
}

fn escape_chars(text: &str, keep: impl Fn(char) -> bool) -> String {
    if !text.chars().any(|c| hidden(c) && !keep(c)) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match hidden(c) && !keep(c) {
            true => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            false => out.push(c),
        }
    }
    out
}

/// A character a reader cannot see but a terminal, an editor or a browser acts on.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
        )
}

/// `5 bytes "hello"`, `0 bytes`, `70000 bytes starting "abc..."`.
pub fn show(bytes: &[u8]) -> String {
    match bytes.len() {
        0 => "0 bytes".to_string(),
        1 => format!("1 byte \"{}\"", escape(bytes)),
        n if n <= QUOTE_LIMIT => format!("{n} bytes \"{}\"", escape(bytes)),
        n => format!("{n} bytes starting \"{}\"...", escape(&bytes[..WINDOW * 2])),
    }
}

/// Where `got` first differs from `wanted`, or None when they are the same.
pub fn first_difference(wanted: &[u8], got: &[u8]) -> Option<usize> {
    if wanted == got {
        return None;
    }
    Some(
        wanted
            .iter()
            .zip(got)
            .position(|(a, b)| a != b)
            .unwrap_or(wanted.len().min(got.len())),
    )
}

/// The bytes of `bytes` around offset `at`, escaped: `...abc[d]ef...`.
pub(crate) fn window(bytes: &[u8], at: usize) -> String {
    let start = at.saturating_sub(WINDOW);
    let end = (at + WINDOW).min(bytes.len());
    let at = at.min(bytes.len());
    format!(
        "{}\"{}[{}]{}\"{}",
        if start > 0 { "..." } else { "" },
        escape(&bytes[start..at]),
        escape(&bytes[at..(at + 1).min(end)]),
        escape(&bytes[(at + 1).min(end)..end]),
        if end < bytes.len() { "..." } else { "" },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_bytes_are_quoted_escaped() {
        assert_eq!(show(b""), "0 bytes");
        assert_eq!(show(b"a\n\xff"), "3 bytes \"a\\n\\xff\"");
        assert_eq!(escape("é\"\u{1b}".as_bytes()), "é\\\"\\u{1b}");
    }

    #[test]
    fn submitted_text_cannot_steer_a_terminal_or_forge_a_line() {
        let panic = "\u{1b}[2J\u{1b}[H\rall | 134/134\u{8}\u{7}\u{7f}\u{9b}31m\u{202e}txt.exe";
        let shown = printable(panic);
        assert_eq!(
            shown,
            "\\u{1b}[2J\\u{1b}[H\\u{d}all | 134/134\\u{8}\\u{7}\\u{7f}\\u{9b}31m\\u{202e}txt.exe"
        );
        assert_eq!(printable(&shown), shown, "escaping twice changes nothing");
        assert_eq!(printable("a\n\tb é 🦀"), "a\n\tb é 🦀");
        assert_eq!(printable_line("a\nb\tc"), "a\\u{a}b\\u{9}c");
    }
}
