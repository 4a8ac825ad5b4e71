#!/usr/bin/env python3
"""Containers (issue 19, point 4): the compose stack built and run (2 apis, 1 worker, sysmon, Redis,
HAProxy), then: the size of each image; each container's RSS (every process in it, from /proc)
idle and under the accept load; and the accept rate through the published lb port — wrk, 50
connections, the same script as bench/accept.py (local mode: HAProxy and the apis as processes).
A warm-up pass first (WARMUP s), then RUNS measured passes of DURATION s.

Run it through bench/containers.sh, which provides the Docker engine (a private one with stand-in
base images where none answers: docs/design/containers.md).
  bench/containers.sh            10 s passes, 3 runs, 30 s warm-up
  bench/containers.sh --quick    3 s passes, 2 runs, 8 s warm-up
Writes bench/results/containers.json, prints Markdown tables."""
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import bench  # noqa: E402

NAME = "containers"
DURATION = int(os.environ.get("DURATION", 3 if bench.QUICK else 10))
RUNS = int(os.environ.get("RUNS", 2 if bench.QUICK else 3))
WARMUP = int(os.environ.get("WARMUP", 8 if bench.QUICK else 30))
CONNECTIONS = 50
PROJECT = "conveyor-bench"


def compose(*args, timeout=900):
    return subprocess.run(["docker", "compose", "-p", PROJECT, *args], capture_output=True,
                          text=True, timeout=timeout, check=True, env=ENV).stdout


def docker(*args):
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120,
                          check=True, env=ENV).stdout


def containers():
    """service name -> [container ids], the running ones."""
    found = {}
    for line in compose("ps", "--format", "{{.Service}} {{.ID}}").split("\n"):
        if line.strip():
            service, cid = line.split()
            found.setdefault(service, []).append(cid)
    return found


def rss_mb(cid):
    """The RSS of every process of the container, in MB (the host sees its pids)."""
    pids = docker("top", cid, "-eo", "pid").split()[1:]
    total = 0
    for pid in pids:
        try:
            total += bench.rss_kb(int(pid))
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            pass  # a process that ended meanwhile
    return total / 1024


def rss_by_service():
    return {f"{service}-{n}": round(rss_mb(cid), 1)
            for service, ids in sorted(containers().items()) for n, cid in enumerate(ids, 1)}


def wrk(port, seconds, tag):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s",
         os.path.join(bench.ROOT, "bench", "lib", "accept.lua"), f"http://127.0.0.1:{port}", "--",
         tag], capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["per_s"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def main():
    lb = bench.free_port()
    ENV.update(LB_PORT=str(lb), LB_STATS_PORT=str(bench.free_port()),
               SYSMON_PORT=str(bench.free_port()))
    compose("down", "-v", "--remove-orphans")
    try:
        bench.log(NAME, "building and starting the stack (docker compose up --build)")
        started = time.time()
        compose("up", "--build", "-d", "--scale", "api=2", "--scale", "worker=1", "--wait",
                "--wait-timeout", "300")
        up_s = time.time() - started
        images = {}
        for service in ("api", "worker", "sysmon"):
            size = int(docker("image", "inspect", "-f", "{{.Size}}", f"{PROJECT}-{service}").strip())
            images[f"{PROJECT}-{service}"] = round(size / 1e6)
        for base in ("eclipse-temurin:21-jre", "haproxy:3.2", "redis:7.4"):
            images[base] = round(int(docker("image", "inspect", "-f", "{{.Size}}", base).strip()) / 1e6)
        time.sleep(5)
        idle = rss_by_service()
        bench.log(NAME, f"idle RSS (MB): {idle}")
        wrk(lb, WARMUP, f"warm {time.time_ns()}")
        passes, under_load = [], {}
        for run in range(RUNS):
            sample = {}
            sampler = threading.Thread(target=lambda: (time.sleep(DURATION / 2),
                                                       sample.update(rss_by_service())))
            sampler.start()
            result = wrk(lb, DURATION, f"run {run} {time.time_ns()}")
            sampler.join()
            passes.append(result)
            for name, mb in sample.items():
                under_load[name] = max(under_load.get(name, 0), mb)
            bench.log(NAME, f"pass {run + 1}: {result['per_s']:.0f} req/s, p50 "
                      f"{result['p50_us'] / 1000:.2f} ms, non-2xx {result['non_2xx']}, "
                      f"socket errors {result['socket_errors']}")
    finally:
        compose("down", "-v", "--remove-orphans")
    rates = bench.stats([p["per_s"] for p in passes])
    p50 = bench.stats([p["p50_us"] / 1000 for p in passes])
    p99 = bench.stats([p["p99_us"] / 1000 for p in passes])
    payload = {
        "images_mb": images, "up_seconds": round(up_s), "rss_idle_mb": idle,
        "rss_under_load_mb": under_load, "accept": {"passes": passes, "per_s": rates,
                                                     "p50_ms": p50, "p99_ms": p99},
        "duration_s": DURATION, "runs": RUNS, "warmup_s": WARMUP, "connections": CONNECTIONS,
        "engine": docker("info", "--format", "{{.ServerVersion}}").strip(),
    }
    bench.write_result(NAME, payload)
    print("| image | MB |\n|---|---|")
    for name, mb in images.items():
        print(f"| {name} | {mb} |")
    print("\n| container | RSS idle MB | RSS under accept load MB |\n|---|---|---|")
    for name in idle:
        print(f"| {name} | {idle[name]} | {under_load.get(name, '-')} |")
    print(f"\n| accept through the lb, wrk -t2 -c{CONNECTIONS}, {DURATION} s passes | req/s | "
          f"p50 ms | p99 ms |\n|---|---|---|---|")
    print(f"| containers (compose) | {bench.fmt(rates)} | {bench.fmt(p50, 2)} | "
          f"{bench.fmt(p99, 2)} |")


ENV = dict(os.environ)

if __name__ == "__main__":
    main()
