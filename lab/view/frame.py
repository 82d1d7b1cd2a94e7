"""What to draw at one instant: ``state_at(timeline, t)``, a pure function of the run.

A ``Frame`` holds, for every instance alive at ``t``, its status (starting and in which phase,
busy, idle) and the requests on it with what each is doing (cpu, io, background, waiting for
the cold start); plus the queue, the counts so far and the meters. Front ends draw frames;
tests assert on them without any UI.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lab.view.meters import Meters
from lab.view.timeline import QUEUE_LANE, Timeline


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
        elif span.kind in {"cpu", "io", "bg_cpu", "bg_io"} and span.request is not None:
            by_lane.setdefault(span.lane, []).append((span.request, span.kind))
        elif span.kind != "idle":
            phase_of[span.lane] = span.kind
    lanes = []
    recycled = []
    for info in timeline.lanes():
        if info.ended <= t:
            recycled.append(info.id)
            continue
        if info.started > t:
            continue
        on_lane = by_lane.get(info.id, [])
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
        lanes.append(
            LaneState(
                info.id, "busy", phase_of.get(info.id, ""), tuple(sorted(on_lane)), info.reason
            )
        )
    meters = timeline.meters.at(t) if timeline.meters is not None else None
    return Frame(
        t, tuple(lanes), tuple(sorted(queued)), timeline.counts_at(t), meters, tuple(recycled)
    )
