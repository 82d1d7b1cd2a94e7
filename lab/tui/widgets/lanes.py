"""Instance lanes and the arrival strip, drawn with the Line API.

Both show the same time window, ``[t - window, t]``, right edge = now, and share the label
column so a request's arrival mark sits straight above where it lands. While they are on view,
a clock move works out the new rows at once and repaints only those that look different
(``lab.tui.lane_rows``); most rows of a busy lane look the same from one frame to the next.
Off view (another screen in front) a move only marks them stale: rows are computed on the
next ``render_line``, for the widget's width then.
"""

from __future__ import annotations

import bisect
import math
from functools import lru_cache
from typing import ClassVar

from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.dom import NoScreen
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from lab.tui.arrivals import ArrivalIndex, arrival_strip
from lab.tui.lane_rows import LabelKey, LaneRows, RowKey
from lab.tui.raster import (
    FAILED,
    RECYCLED,
    TIMEOUT,
    Raster,
    SpanArrays,
    column,
    raster,
    text_strip,
)
from lab.view import QUEUE_LANE, Frame, LaneState, Timeline
from lab.view.moments import Moment
from lab.view.zoom import axis_line

LABEL_WIDTH = 8
STATUS_GLYPH = {"starting": "◔", "busy": "●", "idle": "○", "recycled": "†"}
STATUS_STYLE = {
    "starting": Style(color="#e15759", bold=True),
    "busy": Style(color="#4e79a7", bold=True),
    "idle": Style(color="#a0a0a0"),
    "recycled": Style(color="#7f7f7f"),
}
LABEL_STYLE = Style(color="#a0a0a0")
FOLLOWED_STYLE = Style(color="#f0c674", bold=True)
MAX_REQUEST_ROWS = 12
"""At most this many rows of requests under one instance."""
REQUEST_ROWS = ["auto"]
"""The default of every lane view made from now on (``lab tui --request-rows``)."""
AXIS_STYLE = Style(color="#808080")
NOW_STYLE = Style(color="#f0c674", bold=True)
CURSOR_STYLE = Style(reverse=True, bold=True)


@lru_cache(maxsize=4096)
def _label_strip(lane: int, status: str, count: int, cursor: bool) -> Strip:
    """``" 12 ●3 "``: the instance, its status and its requests in flight (cached: few kinds);
    ``"  └r812"``: one request's row under its instance (``count``: the request)."""
    if status == "queue":
        parts = [(f"queue{count:>3}", Style(color="#edc948", bold=True))]
    elif status in ("request", "followed"):
        text = f"  └r{count}"[:LABEL_WIDTH].ljust(LABEL_WIDTH)
        style = FOLLOWED_STYLE if status == "followed" else LABEL_STYLE
        parts = [(text, style)]
    else:
        parts = [
            (f"{lane:>4} ", LABEL_STYLE),
            (STATUS_GLYPH[status], STATUS_STYLE[status]),
            (f"{count:<2}" if count else "  ", LABEL_STYLE),
        ]
    if cursor:
        parts = [(text, style + CURSOR_STYLE) for text, style in parts]
    return text_strip(parts, LABEL_WIDTH)


def _label_of(key: LabelKey) -> Strip:
    return _label_strip(*key)


def _on_view(widget: Widget) -> bool:
    """Whether ``widget``'s screen is shown (on top, or under a modal screen). A widget being
    removed (a lesson's player remounting its panels for another run's models) has no screen
    any more: not on view, rather than a crash from a frame that was already scheduled."""
    try:
        return widget.is_mounted and widget.screen.is_current
    except NoScreen:
        return False


class ArrivalStrip(Widget):
    """One row: every request that arrived in the window, marked by what became of it."""

    DEFAULT_CSS = "ArrivalStrip { height: 1; }"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._index: ArrivalIndex | None = None
        self._window = (0.0, 0.0, 0.0)
        self._made: tuple[tuple[float, float, float, int], bytes, Strip] | None = None
        """(window and width, its marks, the row) for the last window drawn."""

    def set_timeline(self, timeline: Timeline) -> None:
        self._index = ArrivalIndex(timeline)
        self._made = None

    def show(self, t0: float, t1: float, now: float | None = None) -> None:
        """Move the window; on view, repaint only if a mark moved."""
        self._window = (t0, t1, t1 if now is None else now)
        if self._index is not None and _on_view(self):
            before = self._made
            after = self._row(self.size.width)
            if before is not None and before[2] is after[2]:
                return
        self.refresh()

    def _row(self, width: int) -> tuple[tuple[float, float, float, int], bytes, Strip]:
        assert self._index is not None
        made = self._made
        where = (*self._window, width)
        if made is None or made[0] != where:
            t0, t1, now = self._window
            marks = self._index.marks(t0, t1, width - LABEL_WIDTH, now)
            key = marks.tobytes()
            if made is None or made[1] != key or made[0][3] != width:
                strip = arrival_strip(marks, "arrivals".ljust(LABEL_WIDTH), LABEL_STYLE)
            else:
                strip = made[2]
            self._made = made = (where, key, strip)
        return made

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y != 0 or self._index is None:
            return Strip.blank(width)
        return self._row(width)[2]


