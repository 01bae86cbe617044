//! Scenarios against the student's receiver: a peer sender with a drawn name (plain,
//! unusual but legal, hostile, already in DIR), a drawn size, drawn write boundaries (one
//! write, many small ones, pieces with pauses under the idle timeout), and a drawn end
//! (a half-close, a reset mid-file or right after `ok`, a stall past the idle timeout, a
//! connection that never sends its name). Each scenario has a receiver of its own, with
//! its own DIR and idle timeout, and knows what must come of it: the file saved whole
//! with its `saved` line, or refused with a reason, or nothing left at all; and after a
//! transfer that failed, the receiver serves the next one.

use std::cell::Cell;
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fastrand::Rng;
use harness::{Ctx, Failure, Running};

use super::common::{
    Folder, IDLE_LATE_MS, SAVE, SIZE_CLASSES, could_not_talk, data, entries, file_name, quoted,
    same_file, saved_line, size_of_class, text, with_receiver,
};
use super::names;
use super::receiver_failures::{holds_bytes, nothing_left};
use super::receiver_names::answer_to_bad_name;
use crate::peer::{self, IO_TIMEOUT, Sender};

/// The main features, one per scenario index modulo CLASSES: an unusual name, a hostile
/// one, one already in DIR, each size class, many small writes, pauses under the idle
/// timeout, a reset mid-file, a reset before the first byte, a stall past the idle
/// timeout, a connection that never sends its name.
pub(super) const CLASSES: usize = 9 + SIZE_CLASSES;

/// The run's two idle timeouts, in milliseconds.
#[derive(Clone, Copy)]
pub(super) struct Idle {
    pub short: u64,
    pub long: u64,
}

impl Idle {
    pub(super) fn draw(rng: &mut Rng) -> Idle {
        Idle {
            short: rng.u64(300..=400),
            long: rng.u64(2_000..=3_000),
        }
    }
}

/// How the peer sender writes the file.
#[derive(Clone, Copy)]
enum Writes {
    /// One write call for the whole file.
    One,
    /// Writes of this many bytes each, without pauses (no Nagle: each its own segment).
    Small(usize),
    /// This many pieces, this long apart: each pause under the idle timeout, all of them
    /// together over it.
    Paused(usize, Duration),
}

/// How the transfer ends.
#[derive(Clone, Copy, PartialEq)]
enum End {
    HalfClose,
    /// A reset once this many bytes are in.
    Reset(usize),
    /// Silence after this many bytes, past the idle timeout.
    Stall(usize),
    /// A connection that never sends its name.
    Silent,
}

