"""A whole run, boiled down to what fits in one picture: binned lanes, load over time, latencies.

A run of the default scenario has ~80,000 spans per model; a chart (or a terminal) shows a few
thousand marks at most. These functions aggregate a ``Timeline`` into a bounded number of
plain records, so any front end can draw a whole run without drawing every span:

* ``lane_bins``: per instance lane and time bin (cut to the instance's life), what the lane
  mostly did (cpu, io, idle...), with the cpu and io shares of its busy time; neighbouring idle
  bins are merged.
* ``cold_start_marks``: every cold-start phase and chunk load, exactly (there are few).
* ``load_series``: instances alive and requests in flight, the peak within each time bin.
* ``latency_histogram``: completed requests' latency, by how they started (warm/cold/joined).

Pure functions of the timeline: nothing here decides anything a platform decides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lab.view.legend import COLD_START_PHASES
from lab.view.timeline import QUEUE_LANE, Timeline

ACTIVITY = ("cpu", "io", "bg_cpu", "bg_io", "queued", "idle")
"""Kinds a lane bin can show, most telling first (ties go to the earlier one)."""

CODE_LOADS = ("compile", "cache_load")

ACTIVE_MIN = 0.1
"""A bin shows the lane's work rather than idle once work fills this share of the time the
instance existed in the bin."""

MAX_LANES = 300
"""Lanes drawn at most; more are summarised (``LaneBins.hidden_lanes``)."""

MIN_BINS, MAX_BINS = 20, 1000
"""Bins over the range drawn: finer when the lanes are short-lived (the budget is spent where
lanes exist), never finer than ``MAX_BINS`` (already under a pixel of a page-wide chart)."""


@dataclass(frozen=True, slots=True)
class LaneBin:
    lane: int
    """Instance id (``QUEUE_LANE`` for the queue)."""
    start: float
    end: float
    """The time bin, clipped to the instance's life: an instance that lived 80 s of a 300 s
    bin is drawn 80 s long."""
    kind: str
    """The activity that took most of the lane's time in the bin (a legend kind); idle only
    when work filled less than ``ACTIVE_MIN`` of the time the instance existed in the bin."""
    cpu_share: float
    """CPU's share of the busy (cpu + io) time in the bin, 0 when nothing ran."""
    busy: float
    """Request-seconds of cpu and io work in the bin, per second the instance existed in it
    (its mean concurrency)."""


@dataclass(frozen=True, slots=True)
class LaneBins:
    bins: list[LaneBin]
    lanes: list[int]
    """Lanes drawn, top to bottom (by start time)."""
    hidden_lanes: int
    bin_width: float


def drawn_lanes(timeline: Timeline, max_lanes: int = MAX_LANES) -> tuple[list[int], int]:
    """The lanes a picture of the run shows, top to bottom (instances by start time, the queue
    last), and how many instances it leaves out."""
    infos = sorted(timeline.instances.values(), key=lambda i: (i.started, i.id))
    lanes = [i.id for i in infos[:max_lanes]]
    if timeline.has_lane(QUEUE_LANE):
        lanes.append(QUEUE_LANE)
    return lanes, max(0, len(infos) - max_lanes)


def _lives(timeline: Timeline, lanes: list[int], t0: float, t1: float) -> np.ndarray:
    """``[start, end]`` of each lane's life within ``[t0, t1]`` (the queue: all of it)."""
    lives = np.empty((len(lanes), 2))
    for r, lane in enumerate(lanes):
        info = timeline.instances.get(lane)
        start, end = (t0, t1) if info is None else (info.started, info.ended)
        lives[r] = (min(max(start, t0), t1), min(max(end, t0), t1))
    return lives


def _bin_count(lives: np.ndarray, t0: float, t1: float, max_marks: int) -> int:
    """Bins such that every lane's bins together stay within ``max_marks``: a lane that lives
    ``L`` touches at most ``L / width + 2`` bins."""
    life = float((lives[:, 1] - lives[:, 0]).sum())
    room = max_marks - 2 * len(lives)
    if life <= 0 or room <= 0:
        return MIN_BINS
    return max(MIN_BINS, min(MAX_BINS, int(room * (t1 - t0) / life)))


