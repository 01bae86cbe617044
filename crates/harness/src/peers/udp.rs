//! UDP peers for the udp_cs checks: an echo server that can lose, duplicate or ignore
//! datagrams and bring a stranger along, and a crowd of concurrent clients. Every peer
//! listens on 127.0.0.1:0, runs in a thread with a deadline, and stops when dropped.

use std::io;
use std::net::{SocketAddr, UdpSocket};
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
    /// Send every reply twice (duplication).
    pub twice: bool,
    /// For every datagram received, a stranger (another socket) first sends the client a
    /// copy of it, as if it were the server's reply.
    pub stranger_copies: bool,
}

/// A UDP echo server with awkward habits, in a thread of the check.
pub struct EchoPeer {
    addr: SocketAddr,
    stranger: SocketAddr,
    /// The payload of every datagram received, in order.
    received: Arc<Mutex<Vec<Vec<u8>>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EchoPeer {
    /// An honest echo server.
    pub fn echo() -> io::Result<EchoPeer> {
        EchoPeer::start(Behaviour::default())
    }

    pub fn start(behaviour: Behaviour) -> io::Result<EchoPeer> {
        let socket = UdpSocket::bind("127.0.0.1:0")?;
        socket.set_read_timeout(Some(TICK))?;
        let stranger = UdpSocket::bind("127.0.0.1:0")?;
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
    received: &Mutex<Vec<Vec<u8>>>,
    stop: &AtomicBool,
) {
    let deadline = Instant::now() + LIFETIME;
    let mut buf = vec![0u8; BUF];
    let mut seen = 0;
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        let (len, from) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            // The tick passed (or an ICMP error surfaced): look at the stop flag again.
            Err(_) => continue,
        };
        let payload = &buf[..len];
        received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(payload.to_vec());
        seen += 1;
        if behaviour.stranger_copies {
            let _ = stranger.send_to(payload, from);
        }
        if behaviour.silent || seen <= behaviour.drop_first {
            continue;
        }
        let _ = socket.send_to(payload, from);
        if behaviour.twice {
            let _ = socket.send_to(payload, from);
        }
    }
}

/// A harness-side client: one socket connected to `server`.
pub struct Client {
    socket: UdpSocket,
}

impl Client {
    pub fn connect(server: SocketAddr) -> io::Result<Client> {
        let socket = UdpSocket::bind("127.0.0.1:0")?;
        socket.connect(server)?;
        Ok(Client { socket })
    }

    pub fn send(&self, payload: &[u8]) -> io::Result<()> {
        self.socket.send(payload).map(drop)
    }

    /// The next datagram from the server, within `timeout`.
    pub fn recv(&self, timeout: Duration) -> Result<Vec<u8>, String> {
        self.socket
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))
            .map_err(|e| format!("the check could not set a timeout: {e}"))?;
        let mut buf = vec![0u8; BUF];
        match self.socket.recv(&mut buf) {
            Ok(len) => Ok(buf[..len].to_vec()),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Err(format!("no reply within {} ms", timeout.as_millis()))
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => Err(format!(
                "the server's port is closed ({e}): the server has stopped"
            )),
            Err(e) => Err(format!("receiving failed: {e}")),
        }
    }

    /// Send `payload` and receive one datagram back, within `timeout`.
    pub fn exchange(&self, payload: &[u8], timeout: Duration) -> Result<Vec<u8>, String> {
        self.send(payload)
            .map_err(|e| format!("sending failed: {e}"))?;
        self.recv(timeout)
    }
}

/// `clients` clients at once, each on its own socket and thread, each sending
/// `per_client` distinct datagrams to `server` one after another and checking that each
/// reply is exactly the datagram it just sent. Err describes the first client that was
/// let down.
pub fn many_clients(
    server: SocketAddr,
    clients: usize,
    per_client: usize,
    timeout: Duration,
) -> Result<(), String> {
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            thread::spawn(move || -> Result<(), String> {
                let client =
                    Client::connect(server).map_err(|e| format!("client {c}: no socket: {e}"))?;
                for d in 0..per_client {
                    let payload = format!("client {c} datagram {d}");
                    let reply = client
                        .exchange(payload.as_bytes(), timeout)
                        .map_err(|e| format!("client {c} sent {payload:?}: {e}"))?;
                    if reply != payload.as_bytes() {
                        return Err(format!(
                            "client {c} sent {payload:?} and got back {:?}, another's datagram",
                            String::from_utf8_lossy(&reply)
                        ));
                    }
                }
                Ok(())
            })
        })
        .collect();
    let mut first_error = None;
    for thread in threads {
        let outcome = thread
            .join()
            .unwrap_or_else(|_| Err("a client thread crashed".to_string()));
        if let (Err(e), None) = (outcome, &first_error) {
            first_error = Some(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}
