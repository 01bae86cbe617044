#!/usr/bin/env python3
"""What `tcp_peek --summary FILE.pcap` must print (tcp_trace's contract, P12-P19),
computed from the capture's bytes: a second reading, written apart from the reference
solution, so that where they disagree one of them is wrong.

    python3 summary.py FILE.pcap

Reads classic pcap (either byte order, micro- or nanosecond stamps) of link type
Ethernet; IPv4 and IPv6 carrying TCP. Used by make.py to write each NAME.summary.
"""

import socket
import struct
import sys

MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1000),
    b"\xa1\xb2\xc3\xd4": (">", 1000),
    b"\x4d\x3c\xb2\xa1": ("<", 1),
    b"\xa1\xb2\x3c\x4d": (">", 1),
}


def segments(data):
    """(time in ns, src, dst, flags, seq, window, payload length) of each TCP segment
    whose first 16 bytes were captured; ends print as tcpdump does (`ADDR.PORT`)."""
    order, ns_per_fraction = MAGICS[data[:4]]
    (linktype,) = struct.unpack_from(order + "I", data, 20)
    if linktype != 1:
        raise SystemExit(f"link type {linktype}: only Ethernet here")
    at = 24
    while at + 16 <= len(data):
        seconds, fraction, kept, wire = struct.unpack_from(order + "IIII", data, at)
        frame = data[at + 16 : at + 16 + kept]
        at += 16 + kept
        stamp = seconds * 1_000_000_000 + fraction * ns_per_fraction
        ethertype = struct.unpack_from(">H", frame, 12)[0]
        packet = frame[14:]
        if ethertype == 0x0800:
            header = (packet[0] & 0x0F) * 4
            if packet[9] != 6:
                continue
            length = struct.unpack_from(">H", packet, 2)[0] - header
            src = socket.inet_ntop(socket.AF_INET, packet[12:16])
            dst = socket.inet_ntop(socket.AF_INET, packet[16:20])
        elif ethertype == 0x86DD:
            header = 40
            if packet[6] != 6:
                continue
            length = struct.unpack_from(">H", packet, 4)[0]
            src = socket.inet_ntop(socket.AF_INET6, packet[8:24])
            dst = socket.inet_ntop(socket.AF_INET6, packet[24:40])
        else:
            continue
        tcp = packet[header:]
        if len(tcp) < 16:
            continue
        sport, dport, seq, _ack, offset, flags, window = struct.unpack_from(">HHIIBBH", tcp)
        payload = length - (offset >> 4) * 4
        yield stamp, f"{src}.{sport}", f"{dst}.{dport}", flags, seq, window, payload


FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10


class Connection:
    def __init__(self, first_sender, other):
        self.first = (first_sender, other)
        self.opener = None
        self.isn = {}
        self.syn_at = None
        self.syn_ack_at = None
        self.sent = {first_sender: 0, other: 0}
        self.first_fin = None
        self.resets = {first_sender: 0, other: 0}
        self.episodes = {first_sender: 0, other: 0}
        self.at_zero = {first_sender: False, other: False}

    def add(self, stamp, src, flags, seq, window, payload):
        if flags & SYN:
            self.isn.setdefault(src, seq)
            if not flags & ACK:
                self.opener = self.opener or src
                self.syn_at = stamp if self.syn_at is None else self.syn_at
            elif self.syn_ack_at is None:
                self.syn_ack_at = stamp
        self.sent[src] += payload
        if flags & FIN and self.first_fin is None:
            self.first_fin = src
        if flags & RST:
            self.resets[src] += 1
            return
        if window == 0 and not self.at_zero[src]:
            self.episodes[src] += 1
        self.at_zero[src] = window == 0

    def ends(self):
        if self.opener is None:
            return self.first
        a, b = self.first
        return (a, b) if a == self.opener else (b, a)

    def block(self):
        a, b = self.ends()
        rtt = "not captured"
        if self.syn_at is not None and self.syn_ack_at is not None:
            rtt = f"{(self.syn_ack_at - self.syn_at) // 1000} us"
        fin = "none"
        if self.first_fin:
            fin = f"{self.first_fin} (it waits in TIME_WAIT)"

        def isn(end):
            return f"{end} {self.isn[end]}" if end in self.isn else f"{end} not captured"

        return "\n".join(
            [
                f"connection {a} > {b}",
                f"  opened by: {self.opener or 'not captured'}",
                f"  initial sequence numbers: {isn(a)}, {isn(b)}",
                f"  handshake round trip: {rtt}",
                f"  bytes: {a} sent {self.sent[a]}, {b} sent {self.sent[b]}",
                f"  first FIN: {fin}",
                f"  resets: {a} sent {self.resets[a]}, {b} sent {self.resets[b]}",
                f"  zero-window episodes: {a} {self.episodes[a]}, {b} {self.episodes[b]}",
            ]
        )


def summarise(data):
    connections = {}
    for stamp, src, dst, flags, seq, window, payload in segments(data):
        key = frozenset((src, dst))
        if key not in connections:
            connections[key] = Connection(src, dst)
        connections[key].add(stamp, src, flags, seq, window, payload)
    return "".join(c.block() + "\n" + ("\n" if i + 1 < len(connections) else "")
                   for i, c in enumerate(connections.values()))


if __name__ == "__main__":
    with open(sys.argv[1], "rb") as file:
        sys.stdout.write(summarise(file.read()))
