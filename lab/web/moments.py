"""Named moments of a run, for the "next …" buttons: where to put the cursor and how much time
to show so the moment fills the view.

Each finder is a pure function of a laid-out ``Timeline`` and the cursor, returning a
``Moment`` (the instant, the range worth showing, what to say about it) or None when the run
has no such moment after the cursor. The Replay page seeks its cursor there; the Playground
zooms its timelines to the range.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from lab.format import count, seconds
from lab.view.timeline import Timeline

COLD_START_KINDS = ("provision", "runtime_init", "compile", "cache_load", "module_init")
UNANSWERED = {"rejected": "refused", "timed_out": "timed out", "failed": "failed"}


@dataclass(frozen=True, slots=True)
class Moment:
    at: float
    """Where the cursor goes (the end of what is worth seeing, so all of it has happened)."""
    start: float
    end: float
    """The range worth showing."""
    text: str
    lane: int | None = None
    request: int | None = None
    size: int = 0
    """How many requests at once (the peak overlap)."""


def _padded(start: float, end: float, at: float, text: str, **more: int | None) -> Moment:
    pad = max((end - start) * 0.15, 0.05)
    return Moment(at, max(0.0, start - pad), end + pad, text, **more)  # type: ignore[arg-type]


def next_cold_start(timeline: Timeline, after: float) -> Moment | None:
    """The next instance that started for a request (all its phases, provision to ready)."""
    later = [
        i
        for i in timeline.instances.values()
        if i.started > after + 1e-9 and math.isfinite(i.ready) and i.reason == "cold"
    ]
    if not later:
        return None
    first = min(later, key=lambda i: (i.started, i.id))
    return _padded(
        first.started,
        first.ready,
        first.ready,
        f"instance {first.id} starts cold: {seconds(first.ready - first.started)} of "
        "provision, runtime init, code load and module init",
        lane=first.id,
    )


def next_cache_hit(timeline: Timeline, after: float) -> Moment | None:
    """The next code load served from the bytecode cache (beside the compile it saved)."""
    columns = timeline.columns
    hits = np.flatnonzero(
        (columns.codes(("cache_load",))[columns.kind] >= 0) & (columns.start > after + 1e-9)
    )
    if not len(hits):
        return None
    span = min((timeline.span(int(i)) for i in hits), key=lambda s: (s.start, s.lane))
    info = timeline.instances.get(span.lane)
    start = info.started if info is not None else span.start
    ready = info.ready if info is not None and math.isfinite(info.ready) else span.end
    return _padded(
        start,
        ready,
        ready,
        f"instance {span.lane} loads its code from the bytecode cache "
        f"({seconds(span.end - span.start)}) instead of compiling it",
        lane=span.lane,
    )


def peak_overlap(timeline: Timeline, after: float = 0.0) -> Moment | None:
    """The instant when one instance held the most requests at once (the whole run)."""
    edges: dict[int, list[tuple[float, int]]] = {}
    for r in timeline.requests.values():
        if r.instance < 0 or not math.isfinite(r.assigned):
            continue
        end = r.ended if math.isfinite(r.ended) else timeline.end_time
        edges.setdefault(r.instance, []).extend([(r.assigned, 1), (end, -1)])
    best: tuple[int, float, int] = (0, 0.0, -1)
    for lane, points in edges.items():
        points.sort(key=lambda p: (p[0], p[1]))
        held = 0
        for t, step in points:
            held += step
            if held > best[0]:
                best = (held, t, lane)
    most, at, lane = best
    if most == 0:
        return None
    ids = [
        r
        for r in timeline.requests.values()
        if r.instance == lane and r.assigned <= at < (r.ended if math.isfinite(r.ended) else 1e300)
    ]
    start = min(r.assigned for r in ids)
    end = max(min(r.ended, timeline.end_time) for r in ids)
    moment = _padded(
        start,
        end,
        at + 1e-6,
        f"instance {lane} holds {count(most)} request{'s' if most != 1 else ''} at once",
        lane=lane,
    )
    return replace(moment, size=most)


def next_unanswered(timeline: Timeline, after: float) -> Moment | None:
    """The next request refused, timed out or failed."""
    later = [
        r
        for r in timeline.requests.values()
        if r.outcome in UNANSWERED and math.isfinite(r.ended) and r.ended > after + 1e-9
    ]
    if not later:
        return None
    first = min(later, key=lambda r: (r.ended, r.id))
    return _padded(
        first.arrived,
        first.ended,
        first.ended,
        f"request {first.id} {UNANSWERED[first.outcome]} "
        f"after {seconds(first.ended - first.arrived)}",
        lane=first.instance if first.instance >= 0 else None,
        request=first.id,
    )


def follow_request(timeline: Timeline, request: int) -> Moment | None:
    """One request from arrival to its answer (or to the end of the run)."""
    r = timeline.requests.get(request)
    if r is None:
        return None
    end = r.ended if math.isfinite(r.ended) else timeline.end_time
    where = f"on instance {r.instance}" if r.instance >= 0 else "never placed"
    return _padded(
        r.arrived,
        end,
        end,
        f"request {r.id}: {r.start or 'not started'} {where}, {r.outcome.replace('_', ' ')}, "
        f"{seconds(end - r.arrived)} from arrival",
        lane=r.instance if r.instance >= 0 else None,
        request=r.id,
    )


FINDERS: dict[str, tuple[str, Callable[[Timeline, float], Moment | None]]] = {
    "cold": ("Next cold start", next_cold_start),
    "cache": ("Next cache hit", next_cache_hit),
    "peak": ("Peak overlap", peak_overlap),
    "unanswered": ("Next refused, timed out or failed", next_unanswered),
}
"""Button key -> (label, finder)."""
