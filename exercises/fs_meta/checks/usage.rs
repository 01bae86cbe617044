//! Usage errors: no path, `--no-follow` alone, an unknown option: a usage line and exit
//! code 2, never a stat of a file named `--bogus`.

use harness::draw;
use harness::expect;
use harness::{Ctx, Failure};

use super::common::*;

pub(super) fn no_path_is_usage_error(ctx: &Ctx) -> Result<(), Failure> {
    let dir = folder()?;
    let output = run(ctx, &dir, &[])?;
    expect::usage_error(&output, "fs_meta", "no path given is a usage error")
}

pub(super) fn no_follow_alone_is_usage_error(ctx: &Ctx) -> Result<(), Failure> {
    let dir = folder()?;
    let output = run(ctx, &dir, &["--no-follow"])?;
    expect::usage_error(
        &output,
        "fs_meta",
        "`--no-follow` is an option, not a path: with no path after it, there is nothing \
         to describe",
    )
}

pub(super) fn unknown_option_is_usage_error(ctx: &Ctx) -> Result<(), Failure> {
    // Both spellings of an option in every run: `-x` and `--word`.
    let (options, name) = {
        let mut rng = ctx.rng();
        let word = draw::short_word(&mut rng);
        let letter = draw::word(&mut rng, 1);
        (
            [format!("-{letter}"), format!("--{word}")],
            file_name(&mut rng),
        )
    };
    let dir = folder()?;
    write(&dir, &name, b"x")?;
    for option in options {
        let output = run(ctx, &dir, &[&option, &name])?;
        expect::usage_error(
            &output,
            "fs_meta",
            &format!(
                "`{option}` is not an option fs_meta knows (only --no-follow), and options \
                 come before the paths: a usage error, not a path to look up"
            ),
        )?;
    }
    Ok(())
}
