//! Reading a Rust panic out of a program's stderr, so a failure can say "not written yet"
//! for a starter stopped at `todo!()`, or quote the panic, instead of showing a backtrace.

/// A panic message found on stderr.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Panic {
    /// Where it happened, e.g. `src/bin/echo.rs:20:5`.
    pub location: String,
    /// The panic message, e.g. `not yet implemented: print argc`.
    pub message: String,
}

impl Panic {
    /// Find the first panic in `stderr`. Rust prints
    /// `thread 'main' panicked at FILE:LINE:COL:` and the message on the following line,
    /// continued on indented lines (`assert_eq!`'s `  left: 1`). Other threads print in
    /// between, so an unindented line after the first is theirs, not the message's.
    pub fn find(stderr: &str) -> Option<Panic> {
        let mut lines = stderr.lines();
        let header = lines.by_ref().find(|line| line.contains("panicked at "))?;
        let location = header
            .split_once("panicked at ")
            .map(|(_, rest)| rest.trim_end_matches(':').to_string())
            .unwrap_or_default();
        let first = lines.next().unwrap_or_default();
        let message: Vec<&str> = std::iter::once(first)
            .chain(lines.take_while(|line| line.starts_with([' ', '\t'])))
            .collect();
        // What a program printed: it may hold escape sequences meant for a terminal.
        Some(Panic {
            location: crate::bytes::printable_line(&location),
            message: crate::bytes::printable(&message.join("\n")),
        })
    }

    /// For `todo!()`: the text the starter gave it ("" for a bare `todo!()`).
    pub fn todo_text(&self) -> Option<&str> {
        let rest = self.message.strip_prefix("not yet implemented")?;
        Some(rest.strip_prefix(": ").unwrap_or(rest).trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_todo() {
        let stderr = "thread 'main' panicked at src/bin/echo.rs:20:5:\n\
                      not yet implemented: print argc\n\
                      note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        let panic = Panic::find(stderr).unwrap();
        assert_eq!(panic.location, "src/bin/echo.rs:20:5");
        assert_eq!(panic.todo_text(), Some("print argc"));
    }

    #[test]
    fn other_panics_are_not_todos() {
        let stderr = "thread 'main' panicked at src/main.rs:3:9:\nindex out of bounds\n";
        let panic = Panic::find(stderr).unwrap();
        assert_eq!(panic.message, "index out of bounds");
        assert_eq!(panic.todo_text(), None);
        assert_eq!(Panic::find("error: no such file\n"), None);
    }

    #[test]
    fn keeps_an_assertion_but_not_other_threads() {
        let stderr = "thread '<unnamed>' panicked at src/bin/echo_server.rs:9:5:\n\
                      assertion `left == right` failed\n  left: 1\n right: 2\n\
                      error: 127.0.0.1:9: connection reset\n\
                      note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        let panic = Panic::find(stderr).unwrap();
        assert_eq!(
            panic.message,
            "assertion `left == right` failed\n  left: 1\n right: 2"
        );
    }
}
