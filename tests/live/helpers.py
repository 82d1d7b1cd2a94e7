"""Reading live event streams in tests."""

from __future__ import annotations

from collections import Counter
from typing import Any

from models.events import Event
from models.live.runtime import LiveOptions
from models.scenario import Scenario

TERMINAL = {"response_sent", "request_timed_out", "request_failed", "request_rejected"}


def assert_each_request_ends_once(events: list[Event]) -> Counter[str]:
    """Every arrived request has exactly one terminal event; returns the terminal counts."""
    arrived = [e.request for e in events if e.kind == "request_arrived"]  # type: ignore[attr-defined]
    ends: Counter[int] = Counter()
    kinds: Counter[str] = Counter()
    for e in events:
        if e.kind in TERMINAL:
            ends[e.request] += 1  # type: ignore[attr-defined]
            kinds[e.kind] += 1
    assert sorted(ends) == sorted(arrived)
    assert set(ends.values()) == {1}
    times = [e.t for e in events]
    assert times == sorted(times)
    return kinds


def decisions(events: list[Event]) -> dict[str, Any]:
    """What the platform decided: where each request went, which instances started, why."""
    return {
        "assigned": [
            (e.request, e.start, e.instance) for e in events if e.kind == "request_assigned"
        ],  # type: ignore[attr-defined]
        "starting": [(e.instance, e.reason) for e in events if e.kind == "instance_starting"],  # type: ignore[attr-defined]
        "code_load": sorted(
            (e.instance, e.chunk, e.cache_hit)  # type: ignore[attr-defined]
            for e in events
            if e.kind == "phase_ended" and e.phase == "code_load"  # type: ignore[attr-defined]
        ),
        "recycled": sorted(
            (e.instance, e.reason)
            for e in events
            if e.kind == "instance_recycled"  # type: ignore[attr-defined]
        ),
    }


# --- timelines that hold on a busy machine ---------------------------------------------------
#
# A live-vs-simulated comparison of decisions is only meaningful when each arrival falls far from
# any boundary (an instance still busy, a keep-alive about to run out). How far is far depends on
# this machine today: a 2-core machine shared with other work can take 10x longer than an idle
# one for a cold start. So timelines are laid out in a unit measured just before the run (a
# probe: the scenario's slowest step, several cold starts at once with the bytecode cache off,
# times ``TIMING_FACTOR``), and a run whose own events show that a request took longer than the
# margins allow is rerun once on a longer timeline instead of being compared (a slow machine is
# not a wrong decision; a machine too slow for both timelines fails the test, it is not skipped).

TIMING_FACTOR = 3.0
"""The unit is this many times the probe's slowest request."""
UNIT_FLOOR_S = 0.5


def latencies(events: list[Event]) -> dict[int, float]:
    """Seconds from arrival to the request's terminal event, per request."""
    arrived: dict[int, float] = {}
    out: dict[int, float] = {}
    for e in events:
        if e.kind == "request_arrived":
            arrived[e.request] = e.t  # type: ignore[attr-defined]
        elif e.kind in TERMINAL and e.request in arrived:  # type: ignore[attr-defined]
            out[e.request] = e.t - arrived[e.request]  # type: ignore[attr-defined]
    return out


def probe_unit(
    scenario: Scenario,
    options: LiveOptions,
    at_once: int = 2,
    factor: float = TIMING_FACTOR,
    floor: float = UNIT_FLOOR_S,
) -> float:
    """A timeline unit for ``scenario`` on this machine now: ``factor`` x the slowest of
    ``at_once`` simultaneous cold starts (cache off, each lazily loading its route's chunk and
    doing its route's work), at least ``floor`` seconds."""
    from models.live.replay import run_live

    routes = [route.name for route in scenario.workload.routes]
    probe = scenario.with_changes(
        **{
            "workload.arrivals": {
                "kind": "explicit",
                "times": [0.0] * at_once,
                "routes": [routes[i % len(routes)] for i in range(at_once)],
            },
            "platforms": {"probe": {"preset": "traditional", "bytecode_cache": "off"}},
        }
    )
    slowest = max(latencies(run_live(probe, "probe", options=options).events).values())
    return max(floor, factor * slowest)


HELD_WITHIN = 0.75
"""A timeline holds while every request ends within this many units of arriving."""
ON_TIME = 0.1
"""... and every arrival comes within this many units of its scheduled time."""


def timeline_held(events: list[Event], times: list[float], unit: float) -> str:
    """Why the run left its timeline's margins ('' if it did not).

    The timelines put every boundary an arrival depends on (the previous request on an
    instance has ended, a keep-alive has or has not run out) a quarter of a unit or more away
    while no request takes more than ``HELD_WITHIN`` units and arrivals come on time. Requests
    that must find an instance busy, or starting, arrive at the same time as the request that
    keeps it so (no timing is involved: the router assigns them in arrival order).
    """
    slow = {r: t for r, t in latencies(events).items() if t > HELD_WITHIN * unit}
    if slow:
        worst = max(slow, key=lambda r: slow[r])
        return f"request {worst} took {slow[worst]:.3f} s (unit {unit:.3f} s)"
    arrived = [e.t for e in events if e.kind == "request_arrived"]
    lags = [a - arrived[0] - t for a, t in zip(arrived, times, strict=True)]
    if max(lags) > ON_TIME * unit:
        return f"an arrival came {max(lags):.3f} s late (unit {unit:.3f} s)"
    return ""
