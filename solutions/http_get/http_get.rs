//! Reference solution for http_get: an HTTP/1.1 GET written by hand over a
//! TcpStream, shaped like Go's client (Get = NewRequest + Do), with the redirect
//! loop around it.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv6Addr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: http_get [--timeout MS] [--max-redirects N] [-v] URL";
/// A response head (status line and headers) longer than this is refused: a server
/// must not make us hold a head of any size.
const MAX_HEAD: u64 = 64 * 1024;

fn main() -> ExitCode {
    let Some((client, max_redirects, url)) = parse_args() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    // A URL we cannot fetch is a usage error, found before anything is sent.
    if let Err(e) = Url::parse(&url) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    match client.fetch(&url, max_redirects) {
        Ok(status) if status < 400 => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE, // fetch said why on stderr, after the body
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `[--timeout MS] [--max-redirects N] [-v] URL`; None is a usage error.
fn parse_args() -> Option<(Client, u32, String)> {
    let mut client = Client {
        timeout: Duration::from_millis(10_000),
        verbose: false,
    };
    let mut max_redirects = 10; // Go's default
    let mut url = None;
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        match arg.to_str()? {
            "--timeout" => {
                let ms = args.next()?.to_str()?.parse().ok();
                client.timeout = Duration::from_millis(ms.filter(|&ms| ms > 0)?);
            }
            "--max-redirects" => {
                max_redirects = args.next()?.to_str()?.parse().ok()?;
            }
            "-v" => client.verbose = true,
            option if option.starts_with('-') => return None,
            given if url.is_none() => url = Some(given.to_string()),
            _ => return None,
        }
    }
    Some((client, max_redirects, url?))
}

// ANCHOR: url
/// `http://HOST[:PORT][/PATH][?QUERY]`, split into what the request needs.
struct Url {
    /// As in the URL: a name, an IPv4 address, or `[IPv6]` with its brackets.
    host: String,
    port: u16,
    /// The path and query, sent exactly as given: `/search?q=rust`.
    target: String,
}

impl Url {
    fn parse(url: &str) -> Result<Url, String> {
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(format!(
                "{url:?}: no scheme: the URL must start with http://"
            ));
        };
        if scheme.eq_ignore_ascii_case("https") {
            return Err(format!(
                "{url:?}: https needs TLS, which this exercise leaves out"
            ));
        }
        if !scheme.eq_ignore_ascii_case("http") {
            return Err(format!(
                "{url:?}: scheme {scheme:?} unsupported: only http://"
            ));
        }
        // Spaces or control characters would break the request line (or smuggle a
        // header into it): refuse them rather than send them.
        if rest.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(format!(
                "{url:?}: spaces and control characters not allowed"
            ));
        }
        let rest = rest.split('#').next().unwrap_or_default(); // never sent
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(split);
        let (host, port) = match authority.strip_prefix('[') {
            // `[::1]:8080`: the brackets keep the address's colons from the port's.
            Some(v6) => {
                let (addr, port) = v6
                    .split_once(']')
                    .ok_or_else(|| format!("{url:?}: `[` without `]`"))?;
                addr.parse::<Ipv6Addr>()
                    .map_err(|_| format!("{url:?}: {addr:?} is no IPv6 address"))?;
                (&authority[..addr.len() + 2], port)
            }
            None => match authority.find(':') {
                Some(at) => authority.split_at(at),
                None => (authority, ""),
            },
        };
        let port = match port.strip_prefix(':') {
            _ if port.is_empty() => 80,
            Some(digits) => match digits.parse() {
                Ok(port) if port != 0 => port,
                _ => return Err(format!("{url:?}: bad port {digits:?}")),
            },
            None => return Err(format!("{url:?}: bad host {authority:?}")),
        };
        let name_ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
        let v6 = host.starts_with('[');
        if host.is_empty() || !(v6 || host.chars().all(name_ok)) {
            return Err(format!("{url:?}: bad host {host:?}"));
        }
        let target = match target {
            "" => "/".to_string(),
            query if query.starts_with('?') => format!("/{query}"),
            path => path.to_string(),
        };
        Ok(Url {
            host: host.to_string(),
            port,
            target,
        })
    }

    /// The `Host` header: the port only when it is not HTTP's own.
    fn host_header(&self) -> String {
        match self.port {
            80 => self.host.clone(),
            port => format!("{}:{port}", self.host),
        }
    }

    /// Where a `Location` header points, seen from this URL: absolute
    /// (`http://...`), without scheme (`//host/path`), from the root (`/path`), a
    /// query (`?q=1`), or relative to this path's folder (`page`, seen from
    /// `/docs/index`, is `/docs/page`).
    fn join(&self, location: &str) -> String {
        let origin = format!("http://{}", self.host_header());
        let path = self.target.split('?').next().unwrap_or("/");
        if location.contains("://") {
            location.to_string()
        } else if let Some(rest) = location.strip_prefix("//") {
            format!("http://{rest}")
        } else if location.starts_with('/') {
            format!("{origin}{location}")
        } else if location.starts_with('?') {
            format!("{origin}{path}{location}")
        } else {
            let folder = &path[..path.rfind('/').map_or(0, |i| i + 1)];
            format!("{origin}{folder}{location}")
        }
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}{}", self.host_header(), self.target)
    }
}
// ANCHOR_END: url

