"""An event stream turned into what a picture needs: spans on lanes, and who was where.

``build_timeline(result)`` makes one pass over a run's events and returns a ``Timeline``:
instances (lanes), requests, and spans — a cold-start phase, a cpu or io segment, background
work, an idle keep-alive stretch, time in the queue — each with a start, an end and a kind
from ``lab.view.legend``. Nothing here decides anything a platform decides; it only lays out
what the events say happened.

Laying out is one lean pass (a run of 10,000 requests is ~100,000 events per model, and the
web playground lays out two runs on every new setting): spans are kept as plain columns,
sorted into numpy arrays (``Timeline.columns``, what whole-run aggregates read), and the
``Span`` objects and the time index that a replay needs are only built when first asked for.
Spans are indexed in time buckets, so ``spans_between(t0, t1)`` is cheap for any window and
a frame can be drawn at any instant without scanning the whole run.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from functools import cached_property
from operator import attrgetter
from typing import Any

import numpy as np

from lab.view.meters import MeterTrack
from models.events import (
    BackgroundDone,
    Event,
    FirstByte,
    InstanceIdle,
    InstanceReady,
    InstanceRecycled,
    InstanceStarting,
    PhaseEnded,
    PhaseStarted,
    RequestArrived,
    RequestAssigned,
    RequestFailed,
    RequestQueued,
    RequestRejected,
    RequestTimedOut,
    ResponseSent,
    SegmentEnded,
    SegmentStarted,
)
from models.run import ModelResult

QUEUE_LANE = -1
_MAX_BUCKETS_PER_SPAN = 64


@dataclass(frozen=True, slots=True)
class Span:
    lane: int
    """Instance id, or ``QUEUE_LANE`` for time spent in the queue."""
    start: float
    end: float
    kind: str
    request: int | None = None
    detail: str = ""
    """The chunk of a code load; the route of a request segment."""


@dataclass(slots=True)
class InstanceInfo:
    id: int
    started: float
    reason: str
    """Why it started: cold, prewarm or min_instances."""
    ready: float = math.inf
    ended: float = math.inf
    end_reason: str = ""
    waiting: list[int] = field(default_factory=list)
    """Requests assigned while it was still starting."""
    served: int = 0


@dataclass(slots=True)
class RequestInfo:
    id: int
    route: str
    arrived: float
    assigned: float = math.inf
    start: str = ""
    """warm, cold or joined."""
    instance: int = -1
    queued: float = math.inf
    first_byte: float = math.inf
    responded: float = math.inf
    ended: float = math.inf
    outcome: str = "in_flight"
    """completed, timed_out, failed, rejected or in_flight."""
    cpu_s: float = 0.0

    @property
    def latency(self) -> float:
        return self.responded - self.arrived

    def __reduce__(self) -> tuple[type[RequestInfo], tuple[Any, ...]]:
        """Pickled as its fields in order: a timeline sent from a worker process
        (``lab.side_by_side``) carries one per request, 3x faster than slots by name."""
        return (
            RequestInfo,
            (
                self.id,
                self.route,
                self.arrived,
                self.assigned,
                self.start,
                self.instance,
                self.queued,
                self.first_byte,
                self.responded,
                self.ended,
                self.outcome,
                self.cpu_s,
            ),
        )


@dataclass(frozen=True, slots=True)
class SpanColumns:
    """Every span of a timeline as numpy columns, in the order of ``Timeline.spans`` (by start,
    then lane): what whole-run aggregates read, without a ``Span`` object per span."""

    lane: np.ndarray
    start: np.ndarray
    end: np.ndarray
    kind: np.ndarray
    """Index into ``kinds``."""
    kinds: tuple[str, ...]
    """The kinds that occur, each once."""

    def codes(self, kinds: Iterable[str]) -> np.ndarray:
        """For each entry of ``kinds`` here, its position in ``kinds`` given (-1: not there),
        so ``codes(ACTIVITY)[columns.kind]`` maps every span to an index of the caller's."""
        wanted = {k: i for i, k in enumerate(kinds)}
        return np.array([wanted.get(k, -1) for k in self.kinds], dtype=np.int64)


