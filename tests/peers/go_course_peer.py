#!/usr/bin/env python3
"""An independent tcp_file peer: the Go course's sender and receiver, step for step.

Written from the protocol, not from the Rust code, so that the workspace tests
(tests/python_peer.rs) can prove the reference binaries interoperate with a
program that is not theirs. Python 3 standard library only.

    go_course_peer.py send FILE ADDR   # like the course's sender
    go_course_peer.py recv ADDR DIR    # like the course's receiver, one file, then exit

The receiver prints `listening on ADDR` first, then `saved NAME (N bytes)`; the
sender prints `sent NAME (N bytes)`. Errors: `error: ...` on stderr, exit 1.
"""

import os
import socket
import sys

BUF = 4096  # the course's buffer size


def split_addr(addr):
    host, _, port = addr.rpartition(":")
    return host, int(port)


def send(path, addr):
    # os.Stat(path) and FileInfo.Name(): only the last component is sent.
    name = os.path.basename(path)
    with open(path, "rb") as f:
        conn = socket.create_connection(split_addr(addr), timeout=10)
        # conn.Write([]byte(name)): one write.
        conn.sendall(name.encode("utf-8"))
        # n, _ := conn.Read(buf); if string(buf[:n]) != "ok" { ... }
        reply = conn.recv(BUF)
        if reply != b"ok":
            sys.exit("error: refused: " + reply.decode("utf-8", "replace"))
        # for { n, err := f.Read(buf); if err == io.EOF { break }; conn.Write(buf[:n]) }
        total = 0
        while True:
            chunk = f.read(BUF)
            if not chunk:
                break
            conn.sendall(chunk)
            total += len(chunk)
        # defer conn.Close(): the course closes; it neither half-closes nor waits.
        conn.close()
    print(f"sent {name} ({total} bytes)", flush=True)


def recv(addr, folder):
    ln = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ln.bind(split_addr(addr))
    ln.listen()
    host, port = ln.getsockname()[:2]
    print(f"listening on {host}:{port}", flush=True)
    conn, _ = ln.accept()
    conn.settimeout(10)
    # n, _ := conn.Read(buf); name := string(buf[:n])
    try:
        name = conn.recv(BUF).decode("utf-8")
    except UnicodeDecodeError:
        name = ""
    if not name or "/" in name or "\\" in name or "\0" in name or name in (".", ".."):
        conn.sendall(b"bad name")
        conn.close()
        sys.exit("error: bad name")
    conn.sendall(b"ok")
    # for { n, err := conn.Read(buf); if err == io.EOF { break }; f.Write(buf[:n]) }
    total = 0
    with open(os.path.join(folder, name), "xb") as f:
        while True:
            chunk = conn.recv(BUF)
            if not chunk:
                break
            f.write(chunk)
            total += len(chunk)
    print(f"saved {name} ({total} bytes)", flush=True)
    conn.close()


def main(argv):
    if len(argv) == 4 and argv[1] == "send":
        send(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "recv":
        recv(argv[2], argv[3])
    else:
        print("usage: go_course_peer.py send FILE ADDR | recv ADDR DIR", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except OSError as e:
        sys.exit(f"error: {e}")
