//! `grade --watch` driven as a student drives it, through a pseudo-terminal, in a copy of
//! the checkout: a save checks again, a build error is shown as cargo shows it, full marks
//! move on to the next exercise, `q` and Ctrl-C give the terminal back and leave nothing
//! running (a round cancelled mid-check included), nor does a terminal that hangs up;
//! without a terminal, plain lines.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use harness::Cmd;

use crate::common::{grade_exe, processes_mentioning, scratch, solution};

/// Long enough for a cold build of an exercise on a busy machine; a warm round takes a
/// few tenths of a second.
const ROUND: Duration = Duration::from_secs(120);
const SEED: &str = "1066";

/// A copy of the checkout, the starters as committed with `os_args` laid over them when
/// given, and a scratch folder for grade's builds, both named after `name` (kept between
/// runs: warm builds).
fn checkout(name: &str, os_args: Option<&[u8]>) -> (PathBuf, PathBuf) {
    let copy = scratch(&format!("watch-{name}-checkout"));
    let mut overlay = BTreeMap::new();
    if let Some(text) = os_args {
        overlay.insert(
            PathBuf::from("exercises/os_args/src/bin/os_args.rs"),
            text.to_vec(),
        );
    }
    let workspace = grading::build::Workspace::locate().unwrap();
    grading::starters::mirror_checkout(&workspace, &copy, overlay).unwrap();
    (copy, scratch(&format!("watch-{name}-builds")))
}

/// The student's program file in `copy`.
fn os_args_file(copy: &Path) -> PathBuf {
    copy.join("exercises/os_args/src/bin/os_args.rs")
}

/// A pseudo-terminal pair: the master the test reads and types into, the slave grade
/// gets as its terminal.
fn open_pty() -> (File, File) {
    #[allow(unsafe_code)]
    // SAFETY: posix_openpt (open(2) of /dev/ptmx, flags passed on) returns a new
    // descriptor or -1; grantpt, unlockpt and ptsname_r
    // take it, and ptsname_r writes at most the buffer's length.
    unsafe {
        // Close-on-exec: a copy in grade would keep the terminal from ever hanging up.
        let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(master >= 0, "no pseudo-terminal here");
        let master = File::from(OwnedFd::from_raw_fd(master));
        assert_eq!(libc::grantpt(master.as_raw_fd()), 0);
        assert_eq!(libc::unlockpt(master.as_raw_fd()), 0);
        let mut name = [0 as libc::c_char; 128];
        assert_eq!(
            libc::ptsname_r(master.as_raw_fd(), name.as_mut_ptr(), name.len()),
            0
        );
        let path = std::ffi::CStr::from_ptr(name.as_ptr()).to_string_lossy();
        let slave = File::options()
            .read(true)
            .write(true)
            .open(path.as_ref())
            .unwrap();
        (master, slave)
    }
}

/// The terminal settings of `tty`, as bytes to compare.
fn settings(tty: &File) -> Vec<u8> {
    #[allow(unsafe_code)]
    // SAFETY: termios is plain data that tcgetattr fills in for a terminal's descriptor.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(tty.as_raw_fd(), &mut t), 0);
        let bytes = std::slice::from_raw_parts(
            (&t as *const libc::termios).cast::<u8>(),
            std::mem::size_of::<libc::termios>(),
        );
        bytes.to_vec()
    }
}

