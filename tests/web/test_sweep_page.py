"""The Sweeps page: the grid a student picks runs through models.sweep, as `lab sweep` does."""

from __future__ import annotations

import pytest

from lab.web import sweep
from models.loading import DEFAULT_SCENARIO, builtin_scenario
from models.run import simulate
from tests.web.conftest import chart_datasets, chart_specs, open_page


def test_sweep_rows_are_the_simulator_numbers_for_each_point() -> None:
    base = sweep.sample(builtin_scenario("db-api"), 200)
    spec = sweep.sweep_spec(base, {"platforms.traditional.keep_alive": ["1min", "10min"]}, [3])
    rows, found = sweep.run(spec, base)
    assert found["platforms.traditional.keep_alive"].values == (60.0, 600.0)
    for keep_alive in (60.0, 600.0):
        direct = simulate(
            base.with_changes(**{"platforms.traditional.keep_alive": keep_alive}),
            seed=3,
            keep_events=False,
        )
        for name, result in direct.models.items():
            (row,) = [
                r
                for r in rows
                if r["model"] == name and r["platforms.traditional.keep_alive"] == keep_alive
            ]
            assert row["bill_usd"] == pytest.approx(result.bill.total, rel=1e-12)
            assert row["cold_starts"] == result.metrics["cold_starts"]


def test_every_knob_offered_is_one_the_sweep_accepts() -> None:
    base = builtin_scenario(DEFAULT_SCENARIO)
    knobs = sweep.sweep_knobs(base)
    assert {k.path for k in knobs} >= {
        "platforms.traditional.keep_alive",
        "platforms.fluid.concurrency",
        "function.memory_mb",
    }
    for knob in knobs:
        spec = sweep.sweep_spec(base, {knob.path: list(knob.values)}, [1])
        assert sweep.points(spec) == len(knob.values)
        assert set(knob.default) <= set(knob.values)


def test_the_page_runs_a_sweep_and_charts_it(app) -> None:
    open_page(app, "sweep")
    assert not app.get("vega_lite_chart")  # set, then see: nothing runs before the button
    app.selectbox(key="sweep.x").set_value("fluid: concurrency cap").run()
    app.multiselect(key="sweep.x.platforms.fluid.concurrency").set_value([1, 30]).run()
    app.number_input(key="sweep.seeds").set_value(1).run()
    app.select_slider(key="sweep.requests").set_value(100).run()
    app.button(key="sweep.run").click().run()
    assert not app.exception, app.exception
    specs = chart_specs(app)
    assert len(specs) == 2  # the bill and the cold-start share over the knob
    rows = [row for rows in chart_datasets(app, 0).values() for row in rows]
    xs = {
        row["platforms_fluid_concurrency"] for row in rows if "platforms_fluid_concurrency" in row
    }
    assert xs == {1, 30}
    labels = [button.label for button in app.get("download_button")]
    assert {"CSV", "Parquet", "PNG", "SVG"} <= set(labels)


def test_a_grid_too_big_for_the_page_says_so(app) -> None:
    open_page(app, "sweep")
    app.selectbox(key="sweep.x").set_value("traditional: keep-alive").run()
    values = list(sweep.sweep_knobs(builtin_scenario(DEFAULT_SCENARIO))[0].values)
    app.multiselect(key="sweep.x.platforms.traditional.keep_alive").set_value(values).run()
    app.selectbox(key="sweep.y").set_value("fluid: concurrency cap").run()
    app.multiselect(key="sweep.y.platforms.fluid.concurrency").set_value(
        [1, 2, 5, 10, 30, 100, 250]
    ).run()
    app.number_input(key="sweep.seeds").set_value(5).run()
    assert any("at most" in info.value for info in app.info)
    assert not app.exception
