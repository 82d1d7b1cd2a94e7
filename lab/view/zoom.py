"""Zoom, separate from speed: how many seconds a lane shows, and the time axis under it.

Playback speed says how fast the clock moves; the zoom (``width``, seconds across the lanes)
says how much of the run one glance holds. A cold start (~0.4 s) needs a window of about a
second whatever the speed; a day of traffic needs hours. Both front ends use::

    from lab.view.zoom import window_for, zoom_in, zoom_out, ticks
    w = window_for(moment)            # a Window that fits the moment, on a 1-2-5 width
    w.start, w.width, w.end
    zoom_in(w.width), zoom_out(w.width)   # the next narrower / wider 1-2-5 width
    ticks(w.start, w.width, 60)       # [Tick(column, t, "1.2 s"), ...] for a 60-column lane
    axis_line(w.start, w.width, 60)   # "0 s       0.5 s     1 s ..." (text for a terminal)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTHS: tuple[float, ...] = tuple(m * 10.0**e for e in range(-3, 6) for m in (1.0, 2.0, 5.0))
"""Zoom widths in seconds, 1-2-5 from 1 ms to 5 x 10^5 s (about 6 days)."""


@dataclass(frozen=True, slots=True)
class Window:
    """A stretch of simulated time shown across the lanes."""

    start: float
    width: float

    @property
    def end(self) -> float:
        return self.start + self.width

    def contains(self, t: float) -> bool:
        return self.start <= t <= self.end

    def column(self, t: float, columns: int) -> int:
        """The column (0..columns-1) where ``t`` is drawn; clipped to the lane."""
        if self.width <= 0 or columns <= 0:
            return 0
        return min(columns - 1, max(0, int((t - self.start) / self.width * columns)))


def nice_width(seconds: float) -> float:
    """The smallest 1-2-5 width that holds ``seconds``."""
    return next((w for w in WIDTHS if w >= seconds * (1 - 1e-9)), WIDTHS[-1])


def zoom_in(width: float) -> float:
    """The next narrower 1-2-5 width (shows less time, more detail)."""
    return next((w for w in reversed(WIDTHS) if w < width * (1 - 1e-9)), WIDTHS[0])


def zoom_out(width: float) -> float:
    """The next wider 1-2-5 width."""
    return next((w for w in WIDTHS if w > width * (1 + 1e-9)), WIDTHS[-1])


def window_for(
    moment: object, pad: float = 0.15, min_width: float = 0.01, run_end: float | None = None
) -> Window:
    """A window that fits ``moment`` (anything with ``start``, ``end`` and ``t``), with a
    margin of ``pad`` of the width on each side, on a 1-2-5 width; it starts at 0 or later."""
    start = float(getattr(moment, "start"))  # noqa: B009 - duck-typed: Moment, Span, ...
    end = float(getattr(moment, "end"))  # noqa: B009
    t = float(getattr(moment, "t", start))
    start, end = min(start, t), max(end, t)
    width = nice_width(max((end - start) * (1 + 2 * pad), min_width))
    left = start - (width - (end - start)) / 2
    left = max(0.0, left)
    if run_end is not None and left + width > run_end:
        left = max(0.0, run_end - width)
    return Window(left, width)


def window_at(t: float, width: float, lead: float = 0.85) -> Window:
    """A window of ``width`` whose clock ``t`` sits ``lead`` of the way across (playback:
    the past to the left, a little of what comes next to the right); never before 0."""
    return Window(max(0.0, t - width * lead), width)


@dataclass(frozen=True, slots=True)
class Tick:
    column: int
    t: float
    label: str


def unit_for(width: float) -> tuple[str, float]:
    """The unit a window of ``width`` seconds is labelled in: ``("ms", 1000)``, ``("s", 1)``,
    ``("min", 1/60)`` or ``("h", 1/3600)``."""
    if width < 2:
        return "ms", 1000.0
    if width < 300:
        return "s", 1.0
    if width < 3 * 3600:
        return "min", 1 / 60
    return "h", 1 / 3600


def tick_step(width: float, columns: int, min_gap: int = 10, at: float = 0.0) -> float:
    """Seconds between ticks: 1-2-5 in the unit the labels use (so an hour-wide axis ticks on
    whole minutes, a day on whole hours), leaving at least ``min_gap`` columns between labels.
    ``at``: where the window ends (labels late in a run are wider)."""
    if width <= 0 or columns <= 0:
        return 1.0
    _unit, scale = _label_unit(width, at)
    least = width * min_gap / columns * scale
    exponent = math.floor(math.log10(least)) if least > 0 else 0
    for e in (exponent, exponent + 1):
        for m in (1.0, 2.0, 5.0):
            if m * 10.0**e >= least * (1 - 1e-9):
                return m * 10.0**e / scale
    return 10.0 ** (exponent + 2) / scale


def _label_unit(width: float, t: float) -> tuple[str, float]:
    """The unit of the window's width, except that a narrow window late in a run is labelled
    in seconds (``195.3 s`` rather than ``195300 ms``)."""
    unit, scale = unit_for(width)
    if unit == "ms" and abs(t) >= 10:
        return "s", 1.0
    return unit, scale


def label(t: float, width: float, step: float | None = None) -> str:
    """``t`` as a tick reads: in the unit of the larger of the window's width and ``t`` itself
    (so ticks late in a long run read ``195.3 s``, not ``195300 ms``), with the decimals the
    tick ``step`` needs: ``250 ms``, ``1.5 s``, ``12 min``."""
    unit, scale = _label_unit(width, t)
    value = t * scale
    if step is not None and step > 0:
        decimals = max(0, -math.floor(math.log10(step * scale) + 1e-9))
        text = f"{value:.{decimals}f}"
    else:
        text = f"{value:.3f}".rstrip("0").rstrip(".")
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return f"{text} {unit}"


def ticks(start: float, width: float, columns: int, min_gap: int = 10) -> list[Tick]:
    """Tick marks for a lane ``columns`` wide showing ``[start, start + width]``."""
    if width <= 0 or columns <= 0:
        return []
    end = start + width
    gap = max(min_gap, len(label(end, width, width / 10)) + 2)
    step = tick_step(width, columns, gap, end)
    first = math.ceil(start / step - 1e-9)
    out: list[Tick] = []
    k = first
    while True:
        t = k * step
        if t > start + width + 1e-12:
            break
        column = round((t - start) / width * columns)
        if column < columns:
            out.append(Tick(column, t, label(t, width, step)))
        k += 1
    return out


def axis_line(start: float, width: float, columns: int, clear: int | None = None) -> str:
    """A text ruler ``columns`` wide: ``╵`` at each tick followed by its label, when it fits;
    no label over column ``clear`` (where a front end marks the clock)."""
    cells = [" "] * columns
    for tick in ticks(start, width, columns):
        text = "╵" + tick.label
        if clear is not None and tick.column <= clear < tick.column + len(text):
            text = "╵" if clear != tick.column else ""
            if not text:
                continue
        if tick.column + len(text) > columns or any(
            c != " " for c in cells[max(0, tick.column - 1) : tick.column + len(text)]
        ):
            if 0 <= tick.column < columns and cells[tick.column] == " ":
                cells[tick.column] = "╵"
            continue
        cells[tick.column : tick.column + len(text)] = text
    return "".join(cells)
