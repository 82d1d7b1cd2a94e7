"""Playground page (AppTest): the numbers shown are the simulator's, before and after a knob
moves, and the charts carry the fields and colours they promise."""

from __future__ import annotations

from typing import Any

import pytest

from lab.format import count, duration_ms, money, percent
from lab.view import build_timeline
from lab.view.legend import LEGEND
from lab.view.whatif import with_compared_models, with_io_share
from models.loading import DEFAULT_SCENARIO, builtin_scenario
from models.run import simulate
from models.scenario import Scenario
from tests.web.conftest import (
    chart_datasets,
    chart_specs,
    colour_scales,
    encodings,
    headlines,
    open_page,
)


def shown_for(scenario: Scenario) -> dict[str, dict[str, str]]:
    """What the headline numbers must say for ``scenario``, straight from the simulator."""
    result = simulate(scenario, models=["traditional", "fluid"], keep_events=False)
    out = {}
    for name, model in result.models.items():
        m: dict[str, Any] = model.metrics
        out[name] = {
            "bill": money(model.bill.total),
            "cold starts": count(m["cold_starts"]),
            "latency p50": duration_ms(m["latency_ms"]["p50"]),
            "latency p99": duration_ms(m["latency_ms"]["p99"]),
            "instances (max)": count(m["instances"]["max"]),
            "CPU efficiency": percent(m["cpu_efficiency"]),
        }
    return out


@pytest.fixture(scope="module")
def default() -> Scenario:
    return with_compared_models(builtin_scenario(DEFAULT_SCENARIO))


def test_opens_on_the_default_scenario_with_the_simulators_numbers(app, default) -> None:
    assert "ai-streaming" in app.caption[0].value
    assert headlines(app) == shown_for(default)
    # the seed's headline: Fluid bills a small fraction of the wall-clock bill
    assert headlines(app)["traditional"]["bill"] == "$2.00"
    assert headlines(app, "delta")["fluid"]["bill"].startswith("-9")  # about -93 % vs traditional
    assert headlines(app, "delta")["traditional"]["bill"] == ""
    assert "**fluid** · change vs traditional" in [m.value for m in app.markdown]


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
    before = headlines(app)
    app.select_slider(key=f"knob.{key}").set_value(value).run()
    assert not app.exception
    after = headlines(app)
    assert after == shown_for(default.with_changes(**changes))
    assert after != before


def test_io_share_knob_reshapes_the_work(app, default) -> None:
    app.select_slider(key="knob.io_share").set_value(0.5).run()
    assert headlines(app) == shown_for(with_io_share(default, 0.5))


def test_price_list_knob_changes_only_the_bill(app, default) -> None:
    app.selectbox(key="knob.prices_traditional").set_value("aws-lambda-x86-us-east-1").run()
    after = headlines(app)
    expected = shown_for(
        default.with_changes(**{"platforms.traditional.prices": "aws-lambda-x86-us-east-1"})
    )
    assert after == expected
    assert after["traditional"]["cold starts"] == "28"  # same run, other prices


def test_knobs_survive_a_visit_to_another_page(app, default) -> None:
    app.select_slider(key="knob.concurrency").set_value(8).run()
    open_page(app, "editor")
    open_page(app, "playground")
    assert app.select_slider(key="knob.concurrency").value == 8
    assert headlines(app) == shown_for(default.with_changes(**{"platforms.fluid.concurrency": 8}))


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
    # both instance timelines share one explicit time axis (the same instant at the same
    # place in both)
    assert "params" not in overview  # zoom is the page's: it bins the range shown again
    *timelines, load = overview["vconcat"]  # flat: Streamlit fits each row to the page width
    assert [view["title"] for view in timelines] == ["traditional: instances", "fluid: instances"]
    domains = {
        tuple(layer["encoding"]["x"]["scale"]["domain"])
        for view in timelines
        for layer in view["layer"]
    }
    assert len(domains) == 1 and next(iter(domains))[0] == 0.0
    # every legend under its chart, none beside it (they were cut off at 1400 px)
    legends = [
        enc["legend"]
        for v in _views(overview)
        for enc in v["encoding"].values()
        if isinstance(enc, dict) and enc.get("legend")
    ]
    assert legends and all(legend["orient"] == "bottom" for legend in legends)
    assert {("stroke", "model"), ("strokeDash", "measure")} <= encodings(load)
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


