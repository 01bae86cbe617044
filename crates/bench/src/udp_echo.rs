//! UDP echo round trips per second: 1 and 4 client threads, each with a connected socket
//! sending a 32-byte datagram and waiting for its echo, against udp_server_sol and against
//! socat's `PIPE` echo.

use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use harness::{Cmd, Running};

use crate::Options;
use crate::measure::{free_port, median, which};
use crate::table::{Echo, Report};

const CLIENT_THREADS: [usize; 2] = [1, 4];

pub fn run(bins: &Path, options: &Options, report: &mut Report) -> Result<()> {
    eprintln!("udp echo: udp_server_sol");
    let server = Cmd::new(bins.join("udp_server_sol"))
        .arg("127.0.0.1:0")
        .timeout(Duration::from_secs(600))
        .spawn()?;
    let addr = server
        .listening_addr(Duration::from_secs(5))
        .map_err(|e| anyhow::anyhow!("udp_server_sol did not start: {e}"))?;
    report
        .echoes
        .push(measure("udp_server_sol", addr, options)?);
    drop(server);

    match which("socat") {
        None => report
            .notes
            .push("socat is not installed: no UDP echo to compare with".into()),
        Some(_) => {
            eprintln!("udp echo: socat PIPE");
            let port = free_port()?;
            let listen = format!("UDP4-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork");
            let socat = Cmd::new("sh")
                .args(["-c", "exec socat -d -d \"$0\" PIPE 2>&1", &listen])
                .timeout(Duration::from_secs(600))
                .spawn()?;
            wait_listening(&socat)?;
            let addr: SocketAddr = ([127, 0, 0, 1], port).into();
            report
                .echoes
                .push(measure("socat UDP4-LISTEN,fork PIPE", addr, options)?);
        }
    }
    Ok(())
}

fn wait_listening(socat: &Running) -> Result<()> {
    match socat.wait_for_line(Duration::from_secs(5), |l| l.contains("listening on")) {
        Some(_) => Ok(()),
        None => bail!("socat did not start: {:?}", socat.stdout_so_far()),
    }
}

/// Round trips per second for each client-thread count, the median of `options.runs`.
fn measure(name: &str, server: SocketAddr, options: &Options) -> Result<Echo> {
    let mut per_threads = Vec::new();
    for threads in CLIENT_THREADS {
        let mut rates: Vec<f64> = (0..options.runs.min(3))
            .map(|_| {
                round_trips_per_second(server, threads, Duration::from_secs(options.udp_seconds))
            })
            .collect::<Result<_>>()?;
        per_threads.push((threads, median(&mut rates)));
    }
    Ok(Echo {
        name: name.to_string(),
        per_threads,
    })
}

fn round_trips_per_second(server: SocketAddr, threads: usize, length: Duration) -> Result<f64> {
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| thread::spawn(move || client(server, started + length)))
        .collect();
    let mut total = 0u64;
    for worker in workers {
        total += worker
            .join()
            .map_err(|_| anyhow::anyhow!("a client thread panicked"))??;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

/// One client: send, wait for the echo, count, until `until`. A datagram lost (no echo
/// within 200 ms) is sent again, as a real client would: UDP promises nothing.
fn client(server: SocketAddr, until: Instant) -> Result<u64> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.connect(server)?;
    socket.set_read_timeout(Some(Duration::from_millis(200)))?;
    let payload = [0x5Au8; 32];
    let mut reply = [0u8; 2048];
    let mut count = 0;
    while Instant::now() < until {
        socket.send(&payload)?;
        let n = match socket.recv(&mut reply) {
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(e) => return Err(e.into()),
        };
        // socat's PIPE is a byte stream: after a resend, two payloads can come back as
        // one datagram. Anything but payload bytes is a broken echo.
        if n == 0 || reply[..n].iter().any(|&b| b != payload[0]) {
            bail!("the echo server sent back {n} bytes that are not what was sent");
        }
        count += 1;
    }
    Ok(count)
}
