"""Lane rows: Strips cached by what they show, and a frame repaints only the rows it changed
(what is on screen is still what a full repaint draws, lanes, arrivals and meters alike)."""

from __future__ import annotations

import numpy as np
from textual.strip import Strip

from lab.tui.lane_rows import LabelKey, LaneRows
from lab.tui.raster import Raster
from lab.tui.widgets.lanes import LanesView
from tests.tui.conftest import make_app, ready


def _label(key: LabelKey) -> Strip:
    return Strip.blank(2)


def test_rows_are_keyed_by_what_they_show_and_built_once() -> None:
    rows = LaneRows(_label, 2)
    codes = np.array([[2, 2, 0], [2, 2, 0], [4, -1, -1]], dtype=np.int16)
    rows.set_raster(Raster(codes, np.zeros_like(codes, dtype=np.int64)))
    keys = {row: rows.key(row, (row, "busy", 1, False), 5) for row in range(3)}
    assert keys[0][2] == keys[1][2] != keys[2][2]  # rows 0 and 1 show the same cells
    rows.build(keys)
    built = [rows.strip(keys[row]) for row in range(3)]
    assert all(strip is not None and strip.cell_length == 5 for strip in built)
    rows.build(keys)
    assert [rows.strip(keys[row]) for row in range(3)] == built  # the same objects, kept
    view = (0, 3, 5, False, 3)
    assert rows.changed(keys, view) is None  # nothing drawn yet: draw every row
    moved = {**keys, 2: rows.key(2, (2, "idle", 0, False), 5)}
    assert list(rows.changed(moved, view) or []) == [2]
    assert rows.changed(moved, (1, 3, 5, False, 3)) is None  # scrolled: draw every row
    rows.forget_drawn()
    assert rows.changed(moved, (1, 3, 5, False, 3)) is None


async def test_frames_repaint_changed_rows_and_match_a_full_repaint(small) -> None:
    app = make_app(small)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        lanes = list(screen.query(LanesView))
        for t in (5.0, 5.05, 5.1, 7.0, 7.02, 30.0, 30.3):
            screen.seek(t)
            await pilot.pause()
        shown = app.export_screenshot()
        for view in lanes:
            view.refresh()
        await pilot.pause()
        assert app.export_screenshot() == shown
        for widget in screen.walk_children():  # the meters and the arrivals too
            widget.refresh()
        await pilot.pause()
        assert app.export_screenshot() == shown
