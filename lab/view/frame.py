"""What to draw at one instant: ``state_at(timeline, t)``, a pure function of the run.

A ``Frame`` holds, for every instance alive at ``t``, its status (starting and in which phase,
busy, idle) and the requests on it with what each is doing (cpu, io, background, waiting for
the cold start); plus the queue, the counts so far and the meters. Front ends draw frames;
tests assert on them without any UI.

``FrameIndex(timeline).at(t)`` is the same frame for a view that draws many instants of one
run (the TUI, 20 times a second): the spans as numpy columns, built once, so a frame reads a
few contiguous arrays instead of looking up and walking the ~1,000 ``Span`` objects in flight.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lab.view.meters import Meters
from lab.view.timeline import QUEUE_LANE, Timeline

WORK = frozenset({"cpu", "io", "bg_cpu", "bg_io"})
"""Span kinds that are a request's work on an instance."""


@dataclass(frozen=True, slots=True)
class LaneState:
    instance: int
    status: str
    """starting, busy or idle."""
    phase: str = ""
    """The cold-start phase under way when starting (a legend kind)."""
    requests: tuple[tuple[int, str], ...] = ()
    """``(request, kind)`` for each request on the instance: cpu, io, bg_cpu, bg_io, or
    ``waiting`` while the instance is still starting."""
    reason: str = ""
    """Why the instance started: cold, prewarm or min_instances."""

    @property
    def concurrency(self) -> int:
        return len(self.requests)


@dataclass(frozen=True, slots=True)
class Frame:
    t: float
    lanes: tuple[LaneState, ...]
    queued: tuple[int, ...]
    counts: dict[str, int]
    meters: Meters | None = None
    recycled: tuple[int, ...] = field(default=())
    """Instances recycled by ``t``."""

    @property
    def in_flight(self) -> int:
        return sum(lane.concurrency for lane in self.lanes)


def state_at(timeline: Timeline, t: float) -> Frame:
    covering = timeline.spans_at(t)
    by_lane: dict[int, list[tuple[int, str]]] = {}
    phase_of: dict[int, str] = {}
    queued = []
    for span in covering:
        if span.lane == QUEUE_LANE:
            if span.request is not None:
                queued.append(span.request)
        elif span.kind in WORK and span.request is not None:
            by_lane.setdefault(span.lane, []).append((span.request, span.kind))
        elif span.kind != "idle":
            phase_of[span.lane] = span.kind
    on_lanes = {lane: tuple(sorted(on)) for lane, on in by_lane.items()}
    return _frame(timeline, t, on_lanes, phase_of, queued)


Requests = tuple[tuple[int, str], ...]
"""``(request, kind)`` pairs, sorted."""


def _frame(
    timeline: Timeline,
    t: float,
    by_lane: dict[int, Requests],
    phase_of: dict[int, str],
    queued: list[int],
) -> Frame:
    """The frame at ``t`` from what the spans covering ``t`` say: each lane's requests and
    what they do (sorted), each lane's cold-start phase (the latest span's), those queued."""
    lanes = []
    recycled = []
    for info in timeline.lanes():
        if info.ended <= t:
            recycled.append(info.id)
            continue
        if info.started > t:
            continue
        on_lane = by_lane.get(info.id, ())
        if t < info.ready:
            waiting = [
                (rid, "waiting") for rid in info.waiting if timeline.requests[rid].assigned <= t
            ]
            lanes.append(
                LaneState(
                    info.id, "starting", phase_of.get(info.id, ""), tuple(waiting), info.reason
                )
            )
            continue
        if not on_lane:
            # a lazily loaded chunk also shows as a phase on a ready instance
            phase = phase_of.get(info.id, "")
            lanes.append(LaneState(info.id, "busy" if phase else "idle", phase, (), info.reason))
            continue
        lanes.append(LaneState(info.id, "busy", phase_of.get(info.id, ""), on_lane, info.reason))
    meters = timeline.meters.at(t) if timeline.meters is not None else None
    return Frame(
        t, tuple(lanes), tuple(sorted(queued)), timeline.counts_at(t), meters, tuple(recycled)
    )


