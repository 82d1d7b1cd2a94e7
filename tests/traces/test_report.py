"""What a replay reports beyond the totals: the per-function trade-off, reconstruction
warnings, and streaming the trace in bounded memory by default."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

from typer.testing import CliRunner

from lab.cli import app
from models.replay import ReplaySpec, replay
from models.replay.result import IDLE_PROFILES
from tests.traces.conftest import SAMPLE_2019, write_2019, write_2021

runner = CliRunner()


def _two_kinds(tmp_path: Path) -> Path:
    """``regular``: a call every 30 min for a day; ``busy``: a call every 2 s for an hour."""
    rows = [("app", "regular0", k * 1800.0 + 0.5, 1.0) for k in range(48)]
    rows += [("app", "busy0000", k * 2.0 + 0.25, 0.5) for k in range(1800)]
    return write_2021(tmp_path / "two.csv", rows)


def test_the_trade_off_names_each_functions_idle_profile(tmp_path: Path) -> None:
    spec = ReplaySpec(
        trace=str(_two_kinds(tmp_path)),
        platforms={"traditional": {}},
        policies=["fixed-10min", "fixed-20min", "hybrid"],
    )
    rows = {row["name"]: row for row in replay(spec).tradeoff()}
    regular, busy = rows["regular0"], rows["busy0000"]
    assert regular["profile"] == "regular" and regular["pattern"] == "histogram"
    assert regular["prewarm_s"] == 29 * 60 * 0.9  # idle times of 1799 s: bin [29, 30) min
    assert busy["profile"] == "busy" and busy["prewarm_s"] == 0.0
    assert busy["median_idle_s"] == 60.0 and busy["keep_alive_s"] == 66.0
    # the paper's trade-off on the regular function: fewer cold starts, less idle memory
    hybrid, fixed10, fixed20 = (
        regular["policies"][p] for p in ("hybrid", "fixed-10min", "fixed-20min")
    )
    assert hybrid["cold_starts"] == 1 < fixed10["cold_starts"] == fixed20["cold_starts"] == 48
    assert hybrid["idle_gb_s"] < fixed10["idle_gb_s"] < fixed20["idle_gb_s"]
    # the busy one never waits long enough for any timeout: one cold start under each
    assert {p: busy["policies"][p]["cold_starts"] for p in busy["policies"]} == {
        "fixed-10min": 1,
        "fixed-20min": 1,
        "hybrid": 1,
    }
    assert set(IDLE_PROFILES) >= {r["profile"] for r in rows.values()}


def test_lab_replay_prints_the_trade_off_and_puts_it_in_json(tmp_path: Path) -> None:
    args = ["replay", str(_two_kinds(tmp_path)), "--serial", "-p", "fixed-10min", "-p", "hybrid"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    profiles = {(r["model"], r["name"]): r["profile"] for r in data["tradeoff"]}
    assert profiles[("traditional", "regular0")] == profiles[("fluid", "regular0")] == "regular"
    assert profiles[("traditional", "busy0000")] == "busy"
    assert data["warnings"] == []  # 2021 traces have exact durations
    text = runner.invoke(app, [*args, "--functions"], env={"COLUMNS": "200"})
    assert text.exit_code == 0, text.output
    assert "keep-alive trade-off per function (traditional)" in text.stdout
    assert "regular idle times; the hybrid policy pre-warms" in text.stdout
    rows = [x.split() for x in text.stdout.splitlines() if "regular0" in x and "│" not in x]
    assert rows[0][:3] == ["regular0", "regular", "26m+7m"]  # pre-warm 1566 s + 414 s


def test_a_reconstructed_mean_far_from_the_published_one_is_a_warning() -> None:
    """e72c1540's percentiles (p99 1238 ms, p100 56414 ms) cannot average 112 ms: even the
    straightest tail gives 195.7 ms. 47658c9c is reached exactly; cbf80865 (1.3 ms drawn vs
    a published 1 ms, a whole-millisecond rounding) is within rounding."""
    spec = ReplaySpec(
        trace=str(SAMPLE_2019),
        hours=0.02,
        functions=["e72c1540", "47658c9c", "cbf80865"],
        platforms={"traditional": {}},
    )
    result = replay(spec)
    [warning] = result.warnings()
    assert warning.startswith("e72c1540: reconstructed mean duration 195.7 ms vs published")
    assert "112 ms (+75 %)" in warning
    by_name = {r.name: r for r in result.functions}
    assert by_name["47658c9c"].mean_mismatch is not None
    assert abs(by_name["47658c9c"].mean_mismatch) < 1e-9
    cli = runner.invoke(
        app,
        ["replay", str(SAMPLE_2019), "--serial", "--hours", "0.02", "-f", "e72c1540"],
        env={"COLUMNS": "200"},
    )
    assert cli.exit_code == 0
    assert "warning: 1 function(s) whose published duration percentiles" in cli.stdout
    assert "(worst: e72c1540 +75 %)" in cli.stdout


def test_replay_streams_the_trace_by_default_in_bounded_memory(tmp_path: Path) -> None:
    """300 functions of one invocation each: read whole, the trace's per-minute counts
    (1440 per function, ~12 kB) dominate; streamed (the default), only the small duration
    index and the results stay."""
    rows = [[0] * (i % 1440) + [1] for i in range(300)]
    spec = ReplaySpec(
        trace=str(write_2019(tmp_path / "many", rows)),
        platforms={"traditional": {}},
        policies=["fixed-10min"],
    )
    peaks = {}
    results = {}
    for stream in (None, False):
        tracemalloc.start()
        try:
            results[stream] = replay(spec) if stream is None else replay(spec, stream=False)
            peaks[stream] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert [r.totals() for r in results[None].functions] == [
        r.totals() for r in results[False].functions
    ]
    assert peaks[None] < 0.4 * peaks[False], peaks
