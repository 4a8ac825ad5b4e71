#!/usr/bin/env python3
"""Where a drain's time goes: one worker (concurrency CONCURRENCY, WORK_DURATION=0) drains JOBS
pre-queued jobs after WARMUP warm-up jobs, RUNS times, each with a fresh worker. For each run it
prints the rate, the CPU per job of the worker and of Redis (from /proc), the worker's context
switches per job (all its threads, from /proc), and from INFO commandstats how long Redis spent
per job inside the scripts and inside its commands (mostly those the scripts call). The tool behind the step-by-step
table of docs/benchmarks.md (drain, item 7); not part of bench/run.sh.

  bench/drain-cost.py            5 runs of 100,000 jobs after 200,000 warm-up jobs, concurrency 50
  bench/drain-cost.py --quick    2 runs of 5,000 jobs after 10,000 (a smoke test)
  JOBS, WARMUP, RUNS, CONCURRENCY change the size; prints a Markdown table, writes nothing."""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import bench  # noqa: E402
import drain  # noqa: E402

NAME = "drain-cost"
JOBS = int(os.environ.get("JOBS", 5_000 if bench.QUICK else 100_000))
WARMUP = int(os.environ.get("WARMUP", 2 * JOBS))
RUNS = int(os.environ.get("RUNS", 2 if bench.QUICK else 5))
CONCURRENCY = int(os.environ.get("CONCURRENCY", 50))


def context_switches(pid):
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as f:
                total += sum(int(line.split()[1]) for line in f if "ctxt_switches" in line)
        except OSError:
            pass  # a thread that ended meanwhile
    return total


def command_usec(r):
    """(µs inside EVALSHA, µs inside every other command) since the last CONFIG RESETSTAT."""
    scripts = others = 0
    for line in r.call("INFO", "commandstats").splitlines():
        if "usec=" not in line:
            continue
        name, fields = line.split(":", 1)
        usec = int(dict(f.split("=") for f in fields.split(","))["usec"])
        if name == "cmdstat_evalsha":
            scripts += usec
        elif name not in ("cmdstat_info", "cmdstat_config|resetstat"):
            others += usec
    return scripts, others


def one_run(stack, r, sha, run):
    prefix = f"cost{run}"
    worker = stack.service("worker", "w1", REDIS_PREFIX=prefix, WORK_DURATION=0,
                           WORKER_CONCURRENCY=CONCURRENCY, RESULT_TTL="10m")
    bench.wait_until(lambda: r.call("ZCARD", f"{prefix}:ledger") >= 1, 60, "the worker")
    warm, _ = drain.submissions(sha, prefix, f"{prefix}:queue", f"warm {prefix}", WARMUP)
    r.pipeline(warm)
    bench.wait_until(lambda: drain.worked(r, prefix) >= WARMUP, 600, "the warm-up drain")
    measured, _ = drain.submissions(sha, prefix, f"{prefix}:staging", prefix, JOBS)
    r.pipeline(measured)
    redis_pid = stack.redis_pid()
    r.call("CONFIG", "RESETSTAT")
    cpu_w, cpu_r, switches = bench.cpu_ticks(worker.pid), bench.cpu_ticks(redis_pid), context_switches(worker.pid)
    started = time.time()
    bench.hand_over(r, prefix, f"{prefix}:staging")
    bench.wait_until(lambda: drain.worked(r, prefix) >= WARMUP + JOBS, 600, "the drain")
    took = time.time() - started
    scripts, commands = command_usec(r)
    row = {"per_s": JOBS / took,
           "worker_us": (bench.cpu_ticks(worker.pid) - cpu_w) * 1e4 / JOBS,  # ticks are 10 ms
           "redis_us": (bench.cpu_ticks(redis_pid) - cpu_r) * 1e4 / JOBS,
           "switches": (context_switches(worker.pid) - switches) / JOBS,
           "scripts_us": scripts / JOBS, "commands_us": commands / JOBS}
    stack.stop(worker)
    r.call("FLUSHDB")
    return row


def main():
    with bench.Stack(NAME) as stack:
        r = stack.redis()
        sha = r.call("SCRIPT", "LOAD", bench.lua("submit-8.lua"))
        bench.log(NAME, f"{RUNS} runs: {JOBS:,} jobs after {WARMUP:,} warm-up jobs, concurrency {CONCURRENCY}")
        rows = []
        for run in range(1, RUNS + 1):
            rows.append(one_run(stack, r, sha, run))
            bench.log(NAME, f"run {run}: " + ", ".join(f"{k} {v:,.2f}" for k, v in rows[-1].items()))
    print(f"| drain of {JOBS:,} jobs, 1 worker × {CONCURRENCY}, median of {RUNS} | value |")
    print("|---|---|")
    for key, label in (("per_s", "jobs/s"), ("worker_us", "worker CPU µs per job"),
                       ("redis_us", "Redis CPU µs per job"), ("switches", "worker context switches per job"),
                       ("scripts_us", "Redis µs per job inside the scripts"),
                       ("commands_us", "Redis µs per job in commands (mostly those the scripts call)")):
        print(f"| {label} | {statistics.median(r[key] for r in rows):,.2f} |")


if __name__ == "__main__":
    main()
