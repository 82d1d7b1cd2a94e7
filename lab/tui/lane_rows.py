"""Lane rows as Strips, cached by what they show, and which rows a new frame changed.

A lane row is its label (instance, status, requests on it, cursor) and its cells (a row of a
``Raster``). As the clock moves, most rows look exactly as they did a frame ago: the window
slides by a fraction of a cell, and a lane that streams for seconds keeps the same marks. So
a row's Strip is kept in an LRU keyed by what it shows (as toolong's ``log_lines.py`` keeps
the Strips of log lines), built only for rows not seen before, and a frame tells Textual to
repaint only the rows whose key changed: unchanged rows keep their styled, composited lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from textual.cache import LRUCache
from textual.strip import Strip

from lab.tui.raster import Raster, raster_segments

LabelKey = tuple[int, str, int, bool]
"""``(lane, status, requests in flight, cursor)``: everything a row's label shows."""
RowKey = tuple[LabelKey, int, bytes]
"""A label, the strip's width and the row's cells: two rows with equal keys look alike."""
View = tuple[int, int, int, bool, int]
"""``(scroll y, height, width, focused, rows)``: rows drawn for one view are comparable."""
CACHE_SIZE = 2048
"""Strips kept per lane view: a few frames of every visible row, more than enough to hold
the rows of lanes that did not change."""


class LaneRows:
    """The rows of one lane view: keys for the current frame, Strips from a shared LRU."""

    def __init__(
        self, label: Callable[[LabelKey], Strip], label_width: int, size: int = CACHE_SIZE
    ) -> None:
        self._label = label
        self._label_width = label_width
        self._strips: LRUCache[RowKey, Strip] = LRUCache(size)
        self._raster: Raster | None = None
        self._cells = np.zeros((0, 0), dtype=np.int16)
        self._drawn: dict[int, RowKey] | None = None
        self._view: View | None = None

    def set_raster(self, raster: Raster) -> None:
        """This frame's cells; a row's key is its codes and counts, one int16 per cell."""
        self._raster = raster
        self._cells = raster.codes.astype(np.int16) * 16 + raster.shown.astype(np.int16)

    def key(self, row: int, label: LabelKey, width: int) -> RowKey:
        return (label, width, self._cells[row].tobytes())

    def strip(self, key: RowKey) -> Strip | None:
        """The Strip for ``key``, or None if not built (or no longer cached)."""
        return self._strips.get(key)

    def build(self, rows: dict[int, RowKey]) -> None:
        """Make the Strips of ``rows`` not cached yet, in one numpy pass for all of them."""
        missing = [(row, key) for row, key in rows.items() if key not in self._strips]
        if not missing or self._raster is None:
            return
        picked = np.fromiter((row for row, _ in missing), dtype=np.int64, count=len(missing))
        bodies = raster_segments(self._raster.codes[picked], self._raster.shown[picked])
        cells = self._raster.codes.shape[1]
        for (_, key), body in zip(missing, bodies, strict=True):
            label, width, _ = key
            strip = Strip([*self._label(label), *body], self._label_width + cells)
            self._strips[key] = strip.crop(0, width)

    def changed(self, keys: dict[int, RowKey], view: View) -> Iterable[int] | None:
        """The rows of ``keys`` that differ from the last drawn, or None if every row must be
        drawn (nothing drawn yet for this view); ``keys`` become the rows drawn."""
        drawn, self._drawn = self._drawn, keys
        same_view, self._view = self._view == view, view
        if drawn is None or not same_view:
            return None
        return [row for row, key in keys.items() if drawn.get(row) != key]

    def forget_drawn(self) -> None:
        """The whole view is being repainted for another reason (focus, size, cursor)."""
        self._drawn = None
