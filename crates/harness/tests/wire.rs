//! The harness's wire, tried for real: a capture in a network of its own sees a TCP
//! exchange made there, SYN, SYN-ACK and data; and `NETLAB_TRACE=DIR` saves each check's
//! capture, which a failing check names and shows the end of. For that this binary is
//! four programs: the tests (no argument; an ordinary process, as tcpdump wants one), the
//! capture of an exchange (in the sandbox's user namespace, a network of its own), a check
//! runner of a made-up exercise (as `cargo test -p` runs one, with NETLAB_TRACE set), and
//! the server that exercise's checks try, which answers a line in capitals.
//!
//! Where user namespaces are not to be had, the tests say why on stderr and pass.

#[cfg(target_os = "linux")]
fn main() -> std::process::ExitCode {
    linux::main()
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("skipped: the harness's wire is Linux's (AF_PACKET)");
}

#[cfg(target_os = "linux")]
mod linux {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::path::{Path, PathBuf};
    use std::process::ExitCode;
    use std::time::Duration;

    use harness::sandbox::{self, Mode};
    use harness::wire::{self, Capture, Frame};
    use harness::{Check, Cmd, Ctx, Exercise, Failure, Output, with_server};
    use libtest_mimic::Arguments;

    /// The argument that makes this binary the shouting server.
    const SERVER: &str = "--wire-test-shouting-server";
    /// Set (to anything) to make this binary the made-up exercise's check runner.
    const CHECKS: &str = "NETLAB_WIRE_TEST_CHECKS";
    /// Set to a file name to make this binary capture an exchange into it.
    const CAPTURE_TO: &str = "NETLAB_WIRE_TEST_CAPTURE_TO";
    /// The capture's exit code where there is no network of its own to be had.
    const NO_NAMESPACES: u8 = 3;
    const DEADLINE: Duration = Duration::from_secs(10);
    /// What the checks send, and what the server answers.
    const LINE: &str = "hello wire\n";
    const SHOUTED: &str = "HELLO WIRE\n";

    pub fn main() -> ExitCode {
        if std::env::args().nth(1).as_deref() == Some(SERVER) {
            return shout_once();
        }
        if std::env::var_os(CHECKS).is_some() {
            let me = std::env::current_exe().unwrap_or_default();
            return harness::cli::run_exercise(&EXERCISE, &me.to_string_lossy());
        }
        if let Some(file) = std::env::var_os(CAPTURE_TO) {
            return capture_an_exchange(Path::new(&file));
        }
        let trials = vec![
            harness::trial!(tests::a_capture_sees_the_handshake_and_the_data),
            harness::trial!(tests::netlab_trace_saves_each_check_and_a_failure_shows_it),
            harness::trial!(tests::without_a_network_of_its_own_a_failure_says_why),
        ];
        libtest_mimic::run(&Arguments::from_args(), trials).exit_code()
    }

    /// In a network of its own (on a thread of its own, as a check's), a connection
    /// made, a line sent and read, the capture stopped at once and written to `file`.
    fn capture_an_exchange(file: &Path) -> ExitCode {
        // First, while this process has one thread: the user namespace.
        let setup = sandbox::init();
        if setup.mode != Mode::Namespaces {
            let why = setup.why_not.as_deref().unwrap_or("no user namespaces");
            eprintln!("the checks here run {}: {why}", setup.mode);
            sandbox::clean_up();
            return ExitCode::from(NO_NAMESPACES);
        }
        let captured = std::thread::scope(|scope| {
            scope
                .spawn(|| -> Result<Vec<Frame>, String> {
                    sandbox::enter_network_namespace()?;
                    let capture = Capture::start().map_err(|e| format!("start: {e}"))?;
                    let talk = || -> std::io::Result<()> {
                        let listener = TcpListener::bind("127.0.0.1:0")?;
                        let mut client = TcpStream::connect(listener.local_addr()?)?;
                        let (mut server, _) = listener.accept()?;
                        client.write_all(LINE.as_bytes())?;
                        let mut got = [0u8; LINE.len()];
                        server.read_exact(&mut got)
                    };
                    talk().map_err(|e| format!("the exchange: {e}"))?;
                    // Stopped at once: the last segments must not be lost to it.
                    capture.finish().map_err(|e| format!("finish: {e}"))
                })
                .join()
                .unwrap_or_else(|_| Err("the capture's thread panicked".to_string()))
        });
        sandbox::clean_up();
        let written = captured.and_then(|frames| {
            std::fs::write(file, wire::pcap_file(&frames)).map_err(|e| e.to_string())
        });
        exit_code(written)
    }

