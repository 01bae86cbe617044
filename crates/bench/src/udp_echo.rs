//! UDP echo round trips per second: 1 and 4 client threads, each with a connected socket
//! sending a 32-byte datagram and waiting for its echo, against udp_server_sol and against
//! socat's `PIPE` echo.

use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use harness::{Cmd, Running};

use crate::Options;
use crate::measure::{READY_LIMIT, free_port, median, wait_ready};
use crate::table::{Echo, Report};

const CLIENT_THREADS: [usize; 2] = [1, 4];

pub fn run(bins: &Path, options: &Options, report: &mut Report) -> Result<()> {
    // Both servers run the whole time (idle while the other is measured), so that the
    // rounds below can take turns between them.
    let mut servers: Vec<(String, SocketAddr, Running)> = Vec::new();
    let ours = Cmd::new(bins.join("udp_server_sol"))
        .arg("127.0.0.1:0")
        .timeout(Duration::from_secs(600))
        .spawn()?;
    let addr = ours
        .listening_addr(READY_LIMIT)
        .map_err(|e| anyhow::anyhow!("udp_server_sol did not start: {e}"))?;
    servers.push(("udp_server_sol".into(), addr, ours));

    if report.installed("socat", "no UDP echo to compare with") {
        let port = free_port()?;
        let listen = format!("UDP4-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork");
        let socat = Cmd::new("sh")
            .args(["-c", "exec socat -d -d \"$0\" PIPE 2>&1", &listen])
            .timeout(Duration::from_secs(600))
            .spawn()?;
        wait_ready(&socat)?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        servers.push(("socat UDP4-LISTEN,fork PIPE".into(), addr, socat));
    }

    // Rounds, each server once per round, as the transfers do: drift weighs on both alike.
    let length = Duration::from_secs(options.udp_seconds);
    let rounds = options.runs.min(3);
    // rates[server][client-thread count] = one figure per round
    let mut rates = vec![vec![Vec::new(); CLIENT_THREADS.len()]; servers.len()];
    for (t, threads) in CLIENT_THREADS.into_iter().enumerate() {
        for round in 0..rounds {
            eprintln!(
                "udp echo: {threads} client(s), round {} of {rounds}",
                round + 1
            );
            for k in 0..servers.len() {
                let s = (round + k) % servers.len();
                let rate = round_trips_per_second(servers[s].1, threads, length)
                    .with_context(|| servers[s].0.clone())?;
                rates[s][t].push(rate);
            }
        }
    }
    for ((name, _, _), mut rates) in servers.iter().zip(rates) {
        let per_threads = CLIENT_THREADS
            .into_iter()
            .zip(&mut rates)
            .map(|(threads, rates)| (threads, median(rates)))
            .collect();
        report.echoes.push(Echo {
            name: name.clone(),
            per_threads,
        });
    }
    Ok(())
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
            // socat's fork mode hands its socket to a child and opens a new one; a datagram
            // arriving in between gets "port unreachable", which a connected socket reports
            // on its next receive. Lost, like any other: send again.
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => continue,
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
