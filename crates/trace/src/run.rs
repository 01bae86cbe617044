//! One capture, start to end: the namespaces, the packet socket, COMMAND as a child in a
//! process group of its own, frames read until it ends, the rest drained, the file
//! written. Whatever happens (COMMAND ends, Ctrl-C, the time limit), COMMAND's process
//! group is killed and the child reaped before trace exits.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use harness::wire::{self, FrameRef, PacketSocket, PcapWriter, Shape};

use crate::Options;
use crate::namespace::{self, Unavailable};

/// How long one wait for frames lasts before trace looks at the child again.
const LOOK_EVERY: Duration = Duration::from_millis(50);
/// After COMMAND: frames still on their way (and the resets of what was killed) arrive
/// within this much quiet, and the drain never lasts longer than its limit.
const DRAIN_QUIET: Duration = Duration::from_millis(100);
const DRAIN_LIMIT: Duration = Duration::from_secs(1);
/// How long a child killed with SIGKILL may take to be reaped.
const REAP_LIMIT: Duration = Duration::from_secs(5);

/// How COMMAND's run ended.
enum Ending {
    Exited(ExitStatus),
    Signalled(i32),
    TimedOut,
    Failed(io::Error),
}

/// Capture COMMAND's traffic; returns trace's exit code.
pub fn run(options: Options) -> u8 {
    let ifindex = match namespace::enter() {
        Ok(ifindex) => ifindex,
        Err(Unavailable(why)) => {
            eprintln!("error: trace cannot capture here without root: {why}.");
            eprintln!(
                "Instead, as root: run `sudo tcpdump -i lo -w {}` in another terminal \
                 while you run your programs, then stop it with Ctrl-C.",
                options.file.display()
            );
            return 2;
        }
    };
    // NETLAB_TRACE_NO_RING=1 takes the road without a ring (one recvfrom(2) a frame).
    let ring = match std::env::var_os("NETLAB_TRACE_NO_RING") {
        None => Some(Shape::TOOL),
        Some(_) => None,
    };
    let mut capture = match PacketSocket::open(ifindex, ring) {
        Ok(capture) => capture,
        Err(e) => {
            eprintln!("error: could not open a packet socket on the namespace's loopback: {e}");
            return 2;
        }
    };
    let file = match File::create(&options.file) {
        Ok(file) => file,
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", options.file.display());
            return 2;
        }
    };
    let pcap = match PcapWriter::new(BufWriter::new(file)) {
        Ok(pcap) => pcap,
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", options.file.display());
            return 2;
        }
    };
    let mut recorder = Recorder {
        pcap,
        quiet: options.quiet,
        first: None,
        failed: None,
    };
    catch_signals();
    let mut child = match spawn(&options) {
        Ok(child) => child,
        Err(e) => {
            let name = options.command[0].to_string_lossy();
            eprintln!("error: cannot run {name}: {e}");
            recorder.finish(&options, &capture);
            return if e.kind() == io::ErrorKind::NotFound {
                127
            } else {
                126
            };
        }
    };
    let ending = watch(&mut child, &mut capture, &mut recorder, options.timeout);
    // Whatever COMMAND left running (a server started with `&`) ends with it.
    kill_group(&child);
    let reaped = reap(&mut child, &mut capture, &mut recorder);
    drain(&mut capture, &mut recorder);
    let written = recorder.finish(&options, &capture);
    let name = options.command[0].to_string_lossy();
    let code = match ending {
        Ending::Exited(status) => status
            .code()
            .map(|code| code as u8)
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0) as u8),
        Ending::Signalled(signal) => 128 + signal as u8,
        Ending::TimedOut => {
            eprintln!(
                "error: {name} still ran after {} s: trace stopped it (-t SECONDS gives it \
                 longer)",
                options.timeout.as_secs()
            );
            124
        }
        Ending::Failed(e) => {
            eprintln!("error: trace stopped {name}: {e}");
            2
        }
    };
    if !reaped {
        eprintln!("error: {name} did not end within 5 s of SIGKILL; it is left to init");
    }
    if written { code } else { 2 }
}

