"""Shared parts of the benchmarks: a private redis-server, the services as real processes, a small
Redis protocol client, statistics and the JSON results. Everything a benchmark starts it stops;
it never touches a process it did not start."""
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JAVA = os.path.join(os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64"), "bin", "java")
QUICK = "--quick" in sys.argv[1:]
# a smoke run never overwrites the figures docs/benchmarks.md quotes
RESULTS = os.path.join(ROOT, "bench", "results", "quick" if QUICK else "")


def image_env():
    """The JVM and malloc settings the images ship (the Dockerfile's ENV), with the heap sized for the
    512 MiB memory limit the k8s manifests give the api and worker containers."""
    with open(os.path.join(ROOT, "Dockerfile")) as f:
        env = {k: v for k, v in re.findall(r'^ENV (\w+)="?([^"\n]+)"?$', f.read(), re.M)
               if k in ("JAVA_TOOL_OPTIONS", "MALLOC_ARENA_MAX")}
    if "JAVA_TOOL_OPTIONS" not in env:
        raise SystemExit("no JAVA_TOOL_OPTIONS in the Dockerfile")
    env["JAVA_TOOL_OPTIONS"] += " -XX:MaxRAM=512m"
    return env


IMAGE_ENV = image_env()
JAVA_OPTIONS = IMAGE_ENV["JAVA_TOOL_OPTIONS"]


def worker_jdk_options():
    """The worker image's JDK_JAVA_OPTIONS (its JIT setting), as its stage of the Dockerfile sets it."""
    with open(os.path.join(ROOT, "Dockerfile")) as f:
        stage = f.read().split("FROM runtime AS worker", 1)[1].split("\nFROM ", 1)[0]
    found = re.search(r'^ENV JDK_JAVA_OPTIONS="?([^"\n]*)"?$', stage, re.M)
    return found.group(1) if found else ""


# a JDK_JAVA_OPTIONS in the environment (even empty) replaces it, for a run with another setting
WORKER_JDK_OPTIONS = os.environ.get("JDK_JAVA_OPTIONS", worker_jdk_options())


def log(name, message):
    print(f"[{name}] {message}", file=sys.stderr, flush=True)


def now_ms():
    return time.time() * 1000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.machine()}"


def stats(values):
    """Median, min and max of a list of numbers, with the values themselves."""
    v = sorted(values)
    return {"median": statistics.median(v), "min": v[0], "max": v[-1], "runs": values}


def fmt(s, digits=0, unit=""):
    """'median (min–max)' of stats(), for the Markdown tables."""
    f = f"{{:,.{digits}f}}"
    return f"{f.format(s['median'])}{unit} ({f.format(s['min'])}–{f.format(s['max'])})"


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))]


def write_result(name, payload):
    os.makedirs(RESULTS, exist_ok=True)
    payload = {"benchmark": name, "quick": QUICK, "machine": machine(),
               "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "command": " ".join(["bench/" + os.path.basename(sys.argv[0])] + sys.argv[1:]),
               **payload}
    with open(os.path.join(RESULTS, name + ".json"), "w") as f:
        json.dump(payload, f, indent=2)
        f.write("\n")


class Resp:
    """A minimal Redis protocol client: one connection, commands pipelined in order."""

    def __init__(self, port, host="127.0.0.1", password=None):
        self.sock = socket.create_connection((host, port))
        self.file = self.sock.makefile("rb")
        if password is not None:
            self.call("AUTH", password)

    def close(self):
        self.file.close()
        self.sock.close()

    @staticmethod
    def encode(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            b = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(b), b))
        return b"".join(out)

    def read(self):
        line = self.file.readline()
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.file.read(n + 2)[:-2]
            return data.decode(errors="replace")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError(f"unexpected reply {line!r}")

    def call(self, *args):
        self.sock.sendall(self.encode(args))
        return self.read()

    def pipeline(self, commands, chunk=2000):
        replies = []
        for i in range(0, len(commands), chunk):
            part = commands[i:i + chunk]
            self.sock.sendall(b"".join(self.encode(c) for c in part))
            replies.extend(self.read() for _ in part)
        return replies


