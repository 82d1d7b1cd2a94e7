"""Sweep files: validation, the tidy table, and `lab sweep` writing Parquet, CSV and charts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from lab.cli import app
from lab.sweep_charts import chart
from models.loading import builtin_scenario
from models.sweep import ChartSpec, Knob, SweepError, SweepSpec, knobs, plan, run_sweep
from tests.traces.conftest import SAMPLE_2019

runner = CliRunner()

SCENARIO_SWEEP = """
name = "ka"
scenario = "db-api"
seeds = [1, 2]
[grid]
"platforms.fluid.keep_alive" = [1, 600]
"platforms.fluid.concurrency" = [1, 20]
"""


def test_a_scenario_sweep_is_a_tidy_table() -> None:
    import tomllib

    spec = SweepSpec.model_validate(tomllib.loads(SCENARIO_SWEEP))
    base = builtin_scenario("db-api").with_changes(**{"workload.requests": 300})
    rows = run_sweep(spec, base)
    frame = pd.DataFrame(rows)
    assert len(frame) == 4 * 2 * 2  # points x seeds x models
    assert {"platforms.fluid.keep_alive", "seed", "model", "bill_usd", "cold_share"} <= set(
        frame.columns
    )
    fluid = frame[frame.model == "fluid"].groupby("platforms.fluid.keep_alive").cold_starts.sum()
    assert fluid[1] > fluid[600]  # a 1-second keep-alive starts more instances
    # traditional ignores fluid's knobs: its rows repeat per point, seed by seed
    trad = frame[frame.model == "traditional"]
    assert trad.groupby("seed").bill_usd.nunique().max() == 1


def test_bad_grid_values_are_named_before_anything_runs() -> None:
    spec = SweepSpec(name="x", scenario="db-api", grid={"platforms.fluid.concurrency": [0]})
    with pytest.raises(SweepError, match="concurrency"):
        plan(spec, builtin_scenario("db-api"))
    with pytest.raises(ValueError, match="exactly one base"):
        SweepSpec(name="x", grid={"a": [1]})
    replay_spec = SweepSpec(
        name="r", replay={"trace": str(SAMPLE_2019), "hours": 0.1}, grid={"nonsense": [1]}
    )
    with pytest.raises(SweepError, match="'nonsense'"):
        plan(replay_spec)


def test_lab_sweep_writes_parquet_csv_and_charts(tmp_path: Path) -> None:
    spec_file = tmp_path / "sweep.toml"
    spec_file.write_text(
        f"""