class AxisRow(Widget):
    """One row: the time axis of the lanes below, ticks with units (``lab.view.zoom``), and
    ``▼now`` where the clock is when the lanes hold a window wider than the past."""

    DEFAULT_CSS = "AxisRow { height: 1; }"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._window = (0.0, 0.0, 0.0)
        self._made: tuple[tuple[float, float, float, int], Strip] | None = None

    def show(self, t0: float, t1: float, now: float) -> None:
        before = self._made
        self._window = (t0, t1, now)
        if before is None or self._row(self.size.width) is not before[1]:
            self.refresh()

    def _row(self, width: int) -> Strip:
        t0, t1, now = self._window
        cells = max(width - LABEL_WIDTH, 0)
        # the ruler only moves when a tick crosses a column: key on the columns, not on t
        col = column(now, t0, t1, cells) if now < t1 else None
        ticks_at = axis_line(t0, t1 - t0, cells, col) if cells and t1 > t0 else ""
        key = (hash(ticks_at), float(col if col is not None else -1), 0.0, width)
        if self._made is not None and self._made[0] == key:
            return self._made[1]
        parts: list[tuple[str, Style]] = [("time".ljust(LABEL_WIDTH), LABEL_STYLE)]
        if col is not None and col < cells:
            before, after = ticks_at[:col], ticks_at[col + 1 :]
            parts += [(before, AXIS_STYLE), ("▼", NOW_STYLE), (after, AXIS_STYLE)]
        else:
            parts.append((ticks_at, AXIS_STYLE))
        strip = text_strip(parts, width)
        self._made = (key, strip)
        return strip

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y != 0 or self._window[1] <= self._window[0]:
            return Strip.blank(width)
        return self._row(width)


