"""The tcp_trace chapter's zero-window episode: `server PORT` takes a receive
buffer of 4 KiB, accepts, then reads nothing for 1 s before reading to the
end; `client PORT`, with a send buffer of 4 KiB, writes 24000 bytes at once
and says how long that took."""
import socket
import sys
import time

role, port = sys.argv[1], int(sys.argv[2])
if role == "server":
    listener = socket.socket()
    # Set before listen: an accepted socket inherits it, and the window it
    # offers in its SYN-ACK is chosen from it.
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    listener.bind(("127.0.0.1", port))
    listener.listen()
    print(f"listening on 127.0.0.1:{port}", flush=True)
    conn, _ = listener.accept()
    time.sleep(1)
    received = 0
    while chunk := conn.recv(65536):
        received += len(chunk)
    conn.close()
    print(f"server: read {received} bytes after a 1 s pause")
else:
    conn = socket.socket()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    conn.connect(("127.0.0.1", port))
    started = time.monotonic()
    conn.sendall(b"x" * 24000)
    took = (time.monotonic() - started) * 1000
    print(f"client: sendall of 24000 bytes returned after {took:.0f} ms")
    conn.close()
