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

    @property
    def shown(self) -> np.ndarray:
        """The count drawn in each cell: 2-10 where requests overlap on work, else 0."""
        overlap = _IS_COUNTED[np.maximum(self.codes, 0)] & (self.codes >= 0) & (self.counts >= 2)
        return np.where(overlap, np.minimum(self.counts, 10), 0)


@dataclass(slots=True)
class SpanArrays:
    """A timeline's spans as columns (built once per run), for window queries in numpy."""

    lane: np.ndarray
    start: np.ndarray
    end: np.ndarray
    kind: np.ndarray
    """``CODE`` of the span's kind (spans of other kinds are left out)."""
    request: np.ndarray | None = None
    """The request of each span (-1: none), for one row per request on an instance."""
    reach: np.ndarray | None = None
    """``reach[i]``: the latest end of spans ``0..i``, so a window skips the spans that all
    ended before it without looking at them (found on first use)."""

    @classmethod
    def of(cls, spans: Sequence[Span]) -> SpanArrays:
        picked = [
            (s.lane, s.start, s.end, CODE[s.kind], -1 if s.request is None else s.request)
            for s in spans
            if s.kind in CODE
        ]
        if not picked:
            empty = np.zeros(0)
            ints = empty.astype(np.int64)
            return cls(ints, empty, empty, ints, ints)
        lane, start, end, kind, request = zip(*picked, strict=True)
        order = np.argsort(np.asarray(start), kind="stable")
        return cls(
            np.asarray(lane, dtype=np.int64)[order],
            np.asarray(start, dtype=np.float64)[order],
            np.asarray(end, dtype=np.float64)[order],
            np.asarray(kind, dtype=np.int64)[order],
            np.asarray(request, dtype=np.int64)[order],
        )

    def between(self, t0: float, t1: float) -> SpanArrays:
        """Spans overlapping ``[t0, t1]`` (instants at ``t0`` included)."""
        hi = int(self.start.searchsorted(t1, side="right"))
        if self.reach is None:
            self.reach = np.maximum.accumulate(self.end) if len(self.end) else self.end
        lo = min(int(self.reach.searchsorted(t0, side="left")), hi)
        start, end = self.start[lo:hi], self.end[lo:hi]
        keep = (end > t0) | ((end == t0) & (start == t0))
        request = None if self.request is None else self.request[lo:hi][keep]
        return SpanArrays(
            self.lane[lo:hi][keep], start[keep], end[keep], self.kind[lo:hi][keep], request
        )

    def has_lane(self, lane: int) -> bool:
        return bool((self.lane == lane).any())

    def clipped(self, t: float) -> SpanArrays:
        """The same spans cut at ``t`` (a held window drawn up to the clock)."""
        return SpanArrays(self.lane, self.start, np.minimum(self.end, t), self.kind, self.request)

    def requests_on(self, lanes: list[int]) -> dict[int, list[int]]:
        """For each of ``lanes``, the requests with work (cpu, io, background) here, by id."""
        if self.request is None or not len(self.lane) or not lanes:
            return {}
        work = _IS_WORK[self.kind] & (self.request >= 0) & (self.lane >= 0)
        if not work.any():
            return {}
        keys = np.unique(self.lane[work] * (1 << 32) + self.request[work])  # lane, then request
        wanted = set(lanes)
        out: dict[int, list[int]] = {}
        for lane, rid in zip((keys >> 32).tolist(), (keys & 0xFFFFFFFF).tolist(), strict=True):
            if lane in wanted:
                out.setdefault(lane, []).append(rid)
        return out

    def with_request_rows(self, rows: dict[tuple[int, int], int]) -> SpanArrays:
        """These spans plus a copy of each span of a ``(lane, request)`` in ``rows``, on the
        lane ``rows[(lane, request)]`` (a row of its own under its instance)."""
        if self.request is None or not rows or not len(self.lane):
            return self
        key = self.lane * 1_000_003 + self.request
        wanted = np.fromiter((la * 1_000_003 + r for la, r in rows), np.int64, len(rows))
        virtual = np.fromiter(rows.values(), np.int64, len(rows))
        order = np.argsort(wanted)
        pos = np.clip(np.searchsorted(wanted[order], key), 0, len(wanted) - 1)
        hit = (wanted[order][pos] == key) & (self.request >= 0)
        if not hit.any():
            return self
        lanes = virtual[order][pos[hit]]
        return SpanArrays(
            np.concatenate([self.lane, lanes]),
            np.concatenate([self.start, self.start[hit]]),
            np.concatenate([self.end, self.end[hit]]),
            np.concatenate([self.kind, self.kind[hit]]),
            np.concatenate([self.request, self.request[hit]]),
        )


