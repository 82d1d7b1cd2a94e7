"""`lab replay` output a person can read: the summary first, per-function tables on request,
warnings in one line, every table in --out DIR; --from/--to; --pareto's figure and verdict."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from lab.cli import app
from tests.traces.conftest import SAMPLE_2019, write_2021

runner = CliRunner()
WIDE = {"COLUMNS": "200"}


def _three_functions(tmp_path: Path) -> Path:
    """App X: x1 called every 30 min, x2 once; app Y: y1 every 5 min (30 min)."""
    rows = [("X", "x1-func", 1800.0 * k, 1.0) for k in range(4)]
    rows += [("X", "x2-func", 100.0, 1.0)]
    rows += [("Y", "y1-func", 300.0 * k + 5.0, 1.0) for k in range(6)]
    return write_2021(tmp_path / "three.csv", rows)


def test_the_summary_comes_first_and_function_rows_only_on_request(tmp_path: Path) -> None:
    trace = str(_three_functions(tmp_path))
    args = ["replay", trace, "--serial", "-p", "fixed-10min"]
    plain = runner.invoke(app, args, env=WIDE)
    assert plain.exit_code == 0, plain.output
    text = plain.stdout
    assert "3 functions in 2 apps, 11 invocations" in text.splitlines()[0]
    assert text.index("totals per platform model") < text.index("cold starts per application")
    assert "x1-func" not in text and "per-function tables: --functions" in text
    # fixed 10 min: X's 5 calls all cold (gaps of 30 min; x2 is its own deployment), Y's first
    # of 6: apps at 100 % and 16.667 %: median 58.333, 75th 79.167, 90th 91.667
    _totals_row, app_row = (x for x in text.splitlines() if x.startswith("│ traditional"))
    cells = [c.strip() for c in app_row.split("│")[3:7]]
    assert cells == ["2", "58.333", "79.167", "91.667"]
    detailed = runner.invoke(app, [*args, "--functions"], env=WIDE)
    assert detailed.exit_code == 0 and "x1-func" in detailed.stdout


def test_out_dir_holds_every_table_and_the_warnings_are_one_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["replay", str(SAMPLE_2019), "--serial", "--hours", "0.02", "-p", "fixed-10min"]
    result = runner.invoke(app, [*args, "--out", str(out)], env=WIDE)
    assert result.exit_code == 0, result.output
    warnings = [x for x in result.stdout.splitlines() if x.startswith("warning:")]
    assert len(warnings) == 1
    assert "4 function(s)" in warnings[0]
    assert "(worst: e72c1540 +75 %, 9d133e10 +16 %, 02158978 +14 %)" in warnings[0]
    lines = (out / "warnings.txt").read_text().splitlines()
    assert len(lines) == 4 and lines[0].startswith("e72c1540: reconstructed mean")
    functions = pd.read_parquet(out / "functions.parquet")
    assert (
        len(functions) == 10 * 2 and functions.app.nunique() == 10 and "" not in set(functions.app)
    )
    assert len(pd.read_csv(out / "totals.csv")) == 2
    apps = pd.read_csv(out / "apps.csv")
    assert set(apps.columns) >= {"model", "policy", "apps", "p50", "p75", "p90"}


def _minute_column(minute: int) -> int:
    """Hand count: invocations of the shipped sample in one minute column (1-based)."""
    with (SAMPLE_2019 / "invocations.csv").open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        col = header.index(str(minute))
        return sum(int(row[col]) for row in reader)


def test_from_and_to_cut_the_trace_on_the_command_line(tmp_path: Path) -> None:
    args = ["replay", str(SAMPLE_2019), "--serial", "-p", "fixed-10min", "--json"]
    result = runner.invoke(app, [*args, "--from", "8h", "--to", "482min"])
    assert result.exit_code == 0, result.output
    totals = json.loads(result.stdout)["totals"]
    expected = _minute_column(481) + _minute_column(482)  # minutes 480 and 481, 0-based
    assert {t["invocations"] for t in totals} == {expected}
    late = runner.invoke(app, [*args, "--from", "30h"])
    assert late.exit_code == 2 and "at or after the end of the trace" in late.stderr
    bad = runner.invoke(app, [*args, "--from", "soon"])
    assert bad.exit_code == 2 and "start" in bad.stderr and "Traceback" not in bad.output


def test_pareto_prints_the_verdict_and_writes_the_figure(tmp_path: Path) -> None:
    rows = [("R", "r1", 1800.0 * k, 1.0) for k in range(48)]
    trace = str(write_2021(tmp_path / "regular.csv", rows))
    out = tmp_path / "pareto"
    chart = tmp_path / "figure.svg"
    args = ["replay", trace, "--pareto", "--out", str(out), "--chart", str(chart)]
    result = runner.invoke(app, args, env=WIDE)
    assert result.exit_code == 0, result.output
    assert "hybrid (4 h) dominates fixed 10 min here" in result.stdout
    assert "1 regular" in result.stdout
    for name in ("pareto.parquet", "pareto.csv", "pareto_apps.csv", "pareto.png", "pareto.svg"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in chart.read_text()[:200]
    data = json.loads(runner.invoke(app, [*args[:3], "--json"]).stdout)
    points = {p["policy"]: p for p in data["points"]}
    assert points["fixed-10min"]["normalised_memory"] == 1.0
    assert points["fixed-10min"]["cold_pct_p75"] == 100.0
    assert "fixed-10min" in data["verdict"]["hybrid-4h"]["dominates"]


def test_pareto_on_an_empty_window_says_so(tmp_path: Path) -> None:
    trace = str(write_2021(tmp_path / "t.csv", [("A", "a1", 10.0, 1.0), ("A", "a1", 20.0, 1.0)]))
    result = runner.invoke(app, ["replay", trace, "--pareto", "--from", "1h"])
    assert result.exit_code == 2 and "no invocations to measure" in result.stderr