// ANCHOR: types
/// Go: http.Request, the parts a GET needs.
struct Request {
    method: String,
    url: Url,
}

/// Go: http.Response. The body is a reader: it comes off the socket as it is read.
struct Response {
    status: u16,
    reason: String,
    headers: Vec<(String, String)>,
    body: Body,
}

/// Go: http.Client, the settings every request shares.
struct Client {
    timeout: Duration,
    verbose: bool,
}
// ANCHOR_END: types

// ANCHOR: get
/// Go: http.NewRequest(method, url, nil).
fn new_request(method: &str, url: &str) -> Result<Request, String> {
    Ok(Request {
        method: method.to_string(),
        url: Url::parse(url)?,
    })
}

impl Client {
    /// Go: c.Get(url) is exactly these two calls.
    fn get(&self, url: &str) -> Result<Response, String> {
        let request = new_request("GET", url)?;
        self.send(&request)
    }
}
// ANCHOR_END: get

impl Client {
    // ANCHOR: send
    /// Go: c.Do(req), one request on a connection of its own: write the head, read
    /// the response's head, and hand back the body as a reader.
    fn send(&self, request: &Request) -> Result<Response, String> {
        let url = &request.url;
        let stream = self.connect(url)?;
        // The request head: lines ended by CRLF, then an empty line. A GET has no
        // body.
        let head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: netlab-http_get\r\n\
             Accept: */*\r\nConnection: close\r\n\r\n",
            request.method,
            url.target,
            url.host_header()
        );
        if self.verbose {
            for line in head.split_terminator("\r\n") {
                eprintln!("> {line}");
            }
        }
        (&stream)
            .write_all(head.as_bytes())
            .map_err(|e| format!("{url}: sending the request: {e}"))?;

        let mut reader = BufReader::new(stream);
        let fail = |e: io::Error| format!("{url}: reading the response: {e}");
        // 1xx answers (100 Continue, 103 Early Hints) are interim: another head
        // follows.
        let Head {
            status,
            reason,
            headers,
        } = loop {
            let head = read_head(&mut reader, self.verbose).map_err(fail)?;
            if !(100..200).contains(&head.status) {
                break head;
            }
        };
        let body = Body::new(reader, status, &headers).map_err(fail)?;
        Ok(Response {
            status,
            reason,
            headers,
            body,
        })
    }
    // ANCHOR_END: send

    /// A connection to the URL's host with the timeout on the connect, every read
    /// and every write: a server that stops answering cannot hang us.
    fn connect(&self, url: &Url) -> Result<TcpStream, String> {
        let host = url.host.trim_start_matches('[').trim_end_matches(']');
        let addrs = (host, url.port)
            .to_socket_addrs()
            .map_err(|e| format!("{}: {e}", url.host))?;
        let mut last = format!("{}: no address", url.host);
        // A name can have several addresses (IPv6, IPv4): the first that answers.
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, self.timeout) {
                Ok(stream) => {
                    stream
                        .set_read_timeout(Some(self.timeout))
                        .and_then(|()| stream.set_write_timeout(Some(self.timeout)))
                        .map_err(|e| e.to_string())?;
                    return Ok(stream);
                }
                Err(e) => last = format!("cannot connect to {addr}: {e}"),
            }
        }
        Err(last)
    }

    // ANCHOR: redirects
    /// Get `url`, following redirects (at most `max`), and copy the final body to
    /// stdout. Returns the final status.
    fn fetch(&self, url: &str, max: u32) -> Result<u16, String> {
        let mut url = url.to_string();
        let mut followed = 0;
        let mut response = self.get(&url)?;
        while let (301 | 302 | 303 | 307 | 308, Some(location)) =
            (response.status, response.header("location"))
        {
            if followed == max {
                return Err(format!("stopped after {max} redirects"));
            }
            followed += 1;
            // Relative to the URL that answered, not to the first one.
            url = Url::parse(&url)?.join(location);
            // The redirect's own body is not the answer: drop it unread, and its
            // connection with it, before the next request.
            drop(response);
            response = self.get(&url)?;
        }
        // ANCHOR_END: redirects

        // ANCHOR: copy
        // Go: io.Copy(os.Stdout, resp.Body): an 8 KiB buffer at a time, so memory
        // stays flat whatever the size, and bytes are bytes: no String, no UTF-8.
        let mut stdout = io::stdout().lock();
        io::copy(&mut response.body, &mut stdout)
            .and_then(|_| stdout.flush())
            .map_err(|e| match e.kind() {
                io::ErrorKind::UnexpectedEof => e.to_string(),
                _ => format!("{url}: {e}"),
            })?;
        if response.status >= 400 {
            let reason = format!("{} {}", response.status, response.reason);
            eprintln!("error: server answered {}", reason.trim_end());
        }
        Ok(response.status)
        // ANCHOR_END: copy
    }
}

impl Response {
    /// A header's value; names are case-insensitive (`content-length` is fine).
    fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A response's status line and headers.
struct Head {
    status: u16,
    reason: String,
    headers: Vec<(String, String)>,
}

// ANCHOR: head
/// One response head: the status line and the headers, up to the empty line. A line
/// at a time, however the server cut it into packets (one byte per write, say): TCP
/// is a stream, and one read returns whatever has arrived, not a line or a head.
fn read_head(reader: &mut impl BufRead, verbose: bool) -> io::Result<Head> {
    let mut left = MAX_HEAD;
    let status_line = read_line(reader, &mut left)?;
    if verbose {
        eprintln!("< {status_line}");
    }
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader, &mut left)?;
        if verbose {
            eprintln!("< {line}");
        }
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(bad_data(format!("a header without `:`: {line:?}")));
        };
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    // `HTTP/1.1 404 Not Found`: the version, the code, a reason phrase (any words).
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let status = parts.next().and_then(|code| code.parse().ok());
    let reason = parts.next().unwrap_or_default().trim().to_string();
    match status {
        Some(status @ 100..1000) if version.starts_with("HTTP/1.") => Ok(Head {
            status,
            reason,
            headers,
        }),
        _ => Err(bad_data(format!(
            "not an HTTP/1.x status line: {status_line:?}"
        ))),
    }
}
// ANCHOR_END: head

/// A line ended by CRLF (or a bare LF), without its end, taken from a budget of
/// `left` bytes: past it, the head is too long.
fn read_line(reader: &mut impl BufRead, left: &mut u64) -> io::Result<String> {
    let mut line = Vec::new();
    let n = reader.take(*left).read_until(b'\n', &mut line)?;
    *left -= n as u64;
    if !line.ends_with(b"\n") {
        return Err(match *left {
            0 => bad_data("the response head is over 64 KiB"),
            _ => io::Error::from(io::ErrorKind::UnexpectedEof), // the server closed
        });
    }
    line.pop();
    if line.ends_with(b"\r") {
        line.pop();
    }
    // Header values are meant to be ASCII; a stray byte is not worth failing for.
    Ok(String::from_utf8_lossy(&line).into_owned())
}

fn bad_data(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

// ANCHOR: body
/// The body, as a reader that knows where it ends. Three ways to know, in this
/// order (RFC 9112, section 6.3): chunked, Content-Length, or the close.
struct Body {
    reader: BufReader<TcpStream>,
    framing: Framing,
    /// Bytes handed out so far: the N of an error message.
    read: u64,
}

enum Framing {
    /// 204, 304, 1xx: no body, whatever the headers say.
    Empty,
    /// `Content-Length: M`: exactly M bytes, then stop reading even if the server
    /// keeps the connection open.
    Length(u64),
    /// `Transfer-Encoding: chunked`: bytes left in the current chunk; None between
    /// chunks, Some(0) once the last chunk (size 0) and the trailers are read.
    Chunked(Option<u64>),
    /// Neither: the body ends when the server closes.
    Close,
}
// ANCHOR_END: body

impl Body {
    fn new(
        reader: BufReader<TcpStream>,
        status: u16,
        headers: &[(String, String)],
    ) -> io::Result<Body> {
        let chunked = header(headers, "transfer-encoding")
            .is_some_and(|te| te.to_ascii_lowercase().ends_with("chunked"));
        let framing = if status == 204 || status == 304 {
            Framing::Empty
        } else if chunked {
            Framing::Chunked(None)
        } else if let Some(length) = header(headers, "content-length") {
            let length = length
                .parse()
                .map_err(|_| bad_data(format!("bad Content-Length {length:?}")))?;
            Framing::Length(length)
        } else {
            Framing::Close
        };
        Ok(Body {
            reader,
            framing,
            read: 0,
        })
    }

    /// The size line of the next chunk, `1a3f;name=value`: hex digits, extensions
    /// ignored. Size 0 is the last chunk: the trailers (headers after the body)
    /// are read and dropped.
    fn next_chunk(&mut self) -> io::Result<u64> {
        let mut left = MAX_HEAD;
        let line = self.line(&mut left)?;
        let hex = line.split(';').next().unwrap_or_default().trim();
        let size = u64::from_str_radix(hex, 16)
            .map_err(|_| bad_data(format!("bad chunk size line {line:?}")))?;
        if size == 0 {
            while !self.line(&mut left)?.is_empty() {}
        }
        Ok(size)
    }

    /// A line of the chunked framing (a size line, the CRLF after a chunk's data, a
    /// trailer) from a budget of `left` bytes. The stream's end here is a cut body.
    fn line(&mut self, left: &mut u64) -> io::Result<String> {
        read_line(&mut self.reader, left).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => self.cut_off(),
            _ => e,
        })
    }

    fn cut_off(&self) -> io::Error {
        let message = format!(
            "body ended after {} bytes, before the last chunk",
            self.read
        );
        io::Error::new(io::ErrorKind::UnexpectedEof, message)
    }
}

// ANCHOR: read
impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = match self.framing {
            Framing::Empty | Framing::Chunked(Some(0)) => return Ok(0),
            Framing::Length(total) => (total - self.read).min(buf.len() as u64),
            Framing::Chunked(None) => {
                let size = self.next_chunk()?;
                self.framing = Framing::Chunked(Some(size));
                if size == 0 {
                    return Ok(0);
                }
                size.min(buf.len() as u64)
            }
            Framing::Chunked(Some(left)) => left.min(buf.len() as u64),
            Framing::Close => buf.len() as u64,
        };
        if want == 0 {
            return Ok(0); // Content-Length reached: do not wait for the close
        }
        let n = self.reader.read(&mut buf[..want as usize])?;
        self.read += n as u64;
        match self.framing {
            Framing::Length(total) if n == 0 => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("body ended after {} of {total} bytes", self.read),
            )),
            Framing::Chunked(Some(_)) if n == 0 => Err(self.cut_off()),
            Framing::Chunked(Some(left)) if left == n as u64 => {
                // The chunk's data ends with CRLF, then the next size line.
                let mut left = MAX_HEAD;
                if !self.line(&mut left)?.is_empty() {
                    return Err(bad_data("a chunk longer than its size"));
                }
                self.framing = Framing::Chunked(None);
                Ok(n)
            }
            Framing::Chunked(Some(left)) => {
                self.framing = Framing::Chunked(Some(left - n as u64));
                Ok(n)
            }
            _ => Ok(n),
        }
    }
}
// ANCHOR_END: read
