"""View-model shared by every front end: what to draw for a run at a time ``t``.

    from lab.view import build_timeline, state_at
    timeline = build_timeline(result.models["fluid"])   # a ModelResult with events kept
    frame = state_at(timeline, 12.5)                     # lanes, queue, counts, meters at 12.5 s
    timeline.spans_between(10, 20)                        # spans to draw in a window
    timeline.meters.at(12.5)                              # bill so far, p50/p99, instances...

Pure functions of the event stream: no platform logic, no UI imports.
"""

from lab.view.frame import Frame, LaneState, state_at
from lab.view.legend import COLD_START_PHASES, LEGEND, OUTCOMES, Look, look
from lab.view.meters import Meters, MeterTrack
from lab.view.timeline import (
    QUEUE_LANE,
    InstanceInfo,
    RequestInfo,
    Span,
    Timeline,
    build_timeline,
)

__all__ = [
    "COLD_START_PHASES",
    "LEGEND",
    "OUTCOMES",
    "QUEUE_LANE",
    "Frame",
    "InstanceInfo",
    "LaneState",
    "Look",
    "MeterTrack",
    "Meters",
    "RequestInfo",
    "Span",
    "Timeline",
    "build_timeline",
    "look",
    "state_at",
]
