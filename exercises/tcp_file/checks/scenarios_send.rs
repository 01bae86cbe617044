//! Scenarios against the student's sender: a file of a drawn size (or one in /proc, whose
//! size `stat` does not know) under a plain or unusual name, sent to a peer receiver that
//! answers in a drawn way: `ok` at once or late, reading slowly, refusing with a reason,
//! closing without a word, or resetting the connection instead of closing it once the
//! file is in. Each knows what must come of it: the name alone before the reply, every
//! byte after `ok`, and `sent NAME (N bytes)` with exit 0 only after an orderly close;
//! otherwise `error: ...`, exit 1, no `sent` line.

use std::fmt;
use std::time::Duration;

use fastrand::Rng;
use harness::{Ctx, Failure, Output, expect};

use super::common::{Folder, SIZE_CLASSES, data, quoted, size_of_class};
use crate::peer::{self, Answer, IO_TIMEOUT};

/// A file whose size stat does not know (0 for /proc files), the same in every run and
/// for every process on the machine.
const PROC_FILE: &str = "/proc/version";

/// The main features, one per scenario index modulo CLASSES: each size class, one more
/// legal name, a file in /proc, a slow reader, a late `ok`, a refusal, a close without a
/// reply, a reset once the file is in.
pub(super) const CLASSES: usize = SIZE_CLASSES + 7;

/// How the peer receiver answers.
#[derive(Clone)]
enum Reply {
    Ok,
    /// `ok` this late.
    Late(Duration),
    /// Reads of at most this many bytes, this long apart.
    Slow(usize, Duration),
    Refuse(String),
    Silent,
    ResetAtEof,
}

pub(super) struct FromSender {
    name: String,
    name_what: &'static str,
    /// Sent from /proc, not from a file the check wrote.
    from_proc: bool,
    data: Vec<u8>,
    size_what: &'static str,
    reply: Reply,
}

