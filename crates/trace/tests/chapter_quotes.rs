//! The tcp_trace chapter quotes its recordings, and the quotes stay true: each block
//! after a `<!-- quoted: SOURCE -->` line holds lines of SOURCE, in its order (a stored
//! `.txt`, or what a `tcpdump ...` command prints now, where tcpdump is installed). A
//! quoted line may be broken at a space with its continuation indented four spaces,
//! and cut with `...` where the page has no room. And the stored `.tcpdump.txt` files
//! are what tcpdump prints today from the pcap files beside them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const CHAPTER: &str = "tcp_trace.md";
const STORED: [(&str, &str); 2] = [
    ("transfer.pcap", "transfer.tcpdump.txt"),
    ("zero_window.pcap", "zero_window.tcpdump.txt"),
];

fn book_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../book/src")
}

fn tcpdump_installed() -> bool {
    Command::new("tcpdump")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// What tcpdump prints with `args`, run in book/src (its lines on stdout only).
fn tcpdump(args: &[&str]) -> String {
    let output = Command::new("tcpdump")
        .args(args)
        .current_dir(book_src())
        .output()
        .expect("tcpdump could not be started");
    assert!(
        output.status.success(),
        "tcpdump {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("tcpdump prints text")
}

/// A quoted block: the source named on its mark, and the block's lines joined back
/// into whole ones (a line indented four spaces continues the line before).
struct Quote {
    source: String,
    line: usize,
    lines: Vec<String>,
}

fn quotes(chapter: &str) -> Vec<Quote> {
    let mut found = Vec::new();
    let mut lines = chapter.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let Some(source) = line
            .strip_prefix("<!-- quoted: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        let fence = lines.next().map(|(_, l)| l);
        assert!(
            fence.is_some_and(|f| f.starts_with("```")),
            "{CHAPTER}:{}: a `quoted:` mark must stand right above a code block",
            n + 1
        );
        let mut joined: Vec<String> = Vec::new();
        for (_, line) in lines.by_ref() {
            if line.starts_with("```") {
                break;
            }
            match (line.strip_prefix("    "), joined.last_mut()) {
                (Some(rest), Some(last)) => {
                    last.push(' ');
                    last.push_str(rest);
                }
                _ => joined.push(line.to_string()),
            }
        }
        found.push(Quote {
            source: source.to_string(),
            line: n + 1,
            lines: joined,
        });
    }
    found
}

/// Whether `quoted` stands for `real`: the same, or, cut with `...`, its pieces found
/// in it in order.
fn stands_for(quoted: &str, real: &str) -> bool {
    let mut rest = real;
    for piece in quoted.split("...").map(str::trim).filter(|p| !p.is_empty()) {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    quoted.contains("...") || quoted == real
}

/// The quoted lines that are not lines of `source`, in its order: none when the quote
/// is true. A line of `...` alone skips any number of lines.
fn untrue_lines(quote: &Quote, source: &str) -> Vec<String> {
    let real: Vec<&str> = source.lines().collect();
    let mut next = 0;
    let mut wrong = Vec::new();
    for quoted in quote.lines.iter().filter(|l| l.trim() != "...") {
        match (next..real.len()).find(|&i| stands_for(quoted, real[i])) {
            Some(i) => next = i + 1,
            None => wrong.push(quoted.clone()),
        }
    }
    wrong
}

#[test]
fn the_chapter_quotes_its_recordings_as_they_are() {
    let text = fs::read_to_string(book_src().join(CHAPTER)).expect("the chapter is there");
    let found = quotes(&text);
    assert!(found.len() >= 5, "the chapter's quotes were not found");
    let mut problems = Vec::new();
    for quote in &found {
        let source = if let Some(command) = quote.source.strip_prefix("tcpdump ") {
            if !tcpdump_installed() {
                eprintln!("skipped the quote at {CHAPTER}:{}: no tcpdump", quote.line);
                continue;
            }
            tcpdump(&command.split_whitespace().collect::<Vec<_>>())
        } else {
            let path = book_src().join(&quote.source);
            fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        };
        for line in untrue_lines(quote, &source) {
            problems.push(format!(
                "{CHAPTER}:{}: not a line of {} (or out of its order):\n  {line}",
                quote.line, quote.source
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_stored_tcpdump_lines_are_tcpdumps_today() {
    if !tcpdump_installed() {
        eprintln!("skipped: tcpdump is not installed here");
        return;
    }
    for (pcap, stored) in STORED {
        let path = Path::new("tcp_trace").join(pcap);
        let now = tcpdump(&["-n", "-t", "-r", path.to_str().expect("a UTF-8 path")]);
        let kept = fs::read_to_string(book_src().join("tcp_trace").join(stored)).unwrap();
        assert_eq!(
            kept, now,
            "book/src/tcp_trace/{stored} is not what `tcpdump -n -t -r {pcap}` prints"
        );
    }
}

#[test]
fn a_quote_is_checked_line_by_line_in_order() {
    let source = "alpha one\nbeta two three\ngamma\n";
    let quote = |lines: &[&str]| Quote {
        source: String::new(),
        line: 1,
        lines: lines.iter().map(|l| l.to_string()).collect(),
    };
    assert!(untrue_lines(&quote(&["alpha one", "...", "gamma"]), source).is_empty());
    assert!(untrue_lines(&quote(&["beta ... three"]), source).is_empty());
    assert_eq!(
        untrue_lines(&quote(&["gamma", "alpha one"]), source),
        ["alpha one"]
    );
    assert_eq!(untrue_lines(&quote(&["alpha"]), source), ["alpha"]);
    assert_eq!(
        untrue_lines(&quote(&["beta ... one"]), source),
        ["beta ... one"]
    );
    let wrapped = "<!-- quoted: x -->\n```text\nbeta two\n    three\n```\n";
    assert_eq!(quotes(wrapped)[0].lines, ["beta two three"]);
}
