#!/usr/bin/env python3
"""Containers (issue 19, point 4): the compose stack built and run (2 apis, 1 worker, sysmon, Redis,
HAProxy), then: the size of each image; each container's RSS (every process in it, from /proc)
idle and under the accept load; and the accept rate through HAProxy — wrk, 50 connections, the
same script as bench/accept.py (local mode: HAProxy and the apis as processes) — both on the lb's
published port (on loopback that is docker-proxy, a userland copy) and on the lb container's own
address (what kernel NAT gives a client from outside). A warm-up pass on each first (WARMUP s,
the apis' JIT), then RUNS alternating measured passes of DURATION s.

Cold ramps in the images (issue 21, goal 6, "in the images too"), with the stack still up: a
worker container launched (`docker run`, the image's own settings, 512 MB as compose gives it)
against a backlog of RAMP_JOBS no-op jobs under a key prefix of its own in the stack's Redis, the
jobs it worked counted every 0.5 s from the `docker run`; an api container launched alone, then
POSTed at on its own address in 1 s passes (bench/footprint.py's ramps, as containers: a
container's own start is in the figures; Redis starts no AOF rewrite during a ramp). The images start from what their build's training run
wrote (the api an AppCDS archive, trained without Redis: scripts/image/train-appcds.sh; the worker
an AOT cache, trained working jobs: scripts/image/train-worker.sh); each is also
ramped with no archive or cache (`java -jar` as the entrypoint), with an AppCDS archive and with a JDK AOT cache (JEP
483/514/515) that training runs of the same image under load wrote, and the worker with the other
JIT setting (C1 and C2). BASELINE_IMAGES=worker=<image>,api=<image> ramps those images as well, in
the same rounds (an image built before a change and tagged: the change measured paired).
RAMP_KINDS=worker or api ramps one kind, VARIANTS=bare,appcds,aot,tiers (the default: all) a subset
of the variants beside the image as shipped; CONTAINER_RAMPS=0 leaves the ramps out.

Run it through bench/containers.sh, which provides the Docker engine (a private one with stand-in
base images where none answers: docs/design/containers.md).
  bench/containers.sh            10 s passes, 3 runs, 30 s warm-up
  bench/containers.sh --quick    3 s passes, 2 runs, 8 s warm-up
Writes bench/results/containers.json, prints Markdown tables."""
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import bench  # noqa: E402
import footprint  # noqa: E402  (bench/, this script's own directory)

NAME = "containers"
DURATION = int(os.environ.get("DURATION", 3 if bench.QUICK else 10))
RUNS = int(os.environ.get("RUNS", 2 if bench.QUICK else 3))
WARMUP = int(os.environ.get("WARMUP", 8 if bench.QUICK else 30))
CONNECTIONS = 50
PROJECT = "conveyor-bench"
NETWORK = f"{PROJECT}_default"
REDIS_PASSWORD = "conveyor-demo"  # docker-compose.yml's default
CONTAINER_RAMPS = os.environ.get("CONTAINER_RAMPS", "1") != "0"
RAMP_RUNS = footprint.RUNS
# the variants ramped in containers: the image as shipped (with the archive or cache its build's
# training run wrote), with no archive or cache, with an archive and an AOT cache training runs under load
# wrote, and for the worker the other JIT setting (the api's, C1 alone, settles lower:
# bench/footprint.py)
RAMP_VARIANTS = {"worker": (("plain", "the image as shipped (its build's AOT cache)"), ("bare", "no archive or cache"),
                            ("appcds", "an archive trained under load"), ("aot", "an AOT cache trained under load"),
                            ("tiers", "the other JIT setting")),
                 "api": (("plain", "the image as shipped (its build's AppCDS archive)"), ("bare", "no archive or cache"),
                         ("appcds", "an archive trained under load"), ("aot", "an AOT cache trained under load"))}
# BASELINE_IMAGES=worker=<image>,api=<image>: each image named is ramped too, as it starts itself,
# beside the stack's (an image built before a change, tagged: the change measured paired, in one
# run, on these noisy machines)
BASELINE_IMAGES = dict(pair.split("=", 1) for pair in os.environ.get("BASELINE_IMAGES", "").split(",") if pair)
for _kind, _image in BASELINE_IMAGES.items():
    RAMP_VARIANTS[_kind] += (("baseline", f"the image {_image}"),)
# RAMP_KINDS=worker (or api) ramps one kind only, as in bench/footprint.py; VARIANTS=bare,tiers (a
# subset of the others) ramps those beside the image as shipped (and the baseline, when named)
_CHOSEN = os.environ.get("VARIANTS")
RAMP_VARIANTS = {kind: tuple(v for v in variants
                             if _CHOSEN is None or v[0] in ("plain", "baseline") or v[0] in _CHOSEN.split(","))
                 for kind, variants in RAMP_VARIANTS.items() if kind in footprint.RAMP_KINDS}
