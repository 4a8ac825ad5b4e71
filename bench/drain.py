#!/usr/bin/env python3
"""Drain (issue 7, item 2): JOBS pre-queued no-op jobs (WORK_DURATION=0) drained by Conveyor's
workers, beside BullMQ (npm bullmq, no-op processor, concurrency 50) and beside the bound of our
own claim and complete scripts driven by redis-benchmark, all on one private Redis in one run.

Every guarantee stays on: claims move ids into the worker's processing list, completions are
fenced by the claim's lease, results keep their TTL. Each system first drains WARMUP warm-up
jobs (4 × JOBS: a worker is a long-running process, so its JIT is warm); then the measured jobs are queued
under a staging key and handed over in one RENAME. Rate = jobs / (last result's finished_at -
Redis' clock at the RENAME); BullMQ's from resume() to its last 'completed' event.

  bench/drain.py            50,000 jobs; 1, 2, 4 workers × concurrency 50 and a concurrency sweep
  bench/drain.py --quick    5,000 jobs, 2 runs, a smaller sweep (a smoke test)
  Also a drain of a mix (1 worker × 50, beside BullMQ set up the same way, bench/lib/bullmq-drain.mjs):
  the worker's three types (the default no-op, checksum: the data's SHA-256, wordcount: its lines,
  words and characters) at the three priorities, a ninth of the jobs each.
  JOBS, RUNS (5: a drain of 50,000 jobs takes under 2 s, so single runs vary by ±10 %) change
  the size. Writes bench/results/drain.json, prints a Markdown table."""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import bench  # noqa: E402

NAME = "drain"
JOBS = int(os.environ.get("JOBS", 5_000 if bench.QUICK else 50_000))
RUNS = int(os.environ.get("RUNS", 2 if bench.QUICK else 5))
WARMUP = int(os.environ.get("WARMUP", 4 * JOBS))
BATCH = 50  # jobs per claim and per completion in the script bound, as at concurrency 50
BULLMQ = bench.BULLMQ
if bench.QUICK:
    CONFIGS = [(1, 50), (2, 50)]
else:
    CONFIGS = [(1, 10), (1, 50), (1, 200), (2, 50), (4, 50)]
if os.environ.get("CONFIGS"):  # e.g. CONFIGS=1x50,2x50 for a shorter before/after comparison
    CONFIGS = [tuple(int(n) for n in c.split("x")) for c in os.environ["CONFIGS"].split(",")]
# the mix: the three types the worker ships handlers for, each at the three priorities, a ninth of the jobs each
TYPES = ("default", "checksum", "wordcount")
PRIORITIES = ("high", "normal", "low")
MIX_QUEUES = tuple("" if (t, p) == ("default", "normal") else f":{t}:{p}" for t in TYPES for p in PRIORITIES)


def submissions(sha, prefix, queue_key, tag, count, mix=False):
    jobs = []
    for i in range(count):
        data = f"bench {tag} {i}"
        job_id = hashlib.md5(data.encode()).hexdigest().upper()
        spec = f"{TYPES[i % len(TYPES)]},{PRIORITIES[i // len(TYPES) % 3]}," if mix else ""
        jobs.append((job_id, data, spec))
    return bench.submit_commands(sha, prefix, queue_key, jobs), [job[0] for job in jobs]


def worked(r, prefix):
    return int(r.call("HGET", f"{prefix}:stats", "worked") or 0)


