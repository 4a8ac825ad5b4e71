#!/usr/bin/env python3
"""Growth (issue 7, item 6): Redis memory per queued job and drain time for 10 k, 100 k and 1 M
queued jobs, to show both grow linearly. One worker (concurrency 50, WORK_DURATION=0, results
kept 2 s so each size's results are gone before the next) runs throughout and is warmed first.
For each size: the jobs are queued under a staging key through submit-8 (the API's own writes);
used_memory before and after gives the bytes per pending job; one RENAME hands them to the worker
and the drain is timed until the stats count them all worked.

  bench/growth.py            10,000, 100,000 and 1,000,000 jobs
  bench/growth.py --quick    10,000 and 50,000 jobs
  SIZES ("10000 100000") changes them. Writes bench/results/growth.json, prints a Markdown table."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import bench  # noqa: E402

NAME = "growth"
DEFAULT = "10000 50000" if bench.QUICK else "10000 100000 1000000"
SIZES = [int(x) for x in os.environ.get("SIZES", DEFAULT).split()]
WARMUP = 20_000 if bench.QUICK else 100_000


def used_memory(r):
    info = r.call("INFO", "memory")
    return int(next(l.split(":")[1] for l in info.splitlines() if l.startswith("used_memory:")))


def queue(r, sha, key, tag, count):
    for start in range(0, count, 10_000):
        jobs = [(f"{tag}-{i:07d}", f"growth {tag} {i}") for i in range(start, min(count, start + 10_000))]
        r.pipeline(bench.submit_commands(sha, "conveyor", key, jobs))


def worked(r):
    return int(r.call("HGET", "conveyor:stats", "worked") or 0)


def main():
    with bench.Stack(NAME) as stack:
        r = stack.redis()
        sha = r.call("SCRIPT", "LOAD", bench.lua("submit-8.lua"))
        stack.service("worker", "w1", WORKER_CONCURRENCY=50, WORK_DURATION=0, RESULT_TTL="2s")
        bench.wait_until(lambda: r.call("ZCARD", "conveyor:ledger") >= 1, 60, "the worker")
        queue(r, sha, "conveyor:queue", "warm", WARMUP)
        bench.wait_until(lambda: worked(r) >= WARMUP, 300, "the warm-up")
        rows = []
        for size in SIZES:
            keys_before = r.call("DBSIZE")
            bench.wait_until(lambda: r.call("DBSIZE") < 100, 120, "the last results to expire")
            before = used_memory(r)
            t = time.time()
            queue(r, sha, "conveyor:staging", f"g{size}", size)
            queued_s = time.time() - t
            after = used_memory(r)
            done_before = worked(r)
            start = time.time()
            bench.hand_over(r, "conveyor", "conveyor:staging")
            bench.wait_until(lambda: worked(r) >= done_before + size, 1800, f"the drain of {size:,}")
            seconds = time.time() - start
            row = {"jobs": size, "bytes_per_pending_job": (after - before) / size,
                   "used_memory_mb": after / 2**20, "queue_s": queued_s, "drain_s": seconds,
                   "jobs_per_s": size / seconds, "us_per_job": seconds * 1e6 / size}
            rows.append(row)
            bench.log(NAME, f"{size:,} jobs: {row['bytes_per_pending_job']:.0f} B each pending, "
                            f"drained in {seconds:.2f} s ({row['jobs_per_s']:,.0f}/s)"
                            f" [{keys_before} keys before]")
    bench.write_result(NAME, {"sizes": SIZES, "warmup_jobs": WARMUP, "rows": rows})
    print("| queued jobs | Redis memory per pending job | used_memory queued | drain time | jobs/s |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['jobs']:,} | {row['bytes_per_pending_job']:.0f} B | {row['used_memory_mb']:.0f} MB "
              f"| {row['drain_s']:.2f} s | {row['jobs_per_s']:,.0f} |")


if __name__ == "__main__":
    main()
