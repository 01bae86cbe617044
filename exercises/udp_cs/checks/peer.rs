//! UDP peers for the udp_cs checks: an echo server that can lose, duplicate or ignore
//! datagrams and bring a stranger along, and a crowd of clients (one after another, then
//! all at once). Every peer listens on a loopback port 0, runs in a thread with a
//! deadline, and stops when dropped.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Bigger than any UDP payload.
const BUF: usize = 65_536;
/// How often a peer's thread looks at its stop flag.
const TICK: Duration = Duration::from_millis(10);
/// A peer thread never outlives this, even if nobody drops it.
const LIFETIME: Duration = Duration::from_secs(60);

/// How an [`EchoPeer`] treats what it receives.
#[derive(Clone, Copy, Debug, Default)]
pub struct Behaviour {
    /// Drop the first this many datagrams without replying (loss).
    pub drop_first: usize,
    /// Reply to nothing at all: a server that is down but whose port is taken.
    pub silent: bool,
    /// Send every echo twice (duplication): at once, and again when the next datagram
    /// arrives, before that one's echo, so the copy is there while the client waits for
    /// the next reply (a client that empties its socket before sending still meets it).
    pub twice: bool,
    /// For every datagram received, a stranger (another socket) first sends the client a
    /// copy of it, as if it were the server's reply.
    pub stranger_copies: bool,
    /// From the first datagram on, send its sender `noise` this often, from the server's
    /// own address: datagrams the client must skip without waiting longer.
    pub chatter: Option<Duration>,
    /// The noise: no payload a check sends starts with 0xfe.
    pub noise: [u8; 8],
    /// Send each echo this long after the datagram came, not at once.
    pub delay: Option<Duration>,
}

/// What an [`EchoPeer`] received: every datagram's payload with when it came, in order.
type Log = Arc<Mutex<Vec<(Instant, Vec<u8>)>>>;

/// A UDP echo server with awkward habits, in a thread of the check.
pub struct EchoPeer {
    addr: SocketAddr,
    stranger: SocketAddr,
    /// The payload of every datagram received, with when it came, in order.
    received: Log,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EchoPeer {
    /// An honest echo server.
    pub fn echo() -> io::Result<EchoPeer> {
        EchoPeer::start(Behaviour::default())
    }

    /// A peer on 127.0.0.1.
    pub fn start(behaviour: Behaviour) -> io::Result<EchoPeer> {
        EchoPeer::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), behaviour)
    }

    /// A peer on `addr` (port 0: any free port), `[::1]:0` for IPv6; its stranger sits on
    /// the same address.
    pub fn start_on(addr: SocketAddr, behaviour: Behaviour) -> io::Result<EchoPeer> {
        let socket = UdpSocket::bind(addr)?;
        socket.set_read_timeout(Some(TICK))?;
        let stranger = UdpSocket::bind(SocketAddr::new(addr.ip(), 0))?;
        let addr = socket.local_addr()?;
        let stranger_addr = stranger.local_addr()?;
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let received = Arc::clone(&received);
            let stop = Arc::clone(&stop);
            thread::spawn(move || serve(&socket, &stranger, behaviour, &received, &stop))
        };
        Ok(EchoPeer {
            addr,
            stranger: stranger_addr,
            received,
            stop,
            thread: Some(thread),
        })
    }

    /// Where clients send to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The stranger's address (it only ever sends).
    pub fn stranger_addr(&self) -> SocketAddr {
        self.stranger
    }

    /// The payload of every datagram received so far, in order.
    pub fn received(&self) -> Vec<Vec<u8>> {
        self.arrivals().into_iter().map(|(_, p)| p).collect()
    }

    /// Every datagram received so far with the instant it arrived, in order.
    pub fn arrivals(&self) -> Vec<(Instant, Vec<u8>)> {
        self.received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for EchoPeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    socket: &UdpSocket,
    stranger: &UdpSocket,
    behaviour: Behaviour,
    received: &Mutex<Vec<(Instant, Vec<u8>)>>,
    stop: &AtomicBool,
) {
    let deadline = Instant::now() + LIFETIME;
    let mut buf = vec![0u8; BUF];
    let mut seen = 0;
    let mut chatter: Option<(SocketAddr, Instant)> = None;
    let mut delayed: Vec<(Instant, Vec<u8>, SocketAddr)> = Vec::new();
    let mut copy_for_next: Option<Vec<u8>> = None;
    if let Some(every) = behaviour.chatter {
        // Look at the clock often enough to keep the noise on time.
        let _ = socket.set_read_timeout(Some((every / 4).clamp(Duration::from_millis(1), TICK)));
    }
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        let now = Instant::now();
        if let (Some((to, next)), Some(every)) = (chatter, behaviour.chatter) {
            if now >= next {
                let _ = socket.send_to(&behaviour.noise, to);
                chatter = Some((to, next + every));
            }
        }
        delayed.retain(|(when, payload, to)| {
            let due = now >= *when;
            if due {
                let _ = socket.send_to(payload, to);
            }
            !due
        });
        let (len, from) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            // The tick passed (or an ICMP error surfaced): look at the stop flag again.
            Err(_) => continue,
        };
        let payload = &buf[..len];
        received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((Instant::now(), payload.to_vec()));
        seen += 1;
        if behaviour.chatter.is_some() && chatter.is_none() {
            chatter = Some((from, Instant::now()));
        }
        if let Some(copy) = copy_for_next.take() {
            let _ = socket.send_to(&copy, from);
        }
        if behaviour.stranger_copies {
            let _ = stranger.send_to(payload, from);
        }
        if behaviour.silent || seen <= behaviour.drop_first {
            continue;
        }
        if let Some(delay) = behaviour.delay {
            delayed.push((Instant::now() + delay, payload.to_vec(), from));
            continue;
        }
        let _ = socket.send_to(payload, from);
        if behaviour.twice {
            copy_for_next = Some(payload.to_vec());
        }
    }
}