def _views(spec: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    if "encoding" in spec:
        found.append(spec)
    for key in ("layer", "vconcat", "hconcat"):
        for inner in spec.get(key, []):
            found.extend(_views(inner))
    return found


def test_short_lived_instances_show_their_work_in_the_timeline(app, default) -> None:
    """Keep-alive 1 min: 244 traditional instances, each alive ~80 s with 20 s of work. Each
    is drawn for the time it lived, and its work shows (not a bin-wide stretch of idle)."""
    app.select_slider(key="knob.keep_alive_s").set_value(60.0).run()
    assert not app.exception
    scenario = default.with_changes(
        **{"platforms.traditional.keep_alive": 60.0, "platforms.fluid.keep_alive": 60.0}
    )
    result = simulate(scenario, models=["traditional"])
    instances = build_timeline(result.models["traditional"]).instances
    assert len(instances) > 200
    overview, datasets = chart_specs(app)[0], chart_datasets(app, 0)
    assert sum(len(rows) for rows in datasets.values()) < 10_000
    traditional = overview["vconcat"][0]["layer"][0]
    rows = datasets[traditional["data"]["name"]]
    idle, work = LEGEND["idle"].label, {LEGEND[k].label for k in ("cpu", "io")}
    by_lane: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_lane.setdefault(row["instance"], []).append(row)
    assert len(by_lane) == len(instances)  # every instance has a row
    for info in instances.values():
        drawn = by_lane[f"instance {info.id}"]
        # inside the instance's life, and no longer than it
        assert min(r["start"] for r in drawn) >= info.started - 1e-6
        assert max(r["end"] for r in drawn) <= info.ended + 1e-6
        assert any(r["activity"] in work for r in drawn), info.id
    # work is never hidden under idle: at least as much drawn as work as there was work
    # (a bin counts as work once work fills a tenth of the instance's time in it)
    spans = build_timeline(result.models["traditional"]).spans
    worked = sum(s.end - s.start for s in spans if s.kind in ("cpu", "io"))
    idled = sum(s.end - s.start for s in spans if s.kind == "idle")
    assert sum(r["end"] - r["start"] for r in rows if r["activity"] in work) >= worked
    assert sum(r["end"] - r["start"] for r in rows if r["activity"] == idle) <= idled


def test_every_number_can_be_downloaded(app) -> None:
    labels = [b.label for b in app.get("download_button")]
    assert labels.count("PNG") == 3 and labels.count("SVG") == 3
    assert "CSV (all numbers)" in labels and "CSV (as shown)" in labels


def test_moments_zoom_both_timelines_to_one_range_drawn_again_for_it(app) -> None:
    """A moment button moves the shared time range; the timelines of that range are drawn
    again: at a cold start's scale, exact, each request on its own row, with every phase."""
    app.button(key="playground.moment.cold").click().run()
    assert not app.exception
    t0, t1 = app.session_state["playground.range"]
    assert 0.0 < t1 - t0 < 5.0
    assert "starts cold" in app.info[0].value
    specs = chart_specs(app)
    titles = [s["vconcat"][0].get("title", "") for s in specs[:2]]
    assert all("a row per request" in t for t in titles), titles
    for spec in specs[:2]:  # the same range in both models
        assert spec["vconcat"][0]["layer"][0]["encoding"]["x"]["scale"]["domain"] == [t0, t1]
    rows = [r for rows in chart_datasets(app, 0).values() for r in rows]
    kinds = {r["activity"] for r in rows if "activity" in r}
    assert {LEGEND[k].label for k in ("provision", "runtime_init", "module_init")} <= kinds
    app.button(key="playground.moment.peak").click().run()
    assert "holds" in app.info[0].value
    app.button(key="playground.whole").click().run()
    assert app.session_state["playground.range"][0] == 0.0
    assert len(chart_specs(app)) == 3  # the cached whole-run overview again