/// Read frames until COMMAND exits, a signal comes or the time is up.
fn watch(
    child: &mut Child,
    capture: &mut PacketSocket,
    recorder: &mut Recorder,
    limit: Duration,
) -> Ending {
    let deadline = Instant::now() + limit;
    loop {
        if let Err(e) = capture.read_ready(LOOK_EVERY, |frame| recorder.frame(frame)) {
            return Ending::Failed(io::Error::new(e.kind(), format!("reading frames: {e}")));
        }
        match child.try_wait() {
            Ok(Some(status)) => return Ending::Exited(status),
            Ok(None) => {}
            Err(e) => return Ending::Failed(e),
        }
        let signal = SIGNAL.load(Ordering::SeqCst);
        if signal != 0 {
            return Ending::Signalled(signal);
        }
        if Instant::now() >= deadline {
            return Ending::TimedOut;
        }
    }
}

/// The frames still queued, and those sent as the killed processes' sockets closed.
fn drain(capture: &mut PacketSocket, recorder: &mut Recorder) {
    let limit = Instant::now() + DRAIN_LIMIT;
    while Instant::now() < limit {
        match capture.read_ready(DRAIN_QUIET, |frame| recorder.frame(frame)) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// COMMAND in a process group of its own, so that it and whatever it starts can be
/// killed together. Its input is not the terminal: in the background of the terminal a
/// read would stop it for good, and Ctrl-C is for trace; it gets an empty input instead.
fn spawn(options: &Options) -> io::Result<Child> {
    let mut command = Command::new(&options.command[0]);
    command.args(&options.command[1..]).process_group(0);
    if io::stdin().is_terminal() {
        command.stdin(Stdio::null());
    }
    command.spawn()
}

fn kill_group(child: &Child) {
    if let Some(group) = rustix::process::Pid::from_raw(child.id() as i32) {
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
    }
}

/// Wait for the killed child, with a deadline; true once it is reaped. The pause between
/// looks is a wait for frames, which records those sent meanwhile.
fn reap(child: &mut Child, capture: &mut PacketSocket, recorder: &mut Recorder) -> bool {
    let limit = Instant::now() + REAP_LIMIT;
    while Instant::now() < limit {
        if !matches!(child.try_wait(), Ok(None)) {
            return true;
        }
        let _ = capture.read_ready(Duration::from_millis(5), |frame| recorder.frame(frame));
    }
    false
}

/// Where each frame goes: the file, and a line on stdout.
struct Recorder {
    pcap: PcapWriter<BufWriter<File>>,
    quiet: bool,
    first: Option<Duration>,
    failed: Option<io::Error>,
}

impl Recorder {
    fn frame(&mut self, frame: FrameRef<'_>) {
        if self.failed.is_none() {
            let written = self.pcap.frame(frame.stamp, frame.data, frame.original_len);
            self.failed = written.err();
        }
        if !self.quiet {
            let first = *self.first.get_or_insert(frame.stamp);
            let since = frame.stamp.saturating_sub(first).as_secs_f64();
            // A closed stdout (`| head`) must not stop the capture.
            let _ = writeln!(io::stdout(), "{}", wire::describe(since, frame.data));
        }
    }

    /// Flush the file and say what it holds; false if it could not be written whole.
    fn finish(self, options: &Options, capture: &PacketSocket) -> bool {
        let frames = self.pcap.frames();
        let path = options.file.display();
        let flushed = self.pcap.finish().and_then(|mut out| out.flush());
        if let Some(e) = self.failed.or(flushed.err()) {
            eprintln!("error: cannot write {path}: {e}");
            return false;
        }
        let dropped = capture.dropped();
        if dropped > 0 {
            eprintln!(
                "trace: {frames} frames written to {path}; {dropped} more were lost: the \
                 kernel had no room left for them (capture a smaller transfer)"
            );
        } else {
            eprintln!("trace: {frames} frames written to {path}");
        }
        true
    }
}

/// The signal received (SIGINT, SIGTERM, SIGHUP), 0 for none.
static SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(signal: libc::c_int) {
    SIGNAL.store(signal, Ordering::SeqCst);
}

/// Notice Ctrl-C rather than die of it, so that the capture is still written. COMMAND
/// gets the default actions back when it is started (exec resets caught signals).
fn catch_signals() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        #[allow(unsafe_code)]
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(signal, handler);
        }
    }
}