def conveyor_run(stack, r, sha, workers, concurrency, run, mix=False):
    prefix = f"b{workers}x{concurrency}r{run}{'mix' if mix else ''}"
    procs = [stack.service("worker", f"w{n}", REDIS_PREFIX=prefix, WORK_DURATION=0,
                           WORKER_CONCURRENCY=concurrency, RESULT_TTL="10m")
             for n in range(1, workers + 1)]
    bench.wait_until(lambda: r.call("ZCARD", f"{prefix}:ledger") >= workers, 60, "workers")
    warm, _ = submissions(sha, prefix, f"{prefix}:queue", f"warm {prefix}", WARMUP, mix)
    r.pipeline(warm)
    bench.wait_until(lambda: worked(r, prefix) >= WARMUP, 600, "the warm-up drain")
    measured, ids = submissions(sha, prefix, f"{prefix}:staging", prefix, JOBS, mix)
    r.pipeline(measured)
    start = bench.hand_over(r, prefix, f"{prefix}:staging", MIX_QUEUES if mix else ("",),
                            TYPES if mix else ("default",))
    bench.wait_until(lambda: worked(r, prefix) >= WARMUP + JOBS, 600, "the drain")
    end = max(int(v) for v in r.pipeline([["HGET", f"{prefix}:job:{i}", "finished_at"] for i in ids]))
    for p in procs:
        stack.stop(p)
    r.call("FLUSHDB")
    return JOBS / ((end - start) / 1000)


def bullmq_run(stack, work, mix=False):
    out = subprocess.run(["node", "bullmq-drain.mjs", str(stack.redis_port), str(JOBS), "50", str(WARMUP)]
                         + (["mix"] if mix else []),
                         cwd=work, capture_output=True, text=True, timeout=600, check=True)
    return json.loads(out.stdout)["perSecond"]


def cycle_script():
    """claim-4 and complete-4 as two functions of one script: a claim of BATCH jobs and the
    completion of each, which is what a worker asks of Redis, with no client in between."""
    return ("local function claim(KEYS, ARGV)\n" + bench.lua("claim-4.lua") + "\nend\n"
            "local function complete(KEYS, ARGV)\n" + bench.lua("complete-4.lua") + "\nend\n"
            "local jobs = claim({KEYS[1], KEYS[2], KEYS[3], KEYS[4]}, {ARGV[1], 'bound', ARGV[2], 'default', '0', '60000', ARGV[4]})\n"
            "if #jobs == 0 then return 0 end\n"
            "local args = {ARGV[1], ARGV[3], ARGV[4]}\n"
            "for i = 1, #jobs, 4 do\n"
            "  args[#args + 1] = jobs[i]; args[#args + 1] = jobs[i + 3]; args[#args + 1] = '{}'\n"
            "end\n"
            "complete({KEYS[2], KEYS[3], KEYS[4], KEYS[5]}, args)\n"
            "return #jobs / 4\n")


def lua_bound_run(r, sha, cycle_sha, run):
    prefix = f"bound{run}"
    commands, _ = submissions(sha, prefix, f"{prefix}:queue", prefix, JOBS)
    r.pipeline(commands)
    calls = JOBS // BATCH
    out = subprocess.run(
        ["redis-benchmark", "-p", str(r.sock.getpeername()[1]), "-n", str(calls), "-c", "4", "--csv",
         "EVALSHA", cycle_sha, "5", f"{prefix}:queue", f"{prefix}:processing:bound", f"{prefix}:stats",
         f"{prefix}:job:", f"{prefix}:webhooks", "bound", str(BATCH), "600000", f"{prefix}:events"],
        capture_output=True, text=True, timeout=300, check=True).stdout
    rps = float(re.findall(r'"([0-9.]+)"', out.strip().splitlines()[-1])[0])
    done = worked(r, prefix)
    if done != calls * BATCH:
        raise SystemExit(f"the script bound worked {done} jobs, expected {calls * BATCH}")
    r.call("FLUSHDB")
    return rps * BATCH