# the training runs: the file each writes in the mounted directory, and the option that has it written
TRAINED = {"appcds": ("{kind}.jsa", "-XX:ArchiveClassesAtExit"), "aot": ("{kind}.aot", "-XX:AOTCacheOutput")}
JAR = "/app/quarkus-run.jar"


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
    # ramp and training containers a killed run left behind (their names would clash)
    for cid in docker("ps", "-aq", "--filter", f"name=^{PROJECT}-(ramp|train)-").split():
        docker("rm", "-f", cid)
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
        for base in ("eclipse-temurin:25-jre", "haproxy:3.2", "redis:7.4"):
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
        ramps = container_ramps() if CONTAINER_RAMPS else {}
    finally:
        for cid in LAUNCHED:
            subprocess.run(["docker", "rm", "-f", cid], capture_output=True, env=ENV)
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
        "ramps": ramps,
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

    if ramps:
        print()
        footprint.print_ramps(ramps, RAMP_VARIANTS, RAMP_RUNS, where=" of a container (from docker run)")
        started = [ramp["container_started_s"] for kind in RAMP_VARIANTS for variant, _ in RAMP_VARIANTS[kind]
                   for ramp in ramps[kind][variant]]
        print(f"\nFrom `docker run` to the container's own start (the engine's part of each launch): "
              f"median {statistics.median(started):.2f} s ({min(started):.2f}–{max(started):.2f}).")

ENV = dict(os.environ)
BASELINE = ("baseline", None)  # the variant_args of a BASELINE_IMAGES image: its own entrypoint and settings
LAUNCHED = []  # containers started by the ramps, removed at the end whatever happens


def container_address(cid):
    return docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", cid).strip()


def launch(kind, name, variant_args, cds_dir=None, **env):
    """docker run of the stack's image of kind on its network, as compose runs it (512 MB), with a
    variant's (JDK_JAVA_OPTIONS or None, java options or None: the entrypoint replaced by
    `java <options> -jar`). Returns (id, launch ms)."""
    jdk_options, java_options = (None, None) if variant_args == BASELINE else variant_args
    args = ["run", "-d", "--name", f"{PROJECT}-{name}", "--network", NETWORK, "--memory", "512m",
            "-e", f"REDIS_URL=redis://:{REDIS_PASSWORD}@redis:6379", "-e", f"NODE_NAME={name}",
            "-e", "CLUSTER_SECRET=bench-ramp", "-e", "CLUSTER_BIND_ADDR=site_local"]
    if jdk_options is not None:
        args += ["-e", f"JDK_JAVA_OPTIONS={jdk_options}"]
    if java_options is not None:
        args += ["--entrypoint", "java"]
    if cds_dir:
        args += ["-v", f"{cds_dir}:/cds"]
    for key, value in env.items():
        args += ["-e", f"{key}={value}"]
    args.append(BASELINE_IMAGES[kind] if variant_args == BASELINE else f"{PROJECT}-{kind}")
    if java_options is not None:
        args += [*java_options, "-jar", JAR]
    launched = bench.now_ms()
    cid = docker(*args).strip()
    LAUNCHED.append(cid)
    return cid, launched


def remove(cid, stop_s=None):
    """Stops the container (SIGTERM, up to stop_s s: the JVM writes an archive as it exits) or
    kills it, then removes it."""
    if stop_s:
        subprocess.run(["docker", "stop", "-t", str(stop_s), cid], capture_output=True, env=ENV,
                       timeout=stop_s + 60)
    subprocess.run(["docker", "rm", "-f", cid], capture_output=True, env=ENV)
    LAUNCHED.remove(cid)


def forget(r, prefix):
    """Deletes every key under prefix (the stack's own keys stay)."""
    cursor = "0"
    while True:
        cursor, keys = r.call("SCAN", cursor, "MATCH", f"{prefix}:*", "COUNT", 10000)
        if keys:
            r.call("UNLINK", *keys)
        if cursor == "0":
            return


def await_ready(address, cid, timeout_s=120):
    """Seconds from now until the api container at address answers ready."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://{address}:8080/q/health/ready", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"the api container {cid[:12]} was not ready in {timeout_s} s: "
                     + docker("logs", "--tail", "20", cid))


def worker_ramp(r, sha, tag, variant_args, cds_dir):
    prefix = f"ramp{tag}"
    footprint.backlog(r, sha, prefix, footprint.RAMP_JOBS, tag)
    cid, launched = launch("worker", f"ramp-{tag}", variant_args, cds_dir, REDIS_PREFIX=prefix,
                           WORKER_CONCURRENCY=50, WORK_DURATION=0, RESULT_TTL="10m")
    counts = footprint.count_worked(r, prefix, launched)
    started_s = container_started_s(cid, launched)
    remove(cid)
    forget(r, prefix)
    return {**footprint.worker_ramp_reading(counts), "container_started_s": started_s}


def container_started_s(cid, launched_ms):
    """Seconds from the docker run to the container's own start (its process launched): the
    engine's part of a launch."""
    started = docker("inspect", "-f", "{{.State.StartedAt}}", cid).strip()
    # RFC 3339 with nanoseconds: to microseconds for fromisoformat
    stamp, _, fraction = started.rstrip("Z").partition(".")
    moment = datetime.datetime.fromisoformat(f"{stamp}.{(fraction + '000000')[:6]}+00:00")
    return round(moment.timestamp() - launched_ms / 1000, 2)


