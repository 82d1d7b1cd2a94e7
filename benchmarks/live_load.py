"""2,000 requests at 100 concurrent against `lab live`: every request ends exactly once.

Run: ``python benchmarks/live_load.py [--requests 2000] [--concurrency 100]``. Starts `lab live`
in its own process, replays the requests over HTTP (as fast as 100 in flight allow) under each
platform model, and checks from the events that every request ended exactly once (response,
error, timeout or rejection) and that the HTTP statuses and the bill's counts add up; then stops
the server with Ctrl-C and checks that no instance process is left. Exits 1 if any check fails
(each is printed with what was expected and what was measured).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script, too

from models.live.client import TERMINAL_STATUS, load_model
from models.loading import load_scenario

SCENARIO = """
name = "load-test"
title = "A small API route under load"
[workload]
arrivals = { kind = "constant", rate = 1000 }
requests = 2000
[[workload.routes]]
name = "/api/items"
chunk = "items"
work = [
  { cpu = "2ms" }, { io = { dist = "uniform", low = "10ms", high = "40ms" } }, { cpu = "1ms" },
]
[function]
bundle = [ { name = "fw", size_kb = 60, eager = true }, { name = "items", size_kb = 40 } ]
[platforms.traditional]
max_instances = 150
[platforms.fluid]
concurrency = 30
"""


def instance_pids() -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
                state = Path(f"/proc/{entry}/stat").read_text().split()[2]
            except OSError:
                continue
            if b"models.live" in cmdline and state != "Z":
                found.add(int(entry))
    return found


def check(ok: bool, what: str, expected: str, measured: str) -> bool:
    print(f"  [{'ok' if ok else 'FAIL'}] {what}: expected {expected}, measured {measured}")
    return ok


def main() -> int:
    from benchmarks._live_server import lab_live

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    passed = True
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "load-test.toml"
        path.write_text(SCENARIO)
        spec = load_scenario(path)
        before = instance_pids()
        with lab_live(path) as server:
            for model in spec.platforms:
                t0 = time.monotonic()
                done = asyncio.run(
                    load_model(
                        server.url, spec, model, args.requests, float("inf"), args.concurrency
                    )
                )
                wall = time.monotonic() - t0
                m = done.result.metrics
                latency = m["latency_ms"]
                kinds = {k: 0 for k in TERMINAL_STATUS}
                for e in done.events:
                    if e.kind in kinds:
                        kinds[e.kind] += 1
                print(
                    f"{model}: {args.requests} requests, {args.concurrency} concurrent, "
                    f"{wall:.1f} s ({args.requests / done.wall_s:.0f} req/s); "
                    f"instances started {m['instances']['started']}, "
                    f"latency p50 {latency['p50']:.1f} ms p99 {latency['p99']:.1f} ms"
                )
                print(f"  HTTP statuses {dict(sorted(done.statuses.items()))}; ends {kinds}")
                problems = done.problems()
                passed &= check(
                    not problems,
                    "every request ended exactly once, statuses and bill add up",
                    f"{args.requests} sent = arrived = ended once = answered = billed",
                    "; ".join(problems) or "all add up",
                )
        status = server.exit_status
        passed &= check(
            status in (0, 130), "lab live stops on Ctrl-C", "exit 0 or 130", f"exit {status}"
        )
        deadline = time.monotonic() + 5
        left = instance_pids() - before
        while left and time.monotonic() < deadline:
            time.sleep(0.05)
            left = instance_pids() - before
        passed &= check(
            not left, "instance processes left after Ctrl-C", "0", f"{len(left)} {sorted(left)}"
        )
    print("all checks passed" if passed else "SOME CHECKS FAILED")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
