#!/usr/bin/env python3
"""QUEUE_SHARDS (issue 18): the drain on a 3-master Redis Cluster on loopback
(REDIS_CLIENT_TYPE=cluster), the queue on 1 shard (every key on one master) and on 3 (a shard per
master). One worker (concurrency CONCURRENCY, WORK_DURATION=0) drains WARMUP warm-up jobs, then
JOBS jobs queued beforehand under staging keys and handed over on every shard at once; RUNS runs
of each, a fresh cluster and worker per run. Per run: jobs/s, and for each master its CPU
(/proc) per job it held. On 2 cores the total does not grow with shards (the worker and three
redis-servers share them); what shows is that a shard's Redis cost per job stays what one Redis
costs, so N masters on N machines carry N times the jobs.

  bench/shards.py            5 runs × (1, 3 shards) of 50,000 jobs after 100,000 warm-up jobs
  bench/shards.py --quick    2 runs of 5,000 jobs after 10,000 (a smoke test)
  JOBS, WARMUP, RUNS, CONCURRENCY change the size; SHARD_COUNTS=3 runs only the 3 shards. Writes bench/results/shards.json, prints a
  Markdown table."""
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import bench  # noqa: E402
import drain  # noqa: E402

NAME = "shards"
JOBS = int(os.environ.get("JOBS", 5_000 if bench.QUICK else 50_000))
WARMUP = int(os.environ.get("WARMUP", 2 * JOBS))
RUNS = int(os.environ.get("RUNS", 2 if bench.QUICK else 5))
CONCURRENCY = int(os.environ.get("CONCURRENCY", 50))
MASTERS = 3
COUNTS = [int(n) for n in os.environ.get("SHARD_COUNTS", f"1,{MASTERS}").split(",")]


class Cluster:
    """MASTERS redis-servers with cluster mode on, their slots spread by redis-cli."""

    def __init__(self, stack):
        self.ports, self.procs = [], []
        for _ in range(MASTERS):
            port = bench.free_port()
            while port > 55_000:  # its cluster bus listens on port + 10000
                port = bench.free_port()
            data = os.path.join(stack.work, f"node-{port}")
            os.makedirs(data)
            self.procs.append(stack.process(
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", data,
                 "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
                 "--cluster-enabled", "yes", "--cluster-config-file", os.path.join(data, "nodes.conf"),
                 "--logfile", os.path.join(data, "redis.log")]))
            self.ports.append(port)
        bench.wait_until(lambda: all(self._answers(p) for p in self.ports), 30, "the cluster nodes")
        subprocess.run(["redis-cli", "--cluster", "create", *[f"127.0.0.1:{p}" for p in self.ports],
                        "--cluster-yes"], check=True, stdout=subprocess.DEVNULL)
        bench.wait_until(lambda: all("cluster_state:ok" in bench.Resp(p).call("CLUSTER", "INFO")
                                     for p in self.ports), 30, "cluster_state:ok")
        self.conns = {p: bench.Resp(p) for p in self.ports}

    @staticmethod
    def _answers(port):
        try:
            bench.Resp(port).call("PING")
            return True
        except OSError:
            return False

    def url(self):
        return ",".join(f"redis://127.0.0.1:{p}" for p in self.ports)

    def master_of(self, key):
        """The connection and pid of the master that holds key's slot."""
        r = self.conns[self.ports[0]]
        slot = r.call("CLUSTER", "KEYSLOT", key)
        for start, end, master, *_ in r.call("CLUSTER", "SLOTS"):
            if start <= slot <= end:
                port = int(master[1])
                return port, self.conns[port], self.procs[self.ports.index(port)].pid
        raise SystemExit(f"no master holds slot {slot}")


def shard_prefixes(log_path, shards):
    """The shards' prefixes, from the worker's start-up line ('the queue is spread over …')."""
    if shards == 1:
        return ["{bench}"]
    deadline = time.time() + 60
    while time.time() < deadline:
        with open(log_path) as f:
            for line in f:
                if "the queue is spread over" in line:
                    return re.findall(r"(\{[^}]+\}) \(slot", line)
        time.sleep(0.1)
    raise SystemExit(f"no shard line in {log_path}")


def worked(shards):
    return sum(int(r.call("HGET", f"{p}:stats", "worked") or 0) for p, (_, r, _) in shards.items())