name = "policies"
seeds = [0]
[replay]
trace = "{SAMPLE_2019}"
hours = 0.1
functions = ["cbf80865", "02158978"]
platforms = {{ traditional = {{}} }}
[grid]
policy = ["fixed-10min", "hybrid"]
"platforms.traditional.keep_alive" = [60, 600]
"""
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["sweep", str(spec_file), "--serial", "--out", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    table = pd.read_parquet(out / "results.parquet")
    assert len(table) == 4 and set(table.policy) == {"fixed-10min", "hybrid"}
    assert pd.read_csv(out / "results.csv").shape == table.shape
    charts = sorted(p.name for p in out.glob("chart-*.html"))
    assert charts == ["chart-1-bill_usd.html", "chart-2-cold_share.html"]


def test_lab_sweep_rejects_a_bad_file_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "b"\nscenario = "db-api"\n[grid]\n')
    result = runner.invoke(app, ["sweep", str(bad), "--serial"])
    assert result.exit_code == 2
    assert "grid" in result.stderr and "Traceback" not in result.output
    result = runner.invoke(app, ["sweep", str(tmp_path / "none.toml"), "--serial"])
    assert result.exit_code == 2 and "no such sweep file" in result.stderr


def test_charts_average_seeds_and_stay_small() -> None:
    frame = pd.DataFrame(
        {"k": [1, 1, 2, 2], "seed": [1, 2, 1, 2], "model": ["a"] * 4, "bill_usd": [1, 3, 5, 7]}
    )
    spec = json.loads(chart(frame, ChartSpec(x="k")).to_json())
    values = next(iter(spec["datasets"].values()))
    assert values == [
        {"k": 1, "model": "a", "bill_usd": 2.0},
        {"k": 2, "model": "a", "bill_usd": 6.0},
    ]


def test_the_shipped_example_sweep_is_valid() -> None:
    from lab.cli.sweep import load_sweep
    from tests.traces.conftest import ROOT

    spec = load_sweep(ROOT / "assets" / "traces" / "sweep-keep-alive.toml")
    assert spec.replay is not None and Path(spec.replay.trace).is_dir()
    assert len(spec.points()) == 9 and len(spec.charts) == 2


def test_a_replay_sweep_per_function_keeps_one_row_per_trace_function() -> None:
    spec = SweepSpec(
        name="f",
        replay={"trace": str(SAMPLE_2019), "hours": 0.05, "platforms": {"traditional": {}}},
        grid={"cpu_share": [0.5]},
        seeds=[3, 4],
        per_function=True,
    )
    rows = run_sweep(spec)
    assert len(rows) == 10 * 2  # functions x seeds
    assert {r["name"] for r in rows} >= {"47658c9c", "308ecb6c"}
    by_seed = {seed: sum(r["invocations"] for r in rows if r["seed"] == seed) for seed in (3, 4)}
    assert by_seed[3] == by_seed[4]  # the trace fixes the counts; seeds move arrivals inside


# --- knob values as validated, and charts that do not mix models ------------------------------


def test_knob_values_are_validated_numbers_in_grid_order() -> None:
    spec = SweepSpec(
        name="k",
        scenario="db-api",
        grid={
            "platforms.fluid.keep_alive": ["10min", "1min", 30],
            "platforms.fluid.concurrency": [8, 2],
        },
    )
    base = builtin_scenario("db-api")
    found = knobs(spec, base)
    assert found["platforms.fluid.keep_alive"] == Knob(
        "platforms.fluid.keep_alive", (600.0, 60.0, 30.0), "s"
    )
    assert found["platforms.fluid.concurrency"] == Knob("platforms.fluid.concurrency", (8, 2), "")
    tasks = plan(spec, base)
    assert len(tasks) == 6 * 2  # points x models (one seed)
    assert [t.point for t in tasks[::2]] == [
        {"platforms.fluid.keep_alive": k, "platforms.fluid.concurrency": c}
        for k in (600.0, 60.0, 30.0)
        for c in (8, 2)
    ]


def _chart_json(frame: pd.DataFrame, spec: ChartSpec, found: dict[str, Knob]) -> dict[str, Any]:
    return json.loads(chart(frame, spec, knobs=found).to_json())  # type: ignore[no-any-return]


def test_a_chart_splits_models_instead_of_averaging_them() -> None:
    """Two models, a knob on x, nothing else on an axis: a row of panels per model, in the
    table's order, each with its own numbers; the keep-alive axis is seconds, numerically."""
    key = "platforms.fluid.keep_alive"
    found = {key: Knob(key, (600.0, 60.0), "s")}
    frame = pd.DataFrame(
        {
            "point": [0, 0, 0, 0, 1, 1, 1, 1],
            key: [600.0] * 4 + [60.0] * 4,
            "seed": [1, 1, 2, 2] * 2,
            "model": ["traditional", "fluid"] * 4,
            "bill_usd": [10.0, 1.0, 12.0, 3.0, 20.0, 5.0, 22.0, 7.0],
        }
    )
    spec = _chart_json(frame, ChartSpec(x=key, color=None), found)
    values = next(iter(spec["datasets"].values()))
    bills = {(v["platforms_fluid_keep_alive"], v["split"]): v["bill_usd"] for v in values}
    assert bills == {
        (600.0, "traditional"): 11.0,
        (600.0, "fluid"): 2.0,
        (60.0, "traditional"): 21.0,
        (60.0, "fluid"): 6.0,
    }
    assert spec["facet"]["row"]["field"] == "split"
    assert spec["facet"]["row"]["sort"] == ["traditional", "fluid"]
    x = spec["spec"]["encoding"]["x"]
    assert (
        x["type"] == "quantitative" and x["title"] == "fluid: keep alive (s)"
    )  # words, not the path
    assert spec["title"]["subtitle"] == "mean over seed"
    # with the model on an axis (the default colour), nothing is split
    by_color = _chart_json(frame, ChartSpec(x=key), found)
    assert "facet" not in by_color and by_color["encoding"]["color"]["field"] == "model"


def test_an_ordinal_knob_keeps_the_grid_order() -> None:
    found = {"policy": Knob("policy", ("scale-to-one", "hybrid", "fixed-10min"), "")}
    frame = pd.DataFrame(
        {
            "point": [0, 1, 2],
            "policy": ["scale-to-one", "hybrid", "fixed-10min"],
            "seed": [0, 0, 0],
            "model": ["traditional"] * 3,
            "cold_share": [0.1, 0.2, 0.3],
        }
    )
    spec = _chart_json(frame, ChartSpec(x="policy", y="cold_share"), found)
    assert spec["encoding"]["x"]["type"] == "ordinal"
    assert spec["encoding"]["x"]["sort"] == ["scale-to-one", "hybrid", "fixed-10min"]