class LanesView(ScrollView, can_focus=True):
    """One row per instance alive in the window (plus a queue row when anything queued)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "lane up", show=False),
        Binding("down", "cursor(1)", "lane down", show=False),
        Binding("enter", "select", "details", show=False),
    ]
    DEFAULT_CSS = "LanesView { overflow-x: hidden; }"

    class Selected(Message):
        """The user asked for the details of an instance (``lane``) of ``model``."""

        def __init__(self, model: str, lane: int) -> None:
            super().__init__()
            self.model = model
            self.lane = lane

    class Follow(Message):
        """The user asked to follow ``request`` (a request row was chosen)."""

        def __init__(self, model: str, request: int) -> None:
            super().__init__()
            self.model = model
            self.request = request

    def __init__(self, model: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.model = model
        self.timeline: Timeline | None = None
        self.frame: Frame | None = None
        self.window = (0.0, 0.0)
        self.now = 0.0
        """The clock: nothing after it is drawn (a held window can reach past it)."""
        self.moment: Moment | None = None
        self._want_lane: int | None = None
        """A lane to put the cursor on when it is next drawn (a moment's instance)."""
        self.request_rows = REQUEST_ROWS[0]
        """Requests overlapping on an instance get a row each: ``auto`` when there is room,
        ``always`` (the lanes scroll), ``off``."""
        self.followed: int | None = None
        """A request being followed: its row is marked."""
        self._sub: dict[int, tuple[int, int]] = {}
        """Each request row's lane id (-2, -3, ...) -> (instance, request)."""
        self.lanes: list[int] = []
        self.cursor = 0
        self._states: dict[int, LaneState] = {}
        self._raster: Raster | None = None
        self._raster_width = -1
        self._rows = LaneRows(_label_of, LABEL_WIDTH)
        self._keys: dict[int, RowKey] = {}
        """This frame's key of each row looked at so far."""
        self.arrays = SpanArrays.of([])
        self._spans = self.arrays
        self._bad_ends: list[tuple[float, int, int]] = []
        self._looks: tuple[int, bool] | None = None
        """(width, has focus) for this frame's lines: both are found by walking the DOM, and
        a frame draws every visible line."""

    # --- data ----------------------------------------------------------------------------

    def set_timeline(self, timeline: Timeline, arrays: SpanArrays | None = None) -> None:
        self.timeline = timeline
        self.arrays = arrays if arrays is not None else SpanArrays.of(timeline.spans)
        self.cursor = 0
        self._bad_ends = sorted(
            (r.ended, r.instance, TIMEOUT if r.outcome == "timed_out" else FAILED)
            for r in timeline.requests.values()
            if r.outcome in ("timed_out", "failed")
        )

    def show(self, frame: Frame, t0: float, t1: float, now: float | None = None) -> None:
        """Draw ``[t0, t1]`` as it stood at ``now`` (default ``t1``): nothing after ``now``."""
        timeline = self.timeline
        if timeline is None:
            return
        upto = t1 if now is None else min(now, t1)
        selected = self._row_id(self.cursor)
        self.frame, self.window, self.now = frame, (t0, t1), upto
        lanes = [i.id for i in timeline.instances.values() if i.started <= upto and i.ended >= t0]
        lanes.sort()
        self._spans = self.arrays.between(t0, upto)
        if upto < t1:
            self._spans = self._spans.clipped(upto)
        if frame.queued or self._spans.has_lane(QUEUE_LANE):
            lanes.insert(0, QUEUE_LANE)
        lanes = self._with_request_rows(lanes, self.size.height)
        self.lanes = lanes
        if self._want_lane is not None and self._want_lane in lanes:
            selected, self._want_lane = self._want_lane, None
            self.call_later(self.scroll_to_region_if_needed)
        ids = [self._row_id(i) for i in range(len(lanes))]
        if selected in ids:
            self.cursor = ids.index(selected)
        self.cursor = min(self.cursor, max(len(lanes) - 1, 0))
        self._states = {lane.instance: lane for lane in frame.lanes}
        self._raster = None
        self._keys = {}
        size = self.size
        self._looks = (size.width, self.has_focus)
        self.virtual_size = Size(size.width, len(lanes))
        if _on_view(self):
            self._refresh_changed(size.height)
        else:
            self._repaint()

    def _row_id(self, row: int) -> int | tuple[int, int] | None:
        """What row ``row`` shows: an instance id, or ``(instance, request)`` for a request."""
        if row >= len(self.lanes):
            return None
        lane = self.lanes[row]
        return self._sub.get(lane, lane)

    def _with_request_rows(self, lanes: list[int], height: int) -> list[int]:
        """``lanes`` with a row for each request under an instance where several overlap,
        as many as the height leaves room for (the busiest instances first)."""
        self._sub = {}
        room = height - len(lanes)
        if self.request_rows == "always":
            room = MAX_REQUEST_ROWS * len(lanes)
        if self.request_rows == "off" or room < 2:
            return lanes
        on = self._spans.requests_on([lane for lane in lanes if lane >= 0])
        busiest = sorted(((len(v), lane) for lane, v in on.items() if len(v) >= 2), reverse=True)
        taken: dict[int, list[int]] = {}
        for count, lane in busiest:
            if room < 2:
                break
            take = on[lane][: min(count, room, MAX_REQUEST_ROWS)]
            taken[lane] = take
            room -= len(take)
        if not taken:
            return lanes
        out: list[int] = []
        rows: dict[tuple[int, int], int] = {}
        virtual = QUEUE_LANE - 1
        for lane in lanes:
            out.append(lane)
            for rid in taken.get(lane, ()):
                rows[(lane, rid)] = virtual
                self._sub[virtual] = (lane, rid)
                out.append(virtual)
                virtual -= 1
        self._spans = self._spans.with_request_rows(rows)
        return out

    def follow(self, request: int | None) -> None:
        self.followed = request
        self._repaint()

    def focus_moment(self, moment: Moment | None) -> None:
        """Put the cursor on the moment's instance (its lane is where to look)."""
        self.moment = moment
        if moment is None or moment.instance is None:
            return
        self._want_lane = moment.instance

    def _refresh_changed(self, height: int) -> None:
        """Key this frame's visible rows now and repaint only the rows that changed."""
        width, focused = self._view_looks()
        self._ensure_raster(width)
        top = self.scroll_offset.y
        keys = {row: self._key(row) for row in range(top, min(top + height, len(self.lanes)))}
        changed = self._rows.changed(keys, (top, height, width, focused, len(self.lanes)))
        if changed is None:
            self.refresh()
        elif changed:  # one refresh for them all (each walks the DOM), as refresh_line would
            self.refresh(*(Region(0, row - top, width, 1) for row in changed))

    def _repaint(self) -> None:
        """Repaint every row (the cursor, the focus or the size changed, or off view)."""
        self._looks = None
        self._keys = {}
        self._rows.forget_drawn()
        self.refresh()

    def _compute(self, width: int) -> Raster:
        timeline = self.timeline
        assert timeline is not None
        t0, t1 = self.window
        top = self.scroll_offset.y
        height = max(self.size.height, 1)
        # only the rows on view are laid out (with a row per request the lanes can run to
        # hundreds of rows); the raster keeps every row's index
        rows = {lane: i for i, lane in enumerate(self.lanes) if top <= i < top + height}
        result = raster(self._spans, rows, t0, t1, width, len(self.lanes))
        for lane, row in rows.items():
            info = timeline.instances.get(lane)
            if info is None or info.ended > self.now:
                continue
            col = column(info.ended, t0, t1, width)
            if col is not None:
                result.codes[row, col] = RECYCLED
        lo = bisect.bisect_left(self._bad_ends, (t0, -2, 0))
        hi = bisect.bisect_right(self._bad_ends, (min(t1, self.now), math.inf, math.inf))
        for ended, instance, mark in self._bad_ends[lo:hi]:
            col = column(ended, t0, t1, width)
            if col is not None and instance in rows:
                result.codes[rows[instance], col] = mark
        return result

    # --- drawing -------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width, _ = self._view_looks()
        top = self.scroll_offset.y
        row = y + top
        if self.timeline is None:
            message = "simulating the run…" if y == 1 else ""
            return text_strip([(" " * LABEL_WIDTH + message, LABEL_STYLE)], width)
        if row >= len(self.lanes):
            return Strip.blank(width)
        self._ensure_raster(width)
        key = self._key(row)
        strip = self._rows.strip(key)
        if strip is None:  # build every visible row missing at once
            end = min(top + self.size.height, len(self.lanes))
            self._rows.build({r: self._key(r) for r in [*range(top, end), row]})
            strip = self._rows.strip(key)
            assert strip is not None
        return strip

    def _view_looks(self) -> tuple[int, bool]:
        """(width, has focus), looked up once per frame: both walk the DOM."""
        if self._looks is None:
            self._looks = (self.size.width, self.has_focus)
            self._keys = {}
        return self._looks

    def _ensure_raster(self, width: int) -> None:
        cells = max(width - LABEL_WIDTH, 0)
        if self._raster is None or self._raster_width != cells:
            self._raster, self._raster_width = self._compute(cells), cells
            self._rows.set_raster(self._raster)
            self._keys = {}

    def _key(self, row: int) -> RowKey:
        """What ``row`` shows this frame (the raster made for the current looks)."""
        key = self._keys.get(row)
        if key is None:
            width, focused = self._view_looks()
            label = self._label_key(self.lanes[row], row == self.cursor and focused)
            key = self._keys[row] = self._rows.key(row, label, width)
        return key

    def _label_key(self, lane: int, cursor: bool) -> LabelKey:
        sub = self._sub.get(lane)
        if sub is not None:
            status = "followed" if sub[1] == self.followed else "request"
            return (lane, status, sub[1], cursor)
        if lane == QUEUE_LANE:
            return (lane, "queue", len(self.frame.queued) if self.frame else 0, cursor)
        state = self._states.get(lane)
        if state is None:
            return (lane, "recycled", 0, cursor)
        return (lane, state.status, state.concurrency, cursor)

    # --- selection -----------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        if not self.lanes:
            return
        self.cursor = max(0, min(len(self.lanes) - 1, self.cursor + delta))
        self.scroll_to_region_if_needed()
        self._repaint()

    def scroll_to_region_if_needed(self) -> None:
        top = self.scroll_offset.y
        height = max(self.size.height, 1)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)

    def action_select(self) -> None:
        if self.cursor >= len(self.lanes):
            return
        lane = self.lanes[self.cursor]
        sub = self._sub.get(lane)
        if sub is not None:
            self.post_message(self.Follow(self.model, sub[1]))
        elif lane != QUEUE_LANE:
            self.post_message(self.Selected(self.model, lane))

    def on_click(self, event: events.Click) -> None:
        row = event.y + self.scroll_offset.y
        if 0 <= row < len(self.lanes):
            self.cursor = row
            self._repaint()
            self.action_select()

    def on_focus(self) -> None:
        self._repaint()

    def on_blur(self) -> None:
        self._repaint()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._raster = None  # only the rows on view are laid out: lay out the new ones
        self._keys = {}

    def on_resize(self) -> None:
        self._looks = None
        self._rows.forget_drawn()
        if self.frame is not None and self.timeline is not None:  # the room for request rows
            self.show(self.frame, *self.window, self.now)