def submit_commands(sha, prefix, queue_key, jobs, per_call=100):
    """EVALSHA commands of submit-8 (the api's own writes) queuing jobs, a list of (id, data) or
    (id, data, spec) (spec as submit-8 reads it: '' for the seed's job, else 'type,priority,due'),
    onto queue_key (the base queue: the other types' and priorities' queues are named from it),
    per_call jobs to a call as the api's batches; accepted_by is 'bench'."""
    commands = []
    for start in range(0, len(jobs), per_call):
        command = ["EVALSHA", sha, 8, queue_key, f"{prefix}:stats", f"{prefix}:dead",
                   f"{prefix}:recent", f"{prefix}:job:", f"{prefix}:delayed", f"{prefix}:types",
                   f"{prefix}:webhooks", "bench", 200]
        for job in jobs[start:start + per_call]:
            command += [job[0], job[1], job[2] if len(job) > 2 else ""]
        commands.append(command)
    return commands


def hand_over(r, prefix, staging, suffixes=("",), types=("default",)):
    """Moves jobs queued under the base queue name `staging` to `prefix`:queue in one step, with
    the types' wake-up marks set (what a submission does); the Redis time then, in ms."""
    keys = []
    for suffix in suffixes:
        keys += [staging + suffix, f"{prefix}:queue" + suffix]
    script = ("for i = 2, #KEYS, 2 do\n"
              "  if redis.call('EXISTS', KEYS[i - 1]) == 1 then redis.call('RENAME', KEYS[i - 1], KEYS[i]) end\n"
              "end\n"
              "for _, wake in ipairs(ARGV) do redis.call('ZADD', wake, 0, 'jobs') end\n"
              "return redis.call('TIME')")
    t = r.call("EVAL", script, len(keys), *keys, *[f"{prefix}:queue:{t}:wake" for t in types])
    return int(t[0]) * 1000 + int(t[1]) / 1000


LUA_DIR = os.path.join(ROOT, "core", "src", "main", "resources", "lua")
LUA_INCLUDE = "--@include "


@contextlib.contextmanager
def no_aof_rewrites(r, limit_s=120):
    """Within it, Redis starts no AOF rewrite by itself (auto-aof-rewrite-percentage 0, restored
    after), and none is under way at its start: a rewrite is a fork copying the whole data set,
    which takes a core for seconds on these 2 cores, and a cold ramp that met one measured it."""
    before = r.call("CONFIG", "GET", "auto-aof-rewrite-percentage")[1]
    r.call("CONFIG", "SET", "auto-aof-rewrite-percentage", "0")
    try:
        wait_until(lambda: "aof_rewrite_in_progress:0" in r.call("INFO", "persistence"), limit_s,
                   "the AOF rewrite under way to end")
        yield
    finally:
        r.call("CONFIG", "SET", "auto-aof-rewrite-percentage", before)


def lua(name):
    """A script as Conveyor's LuaScript loads it: each '--@include <name>' line replaced by
    lua/includes/<name>.lua."""
    with open(os.path.join(LUA_DIR, name)) as f:
        lines = f.read().split("\n")
    text = []
    for line in lines:
        if line.startswith(LUA_INCLUDE):
            with open(os.path.join(LUA_DIR, "includes", line[len(LUA_INCLUDE):].strip() + ".lua")) as f:
                text.append(f.read())
        else:
            text.append(line + "\n")
    return "".join(text)


