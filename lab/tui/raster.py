"""Spans in a time window -> terminal cells: one row per lane, one column per time slice.

Pure drawing arithmetic (numpy, no Textual). A cell shows:

* a cold-start phase if any touches its slice (they are short and they are the story);
* otherwise the request work that filled most of the slice — CPU, I/O wait, background — so
  a streaming request reads as mostly I/O wait, as it is; with two or more requests in flight
  at the slice's middle, their number, on the colour of that work (requests overlapping on
  one Fluid instance);
* otherwise idle keep-alive, or nothing.

What happened comes from ``lab.view``; this module only decides which character goes where.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from lab.view import LEGEND, OUTCOMES, Span

PRIORITY: tuple[str, ...] = (
    "idle",
    "bg_io",
    "io",
    "bg_cpu",
    "cpu",
    "queued",
    "provision",
    "runtime_init",
    "module_init",
    "cache_load",
    "compile",
)
"""Low to high: when several kinds touch one cell, the later one is drawn."""
CODE = {kind: i for i, kind in enumerate(PRIORITY)}
REQUEST_KINDS = frozenset({"cpu", "io", "bg_cpu", "bg_io", "queued"})
EMPTY = -1
TIMEOUT = 100
RECYCLED = 101
FAILED = 102
MARKERS = {TIMEOUT: "timed_out", RECYCLED: "recycled", FAILED: "failed"}


@dataclass(slots=True)
class Raster:
    """``codes[row, col]``: a ``PRIORITY`` index, ``EMPTY`` or a marker; ``counts``: requests
    in flight at the middle of the cell."""

    codes: np.ndarray
    counts: np.ndarray


def raster(spans: Sequence[Span], rows: dict[int, int], t0: float, t1: float, width: int) -> Raster:
    """Lay ``spans`` (lane -> row via ``rows``; other lanes are skipped) over ``width`` columns
    covering ``[t0, t1)``."""
    n_rows = max(len(rows), 1)
    codes = np.full((n_rows, max(width, 1)), EMPTY, dtype=np.int16)
    counts = np.zeros((n_rows, max(width, 1)), dtype=np.int32)
    if not spans or width <= 0 or t1 <= t0:
        return Raster(codes, counts)
    picked = [s for s in spans if s.lane in rows and s.kind in CODE]
    if not picked:
        return Raster(codes, counts)
    dt = (t1 - t0) / width
    row = np.fromiter((rows[s.lane] for s in picked), dtype=np.int64, count=len(picked))
    start = np.fromiter((s.start for s in picked), dtype=np.float64, count=len(picked))
    end = np.fromiter((s.end for s in picked), dtype=np.float64, count=len(picked))
    kind = np.fromiter((CODE[s.kind] for s in picked), dtype=np.int64, count=len(picked))
    is_req = np.fromiter(
        (s.kind in REQUEST_KINDS for s in picked), dtype=np.bool_, count=len(picked)
    )
    x0 = np.clip((start - t0) / dt, 0, width)
    x1 = np.clip((end - t0) / dt, 0, width)
    visible = ((end - t0) / dt > 0) & ((start - t0) / dt < width)
    n_kinds = len(PRIORITY)
    # how much of each cell each kind covers (in cells; overlapping requests add up)
    c0 = np.minimum(np.floor(x0), width - 1).astype(np.int64)
    c1 = np.minimum(np.floor(x1), width - 1).astype(np.int64)
    last = np.where(x1 >= width, width, c1)
    base = (kind * n_rows + row) * (width + 1)
    cover = np.zeros(n_kinds * n_rows * (width + 1), dtype=np.float64)
    full = np.zeros_like(cover)
    same = visible & (c0 == last)
    np.add.at(cover, (base + c0)[same], np.maximum(x1 - x0, 1e-6)[same])
    split = visible & (c0 != last)
    np.add.at(cover, (base + c0)[split], (c0 + 1 - x0)[split])
    tail = split & (last < width)
    np.add.at(cover, (base + last)[tail], (x1 - last)[tail])
    np.add.at(full, (base + c0 + 1)[split], 1.0)
    np.add.at(full, (base + last)[split], -1.0)
    cover = cover.reshape(n_kinds, n_rows, width + 1)
    cover += np.cumsum(full.reshape(n_kinds, n_rows, width + 1), axis=2)
    cover = cover[:, :, :width]
    phases = np.array([k not in REQUEST_KINDS and k != "idle" for k in PRIORITY])
    work = np.array([k in REQUEST_KINDS for k in PRIORITY])
    codes = np.full((n_rows, width), EMPTY, dtype=np.int16)
    codes[cover[CODE["idle"]] > 0] = CODE["idle"]
    work_cover = np.where(work[:, None, None], cover, 0.0)
    busy = work_cover.max(axis=0) > 0
    codes[busy] = work_cover.argmax(axis=0)[busy]
    phase_weights = np.where(phases, np.arange(1, n_kinds + 1), 0)[:, None, None]
    phase_code = ((cover > 0) * phase_weights).max(axis=0)
    codes[phase_code > 0] = phase_code[phase_code > 0] - 1
    x0 = (start - t0) / dt
    x1 = (end - t0) / dt
    # requests in flight at each cell's midpoint
    m0 = np.clip(np.ceil(x0 - 0.5), 0, width).astype(np.int64)
    m1 = np.clip(np.ceil(x1 - 0.5), 0, width).astype(np.int64)
    sel = is_req & visible & (m1 > m0)
    cdiff = np.zeros((n_rows, width + 1), dtype=np.int32)
    cflat = cdiff.reshape(-1)
    np.add.at(cflat, row[sel] * (width + 1) + m0[sel], 1)
    np.add.at(cflat, row[sel] * (width + 1) + m1[sel], -1)
    counts = np.cumsum(cdiff, axis=1)[:, :width]
    return Raster(codes, counts)


def column(t: float, t0: float, t1: float, width: int) -> int | None:
    """The column of instant ``t``, or None outside the window."""
    if t < t0 or t > t1 or width <= 0:
        return None
    return min(int((t - t0) / (t1 - t0) * width), width - 1)


# --- cells -> strips -----------------------------------------------------------------------


@lru_cache(maxsize=512)
def _style(color: str, on: str | None = None, bold: bool = False) -> Style:
    return Style.parse(f"{'bold ' if bold else ''}{color}{' on ' + on if on else ''}")


def _cell(code: int, count: int) -> tuple[str, Style]:
    if code == EMPTY:
        return " ", _style("default")
    if code >= TIMEOUT:
        look = OUTCOMES[MARKERS[code]]
        return look.glyph, _style(look.color, bold=True)
    look = LEGEND[PRIORITY[code]]
    if count >= 2:
        digit = str(count) if count < 10 else "+"
        return digit, _style("#000000", look.color, bold=True)
    return look.glyph, _style(look.color)


def row_strip(codes: np.ndarray, counts: np.ndarray, highlight: Style | None = None) -> Strip:
    """One lane's cells as a Strip, consecutive equal cells merged into one segment."""
    segments: list[Segment] = []
    text: list[str] = []
    current: Style | None = None
    for code, count in zip(codes.tolist(), counts.tolist(), strict=True):
        char, style = _cell(code, count if code in _COUNTED else 0)
        if style is not current:
            if text and current is not None:
                segments.append(Segment("".join(text), _apply(current, highlight)))
            text, current = [], style
        text.append(char)
    if text and current is not None:
        segments.append(Segment("".join(text), _apply(current, highlight)))
    return Strip(segments, len(codes))


_COUNTED = frozenset(CODE[k] for k in REQUEST_KINDS)


def _apply(style: Style, highlight: Style | None) -> Style:
    return style if highlight is None else highlight + style


def text_strip(parts: Sequence[tuple[str, Style]], width: int) -> Strip:
    """A strip from ``(text, style)`` parts, padded or cropped to ``width``."""
    strip = Strip([Segment(text, style) for text, style in parts])
    return strip.adjust_cell_length(width) if strip.cell_length != width else strip
