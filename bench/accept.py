#!/usr/bin/env python3
"""Accept (issue 7, item 1): wrk POSTs unique data through HAProxy to 2 api instances (50
connections), and, in the same run, through the same HAProxy to a static backend: nginx answering
a canned 200 of the API's size, the ceiling of the balancer in front of a real server on this
machine. A third path is for reference: the same HAProxy answering the canned 200 itself (an
HAProxy frontend as its own origin, no second process), the balancer's own limit.
All get a warm-up pass first (the apis' a longer one: WARMUP s, until their C2 compiler threads
are done; at 10 s they still used 12 µs of CPU per request); then RUNS alternating measured passes. Redis is real (AOF, fsync
every second) and no worker runs, so every accepted job stays queued.

  bench/accept.py            10 s passes, 3 runs each
  bench/accept.py --quick    3 s passes, 2 runs (a smoke test)
  DURATION, RUNS, WARMUP change the size. Writes bench/results/accept.json, prints a Markdown table.
  REPLICAS=n adds n replicas of the Redis (each a redis-server with AOF everysec) and sets the
  apis' REDIS_WAIT_REPLICAS to WAIT_REPLICAS (default n): the cost of a 200 only once replicas
  have the job."""
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import bench  # noqa: E402

NAME = "accept"
DURATION = int(os.environ.get("DURATION", 3 if bench.QUICK else 10))
RUNS = int(os.environ.get("RUNS", 2 if bench.QUICK else 3))
WARMUP = int(os.environ.get("WARMUP", 8 if bench.QUICK else 30))
REPLICAS = int(os.environ.get("REPLICAS", 0))
WAIT_REPLICAS = int(os.environ.get("WAIT_REPLICAS", REPLICAS))
CONNECTIONS = 50
CANNED = ('{"accepted_by":"static@bench","callback":"0123456789ABCDEF0123456789ABCDEF",'
          '"data":"accept 1 1","status":"accepted"}')


def nginx_config(work, port):
    """nginx as the static backend: the canned answer for any method (its static file handler
    refuses POST), keep-alive kept open, no access log, one worker per core."""
    canned = CANNED.replace("'", "\\'")
    return f"""daemon off;
worker_processes auto;
pid {work}/nginx.pid;
error_log stderr error;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {work}/nginx-body;
    proxy_temp_path {work}/nginx-proxy;
    fastcgi_temp_path {work}/nginx-fastcgi;
    uwsgi_temp_path {work}/nginx-uwsgi;
    scgi_temp_path {work}/nginx-scgi;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            default_type application/json;
            add_header Location /api/v1/work/0123456789ABCDEF0123456789ABCDEF;
            return 200 '{canned}';
        }}
    }}
}}
"""


def haproxy_config(lb_port, static_port, nginx_port, self_port, origin_port, api_ports):
    with open(os.path.join(bench.ROOT, "haproxy", "local.cfg.in")) as f:
        template = f.read()
    servers = "".join(f"    server api-{n} 127.0.0.1:{p} check\n" for n, p in enumerate(api_ports, 1))
    config = (template.replace("@LB_BIND@", f"127.0.0.1:{lb_port}")
              .replace("@ERRORS@", os.path.join(bench.ROOT, "haproxy", "errors"))
              .replace("@SERVERS@\n", servers))
    canned = CANNED.replace('"', '\\"')
    return config + f"""
# the ceiling: the same frontend settings in front of a static backend (nginx)
frontend static
    bind 127.0.0.1:{static_port}
    option http-buffer-request
    default_backend static

backend static
    server nginx 127.0.0.1:{nginx_port}

# for reference: the same again with HAProxy itself as the origin (no second process)
frontend self
    bind 127.0.0.1:{self_port}
    option http-buffer-request
    default_backend self

backend self
    server origin 127.0.0.1:{origin_port}

frontend origin
    bind 127.0.0.1:{origin_port}
    http-request return status 200 content-type application/json string "{canned}" hdr Location /api/v1/work/0123456789ABCDEF0123456789ABCDEF
"""


