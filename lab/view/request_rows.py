"""Each request on an instance as its own thin row: which row (slot) every request's spans go on.

A fluid instance serves many requests at once; drawn as one band per instance, nine overlapping
requests look like one. Here every request gets a slot on its instance, the lowest one free
when it got there (interval colouring, as a calendar stacks meetings), so requests that
overlap never share a row and a row is reused once its request has finished. The web charts
draw the slot as a sub-row of the instance (``yOffset``); CPU slivers and I/O waits of each
request then show side by side. Pure, no UI: front ends and tests call it alike.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from lab.view.timeline import Span

REQUEST_KINDS = frozenset({"cpu", "io", "bg_cpu", "bg_io"})
"""Span kinds that belong to one request (the rest, cold-start phases, idle and queue time,
belong to the instance and span its whole band)."""


@dataclass(frozen=True, slots=True)
class Slots:
    of: dict[tuple[int, int], int]
    """``(lane, request) -> slot``, 0 at the top of the instance's band."""
    depth: dict[int, int]
    """Rows each lane needs (its most requests at once, at least 1)."""

    @property
    def most(self) -> int:
        return max(self.depth.values(), default=1)


def request_slots(spans: Sequence[Span]) -> Slots:
    """A slot for every request that has work spans on a lane, no two overlapping requests on
    one slot of the same lane."""
    extent: dict[tuple[int, int], list[float]] = {}
    for s in spans:
        if s.request is None or s.kind not in REQUEST_KINDS:
            continue
        key = (s.lane, s.request)
        if key in extent:
            extent[key][0] = min(extent[key][0], s.start)
            extent[key][1] = max(extent[key][1], s.end)
        else:
            extent[key] = [s.start, s.end]
    by_lane: dict[int, list[tuple[float, float, int]]] = {}
    for (lane, request), (start, end) in extent.items():
        by_lane.setdefault(lane, []).append((start, end, request))
    of: dict[tuple[int, int], int] = {}
    depth: dict[int, int] = {}
    for lane, items in by_lane.items():
        items.sort()
        busy: list[tuple[float, int]] = []  # (ends at, slot) of the requests still on the lane
        free: list[int] = []
        used = 0
        for start, end, request in items:
            while busy and busy[0][0] <= start:
                heapq.heappush(free, heapq.heappop(busy)[1])
            if free:
                slot = heapq.heappop(free)
            else:
                slot, used = used, used + 1
            of[(lane, request)] = slot
            heapq.heappush(busy, (end, slot))
        depth[lane] = max(used, 1)
    return Slots(of, depth)


def most_at_once(spans: Sequence[Span], lane: int) -> int:
    """The most requests with work on ``lane`` at the same instant (what the slots must hold)."""
    return request_slots([s for s in spans if s.lane == lane]).depth.get(lane, 0)