_IS_REQUEST = np.array([k in REQUEST_KINDS for k in PRIORITY])
_IS_COUNTED = np.zeros(max(TIMEOUT, RECYCLED, FAILED) + 1, dtype=bool)
_IS_COUNTED[: len(PRIORITY)] = _IS_REQUEST
_IS_PHASE = np.array([k not in REQUEST_KINDS and k != "idle" for k in PRIORITY])
_IS_WORK = np.array([k in REQUEST_KINDS and k != "queued" for k in PRIORITY])
_ON_CORE = np.zeros(len(_IS_COUNTED), dtype=bool)
_ON_CORE[[CODE["cpu"], CODE["bg_cpu"]]] = True
_IDLE = CODE["idle"]


def raster(
    spans: Sequence[Span] | SpanArrays,
    rows: dict[int, int],
    t0: float,
    t1: float,
    width: int,
    n_rows: int | None = None,
) -> Raster:
    """Lay ``spans`` (lane -> row via ``rows``; other lanes are skipped) over ``width`` columns
    covering ``[t0, t1)``; ``n_rows``: rows in all (default: as many as ``rows`` names)."""
    n_rows = max(len(rows) if n_rows is None else n_rows, max(rows.values(), default=-1) + 1, 1)
    codes = np.full((n_rows, max(width, 1)), EMPTY, dtype=np.int16)
    counts = np.zeros((n_rows, max(width, 1)), dtype=np.int64)
    arrays = spans if isinstance(spans, SpanArrays) else SpanArrays.of(spans)
    if not len(arrays.start) or width <= 0 or t1 <= t0 or not rows:
        return Raster(codes, counts)
    row_all = _rows_of(arrays.lane, rows)
    dt = (t1 - t0) / width
    xs0 = (arrays.start - t0) / dt
    xs1 = (arrays.end - t0) / dt
    keep = (row_all >= 0) & (xs1 > 0) & (xs0 < width)
    row, code, raw0, raw1 = row_all, arrays.kind, xs0, xs1
    if not keep.all():  # (a window's spans are usually all drawn)
        row, code, raw0, raw1 = row[keep], code[keep], raw0[keep], raw1[keep]
    # (ufuncs rather than np.clip and friends: their Python wrappers cost more than the work)
    x0 = np.minimum(np.maximum(raw0, 0), width)
    x1 = np.minimum(np.maximum(raw1, 0), width)
    # one layer per kind present (a window rarely holds more than a few of the kinds)
    present = np.flatnonzero(np.bincount(code, minlength=len(PRIORITY)))
    layer_of = np.zeros(len(PRIORITY), dtype=np.int64)
    layer_of[present] = np.arange(len(present))
    layers = len(present)
    size = layers * n_rows * (width + 1)
    # how much of each cell each kind covers (in cells; overlapping requests add up)
    c0 = np.minimum(np.floor(x0), width - 1).astype(np.int64)
    c1 = np.minimum(np.floor(x1), width - 1).astype(np.int64)
    last = np.where(x1 >= width, width, c1)
    base = (layer_of[code] * n_rows + row) * (width + 1)
    same = c0 == last
    split = ~same
    tail = split & (last < width)
    idx = np.concatenate([(base + c0)[same], (base + c0)[split], (base + last)[tail]])
    amount = np.concatenate(
        [np.maximum(x1 - x0, 1e-6)[same], (c0 + 1 - x0)[split], (x1 - last)[tail]]
    )
    cover = np.bincount(idx, weights=amount, minlength=size)
    full = np.bincount((base + c0 + 1)[split], minlength=size) - np.bincount(
        (base + last)[split], minlength=size
    )
    cover = cover.reshape(layers, n_rows, width + 1)
    cover += full.reshape(layers, n_rows, width + 1).cumsum(axis=2)
    touched = cover[:, :, :width] > 0
    kinds = present.tolist()
    if _IDLE in kinds:
        codes[touched[kinds.index(_IDLE)]] = _IDLE
    work = [i for i, k in enumerate(kinds) if _IS_REQUEST[k]]
    if work:  # the request work that fills most of the cell (the first kind on a tie)
        work_cover = cover[work, :, :width]
        busy = touched[work].any(axis=0)
        codes[busy] = present[work][work_cover.argmax(axis=0)][busy]
    phases = [i for i, k in enumerate(kinds) if _IS_PHASE[k]]
    if phases:  # phases over work: the phase that fills most of the cell
        phase_cover = cover[phases, :, :width]
        marked = touched[phases].any(axis=0)
        codes[marked] = present[phases][phase_cover.argmax(axis=0)][marked]
        _keep_every_phase(codes, row, code, x0, x1, width)
    # requests in flight at each cell's midpoint
    m0 = np.minimum(np.maximum(np.ceil(raw0 - 0.5), 0), width).astype(np.int64)
    m1 = np.minimum(np.maximum(np.ceil(raw1 - 0.5), 0), width).astype(np.int64)
    sel = _IS_REQUEST[code] & (m1 > m0)
    flat = n_rows * (width + 1)
    cdiff = np.bincount(row[sel] * (width + 1) + m0[sel], minlength=flat) - np.bincount(
        row[sel] * (width + 1) + m1[sel], minlength=flat
    )
    counts = cdiff.reshape(n_rows, width + 1).cumsum(axis=1)[:, :width]
    return Raster(codes, counts)


