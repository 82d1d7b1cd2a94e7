"""A Static of short lines that repaints only the lines that changed.

Textual redraws a whole Static when it is updated: its Content laid out again, every line
styled and composited. The meters under a lane panel are six lines of which a frame changes
one or two (the bill, the requests done), and redrawing all six was ~40% of Textual's work
per frame. Here each line is rendered on its own, the way Textual renders it
(``Visual.to_strips`` with the widget's style), kept in an LRU keyed by what it says, and an
update repaints only the rows whose line changed. When a line does not fit on one row (it
wraps), or text is selected, the whole text is rendered as a Static would and repainted.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Region
from textual.strip import Strip
from textual.style import Style
from textual.visual import Visual
from textual.widgets import Static

Line = tuple[tuple[str, str], ...]
"""``(text, style)`` parts of one line."""
CACHE_SIZE = 256


def assemble(lines: Sequence[Line]) -> Content:
    """The lines as one Content, a line each."""
    parts: list[str | tuple[str, str]] = []
    for i, line in enumerate(lines):
        if i:
            parts.append("\n")
        parts.extend(line)
    return Content.assemble(*parts)


class LineStatic(Static):
    """Shows ``set_lines(...)``; ``text`` is the whole of it as one Content."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._lines: tuple[Line, ...] = ()
        self._text: Content | None = None
        self._rendered: LRUCache[tuple[Line, int, Style], list[Strip]] = LRUCache(CACHE_SIZE)
        self._rows: tuple[tuple[tuple[Line, ...], int, int, Style], list[Strip]] | None = None
        self._row_a_line = False
        """Whether the lines last drawn took a row each (so a row can be repainted alone)."""

    def set_lines(self, lines: Sequence[Sequence[tuple[str, str]]]) -> None:
        new = tuple(tuple(line) for line in lines)
        before, self._lines = self._lines, new
        self._text = None
        if not self._row_a_line or len(before) != len(new) or self.text_selection is not None:
            self.refresh()
            return
        width = self.size.width
        changed = [y for y, (old, line) in enumerate(zip(before, new, strict=True)) if old != line]
        if changed:  # one refresh for them all: each walks the DOM
            self.refresh(*(Region(0, y, width, 1) for y in changed))

    @property
    def text(self) -> Content:
        """What is on show, as one Content (assembled when asked: tests read it)."""
        if self._text is None:
            self._text = assemble(self._lines)
        return self._text

    def render(self) -> Content:
        return self.text

    def render_line(self, y: int) -> Strip:
        rows = self._drawn_rows()
        if y < len(rows):
            return rows[y]
        return Strip.blank(self.size.width, self.visual_style.rich_style)

    def _drawn_rows(self) -> list[Strip]:
        width, height = self.size
        style = self.visual_style
        if self.text_selection is not None:  # selections are laid out on the whole text
            self._row_a_line = False
            return Visual.to_strips(self, self.text, width, height, style)
        key = (self._lines, width, height, style)
        if self._rows is not None and self._rows[0] == key:
            return self._rows[1]
        rows: list[Strip] = []
        for line in self._lines:
            strips = self._rendered.get((line, width, style))
            if strips is None:
                strips = Visual.to_strips(self, Content.assemble(*line), width, None, style)
                self._rendered[(line, width, style)] = strips
            rows.extend(strips)
        self._row_a_line = len(rows) == len(self._lines)
        if self._row_a_line:  # each line laid out as row 0: say which row it is (selections)
            rows = [strip.apply_offsets(0, y) for y, strip in enumerate(rows)]
        else:  # a line wraps (or is empty): lay out the whole text
            rows = Visual.to_strips(self, self.text, width, height, style)
        self._rows = (key, rows[:height])
        return self._rows[1]
