//! `trace -w FILE.pcap [--] COMMAND [ARG...]`: see the packets of your own programs,
//! without root. Runs COMMAND in a private user and network namespace (a loopback of its
//! own, up), records every frame on that loopback into a classic pcap file that tcpdump
//! and Wireshark read, prints one line per frame while it runs, and exits with COMMAND's
//! exit code.

// The capture itself (the packet socket, its ring, the pcap file, the lines) is the
// harness's `wire`, which a check run with NETLAB_TRACE uses too.
#[cfg(target_os = "linux")]
mod namespace;
#[cfg(target_os = "linux")]
mod run;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: trace -w FILE.pcap [-q] [-t SECONDS] [--] COMMAND [ARG...]";

/// How long COMMAND may run when `-t` does not say: a capture is of a few connections,
/// and a server left waiting must not keep trace running for ever.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// What the command line asks for.
#[derive(Debug)]
pub struct Options {
    /// Where the pcap file goes (`-w`).
    pub file: PathBuf,
    /// No line per frame (`-q`).
    pub quiet: bool,
    /// COMMAND is stopped after this long (`-t SECONDS`).
    pub timeout: Duration,
    /// COMMAND and its arguments.
    pub command: Vec<OsString>,
}

fn main() -> ExitCode {
    // Nothing before this may start a thread: a process with several may not enter a new
    // user namespace (run::run does, first thing).
    let options = match parse(std::env::args_os().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            println!("  runs COMMAND in a private network (user and network namespaces, no root");
            println!("  needed), writes every frame on its loopback to FILE.pcap, prints one");
            println!("  line per frame (-q: none), exits with COMMAND's exit code; -t: stop");
            println!(
                "  COMMAND after SECONDS (default {}).",
                DEFAULT_TIMEOUT.as_secs()
            );
            return ExitCode::SUCCESS;
        }
        Err(why) => {
            eprintln!("error: {why}");
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    ExitCode::from(run_command(options))
}

#[cfg(target_os = "linux")]
fn run_command(options: Options) -> u8 {
    run::run(options)
}

#[cfg(not(target_os = "linux"))]
fn run_command(_: Options) -> u8 {
    eprintln!(
        "error: trace needs Linux (user and network namespaces). Instead, as an \
         administrator, run `sudo tcpdump -i lo0 -w FILE.pcap` in another terminal while \
         you run your programs, then stop it with Ctrl-C."
    );
    2
}

/// The options, or None for `-h`/`--help`. COMMAND starts at the first word that is not
/// an option, or after `--`.
fn parse(args: impl Iterator<Item = OsString>) -> Result<Option<Options>, String> {
    let mut args = args.peekable();
    let mut file = None;
    let mut quiet = false;
    let mut timeout = DEFAULT_TIMEOUT;
    while let Some(arg) = args.peek() {
        let Some(text) = arg.to_str() else { break };
        if !text.starts_with('-') || text == "-" {
            break;
        }
        let option = text.to_string();
        args.next();
        match option.as_str() {
            "--" => break,
            "-h" | "--help" => return Ok(None),
            "-q" => quiet = true,
            "-w" => {
                let name = args.next().ok_or("-w needs a file name")?;
                file = Some(PathBuf::from(name));
            }
            "-t" => {
                let value = args.next().ok_or("-t needs a number of seconds")?;
                timeout = value
                    .to_str()
                    .and_then(|v| v.parse::<u64>().ok())
                    .filter(|&s| s > 0)
                    .map(Duration::from_secs)
                    .ok_or_else(|| format!("-t takes a whole number of seconds, not {value:?}"))?;
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    let file = file.ok_or("say where the capture goes: -w FILE.pcap")?;
    let command: Vec<OsString> = args.collect();
    if command.is_empty() {
        return Err("no COMMAND to run".to_string());
    }
    Ok(Some(Options {
        file,
        quiet,
        timeout,
        command,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(words: &[&str]) -> Result<Option<Options>, String> {
        parse(words.iter().map(OsString::from))
    }

    #[test]
    fn command_starts_at_the_first_word_that_is_no_option_or_after_the_dashes() {
        let options = parsed(&["-q", "-w", "a.pcap", "sh", "-c", "true"])
            .unwrap()
            .unwrap();
        assert_eq!(options.file, PathBuf::from("a.pcap"));
        assert!(options.quiet);
        assert_eq!(options.command, ["sh", "-c", "true"]);
        let options = parsed(&["-w", "a.pcap", "-t", "5", "--", "-x"])
            .unwrap()
            .unwrap();
        assert_eq!(options.command, ["-x"]);
        assert_eq!(options.timeout, Duration::from_secs(5));
    }

    #[test]
    fn missing_or_bad_words_are_errors() {
        for words in [
            &["sh"][..],
            &["-w"],
            &["-w", "a.pcap"],
            &["-w", "a.pcap", "--"],
            &["-x", "-w", "a.pcap", "true"],
            &["-w", "a.pcap", "-t", "0", "true"],
            &["-w", "a.pcap", "-t", "soon", "true"],
        ] {
            assert!(parsed(words).is_err(), "{words:?}");
        }
    }
}