MAX_PHASE_FIXES = 400
"""At most this many cold-start phase spans per window are checked to show their own mark."""


def _keep_every_phase(
    codes: np.ndarray, row: np.ndarray, code: np.ndarray, x0: np.ndarray, x1: np.ndarray, width: int
) -> None:
    """A phase shorter than a cell can lose every cell it touches to a longer neighbour
    (module init after a long code load): give it one cell of its own, one its neighbour can
    spare, so each phase of a cold start keeps its mark."""
    is_phase = _IS_PHASE[code]
    if not is_phase.any():
        return
    picked = np.flatnonzero(is_phase)[:MAX_PHASE_FIXES]
    for i in picked.tolist():
        r, k = int(row[i]), int(code[i])
        c0 = min(int(x0[i]), width - 1)
        c1 = min(max(int(np.ceil(x1[i])) - 1, c0), width - 1)
        cells = codes[r, c0 : c1 + 1]
        if (cells == k).any():
            continue
        for c in (c1, c0, min(c1 + 1, width - 1)):
            other = int(codes[r, c])
            if other == EMPTY or not _is_phase_code(other):
                codes[r, c] = k
                break
            if int((codes[r, max(0, c - 3) : c + 4] == other).sum()) > 1:
                codes[r, c] = k  # the neighbour keeps another cell
                break


def _is_phase_code(value: int) -> bool:
    return 0 <= value < len(PRIORITY) and bool(_IS_PHASE[value])


