"""Drawing arithmetic: which mark lands in which cell, checked on hand-made spans."""

from __future__ import annotations

from lab.tui.arrivals import MARKS, ArrivalIndex
from lab.tui.raster import CODE, EMPTY, PRIORITY, raster, row_strip
from lab.view import Span, Timeline
from lab.view.timeline import RequestInfo


def names(codes) -> list[str]:
    return ["-" if c == EMPTY else PRIORITY[c] for c in codes.tolist()]


def test_cells_show_phases_then_the_main_work_then_idle() -> None:
    spans = [
        Span(7, 0.0, 0.4, "provision"),
        Span(7, 0.4, 1.05, "compile"),  # touches cell 1 only a little: still shown
        Span(7, 1.05, 3.5, "io", 1),
        Span(7, 2.0, 2.1, "cpu", 1),  # a short burst inside I/O: I/O fills the cell
        Span(7, 3.5, 6.0, "cpu", 1),
        Span(7, 6.0, 10.0, "idle"),
    ]
    r = raster(spans, {7: 0}, 0.0, 10.0, 10)
    assert names(r.codes[0]) == [
        "provision",  # provision and compile share cell 0: each phase keeps a mark of its own
        "compile",
        "io",
        "io",
        "cpu",
        "cpu",
        "idle",
        "idle",
        "idle",
        "idle",
    ]


def test_overlapping_requests_are_counted_at_each_cell_middle() -> None:
    spans = [
        Span(1, 0.0, 4.0, "io", 1),
        Span(1, 1.0, 3.0, "io", 2),
        Span(1, 2.2, 2.8, "cpu", 3),
        Span(1, 0.0, 4.0, "idle"),  # not a request: never counted
    ]
    r = raster(spans, {1: 0}, 0.0, 4.0, 4)
    assert r.counts[0].tolist() == [1, 2, 3, 1]
    strip = row_strip(r.codes[0], r.shown[0])
    assert strip.text == "░23░"


def test_lanes_outside_the_rows_and_spans_outside_the_window_are_skipped() -> None:
    spans = [Span(1, -5.0, -1.0, "cpu", 1), Span(2, 0.0, 1.0, "cpu", 2), Span(1, 1.0, 2.0, "io", 3)]
    r = raster(spans, {1: 0}, 0.0, 2.0, 2)
    assert names(r.codes[0]) == ["-", "io"]


def test_queue_spans_draw_on_the_queue_row() -> None:
    r = raster([Span(-1, 0.0, 1.0, "queued", 5)], {-1: 0}, 0.0, 1.0, 1)
    assert r.codes[0, 0] == CODE["queued"]


def test_arrival_marks_show_what_had_happened_by_the_window_end() -> None:
    reqs = {
        1: RequestInfo(1, "/r", 0.5, assigned=0.5, start="warm", instance=0),
        2: RequestInfo(2, "/r", 1.5, assigned=1.6, start="cold", instance=1),
        3: RequestInfo(3, "/r", 2.5, queued=2.5, assigned=3.5, start="warm", instance=0),
        4: RequestInfo(4, "/r", 3.2, outcome="rejected", ended=3.2),
    }
    index = ArrivalIndex(Timeline({}, reqs, [], 4.0))
    glyphs = {name: glyph for name, glyph in MARKS}

    def shown(t1: float) -> str:  # one column per second
        marks = index.marks(0.0, t1, max(1, round(t1)))
        return "".join(" " if m < 0 else MARKS[m][1] for m in marks.tolist())

    assert shown(4.0) == glyphs["warm"] + glyphs["cold"] + glyphs["warm"] + glyphs["rejected"]
    # at t = 3.0 request 3 is still queued and request 2 has its instance
    assert shown(3.0)[2] == "q"
    assert index.marks(1.0, 1.55, 1).tolist() == [0]  # request 2 not yet placed: "arriving"
    assert glyphs["arriving"] == "•"
