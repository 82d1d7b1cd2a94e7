"""An event stream turned into what a picture needs: spans on lanes, and who was where.

``build_timeline(result)`` makes one pass over a run's events and returns a ``Timeline``:
instances (lanes), requests, and spans — a cold-start phase, a cpu or io segment, background
work, an idle keep-alive stretch, time in the queue — each with a start, an end and a kind
from ``lab.view.legend``. Nothing here decides anything a platform decides; it only lays out
what the events say happened.

Spans are indexed in time buckets, so ``spans_between(t0, t1)`` is cheap for any window and
a frame can be drawn at any instant without scanning the whole run.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

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


class Timeline:
    """Everything a view needs about one platform model's run, laid out in time."""

    def __init__(
        self,
        instances: dict[int, InstanceInfo],
        requests: dict[int, RequestInfo],
        spans: list[Span],
        end_time: float,
    ) -> None:
        self.instances = instances
        self.requests = requests
        self.spans = sorted(spans, key=lambda s: (s.start, s.lane))
        self.end_time = end_time
        self.meters: MeterTrack | None = None
        """Running meters, when the timeline was built from a ``ModelResult``."""
        self._arrivals = sorted(r.arrived for r in requests.values())
        self._responses = sorted(r.responded for r in requests.values() if r.outcome == "completed")
        self._rejections = sorted(r.ended for r in requests.values() if r.outcome == "rejected")
        self._timeouts = sorted(r.ended for r in requests.values() if r.outcome == "timed_out")
        self._failures = sorted(r.ended for r in requests.values() if r.outcome == "failed")
        self._index()

    def _index(self) -> None:
        count = max(1, min(4096, len(self.spans) // 4))
        self._width = max(self.end_time, 1e-9) / count
        self._buckets: list[list[int]] = [[] for _ in range(count)]
        self._long: list[int] = []
        for i, span in enumerate(self.spans):
            first = self._bucket(span.start)
            last = self._bucket(span.end)
            if last - first > _MAX_BUCKETS_PER_SPAN:
                self._long.append(i)
                continue
            for b in range(first, last + 1):
                self._buckets[b].append(i)

    def _bucket(self, t: float) -> int:
        return min(len(self._buckets) - 1, max(0, int(t / self._width)))

    def spans_between(self, t0: float, t1: float) -> list[Span]:
        """Spans that overlap ``[t0, t1]`` (a span ``[a, b)`` with ``a <= t1`` and ``b > t0``)."""
        seen: set[int] = set()
        for b in range(self._bucket(t0), self._bucket(t1) + 1):
            seen.update(self._buckets[b])
        seen.update(self._long)
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
        return {
            "arrived": bisect.bisect_right(self._arrivals, t),
            "completed": bisect.bisect_right(self._responses, t),
            "timed_out": bisect.bisect_right(self._timeouts, t),
            "failed": bisect.bisect_right(self._failures, t),
            "rejected": bisect.bisect_right(self._rejections, t),
        }

    def next_event_time(self, t: float) -> float:
        """The first span boundary or arrival strictly after ``t`` (for a 'step' key)."""
        candidates = [
            self._arrivals[i]
            for i in [bisect.bisect_right(self._arrivals, t)]
            if i < len(self._arrivals)
        ]
        for span in self.spans_between(t, t + self._width * 2):
            for edge in (span.start, span.end):
                if edge > t:
                    candidates.append(edge)
        if not candidates:
            later = [s.start for s in self.spans if s.start > t]
            candidates = later[:1] or [self.end_time]
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


def _lay_out(events: Iterable[Event], end_time: float | None) -> Timeline:
    instances: dict[int, InstanceInfo] = {}
    requests: dict[int, RequestInfo] = {}
    spans: list[Span] = []
    open_phases: dict[tuple[int, str, str | None], float] = {}
    open_segments: dict[tuple[int, int, bool], tuple[float, str, int]] = {}
    idle_since: dict[int, float] = {}
    last = 0.0

    def close_idle(iid: int, t: float) -> None:
        since = idle_since.pop(iid, None)
        if since is not None and t > since:
            spans.append(Span(iid, since, t, "idle"))

    for e in events:
        last = max(last, e.t)
        if isinstance(e, RequestArrived):
            requests[e.request] = RequestInfo(e.request, e.route, e.t)
        elif isinstance(e, RequestQueued):
            if e.request in requests:
                requests[e.request].queued = e.t
        elif isinstance(e, RequestRejected):
            req = requests.setdefault(e.request, RequestInfo(e.request, "", e.t))
            req.outcome, req.ended = "rejected", e.t
        elif isinstance(e, RequestAssigned):
            req = requests.setdefault(e.request, RequestInfo(e.request, "", e.t))
            req.assigned, req.instance, req.start = e.t, e.instance, e.start
            if req.queued < e.t:
                spans.append(Span(QUEUE_LANE, req.queued, e.t, "queued", e.request, req.route))
            inst = instances.get(e.instance)
            if inst is not None:
                inst.served += 1
                if e.t < inst.ready:
                    inst.waiting.append(e.request)
            close_idle(e.instance, e.t)
        elif isinstance(e, InstanceStarting):
            instances[e.instance] = InstanceInfo(e.instance, e.t, e.reason)
        elif isinstance(e, PhaseStarted):
            open_phases[(e.instance, e.phase, e.chunk)] = e.t
        elif isinstance(e, PhaseEnded):
            start = open_phases.pop((e.instance, e.phase, e.chunk), e.t)
            kind = e.phase
            if e.phase == "code_load":
                kind = "cache_load" if e.cache_hit else "compile"
            spans.append(Span(e.instance, start, e.t, kind, e.request, e.chunk or ""))
        elif isinstance(e, InstanceReady):
            if e.instance in instances:
                instances[e.instance].ready = e.t
                if not instances[e.instance].waiting:
                    idle_since[e.instance] = e.t
        elif isinstance(e, SegmentStarted):
            open_segments[(e.request, e.index, e.background)] = (e.t, e.segment, e.instance)
        elif isinstance(e, SegmentEnded):
            start, segment, iid = open_segments.pop(
                (e.request, e.index, e.background), (e.t, e.segment, e.instance)
            )
            kind = ("bg_" if e.background else "") + segment
            route = requests[e.request].route if e.request in requests else ""
            spans.append(Span(iid, start, e.t, kind, e.request, route))
            if e.request in requests:
                requests[e.request].cpu_s += e.cpu_s
        elif isinstance(e, FirstByte):
            if e.request in requests:
                requests[e.request].first_byte = e.t
        elif isinstance(e, ResponseSent):
            if e.request in requests:
                req = requests[e.request]
                req.responded, req.outcome = e.t, "completed"
                if req.first_byte == math.inf:
                    req.first_byte = e.t
                if not e.background:
                    req.ended = e.t
        elif isinstance(e, BackgroundDone):
            if e.request in requests:
                requests[e.request].ended = e.t
        elif isinstance(e, RequestTimedOut | RequestFailed):
            if e.request in requests:
                req = requests[e.request]
                req.ended = e.t
                req.outcome = "timed_out" if isinstance(e, RequestTimedOut) else "failed"
        elif isinstance(e, InstanceIdle):
            idle_since[e.instance] = e.t
        elif isinstance(e, InstanceRecycled):
            close_idle(e.instance, e.t)
            if e.instance in instances:
                instances[e.instance].ended = e.t
                instances[e.instance].end_reason = e.reason

    end = max(last, end_time or 0.0)
    for iid in list(idle_since):
        close_idle(iid, end)
    for (iid, phase, chunk), start in open_phases.items():  # a live stream cut mid-phase
        kind = "compile" if phase == "code_load" else phase
        spans.append(Span(iid, start, end, kind, None, chunk or ""))
    for (rid, _index, background), (start, segment, iid) in open_segments.items():
        spans.append(Span(iid, start, end, ("bg_" if background else "") + segment, rid))
    return Timeline(instances, requests, spans, end)
