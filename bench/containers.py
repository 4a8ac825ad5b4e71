#!/usr/bin/env python3
"""Containers (issue 19, point 4): the compose stack built and run (2 apis, 1 worker, sysmon, Redis,
HAProxy), then: the size of each image; each container's RSS (every process in it, from /proc)
idle and under the accept load; and the accept rate through HAProxy — wrk, 50 connections, the
same script as bench/accept.py (local mode: HAProxy and the apis as processes) — both on the lb's
published port (on loopback that is docker-proxy, a userland copy) and on the lb container's own
address (what kernel NAT gives a client from outside). A warm-up pass on each first (WARMUP s,
the apis' JIT), then RUNS alternating measured passes of DURATION s.

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


def wrk(target, seconds, tag):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s",
         os.path.join(bench.ROOT, "bench", "lib", "accept.lua"), f"http://{target}", "--",
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
        lb_ip = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                       containers()["lb"][0]).strip()
        # the published port goes through docker-proxy (userland) on loopback; the lb container's
        # own address is what a client reaching the host from outside gets through kernel NAT
        targets = {"published": f"127.0.0.1:{lb}", "lb_address": f"{lb_ip}:80"}
        for target in targets.values():
            wrk(target, WARMUP, f"warm {time.time_ns()}")
        passes, under_load = {name: [] for name in targets}, {}
        for run in range(RUNS):
            for name, target in targets.items():
                sample = {}
                sampler = threading.Thread(target=lambda: (time.sleep(DURATION / 2),
                                                           sample.update(rss_by_service())))
                sampler.start()
                result = wrk(target, DURATION, f"run {run} {name} {time.time_ns()}")
                sampler.join()
                passes[name].append(result)
                for container, mb in sample.items():
                    under_load[container] = max(under_load.get(container, 0), mb)
                bench.log(NAME, f"pass {run + 1} {name}: {result['per_s']:.0f} req/s, p50 "
                          f"{result['p50_us'] / 1000:.2f} ms, non-2xx {result['non_2xx']}, "
                          f"socket errors {result['socket_errors']}")
    finally:
        compose("down", "-v", "--remove-orphans")
    accept = {}
    for name, runs in passes.items():
        accept[name] = {"passes": runs, "per_s": bench.stats([p["per_s"] for p in runs]),
                        "p50_ms": bench.stats([p["p50_us"] / 1000 for p in runs]),
                        "p99_ms": bench.stats([p["p99_us"] / 1000 for p in runs])}
    payload = {
        "images_mb": images, "up_seconds": round(up_s), "rss_idle_mb": idle,
        "rss_under_load_mb": under_load, "accept": accept,
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
    print(f"\n| accept, wrk -t2 -c{CONNECTIONS}, {DURATION} s passes | req/s | p50 ms | p99 ms |"
          "\n|---|---|---|---|")
    for name, label in (("published", "the lb's published port (docker-proxy)"),
                        ("lb_address", "the lb container's address")):
        a = accept[name]
        print(f"| {label} | {bench.fmt(a['per_s'])} | {bench.fmt(a['p50_ms'], 2)} | "
              f"{bench.fmt(a['p99_ms'], 2)} |")

ENV = dict(os.environ)

if __name__ == "__main__":
    main()