def queue_jobs(shards, tag, count, queue_suffix):
    """count jobs, each on the shard its id picks (as the api would), under each shard's
    base queue name + queue_suffix; the jobs per shard."""
    prefixes = list(shards)
    per = {p: [] for p in prefixes}
    import hashlib
    for i in range(count):
        data = f"bench {tag} {i}"
        job_id = hashlib.md5(data.encode()).hexdigest().upper()
        per[prefixes[int(job_id[:8], 16) % len(prefixes)]].append((job_id, data, ""))
    for p, jobs in per.items():
        _, r, _ = shards[p]
        sha = r.call("SCRIPT", "LOAD", bench.lua("submit-8.lua"))
        r.pipeline(bench.submit_commands(sha, p, f"{p}:queue{queue_suffix}", jobs))
    return {p: len(jobs) for p, jobs in per.items()}


def one_run(stack, n_shards, run):
    cluster = Cluster(stack)
    worker = stack.service("worker", "w1", REDIS_URL=cluster.url(), REDIS_CLIENT_TYPE="cluster",
                           REDIS_PREFIX="bench", QUEUE_SHARDS=n_shards, WORK_DURATION=0,
                           WORKER_CONCURRENCY=CONCURRENCY, RESULT_TTL="10m")
    prefixes = shard_prefixes(worker.log_path, n_shards)
    shards = {p: cluster.master_of(p + ":queue") for p in prefixes}
    base = shards[prefixes[0]][1]
    bench.wait_until(lambda: base.call("ZCARD", "{bench}:ledger") >= 1, 60, "the worker")
    queue_jobs(shards, f"warm {run}", WARMUP, "")
    for p, (_, r, _) in shards.items():
        r.call("ZADD", f"{p}:queue:default:wake", 0, "jobs")
    bench.wait_until(lambda: worked(shards) >= WARMUP, 600, "the warm-up drain")
    held = queue_jobs(shards, f"measured {run}", JOBS, ":staging")
    cpu = {port: bench.cpu_ticks(pid) for port, _, pid in shards.values()}
    started = time.time()
    for p, (_, r, _) in shards.items():
        bench.hand_over(r, p, f"{p}:queue:staging")
    bench.wait_until(lambda: worked(shards) >= WARMUP + JOBS, 600, "the drain")
    took = time.time() - started
    per_master = [{"shard": p, "port": port, "jobs": held[p],
                   "redis_us_per_job": (bench.cpu_ticks(pid) - cpu[port]) * 1e4 / held[p]}
                  for p, (port, _, pid) in shards.items()]
    stack.stop(worker)
    for proc in cluster.procs:
        stack.stop(proc)
    return {"shards": n_shards, "per_s": JOBS / took, "masters": per_master}


def main():
    rows = []
    with bench.Stack(NAME) as stack:
        bench.log(NAME, f"{RUNS} runs each of {COUNTS} shards: {JOBS:,} jobs after "
                        f"{WARMUP:,}, 1 worker × {CONCURRENCY}, a {MASTERS}-master cluster")
        for run in range(1, RUNS + 1):
            for n in COUNTS:
                rows.append(one_run(stack, n, run))
                bench.log(NAME, f"run {run}, {n} shard(s): {rows[-1]['per_s']:,.0f} jobs/s; "
                          + "; ".join(f"{m['shard']} {m['jobs']:,} jobs, {m['redis_us_per_job']:.2f} µs/job"
                                      for m in rows[-1]["masters"]))
    bench.write_result(NAME, {"jobs": JOBS, "warmup": WARMUP, "runs": rows})
    print(f"| {MASTERS}-master cluster, 1 worker × {CONCURRENCY}, {JOBS:,} jobs, median of {RUNS} "
          "| jobs/s | Redis CPU µs per job, each master holding a shard |")
    print("|---|---|---|")
    for n in COUNTS:
        mine = [r for r in rows if r["shards"] == n]
        per_job = [statistics.median(r["masters"][s]["redis_us_per_job"] for r in mine)
                   for s in range(n)]
        rate = statistics.median(r["per_s"] for r in mine)
        print(f"| QUEUE_SHARDS={n} | {rate:,.0f} | {' / '.join(f'{v:.2f}' for v in per_job)} |")


if __name__ == "__main__":
    main()
