//! `NETLAB_TRACE=DIR`: a check's whole run captured on its network's loopback and saved
//! as `DIR/<check>.pcap`, and the words a failure ends with: where the file is and the
//! last frames, one line each, so that what went over the wire is in front of the student
//! when the check says something went wrong.

use std::io;
use std::path::{Path, PathBuf};

use super::{Capture, Frame, Recording, segment_line};

/// The most frames a failure shows: the end of the exchange, where it went wrong.
const LINES_SHOWN: usize = 8;
/// The label of the failure's paragraph, right-aligned with `expected:`, `ran:`, `seed:`.
const LABEL: &str = "    wire: ";
const INDENT: &str = "          ";

/// One check's capture, from before the check starts to after it ended.
pub(crate) struct CheckCapture {
    file: PathBuf,
    capture: io::Result<Capture>,
}

/// Start capturing the calling thread's network (the check's) for the check `check`,
/// whose file goes in `dir`.
pub(crate) fn start(dir: &Path, check: &str) -> CheckCapture {
    // A path that stays right however the student runs `cargo test` (its tests run in
    // the package's folder, not where they typed the command).
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    CheckCapture {
        file: dir.join(format!("{}.pcap", file_stem(check))),
        capture: Capture::start(),
    }
}

impl CheckCapture {
    /// Stop, write the file, and return the paragraph a failure of the check ends with.
    pub(crate) fn save(self) -> String {
        let recording = match self.capture.and_then(Capture::stop) {
            Ok(recording) => recording,
            Err(e) => {
                return format!("{LABEL}no capture: the check's loopback could not be read ({e})");
            }
        };
        let written = self
            .file
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&self.file, super::pcap_file(&recording.frames)));
        paragraph(&self.file, &recording, written.err())
    }
}

/// `    wire: 12 frames in DIR/check.pcap (...); the last 8, ...:` and the lines.
fn paragraph(file: &Path, recording: &Recording, unwritten: Option<io::Error>) -> String {
    let path = file.display();
    let frames = &recording.frames;
    let lost = match recording.lost {
        0 => String::new(),
        lost => format!(" ({lost} more lost: the capture fell behind)"),
    };
    let mut text = match (&unwritten, frames.len()) {
        (Some(e), _) => format!("{LABEL}the capture could not be saved in {path} ({e}){lost}"),
        (None, 0) => {
            format!("{LABEL}{path} is empty: nothing went over the check's loopback{lost}")
        }
        (None, count) => format!(
            "{LABEL}{count} frame{} on the check's loopback{lost}, in {path} (`tcpdump -n -r \
             FILE` reads it)",
            if count == 1 { "" } else { "s" }
        ),
    };
    if frames.is_empty() {
        return text;
    }
    let shown = &frames[frames.len().saturating_sub(LINES_SHOWN)..];
    text.push_str(&match shown.len() < frames.len() {
        true => format!("; the last {}, in seconds since the first:", shown.len()),
        false => "; each, in seconds since the first:".to_string(),
    });
    for frame in shown {
        let since = frame.nanos.saturating_sub(frames[0].nanos) as f64 / 1e9;
        text.push_str(&format!("\n{INDENT}{since:.6} {}", line(frame)));
    }
    text
}

/// One frame's line, cut where a failure's line would grow too long to read.
fn line(frame: &Frame) -> String {
    const WIDEST: usize = 160;
    let line = segment_line(frame);
    match line.char_indices().nth(WIDEST) {
        Some((cut, _)) => format!("{}...", &line[..cut]),
        None => line,
    }
}

/// The check's name as a file name: names are identifiers, but a `/` must not make a
/// folder of it.
fn file_stem(check: &str) -> String {
    check
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '_' | '-' | '.' => c,
            _ => '_',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn udp(nanos: u64) -> Frame {
        let mut data = vec![0u8; 12];
        data.extend([0x08, 0x00, 0x45, 0, 0, 29, 0, 0, 0x40, 0, 64, 17, 0, 0]);
        data.extend([127, 0, 0, 1, 127, 0, 0, 1]);
        data.extend([0x1f, 0x40, 0x1f, 0x41, 0, 9, 0, 0, b'x']);
        Frame {
            nanos,
            wire_len: data.len() as u32,
            data,
        }
    }

    #[test]
    fn a_failure_shows_the_file_and_the_last_eight_frames_since_the_first() {
        let recording = Recording {
            frames: (0..10).map(|i| udp(1_000_000_000 + i * 2000)).collect(),
            lost: 0,
        };
        let text = paragraph(Path::new("/tmp/t/c.pcap"), &recording, None);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "    wire: 10 frames on the check's loopback, in /tmp/t/c.pcap (`tcpdump -n -r \
             FILE` reads it); the last 8, in seconds since the first:"
        );
        assert_eq!(lines.len(), 9);
        assert_eq!(
            lines[1],
            "          0.000004 IP 127.0.0.1.8000 > 127.0.0.1.8001: UDP, length 1"
        );
        assert!(lines[8].starts_with("          0.000018 IP"), "{text}");
    }

    #[test]
    fn nothing_on_the_wire_and_losses_are_said() {
        let empty = Recording::default();
        assert_eq!(
            paragraph(Path::new("/d/c.pcap"), &empty, None),
            "    wire: /d/c.pcap is empty: nothing went over the check's loopback"
        );
        let lossy = Recording {
            frames: vec![udp(5)],
            lost: 3,
        };
        let text = paragraph(Path::new("/d/c.pcap"), &lossy, None);
        assert!(
            text.starts_with(
                "    wire: 1 frame on the check's loopback (3 more lost: the capture fell \
                 behind), in /d/c.pcap (`tcpdump -n -r FILE` reads it); each, in seconds \
                 since the first:\n          0.000000 IP"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_check_name_makes_one_file_name() {
        assert_eq!(file_stem("client_scenarios"), "client_scenarios");
        assert_eq!(file_stem("a/../b c"), "a_.._b_c");
    }
}
