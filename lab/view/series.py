"""A whole run, boiled down to what fits in one picture: binned lanes, load over time, latencies.

A run of the default scenario has ~80,000 spans per model; a chart (or a terminal) shows a few
thousand marks at most. These functions aggregate a ``Timeline`` into a bounded number of
plain records, so any front end can draw a whole run without drawing every span:

* ``lane_bins``: per instance lane and time bin, what the lane mostly did (cpu, io, idle...),
  with the cpu and io shares of its busy time; neighbouring bins that agree are merged.
* ``cold_start_marks``: every cold-start phase and chunk load, exactly (there are few).
* ``load_series``: instances alive and requests in flight, the peak within each time bin.
* ``latency_histogram``: completed requests' latency, by how they started (warm/cold/joined).

Pure functions of the timeline: nothing here decides anything a platform decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lab.view.legend import COLD_START_PHASES
from lab.view.timeline import QUEUE_LANE, Timeline

ACTIVITY = ("cpu", "io", "bg_cpu", "bg_io", "queued", "idle")
"""Kinds a lane bin can show, most telling first (ties go to the earlier one)."""

CODE_LOADS = ("compile", "cache_load")

ACTIVE_MIN = 0.1
"""A bin shows the lane's work rather than idle once work fills this share of it."""

MAX_LANES = 150
"""Lanes drawn at most; more are summarised (``LaneBins.hidden_lanes``)."""


@dataclass(frozen=True, slots=True)
class LaneBin:
    lane: int
    """Instance id (``QUEUE_LANE`` for the queue)."""
    start: float
    end: float
    kind: str
    """The activity that took most of the lane's time in the bin (a legend kind); idle only
    when work filled less than ``ACTIVE_MIN`` of the bin."""
    cpu_share: float
    """CPU's share of the busy (cpu + io) time in the bin, 0 when nothing ran."""
    busy: float
    """Request-seconds of cpu and io work in the bin, per second of bin (concurrency)."""


@dataclass(frozen=True, slots=True)
class LaneBins:
    bins: list[LaneBin]
    lanes: list[int]
    """Lanes drawn, top to bottom (by start time)."""
    hidden_lanes: int
    bin_width: float


