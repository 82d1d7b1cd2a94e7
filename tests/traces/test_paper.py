"""The paper's measures (Shahrad et al., ATC 2020): per-app cold-start percentages and wasted
memory time normalised to the fixed 10-minute keep-alive, on hand-built traces; and the claim
the lab makes about hybrid vs fixed on the shipped full-day sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.policies import HistogramRuntime, HybridPolicy
from models.replay.paper import (
    PAPER_HYBRID,
    apps_of,
    busy_periods,
    frontier_check,
    measure,
    merge_periods,
    sweep_policies,
)
from models.replay.spec import ReplaySpec
from tests.traces.conftest import SAMPLE_2019, write_2021


def _hand_trace(tmp_path: Path) -> Path:
    rows = [
        # app A, two functions: busy [0, 10], [100, 125] (a1 and a2 overlap), [2000, 2005]
        ("A", "a1", 0.0, 10.0),
        ("A", "a1", 100.0, 10.0),
        ("A", "a2", 105.0, 20.0),
        ("A", "a2", 2000.0, 5.0),
        # app B: once, at 50 s
        ("B", "b1", 50.0, 1.0),
        # app C: every 300 s from 0 to 2700, 1 s each (idle times of 299 s)
        *(("C", "c1", 300.0 * k, 1.0) for k in range(10)),
    ]
    return write_2021(tmp_path / "hand.csv", rows)


def test_busy_periods_are_the_union_of_an_apps_invocations(tmp_path: Path) -> None:
    spec = ReplaySpec(trace=str(_hand_trace(tmp_path)), end=3000.0)
    apps, start, end = apps_of(spec)
    assert (start, end) == (0.0, 3000.0)
    a = next(x for x in apps if x.app == "A")
    assert a.functions == 2
    assert a.periods.starts.tolist() == [0.0, 100.0, 2000.0]
    assert a.periods.ends.tolist() == [10.0, 125.0, 2005.0]
    assert a.periods.counts.tolist() == [1, 2, 1]
    # blocks of one function merge across block boundaries
    blocks = [
        (np.array([0.0, 1.0]), np.array([5.0, 1.0])),
        (np.array([4.0, 9.0]), np.array([1.0, 1.0])),
    ]
    merged = busy_periods(blocks)
    assert merged.starts.tolist() == [0.0, 9.0] and merged.ends.tolist() == [5.0, 10.0]
    assert merged.counts.tolist() == [3, 1]
    assert merge_periods(
        [merged, busy_periods([(np.array([4.5]), np.array([6.0]))])]
    ).ends.tolist() == [10.5]


def test_app_cold_start_distribution_and_normalised_memory_as_the_paper_defines_them(
    tmp_path: Path,
) -> None:
    spec = ReplaySpec(trace=str(_hand_trace(tmp_path)), end=3000.0)
    apps, start, end = apps_of(spec)
    points = {p.policy: p for p in measure(apps, start, end, sweep_policies([5, 10], []))}
    ten, five = points["fixed-10min"], points["fixed-5min"]
    cold = {a.app: (a.cold_starts, a.invocations) for a in ten.apps}
    # A: first period cold, 90 s gap warm, 1875 s gap cold; B: its one call; C: the first
    assert cold == {"A": (2, 4), "B": (1, 1), "C": (1, 10)}
    # per-app percentages 50, 100, 10 -> median 50, 75th 75, 90th 90 (linear interpolation)
    assert [ten.cold_pct(p) for p in (50, 75, 90)] == pytest.approx([50.0, 75.0, 90.0])
    # wasted = loaded and idle: A 90 + 600 + 600 (after its last call, to the end at 3000),
    # B 600, C 9 x 299 + 299 (its last keep-alive cut at the end)
    assert {a.app: a.wasted_s for a in ten.apps} == pytest.approx(
        {"A": 1290.0, "B": 600.0, "C": 2990.0}
    )
    assert ten.normalised_memory == 1.0
    # 5 min: A 90 + 300 + 300, B 300, C unchanged (its gaps are 299 s)
    assert five.wasted_s == pytest.approx(690.0 + 300.0 + 2990.0)
    assert five.normalised_memory == pytest.approx(3980.0 / 4880.0)
    assert five.cold_starts == ten.cold_starts == 4


def test_earlier_data_warms_the_app_and_the_policy_but_is_not_counted(tmp_path: Path) -> None:
    path = _hand_trace(tmp_path)
    warm = ReplaySpec(trace=str(path), start=1000.0, end=3000.0)
    apps, start, end = apps_of(warm)
    c = {p.policy: p for p in measure(apps, start, end, sweep_policies([10], []))}["fixed-10min"]
    by_app = {a.app: (a.cold_starts, a.invocations) for a in c.apps}
    # C's calls at 1200 .. 2700 find it loaded (the call at 900 kept it); A's at 2000 is cold
    assert by_app == {"A": (1, 1), "B": (0, 0), "C": (0, 6)}
    apps, start, end = apps_of(warm, warm_up=False)
    c = {p.policy: p for p in measure(apps, start, end, sweep_policies([10], []))}["fixed-10min"]
    assert {a.app: a.cold_starts for a in c.apps} == {"A": 1, "C": 1}  # B not in the window


def test_hybrid_dominates_fixed_on_regular_apps_as_in_the_paper(tmp_path: Path) -> None:
    """An app called every 30 min: fixed 10 min starts every call cold and holds 10 min per
    gap; hybrid learns the gap, pre-warms just before the next call: fewer cold starts and less
    memory. The lab's implementation can dominate where the paper's workload gives it room."""
    rows = [("R", "r1", 1800.0 * k, 1.0) for k in range(48)]
    rows += [("S", "s1", 3600.0 * k + 7.0, 2.0) for k in range(24)]
    spec = ReplaySpec(trace=str(write_2021(tmp_path / "regular.csv", rows)), end=86_400.0)
    apps, start, end = apps_of(spec)
    points = measure(apps, start, end, sweep_policies([10], [4]))
    fixed, hybrid = points
    assert fixed.cold_starts == 48 + 24
    assert hybrid.cold_starts < fixed.cold_starts / 3
    assert hybrid.normalised_memory < 1.0
    assert hybrid.cold_pct(75) < fixed.cold_pct(75)
    assert frontier_check(points)["hybrid-4h"]["dominates"] == ["fixed-10min"]


def test_cached_percentiles_and_runs_give_the_answers_of_the_call_per_period_loop() -> None:
    for seed in range(12):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(1, 2000))
        gaps = rng.exponential([5.0, 200.0, 3000.0][seed % 3], n)
        gaps[rng.random(n) < 0.02] = rng.uniform(0, 30_000)
        durations = rng.exponential(0.1, n)
        ends = np.cumsum(gaps + durations)
        starts = ends - durations
        policy = HybridPolicy(kind="hybrid", min_samples=int(rng.integers(1, 20)))
        one = HistogramRuntime(policy)
        expected = []
        for k in range(n):
            if k:
                one.on_arrival(float(starts[k]), 0)
            expected.append(one.on_idle(float(ends[k]), 0))
        runs = HistogramRuntime(policy)
        prewarm, keep = runs.idle_windows(starts.tolist(), ends.tolist())
        assert list(zip(prewarm, keep, strict=True)) == expected, seed
        assert runs.summary() == one.summary() and runs.counts == one.counts


def test_on_the_shipped_busy_sample_hybrid_does_not_dominate_fixed_10min() -> None:
    """The lab's claim (README, ``lab replay --pareto``): the 10 apps of the shipped sample are
    all busy -- idle times nearly all under a minute -- so the histogram's 99th percentile sets
    a ~1-minute keep-alive with no pre-warm: hybrid holds slightly less memory than fixed 10
    min but misses the rare gaps of 1-10 min that fixed keeps warm. Not the paper's result,
    whose gain comes from apps called every few minutes to hours, absent from this sample."""
    spec = ReplaySpec(trace=str(SAMPLE_2019))
    apps, start, end = apps_of(spec)
    fixed, hybrid = measure(apps, start, end, sweep_policies([10], [4]))
    assert hybrid.normalised_memory < 1.0
    assert hybrid.cold_starts > fixed.cold_starts
    assert hybrid.cold_pct(75) > fixed.cold_pct(75)
    assert frontier_check([fixed, hybrid])["hybrid-4h"] == {"dominated_by": [], "dominates": []}
    for app in apps:  # why: a histogram of sub-minute idle times, no pre-warm, ~1 min kept
        runtime = HistogramRuntime(HybridPolicy(kind="hybrid"))
        runtime.idle_windows(app.periods.starts.tolist(), app.periods.ends.tolist())
        learned = runtime.summary()
        assert learned["pattern"] == "histogram" and learned["prewarm_s"] == 0.0
        assert learned["keep_alive_s"] <= 2.2 * 60
        assert learned["median_idle_s"] == 60.0


def test_history_length_earlier_days_warm_the_policy(tmp_path: Path) -> None:
    """Two day files, apps called hourly and every 20 min; day two measured. The lab's preset
    waits for 10 idle times before trusting its histogram (holding the app 4 h meanwhile): with
    no history it wastes more memory than fixed 10 min; warmed with day one (and as the paper
    states it, trusting the CV alone) it dominates: no cold starts, under half the memory."""
    from tests.traces.test_windows import write_days

    calls = {
        "hourly": {60 * h + 7: 1 for h in range(24)},
        "third": {20 * k + 3: 1 for k in range(72)},
    }
    trace = write_days(tmp_path / "two-days", {1: calls, 2: calls})
    spec = ReplaySpec(trace=str(trace), start=86_400.0)
    results = {}
    for warm in (True, False):
        apps, start, end = apps_of(spec, warm_up=warm)
        for name, hybrid in (("lab", HybridPolicy(kind="hybrid")), ("paper", PAPER_HYBRID)):
            fixed, point = measure(apps, start, end, sweep_policies([10], [4], hybrid))
            assert fixed.cold_starts == fixed.invocations == 96  # every call is > 10 min apart
            results[(name, warm)] = (point.cold_starts, round(point.normalised_memory, 2))
    assert results[("lab", False)][1] > 1.0  # learning on the measured day costs memory
    assert results[("paper", False)][1] < 0.5
    assert results[("lab", True)] == results[("paper", True)] == (0, 0.39)