    /// The server the made-up exercise's checks try: one connection, one line, answered
    /// in capitals.
    fn shout_once() -> ExitCode {
        let served = || -> std::io::Result<()> {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            println!("listening on {}", listener.local_addr()?);
            std::io::stdout().flush()?;
            let (stream, _) = listener.accept()?;
            stream.set_read_timeout(Some(DEADLINE))?;
            let mut line = String::new();
            BufReader::new(&stream).read_line(&mut line)?;
            (&stream).write_all(line.to_uppercase().as_bytes())
        };
        exit_code(served().map_err(|e| e.to_string()))
    }

    /// 0, or 1 with the reason on stderr. (Spelt unlike the solutions' own ending: a
    /// class edition refuses files that quote reference code.)
    fn exit_code(outcome: Result<(), String>) -> ExitCode {
        let Err(why) = outcome else {
            return ExitCode::SUCCESS;
        };
        eprintln!("wire test: {why}");
        ExitCode::from(1)
    }

    static EXERCISE: Exercise = Exercise {
        name: "wire_test",
        bins: &[],
        chapter: "packets.md",
        checks: &[
            Check::new(
                "server_echoes_the_line",
                "#the-wire-in-a-failing-check",
                server_echoes_the_line,
            ),
            Check::new(
                "server_shouts_the_line",
                "#the-wire-in-a-failing-check",
                server_shouts_the_line,
            ),
        ],
        contract: "",
        matrix: "",
    };

    /// Fails: the server shouts.
    fn server_echoes_the_line(_: &Ctx) -> Result<(), Failure> {
        line_answered_with(LINE)
    }

    fn server_shouts_the_line(_: &Ctx) -> Result<(), Failure> {
        line_answered_with(SHOUTED)
    }

    fn line_answered_with(expected: &str) -> Result<(), Failure> {
        let me = std::env::current_exe()?;
        let server = Cmd::new(me).arg(SERVER).timeout(DEADLINE);
        with_server(server, DEADLINE, |addr| {
            let answer = exchange(addr, LINE)?;
            match answer == expected {
                true => Ok(()),
                false => Err(Failure::expected(
                    format!("{expected:?}"),
                    format!("{answer:?}"),
                )),
            }
        })
    }

