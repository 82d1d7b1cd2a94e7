"""The arrival strip: every request as a mark at the moment it arrived, shaped by its fate.

A request's mark says what had happened to it by the clock's time: still being routed, queued,
served warm, started an instance (cold), joined a starting one, rejected, or timed out. The
arrays are built once per timeline so a frame costs two binary searches and a few numpy ops.
"""

from __future__ import annotations

import math

import numpy as np
from rich.style import Style
from textual.strip import Strip

from lab.tui.raster import text_strip
from lab.view import OUTCOMES, Timeline

MARKS: tuple[tuple[str, str], ...] = (
    ("arriving", "•"),
    ("warm", OUTCOMES["warm"].glyph),
    ("joined", OUTCOMES["joined"].glyph),
    ("cold", OUTCOMES["cold"].glyph),
    ("queued", "q"),
    ("timed_out", OUTCOMES["timed_out"].glyph),
    ("rejected", OUTCOMES["rejected"].glyph),
)
"""Low to high priority within one cell."""
_START = {"warm": 1, "joined": 2, "cold": 3}
_COLORS = {
    "arriving": "#d4d4d4",
    "queued": "#edc948",
    **{k: v.color for k, v in OUTCOMES.items()},
}
STYLES = [Style(color=_COLORS[name], bold=name != "arriving") for name, _ in MARKS]


class ArrivalIndex:
    """Per-request arrays sorted by arrival time."""

    def __init__(self, timeline: Timeline) -> None:
        reqs = sorted(timeline.requests.values(), key=lambda r: r.arrived)
        inf = math.inf
        self.arrived = np.array([r.arrived for r in reqs], dtype=np.float64)
        self.assigned = np.array([r.assigned for r in reqs], dtype=np.float64)
        self.queued = np.array([r.queued for r in reqs], dtype=np.float64)
        self.start = np.array([_START.get(r.start, 1) for r in reqs], dtype=np.int8)
        self.timed_out = np.array(
            [r.ended if r.outcome == "timed_out" else inf for r in reqs], dtype=np.float64
        )
        self.rejected = np.array(
            [r.ended if r.outcome == "rejected" else inf for r in reqs], dtype=np.float64
        )

    def marks(self, t0: float, t1: float, width: int, now: float | None = None) -> np.ndarray:
        """Per column, the highest-priority mark index (or -1) of arrivals in ``[t0, t1]`` up
        to ``now`` (default ``t1``), each as it stood at ``now``."""
        out = np.full(max(width, 0), -1, dtype=np.int8)
        if width <= 0 or t1 <= t0:
            return out
        t = t1 if now is None else min(now, t1)
        lo, hi = np.searchsorted(self.arrived, [t0, t], side="right")
        if hi <= lo:
            return out
        sl = slice(lo, hi)
        mark = np.zeros(hi - lo, dtype=np.int8)
        mark = np.where(self.queued[sl] <= t, 4, mark)
        mark = np.where(self.assigned[sl] <= t, self.start[sl], mark)
        mark = np.where(self.timed_out[sl] <= t, 5, mark)
        mark = np.where(self.rejected[sl] <= t, 6, mark)
        cols = np.clip(((self.arrived[sl] - t0) / (t1 - t0) * width).astype(np.int64), 0, width - 1)
        np.maximum.at(out, cols, mark)
        return out


def arrival_strip(marks: np.ndarray, label: str, label_style: Style) -> Strip:
    """The label, then a run of marks per stretch of equal ones (segments merged as
    ``Strip.simplify`` merges them: the same strip as a segment per cell, made faster)."""
    parts: list[tuple[str, Style]] = [(label, label_style)]
    blank = Style()
    if len(marks):
        starts = np.flatnonzero(np.diff(marks, prepend=marks[0] - 1))
        lengths = np.diff(starts, append=len(marks)).tolist()
        for m, n in zip(marks[starts].tolist(), lengths, strict=True):
            parts.append((" " * n, blank) if m < 0 else (MARKS[m][1] * n, STYLES[m]))
    return text_strip(parts, len(label) + len(marks)).simplify()
