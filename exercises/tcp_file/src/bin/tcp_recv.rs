//! tcp_recv: receive files from tcp_send (yours, the reference, or a classmate's Go
//! program), many at once, without ever writing outside its folder.
//! Book chapter: "tcp_file". Check your work with `cargo test -p tcp_file`.
//!
//! `tcp_recv 127.0.0.1:8000 inbox` prints its address, then a line per file saved:
//!
//! ```text
//! listening on 127.0.0.1:8000
//! saved report.pdf (48213 bytes)
//! ```

fn main() {
    // Step 1. Arguments (Go: os.Args): `tcp_recv [--idle-timeout MS] [ADDR] [DIR]`,
    //         ADDR defaults to 127.0.0.1:8000, DIR to `.`, the idle timeout to 30000 ms.
    //         Wrong usage: `usage: tcp_recv [--idle-timeout MS] [ADDR] [DIR]` on
    //         stderr, exit code 2.
    //
    // Step 2. Listen (Go: ln, err := net.Listen("tcp", addr)):
    //           let listener = TcpListener::bind(addr)?;
    //         and print `listening on <listener.local_addr()>` FIRST: with port 0 the
    //         system picks the port, and this line is how others learn it. Bind the
    //         address as given (not 0.0.0.0). A port already taken makes bind fail:
    //         `error: ...`, exit code 1 (not a usage error, not a panic).
    //
    // Step 3. Serve forever (Go: for { conn, _ := ln.Accept(); go handle(conn) }):
    //           for stream in listener.incoming() { std::thread::spawn(...) }
    //         A thread per connection, so a slow sender does not hold up the others.
    //         An error on one connection is printed (`error: ...`) and the loop goes on.
    //         When accept itself fails (too many open files), do not try again at once:
    //         sleep 5 ms, doubling up to 1 s while it keeps failing (as Go's net/http).
    //
    // Step 4. In each thread: `stream.set_read_timeout(Some(idle))`, so that a silent
    //         sender is dropped. Read the name with ONE read (Go: n, _ := conn.Read(buf))
    //         into a buffer bigger than 255 bytes. Refuse, by writing a short reason
    //         (never starting with `ok`) and closing, a name that is: not UTF-8
    //         (`std::str::from_utf8`), empty, over 255 BYTES (`name.len()`, not
    //         characters), containing `/`, `\` or a NUL byte anywhere, `.` or `..`, or
    //         already in DIR. Any other name is taken as it came (no trimming). Otherwise
    //         write exactly `ok`.
    //
    // Step 5. Receive into a TEMPORARY file in DIR (`OpenOptions::new().write(true)
    //         .create_new(true)`, a name of your own), with a read loop (Go: conn.Read
    //         until io.EOF): Ok(0) is the end of the file; an Err (a reset, the idle
    //         timeout) is NOT: delete the temporary file and give up.
    //
    // Step 6. At EOF: give the file its name without overwriting anything
    //         (`std::fs::hard_link(temp, final)` fails if `final` exists; then remove
    //         the temporary name), print `saved <name> (<n> bytes)`, and close the
    //         connection (drop the stream): that is how the sender learns you are done.
    todo!("receive files: listen, then a thread per connection")
}