def _span_arrays(
    timeline: Timeline, row: dict[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Row, activity index, start and end of every span on a drawn lane with a binned kind."""
    columns = timeline.columns
    lane = columns.lane
    if not len(lane):
        empty = np.zeros(0)
        return empty.astype(int), empty.astype(int), empty, empty
    # lane -> row through a table indexed by lane id (the queue's -1 shifted to 0)
    low = int(lane.min())
    table = np.full(int(lane.max()) - low + 1, -1)
    for key, value in row.items():
        if 0 <= key - low < len(table):
            table[key - low] = value
    r = table[lane - low]
    k = columns.codes(ACTIVITY)[columns.kind]
    keep = (r >= 0) & (k >= 0)
    return r[keep], k[keep], columns.start[keep], columns.end[keep]


def _occupancy(
    timeline: Timeline, row: dict[int, int], t0: float, width: float, n: int
) -> np.ndarray:
    """Seconds of each activity per lane and bin: ``[lane, bin, ACTIVITY index]``."""
    r, k, a, b = _span_arrays(timeline, row)
    t1 = t0 + n * width
    a, b = np.maximum(a, t0), np.minimum(b, t1)
    inside = b > a
    r, k, a, b = r[inside], k[inside], a[inside], b[inside]
    occupied = np.zeros((len(row), n, len(ACTIVITY)))
    first = np.minimum(((a - t0) / width).astype(int), n - 1)
    last = np.minimum(((b - t0) / width).astype(int), n - 1)
    same = first == last
    np.add.at(occupied, (r[same], first[same], k[same]), (b - a)[same])
    r, k, a, b, first, last = (x[~same] for x in (r, k, a, b, first, last))
    np.add.at(occupied, (r, first, k), t0 + (first + 1) * width - a)
    np.add.at(occupied, (r, last, k), b - (t0 + last * width))
    # the whole bins in between: +width where they begin, -width where they stop, summed up
    inner = np.zeros((len(row), n + 1, len(ACTIVITY)))
    np.add.at(inner, (r, first + 1, k), width)
    np.add.at(inner, (r, last, k), -width)
    return occupied + np.cumsum(inner, axis=1)[:, :n]


def lane_bins(
    timeline: Timeline,
    t0: float = 0.0,
    t1: float | None = None,
    max_marks: int = 8000,
    max_lanes: int = MAX_LANES,
) -> LaneBins:
    """Bin every lane's spans into at most ``max_marks`` records over ``[t0, t1]``.

    Each bin is cut to the part of it the instance lived through, and judged on that part:
    a short-lived instance shows its work, not a bin-wide stretch of idle."""
    t1 = timeline.end_time if t1 is None else t1
    t1 = max(t1, t0 + 1e-9)
    lanes, hidden = drawn_lanes(timeline, max_lanes)
    lives = _lives(timeline, lanes, t0, t1)
    n = _bin_count(lives, t0, t1, max_marks)
    width = (t1 - t0) / n
    occupied = _occupancy(timeline, {lane: r for r, lane in enumerate(lanes)}, t0, width, n)
    edges = t0 + width * np.arange(n + 1)
    starts = np.maximum(edges[None, :-1], lives[:, :1])
    ends = np.minimum(edges[None, 1:], lives[:, 1:])
    existed = np.clip(ends - starts, 0.0, None)
    cpu_k, io_k, idle_k = ACTIVITY.index("cpu"), ACTIVITY.index("io"), ACTIVITY.index("idle")
    working = occupied.copy()
    working[:, :, idle_k] = 0.0
    # idle only wins a bin when the lane did (almost) nothing else while it existed there
    dominant = np.where(
        working.sum(axis=2) >= ACTIVE_MIN * existed,
        working.argmax(axis=2),
        occupied.argmax(axis=2),
    )
    busy = occupied[:, :, cpu_k] + occupied[:, :, io_k]
    # a bin shows when the lane did something in it (not just rounding at a bin's edge)
    present = (occupied.sum(axis=2) > 1e-9 * width) & (existed > 0)
    bins: list[LaneBin] = []
    for r, lane in enumerate(lanes):
        current: LaneBin | None = None
        for i in np.flatnonzero(present[r]):
            kind = ACTIVITY[int(dominant[r, i])]
            start, end = float(starts[r, i]), float(ends[r, i])
            if (
                current is not None
                and current.kind == kind
                and kind in {"idle", "queued"}
                and current.end >= start
            ):
                current = LaneBin(lane, current.start, end, kind, 0.0, 0.0)
                continue
            if current is not None:
                bins.append(current)
            share = float(occupied[r, i, cpu_k] / busy[r, i]) if busy[r, i] > 0 else 0.0
            current = LaneBin(lane, start, end, kind, share, float(busy[r, i] / existed[r, i]))
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
    columns = timeline.columns
    phases = np.flatnonzero(columns.codes(COLD_START_PHASES)[columns.kind] >= 0)
    spans = [timeline.span(i) for i in phases.tolist()]
    return [
        Mark(s.lane, s.start, s.end, s.kind, s.detail)
        for s in spans
        if (wanted is None or s.lane in wanted) and (s.end > s.start or s.kind in CODE_LOADS)
    ]


@dataclass(frozen=True, slots=True)
class LoadPoint:
    t: float
    """Start of the bin."""
    instances: int
    """Most instances alive at once within the bin."""
    in_flight: int
    """Most requests in flight (assigned, not yet finished) at once within the bin."""


def _peak_per_bin(ups: np.ndarray, downs: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The highest value of ``#ups <= t - #downs <= t`` within each ``[edges[i], edges[i+1])``."""
    n = len(edges) - 1
    if not len(ups):
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
    started = np.array([i.started for i in infos], dtype=float)
    ended = np.array([i.ended for i in infos], dtype=float)
    alive = _peak_per_bin(started, ended[np.isfinite(ended)], edges)
    requests = timeline.request_columns
    assigned = requests.assigned[np.isfinite(requests.assigned)]
    finished = requests.ended[np.isfinite(requests.assigned)]
    flight = _peak_per_bin(assigned, finished[np.isfinite(finished)], edges)
    return [
        LoadPoint(float(t), int(a), int(f))
        for t, a, f in zip(edges[:-1].tolist(), alive.tolist(), flight.tolist(), strict=True)
    ]


@dataclass(frozen=True, slots=True)
class LatencyBin:
    start_ms: float
    end_ms: float
    start: str
    """How the requests started: warm, cold or joined."""
    count: int


def _latencies_ms(timeline: Timeline) -> tuple[np.ndarray, np.ndarray]:
    """Completed requests' latency (ms), and how each started."""
    requests = timeline.request_columns
    done = requests.outcome == "completed"
    return (requests.responded[done] - requests.arrived[done]) * 1000, requests.start[done]


def latency_edges(timelines: list[Timeline], bins: int = 40) -> np.ndarray:
    """Bin edges (ms) shared by several runs, so their histograms compare bar for bar."""
    values = np.concatenate([np.zeros(0), *(_latencies_ms(t)[0] for t in timelines)])
    if not len(values):
        return np.linspace(0.0, 1.0, bins + 1)
    low, high = float(values.min()), float(values.max())
    pad = max((high - low) * 0.01, 1e-3)
    return np.linspace(max(0.0, low - pad), high + pad, bins + 1)


def latency_histogram(timeline: Timeline, edges: np.ndarray) -> list[LatencyBin]:
    """Completed requests' latency (arrival to response), counted per bin and start kind."""
    out: list[LatencyBin] = []
    latencies, starts = _latencies_ms(timeline)
    for start in ("warm", "cold", "joined"):
        values = latencies[starts == start]
        if not len(values):
            continue
        counts, _ = np.histogram(values, bins=edges)
        out.extend(
            LatencyBin(float(edges[i]), float(edges[i + 1]), start, int(c))
            for i, c in enumerate(counts)
            if c
        )
    return out
