"""`lab replay` as a user meets it, and the helper lesson 2 uses."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from lab.cli import app
from models.loading import scenario_from_text
from models.policies import HybridPolicy, ScaleToOnePolicy
from models.replay import cold_share_by_function
from tests.traces.conftest import SAMPLE_2019, SAMPLE_2021

runner = CliRunner()


def test_replay_json_has_per_function_rows_totals_and_sensitivity(tmp_path: Path) -> None:
    out = tmp_path / "table.parquet"
    result = runner.invoke(
        app,
        ["replay", str(SAMPLE_2021), "--serial", "--json", "--sensitivity", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["functions"]) == 31 * 2  # functions x models
    totals = {t["model"]: t for t in data["totals"]}
    assert totals["traditional"]["invocations"] == totals["fluid"]["invocations"] == 199
    assert (
        sum(r["cold_starts"] for r in data["functions"] if r["model"] == "fluid")
        == (totals["fluid"]["cold_starts"])
    )
    # the traces do not say how much of a duration is on a core: wall-clock bills ignore it,
    # active-CPU bills grow with it
    bills = {(row["model"], row["cpu_share"]): row["bill_usd"] for row in data["sensitivity"]}
    assert bills[("traditional", 0.1)] == pytest.approx(bills[("traditional", 0.9)])
    assert bills[("fluid", 0.1)] < bills[("fluid", 0.5)] < bills[("fluid", 0.9)]
    table = pd.read_parquet(out)
    assert len(table) == 31 * 2 + 2 and set(table.name) >= {"total"}


def test_replay_spec_file_and_a_bad_option_exit_2(tmp_path: Path) -> None:
    spec = tmp_path / "replay.toml"
    spec.write_text(f'trace = "{SAMPLE_2019}"\nhours = 0.05\npolicies = ["hybrid"]\n')
    result = runner.invoke(app, ["replay", "--spec", str(spec), "--serial", "--json"])
    assert result.exit_code == 0, result.output
    assert {r["policy"] for r in json.loads(result.stdout)["functions"]} == {"hybrid"}
    result = runner.invoke(app, ["replay", str(SAMPLE_2019), "--serial", "-p", "forever"])
    assert result.exit_code == 2 and "unknown keep-alive policy 'forever'" in result.stderr
    result = runner.invoke(app, ["replay", str(SAMPLE_2019), "--serial", "--cpu-share", "2"])
    assert result.exit_code == 2 and "cpu_share" in result.stderr


def test_cold_share_by_function_for_lesson_2() -> None:
    shares = cold_share_by_function(SAMPLE_2019, keep_alive=600, hours=1)
    assert len(shares) == 10
    assert all(0.0 <= s <= 1.0 for s in shares.values())
    assert shares["8203ff88"] == 0.0  # no invocations in the first hour
    # busy functions: a few cold starts among thousands of invocations
    assert 0 < shares["308ecb6c"] < 0.001
    short = cold_share_by_function(SAMPLE_2019, keep_alive=1, hours=1)
    assert sum(short.values()) > sum(shares.values())


def test_keep_alive_policy_is_written_in_a_scenario_file() -> None:
    scenario = scenario_from_text(
        """
name = "p"
[workload]
arrivals = { kind = "poisson", rate = 1 }
requests = 10
[[workload.routes]]
name = "/"
work = [ { cpu = "10ms" } ]
[platforms.traditional.keep_alive_policy]
kind = "hybrid"
fallback_keep_alive = "20min"
[platforms.fluid]
keep_alive_policy = { kind = "scale_to_one", keep_alive = "1min" }
""",
        "toml",
    )
    hybrid = scenario.platforms["traditional"].keep_alive_policy
    assert isinstance(hybrid, HybridPolicy) and hybrid.fallback_keep_alive == 1200.0
    assert scenario.platforms["fluid"].keep_alive_policy == ScaleToOnePolicy(
        kind="scale_to_one", keep_alive=60.0
    )
    with pytest.raises(ValueError, match="keep_alive_policy"):
        scenario_from_text(
            'name = "p"\n[workload]\narrivals = { kind = "poisson", rate = 1 }\nrequests = 1\n'
            '[[workload.routes]]\nname = "/"\nwork = [ { cpu = "1ms" } ]\n'
            '[platforms.traditional.keep_alive_policy]\nkind = "lru"\n',
            "toml",
        )
