"""The router's own overhead on a warm request, on loopback (target: median under 2 ms).

Run: ``python benchmarks/live_router.py [--requests 500]``. Starts `lab live` in its own
process with a route whose work is 0.1 ms of CPU, warms its one instance, then sends requests
one at a time over a kept-alive HTTP connection (a lean h11 client; the front door is h11 too).
For each request:

* ``http``: the client's round trip minus the time the handler spent in its segments (what a
  caller pays for the front door, parsing, dispatch to the instance and back);
* ``router``: ``request_arrived`` to ``response_sent`` minus the segments, from the events (the
  dispatch path alone: router -> instance frames -> router).

Prints medians and p99 of both, in milliseconds, what a client itself costs (``/_lab/status``
with the h11 client and with httpx, `lab load`'s), and the ``http`` median (an upper bound of
the router's own overhead) against the target (``--target-ms``, the issue's 2 ms median on
loopback), and checks that every request was answered 200 and ended
once and that no instance process is left after Ctrl-C. Exits 1 if the target is missed or
a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script, too

from models.events import Event, event_from_dict
from models.live.calibration import warm_overhead_ms
from models.live.client import TERMINAL_STATUS, client
from models.live.upstream_client import UpstreamConnection

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


async def measure(
    url: str, requests: int
) -> tuple[list[float], list[float], Counter[int], list[Event]]:
    host, port = url.removeprefix("http://").split(":")
    conn = await UpstreamConnection.open((host, int(port)))
    headers = {"x-lab-model": "fluid"}
    statuses: Counter[int] = Counter()
    try:
        await conn.request("POST", "/_lab/reset", headers)
        for _ in range(20):  # cold start + warm-up
            statuses[(await conn.request("GET", "/ping", headers))[0]] += 1
        rtt: dict[int, float] = {}
        for _ in range(requests):
            t0 = time.perf_counter()
            status, answer, _ = await conn.request("GET", "/ping", headers)
            rtt[int(answer["x-lab-request"])] = (time.perf_counter() - t0) * 1000
            statuses[status] += 1
        body = (await conn.request("GET", "/_lab/events", headers))[2]
    finally:
        conn.close()
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
    return http, router, statuses, events


async def client_cost(url: str, requests: int) -> tuple[float, float]:
    """Median ms of ``GET /_lab/status`` (no dispatch: the front door alone) with the lean h11
    client above and with httpx (`lab load`'s client): what the client itself adds."""
    host, port = url.removeprefix("http://").split(":")
    conn = await UpstreamConnection.open((host, int(port)))
    lean, rich = [], []
    try:
        for _ in range(requests):
            t0 = time.perf_counter()
            await conn.request("GET", "/_lab/status")
            lean.append((time.perf_counter() - t0) * 1000)
    finally:
        conn.close()
    async with client(url, 1, 30.0) as http:
        for _ in range(requests):
            t0 = time.perf_counter()
            await http.get("/_lab/status")
            rich.append((time.perf_counter() - t0) * 1000)
    return statistics.median(lean), statistics.median(rich)


def check(ok: bool, what: str, expected: str, measured: str) -> bool:
    print(f"  [{'ok' if ok else 'FAIL'}] {what}: expected {expected}, measured {measured}")
    return ok


def main() -> int:
    from benchmarks._live_server import lab_live
    from benchmarks.live_load import instance_pids

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--target-ms", type=float, default=2.0, help="router median target")
    args = parser.parse_args()
    before = instance_pids()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "router.toml"
        path.write_text(SCENARIO)
        with lab_live(path) as server:
            http, router, statuses, events = asyncio.run(measure(server.url, args.requests))
            lean, rich = asyncio.run(client_cost(server.url, 200))

    def p99(values: list[float]) -> float:
        return statistics.quantiles(values, n=100)[98]

    sent = args.requests + 20
    print(f"warm requests: {len(http)}, one at a time, loopback")
    print(
        f"  HTTP round trip minus handler work: median {statistics.median(http):.3f} ms, "
        f"p99 {p99(http):.3f} ms"
    )
    print(
        f"  router dispatch (events):           median {statistics.median(router):.3f} ms, "
        f"p99 {p99(router):.3f} ms"
    )
    print(
        f"  GET /_lab/status (front door alone): median {lean:.3f} ms with the h11 client, "
        f"{rich:.3f} ms with httpx (lab load's client)"
    )
    # the HTTP figure bounds the router's own overhead from above (it also counts the client)
    median = statistics.median(http)
    passed = check(
        median < args.target_ms,
        "router overhead on a warm request (HTTP round trip minus handler work)",
        f"median < {args.target_ms:g} ms",
        f"{median:.3f} ms (dispatch alone {statistics.median(router):.3f} ms)",
    )
    arrived = Counter(e.request for e in events if e.kind == "request_arrived")  # type: ignore[attr-defined]
    ended = Counter(e.request for e in events if e.kind in TERMINAL_STATUS)  # type: ignore[attr-defined]
    once = len(arrived) == sent and set(arrived) == set(ended) and set(ended.values()) == {1}
    passed &= check(
        once and statuses == Counter({200: sent}),
        "every request answered 200 and ended once",
        f"{sent} x 200",
        f"{dict(statuses)}, {len(arrived)} arrived, {sum(ended.values())} ends",
    )
    passed &= check(
        server.exit_status == 0,
        "lab live stops on Ctrl-C",
        "exit 0",
        f"exit {server.exit_status}",
    )
    deadline = time.monotonic() + 5
    while (left := instance_pids() - before) and time.monotonic() < deadline:
        time.sleep(0.05)
    passed &= check(not left, "instance processes left after Ctrl-C", "0", str(len(left)))
    print("all checks passed" if passed else "SOME CHECKS FAILED")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
