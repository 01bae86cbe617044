#!/usr/bin/env python3
"""Re-make tcp_trace's recorded traces: real connections on a private loopback.

    python3 exercises/tcp_trace/checks/traces/make.py [NAME...]

For each trace, `trace` (crates/trace, no root needed) runs this script again as
`make.py play NAME` in a network namespace of its own, where the script sets the
namespace up (sysctls, the loopback's MTU, a queue, a socket filter that loses
segments) and makes the connections, each end a thread of this one process; trace records them into NAME.pcap.
Then, beside it: NAME.tcpdump, exactly what `tcpdump -n -t -r NAME.pcap` prints, and
NAME.summary, what `tcp_peek --summary NAME.pcap` must print (contract P12-P19),
computed by summary.py from the file's bytes, independently of the reference. A trace
that does not show what it is made for (no zero window, no SACK block...) is made
again, a few times at most. `cut.pcap` is `large.pcap` cut to 60 bytes a record.
"""

import ctypes
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import summary

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
# An IPv4 segment's 20-byte TCP header whole (the plain traces' only options are the
# SYNs'), the SYNs' options cut: mss and two nops kept, sackOK lost.
CUT_SNAPLEN = 60
TRIES = 10
SO_ATTACH_FILTER = 26


def sysctl(name, value):
    Path("/proc/sys", *name.split(".")).write_text(f"{value}\n")


def sh(*command):
    subprocess.run(command, check=True)


def plain_namespace():
    """Connections as Linux makes them, less the timestamp option: without it only SYNs
    carry options, so a mistake in printing options fails the options trace alone."""
    sysctl("net.ipv4.tcp_timestamps", 0)


def listener(family=socket.AF_INET, rcvbuf=None):
    """A listening socket on a port the kernel picks, and its address."""
    host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    server = socket.socket(family, socket.SOCK_STREAM)
    if rcvbuf:
        # Before listen, so that the accepted socket has it and its SYN-ACK offers it.
        server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    server.bind((host, 0))
    server.listen()
    return server, server.getsockname()[:2]


def read_all(sock):
    got = 0
    while chunk := sock.recv(65536):
        got += len(chunk)
    return got


def serve(server, handle):
    """Accept one connection on another thread and run `handle` on it."""

    def run():
        conn, _ = server.accept()
        with conn:
            handle(conn)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def play_client_closes():
    """Handshake; the client sends 20000 bytes, closes first; the server then closes."""
    plain_namespace()
    server, address = listener()
    thread = serve(server, read_all)
    with socket.create_connection(address) as client:
        client.sendall(b"c" * 20000)
        client.shutdown(socket.SHUT_WR)
        # The server's FIN: the client's socket is closed after it, in TIME_WAIT.
        client.recv(1)
    thread.join()


def play_server_closes():
    """A request of 300 bytes, an answer of 5000, the server closing first."""
    plain_namespace()
    server, address = listener()

    def answer(conn):
        want = 300
        while want:
            want -= len(conn.recv(want))
        conn.sendall(b"s" * 5000)

    thread = serve(server, answer)
    with socket.create_connection(address) as client:
        client.sendall(b"q" * 300)
        read_all(client)
    thread.join()


def play_resets():
    """Three resets: a SYN to a port nobody listens on, answered by RST-ACK; a connection
    the client aborts after an exchange, with SO_LINGER 0 (RST-ACK instead of FIN); and
    data sent to a server that has closed, refused with a RST without ACK (whose
    sequence number tcpdump prints as it is)."""
    plain_namespace()
    server, address = listener()
    closed = (address[0], address[1] + 1)
    try:
        socket.create_connection(closed).close()
        raise SystemExit("a port expected closed accepted a connection")
    except ConnectionRefusedError:
        pass

    def answer(conn):
        conn.recv(100)
        conn.sendall(b"a" * 120)
        # The client's reset ends it.
        try:
            read_all(conn)
        except ConnectionResetError:
            pass

    thread = serve(server, answer)
    client = socket.create_connection(address)
    client.sendall(b"r" * 40)
    want = 120
    while want:
        want -= len(client.recv(want))
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()
    thread.join()

    thread = serve(server, lambda conn: None)
    with socket.create_connection(address) as client:
        # The server's FIN first, then 60 bytes it will never read.
        client.recv(1)
        client.sendall(b"w" * 60)
        try:
            client.recv(1)
        except ConnectionResetError:
            pass
    thread.join()