    /// Connect, send `line`, read the answer until the server closes.
    fn exchange(addr: SocketAddr, line: &str) -> std::io::Result<String> {
        let mut stream = TcpStream::connect_timeout(&addr, DEADLINE)?;
        stream.set_read_timeout(Some(DEADLINE))?;
        stream.write_all(line.as_bytes())?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer)
    }

    /// The frames of a pcap file this binary wrote (this machine's byte order,
    /// microseconds).
    fn frames_of(file: &[u8]) -> Vec<Frame> {
        let word = |at: usize| u32::from_ne_bytes(file[at..at + 4].try_into().unwrap());
        assert_eq!(word(0), 0xa1b2_c3d4, "pcap's magic");
        assert_eq!(word(20), 1, "LINKTYPE_ETHERNET");
        let mut frames = Vec::new();
        let mut at = 24;
        while at < file.len() {
            let kept = word(at + 8) as usize;
            frames.push(Frame {
                nanos: u64::from(word(at)) * 1_000_000_000 + u64::from(word(at + 4)) * 1000,
                data: file[at + 16..at + 16 + kept].to_vec(),
                wire_len: word(at + 12),
            });
            at += 16 + kept;
        }
        frames
    }

    /// This binary as the made-up exercise's check runner, with `env` set; its output.
    fn run_checks(env: &[(&str, &Path)]) -> Output {
        let me = std::env::current_exe().unwrap();
        let mut runner = Cmd::new(me).env(CHECKS, "1").timeout(DEADLINE);
        for (key, value) in env {
            runner = runner.env(key, value);
        }
        runner.run().unwrap()
    }

    /// A frame's TCP flags and payload, if it is an IPv4 TCP segment.
    fn tcp(frame: &Frame) -> Option<(u8, &[u8])> {
        let ip = frame.data.get(14..)?;
        if frame.data.get(12..14)? != [0x08, 0x00] || *ip.get(9)? != 6 {
            return None;
        }
        let segment = ip.get(usize::from(ip[0] & 0x0f) * 4..)?;
        let payload = segment.get(usize::from(segment.get(12)? >> 4) * 4..)?;
        Some((*segment.get(13)?, payload))
    }

    fn tcpdump_reads(file: &Path) -> Option<String> {
        let output = std::process::Command::new("tcpdump")
            .args(["-n", "-r"])
            .arg(file)
            .output();
        match output {
            Ok(output) => {
                assert!(
                    output.status.success(),
                    "tcpdump -r {}: {}",
                    file.display(),
                    String::from_utf8_lossy(&output.stderr)
                );
                Some(String::from_utf8_lossy(&output.stdout).into_owned())
            }
            Err(e) => {
                eprintln!("tcpdump not tried ({e}): not installed here?");
                None
            }
        }
    }

    pub mod tests {
        use super::*;

        pub fn a_capture_sees_the_handshake_and_the_data() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("exchange.pcap");
            let me = std::env::current_exe().unwrap();
            let capture = Cmd::new(me).env(CAPTURE_TO, &path).timeout(DEADLINE);
            let output = capture.run().unwrap();
            if output.code() == Some(i32::from(NO_NAMESPACES)) {
                let why = output.stderr_text();
                eprintln!("skipped a_capture_sees_the_handshake_and_the_data: {why}");
                return;
            }
            assert_eq!(output.code(), Some(0), "{}", output.report());
            let frames = frames_of(&std::fs::read(&path).unwrap());
            let segments: Vec<(u8, &[u8])> = frames.iter().filter_map(tcp).collect();
            let lines: Vec<String> = frames.iter().map(wire::segment_line).collect();
            let flags: Vec<u8> = segments.iter().map(|(flags, _)| *flags).collect();
            assert_eq!(flags.first(), Some(&0x02), "first a SYN: {lines:#?}");
            assert_eq!(flags.get(1), Some(&0x12), "then the SYN-ACK: {lines:#?}");
            assert!(
                segments.iter().any(|(_, data)| *data == LINE.as_bytes()),
                "the data: {lines:#?}"
            );
            assert!(lines[0].contains("Flags [S], seq"), "{lines:#?}");
            // Each frame once, though a loopback frame passes lo twice.
            assert_eq!(
                segments.iter().filter(|(flags, _)| *flags == 0x02).count(),
                1,
                "{lines:#?}"
            );
            if let Some(text) = tcpdump_reads(&path) {
                assert!(text.contains("Flags [S.]"), "{text}");
                assert!(text.contains("length 11"), "{text}");
            }
        }

        pub fn netlab_trace_saves_each_check_and_a_failure_shows_it() {
            let dir = tempfile::tempdir().unwrap();
            // Made by the runner.
            let traces: PathBuf = dir.path().join("traces");
            let output = run_checks(&[("NETLAB_TRACE", &traces)]);
            let report = output.stdout_text();
            if let Some(at) = report.find("    wire: no capture") {
                let why = report[at..].lines().next().unwrap_or_default();
                eprintln!("skipped netlab_trace_saves_each_check_and_a_failure_shows_it: {why}");
                return;
            }
            assert!(report.contains("1 passed; 1 failed"), "{report}");
            let failed = traces.join("server_echoes_the_line.pcap");
            let passed = traces.join("server_shouts_the_line.pcap");
            assert!(passed.is_file(), "a passing check's capture is saved too");
            let named = format!("frames on the check's loopback, in {} (", failed.display());
            assert!(report.contains(&named), "{report}");
            let shown: Vec<&str> = report
                .lines()
                .skip_while(|line| !line.starts_with("    wire: "))
                .skip(1)
                .take_while(|line| line.starts_with("          "))
                .collect();
            assert_eq!(shown.len(), 8, "the last 8 frames: {report}");
            assert!(
                shown.iter().any(|line| line.contains("Flags [P.]")),
                "{report}"
            );
            assert!(shown.iter().all(|line| line.contains(" IP 127.0.0.1.")));
            // The failure's text, then where the wire is, then the seed and the book.
            let wire = report.find("    wire: ").unwrap();
            assert!(report[..wire].contains("expected: \"hello wire\\n\""));
            assert!(report[wire..].contains("    read: book/src/packets.md"));
            let frames = frames_of(&std::fs::read(&failed).unwrap());
            let last = frames.last().map(wire::segment_line).unwrap_or_default();
            assert!(
                shown[7].ends_with(&last),
                "the file's last frame: {last}\n{report}"
            );
            if let Some(text) = tcpdump_reads(&failed) {
                assert!(text.contains("Flags [S]"), "{text}");
                assert!(text.contains("Flags [F.]"), "{text}");
            }
            // Unset (or empty): the report has no word of it.
            let output = run_checks(&[("NETLAB_TRACE", Path::new(""))]);
            assert!(!output.stdout_text().contains("wire:"));
        }

        pub fn without_a_network_of_its_own_a_failure_says_why() {
            let dir = tempfile::tempdir().unwrap();
            let traces = dir.path().join("traces");
            let output = run_checks(&[
                ("NETLAB_TRACE", &traces),
                ("NETLAB_SANDBOX", Path::new("off")),
            ]);
            let report = output.stdout_text();
            assert!(
                report.contains(
                    "    wire: no capture (NETLAB_TRACE): the check had no network of its \
                     own: the checks run unsandboxed here (NETLAB_SANDBOX=off), on this \
                     machine's loopback"
                ),
                "{report}"
            );
            assert!(!traces.exists(), "no file where nothing was captured");
        }
    }
}
