//! Checks for os_args: `argc: N`, then `argv[i]: <arg>` for every argument, argv[0]
//! included, whatever the arguments hold, and nothing else on stdout. Every argument is
//! drawn per run (words, spaces, empty strings, wide characters, bytes that are not UTF-8,
//! even the name the program is started by), so no answer can be copied from a failure
//! message. Each check looks at one thing, so one mistake fails one check; only
//! `whole_stdout_exact` compares stdout byte for byte.

use std::ffi::OsString;
use std::time::Duration;

use fastrand::Rng;

use harness::bytes;
use harness::draw;
use harness::expect;
use harness::{Check, Cmd, Ctx, Exercise, Failure, Output};

pub static EXERCISE: Exercise = Exercise {
    name: "os_args",
    bins: &["os_args"],
    chapter: "os_args.md",
    checks: CHECKS,
    contract: include_str!("contract.md"),
    matrix: include_str!("matrix.md"),
};

static CHECKS: &[Check] = &[
    Check::new(
        "argc_counts_every_argument",
        "#what-argv-holds",
        argc_counts_every_argument,
    )
    .covers(&["A1", "A7"]),
    Check::new(
        "argv0_is_the_program",
        "#argument-zero",
        argv0_is_the_program,
    )
    .covers(&["A2", "A7"]),
    Check::new("arguments_in_order", "#what-argv-holds", arguments_in_order).covers(&["A3", "A7"]),
    Check::new(
        "spaces_stay_one_argument",
        "#arguments-are-not-words",
        spaces_stay_one_argument,
    )
    .covers(&["A4", "A7"]),
    Check::new("empty_argument", "#arguments-are-not-words", empty_argument).covers(&["A4", "A7"]),
    Check::new(
        "unicode_printed_exactly",
        "#text-that-is-not-utf-8",
        unicode_printed_exactly,
    )
    .covers(&["A5", "A7"]),
    Check::new(
        "non_utf8_printed_lossily",
        "#text-that-is-not-utf-8",
        non_utf8_printed_lossily,
    )
    .covers(&["A6", "A7"]),
    Check::new(
        "two_hundred_arguments",
        "#what-argv-holds",
        two_hundred_arguments,
    )
    .covers(&["A3", "A7"]),
    Check::new(
        "whole_stdout_exact",
        "#the-output-is-a-contract",
        whole_stdout_exact,
    )
    .covers(&["A1", "A2", "A3", "A7"]),
];

/// Printing its arguments takes a program milliseconds; this bounds one that never ends.
const RUN_LIMIT: Duration = Duration::from_secs(2);

/// Run `cmd` with `args`; it must exit 0.
fn run_cmd(cmd: Cmd, args: &[OsString]) -> Result<Output, Failure> {
    let output = cmd.args(args).timeout(RUN_LIMIT).run()?;
    expect::exit_code(&output, 0, "printing arguments cannot fail")?;
    Ok(output)
}

/// Run the student's os_args with `args`; it must exit 0.
fn run(ctx: &Ctx, args: &[OsString]) -> Result<Output, Failure> {
    run_cmd(ctx.student("os_args"), args)
}

/// The line the contract wants for argument `i`: `argv[i]: <arg, lossily>`. The check
/// asks std's own lossy decoding what that is, rather than guessing how many U+FFFD a
/// bad sequence turns into.
fn argv_line(i: usize, arg: &OsString) -> Vec<u8> {
    format!("argv[{i}]: {}", arg.to_string_lossy()).into_bytes()
}

/// `argv[1]: ...` and on for `args`, numbered from 1 (argv[0] is the program).
fn argv_lines(args: &[OsString]) -> Vec<Vec<u8>> {
    args.iter()
        .enumerate()
        .map(|(i, arg)| argv_line(i + 1, arg))
        .collect()
}

/// The whole stdout the contract fixes for a program started as `argv0` with `args`.
fn contract_lines(argv0: &OsString, args: &[OsString]) -> Vec<Vec<u8>> {
    let mut lines = vec![format!("argc: {}", args.len() + 1).into_bytes()];
    lines.push(argv_line(0, argv0));
    lines.extend(argv_lines(args));
    lines
}

/// A line as every failure message shows text: quoted, UTF-8 as it is, the rest escaped.
fn quote(line: &[u8]) -> String {
    format!("\"{}\"", bytes::escape(line))
}

