//! The reference tcp_send and tcp_recv against an independent peer: a short Python
//! program (tests/peers/go_course_peer.py) that follows the Go course's steps literally
//! (one write for the name, read the reply, a 4096-byte loop). Both directions. And the
//! reference http_get against Python's own `http.server`. Without python3 the tests say
//! so and pass.

use std::fs;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use harness::{Cmd, start_server};
use netlab_tests::{reference_bins, workspace};

/// The Python interpreter, or None (with a note) when there is none.
fn python() -> Option<&'static str> {
    match Cmd::new("python3").arg("--version").run() {
        Ok(output) if output.code() == Some(0) => Some("python3"),
        _ => {
            eprintln!("note: python3 not found; skipping the Python peer test");
            None
        }
    }
}

fn peer_script() -> PathBuf {
    workspace()
        .root()
        .join("tests")
        .join("peers")
        .join("go_course_peer.py")
}

fn reference(bin: &str) -> PathBuf {
    let dir = reference_bins().unwrap_or_else(|e| panic!("the exercises do not build: {e}"));
    dir.join(format!("{bin}_sol{}", std::env::consts::EXE_SUFFIX))
}

/// Bytes that are not text, of a size that is no multiple of 4096.
fn file_bytes() -> Vec<u8> {
    let mut x: u32 = 12345;
    (0..1_000_003)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect()
}

fn folders() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let root = tempfile::tempdir().expect("a temporary folder");
    let outbox = root.path().join("outbox");
    let inbox = root.path().join("inbox");
    fs::create_dir(&outbox).expect("outbox");
    fs::create_dir(&inbox).expect("inbox");
    (root, outbox, inbox)
}

fn assert_same(saved: &Path, sent: &[u8]) {
    let got = fs::read(saved).unwrap_or_else(|e| panic!("{}: {e}", saved.display()));
    assert!(
        got == sent,
        "{} differs from what was sent",
        saved.display()
    );
}

#[test]
fn python_sender_to_reference_receiver() {
    let Some(python) = python() else { return };
    let (_root, outbox, inbox) = folders();
    let data = file_bytes();
    fs::write(outbox.join("course.bin"), &data).expect("write the file");
    let receiver = Cmd::new(reference("tcp_recv"))
        .arg("127.0.0.1:0")
        .arg(&inbox)
        .timeout(Duration::from_secs(30));
    let (server, addr) = start_server(receiver, Duration::from_secs(5))
        .unwrap_or_else(|f| panic!("the reference receiver did not start:\n{f}"));
    let output = Cmd::new(python)
        .arg(peer_script())
        .arg("send")
        .arg(outbox.join("course.bin"))
        .arg(addr.to_string())
        .timeout(Duration::from_secs(20))
        .run()
        .expect("python3 runs");
    assert_eq!(output.code(), Some(0), "{}", output.report());
    let line = format!("saved course.bin ({} bytes)", data.len());
    let saved = server.wait_for_line(Duration::from_secs(10), |l| l == line);
    assert!(saved.is_some(), "no {line:?}:\n{}", server.kill().report());
    assert_same(&inbox.join("course.bin"), &data);
}

#[test]
fn reference_sender_to_python_receiver() {
    let Some(python) = python() else { return };
    let (_root, outbox, inbox) = folders();
    let data = file_bytes();
    fs::write(outbox.join("course.bin"), &data).expect("write the file");
    let receiver = Cmd::new(python)
        .arg(peer_script())
        .arg("recv")
        .arg("127.0.0.1:0")
        .arg(&inbox)
        .timeout(Duration::from_secs(30));
    let (server, addr) = start_server(receiver, Duration::from_secs(10))
        .unwrap_or_else(|f| panic!("the Python receiver did not start:\n{f}"));
    let output = Cmd::new(reference("tcp_send"))
        .arg(outbox.join("course.bin"))
        .arg(addr.to_string())
        .timeout(Duration::from_secs(20))
        .run()
        .expect("tcp_send_sol runs");
    let sent = format!("sent course.bin ({} bytes)", data.len());
    assert_eq!(output.code(), Some(0), "{}", output.report());
    assert!(output.stdout_lines().contains(&sent), "{}", output.report());
    let done = server.wait(); // the Python receiver exits after one file
    let saved = format!("saved course.bin ({} bytes)", data.len());
    assert!(done.stdout_lines().contains(&saved), "{}", done.report());
    assert_same(&inbox.join("course.bin"), &data);
}

/// The reference http_get against a server nobody here wrote: Python's `http.server`
/// serving a folder (HTTP/1.0, Content-Length, its own 404 page). The file is fetched
/// byte for byte, a name with a space through its escaped path, and a missing file is
/// the body of a 404 and `error: server answered 404 ...`.
#[test]
fn reference_http_get_from_python_http_server() {
    let Some(python) = python() else { return };
    let folder = tempfile::tempdir().expect("a temporary folder");
    let data = file_bytes();
    fs::write(folder.path().join("course data.bin"), &data).expect("write the file");
    let (server, addr) = python_http_server(python, folder.path());
    let get = |path: &str| {
        Cmd::new(reference("http_get"))
            .arg(format!("http://{addr}{path}"))
            .timeout(Duration::from_secs(20))
            .run()
            .expect("http_get_sol runs")
    };
    let output = get("/course%20data.bin");
    assert_eq!(output.code(), Some(0), "{}", output.report());
    assert!(
        output.stdout == data,
        "the body ({} bytes) differs from the file ({} bytes):\n{}",
        output.stdout.len(),
        data.len(),
        output.report()
    );
    let missing = get("/no-such-file.txt");
    assert_eq!(missing.code(), Some(1), "{}", missing.report());
    assert!(
        missing
            .stderr_text()
            .starts_with("error: server answered 404"),
        "{}",
        missing.report()
    );
    assert!(
        missing.stdout_text().contains("404"),
        "{}",
        missing.report()
    );
    drop(server);
}

/// `python3 -m http.server` serving `dir` on a free loopback port, once it accepts
/// connections. http.server takes a port, not port 0 and an announcement of the real one:
/// the port is one the system just gave out, and readiness is a connection accepted
/// (within a deadline), never a sleep. A port taken in between is tried again.
fn python_http_server(python: &str, dir: &Path) -> (harness::Running, SocketAddr) {
    for _ in 0..3 {
        let addr = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let mut server = Cmd::new(python)
            .args(["-m", "http.server", "--bind", "127.0.0.1", "--directory"])
            .arg(dir)
            .arg(addr.port().to_string())
            .timeout(Duration::from_secs(60))
            .spawn()
            .expect("python3 runs");
        // http.server announces nothing on stdout we could wait for: try to connect.
        let up = harness::wait::until(Duration::from_secs(10), || {
            if server.has_exited() {
                return Some(false);
            }
            TcpStream::connect_timeout(&addr, Duration::from_millis(200))
                .is_ok()
                .then_some(true)
        });
        if up == Ok(true) {
            return (server, addr);
        }
        eprintln!(
            "note: http.server did not start on {addr}:\n{}",
            server.kill().report()
        );
    }
    panic!("python3 -m http.server did not start");
}
