#!/usr/bin/env python3
"""Waiting for results (issue 17): what `GET /api/v1/work/<id>?wait=` costs and how late it is.
One api and one worker (WORK_DURATION=20ms) on a private Redis, straight to the api (no HAProxy).

1. Lateness: jobs POSTed one at a time, each followed at once by a GET ?wait=10s on a connection
   kept open; the answer's arrival (this client's clock) minus the job's finished_at (Redis' clock,
   the same machine), in ms; beside it, a plain GET's round trip on the same connection, the part
   of the lateness that is only HTTP.
2. The cost of a waiter: WAITERS requests ?wait=180s held open (on jobs of a type no worker serves)
   over their own connections; the api's heap after a full GC (jcmd GC.run) and its RSS, before
   and while they are held, per waiter (their connections included).
3. The accept rate with and without them: wrk -t2 -c50 POSTs for DURATION s straight at the api,
   RUNS passes before they are opened, RUNS while they are held, RUNS once they are gone ("without"
   is the passes before and after: the api's JIT still warms over the first passes, and the queue
   grows, so neither side of the comparison runs only early or only late).
4. Cancelling a running job: the worker is replaced by one whose work takes a minute; for each of
   CANCELS jobs, once it is working, DELETE with its token, then the time until the worker's
   processing list is empty: the handler interrupted and its refused outcome recorded.

  bench/wait.py            300 jobs, 10,000 waiters, 3 runs of 10 s
  bench/wait.py --quick    50 jobs, 1,000 waiters, 2 runs of 3 s
  JOBS, WAITERS, RUNS, DURATION change the size. Writes bench/results/wait.json, prints a table."""
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import bench  # noqa: E402

NAME = "wait"
JOBS = int(os.environ.get("JOBS", 50 if bench.QUICK else 300))
WAITERS = int(os.environ.get("WAITERS", 1_000 if bench.QUICK else 10_000))
RUNS = int(os.environ.get("RUNS", 2 if bench.QUICK else 3))
DURATION = int(os.environ.get("DURATION", 3 if bench.QUICK else 10))
# long enough that no waiter's time runs out (and is answered) during the passes while they are held
WAIT_S = 180
CANCELS = int(os.environ.get("CANCELS", 5 if bench.QUICK else 30))
JCMD = os.path.join(os.path.dirname(bench.JAVA), "jcmd")


