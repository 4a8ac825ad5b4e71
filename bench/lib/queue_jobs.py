#!/usr/bin/env python3
"""Writes, as Redis protocol on stdout, N submissions through Conveyor's own submit-5 script
(EVALSHA), for `redis-cli --pipe`: the same writes the API makes, without HTTP in the way.
usage: queue_jobs.py <sha of submit-5.lua> <N> <prefix> <run tag>"""
import hashlib
import sys

sha, count, prefix, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
out = sys.stdout.buffer


def command(*parts):
    out.write(b"*%d\r\n" % len(parts))
    for part in parts:
        data = part.encode()
        out.write(b"$%d\r\n%s\r\n" % (len(data), data))


for i in range(count):
    data = f"bench {tag} {i}"
    job_id = hashlib.md5(data.encode()).hexdigest().upper()
    command("EVALSHA", sha, "5",
            f"{prefix}:job:{job_id}", f"{prefix}:queue", f"{prefix}:stats", f"{prefix}:dead",
            f"{prefix}:recent",
            job_id, data, "bench", "200")
