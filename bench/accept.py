#!/usr/bin/env python3
"""Accept (issues 7 and 21): wrk POSTs unique data through HAProxy to 2 api instances (50
connections), and, in the same run, through the same HAProxy to what a user would pick instead
and to the ceilings:
- the peer: 2 Node processes of Fastify 5 + BullMQ 6 (bench/lib/fastify-bullmq.mjs: schema
  validation, the MD5 as BullMQ's jobId, the same answer and Location), behind a frontend and
  backend of the same shape as the apis' (the same rules, round robin, health checks), on the
  same Redis. (bullmq-proxy, BullMQ's own HTTP front, is not published on npm, and GitHub is out
  of reach here: it is not measured.)
- Conveyor's POST with a type and a priority, and with a notify_url (its answer then carries a
  cancel token): what the features cost over a plain POST.
- a static backend: nginx answering a canned 200 of the API's size, the ceiling of the balancer in
  front of a real server on this machine; and, for reference, the same HAProxy answering the
  canned 200 itself (an HAProxy frontend as its own origin), the balancer's own limit.
All get a warm-up pass first (the apis' and the peer's a longer one: WARMUP s, until the apis' C2
compiler threads are done; at 10 s they still used 12 µs of CPU per request); then RUNS passes,
each system in turn (each run starting one system later). Redis is real (AOF, fsync every second) and no worker runs, so every
accepted job stays queued.

  bench/accept.py            10 s passes, 3 runs each
  bench/accept.py --quick    3 s passes, 2 runs (a smoke test)
  DURATION, RUNS, WARMUP change the size; SYSTEMS=conveyor,conveyor_typed measures only those (its
  results then go to accept-conveyor-conveyor_typed.json). Writes bench/results/accept.json, prints a Markdown table.
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
# SYSTEMS=conveyor,conveyor_typed measures only those (a before/after of one path)
SYSTEMS = os.environ.get("SYSTEMS", "static,haproxy_alone,conveyor,fastify_bullmq,conveyor_typed,"
                                    "conveyor_notify").split(",")
# the bodies' fields after "data": a plain POST, one with a type and a priority, one with a notify_url
FIELDS = {"conveyor": "", "conveyor_typed": ',"type":"resize","priority":"high"',
          "conveyor_notify": ',"notify_url":"http://127.0.0.1:9/hook"', "fastify_bullmq": "",
          "static": "", "haproxy_alone": ""}
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


def haproxy_config(lb_port, static_port, nginx_port, self_port, origin_port, api_ports, peer_port,
                   peer_ports):
    with open(os.path.join(bench.ROOT, "haproxy", "local.cfg.in")) as f:
        template = f.read()

    def render(port, name, ports):
        servers = "".join(f"    server {name}-{n} 127.0.0.1:{p} check\n" for n, p in enumerate(ports, 1))
        return (template.replace("@LB_BIND@", f"127.0.0.1:{port}")
                .replace("@ERRORS@", os.path.join(bench.ROOT, "haproxy", "errors"))
                .replace("@SERVERS@\n", servers))

    config = render(lb_port, "api", api_ports)
    # the peer behind a copy of the apis' frontend and backend: the same rules and checks
    peer = render(peer_port, "node", peer_ports)
    peer = peer[peer.index("frontend api"):]
    peer = (peer.replace("frontend api", "frontend peer").replace("nbsrv(apis)", "nbsrv(peers)")
            .replace("default_backend apis", "default_backend peers").replace("backend apis", "backend peers"))
    canned = CANNED.replace('"', '\\"')
    return config + "\n# the peer: Fastify + BullMQ\n" + peer + f"""
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