@dataclass(frozen=True, slots=True)
class RequestColumns:
    """Every request of a timeline as numpy columns, in the order of ``Timeline.requests``
    (fields as in ``RequestInfo``): what whole-run aggregates read."""

    arrived: np.ndarray
    assigned: np.ndarray
    responded: np.ndarray
    ended: np.ndarray
    start: np.ndarray
    """warm, cold, joined or "" (objects: compare with ``==``)."""
    outcome: np.ndarray
    """completed, timed_out, failed, rejected or in_flight (objects)."""

    @classmethod
    def of(cls, requests: Iterable[RequestInfo]) -> RequestColumns:
        reqs = list(requests)

        def times(name: str) -> np.ndarray:
            return np.fromiter(map(attrgetter(name), reqs), np.float64, len(reqs))

        def words(name: str) -> np.ndarray:
            out = np.empty(len(reqs), dtype=object)
            out[:] = list(map(attrgetter(name), reqs))
            return out

        return cls(
            times("arrived"),
            times("assigned"),
            times("responded"),
            times("ended"),
            words("start"),
            words("outcome"),
        )


@dataclass(slots=True)
class _Laid:
    """Spans as they were laid out (in the order they closed), one list per ``Span`` field:
    a lay-out appends to six lists rather than building an object per span."""

    lane: list[int] = field(default_factory=list)
    start: list[float] = field(default_factory=list)
    end: list[float] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    request: list[int | None] = field(default_factory=list)
    detail: list[str] = field(default_factory=list)

    def add(
        self, lane: int, start: float, end: float, kind: str, request: int | None, detail: str
    ) -> None:
        self.lane.append(lane)
        self.start.append(start)
        self.end.append(end)
        self.kind.append(kind)
        self.request.append(request)
        self.detail.append(detail)

    def span(self, i: int) -> Span:
        return Span(
            self.lane[i], self.start[i], self.end[i], self.kind[i], self.request[i], self.detail[i]
        )

    def columns(self) -> tuple[SpanColumns, list[int]]:
        """The columns sorted by (start, lane), stable (as ``sorted`` with that key), and the
        order that sorts them."""
        n = len(self.lane)
        lanes = np.fromiter(self.lane, np.int64, n)
        starts = np.fromiter(self.start, np.float64, n)
        order = np.lexsort((lanes, starts))  # a stable sort: ties keep the order they closed in
        names = {k: i for i, k in enumerate(dict.fromkeys(self.kind))}
        codes = np.fromiter(map(names.__getitem__, self.kind), np.int64, n)
        columns = SpanColumns(
            lanes[order],
            starts[order],
            np.fromiter(self.end, np.float64, n)[order],
            codes[order],
            tuple(names),
        )
        return columns, order.tolist()


