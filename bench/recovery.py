#!/usr/bin/env python3
"""Recovery (issue 7, item 4): a worker holding jobs is killed with SIGKILL; how long until each of
its jobs is claimed again by the other worker. Each round starts two fresh workers (concurrency 4,
jobs that take 30 s) on a fresh key prefix, queues 4 jobs, kills whichever worker holds more of
them (the other then has a free slot for each), and reads the time from Redis' clock at the kill
to each job's new started_at. The defaults the images ship: HEARTBEAT_INTERVAL 2s, the cluster's
failure detection, the janitor's missed-beat check.

  bench/recovery.py            10 rounds
  bench/recovery.py --quick    2 rounds
  ROUNDS changes the size. Writes bench/results/recovery.json, prints a Markdown table."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import bench  # noqa: E402

NAME = "recovery"
ROUNDS = int(os.environ.get("ROUNDS", 2 if bench.QUICK else 10))
JOBS = 4


def redis_ms(r):
    t = r.call("TIME")
    return int(t[0]) * 1000 + int(t[1]) // 1000


def one_round(stack, r, sha, n):
    prefix = f"rec{n}"
    names = [f"a{n}", f"b{n}"]
    procs = {name: stack.service("worker", name, REDIS_PREFIX=prefix, WORK_DURATION="30s",
                                 WORKER_CONCURRENCY=JOBS, SHUTDOWN_GRACE="1s")
             for name in names}
    bench.wait_until(lambda: r.call("ZCARD", f"{prefix}:ledger") >= 2, 60, "both workers")
    time.sleep(3)  # one cluster view of both, and the janitor's lease taken
    ids = []
    for i in range(JOBS):
        data = f"recovery {n} {i} {time.time()}"
        job_id = f"R{n}X{i}"
        r.call(*bench.submit_commands(sha, prefix, f"{prefix}:queue", [(job_id, data)])[0])
        ids.append(job_id)
    owners = {}

    def all_working():
        owners.clear()
        for job_id in ids:
            status, worker = r.call("HMGET", f"{prefix}:job:{job_id}", "status", "worker")
            if status != "working":
                return False
            owners[job_id] = worker
        return True

    bench.wait_until(all_working, 30, "every job working")
    held = {name: [j for j, w in owners.items() if w == name] for name in names}
    victim = max(names, key=lambda name: len(held[name]))
    survivor = next(name for name in names if name != victim)
    killed_at = redis_ms(r)
    procs[victim].send_signal(signal.SIGKILL)
    procs[victim].wait()

    def reclaimed():
        return all(r.call("HGET", f"{prefix}:job:{j}", "worker") == survivor for j in held[victim])

    bench.wait_until(reclaimed, 60, f"{victim}'s jobs claimed by {survivor}")
    took = [int(r.call("HGET", f"{prefix}:job:{j}", "started_at")) - killed_at for j in held[victim]]
    attempts = {int(r.call("HGET", f"{prefix}:job:{j}", "attempts")) for j in held[victim]}
    if attempts != {2}:
        raise SystemExit(f"round {n}: re-claimed jobs have attempts {attempts}, expected 2")
    stack.stop(procs[survivor])
    r.call("FLUSHDB")
    return took


def main():
    with bench.Stack(NAME) as stack:
        r = stack.redis()
        sha = r.call("SCRIPT", "LOAD", bench.lua("submit-8.lua"))
        samples, per_round = [], []
        for n in range(1, ROUNDS + 1):
            took = one_round(stack, r, sha, n)
            samples += took
            per_round.append(bench.stats(took)["median"])
            bench.log(NAME, f"round {n}: {len(took)} job(s) re-claimed after {', '.join(map(str, took))} ms")
    s = sorted(samples)
    results = {"rounds": ROUNDS, "jobs_reclaimed": len(s), "ms": s,
               "p50_ms": bench.percentile(s, 0.5), "p90_ms": bench.percentile(s, 0.9),
               "max_ms": s[-1], "min_ms": s[0], "round_medians_ms": per_round}
    bench.write_result(NAME, results)
    print(f"| recovery, SIGKILL → claimed elsewhere | ms over {len(s)} jobs in {ROUNDS} rounds |")
    print("|---|---|")
    for k in ("min_ms", "p50_ms", "p90_ms", "max_ms"):
        print(f"| {k[:-3]} | {results[k]:,} |")


if __name__ == "__main__":
    main()