def main():
    for tool in ("redis-server", "redis-benchmark", "node", "npm"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found")
    with bench.Stack(NAME) as stack:
        r = stack.redis()
        sha = r.call("SCRIPT", "LOAD", bench.lua("submit-8.lua"))
        cycle_sha = r.call("SCRIPT", "LOAD", cycle_script())
        bench.log(NAME, f"{JOBS:,} jobs per run (after {WARMUP:,} warm-up jobs), {RUNS} runs each")
        bench.node_peer(stack.work, "bullmq-drain.mjs")

        results = {"conveyor": [], "jobs": JOBS, "warmup_jobs": WARMUP, "runs": RUNS,
                   "bullmq_version": BULLMQ, "script_bound_batch": BATCH}
        for workers, concurrency in CONFIGS:
            values = []
            for run in range(1, RUNS + 1):
                values.append(conveyor_run(stack, r, sha, workers, concurrency, run))
                bench.log(NAME, f"conveyor {workers} worker(s) × concurrency {concurrency}, "
                                f"run {run}: {values[-1]:,.0f} jobs/s")
            results["conveyor"].append({"workers": workers, "concurrency": concurrency,
                                        "jobs_per_s": bench.stats(values)})
        values = []
        for run in range(1, RUNS + 1):
            values.append(conveyor_run(stack, r, sha, 1, 50, run, mix=True))
            bench.log(NAME, f"conveyor 1 worker × concurrency 50, the mix of 3 types × 3 priorities, "
                            f"run {run}: {values[-1]:,.0f} jobs/s")
        results["conveyor_mix"] = {"workers": 1, "concurrency": 50, "types": TYPES,
                                   "priorities": PRIORITIES, "jobs_per_s": bench.stats(values)}
        for key, mix, what in (("bullmq", False, ""), ("bullmq_mix", True, ", the mix")):
            values = []
            for run in range(1, RUNS + 1):
                values.append(bullmq_run(stack, stack.work, mix))
                r.call("FLUSHDB")
                bench.log(NAME, f"bullmq {BULLMQ} concurrency 50{what}, run {run}: {values[-1]:,.0f} jobs/s")
            results[key] = {"concurrency": 50, "jobs_per_s": bench.stats(values)}
        values = []
        for run in range(1, RUNS + 1):
            values.append(lua_bound_run(r, sha, cycle_sha, run))
            bench.log(NAME, f"script bound (claim-4 + complete-4, {BATCH} per call), run {run}: "
                            f"{values[-1]:,.0f} jobs/s")
        results["script_bound"] = {"jobs_per_s": bench.stats(values)}

    best = next(c for c in results["conveyor"] if c["workers"] == 1 and c["concurrency"] == 50)
    results["ratio_to_bullmq"] = best["jobs_per_s"]["median"] / results["bullmq"]["jobs_per_s"]["median"]
    results["mix_ratio_to_bullmq"] = (results["conveyor_mix"]["jobs_per_s"]["median"]
                                      / results["bullmq_mix"]["jobs_per_s"]["median"])
    results["ratio_to_script_bound"] = (best["jobs_per_s"]["median"]
                                        / results["script_bound"]["jobs_per_s"]["median"])
    bench.write_result(NAME, results)
    print(f"| drain of {JOBS:,} no-op jobs, warm | jobs/s, median of {RUNS} (min–max) |")
    print("|---|---|")
    for c in results["conveyor"]:
        print(f"| Conveyor, {c['workers']} worker(s) × concurrency {c['concurrency']} "
              f"| {bench.fmt(c['jobs_per_s'])} |")
    print(f"| Conveyor, 1 worker × concurrency 50, 3 types × 3 priorities "
          f"| {bench.fmt(results['conveyor_mix']['jobs_per_s'])} |")
    print(f"| BullMQ {BULLMQ}, concurrency 50 | {bench.fmt(results['bullmq']['jobs_per_s'])} |")
    print(f"| BullMQ {BULLMQ}, a queue per type (a Worker × 50 each), priorities 1–3 "
          f"| {bench.fmt(results['bullmq_mix']['jobs_per_s'])} |")
    print(f"| claim-4 + complete-4 alone (redis-benchmark, {BATCH} jobs per call) "
          f"| {bench.fmt(results['script_bound']['jobs_per_s'])} |")
    print(f"\nConveyor 1 × 50 / BullMQ: {results['ratio_to_bullmq']:.2f}×; the mix: "
          f"{results['mix_ratio_to_bullmq']:.2f}×; of the script bound: {results['ratio_to_script_bound']:.2f}")


if __name__ == "__main__":
    main()
