"""The router's own overhead on a warm request, on loopback (target: median under 2 ms).

Run: ``python benchmarks/live_router.py [--requests 500]``. Starts `lab live` in its own
process with a route whose work is 0.1 ms of CPU, warms its one instance, then sends requests
one at a time over a kept-alive HTTP connection. For each request:

* ``http``: the client's round trip minus the time the handler spent in its segments (what a
  caller pays for the front door, parsing, dispatch to the instance and back);
* ``router``: ``request_arrived`` to ``response_sent`` minus the segments, from the events (the
  dispatch path alone: router -> instance frames -> router).

Prints medians and p99 of both, in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from models.events import event_from_dict
from models.live.calibration import warm_overhead_ms
from models.live.client import HttpClient

SCENARIO = """
name = "router-overhead"
[workload]
arrivals = { kind = "constant", rate = 100 }
requests = 100
[[workload.routes]]
name = "/ping"
work = [ { cpu = "0.1ms" } ]
[platforms.fluid]
keep_alive = "10min"
"""


async def measure(url: str, requests: int) -> tuple[list[float], list[float]]:
    client = HttpClient(url)
    headers = {"x-lab-model": "fluid"}
    try:
        await client.request("POST", "/_lab/reset", headers)
        for _ in range(20):  # cold start + warm-up
            await client.request("GET", "/ping", headers)
        rtt: dict[int, float] = {}
        for _ in range(requests):
            t0 = time.perf_counter()
            response = await client.request("GET", "/ping", headers)
            rtt[int(response.headers["x-lab-request"])] = (time.perf_counter() - t0) * 1000
        body = (await client.request("GET", "/_lab/events", headers)).body
    finally:
        await client.close()
    events = [event_from_dict(json.loads(line)) for line in body.splitlines() if line]
    router = warm_overhead_ms(events)[20:]
    work: dict[int, float] = {}
    starts: dict[int, float] = {}
    for e in events:
        if e.kind == "segment_started":
            starts[e.request] = e.t  # type: ignore[attr-defined]
        elif e.kind == "segment_ended":
            work[e.request] = work.get(e.request, 0.0) + (e.t - starts[e.request]) * 1000  # type: ignore[attr-defined]
    http = [ms - work.get(rid, 0.0) for rid, ms in rtt.items()]
    return http, router


def main() -> None:
    from benchmarks._live_server import lab_live

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "router.toml"
        path.write_text(SCENARIO)
        with lab_live(path) as url:
            http, router = asyncio.run(measure(url, args.requests))

    def p99(values: list[float]) -> float:
        return statistics.quantiles(values, n=100)[98]

    print(f"warm requests: {len(http)}, one at a time, loopback")
    print(
        f"  HTTP round trip minus handler work: median {statistics.median(http):.3f} ms, "
        f"p99 {p99(http):.3f} ms"
    )
    print(
        f"  router dispatch (events):           median {statistics.median(router):.3f} ms, "
        f"p99 {p99(router):.3f} ms"
    )


if __name__ == "__main__":
    main()
