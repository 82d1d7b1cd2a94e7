"""Chart builders (pure functions of view-model data) and the files users download."""

from __future__ import annotations

import csv
import io

import altair as alt
import pytest

from lab import charts
from lab.view import build_timeline
from lab.view.series import (
    cold_start_marks,
    lane_bins,
    latency_edges,
    latency_histogram,
    load_series,
)
from lab.view.sweep import BreakEven, SweepPoint
from lab.web.export import chart_png, chart_svg, comparison_csv, summary_csv
from lab.web.scenarios import scenario_from_upload, scenario_text
from models.loading import DEFAULT_SCENARIO, ScenarioError, builtin_scenario, scenario_from_text
from models.run import simulate


@pytest.fixture(scope="module")
def run():
    result = simulate(builtin_scenario(DEFAULT_SCENARIO))
    return result, {n: build_timeline(m.events or [], m.end_time) for n, m in result.models.items()}


def rows(chart) -> int:
    return sum(len(values) for values in charts.spec(chart).get("datasets", {}).values())


def whole_run_specs(result, timelines) -> dict[str, dict]:
    lanes = {}
    for name, t in timelines.items():
        binned = lane_bins(t, max_marks=3500)
        lanes[name] = (binned, cold_start_marks(t, binned.lanes))
    edges = latency_edges(list(timelines.values()))
    percentiles = {
        n: {"p50": m.metrics["latency_ms"]["p50"], "p99": m.metrics["latency_ms"]["p99"]}
        for n, m in result.models.items()
    }
    return {
        "overview": charts.run_overview(lanes, {n: load_series(t) for n, t in timelines.items()}),
        "latency": charts.latency_chart(
            {n: latency_histogram(t, edges) for n, t in timelines.items()}, percentiles
        ),
        "bill": charts.bill_chart({n: dict(m.bill.components) for n, m in result.models.items()}),
    }


def test_whole_run_charts_are_valid_vega_lite(run) -> None:
    """They are written as dicts, not built by Altair: Altair checks them against the schema."""
    specs = whole_run_specs(*run)
    for spec in specs.values():
        alt.VConcatChart.from_dict(spec)  # raises on anything the Vega-Lite schema rejects
        assert spec["$schema"] == alt.SCHEMA_URL
        names = [layer["data"]["name"] for layer in _layers(spec) if "data" in layer]
        assert set(names) <= set(spec["datasets"])
    overview = specs["overview"]
    # one explicit time axis for every timeline (the whole run): the same instant at the
    # same place in both
    domains = [
        layer["encoding"]["x"]["scale"]["domain"]
        for view in overview["vconcat"][:-1]
        for layer in view["layer"]
    ]
    assert len({tuple(d) for d in domains}) == 1 and domains[0][0] == 0.0
    # a dataset is named after its rows: other rows, another name (never taken for the old
    # one with rows added)
    _result, timelines = run
    fewer = {n: load_series(t, bins=100) for n, t in timelines.items()}
    lanes = {n: (lane_bins(t), []) for n, t in timelines.items()}
    a, b = charts.run_overview(lanes, fewer), charts.run_overview(lanes, fewer)
    assert a == b
    more = charts.run_overview(lanes, {n: load_series(t) for n, t in timelines.items()})
    assert set(a["datasets"]) != set(more["datasets"])


def _layers(spec: dict) -> list[dict]:
    found = [spec]
    for key in ("layer", "vconcat", "hconcat"):
        for inner in spec.get(key, []):
            found.extend(_layers(inner))
    return found


def test_the_whole_run_stays_under_ten_thousand_marks(run) -> None:
    result, timelines = run
    overview = whole_run_specs(result, timelines)["overview"]
    assert 0 < rows(overview) < charts.MAX_MARKS
    spans = sum(len(t.spans) for t in timelines.values())
    assert spans > 100_000  # what it would cost to draw every span


