"""View-model shared by every front end: what to draw for a run at a time ``t``.

    from lab.view import build_timeline, state_at
    timeline = build_timeline(result.models["fluid"])   # a ModelResult with events kept
    frame = state_at(timeline, 12.5)                     # lanes, queue, counts, meters at 12.5 s
    timeline.spans_between(10, 20)                        # spans to draw in a window
    timeline.meters.at(12.5)                              # bill so far, p50/p99, instances...

    from lab.view import run_moments, next_moment, follow, window_for
    moments = run_moments(result)                         # cold starts, cache hits, overlap...
    m = next_moment(moments, t, kind="cache_hit")         # what a "next" key or button jumps to
    window = window_for(m)                                # zoom (seconds across), not speed
    follow(result.models["fluid"], timeline, request=12)  # one request's path and bill share

See ``lab.view.moments``, ``lab.view.zoom`` and ``lab.view.follow`` for the details.

Pure functions of the event stream: no platform logic, no UI imports.
"""

from lab.view.follow import RequestPath, Step, follow
from lab.view.frame import Frame, LaneState, state_at
from lab.view.legend import COLD_START_PHASES, LEGEND, OUTCOMES, Look, look
from lab.view.meters import Meters, MeterTrack
from lab.view.moments import (
    MOMENT_KINDS,
    Moment,
    Phase,
    best_moment,
    find_moments,
    first_moment,
    next_moment,
    previous_moment,
    run_moments,
)
from lab.view.timeline import (
    QUEUE_LANE,
    InstanceInfo,
    RequestInfo,
    Span,
    Timeline,
    build_timeline,
)
from lab.view.zoom import Window, axis_line, ticks, window_at, window_for, zoom_in, zoom_out

__all__ = [
    "COLD_START_PHASES",
    "LEGEND",
    "MOMENT_KINDS",
    "OUTCOMES",
    "QUEUE_LANE",
    "Frame",
    "InstanceInfo",
    "LaneState",
    "Look",
    "MeterTrack",
    "Meters",
    "Moment",
    "Phase",
    "RequestInfo",
    "RequestPath",
    "Span",
    "Step",
    "Timeline",
    "Window",
    "axis_line",
    "best_moment",
    "build_timeline",
    "find_moments",
    "first_moment",
    "follow",
    "look",
    "next_moment",
    "previous_moment",
    "run_moments",
    "state_at",
    "ticks",
    "window_at",
    "window_for",
    "zoom_in",
    "zoom_out",
]
