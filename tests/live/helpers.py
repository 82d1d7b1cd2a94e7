"""Reading live event streams in tests."""

from __future__ import annotations

from collections import Counter
from typing import Any

from models.events import Event

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
