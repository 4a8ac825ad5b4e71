#!/usr/bin/env python3
"""Pickup latency (issue 7, item 3): with idle workers waiting, the time from a job's acceptance to
its claim, read from the job itself (accepted_at and started_at, both Redis' own clock, in ms).
One api and two workers (WORK_DURATION=0) on a private Redis; jobs POSTed one at a time through
the API at a gentle pace (20 ms apart) so the workers are idle. Then the same for delayed jobs
(`"delay":"500ms"`): the time from each job's run_at to its claim, the promotion's lateness.

  bench/pickup.py            3 runs of 500 jobs
  bench/pickup.py --quick    2 runs of 100 jobs
  JOBS, RUNS change the size. Writes bench/results/pickup.json, prints a Markdown table."""
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import bench  # noqa: E402

NAME = "pickup"
JOBS = int(os.environ.get("JOBS", 100 if bench.QUICK else 500))
RUNS = int(os.environ.get("RUNS", 2 if bench.QUICK else 3))


def post(port, data, **fields):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/work",
                                     data=json.dumps({"data": data, **fields}).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as r:
        return json.load(r)["callback"]


def main():
    with bench.Stack(NAME) as stack:
        r = stack.redis()
        port = bench.free_port()
        api = stack.service("api", "api@bench", http_port=port)
        for n in (1, 2):
            stack.service("worker", f"w{n}", WORK_DURATION=0, RESULT_TTL="10m")
        bench.wait_ready(port, api)
        bench.wait_until(lambda: r.call("ZCARD", "conveyor:ledger") >= 3, 60, "the workers")
        for i in range(50):  # the first requests warm the api's and workers' paths
            post(port, f"pickup warm {time.time()} {i}")
            time.sleep(0.02)
        time.sleep(1)
        runs = {"now": [], "delayed": []}
        for kind, fields, since in (("now", {}, "accepted_at"),
                                    ("delayed", {"delay": "500ms"}, "run_at")):
            for run in range(1, RUNS + 1):
                ids = []
                for i in range(JOBS):
                    ids.append(post(port, f"pickup {kind} {run} {i} {time.time()}", **fields))
                    time.sleep(0.02)
                bench.wait_until(lambda: all(r.pipeline([["HGET", f"conveyor:job:{i}", "started_at"]
                                                         for i in ids])), 30, "the claims")
                times = r.pipeline([["HMGET", f"conveyor:job:{i}", since, "started_at"] for i in ids])
                d = sorted(int(b) - int(a) for a, b in times)
                runs[kind].append({"p50": bench.percentile(d, 0.5), "p99": bench.percentile(d, 0.99),
                                   "max": d[-1]})
                bench.log(NAME, f"{kind} run {run}: {len(d)} jobs, {since} → claimed: p50 "
                                f"{runs[kind][-1]['p50']} ms, p99 {runs[kind][-1]['p99']} ms, "
                                f"max {runs[kind][-1]['max']} ms")
    results = {"jobs": JOBS, "runs": RUNS, "workers": 2,
               **{k: bench.stats([x[k] for x in runs["now"]]) for k in ("p50", "p99", "max")},
               "delayed": {k: bench.stats([x[k] for x in runs["delayed"]]) for k in ("p50", "p99", "max")}}
    bench.write_result(NAME, results)
    print(f"| idle workers, ms, median of {RUNS} runs (min–max) | accepted → claimed | a delayed job's run_at → claimed |")
    print("|---|---|---|")
    for k in ("p50", "p99", "max"):
        print(f"| {k} | {bench.fmt(results[k])} | {bench.fmt(results['delayed'][k])} |")


if __name__ == "__main__":
    main()
