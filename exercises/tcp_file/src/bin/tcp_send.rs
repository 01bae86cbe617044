//! tcp_send: send one file to a tcp_recv (yours, the reference, or a classmate's Go
//! program), speaking the Go course's protocol byte for byte.
//! Book chapter: "tcp_file". Check your work with `cargo test -p tcp_file`.
//!
//! `tcp_send notes/report.pdf 127.0.0.1:8000` prints, once the receiver has the file:
//!
//! ```text
//! sent report.pdf (48213 bytes)
//! ```

fn main() {
    // Step 1. Arguments (Go: os.Args[1:]): `tcp_send FILE [ADDR]`, ADDR defaults to
    //         127.0.0.1:8000. Use `std::env::args_os()`. No FILE, or more than two
    //         arguments: print `usage: tcp_send FILE [ADDR]` to stderr, exit code 2.
    //
    // Step 2. The file, BEFORE connecting (Go: os.Open, file.Stat(), FileInfo.Name()):
    //           std::fs::File::open(path)   then   file.metadata()?.is_file()
    //         A missing file or a directory: `error: ...` on stderr, exit code 1.
    //         The name to send is the last component only: `Path::file_name()`, as
    //         UTF-8 (`.to_str()`, which is None for a name that is not: then
    //         `error: ...`, exit code 1, no unwrap), at most 255 bytes.
    //
    // Step 3. Connect (Go: net.Dial("tcp", addr)):
    //           addr.to_socket_addrs()?.next()   then
    //           TcpStream::connect_timeout(&addr, Duration::from_secs(5))
    //         so that nobody listening is a clear error, not a hang.
    //
    // Step 4. The handshake (Go: conn.Write([]byte(name)); n, _ := conn.Read(buf)):
    //           stream.write_all(name.as_bytes())   -- one write, no newline
    //           let n = stream.read(&mut reply)?;  -- one read
    //         The reply is exactly `ok`, or a reason: then print
    //         `error: ... <the reason>` to stderr and exit 1. Send NO byte of the file
    //         before you have read `ok`: TCP has no message boundaries, and a byte sent
    //         early is glued to the name.
    //
    // Step 5. Stream the file (Go: io.Copy(conn, file)): `std::io::copy(&mut file,
    //         &mut stream)`, or a loop with a buffer. Never read the whole file into
    //         memory: files can be bigger than RAM.
    //
    // Step 6. Half-close and wait (Go: conn.(*net.TCPConn).CloseWrite(), then read until
    //         io.EOF): `stream.shutdown(Shutdown::Write)`, then read until `read`
    //         returns Ok(0): the receiver closes once it has saved the file. Only then
    //         print `sent <name> (<n> bytes)` and exit 0.
    todo!("send the file: name, wait for ok, bytes, half-close, wait for the close")
}
