//! Checks for tcp_states: the /proc/net/tcp parser on recorded tables (`--file`), the
//! command line, the live listing of sockets this check opens itself, and the `--demo`
//! state walk and window, cross-checked with what the kernel shows.
//!
//! Files of one concept: `table` (drawing recorded tables, reading listings back, naming
//! decoding mistakes), `recorded` (the `--file` checks), `malformed` (lines that are not
//! sockets), `live` (the check's own sockets), `demo` (the demo's states, its connection,
//! its window), `scenarios` (whole tables and many live sockets, drawn) and `listing`
//! (a whole listing compared with the one a scenario computed). Live and demo checks need
//! Linux's /proc and are only registered on Linux.

#[cfg(target_os = "linux")]
mod demo;
mod listing;
#[cfg(target_os = "linux")]
mod live;
mod malformed;
mod recorded;
mod scenarios;
mod table;

use tempfile::TempDir;

use harness::expect;
use harness::{Check, Ctx, Exercise, Failure};

use malformed::*;
use recorded::*;

pub static EXERCISE: Exercise = Exercise {
    name: "tcp_states",
    bins: &["tcp_states"],
    chapter: "tcp_states.md",
    checks: CHECKS,
    contract: include_str!("contract.md"),
    matrix: include_str!("matrix.md"),
};

static CHECKS: &[Check] = &[
    Check::new(
        "ipv4_addresses_decoded",
        "#reading-procnettcp",
        ipv4_addresses_decoded,
    )
    .covers(&["T2", "T4", "T5"]),
    Check::new(
        "ipv6_addresses_decoded",
        "#reading-procnettcp",
        ipv6_addresses_decoded,
    )
    .covers(&["T2", "T4", "T6"]),
    Check::new(
        "v4_mapped_addresses_shown",
        "#ipv4-mapped-addresses",
        v4_mapped_addresses_shown,
    )
    .covers(&["T4", "T7"]),
    Check::new("every_state_named", "#the-state-codes", every_state_named).covers(&["T8"]),
    Check::new(
        "malformed_lines_skipped",
        "#reading-procnettcp",
        malformed_lines_skipped,
    )
    .covers(&["T9"]),
    Check::new(
        "listing_is_exact",
        "#what-the-listing-prints",
        listing_is_exact,
    )
    .covers(&["T3"]),
    Check::new("filters_by_port", "#filtering-by-port", filters_by_port).covers(&["T10"]),
    Check::new("bad_port_is_usage_error", "#usage", bad_port_is_usage_error).covers(&["T11"]),
    Check::new(
        "unknown_arguments_are_usage_errors",
        "#usage",
        unknown_arguments_are_usage_errors,
    )
    .covers(&["T12"]),
    Check::new(
        "missing_file_is_an_error",
        "#usage",
        missing_file_is_an_error,
    )
    .covers(&["T13"]),
    #[cfg(target_os = "linux")]
    Check::new(
        "live_listener_listed",
        "#reading-ss--tan-and-netstat--an",
        live::listener_listed,
    )
    .covers(&["T1", "T10"]),
    #[cfg(target_os = "linux")]
    Check::new(
        "live_half_close_states",
        "#half-close",
        live::half_close_states,
    )
    .covers(&["T1", "T8", "T10"]),
    #[cfg(target_os = "linux")]
    Check::new(
        "live_ipv6_listener_listed",
        "#reading-procnettcp",
        live::ipv6_listener_listed,
    )
    .covers(&["T1", "T6", "T10"]),
    #[cfg(target_os = "linux")]
    Check::new(
        "live_all_sockets_listed",
        "#reading-ss--tan-and-netstat--an",
        live::all_sockets_listed,
    )
    .covers(&["T1"]),
    #[cfg(target_os = "linux")]
    Check::new("demo_states_in_order", "#the-demo", demo::states_in_order).covers(&["T15", "T16"]),
    #[cfg(target_os = "linux")]
    Check::new(
        "demo_connection_is_real",
        "#the-demo",
        demo::connection_is_real,
    )
    .covers(&["T14", "T17"]),
    #[cfg(target_os = "linux")]
    Check::new(
        "demo_window_fills_and_drains",
        "#the-sliding-window",
        demo::window_fills_and_drains,
    )
    .covers(&["T18", "T19", "T20", "T21", "T22"]),
    Check::new(
        "scenarios_proc_tables",
        "#reading-procnettcp",
        scenarios::proc_tables,
    )
    .covers(&["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T10"]),
];