/// grade --watch on a pseudo-terminal of its own (its controlling terminal: Ctrl-C typed
/// there is its SIGINT). Dropped, it is stopped as a signal stops it, then killed.
struct Watch {
    child: Child,
    /// None once the terminal is hung up.
    master: Option<File>,
    /// Cleared to stop the thread that reads the master, which holds a copy of it.
    reading: Arc<AtomicBool>,
    reader: Option<thread::JoinHandle<()>>,
    tty: File,
    /// The terminal's settings before grade started.
    found: Vec<u8>,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl Watch {
    fn start(copy: &Path, builds: &Path, extra: &[&str]) -> Watch {
        let (master, tty) = open_pty();
        let found = settings(&tty);
        let mut command = Command::new(grade_exe());
        command
            .args(["--watch", "--scratch"])
            .arg(builds)
            .args(extra)
            .current_dir(copy)
            .env(harness::seed::VAR, SEED)
            .env("NETLAB_WATCH_DEBOUNCE_MS", "20")
            .stdin(Stdio::from(tty.try_clone().unwrap()))
            .stdout(Stdio::from(tty.try_clone().unwrap()))
            .stderr(Stdio::from(tty.try_clone().unwrap()));
        {
            use std::os::unix::process::CommandExt;
            #[allow(unsafe_code)]
            // SAFETY: only async-signal-safe calls between fork and exec: a session of its
            // own, and the terminal on fd 0 made its controlling terminal.
            unsafe {
                command.pre_exec(|| {
                    if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let child = command.spawn().expect("grade starts");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let reading = Arc::new(AtomicBool::new(true));
        let (mut input, sink, go_on) = (
            master.try_clone().unwrap(),
            Arc::clone(&seen),
            Arc::clone(&reading),
        );
        let reader = thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while go_on.load(Ordering::SeqCst) {
                // A look every 100 ms at most: hang_up needs this copy closed too.
                let mut ready = libc::pollfd {
                    fd: input.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                #[allow(unsafe_code)]
                // SAFETY: one pollfd, which outlives the call.
                if unsafe { libc::poll(&mut ready, 1, 100) } <= 0 {
                    continue;
                }
                match input.read(&mut buf) {
                    Ok(n @ 1..) => sink.lock().unwrap().extend_from_slice(&buf[..n]),
                    _ => break,
                }
            }
        });
        Watch {
            child,
            master: Some(master),
            reading,
            reader: Some(reader),
            tty,
            found,
            seen,
        }
    }

    /// Everything shown so far, as text.
    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.seen.lock().unwrap()).into_owned()
    }

    /// Wait until what is shown after `from` bytes holds `text`; returns where it ends.
    fn wait_for(&self, from: usize, text: &str) -> usize {
        harness::wait::until(ROUND, || {
            let seen = self.seen.lock().unwrap();
            let after = String::from_utf8_lossy(&seen[from.min(seen.len())..]).into_owned();
            after.find(text).map(|at| from + at + text.len())
        })
        .unwrap_or_else(|e| {
            panic!(
                "{text:?} not shown ({e}); the screen:\n{}",
                &self.screen()[from..]
            )
        })
    }

    /// grade exited with `code` after `what`, gave the terminal back as it found it (its
    /// settings as before it started) and left nothing running in `builds`.
    fn ended_cleanly(&mut self, code: i32, what: &str, builds: &Path) {
        assert_eq!(self.exit_code(), Some(code), "{what}: {}", self.screen());
        assert!(
            settings(&self.tty) == self.found,
            "{what}: the terminal is not as found"
        );
        nothing_left_in(builds);
    }

    fn press(&mut self, keys: &[u8]) {
        let master = self.master.as_mut().expect("the terminal is up");
        master.write_all(keys).unwrap();
    }

    /// Close the terminal, as a dropped SSH session or a closed editor pane does: the
    /// kernel hangs it up and sends grade, its session's leader, SIGHUP.
    fn hang_up(&mut self) {
        self.reading.store(false, Ordering::SeqCst);
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        self.master = None;
    }

    /// Wait for grade to exit; its exit code.
    fn exit_code(&mut self) -> Option<i32> {
        let status = harness::wait::until(Duration::from_secs(20), || {
            self.child.try_wait().ok().flatten()
        })
        .expect("grade exits");
        status.code()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            #[allow(unsafe_code)]
            // SAFETY: kill(2) with plain integers: grade's pid, then its session's group.
            unsafe {
                libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
            }
            let gone = harness::wait::until(Duration::from_secs(10), || {
                self.child.try_wait().ok().flatten()
            });
            if gone.is_err() {
                #[allow(unsafe_code)]
                // SAFETY: as above.
                unsafe {
                    libc::kill(-(self.child.id() as libc::pid_t), libc::SIGKILL);
                }
                let _ = self.child.wait();
            }
        }
    }
}

/// Nothing left running that mentions `folder`.
fn nothing_left_in(folder: &Path) {
    let left = harness::wait::until(Duration::from_secs(5), || {
        let left = processes_mentioning(folder.as_os_str().as_encoded_bytes());
        left.is_empty().then_some(())
    });
    assert!(
        left.is_ok(),
        "processes left behind:\n{}",
        processes_mentioning(folder.as_os_str().as_encoded_bytes()).join("\n")
    );
}

pub fn a_save_checks_again_a_build_error_shows_and_full_marks_move_on() {
    let (copy, builds) = checkout("moves-on", None);
    let mut watch = Watch::start(&copy, &builds, &[]);
    let at = watch.wait_for(0, "next: argc_counts_every_argument");
    let at = watch.wait_for(at, "keys: Enter");
    assert!(watch.screen().contains("not written yet"));

    // A save that does not compile: the compiler's error, paths from the checkout.
    let file = os_args_file(&copy);
    let starter = fs::read_to_string(&file).unwrap();
    fs::write(
        &file,
        starter.replace("todo!(", "let n: u32 = \"1\"; todo!("),
    )
    .unwrap();
    let at = watch.wait_for(at, "does not compile: os_args");
    let at = watch.wait_for(at, "error[E0308]: mismatched types");
    let at = watch.wait_for(at, "--> exercises/os_args/src/bin/os_args.rs:");
    let at = watch.wait_for(at, "keys: Enter");

    // The model answer, saved: full marks, and on to the next exercise.
    fs::write(&file, solution("os_args", "os_args")).unwrap();
    let at = watch.wait_for(at, "os_args: full marks (9/9): on to fs_meta");
    let fs_meta = format!(
        "fs_meta: 0/18 (exercise 2 of {}; inputs drawn with seed 1066)",
        grading::exercises().len()
    );
    let at = watch.wait_for(at, &fs_meta);
    watch.wait_for(at, "keys: Enter");

    watch.press(b"q");
    watch.ended_cleanly(0, "q", &builds);
}

/// An os_args that never ends: every check waits on it until the round is stopped.
const NEVER_ENDS: &str = "//! Never ends.\nfn main() {\n    loop {\n        \
    std::thread::park();\n    }\n}\n";

/// Wait until the student's program runs (a check has started it); its pids.
fn program_running(builds: &Path) -> Vec<String> {
    let program = builds.join("submissions/local/target/debug/os_args");
    harness::wait::until(ROUND, || {
        let found = processes_mentioning(program.as_os_str().as_encoded_bytes());
        (!found.is_empty()).then_some(found)
    })
    .expect("the check starts the program")
}

pub fn a_save_q_ctrl_c_or_a_hang_up_during_a_round_stops_every_program_it_started() {
    let (copy, builds) = checkout("stops", Some(NEVER_ENDS.as_bytes()));
    let mut watch = Watch::start(&copy, &builds, &["--timeout", "60"]);
    let first = program_running(&builds);

    // A save cancels the round: the programs it started are stopped before the next.
    let file = os_args_file(&copy);
    fs::write(&file, format!("{NEVER_ENDS}// saved again\n")).unwrap();
    let pid = |line: &String| line.split(':').next().unwrap_or_default().to_string();
    let first: Vec<String> = first.iter().map(pid).collect();
    let cancelled = harness::wait::until(ROUND, || {
        let now = processes_mentioning(builds.as_os_str().as_encoded_bytes());
        (!now.iter().any(|line| first.contains(&pid(line)))).then_some(())
    });
    assert!(
        cancelled.is_ok(),
        "the cancelled round's programs still run"
    );
    program_running(&builds);

    watch.press(b"q");
    watch.ended_cleanly(0, "q", &builds);

    // Ctrl-C, typed on its terminal: SIGINT, and grade exits as the shell expects.
    let mut watch = Watch::start(&copy, &builds, &["--timeout", "60"]);
    program_running(&builds);
    watch.press(b"\x03");
    watch.ended_cleanly(130, "Ctrl-C", &builds);

    // The terminal closed (it is gone: nothing can be written to it any more): SIGHUP.
    let mut watch = Watch::start(&copy, &builds, &["--timeout", "60"]);
    program_running(&builds);
    watch.hang_up();
    assert_eq!(watch.exit_code(), Some(129), "{}", watch.screen());
    nothing_left_in(&builds);
}

pub fn without_a_terminal_it_prints_plain_lines_and_stops_when_its_input_ends() {
    let (copy, builds) = checkout("plain", None);
    let output = Cmd::new(grade_exe())
        .args(["--watch", "--scratch"])
        .arg(&builds)
        .cwd(&copy)
        .env(harness::seed::VAR, SEED)
        .timeout(ROUND)
        .run()
        .expect("grade starts");
    assert_eq!(output.code(), Some(0), "{}", output.report());
    let text = output.stdout_text();
    assert!(
        !text.contains('\x1b'),
        "escape codes in plain output:\n{text}"
    );
    let os_args = format!(
        "os_args: 0/9 (exercise 1 of {}; inputs drawn with seed 1066)",
        grading::exercises().len()
    );
    for line in [
        "checking os_args (seed 1066)...",
        os_args.as_str(),
        "next: argc_counts_every_argument",
        "seed: 1066 (replay: NETLAB_SEED=1066 cargo test -p os_args -- \
         argc_counts_every_argument --exact)",
        "read: book/src/os_args.md#what-argv-holds",
        "keys: Enter check again",
    ] {
        assert!(text.contains(line), "{line:?} missing:\n{text}");
    }
    nothing_left_in(&builds);
}