/// A harness-side client: one socket connected to `server`, bound to the loopback address
/// of the same family.
pub struct Client {
    socket: UdpSocket,
}

impl Client {
    pub fn connect(server: SocketAddr) -> io::Result<Client> {
        let local = match server {
            SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
        };
        let socket = UdpSocket::bind(local)?;
        socket.connect(server)?;
        Ok(Client { socket })
    }

    pub fn send(&self, payload: &[u8]) -> io::Result<()> {
        self.socket.send(payload).map(drop)
    }

    /// The next datagram from the server, within `timeout`.
    pub fn recv(&self, timeout: Duration) -> Result<Vec<u8>, NoReply> {
        self.socket
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))
            .map_err(|e| NoReply::Failed(format!("the check could not set a timeout: {e}")))?;
        let mut buf = vec![0u8; BUF];
        match self.socket.recv(&mut buf) {
            Ok(len) => Ok(buf[..len].to_vec()),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Err(NoReply::Silence(timeout))
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => Err(NoReply::Refused),
            Err(e) => Err(NoReply::Failed(format!("receiving failed: {e}"))),
        }
    }

    /// Send `payload` and receive one datagram back, within `timeout`.
    pub fn exchange(&self, payload: &[u8], timeout: Duration) -> Result<Vec<u8>, NoReply> {
        self.send(payload)
            .map_err(|e| NoReply::Failed(format!("sending failed: {e}")))?;
        self.recv(timeout)
    }
}

/// Why a [`Client`] got no datagram.
#[derive(Clone, Debug, PartialEq)]
pub enum NoReply {
    /// Nothing came within this long.
    Silence(Duration),
    /// ICMP port unreachable: nothing listens on the server's address (any more).
    Refused,
    /// Anything else, in words.
    Failed(String),
}

impl std::fmt::Display for NoReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoReply::Silence(timeout) => write!(f, "no reply within {} ms", timeout.as_millis()),
            NoReply::Refused => f.write_str(
                "the server's port is closed (ICMP port unreachable): the server has stopped",
            ),
            NoReply::Failed(what) => f.write_str(what),
        }
    }
}

/// The payload client `c` sends as its datagram `d`; `tag` is drawn per run.
fn crowd_payload(tag: &str, c: usize, d: usize) -> String {
    format!("{tag} client {c} datagram {d}")
}

/// `clients` clients of `server`, first one after another, then all at once. Err says, in
/// words that do not depend on how threads happened to be scheduled where that is
/// possible, which clients were let down and how.
///
/// 1. In turn: each client sends its datagram 0 (in client order, from this thread), then
///    each waits for its echo. A server that mixes up senders does it the same way every
///    run here (replying to the first client ever seen sends every echo to client 0).
/// 2. At once: one thread per client, each sending `per_client` datagrams one after
///    another and checking that each reply is exactly the datagram it just sent.
pub fn many_clients(
    server: SocketAddr,
    clients: usize,
    per_client: usize,
    timeout: Duration,
    tag: &str,
) -> Result<(), String> {
    in_turn(server, clients, timeout, tag)?;
    at_once(server, clients, per_client, timeout, tag)
}

