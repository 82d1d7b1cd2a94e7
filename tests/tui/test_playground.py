"""Pilot tests: the keys a user presses, and the numbers the playground then shows.

The app starts paused with animations off; the clock is moved by keys (step, restart) or by
``seek``, so every assertion is about a known instant of the run.
"""

from __future__ import annotations

import pytest

from lab.format import money
from lab.tui.clock import SPEEDS
from lab.tui.details import InstanceDetailScreen, RequestDetailScreen
from lab.tui.file_dialog import ScenarioFileDialog
from lab.tui.help_screen import HelpScreen
from lab.tui.widgets.lanes import LanesView
from lab.tui.widgets.meters import MetersView
from lab.tui.widgets.whatif import WhatIfPanel
from lab.view import build_timeline
from lab.view.bill_share import instance_shares
from models.run import simulate
from tests.tui.conftest import make_app, ready


def shown(screen, model: str) -> str:
    return screen.query_one(f"#meters-{model}", MetersView).text.plain


async def test_space_plays_and_pauses(small) -> None:
    app = make_app(small)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        assert not screen.clock.playing and screen.clock.t == 0.0
        await pilot.press("space")
        assert screen.clock.playing
        await pilot.pause(0.4)
        moved = screen.clock.t
        assert moved > 0.0
        await pilot.press("space")
        assert not screen.clock.playing
        stopped = screen.clock.t
        await pilot.pause(0.3)
        assert screen.clock.t == stopped
        assert screen._timer is not None and screen._timer._active.is_set() is False


async def test_step_restart_and_speed_keys(small) -> None:
    app = make_app(small)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        times = [t for t in screen.playback.event_times if t > 0]
        await pilot.press("s")
        assert screen.clock.t == times[0]
        await pilot.press("s", "s")
        assert screen.clock.t == times[2]
        await pilot.press("r")
        assert screen.clock.t == 0.0
        speed = screen.clock.speed
        await pilot.press("plus")
        assert screen.clock.speed == SPEEDS[SPEEDS.index(speed) + 1]
        await pilot.press("minus", "minus")
        assert screen.clock.speed == SPEEDS[SPEEDS.index(speed) - 1]


async def test_meters_at_the_end_are_the_simulators_bill(small) -> None:
    app = make_app(small)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.seek(screen.clock.end_time)
        await pilot.pause()
        expected = simulate(small)
        for model, result in expected.models.items():
            assert shown(screen, model).startswith(f"bill {money(result.bill.total)}")


async def test_a_what_if_change_shows_the_new_scenarios_numbers(small) -> None:
    app = make_app(small)
    async with app.run_test(size=(130, 34)) as pilot:
        screen = await ready(pilot)
        screen.seek(screen.clock.end_time)
        await pilot.pause()
        before = shown(screen, "fluid")
        screen.query_one(WhatIfPanel).choose("concurrency", 1)
        screen = await ready(pilot)
        screen.seek(screen.clock.end_time)
        await pilot.pause()
        changed = simulate(small.with_changes(**{"platforms.fluid.concurrency": 1}))
        fluid = changed.models["fluid"]
        after = shown(screen, "fluid")
        assert after != before
        assert after.startswith(f"bill {money(fluid.bill.total)}")
        assert f"whole run {money(fluid.bill.total)}" in after
        assert f"{fluid.metrics['cold_starts']}" in after.split("cold starts ")[1]
        # the traditional side did not change (concurrency is a Fluid knob)
        traditional = changed.models["traditional"]
        assert shown(screen, "traditional").startswith(f"bill {money(traditional.bill.total)}")
        # back to "as scenario": the cached first run comes back at once
        screen.query_one(WhatIfPanel).choose("concurrency", small.platforms["fluid"].concurrency)
        await pilot.pause()
        await pilot.pause()
        assert not screen.busy
        assert screen.playback.scenario.fingerprint() == small.fingerprint()


async def test_keep_alive_and_bytecode_cache_knobs(small) -> None:
    app = make_app(small)
    async with app.run_test(size=(130, 34)) as pilot:
        screen = await ready(pilot)
        panel = screen.query_one(WhatIfPanel)
        panel.choose("keep_alive_s", 10.0)
        panel.choose("cache_fluid", "off")
        screen = await ready(pilot)
        screen.seek(screen.clock.end_time)
        await pilot.pause()
        expected = simulate(
            small.with_changes(
                **{
                    "platforms.traditional.keep_alive": 10.0,
                    "platforms.fluid.keep_alive": 10.0,
                    "platforms.fluid.bytecode_cache": "off",
                }
            )
        )
        for model, result in expected.models.items():
            assert shown(screen, model).startswith(f"bill {money(result.bill.total)}")


async def test_help_opens_and_closes() -> None:
    from models.loading import builtin_scenario

    app = make_app(builtin_scenario("image-resize"))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_selecting_a_lane_shows_its_requests_events_and_bill_share(small) -> None:
    app = make_app(small)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.seek(5.0)
        await pilot.pause()
        lanes = screen.query_one("#lanes-traditional", LanesView)
        lanes.focus()
        await pilot.press("down", "enter")
        detail = app.screen
        assert isinstance(detail, InstanceDetailScreen)
        assert detail.instance == lanes.lanes[1]
        result = screen.playback.result.models["traditional"]
        _, share = instance_shares(result, build_timeline(result), detail.instance)
        head = detail.query_one("#detail-head").render()
        assert money(share.total) in str(head)
        await pilot.press("enter")  # the first request of the instance
        assert isinstance(app.screen, RequestDetailScreen)
        await pilot.press("escape", "escape")
        assert app.screen is screen


async def test_a_bad_scenario_file_gives_a_message_not_a_crash(small, tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[workload]\narrivals = { kind = "poisson", rate = -1 }\n')
    good = tmp_path / "good.toml"
    good.write_text(
        'name = "tiny"\n[workload]\narrivals = { kind = "poisson", rate = 2 }\nrequests = 20\n'
        '[[workload.routes]]\nname = "/"\nwork = [ { cpu = "10ms" } ]\n'
    )
    app = make_app(small)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("o")
        assert isinstance(app.screen, ScenarioFileDialog)
        await pilot.click("#path")
        await pilot.press(*str(bad), "enter")
        error = str(app.screen.query_one("#file-error").render())
        assert "bad.toml" in error and "rate" in error
        app.screen.query_one("#path").value = str(good)
        await pilot.press("enter")
        screen = await ready(pilot)
        assert screen.scenario.name == "tiny"


@pytest.mark.parametrize("name", ["home-blog"])
async def test_load_a_builtin_from_the_palette_command(small, name) -> None:
    app = make_app(small)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*f"scenario: {name}")
        await pilot.pause(0.5)
        await pilot.press("enter")
        screen = await ready(pilot)
        assert screen.base.name == name


async def test_quit_ends_the_app(small) -> None:
    app = make_app(small)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
