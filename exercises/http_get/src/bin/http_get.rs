//! http_get: fetch an http:// URL by writing HTTP/1.1 by hand over a TcpStream, the way
//! Go's `http.Get` does it for you: `NewRequest("GET", url, nil)`, then `client.Do(req)`.
//! Book chapter: "http_get". Check your work with `cargo test -p http_get`.
//!
//! `http_get http://127.0.0.1:8000/notes.txt` writes the body, and nothing else, to
//! stdout; `-v` shows both heads on stderr, as `curl -v` does:
//!
//! ```text
//! > GET /notes.txt HTTP/1.1
//! > Host: 127.0.0.1:8000
//! < HTTP/1.1 200 OK
//! < Content-Length: 42
//! ```

fn main() {
    // Step 1. Arguments (Go: os.Args[1:]): `[--timeout MS] [--max-redirects N] [-v] URL`,
    //         timeout 10000 ms, at most 10 redirects (Go's default). An unknown option, a
    //         missing number (or `--timeout 0`), no URL: `usage: http_get [--timeout MS]
    //         [--max-redirects N] [-v] URL` on stderr, exit code 2.
    //
    // Step 2. The URL (Go: url.Parse): `http://HOST[:PORT][/PATH][?QUERY]`, HOST a name,
    //         an IPv4 address or `[IPv6]`, PORT 80 when absent, PATH `/` when absent
    //         (`http://h:8000?q=1` asks for `/?q=1`). No scheme, `https://` (say that TLS
    //         is not part of this exercise), `ftp://`, a bad port or host, a space:
    //         `error: ...` saying what is wrong, exit code 2, before connecting.
    //
    // Step 3. Connect (Go: net.DialTimeout): `(host, port).to_socket_addrs()?`, then
    //         `TcpStream::connect_timeout(&addr, timeout)`, and set the timeout on every
    //         read too: `stream.set_read_timeout(Some(timeout))`.
    //
    // Step 4. The request (Go: http.NewRequest("GET", url, nil)): write its head,
    //           GET /PATH?QUERY HTTP/1.1\r\n
    //           Host: HOST:PORT\r\n          (just HOST when the port is 80)
    //           Connection: close\r\n
    //           \r\n
    //         with `stream.write_all(head.as_bytes())`. CRLF (`\r\n`), not `\n`; the path
    //         and query exactly as the URL gave them.
    //
    // Step 5. The response head (Go: client.Do(req) returns resp.StatusCode and
    //         resp.Header): wrap the stream in a `BufReader` and `read_until(b'\n')` line
    //         by line up to the empty line: never assume one `read` holds the whole head
    //         (TCP is a stream). Stop at 64 KiB (`reader.take(...)`): `error: ...`.
    //         Header names are case-insensitive: `eq_ignore_ascii_case`, not `==`.
    //         `HTTP/1.1 100 Continue` (any 1xx) is interim: read the next head.
    //
    // Step 6. The body (Go: io.Copy(os.Stdout, resp.Body)): where does it end?
    //           `Transfer-Encoding: chunked`: hex size lines (`1a;ext=1` -> 0x1a, ignore
    //             what follows `;`), each chunk then CRLF, size 0 the last, then
    //             trailers up to an empty line;
    //           else `Content-Length: N`: exactly N bytes, then stop, even if the server
    //             keeps the connection open;
    //           else: until the server closes.
    //         204 and 304 have no body. Copy with a buffer (`std::io::copy` on a reader
    //         that knows the end), never a String: bodies are bytes and can be huge.
    //         Fewer bytes than promised: `error: body ended after N of M bytes`, exit 1.
    //
    // Step 7. Redirects (Go: the loop inside client.Do): 301, 302, 303, 307, 308 with a
    //         `Location` (absolute, or relative to the URL that answered): GET it
    //         instead, at most N times; then `error: stopped after N redirects`, exit 1.
    //
    // Step 8. Status 400 and up: write the body all the same, then
    //         `error: server answered 404 Not Found` on stderr, exit 1. 2xx: exit 0.
    //         `-v`: the request head as `> ` lines, each response head as `< ` lines,
    //         on stderr.
    todo!("fetch the URL: parse it, connect, write the request, read the head, copy the body")
}
