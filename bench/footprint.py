#!/usr/bin/env python3
"""Footprint (issue 7, item 5): launch → ready (/q/health/ready answers 200) for each service, and
its resident memory (VmRSS) idle and under load, with the JVM options the images ship (the
Dockerfile's JAVA_TOOL_OPTIONS, heap sized for the manifests' 512 MiB limit).

Start: each service alone beside a running Redis, RUNS times. Idle RSS: IDLE seconds after ready.
Under load: api, worker (concurrency 50, WORK_DURATION=0) and sysmon together while wrk POSTs
new jobs to the api for LOAD seconds (50 connections) and the worker works them; the highest
RSS sampled every 200 ms.

Cold ramp (issue 21, goal 6): how soon a freshly launched process works at its warm rate.
- Worker: RAMP_JOBS no-op jobs queued, then a worker (concurrency 50) launched against them; the
  jobs it has worked counted every 0.5 s from its launch for RAMP_S s. Its warm rate is the median
  of the last four windows (it still climbs until about 8 s); the answer is when a window first
  reaches 80 % of it.
- API: launched alone, then wrk -t2 -c50 POSTs straight at it in 1 s passes from the moment it is
  ready, for API_RAMP_S s; its warm rate the median of the passes from 15 s on (later, as the
  queue passes a million jobs, Redis' AOF rewrites slow every POST, warm or not).
- During a ramp Redis starts no AOF rewrite of its own (one under way is waited out first): a
  rewrite forks and copies the data set, a core for seconds, which a ramp that met it measured.
Each with the images' options; with an AppCDS archive (-XX:ArchiveClassesAtExit in the training
run, -XX:SharedArchiveFile after: the classes parsed ahead: what the images ship); and
with a JDK AOT cache (JEP 483/514/515: classes loaded and linked, and method profiles; written
with -XX:AOTCacheOutput, given as -XX:AOTCache). A training run is the same process under the same
load for TRAIN_S s, stopped with SIGTERM (the JVM writes the archive or cache as it exits). And
with the other JIT setting: the worker image runs C1 alone, the api image C1 and C2; each is also
ramped with the other. Each variant's ramp is also read against the plain warm rate.
VARIANTS=appcds,aot,tiers (all, the default) or a subset; RAMP_KINDS=worker,api likewise.

  bench/footprint.py            3 starts each, 5 s idle, 15 s of load; worker ramp of 500,000 jobs / 10 s, api ramp 30 s
  bench/footprint.py --quick    2 starts each, 1 s idle, 5 s of load; worker ramp of 200,000 jobs / 3 s, api ramp 8 s
  Writes bench/results/footprint.json, prints Markdown tables."""
import hashlib
import os
import statistics
import subprocess
import sys
import json
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import bench  # noqa: E402

NAME = "footprint"
RUNS = int(os.environ.get("RUNS", 2 if bench.QUICK else 3))
IDLE = 1 if bench.QUICK else 5
LOAD = 5 if bench.QUICK else 15
KINDS = ("api", "worker", "sysmon")
RAMP_JOBS = int(os.environ.get("RAMP_JOBS", 200_000 if bench.QUICK else 500_000))
RAMP_S = float(os.environ.get("RAMP_S", 3 if bench.QUICK else 10))
API_RAMP_S = int(os.environ.get("API_RAMP_S", 8 if bench.QUICK else 30))
TRAIN_S = int(os.environ.get("TRAIN_S", 5 if bench.QUICK else 20))
WINDOW_S = 0.5


def start(stack, kind, name, **env):
    port = bench.free_port()
    if kind == "sysmon":
        env.update(SYSMON_PORT=port, SYSMON_TERMINAL="false")
    proc = stack.service(kind, name, http_port=port, **env)
    return proc, port


def backlog(r, sha, prefix, count, tag):
    jobs = []
    for i in range(count):
        data = f"ramp {tag} {i}"
        jobs.append((hashlib.md5(data.encode()).hexdigest().upper(), data))
    r.pipeline(bench.submit_commands(sha, prefix, f"{prefix}:queue", jobs))