def play_zero_window():
    """The receiver's buffer is 4 KiB and it stops reading for 0.7 s while the sender has
    20000 bytes to send: its window falls to 0, the sender probes it (after 0.2 s, then
    0.4 s more), and the receiver's window update when it reads again reopens it."""
    plain_namespace()
    server, address = listener(rcvbuf=4096)

    def slow_reader(conn):
        time.sleep(0.7)
        read_all(conn)

    thread = serve(server, slow_reader)
    with socket.create_connection(address) as client:
        client.sendall(b"z" * 20000)
        client.shutdown(socket.SHUT_WR)
        client.recv(1)
    thread.join()


def play_ipv6():
    """On ::1: a request of 200 bytes, an answer of 3000, the client closing first."""
    plain_namespace()
    server, address = listener(socket.AF_INET6)

    def answer(conn):
        want = 200
        while want:
            want -= len(conn.recv(want))
        conn.sendall(b"6" * 3000)
        read_all(conn)

    thread = serve(server, answer)
    with socket.create_connection(address) as client:
        client.sendall(b"v" * 200)
        want = 3000
        while want:
            want -= len(client.recv(want))
        client.shutdown(socket.SHUT_WR)
        client.recv(1)
    thread.join()


def lossy(sock, share):
    """Drop `share` of the segments arriving at `sock`, at random, after the capture saw
    them: a classic BPF socket filter returning 0 (drop) when the kernel's random number
    is under share * 2^32. The capture then shows each lost segment and, later, the
    sender's retransmission of its bytes, as a capture on the sending host would."""
    random_number = (-0x1000 + 56) & 0xFFFFFFFF  # SKF_AD_OFF + SKF_AD_RANDOM
    code = [
        (0x20, 0, 0, random_number),  # ld [rand]
        (0x35, 1, 0, int(share * 2**32)),  # jge share: keep
        (0x06, 0, 0, 0),  # ret 0: drop
        (0x06, 0, 0, 0xFFFFFFFF),  # ret -1: keep it whole
    ]
    program = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *i) for i in code))
    fprog = struct.pack("HL", len(code), ctypes.addressof(program))
    # The kernel copies the program: the buffer may go once this returns.
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)


def play_options():
    """Every option Linux sends (mss, sackOK, timestamps, nop, wscale) and ECN's flags in
    the handshake (and CWR when the sender slows down after a loss); SACK blocks and
    retransmissions from a receiver losing 15% of the segments (20000 bytes, then 2000
    more, the loopback's MTU at 1500); then a short exchange whose IPv4 headers carry an
    option (record route), 28 bytes long."""
    sysctl("net.ipv4.tcp_ecn", 1)
    sh("ip", "link", "set", "lo", "mtu", "1500")
    # The loopback passes segments of many MSS whole; a token bucket whose burst holds
    # one 1500-byte frame cuts them to one MSS each, as a real link would carry them
    # (its rate is high and its queue long: it drops nothing).
    sh("tc", "qdisc", "add", "dev", "lo", "root", "tbf", "rate", "1gbit", "burst", "2000",
       "limit", "200000")
    server, address = listener()

    def lossy_reader(conn):
        lossy(conn, 0.15)
        # The client starts once the filter is on: this byte says so.
        conn.sendall(b"g")
        read_all(conn)

    thread = serve(server, lossy_reader)
    with socket.create_connection(address) as client:
        client.recv(1)
        client.sendall(b"o" * 20000)
        # Once the losses are repaired, new data: its first segment carries CWR (the
        # sender says it has slowed down; ECN sends it on new data only).
        time.sleep(0.3)
        client.sendall(b"n" * 2000)
        client.shutdown(socket.SHUT_WR)
        client.recv(1)
    thread.join()

    def echo(conn):
        conn.sendall(conn.recv(100))
        read_all(conn)

    thread = serve(server, echo)
    client = socket.socket()
    # Record route, room for one address, then end of list: 8 bytes.
    client.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, bytes([7, 7, 4, 0, 0, 0, 0, 0]))
    client.connect(address)
    client.sendall(b"hello")
    client.recv(100)
    client.close()
    thread.join()


def play_large():
    """The loopback's MTU at 1500 but its segmentation offload on: the sender's 20000
    bytes leave in segments of several MSS each, larger than the MTU, as a capture on
    the sending host shows them."""
    plain_namespace()
    sh("ip", "link", "set", "lo", "mtu", "1500")
    server, address = listener()
    thread = serve(server, lambda conn: conn.sendall(b"l" * 20000))
    with socket.create_connection(address) as client:
        read_all(client)
    thread.join()


