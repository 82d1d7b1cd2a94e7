"""Playground page (AppTest): the numbers shown are the simulator's, before and after a knob
moves, and the charts carry the fields and colours they promise."""

from __future__ import annotations

from typing import Any

import pytest

from lab.format import count, duration_ms, money, percent
from lab.view.legend import LEGEND
from lab.view.whatif import with_compared_models, with_io_share
from models.loading import DEFAULT_SCENARIO, builtin_scenario
from models.run import simulate
from models.scenario import Scenario
from tests.web.conftest import chart_specs, colour_scales, deltas, encodings, metrics, open_page


def shown_for(scenario: Scenario) -> dict[str, str]:
    """What the headline numbers must say for ``scenario``, straight from the simulator."""
    result = simulate(scenario, models=["traditional", "fluid"], keep_events=False)
    out = {}
    for name, model in result.models.items():
        m: dict[str, Any] = model.metrics
        out[f"bill ({name})"] = money(model.bill.total)
        out[f"cold starts ({name})"] = count(m["cold_starts"])
        out[f"latency p50 ({name})"] = duration_ms(m["latency_ms"]["p50"])
        out[f"latency p99 ({name})"] = duration_ms(m["latency_ms"]["p99"])
        out[f"instances (max) ({name})"] = count(m["instances"]["max"])
        out[f"CPU efficiency ({name})"] = percent(m["cpu_efficiency"])
    return out


@pytest.fixture(scope="module")
def default() -> Scenario:
    return with_compared_models(builtin_scenario(DEFAULT_SCENARIO))


def test_opens_on_the_default_scenario_with_the_simulators_numbers(app, default) -> None:
    assert "ai-streaming" in app.caption[0].value
    assert metrics(app) == shown_for(default)
    # the seed's headline: Fluid bills a small fraction of the wall-clock bill
    assert metrics(app)["bill (traditional)"] == "$2.00"
    assert deltas(app)["bill (fluid)"].startswith("-9")  # about -93 % vs traditional
    assert deltas(app)["bill (traditional)"] == ""


@pytest.mark.parametrize(
    ("key", "value", "changes"),
    [
        ("concurrency", 4, {"platforms.fluid.concurrency": 4}),
        ("memory_mb", 1024, {"function.memory_mb": 1024}),
        (
            "keep_alive_s",
            60.0,
            {"platforms.traditional.keep_alive": 60.0, "platforms.fluid.keep_alive": 60.0},
        ),
    ],
)
def test_moving_a_slider_shows_the_new_scenarios_numbers(
    app, default, key: str, value: Any, changes: dict[str, Any]
) -> None:
    before = metrics(app)
    app.select_slider(key=f"knob.{key}").set_value(value).run()
    assert not app.exception
    after = metrics(app)
    assert after == shown_for(default.with_changes(**changes))
    assert after != before


def test_io_share_knob_reshapes_the_work(app, default) -> None:
    app.select_slider(key="knob.io_share").set_value(0.5).run()
    assert metrics(app) == shown_for(with_io_share(default, 0.5))


def test_price_list_knob_changes_only_the_bill(app, default) -> None:
    app.selectbox(key="knob.prices_traditional").set_value("aws-lambda-x86-us-east-1").run()
    after = metrics(app)
    expected = shown_for(
        default.with_changes(**{"platforms.traditional.prices": "aws-lambda-x86-us-east-1"})
    )
    assert after == expected
    assert after["cold starts (traditional)"] == "28"  # same run, other prices


def test_knobs_survive_a_visit_to_another_page(app, default) -> None:
    app.select_slider(key="knob.concurrency").set_value(8).run()
    open_page(app, "editor")
    open_page(app, "playground")
    assert app.select_slider(key="knob.concurrency").value == 8
    assert metrics(app) == shown_for(default.with_changes(**{"platforms.fluid.concurrency": 8}))


def test_charts_carry_the_expected_fields_and_legend_colours(app) -> None:
    specs = chart_specs(app)
    assert len(specs) == 3
    overview, latency, bill = specs
    assert {
        ("x", "start"),
        ("x2", "end"),
        ("y", "instance"),
        ("color", "activity"),
        ("x", "t"),
        ("y", "value"),
        ("stroke", "model"),
        ("strokeDash", "measure"),
    } <= encodings(overview)
    # linked: the load chart's brush sets the time domain of both instance timelines
    assert [p["name"] for p in overview["params"]] == ["time_brush"]
    timelines = overview["vconcat"][:2]
    for view in timelines:
        for layer in view["layer"]:
            assert layer["encoding"]["x"]["scale"] == {"domain": {"param": "time_brush"}}
    scale = colour_scales(overview)[0]
    assert dict(zip(scale["domain"], scale["range"], strict=True)) == {
        look.label: look.color for look in LEGEND.values()
    }
    assert {("x", "from_ms"), ("x2", "to_ms"), ("y", "requests"), ("color", "start")} <= (
        encodings(latency)
    )
    assert {("x", "usd"), ("y", "model"), ("color", "component")} <= encodings(bill)
    titles = [view.get("title") for view in latency["vconcat"]]
    assert titles == ["traditional", "fluid"]


def test_every_number_can_be_downloaded(app) -> None:
    labels = [b.label for b in app.get("download_button")]
    assert labels.count("PNG") == 3 and labels.count("SVG") == 3
    assert "CSV (all numbers)" in labels and "CSV (as shown)" in labels
