#!/usr/bin/env python3
"""Draws the throughput sweeps from bench/results/*.json as PNGs in docs/images/ with gnuplot:
bench-drain.png (jobs/s per configuration, beside BullMQ and the script bound), bench-accept.png
(requests/s through HAProxy: the apis, with a type and a notify_url, beside Fastify + BullMQ and the static ceiling, and HAProxy answering itself) and bench-growth.png (drain time
and memory against the number of queued jobs). usage: bench/plot.py [results dir] [images dir]"""
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "bench", "results")
IMAGES = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "docs", "images")
STYLE = ("set terminal pngcairo size 900,480 font 'sans,10'\n"
         "set termoption noenhanced\nset grid ytics lc rgb '#dddddd'\nset border 3\nset tics nomirror\n")


def load(name):
    path = os.path.join(RESULTS, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def gnuplot(script, data, out):
    data_path = out + ".dat"
    with open(data_path, "w") as f:
        f.write(data)
    subprocess.run(["gnuplot"], input=STYLE + f"set output '{out}'\n" + script.replace("@DATA@", data_path),
                   text=True, check=True)
    os.remove(data_path)
    print(f"wrote {os.path.relpath(out, ROOT)}")


def bars(rows, title, ylabel, out):
    """rows: (label, median, min, max, colour)"""
    data = "".join(f'"{label}" {m} {lo} {hi} {c}\n' for label, m, lo, hi, c in rows)
    gnuplot(f"""set title "{title}"
set ylabel "{ylabel}"
set style fill solid 0.8 noborder
set boxwidth 0.6
set yrange [0:*]
set xtics rotate by -25 left
plot '@DATA@' using 0:2:5:xtic(1) with boxes lc rgb variable notitle, \\
     '' using 0:2:3:4 with yerrorbars lc rgb '#333333' pt -1 notitle, \\
     '' using 0:($2):(sprintf("%.0f", $2)) with labels offset 0,1 notitle
""", data, out)


def main():
    if not shutil.which("gnuplot"):
        raise SystemExit("gnuplot not found (apt-get install gnuplot-nox)")
    os.makedirs(IMAGES, exist_ok=True)
    drain = load("drain")
    if drain:
        rows = [(f"Conveyor {c['workers']}w x{c['concurrency']}", c["jobs_per_s"]["median"],
                 c["jobs_per_s"]["min"], c["jobs_per_s"]["max"], 0x2E86AB) for c in drain["conveyor"]]
        b = drain["bullmq"]["jobs_per_s"]
        rows.append((f"BullMQ {drain['bullmq_version']} x50", b["median"], b["min"], b["max"], 0xE07A5F))
        if "conveyor_mix" in drain:
            m, bm = drain["conveyor_mix"]["jobs_per_s"], drain["bullmq_mix"]["jobs_per_s"]
            rows.append(("Conveyor 1w x50, 3 types x 3 prios", m["median"], m["min"], m["max"], 0x2E86AB))
            rows.append(("BullMQ, 2 queues x50, prios 1-3", bm["median"], bm["min"], bm["max"], 0xE07A5F))
        s = drain["script_bound"]["jobs_per_s"]
        rows.append(("claim+complete scripts alone", s["median"], s["min"], s["max"], 0x999999))
        bars(rows, f"Drain of {drain['jobs']:,} no-op jobs (median of {drain['runs']}, min-max)", "jobs/s",
             os.path.join(IMAGES, "bench-drain.png"))
    accept = load("accept")
    if accept:
        c, s = accept["conveyor"]["per_s"], accept["static"]["per_s"]
        rows = [("HAProxy -> 2 apis -> Redis", c["median"], c["min"], c["max"], 0x2E86AB)]
        for key, label in (("conveyor_typed", "... with a type and priority"), ("conveyor_notify", "... with a notify_url")):
            if key in accept:
                v = accept[key]["per_s"]
                rows.append((label, v["median"], v["min"], v["max"], 0x2E86AB))
        if "fastify_bullmq" in accept:
            f = accept["fastify_bullmq"]["per_s"]
            rows.append(("HAProxy -> 2 Node, Fastify + BullMQ", f["median"], f["min"], f["max"], 0xE07A5F))
        rows.append(("HAProxy -> static backend (nginx)", s["median"], s["min"], s["max"], 0x999999))
        if "haproxy_alone" in accept:
            h = accept["haproxy_alone"]["per_s"]
            rows.append(("HAProxy answering itself", h["median"], h["min"], h["max"], 0xCCCCCC))
        bars(rows,
             f"Accept: wrk, {accept['connections']} connections (median of {accept['runs']}, min-max)",
             "requests/s", os.path.join(IMAGES, "bench-accept.png"))
    growth = load("growth")
    if growth:
        data = "".join(f"{r['jobs']} {r['drain_s']} {r['used_memory_mb']} {r['bytes_per_pending_job']}\n"
                       for r in growth["rows"])
        gnuplot("""set title "Growth: drain time and Redis memory against queued jobs"
set xlabel "queued jobs"
set ylabel "drain time, s"
set y2label "used_memory when queued, MB"
set y2tics
set key left top
set xrange [0:*]
set yrange [0:*]
set y2range [0:*]
set format x "%.0s%c"
plot '@DATA@' using 1:2 with linespoints lw 2 pt 7 lc rgb '#2E86AB' title 'drain time (s)', \\
     '' using 1:3 axes x1y2 with linespoints lw 2 pt 5 lc rgb '#E07A5F' title 'Redis used_memory with the jobs queued (MB)'
""", data, os.path.join(IMAGES, "bench-growth.png"))


if __name__ == "__main__":
    main()