def test_lab_sweep_tables_hold_validated_numbers(tmp_path: Path) -> None:
    """A grid mixing "1min" and 30 (seconds) gives one numeric column (Parquet needs one type)."""
    spec_file = tmp_path / "sweep.toml"
    spec_file.write_text(
        f"""
name = "mixed"
[replay]
trace = "{SAMPLE_2019}"
hours = 0.02
functions = ["cbf80865"]
[grid]
"platforms.traditional.keep_alive" = ["1min", 30]
"""
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["sweep", str(spec_file), "--serial", "--out", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    table = pd.read_parquet(out / "results.parquet")
    assert table["platforms.traditional.keep_alive"].tolist() == [60.0, 60.0, 30.0, 30.0]
    assert set(table.model) == {"traditional", "fluid"}
    html = (out / "chart-1-bill_usd.html").read_text()
    assert "traditional: keep alive (s)" in html


# --- grid errors name the key, the value and what fits -----------------------------------------


@pytest.mark.parametrize(
    ("grid", "expected"),
    [
        (
            {"nothere.x": [1]},
            "grid key 'nothere.x': the scenario has no table 'nothere'; its fields are name,",
        ),
        (
            {"workload.routes.5.name": ["x"]},
            "workload.routes has 2 items, so 5 is out of range (expected 0 to 1)",
        ),
        (
            {"workload.routes.first.name": ["x"]},
            "workload.routes is a list, so 'first' should be an item number",
        ),
        (
            {"platforms.fluid.concurrency.x": [1]},
            "platforms.fluid.concurrency is a value (30), not a table",
        ),
        (
            {"platforms.fluid.concurrency": [4, "abc"]},
            "grid key 'platforms.fluid.concurrency' = 'abc' is not valid\n"
            "  - platforms.fluid.concurrency: got 'abc'; expected a whole number",
        ),
        (
            {"platforms.fluid.keep_alive": ["10 parsecs"]},
            "platforms.fluid.keep_alive: got '10 parsecs': unknown time unit 'parsecs'",
        ),
        ({"platforms.fluid.nothere": [1]}, "the fields here are kind, billing, concurrency"),
    ],
)
def test_scenario_grid_errors_read_plainly(grid: dict[str, list[Any]], expected: str) -> None:
    spec = SweepSpec(name="x", scenario="db-api", grid=grid)
    with pytest.raises(SweepError) as caught:
        plan(spec, builtin_scenario("db-api"))
    message = str(caught.value)
    assert expected in message
    assert "pydantic" not in message and "Traceback" not in message


def test_replay_grid_errors_read_plainly() -> None:
    def error(grid: dict[str, list[Any]], **extra: Any) -> str:
        spec = SweepSpec(
            name="r", replay={"trace": str(SAMPLE_2019), "hours": 0.1}, grid=grid, **extra
        )
        with pytest.raises(SweepError) as caught:
            plan(spec)
        return str(caught.value)

    assert "grid key 'cpu_share' = 2 is not valid\n  - cpu_share: got 2; expected <= 1" in error(
        {"cpu_share": [0.5, 2]}
    )
    assert "grid key 'policy' = 'forever' is not valid" in error({"policy": ["forever"]})
    assert "unknown keep-alive policy 'forever'" in error({"policy": ["forever"]})
    bad = error({"platforms.traditional.keep_alive": ["x"]})
    assert "platforms.traditional.keep_alive: got 'x'; expected a duration such as" in bad
    assert "with NAME one of traditional, fluid" in error({"platforms.nope.keep_alive": [1]})
    assert "not a replay field; expected one of cpu_share," in error({"nonsense": [1]})
    assert "unknown model 'lambda'; the replay has traditional, fluid" in error(
        {"cpu_share": [0.5]}, models=["lambda"]
    )


def test_lab_sweep_grid_errors_exit_2_without_a_traceback(tmp_path: Path) -> None:
    cases = {
        'scenario = "db-api"\n[grid]\n"nothere.x" = [1]\n': "grid key 'nothere.x'",
        'scenario = "db-api"\n[grid]\n"workload.routes.9.name" = ["a"]\n': "out of range",
        'scenario = "db-api"\n[grid]\n"platforms.fluid.concurrency" = ["abc"]\n': (
            "expected a whole number"
        ),
        f'[replay]\ntrace = "{SAMPLE_2019}"\n[grid]\npolicy = ["forever"]\n': "'forever'",
        'scenario = "db-api"\n[grid]\n"platforms.fluid.concurrency" = 4\n': (
            "grid.platforms.fluid.concurrency: got 4; expected a list"
        ),
    }
    for i, (body, expected) in enumerate(cases.items()):
        path = tmp_path / f"bad{i}.toml"
        path.write_text(f'name = "b{i}"\n{body}')
        result = runner.invoke(app, ["sweep", str(path), "--serial", "--out", str(tmp_path / "o")])
        assert result.exit_code == 2, (body, result.output, result.stderr)
        assert expected in result.stderr, (body, result.stderr)
        assert "Traceback" not in result.output + result.stderr
        assert "errors.pydantic.dev" not in result.stderr
