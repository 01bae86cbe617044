//! What trace's tests share: running trace, reading back the pcap file it wrote (parsed
//! here independently of trace's own code), and finding out whether this machine lets an
//! ordinary process make user and network namespaces at all (where not, a capture test
//! skips with the reason, it does not fail).

#![allow(dead_code)] // each test file uses its own part

use std::path::Path;
use std::process::{Command, Output};

/// The trace binary cargo built for these tests.
pub fn trace() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trace"))
}

/// Run trace (it has its own deadline: `-t`); its output whole.
pub fn run_trace(args: &[&str]) -> Output {
    trace()
        .args(args)
        .output()
        .expect("trace could not be started")
}

/// None where the namespaces a capture needs can be made, else why not. Tried in a forked
/// child: a new user namespace is refused to a process with several threads, as this test
/// process is. The child also opens the packet socket, which a system that makes user
/// namespaces but gives them no capabilities (Ubuntu's AppArmor rule) refuses.
pub fn namespaces_unavailable() -> Option<String> {
    #[allow(unsafe_code)]
    // SAFETY: the forked child only makes system calls (unshare, socket, _exit), which are
    // async-signal-safe, so the other threads' locks it inherits do not matter.
    let child = unsafe { libc::fork() };
    if child < 0 {
        return Some(format!("fork failed: {}", std::io::Error::last_os_error()));
    }
    if child == 0 {
        #[allow(unsafe_code)]
        // SAFETY: as above; _exit leaves without running the parent's handlers.
        unsafe {
            if libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET) != 0 {
                libc::_exit(1);
            }
            let all = (libc::ETH_P_ALL as u16).to_be() as libc::c_int;
            if libc::socket(libc::AF_PACKET, libc::SOCK_RAW, all) < 0 {
                libc::_exit(2);
            }
            libc::_exit(0);
        }
    }
    let mut status = 0;
    #[allow(unsafe_code)]
    // SAFETY: waits for the child just forked; `status` outlives the call.
    let waited = unsafe { libc::waitpid(child, &mut status, 0) };
    if waited != child || !libc::WIFEXITED(status) {
        return Some("the namespace probe did not exit".to_string());
    }
    match libc::WEXITSTATUS(status) {
        0 => None,
        1 => Some("this system refuses unprivileged user namespaces".to_string()),
        _ => Some("a user namespace here may not open a packet socket".to_string()),
    }
}

/// Print why a test does nothing here, and return true, where namespaces are unavailable.
pub fn skip_without_namespaces(test: &str) -> bool {
    match namespaces_unavailable() {
        Some(why) => {
            eprintln!("skipped {test}: {why}");
            true
        }
        None => false,
    }
}

/// One record of a pcap file.
pub struct Record {
    pub seconds: u32,
    pub micros: u32,
    pub original_len: u32,
    pub data: Vec<u8>,
}

/// The global header and the records of a classic pcap file written in this machine's
/// byte order; panics with what is wrong otherwise.
pub fn read_pcap(path: &Path) -> ([u8; 24], Vec<Record>) {
    let bytes = std::fs::read(path).expect("the pcap file");
    assert!(
        bytes.len() >= 24,
        "the file has {} bytes, less than a header",
        bytes.len()
    );
    let word = |at: usize| u32::from_ne_bytes(bytes[at..at + 4].try_into().unwrap());
    let mut records = Vec::new();
    let mut at = 24;
    while at < bytes.len() {
        assert!(
            at + 16 <= bytes.len(),
            "a record header cut short at byte {at}"
        );
        let kept = word(at + 8) as usize;
        assert!(
            at + 16 + kept <= bytes.len(),
            "a record cut short at byte {at}"
        );
        records.push(Record {
            seconds: word(at),
            micros: word(at + 4),
            original_len: word(at + 12),
            data: bytes[at + 16..at + 16 + kept].to_vec(),
        });
        at += 16 + kept;
    }
    (bytes[..24].try_into().unwrap(), records)
}

/// A TCP segment over IPv4 in an Ethernet frame, as the tests look at it.
#[derive(Debug, Clone)]
pub struct Segment {
    pub from: u16,
    pub to: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub payload: Vec<u8>,
}

pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const ACK: u8 = 0x10;

impl Segment {
    /// The segment in an Ethernet frame, None for anything else.
    pub fn parse(frame: &[u8]) -> Option<Segment> {
        if frame.get(12..14)? != [0x08, 0x00] {
            return None;
        }
        let ip = &frame[14..];
        let ip_len = usize::from(ip.first()? & 0x0f) * 4;
        let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
        if *ip.get(9)? != 6 || total > ip.len() {
            return None;
        }
        let tcp = ip.get(ip_len..total)?;
        let word = |at: usize| u32::from_be_bytes(tcp[at..at + 4].try_into().unwrap());
        let tcp_len = usize::from(tcp.get(12)? >> 4) * 4;
        Some(Segment {
            from: u16::from_be_bytes([tcp[0], tcp[1]]),
            to: u16::from_be_bytes([tcp[2], tcp[3]]),
            seq: word(4),
            ack: word(8),
            flags: tcp[13],
            payload: tcp.get(tcp_len..)?.to_vec(),
        })
    }