def _rows_of(lanes: np.ndarray, rows: dict[int, int]) -> np.ndarray:
    """Each span's row (-1: its lane has none), through a table when lane ids are compact
    (instance ids count up from 0; the queue is -1), else by binary search."""
    keys = np.fromiter(rows, dtype=np.int64, count=len(rows))
    values = np.fromiter(rows.values(), dtype=np.int64, count=len(rows))
    lo = min(int(keys.min()), int(lanes.min()))
    hi = max(int(keys.max()), int(lanes.max()))
    if hi - lo <= 4 * (len(lanes) + len(keys)) + 1024:
        table = np.full(hi - lo + 1, -1, dtype=np.int64)
        table[keys - lo] = values
        found: np.ndarray = table[lanes - lo]
        return found
    order = np.argsort(keys)
    pos = np.clip(np.searchsorted(keys[order], lanes), 0, len(keys) - 1)
    return np.where(keys[order][pos] == lanes, values[order][pos], -1)


def column(t: float, t0: float, t1: float, width: int) -> int | None:
    """The column of instant ``t``, or None outside the window."""
    if t < t0 or t > t1 or width <= 0:
        return None
    return min(int((t - t0) / (t1 - t0) * width), width - 1)


# --- cells -> strips -----------------------------------------------------------------------


@lru_cache(maxsize=512)
def _style(color: str, on: str | None = None, bold: bool = False, underline: bool = False) -> Style:
    under = "underline " if underline else ""
    return Style.parse(f"{'bold ' if bold else ''}{under}{color}{' on ' + on if on else ''}")


def _cell(code: int, count: int) -> tuple[str, Style]:
    if code == EMPTY:
        return " ", _style("default")
    if code >= TIMEOUT:
        look = OUTCOMES[MARKERS[code]]
        return look.glyph, _style(look.color, bold=True)
    look = LEGEND[PRIORITY[code]]
    if count >= 2:  # requests at once: filled on a core, hollow while they wait
        digit = str(count) if count < 10 else "+"
        if _ON_CORE[code]:
            return digit, _style("#000000", look.color, bold=True)
        return digit, _style(look.color, bold=True, underline=True)
    return look.glyph, _style(look.color)


def row_strip(codes: np.ndarray, shown: np.ndarray, highlight: Style | None = None) -> Strip:
    """One lane's cells as a Strip (``shown``: counts from ``Raster.shown``)."""
    return raster_strips(codes[None, :], shown[None, :], highlight)[0]


def raster_strips(
    codes: np.ndarray, shown: np.ndarray, highlight: Style | None = None
) -> list[Strip]:
    """Every row as a Strip (see ``raster_segments``)."""
    width = codes.shape[1]
    return [Strip(row, width) for row in raster_segments(codes, shown, highlight)]


def raster_segments(
    codes: np.ndarray, shown: np.ndarray, highlight: Style | None = None
) -> list[list[Segment]]:
    """Every row's segments, runs of equal cells merged into one (found for all rows at once:
    one numpy pass, then one Python step per run rather than per cell). Segments rather than
    Strips: a caller that puts a label in front makes one Strip per row, not three."""
    n_rows, width = codes.shape
    if width == 0:
        return [[] for _ in range(n_rows)]
    key = codes.astype(np.int64) * 16 + shown
    change = np.ones((n_rows, width), dtype=bool)
    change[:, 1:] = key[:, 1:] != key[:, :-1]
    rows, starts = np.nonzero(change)
    flat_codes = codes[rows, starts].tolist()
    flat_shown = shown[rows, starts].tolist()
    next_start = np.append(starts[1:], width)
    next_start[np.append(rows[1:] != rows[:-1], True)] = width
    lengths = (next_start - starts).tolist()
    out: list[list[Segment]] = [[] for _ in range(n_rows)]
    for row, code, count, length in zip(
        rows.tolist(), flat_codes, flat_shown, lengths, strict=True
    ):
        char, style = _cell(code, count)
        out[row].append(Segment(char * length, _apply(style, highlight)))
    return out


def _apply(style: Style, highlight: Style | None) -> Style:
    return style if highlight is None else highlight + style


def text_strip(parts: Sequence[tuple[str, Style]], width: int) -> Strip:
    """A strip from ``(text, style)`` parts, padded or cropped to ``width``."""
    strip = Strip([Segment(text, style) for text, style in parts])
    return strip.adjust_cell_length(width) if strip.cell_length != width else strip
