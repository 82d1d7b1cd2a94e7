"""2,000 requests at 100 concurrent against `lab live`: every request ends exactly once.

Run: ``python benchmarks/live_load.py [--requests 2000] [--concurrency 100]``. Starts `lab live`
in its own process, replays the requests over HTTP (as fast as 100 in flight allow) under each
platform model, and checks from the events that every request ended exactly once (response,
error, timeout or rejection) and that the HTTP statuses add up; then stops the server with
Ctrl-C and checks that no instance process is left.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

from models.live.client import load_model
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
TERMINAL = {"response_sent", "request_timed_out", "request_failed", "request_rejected"}


def instance_pids() -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if b"models.live" in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.add(int(entry))
            except OSError:
                pass
    return found


def main() -> None:
    from benchmarks._live_server import lab_live

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "load-test.toml"
        path.write_text(SCENARIO)
        spec = load_scenario(path)
        before = instance_pids()
        with lab_live(path) as url:
            for model in spec.platforms:
                t0 = time.monotonic()
                done = asyncio.run(
                    load_model(url, spec, model, args.requests, float("inf"), args.concurrency)
                )
                wall = time.monotonic() - t0
                kinds = Counter(e.kind for e in done.events if e.kind in TERMINAL)
                ends = Counter(
                    e.request
                    for e in done.events
                    if e.kind in TERMINAL  # type: ignore[attr-defined]
                )
                arrived = sum(1 for e in done.events if e.kind == "request_arrived")
                once = (
                    arrived == args.requests and set(ends.values()) == {1} and len(ends) == arrived
                )
                m = done.result.metrics
                latency = m["latency_ms"]
                print(
                    f"{model:>12}: {args.requests} requests, {args.concurrency} concurrent, "
                    f"{wall:.1f} s ({args.requests / done.wall_s:.0f} req/s)\n"
                    f"{'':>14}HTTP statuses {dict(sorted(done.statuses.items()))} "
                    f"(sum {sum(done.statuses.values())})\n"
                    f"{'':>14}ends: {dict(kinds)} (sum {sum(kinds.values())}); "
                    f"each request ended exactly once: {once}\n"
                    f"{'':>14}instances started {m['instances']['started']}, "
                    f"latency p50 {latency['p50']:.1f} ms p99 {latency['p99']:.1f} ms"
                )
        time.sleep(1.0)
        left = instance_pids() - before
        print(f"instance processes left after Ctrl-C: {len(left)}")


if __name__ == "__main__":
    main()