def post(conn, body):
    conn.request("POST", "/api/v1/work", body=json.dumps(body),
                 headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    return json.loads(response.read())


def get(conn, path):
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, json.loads(response.read())


def lateness(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    late, plain = [], []
    stamp = time.time()
    for i in range(JOBS):
        job = post(conn, {"data": f"wait {stamp} {i}"})
        t0 = time.perf_counter()
        get(conn, "/api/v1/work/" + job["callback"])
        plain.append((time.perf_counter() - t0) * 1000)
        status, view = get(conn, "/api/v1/work/" + job["callback"] + "?wait=10s")
        answered = time.time() * 1000
        if view.get("status") != "worked":
            raise SystemExit(f"a wait answered {status} {view}")
        finished = datetime.fromisoformat(view["finished_at"].replace("Z", "+00:00"))
        late.append(answered - finished.timestamp() * 1000)
    conn.close()
    late.sort()
    plain.sort()
    return late, plain


def open_waiters(port, ids, n):
    """n sockets, each with a GET ?wait=60s sent and its answer not read yet; opened 500 at a
    time, each batch held before the next: a burst of thousands of first reads at once would
    queue past the api's Redis pool (REDIS_POOL_WAITING) and be answered 503."""
    socks = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(f"GET /api/v1/work/{ids[i % len(ids)]}?wait={WAIT_S}s HTTP/1.1\r\n"
                  f"Host: 127.0.0.1\r\n\r\n".encode())
        socks.append(s)
        if len(socks) % 500 == 0 or len(socks) == n:
            count = len(socks)
            bench.wait_until(lambda: held(port) >= count, 60, f"{count} waiters held")
    return socks


def held(port):
    """The api's waiters gauge."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/q/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("conveyor_waiters "):
                return float(line.split()[1])
    return 0.0


def heap_after_gc(pid):
    """Bytes of heap in use after a full GC (jcmd GC.run, then GC.heap_info's 'used')."""
    subprocess.run([JCMD, str(pid), "GC.run"], capture_output=True, check=True, timeout=60)
    info = subprocess.run([JCMD, str(pid), "GC.heap_info"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    used = 0
    for line in info.splitlines():
        parts = line.replace(",", " ").split()
        if "used" in parts and ("generation" in line or "space" not in line):
            k = parts[parts.index("used") + 1]
            used += int(k.rstrip("K")) * 1024
    return used


def wrk(port, tag):
    out = subprocess.run(
        ["wrk", "-t2", "-c50", f"-d{DURATION}s", "-s",
         os.path.join(bench.ROOT, "bench", "lib", "accept.lua"), f"http://127.0.0.1:{port}", "--", tag],
        capture_output=True, text=True, timeout=DURATION + 60, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    return result["requests"] / (result["duration_us"] / 1e6)


def main():
    for tool in ("redis-server", "wrk", JCMD):
        if not (os.path.exists(tool) or subprocess.run(["which", tool], capture_output=True).returncode == 0):
            raise SystemExit(f"{tool} not found")
    with bench.Stack(NAME) as stack:
        r = stack.redis()
        port = bench.free_port()
        api = stack.service("api", "api@bench", http_port=port, MAX_WAITERS=WAITERS + 100,
                            MAX_WAIT=f"{WAIT_S}s", IDLE_TIMEOUT=f"{WAIT_S + 30}s", RESULT_TTL="10m")
        w1 = stack.service("worker", "w1", WORK_DURATION="20ms", RESULT_TTL="10m")
        bench.wait_ready(port, api)
        bench.wait_until(lambda: r.call("ZCARD", "conveyor:ledger") >= 2, 60, "the worker")

        # 1. lateness (a first pass warms both JVMs' paths)
        lateness(port)
        late, plain = lateness(port)
        bench.log(NAME, f"{JOBS} waits: finished_at → answered p50 {bench.percentile(late, 0.5):.1f} ms,"
                        f" p99 {bench.percentile(late, 0.99):.1f} ms; a plain GET p50"
                        f" {bench.percentile(plain, 0.5):.2f} ms")

        # 2. the cost of WAITERS held waits, on jobs no worker serves
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        ids = [post(conn, {"data": f"idle {time.time()} {i}", "type": "nobody"})["callback"]
               for i in range(100)]
        conn.close()
        wrk(port, f"warm {time.time()}")
        before = [wrk(port, f"before {time.time()} {run}") for run in range(1, RUNS + 1)]
        heap_before = heap_after_gc(api.pid)
        rss_before = bench.rss_kb(api.pid)
        socks = open_waiters(port, ids, WAITERS)
        heap_with = heap_after_gc(api.pid)
        rss_with = bench.rss_kb(api.pid)
        per_waiter = (heap_with - heap_before) / WAITERS
        bench.log(NAME, f"{WAITERS} waiters: heap {heap_before / 2**20:.1f} → {heap_with / 2**20:.1f} MiB"
                        f" ({per_waiter:,.0f} B each), RSS {rss_before / 1024:.0f} → {rss_with / 1024:.0f} MiB")

        # 3. accept while they are held, then once they are gone
        with_waiters, after = [], []
        for run in range(1, RUNS + 1):
            with_waiters.append(wrk(port, f"with {time.time()} {run}"))
        if held(port) < WAITERS:
            raise SystemExit(f"only {held(port):.0f} of the {WAITERS} waiters were still held after the passes")
        for s in socks:
            s.close()
        bench.wait_until(lambda: held(port) == 0, 60, "the waiters released")
        for run in range(1, RUNS + 1):
            after.append(wrk(port, f"after {time.time()} {run}"))
        without = before + after
        bench.log(NAME, f"accept req/s before {[round(x) for x in before]}, with {WAITERS} waiters"
                        f" {[round(x) for x in with_waiters]}, after {[round(x) for x in after]}")

        # 4. cancels of running jobs
        stack.stop(w1)
        r.call("DEL", "conveyor:queue")  # the accept passes' backlog: the cancelled jobs go first
        stack.service("worker", "w2", WORK_DURATION="60s", RESULT_TTL="10m")
        bench.wait_until(lambda: r.call("HEXISTS", "conveyor:node:w2", "last_beat") == 1, 60, "w2")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        cancel_ms = []
        for i in range(CANCELS):
            job = post(conn, {"data": f"cancel {time.time()} {i}"})
            bench.wait_until(lambda: r.call("HGET", "conveyor:job:" + job["callback"], "status")
                             == "working", 30, "the job working")
            t0 = time.perf_counter()
            conn.request("DELETE", "/api/v1/work/" + job["callback"],
                         headers={"Authorization": "Bearer " + job["cancel_token"]})
            answer = conn.getresponse()
            answer.read()
            if answer.status != 202:
                raise SystemExit(f"a cancel answered {answer.status}")
            while r.call("LLEN", "conveyor:processing:w2") != 0:
                time.sleep(0.0005)
            cancel_ms.append((time.perf_counter() - t0) * 1000)
        conn.close()
        cancel_ms.sort()
        bench.log(NAME, f"{CANCELS} cancels of running jobs: DELETE → handler interrupted and its"
                        f" outcome recorded, p50 {bench.percentile(cancel_ms, 0.5):.1f} ms,"
                        f" max {cancel_ms[-1]:.1f} ms")

    results = {
        "jobs": JOBS, "waiters": WAITERS, "runs": RUNS, "duration_s": DURATION,
        "late_p50_ms": bench.percentile(late, 0.5), "late_p99_ms": bench.percentile(late, 0.99),
        "plain_get_p50_ms": bench.percentile(plain, 0.5),
        "heap_before_bytes": heap_before, "heap_with_bytes": heap_with,
        "heap_per_waiter_bytes": per_waiter, "rss_before_kb": rss_before, "rss_with_kb": rss_with,
        "accept_with_waiters": bench.stats(with_waiters), "accept_without": bench.stats(without),
        "accept_before": bench.stats(before), "accept_after": bench.stats(after),
        "cancels": CANCELS, "cancel_p50_ms": bench.percentile(cancel_ms, 0.5),
        "cancel_max_ms": cancel_ms[-1],
    }
    bench.write_result(NAME, results)
    print(f"| ?wait=, one api, straight (no HAProxy) | value |")
    print("|---|---|")
    print(f"| finished_at → answer, p50 / p99 ({JOBS} waits) | {results['late_p50_ms']:.1f} /"
          f" {results['late_p99_ms']:.1f} ms (a plain GET: {results['plain_get_p50_ms']:.2f} ms) |")
    print(f"| heap after GC, without / with {WAITERS:,} waiters | {heap_before / 2**20:.1f} /"
          f" {heap_with / 2**20:.1f} MiB ({per_waiter:,.0f} B per waiter) |")
    print(f"| RSS without / with | {rss_before / 1024:.0f} / {rss_with / 1024:.0f} MiB |")
    print(f"| accept req/s, wrk -c50 {DURATION} s, without (before and after) / with the waiters held |"
          f" {bench.fmt(results['accept_without'])} / {bench.fmt(results['accept_with_waiters'])} |")
    print(f"| DELETE of a running job → its handler interrupted and outcome recorded, p50 / max"
          f" ({CANCELS} jobs) | {results['cancel_p50_ms']:.1f} / {results['cancel_max_ms']:.1f} ms |")


if __name__ == "__main__":
    main()
