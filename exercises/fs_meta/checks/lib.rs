//! Checks for fs_meta: a `name:`/`size:`/`kind:` block per path, like Go's os.Stat, with
//! `--no-follow` for os.Lstat, per-path errors on stderr, and exit codes 0, 1 and 2.
//! Every check runs in a fresh temporary folder it fills itself, with names and sizes
//! drawn per run (spaces and wide characters included, the big file over 4 GiB), and
//! takes the sizes it expects from the file system itself (a folder's size depends on
//! the file system). Only `whole_stdout_exact` compares stdout byte for byte; the others
//! read the blocks and look at the one thing they are about.
//!
//! The checks live in files of one concept: `kinds` (a file, an empty one, one past
//! 4 GiB, a folder, other kinds), `links` (stat and lstat on links, dangling ones),
//! `paths` (several paths, the name as the last component, a bad path among good ones,
//! the whole stdout, names that are not UTF-8), `usage` (usage errors), and `common`
//! (the folder a check fills, running fs_meta, reading its blocks).

mod common;
mod kinds;
mod links;
mod paths;
mod usage;

use harness::{Check, Exercise};

use kinds::*;
use links::*;
use paths::*;
use usage::*;

pub static EXERCISE: Exercise = Exercise {
    name: "fs_meta",
    bins: &["fs_meta"],
    chapter: "fs_meta.md",
    checks: CHECKS,
    contract: include_str!("contract.md"),
    matrix: include_str!("matrix.md"),
};

static CHECKS: &[Check] = &[
    Check::new(
        "regular_file_name_and_size",
        "#what-stat-tells-you",
        regular_file_name_and_size,
    )
    .covers(&["M1", "M3"]),
    Check::new("empty_file", "#what-stat-tells-you", empty_file).covers(&["M3"]),
    Check::new("sparse_5gib_file", "#sizes-are-u64", sparse_5gib_file).covers(&["M3"]),
    Check::new("directory_kind", "#what-stat-tells-you", directory_kind).covers(&["M3", "M4"]),
    // Sockets, pipes and devices: Unix file kinds.
    #[cfg(unix)]
    Check::new("other_kinds", "#what-stat-tells-you", other_kinds).covers(&["M4"]),
    Check::new(
        "symlink_followed_by_default",
        "#stat-and-lstat",
        symlink_followed_by_default,
    )
    .covers(&["M5"]),
    Check::new(
        "no_follow_reports_symlink",
        "#stat-and-lstat",
        no_follow_reports_symlink,
    )
    .covers(&["M6"]),
    Check::new(
        "dangling_symlink_followed_is_an_error",
        "#stat-and-lstat",
        dangling_symlink_followed_is_an_error,
    )
    .covers(&["M5", "M8"]),
    Check::new(
        "no_follow_dangling_symlink",
        "#stat-and-lstat",
        no_follow_dangling_symlink,
    )
    .covers(&["M6"]),
    Check::new(
        "several_paths_in_order",
        "#one-bad-path-among-many",
        several_paths_in_order,
    )
    .covers(&["M1", "M7"]),
    Check::new(
        "name_is_final_component",
        "#the-name-is-the-last-component",
        name_is_final_component,
    )
    .covers(&["M2"]),
    Check::new(
        "dot_dotdot_and_root_names",
        "#the-name-is-the-last-component",
        dot_dotdot_and_root_names,
    )
    .covers(&["M2"]),
    Check::new(
        "missing_path_reported_others_still_print",
        "#one-bad-path-among-many",
        missing_path_reported_others_still_print,
    )
    .covers(&["M7", "M8"]),
    Check::new(
        "whole_stdout_exact",
        "#the-output-is-a-contract",
        whole_stdout_exact,
    )
    .covers(&["M1", "M7"]),
    Check::new(
        "no_path_is_usage_error",
        "#usage-errors",
        no_path_is_usage_error,
    )
    .covers(&["M9"]),
    Check::new(
        "no_follow_alone_is_usage_error",
        "#usage-errors",
        no_follow_alone_is_usage_error,
    )
    .covers(&["M9"]),
    Check::new(
        "unknown_option_is_usage_error",
        "#usage-errors",
        unknown_option_is_usage_error,
    )
    .covers(&["M9"]),
    // macOS and Windows file systems refuse names that are not valid Unicode.
    #[cfg(target_os = "linux")]
    Check::new(
        "non_utf8_file_name",
        "#file-names-that-are-not-utf-8",
        non_utf8_file_name,
    )
    .covers(&["M10"]),
];