/// Each argument list must be a usage error: exit 2, `usage: tcp_states` on stderr. The
/// runs at once (each is a process start, and there are a dozen), judged in the list's
/// order, so the same seed names the same case.
fn expect_usage_errors(ctx: &Ctx, cases: &[(Vec<String>, String)]) -> Result<(), Failure> {
    let outputs: Vec<std::io::Result<harness::Output>> = std::thread::scope(|scope| {
        let runs: Vec<_> = cases
            .iter()
            .map(|(args, _)| {
                scope.spawn(move || {
                    ctx.student("tcp_states")
                        .args(args)
                        .timeout(std::time::Duration::from_secs(3))
                        .run()
                })
            })
            .collect();
        runs.into_iter()
            .map(|run| {
                run.join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("the run's thread panicked")))
            })
            .collect()
    });
    for ((_, why), output) in cases.iter().zip(outputs) {
        expect::usage_error(&output?, "tcp_states", why)?;
    }
    Ok(())
}

fn bad_port_is_usage_error(ctx: &Ctx) -> Result<(), Failure> {
    // Every kind of bad PORT in every run, alone and after `--file PATH` (a saved table
    // that exists: only the port is wrong).
    let dir = TempDir::new()?;
    let path = dir.path().join("tcp");
    std::fs::write(&path, table::HEADER)?;
    let path = path.to_string_lossy().into_owned();
    let cases = {
        let mut rng = ctx.rng();
        let port = table::port(&mut rng);
        let mut cases = vec![
            (
                // A letter first: a drawn word can be all digits, and a port.
                format!(
                    "{}{}",
                    char::from(rng.u8(b'a'..=b'z')),
                    harness::draw::short_word(&mut rng)
                ),
                "is not a number".to_string(),
            ),
            (
                "65536".to_string(),
                "is one more than 65535, the largest port".to_string(),
            ),
            (
                rng.u32(65537..=99999).to_string(),
                "is more than 65535, the largest port".to_string(),
            ),
            (format!("-{port}"), "is negative".to_string()),
            (
                format!("{port:X}h"),
                "is not a decimal number (a port is typed as people write it)".to_string(),
            ),
            (String::new(), "is empty".to_string()),
        ];
        rng.shuffle(&mut cases);
        cases
    };
    let cases: Vec<(Vec<String>, String)> = cases
        .into_iter()
        .flat_map(|(arg, why)| {
            let why = format!("{arg:?} {why}: not a port");
            [
                (vec![arg.clone()], why.clone()),
                (
                    vec!["--file".to_string(), path.clone(), arg],
                    format!("{why}, after `--file PATH` as alone"),
                ),
            ]
        })
        .collect();
    expect_usage_errors(ctx, &cases)
}

fn unknown_arguments_are_usage_errors(ctx: &Ctx) -> Result<(), Failure> {
    let dir = TempDir::new()?;
    let path = dir.path().join("tcp");
    std::fs::write(&path, table::HEADER)?;
    let path = path.to_string_lossy().into_owned();
    let mut cases = {
        let mut rng = ctx.rng();
        let [a, b] = table::ports(&mut rng, 2, &[])[..] else {
            unreachable!("two ports")
        };
        let option = format!("--{}", harness::draw::short_word(&mut rng));
        let short = format!("-{}", char::from(rng.u8(b'a'..=b'z')));
        vec![
            (
                vec![a.to_string(), b.to_string()],
                "two ports: the program takes at most one".to_string(),
            ),
            (
                vec![option.clone()],
                format!("{option} is not an option of tcp_states"),
            ),
            (
                vec![short.clone(), a.to_string()],
                format!("{short} is not an option of tcp_states"),
            ),
            (
                vec!["--file".to_string()],
                "--file needs a PATH".to_string(),
            ),
            (
                vec![
                    "--file".to_string(),
                    path.clone(),
                    a.to_string(),
                    b.to_string(),
                ],
                "--file PATH takes at most one PORT after it".to_string(),
            ),
            (
                vec!["--demo".to_string(), a.to_string()],
                "--demo takes no other argument".to_string(),
            ),
        ]
    };
    {
        let mut rng = ctx.rng();
        rng.shuffle(&mut cases);
    }
    expect_usage_errors(ctx, &cases)
}

fn missing_file_is_an_error(ctx: &Ctx) -> Result<(), Failure> {
    // A file that is not there, and a folder: neither can be read as a table.
    let dir = TempDir::new()?;
    let (missing, folder) = {
        let mut rng = ctx.rng();
        let [a, b] = table::ports(&mut rng, 2, &[])[..] else {
            unreachable!("two ports")
        };
        let name = harness::draw::short_word(&mut rng);
        (
            dir.path().join(format!("{name}-{a}")),
            dir.path().join(format!("{name}-{b}")),
        )
    };
    std::fs::create_dir(&folder)?;
    for (path, why) in [
        (&missing, "the file does not exist"),
        (&folder, "the path is a folder, not a file"),
    ] {
        let output = ctx.student("tcp_states").arg("--file").arg(path).run()?;
        expect::clean_error(&output, why)?;
        if !output.stdout.is_empty() {
            return Err(Failure::expected(
                format!("nothing on stdout ({why}: there is no listing, not even its header)"),
                harness::excerpt(&output.stdout, 0),
            )
            .with_run(&output));
        }
    }
    Ok(())
}