def test_replay_chart_clips_spans_to_the_cursor(run) -> None:
    _result, timelines = run
    timeline = timelines["fluid"]
    spans = timeline.spans_between(100.0, 130.0)
    rows, _slots = charts.request_rows(spans, 100.0, 160.0, 130.0)
    assert max(r["end"] for r in rows) <= 130.0 and min(r["start"] for r in rows) >= 100.0
    assert any(s.end > 130.0 for s in spans)  # requests still going at the cursor are cut there
    spec = charts.replay_chart(spans, [0], 100.0, 160.0, 130.0, "fluid")
    alt.VConcatChart.from_dict(spec)  # valid Vega-Lite
    layers = spec["vconcat"][0]["layer"]
    assert layers[-1]["mark"]["type"] == "rule"
    assert layers[0]["encoding"]["x"]["scale"]["domain"] == [100.0, 160.0]
    # overlapping requests on one instance never share a row
    for a in rows:
        for b in rows:
            same_row = a["instance"] == b["instance"] and a["slot"] == b["slot"] >= 0
            if same_row and a["request"] != b["request"]:
                assert a["end"] <= b["start"] + 1e-9 or b["end"] <= a["start"] + 1e-9


def test_latency_and_bill_charts_use_the_runs_numbers(run) -> None:
    result, timelines = run
    edges = latency_edges(list(timelines.values()))
    hists = {n: latency_histogram(t, edges) for n, t in timelines.items()}
    latency = charts.latency_rows(hists)
    for name, model in result.models.items():
        counted = sum(row["requests"] for row in latency if row["model"] == name)
        assert counted == model.metrics["requests"]["completed"]
    bills = {n: dict(m.bill.components) for n, m in result.models.items()}
    bill = charts.bill_rows(bills)
    for name, model in result.models.items():
        billed = sum(row["usd"] for row in bill if row["model"] == name)
        assert billed == pytest.approx(model.bill.total)


def test_breakeven_chart_marks_the_crossing_and_the_scenario() -> None:
    points = [SweepPoint(s, {"traditional": 10.0, "fluid": 20.0 * s}) for s in (0.1, 0.5, 1.0)]
    chart = charts.breakeven_chart(points, BreakEven(0.5, "crosses"), 0.1)
    spec = chart.to_dict()
    rules = next(d for d in spec["datasets"].values() if d and "style" in d[0])
    assert [(r["cpu_share"], r["label"]) for r in rules] == [
        (0.5, "break-even 50%"),
        (0.1, "this scenario 10%"),
    ]


def test_charts_export_as_png_and_svg() -> None:
    points = [SweepPoint(s, {"traditional": 10.0, "fluid": 20.0 * s}) for s in (0.1, 1.0)]
    chart = charts.breakeven_chart(points, BreakEven(None, "always_saves"))
    png = chart_png(chart, scale=1)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 2000
    svg = chart_svg(chart)
    assert svg.lstrip().startswith("<svg") and "USD per million requests" in svg


def test_csv_exports_every_number(run) -> None:
    result, _ = run
    summaries = {n: m.summary() for n, m in result.models.items()}
    table = list(csv.reader(io.StringIO(summary_csv(summaries, "ai-streaming"))))
    assert table[0] == ["scenario", "metric", "traditional", "fluid"]
    by_metric = {row[1]: row for row in table[1:]}
    assert float(by_metric["bill_usd.total"][3]) == pytest.approx(result.models["fluid"].bill.total)
    assert int(by_metric["cold_starts"][2]) == result.models["traditional"].metrics["cold_starts"]
    shown = list(csv.reader(io.StringIO(comparison_csv(summaries))))
    assert shown[0] == ["", "traditional", "fluid"]
    assert ["bill total", "$2.00", "$0.1446"] in shown


def test_scenario_files_round_trip_and_uploads_are_checked() -> None:
    scenario = builtin_scenario("db-api")
    for fmt in ("yaml", "json"):
        assert scenario_from_text(scenario_text(scenario, fmt), fmt) == scenario
    loaded, _text, fmt = scenario_from_upload("x.yml", scenario_text(scenario, "yaml").encode())
    assert loaded == scenario and fmt == "yaml"
    with pytest.raises(ScenarioError, match=r"x\.txt: unknown file type"):
        scenario_from_upload("x.txt", b"name = 'x'")
    with pytest.raises(ScenarioError, match=r"workload: missing"):
        scenario_from_upload("x.toml", b"name = 'x'")