def api_ramp(r, tag, variant_args, cds_dir):
    prefix = f"ramp{tag}"
    cid, launched = launch("api", f"ramp-{tag}", variant_args, cds_dir, REDIS_PREFIX=prefix)
    address = container_address(cid)
    await_ready(address, cid)
    ready_s = (bench.now_ms() - launched) / 1000
    ramp = footprint.api_passes(f"{address}:8080", launched, tag, ready_s)
    started_s = container_started_s(cid, launched)
    remove(cid)
    forget(r, prefix)
    return {**ramp, "container_started_s": started_s}


def train(r, sha, kind, cds_dir, variant):
    """A training run of the image under load, which writes its AppCDS archive or AOT cache (as
    TRAINED names them) into cds_dir as it stops; its size in MB."""
    prefix = f"train{kind}{variant}"
    name, option = TRAINED[variant]
    name = name.format(kind=kind)
    variant_args = (None, [f"{option}=/cds/{name}"])
    if kind == "worker":
        footprint.backlog(r, sha, prefix, 50_000 * footprint.TRAIN_S, "train")
        cid, _ = launch("worker", f"train-{kind}-{variant}", variant_args, cds_dir, REDIS_PREFIX=prefix,
                        WORKER_CONCURRENCY=50, WORK_DURATION=0, RESULT_TTL="10m")
        time.sleep(footprint.TRAIN_S)
    else:
        cid, _ = launch("api", f"train-{kind}-{variant}", variant_args, cds_dir, REDIS_PREFIX=prefix)
        address = container_address(cid)
        await_ready(address, cid)
        footprint.wrk_pass(f"{address}:8080", footprint.TRAIN_S, f"train {time.time()}")
    logs = docker("logs", "--tail", "20", cid)
    remove(cid, stop_s=120)
    forget(r, prefix)
    archive = os.path.join(cds_dir, name)
    if not os.path.exists(archive):
        raise SystemExit(f"the {kind} training run wrote no {name}: {logs}")
    return os.path.getsize(archive) / 1e6


def container_ramps():
    """bench/footprint.py's cold ramps with the stack's images, as containers beside its Redis."""
    redis_address = container_address(containers()["redis"][0])
    r = bench.Resp(6379, host=redis_address, password=REDIS_PASSWORD)
    sha = r.call("SCRIPT", "LOAD", bench.lua("submit-8.lua"))
    cds_dir = tempfile.mkdtemp(prefix="conveyor-cds-")
    os.chmod(cds_dir, 0o777)  # the images run as their own user, who writes the archives
    out = {}
    try:
        for kind, variants in RAMP_VARIANTS.items():
            image_options = bench.worker_jdk_options() if kind == "worker" else ""
            # (JDK_JAVA_OPTIONS, java options replacing the entrypoint's): the image's own JIT
            # setting stays in its JDK_JAVA_OPTIONS, the archive is the entrypoint's
            options = {"plain": (None, None), "bare": (None, []),
                       "appcds": (None, [f"-XX:SharedArchiveFile=/cds/{kind}.jsa"]),
                       "aot": (None, [f"-XX:AOTCache=/cds/{kind}.aot"]), "baseline": BASELINE,
                       "tiers": (f"{image_options} {footprint.OTHER_TIERS[kind][0]}".strip(), None)}
            out[kind] = {variant: [] for variant, _ in variants}
            for variant, (name, _) in TRAINED.items():
                if variant in dict(variants):
                    mb = out[kind][f"{variant}_mb"] = train(r, sha, kind, cds_dir, variant)
                    bench.log(NAME, f"{kind}: {name.format(kind=kind)}, {mb:.0f} MB, from a "
                                    f"{footprint.TRAIN_S} s training run of its image under load")
            for run in range(1, RAMP_RUNS + 1):
                for variant, _ in variants:
                    tag = f"{kind}{variant}{run}"
                    with bench.no_aof_rewrites(r):
                        ramp = (worker_ramp(r, sha, tag, options[variant], cds_dir) if kind == "worker"
                                else api_ramp(r, tag, options[variant], cds_dir))
                    out[kind][variant].append(ramp)
                    bench.log(NAME, f"{kind} container cold ramp, {variant}, run {run}: 80 % of its warm "
                                    f"{ramp['warm']:,.0f}/s at {ramp['at_80']} s after docker run (the container "
                                    f"started at {ramp['container_started_s']} s); "
                                    + " ".join(map(str, ramp["rates"])))
            footprint.against_plain(out[kind], kind, [variant for variant, _ in variants])
    finally:
        r.close()
        shutil.rmtree(cds_dir, ignore_errors=True)
    return out

if __name__ == "__main__":
    main()