def _bin_count(lanes: int, max_marks: int) -> int:
    return max(20, min(400, max_marks // max(lanes, 1)))


def lane_bins(
    timeline: Timeline,
    t0: float = 0.0,
    t1: float | None = None,
    max_marks: int = 8000,
    max_lanes: int = MAX_LANES,
) -> LaneBins:
    """Bin every lane's spans into at most ``max_marks`` records over ``[t0, t1]``."""
    t1 = timeline.end_time if t1 is None else t1
    t1 = max(t1, t0 + 1e-9)
    infos = sorted(timeline.instances.values(), key=lambda i: (i.started, i.id))
    lanes = [i.id for i in infos]
    hidden = max(0, len(lanes) - max_lanes)
    lanes = lanes[:max_lanes]
    has_queue = any(s.lane == QUEUE_LANE for s in timeline.spans)
    if has_queue:
        lanes.append(QUEUE_LANE)
    row = {lane: r for r, lane in enumerate(lanes)}
    n = _bin_count(len(lanes), max_marks)
    width = (t1 - t0) / n
    kinds = {k: i for i, k in enumerate(ACTIVITY)}
    occupied = np.zeros((len(lanes), n, len(ACTIVITY)))
    for span in timeline.spans:
        r = row.get(span.lane)
        k = kinds.get(span.kind)
        if r is None or k is None:
            continue
        a, b = max(span.start, t0), min(span.end, t1)
        if b <= a:
            continue
        first, last = int((a - t0) / width), min(n - 1, int((b - t0) / width))
        if first == last:
            occupied[r, first, k] += b - a
            continue
        occupied[r, first, k] += t0 + (first + 1) * width - a
        occupied[r, first + 1 : last, k] += width
        occupied[r, last, k] += b - (t0 + last * width)
    bins: list[LaneBin] = []
    cpu_k, io_k, idle_k = kinds["cpu"], kinds["io"], kinds["idle"]
    for r, lane in enumerate(lanes):
        totals = occupied[r]
        present = totals.sum(axis=1) > 0
        # idle only wins a bin when the lane did (almost) nothing else in it
        working = totals.copy()
        working[:, idle_k] = 0.0
        dominant = np.where(
            working.sum(axis=1) >= ACTIVE_MIN * width, working.argmax(axis=1), totals.argmax(axis=1)
        )
        busy = totals[:, cpu_k] + totals[:, io_k]
        current: LaneBin | None = None
        for i in range(n):
            if not present[i]:
                if current is not None:
                    bins.append(current)
                    current = None
                continue
            kind = ACTIVITY[int(dominant[i])]
            share = float(totals[i, cpu_k] / busy[i]) if busy[i] > 0 else 0.0
            start = t0 + i * width
            if current is not None and current.kind == kind and kind in {"idle", "queued"}:
                current = LaneBin(lane, current.start, start + width, kind, 0.0, 0.0)
                continue
            if current is not None:
                bins.append(current)
            current = LaneBin(lane, start, start + width, kind, share, float(busy[i] / width))
        if current is not None:
            bins.append(current)
    return LaneBins(bins, lanes, hidden, width)


@dataclass(frozen=True, slots=True)
class Mark:
    """One cold-start phase (or lazy chunk load) exactly as it happened."""

    lane: int
    start: float
    end: float
    kind: str
    detail: str
    """The chunk of a code load."""


def cold_start_marks(timeline: Timeline, lanes: list[int] | None = None) -> list[Mark]:
    """Every cold-start phase and chunk load on the given lanes (all lanes by default).
    Phases that took no time are left out, except code loads (a cache hit is news)."""
    wanted = None if lanes is None else set(lanes)
    return [
        Mark(s.lane, s.start, s.end, s.kind, s.detail)
        for s in timeline.spans
        if s.kind in COLD_START_PHASES
        and (wanted is None or s.lane in wanted)
        and (s.end > s.start or s.kind in CODE_LOADS)
    ]


@dataclass(frozen=True, slots=True)
class LoadPoint:
    t: float
    """Start of the bin."""
    instances: int
    """Most instances alive at once within the bin."""
    in_flight: int
    """Most requests in flight (assigned, not yet finished) at once within the bin."""


def _peak_per_bin(ups: list[float], downs: list[float], edges: np.ndarray) -> np.ndarray:
    """The highest value of ``#ups <= t - #downs <= t`` within each ``[edges[i], edges[i+1])``."""
    n = len(edges) - 1
    if not ups:
        return np.zeros(n)
    times = np.concatenate([np.asarray(ups, float), np.asarray(downs, float)])
    steps = np.concatenate([np.ones(len(ups)), -np.ones(len(downs))])
    order = np.lexsort((steps, times))  # at equal times, ends before starts
    times, level = times[order], np.cumsum(steps[order])
    before = np.searchsorted(times, edges[:-1], side="right") - 1  # level at each bin's start
    peak = np.where(before >= 0, level[np.clip(before, 0, None)], 0.0)
    which = np.clip(np.searchsorted(edges, times, side="right") - 1, 0, n - 1)
    np.maximum.at(peak, which, level)
    return peak


def load_series(timeline: Timeline, bins: int = 400) -> list[LoadPoint]:
    """Instances alive and requests in flight over the run, peak per bin."""
    end = max(timeline.end_time, 1e-9)
    edges = np.linspace(0.0, end, bins + 1)
    infos = timeline.instances.values()
    alive = _peak_per_bin(
        [i.started for i in infos], [i.ended for i in infos if math.isfinite(i.ended)], edges
    )
    reqs = [r for r in timeline.requests.values() if math.isfinite(r.assigned)]
    flight = _peak_per_bin(
        [r.assigned for r in reqs], [r.ended for r in reqs if math.isfinite(r.ended)], edges
    )
    return [LoadPoint(float(edges[i]), int(alive[i]), int(flight[i])) for i in range(bins)]


@dataclass(frozen=True, slots=True)
class LatencyBin:
    start_ms: float
    end_ms: float
    start: str
    """How the requests started: warm, cold or joined."""
    count: int


def latency_edges(timelines: list[Timeline], bins: int = 40) -> np.ndarray:
    """Bin edges (ms) shared by several runs, so their histograms compare bar for bar."""
    values = [
        r.latency * 1000
        for timeline in timelines
        for r in timeline.requests.values()
        if r.outcome == "completed"
    ]
    if not values:
        return np.linspace(0.0, 1.0, bins + 1)
    low, high = min(values), max(values)
    pad = max((high - low) * 0.01, 1e-3)
    return np.linspace(max(0.0, low - pad), high + pad, bins + 1)


def latency_histogram(timeline: Timeline, edges: np.ndarray) -> list[LatencyBin]:
    """Completed requests' latency (arrival to response), counted per bin and start kind."""
    out: list[LatencyBin] = []
    done = [r for r in timeline.requests.values() if r.outcome == "completed"]
    for start in ("warm", "cold", "joined"):
        values = [r.latency * 1000 for r in done if r.start == start]
        if not values:
            continue
        counts, _ = np.histogram(values, bins=edges)
        out.extend(
            LatencyBin(float(edges[i]), float(edges[i + 1]), start, int(c))
            for i, c in enumerate(counts)
            if c
        )
    return out