def wrk(port, seconds, tag):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s",
         os.path.join(bench.ROOT, "bench", "lib", "accept.lua"), f"http://127.0.0.1:{port}", "--", tag],
        capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["per_s"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def main():
    for tool in ("redis-server", "haproxy", "wrk", "nginx"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found (apt-get install {tool})")
    with bench.Stack(NAME) as stack:
        r = stack.redis()
        replicas = []
        for n in range(REPLICAS):
            port = bench.free_port()
            replicas.append(stack.process(
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", stack.work,
                 "--dbfilename", f"replica-{n}.rdb", "--appendonly", "yes", "--appenddirname",
                 f"replica-{n}-aof", "--appendfsync", "everysec", "--save", "", "--replicaof",
                 "127.0.0.1", str(stack.redis_port), "--logfile",
                 os.path.join(stack.work, f"replica-{n}.log")]))
        if REPLICAS:
            bench.wait_until(lambda: f"connected_slaves:{REPLICAS}" in r.call("INFO", "replication"),
                             30, f"{REPLICAS} replicas")
        api_ports = [bench.free_port(), bench.free_port()]
        apis = [stack.service("api", f"api-{n}@bench", http_port=p, REDIS_WAIT_REPLICAS=WAIT_REPLICAS)
                for n, p in enumerate(api_ports, 1)]
        for p, proc in zip(api_ports, apis):
            bench.wait_ready(p, proc)
        lb, static, nginx_port, own, origin = (bench.free_port() for _ in range(5))
        ncfg = os.path.join(stack.work, "nginx.conf")
        with open(ncfg, "w") as f:
            f.write(nginx_config(stack.work, nginx_port))
        nginx = stack.process(["nginx", "-e", "stderr", "-p", stack.work, "-c", ncfg],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cfg = os.path.join(stack.work, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write(haproxy_config(lb, static, nginx_port, own, origin, api_ports))
        subprocess.run(["haproxy", "-c", "-q", "-f", cfg], check=True)
        haproxy = stack.process(["haproxy", "-db", "-f", cfg], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        for port, what in ((lb, "haproxy → apis"), (static, "haproxy → nginx")):
            bench.wait_until(lambda: subprocess.run(
                ["curl", "-fs", "-o", "/dev/null", "-XPOST", "-d", '{"data":"ready?"}',
                 f"http://127.0.0.1:{port}/api/v1/work"]).returncode == 0, 30, what)
        time.sleep(1.5)  # both apis seen UP by the health checks
        # nginx' workers are its master's children: their CPU is read from each pid
        nginx_pids = [nginx.pid] + [int(c) for c in open(f"/proc/{nginx.pid}/task/{nginx.pid}/children")
                                    .read().split()]
        parts = {"haproxy": [haproxy.pid], "apis": [a.pid for a in apis], "redis": [stack.redis_pid()],
                 "nginx": nginx_pids}
        if replicas:
            parts["replicas"] = [p.pid for p in replicas]
        stamp = str(int(time.time()))
        bench.log(NAME, f"warm-up: {WARMUP} s through the apis, {DURATION} s through each static path")
        wrk(lb, WARMUP, f"warm {stamp}")
        wrk(static, DURATION, f"warm {stamp}")
        wrk(own, DURATION, f"warm {stamp}")
        runs = {"conveyor": [], "static": [], "haproxy_alone": []}
        for run in range(1, RUNS + 1):
            for system, port in (("static", static), ("haproxy_alone", own), ("conveyor", lb)):
                before = {k: sum(bench.cpu_ticks(p) for p in pids) for k, pids in parts.items()}
                result = wrk(port, DURATION, f"{stamp} {run}")
                # CPU per request of each part, in µs (ticks are 10 ms)
                result["cpu_us"] = {k: (sum(bench.cpu_ticks(p) for p in pids) - before[k]) * 1e4
                                    / result["requests"] for k, pids in parts.items()}
                runs[system].append(result)
                bench.log(NAME, f"{system}, run {run}: {result['per_s']:,.0f} req/s, "
                                f"p99 {result['p99_us'] / 1000:.1f} ms, non-2xx {result['non_2xx']}, "
                                f"socket errors {result['socket_errors']}")
        queued = r.call("LLEN", "conveyor:queue")
    accepted = sum(x["requests"] for x in runs["conveyor"])
    results = {"duration_s": DURATION, "warmup_s": WARMUP, "runs": RUNS, "connections": CONNECTIONS, "apis": 2,
               "queued_after": queued, "replicas": REPLICAS, "wait_replicas": WAIT_REPLICAS}
    for system, values in runs.items():
        results[system] = {
            "per_s": bench.stats([x["per_s"] for x in values]),
            "p50_ms": bench.stats([x["p50_us"] / 1000 for x in values]),
            "p99_ms": bench.stats([x["p99_us"] / 1000 for x in values]),
            "max_ms": bench.stats([x["max_us"] / 1000 for x in values]),
            "non_2xx": sum(x["non_2xx"] for x in values),
            "socket_errors": sum(x["socket_errors"] for x in values),
            "cpu_us_per_request": {k: bench.stats([x["cpu_us"][k] for x in values])["median"]
                                   for k in parts},
        }
    results["ratio_to_ceiling"] = results["conveyor"]["per_s"]["median"] / results["static"]["per_s"]["median"]
    results["ratio_to_haproxy_alone"] = (results["conveyor"]["per_s"]["median"]
                                         / results["haproxy_alone"]["per_s"]["median"])
    bench.write_result(NAME, results)
    print(f"| accept, wrk -t2 -c{CONNECTIONS}, {DURATION} s passes | req/s | p50 ms | p99 ms |")
    print("|---|---|---|---|")
    for system, label in (("conveyor", "HAProxy → 2 apis → Redis"), ("static", "HAProxy → static backend (nginx)"),
                          ("haproxy_alone", "HAProxy answering itself (reference)")):
        s = results[system]
        print(f"| {label} | {bench.fmt(s['per_s'])} | {bench.fmt(s['p50_ms'], 2)} | {bench.fmt(s['p99_ms'], 1)} |")
    for system in ("conveyor", "static", "haproxy_alone"):
        cpu = results[system]["cpu_us_per_request"]
        print(f"\nCPU per request, {system}: " + ", ".join(f"{k} {v:.1f} µs" for k, v in cpu.items()), end="")
    print(f"\nratio to the ceiling: {results['ratio_to_ceiling']:.2f} "
          f"(to HAProxy answering itself: {results['ratio_to_haproxy_alone']:.2f}); "
          f"{accepted:,} measured POSTs, {queued:,} jobs queued in all (warm-up included); "
          f"non-2xx {results['conveyor']['non_2xx']}")


if __name__ == "__main__":
    main()
