#!/usr/bin/env python3
"""http_requests.py - plain HTTP request rate of a running parleyd.

Opens CONNECTIONS keep-alive connections and on each sends batches of
PIPELINE pipelined `GET PATH` requests, reading the answers before the next
batch, for DURATION seconds; prints requests per second. parley-bench
measures chat over WebSockets, where the access log writes one line per
session; this measures the per-request costs (routing, the access log line,
the request id) that the WebSocket benchmark does not see.

    python3 bench/http_requests.py --port 18080 [--path /healthz] \
        [--connections 4] [--pipeline 64] [--duration 5]

Standard library only. The client is Python: run it on a quiet machine
and compare runs of the same client, not absolute numbers.
"""
import argparse
import selectors
import socket
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", default="/healthz")
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--pipeline", type=int, default=64)
    ap.add_argument("--duration", type=float, default=5.0)
    args = ap.parse_args()

    request = f"GET {args.path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    batch = request * args.pipeline
    sel = selectors.DefaultSelector()
    state = {}
    for _ in range(args.connections):
        s = socket.create_connection((args.host, args.port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        state[s] = {"pending": 0, "buf": b""}
        sel.register(s, selectors.EVENT_READ)

    done = 0
    start = time.monotonic()
    end = start + args.duration
    for s, st in state.items():
        s.sendall(batch)
        st["pending"] = args.pipeline
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            st = state[s]
            chunk = s.recv(1 << 20)
            if not chunk:
                raise SystemExit("the server closed a connection")
            st["buf"] += chunk
            # count whole responses: each ends its headers with CRLFCRLF and
            # has a Content-Length body
            buf = st["buf"]
            while True:
                head_end = buf.find(b"\r\n\r\n")
                if head_end < 0:
                    break
                head = buf[:head_end].decode("latin-1")
                length = 0
                for line in head.split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                if len(buf) < head_end + 4 + length:
                    break
                buf = buf[head_end + 4 + length:]
                st["pending"] -= 1
                done += 1
            st["buf"] = buf
            if st["pending"] == 0:
                s.sendall(batch)
                st["pending"] = args.pipeline
    elapsed = time.monotonic() - start
    print(f"{done} requests in {elapsed:.2f} s: {done / elapsed:.0f} requests/s "
          f"({args.connections} connections x {args.pipeline} pipelined, GET {args.path})")


if __name__ == "__main__":
    main()