/// Stdout split into lines at `\n`, the bytes kept (a byte that is not UTF-8 must not
/// be mistaken for the U+FFFD that should stand in its place).
fn stdout_lines(output: &Output) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = output.stdout.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|last| last.is_empty()) {
        lines.pop();
    }
    lines
}

/// Stdout has each of `wanted`, as whole lines, in this order (other lines may come
/// between: whether anything else is printed is `whole_stdout_exact`'s business).
fn expect_lines(output: &Output, wanted: &[Vec<u8>], why: &str) -> Result<(), Failure> {
    let got = stdout_lines(output);
    let mut from = 0;
    for (n, line) in wanted.iter().enumerate() {
        if let Some(at) = got[from..].iter().position(|g| g == line) {
            from += at + 1;
            continue;
        }
        let text = if got.iter().any(|g| g == line) {
            format!(
                "{} only before {}: out of order",
                quote(line),
                quote(&wanted[n - 1])
            )
        } else {
            // The line with the same label (`argv[3]:`) is most likely the wrong one.
            let label_end = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
            let label = &line[..label_end];
            match got.iter().find(|g| g.starts_with(label)) {
                Some(near) => format!("the line {}", quote(near)),
                None => format!("no line starting with {}", quote(label)),
            }
        };
        return Err(
            Failure::expected(format!("the line {} ({why})", quote(line)), text).with_run(output),
        );
    }
    Ok(())
}

fn strings(args: &[String]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// `n` words, all different (so that order and position show).
fn distinct_words(rng: &mut Rng, n: usize) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    while words.len() < n {
        let word = draw::short_word(rng);
        if !words.contains(&word) {
            words.push(word);
        }
    }
    words
}

fn argc_counts_every_argument(ctx: &Ctx) -> Result<(), Failure> {
    // Every run: no argument at all, one, and several (a drawn count), so that no printed
    // number can be right every time by chance. Ten and more: two_hundred_arguments.
    let runs = {
        let mut rng = ctx.rng();
        let several = rng.usize(2..=9);
        [0, 1, several].map(|n| distinct_words(&mut rng, n))
    };
    for words in runs {
        let output = run(ctx, &strings(&words))?;
        let wanted = format!("argc: {}", words.len() + 1);
        let why = match words.len() {
            1 => "one argument plus the program name, like Go's len(os.Args)".to_string(),
            n => format!("{n} arguments plus the program name, like Go's len(os.Args)"),
        };
        expect::line(&output, &wanted, &why)?;
    }
    Ok(())
}

fn argv0_is_the_program(ctx: &Ctx) -> Result<(), Failure> {
    let (link_name, words) = {
        let mut rng = ctx.rng();
        // The name the program is started by: a word with wide text after it (no space:
        // splitting words is `spaces_stay_one_argument`'s business).
        let mut name = draw::short_word(&mut rng);
        let chars = rng.usize(2..=5);
        name.push_str(&draw::unicode_text(&mut rng, chars));
        let n = rng.usize(1..=3);
        (name, distinct_words(&mut rng, n))
    };
    let dir = tempfile::tempdir()?;
    let program = started_as(ctx, &dir, &link_name)?;
    let output = run_cmd(ctx.student_at(&program), &strings(&words))?;
    expect_lines(
        &output,
        &[argv_line(0, &program.into_os_string())],
        "argv[0] is the program exactly as it was started (here through a link), and it is \
         printed too",
    )
}

/// A link named `name` in `dir` to the student's program, to start it by (so argv[0] is
/// a path no program can know in advance); where links need privileges, the program.
fn started_as(
    ctx: &Ctx,
    dir: &tempfile::TempDir,
    name: &str,
) -> Result<std::path::PathBuf, Failure> {
    let program = ctx.student_path("os_args").to_path_buf();
    #[cfg(unix)]
    {
        let link = dir.path().join(name);
        std::os::unix::fs::symlink(&program, &link)?;
        Ok(link)
    }
    #[cfg(not(unix))]
    {
        let _ = (dir, name);
        Ok(program)
    }
}

