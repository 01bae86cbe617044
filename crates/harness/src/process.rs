//! Process control for checks: run a program with a deadline, capture its output up to a
//! cap, wait for a line such as `listening on ADDR`, and always kill and reap the program
//! and everything it started (its process group), whether the check passes, fails or panics.

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use crate::groups;
use crate::output::Output;
use crate::shell::shell_quote;
use crate::transcript::Transcript;

/// How long a program may run when a check does not say otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// How much of each output stream is kept; the rest is read and thrown away, so a program
/// that prints forever costs neither memory nor a blocked pipe.
pub const OUTPUT_CAP: usize = 1 << 20;

/// The variables of the harness's environment a walled program under test is given; the
/// rest stay with the grader. HOME is a path, not a secret: the walls keep what is there
/// out of reach, and the hostile fixtures aim at it to prove so.
const PASSED_ON: &[&str] = &["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "LC_CTYPE", "TZ"];

/// A program to run: path, arguments, stdin, working directory, environment, deadline.
#[derive(Clone)]
pub struct Cmd {
    program: PathBuf,
    args: Vec<OsString>,
    stdin: Stdin,
    cwd: Option<PathBuf>,
    env: Vec<(OsString, OsString)>,
    timeout: Duration,
    transcript: Option<Arc<Transcript>>,
    grace: Option<Duration>,
    /// A program under test: it runs inside the sandbox (crate::sandbox).
    untrusted: bool,
    /// Limits of its own for a program under test, instead of the sandbox's.
    limits: Option<crate::sandbox::Limits>,
}

#[derive(Clone)]
enum Stdin {
    Null,
    Bytes(Vec<u8>),
    Piped,
}

impl Cmd {
    pub fn new(program: impl AsRef<Path>) -> Self {
        Cmd {
            program: program.as_ref().to_path_buf(),
            args: Vec::new(),
            stdin: Stdin::Null,
            cwd: None,
            env: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            transcript: None,
            grace: None,
            untrusted: false,
            limits: None,
        }
    }

    /// Code written by a stranger: run it inside the sandbox's walls, where the platform
    /// has them (see [`crate::sandbox`]).
    pub fn untrusted(mut self) -> Self {
        self.untrusted = true;
        self
    }

    /// Run a program under test with these limits instead of the sandbox's (a check about
    /// running out of open files lowers that one). Set even where there is no sandbox, on
    /// Linux.
    pub fn limits(mut self, limits: crate::sandbox::Limits) -> Self {
        self.limits = Some(limits);
        self
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    /// Bytes written to the program's stdin, which is then closed.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Stdin::Bytes(bytes.into());
        self
    }

    /// Keep stdin open as a pipe; write to it with [`Running::stdin`].
    pub fn stdin_piped(mut self) -> Self {
        self.stdin = Stdin::Piped;
        self
    }

    pub fn cwd(mut self, dir: impl AsRef<Path>) -> Self {
        self.cwd = Some(dir.as_ref().to_path_buf());
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_os_string(), value.as_ref().to_os_string()));
        self
    }

    /// The wall-clock limit for the whole run; the program is killed when it passes.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// When the deadline passes, send the process group SIGTERM and give it `grace` to
    /// exit before SIGKILL: for programs (such as grade's workers) that clean up after
    /// themselves. Without it the group is killed outright.
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = Some(grace);
        self
    }

    /// Record how the run ended (and any panic) in `transcript`.
    pub fn transcript(mut self, transcript: &Arc<Transcript>) -> Self {
        self.transcript = Some(Arc::clone(transcript));
        self
    }

    pub fn program(&self) -> &Path {
        &self.program
    }

    /// The command as a person would type it: program file name and quoted arguments.
    pub fn command_line(&self) -> String {
        let name = self
            .program
            .file_name()
            .unwrap_or(self.program.as_os_str())
            .to_string_lossy();
        let mut line = name.into_owned();
        for arg in &self.args {
            line.push(' ');
            line.push_str(&shell_quote(arg));
        }
        line
    }

    /// Start the program. It is killed (with its process group) when the [`Running`]
    /// is dropped, so a check that fails or panics leaves nothing behind.
    pub fn spawn(&self) -> std::io::Result<Running> {
        let wrapped = match self.untrusted {
            true => crate::sandbox::wrap(&self.program, self.limits),
            false => None,
        };
        let limited_by_hand = self.limits.filter(|_| wrapped.is_none());
        let walled = wrapped.is_some();
        let mut command = wrapped.unwrap_or_else(|| Command::new(&self.program));
        if walled {
            // The grader's environment is no stranger's business (a token, a password, the
            // paths of a home): a walled program gets only what a program needs to run,
            // and what the check sets.
            command.env_clear();
            for (key, value) in std::env::vars_os()
                .filter(|(key, _)| PASSED_ON.contains(&key.to_str().unwrap_or("")))
            {
                command.env(key, value);
            }
        }
        command
            .args(&self.args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(match self.stdin {
                Stdin::Null => Stdio::null(),
                Stdin::Bytes(_) | Stdin::Piped => Stdio::piped(),
            })
            // Panics stay one short message: the harness reads them, students never see
            // a backtrace.
            .env("RUST_BACKTRACE", "0");
        for (key, value) in &self.env {
            command.env(key, value);
        }
        if let Some(dir) = &self.cwd {
            command.current_dir(dir);
        }
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            // A group of its own, so that one kill reaches every process it starts.
            command.process_group(0);
        }
        let started = Instant::now();
        let mut child = groups::spawn(&mut command).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("could not start {}: {e}", self.program.display()),
            )
        })?;
        if let Some(limits) = limited_by_hand {
            crate::sandbox::limit_running(child.id(), &limits);
        }
        let stdout = Captured::start(child.stdout.take());
        let stderr = Captured::start(child.stderr.take());
        let mut stdin = child.stdin.take();
        if let (Stdin::Bytes(bytes), Some(mut pipe)) = (&self.stdin, stdin.take()) {
            let bytes = bytes.clone();
            // A thread of its own: a program that never reads must not block the check.
            thread::spawn(move || {
                let _ = pipe.write_all(&bytes);
            });
        }
        Ok(Running {
            child,
            command_line: self.command_line(),
            stdin,
            stdout,
            stderr,
            started,
            deadline: started + self.timeout,
            transcript: self.transcript.clone(),
            grace: self.grace,
            untrusted: self.untrusted,
            finished: false,
        })
    }

    /// Run to completion, or until the deadline, when it is killed.
    pub fn run(&self) -> std::io::Result<Output> {
        Ok(self.spawn()?.wait())
    }
}

