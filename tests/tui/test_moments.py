"""The TUI at its moments: `lab tui` opens on a cold start with its phases while requests
overlap, jump keys pause on a moment zoomed to fill the lanes, lessons open each step on the
picture its text describes, and leaving a lesson while its run is laid out is safe. SVG
snapshots of the moments a teacher would project."""

from __future__ import annotations

import time

import pytest

from lab.tui import lessons_screen
from lab.tui.app import LabApp
from lab.tui.lessons_screen import LessonsScreen
from lab.tui.widgets.clockbar import ClockBar
from lab.tui.widgets.lanes import LanesView
from lab.view.moments import MOMENT_KINDS
from lessons.spec import MOMENT_KINDS as LESSON_MOMENT_KINDS
from models.loading import DEFAULT_SCENARIO, builtin_scenario, scenario_from_text
from tests.tui.conftest import ready
from tests.tui.test_snapshots import EDGE


def opened_app(name: str = DEFAULT_SCENARIO, at: str = "opening") -> LabApp:
    return LabApp(builtin_scenario(name), autoplay=False, animate=False, at=at)


def lane_text(screen, model: str) -> str:
    lanes = screen.query_one(f"#lanes-{model}", LanesView)
    return "\n".join(lanes.render_line(y).text for y in range(lanes.size.height))


def test_lessons_know_every_moment_kind() -> None:
    assert tuple(MOMENT_KINDS) == LESSON_MOMENT_KINDS


async def test_the_default_screen_shows_phases_a_cache_hit_and_overlap() -> None:
    app = opened_app()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await ready(pilot)
        moment = screen.player.moment
        assert moment is not None and moment.kind == "cold_start"
        assert not screen.clock.playing
        assert [p.name for p in moment.phases][:4] == [
            "provision",
            "runtime_init",
            "code_load",
            "module_init",
        ]
        assert any(p.cache_hit for p in moment.phases)
        cold = lane_text(screen, moment.model)
        for mark in ("▒", "▓", "c", "M"):  # provision, runtime init, cache hit, module init
            assert mark in cold
        fluid = lane_text(screen, "fluid")
        assert fluid.count("└r") >= 3  # a row per request on the one fluid instance
        bar = str(screen.query_one(ClockBar).render()).replace("\xa0", " ")
        assert "cold start: provision 150 ms" in bar and "(cache hit)" in bar


async def test_jump_keys_visit_moments_of_a_kind_and_zoom_is_not_speed() -> None:
    app = opened_app(at="cold_start")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        first = screen.player.moment
        assert first is not None and first.kind == "cold_start"
        await pilot.press("full_stop")
        second = screen.player.moment
        assert second is not None and second.kind == "cold_start" and second.t >= first.t
        assert second is not first
        await pilot.press("comma")
        assert screen.player.moment is first
        width, speed = screen.clock.width, screen.clock.speed
        await pilot.press("right_square_bracket")
        assert screen.clock.width < width and screen.clock.speed == speed
        await pilot.press("plus")
        assert screen.clock.speed > speed and screen.clock.width < width
        await pilot.press("k")
        assert screen.player.kind != "cold_start"


async def test_rejected_and_timeout_moments_are_reached_by_kind() -> None:
    app = LabApp(scenario_from_text(EDGE, "toml"), autoplay=False, animate=False, at="rejected")
    async with app.run_test(size=(110, 30)) as pilot:
        screen = await ready(pilot)
        assert screen.player.moment is not None and screen.player.moment.kind == "rejected"
        screen.player.kind = "timeout"
        await pilot.press("full_stop")
        assert screen.player.moment is not None and screen.player.moment.kind == "timeout"
        assert "timed out: request" in str(screen.query_one(ClockBar).render()).replace("\xa0", " ")


async def open_step(pilot, app, number: int, title_part: str) -> LessonsScreen:
    await ready(pilot)
    await pilot.press("l")
    screen = app.screen
    assert isinstance(screen, LessonsScreen)
    menu = screen.query_one("#lesson-list")
    menu.highlighted = [o.id for o in menu._options].index(str(number))
    await pilot.press("enter")
    for _ in range(2400):
        if screen.lesson is not None:
            break
        await pilot.pause(0.05)
    index = next(i for i, s in enumerate(screen.lesson.steps) if title_part in s.title)
    await screen.show_stage(index + 1)
    for _ in range(2400):
        if screen.player.playback is not None and not screen.player.busy:
            break
        await pilot.pause(0.05)
    await pilot.pause()
    return screen


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SERVERLESS_LAB_PROGRESS", str(tmp_path / "progress.json"))


async def test_lesson_1_opens_on_all_four_phases() -> None:
    app = opened_app("lesson01-api", at=None)  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_step(pilot, app, 1, "four phases")
        moment = screen.player.moment
        assert moment is not None and moment.kind == "cold_start"
        assert {p.name for p in moment.phases} >= {
            "provision",
            "runtime_init",
            "code_load",
            "module_init",
        }