fn arguments_in_order(ctx: &Ctx) -> Result<(), Failure> {
    let words = {
        let mut rng = ctx.rng();
        let n = rng.usize(3..=8);
        let mut words = distinct_words(&mut rng, n);
        // Arguments that look like options are arguments too: this program takes none.
        let word = draw::short_word(&mut rng);
        let letter = draw::word(&mut rng, 1);
        for option in [
            "--".to_string(),
            "-".into(),
            format!("--{word}"),
            format!("-{letter}"),
        ] {
            let at = rng.usize(..=words.len());
            words.insert(at, option);
        }
        words
    };
    let args = strings(&words);
    let output = run(ctx, &args)?;
    expect_lines(
        &output,
        &argv_lines(&args),
        "one line per argument, numbered from 1 after argv[0], in order",
    )
}

fn spaces_stay_one_argument(ctx: &Ctx) -> Result<(), Failure> {
    // Every run: spaces inside (one, or several in a row), before, after, and a tab
    // inside; only the words and the widths are drawn.
    let args: Vec<String> = {
        let mut rng = ctx.rng();
        let words = |rng: &mut Rng, gap: &str| {
            let count = rng.usize(2..=3);
            distinct_words(rng, count).join(gap)
        };
        let spaces = |rng: &mut Rng, from: usize| " ".repeat(rng.usize(from..=3));
        let inside = {
            let gap = spaces(&mut rng, 1);
            words(&mut rng, &gap)
        };
        let before = format!("{}{}", spaces(&mut rng, 1), words(&mut rng, " "));
        let after = format!("{}{}", words(&mut rng, " "), spaces(&mut rng, 1));
        let tab = words(&mut rng, "\t");
        let mut args = vec![inside, before, after, tab];
        rng.shuffle(&mut args);
        args
    };
    let args = strings(&args);
    let output = run(ctx, &args)?;
    expect_lines(
        &output,
        &argv_lines(&args),
        "the shell already split the words: an argument with spaces is one argument, its \
         spaces kept",
    )?;
    let after = format!("argv[{}]:", args.len() + 1);
    expect::no_line_starting(
        &output,
        &after,
        &format!("there were only {} arguments", args.len()),
    )
}

fn empty_argument(ctx: &Ctx) -> Result<(), Failure> {
    let args: Vec<String> = {
        let mut rng = ctx.rng();
        // Every run: an empty argument first, two in a row among words, and one last.
        let n = rng.usize(2..=4);
        let mut args = distinct_words(&mut rng, n);
        let middle = rng.usize(1..n);
        args.splice(middle..middle, [String::new(), String::new()]);
        args.insert(0, String::new());
        args.push(String::new());
        args
    };
    let args = strings(&args);
    let output = run(ctx, &args)?;
    expect_lines(
        &output,
        &argv_lines(&args),
        "an empty string is an argument too (`os_args '' word`), printed as `argv[i]: `",
    )
}

fn unicode_printed_exactly(ctx: &Ctx) -> Result<(), Failure> {
    let args: Vec<String> = {
        let mut rng = ctx.rng();
        // Every run: characters of 2, 3 and 4 bytes, each in an argument of its own among
        // drawn text.
        (2..=4)
            .map(|width| {
                let chars = rng.usize(2..=8);
                let mut text = draw::unicode_text(&mut rng, chars);
                let wide = std::iter::repeat_with(|| draw::wide_char(&mut rng))
                    .find(|c| c.len_utf8() == width)
                    .unwrap_or('é');
                text.push(wide);
                text
            })
            .collect()
    };
    let args = strings(&args);
    let output = run(ctx, &args)?;
    expect_lines(
        &output,
        &argv_lines(&args),
        "UTF-8 text is printed unchanged, byte for byte",
    )
}

fn non_utf8_printed_lossily(ctx: &Ctx) -> Result<(), Failure> {
    let (args, bad) = {
        let mut rng = ctx.rng();
        let n = rng.usize(1..=4);
        let mut args = strings(&distinct_words(&mut rng, n));
        // Every kind of bad sequence in every run, each in an argument of its own at a
        // drawn place: no verdict depends on which kind the seed picked.
        let bad = not_unicode(&mut rng);
        for arg in &bad {
            let at = rng.usize(..=args.len());
            args.insert(at, arg.clone());
        }
        (args, bad)
    };
    let output = run(ctx, &args)?;
    let shown: Vec<String> = bad.iter().map(shown).collect();
    expect_lines(
        &output,
        &argv_lines(&args),
        &format!(
            "the arguments {} are not valid UTF-8: each prints with U+FFFD (�) in place of \
             each bad sequence, the way to_string_lossy() does, and the others as they are",
            shown.join(", ")
        ),
    )
}