/// One output stream of a running program, filled by a reader thread.
struct Captured {
    state: Mutex<CaptureState>,
    changed: Condvar,
}

#[derive(Default)]
struct CaptureState {
    bytes: Vec<u8>,
    dropped: u64,
    closed: bool,
}

impl Captured {
    fn start(pipe: Option<impl Read + Send + 'static>) -> Arc<Captured> {
        let captured = Arc::new(Captured {
            state: Mutex::new(CaptureState::default()),
            changed: Condvar::new(),
        });
        let Some(mut pipe) = pipe else {
            captured.lock().closed = true;
            return captured;
        };
        let sink = Arc::clone(&captured);
        thread::spawn(move || {
            let mut buf = [0u8; 64 * 1024];
            loop {
                let n = match pipe.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let mut state = sink.lock();
                let room = OUTPUT_CAP.saturating_sub(state.bytes.len()).min(n);
                state.bytes.extend_from_slice(&buf[..room]);
                state.dropped += (n - room) as u64;
                sink.changed.notify_all();
            }
            sink.lock().closed = true;
            sink.changed.notify_all();
        });
        captured
    }

    fn lock(&self) -> MutexGuard<'_, CaptureState> {
        // A poisoned lock only means a reader thread panicked; the bytes are still good.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wait until `found` returns Some for the bytes so far, the stream closes, or the
    /// deadline passes.
    fn wait_for<T>(&self, deadline: Instant, found: impl Fn(&[u8]) -> Option<T>) -> Option<T> {
        let mut state = self.lock();
        loop {
            if let Some(value) = found(&state.bytes) {
                return Some(value);
            }
            let now = Instant::now();
            if state.closed || now >= deadline {
                return None;
            }
            state = self
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn snapshot(&self) -> (Vec<u8>, u64) {
        let state = self.lock();
        (state.bytes.clone(), state.dropped)
    }
}

/// One of a program's output streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// A started program. Dropping it kills and reaps it and its process group.
pub struct Running {
    child: Child,
    command_line: String,
    stdin: Option<ChildStdin>,
    stdout: Arc<Captured>,
    stderr: Arc<Captured>,
    started: Instant,
    deadline: Instant,
    transcript: Option<Arc<Transcript>>,
    grace: Option<Duration>,
    untrusted: bool,
    /// Killed, reaped and collected: nothing left for Drop to do.
    finished: bool,
}

impl Running {
    pub fn command_line(&self) -> &str {
        &self.command_line
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The stdin pipe, when the command was made with [`Cmd::stdin_piped`].
    pub fn stdin(&mut self) -> Option<&mut ChildStdin> {
        self.stdin.as_mut()
    }

    /// Close stdin, so the program reads end of file.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The first stdout line, once it is complete; None if the program closed stdout or
    /// `timeout` passed first.
    pub fn first_line(&self, timeout: Duration) -> Option<String> {
        self.stdout.wait_for(Instant::now() + timeout, |bytes| {
            let end = bytes.iter().position(|&b| b == b'\n')?;
            let line = String::from_utf8_lossy(&bytes[..end]);
            Some(line.trim_end_matches('\r').to_string())
        })
    }

    /// Wait for a complete stdout line that satisfies `wanted`.
    pub fn wait_for_line(
        &self,
        timeout: Duration,
        wanted: impl Fn(&str) -> bool,
    ) -> Option<String> {
        self.stdout.wait_for(Instant::now() + timeout, |bytes| {
            let complete = &bytes[..bytes.iter().rposition(|&b| b == b'\n')? + 1];
            String::from_utf8_lossy(complete)
                .lines()
                .find(|line| wanted(line))
                .map(str::to_string)
        })
    }

    /// [`Running::wait_for_line`], but a line on stderr that satisfies `wanted` ends the
    /// wait too, and says so: a contract's line printed with eprintln! is that mistake,
    /// told at once rather than after the whole wait.
    pub fn wait_for_line_on_either(
        &self,
        timeout: Duration,
        wanted: impl Fn(&str) -> bool,
    ) -> Option<Stream> {
        let has_line = |(bytes, _): (Vec<u8>, u64)| {
            let complete = &bytes[..bytes
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |end| end + 1)];
            String::from_utf8_lossy(complete).lines().any(&wanted)
        };
        crate::wait::until(timeout, || {
            if has_line(self.stdout.snapshot()) {
                Some(Stream::Stdout)
            } else if has_line(self.stderr.snapshot()) {
                Some(Stream::Stderr)
            } else {
                None
            }
        })
        .ok()
    }

    /// Read the server's `listening on ADDR` announcement (its first stdout line).
    pub fn listening_addr(&self, timeout: Duration) -> Result<SocketAddr, String> {
        match self.first_line(timeout) {
            None => Err(format!(
                "no complete first line on stdout within {} ms",
                timeout.as_millis()
            )),
            Some(line) => line
                .strip_prefix("listening on ")
                .and_then(|addr| addr.trim().parse().ok())
                .ok_or_else(|| format!("first stdout line was {line:?}")),
        }
    }

    /// Stdout so far, as text.
    pub fn stdout_so_far(&self) -> String {
        String::from_utf8_lossy(&self.stdout.snapshot().0).into_owned()
    }

    /// Stderr so far, as text.
    pub fn stderr_so_far(&self) -> String {
        String::from_utf8_lossy(&self.stderr.snapshot().0).into_owned()
    }

    /// Whether the program has exited (without waiting).
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Wait for the program to exit, at most until its deadline; then kill it.
    pub fn wait(mut self) -> Output {
        self.wait_until(self.deadline)
    }

    /// Wait at most `timeout` (and never past the run's deadline) for the program to
    /// exit; then kill it as one past its deadline: its ending says it was still running.
    pub fn wait_for_exit(mut self, timeout: Duration) -> Output {
        self.deadline = self.deadline.min(Instant::now() + timeout);
        self.wait_until(self.deadline)
    }

    /// Kill the program now and collect what it printed.
    pub fn kill(mut self) -> Output {
        self.wait_until(Instant::now())
    }

    fn wait_until(&mut self, until: Instant) -> Output {
        let status = self.poll_exit(until);
        let timed_out = status.is_none() && until >= self.deadline;
        let status = match (status, self.grace) {
            (None, Some(grace)) if timed_out => {
                // SIGTERM first, then up to the grace period for the program to exit.
                groups::signal(self.child.id(), groups::Signal::Term);
                self.poll_exit(Instant::now() + grace)
            }
            (status, _) => status,
        };
        self.finish(status, timed_out)
    }

    /// The exit status, if the program exits by `until`. Polling: std has no
    /// wait-with-timeout.
    fn poll_exit(&mut self, until: Instant) -> Option<ExitStatus> {
        crate::wait::until_deadline(until, || match self.child.try_wait() {
            Ok(Some(status)) => Some(Some(status)),
            Ok(None) => None,
            Err(_) => Some(None),
        })
        .ok()
        .flatten()
    }

    /// Kill the group (even after a clean exit: children it left behind die too), reap the
    /// program if it has not exited, and collect what it printed.
    fn finish(&mut self, status: Option<ExitStatus>, timed_out: bool) -> Output {
        if self.untrusted {
            // First the program itself: it may have left the launcher's process group.
            crate::sandbox::kill_program(self.child.id());
        }
        groups::signal(self.child.id(), groups::Signal::Kill);
        let status = status.or_else(|| {
            let _ = self.child.kill();
            self.child.wait().ok()
        });
        groups::forget(self.child.id());
        self.finished = true;
        self.collect(status, timed_out)
    }

    fn collect(&mut self, status: Option<ExitStatus>, timed_out: bool) -> Output {
        self.stdin = None;
        // The pipes close once every process holding them is gone; a process that
        // escaped the group may keep them open, so this wait is bounded too.
        let grace = Instant::now() + Duration::from_millis(500);
        self.stdout.wait_for(grace, |_| None::<()>);
        self.stderr.wait_for(grace, |_| None::<()>);
        let (stdout, stdout_dropped) = self.stdout.snapshot();
        let (stderr, stderr_dropped) = self.stderr.snapshot();
        let stopped_by = match self.untrusted {
            true => crate::sandbox::stopped_by_limit(status, &stderr),
            false => None,
        };
        let output = Output {
            stopped_by,
            command_line: self.command_line.clone(),
            status,
            timed_out,
            elapsed: self.started.elapsed(),
            stdout,
            stderr,
            stdout_dropped,
            stderr_dropped,
        };
        if let Some(transcript) = &self.transcript {
            transcript.record(&output);
        }
        output
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.finished {
            self.finish(None, false);
        }
    }
}
