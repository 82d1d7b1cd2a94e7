"""Metrics lessons need beyond ``lab sim --json``, computed from the same event stream.

* ``per_request``: billed duration, active CPU and wall time per invocation (ms) — the seed's
  "billed duration" of a cold start is ``per_request.billed_ms`` when every request is cold.
* ``cold`` / ``warm``: latency and TTFB of requests that did (or did not) wait for a cold start
  (``start`` of ``request_assigned`` is ``cold`` or ``joined`` vs ``warm``).
* ``startup_ms``: instance_starting -> instance_ready; ``phases_ms``: mean time per instance in
  each cold-start phase (code_load includes the chunks a route loads lazily).
* ``by_route``: per route, latency, CPU and wall time per request and their ratio (CPU share).
* ``shared``: how many requests ran while another request was in flight on the same instance
  (where module-level state can leak between requests).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from models.events import (
    BackgroundDone,
    FirstByte,
    InstanceReady,
    InstanceStarting,
    PhaseEnded,
    PhaseStarted,
    RequestArrived,
    RequestAssigned,
    RequestFailed,
    RequestTimedOut,
    ResponseSent,
    SegmentEnded,
)
from models.run import ModelResult


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _stats(values_s: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values_s]
    return {
        "mean": sum(ms) / len(ms) if ms else 0.0,
        "p50": _quantile(ms, 0.50),
        "p99": _quantile(ms, 0.99),
        "max": max(ms) if ms else 0.0,
    }


def derived_metrics(result: ModelResult) -> dict[str, Any]:
    usage = result.usage
    invocations = max(usage.invocations, 1)
    out: dict[str, Any] = {
        "per_request": {
            "billed_ms": usage.wall_clock_s / invocations * 1000,
            "active_cpu_ms": usage.active_cpu_s / invocations * 1000,
            "request_cpu_ms": usage.request_cpu_s / invocations * 1000,
            "init_cpu_ms": usage.init_cpu_s / invocations * 1000,
        }
    }
    events = result.events or []
    arrived: dict[int, float] = {}
    start: dict[int, str] = {}
    first_byte: dict[int, float] = {}
    latency: dict[str, list[float]] = {"cold": [], "warm": []}
    ttfb: dict[str, list[float]] = {"cold": [], "warm": []}
    starting: dict[int, float] = {}
    startups: list[float] = []
    phase_open: dict[tuple[int, str, str | None], float] = {}
    phase_total: dict[str, float] = defaultdict(float)
    instances: set[int] = set()
    inflight: dict[int, set[int]] = defaultdict(set)
    where: dict[int, int] = {}
    shared: set[int] = set()
    assigned = 0
    route_of: dict[int, str] = {}
    cpu_of: dict[int, float] = defaultdict(float)
    done_at: dict[int, float] = {}
    by_route_latency: dict[str, list[float]] = defaultdict(list)

    def end(request: int) -> None:
        inst = where.pop(request, None)
        if inst is not None:
            inflight[inst].discard(request)

    for e in events:
        if isinstance(e, RequestArrived):
            arrived[e.request] = e.t
            route_of[e.request] = e.route
        elif isinstance(e, SegmentEnded):
            cpu_of[e.request] += e.cpu_s
            done_at[e.request] = e.t
        elif isinstance(e, RequestAssigned):
            assigned += 1
            start[e.request] = "warm" if e.start == "warm" else "cold"
            others = inflight[e.instance]
            if others:
                shared.add(e.request)
                shared.update(others)
            others.add(e.request)
            where[e.request] = e.instance
        elif isinstance(e, FirstByte):
            first_byte.setdefault(e.request, e.t)
        elif isinstance(e, ResponseSent):
            kind = start.get(e.request, "warm")
            t0 = arrived.get(e.request, e.t)
            latency[kind].append(e.t - t0)
            by_route_latency[route_of.get(e.request, "?")].append(e.t - t0)
            ttfb[kind].append(first_byte.get(e.request, e.t) - t0)
            if not e.background:
                end(e.request)
        elif isinstance(e, BackgroundDone | RequestTimedOut | RequestFailed):
            end(e.request)
        elif isinstance(e, InstanceStarting):
            starting[e.instance] = e.t
            instances.add(e.instance)
        elif isinstance(e, InstanceReady):
            if e.instance in starting:
                startups.append(e.t - starting.pop(e.instance))
        elif isinstance(e, PhaseStarted):
            phase_open[(e.instance, e.phase, e.chunk)] = e.t
        elif isinstance(e, PhaseEnded):
            t0 = phase_open.pop((e.instance, e.phase, e.chunk), e.t)
            phase_total[e.phase] += e.t - t0
    n_inst = max(len(instances), 1)
    total = max(assigned, 1)
    for kind in ("cold", "warm"):
        out[kind] = {
            "count": len(latency[kind]),
            "share": len(latency[kind]) / total,
            "latency_ms": _stats(latency[kind]),
            "ttfb_ms": _stats(ttfb[kind]),
        }
    out["startup_ms"] = _stats(startups)
    out["phases_ms"] = {
        phase: phase_total.get(phase, 0.0) / n_inst * 1000
        for phase in ("provision", "runtime_init", "code_load", "module_init")
    }
    out["phases_ms"]["total"] = sum(out["phases_ms"].values())
    out["shared"] = {"requests": len(shared), "share": len(shared) / total}
    wall: dict[str, float] = defaultdict(float)
    cpu: dict[str, float] = defaultdict(float)
    for request, route in route_of.items():
        if request in done_at:
            wall[route] += done_at[request] - arrived[request]
            cpu[route] += cpu_of[request]
    out["by_route"] = {
        route: {
            "count": len(values),
            "latency_ms": _stats(values),
            "cpu_ms": cpu[route] / len(values) * 1000 if values else 0.0,
            "wall_ms": wall[route] / len(values) * 1000 if values else 0.0,
            "cpu_share": cpu[route] / wall[route] if wall[route] else 0.0,
        }
        for route, values in sorted(by_route_latency.items())
    }
    return out