/// Arguments the OS accepts but that are not valid Unicode, one of each kind: on Unix,
/// drawn ASCII around a byte never found in UTF-8 (from each of its two ranges), a
/// stray continuation byte, a character cut short (its last byte missing), and two bad
/// sequences back to back; one at the start of its argument, one at the end, one alone.
#[cfg(unix)]
fn not_unicode(rng: &mut Rng) -> Vec<OsString> {
    use std::os::unix::ffi::OsStringExt;
    let never = |rng: &mut Rng| rng.u8(0xF5..=0xFF);
    let cut_short = |rng: &mut Rng| {
        let mut wide = [0u8; 4];
        let encoded = loop {
            let c = draw::wide_char(rng);
            if c.len_utf8() > 2 {
                break c.encode_utf8(&mut wide).as_bytes().to_vec();
            }
        };
        encoded[..encoded.len() - 1].to_vec()
    };
    let kinds: [Vec<u8>; 5] = [
        vec![never(rng)],
        vec![rng.u8(0xC0..=0xC1)],
        vec![rng.u8(0x80..=0xBF)],
        cut_short(rng),
        [cut_short(rng), vec![never(rng)]].concat(),
    ];
    kinds
        .into_iter()
        .enumerate()
        .map(|(kind, sequence)| {
            // ASCII around it (never a continuation byte after a character cut short,
            // which could complete it): none before the first, none after the second,
            // none either side of the third.
            let (before, after) = match kind {
                0 => (0, rng.usize(1..=4)),
                1 => (rng.usize(1..=4), 0),
                2 => (0, 0),
                _ => (rng.usize(1..=4), rng.usize(1..=4)),
            };
            let mut bytes = draw::word(rng, before).into_bytes();
            bytes.extend_from_slice(&sequence);
            bytes.extend_from_slice(draw::word(rng, after).as_bytes());
            OsString::from_vec(bytes)
        })
        .collect()
}

/// On Windows, an unpaired surrogate between ASCII letters.
#[cfg(windows)]
fn not_unicode(rng: &mut Rng) -> Vec<OsString> {
    use std::os::windows::ffi::OsStringExt;
    let mut units: Vec<u16> = draw::word(rng, 3).encode_utf16().collect();
    units.push(rng.u16(0xD800..=0xDFFF));
    units.extend(draw::word(rng, 2).encode_utf16());
    vec![OsString::from_wide(&units)]
}

/// How a failure shows an argument that is not text: its bytes, escaped.
fn shown(arg: &OsString) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        bytes::show(arg.as_bytes())
    }
    #[cfg(not(unix))]
    {
        format!("{arg:?}")
    }
}

fn two_hundred_arguments(ctx: &Ctx) -> Result<(), Failure> {
    let words = {
        let mut rng = ctx.rng();
        (0..200)
            .map(|_| draw::short_word(&mut rng))
            .collect::<Vec<_>>()
    };
    let args = strings(&words);
    let output = run(ctx, &args)?;
    expect_lines(&output, &argv_lines(&args), "every one of 200 arguments")
}

fn whole_stdout_exact(ctx: &Ctx) -> Result<(), Failure> {
    // Plain words: this check is about the shape of the output, not the arguments. Every
    // run: with no argument at all, and with some.
    let runs = {
        let mut rng = ctx.rng();
        let n = rng.usize(1..=5);
        [Vec::new(), distinct_words(&mut rng, n)]
    };
    for words in runs {
        let args = strings(&words);
        let output = run(ctx, &args)?;
        let argv0 = ctx.student_path("os_args").as_os_str().to_os_string();
        expect::stdout_lines_exact(
            &output,
            &contract_lines(&argv0, &args),
            "stdout is exactly `argc: N`, then one `argv[i]: ...` line per argument, each \
             ending in a newline, and nothing else",
        )?;
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::ffi::OsStrExt;

    /// Every argument drawn is not UTF-8, whatever the seed: the check's verdict must not
    /// depend on it. (A character cut short, then a stray continuation byte, was a whole
    /// character again: seed 9 drew "jv🦈ci".)
    #[test]
    fn not_unicode_is_never_utf8() {
        for seed in 0..20_000 {
            for arg in super::not_unicode(&mut fastrand::Rng::with_seed(seed)) {
                assert!(
                    std::str::from_utf8(arg.as_bytes()).is_err(),
                    "seed {seed}: {arg:?} is UTF-8"
                );
            }
        }
    }
}