class Timeline:
    """Everything a view needs about one platform model's run, laid out in time."""

    def __init__(
        self,
        instances: dict[int, InstanceInfo],
        requests: dict[int, RequestInfo],
        spans: Iterable[Span] | _Laid,
        end_time: float,
    ) -> None:
        self.instances = instances
        self.requests = requests
        if not isinstance(spans, _Laid):
            laid = _Laid()
            for s in spans:
                laid.add(s.lane, s.start, s.end, s.kind, s.request, s.detail)
            spans = laid
        self._laid = spans
        self.columns, self._order = spans.columns()
        self.end_time = end_time
        self.meters: MeterTrack | None = None
        """Running meters, when the timeline was built from a ``ModelResult``."""

    @cached_property
    def spans(self) -> list[Span]:
        """Every span, by start time then lane (built on first use: a replay needs them, the
        whole-run aggregates of ``lab.view.series`` read ``columns``)."""
        return [self._laid.span(i) for i in self._order]

    def span(self, index: int) -> Span:
        """``spans[index]``, without building every other span."""
        return self._laid.span(self._order[index])

    @cached_property
    def request_columns(self) -> RequestColumns:
        """The requests as columns (built on first use)."""
        return RequestColumns.of(self.requests.values())

    def has_lane(self, lane: int) -> bool:
        """Whether any span is on ``lane`` (``QUEUE_LANE``: whether anything ever queued)."""
        return bool((self.columns.lane == lane).any())

    @cached_property
    def _arrivals(self) -> list[float]:
        return sorted(r.arrived for r in self.requests.values())

    @cached_property
    def _finished(self) -> dict[str, list[float]]:
        """When requests completed (responded), timed out, failed or were rejected."""
        out: dict[str, list[float]] = {
            "completed": [],
            "timed_out": [],
            "failed": [],
            "rejected": [],
        }
        for r in self.requests.values():
            if r.outcome == "completed":
                out["completed"].append(r.responded)
            elif r.outcome in out:
                out[r.outcome].append(r.ended)
        for times in out.values():
            times.sort()
        return out

    @cached_property
    def _index(self) -> tuple[float, np.ndarray, np.ndarray, list[int]]:
        """Spans by time bucket: the bucket width; span indices grouped by bucket (a span in
        every bucket it touches), with where each bucket's group begins; spans too long to
        list in every bucket (checked by every query)."""
        columns = self.columns
        count = max(1, min(4096, len(columns.start) // 4))
        width = max(self.end_time, 1e-9) / count
        first = np.clip((columns.start / width).astype(np.int64), 0, count - 1)
        last = np.clip((columns.end / width).astype(np.int64), 0, count - 1)
        long = last - first > _MAX_BUCKETS_PER_SPAN
        short = np.flatnonzero(~long)
        sizes = np.maximum(last[short] - first[short] + 1, 0)
        span = np.repeat(short, sizes)
        offset = np.arange(len(span)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        bucket = np.repeat(first[short], sizes) + offset
        order = np.argsort(bucket, kind="stable")
        starts = np.searchsorted(bucket[order], np.arange(count + 1))
        return width, span[order], starts, np.flatnonzero(long).tolist()

    def _bucket(self, t: float) -> int:
        width, _spans, starts, _long = self._index
        return min(len(starts) - 2, max(0, int(t / width)))

    def spans_between(self, t0: float, t1: float) -> list[Span]:
        """Spans that overlap ``[t0, t1]`` (a span ``[a, b)`` with ``a <= t1`` and ``b > t0``)."""
        _width, in_buckets, starts, long = self._index
        first, last = self._bucket(t0), self._bucket(t1)
        seen = set(in_buckets[starts[first] : starts[last + 1]].tolist())
        seen.update(long)
        spans = self.spans
        hits = [
            spans[i]
            for i in seen
            if spans[i].start <= t1 and (spans[i].end > t0 or spans[i].start == spans[i].end == t0)
        ]
        hits.sort(key=lambda s: (s.start, s.lane))
        return hits

    def spans_at(self, t: float) -> list[Span]:
        return [s for s in self.spans_between(t, t) if s.start <= t < s.end]

    def lanes(self) -> list[InstanceInfo]:
        return [self.instances[i] for i in sorted(self.instances)]

    def counts_at(self, t: float) -> dict[str, int]:
        """How many requests had arrived, completed, timed out, failed or been rejected by t."""
        finished = self._finished
        return {
            "arrived": bisect.bisect_right(self._arrivals, t),
            "completed": bisect.bisect_right(finished["completed"], t),
            "timed_out": bisect.bisect_right(finished["timed_out"], t),
            "failed": bisect.bisect_right(finished["failed"], t),
            "rejected": bisect.bisect_right(finished["rejected"], t),
        }

    def next_event_time(self, t: float) -> float:
        """The first span boundary or arrival strictly after ``t`` (for a 'step' key)."""
        candidates = [
            self._arrivals[i]
            for i in [bisect.bisect_right(self._arrivals, t)]
            if i < len(self._arrivals)
        ]
        for span in self.spans_between(t, t + self._index[0] * 2):
            for edge in (span.start, span.end):
                if edge > t:
                    candidates.append(edge)
        if not candidates:
            later = self.columns.start[self.columns.start > t]
            return float(later[0]) if len(later) else self.end_time
        return min(candidates)


def build_timeline(
    source: ModelResult | Iterable[Event], end_time: float | None = None
) -> Timeline:
    """Lay out a run: a ``ModelResult`` with its events kept, or any event stream so far."""
    if isinstance(source, ModelResult):
        if source.events is None:
            raise ValueError("this run kept no events; simulate with keep_events=True")
        timeline = _lay_out(source.events, max(end_time or 0.0, source.end_time))
        if source.platform is not None:
            timeline.meters = MeterTrack(source)
        return timeline
    return _lay_out(source, end_time)


_EVENT_TYPES = (
    SegmentStarted,
    SegmentEnded,
    RequestArrived,
    RequestAssigned,
    ResponseSent,
    InstanceIdle,
    FirstByte,
    BackgroundDone,
    RequestQueued,
    RequestRejected,
    RequestTimedOut,
    RequestFailed,
    InstanceStarting,
    PhaseStarted,
    PhaseEnded,
    InstanceReady,
    InstanceRecycled,
)
"""What ``_lay_out`` reads, most frequent first (it tests ``type(e) is ...`` in this order)."""
_KNOWN = frozenset(_EVENT_TYPES)


def _as_known(event: Event) -> Event | None:
    """An event of a type derived from one of ``_EVENT_TYPES``, as that type (None if none)."""
    base = next((known for known in _EVENT_TYPES if isinstance(event, known)), None)
    if base is None:
        return None
    return base(**{f.name: getattr(event, f.name) for f in fields(base)})


def _lay_out(events: Iterable[Event], end_time: float | None) -> Timeline:
    """One pass over the events. Written for speed (a run of 10,000 requests has ~100,000
    events per model): dispatch on the exact type in order of frequency, each span's fields
    appended to its column."""
    instances: dict[int, InstanceInfo] = {}
    requests: dict[int, RequestInfo] = {}
    laid = _Laid()
    add = laid.add
    lanes, starts, ends, kinds, ids, details = (
        laid.lane.append,
        laid.start.append,
        laid.end.append,
        laid.kind.append,
        laid.request.append,
        laid.detail.append,
    )
    open_phases: dict[tuple[int, str, str | None], float] = {}
    open_segments: dict[tuple[int, int, bool], tuple[float, str, int]] = {}
    idle_since: dict[int, float] = {}
    last = 0.0

    def close_idle(iid: int, t: float) -> None:
        since = idle_since.pop(iid, None)
        if since is not None and t > since:
            add(iid, since, t, "idle", None, "")

    for e in events:
        t = e.t
        if t > last:
            last = t
        if type(e) not in _KNOWN:  # rare: a type derived from a known one, or another
            known = _as_known(e)
            if known is None:
                continue
            e = known
        if type(e) is SegmentStarted:
            open_segments[(e.request, e.index, e.background)] = (t, e.segment, e.instance)
        elif type(e) is SegmentEnded:
            rid = e.request
            opened = open_segments.pop((rid, e.index, e.background), None)
            start, segment, iid = (t, e.segment, e.instance) if opened is None else opened
            req = requests.get(rid)
            lanes(iid)  # add(...) inlined: segments are most of the spans
            starts(start)
            ends(t)
            kinds("bg_" + segment if e.background else segment)
            ids(rid)
            details("" if req is None else req.route)
            if req is not None:
                req.cpu_s += e.cpu_s
        elif type(e) is RequestArrived:
            requests[e.request] = RequestInfo(e.request, e.route, t)
        elif type(e) is RequestAssigned:
            req = requests.get(e.request)
            if req is None:
                req = requests[e.request] = RequestInfo(e.request, "", t)
            iid = e.instance
            req.assigned, req.instance, req.start = t, iid, e.start
            if req.queued < t:
                add(QUEUE_LANE, req.queued, t, "queued", e.request, req.route)
            inst = instances.get(iid)
            if inst is not None:
                inst.served += 1
                if t < inst.ready:
                    inst.waiting.append(e.request)
            if iid in idle_since:
                close_idle(iid, t)
        elif type(e) is ResponseSent:
            req = requests.get(e.request)
            if req is not None:
                req.responded, req.outcome = t, "completed"
                if req.first_byte == math.inf:
                    req.first_byte = t
                if not e.background:
                    req.ended = t
        elif type(e) is InstanceIdle:
            idle_since[e.instance] = t
        elif type(e) is FirstByte:
            if e.request in requests:
                requests[e.request].first_byte = t
        elif type(e) is BackgroundDone:
            if e.request in requests:
                requests[e.request].ended = t
        elif type(e) is RequestQueued:
            if e.request in requests:
                requests[e.request].queued = t
        elif type(e) is RequestRejected:
            req = requests.setdefault(e.request, RequestInfo(e.request, "", t))
            req.outcome, req.ended = "rejected", t
        elif type(e) is RequestTimedOut or type(e) is RequestFailed:
            if e.request in requests:
                req = requests[e.request]
                req.ended = t
                req.outcome = "timed_out" if type(e) is RequestTimedOut else "failed"
        elif type(e) is InstanceStarting:
            instances[e.instance] = InstanceInfo(e.instance, t, e.reason)
        elif type(e) is PhaseStarted:
            open_phases[(e.instance, e.phase, e.chunk)] = t
        elif type(e) is PhaseEnded:
            start = open_phases.pop((e.instance, e.phase, e.chunk), t)
            kind = e.phase
            if kind == "code_load":
                kind = "cache_load" if e.cache_hit else "compile"
            add(e.instance, start, t, kind, e.request, e.chunk or "")
        elif type(e) is InstanceReady:
            if e.instance in instances:
                instances[e.instance].ready = t
                if not instances[e.instance].waiting:
                    idle_since[e.instance] = t
        elif type(e) is InstanceRecycled:
            close_idle(e.instance, t)
            if e.instance in instances:
                instances[e.instance].ended = t
                instances[e.instance].end_reason = e.reason

    end = max(last, end_time or 0.0)
    for iid in list(idle_since):
        close_idle(iid, end)
    for (iid, phase, chunk), start in open_phases.items():  # a live stream cut mid-phase
        kind = "compile" if phase == "code_load" else phase
        add(iid, start, end, kind, None, chunk or "")
    for (rid, _index, background), (start, segment, iid) in open_segments.items():
        add(iid, start, end, ("bg_" if background else "") + segment, rid, "")
    return Timeline(instances, requests, laid, end)
