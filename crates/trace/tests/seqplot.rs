//! seqplot draws the book's time-sequence diagrams: each SVG in book/src/tcp_trace/ is
//! what seqplot makes of the pcap beside it today, byte for byte (`NETLAB_BLESS=1 cargo
//! test -p trace --test seqplot` writes them again; then look at them). And seqplot's
//! errors are words and exit codes, never a panic or a diagram of nothing.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The chapter's captures, each with its diagram: (pcap, svg).
const DIAGRAMS: [(&str, &str); 2] = [
    ("transfer.pcap", "transfer.svg"),
    ("zero_window.pcap", "zero_window.svg"),
];

fn captures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../book/src/tcp_trace")
}

fn seqplot(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seqplot"))
        .args(args)
        .output()
        .expect("seqplot could not be started")
}

/// Where two texts first differ, as a line number and both lines.
fn first_difference(want: &str, got: &str) -> String {
    let (mut want_lines, mut got_lines) = (want.lines(), got.lines());
    for n in 1.. {
        match (want_lines.next(), got_lines.next()) {
            (None, None) => break,
            (w, g) if w == g => continue,
            (w, g) => {
                return format!(
                    "line {n}:\n  committed: {}\n  seqplot:   {}",
                    w.unwrap_or("(the file ends)"),
                    g.unwrap_or("(the output ends)")
                );
            }
        }
    }
    "the same lines, different line endings".to_string()
}

#[test]
fn the_books_diagrams_are_what_seqplot_draws_from_their_captures() {
    let dir = captures_dir();
    let bless = std::env::var_os("NETLAB_BLESS").is_some();
    let mut stale = Vec::new();
    for (pcap, svg) in DIAGRAMS {
        let output = seqplot(&[dir.join(pcap).as_os_str()]);
        assert!(
            output.status.success(),
            "seqplot {pcap} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let drawn = String::from_utf8(output.stdout).expect("seqplot writes UTF-8");
        assert!(drawn.starts_with("<svg ") && drawn.trim_end().ends_with("</svg>"));
        let path = dir.join(svg);
        let committed = fs::read_to_string(&path).unwrap_or_default();
        if committed == drawn {
            continue;
        }
        if bless {
            fs::write(&path, &drawn).expect("the diagram can be written");
            eprintln!("wrote {}", path.display());
        } else {
            stale.push(format!(
                "book/src/tcp_trace/{svg} is not what seqplot draws from {pcap}; first \
                 difference at {}",
                first_difference(&committed, &drawn)
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "{}\n\nIf seqplot is right, `NETLAB_BLESS=1 cargo test -p trace --test seqplot` \
         writes the diagrams again; open them in a browser before committing.",
        stale.join("\n")
    );
}

#[test]
fn the_same_capture_gives_the_same_bytes() {
    let pcap = captures_dir().join("zero_window.pcap");
    let first = seqplot(&[pcap.as_os_str()]);
    let second = seqplot(&[pcap.as_os_str()]);
    assert!(first.status.success());
    assert_eq!(first.stdout, second.stdout);
}

#[test]
fn the_diagram_shows_the_episode_it_was_drawn_from() {
    let pcap = captures_dir().join("zero_window.pcap");
    let drawn = String::from_utf8(seqplot(&[pcap.as_os_str()]).stdout).unwrap();
    for wanted in [
        "window probe from 127.0.0.1:",
        "zero window advertised",
        ">SYN<",
        ">FIN<",
        "time since the first segment (ms)",
    ] {
        assert!(drawn.contains(wanted), "no {wanted:?} in the diagram");
    }
    let transfer = captures_dir().join("transfer.pcap");
    let drawn = String::from_utf8(seqplot(&[transfer.as_os_str()]).stdout).unwrap();
    assert!(
        !drawn.contains("zero window"),
        "the transfer had no zero window"
    );
    assert!(!drawn.contains("window probe"), "the transfer had no probe");
}

#[test]
fn a_port_picks_the_connection_and_a_missing_one_is_an_error() {
    let pcap = captures_dir().join("transfer.pcap");
    let by_port = seqplot(&["--port".as_ref(), "8000".as_ref(), pcap.as_os_str()]);
    let first = seqplot(&[pcap.as_os_str()]);
    assert!(by_port.status.success());
    assert_eq!(by_port.stdout, first.stdout);
    let missing = seqplot(&["--port".as_ref(), "9".as_ref(), pcap.as_os_str()]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(missing.stdout.is_empty());
    let said = String::from_utf8_lossy(&missing.stderr);
    assert!(
        said.contains("no TCP segment") && said.contains("port 9"),
        "{said}"
    );
}

#[test]
fn bad_input_is_an_error_in_words() {
    let scratch = std::env::temp_dir().join(format!("seqplot-test-{}", std::process::id()));
    fs::create_dir_all(&scratch).unwrap();
    let text = scratch.join("notes.pcap");
    fs::write(&text, "not a capture at all, just words\n").unwrap();
    let whole = fs::read(captures_dir().join("transfer.pcap")).unwrap();
    let cut = scratch.join("cut.pcap");
    fs::write(&cut, &whole[..whole.len() - 30]).unwrap();
    let missing = scratch.join("missing.pcap");

    let not_pcap = seqplot(&[text.as_os_str()]);
    let cut_short = seqplot(&[cut.as_os_str()]);
    let absent = seqplot(&[missing.as_os_str()]);
    let usage = seqplot(&[]);
    let bad_port = seqplot(&["--port".as_ref(), "http".as_ref(), cut.as_os_str()]);
    fs::remove_dir_all(&scratch).unwrap();

    assert_eq!(not_pcap.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&not_pcap.stderr).contains("is not a pcap file"));
    // A file cut short: the diagram of what came before, and the error all the same.
    assert_eq!(cut_short.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&cut_short.stderr).contains("cut short"));
    assert!(String::from_utf8_lossy(&cut_short.stdout).contains("</svg>"));
    assert_eq!(absent.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&absent.stderr).contains("cannot read"));
    for run in [usage, bad_port] {
        assert_eq!(run.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&run.stderr).starts_with("usage: seqplot"));
    }
}
