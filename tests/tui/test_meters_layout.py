"""What the meters, the clock bar and the details show, and that it fits an 80x24 terminal:
outcomes on the meters, "–" before any latency, nothing cut off (what-if open or not), a step
that names its event, the details' hint and footer key, the palette's scenario titles."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.visual import Visual

from lab.format import clock as clock_reading
from lab.format import count
from lab.tui.commands import ScenarioCommands, builtin_title
from lab.tui.details import InstanceDetailScreen
from lab.tui.widgets.clockbar import ClockBar
from lab.tui.widgets.lanes import LanesView
from lab.tui.widgets.legend import legend_text
from lab.tui.widgets.line_static import LineStatic
from lab.tui.widgets.meters import COMPACT, LONG, SHORT, MetersView, meters_lines
from lab.tui.widgets.panel import PanelTitle
from lab.tui.widgets.whatif import WhatIfPanel
from lab.view import Meters
from lab.view.legend import BILL_COMPONENTS
from models.loading import builtin_names, builtin_scenario
from tests.tui.conftest import make_app, ready


def meters_of(screen, model: str) -> MetersView:
    return screen.query_one(f"#meters-{model}", MetersView)


def assert_nothing_cut(screen) -> None:
    """Every meter line and panel title fits its widget (no ellipsis)."""
    for meters in screen.query(MetersView):
        width = meters.content_size.width
        for line in meters.text.split():
            assert line.cell_length <= width, (width, line.plain)
        assert "…" not in meters.text.plain
    for title in screen.query(PanelTitle):
        assert title.render().cell_length <= title.content_size.width, str(title.render())


async def test_meters_show_outcomes_and_no_latency_before_any_completes() -> None:
    """lesson09-agent: every traditional request runs past max duration."""
    scenario = builtin_scenario("lesson09-agent")
    app = make_app(scenario)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await ready(pilot)
        screen.seek(1.0)
        await pilot.pause()
        start = meters_of(screen, "traditional").text.plain
        assert "done 0" in start and "p50 – · p99 –" in start
        screen.seek(screen.clock.end_time)
        await pilot.pause()
        result = screen.playback.result.models["traditional"]
        requests = result.metrics["requests"]
        assert requests["timed_out"] == requests["total"] > 0
        shown = meters_of(screen, "traditional").text.plain
        assert f"done 0 · timed out {requests['timed_out']} · rejected 0" in shown
        assert "p50 – · p99 –" in shown
        fluid = meters_of(screen, "fluid").text.plain
        completed = screen.playback.result.models["fluid"].metrics["requests"]["completed"]
        assert f"done {count(completed)} · timed out 0" in fluid and "p50 –" not in fluid


async def test_80x24_fits_with_and_without_what_if() -> None:
    app = make_app(builtin_scenario("ai-streaming"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        screen.seek(3000.0)
        await pilot.pause()
        assert_nothing_cut(screen)
        before = {m.id: m.region for m in screen.query(MetersView)}
        await pilot.press("w")
        await pilot.pause()
        panel = screen.query_one(WhatIfPanel)
        assert panel.display
        # the what-if panel floats over the lanes: the meters keep their place and width
        assert {m.id: m.region for m in screen.query(MetersView)} == before
        assert all(not panel.region.overlaps(region) for region in before.values())
        assert_nothing_cut(screen)
        # a change is simulated and its numbers show under the panel
        panel.choose("concurrency", 1)
        screen = await ready(pilot)
        screen.seek(screen.clock.end_time)
        await pilot.pause()
        fluid = screen.playback.result.models["fluid"]
        shown = meters_of(screen, "fluid").text.plain
        assert f"done {count(fluid.metrics['requests']['completed'])}" in shown
        assert_nothing_cut(screen)


async def test_three_models_at_80_columns_use_the_compact_wording() -> None:
    app = make_app(builtin_scenario("lesson07-sparse"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        screen.seek(screen.clock.end_time / 2)
        await pilot.pause()
        assert len(screen.query(MetersView)) == 3
        assert_nothing_cut(screen)


async def test_a_step_names_its_event_and_the_paused_clock_reads_milliseconds(small) -> None:
    app = make_app(small)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        await pilot.press("s", "s", "s")
        t = screen.clock.t
        bar = str(screen.query_one(ClockBar).render())
        assert clock_reading(t) in bar
        events = screen.playback.events_at(t)
        assert events
        model, _ = events[0]
        assert f"→ {model}: " in bar
        await pilot.press("space")
        assert "→" not in str(screen.query_one(ClockBar).render())


async def test_instance_details_show_the_hint_and_the_enter_key(small) -> None:
    app = make_app(small)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        screen.seek(20.0)
        await pilot.pause()
        screen.query_one("#lanes-fluid", LanesView).focus()
        await pilot.press("enter")
        for _ in range(100):
            await pilot.pause(0.05)
            if isinstance(app.screen, InstanceDetailScreen):
                break
        detail = app.screen
        assert isinstance(detail, InstanceDetailScreen)
        await pilot.pause()
        hint = detail.query_one(".detail-hint")
        assert "enter: a request's details" in str(hint.render())
        assert hint.region.height > 0 and hint.region.bottom <= app.size.height
        keys = {key: active.binding.description for key, active in detail.active_bindings.items()}
        assert keys.get("enter") == "a request's details"
        assert "whole run's bill" in str(detail.query_one("#detail-head").render())


def test_legend_explains_ten_or_more_at_once() -> None:
    assert "+ 10 or more" in legend_text().plain


async def test_palette_describes_built_ins_by_their_titles(small) -> None:
    app = make_app(small)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        provider = ScenarioCommands(app.screen)
        helps = {name: help for name, help, _ in provider._commands()}
        for name in builtin_names():
            title = builtin_scenario(name).title
            assert helps[f"Load scenario: {name}"] == builtin_title(name) == title


def test_bill_components_are_named_as_in_every_front_end() -> None:
    """The long wording is ``lab.view.legend``'s; only the narrow ones abbreviate."""
    bill = {"active_cpu": 0.5, "provisioned_memory": 0.25, "invocations": 0.25}
    m = Meters(t=1.0, bill=bill)
    long = "".join(text for text, _ in meters_lines(m, None, LONG)[1])
    assert long == " = active CPU 50% + provisioned memory 25% + invocations 25%"
    assert all(BILL_COMPONENTS[k] in long for k in bill)
    short = "".join(text for text, _ in meters_lines(m, None, SHORT)[1])
    assert short == " = CPU 50% + memory 25% + calls 25%"
    assert "mem 25%" in "".join(text for text, _ in meters_lines(m, None, COMPACT)[1])


@pytest.mark.parametrize("size", [(100, 30), (44, 30)])  # at 44 columns some lines wrap
async def test_meters_drawn_line_by_line_look_as_the_whole_text(small, size) -> None:
    app = make_app(small)
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        for t in (0.0, 2.0, 2.5, 40.0):
            screen.seek(t)
            await pilot.pause()
            for view in screen.query(MetersView):
                width, height = view.size
                whole = Visual.to_strips(view, view.text, width, height, view.visual_style)
                assert [view.render_line(y) for y in range(len(whole))] == whole


async def test_a_line_that_wraps_is_laid_out_with_the_whole_text() -> None:
    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield LineStatic(id="lines")

    async with One().run_test(size=(12, 6)) as pilot:
        view = pilot.app.query_one(LineStatic)
        for lines in ([[("short", "bold")], [("one two three four", "dim")]], [[("a", "")]] * 3):
            view.set_lines(lines)
            await pilot.pause()
            width, height = view.size
            whole = Visual.to_strips(view, view.text, width, height, view.visual_style)
            assert [view.render_line(y) for y in range(len(whole))] == whole
            assert view._row_a_line == (len(whole) == len(lines))