_QUEUED, _WORK, _PHASE, _SKIP = range(4)


class FrameIndex:
    """``state_at(timeline, t)`` for any ``t``, from the timeline's spans as numpy columns.

    Spans are kept in ``timeline.spans`` order (start, then lane) with the latest end so far,
    so the spans covering ``t`` are one slice and one mask; the frame is then assembled as in
    ``state_at`` (the same ``Frame``, checked by tests). A lane whose requests are the same as
    at the last instant asked keeps the same tuple of them: most lanes, from one frame to the
    next, so a frame makes (and frees) a few hundred objects fewer."""

    def __init__(self, timeline: Timeline) -> None:
        spans = timeline.spans
        n = len(spans)
        self.timeline = timeline
        kinds = sorted({s.kind for s in spans})  # by name: sorting by code sorts by name
        code = {kind: i for i, kind in enumerate(kinds)}
        self._kinds = len(kinds)
        self._start = np.fromiter((s.start for s in spans), np.float64, n)
        self._end = np.fromiter((s.end for s in spans), np.float64, n)
        self._lane = np.fromiter((s.lane for s in spans), np.int64, n)
        self._request = np.fromiter(
            (-1 if s.request is None else s.request for s in spans), np.int64, n
        )
        self._kind = np.fromiter((code[s.kind] for s in spans), np.int64, n)
        self._name = np.array(kinds, dtype=object)[self._kind]
        """Each span's kind, the ``str`` itself (``tolist`` gives it back, no look-up)."""
        self._role = np.fromiter((_role(s.lane, s.kind, s.request) for s in spans), np.int8, n)
        self._live = self._role != _SKIP
        self._reach = np.maximum.accumulate(self._end) if n else self._end
        """``_reach[i]``: the latest end of spans ``0..i``; spans before the first that
        reaches past ``t`` all ended by ``t``."""
        self._kept: dict[int, tuple[bytes, Requests]] = {}
        """Each lane's requests at the last instant asked, and what they were made from."""

    def at(self, t: float) -> Frame:
        lo = int(np.searchsorted(self._reach, t, side="right"))
        hi = int(np.searchsorted(self._start, t, side="right"))
        picked = lo + np.flatnonzero((self._end[lo:hi] > t) & self._live[lo:hi])
        role = self._role[picked]
        queued = self._request[picked[role == _QUEUED]].tolist()
        # a lane's phase is its latest span's (spans are in order: later ones overwrite)
        phases = picked[role == _PHASE]
        phase_of = dict(zip(self._lane[phases].tolist(), self._name[phases].tolist(), strict=True))
        return _frame(self.timeline, t, self._requests(picked[role == _WORK]), phase_of, queued)

    def _requests(self, work: np.ndarray) -> dict[int, Requests]:
        """Each lane's ``(request, kind)`` pairs of the spans ``work``, sorted."""
        if not len(work):
            return {}
        lane, request, kind = self._lane[work], self._request[work], self._kind[work]
        order = np.lexsort((kind, request, lane))
        work, lane = work[order], lane[order]
        ids = request[order] * self._kinds + kind[order]
        bounds = [0, *(np.flatnonzero(lane[1:] != lane[:-1]) + 1).tolist(), len(work)]
        out: dict[int, Requests] = {}
        kept = self._kept
        for lane_id, a, b in zip(lane[bounds[:-1]].tolist(), bounds, bounds[1:], strict=False):
            made_of = ids[a:b].tobytes()
            last = kept.get(lane_id)
            if last is None or last[0] != made_of:
                spans = work[a:b]
                pairs = zip(self._request[spans].tolist(), self._name[spans].tolist(), strict=True)
                last = kept[lane_id] = (made_of, tuple(pairs))
            out[lane_id] = last[1]
        return out


def _role(lane: int, kind: str, request: int | None) -> int:
    """What a span covering ``t`` tells ``state_at``: as its branches, in their order."""
    if lane == QUEUE_LANE:
        return _QUEUED if request is not None else _SKIP
    if kind in WORK and request is not None:
        return _WORK
    return _PHASE if kind != "idle" else _SKIP