    pub fn has(&self, flags: u8) -> bool {
        self.flags & flags == flags
    }
}

/// What the helper's client sends, and what its server answers before it closes.
pub fn request() -> Vec<u8> {
    (0..3000u32).map(|i| (i * 7 % 251) as u8).collect()
}

pub fn reply() -> Vec<u8> {
    (0..1500u32).map(|i| (i * 13 % 241) as u8).collect()
}

/// The helper program a test binary runs inside trace (as the ignored test
/// `talk_helper`), by the mode in TRACE_TEST_TALK; nothing without it. `v4` and `v6`: a
/// server on the loopback reads the request to its end, answers and closes; the client
/// sends the request, shuts its writing half, reads the answer to its end and closes.
/// `reset`: the server closes with the request unread, which sends a reset. `bulk`:
/// BULK bytes one way, as fast as the loopback goes.
pub fn talk_if_asked() {
    use std::io::{Read, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};
    let Some(mode) = std::env::var_os("TRACE_TEST_TALK") else {
        return;
    };
    if mode == "bulk" {
        return bulk();
    }
    let host = if mode == "v6" {
        "[::1]:0"
    } else {
        "127.0.0.1:0"
    };
    let listener = TcpListener::bind(host).unwrap();
    let address = listener.local_addr().unwrap();
    let mut client = TcpStream::connect(address).unwrap();
    let (mut conn, _) = listener.accept().unwrap();
    client.write_all(&request()).unwrap();
    if mode == "reset" {
        drop(conn);
        let _ = client.read_to_end(&mut Vec::new()); // the reset ends it
        return;
    }
    client.shutdown(Shutdown::Write).unwrap();
    let mut got = Vec::new();
    conn.read_to_end(&mut got).unwrap();
    assert_eq!(got, request());
    conn.write_all(&reply()).unwrap();
    drop(conn);
    let mut answer = Vec::new();
    client.read_to_end(&mut answer).unwrap();
    assert_eq!(answer, reply());
}

/// How a pcap file is written: byte order, stamps' unit, link type.
#[derive(Clone, Copy, Debug)]
pub struct Encoding {
    pub big_endian: bool,
    pub nanoseconds: bool,
    /// 1 Ethernet, 113 Linux cooked (SLL), 101 raw IP.
    pub linktype: u32,
}

/// A classic pcap file of `frames` (Ethernet frames, each with the bytes kept of it),
/// encoded as asked: Ethernet headers become SLL headers or go, for those link types.
pub fn pcap_bytes(encoding: Encoding, frames: &[(&[u8], usize)]) -> Vec<u8> {
    let word = |n: u32| {
        if encoding.big_endian {
            n.to_be_bytes()
        } else {
            n.to_le_bytes()
        }
    };
    let half = |n: u16| {
        if encoding.big_endian {
            n.to_be_bytes()
        } else {
            n.to_le_bytes()
        }
    };
    let magic: u32 = if encoding.nanoseconds {
        0xa1b2_3c4d
    } else {
        0xa1b2_c3d4
    };
    let mut out = Vec::new();
    out.extend(word(magic));
    out.extend(half(2));
    out.extend(half(4));
    out.extend([0; 8]);
    out.extend(word(262_144));
    out.extend(word(encoding.linktype));
    for (i, (frame, kept)) in frames.iter().enumerate() {
        let (whole, kept): (Vec<u8>, usize) = match encoding.linktype {
            113 => {
                // packet type, ARPHRD_LOOPBACK, address length, address, protocol
                let mut sll = vec![0, 0, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0];
                sll.extend_from_slice(&frame[12..]);
                (sll, kept + 2)
            }
            101 => (frame[14..].to_vec(), kept.saturating_sub(14)),
            _ => (frame.to_vec(), *kept),
        };
        let kept = kept.min(whole.len());
        let fraction = if encoding.nanoseconds {
            1000 * i as u32
        } else {
            i as u32
        };
        out.extend(word(1_700_000_000 + i as u32));
        out.extend(word(fraction));
        out.extend(word(kept as u32));
        out.extend(word(whole.len() as u32));
        out.extend_from_slice(&whole[..kept]);
    }
    out
}

/// How much the `bulk` helper sends.
pub const BULK: usize = 20 << 20;

fn bulk() {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let reader = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut got = 0;
        let mut buffer = vec![0; 1 << 20];
        loop {
            match conn.read(&mut buffer).unwrap() {
                0 => return got,
                n => got += n,
            }
        }
    });
    let mut client = TcpStream::connect(address).unwrap();
    client.write_all(&vec![b'b'; BULK]).unwrap();
    drop(client);
    assert_eq!(reader.join().unwrap(), BULK);
}