def reached(rates, window_s, warm, share=0.8):
    """The end of the first window (s after launch) whose rate is share × warm or more (None before
    any work: a warm rate of 0 is no rate)."""
    if warm <= 0:
        return None
    return next(((i + 1) * window_s for i, rate in enumerate(rates) if rate >= share * warm), None)


def worker_ramp(stack, r, sha, tag, jvm_args=()):
    """A worker launched against a backlog: its jobs/s in 0.5 s windows from its launch."""
    prefix = f"ramp{tag}"
    backlog(r, sha, prefix, RAMP_JOBS, tag)
    proc = stack.service("worker", f"ramp-{tag}@bench", jvm_args=jvm_args, REDIS_PREFIX=prefix,
                         WORKER_CONCURRENCY=50, WORK_DURATION=0, RESULT_TTL="10m")
    counts = count_worked(r, prefix, proc.started_ms)
    stack.stop(proc)
    r.call("FLUSHDB")
    return worker_ramp_reading(counts)


def count_worked(r, prefix, launched_ms):
    """The jobs worked under prefix at the end of each 0.5 s window from launched_ms, for RAMP_S."""
    counts = []
    for k in range(1, int(RAMP_S / WINDOW_S) + 1):
        time.sleep(max(0.0, (launched_ms + k * WINDOW_S * 1000 - bench.now_ms()) / 1000))
        counts.append(int(r.call("HGET", f"{prefix}:stats", "worked") or 0))
    return counts


def worker_ramp_reading(counts):
    """A worker's ramp from its counts per window: rates, warm rate (the last four windows), when
    a window first reached 80 % of it, and the first window with a job done."""
    if counts[-1] >= RAMP_JOBS:
        raise SystemExit(f"the backlog of {RAMP_JOBS:,} ran out in {RAMP_S} s: raise RAMP_JOBS")
    rates = [(b - a) / WINDOW_S for a, b in zip([0] + counts, counts)]
    warm = statistics.median(rates[-4:])
    return {"rates": [round(x) for x in rates], "warm": warm,
            "at_80": reached(rates, WINDOW_S, warm),
            "first_claim_s": next(((i + 1) * WINDOW_S for i, c in enumerate(counts) if c), None)}


