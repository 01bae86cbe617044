//! How a command line is shown in a failure (`ran: prog 'a b' $'c\td'`): each argument
//! quoted the way a shell reads it back, so that a student can paste the line and run it.

use std::ffi::OsStr;

/// Quote an argument for display the way a shell would read it back: as it is, in single
/// quotes, or, holding a control character or bytes that are not UTF-8, in bash's `$'...'`
/// with escapes (a tab shown as `\t`, not as blank space; a bad byte as `\xff`, not `�`).
pub(crate) fn shell_quote(arg: &OsStr) -> String {
    let bytes = arg.as_encoded_bytes();
    let Ok(text) = std::str::from_utf8(bytes) else {
        return ansi_c_quote(bytes);
    };
    if text.chars().any(char::is_control) {
        return ansi_c_quote(bytes);
    }
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || "-_./:=@,+%".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// `$'...'`: text as it is but for escapes of control characters, quotes, backslashes
/// and bytes that are not UTF-8.
fn ansi_c_quote(bytes: &[u8]) -> String {
    let mut out = String::from("$'");
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\t' => out.push_str(r"\t"),
                '\n' => out.push_str(r"\n"),
                '\r' => out.push_str(r"\r"),
                '\\' | '\'' => {
                    out.push('\\');
                    out.push(c);
                }
                c if c.is_control() => {
                    let mut buf = [0u8; 4];
                    for byte in c.encode_utf8(&mut buf).bytes() {
                        out.push_str(&format!("\\x{byte:02x}"));
                    }
                }
                c => out.push(c),
            }
        }
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::shell_quote;
    use std::ffi::OsStr;

    #[test]
    fn arguments_quoted_as_a_shell_reads_them() {
        assert_eq!(shell_quote(OsStr::new("plain")), "plain");
        assert_eq!(shell_quote(OsStr::new("a b")), "'a b'");
        assert_eq!(shell_quote(OsStr::new("it's")), r"'it'\''s'");
        assert_eq!(shell_quote(OsStr::new("")), "''");
        assert_eq!(shell_quote(OsStr::new("a\tb'\\")), r"$'a\tb\'\\'");
        assert_eq!(shell_quote(OsStr::new("x\u{1}")), r"$'x\x01'");
    }

    #[cfg(unix)]
    #[test]
    fn bytes_that_are_not_utf8_shown_as_escapes() {
        use std::os::unix::ffi::OsStrExt;
        assert_eq!(
            shell_quote(OsStr::from_bytes(b"ab\xffcd\xc3")),
            r"$'ab\xffcd\xc3'"
        );
    }
}