PLAYS = {
    "client_closes": play_client_closes,
    "server_closes": play_server_closes,
    "resets": play_resets,
    "zero_window": play_zero_window,
    "ipv6": play_ipv6,
    "options": play_options,
    "large": play_large,
}


def shows_what_it_is_for(name, lines):
    """What the trace lacks of what its checks are about: timing and chance decide some
    of it."""
    text = "\n".join(lines)
    wants = {
        "zero_window": ["win 0,", "win 4096,"],
        "options": ["sack 2 {", "Flags [SEW]", "Flags [S.E]", "TS val"],
        "resets": ["Flags [R.], seq 0, ack ", "Flags [R], seq "],
    }.get(name, [])
    missing = [w for w in wants if w not in text]
    if name == "resets" and text.count("Flags [R") < 3:
        missing.append("three resets")
    if name == "zero_window":
        # The probes: the sender's bare ACKs while the window is 0, two of them.
        after = text.split("win 0,", 1)[-1]
        if after.count("Flags [.], ack 1, win") < 2:
            missing.append("two window probes")
    if name == "options" and not retransmitted(lines):
        missing.append("a retransmission")
    if name == "options" and not re.search(r"Flags \[[^S\]]*W\]", text):
        missing.append("CWR after a loss")
    if name == "large" and not any(int(n) > 1460 for n in re.findall(r"length (\d+)", text)):
        missing.append("a segment larger than the MTU")
    return missing


def retransmitted(lines):
    """Whether some sender's data segments cover a byte twice."""
    seen = {}
    for line in lines:
        found = re.search(r"^IP (\S+) > .*, seq (\d+):(\d+),", line)
        if not found:
            continue
        sender, first, end = found[1], int(found[2]), int(found[3])
        if any(first < e and s < end for s, e in seen.get(sender, [])):
            return True
        seen.setdefault(sender, []).append((first, end))
    return False


def tcpdump_lines(pcap):
    done = subprocess.run(["tcpdump", "-n", "-t", "-r", str(pcap)], capture_output=True,
                          check=True)
    return done.stdout


def cut(source, target, snaplen):
    """`source` as a capture made with a snap length of `snaplen`: each record keeps its
    first `snaplen` bytes and its length on the wire."""
    data = source.read_bytes()
    order = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    header = bytearray(data[:24])
    struct.pack_into(order + "I", header, 16, snaplen)
    out = [bytes(header)]
    at = 24
    while at < len(data):
        seconds, fraction, kept, wire = struct.unpack_from(order + "IIII", data, at)
        frame = data[at + 16 : at + 16 + kept]
        at += 16 + kept
        out.append(struct.pack(order + "IIII", seconds, fraction, min(kept, snaplen), wire))
        out.append(frame[:snaplen])
    target.write_bytes(b"".join(out))


def write_beside(pcap):
    (pcap.with_suffix(".tcpdump")).write_bytes(tcpdump_lines(pcap))
    (pcap.with_suffix(".summary")).write_text(summary.summarise(pcap.read_bytes()))


def make(name):
    pcap = HERE / f"{name}.pcap"
    for attempt in range(1, TRIES + 1):
        trace = [os.environ.get("CARGO", "cargo"), "run", "-q", "-p", "trace", "--bin", "trace",
                 "--", "-q", "-w", str(pcap),
                 "--", sys.executable, str(Path(__file__).resolve()), "play", name]
        subprocess.run(trace, cwd=ROOT, check=True)
        missing = shows_what_it_is_for(name, tcpdump_lines(pcap).decode().splitlines())
        if not missing:
            break
        print(f"{name}: try {attempt} lacks {', '.join(missing)}", file=sys.stderr)
    else:
        raise SystemExit(f"{name}: no capture showed {', '.join(missing)}")
    write_beside(pcap)
    if name == "large":
        cut(pcap, HERE / "cut.pcap", CUT_SNAPLEN)
        write_beside(HERE / "cut.pcap")


def main(args):
    if args[:1] == ["play"]:
        PLAYS[args[1]]()
        return
    for name in args or PLAYS:
        if name not in PLAYS:
            raise SystemExit(f"no trace {name}: {' '.join(PLAYS)}")
        make(name)
        print(f"{name}: made", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
