#!/usr/bin/env python3
"""Follow mode's latency and idle cost: appends 25 lines at random moments to a followed file
and times each until logsql prints it, then measures the CPU the process uses while idle.

    LOGSQL_BIN=path/to/logsql python3 scripts/follow_latency.py
"""
import os
import random
import statistics
import subprocess
import tempfile
import time

B = os.environ.get("LOGSQL_BIN", os.path.expanduser("~/.cache/logsql-target/release/logsql"))
log = os.path.join(tempfile.mkdtemp(prefix="logsql-follow-"), "access.log")
open(log, "w").write("")
def line(i, status=500):
    return f'10.0.0.1 - - [01/Mar/2025:10:00:00 +0000] "GET /lat{i} HTTP/1.1" {status} 10 "-" "t"\n'
p = subprocess.Popen([B, "--follow", log, "--format", "combined", "--out-format", "csv",
                      "-e", "SELECT uri FROM logs WHERE status >= 500"], stdout=subprocess.PIPE, text=True)
assert p.stdout.readline().strip() == "uri"
lat = []
for i in range(25):
    time.sleep(0.3 + random.random() * 0.2)  # random phase against the 100 ms poll
    t0 = time.monotonic()
    with open(log, "a") as f:
        f.write(line(i))
    got = p.stdout.readline().strip()
    lat.append((time.monotonic() - t0) * 1000)
    assert got == f"/lat{i}", got
lat.sort()
print(f"append->output latency ms: median {statistics.median(lat):.1f}, min {lat[0]:.1f}, max {lat[-1]:.1f}, n={len(lat)}")
def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])  # utime + stime, clock ticks
hz = os.sysconf("SC_CLK_TCK")
time.sleep(5)
a = cpu(p.pid); t = time.monotonic()
time.sleep(20)
b = cpu(p.pid); dt = time.monotonic() - t
print(f"idle CPU over {dt:.1f} s: {(b-a)/hz:.3f} s of CPU = {100*(b-a)/hz/dt:.2f}%")
print(subprocess.run(["ps", "-o", "%cpu,time,rss", "-p", str(p.pid)], capture_output=True, text=True).stdout)
p.send_signal(2); print("exit code after SIGINT:", p.wait(timeout=10))
