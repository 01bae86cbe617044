//! The `--summary` checks: `summary_blocks` compares the whole output; each other check
//! compares only the lines of its own field (and the `connection` lines that say which
//! block they are in), so that one mistake in one field fails one check.

use harness::{Ctx, Failure, Output, expect};

use super::classes::Named;
use super::summaries;
use crate::peek::{lines_of, run_on};

/// Run `--summary` on each capture; compare the lines whose field is one of `fields`
/// (all of them when empty), with the `connection` lines.
fn expect_summary(
    ctx: &Ctx,
    captures: Vec<Named>,
    fields: &[&str],
    why: &str,
) -> Result<(), Failure> {
    let dir = tempfile::tempdir()?;
    for (name, capture) in captures {
        let trace = capture.trace();
        ctx.step(format!("{name}: {}", capture.describe()));
        let output = run_on(ctx, dir.path(), &name, &trace.pcap, true)?;
        expect::exit_code(&output, 0, &format!("{name} is a whole capture"))?;
        let wanted: Vec<String> = trace.summary.lines().map(str::to_string).collect();
        if fields.is_empty() {
            let wanted = lines_of(wanted.iter().map(String::as_str));
            expect::stdout_lines_exact(&output, &wanted, why)?;
            continue;
        }
        compare_fields(&output, &wanted, fields, why)?;
    }
    Ok(())
}

/// The `connection` lines and those of `fields`, in order, the same in both.
fn compare_fields(
    output: &Output,
    wanted: &[String],
    fields: &[&str],
    why: &str,
) -> Result<(), Failure> {
    let keep = |line: &&str| {
        line.starts_with("connection ")
            || fields
                .iter()
                .any(|field| line.trim_start().starts_with(&format!("{field}:")))
    };
    let wanted: Vec<&str> = wanted.iter().map(String::as_str).filter(keep).collect();
    let stdout = output.stdout_text();
    let got: Vec<&str> = stdout.lines().filter(keep).collect();
    let Some(k) = (0..wanted.len().max(got.len())).find(|&k| wanted.get(k) != got.get(k)) else {
        return Ok(());
    };
    let shown = fields.join("`, `");
    let expected = match wanted.get(k) {
        Some(line) => format!("{line:?} ({why})"),
        None => format!("no more `connection` or `{shown}` line ({why})"),
    };
    let found = match got.get(k) {
        Some(line) => format!("{line:?}"),
        None => format!("no more `connection` or `{shown}` line"),
    };
    Err(Failure::expected(
        format!(
            "the summary's `connection` and `{shown}` lines, in order; number {} of them: \
             {expected}",
            k + 1
        ),
        found,
    )
    .with_run(output))
}

pub(crate) fn summary_blocks(ctx: &Ctx) -> Result<(), Failure> {
    let captures = summaries::blocks(&mut ctx.rng());
    expect_summary(
        ctx,
        captures,
        &[],
        "one block per connection in the order their first segments come, the lines of \
         the contract's P12, an empty line between blocks",
    )
}

pub(crate) fn summary_openers(ctx: &Ctx) -> Result<(), Failure> {
    let captures = summaries::openers(&mut ctx.rng());
    expect_summary(
        ctx,
        captures,
        &["opened by", "initial sequence numbers"],
        "the opener sent the first SYN without ACK; each end's initial number is its SYN's \
         sequence number; `not captured` where there is none",
    )
}

pub(crate) fn summary_round_trips(ctx: &Ctx) -> Result<(), Failure> {
    let captures = summaries::round_trips(&mut ctx.rng());
    expect_summary(
        ctx,
        captures,
        &["handshake round trip"],
        "from the first SYN's stamp to the first SYN-ACK's, in whole microseconds rounded \
         down (a nanosecond file's fraction is nanoseconds)",
    )
}

pub(crate) fn summary_bytes(ctx: &Ctx) -> Result<(), Failure> {
    let captures = summaries::bytes(&mut ctx.rng());
    expect_summary(
        ctx,
        captures,
        &["bytes"],
        "each end's TCP payload by the IP header's lengths, a retransmission counted again, \
         a record cut short counted whole",
    )
}

pub(crate) fn summary_closes(ctx: &Ctx) -> Result<(), Failure> {
    let captures = summaries::closes(&mut ctx.rng());
    expect_summary(
        ctx,
        captures,
        &["first FIN", "resets"],
        "the end that sent the first FIN waits in TIME_WAIT; `none` without a FIN; resets \
         counted per end",
    )
}

pub(crate) fn summary_zero_windows(ctx: &Ctx) -> Result<(), Failure> {
    let captures = summaries::zero_windows(&mut ctx.rng());
    expect_summary(
        ctx,
        captures,
        &["zero-window episodes"],
        "an episode is a run of an end's segments with window 0, ended by its next with a \
         window over 0; a reset is none",
    )
}
