//! The checks fed by the model: captures drawn per run from `ctx.rng()` (every class of
//! the matrix's rows in every run, only the values inside a class drawn), written to a
//! folder of the check's own, and tcp_peek's output compared with the lines and the
//! summary the model computed. A failure shows the first line that differs and, in its
//! steps, what each file held.
//!
//! Files of one concept: `talk` (addresses, ports, a connection's numbers), `classes`
//! (the line checks' captures), `cuts` (records and files cut short, lying offsets),
//! `summaries` (`--summary`'s captures), `summary_checks` (what a summary is judged on).

mod classes;
mod cuts;
mod summaries;
mod summary_checks;
mod talk;

use fastrand::Rng;

use crate::model::Capture;
use crate::peek::{lines_of, run_on};
use harness::expect;
use harness::{Ctx, Failure};

pub(crate) use summary_checks::*;

/// What draws one check's captures.
type Builder = fn(&mut Rng) -> Vec<classes::Named>;

/// Every capture the checks draw, by the check that feeds it to tcp_peek, for the
/// maintainer test that prints them with tcpdump (`tests/model_vs_tcpdump.rs`).
pub fn every_capture(rng: &mut Rng) -> Vec<(&'static str, String, Capture)> {
    let builders: [(&'static str, Builder); 17] = [
        ("encodings_read", classes::encodings),
        ("link_types_read", classes::link_types),
        ("ip_headers_read", classes::ip_headers),
        ("flags_printed", classes::flags),
        ("relative_numbers", classes::relative_numbers),
        ("sack_blocks_relative", classes::sack_blocks),
        ("lengths_from_ip_header", classes::lengths),
        ("tcp_options_printed", classes::tcp_options),
        ("snap_length_cuts_marked", cuts::snap_cuts),
        ("bad_data_offsets", cuts::bad_offsets),
        ("other_protocols_lines", classes::other_protocols),
        ("summary_blocks", summaries::blocks),
        ("summary_openers", summaries::openers),
        ("summary_round_trips", summaries::round_trips),
        ("summary_bytes", summaries::bytes),
        ("summary_closes", summaries::closes),
        ("summary_zero_windows", summaries::zero_windows),
    ];
    let mut all = vec![];
    for (check, build) in builders {
        for (name, capture) in build(rng) {
            all.push((check, name, capture));
        }
    }
    all
}

/// The files `cut_files_end_in_error` cuts: (name, bytes, the model's lines of the whole
/// records before the cut), for the maintainer test.
pub fn every_cut_file(rng: &mut Rng) -> Vec<(String, Vec<u8>, Vec<String>)> {
    cuts::cut_files(rng)
        .into_iter()
        .map(|file| {
            let mut lines = file.capture.trace().lines;
            lines.truncate(file.records);
            (file.name, file.bytes, lines)
        })
        .collect()
}

/// Each capture's lines, exactly; `why` says what the captures try.
fn expect_lines(ctx: &Ctx, captures: Vec<classes::Named>, why: &str) -> Result<(), Failure> {
    let dir = tempfile::tempdir()?;
    for (name, capture) in captures {
        let trace = capture.trace();
        ctx.step(format!("{name}: {}", capture.describe()));
        let output = run_on(ctx, dir.path(), &name, &trace.pcap, false)?;
        expect::exit_code(&output, 0, &format!("{name} is a whole capture"))?;
        expect::stdout_lines_exact(
            &output,
            &lines_of(trace.lines.iter().map(String::as_str)),
            why,
        )?;
    }
    Ok(())
}

pub(crate) fn encodings_read(ctx: &Ctx) -> Result<(), Failure> {
    let captures = classes::encodings(&mut ctx.rng());
    expect_lines(
        ctx,
        captures,
        "the magic number says the byte order (a1b2c3d4 read backwards: big-endian) and \
         the stamps' unit (a1b23c4d: nanoseconds); the records read the same either way",
    )
}

pub(crate) fn link_types_read(ctx: &Ctx) -> Result<(), Failure> {
    let captures = classes::link_types(&mut ctx.rng());
    expect_lines(
        ctx,
        captures,
        "Ethernet's header is 14 bytes (EtherType last), Linux cooked's 16 (protocol last), \
         raw IP's none (the version in the first 4 bits)",
    )
}

pub(crate) fn ip_headers_read(ctx: &Ctx) -> Result<(), Failure> {
    let captures = classes::ip_headers(&mut ctx.rng());
    expect_lines(
        ctx,
        captures,
        "an IPv4 header is 4 x its IHL bytes (options make it longer than 20); an IPv6 \
         header is 40 bytes",
    )
}

pub(crate) fn flags_printed(ctx: &Ctx) -> Result<(), Failure> {
    let captures = classes::flags(&mut ctx.rng());
    expect_lines(
        ctx,
        captures,
        "flags as letters in tcpdump's order FSRP.UEW, `none` for none; `seq` with data, \
         SYN, FIN or RST; `ack` with ACK; `urg` with URG",
    )
}

pub(crate) fn relative_numbers(ctx: &Ctx) -> Result<(), Failure> {
    let captures = classes::relative_numbers(&mut ctx.rng());
    expect_lines(
        ctx,
        captures,
        "per connection, numbers relative to each end's first as the first segment with ACK \
         shows them, subtracted modulo 2^32 (wrapping_sub)",
    )
}

pub(crate) fn sack_blocks_relative(ctx: &Ctx) -> Result<(), Failure> {
    let captures = classes::sack_blocks(&mut ctx.rng());
    expect_lines(
        ctx,
        captures,
        "SACK blocks are the receiver's sequence numbers: relative to the receiver's first, \
         modulo 2^32",
    )
}

pub(crate) fn lengths_from_ip_header(ctx: &Ctx) -> Result<(), Failure> {
    let captures = classes::lengths(&mut ctx.rng());
    expect_lines(
        ctx,
        captures,
        "the length is the IP header's total (IPv6: payload) length less the headers, not \
         the bytes the record kept",
    )
}

pub(crate) fn tcp_options_printed(ctx: &Ctx) -> Result<(), Failure> {
    let captures = classes::tcp_options(&mut ctx.rng());
    expect_lines(
        ctx,
        captures,
        "options as tcpdump prints them: an unknown kind as unknown-K 0xVALUE, a length \
         under 2 or past the header's end as [bad opt], where the line stops",
    )
}

pub(crate) fn snap_length_cuts_marked(ctx: &Ctx) -> Result<(), Failure> {
    let captures = cuts::snap_cuts(&mut ctx.rng());
    ctx.step(format!(
        "each file's records are cut, in order: {}",
        cuts::SNAP_PLACES
    ));
    expect_lines(
        ctx,
        captures,
        "a record cut by the snap length prints what could be read, then the mark of the \
         header it stopped in",
    )
}

pub(crate) fn bad_data_offsets(ctx: &Ctx) -> Result<(), Failure> {
    let captures = cuts::bad_offsets(&mut ctx.rng());
    expect_lines(
        ctx,
        captures,
        "a data offset under 5 words, or past the segment's end, is tcpdump's \
         [bad hdr length N - ...]",
    )
}

pub(crate) fn other_protocols_lines(ctx: &Ctx) -> Result<(), Failure> {
    let captures = classes::other_protocols(&mut ctx.rng());
    expect_lines(
        ctx,
        captures,
        "a packet that is not TCP gets a line too: UDP's, or `ip-proto-N LEN`",
    )
}

pub(crate) fn cut_files_end_in_error(ctx: &Ctx) -> Result<(), Failure> {
    let files = cuts::cut_files(&mut ctx.rng());
    let dir = tempfile::tempdir()?;
    for file in files {
        let lines = file.capture.trace().lines;
        ctx.step(file.describe());
        let output = run_on(ctx, dir.path(), &file.name, &file.bytes, false)?;
        expect::clean_error(&output, &format!("the file ends {}", file.place))?;
        expect::stdout_lines_exact(
            &output,
            &lines_of(lines[..file.records].iter().map(String::as_str)),
            "the lines of the whole records before the cut",
        )?;
    }
    Ok(())
}

pub(crate) fn summary_of_cut_file(ctx: &Ctx) -> Result<(), Failure> {
    let files = cuts::cut_files(&mut ctx.rng());
    let dir = tempfile::tempdir()?;
    for file in files {
        let summary = file.capture.summary(file.records);
        ctx.step(file.describe());
        let output = run_on(ctx, dir.path(), &file.name, &file.bytes, true)?;
        expect::clean_error(&output, &format!("the file ends {}", file.place))?;
        expect::stdout_lines_exact(
            &output,
            &lines_of(summary.lines()),
            "--summary of the whole records before the cut",
        )?;
    }
    Ok(())
}
