//! The peer of the client scenarios (scenarios.rs): an echo server that knows the stdin
//! lines the client will send and treats each try of each line as the scenario drew it
//! (lost, echoed, twice, late, a copy held back for the next line, noise first, noise
//! all along, a stranger's copy instead). What it holds back is released when the next
//! datagram arrives, not after a delay, so what reaches the client is the same on a fast
//! machine and a slow one.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Bigger than any UDP payload.
const BUF: usize = 65_536;
/// How often the peer looks at its stop flag.
const TICK: Duration = Duration::from_millis(5);
/// A peer thread never outlives this, even if nobody drops it.
const LIFETIME: Duration = Duration::from_secs(30);

/// What the server does with one try (one datagram) of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// The echo, at once.
    Echo,
    /// Nothing: the datagram or its echo was lost.
    Lost,
    /// The echo twice, at once (duplication).
    Twice,
    /// Nothing now; the echo goes out when the next datagram arrives, before that one is
    /// answered: a reply that comes after the client's timeout.
    Late,
    /// The echo at once, and a copy held back until the next datagram arrives, sent
    /// before that one's answer: a late copy waiting in the next line's way.
    CopyBeforeNext,
    /// The echo at once, and a copy held back until the next datagram arrives, sent
    /// after that one's answer (reordering): it waits for the line after.
    CopyAfterNext,
    /// A datagram of noise from the server's address, then the echo.
    NoiseFirst,
    /// No echo; noise from the server's address every quarter of the timeout, until the
    /// next datagram arrives.
    Chatter,
    /// No echo; a stranger (another socket) sends the client the line itself.
    Stranger,
}

impl Fate {
    /// The echo reaches the client during this very try.
    pub fn answers(self) -> bool {
        matches!(
            self,
            Fate::Echo
                | Fate::Twice
                | Fate::CopyBeforeNext
                | Fate::CopyAfterNext
                | Fate::NoiseFirst
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            Fate::Echo => "echo",
            Fate::Lost => "lost",
            Fate::Twice => "echo twice",
            Fate::Late => "late (sent when the next datagram comes)",
            Fate::CopyBeforeNext => "echo, and a copy sent before the next answer",
            Fate::CopyAfterNext => "echo, and a copy sent after the next answer",
            Fate::NoiseFirst => "noise then echo",
            Fate::Chatter => "no echo, noise every timeout/4",
            Fate::Stranger => "no echo, a stranger sends the line",
        }
    }
}

/// What the peer received: for each datagram, the line it is (its index) or, for a
/// datagram that is no line, its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Received {
    Line(usize),
    Unknown(Vec<u8>),
}

/// A scenario's echo server, in a thread of the check.
pub struct ScenarioPeer {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// What the peer knows: the lines, each one's fates by try, the noise it sends.
pub struct Plan {
    pub lines: Vec<Vec<u8>>,
    pub fates: Vec<Vec<Fate>>,
    pub noise: Vec<u8>,
    pub timeout: Duration,
}

impl ScenarioPeer {
    pub fn start(plan: Plan) -> io::Result<ScenarioPeer> {
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
        socket.set_read_timeout(Some(TICK))?;
        let stranger = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = socket.local_addr()?;
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let received = Arc::clone(&received);
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                let mut server = Server {
                    socket,
                    stranger,
                    plan,
                    tries: Vec::new(),
                    before_next: Vec::new(),
                    after_next: Vec::new(),
                    chatter: None,
                };
                server.tries = vec![0; server.plan.lines.len()];
                server.serve(&received, &stop);
            })
        };
        Ok(ScenarioPeer {
            addr,
            received,
            stop,
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every datagram received so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for ScenarioPeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Server {
    socket: UdpSocket,
    stranger: UdpSocket,
    plan: Plan,
    /// Datagrams received so far of each line.
    tries: Vec<usize>,
    /// Held back until the next datagram arrives: sent before it is answered...
    before_next: Vec<Vec<u8>>,
    /// ... and after.
    after_next: Vec<Vec<u8>>,
    /// Where to send noise, and when next.
    chatter: Option<(SocketAddr, Instant)>,
}

impl Server {
    fn serve(&mut self, received: &Mutex<Vec<Received>>, stop: &AtomicBool) {
        let deadline = Instant::now() + LIFETIME;
        let mut buf = vec![0u8; BUF];
        while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
            self.chatter_on();
            let (len, from) = match self.socket.recv_from(&mut buf) {
                Ok(got) => got,
                Err(_) => continue,
            };
            let payload = buf[..len].to_vec();
            let line = self.plan.lines.iter().position(|l| *l == payload);
            received
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(match line {
                    Some(i) => Received::Line(i),
                    None => Received::Unknown(payload.clone()),
                });
            self.chatter = None;
            let before = std::mem::take(&mut self.before_next);
            let after = std::mem::take(&mut self.after_next);
            self.send_all(&before, from);
            match line {
                Some(i) => self.answer(i, &payload, from),
                // No line of stdin (a line sent with its `\r`, say): an honest echo, so
                // the client prints what it sent and the failure can show it.
                None => self.send_all(&[payload], from),
            }
            self.send_all(&after, from);
        }
    }

    fn answer(&mut self, line: usize, payload: &[u8], from: SocketAddr) {
        self.tries[line] += 1;
        let fate = self.plan.fates[line]
            .get(self.tries[line] - 1)
            .copied()
            // More tries than --tries: a wrong client; answer it, the check counts them.
            .unwrap_or(Fate::Echo);
        let echo = payload.to_vec();
        match fate {
            Fate::Echo => self.send_all(&[echo], from),
            Fate::Lost => {}
            Fate::Twice => self.send_all(&[echo.clone(), echo], from),
            Fate::Late => self.before_next.push(echo),
            Fate::CopyBeforeNext => {
                self.send_all(std::slice::from_ref(&echo), from);
                self.before_next.push(echo);
            }
            Fate::CopyAfterNext => {
                self.send_all(std::slice::from_ref(&echo), from);
                self.after_next.push(echo);
            }
            Fate::NoiseFirst => {
                let noise = self.plan.noise.clone();
                self.send_all(&[noise, echo], from);
            }
            Fate::Chatter => self.chatter = Some((from, Instant::now())),
            Fate::Stranger => {
                let _ = self.stranger.send_to(payload, from);
            }
        }
    }

    /// Noise every quarter of the timeout while chattering.
    fn chatter_on(&mut self) {
        let Some((to, next)) = self.chatter else {
            return;
        };
        if Instant::now() >= next {
            let _ = self.socket.send_to(&self.plan.noise, to);
            self.chatter = Some((to, next + self.plan.timeout / 4));
        }
    }

    fn send_all(&self, datagrams: &[Vec<u8>], to: SocketAddr) {
        for datagram in datagrams {
            let _ = self.socket.send_to(datagram, to);
        }
    }
}