pub(super) struct ToReceiver {
    idle_ms: u64,
    name: Vec<u8>,
    name_what: &'static str,
    /// The names to be refused, one connection each (every hostile form, or the name
    /// already in DIR); empty when the name is legal.
    refused: Vec<(Vec<u8>, &'static str)>,
    /// What DIR already holds under the name, when it does.
    existing: Option<Vec<u8>>,
    data: Vec<u8>,
    size_what: &'static str,
    writes: Writes,
    end: End,
    /// The file sent after a transfer that failed: the receiver must still serve.
    next: (String, Vec<u8>),
    /// Every other legal name form, each with its file, sent after the main one: each
    /// must be saved as it came (class 0).
    also_legal: Vec<(String, &'static str, Vec<u8>)>,
}

impl ToReceiver {
    /// Scenario `i`: its main feature is class `i mod CLASSES`. A legal name is the next
    /// of `legal` (a plain name and every unusual form, in turn, so that each one is
    /// played in every run).
    pub(super) fn draw(
        rng: &mut Rng,
        i: usize,
        legal: &[(String, &'static str)],
        next_legal: &mut usize,
        idle: Idle,
    ) -> ToReceiver {
        let class = i % CLASSES;
        // Short where the timeout is the point, or cannot change the outcome (a reset);
        // elsewhere long enough that a machine busy elsewhere cannot starve the peer
        // sender past it. One value of each per run: a panic is shown with its command.
        let idle_ms = match class {
            10..=14 => idle.short,
            _ => idle.long,
        };
        let (mut name, mut name_what) = (Vec::new(), "");
        let mut refused = Vec::new();
        let mut existing = None;
        match class {
            1 => {
                // Every form, each its own connection, one after another. Absolute paths
                // and the climb two folders up would land outside this scenario's folder:
                // recv_refuses_hostile_names tries those where it can look.
                let root = std::env::temp_dir().join(format!("netlab-{}", file_name(rng)));
                refused = names::hostile(rng, &root)
                    .into_iter()
                    .filter(|h| h.escape.is_none())
                    .map(|h| (h.name, h.what))
                    .collect();
            }
            2 => {
                (name, name_what) = (file_name(rng).into_bytes(), "a name already in DIR");
                existing = Some(text(rng));
                refused.push((name.clone(), name_what));
            }
            _ => {
                let (n, what) = legal[*next_legal % legal.len()].clone();
                *next_legal += 1;
                (name, name_what) = (n.into_bytes(), what);
            }
        }
        let also_legal = match class {
            0 => legal
                .iter()
                .filter(|(other, _)| other.as_bytes() != name)
                .map(|(other, what)| (other.clone(), *what, data(rng, 0..=3_000)))
                .collect(),
            _ => Vec::new(),
        };
        let size_class = match class {
            3..=8 => class - 3,
            _ => rng.usize(..SIZE_CLASSES),
        };
        let (size, size_what) = size_of_class(rng, size_class);
        // The size classes in one write each (the size is their point); the rest drawn.
        let mut writes = match class {
            3..=8 => Writes::One,
            _ if rng.bool() => Writes::One,
            _ => Writes::Small(rng.usize(1..=64).max(size / 2_000)),
        };
        let mut end = End::HalfClose;
        let mut data_len = size;
        match class {
            9 => {
                data_len = rng.usize(2_000..=20_000);
                writes = Writes::Small(rng.usize(1..=32));
            }
            10 => {
                data_len = rng.usize(1_000..=30_000);
                writes = Writes::Paused(7, Duration::from_millis(idle_ms / 4));
            }
            11 => {
                data_len = size.max(rng.usize(2..=100_000));
                end = End::Reset(rng.usize(1..data_len));
            }
            12 => end = End::Reset(0),
            13 => {
                data_len = size.max(rng.usize(2..=50_000));
                end = End::Stall(rng.usize(1..data_len));
            }
            14 => end = End::Silent,
            _ => {}
        }
        let size_what = match data_len == size {
            true => size_what,
            false => "a drawn size",
        };
        let data = data(rng, data_len..=data_len);
        let next = (format!("next-{}", file_name(rng)), text(rng));
        ToReceiver {
            idle_ms,
            name,
            name_what,
            refused,
            existing,
            data,
            size_what,
            writes,
            end,
            next,
            also_legal,
        }
    }

    fn name(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }

    /// Play the scenario; once more (twice at most) when this side paused longer than the
    /// idle timeout itself, the machine too busy to run it on time: the receiver that
    /// closed then was right.
    pub(super) fn play(&self, ctx: &Ctx) -> Result<(), Failure> {
        let mut tries = 0;
        loop {
            let overran = Cell::new(false);
            match self.play_once(ctx, &overran) {
                Err(_) if overran.get() && tries < 2 => tries += 1,
                result => return result,
            }
        }
    }

    fn play_once(&self, ctx: &Ctx, overran: &Cell<bool>) -> Result<(), Failure> {
        let folder = Folder::new()?;
        if let Some(existing) = &self.existing {
            folder
                .files()
                .write(&format!("inbox/{}", self.name()), existing)?;
        }
        let idle = self.idle_ms.to_string();
        let inbox = folder.inbox();
        with_receiver(ctx, &["--idle-timeout", &idle], &inbox, |server, addr| {
            if self.end == End::Silent {
                let mut silent = Sender::connect(addr).map_err(could_not_talk)?;
                self.closed_after_idle(
                    &mut silent,
                    Instant::now(),
                    "a connection that never sent a name",
                )?;
                return self.serves_next(server, &folder, addr);
            }
            if !self.refused.is_empty() {
                for (name, what) in &self.refused {
                    self.refusal(&folder, addr, name, what)?;
                }
                return self.serves_next(server, &folder, addr);
            }
            let mut sender = Sender::connect(addr).map_err(could_not_talk)?;
            sender.send_name(&self.name).map_err(could_not_talk)?;
            let reply = sender.reply().map_err(|e| {
                Failure::expected(
                    format!("a reply to the name {}", quoted(&self.name)),
                    format!("the read failed: {e}"),
                )
            })?;
            if reply != b"ok" {
                return Err(Failure::expected(
                    format!(
                        "exactly `ok` to the name {} ({}: a legal name)",
                        quoted(&self.name),
                        self.name_what
                    ),
                    quoted(&reply),
                ));
            }
            match self.end {
                End::HalfClose => {
                    let whole = self.whole(server, &folder, &mut sender);
                    let idle = Duration::from_millis(self.idle_ms);
                    overran.set(sender.longest_pause >= idle * 3 / 4);
                    whole?;
                    self.others_legal(server, &folder, addr)
                }
                End::Reset(after) => {
                    self.write(&mut sender, &self.data[..after])?;
                    let had_file = holds_bytes(&folder, after, Duration::from_millis(500));
                    sender.abort().map_err(could_not_talk)?;
                    nothing_left(server, &folder, &self.name(), had_file)?;
                    self.serves_next(server, &folder, addr)
                }
                End::Stall(after) => {
                    self.write(&mut sender, &self.data[..after])?;
                    let since = Instant::now();
                    self.closed_after_idle(&mut sender, since, "a transfer that stopped mid-file")?;
                    nothing_left(server, &folder, &self.name(), false)?;
                    self.serves_next(server, &folder, addr)
                }
                End::Silent => unreachable!("played above"),
            }
        })
    }

    /// Write `bytes` the drawn way.
    fn write(&self, sender: &mut Sender, bytes: &[u8]) -> Result<(), Failure> {
        match self.writes {
            Writes::One => sender.send(bytes),
            Writes::Small(size) => sender.send_in_pieces(bytes, size, Duration::ZERO),
            Writes::Paused(pieces, pause) => {
                sender.send_in_pieces(bytes, bytes.len().div_ceil(pieces).max(1), pause)
            }
        }
        .map_err(|e| match self.writes {
            Writes::Paused(_, pause) => Failure::expected(
                format!(
                    "the receiver takes the {} bytes after `ok`, sent in pieces {} ms apart: \
                     each pause is under --idle-timeout {}, which is for one read, not a \
                     deadline for the whole connection",
                    bytes.len(),
                    pause.as_millis(),
                    self.idle_ms
                ),
                format!("the receiver let go mid-file, sending failed: {e}"),
            ),
            _ => Failure::expected(
                format!("the receiver takes the {} bytes after `ok`", bytes.len()),
                format!("sending them failed: {e}"),
            ),
        })
    }

    /// The whole file, a half-close: the receiver closes, says `saved`, and DIR holds the
    /// file and nothing else.
    fn whole(&self, server: &Running, folder: &Folder, sender: &mut Sender) -> Result<(), Failure> {
        self.write(sender, &self.data)?;
        let extra = sender.wait_finished(IO_TIMEOUT).map_err(|e| {
            Failure::expected(
                format!("the receiver closes once {} is saved", quoted(&self.name)),
                format!("after the last byte and a half-close, {e}"),
            )
        })?;
        if !extra.is_empty() {
            return Err(Failure::expected(
                "nothing on the connection after `ok`",
                quoted(&extra),
            ));
        }
        let name = self.name();
        saved_line(server, &name, self.data.len())?;
        same_file(folder, &name, &self.data, &name)?;
        let left = harness::wait::until(SAVE, || {
            let left = entries(folder);
            (left.len() == 1).then_some(())
        });
        if left.is_err() {
            return Err(Failure::expected(
                format!("DIR holding {name:?} alone once it is saved"),
                format!("{:?}: remove the temporary file", entries(folder)),
            ));
        }
        Ok(())
    }

    /// Every other legal name form, one connection each: each saved as it came, and DIR
    /// holds them all.
    fn others_legal(
        &self,
        server: &Running,
        folder: &Folder,
        addr: SocketAddr,
    ) -> Result<(), Failure> {
        for (name, what, data) in &self.also_legal {
            let legal = |e: String| {
                Failure::expected(
                    format!("{name:?} ({what}: a legal name) taken and saved as it came"),
                    e,
                )
            };
            let reply = peer::send_file(addr, name.as_bytes(), data).map_err(legal)?;
            if reply != b"ok" {
                return Err(legal(format!("the reply {}", quoted(&reply))));
            }
            saved_line(server, name, data.len())?;
            same_file(folder, name, data, &format!("{name} ({what})"))?;
        }
        let held = entries(folder).len();
        if held != 1 + self.also_legal.len() {
            return Err(Failure::expected(
                format!(
                    "DIR holding the {} files sent, nothing else",
                    1 + self.also_legal.len()
                ),
                format!("{:?}", entries(folder)),
            ));
        }
        Ok(())
    }

    /// A name refused: a reason, a close, nothing created (the file already in DIR left
    /// as it was).
    fn refusal(
        &self,
        folder: &Folder,
        addr: SocketAddr,
        name: &[u8],
        what: &str,
    ) -> Result<(), Failure> {
        let shown = format!("{} ({what})", quoted(name));
        let (mut sender, reply) = answer_to_bad_name(addr, name, &shown)?;
        if reply.starts_with(b"ok") {
            let _ = sender.send(&self.data);
            let _ = sender.finish(IO_TIMEOUT);
            return Err(Failure::expected(
                format!("a refusal (a reason, not `ok`) for the name {shown}"),
                quoted(&reply),
            ));
        }
        sender.wait_closed(IO_TIMEOUT).map_err(|e| {
            Failure::expected(format!("the receiver closes after refusing {shown}"), e)
        })?;
        drop(sender);
        if let Some(existing) = &self.existing {
            same_file(
                folder,
                &self.name(),
                existing,
                "the file already in DIR, untouched",
            )?;
        }
        let wanted = usize::from(self.existing.is_some());
        if entries(folder).len() != wanted {
            return Err(Failure::expected(
                format!("nothing created for the name {shown}"),
                format!("DIR holds {:?}", entries(folder)),
            ));
        }
        Ok(())
    }

    /// The connection closed by the receiver about the idle timeout after `since`.
    fn closed_after_idle(
        &self,
        sender: &mut Sender,
        since: Instant,
        what: &str,
    ) -> Result<(), Failure> {
        let idle = self.idle_ms;
        let too_late = Duration::from_millis(idle + IDLE_LATE_MS);
        let closed = sender.wait_closed(too_late * 3);
        let after = since.elapsed();
        let wanted = format!(
            "{what} closed by the receiver about {idle} ms after its last byte \
             (--idle-timeout {idle}: each read waits that long at most)"
        );
        match closed {
            Err(e) => Err(Failure::expected(wanted, e)),
            Ok(_) if after > too_late || after < Duration::from_millis(idle * 3 / 4) => Err(
                Failure::expected(wanted, format!("closed after {} ms", after.as_millis())),
            ),
            Ok(_) => Ok(()),
        }
    }

    /// After a transfer that failed or was refused, the next one is saved.
    fn serves_next(
        &self,
        server: &Running,
        folder: &Folder,
        addr: SocketAddr,
    ) -> Result<(), Failure> {
        let (name, data) = &self.next;
        let serve_on = |e: String| {
            Failure::expected(
                format!(
                    "the next sender's {name:?} saved: a transfer that failed is no reason to stop serving"
                ),
                e,
            )
        };
        let reply = peer::send_file(addr, name.as_bytes(), data).map_err(serve_on)?;
        if reply != b"ok" {
            return Err(serve_on(format!("the reply {}", quoted(&reply))));
        }
        saved_line(server, name, data.len())?;
        same_file(folder, name, data, name)
    }
}

impl fmt::Display for ToReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a peer sender to tcp_recv --idle-timeout {}: ",
            self.idle_ms
        )?;
        if self.end == End::Silent {
            return write!(
                f,
                "connects and never sends a name; then {:?} is sent",
                self.next.0
            );
        }
        if self.existing.is_some() {
            return write!(
                f,
                "the name {} (a name already in DIR), to be refused; then {:?} is sent",
                quoted(&self.name),
                self.next.0
            );
        }
        if !self.refused.is_empty() {
            return write!(
                f,
                "{} hostile names, one connection each, each to be refused; then {:?} is sent",
                self.refused.len(),
                self.next.0
            );
        }
        write!(f, "the name {} ({})", quoted(&self.name), self.name_what)?;
        write!(f, ", {} bytes ({})", self.data.len(), self.size_what)?;
        match self.writes {
            Writes::One => write!(f, " in one write")?,
            Writes::Small(n) => write!(f, " in writes of {n} bytes")?,
            Writes::Paused(n, pause) => write!(
                f,
                " in {n} pieces {} ms apart (each pause under the timeout)",
                pause.as_millis()
            )?,
        }
        match self.end {
            End::HalfClose if !self.also_legal.is_empty() => write!(
                f,
                ", then a half-close: to be saved; then each of the {} other legal name \
                 forms, one connection each",
                self.also_legal.len()
            ),
            End::HalfClose => write!(f, ", then a half-close: to be saved"),
            End::Reset(0) => write!(
                f,
                ", reset right after `ok`; then {:?} is sent",
                self.next.0
            ),
            End::Reset(n) => write!(f, ", reset after {n} bytes; then {:?} is sent", self.next.0),
            End::Stall(n) => write!(
                f,
                ", silent after {n} bytes, past the timeout; then {:?} is sent",
                self.next.0
            ),
            End::Silent => Ok(()),
        }
    }
}
