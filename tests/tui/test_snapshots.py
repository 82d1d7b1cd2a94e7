"""SVG snapshots of the main screens at fixed clock positions and fixed terminal sizes.

Update after an intended change with ``pytest tests/tui --snapshot-update`` and look at the
report before committing.
"""

from __future__ import annotations

from lab.tui.widgets.lanes import LanesView
from models.loading import builtin_scenario
from tests.tui.conftest import make_app, ready


def at(t: float, *keys: str):
    async def run_before(pilot) -> None:
        screen = await ready(pilot)
        screen.seek(t)
        await pilot.pause()
        if keys:
            await pilot.press(*keys)
        await pilot.pause()

    return run_before


def test_playground_80x24(snap_compare) -> None:
    app = make_app(builtin_scenario("ai-streaming"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=at(3000.0))


def test_playground_80x24_with_what_if(snap_compare) -> None:
    """Below 100 columns the what-if panel floats over the lanes; the meters keep their width."""
    app = make_app(builtin_scenario("ai-streaming"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=at(3000.0, "w"))


def test_playground_wide_with_what_if(snap_compare, small) -> None:
    app = make_app(small)
    assert snap_compare(app, terminal_size=(140, 40), run_before=at(20.0))


def test_help(snap_compare, small) -> None:
    app = make_app(small)
    assert snap_compare(app, terminal_size=(100, 30), run_before=at(20.0, "question_mark"))


def test_instance_details(snap_compare, small) -> None:
    app = make_app(small)

    async def run_before(pilot) -> None:
        screen = await ready(pilot)
        screen.seek(20.0)
        await pilot.pause()
        screen.query_one("#lanes-fluid", LanesView).focus()
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


EDGE = """
name = "edge"
title = "queues, rejections, timeouts, background work"
seed = 2
[workload]
arrivals = { kind = "poisson", rate = 3 }
requests = 300
[[workload.routes]]
name = "/slow"
work = [ { cpu = "50ms" }, { io = { dist = "exponential", mean = "1.5s" } }, { cpu = "20ms" } ]
background = [ { io = "300ms" }, { cpu = "30ms" } ]
[function]
provision = "300ms"
runtime_init = "100ms"
bundle = [ { name = "app", size_kb = 400, eager = true } ]
[platforms.traditional]
max_instances = 4
overflow = "queue"
max_duration = 3.0
[platforms.fluid]
concurrency = 3
max_instances = 2
overflow = "reject"
keep_alive = "5s"
"""


def test_queue_rejections_timeouts_and_background_work(snap_compare) -> None:
    """Every mark of the legend that the built-ins rarely show: the queue row, rejections,
    joined starts, a bytecode-cache hit, background I/O, timeouts, recycled instances."""
    from models.loading import scenario_from_text

    app = make_app(scenario_from_text(EDGE, "toml"))
    assert snap_compare(app, terminal_size=(110, 30), run_before=at(14.0))


def test_lesson_prediction(snap_compare, small, tmp_path, monkeypatch) -> None:
    """Lesson 1 opened: the hook and the prediction field, as a student first sees it."""
    monkeypatch.setenv("SERVERLESS_LAB_PROGRESS", str(tmp_path / "progress.json"))
    app = make_app(small)

    async def run_before(pilot) -> None:
        await ready(pilot)
        await pilot.press("l")
        await pilot.press("enter")
        screen = app.screen
        for _ in range(1200):
            if getattr(screen, "lesson", None) is not None:
                break
            await pilot.pause(0.05)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)
