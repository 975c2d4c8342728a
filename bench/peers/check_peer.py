#!/usr/bin/env python3
"""check_peer.py - does a peer server of bench/peers/ still answer the bench?

Registered with ctest as bench.peer_<name> (CMakeLists.txt) so the peer of
`make bench` does not rot: starts bench/peers/<name>/server.mjs on a free
loopback port in a temporary data dir, runs parley-bench against it for two
seconds at a low rate, and asserts that every message was acknowledged and
delivered exactly once, in seq order without gaps (parley-bench's integrity
check), then that the data survived a restart (the same data dir answers a
second, shorter run: the admin still logs in). Not a timed test: no figure
is compared with anything.

usage: check_peer.py --bench build/parley-bench [--peer node] [--node node]
"""
import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ADMIN = "admin@bench.local"


def start(node, server, data_dir, password):
    log = open(os.path.join(data_dir, "server.log"), "w+")
    proc = subprocess.Popen(
        [node, server, "--listen", "127.0.0.1:0", "--data-dir", data_dir,
         "--admin-email", ADMIN, "--admin-password", password],
        stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        log.seek(0)
        text = log.read()
        if "listening on http://" in text:
            url = text.split("listening on ", 1)[1].split()[0]
            return proc, url
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    log.seek(0)
    sys.exit(f"check_peer: the peer did not start:\n{log.read()}")


def bench(args, url, password, duration, rate):
    cmd = [args.bench, "--url", url, "--admin-email", ADMIN, "--admin-password", password,
           "--customers", "10", "--agents", "2", "--rate", str(rate), "--duration", str(duration),
           "--warmup", "0.5", "--drain", "10", "--json", "--quiet"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    try:
        report = json.loads(run.stdout)
    except ValueError:
        sys.exit(f"check_peer: parley-bench exited {run.returncode} without a report:\n"
                 f"{run.stdout}{run.stderr}")
    if run.returncode != 0 or not report.get("ok"):
        sys.exit(f"check_peer: parley-bench exited {run.returncode}:\n"
                 f"{json.dumps(report, indent=1)}\n{run.stderr}")
    return report


def check(report, expected):
    m = report["messages"]
    integrity = report["integrity"]
    problems = []
    if m["sent"] != expected or m["acked"] != expected or m["delivered"] != expected:
        problems.append(f"expected {expected} messages sent, acked and delivered: {m}")
    if m["errored"] != 0:
        problems.append(f"{m['errored']} error frames")
    for key in ("lost", "unanswered", "duplicate_deliveries", "duplicate_acks", "seq_gaps",
                "seq_regressions", "seq_mismatches", "misrouted"):
        if integrity[key] != 0:
            problems.append(f"integrity.{key} = {integrity[key]}")
    if not integrity["ok"]:
        problems.append("integrity not ok")
    if report["frames"]["unexpected_types"] or report["frames"]["unparseable"]:
        problems.append(f"stray frames: {report['frames']}")
    if problems:
        sys.exit("check_peer: " + "; ".join(problems))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--peer", default="node")
    ap.add_argument("--node", default=shutil.which("node") or "node")
    args = ap.parse_args()
    peer = os.path.join(HERE, args.peer)
    server = os.path.join(peer, "server.mjs")
    if not os.path.isdir(os.path.join(peer, "node_modules")):
        sys.exit(f"check_peer: {peer}/node_modules is missing: run bash scripts/deps.sh")
    password = secrets.token_urlsafe(15)
    with tempfile.TemporaryDirectory(prefix="parley-peer-") as data_dir:
        proc, url = start(args.node, server, data_dir, password)
        try:
            # 0.5 s warm-up + 2 s at 50/s: 125 messages over 10 sessions
            check(bench(args, url, password, 2, 50), 125)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        if proc.returncode != 0:
            sys.exit(f"check_peer: the peer exited {proc.returncode} on SIGTERM")
        proc, url = start(args.node, server, data_dir, password)
        try:
            check(bench(args, url, password, 1, 20), 30)  # new sessions beside the old ones
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print("check_peer: OK")


if __name__ == "__main__":
    main()