fn in_turn(server: SocketAddr, clients: usize, timeout: Duration, tag: &str) -> Result<(), String> {
    let sockets = (0..clients)
        .map(|_| Client::connect(server))
        .collect::<io::Result<Vec<_>>>()
        .map_err(|e| format!("the check could not open its sockets: {e}"))?;
    for (c, client) in sockets.iter().enumerate() {
        client
            .send(crowd_payload(tag, c, 0).as_bytes())
            .map_err(|e| format!("client {c} could not send: {e}"))?;
    }
    // First what each client gets first, within one deadline for all; then, once every
    // echo has had all that time to arrive, whatever else each socket holds.
    let deadline = Instant::now() + timeout;
    let (mut silent, mut own) = (Vec::new(), 0);
    let mut others = vec![0; clients];
    for (c, client) in sockets.iter().enumerate() {
        let left = deadline.saturating_duration_since(Instant::now());
        match client.recv(left) {
            Ok(reply) if reply == crowd_payload(tag, c, 0).as_bytes() => own += 1,
            Ok(_) => others[c] += 1,
            Err(_) => silent.push(c),
        }
    }
    for (c, client) in sockets.iter().enumerate() {
        while client.recv(Duration::from_millis(1)).is_ok() {
            others[c] += 1;
        }
    }
    let foreign: Vec<(usize, usize)> = others
        .iter()
        .enumerate()
        .filter(|(_, count)| **count > 0)
        .map(|(c, count)| (c, *count))
        .collect();
    if silent.is_empty() && foreign.is_empty() {
        return Ok(());
    }
    let mut story = vec![format!(
        "{clients} clients each sent one datagram, one after another, then waited for its \
         echo: {own} of them got their own echo"
    )];
    if !silent.is_empty() {
        story.push(format!(
            "{} got no reply within {} ms ({})",
            silent.len(),
            timeout.as_millis(),
            list(&silent)
        ));
    }
    for (c, count) in &foreign {
        story.push(format!(
            "client {c} received {count} datagram(s) other clients had sent"
        ));
    }
    Err(story.join("; "))
}

/// `client 1`, `clients 1, 2, 3`, `clients 1 to 15`.
fn list(clients: &[usize]) -> String {
    match clients {
        [one] => format!("client {one}"),
        [first, .., last] if last - first + 1 == clients.len() && clients.len() > 3 => {
            format!("clients {first} to {last}")
        }
        _ => {
            let names: Vec<String> = clients.iter().map(usize::to_string).collect();
            format!("clients {}", names.join(", "))
        }
    }
}

/// How one client of [`at_once`] was let down.
enum LetDown {
    Silence,
    Foreign,
    Other(String),
}

fn at_once(
    server: SocketAddr,
    clients: usize,
    per_client: usize,
    timeout: Duration,
    tag: &str,
) -> Result<(), String> {
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let tag = tag.to_string();
            thread::spawn(move || -> Result<(), LetDown> {
                let client = Client::connect(server)
                    .map_err(|e| LetDown::Other(format!("no socket: {e}")))?;
                for d in 0..per_client {
                    let payload = crowd_payload(&tag, c, d);
                    match client.exchange(payload.as_bytes(), timeout) {
                        Ok(reply) if reply == payload.as_bytes() => {}
                        Ok(_) => return Err(LetDown::Foreign),
                        Err(NoReply::Silence(_)) => return Err(LetDown::Silence),
                        Err(other) => return Err(LetDown::Other(other.to_string())),
                    }
                }
                Ok(())
            })
        })
        .collect();
    let (mut silent, mut foreign, mut other) = (0, 0, None);
    for thread in threads {
        match thread.join() {
            Ok(Ok(())) => {}
            Ok(Err(LetDown::Silence)) => silent += 1,
            Ok(Err(LetDown::Foreign)) => foreign += 1,
            Ok(Err(LetDown::Other(what))) => other = other.or(Some(what)),
            Err(_) => other = other.or(Some("a client thread crashed".to_string())),
        }
    }
    if silent == 0 && foreign == 0 && other.is_none() {
        return Ok(());
    }
    // Counts, not the first client that failed: which one that is depends on scheduling.
    let mut story = vec![format!(
        "one after another every client got its echo, but {clients} clients at once, \
         {per_client} datagrams each, were let down"
    )];
    if foreign > 0 {
        story.push("some got back a datagram another client had sent".to_string());
    }
    if silent > 0 {
        story.push(format!(
            "some got no reply within {} ms",
            timeout.as_millis()
        ));
    }
    if let Some(what) = other {
        story.push(format!("some failed: {what}"));
    }
    Err(story.join("; "))
}
