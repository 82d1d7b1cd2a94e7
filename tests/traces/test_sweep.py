"""Sweep files: validation, the tidy table, and `lab sweep` writing Parquet, CSV and charts."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from lab.cli import app
from lab.sweep_charts import chart
from models.loading import builtin_scenario
from models.sweep import ChartSpec, SweepError, SweepSpec, plan, run_sweep
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
    from lab.sweep_cli import load_sweep
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
