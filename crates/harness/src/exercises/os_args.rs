//! Checks for os_args: `argc: N`, then `argv[i]: <arg>` for every argument, argv[0]
//! included, whatever the arguments hold. Each check looks at one thing, so one mistake
//! fails one check.

use std::ffi::OsString;
use std::time::Duration;

use crate::check::{Check, Ctx, Exercise, Failure};
use crate::expect;
use crate::process::Output;

pub static EXERCISE: Exercise = Exercise {
    name: "os_args",
    bins: &["os_args"],
    chapter: "os_args.md",
    checks: CHECKS,
};

static CHECKS: &[Check] = &[
    Check::new(
        "argc_counts_every_argument",
        "#what-argv-holds",
        argc_counts_every_argument,
    ),
    Check::new(
        "argv0_is_the_program",
        "#argument-zero",
        argv0_is_the_program,
    ),
    Check::new("arguments_in_order", "#what-argv-holds", arguments_in_order),
    Check::new(
        "spaces_stay_one_argument",
        "#arguments-are-not-words",
        spaces_stay_one_argument,
    ),
    Check::new("empty_argument", "#arguments-are-not-words", empty_argument),
    Check::new(
        "unicode_printed_exactly",
        "#text-that-is-not-utf-8",
        unicode_printed_exactly,
    ),
    Check::new(
        "non_utf8_printed_lossily",
        "#text-that-is-not-utf-8",
        non_utf8_printed_lossily,
    ),
    Check::new(
        "two_hundred_arguments",
        "#what-argv-holds",
        two_hundred_arguments,
    ),
];

/// Printing its arguments takes a program milliseconds; this bounds one that never ends.
const RUN_LIMIT: Duration = Duration::from_secs(2);

/// Run os_args with `args`; it must exit 0.
fn run(ctx: &Ctx, args: &[OsString]) -> Result<Output, Failure> {
    let output = ctx.student("os_args").args(args).timeout(RUN_LIMIT).run()?;
    expect::exit_code(&output, 0, "printing arguments cannot fail")?;
    Ok(output)
}

fn strings(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// `argv[i]: arg` for each of `args`, numbered from 1.
fn argv_lines(args: &[&str]) -> Vec<String> {
    args.iter()
        .enumerate()
        .map(|(i, arg)| format!("argv[{}]: {arg}", i + 1))
        .collect()
}

fn argc_counts_every_argument(ctx: &Ctx) -> Result<(), Failure> {
    let output = run(ctx, &strings(&["one", "two", "three"]))?;
    let first = output.stdout_lines().into_iter().next().unwrap_or_default();
    if first == "argc: 4" {
        return Ok(());
    }
    Err(Failure::expected(
        "first line \"argc: 4\" (three arguments plus the program name, like Go's len(os.Args))",
        format!("{first:?}"),
    )
    .with_run(&output))
}

fn argv0_is_the_program(ctx: &Ctx) -> Result<(), Failure> {
    let output = run(ctx, &strings(&["x"]))?;
    let program = ctx.student_path("os_args").to_string_lossy().into_owned();
    expect::line(
        &output,
        &format!("argv[0]: {program}"),
        "argv[0] is the program as it was started, and it is printed too",
    )
}

fn arguments_in_order(ctx: &Ctx) -> Result<(), Failure> {
    let args = ["one", "two", "three"];
    let output = run(ctx, &strings(&args))?;
    expect::lines_in_order(
        &output,
        &argv_lines(&args),
        "one line per argument, in order",
    )
}

fn spaces_stay_one_argument(ctx: &Ctx) -> Result<(), Failure> {
    let args = ["hello world", "  two  spaces  "];
    let output = run(ctx, &strings(&args))?;
    expect::lines_in_order(
        &output,
        &argv_lines(&args),
        "the shell already split the words: an argument with spaces is one argument",
    )?;
    expect::no_line_starting(&output, "argv[3]:", "there were only two arguments")
}

fn empty_argument(ctx: &Ctx) -> Result<(), Failure> {
    let args = ["", "after"];
    let output = run(ctx, &strings(&args))?;
    expect::lines_in_order(
        &output,
        &argv_lines(&args),
        "an empty string is an argument too (`os_args '' after`)",
    )
}

fn unicode_printed_exactly(ctx: &Ctx) -> Result<(), Failure> {
    let args = ["你好，世界", "🦀🚀", "naïve"];
    let output = run(ctx, &strings(&args))?;
    expect::lines_in_order(
        &output,
        &argv_lines(&args),
        "UTF-8 text is printed unchanged",
    )
}

fn non_utf8_printed_lossily(ctx: &Ctx) -> Result<(), Failure> {
    let output = run(ctx, &[not_unicode()])?;
    expect::line(
        &output,
        "argv[1]: ab\u{FFFD}cd",
        "an argument that is not valid text prints with U+FFFD in place of the bad bytes",
    )
}

/// An argument the OS accepts but that is not valid Unicode: the byte 0xFF on Unix, an
/// unpaired surrogate on Windows.
#[cfg(unix)]
fn not_unicode() -> OsString {
    use std::os::unix::ffi::OsStringExt;
    OsString::from_vec(b"ab\xffcd".to_vec())
}

#[cfg(windows)]
fn not_unicode() -> OsString {
    use std::os::windows::ffi::OsStringExt;
    OsString::from_wide(&[0x61, 0x62, 0xD800, 0x63, 0x64])
}

fn two_hundred_arguments(ctx: &Ctx) -> Result<(), Failure> {
    let args: Vec<String> = (1..=200).map(|i| format!("arg{i}")).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = run(ctx, &strings(&args))?;
    expect::lines_in_order(&output, &argv_lines(&args), "every one of 200 arguments")
}