impl FromSender {
    /// Scenario `i`: its main feature is class `i mod CLASSES`; its name the next of
    /// `legal` (a plain name and every unusual form in turn: each played every run).
    pub(super) fn draw(
        rng: &mut Rng,
        i: usize,
        legal: &[(String, &'static str)],
        next_legal: &mut usize,
    ) -> FromSender {
        let class = i % CLASSES;
        let (mut name, mut name_what) = (String::new(), "");
        if class != SIZE_CLASSES + 1 {
            (name, name_what) = legal[*next_legal % legal.len()].clone();
            *next_legal += 1;
        }
        // Not empty where the size is not the point: a sender that does not wait for `ok`
        // glues its first bytes to the name, or sends them after a refusal, every run.
        let size_class = match class {
            0..SIZE_CLASSES => class,
            _ => rng.usize(1..SIZE_CLASSES),
        };
        let (size, mut size_what) = size_of_class(rng, size_class);
        let mut data = data(rng, size..=size);
        let mut from_proc = false;
        if class == SIZE_CLASSES + 1 {
            from_proc = true;
            name = PROC_FILE
                .rsplit('/')
                .next()
                .unwrap_or(PROC_FILE)
                .to_string();
            name_what = "a file in /proc";
            size_what = "a size stat does not know";
            data.clear(); // read when played
        }
        let reply = match class.checked_sub(SIZE_CLASSES + 2) {
            Some(0) => {
                let len = rng.usize(20_000..=100_000);
                data = self::data(rng, len..=len);
                size_what = "for a slow reader";
                Reply::Slow(rng.usize(512..=4096), Duration::from_millis(1))
            }
            Some(1) => Reply::Late(Duration::from_millis(rng.u64(100..=250))),
            // A short reason, as the protocol has it: the name only when it is short too.
            Some(2) => Reply::Refuse(match rng.u8(..3) {
                0 if name.len() <= 64 => format!("exists: {name}"),
                1 => format!("no room: {}", harness::draw::short_word(rng)),
                _ => format!("bad name: {}", harness::draw::short_word(rng)),
            }),
            Some(3) => Reply::Silent,
            Some(4) => Reply::ResetAtEof,
            _ => Reply::Ok,
        };
        FromSender {
            name,
            name_what,
            from_proc,
            data,
            size_what,
            reply,
        }
    }

    pub(super) fn play(&self, ctx: &Ctx) -> Result<(), Failure> {
        let folder = Folder::new()?;
        let (path, data) = if self.from_proc {
            (PROC_FILE.to_string(), std::fs::read(PROC_FILE)?)
        } else {
            folder.write(&self.name, &self.data)?;
            // `./` first: a name that starts with a dash is not an option.
            (format!("./{}", self.name), self.data.clone())
        };
        let receiver = peer::Receiver::bind()?;
        let running = ctx
            .student("tcp_send")
            .cwd(folder.root())
            .arg(&path)
            .arg(receiver.addr()?.to_string())
            .timeout(Duration::from_secs(10))
            .spawn()?;
        let mut answer = Answer::default();
        match &self.reply {
            Reply::Ok => {}
            Reply::Late(delay) => answer.ok_delay = *delay,
            Reply::Slow(chunk, pause) => answer.slow_reads = Some((*chunk, *pause)),
            Reply::Refuse(reason) => answer.refuse = Some(reason.clone()),
            Reply::Silent => answer.close_silently = true,
            Reply::ResetAtEof => answer.reset_at_eof = true,
        }
        let pending = receiver.serve_one(answer);
        let output = running.wait();
        let got = pending.result(IO_TIMEOUT).map_err(|e| {
            Failure::expected("a transfer following the protocol", e).with_run(&output)
        })?;
        let in_the_name = |f: Failure| f.with_run(&output);
        if got.before_ok != self.name.as_bytes() {
            let glued = got.before_ok.starts_with(self.name.as_bytes());
            return Err(in_the_name(Failure::expected(
                format!(
                    "the name {} alone before the reply (the last component of the path, as it is)",
                    quoted(self.name.as_bytes())
                ),
                match glued {
                    true => format!(
                        "{}: the file's first bytes came before `ok`, glued to the name",
                        quoted(&got.before_ok)
                    ),
                    false => quoted(&got.before_ok),
                },
            )));
        }
        match &self.reply {
            Reply::Ok | Reply::Late(_) | Reply::Slow(..) => {
                expect::same_bytes("the bytes after `ok`", &data, &got.after_ok)
                    .map_err(|f| f.with_run(&output))?;
                expect::exit_code(&output, 0, "the file was taken and the receiver closed")?;
                expect::stdout_is(
                    &output,
                    format!("sent {} ({} bytes)\n", self.name, data.len()).as_bytes(),
                    "the one line `sent NAME (N bytes)`, N the bytes sent",
                )
            }
            Reply::Refuse(reason) => {
                failed(&output, "the receiver refused the file")?;
                if !output
                    .stderr_text()
                    .lines()
                    .any(|l| l.starts_with("error:") && l.contains(reason.trim()))
                {
                    return Err(Failure::expected(
                        format!("an `error: ...` line quoting the receiver's reason {reason:?}"),
                        "no such line on stderr",
                    )
                    .with_run(&output));
                }
                if !got.after_ok.is_empty() {
                    return Err(Failure::expected(
                        "no byte of the file after a refusal",
                        format!("{} bytes", got.after_ok.len()),
                    )
                    .with_run(&output));
                }
                Ok(())
            }
            Reply::Silent => failed(
                &output,
                "the receiver closed without a reply: the file was not taken",
            ),
            Reply::ResetAtEof => failed(
                &output,
                "the receiver reset the connection instead of closing it: nobody knows the \
                 file was saved",
            ),
        }
    }
}

/// `error: ...` on stderr, exit code 1, and no `sent` line.
fn failed(output: &Output, why: &str) -> Result<(), Failure> {
    expect::no_line_starting(output, "sent", why)?;
    expect::clean_error(output, why)
}

impl fmt::Display for FromSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.from_proc {
            true => write!(f, "tcp_send {PROC_FILE} ({})", self.size_what)?,
            false => write!(
                f,
                "tcp_send ./{} ({}), {} bytes ({})",
                self.name,
                self.name_what,
                self.data.len(),
                self.size_what
            )?,
        }
        match &self.reply {
            Reply::Ok => write!(f, "; the peer receiver answers `ok` and closes at the end"),
            Reply::Late(delay) => write!(
                f,
                "; the peer receiver answers `ok` {} ms late",
                delay.as_millis()
            ),
            Reply::Slow(chunk, pause) => write!(
                f,
                "; the peer receiver reads {chunk} bytes at a time, {} ms apart",
                pause.as_millis()
            ),
            Reply::Refuse(reason) => write!(f, "; the peer receiver refuses: {reason:?}"),
            Reply::Silent => write!(f, "; the peer receiver closes without a reply"),
            Reply::ResetAtEof => write!(
                f,
                "; the peer receiver takes the file, then resets the connection"
            ),
        }
    }
}
