"""The tcp_trace chapter's short transfer. `client PORT` sends 6 writes of
1000 bytes, 2 ms apart (so that each goes as a segment of its own), shuts
down its writing half (FIN), reads the reply to its end, and closes.
`server PORT` reads to the end of the stream, waits 50 ms, replies with the
count and closes: between the two FINs the connection is half-closed."""
import socket
import sys
import time

role, port = sys.argv[1], int(sys.argv[2])
if role == "server":
    listener = socket.create_server(("127.0.0.1", port))
    print(f"listening on 127.0.0.1:{port}", flush=True)
    conn, peer = listener.accept()
    received = 0
    while chunk := conn.recv(65536):
        received += len(chunk)
    time.sleep(0.05)
    conn.sendall(f"{received} bytes\n".encode())
    conn.close()
    print(f"server: {received} bytes from {peer[0]}:{peer[1]}, closed")
else:
    conn = socket.create_connection(("127.0.0.1", port))
    for _ in range(6):
        conn.sendall(b"x" * 1000)
        time.sleep(0.002)
    conn.shutdown(socket.SHUT_WR)
    reply = conn.makefile().read()
    conn.close()
    print(f"client: sent 6000 bytes, the server says: {reply.strip()}")
