#!/usr/bin/env python3
"""bench/conns/reconnect_storm.py - WebSocket connects per second when every
token is due for a touch (issue 11 B: a touch used to be a committed write,
an fsync, inside the connect).

Starts a fresh parleyd (--parleyd, default build/parleyd) with
--token-idle-timeout-s 40 (a touch is due after 10 s unused), makes
--tokens customers, waits 10.5 s, then opens and closes one WebSocket per
token from --threads threads, as fast as they go, and prints connects/s
and the writer's commits (parley_db_batches_total) during the storm.
Then a second storm at once (no touch due) for comparison."""
import argparse
import os
import socket
import subprocess
import tempfile
import threading
import time
import json
import urllib.request


def post(port, path, body, token=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def batches(port):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                 headers={"Authorization": "Bearer storm-metrics-token-0123456789"})
    with urllib.request.urlopen(req) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("parley_db_batches_total "):
                return int(float(line.split()[1]))
    return -1


def ws_connect(port, token):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall((f"GET /api/v1/ws?token={token} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    return data.startswith(b"HTTP/1.1 101")


def storm(port, tokens, threads):
    ok = [0]
    lock = threading.Lock()

    errors = {}

    def run(part):
        n = 0
        for t in part:
            try:
                n += ws_connect(port, t)
            except OSError as e:
                with lock:
                    errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
        with lock:
            ok[0] += n
    parts = [tokens[i::threads] for i in range(threads)]
    b0 = batches(port)
    t0 = time.monotonic()
    ts = [threading.Thread(target=run, args=(p,)) for p in parts]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dt = time.monotonic() - t0
    if errors:
        print("errors:", errors)
    return ok[0], dt, batches(port) - b0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parleyd", default="build/parleyd")
    ap.add_argument("--tokens", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=8)
    a = ap.parse_args()
    data = tempfile.mkdtemp()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    proc = subprocess.Popen([a.parleyd, "--listen", f"127.0.0.1:{port}", "--data-dir", data,
                             "--token-idle-timeout-s", "40", "--metrics-token",
                             "storm-metrics-token-0123456789",
                             "--limit-customers-per-minute", "0",
                             "--limit-connections-per-minute", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                batches(port)
                break
            except OSError:
                time.sleep(0.1)
        tokens = [post(port, "/api/v1/customers", {"name": f"storm {i}"})["token"]
                  for i in range(a.tokens)]
        time.sleep(10.5)
        n, dt, b = storm(port, tokens, a.threads)
        print(f"touch due:     {n} connects in {dt:.2f} s = {n / dt:.0f}/s, writer commits {b}")
        n, dt, b = storm(port, tokens, a.threads)
        print(f"no touch due:  {n} connects in {dt:.2f} s = {n / dt:.0f}/s, writer commits {b}")
    finally:
        proc.terminate()
        proc.wait()
        subprocess.run(["rm", "-rf", data])


if __name__ == "__main__":
    main()
