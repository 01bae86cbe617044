//! Awkward HTTP servers for http_get, written against the wire rather than any library:
//! a listener that records each request head exactly as it arrived (request line,
//! headers, the raw bytes with their line ends), then plays a script of its own: a head
//! one byte per write, a body that stops short, a connection held open after the body, a
//! huge head, a big body while watching the client's memory. One connection at a time,
//! in one thread, every wait with a deadline; dropping the server stops and joins it.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use harness::memory;

/// The longest the server waits for a request head, or holds a connection open.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// A request head that has not ended after this long is answered as it is: a client
/// that never sends the empty line is a request-shape failure, not a hung check.
const HEAD_WAIT: Duration = Duration::from_millis(1000);
/// More connections than any check needs: a client that follows redirects forever
/// finds the door shut after these.
const MAX_CONNECTIONS: usize = 40;
/// The size of one block of a big body.
pub const BLOCK: usize = 1 << 20;

/// One request head as the server received it.
#[derive(Clone, Debug, Default)]
pub struct Received {
    /// Every byte up to and including the empty line (or all that came before the wait
    /// ended).
    pub raw: Vec<u8>,
    /// The first line, without its line end.
    pub request_line: String,
    /// `(name, value)` as sent, value trimmed.
    pub headers: Vec<(String, String)>,
    /// The head ended with an empty line.
    pub complete: bool,
}

impl Received {
    /// Every value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The request's target: the second word of the request line.
    pub fn target(&self) -> &str {
        self.request_line.split(' ').nth(1).unwrap_or_default()
    }

    fn parse(raw: Vec<u8>, complete: bool) -> Received {
        let text = String::from_utf8_lossy(&raw).into_owned();
        let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let request_line = lines.next().unwrap_or_default().to_string();
        let headers = lines
            .take_while(|l| !l.is_empty())
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.to_string(), v.trim().to_string()))
            .collect();
        Received {
            raw,
            request_line,
            headers,
            complete,
        }
    }
}

/// What the server does with a connection once it has read the request head. After the
/// last step it closes (orderly: its write half, then it waits for the client's close),
/// unless the last step is [`Step::Hold`].
#[derive(Clone)]
pub enum Step {
    /// Write these bytes.
    Write(Vec<u8>),
    /// Write these bytes one per write, with a pause between writes.
    WriteSlowly(Vec<u8>, Duration),
    /// Write `len` bytes of the big body made from `base` ([`big_body_block`]), sampling
    /// the peak memory of process `watch` every 2 MiB.
    BigBody {
        base: Arc<Vec<u8>>,
        len: usize,
        watch: Option<u32>,
    },
    /// Write nothing for this long (a server thinking, a slow network).
    Pause(Duration),
    /// Keep the connection open, reading and dropping, until the client closes it (or
    /// the server is stopped): a keep-alive server that never closes, or one that never
    /// answers.
    Hold,
}

/// The script for connection number `n` (from 0), given its request.
pub type Answer = dyn Fn(usize, &Received) -> Vec<Step> + Send + Sync;

struct Shared {
    /// Each request with the number of its connection: connections are served at
    /// once, so they may be recorded out of order.
    received: Mutex<Vec<(usize, Received)>>,
    stop: AtomicBool,
    peak_rss: Mutex<Option<u64>>,
    /// For each connection the client closed: how long after the server's last byte.
    closed_after: Mutex<Vec<(usize, Duration)>>,
}

/// A server running in its own thread.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// What a server saw, once stopped.
#[derive(Debug, Default)]
pub struct Served {
    /// One per connection, in order.
    pub requests: Vec<Received>,
    /// The largest peak memory seen for a [`Step::BigBody`]'s `watch`.
    pub peak_rss: Option<u64>,
    /// For each connection in order: how long the client kept it after the server's last
    /// byte, if the client closed it (None: the server stopped first).
    pub closed_after: Vec<Option<Duration>>,
}