async def test_lesson_4_opens_on_five_requests_at_once_with_cpu_and_io() -> None:
    app = opened_app("lesson01-api", at=None)  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_step(pilot, app, 4, "arrive together")
        moment = screen.player.moment
        assert moment is not None and moment.kind == "overlap" and moment.count == 5
        fluid = lane_text(screen, "fluid")
        assert fluid.count("└r") == 5 and "█" in fluid and "░" in fluid


async def test_leaving_a_lesson_while_its_run_is_laid_out(monkeypatch) -> None:
    slow = lessons_screen.playback_of

    def slow_layout(*args, **kwargs):
        time.sleep(1.0)  # the run arrives after the student has left
        return slow(*args, **kwargs)

    monkeypatch.setattr(lessons_screen, "playback_of", slow_layout)
    app = opened_app("lesson01-api", at=None)  # type: ignore[arg-type]
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("l")
        screen = app.screen
        await pilot.press("enter")
        for _ in range(2400):
            if screen.lesson is not None:
                break
            await pilot.pause(0.05)
        await screen.show_stage(1)  # a step that animates a run: laid out in a worker
        await pilot.press("escape")  # back to the list before it is laid out
        await pilot.pause(2.0)
        assert screen.lesson is None and screen.player.playback is None
        await pilot.press("enter")  # and opening a lesson again works
        for _ in range(2400):
            if screen.lesson is not None:
                break
            await pilot.pause(0.05)
        assert screen.lesson is not None
    assert app.return_code in (None, 0)


# --- snapshots a teacher could project ----------------------------------------------------


def snap_at_opening(pilot_ready=ready):
    async def run_before(pilot) -> None:
        await pilot_ready(pilot)
        await pilot.pause()

    return run_before


def test_snapshot_default_opening_80x24(snap_compare) -> None:
    assert snap_compare(opened_app(), terminal_size=(80, 24), run_before=snap_at_opening())


def test_snapshot_cache_hit_beside_compile(snap_compare) -> None:
    app = opened_app("lesson03-app-250kb", at="cache_hit")
    assert snap_compare(app, terminal_size=(120, 30), run_before=snap_at_opening())


def test_snapshot_rejected(snap_compare) -> None:
    app = LabApp(scenario_from_text(EDGE, "toml"), autoplay=False, animate=False, at="rejected")
    assert snap_compare(app, terminal_size=(110, 30), run_before=snap_at_opening())


def test_snapshot_timeout(snap_compare) -> None:
    app = LabApp(scenario_from_text(EDGE, "toml"), autoplay=False, animate=False, at="timeout")
    assert snap_compare(app, terminal_size=(110, 30), run_before=snap_at_opening())


def lesson_snapshot(number: int, title_part: str):
    async def run_before(pilot) -> None:
        await open_step(pilot, pilot.app, number, title_part)

    return run_before


def test_snapshot_lesson_1_four_phases(snap_compare, tmp_path, monkeypatch) -> None:
    app = opened_app("lesson01-api", at=None)  # type: ignore[arg-type]
    run_before = lesson_snapshot(1, "four phases")
    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)


def test_snapshot_lesson_4_five_at_once(snap_compare, tmp_path, monkeypatch) -> None:
    app = opened_app("lesson01-api", at=None)  # type: ignore[arg-type]
    run_before = lesson_snapshot(4, "arrive together")
    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)


async def test_follow_a_request_and_the_comparison_line() -> None:
    from lab.tui.widgets.follow import CompareLine, FollowPanel

    app = opened_app(at="cold_start")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        line = str(screen.query_one(CompareLine).render())
        assert "fluid so far:" in line and "cold starts" in line
        await pilot.press("f")
        panel = screen.query_one(FollowPanel)
        assert panel.display and panel.request == screen.player.moment.request
        story = str(panel.render())
        assert "following request" in story and "provision 150 ms" in story
        assert "its bill $" in story and "traditional" in story and "fluid" in story
        await pilot.press("f")
        assert not panel.display


def test_comparison_line_keeps_the_previous_run_after_a_what_if() -> None:
    from lab.tui.widgets.follow import compare_text
    from lab.view import Meters

    now = {
        "traditional": Meters(t=5.0, cold_starts=3, bill={"wall_clock": 1.0}),
        "fluid": Meters(t=5.0, cold_starts=1, bill={"active_cpu": 0.07}),
    }
    before = {"traditional": Meters(t=5.0, bill={"wall_clock": 2.0})}
    text = compare_text(now, before)
    assert text.startswith("[b]fluid[/b] so far: -93% bill, 1 vs 3 cold starts")
    assert "before the change:[/dim] traditional $2.00 → [b]now[/b] traditional $1.00" in text