class Stack:
    """A private redis-server and the services of one benchmark, all stopped by close()."""

    def __init__(self, name):
        self.name = name
        self.work = tempfile.mkdtemp(prefix=f"conveyor-bench-{name}-")
        self.procs = []
        self.redis_port = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def redis(self, appendonly=True):
        """Starts the private Redis with compose's settings (AOF, fsync every second)."""
        self.redis_port = free_port()
        args = ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                "--dir", self.work, "--save", "", "--logfile", os.path.join(self.work, "redis.log")]
        if appendonly:
            args += ["--appendonly", "yes", "--appendfsync", "everysec"]
        proc = subprocess.Popen(args)
        self.procs.append(proc)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                r = Resp(self.redis_port)
                r.call("PING")
                return r
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"redis-server did not answer; see {self.work}/redis.log")

    def redis_pid(self):
        return self.procs[0].pid

    def service(self, kind, name, http_port=0, jvm_args=(), **env):
        """Starts api, worker or sysmon from its fast-jar, with the images' JVM options (and
        jvm_args on the command line)."""
        jar = os.path.join(ROOT, kind, "target", "quarkus-app", "quarkus-run.jar")
        if not os.path.exists(jar):
            raise SystemExit(f"{jar} missing: ./mvnw -B package -DskipTests")
        environment = dict(os.environ)
        environment.update({
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}", "NODE_NAME": name,
            "QUARKUS_HTTP_HOST": "127.0.0.1", "QUARKUS_HTTP_PORT": str(http_port),
            "QUARKUS_ANALYTICS_DISABLED": "true", "CLUSTER_BIND_ADDR": "127.0.0.1",
            "CLUSTER_PORT": "0", "CLUSTER_SECRET": "bench",
        })
        environment.update(IMAGE_ENV)
        environment["JAVA_TOOL_OPTIONS"] = JAVA_OPTIONS
        if kind == "worker":
            environment["JDK_JAVA_OPTIONS"] = WORKER_JDK_OPTIONS
        environment.update({k: str(v) for k, v in env.items()})
        out = open(os.path.join(self.work, name + ".log"), "w")
        proc = subprocess.Popen([JAVA, *jvm_args, "-jar", jar], env=environment, stdout=out,
                                stderr=subprocess.STDOUT)
        proc.started_ms = now_ms()
        proc.log_path = out.name
        self.procs.append(proc)
        return proc

    def process(self, args, **kwargs):
        proc = subprocess.Popen(args, **kwargs)
        self.procs.append(proc)
        return proc

    @staticmethod
    def stop(proc, sig=signal.SIGTERM, wait=30):
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(wait)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def close(self):
        for proc in reversed(self.procs[1:] if self.redis_port else self.procs):
            self.stop(proc)
        if self.redis_port:
            try:
                Resp(self.redis_port).call("SHUTDOWN", "NOSAVE")
            except (OSError, RuntimeError):
                pass
            self.stop(self.procs[0], wait=10)
        shutil.rmtree(self.work, ignore_errors=True)


# the Node peers' packages (npm), pinned: BullMQ 6 takes its Redis client, ioredis, from the application
BULLMQ = "6.7.6"
NODE_PACKAGES = (f"bullmq@{BULLMQ}", "ioredis@5.11.1", "fastify@5.12.8")


def node_peer(work, *scripts):
    """Installs the Node peers' packages into work (npm) and copies bench/lib's scripts beside them."""
    for tool in ("node", "npm"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found (apt-get install npm)")
    npm = subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", *NODE_PACKAGES],
                         cwd=work, capture_output=True, text=True)
    if npm.returncode != 0:
        raise SystemExit("npm install failed: " + npm.stderr[-500:])
    for script in scripts:
        shutil.copy(os.path.join(ROOT, "bench", "lib", script), work)


def wait_ready(http_port, proc, limit_s=60):
    """Polls /q/health/ready until UP; returns the ms from the process' launch."""
    deadline = time.time() + limit_s
    url = f"http://127.0.0.1:{http_port}/q/health/ready"
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args} exited; see {proc.log_path}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return now_ms() - proc.started_ms
        except OSError:
            pass
        time.sleep(0.01)
    raise SystemExit(f"{url} not ready within {limit_s} s; see {proc.log_path}")


def wait_until(check, limit_s, what):
    deadline = time.time() + limit_s
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.01)
    raise SystemExit(f"timed out after {limit_s} s waiting for {what}")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])