impl Server {
    /// Listen on `bind` (`127.0.0.1:0`, `[::1]:0`) and answer each connection as `answer`
    /// says.
    pub fn start(
        bind: &str,
        answer: impl Fn(usize, &Received) -> Vec<Step> + Send + Sync + 'static,
    ) -> io::Result<Server> {
        let listener = TcpListener::bind(bind)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            received: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            peak_rss: Mutex::new(None),
            closed_after: Mutex::new(Vec::new()),
        });
        let serving = Arc::clone(&shared);
        let answer: Arc<Answer> = Arc::new(answer);
        let thread = thread::spawn(move || serve(listener, &serving, &answer));
        Ok(Server {
            addr,
            shared,
            thread: Some(thread),
        })
    }

    /// The same answer on every connection.
    pub fn always(bind: &str, steps: Vec<Step>) -> io::Result<Server> {
        Server::start(bind, move |_, _| steps.clone())
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop serving (a held connection is let go) and return what was seen. Call it once
    /// the client has exited: every connection it made has been accepted by then.
    pub fn finish(mut self) -> Served {
        self.stop();
        let mut received = std::mem::take(&mut *lock(&self.shared.received));
        received.sort_by_key(|(n, _)| *n);
        let count = received.len();
        Served {
            requests: received.into_iter().map(|(_, r)| r).collect(),
            peak_rss: *lock(&self.shared.peak_rss),
            closed_after: {
                let closed = lock(&self.shared.closed_after);
                (0..count)
                    .map(|n| closed.iter().find(|(c, _)| *c == n).map(|(_, d)| *d))
                    .collect()
            },
        }
    }

    fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Accept connections (polling: std's accept has no deadline) until stopped, each
/// played its script in a thread of its own, as a real server would: a client that
/// keeps one connection open while it makes the next is not stuck behind it. The
/// threads are joined before this returns; each of their waits has a deadline.
fn serve(listener: TcpListener, shared: &Arc<Shared>, answer: &Arc<Answer>) {
    let mut players = Vec::new();
    while players.len() < MAX_CONNECTIONS {
        // Until the server is stopped (or nobody connects for a minute: a check is over).
        let Ok(stream) = harness::net::accept(&listener, Duration::from_secs(60), &shared.stop)
        else {
            break;
        };
        let n = players.len();
        let (shared, answer) = (Arc::clone(shared), Arc::clone(answer));
        players.push(thread::spawn(move || {
            let _ = play(stream, n, &shared, &*answer);
        }));
    }
    drop(listener); // past MAX_CONNECTIONS, the door is shut: connections are refused
    for player in players {
        let _ = player.join();
    }
}

fn play(stream: TcpStream, n: usize, shared: &Shared, answer: &Answer) -> io::Result<()> {
    let mut stream = stream;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let request = read_head(&mut stream, &shared.stop)?;
    lock(&shared.received).push((n, request.clone()));
    let steps = answer(n, &request);
    let held = matches!(steps.last(), Some(Step::Hold));
    for step in steps {
        match step {
            Step::Write(bytes) => stream.write_all(&bytes)?,
            Step::WriteSlowly(bytes, pause) => {
                stream.set_nodelay(true)?;
                for (i, byte) in bytes.iter().enumerate() {
                    if i > 0 {
                        harness::wait::on_purpose(pause, "a server that answers slowly");
                    }
                    stream.write_all(std::slice::from_ref(byte))?;
                }
            }
            Step::BigBody { base, len, watch } => {
                write_big_body(&mut stream, &base, len, watch, shared)?
            }
            Step::Pause(pause) => {
                stream.set_nodelay(true)?;
                harness::wait::on_purpose(pause, "a server that answers slowly");
            }
            Step::Hold => {}
        }
    }
    if !held {
        // An orderly close: our FIN after the last byte, then the client's close. Closing
        // with unread bytes would send a reset, which can destroy the response in flight.
        let _ = stream.shutdown(Shutdown::Write);
    }
    let last_byte = Instant::now();
    if drain_until_closed(&mut stream, &shared.stop)? {
        lock(&shared.closed_after).push((n, last_byte.elapsed()));
    }
    Ok(())
}

/// Read the request head: up to an empty line (CRLF CRLF, or LF LF from a client that
/// forgot its CRs: the checks say so), at most 64 KiB, at most [`HEAD_WAIT`].
fn read_head(stream: &mut TcpStream, stop: &AtomicBool) -> io::Result<Received> {
    let deadline = Instant::now() + HEAD_WAIT;
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = head_end(&raw) {
            raw.truncate(end);
            return Ok(Received::parse(raw, true));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || raw.len() > 64 * 1024 || stop.load(Ordering::SeqCst) {
            return Ok(Received::parse(raw, false));
        }
        stream.set_read_timeout(Some(left.min(Duration::from_millis(50))))?;
        match stream.read(&mut buf) {
            Ok(0) => return Ok(Received::parse(raw, false)),
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if waiting(&e) => {}
            Err(e) => return Err(e),
        }
    }
}

/// Where the head in `raw` ends (past its empty line), if it has.
fn head_end(raw: &[u8]) -> Option<usize> {
    let crlf = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let lf = raw.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Read and drop until the client closes (true), the server is stopped, or
/// [`IO_TIMEOUT`].
fn drain_until_closed(stream: &mut TcpStream, stop: &AtomicBool) -> io::Result<bool> {
    let deadline = Instant::now() + IO_TIMEOUT;
    let mut buf = [0u8; 4096];
    stream.set_read_timeout(Some(Duration::from_millis(20)))?;
    // A read before each look at `stop`: a client that closed just before the server was
    // stopped is still seen closing.
    while Instant::now() < deadline {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(true),
            Ok(_) => {}
            Err(e) if waiting(&e) => {}
            Err(_) => return Ok(true), // a reset: the client is gone too
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
    }
    Ok(false)
}

fn waiting(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// Block `k` of a big body made from `base`: `base` rotated by an offset of its own, so
/// that no two blocks are alike and a lost, doubled or swapped block shows.
pub fn big_body_block(base: &[u8], k: usize) -> [&[u8]; 2] {
    let at = (k * 104_729 + 1) % base.len().max(1); // a prime step: distinct offsets
    [&base[at..], &base[..at]]
}

fn write_big_body(
    stream: &mut TcpStream,
    base: &[u8],
    len: usize,
    watch: Option<u32>,
    shared: &Shared,
) -> io::Result<()> {
    let mut written = 0;
    let mut next_reading = 0;
    let mut k = 0;
    while written < len {
        for part in big_body_block(base, k) {
            let part = &part[..part.len().min(len - written)];
            stream.write_all(part)?;
            written += part.len();
        }
        k += 1;
        if let Some(pid) = watch.filter(|_| written >= next_reading) {
            sample(pid, shared);
            next_reading = written + (2 << 20);
        }
    }
    if let Some(pid) = watch {
        sample(pid, shared);
    }
    Ok(())
}

fn sample(pid: u32, shared: &Shared) {
    if let Some(bytes) = memory::peak_rss(pid) {
        let mut peak = lock(&shared.peak_rss);
        *peak = (*peak).max(Some(bytes));
    }
}

/// A response head: the status line, the headers, the empty line, CRLF throughout.
pub fn head(status: u16, reason: &str, headers: &[(&str, String)]) -> Vec<u8> {
    head_of_version("HTTP/1.1", status, reason, headers)
}

/// [`head`] with another version in the status line (`HTTP/1.0`: Python's http.server
/// answers every request so).
pub fn head_of_version(
    version: &str,
    status: u16,
    reason: &str,
    headers: &[(&str, String)],
) -> Vec<u8> {
    let mut text = format!("{version} {status} {reason}\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.into_bytes()
}

/// A head from a status line and header lines written as they are (`name:value`,
/// `NAME:  value \t`), CRLF after each and the empty line.
pub fn head_lines(status_line: &str, lines: &[String]) -> Vec<u8> {
    let mut text = format!("{status_line}\r\n");
    for line in lines {
        text.push_str(line);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    text.into_bytes()
}

/// A whole response with a `Content-Length` body.
pub fn response(status: u16, reason: &str, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut headers = headers.to_vec();
    headers.push(("Content-Length", body.len().to_string()));
    let mut bytes = head(status, reason, &headers);
    bytes.extend_from_slice(body);
    bytes
}

/// `body` cut into chunks of the given sizes (the rest in a last one), each size line
/// followed by `extension(i)` (`;name=value`, or nothing), then the last chunk, the
/// `trailers` and the empty line.
pub fn chunked(
    body: &[u8],
    sizes: &[usize],
    extension: impl Fn(usize) -> String,
    trailers: &[(&str, String)],
) -> Vec<u8> {
    chunked_lines(
        body,
        sizes,
        |i, size| format!("{size:x}{}", extension(i)),
        trailers,
    )
}

/// [`chunked`], each size line (without its CRLF) written by `size_line(i, size)`: hex
/// in upper case, with leading zeros, with extensions.
pub fn chunked_lines(
    body: &[u8],
    sizes: &[usize],
    size_line: impl Fn(usize, usize) -> String,
    trailers: &[(&str, String)],
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = body;
    let mut i = 0;
    while !rest.is_empty() {
        let size = sizes
            .get(i)
            .copied()
            .unwrap_or(rest.len())
            .clamp(1, rest.len());
        out.extend_from_slice(format!("{}\r\n", size_line(i, size)).as_bytes());
        out.extend_from_slice(&rest[..size]);
        out.extend_from_slice(b"\r\n");
        rest = &rest[size..];
        i += 1;
    }
    out.extend_from_slice(format!("{}\r\n", size_line(i, 0)).as_bytes());
    for (name, value) in trailers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

pub use harness::net::{anybody_connected, has_ipv6};