def wrk(port, seconds, tag, fields=""):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s",
         os.path.join(bench.ROOT, "bench", "lib", "accept.lua"), f"http://127.0.0.1:{port}", "--", tag,
         fields],
        capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["per_s"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


LABELS = {"conveyor": "Conveyor: HAProxy → 2 apis → Redis",
          "conveyor_typed": "… a POST with a type and a priority",
          "conveyor_notify": "… a POST with a notify_url",
          "fastify_bullmq": f"HAProxy → 2 × Node {{node}}, Fastify + BullMQ {bench.BULLMQ} → Redis",
          "static": "HAProxy → static backend (nginx): the ceiling",
          "haproxy_alone": "HAProxy answering itself (reference)"}
# the process group that answers each system's requests: its CPU is the table's "app" column
APP = {"conveyor": "apis", "conveyor_typed": "apis", "conveyor_notify": "apis", "fastify_bullmq": "peer",
       "static": "nginx", "haproxy_alone": "haproxy"}


def main():
    for tool in ("redis-server", "haproxy", "wrk", "nginx", "node", "npm"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found (apt-get install {tool})")
    with bench.Stack(NAME) as stack:
        bench.node_peer(stack.work, "fastify-bullmq.mjs")
        node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
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
        apis = [stack.service("api", f"api-{n}@bench", http_port=p, REDIS_WAIT_REPLICAS=WAIT_REPLICAS,
                              NOTIFY_ALLOWED_HOSTS="127.0.0.1")
                for n, p in enumerate(api_ports, 1)]
        for p, proc in zip(api_ports, apis):
            bench.wait_ready(p, proc)
        peer_ports = [bench.free_port(), bench.free_port()]
        peers = [stack.process(["node", "fastify-bullmq.mjs", str(p), str(stack.redis_port), f"node-{n}@bench"],
                               cwd=stack.work, stdout=subprocess.DEVNULL)
                 for n, p in enumerate(peer_ports, 1)]
        lb, static, nginx_port, own, origin, peer_lb = (bench.free_port() for _ in range(6))
        ncfg = os.path.join(stack.work, "nginx.conf")
        with open(ncfg, "w") as f:
            f.write(nginx_config(stack.work, nginx_port))
        nginx = stack.process(["nginx", "-e", "stderr", "-p", stack.work, "-c", ncfg],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cfg = os.path.join(stack.work, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write(haproxy_config(lb, static, nginx_port, own, origin, api_ports, peer_lb, peer_ports))
        subprocess.run(["haproxy", "-c", "-q", "-f", cfg], check=True)
        haproxy = stack.process(["haproxy", "-db", "-f", cfg], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        for port, what in ((lb, "haproxy → apis"), (static, "haproxy → nginx"), (peer_lb, "haproxy → node")):
            bench.wait_until(lambda: subprocess.run(
                ["curl", "-fs", "-o", "/dev/null", "-XPOST", "-H", "Content-Type: application/json",
                 "-d", '{"data":"ready?"}', f"http://127.0.0.1:{port}/api/v1/work"]).returncode == 0, 30, what)
        time.sleep(1.5)  # every server seen UP by the health checks
        # nginx' workers are its master's children: their CPU is read from each pid
        nginx_pids = [nginx.pid] + [int(c) for c in open(f"/proc/{nginx.pid}/task/{nginx.pid}/children")
                                    .read().split()]
        parts = {"haproxy": [haproxy.pid], "apis": [a.pid for a in apis], "redis": [stack.redis_pid()],
                 "nginx": nginx_pids, "peer": [p.pid for p in peers]}
        if replicas:
            parts["replicas"] = [p.pid for p in replicas]
        ports = {"conveyor": lb, "conveyor_typed": lb, "conveyor_notify": lb, "fastify_bullmq": peer_lb,
                 "static": static, "haproxy_alone": own}
        stamp = str(int(time.time()))
        bench.log(NAME, f"warm-up: {WARMUP} s through the apis and the peer, {DURATION} s of each other "
                        "kind of POST and through each static path")
        wrk(lb, WARMUP, f"warm {stamp}")
        if "fastify_bullmq" in SYSTEMS:
            wrk(peer_lb, WARMUP, f"warm {stamp}")
        for system in ("conveyor_typed", "conveyor_notify", "static", "haproxy_alone"):
            if system in SYSTEMS:  # the other POSTs' parsing and answers compiled too
                wrk(ports[system], DURATION, f"warm {stamp} {system}", FIELDS[system])
        runs = {system: [] for system in SYSTEMS}
        order = list(runs)
        for run in range(1, RUNS + 1):
            # each run starts one system later: none always follows the same one (Redis' AOF
            # rewrites as the queue grows, the JIT's late compilations fall on different systems)
            for system in order[run - 1:] + order[:run - 1]:
                before = {k: sum(bench.cpu_ticks(p) for p in pids) for k, pids in parts.items()}
                result = wrk(ports[system], DURATION, f"{stamp} {run} {system}", FIELDS[system])
                # CPU per request of each part, in µs (ticks are 10 ms)
                result["cpu_us"] = {k: (sum(bench.cpu_ticks(p) for p in pids) - before[k]) * 1e4
                                    / result["requests"] for k, pids in parts.items()}
                runs[system].append(result)
                bench.log(NAME, f"{system}, run {run}: {result['per_s']:,.0f} req/s, "
                                f"p99 {result['p99_us'] / 1000:.1f} ms, non-2xx {result['non_2xx']}, "
                                f"socket errors {result['socket_errors']}")
        queued = r.call("LLEN", "conveyor:queue")
        bullmq_jobs = r.call("LLEN", "bull:work:wait")
    accepted = sum(x["requests"] for x in runs.get("conveyor", []))
    results = {"duration_s": DURATION, "warmup_s": WARMUP, "runs": RUNS, "connections": CONNECTIONS, "apis": 2,
               "queued_after": queued, "bullmq_queued_after": bullmq_jobs, "replicas": REPLICAS,
               "wait_replicas": WAIT_REPLICAS, "node": node, "bullmq_version": bench.BULLMQ,
               "node_packages": list(bench.NODE_PACKAGES)}
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
            "per_pass": [round(x["per_s"]) for x in values],
        }

    def ratio(a, b):
        return results[a]["per_s"]["median"] / results[b]["per_s"]["median"]

    for key, a, b, cost in (("ratio_to_ceiling", "conveyor", "static", False),
                            ("ratio_to_haproxy_alone", "conveyor", "haproxy_alone", False),
                            ("ratio_to_fastify_bullmq", "conveyor", "fastify_bullmq", False),
                            ("typed_cost", "conveyor_typed", "conveyor", True),
                            ("notify_cost", "conveyor_notify", "conveyor", True)):
        if a in runs and b in runs:
            results[key] = 1 - ratio(a, b) if cost else ratio(a, b)
    # a run of some systems only does not replace the full run's results
    bench.write_result(NAME if "SYSTEMS" not in os.environ else f"{NAME}-{'-'.join(SYSTEMS)}", results)
    print(f"| accept, wrk -t2 -c{CONNECTIONS}, {DURATION} s passes, median of {RUNS} | req/s | p50 ms | p99 ms "
          "| CPU µs per request: HAProxy / app / Redis |")
    print("|---|---|---|---|---|")
    for system in ("conveyor", "conveyor_typed", "conveyor_notify", "fastify_bullmq", "static", "haproxy_alone"):
        if system not in runs:
            continue
        s = results[system]
        cpu = s["cpu_us_per_request"]
        app = "–" if APP[system] == "haproxy" else f"{cpu[APP[system]]:.0f}"
        redis = f"{cpu['redis']:.0f}" if system.startswith(("conveyor", "fastify")) else "–"
        print(f"| {LABELS[system].format(node=node)} | {bench.fmt(s['per_s'])} | {bench.fmt(s['p50_ms'], 2)} "
              f"| {bench.fmt(s['p99_ms'], 1)} | {cpu['haproxy']:.0f} / {app} / {redis} |")
    ratios = {"ratio_to_fastify_bullmq": "Conveyor / Fastify + BullMQ: {:.2f}×",
              "ratio_to_ceiling": "to the ceiling: {:.2f}", "ratio_to_haproxy_alone": "to HAProxy answering itself: {:.2f}",
              "typed_cost": "a type and a priority cost {:+.1%}", "notify_cost": "a notify_url {:+.1%} of the plain POST's rate"}
    print("\n" + "; ".join(text.format(results[key]) for key, text in ratios.items() if key in results)
          + f"; {accepted:,} measured plain POSTs, {queued:,} default jobs queued in all (warm-up included); "
          f"non-2xx {sum(results[s]['non_2xx'] for s in runs)}")

if __name__ == "__main__":
    main()
