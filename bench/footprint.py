#!/usr/bin/env python3
"""Footprint (issue 7, item 5): launch → ready (/q/health/ready answers 200) for each service, and
its resident memory (VmRSS) idle and under load, with the JVM options the images ship (the
Dockerfile's JAVA_TOOL_OPTIONS, heap sized for the manifests' 512 MiB limit).

Start: each service alone beside a running Redis, RUNS times. Idle RSS: IDLE seconds after ready.
Under load: api, worker (concurrency 50, WORK_DURATION=0) and sysmon together while wrk POSTs
new jobs to the api for LOAD seconds (50 connections) and the worker works them; the highest
RSS sampled every 200 ms.

  bench/footprint.py            3 starts each, 5 s idle, 15 s of load
  bench/footprint.py --quick    2 starts each, 1 s idle, 5 s of load
  Writes bench/results/footprint.json, prints a Markdown table."""
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import bench  # noqa: E402

NAME = "footprint"
RUNS = int(os.environ.get("RUNS", 2 if bench.QUICK else 3))
IDLE = 1 if bench.QUICK else 5
LOAD = 5 if bench.QUICK else 15
KINDS = ("api", "worker", "sysmon")


def start(stack, kind, name, **env):
    port = bench.free_port()
    if kind == "sysmon":
        env.update(SYSMON_PORT=port, SYSMON_TERMINAL="false")
    proc = stack.service(kind, name, http_port=port, **env)
    return proc, port


def main():
    results = {kind: {"ready_ms": [], "idle_rss_mb": []} for kind in KINDS}
    with bench.Stack(NAME) as stack:
        stack.redis()
        for run in range(1, RUNS + 1):
            for kind in KINDS:
                proc, port = start(stack, kind, f"{kind}-{run}@bench")
                ready = bench.wait_ready(port, proc)
                time.sleep(IDLE)
                rss = bench.rss_kb(proc.pid) / 1024
                stack.stop(proc)
                results[kind]["ready_ms"].append(ready)
                results[kind]["idle_rss_mb"].append(rss)
                bench.log(NAME, f"{kind}, run {run}: ready after {ready:,.0f} ms, idle RSS {rss:.0f} MB")
        procs = {}
        api_port = None
        for kind in KINDS:
            proc, port = start(stack, kind, f"{kind}-load@bench", WORKER_CONCURRENCY=50, WORK_DURATION=0)
            bench.wait_ready(port, proc)
            procs[kind] = proc
            api_port = port if kind == "api" else api_port
        peak = {kind: 0.0 for kind in KINDS}
        done = threading.Event()

        def sample():
            while not done.is_set():
                for kind, proc in procs.items():
                    peak[kind] = max(peak[kind], bench.rss_kb(proc.pid) / 1024)
                time.sleep(0.2)

        sampler = threading.Thread(target=sample)
        sampler.start()
        out = subprocess.run(["wrk", "-t1", "-c50", f"-d{LOAD}s", "-s",
                              os.path.join(bench.ROOT, "bench", "lib", "accept.lua"),
                              f"http://127.0.0.1:{api_port}", "--", f"footprint {time.time()}"],
                             capture_output=True, text=True, check=True).stdout
        done.set()
        sampler.join()
        posted = out.strip().splitlines()[-1]
        bench.log(NAME, f"load: {posted}; peak RSS " + ", ".join(f"{k} {v:.0f} MB" for k, v in peak.items()))
    summary = {"java_options": bench.JAVA_OPTIONS, "runs": RUNS, "idle_s": IDLE, "load_s": LOAD}
    for kind in KINDS:
        summary[kind] = {"ready_ms": bench.stats(results[kind]["ready_ms"]),
                         "idle_rss_mb": bench.stats(results[kind]["idle_rss_mb"]),
                         "load_rss_mb": peak[kind]}
    bench.write_result(NAME, summary)
    print(f"| footprint (`{bench.JAVA_OPTIONS}`) | launch → ready, ms | idle RSS, MB | RSS under load, MB |")
    print("|---|---|---|---|")
    for kind in KINDS:
        s = summary[kind]
        print(f"| {kind} | {bench.fmt(s['ready_ms'])} | {bench.fmt(s['idle_rss_mb'])} | {s['load_rss_mb']:.0f} |")


if __name__ == "__main__":
    main()