def wrk_pass(target, seconds, tag):
    """One wrk pass at target (host:port)."""
    out = subprocess.run(["wrk", "-t2", "-c50", f"-d{seconds}s", "-s",
                          os.path.join(bench.ROOT, "bench", "lib", "accept.lua"),
                          f"http://{target}", "--", tag],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def api_ramp(stack, tag, jvm_args=()):
    """An api launched alone, then POSTed at in 1 s passes: req/s per pass from its launch."""
    port = bench.free_port()
    proc = stack.service("api", f"ramp-{tag}@bench", http_port=port, jvm_args=jvm_args)
    ready_s = bench.wait_ready(port, proc) / 1000
    ramp = api_passes(f"127.0.0.1:{port}", proc.started_ms, tag, ready_s)
    stack.stop(proc)
    return ramp


def api_passes(target, launched_ms, tag, ready_s):
    """An api's ramp: API_RAMP_S 1 s passes at target; its warm rate the median of the passes from
    15 s after launch on, and the end of the first pass at 80 % of it."""
    rates, ends = [], []
    for n in range(API_RAMP_S):
        result = wrk_pass(target, 1, f"ramp {tag} {n}")
        rates.append(result["requests"] / (result["duration_us"] / 1e6))
        ends.append((bench.now_ms() - launched_ms) / 1000)
    warm = statistics.median([rate for end, rate in zip(ends, rates) if end >= min(15, ends[-1])])
    at = next((round(end, 1) for end, rate in zip(ends, rates) if rate >= 0.8 * warm), None)
    return {"ready_s": ready_s, "rates": [round(x) for x in rates], "pass_ends_s": [round(e, 2) for e in ends],
            "warm": warm, "at_80": at}


def train(stack, r, sha, kind, output_arg, path):
    """A training run: the process under its load for TRAIN_S s, started with output_arg (where the
    JVM writes its AOT cache or CDS archive), then SIGTERM (the JVM writes it as it exits)."""
    args = [output_arg]
    if kind == "worker":
        backlog(r, sha, "train", 50_000 * TRAIN_S, "train")
        proc = stack.service("worker", "train-worker@bench", jvm_args=args, REDIS_PREFIX="train",
                             WORKER_CONCURRENCY=50, WORK_DURATION=0, RESULT_TTL="10m")
        time.sleep(TRAIN_S)
    else:
        port = bench.free_port()
        proc = stack.service("api", "train-api@bench", http_port=port, jvm_args=args)
        bench.wait_ready(port, proc)
        wrk_pass(f"127.0.0.1:{port}", TRAIN_S, f"train {time.time()}")
    stack.stop(proc, wait=180)
    r.call("FLUSHDB")
    if not os.path.exists(path):
        raise SystemExit(f"the training run wrote no {path}; see {proc.log_path}")
    return os.path.getsize(path) / 1e6


# the variants of a cold ramp: the images' options; AppCDS (a dynamic CDS archive of the classes a
# training run loaded, -XX:ArchiveClassesAtExit: JDK 13 on; what the images ship); the JDK's
# AOT cache (JDK 24 on: the classes loaded and linked, and from JDK 25 the method profiles); the
# other JIT setting ("tiers"): the worker image runs C1 alone (-XX:TieredStopAtLevel=1, no C2,
# whose compilations take a core for seconds on a cold start), so its other is the JVM's default,
# C1 and C2; the api image runs the default, so its other is C1 alone. VARIANTS=tiers runs a subset;
# plain always runs, since every variant is also measured against the plain warm rate
VARIANTS = tuple((key, label) for key, label in (
    ("plain", "the images' options"), ("appcds", "with an AppCDS archive"), ("aot", "with the AOT cache"),
    ("tiers", "the other JIT setting"))
    if key == "plain" or key in os.environ.get("VARIANTS", "appcds,aot,tiers").split(","))
# what "tiers" is for each kind: the opposite of its image's setting (a later option wins)
OTHER_TIERS = {"worker": ("-XX:TieredStopAtLevel=4", "C1 and C2 (the JVM's default)"),
               "api": ("-XX:TieredStopAtLevel=1", "C1 alone")}
RAMP_KINDS = tuple(os.environ.get("RAMP_KINDS", "worker,api").split(","))


def ramps(stack, r):
    sha = r.call("SCRIPT", "LOAD", bench.lua("submit-8.lua"))
    out = {}
    variants = [key for key, _ in VARIANTS]
    for kind in RAMP_KINDS:
        jsa = os.path.join(stack.work, f"{kind}.jsa")
        cache = os.path.join(stack.work, f"{kind}.aot")
        out[kind] = {variant: [] for variant in variants}
        if "appcds" in variants:
            out[kind]["appcds_archive_mb"] = train(stack, r, sha, kind, f"-XX:ArchiveClassesAtExit={jsa}", jsa)
            bench.log(NAME, f"{kind}: an AppCDS archive of {out[kind]['appcds_archive_mb']:.0f} MB "
                            f"from a {TRAIN_S} s training run")
        if "aot" in variants:
            out[kind]["aot_cache_mb"] = train(stack, r, sha, kind, f"-XX:AOTCacheOutput={cache}", cache)
            bench.log(NAME, f"{kind}: an AOT cache of {out[kind]['aot_cache_mb']:.0f} MB "
                            f"from a {TRAIN_S} s training run")
        args = {"plain": (), "appcds": (f"-XX:SharedArchiveFile={jsa}",), "aot": (f"-XX:AOTCache={cache}",),
                "tiers": (OTHER_TIERS[kind][0],)}
        for run in range(1, RUNS + 1):
            for variant, _ in VARIANTS:
                tag = f"{kind}{variant}{run}"
                with bench.no_aof_rewrites(r):
                    ramp = (worker_ramp(stack, r, sha, tag, args[variant]) if kind == "worker"
                            else api_ramp(stack, tag, args[variant]))
                out[kind][variant].append(ramp)
                bench.log(NAME, f"{kind} cold ramp, {variant}, run {run}: 80 % of its warm "
                                f"{ramp['warm']:,.0f}/s at {ramp['at_80']} s after launch; " + " ".join(map(str, ramp["rates"])))
        against_plain(out[kind], kind, variants)
    return out


def against_plain(runs_by_variant, kind, variants):
    """Each variant's runs read against the plain warm rate too: a variant with a lower warm rate of
    its own (C1 alone) reaches 80 % of it sooner without being faster."""
    plain_warm = statistics.median(x["warm"] for x in runs_by_variant["plain"])
    for variant in variants:
        for ramp in runs_by_variant[variant]:
            if kind == "worker":
                ramp["at_80_of_plain"] = reached(ramp["rates"], WINDOW_S, plain_warm)
            else:
                ramp["at_80_of_plain"] = next((round(end, 1) for end, rate in zip(ramp["pass_ends_s"], ramp["rates"])
                                               if rate >= 0.8 * plain_warm), None)


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
        for proc in procs.values():
            stack.stop(proc)
        summary_ramps = ramps(stack, bench.Resp(stack.redis_port))
    summary = {"java_options": bench.JAVA_OPTIONS, "worker_jdk_java_options": bench.WORKER_JDK_OPTIONS,
               "runs": RUNS, "idle_s": IDLE, "load_s": LOAD}
    for kind in KINDS:
        summary[kind] = {"ready_ms": bench.stats(results[kind]["ready_ms"]),
                         "idle_rss_mb": bench.stats(results[kind]["idle_rss_mb"]),
                         "load_rss_mb": peak[kind]}
    summary["ramps"] = summary_ramps
    bench.write_result(NAME, summary)
    print(f"| footprint (`{bench.JAVA_OPTIONS}`) | launch → ready, ms | idle RSS, MB | RSS under load, MB |")
    print("|---|---|---|---|")
    for kind in KINDS:
        s = summary[kind]
        print(f"| {kind} | {bench.fmt(s['ready_ms'])} | {bench.fmt(s['idle_rss_mb'])} | {s['load_rss_mb']:.0f} |")
    print()
    print_ramps(summary_ramps, {kind: VARIANTS for kind in RAMP_KINDS}, RUNS)


def print_ramps(summary_ramps, variants_by_kind, runs_count, where=""):
    """The Markdown table of the cold ramps: one row per kind and variant ((key, label) pairs)."""
    print(f"| cold ramp{where}, median of {runs_count} | first work (worker: a job done; api: ready), s after launch "
          "| at 80 % of its own warm rate, s after launch | at 80 % of the plain warm rate, s | warm rate, /s "
          "| the first windows (worker: jobs/s per 0.5 s; api: req/s per 1 s pass) |")
    print("|---|---|---|---|---|---|")
    for kind, variants in variants_by_kind.items():
        for variant, label in variants:
            runs = summary_ramps[kind][variant]
            at = [x["at_80"] for x in runs if x["at_80"] is not None]
            at_plain = [x["at_80_of_plain"] for x in runs if x["at_80_of_plain"] is not None]
            first = runs[len(runs) // 2]["rates"][:8]
            first_s = [x.get("first_claim_s") or x.get("ready_s") for x in runs]
            first_s = f"{statistics.median(first_s):.1f}" if None not in first_s else "–"
            label = OTHER_TIERS[kind][1] if variant == "tiers" else label
            print(f"| {kind}, {label} | {first_s} "
                  f"| {round(statistics.median(at), 2) if at else '–'} "
                  f"| {round(statistics.median(at_plain), 2) if len(at_plain) == len(runs) else '–'} "
                  f"| {statistics.median(x['warm'] for x in runs):,.0f} | {' '.join(f'{v:,}' for v in first)} |")

if __name__ == "__main__":
    main()
